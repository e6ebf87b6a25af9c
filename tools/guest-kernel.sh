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

META=linux-image-amd64
CACHE="${CWINIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cwinit}"

need_tool() {
    local tool=$1 pkg=$2
    command -v "$tool" >/dev/null 2>&1 && return 0
    # The project's scripts must bring their own host tools on a fresh machine.
    [ "$(id -u)" = 0 ] || die "'$tool' is missing: install the Debian package '$pkg'"
    echo "guest-kernel.sh: installing '$pkg' for '$tool'" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$pkg" >&2 ||
        die "could not install '$pkg'"
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' still missing after installing '$pkg'"
}

export PATH="$PATH:/usr/sbin:/sbin"
need_tool apt-cache apt
need_tool dpkg dpkg
need_tool xz xz-utils
need_tool depmod kmod

# The metapackage's candidate depends on exactly one linux-image-<release>
# package at an exact version; one apt-cache call (about 1 s) gives both.
dep=$(apt-cache show --no-all-versions "$META" 2>/dev/null |
      sed -n 's/^Depends:.*\(linux-image-[0-9][^ ,]*\) (= \([^) ]*\)).*/\1 \2/p' | head -n 1 || true)
[ -n "$dep" ] ||
    die "apt finds no candidate for $META depending on a kernel (run 'apt-get update' first)"
pkg=${dep% *}
pkg_ver=${dep#* }
release=${pkg#linux-image-}
case "$release" in
    *[!A-Za-z0-9.+_-]*|"") die "unexpected kernel release name '$release'" ;;
esac

out="$CACHE/kernel/$release"
if [ -f "$out/vmlinux" ] && [ -f "$out/lib/modules/$release/modules.dep" ]; then
    echo "$out"
    exit 0
fi

debdir="$CACHE/debs"
mkdir -p "$debdir"
# apt-get download names the file with ':' in the version escaped as %3a.
deb="$debdir/${pkg}_${pkg_ver//:/%3a}_amd64.deb"
if [ ! -f "$deb" ]; then
    echo "guest-kernel.sh: downloading $pkg $pkg_ver" >&2
    (cd "$debdir" && apt-get download -q "$pkg=$pkg_ver" >&2) ||
        die "apt-get download $pkg=$pkg_ver failed"
    [ -f "$deb" ] || die "apt-get download did not produce $deb"
fi

mkdir -p "$CACHE/kernel"
tmp=$(mktemp -d "$CACHE/kernel/.prep.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

echo "guest-kernel.sh: unpacking $(basename "$deb")" >&2
dpkg -x "$deb" "$tmp/pkg"
bzimage="$tmp/pkg/boot/vmlinuz-$release"
[ -f "$bzimage" ] || die "$deb has no boot/vmlinuz-$release"

# The bzImage carries the kernel as an xz stream after the setup code and the
# decompressor; the first offset whose stream decodes to an ELF is the kernel.
found=
for off in $(LC_ALL=C grep -obUaP '\xFD7zXZ\x00' "$bzimage" | cut -d: -f1); do
    # Process substitution, not a pipe: tail dies of SIGPIPE once xz stops
    # reading at the end of the stream, which pipefail would count as failure.
    if xz -dc --single-stream <(tail -c +"$((off + 1))" "$bzimage") >"$tmp/vmlinux" 2>/dev/null &&
       [ "$(head -c 4 "$tmp/vmlinux" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]; then
        found=$off
        break
    fi
done
[ -n "$found" ] || die "no xz stream in $bzimage decompresses to an ELF kernel"

mkdir -p "$tmp/out/lib/modules"
mv "$tmp/vmlinux" "$tmp/out/vmlinux"
mv "$tmp/pkg/lib/modules/$release" "$tmp/out/lib/modules/$release"
if [ -f "$tmp/pkg/boot/config-$release" ]; then
    mv "$tmp/pkg/boot/config-$release" "$tmp/out/config"
fi
# The package ships no modules.dep; the initramfs builder resolves from it.
depmod -b "$tmp/out" "$release"
echo "$release" >"$tmp/out/version"

# Publish atomically so a half-prepared directory is never taken as complete;
# a concurrent run that finished first wins.
rm -rf "$out.old"
[ -e "$out" ] && mv -T "$out" "$out.old"
mv -T "$tmp/out" "$out" 2>/dev/null || [ -f "$out/vmlinux" ] || die "could not create $out"
rm -rf "$out.old"
echo "$out"
