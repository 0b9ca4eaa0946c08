#!/usr/bin/env bash
# Make sure the browser tests can run: Debian's chromium at /usr/bin/chromium (Playwright drives
# it through executable_path; no browser download) and the playwright package in the venv.
# Installs chromium with apt-get when we are root on Debian/Ubuntu, otherwise says what to install.
# Idempotent and quiet when everything is there.
set -euo pipefail
PY=${1:-.venv/bin/python}
CHROMIUM=${LANDREG_CHROMIUM:-/usr/bin/chromium}

if ! "$PY" -c 'import playwright.sync_api' >/dev/null 2>&1; then
  echo "playwright missing: installing it into the venv"
  "$PY" -m pip install -q 'playwright>=1.44'
fi

works() { "$CHROMIUM" --headless --no-sandbox --disable-gpu --dump-dom about:blank >/dev/null 2>&1; }

[ -x "$CHROMIUM" ] && works && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "chromium missing: installing it with apt-get"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  [ -x "$CHROMIUM" ] && works && exit 0
fi
cat >&2 <<MSG
The browser tests need chromium at $CHROMIUM (or LANDREG_CHROMIUM pointing at one).
  Debian:  sudo apt-get install chromium
  Ubuntu:  install a chromium that is not a snap, then export LANDREG_CHROMIUM=/path/to/chromium
Then run the command again.
MSG
exit 1
