#!/usr/bin/env bash
# Installs the mail lab's Debian packages when missing (Postfix, Dovecot,
# OpenSSL) without configuring or starting the system's own mail services.
#
#   testdata/maillab/install.sh
#
# MAILLAB_SKIP_APT_UPDATE=1 skips `apt-get update` (when the caller just ran it).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

ml_require_root
mapfile -t missing < <(ml_missing_packages)
if [ "${#missing[@]}" -eq 0 ]; then
	ml_log "packages present: ${MAILLAB_PACKAGES[*]}"
	exit 0
fi
ml_log "installing: ${missing[*]}"

export DEBIAN_FRONTEND=noninteractive
# Postfix's postinst must not write /etc/postfix/main.cf: "No configuration".
debconf-set-selections <<'EOF'
postfix postfix/main_mailer_type select No configuration
postfix postfix/mailname string localhost
EOF

# Keep the packages' postinst from starting the system-wide daemons on the
# standard ports (we only run private instances). Honour an existing policy.
policy=/usr/sbin/policy-rc.d
created_policy=
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# temporary, created by advmail maillab install.sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	created_policy=1
fi
cleanup() { if [ -n "$created_policy" ]; then rm -f "$policy"; fi; }
trap cleanup EXIT

if [ "${MAILLAB_SKIP_APT_UPDATE:-}" != 1 ]; then
	apt-get update -qq
fi
# --no-remove: never swap out another installed MTA (e.g. exim4) silently.
apt-get install -y -q --no-install-recommends --no-remove \
	-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
	"${missing[@]}" </dev/null ||
	ml_die "apt-get install failed (if another MTA such as exim4 is installed: the lab never removes packages; install postfix yourself)"

mapfile -t still < <(ml_missing_packages)
[ "${#still[@]}" -eq 0 ] || ml_die "packages still missing after apt-get install: ${still[*]}"
ml_log "installed: ${missing[*]}"
