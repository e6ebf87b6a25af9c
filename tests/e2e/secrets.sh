# Secrets for the workload: broker resources delivered as files on a tmpfs at /run/secrets and as
# environment values, from the platform's list (/etc/cwinit.json) and the image's
# (/etc/cwinit/secrets.json), in the root's attested session. Sourced by tests/e2e/run.

# sec_setup: once per run, the broker's secret resources and an initramfs whose file lists one
# platform secret.
sec_setup() {
    [ -f "$work/sec.cpio.gz" ] && return 0
    # Binary, with a NUL and a newline, and a marker to search the disk for afterwards.
    { printf 'cwinit-secret-tls-%s\n' "$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
      printf '\000\377-----END-----\n'; } > "$work/sec-tls.key"
    printf 'cwinit-secret-db-%s' "$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')" > "$work/sec-db"
    printf 'cwinit-secret-platform-%s\n' "$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
        > "$work/sec-platform"
    e2e_initramfs "$work/sec.cpio.gz" '{"tee":"sample","insecure_broker":true,
        "secrets":[{"resource":"default/app/platform","file":"platform.conf","mode":"0440"}]}'
}

# sec_root NAME SECRETS_JSON: a root whose workload (user app, 1000:1000) reports what it got,
# with SECRETS_JSON as /etc/cwinit/secrets.json ("" for none).
sec_root() {
    local root
    root=$(mkroot "$1" 'for f in /run/secrets/*; do
  [ -f "$f" ] && echo "SECRET-FILE: ${f##*/} $(stat -c "%u %g %a" "$f") $(sha256sum < "$f" | cut -c1-64)"
done
echo "SECRET-ENV: DB_PASSWORD ${DB_PASSWORD:+$(printf %s "$DB_PASSWORD" | sha256sum | cut -c1-64)}"
grep " /run/secrets " /proc/mounts | while read -r _ mnt fs opts _; do echo "SECRETS-MOUNT: $mnt $fs $opts"; done
[ -f /run/secrets/kbs-token ] && echo "TOKEN-DOTS: $(tr -cd . < /run/secrets/kbs-token | wc -c)"
echo "WRITE-ROOT: $(touch /run/secrets/x 2>&1 >/dev/null | wc -l)"
exit 0')
    for a in stat sha256sum cut touch; do ln -sf busybox "$root/bin/$a"; done
    if [ -n "$2" ]; then
        mkdir -p "$root/etc/cwinit"
        printf '%s\n' "$2" > "$root/etc/cwinit/secrets.json"
    fi
    e2e_disk "$work/$1.img" "$root" "$(image_config '["/bin/sh","/srv/work/run.sh"]' '[]' app)" "$pass"
}

# sec_boot NAME [cwrun args]: the broker holds the root's passphrase and the three secrets.
sec_boot() {
    local name=$1
    shift
    rm -f "$work/$name.stats"
    e2e_boot "$work/$name.log" --initrd "$work/sec.cpio.gz" --disk "$work/$name.img" \
        --resource "default/key/root-disk=$pass" --resource "default/app/tls=$work/sec-tls.key" \
        --resource "default/app/db=$work/sec-db" --resource "default/app/platform=$work/sec-platform" \
        "${common[@]}" --broker-arg --stats --broker-arg "$work/$name.stats" "$@"
}

sec_stat() {
    /usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2" \
        2> /dev/null || echo missing
}

sec_sha() { sha256sum < "$1" | cut -c1-64; }

test_secrets_delivered() {
    local log="$work/sec-ok.log" plain="$work/sec-ok.plain" f
    sec_setup
    sec_root sec-ok '{"secrets":[{"resource":"default/app/tls","file":"tls.key"},
        {"resource":"default/app/db","env":"DB_PASSWORD"}],"token":"/run/secrets/kbs-token"}'
    sec_boot sec-ok
    expect_status 0
    expect_line "$log" "SECRET-FILE: tls.key 1000 1000 400 $(sec_sha "$work/sec-tls.key")"
    expect_line "$log" "SECRET-FILE: platform.conf 1000 1000 440 $(sec_sha "$work/sec-platform")"
    expect_line "$log" "SECRET-ENV: DB_PASSWORD $(sec_sha "$work/sec-db")"
    expect_line "$log" "TOKEN-DOTS: 2"
    expect_match "$log" '^SECRET-FILE: kbs-token 1000 1000 400 '
    [ "$(grep -c '^SECRET-FILE: ' "$log")" = 3 ] || fail "expected exactly 3 files in /run/secrets"
    expect_match "$log" '^SECRETS-MOUNT: /run/secrets tmpfs rw,nosuid,nodev,noexec,.*size='
    expect_line "$log" "WRITE-ROOT: 1"
    expect_match "$log" 'secrets: 3 of 3 delivered: 2 files in /run/secrets and the attestation token, 1 in the environment'
    expect_match "$log" 'teardown: /run/secrets unmounted'
    # auth, attest and the four resources (the root's passphrase and three secrets), one connection.
    [ "$(sec_stat "$work/sec-ok.stats" requests)" = 6 ] ||
        fail "broker saw $(sec_stat "$work/sec-ok.stats" requests) requests, expected 2 + 4"
    [ "$(sec_stat "$work/sec-ok.stats" connections)" = 1 ] ||
        fail "broker saw $(sec_stat "$work/sec-ok.stats" connections) connections, expected 1"
    # No secret on a console, nor anywhere on the root disk after the VM ended (every byte of
    # the decrypted filesystem, free blocks included).
    for f in "$work/sec-tls.key" "$work/sec-db" "$work/sec-platform"; do
        expect_no_secret "$f" "$log" "$log.runner"
    done
    if /usr/bin/python3 "$top/tools/luks-plaintext" "$work/sec-ok.img" "$pass" "$plain"; then
        expect_no_secret "$work/sec-tls.key" "$plain"
        expect_no_secret "$work/sec-db" "$plain"
        expect_no_secret "$work/sec-platform" "$plain"
        grep -qa 'SECRET-FILE' "$plain" || fail "the decrypted disk lacks its own workload script"
        rm -f "$plain"
    else
        fail "tools/luks-plaintext failed"
    fi
}

