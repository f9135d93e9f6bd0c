#!/usr/bin/env bash
# Make sure the Debian packages docflow needs are on this machine.
#   scripts/system-deps.sh run    -> what `make run` needs (fonts with Kazakh glyphs, Pango)
#   scripts/system-deps.sh test   -> plus PostgreSQL, Redis, Chromium and poppler-utils
# As root on Debian they are installed with apt-get; otherwise the exact command is printed and
# the script fails, so nothing is skipped silently.
set -euo pipefail
what=${1:-run}

need=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
check() { have_pkg "$1" || need+=("$1"); }

check fonts-dejavu-core
check fonts-noto-core
check libpango-1.0-0
check libpangoft2-1.0-0
check tzdata
# the Makefile makes .venv with Debian's python3 (see PYTHON there): its venv module
[ -x /usr/bin/python3 ] && check python3-venv
if [ "$what" = test ]; then
  check postgresql
  check redis-server
  check chromium
  check poppler-utils
  # a font that is neither DejaVu nor Noto, for the PDF font check's own test
  # (tests/documents/test_integrity.py); chromium only recommends it
  check fonts-liberation
  # node and npm install axe-core (tests/ui); a nodejs that bundles npm is enough
  command -v node >/dev/null || need+=(nodejs)
  command -v npm >/dev/null || need+=(npm)
fi

[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Debian packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # The cluster Debian creates is not used: the tests start their own servers on loopback.
  exit 0
fi

echo "docflow needs these Debian packages: ${need[*]}" >&2
echo "Install them with:  sudo apt-get install -y ${need[*]}" >&2
exit 1
