#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# setup-debian.sh - installs the Debian packages CodeNSM needs to build, test
# and demo.  Safe to run again: it installs only what is missing, and runs
# apt-get update only when something is.
#
#   scripts/setup-debian.sh            build + test dependencies
#   CODENSM_EXTRA_LLVM="19" scripts/setup-debian.sh   also LLVM/Clang 19
set -euo pipefail

packages=(
  build-essential cmake pkg-config git ca-certificates python3
  clang-14 llvm-14-dev llvm-14-tools libclang-rt-14-dev lld-14 clang-format-14 clang-tidy-14
  libclang-14-dev libclang-cpp14-dev
  libcurl4-openssl-dev libcjson-dev libsqlite3-dev sqlite3 libmicrohttpd-dev zlib1g-dev
  nettle-dev libpq-dev postgresql
  gnutls-bin valgrind curl chromium
)
for major in ${CODENSM_EXTRA_LLVM:-}; do
  packages+=("clang-$major" "llvm-$major-dev" "llvm-$major-tools" "libclang-rt-$major-dev" "lld-$major")
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "setup: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
