#!/usr/bin/env bash
# Installs the Debian packages weir needs to build, test and run its demo.
# Idempotent: packages already present are skipped, so `make` may call it every time.
set -eu
PKGS="build-essential pkg-config libcmocka-dev libpcre2-dev libzstd-dev libsqlite3-dev sqlite3 python3"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "setup: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq $missing >/dev/null
