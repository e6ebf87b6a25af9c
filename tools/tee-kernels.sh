#!/bin/bash
# The kernels the emulated-TEE tests boot, with the headers to build tests/tee-emul against
# them: Debian 12's 6.1 (the guest kernel of tools/guest-kernel.sh; /dev/sev-guest only) and
# bookworm-backports' 6.12 (also configfs-tsm). Nothing is installed into the system.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: tools/tee-kernels.sh [-h|--help]

Prepares under ${CWINIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cwinit}:

  kernel/<release>/           vmlinux, version, config, lib/modules/<release>/ (with depmod
                              output), for Debian 12's kernel (tools/guest-kernel.sh) and for
                              the bookworm-backports kernel that `linux-image-amd64` there
                              points to (6.12; modules are .ko.xz)
  kernel-headers/<release>/   linux-headers-<release>, its -common part and linux-kbuild,
                              unpacked with dpkg -x, for `make -C <build dir> M=<module dir>`

Versions are resolved at run time through the `linux-image-amd64` metapackages (Debian drops
superseded kernels from the archive); the .debs stay cached in debs/. bookworm-backports is
read through a private apt list in apt-backports/; the system's apt sources are not changed.
A second run with everything in place only re-resolves the versions.

The last four lines on stdout, for scripts (`eval "$(tools/tee-kernels.sh | tail -n 4)"`):

  TEE_KERNEL_61=<kernel dir of 6.1>      TEE_HEADERS_61=<build dir of 6.1>
  TEE_KERNEL_612=<kernel dir of 6.12>    TEE_HEADERS_612=<build dir of 6.12>

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

# kernel_headers RELEASE VERSION: unpacks the headers of linux-image-RELEASE at VERSION into
# $CACHE/kernel-headers/RELEASE and sets HEADERS to its build directory.
kernel_headers() {
    local release=$1 ver=$2 top build deps d deb pkgs tmp
    top="$CACHE/kernel-headers/$release"
    build="$top/usr/src/linux-headers-$release"
    HEADERS=$build
    [ -f "$top/.complete" ] && return 0

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

    mkdir -p "$CACHE/kernel-headers"
    tmp=$(mktemp -d "$CACHE/kernel-headers/.prep.XXXXXX")
    (
        trap 'rm -rf "$tmp"' EXIT
        for d in "${pkgs[@]}"; do
            # The three packages come from one source package at one version.
            deb=$(kernel_deb "$CACHE/debs" "$d" "$ver")
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

# backports_lists: a private apt configuration that knows only bookworm-backports.
backports_lists() {
    local dir="$CACHE/apt-backports" suite
    # shellcheck disable=SC1091
    suite=$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-}")
    [ "$suite" = bookworm ] || die "the backports kernel is bookworm-backports; this is '$suite'"
    [ -r "$KEYRING" ] || die "$KEYRING missing (package debian-archive-keyring)"
    mkdir -p "$dir/lists/partial" "$dir/parts"
    printf 'deb [signed-by=%s] http://deb.debian.org/debian %s-backports main\n' \
        "$KEYRING" "$suite" >"$dir/sources.list"
    KERNEL_APT_OPTS=(-o "Dir::Etc::SourceList=$dir/sources.list" -o "Dir::Etc::SourceParts=$dir/parts"
                     -o "Dir::State::Lists=$dir/lists" -o "Dir::Cache::pkgcache="
                     -o "Dir::Cache::srcpkgcache=" -o "APT::Sandbox::User=root")
    # apt dates the list files by the archive's Release, so our own stamp tells their age.
    if [ -z "$(find "$dir/updated" -mmin -"$LIST_MAX_AGE" 2>/dev/null)" ]; then
        echo "tee-kernels.sh: updating the private $suite-backports apt list" >&2
        if apt-get "${KERNEL_APT_OPTS[@]}" -q update >"$dir/update.log" 2>&1; then
            touch "$dir/updated"
        else
            # A list from an earlier run still names a kernel, possibly already cached.
            [ -f "$dir/updated" ] ||
                { tail -n 20 "$dir/update.log" >&2; die "apt-get update of $suite-backports failed"; }
            echo "tee-kernels.sh: warning: apt-get update failed; using the older list" >&2
        fi
    fi
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

backports_lists
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

printf 'TEE_KERNEL_61=%s\nTEE_HEADERS_61=%s\nTEE_KERNEL_612=%s\nTEE_HEADERS_612=%s\n' \
    "$k61" "$h61" "$k612" "$h612" >&3
