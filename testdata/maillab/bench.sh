#!/usr/bin/env bash
# The lab benchmark: each workload of issue 10 run through `advmail run`
# with a Lua script (testdata/maillab/bench/) and through the bare Go
# reference client (internal/labbench/ref: go-imap v2, go-smtp, go-message,
# fewest round trips, no Lua), alternating, on the lab user frank. Every
# run goes through a counting TCP proxy (lab port + 10000) that counts the
# protocol round trips (turns on the wire) and connections of each side.
# Prints a markdown table: medians, paired ratio, peak RSS, round trips.
#
#   bash testdata/maillab/bench.sh                  # every workload, 5 runs each
#   bash testdata/maillab/bench.sh --runs 9 --only pop
#   bash testdata/maillab/bench.sh --advmail /tmp/advmail-before
#   bash testdata/maillab/bench.sh --scale          # also 2,000/20,000/100,000 headers, 1,000 folders (long)
#
# Flags: --advmail PATH (binary to measure; default: build ./cmd/advmail
# into a temporary directory), --runs N (default 5; the big-attachment rows
# run at most 3 times), --only NAME (workloads whose name contains NAME),
# --scale, --keep (keep the temporary directory and the results file).
# BENCH_PORT_OFFSET (default 10000) moves the proxies when those ports are taken.
# Starts the lab (start.sh) when it is not running; never stops it. Runs as
# root (doveadm). Owns frank's INBOX and every frank folder named Bench*;
# seed folders (BenchSeed*, BenchSearch*) persist between runs of the bench.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# Progress goes to stderr: stdout is the table only.
ml_log() { printf 'bench: %s\n' "$*" >&2; }

runs=5
only=
scale=0
keep=0
advmail=
while [ $# -gt 0 ]; do
	case $1 in
	--advmail) advmail=${2:?--advmail needs a path}; shift 2 ;;
	--runs) runs=${2:?--runs needs a number}; shift 2 ;;
	--only) only=${2:?--only needs a name}; shift 2 ;;
	--scale) scale=1; shift ;;
	--keep) keep=1; shift ;;
	-h | --help)
		sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
		exit 0
		;;
	*) ml_die "unknown argument: $1 (see --help)" ;;
	esac
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || ml_die "--runs wants a positive number, got $runs"

ml_require_root
ROOT=$(cd "$MAILLAB_SRC/../.." && pwd -P)
BENCH=$MAILLAB_SRC/bench
if [ -z "$(ml_dovecot_pid)" ] || [ -z "$(ml_postfix_pid)" ]; then
	ml_log "the lab is not running: starting it"
	"$MAILLAB_SRC/start.sh"
fi
LAB=$ML_JSON
export ADVMAIL_LAB_ENV=$LAB
OFFSET=${BENCH_PORT_OFFSET:-10000} # the proxies listen at lab port + OFFSET
USER_NAME=frank
LOGIN=$USER_NAME@$MAILLAB_DOMAIN
PASS=${MAILLAB_PASSWORD[$USER_NAME]}
HOST=$MAILLAB_TLS_SERVERNAME
MAILDIR=$ML_MAIL_DIR/$MAILLAB_DOMAIN/$USER_NAME/Maildir
doveadm=(doveadm -c "$ML_DOVECOT_CONF")
port() { echo $(($1 + OFFSET)); }

