#!/bin/sh
# Installs Mesa's lavapipe (software Vulkan) from Debian bookworm-backports so the `webgpu`
# backend (Dawn) finds an adapter on CI machines without a GPU. Idempotent; prints what it did.
set -eu
CI_NAME=ci-install-vulkan
. "$(dirname "$0")/ci-apt-lib.sh"

MIN_MESA_MAJOR=25

installed_major() {
  v=$(dpkg-query -W -f='${Status} ${Version}' mesa-vulkan-drivers 2>/dev/null || true)
  case "$v" in
    "install ok installed "*) v=${v#install ok installed }; v=${v#*:}; printf '%s' "${v%%.*}" ;;
    *) printf '' ;;
  esac
}

if [ ! -r /etc/os-release ] || ! grep -q '^ID=debian' /etc/os-release; then
  log "not Debian; skipped (install a Vulkan driver such as Mesa lavapipe >= ${MIN_MESA_MAJOR} yourself)"
  exit 0
fi
codename=$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-}")

major=$(installed_major)
if [ -n "$major" ] && [ "$major" -ge "$MIN_MESA_MAJOR" ]; then
  log "mesa-vulkan-drivers ${major}.x already installed; nothing to do"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  log "not root; skipped (run as root to install mesa-vulkan-drivers from ${codename}-backports)"
  exit 0
fi

if [ "$codename" != bookworm ]; then
  log "Debian ${codename:-unknown}: installing mesa-vulkan-drivers from the default suites"
  retry apt-get update -qq
  retry apt-get install -y -qq mesa-vulkan-drivers
  log "installed mesa-vulkan-drivers $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers)"
  exit 0
fi

# Reuse the mirror apt already uses (deb822 first, then the one-line format), so a proxy or
# snapshot mirror configured on the machine keeps working.
mirror=""
if [ -r /etc/apt/sources.list.d/debian.sources ]; then
  mirror=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' \
    /etc/apt/sources.list.d/debian.sources)
fi
if [ -z "$mirror" ] && [ -r /etc/apt/sources.list ]; then
  mirror=$(awk '$1 == "deb" && $2 !~ /security/ { print $2; exit }' /etc/apt/sources.list)
fi
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian

list=/etc/apt/sources.list.d/bookworm-backports.sources
if grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  log "bookworm-backports already configured"
else
  keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  {
    echo 'Types: deb'
    echo "URIs: ${mirror}"
    echo 'Suites: bookworm-backports'
    echo 'Components: main'
    [ -r "$keyring" ] && echo "Signed-By: ${keyring}"
  } > "$list"
  log "added bookworm-backports from ${mirror} in ${list}"
fi

retry apt-get update -qq
retry apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers
log "installed mesa-vulkan-drivers $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers)"
