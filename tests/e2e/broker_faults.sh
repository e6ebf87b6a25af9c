# The Trustee exchange against the test broker's faults, under QEMU: each
# boot either recovers (the workload runs) or fails closed with its
# documented code and one line naming the URL, the step and the status; the
# workload never runs after a failure. Also the P-521 and RSA-3072 keys,
# RSA1_5 refused by default, HTTPS with a CA in the initramfs (and a wrong
# CA), one connection per exchange, and init-data: sent with sample
# evidence, and checked against HOST_DATA on an emulated SEV-SNP guest.
# (The 401 deny is core.sh's broker_denies.) Sourced by tests/e2e/run.

# Small limits so that failing boots end quickly; a test's own --set comes
# first and wins (cwrun keeps the first value of a key).
bf_common=(--set request_timeout_ms=3000 --set deadline_ms=15000 --set attempts=3
           --set grace_ms=1000 --set root_wait_ms=5000)

# One disk for every boot here; its workload only says it ran.
bf_disk() {
    local root
    [ -f "$work/bf.img" ] && return
    root=$(mkroot bf 'exit 0')
    e2e_disk "$work/bf.img" "$root" "$(image_config '["/bin/sh","/srv/work/run.sh"]' '[]')" "$pass"
}

# bf_boot NAME [cwrun args...]: boots the shared disk against the bundled broker.
bf_boot() {
    local name=$1
    shift
    bf_disk
    e2e_boot "$work/bf-$name.log" --initrd "${bf_initrd:-$initrd}" --disk "$work/bf.img" \
        --resource "default/key/root-disk=$pass" "$@" "${bf_common[@]}"
}

# bf_fault NAME FAULT [cwrun args...]: the same with one broker fault.
bf_fault() {
    local name=$1 fault=$2
    shift 2
    bf_boot "$name" --broker-arg --fault --broker-arg "$fault" "$@"
}

bf_ran() { # LOG: the workload ran and exited 0
    expect_status 0
    expect_line "$1" "CWINIT-EXIT: status=0 reason=workload"
    expect_line "$1" "WORKLOAD-RAN"
}

# bf_closed LOG CODE REASON PATTERN: failed closed with one error line that
# names the step and URL and matches PATTERN.
bf_closed() {
    expect_fail_closed "$1" "$2" "$3"
    [ "$(grep -c ' error: ' "$1")" = 1 ] || fail "not exactly one error line"
    expect_match "$1" "error: attestation failed: $4"
}

# bf_stat FILE NAME: a counter from test-kbs --stats.
bf_stat() {
    /usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2" \
        2>/dev/null || echo missing
}

bf_url='http://10.0.2.100:8080/kbs/v0'

test_broker_refused_then_5xx() {
    local log="$work/bf-recover.log"
    # The first connection is refused, the first request then gets a 503;
    # the third attempt goes through.
    bf_boot recover --broker-arg --fault --broker-arg refuse-first=1 \
        --broker-arg --fault --broker-arg 5xx-first=1
    bf_ran "$log"
    expect_match "$log" "kbs: attempt 1 of 3 failed: auth $bf_url/auth: no HTTP answer: .*; retrying in [0-9]+ ms"
    expect_match "$log" "kbs: attempt 2 of 3 failed: auth $bf_url/auth: HTTP 503 ServiceUnavailable: test-kbs fault 5xx-first; retrying"
}

test_broker_stall_deadline() {
    local log="$work/bf-stall.log" start end
    bf_fault stall stall --set request_timeout_ms=1500 --set deadline_ms=5000 --set attempts=10
    bf_closed "$log" 246 broker-unreachable \
        "(deadline of 5000 ms reached: )?auth $bf_url/auth: (no HTTP answer: Operation timed out|deadline of 5000 ms reached)"
    # Guest time (ms since boot) from the exchange's start, logged as it
    # begins, to the failure line: within the deadline plus 1 s of slack.
    start=$(sed -n 's/^cwinit: \[ *\([0-9]*\) ms\] warning: broker .* is plain HTTP.*/\1/p' "$log")
    end=$(sed -n 's/^cwinit: \[ *\([0-9]*\) ms\] error: attestation failed.*/\1/p' "$log")
    if [ -z "$start" ] || [ -z "$end" ]; then
        fail "no start or failure time on the console"
    else
        [ $((end - start)) -le 6000 ] || fail "failed $((end - start)) ms after the start (deadline 5000)"
        [ $((end - start)) -ge 3000 ] || fail "gave up after $((end - start)) ms, long before the deadline"
    fi
    [ "$(grep -c 'kbs: attempt .* failed: .*timed out' "$log")" -ge 2 ] || fail "fewer than 2 retries"
}

test_broker_garbage_json() {
    bf_fault badjson bad-json
    bf_closed "$work/bf-badjson.log" 248 broker-answer \
        "resource $bf_url/resource/default/key/root-disk: HTTP 200 answer: resource answer is not a JSON object \(attempt 1 of 3\)"
}

