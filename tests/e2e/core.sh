# The core boot path: the workload's identity and statuses, and each
# failure before the workload. Sourced by tests/e2e/run.

test_workload_identity() {
    local root log="$work/identity.log"
    root=$(mkroot identity 'echo "ARGV: $0|$1|$2|$#"
tr "\000" "\n" < /proc/$$/environ | sort | while read -r l; do echo "ENV: $l"; done
echo "CWD: $(pwd)"
echo "UID: $(id -u) GID: $(id -g)"
echo "GROUPS: $(id -G | tr " " "\n" | sort -n | tr "\n" " ")"
exit 7')
    e2e_disk "$work/identity.img" "$root" \
        "$(image_config '["/bin/sh","/srv/work/run.sh"]' '["first arg","second"]' app)" "$pass"
    e2e_boot "$log" --initrd "$initrd" --disk "$work/identity.img" \
        --resource "default/key/root-disk=$pass" "${common[@]}" --exit-port
    expect_status 7
    expect_line "$log" "CWINIT-EXIT: status=7 reason=workload"
    expect_line "$log" "ARGV: /srv/work/run.sh|first arg|second|2"
    expect_line "$log" "ENV: GREETING=hello world"
    expect_line "$log" "ENV: HOME=/home/app"
    expect_line "$log" "ENV: PATH=/bin"
    [ "$(grep -c '^ENV: ' "$log")" = 3 ] || fail "the environment has more than the 3 expected variables"
    expect_line "$log" "CWD: /srv/work"
    expect_line "$log" "UID: 1000 GID: 1000"
    expect_line "$log" "GROUPS: 29 44 1000 "
    expect_match "$log" 'stage attest done in [0-9]+ ms'
    expect_match "$log" 'teardown: 0 device-mapper devices left'
}

test_signal_status() {
    # Also ends the VM the libkrun/Firecracker way.
    boot_workload signal 'kill -KILL $$' --set shutdown=reboot
    expect_status 137
    expect_line "$work/signal.log" "CWINIT-EXIT: status=137 reason=signal:KILL"
}

test_orphans_reaped() {
    # Each inner shell exits at once, so its sleep re-parents to PID 1,
    # which must reap it when it ends.
    boot_workload orphans 'for i in 1 2 3; do sh -c "sleep 1 &"; done
sleep 3
z=0
for s in /proc/[0-9]*/stat; do read -r _ _ st _ < "$s" 2>/dev/null && [ "$st" = Z ] && z=$((z+1)); done
echo "ZOMBIES: $z"
exit 0'
    expect_status 0
    expect_line "$work/orphans.log" "ZOMBIES: 0"
}

test_term_forwarded() {
    boot_workload term 'trap "echo got TERM; exit 42" TERM
kill -TERM 1
i=0; while [ $i -lt 50 ]; do sleep 0.2; i=$((i+1)); done
echo "no TERM arrived"; exit 1'
    expect_status 42
    expect_line "$work/term.log" "got TERM"
}

test_stop_signal() {
    # The image stops on SIGQUIT, as nginx's does: the TERM it sends PID 1 must come back as
    # QUIT. What it leaves behind gets TERM at shutdown (init/supervise.c says why): a
    # background child, which a non-interactive shell makes ignore QUIT anyway.
    local root log="$work/stopsig.log"
    root=$(mkroot stopsig 'trap "echo got TERM; exit 1" TERM
trap "echo got QUIT; exit 0" QUIT
sh -c "trap \"echo LEFTOVER: TERM; exit 0\" TERM; : > /tmp/leftover.ready; while :; do sleep 1; done" &
i=0; while [ ! -e /tmp/leftover.ready ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
[ -e /tmp/leftover.ready ] || { echo "the leftover did not start"; exit 1; }
kill -TERM 1
i=0; while [ $i -lt 50 ]; do sleep 0.2; i=$((i+1)); done
echo "no stop signal arrived"; exit 1')
    e2e_disk "$work/stopsig.img" "$root" \
        "$(image_config '["/bin/sh","/srv/work/run.sh"]' '[]' '' SIGQUIT)" "$pass"
    e2e_boot "$log" --initrd "$initrd" --disk "$work/stopsig.img" \
        --resource "default/key/root-disk=$pass" "${common[@]}"
    expect_status 0
    expect_line "$log" "got QUIT"
    expect_line "$log" "LEFTOVER: TERM"
    expect_match "$log" 'SIGTERM: asking the workload to stop with SIGQUIT, its StopSignal$'
    expect_no_match "$log" 'got TERM|processes still running'
}

test_long_cmdline_word() {
    # A kernel word over 1 KiB that is neither cwinit's nor a loaded module's (another
    # module's certificate in hex, say) is passed over, not a configuration error.
    local blob
    blob=$(head -c 600 /dev/zero | od -An -tx1 -v | tr -d ' \n')
    boot_workload longword 'exit 0' --append "unrelated.cert=$blob"
    expect_status 0
    expect_line "$work/longword.log" "WORKLOAD-RAN"
    expect_line "$work/longword.log" "CWINIT-EXIT: status=0 reason=workload"
}

test_luks1_readonly() {
    local root
    root=$(mkroot luks1 'if echo x > /srv/work/written 2>/dev/null; then echo "ROOT: writable"; else echo "ROOT: read-only"; fi
exit 0')
    e2e_disk "$work/luks1.img" "$root" "$(image_config '["/bin/sh","/srv/work/run.sh"]' '[]')" "$pass" --luks1
    e2e_boot "$work/luks1.log" --initrd "$initrd" --disk "$work/luks1.img" \
        --resource "default/key/root-disk=$pass" "${common[@]}" --set readonly=true
    expect_status 0
    expect_line "$work/luks1.log" "ROOT: read-only"
}

test_wrong_key() {
    local root wrong="$work/wrong-pass"
    root=$(mkroot wrongkey 'exit 0')
    e2e_disk "$work/wrongkey.img" "$root" "$(image_config '["/bin/sh","/srv/work/run.sh"]' '[]')" "$pass"
    printf 'not-the-passphrase' > "$wrong"
    e2e_boot "$work/wrongkey.log" --initrd "$initrd" --disk "$work/wrongkey.img" \
        --resource "default/key/root-disk=$wrong" "${common[@]}"
    expect_fail_closed "$work/wrongkey.log" 251 wrong-key
}

test_broker_unreachable() {
    local port root
    port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    # Nothing listens on the port: the relay's connections are closed at once.
    root=$(mkroot unreachable 'exit 0')
    e2e_disk "$work/unreachable.img" "$root" "$(image_config '["/bin/sh","/srv/work/run.sh"]' '[]')" "$pass"
    e2e_boot "$work/unreachable.log" --initrd "$initrd" --disk "$work/unreachable.img" \
        --broker-url "http://127.0.0.1:$port" "${common[@]}" \
        --set deadline_ms=6000 --set request_timeout_ms=2000
    expect_fail_closed "$work/unreachable.log" 246 broker-unreachable
}

test_broker_denies() {
    boot_workload deny 'exit 0' --broker-arg --policy --broker-arg deny
    expect_fail_closed "$work/deny.log" 247 broker-denied
    expect_match "$work/deny.log" 'resource .*401'
}

test_corrupt_luks_header() {
    local root
    root=$(mkroot corrupt 'exit 0')
    e2e_disk "$work/corrupt.img" "$root" "$(image_config '["/bin/sh","/srv/work/run.sh"]' '[]')" "$pass"
    # Both LUKS2 header copies (at 0 and 16 KiB) are destroyed.
    dd if=/dev/zero of="$work/corrupt.img" bs=1024 count=32 conv=notrunc status=none
    e2e_boot "$work/corrupt.log" --initrd "$initrd" --disk "$work/corrupt.img" \
        --resource "default/key/root-disk=$pass" "${common[@]}" --set root=/dev/vda
    expect_fail_closed "$work/corrupt.log" 250 unlock
}

test_missing_root_device() {
    e2e_boot "$work/noroot.log" --initrd "$initrd" --resource "default/key/root-disk=$pass" \
        "${common[@]}" --set root_wait_ms=2000
    expect_fail_closed "$work/noroot.log" 249 root-not-found
}

test_missing_workload_config() {
    local root
    root=$(mkroot noconfig 'exit 0')
    e2e_disk "$work/noconfig.img" "$root" "" "$pass"
    e2e_boot "$work/noconfig.log" --initrd "$initrd" --disk "$work/noconfig.img" \
        --resource "default/key/root-disk=$pass" "${common[@]}"
    expect_fail_closed "$work/noconfig.log" 254 workload-config
}

test_malformed_workload_config() {
    local root
    root=$(mkroot badconfig 'exit 0')
    printf '{"config":{"Entrypoint":"/bin/sh"' > "$root/.krun_config.json"
    e2e_disk "$work/badconfig.img" "$root" "" "$pass"
    e2e_boot "$work/badconfig.log" --initrd "$initrd" --disk "$work/badconfig.img" \
        --resource "default/key/root-disk=$pass" "${common[@]}"
    expect_fail_closed "$work/badconfig.log" 254 workload-config
}

test_entrypoint_not_found() {
    local root
    root=$(mkroot notfound 'exit 0')
    e2e_disk "$work/notfound.img" "$root" "$(image_config '["/bin/no-such-program"]' '[]')" "$pass"
    e2e_boot "$work/notfound.log" --initrd "$initrd" --disk "$work/notfound.img" \
        --resource "default/key/root-disk=$pass" "${common[@]}"
    expect_fail_closed "$work/notfound.log" 127 not-found
}

test_entrypoint_not_executable() {
    local root
    root=$(mkroot notexec 'exit 0')
    chmod 0644 "$root/srv/work/run.sh"
    e2e_disk "$work/notexec.img" "$root" "$(image_config '["/srv/work/run.sh"]' '[]')" "$pass"
    e2e_boot "$work/notexec.log" --initrd "$initrd" --disk "$work/notexec.img" \
        --resource "default/key/root-disk=$pass" "${common[@]}"
    expect_fail_closed "$work/notexec.log" 126 not-executable
}

test_initramfs_reproducible() {
    e2e_initramfs "$work/again.cpio.gz" "$E2E_CONFIG"
    cmp -s "$initrd" "$work/again.cpio.gz" || fail "two builds of the same initramfs differ"
    cmp -s "$initrd.sums" "$work/again.cpio.gz.sums" || fail "the printed digests differ"
}

tests+=(workload_identity signal_status orphans_reaped term_forwarded stop_signal
       long_cmdline_word luks1_readonly wrong_key broker_unreachable broker_denies
       corrupt_luks_header missing_root_device missing_workload_config
       malformed_workload_config entrypoint_not_found entrypoint_not_executable
       initramfs_reproducible)
