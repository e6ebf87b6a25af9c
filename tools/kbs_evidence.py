"""SEV-SNP and TDX evidence verification for tools/test-kbs, as Trustee's verifiers do it, but
against test roots given on the command line instead of AMD's and Intel's.

SNP: the `snp` evidence JSON (virtee `sev` serialization) is turned back into the exact 1184
report bytes; the VCEK/VLEK from `cert_chain` must equal or chain to a trusted certificate; its
TCB and chip-id extensions must match the report; the ECDSA P-384 signature, the version (3..5),
VMPL 0, all 64 bytes of report_data, host_data and the measurement are checked.
TDX: the quote (v4 or v5) is parsed with bounds checks, its ECDSA P-256 signature is verified with
the attestation key it carries, and that key must equal the trusted one. There is no Intel
collateral here (no PCK chain, QE report or TCB info): pinning the attestation key stands in for
it. REPORT_DATA, MR_TD and MRCONFIGID (init-data) are checked.
Every failure raises ValueError with the reason; test-kbs logs it and answers Trustee's 401."""

import base64
import hashlib, json, re, struct

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

SNP_REPORT_SIZE, SNP_SIGNED = 0x4A0, 0x2A0
SNP_VERSIONS = range(3, 6)  # Trustee's SNP verifier: report versions 3 to 5
CERT_TYPES = ("ARK", "ASK", "VCEK", "VLEK", "CRL")  # virtee CertType names (and {"OTHER": uuid})
U8, U32, U64 = (1 << 8) - 1, (1 << 32) - 1, (1 << 64) - 1

# ---------------------------------------------------------------- SNP report <-> virtee JSON
# (name, offset, kind): kinds are int widths, byte-array lengths, or a structured field.
SNP_FIELDS = (
    ("version", 0x000, "u32"), ("guest_svn", 0x004, "u32"), ("policy", 0x008, "u64"),
    ("family_id", 0x010, 16), ("image_id", 0x020, 16), ("vmpl", 0x030, "u32"),
    ("sig_algo", 0x034, "u32"), ("current_tcb", 0x038, "tcb"), ("plat_info", 0x040, "u64"),
    ("key_info", 0x048, "u32"), ("report_data", 0x050, 64), ("measurement", 0x090, 48),
    ("host_data", 0x0C0, 32), ("id_key_digest", 0x0E0, 48), ("author_key_digest", 0x110, 48),
    ("report_id", 0x140, 32), ("report_id_ma", 0x160, 32), ("reported_tcb", 0x180, "tcb"),
    ("cpuid_fam_id", 0x188, "cpuid"), ("cpuid_mod_id", 0x189, "cpuid"),
    ("cpuid_step", 0x18A, "cpuid"), ("chip_id", 0x1A0, 64), ("committed_tcb", 0x1E0, "tcb"),
    ("current", 0x1E8, "version"), ("committed", 0x1EC, "version"), ("launch_tcb", 0x1F0, "tcb"),
    ("launch_mit_vector", 0x1F8, "mit"), ("current_mit_vector", 0x200, "mit"),
    ("signature", 0x2A0, "signature"))
INT_FORMATS = {"u32": ("<I", U32), "u64": ("<Q", U64)}
TCB_KEYS = ("fmc", "bootloader", "tee", "snp", "microcode")
# Byte offsets of each TCB component in the 8-byte value, by processor generation.
TCB_LAYOUT = {"legacy": {"bootloader": 0, "tee": 1, "snp": 6, "microcode": 7},
              "turin": {"fmc": 0, "bootloader": 1, "tee": 2, "snp": 3, "microcode": 7}}

def _uint(value, limit, where):
    if type(value) is not int or not 0 <= value <= limit:  # bool is not a number here
        raise ValueError(f"{where}: want an integer 0..{limit}, got {json.dumps(value)[:40]}")
    return value

def _byte_array(value, length, where):
    if not isinstance(value, list) or len(value) != length:
        raise ValueError(f"{where}: want an array of {length} integers")
    return bytes(_uint(b, U8, f"{where}[{i}]") for i, b in enumerate(value))

