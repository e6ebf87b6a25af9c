# Shared pieces of the end-to-end tests: a workload root filesystem, disks,
# initramfs images and a boot that records the console and the status.
# Sourced by tests/e2e/run and tools/demo; expects $top (the checkout).

# Modules a stock Debian kernel needs for a virtio disk, dm-crypt with
# aes-xts, ext4 and the virtio NIC (ecb, xts and crc32c_generic are loaded
# on demand by a kernel with modprobe; we have none).
E2E_MODULES=(virtio_pci virtio_blk virtio_net dm_crypt ecb xts aesni_intel crc32c_generic ext4)

# Prints the kernel directory (vmlinux, lib/modules/<version>).
e2e_kernel_dir() {
    "$top/tools/guest-kernel.sh" | tail -n 1
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
