# Shared pieces of the end-to-end tests: a workload root filesystem, disks,
# initramfs images and a boot that records the console and the status.
# Sourced by tests/e2e/run and tools/demo; expects $top (the checkout).

# Modules a stock Debian kernel needs for a virtio disk, dm-crypt with
# aes-xts, ext4 and the virtio NIC (ecb, xts and crc32c_generic are loaded
# on demand by a kernel with modprobe; we have none).
E2E_MODULES=(virtio_pci virtio_blk virtio_net dm_crypt ecb xts aesni_intel crc32c_generic ext4)
# Of those, the ones later kernels no longer have at all (trixie-backports' 7.x: ext4's crc32c
# comes from the built-in lib/crc), left out where the modules tree lacks them.
E2E_MODULES_GONE=(crc32c_generic)

# Prints the kernel directory (vmlinux, lib/modules/<version>): $E2E_KERNEL_DIR when the caller
# has set it (tests/e2e/run does, once), else tools/guest-kernel.sh's answer (an apt query).
e2e_kernel_dir() {
    if [ -n "${E2E_KERNEL_DIR:-}" ]; then
        printf '%s\n' "$E2E_KERNEL_DIR"
    else
        "$top/tools/guest-kernel.sh" | tail -n 1
    fi
}

# e2e_initramfs OUT CONFIG_JSON [mkinitramfs args...]: the cwinit initramfs
# with our modules (and, e.g., --add SRC:DST files).
e2e_initramfs() {
    local out=$1 config=$2 kdir kver conf
    shift 2
    kdir=$(e2e_kernel_dir)
    kver=$(cat "$kdir/version")
    conf=$(mktemp)
    printf '%s\n' "$config" > "$conf"
    local args=(--init "$CWINIT_BIN" --output "$out" --config "$conf"
                --kernel-modules "$kdir/lib/modules/$kver")
    for m in "${E2E_MODULES[@]}"; do args+=(--module "$m"); done
    "$top/initramfs/mkinitramfs" "${args[@]}" "$@" > "$out.sums"
    rm -f "$conf"
}

# The emulated TEEs (tests/tee-emul, TEST-ONLY), for tests/e2e/run's tests, which provide fail
# and $work. tee_env: the module builds, test keys and kernels (tools/tee-emul.sh, cached),
# sourced once per run; on failure, fail and 1 (and the next caller tries again).
tee_env_file=''
tee_env() {
    [ -n "$tee_env_file" ] && return 0
    if ! tee_env_file=$("$top/tools/tee-emul.sh" 2> "$work/tee-emul.err" | tail -n 1) ||
            [ ! -f "$tee_env_file" ]; then
        fail "tools/tee-emul.sh failed: $(tail -n 3 "$work/tee-emul.err")"
        tee_env_file=''
        return 1
    fi
    # shellcheck source=/dev/null
    . "$tee_env_file"
}

# tee_initramfs OUT MODULES_TREE CONFIG_JSON [MODULE... | --add SRC:DST]: once per OUT, an
# initramfs for the kernel of MODULES_TREE with the e2e modules and the given ones (with their
# dependencies), and the files added; on failure, fail and 1.
tee_initramfs() {
    local out=$1 tree=$2 config=$3 conf m rc=0
    shift 3
    [ -f "$out" ] && return 0
    conf=$(mktemp)
    printf '%s\n' "$config" > "$conf"
    local args=(--init "$CWINIT_BIN" --output "$out.tmp" --config "$conf" --kernel-modules "$tree")
    for m in "${E2E_MODULES[@]}"; do
        if [[ " ${E2E_MODULES_GONE[*]} " == *" $m "* ]] &&
                ! grep -qE "/${m//_/[-_]}\.ko" "$tree/modules.dep" "$tree/modules.builtin"; then
            continue
        fi
        args+=(--module "$m")
    done
    while [ $# -gt 0 ]; do
        if [ "$1" = --add ]; then args+=(--add "$2"); shift 2
        else args+=(--module "$1"); shift; fi
    done
    if "$top/initramfs/mkinitramfs" "${args[@]}" > "$out.sums" 2> "$out.err"; then
        mv "$out.tmp" "$out"
    else
        fail "mkinitramfs for $out failed: $(tail -n 1 "$out.err")"
        rc=1
    fi
    rm -f "$conf"
    return "$rc"
}

# e2e_tls DIR: a test CA (DIR/ca.pem) and the broker's certificate for the address the guest
# reaches it at, 10.0.2.100 (DIR/server.pem, DIR/server.key), as a broker operator would make them.
e2e_tls() {
    local d=$1
    mkdir -p "$d"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj /CN=cwinit-e2e-ca -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=10.0.2.100 \
        -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
    printf 'subjectAltName=IP:10.0.2.100\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
        > "$d/ext"
    openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
        -days 2 -extfile "$d/ext" -out "$d/server.pem" 2>/dev/null
}

# e2e_rootfs DIR: a minimal root with busybox, a user "app" (1000:1000,
# also in groups audio 29 and video 44) and the workload scripts.
e2e_rootfs() {
    local dir=$1
    mkdir -p "$dir"/{bin,etc,tmp,home/app,srv/work,proc,sys,dev,run}
    chmod 1777 "$dir/tmp"
    cp /bin/busybox "$dir/bin/busybox"
    local a
    for a in sh echo cat env id pwd sleep kill ls sort grep tr head wc printf true false; do
        ln -sf busybox "$dir/bin/$a"
    done
    cat > "$dir/etc/passwd" <<'PW'
root:x:0:0:root:/root:/bin/sh
app:x:1000:1000:App User:/home/app:/bin/sh
PW
    cat > "$dir/etc/group" <<'GR'
root:x:0:
audio:x:29:app
video:x:44:nobody,app
app:x:1000:
GR
    chown 1000:1000 "$dir/home/app"
}

# e2e_passphrase FILE: a binary passphrase (NUL, newline) with a marker
# that must never appear on the console.
e2e_passphrase() {
    { printf 'cwinit-test-secret-%s' "$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
      printf '\n\000\377tail'; } > "$1"
}

# e2e_disk OUT ROOTFS OCI_JSON PASSFILE [mkdisk args...]; an empty OCI_JSON
# makes a disk without /.krun_config.json.
e2e_disk() {
    local out=$1 root=$2 oci=$3 pass=$4 conf
    shift 4
    conf=$(mktemp)
    printf '%s\n' "$oci" > "$conf"
    local args=(--root "$root" --passphrase-file "$pass" --output "$out")
    [ -n "$oci" ] && args+=(--config "$conf")
    "$top/tools/mkdisk" "${args[@]}" "$@" > /dev/null
    rm -f "$conf"
}

# e2e_boot LOG [cwrun args...]: boots and sets $status to the runner's status.
e2e_boot() {
    local log=$1
    shift
    status=0
    "$top/tools/cwrun" --kernel "$E2E_KERNEL" --log "$log" --quiet --timeout 240 "$@" \
        > "$log.runner" 2>&1 || status=$?
    # The serial console ends lines with CR LF.
    sed -i 's/\r$//' "$log"
}
