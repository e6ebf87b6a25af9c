"""Self-test of tools/kbs_evidence.py (run by `tools/test-kbs --self-test`): the SNP and TDX
verifiers on the real vectors in ../shared/vectors, and on reports signed here by a pinned test
VCEK for what a real report's signature hides (version, VMPL, host_data, the Turin layout)."""

import base64, datetime, json, os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

from kbs_evidence import (SNP_REPORT_SIZE, SNP_SIGNED, SnpVerifier, TdxVerifier, load_certificates,
                          parse_tdx_quote, signed_by, snp_report_bytes, snp_report_json,
                          snp_signature_ok, tdx_signature_ok)

VECTORS = os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "..", "shared", "vectors")

def _vector(*path):
    with open(os.path.join(VECTORS, *path), "rb") as f:
        return f.read()

def _rejects(reason, func, *args):
    """True when func(*args) refuses, for a reason that contains `reason`."""
    try:
        func(*args)
    except ValueError as e:
        return reason in str(e)
    return False

def _pem(key):
    return key.public_bytes(serialization.Encoding.PEM,
                            serialization.PublicFormat.SubjectPublicKeyInfo)

def self_test(check):
    """Checks against the real vectors in ../shared/vectors; check(name, ok) records each."""
    evidence = json.loads(_vector("snp", "trustee-genoa-v3-evidence.json"))
    genoa, milan = (_vector("snp", f"amd-{g}-ask-ark-asvk.pem") for g in ("genoa", "milan"))
    report = evidence["attestation_report"]
    raw = snp_report_bytes(report)
    check("SNP genoa evidence JSON -> 1184 bytes -> the same JSON",
          len(raw) == SNP_REPORT_SIZE and snp_report_json(raw) == report)
    vcek = x509.load_der_x509_certificate(bytes(evidence["cert_chain"][0]["data"]))
    check("SNP genoa signature verifies with the VCEK", snp_signature_ok(raw, vcek.public_key()))
    ask, ark = load_certificates(genoa)[:2]
    check("SNP genoa chain: ARK self-signed, ASK by ARK, VCEK by ASK (RSA-PSS)",
          signed_by(ark, ark) and signed_by(ask, ark) and signed_by(vcek, ask)
          and not signed_by(vcek, ark))
    report_data, measurement = raw[0x50:0x90], raw[0x90:0xC0]
    verifier = SnpVerifier(genoa, measurement)
    check("SNP verifier accepts the genoa evidence (v3, VMPL 0, TCB and chip id vs VCEK)",
          not _rejects("", verifier.verify, evidence, report_data))
    text = json.dumps(evidence)
    nibble = json.loads(text.replace('"measurement": [106,', '"measurement": [107,', 1))
    check("SNP one nibble of the measurement breaks the signature", nibble != evidence
          and _rejects("signature does not verify", verifier.verify, nibble, report_data))
    check("SNP all 64 bytes of report_data compared", _rejects(
        "report_data mismatch", verifier.verify, evidence, report_data[:63] + b"\1"))
    check("SNP unexpected measurement refused", _rejects(
        "is not the expected", SnpVerifier(genoa, bytes(48)).verify, evidence, report_data))
    check("SNP null cert_chain refused", _rejects(
        "cert_chain is null", verifier.verify, dict(evidence, cert_chain=None), report_data))
    check("SNP Milan roots refuse the genoa VCEK", _rejects(
        "does not chain", SnpVerifier(milan, measurement).verify, evidence, report_data))
    for name, value, reason in (("policy", 1 << 64, "policy"), ("vmpl", True, "vmpl"),
                                ("launch_mit_vector", 0, "launch_mit_vector"),
                                ("current_tcb", dict(report["current_tcb"], fmc=1), "fmc"),
                                ("extra", 0, "unknown members")):
        check(f"SNP bad {name} refused",
              _rejects(reason, snp_report_bytes, dict(report, **{name: value})))
    for name, cert, cert_type, reason in (
            ("milan-v3-vlek", "milan-v3-vlek", "VLEK", "VMPL 1 is not 0"),
            ("milan-v2", "milan-v2-vcek", "VCEK", "report version 2 is not 3 to 5")):
        raw = _vector("snp", f"trustee-{name}-report.bin")
        der = _vector("snp", f"trustee-{cert}.der")
        real = {"attestation_report": snp_report_json(raw),
                "cert_chain": [{"cert_type": cert_type, "data": list(der)}]}
        check(f"SNP {name}: JSON round-trips, {cert_type} chains to the Milan roots and signs; "
              f"then refused: {reason}", snp_report_bytes(real["attestation_report"]) == raw
              and _rejects(reason, SnpVerifier(milan, raw[0x90:0xC0]).verify, real, raw[0x50:0x90]))
    _self_test_pinned(check, report)
    quote = _vector("tdx", "trustee-quote-v4.dat")
    version, body, signed, signature, key = parse_tdx_quote(quote)
    tdx = TdxVerifier(_pem(key), body[136:184])
    good = {"cc_eventlog": None, "quote": base64.b64encode(quote).decode("ascii")}
    check("TDX trustee v4 quote verifies with its attestation key",
          not _rejects("", tdx.verify, good, body[520:584]))
    for path in ("trustee-quote-v5.dat", "go-tdx-guest-quote-v5.dat"):
        v5 = parse_tdx_quote(_vector("tdx", path))
        check(f"TDX {path} signature verifies", v5[0] == 5 and tdx_signature_ok(*v5[2:]))
    flipped = bytearray(quote)
    flipped[48 + 136] ^= 0x10
    flipped = dict(good, quote=base64.b64encode(flipped).decode("ascii"))
    check("TDX one nibble of MR_TD breaks the signature", _rejects(
        "signature does not verify", tdx.verify, flipped, body[520:584]))
    other = _pem(ec.generate_private_key(ec.SECP256R1()).public_key())
    check("TDX untrusted attestation key refused", _rejects(
        "not the trusted", TdxVerifier(other).verify, good, body[520:584]))
    check("TDX REPORT_DATA compared", _rejects("REPORT_DATA mismatch", tdx.verify, good, bytes(64)))
    check("TDX init-data digest checked against MRCONFIGID",
          not _rejects("", tdx.verify, good, body[520:584], body[184:232])
          and _rejects("init-data", tdx.verify, good, body[520:584], b"\1" * 48))
    check("TDX truncated and padded quotes refused",
          _rejects("does not fit", parse_tdx_quote, quote[:-1])
          and _rejects("trimmed", parse_tdx_quote, quote + b"\0"))

