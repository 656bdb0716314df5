#!/usr/bin/env bash
# Starts the advmail mail lab: private Dovecot + Postfix instances on
# 127.0.0.1 high ports, with their own CA, configs, logs, queue and
# mailboxes under the run directory (default testdata/maillab/run,
# override with MAILLAB_DIR). Installs the packages when missing.
# The system's own mail setup (/etc/postfix, /etc/dovecot) is never touched.
#
#   testdata/maillab/start.sh        # start (no-op when already running)
#   testdata/maillab/stop.sh         # stop what start.sh started, by pid
#
# Environment: MAILLAB_DIR (run dir), MAILLAB_START_TIMEOUT (seconds to wait
# for every port's greeting, default 30), MAILLAB_DEBUG=1 (verbose Dovecot
# auth/mail/ssl logging).
# Writes $MAILLAB_DIR/env (shell) and $MAILLAB_DIR/lab.json (for Go tests).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

case ${1:-} in
'') ;;
-h | --help)
	sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
	exit 0
	;;
*) ml_die "unknown argument: $1 (see --help)" ;;
esac

ml_require_root
t0=$(date +%s%N)

# --- packages and the mailbox owner ---------------------------------------

if [ -n "$(ml_missing_packages)" ]; then
	"$MAILLAB_SRC/install.sh"
fi
if ! getent passwd "$MAILLAB_VMAIL_USER" >/dev/null; then
	ml_log "creating system user $MAILLAB_VMAIL_USER (owner of the lab mailboxes)"
	useradd --system --user-group --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin --comment 'advmail mail lab mailboxes' "$MAILLAB_VMAIL_USER"
fi
vmail_uid=$(id -u "$MAILLAB_VMAIL_USER")
vmail_gid=$(id -g "$MAILLAB_VMAIL_USER")
for u in dovecot dovenull postfix; do
	getent passwd "$u" >/dev/null || ml_die "system user $u is missing (should come with the dovecot/postfix packages)"
done

# --- run directory ----------------------------------------------------------

if [ ! -d "$MAILLAB_DIR" ]; then
	mkdir -p "$MAILLAB_DIR"
	chmod 0755 "$MAILLAB_DIR"
fi
# The daemons' unprivileged users must reach the run directory.
if ! setpriv --reuid=nobody --regid=nogroup --clear-groups test -x "$MAILLAB_DIR/." 2>/dev/null; then
	ml_die "$MAILLAB_DIR is not reachable by unprivileged users (a parent directory lacks o+x); set MAILLAB_DIR to e.g. /tmp/advmail-maillab"
fi
# Unix socket paths are limited to 107 bytes; Dovecot's longest name under
# base_dir is about 26 bytes.
if [ "${#ML_DOVECOT_BASE}" -gt 78 ]; then
	ml_die "MAILLAB_DIR is too long for unix socket paths ($ML_DOVECOT_BASE); set MAILLAB_DIR to a shorter path, e.g. /tmp/advmail-maillab"
fi

install -d -m 0755 "$ML_CA_DIR" "$ML_DOVECOT_DIR" "$ML_DOVECOT_BASE" "$ML_DOVECOT_STATE" \
	"$ML_POSTFIX_DIR" "$ML_POSTFIX_CONF"
install -d -m 0755 -o root -g root "$ML_POSTFIX_QUEUE" # postfix creates its subdirectories
install -d -m 0700 -o postfix -g postfix "$ML_POSTFIX_DATA"
install -d -m 0700 -o "$vmail_uid" -g "$vmail_gid" "$ML_MAIL_DIR"

# --- certificates -----------------------------------------------------------

gen_ca() {
	ml_log "generating lab CA"
	cat >"$ML_CA_DIR/ca.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
x509_extensions = v3_ca
[dn]
O = advmail
CN = advmail maillab CA
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
EOF
	(umask 077 && openssl genrsa -out "$ML_CA_KEY" 2048 2>/dev/null)
	openssl req -x509 -new -sha256 -days 3650 -config "$ML_CA_DIR/ca.cnf" \
		-key "$ML_CA_KEY" -out "$ML_CA"
	chmod 0644 "$ML_CA"
	rm -f "$ML_CERT"
}

gen_leaf() {
	ml_log "generating localhost certificate"
	cat >"$ML_CA_DIR/localhost.ext" <<'EOF'
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
	(umask 077 && openssl genrsa -out "$ML_KEY" 2048 2>/dev/null)
	openssl req -new -sha256 -key "$ML_KEY" -subj '/O=advmail/CN=localhost' -out "$ML_CA_DIR/localhost.csr"
	openssl x509 -req -sha256 -days 825 -in "$ML_CA_DIR/localhost.csr" \
		-CA "$ML_CA" -CAkey "$ML_CA_KEY" -set_serial "0x$(openssl rand -hex 16)" \
		-extfile "$ML_CA_DIR/localhost.ext" -out "$ML_CERT" 2>/dev/null
	chmod 0644 "$ML_CERT"
	rm -f "$ML_CA_DIR/localhost.csr"
}

