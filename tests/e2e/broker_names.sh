# The broker by name, under QEMU: https://kbs.test:8080 with a certificate for kbs.test only
# (no IP address in it), found through the initramfs file's net_hosts mapping, and through DNS:
# tools/test-dns on 127.0.0.1, which the guest asks over TCP at 10.0.2.53:53 (a guestfwd
# relay, like the broker's). Also: a name DNS does not know, a mapped name the certificate
# does not cover, and the host trying to set the mapping on the command line. Uses
# broker_faults.sh's bf_boot, bf_ran, bf_closed and bf_stat. Sourced by tests/e2e/run.

# A test CA and the broker's certificate for kbs.test alone, and one initramfs per way of
# finding the broker; the CA goes into each.
bn_setup() {
    local d="$work/names" ca='"tee":"sample","ca_file":"/etc/cwinit/ca.pem"'
    [ -f "$work/bn-other.cpio.gz" ] && return
    mkdir -p "$d"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj /CN=cwinit-e2e-names-ca -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=kbs.test \
        -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
    printf 'subjectAltName=DNS:kbs.test\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
        > "$d/ext"
    openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
        -days 2 -extfile "$d/ext" -out "$d/server.pem" 2>/dev/null
    e2e_initramfs "$work/bn-hosts.cpio.gz" \
        "{$ca,\"broker_url\":\"https://kbs.test:8080\",\"net_hosts\":[\"kbs.test=10.0.2.100\"]}" \
        --add "$d/ca.pem:/etc/cwinit/ca.pem"
    e2e_initramfs "$work/bn-dns.cpio.gz" \
        "{$ca,\"broker_url\":\"https://kbs.test:8080\",\"net_dns\":[\"10.0.2.53\"]}" \
        --add "$d/ca.pem:/etc/cwinit/ca.pem"
    e2e_initramfs "$work/bn-other.cpio.gz" \
        "{$ca,\"broker_url\":\"https://other.test:8080\",\"net_hosts\":[\"other.test=10.0.2.100\"]}" \
        --add "$d/ca.pem:/etc/cwinit/ca.pem"
}

# bn_boot NAME INITRD [cwrun args...]: the shared disk against the bundled broker over TLS
# with the kbs.test certificate; the guest's broker_url is the initramfs file's.
bn_boot() {
    local name=$1 initrd=$2
    shift 2
    bf_initrd=$initrd bf_boot "$name" \
        --broker-arg --tls-cert --broker-arg "$work/names/server.pem" \
        --broker-arg --tls-key --broker-arg "$work/names/server.key" \
        --broker-arg --stats --broker-arg "$work/bn-$name.stats" "$@"
}

# bn_dns_start ARGS...: tools/test-dns on 127.0.0.1 with ARGS (records, faults); its port in
# bn_dns_port, its log in $work/bn-dns.log. On failure, fail and 1.
bn_dns_pid='' bn_dns_port=''
bn_dns_start() {
    rm -f "$work/bn-dns.port" "$work/bn-dns.log"
    /usr/bin/python3 "$top/tools/test-dns" --port 0 --port-file "$work/bn-dns.port" \
        --log "$work/bn-dns.log" "$@" < /dev/null 2> "$work/bn-dns.err" &
    bn_dns_pid=$!
    for _ in $(seq 100); do
        [ -s "$work/bn-dns.port" ] && break
        kill -0 "$bn_dns_pid" 2>/dev/null || break
        sleep 0.1
    done
    bn_dns_port=$(tr -dc 0-9 < "$work/bn-dns.port" 2>/dev/null || true)
    if [ -z "$bn_dns_port" ]; then
        fail "tools/test-dns did not start: $(tail -n 3 "$work/bn-dns.err")"
        bn_dns_stop
        return 1
    fi
}

bn_dns_stop() {
    [ -n "$bn_dns_pid" ] || return 0
    kill "$bn_dns_pid" 2>/dev/null || true
    wait "$bn_dns_pid" 2>/dev/null || true
    bn_dns_pid=''
}

test_broker_name_hosts() {
    local log="$work/bf-bnhosts.log" stats="$work/bn-bnhosts.stats"
    bn_setup
    bn_boot bnhosts "$work/bn-hosts.cpio.gz"
    bf_ran "$log"
    expect_match "$log" 'configuration: broker https://kbs.test:8080,'
    expect_match "$log" 'broker host kbs.test is 10\.0\.2\.100 \(net_hosts\)'
    [ "$(bf_stat "$stats" requests)" = 3 ] || fail "broker saw $(bf_stat "$stats" requests) requests, expected 3"
    [ "$(bf_stat "$stats" connections)" = 1 ] || fail "broker saw $(bf_stat "$stats" connections) connections, expected 1"
}

test_broker_name_dns() {
    local log="$work/bf-bndns.log"
    bn_setup
    bn_dns_start --record kbs.test=10.0.2.100 || return
    bn_boot bndns "$work/bn-dns.cpio.gz" --dns-port "$bn_dns_port"
    bn_dns_stop
    bf_ran "$log"
    expect_match "$log" 'broker host kbs.test is 10\.0\.2\.100 \(DNS\)'
    grep -qx 'test-dns: query type 1 kbs.test -> NOERROR 10.0.2.100' "$work/bn-dns.log" ||
        fail "test-dns did not answer the guest's A query for kbs.test"
}

test_broker_name_unknown_to_dns() {
    local log="$work/bf-bnnx.log"
    bn_setup
    bn_dns_start --record other.test=10.0.2.100 || return
    bn_boot bnnx "$work/bn-dns.cpio.gz" --dns-port "$bn_dns_port"
    bn_dns_stop
    bf_closed "$log" 246 broker-unreachable \
        "auth https://kbs.test:8080/kbs/v0/auth: DNS lookup of kbs.test: Domain name not found \(attempt 3 of 3\)"
    [ "$(grep -c 'kbs: attempt [12] of 3 failed: auth .*: DNS lookup of kbs.test' "$log")" = 2 ] ||
        fail "the lookup was not retried twice"
    [ "$(bf_stat "$work/bn-bnnx.stats" requests)" = 0 ] || fail "a request reached the broker"
}

test_broker_name_not_in_certificate() {
    bn_setup
    bn_boot bnother "$work/bn-other.cpio.gz"
    bf_closed "$work/bf-bnother.log" 246 broker-unreachable \
        "auth https://other.test:8080/kbs/v0/auth: no HTTP answer: TLS: .*other\.test.* \(attempt 1 of 3\)"
    expect_match "$work/bf-bnother.log" 'broker host other.test is 10\.0\.2\.100 \(net_hosts\)'
}

test_broker_name_mapping_from_cmdline() {
    bn_setup
    bn_boot bncmdline "$work/bn-hosts.cpio.gz" --set net_hosts=kbs.test=10.0.2.66
    expect_fail_closed "$work/bf-bncmdline.log" 242 config
    expect_match "$work/bf-bncmdline.log" \
        'error: configuration failed: net_hosts \(from cmdline\): may be set only in /etc/cwinit.json'
}

tests+=(broker_name_hosts broker_name_dns broker_name_unknown_to_dns
        broker_name_not_in_certificate broker_name_mapping_from_cmdline)
