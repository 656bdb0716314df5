#!/usr/bin/env bash
# Runs the whole test suite against the mail lab with one command:
# starts the lab (installing Postfix and Dovecot when missing; needs root),
# runs `go test ./...` with the lab required, and stops the lab again when
# this script started it. Extra arguments go to `go test`.
#
#   bash testdata/maillab/test.sh            # everything
#   bash testdata/maillab/test.sh -run Send  # a subset, e.g. -run TestSend ./integration
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="/usr/local/go/bin:$PATH"

dir=${MAILLAB_DIR:-$PWD/testdata/maillab/run}
# Unix socket paths are short and the daemons' users must reach the run dir.
if [ -z "${MAILLAB_DIR:-}" ] && { [ "${#PWD}" -gt 40 ] || ! setpriv --reuid=nobody --regid=nogroup --clear-groups test -x "$PWD/testdata/maillab/." 2>/dev/null; }; then
	dir=/tmp/advmail-maillab-$(id -u)
fi
export MAILLAB_DIR=$dir

started=
if [ ! -f "$dir/lab.json" ]; then
	started=1
	testdata/maillab/start.sh
fi
stop() { [ -z "$started" ] || testdata/maillab/stop.sh; }
trap stop EXIT

args=("$@")
[ ${#args[@]} -gt 0 ] || args=(./...)
ADVMAIL_LAB=required ADVMAIL_LAB_ENV=$dir/lab.json go test -count=1 "${args[@]}"
