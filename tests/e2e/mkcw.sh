# `buildah mkcw` disks against the reference-kbs test broker, in an emulated SEV-SNP guest
# (tests/tee-emul), with libkrunfw's settings wherever QEMU allows: no cwinit.* word on the
# kernel command line (configuration from the initramfs file and the disk footer only),
# shutdown=reboot, the status read off the console. What a stock Debian kernel needs on top is
# the only difference: modules in the initramfs (the TEE emulation's parameters on the command
# line) and a NIC for net_interface. Sourced by tests/e2e/run.

# mkcw_prepare: once per run, the emulated TEE's env, an initramfs for its kernel, and a mkcw
# disk whose workload prints a few facts and exits 3. Returns 1 (after fail) when it cannot.
mkcw_prepare() {
    [ -n "${mkcw_disk:-}" ] && return 0
    local root
    tee_env || return 1
    mkcw_kernel="$TEE_EMUL_KERNEL_61/vmlinux"
    mkcw_measurement=$(head -c 48 /dev/urandom | od -An -tx1 -v | tr -d ' \n')
    mkcw_id=$(head -c 32 /dev/urandom | od -An -tx1 -v | tr -d ' \n') # buildah's default form
    # Everything libkrun's kernel has built in or does without: modules and the NIC only.
    mkcw_initrd="$work/mkcw.cpio.gz"
    # shellcheck disable=SC2086  # a list of module names
    tee_initramfs "$mkcw_initrd" "$TEE_EMUL_MODULES_61" \
        '{"net_interface":"eth0","net_address":"10.0.2.15/24","shutdown":"reboot","footer_broker_url":true,"insecure_broker":true}' \
        $TEE_EMUL_MODULE_NAMES || return 1

    root=$(mkroot mkcw 'echo "CMDLINE-CWINIT-WORDS: $(tr " " "\n" < /proc/cmdline | grep -c "^cwinit\.")"
while read -r _ mnt fs _; do [ "$mnt" = / ] && rootfs=$fs; done < /proc/mounts
echo "ROOT-FS: $rootfs"
exit 3')
    printf '{"tee":"snp","tee_data":"{\\"gen\\":\\"milan\\"}","workload_id":"%s","cpus":1,"ram_mib":512,"attestation_url":"http://10.0.2.100:8080"}' \
        "$mkcw_id" > "$work/mkcw-footer.json"
    image_config '["/bin/sh","/srv/work/run.sh"]' '[]' > "$work/mkcw-oci.json"
    mkcw_pass="$work/mkcw-passphrase"
    if ! "$top/tools/mkdisk" --mkcw "$work/mkcw-footer.json" --root "$root" \
            --config "$work/mkcw-oci.json" --new-passphrase-file "$mkcw_pass" \
            --output "$work/mkcw.img" > /dev/null 2> "$work/mkcw-disk.err"; then
        fail "mkdisk --mkcw failed: $(tail -n 1 "$work/mkcw-disk.err")"
        return 1
    fi
    mkcw_disk="$work/mkcw.img"
}

# mkcw_boot_with NAME MEASUREMENT: boots the mkcw disk against tools/test-reference-kbs, which
# knows the workload with that launch measurement; the broker's log is $work/NAME.broker.
mkcw_boot_with() {
    local name=$1 measurement=$2 port_file="$work/$1.port" pid port
    rm -f "$port_file"
    /usr/bin/python3 "$top/tools/test-reference-kbs" --port 0 --port-file "$port_file" \
        --vcek "$TEE_EMUL_VCEK_CERT_PEM" --workload-id "$mkcw_id" \
        --launch-measurement "$measurement" --passphrase-file "$mkcw_pass" \
        --log "$work/$name.broker" < /dev/null 2> "$work/$name.broker.err" &
    pid=$!
    for _ in $(seq 100); do
        [ -s "$port_file" ] && break
        sleep 0.1
    done
    port=$(cat "$port_file" 2> /dev/null || true)
    if [ -z "$port" ]; then
        kill "$pid" 2> /dev/null
        wait "$pid" 2> /dev/null
        fail "tools/test-reference-kbs did not start: $(tail -n 1 "$work/$name.broker.err")"
        return 1
    fi
    E2E_KERNEL="$mkcw_kernel" e2e_boot "$work/$name.log" --initrd "$mkcw_initrd" \
        --disk "$mkcw_disk" --broker-url "http://127.0.0.1:$port" --no-config-args \
        --append "$TEE_EMUL_SNP_APPEND tee_emul.measurement=$mkcw_measurement"
    kill "$pid" 2> /dev/null
    wait "$pid" 2> /dev/null
    return 0
}

test_mkcw_boot() {
    local log="$work/mkcw-boot.log"
    mkcw_prepare || return 0
    # The disk is laid out as buildah lays it out.
    cryptsetup luksDump "$mkcw_disk" | grep -qE '^Version:[[:space:]]+1$' || fail "not LUKS1"
    cryptsetup luksDump "$mkcw_disk" | grep -qE '^Payload offset:[[:space:]]+4040$' ||
        fail "LUKS1 payload offset is not 4040"
    [ "$(tail -c 12 "$mkcw_disk" | head -c 4)" = KRUN ] || fail "no KRUN footer"
    mkcw_boot_with mkcw-boot "$mkcw_measurement" || return 0
    expect_status 3
    expect_line "$log" "CWINIT-EXIT: status=3 reason=workload"
    expect_line "$log" "WORKLOAD-RAN"
    expect_line "$log" "CMDLINE-CWINIT-WORDS: 0"
    expect_line "$log" "ROOT-FS: ext4"
    expect_match "$log" 'broker protocol reference-kbs \(auto: the disk has a buildah KRUN footer\)'
    expect_match "$log" "attested with tee snp to reference-kbs and fetched the key of workload $mkcw_id \(3 HTTP requests\)"
    # Nothing came from the command line: the footer gave broker, tee and workload.
    expect_no_match "$log" 'configuration: .*\(cmdline\)'
    expect_match "$log" 'stage unlock done in [0-9]+ ms'
    expect_match "$log" 'teardown: 0 device-mapper devices left'
    expect_match "$work/mkcw-boot.broker" "POST /kbs/v0/attest 200 attested alg=RSA rsa=2048 gen=milan version=3"
    expect_match "$work/mkcw-boot.broker" "GET /kbs/v0/key/$mkcw_id 200"
    expect_no_secret "$mkcw_pass" "$log" "$log.runner"
}

test_mkcw_wrong_measurement() {
    local log="$work/mkcw-wrong.log" other
    mkcw_prepare || return 0
    other=$(head -c 48 /dev/urandom | od -An -tx1 -v | tr -d ' \n')
    mkcw_boot_with mkcw-wrong "$other" || return 0
    expect_fail_closed "$log" 247 broker-denied
    [ "$(grep -c 'error: ' "$log")" = 1 ] || fail "expected exactly one error line"
    expect_match "$log" 'error: attestation failed: attest http://10.0.2.100:8080/kbs/v0/attest: HTTP 400 SnpMeasurementInvalid \(attempt 1 of 5\); check '
    expect_no_match "$work/mkcw-wrong.broker" 'GET /kbs/v0/key/'
}

test_mkcw_volume_resource_refused() {
    # reference-kbs keeps one key per workload: a data volume that names a broker resource is a
    # configuration error, found as soon as the footer chose the dialect, before any unlock.
    local log="$work/mkcw-volres.log" initrd="$work/mkcw-volres.cpio.gz" saved
    mkcw_prepare || return 0
    # shellcheck disable=SC2086  # a list of module names
    tee_initramfs "$initrd" "$TEE_EMUL_MODULES_61" \
        '{"net_interface":"eth0","net_address":"10.0.2.15/24","shutdown":"reboot","footer_broker_url":true,"insecure_broker":true,"volumes":[
          {"device":"LABEL=cwdata","mount_point":"/srv/data","resource":"default/key/data"}]}' \
        $TEE_EMUL_MODULE_NAMES || return 0
    saved=$mkcw_initrd
    mkcw_initrd=$initrd
    mkcw_boot_with mkcw-volres "$mkcw_measurement"
    mkcw_initrd=$saved
    expect_fail_closed "$log" 242 config
    expect_match "$log" 'error: configuration failed: volume /srv/data names resource default/key/data: broker resources need kbs_protocol=trustee'
    expect_no_match "$log" 'stage unlock done'
    expect_no_match "$work/mkcw-volres.broker" 'POST /kbs/v0/auth'
}

