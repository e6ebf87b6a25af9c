# TDX runtime measurement registers on trixie-backports' kernel (6.16 or later, built by
# tools/tee-kernels.sh), whose tdx-guest driver shows them in sysfs: the emulation (tests/tee-emul,
# TEST-ONLY) makes the same files with the kernel's tsm-mr framework. The emulation's own check
# (a workload extends RTMR2 and fetches a quote; the host checks the arithmetic and the signed
# quote), then cwinit's runtime events in RTMR3, replayed by the test broker's verifier from the
# evidence the workload fetches; a kernel without the interface; SEV-SNP, logged only.
# Uses tee.sh's broker set-up. Sourced by tests/e2e/run.

RTMR_SYSFS=/sys/devices/virtual/misc/tdx_guest/measurements

# rtmr_field LOG TAG: the hex after "TAG " on the console line that starts with it.
rtmr_field() {
    sed -n "s/^$2 \\([0-9a-f]*\\)\$/\\1/p" "$1" | head -n 1
}

test_rtmr_extend() {
    local name=rtmr-extend log="$work/rtmr-extend.log" img="$work/rtmr.cpio.gz" root
    local rtmr1 rtmr2 data rd want
    tee_ready || return
    # Start values other than zero, so a read that ignored them would show. (RTMR3 is cwinit's:
    # its boot events are extended there before the workload runs.)
    rtmr1=$(printf '1b%.0s' {1..48})
    rtmr2=$(printf '2b%.0s' {1..48})
    rd=$(head -c 32 /dev/urandom | od -An -tx1 -v | tr -d ' \n')
    # shellcheck disable=SC2086  # a list of module names
    tee_initramfs "$img" "$TEE_EMUL_MODULES_TRIXIE" '{"tee":"tdx","insecure_broker":true}' \
        $TEE_EMUL_MODULE_NAMES_TRIXIE || return
    root=$(mkroot "$name" "m=$RTMR_SYSFS
hex() { busybox od -An -v -tx1 \"\$1\" | tr -d ' \\n'; }
echo \"MR-FILES \$(ls \$m | tr '\\n' ' ')\"
echo \"MR-MODES \$(ls -l \$m | grep -o '^-[rw-]*' | tr '\\n' ' ')\"
echo \"RTMR1-BEFORE \$(hex \$m/rtmr1:sha384)\"
echo \"RTMR2-BEFORE \$(hex \$m/rtmr2:sha384)\"
busybox dd if=/srv/work/extend.bin of=\$m/rtmr2:sha384 bs=48 count=1 2>/dev/null || echo EXTEND-FAILED
echo \"RTMR1-AFTER \$(hex \$m/rtmr1:sha384)\"
echo \"RTMR2-AFTER \$(hex \$m/rtmr2:sha384)\"
busybox dd if=/srv/work/extend.bin of=\$m/rtmr2:sha384 bs=47 count=1 2>/dev/null && echo PARTIAL-ACCEPTED
echo \"RTMR2-LATER \$(hex \$m/rtmr2:sha384)\"
/bin/cwinit evidence get --tee tdx --report-data $rd > /tmp/evidence.json || exit 9
echo \"EVIDENCE \$(tr -d '\\n' < /tmp/evidence.json)\"
/bin/cwinit evidence decode /tmp/evidence.json > /tmp/decoded.json 2>/dev/null
echo \"DECODE-STATUS \$?\"
grep -o '\"rtmr[12]\": \"[0-9a-f]*\"' /tmp/decoded.json | tr -d '\":' | busybox sed 's/^/QUOTE-/'
/bin/cwinit evidence get --tdreport > /tmp/tdreport.json || exit 11
grep -o '\"rtmr[12]\": \"[0-9a-f]*\"' /tmp/tdreport.json | tr -d '\":' | busybox sed 's/^/TDREPORT-/'
exit 0")
    head -c 48 /dev/urandom > "$root/srv/work/extend.bin"
    data=$(od -An -tx1 -v "$root/srv/work/extend.bin" | tr -d ' \n')
    cp "$CWINIT_BIN" "$root/bin/cwinit"
    e2e_disk "$work/$name.img" "$root" "$(image_config '["/bin/sh","/srv/work/run.sh"]' '[]')" "$pass"
    E2E_KERNEL=$TEE_EMUL_KERNEL_TRIXIE/vmlinux e2e_boot "$log" --initrd "$img" \
        --disk "$work/$name.img" --resource "default/key/root-disk=$pass" "${common[@]}" \
        "${tee_broker[@]}" --append "$TEE_EMUL_TDX_APPEND tee_emul.mrtd=$TEE_MRTD tee_emul.rtmr1=$rtmr1 tee_emul.rtmr2=$rtmr2"
    expect_attested "$log" tdx tdx

    # The driver's files, modes and start values.
    expect_line "$log" "MR-FILES mrconfigid mrowner mrownerconfig mrtd:sha384 rtmr0:sha384 rtmr1:sha384 rtmr2:sha384 rtmr3:sha384 "
    expect_line "$log" "MR-MODES -r--r--r-- -r--r--r-- -r--r--r-- -r--r--r-- -rw-r--r-- -rw-r--r-- -rw-r--r-- -rw-r--r-- "
    expect_line "$log" "RTMR1-BEFORE $rtmr1"
    expect_line "$log" "RTMR2-BEFORE $rtmr2"
    # An extend is SHA-384(old || data), computed here; the other register is untouched, and a
    # write of another size is refused and changes nothing.
    want=$(printf '%s%s' "$rtmr2" "$data" | python3 -c \
        'import hashlib, sys; print(hashlib.sha384(bytes.fromhex(sys.stdin.read())).hexdigest())')
    expect_no_match "$log" '^EXTEND-FAILED$'
    expect_line "$log" "RTMR1-AFTER $rtmr1"
    expect_line "$log" "RTMR2-AFTER $want"
    expect_no_match "$log" '^PARTIAL-ACCEPTED$'
    expect_line "$log" "RTMR2-LATER $want"
    # The quote and the TDREPORT carry the current values.
    expect_line "$log" "QUOTE-rtmr1 $rtmr1"
    expect_line "$log" "QUOTE-rtmr2 $want"
    expect_line "$log" "TDREPORT-rtmr1 $rtmr1"
    expect_line "$log" "TDREPORT-rtmr2 $want"
    # The decoder replays cwinit's log, from zero: RTMR1 and RTMR2 started elsewhere.
    expect_line "$log" "DECODE-STATUS 1"
    # The same quote, checked here as the test broker checks one (signature by the test
    # attestation key, REPORT_DATA, MR_TD), with its RTMRs read from the signed body; without
    # the event log, which cannot replay registers this test set by hand.
    local got
    got=$(sed -n 's/^EVIDENCE //p' "$log" | head -n 1 | PYTHONPATH="$top/tools" python3 -c '
import base64, json, sys, kbs_evidence as k
key, mrtd, rd = open(sys.argv[1], "rb").read(), bytes.fromhex(sys.argv[2]), sys.argv[3]
evidence = json.loads(sys.stdin.read())
evidence["cc_eventlog"] = None
k.TdxVerifier(key, mrtd).verify(evidence, bytes.fromhex(rd))
body = k.parse_tdx_quote(base64.b64decode(evidence["quote"]))[1]
print(body[328 + 48:328 + 96].hex(), body[328 + 96:328 + 144].hex())
' "$TEE_EMUL_ATTEST_PUB_PEM" "$TEE_MRTD" "$rd" 2>&1)
    [ "$got" = "$rtmr1 $want" ] || fail "the signed quote's RTMR1/RTMR2: $got"
}

# rtmr_events_boot NAME LABEL: a TDX boot on the new kernel whose workload fetches evidence after
# it starts (cwinit evidence get carries the boot's events after the firmware log) and decodes
# it; $rtmr_events is set to the test broker verifier's replay of that evidence: its AAEL texts,
# one a line, then "RTMR3 <hex>".
rtmr_events_boot() {
    local name=$1 log="$work/$1.log" img="$work/rtmr-events.cpio.gz" root rd
    rd=$(head -c 32 /dev/urandom | od -An -tx1 -v | tr -d ' \n')
    # shellcheck disable=SC2086  # a list of module names
    tee_initramfs "$img" "$TEE_EMUL_MODULES_TRIXIE" '{"tee":"tdx","insecure_broker":true}' \
        $TEE_EMUL_MODULE_NAMES_TRIXIE || return 1
    root=$(mkroot "$name" "/bin/cwinit evidence get --tee tdx --report-data $rd > /tmp/evidence.json || exit 9
echo \"EVIDENCE \$(tr -d '\\n' < /tmp/evidence.json)\"
/bin/cwinit evidence decode /tmp/evidence.json > /dev/null 2>&1 && echo REPLAY-MATCHES
exit 0")
    cp "$CWINIT_BIN" "$root/bin/cwinit"
    e2e_disk "$work/$name.img" "$root" "$(image_config '["/bin/sh","/srv/work/run.sh"]' '[]')" \
        "$pass" --label "$2"
    E2E_KERNEL=$TEE_EMUL_KERNEL_TRIXIE/vmlinux e2e_boot "$log" --initrd "$img" \
        --disk "$work/$name.img" --resource "default/key/root-disk=$pass" "${common[@]}" \
        "${tee_broker[@]}" --append "$TEE_EMUL_TDX_APPEND tee_emul.mrtd=$TEE_MRTD"
    expect_attested "$log" tdx tdx
    expect_line "$log" "REPLAY-MATCHES"
    expect_match "$log" 'runtime measurement: 4 events extended into RTMR3 and logged in [0-9]+\.[0-9]{3} ms'
    expect_no_match "$log" 'warning: runtime'
    rtmr_events=$(sed -n 's/^EVIDENCE //p' "$log" | head -n 1 | PYTHONPATH="$top/tools" python3 -c '
import json, sys, kbs_evidence as k
key, mrtd, rd = open(sys.argv[1], "rb").read(), bytes.fromhex(sys.argv[2]), sys.argv[3]
claims = k.TdxVerifier(key, mrtd).verify(json.loads(sys.stdin.read()), bytes.fromhex(rd))
for e in claims["uefi_event_logs"]:
    print(e["aael"])
print("RTMR3", claims["rtmr"][3])
' "$TEE_EMUL_ATTEST_PUB_PEM" "$TEE_MRTD" "$rd" 2>&1)
}

# The events of a boot, replayed by the test broker's verifier against the signed quote's RTMRs:
# the disk (its UUID and the SHA-384 of its LUKS2 metadata, computed here from the image), the
# workload configuration, the broker and its one resource, the separator; another disk gives
# another RTMR3.
test_rtmr_boot_events() {
    local uuid hdr cfg first second
    tee_ready || return
    rtmr_events_boot rtmr-events-a rtmr-a || return
    uuid=$(cryptsetup luksUUID "$work/rtmr-events-a.img")
    hdr=$(python3 -c 'import hashlib, struct, sys
f = open(sys.argv[1], "rb"); h = f.read(16); size = struct.unpack(">Q", h[8:16])[0]
f.seek(0); print(hashlib.sha384(f.read(2 * size)).hexdigest())' "$work/rtmr-events-a.img")
    cfg=$(printf '%s\n' "$(image_config '["/bin/sh","/srv/work/run.sh"]' '[]')" | sha384sum | cut -c1-96)
    first=$(printf '%s\n' \
        "cwinit UnlockDisk {\"header_sha384\":\"$hdr\",\"mount_point\":\"/\",\"uuid\":\"$uuid\"}" \
        "cwinit WorkloadConfig {\"path\":\"/.krun_config.json\",\"sha384\":\"$cfg\"}" \
        'cwinit Broker {"protocol":"trustee","resources":["default/key/root-disk"],"url":"http://10.0.2.100:8080"}' \
        'cwinit Separator {"state":"workload-start"}')
    [ "$(printf '%s\n' "$rtmr_events" | grep -v '^RTMR3 ')" = "$first" ] ||
        fail "the replayed events differ: $rtmr_events"
    first=$(printf '%s\n' "$rtmr_events" | sed -n 's/^RTMR3 //p')
    [ ${#first} = 96 ] || { fail "no replayed RTMR3"; return; }
    rtmr_events_boot rtmr-events-b rtmr-b || return
    second=$(printf '%s\n' "$rtmr_events" | sed -n 's/^RTMR3 //p')
    [ ${#second} = 96 ] && [ "$second" != "$first" ] ||
        fail "another disk gave RTMR3 $second (the first: $first)"
}

# TDX on 6.12, which has no RTMR sysfs files: the workload runs with one warning; with
# runtime_measurement required the boot fails closed instead.
test_rtmr_kernel_without_interface() {
    local img="$work/rtmr-required.cpio.gz" root log="$work/rtmr-required.log"
    tee_boot rtmr-auto 612 tdx tdx || return
    expect_attested "$work/rtmr-auto.log" tdx tdx
    [ "$(grep -c 'warning: runtime measurement: this kernel has no RTMR sysfs files' "$work/rtmr-auto.log")" = 1 ] ||
        fail "expected one warning that RTMR3 was not extended"
    # shellcheck disable=SC2086  # a list of module names
    tee_initramfs "$img" "$TEE_EMUL_MODULES_612" \
        '{"tee":"tdx","insecure_broker":true,"runtime_measurement":"required"}' $TEE_EMUL_MODULE_NAMES || return
    root=$(mkroot rtmr-required 'exit 0')
    e2e_disk "$work/rtmr-required.img" "$root" "$(image_config '["/bin/sh","/srv/work/run.sh"]' '[]')" "$pass"
    E2E_KERNEL=$TEE_EMUL_KERNEL_612/vmlinux e2e_boot "$log" --initrd "$img" \
        --disk "$work/rtmr-required.img" --resource "default/key/root-disk=$pass" "${common[@]}" \
        "${tee_broker[@]}" --append "$TEE_EMUL_TDX_APPEND tee_emul.mrtd=$TEE_MRTD"
    expect_fail_closed "$log" 245 evidence
    expect_match "$log" 'error: runtime measurement failed: runtime_measurement is required, and this guest offers no RTMR to extend'
    expect_no_match "$log.runner" 'POST /kbs/v0/auth'
}

# SEV-SNP has no runtime registers: the events are logged for the workload, one info line.
test_runtime_events_snp() {
    local log="$work/rtmr-snp.log"
    tee_script='echo "SEPARATORS $(tr -c "A-Za-z " "\n" < /run/cwinit/eventlog | grep -c "cwinit Separator")"
echo "DISKS $(tr -c "A-Za-z " "\n" < /run/cwinit/eventlog | grep -c "cwinit UnlockDisk")"
exit 0' tee_boot rtmr-snp 612 tsm snp || return
    expect_attested "$log" tsm snp
    expect_match "$log" 'runtime measurement: no runtime registers here \(not a TDX guest\); the events are logged for the workload only'
    expect_line "$log" "SEPARATORS 1"
    expect_line "$log" "DISKS 1"
}

tests+=(rtmr_extend rtmr_boot_events rtmr_kernel_without_interface runtime_events_snp)
