#!/bin/sh
# Installs Debian's Chromium so the dashboard test (test/dashboard-browser.e2e.test.ts) can drive a
# real browser through playwright-core (no browser download: playwright's own fails offline).
# Idempotent; prints what it did. Without it the test says why it skipped.
set -eu
CI_NAME=ci-install-chromium
. "$(dirname "$0")/ci-apt-lib.sh"

if command -v chromium >/dev/null 2>&1; then
  log "$(chromium --version 2>/dev/null || echo chromium) already installed; nothing to do"
  exit 0
fi
if [ ! -r /etc/os-release ] || ! grep -q '^ID=debian' /etc/os-release; then
  log "not Debian; skipped (install Chromium yourself, or set FEDTUNE_CHROMIUM to its path)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  log "not root; skipped (run as root to install Debian's chromium)"
  exit 0
fi
retry apt-get update -qq
retry apt-get install -y -qq --no-install-recommends chromium
log "installed $(chromium --version 2>/dev/null || dpkg-query -W -f='chromium ${Version}' chromium)"
