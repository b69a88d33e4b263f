#!/usr/bin/env bash
# Debian packages the test suite needs and npm cannot provide: Chromium for the browser test of
# the generated client, redis-server for the Redis session store suites (tests/redis start their
# own redis-server child processes; the package's system service is not used). `npm test` runs
# this first. Idempotent: installs only what is missing, and does nothing when all is there.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)

if [ ${#need[@]} -eq 0 ]; then
  echo "system deps: all present"
  exit 0
fi
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
  else
    echo "system deps: the tests need ${need[*]} (Debian packages), and installing them needs root." >&2
    echo "  Run this once as root (or with sudo), then npm test again:" >&2
    echo "    apt-get update && apt-get install -y --no-install-recommends ${need[*]}" >&2
    exit 1
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "system deps: ${need[*]} missing and apt-get not found; install them with this system's package manager" >&2
  exit 1
fi
echo "system deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
for tool in chromium redis-server; do
  command -v "$tool" >/dev/null 2>&1 || { echo "system deps: $tool is still not on PATH after installing; the tests cannot run without it" >&2; exit 1; }
done
echo "system deps: installed ${need[*]}"