def _object(value, keys, where, optional=()):
    if not isinstance(value, dict):
        raise ValueError(f"{where}: want an object")
    unknown = sorted(set(value) - set(keys))
    missing = [k for k in keys if k not in value and k not in optional]
    if unknown or missing:
        raise ValueError(f"{where}: unknown members {unknown}, missing members {missing}")
    return value

def _generation(version, cpuid_family):
    """The TCB byte layout: Turin from family 0x1A on; v2 reports have no cpuid: Milan/Genoa."""
    return "turin" if version >= 3 and cpuid_family >= 0x1A else "legacy"

def snp_report_bytes(doc):
    """The raw 1184-byte report from its JSON; every member checked, reserved bytes zero."""
    names = [name for name, _, _ in SNP_FIELDS]
    doc = _object(doc, names, "attestation_report",
                  optional=("cpuid_fam_id", "cpuid_mod_id", "cpuid_step",
                            "launch_mit_vector", "current_mit_vector"))
    version = _uint(doc["version"], U32, "version")
    family = doc.get("cpuid_fam_id")
    generation = _generation(version, family if type(family) is int else 0)
    raw = bytearray(SNP_REPORT_SIZE)
    for name, offset, kind in SNP_FIELDS:
        value = doc.get(name)
        if kind in INT_FORMATS:
            fmt, limit = INT_FORMATS[kind]
            struct.pack_into(fmt, raw, offset, _uint(value, limit, name))
        elif isinstance(kind, int):
            raw[offset:offset + kind] = _byte_array(value, kind, name)
        elif kind == "cpuid" or kind == "mit":
            present = version >= 3 if kind == "cpuid" else version >= 5
            if not present:
                if value is not None:
                    raise ValueError(f"{name}: must be absent or null in a version {version} "
                                     "report")
            elif kind == "cpuid":
                raw[offset] = _uint(value, U8, name)
            else:
                struct.pack_into("<Q", raw, offset, _uint(value, U64, name))
        elif kind == "tcb":
            tcb = _object(value, TCB_KEYS, name)
            layout = TCB_LAYOUT[generation]
            if ("fmc" in layout) != (tcb["fmc"] is not None):
                raise ValueError(f"{name}.fmc: must be {'a number' if 'fmc' in layout else 'null'}"
                                 f" for this processor generation ({generation})")
            for key, at in layout.items():
                raw[offset + at] = _uint(tcb[key], U8, f"{name}.{key}")
        elif kind == "version":
            ver = _object(value, ("major", "minor", "build"), name)
            raw[offset:offset + 3] = bytes(_uint(ver[k], U8, f"{name}.{k}")
                                           for k in ("build", "minor", "major"))
        else:  # signature: r and s, 72 bytes little-endian each; the rest is reserved
            sig = _object(value, ("r", "s"), name)
            raw[offset:offset + 72] = _byte_array(sig["r"], 72, "signature.r")
            raw[offset + 72:offset + 144] = _byte_array(sig["s"], 72, "signature.s")
    return bytes(raw)

def snp_report_json(raw):
    """The virtee JSON of a raw report (the inverse of snp_report_bytes for real reports)."""
    if len(raw) != SNP_REPORT_SIZE:
        raise ValueError(f"an SNP report is {SNP_REPORT_SIZE} bytes, not {len(raw)}")
    version = struct.unpack_from("<I", raw, 0)[0]
    generation = _generation(version, raw[0x188])
    doc = {}
    for name, offset, kind in SNP_FIELDS:
        if kind in INT_FORMATS:
            doc[name] = struct.unpack_from(INT_FORMATS[kind][0], raw, offset)[0]
        elif isinstance(kind, int):
            doc[name] = list(raw[offset:offset + kind])
        elif kind == "cpuid":
            doc[name] = raw[offset] if version >= 3 else None
        elif kind == "mit":
            if version >= 5:
                doc[name] = struct.unpack_from("<Q", raw, offset)[0]
        elif kind == "tcb":
            layout = TCB_LAYOUT[generation]
            doc[name] = {key: raw[offset + layout[key]] if key in layout else None
                         for key in TCB_KEYS}
        elif kind == "version":
            build, minor, major = raw[offset:offset + 3]
            doc[name] = {"major": major, "minor": minor, "build": build}
        else:
            doc[name] = {"r": list(raw[offset:offset + 72]),
                         "s": list(raw[offset + 72:offset + 144])}
    return doc

