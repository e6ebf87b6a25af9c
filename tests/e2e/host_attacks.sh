# What a hostile host can do with what it controls (every disk byte, the network, an unmeasured
# command line), and cwinit failing closed before any secret or code of the host's is used:
# rewritten LUKS headers of the root and of a data volume (tools/luks-tamper), a disk footer that
# asks for sample evidence or names another broker, a plain-HTTP broker the file does not allow,
# and a command line the file says to ignore. Sourced by tests/e2e/run.

# ha_disk NAME: the owner's LUKS2 disk, whose workload prints OWNER-RAN; the broker holds its
# real passphrase ($pass) in every boot below.
ha_disk() {
    local root
    root=$(mkroot "ha-$1" 'echo OWNER-RAN; exit 0')
    e2e_disk "$work/ha-$1.img" "$root" "$(image_config '["/bin/sh","/srv/work/run.sh"]' '[]')" \
        "$pass" "${@:2}"
}

# ha_boot NAME [cwrun args]: boots disk ha-NAME with the common initramfs, the broker counting
# its requests in ha-NAME.stats.
ha_boot() {
    local name=$1
    shift
    rm -f "$work/ha-$name.stats"
    e2e_boot "$work/ha-$name.log" --initrd "$initrd" --disk "$work/ha-$name.img" \
        --resource "default/key/root-disk=$pass" "${common[@]}" \
        --broker-arg --stats --broker-arg "$work/ha-$name.stats" "$@"
}

# ha_refused NAME CODE REASON LINE_REGEX: failed closed with that code and line, before the
# broker was asked for anything.
ha_refused() {
    local log="$work/ha-$1.log" requests
    expect_fail_closed "$log" "$2" "$3"
    expect_match "$log" "$4"
    expect_no_match "$log" 'OWNER-RAN|HOST-CODE-RAN'
    expect_no_match "$log" 'stage (attest|unlock|mount) done'
    requests=$(/usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["requests"])' \
        "$work/ha-$1.stats" 2> /dev/null || echo "no count")
    [ "$requests" = 0 ] || fail "the broker saw $requests requests; the boot must stop before asking"
}

tamper() { /usr/bin/python3 "$top/tools/luks-tamper" "$@"; }

# The attack of Trail of Bits' LUKS2 class: the owner's key slot and digest kept (the owner's
# passphrase still opens it), the data segment switched to cipher_null, and a plaintext ext4 of
# the host's own workload written at the segment offset. Without the disk policy this boot runs
# HOST-CODE-RAN at the genuine measurement.
test_luks_null_segment_attack() {
    local host="$work/ha-host.root"
    ha_disk nullseg
    e2e_rootfs "$host"
    printf 'echo HOST-CODE-RAN\nexit 0\n' > "$host/srv/work/run.sh"
    image_config '["/bin/sh","/srv/work/run.sh"]' '[]' > "$host/.krun_config.json"
    rm -f "$work/ha-host.ext4"
    truncate -s 24M "$work/ha-host.ext4"
    mkfs.ext4 -q -F -b 4096 -d "$host" "$work/ha-host.ext4" > /dev/null 2>&1 ||
        { fail "mkfs.ext4 of the host's filesystem failed"; return; }
    tamper "$work/ha-nullseg.img" set segments.0.encryption '"cipher_null-ecb"' &&
        tamper "$work/ha-nullseg.img" write-at-segment "$work/ha-host.ext4" ||
        { fail "tools/luks-tamper failed"; return; }
    ha_boot nullseg
    ha_refused nullseg 239 disk-policy \
        'error: disk policy failed: luks: /dev/vda: data segment cipher cipher_null-ecb is not allowed'
}

test_luks_header_variants() {
    ha_disk keyslot
    tamper "$work/ha-keyslot.img" set keyslots.0.area.encryption '"cipher_null-ecb"'
    ha_boot keyslot
    ha_refused keyslot 239 disk-policy 'key slot 0 cipher cipher_null-ecb is not allowed'

    ha_disk luks1 --luks1
    tamper "$work/ha-luks1.img" luks1-cipher cipher_null ecb
    ha_boot luks1
    ha_refused luks1 239 disk-policy 'data segment cipher cipher_null-ecb is not allowed'

    ha_disk keysize
    tamper "$work/ha-keysize.img" set keyslots.0.key_size 48
    ha_boot keysize
    ha_refused keysize 239 disk-policy 'data segment key size 384 bits is not allowed for aes-xts-plain64'

    ha_disk reenc
    tamper "$work/ha-reenc.img" set config.requirements '{"mandatory":["offline-reencrypt"]}'
    ha_boot reenc
    ha_refused reenc 239 disk-policy 'the header has requirement flags 0x1 \(a reencryption in progress\)'

    # The owner's segment cut short and the rest of the disk mapped in the clear.
    ha_disk segments
    tamper "$work/ha-segments.img" set segments.0.size '"4194304"' &&
        tamper "$work/ha-segments.img" set segments.1 '{"type":"crypt","offset":"20971520","size":"dynamic","iv_tweak":"8192","encryption":"cipher_null-ecb","sector_size":4096}' &&
        tamper "$work/ha-segments.img" set digests.0.segments '["0","1"]'
    ha_boot segments
    ha_refused segments 239 disk-policy 'the header has 2 data segments \(exactly 1 is allowed\)'

    # Another disk than the one the file names.
    ha_disk uuid
    ha_boot uuid --initrd "$(ha_initrd uuid '"root_luks_uuid":"00000000-0000-0000-0000-000000000000"')"
    ha_refused uuid 239 disk-policy 'LUKS UUID [0-9a-f-]+ is not the expected 00000000-0000-0000-0000-000000000000'
}

