# shellcheck shell=bash disable=SC2034 # variables are used by the sourcing scripts
# Common settings of the advmail mail lab. Sourced by start.sh, stop.sh,
# reset.sh and install.sh; not meant to be run on its own.

MAILLAB_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)

# Run directory: configs, logs, certificates, queue, mailboxes, sockets.
: "${MAILLAB_DIR:=$MAILLAB_SRC/run}"
case $MAILLAB_DIR in
/*) ;;
*) MAILLAB_DIR=$PWD/$MAILLAB_DIR ;;
esac
MAILLAB_DIR=${MAILLAB_DIR%/}

MAILLAB_HOST=127.0.0.1
MAILLAB_TLS_SERVERNAME=localhost
MAILLAB_DOMAIN=lab.test

# Fixed block of high ports, all on 127.0.0.1.
MAILLAB_SMTP_PORT=10025       # port-25 style: STARTTLS optional, AUTH offered
MAILLAB_SUBMISSION_PORT=10587 # STARTTLS required, AUTH required to send
MAILLAB_SMTPS_PORT=10465      # implicit TLS, AUTH required to send
MAILLAB_IMAP_PORT=10143       # STARTTLS offered
MAILLAB_IMAPS_PORT=10993      # implicit TLS
MAILLAB_POP3_PORT=10110       # STLS offered
MAILLAB_POP3S_PORT=10995      # implicit TLS
MAILLAB_LMTP_PORT=10024       # Dovecot LMTP (Postfix itself uses a unix socket)

MAILLAB_MAX_SIZE=314572800 # Postfix message_size_limit (300 MiB: the lab benchmark sends a 200 MB attachment)

# Users: login (= address), password. Passwords use the {PLAIN} scheme so
# that CRAM-MD5 works. Passwords must not contain ':' (passwd-file syntax).
MAILLAB_USER_NAMES=(alice bob carol dave erin frank grace henry)
declare -A MAILLAB_PASSWORD=(
	[alice]='alice-Secret-1'
	[bob]='bob-Secret-2'
	[carol]='c@rol "p4ss" w0rd' # quotes and spaces: exercises IMAP/SMTP quoting
	# One mailbox each for workloads that empty or fill a whole mailbox, so
	# they never race the tests above: dave (search), grace (IDLE), erin (serve
	# jobs), frank (the lab benchmark), henry (big messages).
	[dave]='dave-Secret-4'
	[erin]='erin-Secret-5'
	[frank]='frank-Secret-6'
	[grace]='grace-Secret-7'
	[henry]='henry-Secret-8'
)

MAILLAB_VMAIL_USER=advmail-vmail
MAILLAB_PACKAGES=(openssl postfix dovecot-core dovecot-imapd dovecot-pop3d dovecot-lmtpd)

# Layout under the run directory.
ML_CA_DIR=$MAILLAB_DIR/ca
ML_CA=$ML_CA_DIR/ca.pem
ML_CA_KEY=$ML_CA_DIR/ca.key
ML_CERT=$ML_CA_DIR/localhost.pem
ML_KEY=$ML_CA_DIR/localhost.key
ML_DOVECOT_DIR=$MAILLAB_DIR/dovecot
ML_DOVECOT_CONF=$ML_DOVECOT_DIR/dovecot.conf
ML_DOVECOT_PASSWD=$ML_DOVECOT_DIR/passwd
ML_DOVECOT_BASE=$ML_DOVECOT_DIR/base # sockets, master.pid
ML_DOVECOT_STATE=$ML_DOVECOT_DIR/state
ML_DOVECOT_LOG=$ML_DOVECOT_DIR/dovecot.log
ML_DOVECOT_PID=$ML_DOVECOT_BASE/master.pid
ML_POSTFIX_DIR=$MAILLAB_DIR/postfix
ML_POSTFIX_CONF=$ML_POSTFIX_DIR/conf
ML_POSTFIX_QUEUE=$ML_POSTFIX_DIR/queue
ML_POSTFIX_DATA=$ML_POSTFIX_DIR/data
ML_POSTFIX_LOG=$ML_POSTFIX_DIR/postfix.log
ML_POSTFIX_PID=$ML_POSTFIX_QUEUE/pid/master.pid
ML_MAIL_DIR=$MAILLAB_DIR/mail
ML_ENV=$MAILLAB_DIR/env
ML_JSON=$MAILLAB_DIR/lab.json

# Debian puts the daemons in sbin; make sure they are found.
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH

ml_log() { printf 'maillab: %s\n' "$*"; }
ml_die() {
	printf 'maillab: error: %s\n' "$*" >&2
	exit 1
}

ml_require_root() {
	[ "$(id -u)" -eq 0 ] || ml_die "must run as root (the lab starts Dovecot and Postfix as root-started daemons); try: sudo $0"
}

# ml_pid_alive PIDFILE NAME: prints the pid if PIDFILE names a live process
# whose command is NAME (guards against pid reuse), else prints nothing.
ml_pid_alive() {
	local file=$1 name=$2 pid comm
	[ -r "$file" ] || return 0
	pid=$(tr -dc '0-9' <"$file")
	[ -n "$pid" ] || return 0
	kill -0 "$pid" 2>/dev/null || return 0
	comm=$(cat "/proc/$pid/comm" 2>/dev/null || true)
	[ "$comm" = "$name" ] || return 0
	printf '%s\n' "$pid"
}

ml_dovecot_pid() { ml_pid_alive "$ML_DOVECOT_PID" dovecot; }
ml_postfix_pid() { ml_pid_alive "$ML_POSTFIX_PID" master; }

# ml_stop_pids NAME PID [NAME PID...]: SIGTERM to all, wait up to 10 s for
# them to exit, then SIGKILL whatever is left.
ml_stop_pids() {
	local -a pids=()
	local i p alive
	while [ "$#" -ge 2 ]; do
		ml_log "stopping $1 (pid $2)"
		kill -TERM "$2" 2>/dev/null && pids+=("$2")
		shift 2
	done
	for ((i = 0; i < 100; i++)); do
		alive=
		for p in "${pids[@]}"; do
			if kill -0 "$p" 2>/dev/null; then alive=1; fi
		done
		[ -z "$alive" ] && return 0
		sleep 0.1
	done
	for p in "${pids[@]}"; do
		if kill -0 "$p" 2>/dev/null; then
			ml_log "pid $p ignored SIGTERM; sending SIGKILL"
			kill -KILL "$p" 2>/dev/null || true
		fi
	done
}

# ml_missing_packages prints the lab packages that are not installed.
ml_missing_packages() {
	local p
	for p in "${MAILLAB_PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || printf '%s\n' "$p"
	done
}

ml_tail_logs() {
	local f
	for f in "$ML_DOVECOT_LOG" "$ML_POSTFIX_LOG"; do
		[ -f "$f" ] || continue
		printf -- '--- last lines of %s ---\n' "$f" >&2
		tail -n "${1:-25}" "$f" >&2
	done
}