# A secret the broker lacks: fatal before the workload, nothing mounted, nothing written.
test_secret_missing() {
    local log="$work/sec-missing.log"
    sec_setup
    sec_root sec-missing '{"secrets":[{"resource":"default/app/absent","file":"absent.key"},
        {"resource":"default/app/tls","file":"tls.key"}]}'
    sec_boot sec-missing
    expect_fail_closed "$log" 247 broker-denied
    expect_match "$log" 'error: fetching a resource failed: resource http://10.0.2.100:8080/kbs/v0/resource/default/app/absent: HTTP 401'
    expect_no_match "$log" 'secrets: .* delivered|/run/secrets unmounted'
    expect_no_secret "$work/sec-tls.key" "$log" "$log.runner"
}

# Optional: one warning line, and the workload runs without it.
test_secret_optional_missing() {
    local log="$work/sec-opt.log"
    sec_setup
    sec_root sec-opt '{"secrets":[{"resource":"default/app/absent","file":"absent.key","optional":true},
        {"resource":"default/app/tls","file":"tls.key"}]}'
    sec_boot sec-opt
    expect_status 0
    expect_line "$log" 'WORKLOAD-RAN'
    [ "$(grep -c 'warning: optional resource default/app/absent not delivered: resource .*HTTP 401' "$log")" = 1 ] ||
        fail "expected one warning line for the optional secret"
    expect_line "$log" "SECRET-FILE: tls.key 1000 1000 400 $(sec_sha "$work/sec-tls.key")"
    expect_no_match "$log" 'SECRET-FILE: absent.key'
}

# The file may forbid image-requested secrets: the image's list is then ignored with a warning.
test_image_secrets_forbidden() {
    local log="$work/sec-forbid.log"
    sec_setup
    [ -f "$work/sec-forbid.cpio.gz" ] || e2e_initramfs "$work/sec-forbid.cpio.gz" \
        '{"tee":"sample","insecure_broker":true,"image_secrets":false}'
    sec_root sec-forbid '{"secrets":[{"resource":"default/app/tls","file":"tls.key"}]}'
    sec_boot sec-forbid --initrd "$work/sec-forbid.cpio.gz"
    expect_status 0
    expect_match "$log" 'warning: the image lists secrets in /etc/cwinit/secrets.json; image_secrets is false'
    expect_no_match "$log" 'SECRET-FILE:|SECRETS-MOUNT:'
    [ "$(sec_stat "$work/sec-forbid.stats" requests)" = 3 ] || fail "the broker was asked for more than the root's key"
}

tests+=(secrets_delivered secret_missing secret_optional_missing image_secrets_forbidden)
