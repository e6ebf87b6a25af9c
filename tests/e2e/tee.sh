# Hardware evidence paths on emulated TEEs: cwinit's snp (/dev/sev-guest), tsm (configfs-tsm)
# and tdx providers, and auto, each against the test broker's real SNP and TDX verification,
# with the TEST-ONLY module tests/tee-emul loaded in the guest (built by tools/tee-emul.sh for
# Debian 12's 6.1 kernel, /dev/sev-guest only, and bookworm-backports' 6.12, with configfs-tsm).
# Every boot runs the workload after a real key exchange, or fails closed before it.
# Sourced by tests/e2e/run.

# The values the emulated hardware reports and the broker expects (48, 32 and 48 bytes).
TEE_MEASUREMENT=$(printf '5a%.0s' {1..48})
TEE_HOST_DATA=$(printf 'c3%.0s' {1..32})
TEE_MRTD=$(printf '7d%.0s' {1..48})

# tee_ready: tee_env, and the broker's arguments for both kinds of evidence (the session's tee
# picks the verifier).
tee_ready() {
    tee_env || return 1
    tee_broker=(--broker-arg --snp-trusted-cert --broker-arg "$TEE_EMUL_VCEK_CERT_PEM"
                --broker-arg --snp-measurement --broker-arg "$TEE_MEASUREMENT"
                --broker-arg --snp-host-data --broker-arg "$TEE_HOST_DATA"
                --broker-arg --tdx-attestation-key --broker-arg "$TEE_EMUL_ATTEST_PUB_PEM"
                --broker-arg --tdx-mrtd --broker-arg "$TEE_MRTD")
}

# tee_image KERNEL(61|612) TEE: $img, an initramfs saying tee=TEE with tee_emul loaded.
tee_image() {
    local kdir tree
    tee_ready || return 1
    if [ "$1" = 61 ]; then kdir=$TEE_EMUL_KERNEL_61 tree=$TEE_EMUL_MODULES_61
    else kdir=$TEE_EMUL_KERNEL_612 tree=$TEE_EMUL_MODULES_612; fi
    img="$work/tee-$1-$2.cpio.gz"
    kernel="$kdir/vmlinux"
    # shellcheck disable=SC2086  # a list of module names
    tee_initramfs "$img" "$tree" "{\"tee\":\"$2\",\"insecure_broker\":true}" $TEE_EMUL_MODULE_NAMES
}

# tee_boot NAME KERNEL TEE MODE [EXTRA]: a workload disk, the good key, the verifying broker,
# and the emulation in MODE (snp|tdx) with its parameters, and EXTRA words, on the kernel
# command line (init/modules.c hands tee_emul.* to the module). The guest's measurement is
# $tee_guest_measurement when set.
tee_boot() {
    local name=$1 root img kernel append
    tee_image "$2" "$3" || return 1
    if [ "$4" = snp ]; then
        append="$TEE_EMUL_SNP_APPEND tee_emul.host_data=$TEE_HOST_DATA"
        append+=" tee_emul.measurement=${tee_guest_measurement:-$TEE_MEASUREMENT}"
    else
        append="$TEE_EMUL_TDX_APPEND tee_emul.mrtd=$TEE_MRTD"
    fi
    root=$(mkroot "$name" "${tee_script:-exit 0}")
    [ -z "${tee_script:-}" ] || cp "$CWINIT_BIN" "$root/bin/cwinit"
    e2e_disk "$work/$name.img" "$root" "$(image_config '["/bin/sh","/srv/work/run.sh"]' '[]')" "$pass"
    E2E_KERNEL=$kernel e2e_boot "$work/$name.log" --initrd "$img" --disk "$work/$name.img" \
        --resource "default/key/root-disk=$pass" "${common[@]}" "${tee_broker[@]}" \
        --append "$append${5:+ $5}"
}

# expect_attested LOG PROVIDER TEE: the workload ran after the broker verified TEE evidence.
expect_attested() {
    expect_status 0
    expect_line "$1" "CWINIT-EXIT: status=0 reason=workload"
    expect_line "$1" "WORKLOAD-RAN"
    expect_match "$1" "tee_emul: TEST-ONLY emulation"
    expect_match "$1" "attested with tee $2 and fetched default/key/root-disk"
    expect_match "$1.runner" "POST /kbs/v0/auth 200 why=session=[0-9a-f]+ tee=$3\$"
    expect_match "$1.runner" "POST /kbs/v0/attest 200 why=attested session="
    expect_match "$1.runner" "GET /kbs/v0/resource/default/key/root-disk 200"
}