test_broker_truncated_body() {
    local log="$work/bf-truncate.log"
    # A cut-off answer is a transport failure: retried, then final.
    bf_fault truncate truncate
    bf_closed "$log" 246 broker-unreachable \
        "resource $bf_url/resource/default/key/root-disk: no HTTP answer: transfer closed with 4096 bytes remaining to read \(attempt 3 of 3\)"
    [ "$(grep -c 'kbs: attempt [12] of 3 failed: resource' "$log")" = 2 ] || fail "not retried twice"
}

test_broker_oversized_body() {
    bf_fault oversize oversize
    bf_closed "$work/bf-oversize.log" 248 broker-answer \
        "resource $bf_url/resource/default/key/root-disk: answer larger than 1048576 bytes \(attempt 1 of 3\)"
}

test_broker_bad_tag() {
    bf_fault badtag corrupt-tag
    bf_closed "$work/bf-badtag.log" 248 broker-answer \
        "resource $bf_url/resource/default/key/root-disk: HTTP 200 answer: JWE authentication failed"
}

test_broker_wrong_alg() {
    bf_fault wrongalg wrong-alg
    bf_closed "$work/bf-wrongalg.log" 248 broker-answer \
        "resource $bf_url/resource/default/key/root-disk: HTTP 200 answer: JWE alg \"A128KW\" is not the one our TEE key asked for \(ECDH-ES\+A256KW\)"
}

test_broker_p521_forgotten_session() {
    local log="$work/bf-p521.log" stats="$work/bf-p521.stats"
    # A P-521 key, and a broker that forgets the session before the
    # resource: a new session on the same connection.
    bf_fault p521 forget-session --set tee_key=ec-p521 --broker-arg --stats --broker-arg "$stats"
    bf_ran "$log"
    expect_match "$log" "attested with tee sample and fetched default/key/root-disk \(6 HTTP requests, TEE key ec-p521\)"
    grep -q 'fault forget-session dropped the session' "$log.runner" || fail "the broker did not forget the session"
    [ "$(bf_stat "$stats" connections)" = 1 ] || fail "broker saw $(bf_stat "$stats" connections) connections, expected 1"
}

test_broker_rsa_3072() {
    bf_boot rsa --set tee_key=rsa-3072
    bf_ran "$work/bf-rsa.log"
    expect_match "$work/bf-rsa.log" "\(3 HTTP requests, TEE key rsa-3072\)"
    grep -q 'RSA RSA-OAEP-256 default/key/root-disk' "$work/bf-rsa.log.runner" || fail "the broker did not answer RSA-OAEP-256"
}

test_broker_rsa1_5_refused() {
    bf_fault rsa15 rsa1_5 --set tee_key=rsa-3072
    bf_closed "$work/bf-rsa15.log" 248 broker-answer \
        "resource $bf_url/resource/default/key/root-disk: HTTP 200 answer: JWE alg \"RSA1_5\" refused: our TEE key asked for RSA-OAEP-256 \(allow_rsa1_5=true"
}

