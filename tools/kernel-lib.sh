# shellcheck shell=bash
# Functions shared by the kernel fetchers (tools/guest-kernel.sh, tools/tee-kernels.sh).
# Sourced, not run. The caller sets `set -euo pipefail` and defines die().
#
# KERNEL_APT_OPTS (an array, empty by default) holds extra apt options, such as a temporary
# sources list for bookworm-backports; every apt call below passes them.

KERNEL_APT_OPTS=(${KERNEL_APT_OPTS[@]+"${KERNEL_APT_OPTS[@]}"})

# need_tool TOOL PACKAGE: installs the Debian package that provides TOOL when it is missing.
need_tool() {
    local tool=$1 pkg=$2
    command -v "$tool" >/dev/null 2>&1 && return 0
    # The project's scripts must bring their own host tools on a fresh machine.
    [ "$(id -u)" = 0 ] || die "'$tool' is missing: install the Debian package '$pkg'"
    echo "${0##*/}: installing '$pkg' for '$tool'" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$pkg" >&2 ||
        die "could not install '$pkg'"
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' still missing after installing '$pkg'"
}

# kernel_meta_dep META: prints "<package> <version>" of the linux-image-<release> package that
# the candidate of metapackage META depends on, or nothing when apt knows no such candidate.
kernel_meta_dep() {
    # The metapackage's candidate depends on exactly one linux-image-<release> package at an
    # exact version; one apt-cache call (about 1 s) gives both.
    apt-cache ${KERNEL_APT_OPTS[@]+"${KERNEL_APT_OPTS[@]}"} show --no-all-versions "$1" 2>/dev/null |
        sed -n 's/^Depends:.*\(linux-image-[0-9][^ ,]*\) (= \([^) ]*\)).*/\1 \2/p' | head -n 1 || true
}

# kernel_release PACKAGE PREFIX: the release part of a package name (linux-image-6.1.0-56-amd64
# with prefix linux-image- gives 6.1.0-56-amd64), checked to be a plain file-name component.
kernel_release() {
    local release=${1#"$2"}
    case "$release" in
        *[!A-Za-z0-9.+_-]*|""|.*) die "unexpected kernel release name '$release' in '$1'" ;;
    esac
    printf '%s\n' "$release"
}

# kernel_deb DEBDIR PACKAGE VERSION: prints the path of the package's .deb in DEBDIR,
# downloading it with `apt-get download` first when it is not there yet.
kernel_deb() {
    local debdir=$1 pkg=$2 ver=$3 tmp found
    # apt-get download names the file with ':' in the version escaped as %3a; the
    # architecture part is amd64 or all.
    local pattern="${pkg}_${ver//:/%3a}_"
    mkdir -p "$debdir"
    found=$(find -H "$debdir" -maxdepth 1 -type f -name "${pattern}*.deb" | head -n 1)
    if [ -z "$found" ]; then
        echo "${0##*/}: downloading $pkg $ver" >&2
        # A private directory, so a concurrent or interrupted download never leaves a
        # partial file under the final name.
        tmp=$(mktemp -d "$debdir/.dl.XXXXXX")
        if ! (cd "$tmp" && apt-get ${KERNEL_APT_OPTS[@]+"${KERNEL_APT_OPTS[@]}"} download -q \
                "$pkg=$ver" >&2); then
            rm -rf "$tmp"
            die "apt-get download $pkg=$ver failed"
        fi
        found=$(find "$tmp" -maxdepth 1 -type f -name "${pattern}*.deb" | head -n 1)
        [ -n "$found" ] || { rm -rf "$tmp"; die "apt-get download $pkg=$ver produced no .deb"; }
        mv "$found" "$debdir/"
        found="$debdir/${found##*/}"
        rm -rf "$tmp"
    fi
    printf '%s\n' "$found"
}

# kernel_image_debs DEBDIR PACKAGE VERSION: prints the paths of linux-image-<release>'s .debs
# (fetched by kernel_deb): the package itself and, where the kernel is split (trixie-backports'
# 7.x), the linux-binary-, linux-modules- and linux-base-<release> it depends on.
kernel_image_debs() {
    local debdir=$1 pkg=$2 ver=$3 dep dver
    kernel_deb "$debdir" "$pkg" "$ver"
    apt-cache ${KERNEL_APT_OPTS[@]+"${KERNEL_APT_OPTS[@]}"} show "$pkg=$ver" 2>/dev/null |
        awk -v rel="${pkg#linux-image-}" '
            /^Depends: / {
                sub(/^Depends: /, "")
                n = split($0, d, / *, */)
                for (i = 1; i <= n; i++) {
                    split(d[i], w, " ")
                    if (w[1] != "linux-binary-" rel && w[1] != "linux-modules-" rel &&
                        w[1] != "linux-base-" rel)
                        continue
                    v = d[i]; sub(/.*\(= */, "", v); sub(/\).*/, "", v)
                    print w[1], v
                }
                exit
            }' |
        while read -r dep dver; do kernel_deb "$debdir" "$dep" "$dver"; done
}