def snp_signature_ok(raw, public_key):
    """ECDSA P-384 / SHA-384 over [0, 0x2A0); r and s are stored little-endian."""
    r = int.from_bytes(raw[SNP_SIGNED:SNP_SIGNED + 72], "little")
    s = int.from_bytes(raw[SNP_SIGNED + 72:SNP_SIGNED + 144], "little")
    if not (isinstance(public_key, ec.EllipticCurvePublicKey)
            and public_key.curve.name == "secp384r1"):
        raise ValueError("the endorsement key is not an EC P-384 key")
    try:
        public_key.verify(utils.encode_dss_signature(r, s), raw[:SNP_SIGNED],
                          ec.ECDSA(hashes.SHA384()))
        return True
    except InvalidSignature:
        return False

# ---------------------------------------------------------------- certificates
RSA_PSS = "1.2.840.113549.1.1.10"
HASH_OIDS = {"2.16.840.1.101.3.4.2.1": hashes.SHA256, "2.16.840.1.101.3.4.2.2": hashes.SHA384,
             "2.16.840.1.101.3.4.2.3": hashes.SHA512}
MGF1 = "1.2.840.113549.1.1.8"
AMD_HWID = "1.3.6.1.4.1.3704.1.4"
AMD_SPL = {"bootloader": "1.3.6.1.4.1.3704.1.3.1", "tee": "1.3.6.1.4.1.3704.1.3.2",
           "snp": "1.3.6.1.4.1.3704.1.3.3", "microcode": "1.3.6.1.4.1.3704.1.3.8",
           "fmc": "1.3.6.1.4.1.3704.1.3.9"}

SEQUENCE, OID, INTEGER, NULL = 0x30, 0x06, 0x02, 0x05

def _der(buf, pos=0, want=None):
    """One DER TLV at pos: (tag, contents, next position); bounds and, given, tag checked."""
    if pos + 2 > len(buf):
        raise ValueError("DER: truncated")
    tag, length, start = buf[pos], buf[pos + 1], pos + 2
    if length & 0x80:
        count = length & 0x7F
        if not 1 <= count <= 4 or start + count > len(buf):
            raise ValueError("DER: bad length")
        length, start = int.from_bytes(buf[start:start + count], "big"), start + count
    if start + length > len(buf):
        raise ValueError("DER: truncated")
    if want is not None and tag != want:
        raise ValueError(f"DER: tag {tag:#x} where {want:#x} belongs")
    return tag, buf[start:start + length], start + length

