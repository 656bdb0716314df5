#!/usr/bin/env bash
# Stops the PostgreSQL lab started by start.sh (pg_ctl stop -m fast, which
# signals the postmaster named in the cluster's postmaster.pid) and removes
# $PGLAB_DIR/dsn. Harmless when nothing is running. The cluster is kept;
# delete the run directory to start from scratch.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

rm -f "$PG_DSN_FILE"
if ! pl_running; then
	pl_log "not running (run dir $PGLAB_DIR)"
	exit 0
fi
bin=$(pl_bin)
pl_as "$bin/pg_ctl" -D "$PG_DATA" -m fast -w -t "$PGLAB_START_TIMEOUT" stop >/dev/null ||
	pl_die "PostgreSQL did not stop within ${PGLAB_START_TIMEOUT}s (see $PG_LOG)"
pl_log "stopped"
