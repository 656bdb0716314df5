#!/usr/bin/env bash
# The test command of the README and of CI (.ci/run): `go test ./...`, then,
# when the integration tests (./integration) skipped because the mail lab is
# not running, one line saying so and how to start it. `go test ./...` alone
# cannot show that line: it prints the output of a passing package only with
# -v, so a package whose every test skipped reads "ok" like one that ran.
#
#   bash .ci/test.sh                      # go test ./...
#   bash .ci/test.sh -count=1 ./runtime   # arguments replace ./...
#
# The lab rule is the one of integration/lab_test.go: ADVMAIL_LAB=required
# fails the tests without a lab (CI sets it), ADVMAIL_LAB=absent skips them,
# unset they run when lab.json exists (ADVMAIL_LAB_ENV: lab.json, the env
# file beside it or the run directory; else $MAILLAB_DIR/lab.json; else
# testdata/maillab/run/lab.json).
set -uo pipefail
cd "$(dirname "$0")/.."

args=("$@")
[ ${#args[@]} -gt 0 ] || args=(./...)
# The integration package (the serve kill -9 cases among them) runs for
# several minutes: more than go test's default 10-minute package limit
# leaves room for a slow machine.
go test -timeout 30m "${args[@]}"
status=$?

lab_json() {
	local p=${ADVMAIL_LAB_ENV:-}
	if [ -n "$p" ]; then
		if [ -d "$p" ]; then
			echo "$p/lab.json"
		elif [[ $p == *.json ]]; then
			echo "$p"
		else
			echo "$(dirname "$p")/lab.json"
		fi
	elif [ -n "${MAILLAB_DIR:-}" ]; then
		echo "$MAILLAB_DIR/lab.json"
	else
		echo "testdata/maillab/run/lab.json"
	fi
}

# Only when the packages tested include ./integration.
case " ${args[*]} " in
*" ./... "* | *integration*) ;;
*) exit "$status" ;;
esac

case "${ADVMAIL_LAB:-}" in
absent)
	echo "integration: SKIPPED: ADVMAIL_LAB=absent disables the mail lab tests"
	;;
"")
	json=$(lab_json)
	if [ ! -f "$json" ]; then
		echo "integration: SKIPPED: mail lab not running ($json not found); start it with: sudo testdata/maillab/start.sh (or run everything against it: bash testdata/maillab/test.sh)"
	fi
	;;
esac
exit "$status"