def _der_oid(buf):
    """The dotted OID of an AlgorithmIdentifier-like SEQUENCE's first element, and the rest."""
    _, body, end = _der(buf, 0, OID)
    if not body:
        raise ValueError("DER: empty OID")
    first, arcs, value = body[0], [], 0
    arcs.extend((min(first // 40, 2), first - 40 * min(first // 40, 2)))
    for byte in body[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    return ".".join(map(str, arcs)), buf[end:]

def _hash_algorithm(buf):
    """A hash AlgorithmIdentifier (SEQUENCE {OID, NULL or nothing}) that fills buf."""
    _, body, end = _der(buf, 0, SEQUENCE)
    oid, rest = _der_oid(body)
    if end != len(buf) or rest not in (b"", b"\x05\x00") or oid not in HASH_OIDS:
        raise ValueError("RSA-PSS: unsupported or malformed hash algorithm")
    return HASH_OIDS[oid]()

def _signature_algorithm(cert):
    """The certificate's signatureAlgorithm, which must equal the signed copy inside
    tbsCertificate (RFC 5280 4.1.1.2; OpenSSL refuses a mismatch too)."""
    _, outer, _ = _der(cert.public_bytes(serialization.Encoding.DER), 0, SEQUENCE)
    _, tbs, pos = _der(outer, 0, SEQUENCE)
    at = _der(tbs)[2] if tbs[:1] == b"\xa0" else 0      # [0] version
    at = _der(tbs, at, INTEGER)[2]                       # serialNumber
    signed = tbs[at:_der(tbs, at, SEQUENCE)[2]]
    algorithm = outer[pos:_der(outer, pos, SEQUENCE)[2]]
    if algorithm != signed:
        raise ValueError("signatureAlgorithm differs from the one in tbsCertificate")
    return algorithm

def _pss_params(cert):
    """RSASSA-PSS-params of the certificate's signatureAlgorithm (RFC 4055); cryptography 38
    cannot tell them, and AMD signs every ASK, ARK, VCEK and VLEK with RSA-PSS."""
    _, algorithm, _ = _der(_signature_algorithm(cert), 0, SEQUENCE)
    _, params = _der_oid(algorithm)
    _, params, end = _der(params, 0, SEQUENCE)
    digest, mgf_digest, salt, pos = hashes.SHA1(), hashes.SHA1(), 20, 0
    for tag in (0xA0, 0xA1, 0xA2, 0xA3):  # each optional, in this order, nothing else
        if pos < len(params) and params[pos] == tag:
            _, inner, pos = _der(params, pos, tag)
            if tag == 0xA0:
                digest = _hash_algorithm(inner)
            elif tag == 0xA1:
                _, mgf, mgf_end = _der(inner, 0, SEQUENCE)
                oid, mgf_hash = _der_oid(mgf)
                if oid != MGF1 or mgf_end != len(inner):
                    raise ValueError("RSA-PSS: mask generation is not MGF1")
                mgf_digest = _hash_algorithm(mgf_hash)
            else:
                _, number, int_end = _der(inner, 0, INTEGER)
                if int_end != len(inner) or not number or number[0] & 0x80:
                    raise ValueError("RSA-PSS: bad salt length or trailer field")
                if tag == 0xA2:
                    salt = int.from_bytes(number, "big")
                elif int.from_bytes(number, "big") != 1:
                    raise ValueError("RSA-PSS: trailer field is not 1")
    if pos != len(params):
        raise ValueError("RSA-PSS: malformed parameters")
    if isinstance(digest, hashes.SHA1) or isinstance(mgf_digest, hashes.SHA1):
        raise ValueError("RSA-PSS: SHA-1 is not accepted")
    return padding.PSS(mgf=padding.MGF1(mgf_digest), salt_length=salt), digest

def signed_by(cert, issuer):
    """True when issuer's key made cert's signature (and the names match)."""
    if cert.issuer != issuer.subject:
        return False
    key = issuer.public_key()
    try:
        _signature_algorithm(cert)
        if cert.signature_algorithm_oid.dotted_string == RSA_PSS:
            if not isinstance(key, rsa.RSAPublicKey):
                return False
            pad, digest = _pss_params(cert)
            key.verify(cert.signature, cert.tbs_certificate_bytes, pad, digest)
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(),
                       cert.signature_hash_algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes,
                       ec.ECDSA(cert.signature_hash_algorithm))
        else:
            return False
        return True
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError):
        return False

def load_certificates(data):
    """PEM (one or more certificates) or one DER certificate."""
    if data.lstrip().startswith(b"-----BEGIN"):
        blocks = re.findall(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", data, re.S)
        certs = [x509.load_pem_x509_certificate(b) for b in blocks]
    else:
        certs = [x509.load_der_x509_certificate(data)]
    if not certs:
        raise ValueError("no certificate found")
    return certs

def check_anchor_set(certs):
    """Certificates in a trusted file that name each other as issuer must verify (ARK
    self-signed, ASK and ASVK by the ARK), as Trustee checks its built-in AMD chain."""
    for cert in certs:
        for issuer in certs:
            if cert.issuer == issuer.subject and not signed_by(cert, issuer):
                raise ValueError(f"trusted certificate {cert.subject.rfc4514_string()} is not "
                                 f"signed by {issuer.subject.rfc4514_string()}")

def chain_to_anchor(leaf, intermediates, anchors):
    """The anchor that leaf equals or descends from (via intermediates from the evidence)."""
    cert = leaf
    for _ in range(4):
        for anchor in anchors:
            if cert == anchor or signed_by(cert, anchor):
                return anchor
        cert = next((i for i in intermediates if i != cert and signed_by(cert, i)), None)
        if cert is None:
            break
    raise ValueError(f"{leaf.subject.rfc4514_string()} does not chain to a trusted certificate")

def _extension_bytes(cert, oid):
    for extension in cert.extensions:
        if extension.oid.dotted_string == oid:
            return extension.value.value  # UnrecognizedExtension: the raw extnValue
    return None

def _check_amd_extensions(cert, report, cert_type, pinned):
    """Trustee's checks of a VCEK/VLEK against the report: reported_tcb components (DER
    INTEGERs) and, for a VCEK, the chip id (hwID, raw or as an OCTET STRING). A certificate
    pinned as trusted itself may lack them; one vouched for by an issuer may not."""
    tcb = report["reported_tcb"]
    for key, oid in AMD_SPL.items():
        raw = _extension_bytes(cert, oid)
        if raw is None:
            if pinned or key == "fmc":
                continue
            raise ValueError(f"{cert_type} lacks the {key} SPL extension")
        tag, body, _ = _der(raw)
        if tag != 0x02 or int.from_bytes(body, "big") != tcb[key]:
            raise ValueError(f"{cert_type} {key} SPL differs from reported_tcb.{key} {tcb[key]}")
    if cert_type == "VCEK":
        raw = _extension_bytes(cert, AMD_HWID)
        if raw is None and not pinned:
            raise ValueError("VCEK lacks the hwID extension")
        if raw is not None:
            hwid = raw if len(raw) == 64 else _der(raw)[1]
            if bytes(hwid) != bytes(report["chip_id"]):
                raise ValueError("chip_id differs from the VCEK's hwID")

# ---------------------------------------------------------------- verifiers
def regularize(data, size):
    """Trustee's regularize_data: zero-padded or truncated to the field's size."""
    return data[:size].ljust(size, b"\0")

def parse_hex(text, size, what):
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raise ValueError(f"{what}: not hex") from None
    if len(raw) != size:
        raise ValueError(f"{what}: want {size} bytes, got {len(raw)}")
    return raw

class SnpVerifier:
    def __init__(self, trusted, measurement, host_data=None):
        """trusted: the bytes of a PEM/DER file; measurement 48 bytes; host_data 32 or None."""
        self.anchors = load_certificates(trusted)
        check_anchor_set(self.anchors)
        self.measurement, self.host_data = measurement, host_data

    def verify(self, evidence, report_data, init_data_hash=None):
        """Claims of evidence whose report_data must be the padded binding digest."""
        evidence = _object(evidence, ("attestation_report", "cert_chain"), "snp evidence")
        raw = snp_report_bytes(evidence["attestation_report"])
        report = snp_report_json(raw)
        chain = evidence["cert_chain"]
        if chain is None:  # Trustee would ask AMD's KDS for the VCEK; a test broker cannot
            raise ValueError("cert_chain is null: the VCEK would have to come from AMD's KDS, "
                             "which this broker cannot reach")
        if not isinstance(chain, list):
            raise ValueError("cert_chain: want an array or null")
        entries = []
        for i, entry in enumerate(chain):
            entry = _object(entry, ("cert_type", "data"), f"cert_chain[{i}]")
            kind = entry["cert_type"]
            if kind not in CERT_TYPES and not (isinstance(kind, dict) and list(kind) == ["OTHER"]):
                raise ValueError(f"cert_chain[{i}].cert_type: unknown {json.dumps(kind)[:40]}")
            if not isinstance(entry["data"], list):
                raise ValueError(f"cert_chain[{i}].data: want an array of integers")
            entries.append((kind, _byte_array(entry["data"], len(entry["data"]),
                                              f"cert_chain[{i}].data")))
        keys = [(kind, data) for kind, data in entries if kind in ("VCEK", "VLEK")]
        if len(keys) != 1:
            raise ValueError(f"cert_chain holds {len(keys)} VCEK/VLEK certificates, want one")
        kind, der = keys[0]
        try:
            cert = x509.load_der_x509_certificate(der)
            others = [x509.load_der_x509_certificate(d) for k, d in entries if k in ("ASK", "ARK")]
            anchor = chain_to_anchor(cert, others, self.anchors)
            _check_amd_extensions(cert, report, kind, pinned=anchor == cert)
            public_key = cert.public_key()
        except ValueError:
            raise
        except Exception as e:  # cryptography parses lazily and raises KeyError and others
            raise ValueError(f"cert_chain: malformed certificate ({type(e).__name__}: {e})") \
                from None
        if not snp_signature_ok(raw, public_key):
            raise ValueError(f"the report signature does not verify with the {kind}")
        if report["version"] not in SNP_VERSIONS:
            raise ValueError(f"report version {report['version']} is not 3 to 5")
        if report["vmpl"] != 0:
            raise ValueError(f"VMPL {report['vmpl']} is not 0")
        expected = regularize(report_data, 64)
        if raw[0x50:0x90] != expected:
            raise ValueError(f"report_data mismatch (expected {expected.hex()}, "
                             f"got {raw[0x50:0x90].hex()})")
        if init_data_hash is not None and raw[0xC0:0xE0] != regularize(init_data_hash, 32):
            raise ValueError("host_data differs from the init-data digest")
        if self.host_data is not None and raw[0xC0:0xE0] != self.host_data:
            raise ValueError(f"host_data {raw[0xC0:0xE0].hex()} is not the expected "
                             f"{self.host_data.hex()}")
        if raw[0x90:0xC0] != self.measurement:
            raise ValueError(f"measurement {raw[0x90:0xC0].hex()} is not the expected "
                             f"{self.measurement.hex()}")
        return {"measurement": base64.b64encode(raw[0x90:0xC0]).decode("ascii"),
                "report_data": raw[0x50:0x90].hex(), "host_data": raw[0xC0:0xE0].hex(),
                "policy": report["policy"], "reported_tcb": report["reported_tcb"],
                "signer": kind}

TDX_BODY = {2: 584, 3: 648}  # v5 body types: TDX 1.0 and TDX 1.5
TDX_FIELDS = {"mr_td": (136, 48), "mr_config_id": (184, 48), "report_data": (520, 64)}

def parse_tdx_quote(quote):
    """(version, body, signed bytes, signature, attestation key) of a v4/v5 ECDSA P-256 quote."""
    if len(quote) < 48:
        raise ValueError(f"quote: {len(quote)} bytes, shorter than its header")
    version, key_type, tee_type = struct.unpack_from("<HHI", quote, 0)
    if version == 4:
        body_at, body_size = 48, 584
    elif version == 5:
        if len(quote) < 54:
            raise ValueError("quote v5: truncated body descriptor")
        body_type, body_size = struct.unpack_from("<HI", quote, 48)
        if TDX_BODY.get(body_type) != body_size:
            raise ValueError(f"quote v5: body type {body_type} with size {body_size}")
        body_at = 54
    else:
        raise ValueError(f"quote version {version} is not 4 or 5")
    if key_type != 2 or tee_type != 0x81:
        raise ValueError(f"quote: key type {key_type} (want 2, ECDSA P-256) or TEE type "
                         f"{tee_type:#x} (want 0x81, TDX)")
    end = body_at + body_size
    if len(quote) < end + 4:
        raise ValueError(f"quote: {len(quote)} bytes, truncated before the signature data")
    sig_len = struct.unpack_from("<I", quote, end)[0]
    sig = quote[end + 4:end + 4 + sig_len]
    if len(sig) != sig_len or sig_len < 128 + 6:
        raise ValueError(f"quote: signature data length {sig_len} does not fit "
                         f"({len(quote) - end - 4} bytes left, 134 at least)")
    cert_size = struct.unpack_from("<I", sig, 130)[0]
    if 134 + cert_size != sig_len:
        raise ValueError(f"quote: certification data of {cert_size} bytes does not fill the "
                         f"{sig_len}-byte signature data")
    if len(quote) != end + 4 + sig_len:
        raise ValueError(f"quote: {len(quote) - end - 4 - sig_len} bytes after the signature "
                         "data (the quote must be trimmed to its length)")
    x, y = int.from_bytes(sig[64:96], "big"), int.from_bytes(sig[96:128], "big")
    try:
        key = ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
    except ValueError:
        raise ValueError("quote: the attestation key is not a P-256 point") from None
    return version, quote[body_at:end], quote[:end], sig[:64], key

def tdx_signature_ok(signed, signature, key):
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    try:
        key.verify(utils.encode_dss_signature(r, s), signed, ec.ECDSA(hashes.SHA256()))
        return True
    except InvalidSignature:
        return False

def _raw_point(key):
    return key.public_bytes(serialization.Encoding.X962,
                            serialization.PublicFormat.UncompressedPoint)

EV_NO_ACTION, EV_EVENT_TAG, AAEL_TAG, SHA384_ALG = 3, 6, 0x4141454C, 0x000C

def parse_cc_eventlog(log):
    """Trustee's reading of a CC event log (deps/eventlog/src/lib.rs): the first event in the SHA-1
    TCG_PCR_EVENT form with the spec-id data naming the digest sizes, then TCG_PCR_EVENT2 entries
    until a u64 of all zeros or ones, or the end. Returns the events (MR index, type, SHA-384
    digest or None, the AAEL text for tagged AAEL events) and RTMR0-3 replayed from zero."""
    def need(at, n, what):
        if at + n > len(log):
            raise ValueError(f"cc_eventlog offset {at:#x}: {what} runs past the end")
    need(0, 32, "the first event")
    first_type, first_size = struct.unpack_from("<I", log, 4)[0], struct.unpack_from("<I", log, 28)[0]
    need(32, first_size, "the first event's data")
    if first_type != EV_NO_ACTION or first_size < 28:
        raise ValueError("cc_eventlog: the first event is not a spec-id EV_NO_ACTION event")
    count = struct.unpack_from("<I", log, 32 + 24)[0]
    if not 0 < count <= 8 or 28 + 4 * count > first_size:
        raise ValueError("cc_eventlog: bad number of algorithms in the spec-id event")
    sizes = dict(struct.unpack_from("<HH", log, 32 + 28 + 4 * i) for i in range(count))
    rtmr, events, at = [bytes(48)] * 4, [], 32 + first_size
    while at < len(log):
        if len(log) - at >= 8 and log[at:at + 8] in (bytes(8), b"\xff" * 8):
            break
        need(at, 12, "an entry")
        mr, kind, digests = struct.unpack_from("<III", log, at)
        if not 0 < digests <= 8:
            raise ValueError(f"cc_eventlog offset {at:#x}: bad digest count {digests}")
        p, sha384 = at + 12, None
        for _ in range(digests):
            need(p, 2, "a digest")
            alg = struct.unpack_from("<H", log, p)[0]
            if alg not in sizes:
                raise ValueError(f"cc_eventlog offset {p:#x}: algorithm {alg:#x} not in the spec-id event")
            need(p + 2, sizes[alg], "a digest")
            if alg == SHA384_ALG and sizes[alg] == 48:
                sha384 = log[p + 2:p + 50]
            p += 2 + sizes[alg]
        need(p, 4, "an entry's data size")
        size = struct.unpack_from("<I", log, p)[0]
        need(p + 4, size, "an entry's data")
        data, text = log[p + 4:p + 4 + size], None
        if kind == EV_EVENT_TAG and size >= 8 and struct.unpack_from("<I", data, 0)[0] == AAEL_TAG:
            if struct.unpack_from("<I", data, 4)[0] != size - 8:
                raise ValueError(f"cc_eventlog offset {p:#x}: AAEL text length does not fit")
            text = data[8:].decode("utf-8")  # Trustee refuses the whole log otherwise
            if text.count(" ") < 2:
                raise ValueError(f"cc_eventlog offset {p:#x}: AAEL text without domain and operation")
        if sha384 is not None and 1 <= mr <= 4:
            rtmr[mr - 1] = hashlib.sha384(rtmr[mr - 1] + sha384).digest()
        events.append({"mr": mr, "type": kind, "sha384": sha384.hex() if sha384 else None,
                       "aael": text})
        at = p + 4 + size
    return events, rtmr

TDX_BODY_RTMR0 = 328

class TdxVerifier:
    def __init__(self, attestation_key_pem, mr_td=None):
        key = serialization.load_pem_public_key(attestation_key_pem)
        if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
            raise ValueError("the TDX attestation key must be an EC P-256 public key")
        self.key, self.mr_td = _raw_point(key), mr_td

    def verify(self, evidence, report_data, init_data_hash=None):
        evidence = _object(evidence, ("cc_eventlog", "quote"), "tdx evidence",
                           optional=("cc_eventlog",))
        log = evidence.get("cc_eventlog")
        if log is not None and not isinstance(log, str):
            raise ValueError("cc_eventlog: want a standard base64 string or null")
        if not isinstance(evidence["quote"], str):
            raise ValueError("quote: want a standard base64 string")
        try:
            quote = base64.b64decode(evidence["quote"], validate=True)
        except ValueError:
            raise ValueError("quote: not standard base64") from None
        version, body, signed, signature, key = parse_tdx_quote(quote)
        if not tdx_signature_ok(signed, signature, key):
            raise ValueError("the quote signature does not verify with its attestation key")
        if _raw_point(key) != self.key:
            raise ValueError("the quote's attestation key is not the trusted one")
        field = {name: body[at:at + size] for name, (at, size) in TDX_FIELDS.items()}
        expected = regularize(report_data, 64)
        if field["report_data"] != expected:
            raise ValueError(f"REPORT_DATA mismatch (expected {expected.hex()}, "
                             f"got {field['report_data'].hex()})")
        if init_data_hash is not None and field["mr_config_id"] != regularize(init_data_hash, 48):
            raise ValueError("MRCONFIGID differs from the init-data digest")
        if self.mr_td is not None and field["mr_td"] != self.mr_td:
            raise ValueError(f"MR_TD {field['mr_td'].hex()} is not the expected "
                             f"{self.mr_td.hex()}")
        claims = dict({name: value.hex() for name, value in field.items()}, quote_version=version)
        if log:  # as Trustee's TDX verifier: replay RTMR0-3 from zero and compare them all
            try:
                raw = base64.b64decode(log, validate=True)
            except ValueError:
                raise ValueError("cc_eventlog: not standard base64") from None
            events, rtmr = parse_cc_eventlog(raw)
            for i in range(4):
                quoted = body[TDX_BODY_RTMR0 + 48 * i:TDX_BODY_RTMR0 + 48 * (i + 1)]
                if rtmr[i] != quoted:
                    raise ValueError("Eventlog does not pass measurement replay CC Event Log "
                                     f"Measurement Register [index = {i + 1}]. Calculated value: "
                                     f"{rtmr[i].hex()}, Given value: {quoted.hex()}")
            claims["rtmr"] = [r.hex() for r in rtmr]
            claims["uefi_event_logs"] = events
        return claims