# ha_initrd NAME JSON_MEMBERS: an initramfs whose file adds the members to the common ones.
ha_initrd() {
    local out="$work/ha-$1.cpio.gz"
    [ -f "$out" ] || e2e_initramfs "$out" "{\"tee\":\"sample\",\"insecure_broker\":true,$2}"
    echo "$out"
}

# The same policy for a data volume: the root is unlocked first, then the volume's header is
# refused, and teardown closes the root again.
test_volume_header_policy() {
    local root data="$work/ha-vol.data" initrd_vol
    root=$(mkroot ha-volroot 'echo OWNER-RAN; exit 0')
    e2e_disk "$work/ha-volroot.img" "$root" "$(image_config '["/bin/sh","/srv/work/run.sh"]' '[]')" \
        "$pass" --label cwroot
    mkdir -p "$data"
    e2e_disk "$work/ha-voldata.img" "$data" "" "$pass" --label cwdata
    tamper "$work/ha-voldata.img" set segments.0.encryption '"cipher_null-ecb"'
    initrd_vol=$(ha_initrd vol '"root":"LABEL=cwroot","volumes":[{"device":"LABEL=cwdata","mount_point":"/srv/data","resource":"default/key/root-disk"}]')
    rm -f "$work/ha-vol.stats"
    e2e_boot "$work/ha-vol.log" --initrd "$initrd_vol" --disk "$work/ha-volroot.img" \
        --disk "$work/ha-voldata.img" --resource "default/key/root-disk=$pass" "${common[@]}"
    expect_fail_closed "$work/ha-vol.log" 239 disk-policy
    expect_match "$work/ha-vol.log" 'error: disk policy failed: volume /srv/data: luks: /dev/vd.: data segment cipher cipher_null-ecb is not allowed'
    expect_match "$work/ha-vol.log" 'stage unlock done'
    expect_no_match "$work/ha-vol.log" 'OWNER-RAN|volume /srv/data: .* unlocked'
}

# A footer the host wrote (buildah's layout) that asks for sample evidence, or names a broker the
# file did not let it choose: configuration errors before anything is sent.
ha_footer_disk() { # NAME FOOTER_JSON
    local root
    root=$(mkroot "ha-$1" 'echo OWNER-RAN; exit 0')
    printf '%s' "$2" > "$work/ha-$1.footer"
    image_config '["/bin/sh","/srv/work/run.sh"]' '[]' > "$work/ha-$1.oci"
    "$top/tools/mkdisk" --mkcw "$work/ha-$1.footer" --root "$root" --config "$work/ha-$1.oci" \
        --passphrase-file "$pass" --output "$work/ha-$1.img" > /dev/null
}

test_footer_cannot_weaken() {
    # No tee and no broker in the file: the footer's would count, and must not.
    e2e_initramfs "$work/ha-notee.cpio.gz" '{"insecure_broker":true,"kbs_protocol":"trustee"}'
    ha_footer_disk footee '{"tee":"sample","workload_id":"wl-1","attestation_url":""}'
    ha_boot footee --initrd "$work/ha-notee.cpio.gz"
    ha_refused footee 242 config \
        'error: configuration failed: disk footer on /dev/vda: tee \(from footer\): sample evidence may be chosen only in /etc/cwinit.json'

    # The file sets no broker and does not let the footer choose one.
    ha_footer_disk footurl '{"tee":"snp","workload_id":"wl-1","attestation_url":"http://10.0.2.100:8080"}'
    rm -f "$work/ha-footurl.stats"
    e2e_boot "$work/ha-footurl.log" --initrd "$work/ha-notee.cpio.gz" --disk "$work/ha-footurl.img" \
        --resource "default/key/root-disk=$pass" --no-config-args \
        --broker-arg --stats --broker-arg "$work/ha-footurl.stats"
    ha_refused footurl 242 config \
        'broker_url \(from footer\): the disk footer may choose the broker only when /etc/cwinit.json sets footer_broker_url'
}

# A plain-HTTP broker without insecure_broker in the file: nothing authenticates it.
test_http_broker_refused() {
    ha_disk http
    e2e_initramfs "$work/ha-https-only.cpio.gz" '{"tee":"sample"}'
    ha_boot http --initrd "$work/ha-https-only.cpio.gz"
    ha_refused http 242 config \
        'error: configuration failed: broker_url http://10.0.2.100:8080 is plain HTTP, which nothing authenticates'
}

# ignore_cmdline: every cwinit.* word is ignored, so the file's settings hold even where the
# command line names another resource and mapper.
test_ignore_cmdline() {
    local log="$work/ha-ignore.log" initrd_ign
    ha_disk ignore
    initrd_ign=$(ha_initrd ignore '"ignore_cmdline":true,"broker_url":"http://10.0.2.100:8080","net_interface":"eth0","net_address":"10.0.2.15/24"')
    ha_boot ignore --initrd "$initrd_ign" --set resource=default/key/absent --set mapper=hostname
    expect_status 0
    expect_line "$log" 'OWNER-RAN'
    expect_match "$log" "ignoring the kernel command line's cwinit.\* words \(ignore_cmdline\)"
    expect_match "$log" 'attested with tee sample and fetched default/key/root-disk'
}

tests+=(luks_null_segment_attack luks_header_variants volume_header_policy footer_cannot_weaken
        http_broker_refused ignore_cmdline)
