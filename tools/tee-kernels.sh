#!/bin/bash
# The kernels the emulated-TEE tests boot, with the headers to build tests/tee-emul against
# them: Debian 12's 6.1 (the guest kernel of tools/guest-kernel.sh; /dev/sev-guest only),
# bookworm-backports' 6.12 (also configfs-tsm) and trixie-backports' current kernel (6.16 or
# later: also the TDX RTMR sysfs files), which is built with trixie's compiler and so comes
# with a trixie build root. Nothing is installed into the system but debootstrap.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: tools/tee-kernels.sh [-h|--help]

Prepares under ${CWINIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cwinit}:

  kernel/<release>/           vmlinux, version, config, lib/modules/<release>/ (with depmod
                              output), for Debian 12's kernel (tools/guest-kernel.sh), the
                              bookworm-backports kernel that `linux-image-amd64` there points
                              to (6.12; modules are .ko.xz) and the trixie-backports one
                              (6.16 or later; .ko.xz; split into linux-binary-, linux-modules-
                              and linux-base-<release> packages since 7.x)
  kernel-headers/<release>/   linux-headers-<release>, its -common part and linux-kbuild,
                              unpacked with dpkg -x, for `make -C <build dir> M=<module dir>`
                              (6.1 and 6.12)
  build-root/trixie-<key>/    a minimal trixie made with debootstrap, with the compiler the
                              trixie-backports kernel names in its config (gcc-14) and what
                              linux-kbuild's programs need; that kernel's headers are unpacked
                              in it at their own /usr/src paths, so `chroot <root> make -C
                              /usr/src/linux-headers-<release> M=...` builds a module. Keyed
                              by the package list; made once (about 30 s, 370 MB)

Versions are resolved at run time through the `linux-image-amd64` metapackages (Debian drops
superseded kernels from the archive); the .debs stay cached in debs/. bookworm-backports and
trixie-backports are read through private apt lists in apt-backports/ and apt-trixie-backports/;
the system's apt sources are not changed. A second run with everything in place only
re-resolves the versions. Needs root for debootstrap and chroot.

The last seven lines on stdout, for scripts (`eval "$(tools/tee-kernels.sh | tail -n 7)"`):

  TEE_KERNEL_61=<kernel dir of 6.1>      TEE_HEADERS_61=<build dir of 6.1>
  TEE_KERNEL_612=<kernel dir of 6.12>    TEE_HEADERS_612=<build dir of 6.12>
  TEE_KERNEL_TRIXIE=<kernel dir of trixie-backports' kernel>
  TEE_HEADERS_TRIXIE=<its build dir, as seen inside the build root>
  TEE_ROOT_TRIXIE=<the trixie build root>

(one NAME=DIR per line, in that order; the paths contain no spaces or quotes).
EOF
}

die() { echo "tee-kernels.sh: $*" >&2; exit 1; }

case "${1:-}" in
    -h|--help) usage; exit 0 ;;
    "") ;;
    *) usage >&2; exit 2 ;;
esac

here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
# shellcheck source=tools/kernel-lib.sh
. "$here/kernel-lib.sh"

CACHE="${CWINIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cwinit}"
META=linux-image-amd64
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
# How old the private backports list may get before it is refreshed (minutes).
LIST_MAX_AGE=720

export PATH="$PATH:/usr/sbin:/sbin"
need_tool apt-cache apt
need_tool dpkg dpkg
need_tool xz xz-utils
need_tool depmod kmod

# Everything else goes to stderr; stdout carries only the final lines.
exec 3>&1 1>&2