# expect_tee_failure LOG CODE REASON PATTERN: failed closed with one line matching PATTERN.
expect_tee_failure() {
    expect_fail_closed "$1" "$2" "$3"
    expect_match "$1" "error: attestation failed: $4"
    [ "$(grep -c 'error: ' "$1")" = 1 ] || fail "expected exactly one error line on the console"
}

test_tee_snp_ioctl() {
    tee_boot tee-snp-ioctl 61 snp snp
    expect_attested "$work/tee-snp-ioctl.log" snp snp
}

test_tee_evidence_get_in_guest() {
    # `cwinit evidence get`, run by the workload (not PID 1), fetches evidence for a chosen
    # report_data; the same binary's decoder reads it back and checks the signature with the
    # VCEK in its cert_chain.
    local rd=00112233445566778899aabbccddeeff
    tee_script="/bin/cwinit evidence get --tee snp --report-data $rd > /tmp/evidence.json || exit 9
/bin/cwinit evidence decode /tmp/evidence.json > /tmp/decoded.json || exit 10
grep -o '\"report_data\": \"[0-9a-f]*\"' /tmp/decoded.json | sed 's/^/GOT /'
grep -q '\"verified\": true' /tmp/decoded.json && echo 'GOT verified'
exit 0" tee_boot tee-evidence-get 61 snp snp
    expect_attested "$work/tee-evidence-get.log" snp snp
    expect_line "$work/tee-evidence-get.log" "GOT \"report_data\": \"$rd$(printf '0%.0s' {1..96})\""
    expect_line "$work/tee-evidence-get.log" "GOT verified"
}

test_tee_auto_sev_guest() {
    # 6.1 has no configfs-tsm: auto finds /dev/sev-guest.
    tee_boot tee-auto-sev 61 auto snp
    expect_attested "$work/tee-auto-sev.log" snp snp
}

test_tee_auto_tsm_snp() {
    # 6.12: the emulation registers the sev_guest configfs-tsm provider, which auto tries first.
    tee_boot tee-auto-tsm-snp 612 auto snp
    expect_attested "$work/tee-auto-tsm-snp.log" tsm snp
}

test_tee_auto_tsm_tdx() {
    tee_boot tee-auto-tsm-tdx 612 auto tdx
    expect_attested "$work/tee-auto-tsm-tdx.log" tsm tdx
}

test_tee_tdx_quote() {
    # The tdx provider: the quote through configfs-tsm, /dev/tdx_guest alongside.
    tee_boot tee-tdx 612 tdx tdx
    expect_attested "$work/tee-tdx.log" tdx tdx
}

test_tee_fault_eio() {
    tee_boot tee-eio 61 snp snp tee_emul.fault=eio
    expect_tee_failure "$work/tee-eio.log" 245 evidence '.*firmware status 0x'
    expect_no_match "$work/tee-eio.log.runner" 'POST /kbs/v0/attest'
}

test_tee_fault_enotty() {
    tee_boot tee-enotty 61 snp snp tee_emul.fault=enotty
    expect_tee_failure "$work/tee-enotty.log" 245 evidence ".*message key is disabled until reboot"
    expect_no_match "$work/tee-enotty.log.runner" 'POST /kbs/v0/attest'
}

test_tee_fault_busy() {
    tee_boot tee-busy 61 snp snp tee_emul.fault=busy
    expect_tee_failure "$work/tee-busy.log" 245 evidence '.*the host stayed busy'
    expect_no_match "$work/tee-busy.log.runner" 'POST /kbs/v0/attest'
}

test_tee_fault_empty_quote() {
    tee_boot tee-empty-quote 612 tdx tdx tee_emul.fault=empty_quote
    expect_tee_failure "$work/tee-empty-quote.log" 245 evidence '.*empty quote'
    expect_no_match "$work/tee-empty-quote.log.runner" 'POST /kbs/v0/attest'
}

test_tee_bad_report_data() {
    # A report that does not carry cwinit's report_data never leaves the guest.
    tee_boot tee-bad-rd 612 auto snp tee_emul.fault=bad_report_data
    expect_tee_failure "$work/tee-bad-rd.log" 245 evidence '.*does not carry our report'
    expect_no_match "$work/tee-bad-rd.log.runner" 'POST /kbs/v0/attest'
}

test_tee_wrong_measurement() {
    # The guest's measurement is not the one the broker expects: it refuses the evidence.
    local tee_guest_measurement
    tee_guest_measurement=$(printf 'a5%.0s' {1..48})
    tee_boot tee-measurement 61 snp snp
    expect_fail_closed "$work/tee-measurement.log" 247 broker-denied
    expect_match "$work/tee-measurement.log.runner" \
        "POST /kbs/v0/attest 401 why=verify TEE evidence failed: measurement $tee_guest_measurement is not the expected"
}