# reference-kbs has one key per workload: secrets in the file are a configuration error before
# anything is unlocked; secrets the image asks for are refused before the workload runs.
test_mkcw_secrets_refused() {
    local initrd="$work/mkcw-secfile.cpio.gz" root saved_initrd saved_disk
    mkcw_prepare || return 0
    # shellcheck disable=SC2086  # a list of module names
    tee_initramfs "$initrd" "$TEE_EMUL_MODULES_61" \
        '{"net_interface":"eth0","net_address":"10.0.2.15/24","shutdown":"reboot","footer_broker_url":true,"insecure_broker":true,
          "secrets":[{"resource":"default/app/tls","file":"tls.key"}]}' \
        $TEE_EMUL_MODULE_NAMES || return 0
    saved_initrd=$mkcw_initrd
    mkcw_initrd=$initrd
    mkcw_boot_with mkcw-secfile "$mkcw_measurement"
    mkcw_initrd=$saved_initrd
    expect_fail_closed "$work/mkcw-secfile.log" 242 config
    expect_match "$work/mkcw-secfile.log" 'error: configuration failed: secrets need kbs_protocol=trustee'
    expect_no_match "$work/mkcw-secfile.log" 'stage unlock done'
    expect_no_match "$work/mkcw-secfile.broker" 'POST /kbs/v0/auth'

    root=$(mkroot mkcw-secimg 'exit 0')
    mkdir -p "$root/etc/cwinit"
    echo '{"secrets":[{"resource":"default/app/tls","file":"tls.key"}]}' > "$root/etc/cwinit/secrets.json"
    if ! "$top/tools/mkdisk" --mkcw "$work/mkcw-footer.json" --root "$root" \
            --config "$work/mkcw-oci.json" --passphrase-file "$mkcw_pass" \
            --output "$work/mkcw-secimg.img" > /dev/null 2> "$work/mkcw-secimg.err"; then
        fail "mkdisk --mkcw failed: $(tail -n 1 "$work/mkcw-secimg.err")"
        return 0
    fi
    saved_disk=$mkcw_disk
    mkcw_disk="$work/mkcw-secimg.img"
    mkcw_boot_with mkcw-secimg "$mkcw_measurement"
    mkcw_disk=$saved_disk
    expect_fail_closed "$work/mkcw-secimg.log" 254 workload-config
    expect_match "$work/mkcw-secimg.log" 'error: workload secrets failed: /etc/cwinit/secrets.json asks for secrets, which reference-kbs cannot serve'
    expect_match "$work/mkcw-secimg.log" 'stage unlock done'
    expect_no_match "$work/mkcw-secimg.log" 'WORKLOAD-RAN'
}

tests+=(mkcw_boot mkcw_wrong_measurement mkcw_volume_resource_refused mkcw_secrets_refused)
