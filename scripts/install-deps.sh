#!/bin/sh
#
# install-deps.sh - install the Debian 12 packages spanlog needs to build,
# test, demo and benchmark.  Idempotent: asks dpkg which packages are
# missing and installs only those (one apt-get update first), silently when
# nothing is missing.  Runs as root, or through sudo when it is there.
#
#   scripts/install-deps.sh            install what is missing
#   scripts/install-deps.sh --check    only list what is missing (exit 1 if any)

set -eu

# Build: compiler, pkg-config and the libraries in the Makefile's PKGS.
# Tests: clang + libclang-rt-14-dev (libFuzzer and the sanitizer runtimes of
# clang 14, Debian 12's default), tshark (cross-checks, capinfos for the
# bench), tcpdump and ndpiReader (libndpi-bin, bench), python3 (test
# scripts), redis (output tests), ieee-data (MAC vendor table), time
# (/usr/bin/time -v for the bench).
PACKAGES="gcc make pkg-config clang libclang-rt-14-dev
libpcap-dev libndpi-dev libndpi-bin libhiredis-dev libmaxminddb-dev
libyaml-dev libssl-dev tshark tcpdump redis-server redis-tools python3
ieee-data time"

check_only=0
case ${1:-} in
--check) check_only=1 ;;
"") ;;
*) echo "usage: $0 [--check]" >&2; exit 1 ;;
esac

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "install-deps.sh: dpkg-query not found; this script is for" \
	    "Debian 12.  Install by hand: $(echo "$PACKAGES" | tr "\n" " ")" >&2
	exit 1
fi

missing=
for p in $PACKAGES; do
	status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	case $status in
	ii*) ;;
	*) missing="$missing $p" ;;
	esac
done

[ -n "$missing" ] || exit 0

if [ "$check_only" = 1 ]; then
	echo "missing packages:$missing"
	exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
	SUDO=
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "install-deps.sh: these packages are missing:$missing" >&2
	echo "install-deps.sh: not root and no sudo; as root run:" >&2
	echo "    apt-get update && apt-get install -y$missing" >&2
	exit 1
fi

echo "install-deps.sh: installing$missing"

# tshark asks whether non-root users may capture; answer "no" up front so
# the install never stops at a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" |
	$SUDO debconf-set-selections 2>/dev/null || true

export DEBIAN_FRONTEND=noninteractive
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
# shellcheck disable=SC2086
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    --no-install-recommends $missing

# Check the result rather than trusting apt's exit status alone.
still=
for p in $missing; do
	status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	case $status in
	ii*) ;;
	*) still="$still $p" ;;
	esac
done
if [ -n "$still" ]; then
	echo "install-deps.sh: still missing after apt-get:$still" >&2
	exit 1
fi