# HTTPS: a test CA signs the broker's certificate for 10.0.2.100 (the
# address the guest uses); another CA signs nothing. Both and an init-data
# document go into their own initramfs.
bf_https_setup() {
    local d="$work/tls"
    [ -f "$work/bf-https.cpio.gz" ] && return
    e2e_tls "$d"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj /CN=cwinit-e2e-other-ca -keyout "$d/other.key" -out "$d/other-ca.pem" 2>/dev/null
    printf 'algorithm = "sha384"\nversion = "0.1.0"\n\n[data]\n"note.txt" = %s\n' \
        "'''
from the cwinit e2e tests
'''" > "$d/init-data.toml"
    e2e_initramfs "$work/bf-https.cpio.gz" '{"tee":"sample","init_data":"/etc/cwinit/init-data.toml"}' \
        --add "$d/ca.pem:/etc/cwinit/ca.pem" --add "$d/other-ca.pem:/etc/cwinit/other-ca.pem" \
        --add "$d/init-data.toml:/etc/cwinit/init-data.toml"
}

test_broker_https() {
    local log="$work/bf-https.log" stats="$work/bf-https.stats" digest
    bf_https_setup
    bf_initrd="$work/bf-https.cpio.gz" bf_boot https --set ca_file=/etc/cwinit/ca.pem \
        --broker-arg --tls-cert --broker-arg "$work/tls/server.pem" \
        --broker-arg --tls-key --broker-arg "$work/tls/server.key" \
        --broker-arg --stats --broker-arg "$stats"
    bf_ran "$log"
    expect_no_match "$log" 'plain HTTP'
    expect_match "$log" 'configuration: broker https://10.0.2.100:8080,'
    # auth, attest and resource over one TLS connection.
    [ "$(bf_stat "$stats" requests)" = 3 ] || fail "broker saw $(bf_stat "$stats" requests) requests, expected 3"
    [ "$(bf_stat "$stats" connections)" = 1 ] || fail "broker saw $(bf_stat "$stats" connections) connections, expected 1"
    # The init-data document reached the broker byte for byte.
    expect_match "$log" 'init-data \(sha384\) is sent unchecked: sample evidence has no HOST_DATA'
    digest=$(openssl dgst -sha384 -binary "$work/tls/init-data.toml" | base64 -w0)
    grep -qF "init-data=$digest" "$log.runner" || fail "the broker did not log the init-data digest $digest"
}

test_broker_https_wrong_ca() {
    bf_https_setup
    bf_initrd="$work/bf-https.cpio.gz" bf_boot wrongca --set ca_file=/etc/cwinit/other-ca.pem \
        --broker-arg --tls-cert --broker-arg "$work/tls/server.pem" \
        --broker-arg --tls-key --broker-arg "$work/tls/server.key"
    bf_closed "$work/bf-wrongca.log" 246 broker-unreachable \
        "auth https://10.0.2.100:8080/kbs/v0/auth: no HTTP answer: TLS: SSL certificate problem: .* \(attempt 1 of 3\)"
}

# init-data on an emulated SEV-SNP guest (tests/tee-emul, TEST-ONLY, on Debian's 6.1 kernel):
# the "host" launches it with HOST_DATA = the document's SHA-256, or with something else.
bf_snp_setup() {
    local d="$work/snp"
    [ -n "${bf_snp_initrd:-}" ] && return 0
    tee_env || return 1
    mkdir -p "$d"
    printf 'algorithm = "sha256"\nversion = "0.1.0"\n\n[data]\n"agent.toml" = %s\n' \
        "'''
[token_configs.kbs]
url = 'http://10.0.2.100:8080'
'''" > "$d/init-data.toml"
    bf_snp_host_data=$(sha256sum "$d/init-data.toml" | cut -c1-64)
    bf_snp_measurement=$(printf '5a%.0s' {1..48})
    # shellcheck disable=SC2086  # a list of module names
    tee_initramfs "$work/bf-snp.cpio.gz" "$TEE_EMUL_MODULES_61" \
        '{"tee":"snp","insecure_broker":true,"init_data":"/etc/cwinit/init-data.toml"}' $TEE_EMUL_MODULE_NAMES \
        --add "$d/init-data.toml:/etc/cwinit/init-data.toml" || return 1
    bf_snp_initrd="$work/bf-snp.cpio.gz"
}

# bf_snp_boot NAME HOST_DATA: the emulated SNP guest launched with HOST_DATA, against a
# broker that verifies its reports (signature, measurement, report_data, init-data).
bf_snp_boot() {
    bf_snp_setup || return 1
    E2E_KERNEL="$TEE_EMUL_KERNEL_61/vmlinux" bf_initrd=$bf_snp_initrd bf_boot "$1" \
        --broker-arg --snp-trusted-cert --broker-arg "$TEE_EMUL_VCEK_CERT_PEM" \
        --broker-arg --snp-measurement --broker-arg "$bf_snp_measurement" \
        --append "$TEE_EMUL_SNP_APPEND tee_emul.host_data=$2 tee_emul.measurement=$bf_snp_measurement"
}

test_broker_snp_init_data() {
    local log="$work/bf-snpinit.log" digest
    bf_snp_setup || return
    bf_snp_boot snpinit "$bf_snp_host_data" || return
    bf_ran "$log"
    expect_match "$log" 'attested with tee snp and fetched default/key/root-disk'
    expect_no_match "$log" 'sent unchecked'
    digest=$(openssl dgst -sha256 -binary "$work/snp/init-data.toml" | base64 -w0)
    grep -qF "init-data=$digest" "$log.runner" || fail "the broker did not check the init-data digest"
}

test_broker_snp_init_data_mismatch() {
    local log="$work/bf-snpother.log"
    bf_snp_boot snpother "$(printf 'c3%.0s' {1..32})" || return
    bf_closed "$log" 245 evidence "attest http://10.0.2.100:8080: init-data digest \(sha256, as is to 32 bytes\) ${bf_snp_host_data:0:32}\.\.\. but the SNP report's HOST_DATA is c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3\.\.\.: the VM was launched with other init-data"
    # Nothing reached the broker after the challenge.
    grep -q 'POST /kbs/v0/auth 200' "$log.runner" || fail "no auth request"
    ! grep -q 'POST /kbs/v0/attest' "$log.runner" || fail "the attestation was sent"
}

tests+=(broker_refused_then_5xx broker_stall_deadline broker_garbage_json broker_truncated_body
        broker_oversized_body broker_bad_tag broker_wrong_alg broker_p521_forgotten_session
        broker_rsa_3072 broker_rsa1_5_refused broker_https broker_https_wrong_ca
        broker_snp_init_data broker_snp_init_data_mismatch)