# An init-data document (SHA-384: the MRCONFIGID size) for the emulated TDX guests.
tee_tdx_doc=''
tee_tdx_document() {
    [ -n "$tee_tdx_doc" ] && return 0
    mkdir -p "$work/tdx-init"
    tee_tdx_doc=$work/tdx-init/init-data.toml
    printf 'algorithm = "sha384"\nversion = "0.1.0"\n\n[data]\n"policy.rego" = %s\n' \
        "'package agent_policy'" > "$tee_tdx_doc"
}

# tee_tdx_init_data NAME MRCONFIGID: an emulated TDX guest (the tdx provider) whose initramfs
# carries that document, launched with MRCONFIGID.
tee_tdx_init_data() {
    local name=$1 img=$work/tdx-init/initrd.cpio.gz root
    tee_ready || return 1
    tee_tdx_document
    # shellcheck disable=SC2086  # a list of module names
    tee_initramfs "$img" "$TEE_EMUL_MODULES_612" \
        '{"tee":"tdx","insecure_broker":true,"init_data":"/etc/cwinit/init-data.toml"}' $TEE_EMUL_MODULE_NAMES \
        --add "$tee_tdx_doc:/etc/cwinit/init-data.toml" || return 1
    root=$(mkroot "$name" 'exit 0')
    e2e_disk "$work/$name.img" "$root" "$(image_config '["/bin/sh","/srv/work/run.sh"]' '[]')" "$pass"
    E2E_KERNEL=$TEE_EMUL_KERNEL_612/vmlinux e2e_boot "$work/$name.log" --initrd "$img" \
        --disk "$work/$name.img" --resource "default/key/root-disk=$pass" "${common[@]}" \
        "${tee_broker[@]}" --append "$TEE_EMUL_TDX_APPEND tee_emul.mrtd=$TEE_MRTD tee_emul.mrconfigid=$2"
}

test_tee_tdx_init_data() {
    # The host launched the TD with the document's digest as MRCONFIGID: cwinit checks it
    # before sending, the broker checks it again against the quote.
    local log="$work/tee-tdx-init.log" digest
    tee_tdx_document
    tee_tdx_init_data tee-tdx-init "$(sha384sum "$tee_tdx_doc" | cut -c1-96)" || return
    expect_attested "$log" tdx tdx
    expect_no_match "$log" 'sent unchecked'
    digest=$(openssl dgst -sha384 -binary "$tee_tdx_doc" | base64 -w0)
    grep -qF "init-data=$digest" "$log.runner" || fail "the broker did not check the init-data digest"
}

test_tee_tdx_init_data_mismatch() {
    # Launched with another MRCONFIGID: refused in the guest, before the evidence is sent.
    local log="$work/tee-tdx-other.log" want
    tee_tdx_document
    want=$(sha384sum "$tee_tdx_doc" | cut -c1-32)
    tee_tdx_init_data tee-tdx-other "$(printf '9e%.0s' {1..48})" || return
    expect_tee_failure "$log" 245 evidence "attest http://10.0.2.100:8080: init-data digest \(sha384, as is to 48 bytes\) $want\.\.\. but the TDX quote's MRCONFIGID is 9e9e9e9e9e9e9e9e9e9e9e9e9e9e9e9e\.\.\.: the VM was launched with other init-data"
    grep -q 'POST /kbs/v0/auth 200' "$log.runner" || fail "no auth request"
    ! grep -q 'POST /kbs/v0/attest' "$log.runner" || fail "the attestation was sent"
}

test_tee_auto_none() {
    # No TEE at all: auto fails closed and never falls back to sample.
    local img="$work/tee-none.cpio.gz" log="$work/tee-none.log" root kdir
    kdir=$(e2e_kernel_dir)
    tee_initramfs "$img" "$kdir/lib/modules/$(cat "$kdir/version")" '{"tee":"auto","insecure_broker":true}' || return
    root=$(mkroot tee-none 'exit 0')
    e2e_disk "$work/tee-none.img" "$root" "$(image_config '["/bin/sh","/srv/work/run.sh"]' '[]')" "$pass"
    e2e_boot "$log" --initrd "$img" --disk "$work/tee-none.img" \
        --resource "default/key/root-disk=$pass" "${common[@]}"
    expect_tee_failure "$log" 245 evidence 'no TEE found '
    expect_no_match "$log.runner" 'POST /kbs/v0/auth'
}

tests+=(tee_snp_ioctl tee_evidence_get_in_guest tee_auto_sev_guest tee_auto_tsm_snp tee_auto_tsm_tdx tee_tdx_quote
        tee_fault_eio tee_fault_enotty tee_fault_busy tee_fault_empty_quote tee_bad_report_data
        tee_wrong_measurement tee_tdx_init_data tee_tdx_init_data_mismatch tee_auto_none)
