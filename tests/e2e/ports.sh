# libkrun's stdio ports: virtio-console ports named krun-stdin, krun-stdout and krun-stderr
# (libkrun adds them when its caller's stdio are not terminals) become the workload's 0, 1 and 2,
# each on its own, while cwinit's lines stay on the console. QEMU's virtio-serial stands in for
# libkrun's console device. Sourced by tests/e2e/run.

# ports_prepare: once per run, the common initramfs plus virtio_console (the Debian kernel has it
# as a module; libkrunfw builds it in) and a disk whose workload reads two lines from stdin
# (never to EOF: QEMU's pipe backend keeps its end open) and writes to stdout and stderr.
ports_prepare() {
    [ -f "$work/ports-read.img" ] && return 0
    local root
    e2e_initramfs "$work/ports.cpio.gz" "$E2E_CONFIG" --module virtio_console
    root=$(mkroot ports 'if [ "$1" = read ]; then read -r a; read -r b; echo "STDIN: $a|$b"; fi
echo "WORKLOAD-STDOUT"
echo "WORKLOAD-STDERR" >&2
exit 3')
    e2e_disk "$work/ports.img" "$root" "$(image_config '["/bin/sh","/srv/work/run.sh"]' '[]')" "$pass"
    e2e_disk "$work/ports-read.img" "$root" \
        "$(image_config '["/bin/sh","/srv/work/run.sh"]' '["read"]')" "$pass"
}

# ports_boot NAME DISK PORT=CHARDEV...: boots DISK with a virtio-serial device carrying the named
# ports, in the order given (the port numbers follow that order, not the descriptors).
ports_boot() {
    local name=$1 disk=$2 spec args=(--qemu-arg -device --qemu-arg "virtio-serial-pci,id=vs0")
    shift 2
    for spec in "$@"; do
        args+=(--qemu-arg -chardev --qemu-arg "${spec#*=},id=${spec%%=*}"
               --qemu-arg -device
               --qemu-arg "virtserialport,bus=vs0.0,chardev=${spec%%=*},name=${spec%%=*}")
    done
    e2e_boot "$work/$name.log" --initrd "$work/ports.cpio.gz" --disk "$disk" \
        --resource "default/key/root-disk=$pass" "${common[@]}" "${args[@]}"
}

# expect_file FILE TEXT: FILE holds exactly TEXT.
expect_file() {
    [ "$(cat "$1" 2>/dev/null; echo x)" = "$2"x ] ||
        fail "$(basename "$1") holds '$(head -c 200 "$1" 2>/dev/null | tr '\n' '|')', expected '$(printf %s "$2" | tr '\n' '|')'"
}

# cwinit's own lines: every stage, the exit line, no warning about a port.
expect_cwinit_lines() {
    local log=$1 s
    for s in early-setup modules find-root network attest unlock mount switch-root exec; do
        expect_match "$log" "^cwinit: \[ *[0-9]+ ms\] stage $s done in [0-9]+ ms$"
    done
    expect_line "$log" "CWINIT-EXIT: status=3 reason=workload"
    expect_match "$log" 'teardown: 0 device-mapper devices left'
    expect_no_match "$log" 'warning: .*port'
}

test_stdio_ports() {
    local log="$work/ports-all.log" fifo="$work/ports.stdin" fd
    ports_prepare
    rm -f "$work/ports.stdout" "$work/ports.stderr" "$fifo"
    mkfifo "$fifo"
    # Read-write, so neither this open nor QEMU's blocks; the bytes wait in the pipe until the
    # guest opens the port (QEMU passes nothing to a port the guest has not opened).
    exec {fd}<>"$fifo"
    printf 'first line\nsecond line\n' >&"$fd"
    # An unrelated port first: krun-stderr is port 2, krun-stdin 3, krun-stdout 4.
    ports_boot ports-all "$work/ports-read.img" org.cwinit.other=file,path=/dev/null \
        krun-stderr="file,path=$work/ports.stderr" krun-stdin="pipe,path=$fifo" \
        krun-stdout="file,path=$work/ports.stdout"
    exec {fd}>&-
    expect_status 3
    expect_file "$work/ports.stdout" $'WORKLOAD-RAN\nSTDIN: first line|second line\nWORKLOAD-STDOUT\n'
    expect_file "$work/ports.stderr" $'WORKLOAD-STDERR\n'
    expect_no_match "$log" 'WORKLOAD-|STDIN:'
    expect_match "$log" '^cwinit: \[ *[0-9]+ ms\] workload stdin: port krun-stdin \(/dev/vport[0-9]+p3\)$'
    expect_match "$log" '^cwinit: \[ *[0-9]+ ms\] workload stdout: port krun-stdout \(/dev/vport[0-9]+p4\)$'
    expect_match "$log" '^cwinit: \[ *[0-9]+ ms\] workload stderr: port krun-stderr \(/dev/vport[0-9]+p2\)$'
    expect_cwinit_lines "$log"
}

# Each port on its own: with krun-stdout alone, stderr stays on the console. Without any krun-
# port, everything does, as in every other boot (test_workload_identity has no virtio-serial).
test_stdio_ports_partial() {
    local log="$work/ports-partial.log"
    ports_prepare
    rm -f "$work/ports.stdout"
    ports_boot ports-partial "$work/ports.img" org.cwinit.other=file,path=/dev/null \
        krun-stdout="file,path=$work/ports.stdout"
    expect_status 3
    expect_file "$work/ports.stdout" $'WORKLOAD-RAN\nWORKLOAD-STDOUT\n'
    expect_line "$log" 'WORKLOAD-STDERR'
    expect_no_match "$log" 'WORKLOAD-RAN|WORKLOAD-STDOUT'
    expect_match "$log" 'workload stdout: port krun-stdout'
    expect_no_match "$log" 'workload std(in|err): port'
    expect_cwinit_lines "$log"

    ports_boot ports-none "$work/ports.img" org.cwinit.other=file,path=/dev/null
    log="$work/ports-none.log"
    expect_status 3
    expect_line "$log" 'WORKLOAD-RAN'
    expect_line "$log" 'WORKLOAD-STDOUT'
    expect_line "$log" 'WORKLOAD-STDERR'
    expect_no_match "$log" 'workload std(in|out|err): port'
    expect_cwinit_lines "$log"
}

tests+=(stdio_ports stdio_ports_partial)
