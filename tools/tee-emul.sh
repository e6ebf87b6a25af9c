#!/bin/bash
# Builds the TEST-ONLY TEE emulation module (tests/tee-emul) for the kernels of
# tools/tee-kernels.sh, makes the test keys once, and writes the env file tests source.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: tools/tee-emul.sh [-h|--help]

Builds tests/tee-emul/tee_emul.ko for Debian 12's 6.1 kernel, bookworm-backports' 6.12 and
trixie-backports' current kernel (6.16 or later; built chrooted in the trixie build root that
tools/tee-kernels.sh makes), generates the test keys once, and writes everything tests need
into an env file. Under
${CWINIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cwinit}/tee-emul/:

  keys/          test keys, made once with openssl (never in the source tree):
                   vcek.key.pem, vcek.pub.pem, vcek.der, vcek.crt.pem  P-384 test VCEK and its
                                                                       self-signed certificate
                   attest.key.pem, attest.pub.pem                      P-256 TDX attestation key
  <release>-<hash>/
                 one build per kernel, keyed by the module sources and the kernel release:
                   tee_emul.ko, and lib/modules/<release>/, the kernel's modules tree
                   (hard links) with extra/tee_emul.ko and a new modules.dep, so
                   `initramfs/mkinitramfs --kernel-modules <that dir> --module tee_emul`
                   pulls in its dependencies (ecc on 6.1; tsm and configfs on 6.12;
                   tsm_report and configfs on the trixie kernel)
  env            shell variables (source it); the last line on stdout is its path

The env file's variables (_61, _612 and _TRIXIE for each kernel):

  TEE_EMUL_KERNEL_61, _612, _TRIXIE      kernel dirs: vmlinux, version, config
  TEE_EMUL_MODULES_61, _612, _TRIXIE     modules trees with tee_emul, for --kernel-modules
  TEE_EMUL_KO_61, _612, _TRIXIE          the built modules
  TEE_EMUL_MODULE_NAMES     "sha512_generic tee_emul": the --module names for 6.1 and 6.12
                            (sha384 is a module on 6.1 that nothing names; built in on 6.12)
  TEE_EMUL_MODULE_NAMES_TRIXIE   "tee_emul" (that kernel has no sha512_generic at all)
  TEE_EMUL_VCEK_KEY         VCEK private scalar, 96 hex digits
  TEE_EMUL_VCEK_CERT        VCEK certificate, DER as hex
  TEE_EMUL_VCEK_CERT_DER, TEE_EMUL_VCEK_CERT_PEM, TEE_EMUL_VCEK_PUB_PEM   files for brokers
  TEE_EMUL_ATTEST_KEY       TDX attestation private scalar, 64 hex digits
  TEE_EMUL_ATTEST_PUB_PEM   its public key
  TEE_EMUL_SNP_APPEND       kernel command-line words for mode snp: mode, key, certificate
  TEE_EMUL_TDX_APPEND       kernel command-line words for mode tdx: mode, key

Environment:
  CWINIT_CACHE   cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/cwinit)
EOF
}

die() { echo "tee-emul.sh: $*" >&2; exit 1; }

case "${1:-}" in
    -h|--help) usage; exit 0 ;;
    "") ;;
    *) usage >&2; exit 2 ;;
esac

here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
top=$(dirname "$here")
src="$top/tests/tee-emul"
# shellcheck source=tools/kernel-lib.sh
. "$here/kernel-lib.sh"

CACHE="${CWINIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cwinit}"
BASE="$CACHE/tee-emul"

export PATH="$PATH:/usr/sbin:/sbin"
need_tool make make
need_tool strip binutils
need_tool gcc-12 gcc-12
need_tool openssl openssl
need_tool modinfo kmod
need_tool unshare util-linux

# The kbuild programs come unpacked, not installed, so apt did not bring their libraries.
missing=$(for pkg in libelf1 libssl3 zlib1g; do
              dpkg-query -W -f='${db:Status-Status}\n' "$pkg" 2>/dev/null | grep -qx installed ||
                  printf '%s ' "$pkg"
          done)
if [ -n "$missing" ]; then
    [ "$(id -u)" = 0 ] || die "missing packages: $missing(the kernel's build programs need them)"
    # shellcheck disable=SC2086  # a list of package names
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >&2 || die "could not install $missing"
fi

# Everything else goes to stderr; stdout carries only the env file's path.
exec 3>&1 1>&2

