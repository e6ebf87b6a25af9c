#!/bin/bash
# Installs the Debian packages cwinit's build, demo and tests need, only
# those that are missing, so a second run costs nothing.
set -euo pipefail

packages=(
    build-essential cmake pkg-config file
    libcryptsetup-dev libblkid-dev libcurl4-openssl-dev libssl-dev libcjson-dev
    libc-ares-dev
    qemu-system-x86 cryptsetup-bin e2fsprogs socat busybox-static kmod xz-utils
    python3 python3-cryptography python3-jwcrypto valgrind openssl
    clang libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends "${missing[@]}" >&2; then
    apt-get update >&2
    apt-get install -y --no-install-recommends "${missing[@]}" >&2
fi