TMP=$(mktemp -d /tmp/advmail-bench.XXXXXX)
cleanup() {
	if [ "$keep" = 1 ]; then ml_log "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
RESULTS=$TMP/results.tsv

# --- tools --------------------------------------------------------------------

(cd "$ROOT" && go build -o "$TMP/ref" ./internal/labbench/ref && go build -o "$TMP/empty" ./internal/labbench/empty)
if [ -z "$advmail" ]; then
	(cd "$ROOT" && go build -o "$TMP/advmail" ./cmd/advmail)
	advmail=$TMP/advmail
fi
advmail=$(cd "$(dirname "$advmail")" && pwd -P)/$(basename "$advmail")
[ -x "$advmail" ] || ml_die "no advmail binary at $advmail"
REF=$TMP/ref
cat >"$TMP/appserver.ini" <<EOF
[Mail]
Protocol=POP3
CAFile=$ML_CA
EhloName=client.lab.test
EOF
RUN_ADVMAIL="$advmail run --config $TMP/appserver.ini" # word-split on purpose

has_searchmsgs=0
if "$advmail" stubs --out "$TMP/stubs" >/dev/null 2>&1 && grep -rqi 'SearchMsgs' "$TMP/stubs"; then
	has_searchmsgs=1
fi

# --- mailbox state ------------------------------------------------------------

status() { "${doveadm[@]}" -f flow mailbox status -u "$LOGIN" "$1" "$2" | sed 's/.*=//'; }
exists() { "${doveadm[@]}" mailbox list -u "$LOGIN" | grep -qxF -- "$1"; }
expunge() { "${doveadm[@]}" expunge -u "$LOGIN" mailbox "$1" all; }

# seed FOLDER N [ref seed flags]: FOLDER holds exactly N generated messages.
seed() {
	local folder=$1 n=$2
	shift 2
	if exists "$folder"; then expunge "$folder"; fi
	"$REF" seed -lab "$LAB" -user "$USER_NAME" -maildir "$MAILDIR" -folder "$folder" -n "$n" "$@"
	chown -R "$MAILLAB_VMAIL_USER:$MAILLAB_VMAIL_USER" "$MAILDIR"
	"${doveadm[@]}" force-resync -u "$LOGIN" "$folder"
	local got
	got=$(status messages "$folder")
	[ "$got" = "$n" ] || ml_die "seeding $folder: $got messages, want $n"
}

# seed_once FOLDER N [flags]: seeds only when the count is not N already
# (the read-only workloads keep their folder between runs of the bench).
seed_once() {
	if exists "$1" && [ "$(status messages "$1")" = "$2" ]; then return; fi
	ml_log "seeding $1 with $2 messages"
	seed "$@"
}

# wait_count FOLDER N: waits (up to 5 minutes) until FOLDER holds N messages.
wait_count() {
	local i
	for ((i = 0; i < 1500; i++)); do
		[ "$(status messages "$1")" -ge "$2" ] && return 0
		sleep 0.2
	done
	ml_die "$1: $(status messages "$1") messages after 5 minutes, want $2"
}

# delete_bench_folders PATTERN: deletes frank's folders matching the glob
# (never H10a*, never the seeds unless the pattern names them).
delete_bench_folders() {
	local b del=()
	mapfile -t boxes < <("${doveadm[@]}" mailbox list -u "$LOGIN" | LC_ALL=C sort -r)
	for b in "${boxes[@]}"; do
		# shellcheck disable=SC2053 # the pattern is a glob on purpose
		if [[ $b == $1 && $b != H10a* ]]; then del+=("$b"); fi
	done
	if [ "${#del[@]}" -gt 0 ]; then
		"${doveadm[@]}" mailbox delete -u "$LOGIN" -s "${del[@]}" 2>/dev/null || true
	fi
}

# --- measuring ----------------------------------------------------------------

wanted() { [ -z "$only" ] || [[ $1 == *"$only"* ]]; }

# measure NAME SIDE CMD...: one run through the counting proxies.
measure() {
	local name=$1 side=$2
	shift 2
	"$REF" measure -lab "$LAB" -offset "$OFFSET" -out "$RESULTS" -workload "$name" -side "$side" -- "$@"
}

# bench NAME N PREP ADVMAIL_CMD BARE_CMD [AFTER]: one unrecorded warm-up run
# of each side (caches, Dovecot indexes), then N alternating runs; PREP (and
# AFTER) run outside the measurement before (and after) every run.
# WARMUP=0 skips the warm-up (the big-attachment rows).
bench() {
	local name=$1 n=$2 prep=$3 a=$4 b=$5 after=${6:-true} i
	wanted "$name" || return 0
	ml_log "$name: $n runs"
	if [ "${WARMUP:-1}" = 1 ]; then
		RESULTS=/dev/null one_run "$name" advmail "$prep" "$after" $a
		RESULTS=/dev/null one_run "$name" bare "$prep" "$after" $b
	fi
	for ((i = 1; i <= n; i++)); do
		if ((i % 2)); then
			one_run "$name" advmail "$prep" "$after" $a
			one_run "$name" bare "$prep" "$after" $b
		else
			one_run "$name" bare "$prep" "$after" $b
			one_run "$name" advmail "$prep" "$after" $a
		fi
	done
}

# one_run NAME SIDE PREP AFTER CMD...
one_run() {
	local name=$1 side=$2 prep=$3 after=$4
	shift 4
	$prep
	measure "$name" "$side" "$@" || ml_die "$name ($side) failed"
	$after
}

na() {
	if wanted "$1"; then "$REF" measure -out "$RESULTS" -workload "$1" -side na -note "$2"; fi
}

# Shell words of the two sides of each workload (word-split on purpose).
common_lua() { echo "$HOST $(port "$1") $LOGIN $PASS"; }

# --- workloads ----------------------------------------------------------------

true_prep() { true; }

ml_log "advmail: $advmail ($("$advmail" version 2>/dev/null | head -n 1))"
ml_log "results: $RESULTS"
delete_bench_folders 'BenchF*'
delete_bench_folders 'BenchMoved'
expunge INBOX

if wanted headers-2000-imaps; then seed_once BenchSeed2000 2000; fi
bench headers-2000-imaps "$runs" true_prep \
	"$RUN_ADVMAIL $BENCH/headers.lua $(common_lua $MAILLAB_IMAPS_PORT) BenchSeed2000 2000" \
	"$REF headers -offset $OFFSET -folder BenchSeed2000 -want 2000"

pop_prep() { seed INBOX 1000 -size 2048 >/dev/null; }
bench pop3s-1000-download-delete "$runs" pop_prep \
	"$RUN_ADVMAIL $BENCH/pop.lua $(common_lua $MAILLAB_POP3S_PORT) 1 1000" \
	"$REF pop -offset $OFFSET -tls=true -want 1000"
bench pop3-plain-1000-download-delete "$runs" pop_prep \
	"$RUN_ADVMAIL $BENCH/pop.lua $(common_lua $MAILLAB_POP3_PORT) 0 1000" \
	"$REF pop -offset $OFFSET -tls=false -want 1000"

move_prep() {
	exists BenchMoved || "${doveadm[@]}" mailbox create -u "$LOGIN" BenchMoved
	expunge BenchMoved
	seed INBOX 2000 >/dev/null
}
move_check() {
	[ "$(status messages INBOX)" = 1000 ] && [ "$(status messages BenchMoved)" = 1000 ] ||
		ml_log "WARNING move: INBOX $(status messages INBOX), BenchMoved $(status messages BenchMoved); want 1000 and 1000"
}
bench move-1000-of-2000 "$runs" move_prep \
	"$RUN_ADVMAIL $BENCH/move.lua $(common_lua $MAILLAB_IMAPS_PORT) 1000 BenchMoved" \
	"$REF move -offset $OFFSET -n 1000 -to BenchMoved" move_check

send_prep() { expunge INBOX; }
send_after() { wait_count INBOX 300; }
bench send-300x20KB-starttls "$runs" send_prep \
	"$RUN_ADVMAIL $BENCH/send.lua $(common_lua $MAILLAB_SUBMISSION_PORT) 300 20480" \
	"$REF send -offset $OFFSET -n 300 -size 20480" send_after
if wanted send-300x20KB-starttls; then expunge INBOX; fi

bench empty-start-to-exit "$runs" true_prep \
	"$RUN_ADVMAIL $BENCH/empty.lua" \
	"$TMP/empty"

if [ -z "$only" ] || [[ attachment-1MB-send-receive/attachment-30MB-send-receive/attachment-200MB-send-receive == *"$only"* ]]; then
	big_runs=$((runs < 3 ? runs : 3))
	for mb in 1 30 200; do
		wanted "attachment-${mb}MB-send-receive" || continue
		head -c $((mb * 1000 * 1000)) /dev/urandom >"$TMP/att-$mb.bin"
		mkdir -p "$TMP/out"
		big_prep() { expunge INBOX; rm -f "$TMP"/out/*; }
		big_check() {
			cmp -s "$TMP/att-$mb.bin" "$TMP/out/att-$mb.bin" || ml_log "WARNING attachment-$mb: the saved attachment differs from the sent file"
		}
		WARMUP=0 bench "attachment-${mb}MB-send-receive" "$big_runs" big_prep \
			"$RUN_ADVMAIL $BENCH/big.lua $HOST $(port $MAILLAB_SUBMISSION_PORT) $(port $MAILLAB_POP3S_PORT) $LOGIN $PASS $TMP/att-$mb.bin $TMP/out" \
			"$REF big -offset $OFFSET -file $TMP/att-$mb.bin -out $TMP/out" big_check
		rm -f "$TMP/att-$mb.bin" "$TMP"/out/*
		expunge INBOX
	done
fi

if wanted folders-50-GetFolderList; then
	ml_log "creating 50 subscribed folders with 5 messages each"
	for i in $(seq -w 1 50); do seed "BenchF$i" 5 >/dev/null; done
	"${doveadm[@]}" mailbox subscribe -u "$LOGIN" $(seq -f 'BenchF%02g' 1 50)
fi
bench folders-50-GetFolderList "$runs" true_prep \
	"$RUN_ADVMAIL $BENCH/folders.lua $(common_lua $MAILLAB_IMAPS_PORT) 50" \
	"$REF folders -offset $OFFSET -want 50"
if wanted folders-50-GetFolderList; then delete_bench_folders 'BenchF*'; fi

search_name=search-unread-from-one-sender-of-20000
if [ "$has_searchmsgs" = 1 ]; then
	# Every 100th message is from target@: 200, half of them unread.
	if wanted "$search_name"; then seed_once BenchSearch20000 20000 -target-every 100; fi
	bench "$search_name" "$runs" true_prep \
		"$RUN_ADVMAIL $BENCH/search.lua $(common_lua $MAILLAB_IMAPS_PORT) BenchSearch20000 target@$MAILLAB_DOMAIN 100" \
		"$REF search -offset $OFFSET -folder BenchSearch20000 -from target@$MAILLAB_DOMAIN -want 100"
else
	na "$search_name" "SearchMsgs not built"
fi

if [ "$scale" = 1 ]; then
	for n in 2000 20000 100000; do
		wanted "scale-headers-$n" || continue
		seed_once "BenchSeed$n" "$n"
		bench "scale-headers-$n" "$runs" true_prep \
			"$RUN_ADVMAIL $BENCH/headers.lua $(common_lua $MAILLAB_IMAPS_PORT) BenchSeed$n $n" \
			"$REF headers -offset $OFFSET -folder BenchSeed$n -want $n"
	done
	if wanted scale-folders-1000-GetFolderList; then
		ml_log "creating 1000 subscribed folders with 1 message each"
		"$REF" seed -lab "$LAB" -user "$USER_NAME" -maildir "$MAILDIR" -folders 1000 -folder 'BenchF%04d' -n 1
		chown -R "$MAILLAB_VMAIL_USER:$MAILLAB_VMAIL_USER" "$MAILDIR"
		"${doveadm[@]}" mailbox subscribe -u "$LOGIN" $(seq -f 'BenchF%04g' 1 1000)
		bench scale-folders-1000-GetFolderList "$runs" true_prep \
			"$RUN_ADVMAIL $BENCH/folders.lua $(common_lua $MAILLAB_IMAPS_PORT) 1000" \
			"$REF folders -offset $OFFSET -want 1000"
		delete_bench_folders 'BenchF*'
	fi
fi

expunge INBOX
echo
echo "advmail: $advmail; $runs runs; $(date -u '+%Y-%m-%d %H:%M UTC'); load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
"$REF" report "$RESULTS"
if [ "$keep" = 1 ]; then cp "$RESULTS" "$TMP/results.kept.tsv"; fi