# kernel_extract_vmlinux BZIMAGE OUT: writes the uncompressed ELF kernel inside BZIMAGE to OUT.
# It boots about twice as fast as the bzImage under TCG (no decompression step).
kernel_extract_vmlinux() {
    local bzimage=$1 out=$2 setup off len start magic
    # x86 boot protocol (2.08+): setup_sects @0x1F1 (0 means 4), then payload_offset @0x248
    # and payload_length @0x24C, counted from the protected-mode code after the setup sectors.
    setup=$(od -An -tu1 -j $((0x1F1)) -N 1 "$bzimage" | tr -d ' \n')
    off=$(od -An -tu4 -j $((0x248)) -N 4 "$bzimage" | tr -d ' \n')
    len=$(od -An -tu4 -j $((0x24C)) -N 4 "$bzimage" | tr -d ' \n')
    if [ -z "$setup" ] || [ -z "$off" ] || [ -z "$len" ] || [ "$len" -le 4 ]; then
        die "$bzimage is not a bzImage with a payload"
    fi
    [ "$setup" != 0 ] || setup=4
    start=$(( (setup + 1) * 512 + off ))
    magic=$(od -An -tx1 -j "$start" -N 4 "$bzimage" | tr -d ' \n')
    # The build appends the uncompressed size (4 bytes) to the compressed stream.
    dd if="$bzimage" bs=64K iflag=skip_bytes,count_bytes skip="$start" count=$((len - 4)) \
        status=none >"$out.payload"
    case "$magic" in
        fd377a58) xz -dc --single-stream "$out.payload" >"$out" ;;   # Debian 12's 6.1
        28b52ffd) need_tool zstd zstd; zstd -dcq "$out.payload" >"$out" ;; # backports' 6.12
        *) rm -f "$out.payload"; die "$bzimage: payload compression with magic $magic is not handled" ;;
    esac
    rm -f "$out.payload"
    [ "$(head -c 4 "$out" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ] ||
        die "the payload of $bzimage did not decompress to an ELF kernel"
}

# kernel_prepare DEB RELEASE OUT [DEB...]: unpacks a linux-image .deb into OUT (vmlinux,
# version, config, lib/modules/RELEASE with depmod output), published atomically so a
# half-prepared directory is never taken as complete. Later kernels split the image into
# packages (linux-image-RELEASE depends on linux-binary-, linux-modules- and linux-base-RELEASE,
# trixie-backports' 7.x): pass them all, in any order.
kernel_prepare() {
    local deb=$1 release=$2 out=$3 tmp
    shift 3
    mkdir -p "$(dirname "$out")"
    tmp=$(mktemp -d "$(dirname "$out")/.prep.XXXXXX")
    # A subshell, so the cleanup trap does not replace the caller's.
    (
        trap 'rm -rf "$tmp"' EXIT
        local d bzimage='' config='' mods='' p
        for d in "$deb" "$@"; do
            echo "${0##*/}: unpacking $(basename "$d")" >&2
            dpkg -x "$d" "$tmp/pkg"
        done
        # Debian 12 and bookworm-backports: /boot and /lib/modules; the split packages put
        # everything under /usr/lib/modules/RELEASE.
        for p in "boot/vmlinuz-$release" "usr/lib/modules/$release/vmlinuz"; do
            [ -f "$tmp/pkg/$p" ] && bzimage="$tmp/pkg/$p"
        done
        for p in "boot/config-$release" "usr/lib/modules/$release/config"; do
            [ -f "$tmp/pkg/$p" ] && config="$tmp/pkg/$p"
        done
        for p in "lib/modules/$release" "usr/lib/modules/$release"; do
            [ -d "$tmp/pkg/$p/kernel" ] && mods="$tmp/pkg/$p"
        done
        [ -n "$bzimage" ] || die "no vmlinuz for $release in $deb $*"
        [ -n "$mods" ] || die "no modules for $release in $deb $*"
        mkdir -p "$tmp/out/lib/modules"
        kernel_extract_vmlinux "$bzimage" "$tmp/out/vmlinux"
        [ -z "$config" ] || mv "$config" "$tmp/out/config"
        rm -f "$mods/vmlinuz"
        mv "$mods" "$tmp/out/lib/modules/$release"
        # The package ships no modules.dep; the initramfs builder resolves from it.
        depmod -b "$tmp/out" "$release"
        echo "$release" >"$tmp/out/version"
        # A concurrent run that finished first wins.
        rm -rf "$out.old"
        [ -e "$out" ] && mv -T "$out" "$out.old"
        mv -T "$tmp/out" "$out" 2>/dev/null || [ -f "$out/vmlinux" ] || die "could not create $out"
        rm -rf "$out.old"
    )
}
