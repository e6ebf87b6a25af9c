#!/bin/bash
# Fetch Debian 12's generic guest kernel into the cache and prepare it for QEMU:
# an uncompressed ELF vmlinux (boots about twice as fast as the bzImage under
# TCG, no firmware decompression step) and a modules tree with modules.dep.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: tools/guest-kernel.sh [-h|--help]

Resolves the kernel that Debian's `linux-image-amd64` metapackage currently
points to, downloads it with `apt-get download` (the .deb stays cached) and
prepares, under ${CWINIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cwinit}/kernel/<version>/:

  vmlinux                  uncompressed ELF kernel, for `qemu -kernel`
  version                  the kernel release, e.g. 6.1.0-56-amd64
  config                   the kernel's build configuration
  lib/modules/<version>/   the full modules tree, with depmod output

A second run finds the prepared directory and returns at once.
The last line on stdout is that directory.
EOF
}

die() { echo "guest-kernel.sh: $*" >&2; exit 1; }

case "${1:-}" in
    -h|--help) usage; exit 0 ;;
    "") ;;
    *) usage >&2; exit 2 ;;
esac

# shellcheck source=tools/kernel-lib.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/kernel-lib.sh"

META=linux-image-amd64
CACHE="${CWINIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cwinit}"

export PATH="$PATH:/usr/sbin:/sbin"
need_tool apt-cache apt
need_tool dpkg dpkg
need_tool xz xz-utils
need_tool depmod kmod

dep=$(kernel_meta_dep "$META")
[ -n "$dep" ] ||
    die "apt finds no candidate for $META depending on a kernel (run 'apt-get update' first)"
pkg=${dep% *}
pkg_ver=${dep#* }
release=$(kernel_release "$pkg" linux-image-)

out="$CACHE/kernel/$release"
if [ -f "$out/vmlinux" ] && [ -f "$out/lib/modules/$release/modules.dep" ]; then
    echo "$out"
    exit 0
fi

deb=$(kernel_deb "$CACHE/debs" "$pkg" "$pkg_ver")
kernel_prepare "$deb" "$release" "$out"
echo "$out"
