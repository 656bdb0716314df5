#!/usr/bin/env bash
# Installs Debian's postgresql package when missing, without starting the
# system's own cluster (the lab runs a private one).
#
#   testdata/pglab/install.sh
#
# PGLAB_SKIP_APT_UPDATE=1 skips `apt-get update` (when the caller just ran it).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

if pl_bin >/dev/null 2>&1; then
	pl_log "packages present: ${PGLAB_PACKAGES[*]} ($(pl_bin))"
	exit 0
fi
[ "$(id -u)" -eq 0 ] || pl_die "PostgreSQL is not installed and installing it needs root: apt-get install postgresql"
command -v apt-get >/dev/null || pl_die "PostgreSQL is not installed and there is no apt-get; install PostgreSQL and set PGLAB_BIN"

export DEBIAN_FRONTEND=noninteractive
# Keep the package's postinst from starting the system cluster on 5432.
policy=/usr/sbin/policy-rc.d
created_policy=
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# temporary, created by advmail pglab install.sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	created_policy=1
fi
cleanup() { if [ -n "$created_policy" ]; then rm -f "$policy"; fi; }
trap cleanup EXIT

if [ "${PGLAB_SKIP_APT_UPDATE:-}" != 1 ]; then
	apt-get update -qq </dev/null
fi
pl_log "installing: ${PGLAB_PACKAGES[*]}"
apt-get install -y -q --no-install-recommends \
	-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
	"${PGLAB_PACKAGES[@]}" </dev/null || pl_die "apt-get install ${PGLAB_PACKAGES[*]} failed"
pl_bin >/dev/null 2>&1 || pl_die "no initdb under /usr/lib/postgresql/*/bin after installing ${PGLAB_PACKAGES[*]}"
pl_log "installed: ${PGLAB_PACKAGES[*]} ($(pl_bin))"
