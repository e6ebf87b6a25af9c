# TDX runtime measurement registers on trixie-backports' kernel (6.16 or later, built by
# tools/tee-kernels.sh), whose tdx-guest driver shows them in sysfs: the emulation (tests/tee-emul,
# TEST-ONLY) makes the same files with the kernel's tsm-mr framework. A workload reads and
# extends them and fetches a quote; the host checks the arithmetic and the signed quote.
# Uses tee.sh's broker set-up. Sourced by tests/e2e/run.

RTMR_SYSFS=/sys/devices/virtual/misc/tdx_guest/measurements

# rtmr_field LOG TAG: the hex after "TAG " on the console line that starts with it.
rtmr_field() {
    sed -n "s/^$2 \\([0-9a-f]*\\)\$/\\1/p" "$1" | head -n 1
}

test_rtmr_extend() {
    local name=rtmr-extend log="$work/rtmr-extend.log" img="$work/rtmr.cpio.gz" root
    local rtmr2 rtmr3 data rd want
    tee_ready || return
    # Start values other than zero, so a read that ignored them would show.
    rtmr2=$(printf '2b%.0s' {1..48})
    rtmr3=$(printf '3c%.0s' {1..48})
    rd=$(head -c 32 /dev/urandom | od -An -tx1 -v | tr -d ' \n')
    # shellcheck disable=SC2086  # a list of module names
    tee_initramfs "$img" "$TEE_EMUL_MODULES_TRIXIE" '{"tee":"tdx","insecure_broker":true}' \
        $TEE_EMUL_MODULE_NAMES_TRIXIE || return
    root=$(mkroot "$name" "m=$RTMR_SYSFS
hex() { busybox od -An -v -tx1 \"\$1\" | tr -d ' \\n'; }
echo \"MR-FILES \$(ls \$m | tr '\\n' ' ')\"
echo \"MR-MODES \$(ls -l \$m | grep -o '^-[rw-]*' | tr '\\n' ' ')\"
echo \"RTMR2-BEFORE \$(hex \$m/rtmr2:sha384)\"
echo \"RTMR3-BEFORE \$(hex \$m/rtmr3:sha384)\"
busybox dd if=/srv/work/extend.bin of=\$m/rtmr3:sha384 bs=48 count=1 2>/dev/null || echo EXTEND-FAILED
echo \"RTMR2-AFTER \$(hex \$m/rtmr2:sha384)\"
echo \"RTMR3-AFTER \$(hex \$m/rtmr3:sha384)\"
busybox dd if=/srv/work/extend.bin of=\$m/rtmr3:sha384 bs=47 count=1 2>/dev/null && echo PARTIAL-ACCEPTED
echo \"RTMR3-LATER \$(hex \$m/rtmr3:sha384)\"
/bin/cwinit evidence get --tee tdx --report-data $rd > /tmp/evidence.json || exit 9
echo \"EVIDENCE \$(tr -d '\\n' < /tmp/evidence.json)\"
/bin/cwinit evidence decode /tmp/evidence.json > /tmp/decoded.json || exit 10
grep -o '\"rtmr[23]\": \"[0-9a-f]*\"' /tmp/decoded.json | tr -d '\":' | busybox sed 's/^/QUOTE-/'
/bin/cwinit evidence get --tdreport > /tmp/tdreport.json || exit 11
grep -o '\"rtmr[23]\": \"[0-9a-f]*\"' /tmp/tdreport.json | tr -d '\":' | busybox sed 's/^/TDREPORT-/'
exit 0")
    head -c 48 /dev/urandom > "$root/srv/work/extend.bin"
    data=$(od -An -tx1 -v "$root/srv/work/extend.bin" | tr -d ' \n')
    cp "$CWINIT_BIN" "$root/bin/cwinit"
    e2e_disk "$work/$name.img" "$root" "$(image_config '["/bin/sh","/srv/work/run.sh"]' '[]')" "$pass"
    E2E_KERNEL=$TEE_EMUL_KERNEL_TRIXIE/vmlinux e2e_boot "$log" --initrd "$img" \
        --disk "$work/$name.img" --resource "default/key/root-disk=$pass" "${common[@]}" \
        "${tee_broker[@]}" --append "$TEE_EMUL_TDX_APPEND tee_emul.mrtd=$TEE_MRTD tee_emul.rtmr2=$rtmr2 tee_emul.rtmr3=$rtmr3"
    expect_attested "$log" tdx tdx

    # The driver's files, modes and start values.
    expect_line "$log" "MR-FILES mrconfigid mrowner mrownerconfig mrtd:sha384 rtmr0:sha384 rtmr1:sha384 rtmr2:sha384 rtmr3:sha384 "
    expect_line "$log" "MR-MODES -r--r--r-- -r--r--r-- -r--r--r-- -r--r--r-- -rw-r--r-- -rw-r--r-- -rw-r--r-- -rw-r--r-- "
    expect_line "$log" "RTMR2-BEFORE $rtmr2"
    expect_line "$log" "RTMR3-BEFORE $rtmr3"
    # An extend is SHA-384(old || data), computed here; the other register is untouched, and a
    # write of another size is refused and changes nothing.
    want=$(printf '%s%s' "$rtmr3" "$data" | python3 -c \
        'import hashlib, sys; print(hashlib.sha384(bytes.fromhex(sys.stdin.read())).hexdigest())')
    expect_no_match "$log" '^EXTEND-FAILED$'
    expect_line "$log" "RTMR2-AFTER $rtmr2"
    expect_line "$log" "RTMR3-AFTER $want"
    expect_no_match "$log" '^PARTIAL-ACCEPTED$'
    expect_line "$log" "RTMR3-LATER $want"
    # The quote and the TDREPORT carry the current values.
    expect_line "$log" "QUOTE-rtmr2 $rtmr2"
    expect_line "$log" "QUOTE-rtmr3 $want"
    expect_line "$log" "TDREPORT-rtmr2 $rtmr2"
    expect_line "$log" "TDREPORT-rtmr3 $want"
    # The same quote, checked here as the test broker checks one (signature by the test
    # attestation key, REPORT_DATA, MR_TD), with its RTMRs read from the signed body.
    local got
    got=$(sed -n 's/^EVIDENCE //p' "$log" | head -n 1 | PYTHONPATH="$top/tools" python3 -c '
import base64, json, sys, kbs_evidence as k
key, mrtd, rd = open(sys.argv[1], "rb").read(), bytes.fromhex(sys.argv[2]), sys.argv[3]
evidence = json.loads(sys.stdin.read())
k.TdxVerifier(key, mrtd).verify(evidence, bytes.fromhex(rd))
body = k.parse_tdx_quote(base64.b64decode(evidence["quote"]))[1]
print(body[328 + 96:328 + 144].hex(), body[328 + 144:328 + 192].hex())
' "$TEE_EMUL_ATTEST_PUB_PEM" "$TEE_MRTD" "$rd" 2>&1)
    [ "$got" = "$rtmr2 $want" ] || fail "the signed quote's RTMR2/RTMR3: $got"
}

tests+=(rtmr_extend)
