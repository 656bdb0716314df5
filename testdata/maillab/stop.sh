#!/usr/bin/env bash
# Stops the advmail mail lab started by start.sh: signals the Dovecot and
# Postfix master processes named in the run directory's pid files (checking
# the pid still belongs to that daemon), waits for them to exit and for the
# lab ports to close, then removes $MAILLAB_DIR/env and lab.json.
# Harmless when nothing is running. Mailboxes, logs and the CA are kept;
# delete the run directory to start from scratch.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

ml_require_root
rm -f "$ML_ENV" "$ML_JSON"

stop=()
pid=$(ml_postfix_pid)
if [ -n "$pid" ]; then stop+=(postfix "$pid"); fi
pid=$(ml_dovecot_pid)
if [ -n "$pid" ]; then stop+=(dovecot "$pid"); fi
if [ "${#stop[@]}" -eq 0 ]; then
	ml_log "not running (run dir $MAILLAB_DIR)"
	exit 0
fi
ml_stop_pids "${stop[@]}"

# Children (login processes, smtpd) close their listeners shortly after the
# master; wait so that an immediate start.sh finds the ports free.
ports=("$MAILLAB_SMTP_PORT" "$MAILLAB_SUBMISSION_PORT" "$MAILLAB_SMTPS_PORT" "$MAILLAB_IMAP_PORT"
	"$MAILLAB_IMAPS_PORT" "$MAILLAB_POP3_PORT" "$MAILLAB_POP3S_PORT" "$MAILLAB_LMTP_PORT")
for ((i = 0; i < 100; i++)); do
	busy=
	for p in "${ports[@]}"; do
		if timeout 2 bash -c "exec 3<>/dev/tcp/$MAILLAB_HOST/$p" 2>/dev/null; then busy=$p; break; fi
	done
	[ -z "$busy" ] && break
	sleep 0.1
done
[ -z "$busy" ] || ml_log "warning: port $busy still answers after stop"
ml_log "stopped"
