#!/usr/bin/env bash
# Shared settings and helpers of the PostgreSQL lab scripts (sourced).
#
# Environment: PGLAB_DIR (run dir, default testdata/pglab/run), PGLAB_PORT
# (default 15432), PGLAB_BIN (the PostgreSQL bin folder, default the newest
# /usr/lib/postgresql/*/bin), PGLAB_USER (the unprivileged user the server
# runs as when the scripts run as root, default postgres),
# PGLAB_START_TIMEOUT (seconds, default 30).

PGLAB_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PGLAB_DIR=${PGLAB_DIR:-$PGLAB_SRC/run}
PGLAB_PORT=${PGLAB_PORT:-15432}
PGLAB_HOST=127.0.0.1
PGLAB_DB=advmail_test
PGLAB_SUPERUSER=advmail
PGLAB_START_TIMEOUT=${PGLAB_START_TIMEOUT:-30}
PGLAB_PACKAGES=(postgresql)
PG_DATA=$PGLAB_DIR/data
PG_LOG=$PGLAB_DIR/postgres.log
PG_DSN_FILE=$PGLAB_DIR/dsn

pl_log() { printf 'pglab: %s\n' "$*" >&2; }
pl_die() {
	pl_log "error: $*"
	exit 1
}

# pl_bin prints the PostgreSQL bin folder: $PGLAB_BIN, else the newest
# version folder under /usr/lib/postgresql holding initdb.
pl_bin() {
	if [ -n "${PGLAB_BIN:-}" ]; then
		[ -x "$PGLAB_BIN/initdb" ] || pl_die "PGLAB_BIN=$PGLAB_BIN holds no initdb"
		printf '%s\n' "$PGLAB_BIN"
		return
	fi
	local d best=
	for d in /usr/lib/postgresql/*/bin; do
		[ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] || continue
		if [ -z "$best" ] || [ "$(printf '%s\n%s\n' "$best" "$d" | sort -V | tail -n 1)" = "$d" ]; then
			best=$d
		fi
	done
	[ -n "$best" ] || return 1
	printf '%s\n' "$best"
}

# pl_user prints the user the server runs as: PGLAB_USER (default
# postgres) under root, else the invoking user.
pl_user() {
	if [ "$(id -u)" -eq 0 ]; then
		printf '%s\n' "${PGLAB_USER:-postgres}"
	else
		id -un
	fi
}

# pl_as runs a command as the server's user, from / (the user may not
# reach the caller's working directory).
pl_as() {
	if [ "$(id -u)" -eq 0 ]; then
		(cd / && runuser -u "$(pl_user)" -- "$@")
	else
		"$@"
	fi
}

# pl_running reports whether the lab's server runs (pg_ctl status).
pl_running() {
	local bin
	bin=$(pl_bin) || return 1
	[ -f "$PG_DATA/PG_VERSION" ] || return 1
	pl_as "$bin/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1
}

# pl_port_busy reports whether something answers on the lab's port.
pl_port_busy() {
	timeout 2 bash -c "exec 3<>/dev/tcp/$PGLAB_HOST/$PGLAB_PORT" 2>/dev/null
}

# pl_dsn prints the DSN of the lab's test database.
pl_dsn() {
	printf 'postgres://%s@%s:%s/%s?sslmode=disable\n' "$PGLAB_SUPERUSER" "$PGLAB_HOST" "$PGLAB_PORT" "$PGLAB_DB"
}