# headers_debs RELEASE VERSION: prints the paths of the .debs of linux-headers-RELEASE at
# VERSION, its -common part and the linux-kbuild package it needs (fetched by kernel_deb).
headers_debs() {
    local release=$1 ver=$2 deps d pkgs
    # linux-headers-<release> names its -common part and the linux-kbuild package it needs.
    deps=$(apt-cache ${KERNEL_APT_OPTS[@]+"${KERNEL_APT_OPTS[@]}"} show \
               "linux-headers-$release=$ver" 2>/dev/null | sed -n 's/^Depends: //p' | head -n 1)
    [ -n "$deps" ] || die "apt knows no linux-headers-$release=$ver"
    pkgs=("linux-headers-$release")
    for d in $(printf '%s\n' "$deps" | tr ',|' '\n' | awk '{ print $1 }'); do
        case "$d" in
            linux-headers-*-common|linux-kbuild-*) pkgs+=("$d") ;;
        esac
    done
    [ ${#pkgs[@]} -eq 3 ] ||
        die "linux-headers-$release=$ver: expected a -common and a linux-kbuild dependency, got: $deps"
    for d in "${pkgs[@]}"; do
        # The three packages come from one source package at one version.
        kernel_deb "$CACHE/debs" "$d" "$ver"
    done
}

# kernel_headers RELEASE VERSION: unpacks the headers of linux-image-RELEASE at VERSION into
# $CACHE/kernel-headers/RELEASE and sets HEADERS to its build directory.
kernel_headers() {
    local release=$1 ver=$2 top build debs deb tmp
    top="$CACHE/kernel-headers/$release"
    build="$top/usr/src/linux-headers-$release"
    HEADERS=$build
    [ -f "$top/.complete" ] && return 0

    debs=$(headers_debs "$release" "$ver")
    mkdir -p "$CACHE/kernel-headers"
    tmp=$(mktemp -d "$CACHE/kernel-headers/.prep.XXXXXX")
    (
        trap 'rm -rf "$tmp"' EXIT
        for deb in $debs; do
            dpkg -x "$deb" "$tmp"
        done
        [ -f "$tmp/usr/src/linux-headers-$release/Makefile" ] ||
            die "linux-headers-$release has no usr/src/linux-headers-$release/Makefile"
        # The flavour's Makefile includes the -common one by absolute path (an installed
        # package's); point it at the unpacked tree's final place.
        sed -i "s|^include /usr/src/|include $top/usr/src/|" \
            "$tmp/usr/src/linux-headers-$release/Makefile"
        grep -q "^include $top/" "$tmp/usr/src/linux-headers-$release/Makefile" ||
            die "unexpected linux-headers-$release Makefile (no include of the -common part)"
        touch "$tmp/.complete"
        rm -rf "$top"
        mv -T "$tmp" "$top" 2>/dev/null || [ -f "$top/.complete" ] || die "could not create $top"
    )
}

# apt_lists SUITE DIR: a private apt configuration in DIR that knows only SUITE of
# deb.debian.org, refreshed when older than LIST_MAX_AGE; sets KERNEL_APT_OPTS.
apt_lists() {
    local suite=$1 dir=$2
    [ -r "$KEYRING" ] || die "$KEYRING missing (package debian-archive-keyring)"
    mkdir -p "$dir/lists/partial" "$dir/parts"
    printf 'deb [signed-by=%s] http://deb.debian.org/debian %s main\n' \
        "$KEYRING" "$suite" >"$dir/sources.list"
    KERNEL_APT_OPTS=(-o "Dir::Etc::SourceList=$dir/sources.list" -o "Dir::Etc::SourceParts=$dir/parts"
                     -o "Dir::State::Lists=$dir/lists" -o "Dir::Cache::pkgcache="
                     -o "Dir::Cache::srcpkgcache=" -o "APT::Sandbox::User=root")
    # apt dates the list files by the archive's Release, so our own stamp tells their age.
    if [ -z "$(find "$dir/updated" -mmin -"$LIST_MAX_AGE" 2>/dev/null)" ]; then
        echo "tee-kernels.sh: updating the private $suite apt list" >&2
        if apt-get "${KERNEL_APT_OPTS[@]}" -q update >"$dir/update.log" 2>&1; then
            touch "$dir/updated"
        else
            # A list from an earlier run still names a kernel, possibly already cached.
            [ -f "$dir/updated" ] ||
                { tail -n 20 "$dir/update.log" >&2; die "apt-get update of $suite failed"; }
            echo "tee-kernels.sh: warning: apt-get update failed; using the older list" >&2
        fi
    fi
}

# trixie_root CC: a minimal trixie with the compiler package CC and what the unpacked kbuild
# programs need, made once per package list; sets ROOT.
trixie_root() {
    local pkgs key tmp
    # linux-kbuild's programs (fixdep, modpost, objtool) link libelf, libssl and zlib (minbase).
    pkgs="$1,make,libelf1t64,libssl3t64"
    key=$(printf 'trixie %s\n' "$pkgs" | sha256sum | cut -c1-12)
    ROOT="$CACHE/build-root/trixie-$key"
    [ -f "$ROOT/.complete" ] && return 0
    need_tool debootstrap debootstrap
    need_tool unshare util-linux
    mkdir -p "$CACHE/build-root"
    tmp=$(mktemp -d "$CACHE/build-root/.new.XXXXXX")
    (
        trap 'rm -rf --one-file-system "$tmp" "$tmp.log"' EXIT
        echo "tee-kernels.sh: making a trixie build root with $pkgs (debootstrap)" >&2
        # debootstrap mounts /proc and /sys inside the new root; in a mount namespace of its
        # own those mounts end with it, even when it is interrupted, and never reach the rm.
        if ! unshare --mount --propagation private debootstrap --variant=minbase \
                --include="$pkgs" --keyring="$KEYRING" trixie "$tmp" \
                http://deb.debian.org/debian >"$tmp.log" 2>&1; then
            tail -n 20 "$tmp.log" >&2
            die "debootstrap of trixie failed"
        fi
        rm -f "$tmp"/var/cache/apt/archives/*.deb
        touch "$tmp/.complete"
        # A concurrent run that finished first wins.
        mv -T "$tmp" "$ROOT" 2>/dev/null || [ -f "$ROOT/.complete" ] || die "could not create $ROOT"
    )
    # Roots made for another package list are of no further use.
    find "$CACHE/build-root" -maxdepth 1 -name 'trixie-*' ! -name "${ROOT##*/}" \
        -exec rm -rf --one-file-system {} +
}

# root_headers ROOT RELEASE VERSION: the headers of linux-image-RELEASE at VERSION unpacked
# into ROOT at their own paths (no path to fix), replacing those of an earlier kernel.
root_headers() {
    local root=$1 release=$2 ver=$3 debs deb
    [ -f "$root/.headers-$release" ] && return 0
    debs=$(headers_debs "$release" "$ver")
    # One unpacking at a time: two would interleave in the same tree.
    (
        flock 9
        [ -f "$root/.headers-$release" ] && exit 0
        rm -rf "$root"/.headers-* "$root"/usr/src/linux-headers-* "$root"/usr/src/linux-kbuild-* \
            "$root"/usr/lib/linux-kbuild-*
        for deb in $debs; do
            dpkg -x "$deb" "$root"
        done
        [ -f "$root/usr/src/linux-headers-$release/Makefile" ] ||
            die "linux-headers-$release has no usr/src/linux-headers-$release/Makefile"
        touch "$root/.headers-$release"
    ) 9>"$root/.lock"
}

# Debian 12's kernel: guest-kernel.sh prepares it; the same metapackage names its headers.
k61=$("$here/guest-kernel.sh" | tail -n 1)
dep=$(kernel_meta_dep "$META")
[ -n "$dep" ] || die "apt finds no candidate for $META (run 'apt-get update' first)"
rel61=$(kernel_release "${dep% *}" linux-image-)
[ "$rel61" = "$(cat "$k61/version")" ] ||
    die "guest-kernel.sh prepared $(cat "$k61/version") but $META now points to $rel61"
kernel_headers "$rel61" "${dep#* }"
h61=$HEADERS

# shellcheck disable=SC1091
host=$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-}")
[ "$host" = bookworm ] || die "the 6.12 kernel is bookworm-backports'; this is '$host'"
apt_lists bookworm-backports "$CACHE/apt-backports"
dep=$(kernel_meta_dep "$META")
[ -n "$dep" ] || die "the bookworm-backports list has no $META depending on a kernel"
pkg=${dep% *}
ver=${dep#* }
rel612=$(kernel_release "$pkg" linux-image-)
k612="$CACHE/kernel/$rel612"
if ! [ -f "$k612/vmlinux" ] || ! [ -f "$k612/lib/modules/$rel612/modules.dep" ]; then
    deb=$(kernel_deb "$CACHE/debs" "$pkg" "$ver")
    kernel_prepare "$deb" "$rel612" "$k612"
fi
kernel_headers "$rel612" "$ver"
h612=$HEADERS

apt_lists trixie-backports "$CACHE/apt-trixie-backports"
dep=$(kernel_meta_dep "$META")
[ -n "$dep" ] || die "the trixie-backports list has no $META depending on a kernel"
pkg=${dep% *}
ver=${dep#* }
reltx=$(kernel_release "$pkg" linux-image-)
# The RTMR files (and the tsm-mr framework behind them) are new in 6.16.
IFS=. read -r major minor _ <<<"${reltx%%[!0-9.]*}"
if ! [ "${major:-0}" -gt 6 ] && ! { [ "${major:-0}" -eq 6 ] && [ "${minor:-0}" -ge 16 ]; }; then
    die "trixie-backports' $META points to $reltx; the tests need 6.16 or later"
fi
ktx="$CACHE/kernel/$reltx"
if ! [ -f "$ktx/vmlinux" ] || ! [ -f "$ktx/lib/modules/$reltx/modules.dep" ]; then
    mapfile -t debs <<<"$(kernel_image_debs "$CACHE/debs" "$pkg" "$ver")"
    kernel_prepare "${debs[0]}" "$reltx" "$ktx" "${debs[@]:1}"
fi
# The compiler the kernel was built with, as its config names it: "x86_64-linux-gnu-gcc-14 (...)".
cc=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\(x86_64-linux-gnu-\)\{0,1\}\(gcc-[0-9][0-9]*\) .*/\2/p' \
         "$ktx/config" 2>/dev/null)
[ -n "$cc" ] || die "$ktx/config names no gcc-<version> in CONFIG_CC_VERSION_TEXT"
trixie_root "$cc"
root_headers "$ROOT" "$reltx" "$ver"

printf 'TEE_KERNEL_61=%s\nTEE_HEADERS_61=%s\nTEE_KERNEL_612=%s\nTEE_HEADERS_612=%s\n' \
    "$k61" "$h61" "$k612" "$h612" >&3
printf 'TEE_KERNEL_TRIXIE=%s\nTEE_HEADERS_TRIXIE=%s\nTEE_ROOT_TRIXIE=%s\n' \
    "$ktx" "/usr/src/linux-headers-$reltx" "$ROOT" >&3
