#!/bin/sh
# Installs Debian's OpenBLAS headers and library so `pnpm install` builds @fedtune/native-blas (the
# optional native matmul path). Idempotent; prints what it did. Without it the install still
# succeeds and training uses the WebAssembly kernels.
set -eu
CI_NAME=ci-install-openblas
. "$(dirname "$0")/ci-apt-lib.sh"

if [ ! -r /etc/os-release ] || ! grep -q '^ID=debian' /etc/os-release; then
  log "not Debian; skipped (install OpenBLAS with its headers and pkg-config file yourself)"
  exit 0
fi
if dpkg-query -W -f='${Status}' libopenblas-dev 2>/dev/null | grep -q 'install ok installed'; then
  log "libopenblas-dev $(dpkg-query -W -f='${Version}' libopenblas-dev) already installed; nothing to do"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  log "not root; skipped (run as root to install libopenblas-dev)"
  exit 0
fi
retry apt-get update -qq
# node-gyp needs Python, make and a C/C++ toolchain besides the library.
retry apt-get install -y -qq libopenblas-dev pkg-config python3 g++ make
log "installed libopenblas-dev $(dpkg-query -W -f='${Version}' libopenblas-dev)"
