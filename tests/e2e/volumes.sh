# Data volumes next to the root: one keyed by a broker resource, one by a
# key file inside the root, each on its own disk found by LABEL=. Sourced by
# tests/e2e/run.

# The disks, made once per run: the root (its workload lists the mounts,
# writes to the read-write volume and reads what an earlier boot wrote),
# volume A (resource default/key/data-a) and volume B (key file, read-only).
volumes_disks() {
    [ -f "$work/vol-b.img" ] && return 0
    local root data
    e2e_passphrase "$work/vol-a.pass"
    e2e_passphrase "$work/vol-b.pass"
    root=$(mkroot volumes 'grep "^/dev/mapper/" /proc/mounts | while read -r dev mnt fs opts _; do echo "MOUNT: $dev $mnt $fs ${opts%%,*}"; done
[ -f /srv/data/boots ] && echo "PERSISTED: $(cat /srv/data/boots)"
echo "boot" >> /srv/data/boots && echo "WROTE: /srv/data/boots"
echo "REF: $(cat /srv/data/ref/hello.txt)"
if touch /srv/data/ref/new 2>/dev/null; then echo "REF: writable"; else echo "REF: read-only"; fi
exit 3')
    mkdir -p "$root/etc/keys"
    install -m 0600 "$work/vol-b.pass" "$root/etc/keys/vol-b.key"
    e2e_disk "$work/vol-root.img" "$root" "$(image_config '["/bin/sh","/srv/work/run.sh"]' '[]')" \
        "$pass" --label cwroot
    data="$work/vol-a.data"
    mkdir -p "$data"
    e2e_disk "$work/vol-a.img" "$data" "" "$work/vol-a.pass" --label cwdata-a
    data="$work/vol-b.data"
    mkdir -p "$data"
    echo "reference data" > "$data/hello.txt"
    e2e_disk "$work/vol-b.img" "$data" "" "$work/vol-b.pass" --label cwdata-b
}

# volumes_boot NAME INITRD DATA_A_PASSFILE: the three disks, the broker
# holding the root's and volume A's passphrases.
volumes_boot() {
    e2e_boot "$work/$1.log" --initrd "$2" --disk "$work/vol-root.img" --disk "$work/vol-a.img" \
        --disk "$work/vol-b.img" --resource "default/key/root-disk=$pass" \
        --resource "default/key/data-a=$3" "${common[@]}"
}

# Neither volume's passphrase may reach a console.
volumes_no_secret() {
    local f
    for f in "$work/vol-a.pass" "$work/vol-b.pass"; do
        expect_no_secret "$f" "$1" "$1.runner"
    done
}

test_volumes_mounted() {
    local initrd_vol="$work/volumes.cpio.gz" log
    volumes_disks
    # B is mounted inside A: its mount point is created on A at the first boot.
    e2e_initramfs "$initrd_vol" '{"tee":"sample","insecure_broker":true,"root":"LABEL=cwroot","volumes":[
        {"device":"LABEL=cwdata-a","mount_point":"/srv/data","resource":"default/key/data-a"},
        {"device":"LABEL=cwdata-b","mount_point":"/srv/data/ref","key_file":"/etc/keys/vol-b.key",
         "mapper":"refdata","readonly":true}]}'
    for boot in 1 2; do
        log="$work/volumes-$boot.log"
        volumes_boot "volumes-$boot" "$initrd_vol" "$work/vol-a.pass"
        expect_status 3
        expect_line "$log" "CWINIT-EXIT: status=3 reason=workload"
        expect_line "$log" "MOUNT: /dev/mapper/cwroot / ext4 rw"
        expect_line "$log" "MOUNT: /dev/mapper/cwvol0 /srv/data ext4 rw"
        expect_line "$log" "MOUNT: /dev/mapper/refdata /srv/data/ref ext4 ro"
        expect_line "$log" "WROTE: /srv/data/boots"
        expect_line "$log" "REF: reference data"
        expect_line "$log" "REF: read-only"
        expect_match "$log" 'fetched default/key/root-disk '
        expect_match "$log" 'fetched default/key/data-a '
        expect_match "$log" 'volume /srv/data/ref: /dev/vdc unlocked as /dev/mapper/refdata and mounted read-only'
        expect_match "$log" 'stage volumes done in [0-9]+ ms'
        expect_no_match "$log" 'warning: .*(volume|unmount|closing|detach|still present)'
        expect_match "$log" 'teardown: 0 device-mapper devices left'
        volumes_no_secret "$log"
    done
    # What the first boot wrote was on the disk when the second one started.
    expect_line "$work/volumes-2.log" "PERSISTED: boot"
    expect_no_match "$work/volumes-1.log" '^PERSISTED:'
}

test_volume_wrong_key() {
    local initrd_bad="$work/volumes-bad.cpio.gz" log="$work/volume-wrongkey.log"
    volumes_disks
    printf 'not-the-passphrase' > "$work/vol-a.wrong"
    # B (key file) opens first, so teardown has a volume to undo besides the root.
    e2e_initramfs "$initrd_bad" '{"tee":"sample","insecure_broker":true,"root":"LABEL=cwroot","volumes":[
        {"device":"LABEL=cwdata-b","mount_point":"/ref","key_file":"/etc/keys/vol-b.key","readonly":true},
        {"device":"LABEL=cwdata-a","mount_point":"/srv/data","resource":"default/key/data-a"}]}'
    volumes_boot volume-wrongkey "$initrd_bad" "$work/vol-a.wrong"
    expect_fail_closed "$log" 251 wrong-key
    expect_match "$log" 'volume /ref: /dev/vdc unlocked as /dev/mapper/cwvol0 and mounted read-only'
    expect_match "$log" 'error: unlocking a volume failed: volume /srv/data \(key from resource default/key/data-a\): .*wrong passphrase'
    expect_no_match "$log" 'MOUNT: '
    volumes_no_secret "$log"
}

tests+=(volumes_mounted volume_wrong_key)