def _self_test_pinned(check, report):
    """A pinned, self-signed test VCEK (as the emulated TEEs use) and the checks that a real
    report's signature would otherwise hide: version and VMPL on validly signed reports."""
    key = ec.generate_private_key(ec.SECP384R1())
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "test VCEK")])
    now = datetime.datetime(2025, 1, 1)
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name).serial_number(1)
               .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=3650)))
    cert = builder.public_key(key.public_key()).sign(key, hashes.SHA384())
    der = cert.public_bytes(serialization.Encoding.DER)

    def evidence(**changes):
        raw = bytearray(snp_report_bytes(dict(report, **changes)))
        r, s = utils.decode_dss_signature(key.sign(bytes(raw[:SNP_SIGNED]),
                                                   ec.ECDSA(hashes.SHA384())))
        raw[SNP_SIGNED:SNP_SIGNED + 144] = r.to_bytes(72, "little") + s.to_bytes(72, "little")
        return {"attestation_report": snp_report_json(bytes(raw)),
                "cert_chain": [{"cert_type": "VCEK", "data": list(der)}]}

    raw = snp_report_bytes(report)
    impostor = builder.public_key(key.public_key()).sign(ec.generate_private_key(ec.SECP384R1()),
                                                          hashes.SHA384())
    check("SNP ECDSA certificate signature checked (the self-signed test VCEK)",
          signed_by(cert, cert) and not signed_by(impostor, cert)
          and _rejects("does not chain", SnpVerifier(der, bytes(48)).verify, dict(
              evidence(), cert_chain=[{"cert_type": "VCEK", "data": list(impostor.public_bytes(
                  serialization.Encoding.DER))}]), raw[0x50:0x90]))
    verifier = SnpVerifier(der, raw[0x90:0xC0], raw[0xC0:0xE0])
    check("SNP pinned test VCEK (DER, no AMD extensions) accepted",
          not _rejects("", verifier.verify, evidence(), raw[0x50:0x90]))
    check("SNP validly signed VMPL 1 refused",
          _rejects("VMPL 1", verifier.verify, evidence(vmpl=1), raw[0x50:0x90]))
    check("SNP validly signed version 2 refused", _rejects(
        "version 2", verifier.verify, evidence(version=2, cpuid_fam_id=None, cpuid_mod_id=None,
                                               cpuid_step=None), raw[0x50:0x90]))
    check("SNP unexpected host_data refused", _rejects(
        "host_data", verifier.verify, evidence(host_data=[1] * 32), raw[0x50:0x90]))
    init = bytes(range(32))  # an init-data digest: HOST_DATA must carry it
    loose = SnpVerifier(der, raw[0x90:0xC0])
    check("SNP init-data digest checked against HOST_DATA",
          not _rejects("", loose.verify, evidence(host_data=list(init)), raw[0x50:0x90], init)
          and _rejects("init-data", loose.verify, evidence(), raw[0x50:0x90], init))
    turin = evidence(cpuid_fam_id=0x1A, **{t: dict(report[t], fmc=7) for t in (
        "current_tcb", "reported_tcb", "committed_tcb", "launch_tcb")})
    check("SNP Turin TCB layout round-trips and verifies",
          turin["attestation_report"]["launch_tcb"]["fmc"] == 7
          and not _rejects("", verifier.verify, turin, raw[0x50:0x90]))
