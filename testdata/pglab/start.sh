#!/usr/bin/env bash
# Starts the advmail PostgreSQL lab: a throwaway cluster from Debian's
# postgresql package on 127.0.0.1 (port 15432, PGLAB_PORT overrides), data
# and log under the run directory (default testdata/pglab/run, override
# with PGLAB_DIR), trust authentication on loopback TCP only (no unix
# socket), superuser advmail, database advmail_test. Installs the package
# when missing (as root). Under root the server runs as PGLAB_USER
# (default postgres): initdb refuses root.
#
#   testdata/pglab/start.sh        # start (no-op when already running)
#   testdata/pglab/stop.sh         # stop it (pg_ctl stop)
#
# Writes $PGLAB_DIR/dsn: the DSN of advmail_test, for ADVMAIL_PG_DSN:
#   export ADVMAIL_PG_DSN=$(cat testdata/pglab/run/dsn)
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

case ${1:-} in
'') ;;
-h | --help)
	sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
	exit 0
	;;
*) pl_die "unknown argument: $1 (see --help)" ;;
esac

if ! pl_bin >/dev/null 2>&1; then
	"$PGLAB_SRC/install.sh"
fi
bin=$(pl_bin) || pl_die "no PostgreSQL found under /usr/lib/postgresql/*/bin (set PGLAB_BIN)"
user=$(pl_user)
getent passwd "$user" >/dev/null || pl_die "user $user does not exist (set PGLAB_USER to an unprivileged user)"
[ "$(id -u "$user")" -ne 0 ] || pl_die "PostgreSQL refuses to run as root; set PGLAB_USER to an unprivileged user"
case $PGLAB_PORT in
'' | *[!0-9]*) pl_die "PGLAB_PORT=$PGLAB_PORT is not a port number" ;;
esac

# --- run directory ----------------------------------------------------------

if [ ! -d "$PGLAB_DIR" ]; then
	mkdir -p "$PGLAB_DIR"
	chmod 0755 "$PGLAB_DIR"
fi
if ! pl_as test -x "$PGLAB_DIR/."; then
	pl_die "$PGLAB_DIR is not reachable by user $user (a parent directory lacks o+x); set PGLAB_DIR to e.g. /tmp/advmail-pglab"
fi

# --- cluster ------------------------------------------------------------------

if [ ! -f "$PG_DATA/PG_VERSION" ]; then
	pl_log "creating cluster in $PG_DATA ($bin)"
	rm -rf "$PG_DATA"
	install -d -m 0700 -o "$user" "$PG_DATA"
	pl_as "$bin/initdb" -D "$PG_DATA" -U "$PGLAB_SUPERUSER" --auth=trust \
		--encoding=UTF8 --locale=C.UTF-8 --no-sync >"$PGLAB_DIR/initdb.log" 2>&1 ||
		pl_die "initdb failed: $(tail -n 5 "$PGLAB_DIR/initdb.log")"
	# Loopback TCP only, trusted: a throwaway test cluster.
	cat >"$PGLAB_DIR/pg_hba.conf" <<'HBA'
# advmail pglab: trust on loopback TCP only, no unix socket.
host all all 127.0.0.1/32 trust
host all all ::1/128 trust
HBA
	install -m 0600 -o "$user" "$PGLAB_DIR/pg_hba.conf" "$PG_DATA/pg_hba.conf"
	rm -f "$PGLAB_DIR/pg_hba.conf"
	cat >"$PGLAB_DIR/advmail.conf" <<'CONF'
# advmail pglab settings (port and address are given by start.sh).
unix_socket_directories = ''
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 64MB
log_min_messages = warning
log_line_prefix = '%m [%p] %d '
CONF
	install -m 0600 -o "$user" "$PGLAB_DIR/advmail.conf" "$PG_DATA/advmail.conf"
	rm -f "$PGLAB_DIR/advmail.conf"
	printf "include = 'advmail.conf'\n" | pl_as tee -a "$PG_DATA/postgresql.conf" >/dev/null
fi

if pl_running; then
	# postmaster.pid's fourth line is the port the server listens on.
	running_port=$(sed -n 4p "$PG_DATA/postmaster.pid" 2>/dev/null || true)
	if [ "$running_port" != "$PGLAB_PORT" ]; then
		pl_die "the lab in $PGLAB_DIR already runs on port ${running_port:-?}, not $PGLAB_PORT; run stop.sh first or use that port"
	fi
	pl_log "already running on $PGLAB_HOST:$PGLAB_PORT (run dir $PGLAB_DIR)"
else
	if pl_port_busy; then
		pl_die "port $PGLAB_HOST:$PGLAB_PORT is already in use by another program; set PGLAB_PORT"
	fi
	[ -e "$PG_LOG" ] || install -m 0600 -o "$user" /dev/null "$PG_LOG"
	pl_log "starting PostgreSQL on $PGLAB_HOST:$PGLAB_PORT"
	if ! pl_as "$bin/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t "$PGLAB_START_TIMEOUT" \
		-o "-c listen_addresses=$PGLAB_HOST -c port=$PGLAB_PORT" start >/dev/null; then
		pl_log "log $PG_LOG:"
		tail -n 20 "$PG_LOG" >&2 || true
		pl_die "PostgreSQL did not start within ${PGLAB_START_TIMEOUT}s"
	fi
fi

# --- database -----------------------------------------------------------------

psql=("$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$PGLAB_HOST" -p "$PGLAB_PORT" -U "$PGLAB_SUPERUSER")
ready=
for ((i = 0; i < PGLAB_START_TIMEOUT * 10; i++)); do
	if pl_as "${psql[@]}" -d postgres -tAc 'SELECT 1' >/dev/null 2>&1; then
		ready=1
		break
	fi
	sleep 0.1
done
[ -n "$ready" ] || pl_die "PostgreSQL on $PGLAB_HOST:$PGLAB_PORT does not answer as $PGLAB_SUPERUSER (another server on that port? set PGLAB_PORT)"
if [ "$(pl_as "${psql[@]}" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$PGLAB_DB'")" != 1 ]; then
	pl_as "${psql[@]}" -d postgres -c "CREATE DATABASE $PGLAB_DB" || pl_die "cannot create database $PGLAB_DB"
	pl_log "created database $PGLAB_DB"
fi

pl_dsn >"$PG_DSN_FILE.tmp"
chmod 0644 "$PG_DSN_FILE.tmp"
mv -f "$PG_DSN_FILE.tmp" "$PG_DSN_FILE"
pl_log "ready: $(cat "$PG_DSN_FILE") (written to $PG_DSN_FILE)"
