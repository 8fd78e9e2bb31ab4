#!/usr/bin/env bash
# Install Debian's chromium for the real-browser test of the board report (tests/test_browser.py).
# Idempotent: does nothing when /usr/bin/chromium is already there. Needs root (apt-get).
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  echo "chromium is already installed: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-chromium.sh: run as root (it uses apt-get), or install Debian's chromium package yourself" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends chromium fonts-dejavu-core
/usr/bin/chromium --version
