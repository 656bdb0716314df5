#!/usr/bin/env bash
# Empties lab mailboxes between tests: expunges every message in every
# folder, deletes folders other than INBOX/Sent/Drafts/Trash/Junk, and
# re-subscribes the special-use folders. Works whether or not the lab runs.
#
#   testdata/maillab/reset.sh alice@lab.test bob   # given users ("bob" = bob@lab.test)
#   testdata/maillab/reset.sh                      # every lab user
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

ml_require_root
[ -f "$ML_DOVECOT_CONF" ] || ml_die "no lab config at $ML_DOVECOT_CONF (run start.sh first)"
doveadm=(doveadm -c "$ML_DOVECOT_CONF")

users=("$@")
if [ "${#users[@]}" -eq 0 ]; then
	for n in "${MAILLAB_USER_NAMES[@]}"; do users+=("$n@$MAILLAB_DOMAIN"); done
fi
keep=' INBOX Sent Drafts Trash Junk '
for u in "${users[@]}"; do
	[[ $u == *@* ]] || u=$u@$MAILLAB_DOMAIN
	# Children first (reverse sort), so that parents are empty when deleted.
	mapfile -t boxes < <("${doveadm[@]}" mailbox list -u "$u" | LC_ALL=C sort -r)
	for b in "${boxes[@]}"; do
		[ -n "$b" ] || continue
		if [[ $keep == *" $b "* ]]; then
			"${doveadm[@]}" expunge -u "$u" mailbox "$b" all
		elif ! "${doveadm[@]}" mailbox delete -u "$u" -s "$b" 2>/dev/null; then
			# A parent that existed only through its children is gone by now.
			if "${doveadm[@]}" mailbox list -u "$u" | grep -qxF -- "$b"; then
				"${doveadm[@]}" mailbox delete -u "$u" -s "$b" # show the error
			fi
		fi
	done
	"${doveadm[@]}" mailbox subscribe -u "$u" Sent Drafts Trash Junk
	ml_log "reset $u"
done