# hex_scalar KEYFILE DIGITS: the private scalar of an EC key as exactly DIGITS hex digits.
hex_scalar() {
    local hex
    hex=$(openssl pkey -in "$1" -noout -text |
          sed -n '/^priv:/,/^pub:/p' | sed '1d;$d' | tr -d ' :\n')
    # openssl may print a leading zero byte; the value itself is below the group order.
    while [ ${#hex} -gt "$2" ] && [ "${hex:0:2}" = 00 ]; do hex=${hex:2}; done
    while [ ${#hex} -lt "$2" ]; do hex=0$hex; done
    if ! [[ "$hex" =~ ^[0-9a-f]+$ ]] || [ ${#hex} -ne "$2" ]; then
        die "cannot read the private key of $1"
    fi
    printf '%s\n' "$hex"
}

make_keys() {
    local keys="$BASE/keys" tmp
    [ -f "$keys/attest.pub.pem" ] && return 0
    mkdir -p "$BASE"
    tmp=$(mktemp -d "$BASE/.keys.XXXXXX")
    chmod 700 "$tmp"
    echo "tee-emul.sh: generating the test keys" >&2
    (
        cd "$tmp"
        openssl ecparam -name secp384r1 -genkey -noout -out vcek.key.pem
        openssl pkey -in vcek.key.pem -pubout -out vcek.pub.pem
        # A self-signed root: the broker's test chain is this one certificate.
        cat >vcek.cnf <<'EOF'
[req]
distinguished_name = dn
x509_extensions = ext
prompt = no
[dn]
CN = cwinit TEST-ONLY VCEK
[ext]
basicConstraints = critical,CA:true
keyUsage = critical,digitalSignature,keyCertSign
subjectKeyIdentifier = hash
EOF
        openssl req -new -x509 -key vcek.key.pem -config vcek.cnf -sha384 -days 36500 \
            -set_serial 1 -outform DER -out vcek.der
        openssl x509 -inform DER -in vcek.der -out vcek.crt.pem
        openssl ecparam -name prime256v1 -genkey -noout -out attest.key.pem
        openssl pkey -in attest.key.pem -pubout -out attest.pub.pem
        rm vcek.cnf
    ) >"$tmp.log" 2>&1 || { cat "$tmp.log" >&2; rm -rf "$tmp" "$tmp.log"; die "openssl failed"; }
    rm -f "$tmp.log"
    # A concurrent run that finished first wins.
    mv -T "$tmp" "$keys" 2>/dev/null || { rm -rf "$tmp"; [ -f "$keys/attest.pub.pem" ] ||
        die "could not create $keys"; }
}

# dep_line MODULES_DEP "NAME...": the dependency part of a modules.dep line for a module that
# depends on the named modules: their paths, each followed by its own dependencies, once each.
dep_line() {
    local line
    line=$(awk -v want="$2" '
        BEGIN { n = split(want, w, " "); for (i = 1; i <= n; i++) need[w[i]] = 1 }
        {
            path = $1; sub(/:$/, "", path)
            name = path; sub(/.*\//, "", name); sub(/\.ko(\.(xz|gz|zst))?$/, "", name)
            gsub(/-/, "_", name)
            if (name in need) {
                found[name] = 1
                out = out " " path
                for (i = 2; i <= NF; i++) out = out " " $i
            }
        }
        END {
            for (name in need) if (!(name in found)) { print "missing " name; exit 1 }
            print out
        }' "$1") || die "modules.dep has no line for a dependency of tee_emul: $line"
    tr ' ' '\n' <<<"$line" | awk 'NF && !seen[$0]++' | paste -sd ' '
}

# build KERNEL_DIR HEADERS_DIR [ROOT]: builds the module for that kernel (once per source hash)
# and sets OUT to its directory. With ROOT, the build runs chrooted there (HEADERS_DIR is a path
# inside it): a kernel built with another distribution's compiler.
build() {
    local kdir=$1 headers=$2 root=${3:-} release key tmp cc
    release=$(cat "$kdir/version")
    if [ -n "$root" ]; then cc=${root##*/}; else cc=$(gcc-12 --version | head -n 1); fi
    key=$( { cat "$src/Kbuild" "$src"/*.c "$src"/*.h "${BASH_SOURCE[0]}"; echo "$release";
             echo "$cc"; } | sha256sum | cut -c1-16)
    OUT="$BASE/$release-$key"
    [ -f "$OUT/.complete" ] && return 0

    mkdir -p "$BASE"
    tmp=$(mktemp -d "$BASE/.build.XXXXXX")
    (
        local bsrc=$tmp/src
        if [ -n "$root" ]; then bsrc=$(mktemp -d "$root/tmp/tee-emul.XXXXXX"); else mkdir "$bsrc"; fi
        trap 'rm -rf "$tmp" ${root:+"$bsrc"}' EXIT
        cp "$src/Kbuild" "$src"/*.c "$src"/*.h "$bsrc/"
        echo "tee-emul.sh: building tee_emul.ko for $release" >&2
        # The headers of 6.12 and later would run pahole for BTF, which needs the kernel's own
        # vmlinux.
        local make=(make -C "$headers" M="${bsrc#"$root"}" CONFIG_DEBUG_INFO_BTF_MODULES= modules)
        if [ -n "$root" ]; then
            # objtool reads /proc: a private one, in mount and pid namespaces that end with
            # the build.
            make=(unshare --fork --pid --mount --propagation private --mount-proc="$root/proc"
                  chroot "$root" env -i PATH=/usr/bin:/bin "${make[@]}")
        fi
        if ! "${make[@]}" >"$tmp/build.log" 2>&1; then
            cat "$tmp/build.log" >&2
            die "building tee_emul.ko for $release failed"
        fi
        # Debian's kernels build with debug info; without it the module is 25 times smaller.
        strip --strip-debug -o "$tmp/tee_emul.ko" "$bsrc/tee_emul.ko"
        rm -rf "$bsrc"

        # The kernel's modules tree as hard links (no copy; symbolic links across file
        # systems), with our module and its line added to modules.dep. A whole depmod run
        # would read every module (30 s for 6.12's .ko.xz); the binary indexes, which would
        # lack our module, go.
        local tree="$tmp/lib/modules/$release" names deps
        mkdir -p "$tmp/lib/modules"
        cp -al "$kdir/lib/modules/$release" "$tree" 2>/dev/null ||
            { rm -rf "$tree"; cp -as "$kdir/lib/modules/$release" "$tree"; }
        rm -f "$tree"/modules.*.bin
        mkdir -p "$tree/extra"
        cp "$tmp/tee_emul.ko" "$tree/extra/tee_emul.ko"
        names=$(modinfo -F depends "$tmp/tee_emul.ko" | tr ',-' ' _')
        deps=$(dep_line "$tree/modules.dep" "$names")
        { cat "$tree/modules.dep"; echo "extra/tee_emul.ko: $deps"; } >"$tree/modules.dep.new"
        mv "$tree/modules.dep.new" "$tree/modules.dep"
        touch "$tmp/.complete"
        rm -rf "$OUT"
        mv -T "$tmp" "$OUT" 2>/dev/null || [ -f "$OUT/.complete" ] || die "could not create $OUT"
    )
    # Builds of older sources for this kernel are of no further use.
    find "$BASE" -maxdepth 1 -name "$release-*" ! -name "${OUT##*/}" -exec rm -rf {} +
}

eval "$("$here/tee-kernels.sh" | tail -n 7 |
       grep -E '^TEE_(KERNEL|HEADERS|ROOT)_(61|612|TRIXIE)=[^ ]+$')"
if [ -z "${TEE_KERNEL_61:-}" ] || [ -z "${TEE_KERNEL_612:-}" ] || [ -z "${TEE_ROOT_TRIXIE:-}" ]; then
    die "tools/tee-kernels.sh did not print the kernel directories"
fi

make_keys
keys="$BASE/keys"
vcek_key=$(hex_scalar "$keys/vcek.key.pem" 96)
attest_key=$(hex_scalar "$keys/attest.key.pem" 64)
vcek_cert=$(od -An -v -tx1 "$keys/vcek.der" | tr -d ' \n')

build "$TEE_KERNEL_61" "$TEE_HEADERS_61"
out61=$OUT
build "$TEE_KERNEL_612" "$TEE_HEADERS_612"
out612=$OUT
build "$TEE_KERNEL_TRIXIE" "$TEE_HEADERS_TRIXIE" "$TEE_ROOT_TRIXIE"
outtx=$OUT

env_file="$BASE/env"
tmp=$(mktemp "$BASE/.env.XXXXXX")
chmod 600 "$tmp"
rel61=$(cat "$TEE_KERNEL_61/version")
rel612=$(cat "$TEE_KERNEL_612/version")
reltx=$(cat "$TEE_KERNEL_TRIXIE/version")
{
    echo "# Written by tools/tee-emul.sh (see its --help). TEST-ONLY keys: they sign emulated reports."
    printf '%s=%q\n' \
        TEE_EMUL_KERNEL_61 "$TEE_KERNEL_61" \
        TEE_EMUL_MODULES_61 "$out61/lib/modules/$rel61" \
        TEE_EMUL_KO_61 "$out61/tee_emul.ko" \
        TEE_EMUL_KERNEL_612 "$TEE_KERNEL_612" \
        TEE_EMUL_MODULES_612 "$out612/lib/modules/$rel612" \
        TEE_EMUL_KO_612 "$out612/tee_emul.ko" \
        TEE_EMUL_KERNEL_TRIXIE "$TEE_KERNEL_TRIXIE" \
        TEE_EMUL_MODULES_TRIXIE "$outtx/lib/modules/$reltx" \
        TEE_EMUL_KO_TRIXIE "$outtx/tee_emul.ko" \
        TEE_EMUL_MODULE_NAMES "sha512_generic tee_emul" \
        TEE_EMUL_MODULE_NAMES_TRIXIE "tee_emul" \
        TEE_EMUL_VCEK_KEY "$vcek_key" \
        TEE_EMUL_VCEK_CERT "$vcek_cert" \
        TEE_EMUL_VCEK_CERT_DER "$keys/vcek.der" \
        TEE_EMUL_VCEK_CERT_PEM "$keys/vcek.crt.pem" \
        TEE_EMUL_VCEK_PUB_PEM "$keys/vcek.pub.pem" \
        TEE_EMUL_ATTEST_KEY "$attest_key" \
        TEE_EMUL_ATTEST_PUB_PEM "$keys/attest.pub.pem" \
        TEE_EMUL_SNP_APPEND "tee_emul.mode=snp tee_emul.vcek_key=$vcek_key tee_emul.vcek_cert=$vcek_cert" \
        TEE_EMUL_TDX_APPEND "tee_emul.mode=tdx tee_emul.attest_key=$attest_key"
} >"$tmp"
mv "$tmp" "$env_file"
echo "$env_file" >&3
