#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests when it is missing (playwright-core downloads no browser).
set -euo pipefail
CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
echo "ensure-chromium: $CHROMIUM is missing; installing Debian's chromium with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq chromium >/dev/null
[ -x "$CHROMIUM" ] || { echo "ensure-chromium: chromium installed but $CHROMIUM is still missing" >&2; exit 1; }
echo "ensure-chromium: $("$CHROMIUM" --version 2>/dev/null)" >&2
