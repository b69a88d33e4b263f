#!/usr/bin/env bash
# Creates .venv/ (gitignored) with the pinned Python dependencies of the Python target
# (python/requirements.txt): the runtime's and generated package's, pytest, mypy, uvicorn.
# Idempotent: does nothing when .venv already matches the requirements file.
#
# Where pip finds packages: when the machine's pip is configured with a local package index
# (a file:// index-url or extra-index-url, as on the project's machines, where the default index
# is not reachable and pip would only retry and time out), that index becomes the venv's only
# index (written to .venv/pip.conf). Otherwise pip's usual configuration is used unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
REQ=python/requirements.txt
VENV=.venv
STAMP="$VENV/.requirements.sha256"

"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "contractgen needs Python >= 3.11, found " + sys.version.split()[0])'

want="$(sha256sum "$REQ" | cut -d' ' -f1)"
if [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
  echo "python deps: .venv is up to date"
  exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
  if ! "$PYTHON" -m venv "$VENV" 2>/dev/null; then
    # Debian splits venv out of python3; install it like the other system packages.
    SUDO=""; if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    minor="$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends "python${minor}-venv" >/dev/null
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
  fi
fi

# A local index configured for pip (file:// URLs) becomes the venv's only index.
local_index=""
for key in global.index-url global.extra-index-url install.index-url install.extra-index-url; do
  for url in $("$PYTHON" -m pip config get "$key" 2>/dev/null || true); do
    case "$url" in file://*) [ -z "$local_index" ] && local_index="$url" ;; esac
  done
done
if [ -n "$local_index" ]; then
  printf '[global]\nindex-url = %s\nextra-index-url =\n' "$local_index" > "$VENV/pip.conf"
  export PIP_CONFIG_FILE="$VENV/pip.conf" PIP_INDEX_URL="$local_index" PIP_EXTRA_INDEX_URL=""
  echo "python deps: installing from the local index $local_index"
fi

"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQ"
echo "$want" > "$STAMP"
echo "python deps: installed $(grep -c '==' "$REQ") pinned packages into $VENV"