if [ ! -s "$ML_CA" ] || [ ! -s "$ML_CA_KEY" ] || ! openssl x509 -in "$ML_CA" -noout -checkend 86400 >/dev/null 2>&1; then
	gen_ca
fi
if [ ! -s "$ML_CERT" ] || [ ! -s "$ML_KEY" ] ||
	! openssl x509 -in "$ML_CERT" -noout -checkend 86400 >/dev/null 2>&1 ||
	! openssl verify -CAfile "$ML_CA" "$ML_CERT" >/dev/null 2>&1 ||
	[ "$(openssl x509 -in "$ML_CERT" -noout -pubkey 2>/dev/null)" != "$(openssl pkey -in "$ML_KEY" -pubout 2>/dev/null)" ]; then
	gen_leaf
fi

# --- configuration ----------------------------------------------------------

# render TEMPLATE OUT: replaces @NAME@ placeholders.
render() {
	local text k
	text=$(<"$MAILLAB_SRC/templates/$1")
	for k in "${!subst[@]}"; do
		text=${text//@"$k"@/"${subst[$k]}"}
	done
	printf '%s\n' "$text" >"$2.tmp"
	mv -f "$2.tmp" "$2"
}

debug=no
[ "${MAILLAB_DEBUG:-}" = 1 ] && debug=yes
declare -A subst=(
	[HOST]=$MAILLAB_HOST [DOMAIN]=$MAILLAB_DOMAIN [DIR]=$MAILLAB_DIR [DEBUG]=$debug
	[SMTP_PORT]=$MAILLAB_SMTP_PORT [SUBMISSION_PORT]=$MAILLAB_SUBMISSION_PORT [SMTPS_PORT]=$MAILLAB_SMTPS_PORT
	[IMAP_PORT]=$MAILLAB_IMAP_PORT [IMAPS_PORT]=$MAILLAB_IMAPS_PORT
	[POP3_PORT]=$MAILLAB_POP3_PORT [POP3S_PORT]=$MAILLAB_POP3S_PORT [LMTP_PORT]=$MAILLAB_LMTP_PORT
	[CERT]=$ML_CERT [KEY]=$ML_KEY [BASE]=$ML_DOVECOT_BASE [STATE]=$ML_DOVECOT_STATE
	[PASSWD]=$ML_DOVECOT_PASSWD [MAIL]=$ML_MAIL_DIR [VMAIL_UID]=$vmail_uid [VMAIL_GID]=$vmail_gid
	[QUEUE]=$ML_POSTFIX_QUEUE [DATA]=$ML_POSTFIX_DATA [MAX_SIZE]=$MAILLAB_MAX_SIZE
)
subst[CONF]=$ML_DOVECOT_CONF
subst[LOG]=$ML_DOVECOT_LOG
render dovecot.conf.in "$ML_DOVECOT_CONF"
subst[CONF]=$ML_POSTFIX_CONF
subst[LOG]=$ML_POSTFIX_LOG
render main.cf.in "$ML_POSTFIX_CONF/main.cf"
render master.cf.in "$ML_POSTFIX_CONF/master.cf"
# postlogd only writes below maillog_file_prefixes (default /var, /dev/stdout).
printf 'maillog_file_prefixes = %s\n' "$ML_POSTFIX_DIR" >>"$ML_POSTFIX_CONF/main.cf"

{
	for n in "${MAILLAB_USER_NAMES[@]}"; do
		printf '%s@%s:{PLAIN}%s::::::\n' "$n" "$MAILLAB_DOMAIN" "${MAILLAB_PASSWORD[$n]}"
	done
} >"$ML_DOVECOT_PASSWD.tmp"
chown root:dovecot "$ML_DOVECOT_PASSWD.tmp"
chmod 0640 "$ML_DOVECOT_PASSWD.tmp"
mv -f "$ML_DOVECOT_PASSWD.tmp" "$ML_DOVECOT_PASSWD"

{
	for n in "${MAILLAB_USER_NAMES[@]}"; do
		printf '%s@%s OK\n' "$n" "$MAILLAB_DOMAIN"
	done
} >"$ML_POSTFIX_CONF/vmailbox"
{
	first=${MAILLAB_USER_NAMES[0]}@$MAILLAB_DOMAIN
	printf 'postmaster@%s %s\n' "$MAILLAB_DOMAIN" "$first"
	printf 'postmaster@localhost %s\n' "$first"
	for n in "${MAILLAB_USER_NAMES[@]}"; do
		printf '%s@localhost %s@%s\n' "$n" "$n" "$MAILLAB_DOMAIN"
	done
} >"$ML_POSTFIX_CONF/valias"
chmod 0644 "$ML_POSTFIX_CONF"/*

# --- start ------------------------------------------------------------------

# port_open PORT: true when something accepts connections on it.
port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$MAILLAB_HOST/$1" 2>/dev/null; }

ensure_free() {
	local p
	for p in "$@"; do
		if port_open "$p"; then
			ml_die "port $MAILLAB_HOST:$p is already in use by another program; stop it first (the lab uses a fixed port block)"
		fi
	done
}

started=()
fail() {
	printf 'maillab: error: %s\n' "$*" >&2
	ml_tail_logs 30
	local pid s stop=()
	for s in "${started[@]}"; do
		case $s in
		dovecot) pid=$(ml_dovecot_pid) ;;
		postfix) pid=$(ml_postfix_pid) ;;
		esac
		if [ -n "$pid" ]; then stop+=("$s" "$pid"); fi
	done
	if [ "${#stop[@]}" -gt 0 ]; then
		ml_log "stopping what this run started"
		ml_stop_pids "${stop[@]}"
	fi
	exit 1
}

# daemon OUTFILE CMD...: starts a daemon with its stdio on OUTFILE, never on
# our own stdout/stderr (the daemons keep them open, which would block a
# caller reading our output through a pipe). Shows problems it reported.
daemon() {
	local out=$1
	shift
	if "$@" </dev/null >"$out" 2>&1; then
		grep -Ei 'warning|error|fatal' "$out" >&2 || true
	else
		cat "$out" >&2
		return 1
	fi
}

dovecot_pid=$(ml_dovecot_pid)
postfix_pid=$(ml_postfix_pid)
# Check every port we are about to bind before starting anything.
[ -n "$dovecot_pid" ] || ensure_free "$MAILLAB_IMAP_PORT" "$MAILLAB_IMAPS_PORT" "$MAILLAB_POP3_PORT" "$MAILLAB_POP3S_PORT" "$MAILLAB_LMTP_PORT"
[ -n "$postfix_pid" ] || ensure_free "$MAILLAB_SMTP_PORT" "$MAILLAB_SUBMISSION_PORT" "$MAILLAB_SMTPS_PORT"

if [ -n "$dovecot_pid" ]; then
	ml_log "dovecot already running (pid $dovecot_pid)"
else
	rm -f "$ML_DOVECOT_PID"
	doveconf -c "$ML_DOVECOT_CONF" -n >/dev/null || fail "dovecot config check failed ($ML_DOVECOT_CONF)"
	ml_log "starting dovecot"
	daemon "$ML_DOVECOT_DIR/start.out" dovecot -c "$ML_DOVECOT_CONF" || fail "dovecot did not start"
	started+=(dovecot)
fi

if [ -n "$postfix_pid" ]; then
	ml_log "postfix already running (pid $postfix_pid)"
else
	ml_log "starting postfix"
	# `postfix start` runs the sanity checks itself and creates the queue.
	daemon "$ML_POSTFIX_DIR/start.out" postfix -c "$ML_POSTFIX_CONF" start || fail "postfix did not start"
	started+=(postfix)
fi

# --- readiness --------------------------------------------------------------

# greeting PORT: first line the server sends on a plain connection.
greeting() {
	# shellcheck disable=SC2016 # expanded by the inner bash
	timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/$2" && IFS= read -r -t 2 l <&3 && printf "%s\n" "${l%$'"'"'\r'"'"'}"' _ "$MAILLAB_HOST" "$1" 2>/dev/null
}
# tls_greeting PORT QUITCMD: first line after an implicit TLS handshake that
# verifies against the lab CA for "localhost".
tls_greeting() {
	printf '%s\r\n' "$2" | timeout 5 openssl s_client -connect "$MAILLAB_HOST:$1" -servername localhost \
		-CAfile "$ML_CA" -verify_return_error -verify_hostname localhost -quiet 2>/dev/null | head -n 1 | tr -d '\r'
}
# starttls_ok PORT PROTO: STARTTLS handshake verifies against the lab CA.
starttls_ok() {
	timeout 5 openssl s_client -connect "$MAILLAB_HOST:$1" -starttls "$2" -servername localhost \
		-CAfile "$ML_CA" -verify_return_error -verify_hostname localhost </dev/null >/dev/null 2>&1
}

# name port kind(plain/tls) expected-prefix quit-command starttls-proto
checks=(
	"smtp $MAILLAB_SMTP_PORT plain 220 QUIT smtp"
	"submission $MAILLAB_SUBMISSION_PORT plain 220 QUIT smtp"
	"smtps $MAILLAB_SMTPS_PORT tls 220 QUIT -"
	"imap $MAILLAB_IMAP_PORT plain * a1_LOGOUT imap"
	"imaps $MAILLAB_IMAPS_PORT tls * a1_LOGOUT -"
	"pop3 $MAILLAB_POP3_PORT plain +OK QUIT pop3"
	"pop3s $MAILLAB_POP3S_PORT tls +OK QUIT -"
	"lmtp $MAILLAB_LMTP_PORT plain 220 QUIT -"
)
deadline=$(($(date +%s) + ${MAILLAB_START_TIMEOUT:-30}))
pending=("${checks[@]}")
while :; do
	next=()
	for c in "${pending[@]}"; do
		read -r name port kind want quit stls <<<"$c"
		quit=${quit//_/ }
		if [ "$kind" = tls ]; then
			line=$(tls_greeting "$port" "$quit" || true)
		else
			line=$(greeting "$port" || true)
		fi
		if [[ $line != "$want"* ]]; then
			next+=("$c")
			continue
		fi
		if [ "$stls" != - ] && ! starttls_ok "$port" "$stls"; then
			next+=("$c")
			continue
		fi
	done
	pending=("${next[@]}")
	[ "${#pending[@]}" -eq 0 ] && break
	if [ "$(date +%s)" -ge "$deadline" ]; then
		names=()
		for c in "${pending[@]}"; do
			read -r name port _ <<<"$c"
			names+=("$name:$port")
		done
		fail "not ready after ${MAILLAB_START_TIMEOUT:-30}s: ${names[*]}"
	fi
	sleep 0.3
done

# --- env and lab.json ---------------------------------------------------------

sq() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
js() {
	local s=${1//\\/\\\\}
	s=${s//\"/\\\"}
	printf '"%s"' "$s"
}
upper() { printf '%s' "${1^^}"; }

doveadm_cmd="doveadm -c $ML_DOVECOT_CONF"
postqueue_cmd="postqueue -c $ML_POSTFIX_CONF"
users_list=()
for n in "${MAILLAB_USER_NAMES[@]}"; do users_list+=("$n@$MAILLAB_DOMAIN"); done

{
	printf '# advmail mail lab, written by testdata/maillab/start.sh. Source it: . %s\n' "$ML_ENV"
	for v in MAILLAB_DIR MAILLAB_HOST MAILLAB_TLS_SERVERNAME MAILLAB_DOMAIN \
		MAILLAB_SMTP_PORT MAILLAB_SUBMISSION_PORT MAILLAB_SMTPS_PORT \
		MAILLAB_IMAP_PORT MAILLAB_IMAPS_PORT MAILLAB_POP3_PORT MAILLAB_POP3S_PORT \
		MAILLAB_LMTP_PORT MAILLAB_MAX_SIZE; do
		printf '%s=%s\n' "$v" "$(sq "${!v}")"
	done
	printf 'MAILLAB_CA=%s\n' "$(sq "$ML_CA")"
	printf 'MAILLAB_USERS=%s\n' "$(sq "${users_list[*]}")"
	for n in "${MAILLAB_USER_NAMES[@]}"; do
		printf 'MAILLAB_%s_USER=%s\n' "$(upper "$n")" "$(sq "$n@$MAILLAB_DOMAIN")"
		printf 'MAILLAB_%s_PASS=%s\n' "$(upper "$n")" "$(sq "${MAILLAB_PASSWORD[$n]}")"
	done
	printf 'MAILLAB_AUTH_MECHS=%s\n' "$(sq 'PLAIN LOGIN CRAM-MD5')"
	printf 'MAILLAB_DOVEADM=%s\n' "$(sq "$doveadm_cmd")"
	printf 'MAILLAB_POSTQUEUE=%s\n' "$(sq "$postqueue_cmd")"
	printf 'MAILLAB_RESET=%s\n' "$(sq "$MAILLAB_SRC/reset.sh")"
	printf 'MAILLAB_DOVECOT_CONF=%s\n' "$(sq "$ML_DOVECOT_CONF")"
	printf 'MAILLAB_POSTFIX_CONF=%s\n' "$(sq "$ML_POSTFIX_CONF")"
	printf 'MAILLAB_DOVECOT_LOG=%s\n' "$(sq "$ML_DOVECOT_LOG")"
	printf 'MAILLAB_POSTFIX_LOG=%s\n' "$(sq "$ML_POSTFIX_LOG")"
	printf 'MAILLAB_JSON=%s\n' "$(sq "$ML_JSON")"
	printf 'export MAILLAB_DIR MAILLAB_HOST MAILLAB_TLS_SERVERNAME MAILLAB_DOMAIN MAILLAB_CA MAILLAB_USERS MAILLAB_AUTH_MECHS\n'
} >"$ML_ENV.tmp"

{
	printf '{\n'
	printf '  "host": %s,\n' "$(js "$MAILLAB_HOST")"
	printf '  "tls_server_name": %s,\n' "$(js "$MAILLAB_TLS_SERVERNAME")"
	printf '  "domain": %s,\n' "$(js "$MAILLAB_DOMAIN")"
	printf '  "ca_file": %s,\n' "$(js "$ML_CA")"
	printf '  "ports": {"smtp": %d, "submission": %d, "smtps": %d, "imap": %d, "imaps": %d, "pop3": %d, "pop3s": %d, "lmtp": %d},\n' \
		"$MAILLAB_SMTP_PORT" "$MAILLAB_SUBMISSION_PORT" "$MAILLAB_SMTPS_PORT" "$MAILLAB_IMAP_PORT" \
		"$MAILLAB_IMAPS_PORT" "$MAILLAB_POP3_PORT" "$MAILLAB_POP3S_PORT" "$MAILLAB_LMTP_PORT"
	printf '  "users": [\n'
	i=0
	for n in "${MAILLAB_USER_NAMES[@]}"; do
		i=$((i + 1))
		sep=,
		[ "$i" -eq "${#MAILLAB_USER_NAMES[@]}" ] && sep=
		printf '    {"name": %s, "address": %s, "login": %s, "password": %s}%s\n' \
			"$(js "$n")" "$(js "$n@$MAILLAB_DOMAIN")" "$(js "$n@$MAILLAB_DOMAIN")" "$(js "${MAILLAB_PASSWORD[$n]}")" "$sep"
	done
	printf '  ],\n'
	printf '  "auth_mechanisms": ["PLAIN", "LOGIN", "CRAM-MD5"],\n'
	printf '  "max_message_size": %d,\n' "$MAILLAB_MAX_SIZE"
	printf '  "mailbox_separator": "/",\n'
	printf '  "special_use": {"sent": "Sent", "drafts": "Drafts", "trash": "Trash", "junk": "Junk"},\n'
	printf '  "doveadm": [%s, %s, %s],\n' '"doveadm"' '"-c"' "$(js "$ML_DOVECOT_CONF")"
	printf '  "reset": %s,\n' "$(js "$MAILLAB_SRC/reset.sh")"
	printf '  "dir": %s,\n' "$(js "$MAILLAB_DIR")"
	printf '  "logs": {"dovecot": %s, "postfix": %s}\n' "$(js "$ML_DOVECOT_LOG")" "$(js "$ML_POSTFIX_LOG")"
	printf '}\n'
} >"$ML_JSON.tmp"
chmod 0644 "$ML_ENV.tmp" "$ML_JSON.tmp"
mv -f "$ML_ENV.tmp" "$ML_ENV"
mv -f "$ML_JSON.tmp" "$ML_JSON"

# --- summary ----------------------------------------------------------------

ms=$((($(date +%s%N) - t0) / 1000000))
elapsed=$((ms / 1000)).$((ms % 1000 / 100))
cat <<EOF
maillab: ready in ${elapsed}s on $MAILLAB_HOST (TLS name localhost, CA $ML_CA)
  SMTP $MAILLAB_SMTP_PORT (STARTTLS optional, AUTH)   submission $MAILLAB_SUBMISSION_PORT (STARTTLS+AUTH required)   SMTPS $MAILLAB_SMTPS_PORT
  IMAP $MAILLAB_IMAP_PORT (STARTTLS)  IMAPS $MAILLAB_IMAPS_PORT   POP3 $MAILLAB_POP3_PORT (STLS)  POP3S $MAILLAB_POP3S_PORT   LMTP $MAILLAB_LMTP_PORT
  users: ${users_list[*]} (passwords in $ML_ENV)   auth: PLAIN LOGIN CRAM-MD5
  env: $ML_ENV   json: $ML_JSON
  logs: $ML_DOVECOT_LOG  $ML_POSTFIX_LOG
  doveadm: $doveadm_cmd ...   reset mailboxes: $MAILLAB_SRC/reset.sh USER...
EOF
