#!/usr/bin/env python3
"""Independent Pacta verifier, written from SPEC.md alone (entries version 2, bundles
version 2 with their checkpoint, SPEC 10), with its own status engine (procedure
profiles, SPEC 14; status, SPEC 15). Like the verifier, the status engine does not
know admitted members: `admission` entries are refused (SPEC 6.13).

Standard library only. It contains its own Ed25519 (RFC 8032) with the signature rule
of SPEC.md section 4.2 (strict encodings, no small order, the cofactored equation),
one signature at a time, and its own signing, for the self-tests.

Usage:
  pacta_verify.py vectors PATH/vectors.json
  pacta_verify.py signatures PATH/signatures.json   the signature rule at its edges (4.2)
  pacta_verify.py payloads [PATH/SPEC.md]   self-test of the payload checker (SPEC 6):
      the examples of SPEC.md 6.3 to 6.16 must pass, the garbage below must be refused
  pacta_verify.py checkpoints [PATH/SPEC.md]   self-test of the roster's node keys and
      quorum (SPEC 3.1), bundle version 2 (SPEC 8) and checkpoints (SPEC 10): a ledger
      and checkpoints built and signed here must verify, and every garbage variant
      (note, body, signatures, quorum, feeds against heads) must fail with its reason
      code; the example checkpoint of SPEC.md 10.4 must verify against
      keys-example/roster.toml
  pacta_verify.py bundle --roster ROSTER.toml --bundle FILE.bundle [--json]
  pacta_verify.py status --roster ROSTER.toml --bundle FILE.bundle [--as-of YYYY-MM-DD]
      [--json]   the status engine of SPEC 15 and its profiles (SPEC 14), written from the
      SPEC alone; --json prints the normalised form that status-vectors compares
  pacta_verify.py status-vectors PATH/status.json   every case and day of a status vector
      file must give the expected normalised status (warnings are not compared)
  pacta_verify.py status-example   self-test of the status engine with the SPEC's own
      examples: 14.1 thresholds, 15.5 day arithmetic, the worked example of 15.11 on a
      ledger signed here

Points where SPEC.md left a choice open, and what this verifier assumes, are
marked "ASSUMPTION" in the comments below.
"""

import base64
import binascii
import calendar
import datetime
import hashlib
import json
import re
import sys
import tomllib

# ---------------------------------------------------------------------------
# Ed25519 (RFC 8032), pure Python integers, extended homogeneous coordinates.
# ---------------------------------------------------------------------------

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = (-121665 * pow(121666, P - 2, P)) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)

IDENTITY = (0, 1, 1, 0)


def _add(p1, p2):
    x1, y1, z1, t1 = p1
    x2, y2, z2, t2 = p2
    a = (y1 - x1) * (y2 - x2) % P
    b = (y1 + x1) * (y2 + x2) % P
    c = 2 * t1 * t2 * D % P
    d = 2 * z1 * z2 % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _double(p1):
    x1, y1, z1, _ = p1
    a = x1 * x1 % P
    b = y1 * y1 % P
    c = 2 * z1 * z1 % P
    h = a + b
    e = h - (x1 + y1) * (x1 + y1)
    g = a - b
    f = c + g
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _neg(p1):
    x, y, z, t = p1
    return ((-x) % P, y, z, (-t) % P)


def _is_identity(p1):
    x, y, z, _ = p1
    return x % P == 0 and (y - z) % P == 0


def _scalarmult(pt, s):
    q = IDENTITY
    for i in range(s.bit_length() - 1, -1, -1):
        q = _double(q)
        if (s >> i) & 1:
            q = _add(q, pt)
    return q


def _double_scalarmult(s1, p1, s2, p2):
    """[s1]p1 + [s2]p2 (Straus/Shamir)."""
    p12 = _add(p1, p2)
    q = IDENTITY
    n = max(s1.bit_length(), s2.bit_length())
    for i in range(n - 1, -1, -1):
        q = _double(q)
        b1 = (s1 >> i) & 1
        b2 = (s2 >> i) & 1
        if b1 and b2:
            q = _add(q, p12)
        elif b1:
            q = _add(q, p1)
        elif b2:
            q = _add(q, p2)
    return q


def _recover_x(y, sign):
    """RFC 8032 5.1.3 steps 2-4. Returns x or None."""
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    if x2 == 0:
        if sign:
            return None
        return 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    if (x & 1) != sign:
        x = P - x
    return x


def point_decompress(s):
    """Decode 32 bytes to a point; None when not a (canonically encoded) point."""
    if len(s) != 32:
        return None
    v = int.from_bytes(s, "little")
    y = v & ((1 << 255) - 1)
    sign = v >> 255
    if y >= P:  # non-canonical y
        return None
    x = _recover_x(y, sign)
    if x is None:
        return None
    return (x, y, 1, x * y % P)


def point_compress(pt):
    x, y, z, _ = pt
    zi = pow(z, P - 2, P)
    x = x * zi % P
    y = y * zi % P
    return int.to_bytes(y | ((x & 1) << 255), 32, "little")


GY = 4 * pow(5, P - 2, P) % P
GX = _recover_x(GY, 0)
BASE = (GX, GY, 1, GX * GY % P)


def is_small_order(pt):
    return _is_identity(_double(_double(_double(pt))))


def decode_public_key(key):
    """SPEC 3.3: on the curve, canonical (y < p), not of small order. Point or None."""
    pt = point_decompress(key)
    if pt is None or is_small_order(pt):
        return None
    return pt


_key_cache = {}


def _valid_key_point(key):
    if key not in _key_cache:
        _key_cache[key] = decode_public_key(key)
    return _key_cache[key]


def sig_verdict(key, msg, sig):
    """SPEC 4.2, the rule of entry format version 2: "valid", or the first rule that
    refuses. Keys are checked first (SPEC 3.3), then s, then R, then the cofactored
    equation [8][s]B = [8]R + [8][k]A."""
    if len(key) != 32 or len(sig) != 64:
        return "length"
    a_pt = point_decompress(key)
    if a_pt is None:
        y = int.from_bytes(key, "little") & ((1 << 255) - 1)
        return "non-canonical-a" if y >= P else "a-not-a-point"
    if is_small_order(a_pt):
        return "small-order-a"
    r_bytes, s_bytes = sig[:32], sig[32:]
    s = int.from_bytes(s_bytes, "little")
    if s >= L:
        return "non-canonical-s"
    v = int.from_bytes(r_bytes, "little")
    y, sign = v & ((1 << 255) - 1), v >> 255
    if y >= P or (sign and y in (1, P - 1)):
        # y + p, or x = 0 written with a sign bit ("-0"): not the one encoding.
        return "non-canonical-r"
    r_pt = point_decompress(r_bytes)
    if r_pt is None:
        return "r-not-a-point"
    if is_small_order(r_pt):
        return "small-order-r"
    k = int.from_bytes(hashlib.sha512(r_bytes + key + msg).digest(), "little") % L
    # [s]B - [k]A - R, times the cofactor 8, must be the identity.
    diff = _add(_double_scalarmult(s, BASE, k, _neg(a_pt)), _neg(r_pt))
    if not is_small_order(diff):
        return "equation"
    return "valid"


def verify_sig(key, msg, sig):
    """SPEC 4.2: the cofactored rule with strict encodings."""
    return sig_verdict(key, msg, sig) == "valid"


def run_signatures(path):
    """Checks core/vectors/signatures.json: each case's verdict under SPEC 4.2."""
    with open(path, encoding="utf-8") as f:
        vec = json.load(f)
    bad = 0
    for case in vec["cases"]:
        got = sig_verdict(bytes.fromhex(case["public_hex"]), bytes.fromhex(case["message_hex"]),
                          bytes.fromhex(case["signature_hex"]))
        if got != case["verdict"]:
            bad += 1
            print("FAIL %s: %s, expected %s" % (case["name"], got, case["verdict"]))
    print("signatures: %d cases, %d failed" % (len(vec["cases"]), bad))
    return 1 if bad else 0


def _secret_expand(seed):
    h = hashlib.sha512(seed).digest()
    a = int.from_bytes(h[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    return a, h[32:]


def public_from_seed(seed):
    a, _ = _secret_expand(seed)
    return point_compress(_scalarmult(BASE, a))


def sign(seed, msg):
    a, prefix = _secret_expand(seed)
    pub = point_compress(_scalarmult(BASE, a))
    r = int.from_bytes(hashlib.sha512(prefix + msg).digest(), "little") % L
    rb = point_compress(_scalarmult(BASE, r))
    k = int.from_bytes(hashlib.sha512(rb + pub + msg).digest(), "little") % L
    s = (r + k * a) % L
    return rb + int.to_bytes(s, 32, "little")


RFC8032_TESTS = [
    # RFC 8032 section 7.1, TEST 1 and TEST 2
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
        "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
        "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
]


def ed25519_selftest():
    problems = []
    for i, (seed, pub, msg, sig) in enumerate(RFC8032_TESTS, 1):
        seed_b, pub_b = bytes.fromhex(seed), bytes.fromhex(pub)
        msg_b, sig_b = bytes.fromhex(msg), bytes.fromhex(sig)
        if public_from_seed(seed_b) != pub_b:
            problems.append("TEST %d: public key" % i)
        if sign(seed_b, msg_b) != sig_b:
            problems.append("TEST %d: signature" % i)
        if not verify_sig(pub_b, msg_b, sig_b):
            problems.append("TEST %d: does not verify" % i)
        bad = bytearray(sig_b)
        bad[0] ^= 1
        if verify_sig(pub_b, msg_b, bytes(bad)):
            problems.append("TEST %d: flipped signature verifies" % i)
        if verify_sig(pub_b, msg_b + b"x", sig_b):
            problems.append("TEST %d: other message verifies" % i)
        s = int.from_bytes(sig_b[32:], "little") + L
        if verify_sig(pub_b, msg_b, sig_b[:32] + s.to_bytes(32, "little")):
            problems.append("TEST %d: S + L accepted" % i)
    # Small-order and non-canonical keys must be rejected (SPEC 3.3).
    ident = (1).to_bytes(32, "little")
    if decode_public_key(ident) is not None:
        problems.append("identity accepted as a key")
    if decode_public_key((P - 1).to_bytes(32, "little")) is not None:
        problems.append("order-2 point accepted as a key")
    if decode_public_key((P + 1).to_bytes(32, "little")) is not None:
        problems.append("non-canonical y accepted as a key")
    # The identity R with S = 0 passes every equation for a small-order key; the
    # rule rejects it through the R / key checks.
    if verify_sig(ident, b"m", ident + bytes(32)):
        problems.append("small-order R/key accepted")
    return problems


# ---------------------------------------------------------------------------
# Identifiers (SPEC 2)
# ---------------------------------------------------------------------------

MAX_TIME = 253402300799999
MAX_PAYLOAD = 65536
MAX_ENTRY = 65772
ENTRY_TAG = b"pacta/entry\x00"
# SPEC 4.1: version 2 is version 1's layout under the cofactored signature rule (4.2).
ENTRY_VERSION = 2
NETWORK_TAG = b"pacta/network\x00"
BUNDLE_MAGIC = b"pacta/bundle\x00"
BUNDLE_VERSION = 2

_CODE_RE = re.compile(rb"[A-Z]{2,8}\Z")
_KIND_RE = re.compile(rb"[a-z][a-z0-9-]{0,31}\Z")
_NETNAME_RE = re.compile(r"[A-Za-z0-9._-]{1,64}\Z")
_PROFILE_RE = re.compile(r"[a-z0-9-]{1,40}\Z")
_HEX64_RE = re.compile(r"[0-9a-f]{64}\Z")


def valid_code(b):
    return bool(_CODE_RE.match(b))


def valid_kind(b):
    return bool(_KIND_RE.match(b))


# ---------------------------------------------------------------------------
# Roster (SPEC 3)
# ---------------------------------------------------------------------------


class RosterError(Exception):
    pass


class Roster:
    def __init__(self, network, members, quorum=None, limits=None):
        self.network = network  # str
        self.members = members  # list of dicts, file order
        self.by_code = {m["code"]: m for m in members}
        self.preimage = network_preimage(network, [(m["code"], m["key_bytes"]) for m in members])
        self.network_id = hashlib.sha256(self.preimage).digest()
        # SPEC 3.1: node keys (checkpoints, SPEC 10) and the quorums. Neither is in the
        # network id (SPEC 3.2).
        self.node_keys = {m["code"]: m["node_key_bytes"] for m in members
                          if m.get("node_key_bytes") is not None}
        quorum = quorum or {}
        self.node_quorum = quorum.get("nodes", len(self.node_keys) // 2 + 1)
        self.member_quorum = quorum.get("members", len(members) // 2 + 1)
        # SPEC 3.1 [limits] and 5 rule 9: (entries per window, window in ms), or None.
        self.limits = limits


def network_preimage(name, members):
    name_b = name.encode("ascii")
    out = bytearray(NETWORK_TAG)
    out.append(1)
    out.append(len(name_b))
    out += name_b
    out += len(members).to_bytes(4, "big")
    for code, key in sorted(members, key=lambda m: m[0].encode("ascii")):
        cb = code.encode("ascii")
        out.append(len(cb))
        out += cb
        out += key
    return bytes(out)


def _valid_node(url):
    for scheme in ("http://", "https://"):
        if url.startswith(scheme):
            rest = url[len(scheme):]
            authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
            host = authority.rsplit("@", 1)[-1]
            if host.startswith("["):
                host = host.split("]", 1)[0] + "]"
            else:
                host = host.split(":", 1)[0]
            # SPEC 3.1: no user info, query, fragment, backslash or control characters.
            clean = not any(c.isspace() or ord(c) < 32 or ord(c) == 127 or c in "@?#\\"
                            for c in url)
            return host not in ("", "[]") and clean and len(url) <= 2000
    return False


def parse_roster(text):
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise RosterError("roster is not valid TOML: %s" % e)
    for k in data:
        if k not in ("network", "description", "member", "quorum", "limits"):
            raise RosterError("unknown field %r" % k)
    net = data.get("network")
    if not isinstance(net, str):
        raise RosterError("network is missing or not a string")
    if not _NETNAME_RE.match(net):
        raise RosterError("network name %r is not 1 to 64 of A-Z a-z 0-9 . _ -" % net)
    if "description" in data and not isinstance(data["description"], str):
        raise RosterError("description is not a string")
    mlist = data.get("member")
    if mlist is None:
        raise RosterError("there are no members")
    if not isinstance(mlist, list) or not all(isinstance(m, dict) for m in mlist):
        raise RosterError("member is not an array of tables")
    if not mlist:
        raise RosterError("there are no members")
    members = []
    codes, keys = set(), set()
    required = ("code", "name", "key", "node", "profile")
    for i, m in enumerate(mlist, 1):
        where = "member %d" % i
        for k in m:
            if k not in required + ("remark", "node_key"):
                raise RosterError("%s: unknown field %r" % (where, k))
        for k in required:
            if k not in m:
                raise RosterError("%s: missing field %r" % (where, k))
        for k, v in m.items():
            if not isinstance(v, str):
                raise RosterError("%s: field %r is not a string" % (where, k))
        code = m["code"]
        if not code.isascii() or not valid_code(code.encode("ascii")):
            raise RosterError("%s: bad member code %r" % (where, code))
        where = "member %s" % code
        name = m["name"]
        # ASSUMPTION: "printable characters" = str.isprintable(), counted in code points.
        if not (1 <= len(name) <= 200) or not name.isprintable():
            raise RosterError("%s: name is not 1 to 200 printable characters" % where)
        key = m["key"]
        if not _HEX64_RE.match(key):
            raise RosterError("%s: key is not 64 lowercase hex digits" % where)
        kb = bytes.fromhex(key)
        if decode_public_key(kb) is None:
            raise RosterError("%s: key is not a valid Ed25519 public key" % where)
        if not _valid_node(m["node"]):
            raise RosterError("%s: node is not an http or https URL with a host" % where)
        if not _PROFILE_RE.match(m["profile"]):
            raise RosterError("%s: profile is not 1 to 40 of a-z 0-9 -" % where)
        if code in codes:
            raise RosterError("%s: two members share the code" % where)
        if kb in keys:
            raise RosterError("%s: two members share the key" % where)
        nkb = None
        if "node_key" in m:
            # SPEC 3.1: valid (3.3), and no key serves twice: not the member's own key,
            # not another member's key or node key.
            if not _HEX64_RE.match(m["node_key"]):
                raise RosterError("%s: node_key is not 64 lowercase hex digits" % where)
            nkb = bytes.fromhex(m["node_key"])
            if decode_public_key(nkb) is None:
                raise RosterError("%s: node_key is not a valid Ed25519 public key" % where)
            if nkb == kb or nkb in keys:
                raise RosterError("%s: node_key is a key already in the roster" % where)
            keys.add(nkb)
        codes.add(code)
        keys.add(kb)
        members.append(dict(m, key_bytes=kb, node_key_bytes=nkb))
    quorum = {}
    if "quorum" in data:
        q = data["quorum"]
        if not isinstance(q, dict):
            raise RosterError("quorum is not a table")
        for k in q:
            if k not in ("nodes", "members"):
                raise RosterError("quorum: unknown field %r" % k)
        nodes = sum(1 for m in members if m["node_key_bytes"] is not None)
        for k, most in (("nodes", max(nodes, 1)), ("members", max(len(members) - 1, 1))):
            if k in q:
                v = q[k]
                # A TOML integer; tomllib gives bool for true/false, a subclass of int.
                if type(v) is not int:
                    raise RosterError("quorum.%s is not an integer" % k)
                if not 1 <= v <= most:
                    raise RosterError("quorum.%s = %d must be 1 to %d" % (k, v, most))
                quorum[k] = v
    limits = None
    if "limits" in data:
        lim = data["limits"]
        if not isinstance(lim, dict):
            raise RosterError("limits is not a table")
        for k in lim:
            if k not in ("feed_entries", "window_seconds"):
                raise RosterError("limits: unknown field %r" % k)
        if "feed_entries" not in lim:
            raise RosterError("limits: feed_entries is missing")
        vals = {"window_seconds": 86400}
        for k, most in (("feed_entries", 1 << 32), ("window_seconds", 366 * 86400)):
            if k in lim:
                v = lim[k]
                if type(v) is not int:
                    raise RosterError("limits.%s is not an integer" % k)
                if not 1 <= v <= most:
                    raise RosterError("limits.%s = %d must be 1 to %d" % (k, v, most))
                vals[k] = v
        limits = (vals["feed_entries"], vals["window_seconds"] * 1000)
    return Roster(net, members, quorum, limits)


# ---------------------------------------------------------------------------
# Entries (SPEC 4)
# ---------------------------------------------------------------------------


class DecodeError(Exception):
    pass


class Entry:
    __slots__ = ("raw", "signed", "signature", "payload", "network", "author",
                 "seq", "prev", "time", "kind", "payload_len", "payload_hash", "id")


class _Reader:
    def __init__(self, buf):
        self.buf = buf
        self.pos = 0

    def take(self, n, what):
        if self.pos + n > len(self.buf):
            raise DecodeError("input ends inside %s" % what)
        out = self.buf[self.pos:self.pos + n]
        self.pos += n
        return out

    def uint(self, n, what):
        return int.from_bytes(self.take(n, what), "big")


def decode_entry(raw):
    raw = bytes(raw)
    if len(raw) > MAX_ENTRY:
        raise DecodeError("entry longer than %d bytes" % MAX_ENTRY)
    r = _Reader(raw)
    e = Entry()
    e.raw = raw
    if r.take(12, "tag") != ENTRY_TAG:
        raise DecodeError("wrong tag")
    if r.uint(1, "version") != ENTRY_VERSION:
        raise DecodeError("version is not %d" % ENTRY_VERSION)
    e.network = r.take(32, "network id")
    la = r.uint(1, "author length")
    author = r.take(la, "author")
    if not valid_code(author):
        raise DecodeError("author is not a member code")
    e.author = author.decode("ascii")
    e.seq = r.uint(8, "seq")
    if e.seq == 0:
        raise DecodeError("seq 0")
    flag = r.uint(1, "prev flag")
    if flag not in (0, 1):
        raise DecodeError("prev flag %d" % flag)
    if flag == 1 and e.seq == 1:
        raise DecodeError("prev flag 1 at seq 1")
    if flag == 0 and e.seq >= 2:
        raise DecodeError("prev flag 0 at seq >= 2")
    e.prev = r.take(32, "prev") if flag == 1 else None
    e.time = r.uint(8, "time")
    if e.time > MAX_TIME:
        raise DecodeError("time above the maximum")
    lk = r.uint(1, "kind length")
    kind = r.take(lk, "kind")
    if not valid_kind(kind):
        raise DecodeError("kind breaks its rule")
    e.kind = kind.decode("ascii")
    e.payload_len = r.uint(4, "payload length")
    if e.payload_len > MAX_PAYLOAD:
        raise DecodeError("payload length above %d" % MAX_PAYLOAD)
    e.payload_hash = r.take(32, "payload hash")
    e.signed = raw[:r.pos]
    e.signature = r.take(64, "signature")
    e.payload = r.take(e.payload_len, "payload")
    if r.pos != len(raw):
        raise DecodeError("%d trailing bytes" % (len(raw) - r.pos))
    if hashlib.sha256(e.payload).digest() != e.payload_hash:
        raise DecodeError("payload does not match its hash")
    e.id = hashlib.sha256(e.signed + e.signature).digest()
    return e


# ---------------------------------------------------------------------------
# Payloads (SPEC 6)
# ---------------------------------------------------------------------------
#
# A payload is checked as SPEC 6.1 says: parse it strictly (UTF-8, JSON, no
# duplicate member), decode it against its kind's schema (6.3 to 6.16), check every
# field rule (6.2 and the kind's section), encode the decoded value canonically in the
# schema's member order, and compare those bytes with the bytes received.

# "Whitespace" is the Unicode property White_Space (SPEC 6.2). Python has no lookup
# for the property, so its 25 code points are listed.
# ASSUMPTION: SPEC names no Unicode version; this is White_Space as it has been since
# Unicode 6.3 (which dropped U+180E) up to Unicode 15.
_UNICODE_WS = set(
    "\u0009\u000a\u000b\u000c\u000d\u0020\u0085\u00a0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)

_ESC = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def canonical_string(s):
    out = ['"']
    for ch in s:
        o = ord(ch)
        if 0xD800 <= o <= 0xDFFF:
            raise ValueError("lone surrogate")
        if ch in _ESC:
            out.append(_ESC[ch])
        elif o < 0x20:
            out.append("\\u00%02x" % o)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


class _JsonObject(tuple):
    """A decoded JSON object: its (name, value) members in order, duplicates kept."""


class _JsonFloat:
    """A JSON number with a fraction or an exponent: never valid in version 1."""

    __slots__ = ("text",)

    def __init__(self, text):
        self.text = text


def _reject_constant(c):
    raise ValueError("%s is not JSON" % c)


def parse_json_strict(payload):
    """Bytes -> JSON value: objects as _JsonObject, arrays as list. Raises ValueError
    (UnicodeDecodeError and JSONDecodeError are ValueErrors) or RecursionError."""
    text = payload.decode("utf-8")  # strict: rejects invalid UTF-8 and encoded surrogates
    return json.loads(text, object_pairs_hook=_JsonObject, parse_float=_JsonFloat,
                      parse_constant=_reject_constant)


class PayloadError(Exception):
    """A broken schema or field rule, at a path in the style of SPEC 6.2 "Reporting"."""

    def __init__(self, path, message):
        super().__init__(path, message)
        self.path = path
        self.message = message

    def __str__(self):
        return "`%s`: %s" % (self.path, self.message) if self.path else self.message


def _show(s, limit=40):
    """A payload string for a message: repr (escapes lone surrogates), shortened."""
    r = repr(s)
    return r if len(r) <= limit else r[:limit - 4] + "...'"


def _join(path, name):
    return "%s.%s" % (path, name) if path else name


def _type_name(v):
    if v is None:
        return "null"
    if v is True or v is False:
        return "boolean"
    if type(v) is int or isinstance(v, _JsonFloat):
        return "number"
    if type(v) is str:
        return "string"
    if isinstance(v, _JsonObject):
        return "object"
    return "array"


def _wrong_type(v, path, expected):
    return PayloadError(path, "invalid type: %s, expected %s" % (_type_name(v), expected))


def _want_str(v, path, expected="a string"):
    if type(v) is not str:
        raise _wrong_type(v, path, expected)
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in v):
        raise PayloadError(path, "contains a lone surrogate")
    return v


def _is_cc(ch):
    o = ord(ch)
    return o < 0x20 or 0x7F <= o <= 0x9F


# --- value types and text rules (SPEC 6.2) ---------------------------------


def t_text(n, allowed=("\n", "\t")):
    """text(n); line(n) is t_text(n, allowed=())."""
    def check(v, path):
        s = _want_str(v, path)
        if all(c in _UNICODE_WS for c in s):  # also true of ""
            raise PayloadError(path, "is empty or only whitespace")
        size = len(s.encode("utf-8"))
        if size > n:
            raise PayloadError(path, "is %d bytes, longer than %d" % (size, n))
        for c in s:
            if _is_cc(c) and c not in allowed:
                raise PayloadError(path, "contains the control character U+%04X" % ord(c))
        return s
    return check


def t_line(n):
    return t_text(n, allowed=())


_SLUG_RE = re.compile(r"[a-z][a-z0-9-]*")


def t_slug(n):
    def check(v, path):
        s = _want_str(v, path)
        if not (1 <= len(s) <= n) or not _SLUG_RE.fullmatch(s):
            raise PayloadError(path, "%s is not 1 to %d of a-z 0-9 -, starting with a-z"
                               % (_show(s), n))
        return s
    return check


_DATE_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


def t_date(v, path):
    s = _want_str(v, path, "a date YYYY-MM-DD")
    m = _DATE_RE.fullmatch(s)
    if not m:
        raise PayloadError(path, "%s is not a date YYYY-MM-DD" % _show(s))
    y, mo, d = (int(g) for g in m.groups())
    if y < 1900:
        raise PayloadError(path, "%s is before 1900-01-01" % s)
    try:
        datetime.date(y, mo, d)
    except ValueError:
        raise PayloadError(path, "%s is not a day of the calendar" % s)
    return s


def _t_hex(n, what):
    rx = re.compile("[0-9a-f]{%d}" % n)

    def check(v, path):
        s = _want_str(v, path)
        if not rx.fullmatch(s):
            raise PayloadError(path, "%s is not %s: %d lowercase hex digits" % (_show(s), what, n))
        return s
    return check


t_id = _t_hex(64, "an entry id")
t_digest = _t_hex(64, "a SHA-256 digest")


def t_member(v, path):
    s = _want_str(v, path)
    if not (s.isascii() and valid_code(s.encode("ascii"))):
        raise PayloadError(path, "%s is not a member code (2 to 8 of A-Z)" % _show(s))
    return s


def t_u32(v, path):
    if isinstance(v, _JsonFloat):
        raise PayloadError(path, "%s is not an integer" % _show(v.text))
    if type(v) is not int:
        raise _wrong_type(v, path, "a u32")
    if not 0 <= v <= 0xFFFFFFFF:
        raise PayloadError(path, "%d is out of range for a u32" % v)
    return v


def t_enum(*values):
    def check(v, path):
        s = _want_str(v, path)
        if s not in values:
            raise PayloadError(path, "unknown variant %s, expected one of %s"
                               % (_show(s), ", ".join(values)))
        return s
    return check


def t_flag(v, path):
    """A flag decodes true as True and false as None (absent): an encoded `false` then
    fails the canonical comparison, as SPEC 6.1 requires."""
    if v is True:
        return True
    if v is False:
        return None
    raise _wrong_type(v, path, "a boolean")


def t_list(k, item):
    """list(k, ...). Empty decodes to [] (absent): an encoded `[]` then fails the
    canonical comparison."""
    def check(v, path):
        if type(v) is not list:
            raise _wrong_type(v, path, "a list")
        if len(v) > k:
            raise PayloadError(path, "has %d items, more than %d" % (len(v), k))
        return [item(x, "%s[%d]" % (path, i)) for i, x in enumerate(v)]
    return check


def t_sorted_list(lo, hi, item, rank):
    """A list of lo to hi items, strictly ascending by rank(item) (so each at most once)."""
    def check(v, path):
        if type(v) is not list:
            raise _wrong_type(v, path, "a list")
        if not lo <= len(v) <= hi:
            raise PayloadError(path, "has %d items, not %d to %d" % (len(v), lo, hi))
        out = []
        for i, x in enumerate(v):
            x = item(x, "%s[%d]" % (path, i))
            if out and not rank(out[-1]) < rank(x):
                raise PayloadError("%s[%d]" % (path, i), "%s is not strictly after %s"
                                   % (_show(x), _show(out[-1])))
            out.append(x)
        return out
    return check


def _decode_members(v, path, schema):
    """Decodes an object against schema = [(name, check, required), ...] into a dict in
    the schema's order. Unknown and repeated members are refused; an optional member
    that decodes to nothing (null, [], false) is left out."""
    if not isinstance(v, _JsonObject):
        raise _wrong_type(v, path, "an object")
    known = {name for name, _, _ in schema}
    given = {}
    for name, value in v:
        if name not in known:
            raise PayloadError(path, "unknown field %s, expected one of %s"
                               % (_show(name), ", ".join(n for n, _, _ in schema)))
        if name in given:
            raise PayloadError(_join(path, name), "duplicate field")
        given[name] = value
    out = {}
    for name, check, required in schema:
        if name not in given:
            if required:
                raise PayloadError(path, "missing field `%s`" % name)
            continue
        value = given[name]
        if value is None and not required:
            continue  # `null` for an absent member: not canonical (SPEC 6.1)
        value = check(value, _join(path, name))
        if value is None or value == []:
            if required:
                raise PayloadError(_join(path, name), "is empty")
            continue
        out[name] = value
    return out


def t_object(schema):
    def check(v, path):
        return _decode_members(v, path, schema)
    return check


def t_tagged(variants):
    """An object whose first member `rule` names the variant, followed by the variant's
    members (SPEC 6.4)."""
    def check(v, path):
        if not isinstance(v, _JsonObject):
            raise _wrong_type(v, path, "an object")
        rules = [x for name, x in v if name == "rule"]
        if not rules:
            raise PayloadError(path, "missing field `rule`")
        rule = _want_str(rules[0], _join(path, "rule"))
        if rule not in variants:
            raise PayloadError(_join(path, "rule"), "unknown variant %s, expected one of %s"
                               % (_show(rule), ", ".join(variants)))
        return _decode_members(v, path, [("rule", _want_str, True)] + variants[rule])
    return check


# --- the kinds (SPEC 6.3 to 6.16) ------------------------------------------

# SPEC 14.2: the only procedure profile ids version 1 knows.
# ASSUMPTION: SPEC gives no list of ids; these are the bold headings of 13.2, in order.
PROFILE_IDS = ("us-article-ii", "us-congressional-executive", "us-sole-executive",
               "gb-crag2010", "fr-art53", "de-art59", "ua-rada-law", "nl-states-general",
               "jp-diet", "tr-gna-law", "generic")

CONSENT_MEANS = ("signature", "ratification", "acceptance", "approval", "accession")

_FLAG = ("illustrative", t_flag, False)


def t_any_object(v, path):
    if not isinstance(v, _JsonObject):
        raise _wrong_type(v, path, "an object")
    return v


def t_procedure(v, path):
    s = t_slug(40)(v, path)
    if s not in PROFILE_IDS:
        raise PayloadError(path, "%s is not a procedure profile id of SPEC 14" % _show(s))
    return s


def t_kind_name(v, path):
    s = _want_str(v, path)
    if not (s.isascii() and valid_kind(s.encode("ascii"))):
        raise PayloadError(path, "%s is not a kind (1 to 32 of a-z 0-9 -)" % _show(s))
    return s


def t_new_key(v, path):
    s = _t_hex(64, "a public key")(v, path)
    if decode_public_key(bytes.fromhex(s)) is None:
        raise PayloadError(path, "is not a valid Ed25519 public key (SPEC 3.3)")
    return s


_EIF_RULES = {
    "none": [],
    "on-consent": [],
    "after-deposits": [("deposits", t_u32, True), ("days", t_u32, True)],
    "on-date": [("date", t_date, True)],
}

_WITHDRAWAL_RULES = {
    "not-provided": [],
    "after-notice": [("months", t_u32, True)],
}

SCHEMAS = {
    "note": [
        ("text", t_text(16384), True),
        _FLAG,
    ],
    "instrument": [
        ("short", t_slug(40), True),
        ("title", t_line(500), True),
        ("nature", t_enum("legal", "political"), True),
        ("adopted", t_date, True),
        ("text_sha256", t_digest, False),
        ("parties", t_sorted_list(1, 500, t_member, lambda c: c.encode("ascii")), True),
        ("depositary", t_member, False),
        ("consent_means", t_sorted_list(0, len(CONSENT_MEANS), t_enum(*CONSENT_MEANS),
                                        CONSENT_MEANS.index), False),
        ("entry_into_force", t_tagged(_EIF_RULES), True),
        ("withdrawal", t_tagged(_WITHDRAWAL_RULES), True),
        ("ratification_without_signature", t_flag, False),  # legal only (SPEC 6.4 #11)
        _FLAG,
    ],
    "commitment": [
        ("instrument", t_id, True),
        ("pillar", t_enum("ceasefire-monitoring", "armed-forces-support",
                          "multinational-force", "binding-commitments",
                          "defence-cooperation", "coordination-cell", "other"), True),
        ("description", t_text(4000), True),
        ("quantity", t_object([("amount", t_line(100), True),
                               ("unit", t_line(100), True)]), False),
        ("conditions", t_list(20, t_text(1000)), False),
        ("date", t_date, True),
        _FLAG,
    ],
    "signature": [
        ("instrument", t_id, True),
        ("type", t_enum("subject-to-ratification", "definitive", "ad-referendum"), True),
        ("date", t_date, True),
        ("signatory", t_line(300), False),
        _FLAG,
    ],
    "procedure-step": [
        ("instrument", t_id, True),
        ("step", t_slug(40), True),
        ("body", t_line(200), True),
        ("action", t_line(500), True),
        ("date", t_date, True),
        ("votes", t_object([("for", t_u32, True), ("against", t_u32, True),
                            ("abstaining", t_u32, True)]), False),
        ("threshold", t_line(200), False),
        ("result", t_enum("passed", "failed", "completed"), True),
        ("reference", t_line(500), False),
        _FLAG,
    ],
    "consent": [
        ("instrument", t_id, True),
        ("means", t_enum("ratification", "acceptance", "approval", "accession"), True),
        ("date", t_date, True),
        ("declarations", t_list(50, t_text(4000)), False),
        ("reservations", t_list(50, t_text(4000)), False),
        ("procedure", t_procedure, False),
        _FLAG,
    ],
    "deposit-receipt": [
        ("instrument", t_id, True),
        ("member", t_member, True),
        ("consent", t_id, True),
        ("date", t_date, True),
        _FLAG,
    ],
    "provisional-application": [
        ("instrument", t_id, True),
        ("date", t_date, True),
        ("scope", t_text(4000), False),
        _FLAG,
    ],
    "withdrawal": [
        ("instrument", t_id, True),
        ("notified", t_date, True),
        ("effective", t_date, True),
        _FLAG,
    ],
    "correction": [
        ("entry", t_id, True),
        ("reason", t_text(4000), True),
        ("kind", t_kind_name, False),
        ("payload", t_any_object, False),  # decoded as its kind by _rules_correction
        _FLAG,
    ],
    "key-rotation": [  # no `illustrative` member (SPEC 6.13)
        ("new_key", t_new_key, True),
        ("proof", _t_hex(128, "a signature"), True),
    ],
    "signature-confirmation": [  # SPEC 6.14
        ("instrument", t_id, True),
        ("signature", t_id, True),
        ("date", t_date, True),
        _FLAG,
    ],
    "deposit-return": [  # SPEC 6.15
        ("instrument", t_id, True),
        ("member", t_member, True),
        ("consent", t_id, True),
        ("date", t_date, True),
        ("reason", t_text(2000), True),
        _FLAG,
    ],
    "intention-not-to-be-party": [  # SPEC 6.16
        ("instrument", t_id, True),
        ("date", t_date, True),
        _FLAG,
    ],
}


def _rules_instrument(p):
    eif, wd = p["entry_into_force"], p["withdrawal"]
    if p["nature"] == "political":
        if "depositary" in p:
            raise PayloadError("depositary", "a political instrument has no depositary")
        if "consent_means" in p:
            raise PayloadError("consent_means", "a political instrument has no consent_means")
        if eif["rule"] != "none":
            raise PayloadError("entry_into_force", "a political instrument never enters "
                               "into force: the rule must be none")
        if "ratification_without_signature" in p:
            raise PayloadError("ratification_without_signature", "a political instrument "
                               "binds no one: the flag is for legal instruments only")
    else:
        if "depositary" not in p:
            raise PayloadError("depositary", "a legal instrument needs a depositary")
        if "consent_means" not in p:
            raise PayloadError("consent_means", "a legal instrument needs at least one "
                               "consent means")
        if eif["rule"] == "none":
            raise PayloadError("entry_into_force", "a legal instrument cannot have the rule none")
        if eif["rule"] == "after-deposits":
            if not 1 <= eif["deposits"] <= 500:
                raise PayloadError("entry_into_force.deposits", "%d is not 1 to 500"
                                   % eif["deposits"])
            if eif["days"] > 3650:
                raise PayloadError("entry_into_force.days", "%d is more than 3650" % eif["days"])
    if wd["rule"] == "after-notice" and wd["months"] > 120:
        raise PayloadError("withdrawal.months", "%d is more than 120" % wd["months"])


def _rules_procedure_step(p):
    if "votes" in p and p["result"] == "completed":
        raise PayloadError("result", "a step with votes is passed or failed, never completed")


def _rules_withdrawal(p):
    if p["effective"] < p["notified"]:
        raise PayloadError("effective", "%s is before notified %s"
                           % (p["effective"], p["notified"]))


def _rules_correction(p):
    if ("kind" in p) != ("payload" in p):
        missing = "payload" if "kind" in p else "kind"
        raise PayloadError(missing, "kind and payload come together (both to replace, "
                           "neither to annul)")
    if "kind" not in p:
        return
    kind = p["kind"]
    if kind in ("correction", "key-rotation") or kind not in SCHEMAS:
        raise PayloadError("kind", "%s cannot be a replacement's kind" % _show(kind))
    try:
        p["payload"] = decode_payload(kind, p["payload"])
    except PayloadError as e:
        raise PayloadError("payload", "not a valid %s payload: %s" % (kind, e))


_RULES = {
    "instrument": _rules_instrument,
    "procedure-step": _rules_procedure_step,
    "withdrawal": _rules_withdrawal,
    "correction": _rules_correction,
}


def decode_payload(kind, obj):
    """A parsed JSON value -> the payload as a dict in schema order; PayloadError when a
    schema or field rule of SPEC 6 is broken. kind must be a key of SCHEMAS."""
    p = _decode_members(obj, "", SCHEMAS[kind])
    if kind in _RULES:
        _RULES[kind](p)
    return p


def canonical_json(v):
    """SPEC 6.1: compact, members in the dict's (schema) order, the spec's escaping."""
    if v is True:
        return "true"
    if type(v) is int:
        return str(v)
    if type(v) is str:
        return canonical_string(v)
    if type(v) is list:
        return "[" + ",".join(canonical_json(x) for x in v) + "]"
    if type(v) is dict:
        return "{" + ",".join(canonical_string(k) + ":" + canonical_json(x)
                              for k, x in v.items()) + "}"
    raise ValueError("cannot encode %r" % (v,))


KEY_ROTATION_REFUSED = "key-rotation: not accepted by this version (SPEC 6.13)"


def payload_problem(kind, payload):
    """None when the payload is valid for its kind, else a message (reason 'payload')."""
    if kind not in SCHEMAS:
        return "unknown kind %r" % kind
    try:
        obj = parse_json_strict(payload)
    except (ValueError, RecursionError) as e:
        return "%s: payload is not JSON: %s" % (kind, e)
    try:
        value = decode_payload(kind, obj)
    except PayloadError as e:
        return "%s: %s" % (kind, e)
    try:
        canon = canonical_json(value).encode("utf-8")
    except ValueError as e:  # unreachable: lone surrogates are refused when decoding
        return "%s: %s" % (kind, e)
    if canon != payload:
        return "%s: payload is not in canonical form" % kind
    if kind == "key-rotation":
        return KEY_ROTATION_REFUSED
    return None


# ---------------------------------------------------------------------------
# Bundles (SPEC 8) and ledger verification (SPEC 5, 7, 9, 10.6)
# ---------------------------------------------------------------------------


class BundleError(Exception):
    pass


def parse_bundle(data):
    """SPEC 8, version 2. Returns (network, feeds, forks, checkpoint bytes or None)."""
    r = _Reader(data)
    try:
        if r.take(13, "magic") != BUNDLE_MAGIC:
            raise BundleError("not a Pacta bundle (magic)")
        version = r.uint(1, "version")
        if version != BUNDLE_VERSION:
            raise BundleError("bundle version is %d, not %d" % (version, BUNDLE_VERSION))
        network = r.take(32, "network id")

        def item():
            n = r.uint(4, "item length")
            if n > MAX_ENTRY:
                raise BundleError("item of %d bytes, longer than %d" % (n, MAX_ENTRY))
            return r.take(n, "item")

        feeds = []
        last = None
        for _ in range(r.uint(4, "feed count")):
            code = r.take(r.uint(1, "code length"), "code")
            if last is not None and not (code > last):
                raise BundleError("feeds out of order or listed twice")
            last = code
            count = r.uint(4, "entry count")
            if count == 0:
                raise BundleError("a feed with no entries")
            feeds.append((code, [item() for _ in range(count)]))
        forks = []
        for _ in range(r.uint(4, "fork count")):
            forks.append((item(), item()))
        cp_len = r.uint(4, "checkpoint length")
        if cp_len > MAX_NOTE:
            raise BundleError("checkpoint of %d bytes, longer than %d" % (cp_len, MAX_NOTE))
        checkpoint = r.take(cp_len, "checkpoint") if cp_len else None
        if r.pos != len(data):
            raise BundleError("%d trailing bytes" % (len(data) - r.pos))
    except DecodeError as e:  # input ended inside a field
        raise BundleError(str(e))
    return network, feeds, forks, checkpoint


def verify_feed(roster, member, items):
    """SPEC 5. Returns (list of verified Entry, error dict or None)."""
    key = roster.by_code[member]["key_bytes"]
    good = []
    in_window = 0  # rule 9: entries so far in the window of good[-1]
    for i, raw in enumerate(items, 1):
        place = "%s #%d" % (member, i)

        def fail(reason, msg):
            return good, {"place": place, "reason": reason, "member": member, "seq": i,
                          "message": msg}

        try:
            e = decode_entry(raw)
        except DecodeError as ex:
            return fail("decode", "cannot be decoded: %s" % ex)
        if e.author != member:
            return fail("author", "author is %s" % e.author)
        if not verify_sig(key, e.signed, e.signature):
            return fail("signature", "signature does not verify under %s's key" % member)
        if e.network != roster.network_id:
            return fail("network", "signed for network %s" % e.network.hex())
        prob = payload_problem(e.kind, e.payload)
        if prob:
            return fail("payload", prob)
        if e.seq != i:
            return fail("seq", "seq is %d" % e.seq)
        if i >= 2:
            if e.prev != good[-1].id:
                return fail("prev", "prev is not the id of #%d" % (i - 1))
            if e.time < good[-1].time:
                return fail("time", "time is before the time of #%d" % (i - 1))
        if roster.limits:
            # Rule 9: entries in this entry's window, counting back while times share it.
            most, window = roster.limits
            same = good and good[-1].time // window == e.time // window
            count = in_window + 1 if same else 1
            if count > most:
                return fail("flood", "entry %d in its window; the roster allows %d" % (count, most))
            in_window = count
        good.append(e)
    return good, None


def check_fork(roster, a_raw, b_raw):
    """SPEC 7. Returns (member, seq, id_a) or raises ValueError."""
    try:
        a, b = decode_entry(a_raw), decode_entry(b_raw)
    except DecodeError as ex:
        raise ValueError("an entry cannot be decoded: %s" % ex)
    if a.author != b.author or a.seq != b.seq:
        raise ValueError("the entries differ in author or seq")
    m = roster.by_code.get(a.author)
    if m is None:
        raise ValueError("member %s is not in the roster" % a.author)
    if not a.id < b.id:
        raise ValueError("id(a) is not below id(b)")
    if not (verify_sig(m["key_bytes"], a.signed, a.signature)
            and verify_sig(m["key_bytes"], b.signed, b.signature)):
        raise ValueError("a signature does not verify")
    if a.network != roster.network_id or b.network != roster.network_id:
        raise ValueError("an entry carries another network id")
    return (a.author, a.seq, a.id)


def verify_ledger(roster, data, whole=True):
    """SPEC 9. Returns a report dict. whole=False verifies a bundle that carries only
    some feeds (a proof's, SPEC 16): the checkpoint is compared with those only."""
    report = {"valid": False, "network": roster.network_id.hex(),
              "network_name": roster.network, "verified_entries": 0,
              "heads": {}, "disputed": [], "errors": [], "forks": [], "checkpoint": None,
              "entries": {}}  # member -> its feed's valid prefix (Entry list), for SPEC 15
    try:
        network, feeds, forks, checkpoint = parse_bundle(data)
    except BundleError as ex:
        report["errors"].append({"place": "bundle", "reason": "bundle", "message": str(ex)})
        return report
    if network != roster.network_id:
        # ASSUMPTION: the place of a network mismatch of the whole bundle is "bundle".
        report["errors"].append({"place": "bundle", "reason": "network",
                                 "message": "bundle is for network %s" % network.hex()})
        return report
    verified_ids = {}  # member -> ids of its feed's valid prefix, for the checkpoint
    for code_b, items in feeds:
        code = code_b.decode("ascii", "replace")
        if code not in roster.by_code:
            report["errors"].append({"place": "%s #1" % code, "reason": "unknown-member",
                                     "member": code, "seq": 1,
                                     "message": "%s is not in the roster" % code})
            continue
        good, err = verify_feed(roster, code, items)
        verified_ids[code] = [e.id for e in good]
        report["entries"][code] = good
        report["verified_entries"] += len(good)
        if good:
            report["heads"][code] = {"seq": good[-1].seq, "id": good[-1].id.hex(),
                                     "time": good[-1].time}
        if err:
            report["errors"].append(err)
    disputed = set()
    last_key = None
    for k, (a_raw, b_raw) in enumerate(forks, 1):
        try:
            key = check_fork(roster, a_raw, b_raw)
            # SPEC 9 step 4: after the last *valid* proof, so an out-of-order proof does
            # not move the mark.
            if last_key is not None and not key > last_key:
                raise ValueError("fork proofs out of order")
            last_key = key
        except ValueError as ex:
            report["errors"].append({"place": "fork %d" % k, "reason": "fork",
                                     "message": str(ex)})
            continue
        disputed.add(key[0])
        report["forks"].append({"member": key[0], "seq": key[1], "id_a": key[2].hex()})
    report["disputed"] = sorted(disputed, key=lambda c: c.encode())
    if checkpoint is not None:
        cp_report, failures = check_checkpoint(roster, checkpoint, verified_ids, whole)
        report["checkpoint"] = cp_report
        report["errors"].extend(failures)
    report["valid"] = not report["errors"]
    return report


# ---------------------------------------------------------------------------
# Checkpoints (SPEC 10): signed notes, key ids, the body, signatures, quorum
# ---------------------------------------------------------------------------

MAX_NOTE = 256 * 1024
MAX_SIGNATURES = 64
ALG_ED25519 = 0x01
ALG_COSIGNATURE_V1 = 0x04
CHECKPOINT_TAG = b"pacta/checkpoint\x00"
CHECKPOINT_VERSION = 1
EM_DASH = "\u2014 "  # U+2014 EM DASH and a space: e2 80 94 20
U64_MAX = 2**64 - 1
I64_MAX = 2**63 - 1


class CheckpointError(Exception):
    """Any reason a signed checkpoint is refused: reason code "checkpoint"."""


def key_id(name, alg, key):
    """SPEC 10.2: SHA-256(name || 0x0a || alg || key)[:4]."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([alg]) + key).digest()[:4]


def cosigned_message(text, t):
    """SPEC 10.3: what a cosignature/v1 signs; text is the note text, as bytes."""
    return b"cosignature/v1\ntime %d\n" % t + text


def _b64_canonical(s):
    """Standard base64 with padding, exactly as re-encoding writes it; bytes or None."""
    try:
        raw = base64.b64decode(s, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if base64.b64encode(raw).decode("ascii") == s else None


def _valid_key_name(name):
    # ASSUMPTION: "whitespace" is Unicode White_Space (the set of SPEC 6.2), as elsewhere.
    return bool(name) and not any(c in _UNICODE_WS or _is_cc(c) or c == "+" for c in name)


def parse_signature_line(line):
    """One signature line, without its newline: (name, key id, body)."""
    if not line.startswith(EM_DASH):
        raise CheckpointError("does not start with an em dash and a space")
    rest = line[len(EM_DASH):]
    if " " not in rest:
        raise CheckpointError("no space between the key name and the signature")
    name, b64 = rest.split(" ", 1)
    if not _valid_key_name(name):
        raise CheckpointError("key name %r is empty or has a space, a control character "
                              "or '+'" % name)
    raw = _b64_canonical(b64)
    if raw is None:
        raise CheckpointError("signature is not canonical base64")
    if len(raw) < 5:
        raise CheckpointError("signature is shorter than a key id")
    return (name, raw[:4], raw[4:])


def signature_line(name, kid, body):
    return "%s%s %s\n" % (EM_DASH, name, base64.b64encode(kid + body).decode("ascii"))


def parse_note(data):
    """SPEC 10.1. Returns (text as str, [(name, key id, body)])."""
    if len(data) > MAX_NOTE:
        raise CheckpointError("note longer than %d bytes" % MAX_NOTE)
    try:
        s = bytes(data).decode("utf-8")
    except UnicodeDecodeError:
        raise CheckpointError("note is not UTF-8")
    split = s.rfind("\n\n")
    if split < 0:
        raise CheckpointError("no blank line between the text and the signatures")
    text, block = s[:split + 1], s[split + 2:]
    for line in text.split("\n")[:-1]:
        if not line or any(_is_cc(c) for c in line):
            raise CheckpointError("note text has an empty line or a control character")
    if not block or not block.endswith("\n"):
        raise CheckpointError("no signature lines, or the last does not end in a newline")
    lines = block.split("\n")[:-1]
    if len(lines) > MAX_SIGNATURES:
        raise CheckpointError("more than %d signature lines" % MAX_SIGNATURES)
    sigs = []
    for i, line in enumerate(lines, 1):
        try:
            sigs.append(parse_signature_line(line))
        except CheckpointError as ex:
            raise CheckpointError("signature line %d: %s" % (i, ex))
    return text, sigs


_DECIMAL_RE = re.compile(r"(0|[1-9][0-9]*)\Z")


def _canonical_u64(s):
    if not _DECIMAL_RE.match(s):
        return None
    v = int(s)
    return v if v <= U64_MAX else None


class Checkpoint:
    __slots__ = ("origin", "network", "node", "time", "heads")

    def __init__(self, origin, network, node, time, heads):
        self.origin = origin    # str
        self.network = network  # 32 bytes
        self.node = node        # member code, str
        self.time = time        # ms
        self.heads = heads      # [(code, seq, id bytes)], ascending code

    def size(self):
        # SPEC 10.4: the sum of the seqs, in u64 arithmetic that saturates.
        return min(sum(seq for _, seq, _ in self.heads), U64_MAX)

    def root_preimage(self):
        out = bytearray(CHECKPOINT_TAG)
        out.append(CHECKPOINT_VERSION)
        out += self.network
        node = self.node.encode("ascii")
        out.append(len(node))
        out += node
        out += self.time.to_bytes(8, "big")
        out += len(self.heads).to_bytes(4, "big")
        for code, seq, hid in self.heads:
            cb = code.encode("ascii")
            out.append(len(cb))
            out += cb
            out += seq.to_bytes(8, "big")
            out += hid
        return bytes(out)

    def root(self):
        return hashlib.sha256(self.root_preimage()).digest()

    def text(self):
        """SPEC 10.4: the body, exactly as a writer produces it."""
        out = "%s\n%d\n%s\nnetwork %s\nnode %s\ntime %d\n" % (
            self.origin, self.size(), base64.b64encode(self.root()).decode("ascii"),
            self.network.hex(), self.node, self.time)
        for code, seq, hid in self.heads:
            out += "head %s %d %s\n" % (code, seq, hid.hex())
        return out


def parse_checkpoint_text(text):
    """SPEC 10.4: the body must be exactly what Checkpoint.text() writes."""
    if not text.endswith("\n"):
        raise CheckpointError("checkpoint text does not end in a newline")
    lines = text.split("\n")[:-1]
    if len(lines) < 6:
        raise CheckpointError("a checkpoint has at least six lines")

    def field(n, name):
        line = lines[n - 1]
        if not line.startswith(name + " "):
            raise CheckpointError("line %d: expected %r" % (n, name + " ..."))
        return line[len(name) + 1:]

    network = field(4, "network")
    if not _HEX64_RE.match(network):
        raise CheckpointError("line 4: network id is not 64 lowercase hex digits")
    node = field(5, "node")
    if not node.isascii() or not valid_code(node.encode("ascii")):
        raise CheckpointError("line 5: %r is not a member code" % node)
    time = _canonical_u64(field(6, "time"))
    if time is None or time > MAX_TIME:
        raise CheckpointError("line 6: time is not a decimal of milliseconds up to year 9999")
    heads = []
    for n, line in enumerate(lines[6:], 7):
        parts = line.split(" ")
        if len(parts) != 4 or parts[0] != "head":
            raise CheckpointError("line %d: expected \"head <code> <seq> <id>\"" % n)
        _, code, seq, hid = parts
        if not code.isascii() or not valid_code(code.encode("ascii")):
            raise CheckpointError("line %d: %r is not a member code" % (n, code))
        seq = _canonical_u64(seq)
        if seq is None or seq < 1:
            raise CheckpointError("line %d: seq is not a decimal of at least 1" % n)
        if not _HEX64_RE.match(hid):
            raise CheckpointError("line %d: id is not 64 lowercase hex digits" % n)
        if heads and not code.encode() > heads[-1][0].encode():
            raise CheckpointError("line %d: heads out of code order, or repeated" % n)
        heads.append((code, seq, bytes.fromhex(hid)))
    cp = Checkpoint(lines[0], bytes.fromhex(network), node, time, heads)
    canonical = cp.text()
    if canonical != text:
        got = text.split("\n")
        want = canonical.split("\n")
        n = next((i for i, (a, b) in enumerate(zip(want, got), 1) if a != b), 1)
        what = {2: "size is not the sum of the heads (%d)" % cp.size(),
                3: "root is not the hash of this checkpoint"}.get(n, "not in canonical form")
        raise CheckpointError("line %d: %s" % (n, what))
    return cp


class Witnessed:
    __slots__ = ("checkpoint", "text", "signatures", "signers", "ignored", "quorum")

    def has_quorum(self):
        return len(self.signers) >= self.quorum


def key_name(roster, code):
    """SPEC 10.2."""
    return "%s/%s" % (roster.network, code)


def verify_checkpoint(roster, data):
    """SPEC 10.5. Returns a Witnessed, or raises CheckpointError."""
    text, sigs = parse_note(data)
    cp = parse_checkpoint_text(text)
    if cp.network != roster.network_id:
        raise CheckpointError("checkpoint is for network %s" % cp.network.hex())
    if cp.origin != roster.network:
        raise CheckpointError("line 1: origin is not the network name")
    if cp.node not in roster.node_keys:
        raise CheckpointError("signed by node %s, which has no node key in the roster" % cp.node)
    names = {key_name(roster, code): (code, key) for code, key in roster.node_keys.items()}
    text_b = text.encode("utf-8")
    cp_secs = cp.time // 1000
    origin = False
    cosigners = {}
    ignored = 0
    for name, kid, body in sigs:
        if name not in names:
            ignored += 1  # a name the roster does not know: ignored, whatever it holds
            continue
        code, key = names[name]
        if code == cp.node and len(body) == 64:
            if kid != key_id(name, ALG_ED25519, key) or not verify_sig(key, text_b, body):
                raise CheckpointError("the signature line of %s does not verify" % name)
            if origin:
                raise CheckpointError("%s signed it more than once" % code)
            origin = True
            continue
        if code == cp.node:
            raise CheckpointError("%s cosigns its own checkpoint" % code)
        if kid != key_id(name, ALG_COSIGNATURE_V1, key) or len(body) != 72:
            raise CheckpointError("the signature line of %s is not its cosignature" % name)
        t = int.from_bytes(body[:8], "big")
        if t > I64_MAX or not verify_sig(key, cosigned_message(text_b, t), body[8:]):
            raise CheckpointError("the cosignature of %s does not verify" % name)
        if t < cp_secs:
            raise CheckpointError("%s's cosignature is dated %d, before the checkpoint (%d s)"
                                  % (code, t, cp_secs))
        if code in cosigners:
            raise CheckpointError("%s signed it more than once" % code)
        cosigners[code] = t
    if not origin:
        raise CheckpointError("no valid signature by %s's node key" % cp.node)
    w = Witnessed()
    w.checkpoint, w.text, w.signatures = cp, text, sigs
    w.signers = [(cp.node, cp_secs)] + sorted(cosigners.items(), key=lambda c: c[0].encode())
    w.ignored = ignored
    w.quorum = roster.node_quorum
    return w


def _rfc3339(ms):
    d = datetime.datetime(1970, 1, 1) + datetime.timedelta(milliseconds=ms)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms % 1000)


def check_checkpoint(roster, data, verified_ids, whole):
    """SPEC 10.6. verified_ids: member -> ids of the valid prefix of each feed the
    bundle carries (roster members only). Returns (report or None, [failures])."""
    try:
        w = verify_checkpoint(roster, data)
    except CheckpointError as ex:
        return None, [{"place": "checkpoint", "reason": "checkpoint", "message": str(ex)}]
    cp = w.checkpoint
    failures = []
    if not w.has_quorum():
        failures.append({"place": "checkpoint", "reason": "checkpoint-quorum",
                         "message": "signed by %s, %d of %d needed"
                         % (", ".join(c for c, _ in w.signers), len(w.signers), w.quorum)})
    seqs = {code: seq for code, seq, _ in cp.heads}
    beyond = sum(max(0, len(ids) - seqs.get(code, 0)) for code, ids in verified_ids.items())
    for code, seq, hid in cp.heads:
        ids = verified_ids.get(code)
        if ids is None and not whole:
            continue  # a proof's bundle: only the feeds it carries are compared
        ids = ids or []
        place = "%s #%d" % (code, seq)
        if len(ids) < seq:
            failures.append({"place": place, "reason": "truncated", "member": code, "seq": seq,
                             "message": "the ledger holds %s only up to #%d" % (code, len(ids))})
        elif ids[seq - 1] != hid:
            failures.append({"place": place, "reason": "split-view", "member": code, "seq": seq,
                             "message": "the ledger holds %s there, the checkpoint %s"
                             % (ids[seq - 1].hex(), hid.hex())})
    report = {"node": cp.node, "time": _rfc3339(cp.time),
              "signers": [c for c, _ in w.signers], "quorum": w.quorum,
              "entries": cp.size(), "beyond": beyond}
    return report, failures


# ---------------------------------------------------------------------------
# vectors command
# ---------------------------------------------------------------------------


def frame_single_feed(network_id, code, entry):
    """SPEC 12: the vector roster's network id, one feed, no forks, no checkpoint."""
    out = bytearray(BUNDLE_MAGIC)
    out.append(BUNDLE_VERSION)
    out += network_id
    out += (1).to_bytes(4, "big")
    cb = code.encode("ascii")
    out.append(len(cb))
    out += cb
    out += (1).to_bytes(4, "big")
    out += len(entry).to_bytes(4, "big")
    out += entry
    out += (0).to_bytes(4, "big")  # fork count
    out += (0).to_bytes(4, "big")  # checkpoint length
    return bytes(out)


def run_vectors(path):
    with open(path, "rb") as f:
        vec = json.load(f)
    results = []

    def group(name, problems):
        ok = not problems
        results.append(ok)
        print("%s %s" % ("PASS" if ok else "FAIL", name))
        for p in problems:
            print("     - %s" % p)

    group("ed25519 RFC 8032 7.1 TEST 1, TEST 2 and strictness self-test", ed25519_selftest())

    # tag
    probs = []
    if vec.get("entry_tag_hex") != ENTRY_TAG.hex():
        probs.append("entry_tag_hex %s" % vec.get("entry_tag_hex"))
    group("entry tag", probs)

    # keys
    probs = []
    seeds = {}
    for k in vec["keys"]:
        seed = bytes.fromhex(k["seed_hex"])
        seeds[k["member"]] = seed
        if public_from_seed(seed).hex() != k["public_hex"]:
            probs.append("%s: public key from seed differs" % k["member"])
        if decode_public_key(bytes.fromhex(k["public_hex"])) is None:
            probs.append("%s: public key invalid per 3.3" % k["member"])
    group("keys (%d): seed -> public key" % len(vec["keys"]), probs)

    # roster
    probs = []
    roster = None
    try:
        roster = parse_roster(vec["roster"]["toml"])
    except RosterError as ex:
        probs.append("roster rejected: %s" % ex)
    if roster:
        if roster.preimage.hex() != vec["roster"]["network_preimage_hex"]:
            probs.append("network preimage differs: %s" % roster.preimage.hex())
        if roster.network_id.hex() != vec["roster"]["network_id"]:
            probs.append("network id differs: %s" % roster.network_id.hex())
        for k in vec["keys"]:
            m = roster.by_code.get(k["member"])
            if m is None or m["key"] != k["public_hex"]:
                probs.append("%s: roster key differs from keys[]" % k["member"])
    group("roster: network preimage and id", probs)
    if roster is None:
        print("FAIL (cannot continue without the roster)")
        return 1

    # entries
    probs = []
    for v in vec["entries"]:
        n = v["name"]
        raw = bytes.fromhex(v["entry_hex"])
        try:
            e = decode_entry(raw)
        except DecodeError as ex:
            probs.append("%s: does not decode: %s" % (n, ex))
            continue
        exp_prev = bytes.fromhex(v["prev"]) if v["prev"] is not None else None
        fields = [("author", e.author, v["author"]), ("seq", e.seq, v["seq"]),
                  ("prev", e.prev, exp_prev), ("time_ms", e.time, v["time_ms"]),
                  ("kind", e.kind, v["kind"]),
                  ("network", e.network, roster.network_id),
                  ("payload", e.payload.hex(), v["payload_hex"]),
                  ("payload_utf8", e.payload.decode("utf-8"), v["payload_utf8"]),
                  ("payload_sha256", hashlib.sha256(e.payload).hexdigest(), v["payload_sha256"]),
                  ("payload hash field", e.payload_hash.hex(), v["payload_sha256"]),
                  ("payload length", e.payload_len, len(e.payload)),
                  ("signed", e.signed.hex(), v["signed_hex"]),
                  ("signature", e.signature.hex(), v["signature_hex"]),
                  ("entry = signed||sig||payload",
                   (e.signed + e.signature + e.payload).hex(), v["entry_hex"]),
                  ("id", e.id.hex(), v["id"]),
                  ("id = sha256(signed||sig)",
                   hashlib.sha256(bytes.fromhex(v["signed_hex"])
                                  + bytes.fromhex(v["signature_hex"])).hexdigest(), v["id"])]
        for fname, got, want in fields:
            if got != want:
                probs.append("%s: %s is %r, expected %r" % (n, fname, got, want))
        key = roster.by_code[e.author]["key_bytes"]
        if not verify_sig(key, e.signed, e.signature):
            probs.append("%s: signature does not verify" % n)
        if e.author in seeds and sign(seeds[e.author], e.signed) != e.signature:
            probs.append("%s: re-signing with the seed gives another signature" % n)
        pp = payload_problem(e.kind, e.payload)
        if pp:
            probs.append("%s: payload: %s" % (n, pp))
    group("entries (%d): decode, fields, payload hash, signed bytes, signature, id"
          % len(vec["entries"]), probs)

    # bundles
    probs = []
    for b in vec["bundles"]:
        n = b["name"]
        rep = verify_ledger(roster, bytes.fromhex(b["bundle_hex"]))
        if rep["valid"] != b["valid"]:
            probs.append("%s: valid=%s, expected %s" % (n, rep["valid"], b["valid"]))
        ff = b["first_failure"]
        got_ff = ({"place": rep["errors"][0]["place"], "reason": rep["errors"][0]["reason"]}
                  if rep["errors"] else None)
        if got_ff != ff:
            probs.append("%s: first failure %r, expected %r" % (n, got_ff, ff))
        if ff is not None and len(rep["errors"]) != 1:
            probs.append("%s: %d errors, expected 1" % (n, len(rep["errors"])))
        if rep["disputed"] != b["disputed"]:
            probs.append("%s: disputed %r, expected %r" % (n, rep["disputed"], b["disputed"]))
        got_heads = [{"member": m, "seq": h["seq"], "id": h["id"]}
                     for m, h in sorted(rep["heads"].items())]
        want_heads = sorted(b["heads"], key=lambda h: h["member"])
        if got_heads != want_heads:
            probs.append("%s: heads %r, expected %r" % (n, got_heads, want_heads))
    group("bundles (%d): verdict, first failure, disputed, heads" % len(vec["bundles"]), probs)

    # the feed limit (SPEC 3.1 [limits], 5 rule 9), under its own roster
    probs = []
    limited = parse_roster(vec["limited_roster"]["toml"])
    for b in vec["limited_bundles"]:
        n = b["name"]
        rep = verify_ledger(limited, bytes.fromhex(b["bundle_hex"]))
        got_ff = ({"place": rep["errors"][0]["place"], "reason": rep["errors"][0]["reason"]}
                  if rep["errors"] else None)
        if rep["valid"] != b["valid"] or got_ff != b["first_failure"]:
            probs.append("%s: valid=%s, first failure %r; expected %s, %r"
                         % (n, rep["valid"], got_ff, b["valid"], b["first_failure"]))
        # Without the limit the same ledger is valid.
        if not verify_ledger(roster, bytes.fromhex(b["bundle_hex"]))["valid"]:
            probs.append("%s: invalid even without the limit" % n)
    group("feed limit (%d): verdict and first failure under [limits]"
          % len(vec["limited_bundles"]), probs)

    # invalid entries
    probs = []
    for v in vec["invalid_entries"]:
        n = v["name"]
        data = frame_single_feed(roster.network_id, "FR", bytes.fromhex(v["entry_hex"]))
        rep = verify_ledger(roster, data)
        got = [(x["place"], x["reason"]) for x in rep["errors"]]
        if rep["valid"] or got != [(v["place"], v["reason"])]:
            probs.append("%s: got %r, expected %r" % (n, got, [(v["place"], v["reason"])]))
    group("invalid entries (%d): framed alone as FR's feed, place and reason"
          % len(vec["invalid_entries"]), probs)

    ok = all(results)
    print("ALL PASS" if ok else "SOME CHECKS FAILED")
    return 0 if ok else 1


# ---------------------------------------------------------------------------
# payloads command: a self-test of the payload checker (SPEC 6)
# ---------------------------------------------------------------------------

_ID = "304ef2b0c17ada63b178e73b1087c79c106db005144159e486753438afe56565"
_IA = "7ac23bcf86abc468621088a259a303935d2a6c1dc6729df093a953c04d421370"

# The examples of SPEC.md 6.3 to 6.16, copied so that this mode also runs without
# SPEC.md (when SPEC.md is found, its examples are read from it as well).
SPEC_EXAMPLES = [
    ("note", '{"text":"The coordination cell in Paris met today.\\nMinutes follow."}'),
    ("instrument", '{"short":"paris-declaration","title":"Paris Declaration of 6 January 2026","nature":"political","adopted":"2026-01-06","parties":["DE","FR","GB","UA","US"],"entry_into_force":{"rule":"none"},"withdrawal":{"rule":"not-provided"}}'),
    ("instrument", '{"short":"guarantees","title":"Treaty on security guarantees for Ukraine","nature":"legal","adopted":"2026-03-02","text_sha256":"b8a65f92428ba09237ce7f4f38953fa344a982a45d86a73e295358bc0d3d7f7e","parties":["DE","FR","GB","NL","UA","US"],"depositary":"FR","consent_means":["signature","ratification","acceptance","approval","accession"],"entry_into_force":{"rule":"after-deposits","deposits":3,"days":30},"withdrawal":{"rule":"after-notice","months":12},"illustrative":true}'),
    ("commitment", '{"instrument":"3b9e9cc0497db754d0ddcec4afa723bddbc5aa7f50f068b0299960afcc6cf60a","pillar":"multinational-force","description":"Contributes to the multinational force for Ukraine.","quantity":{"amount":"up to 2,000","unit":"personnel"},"conditions":["after a credible ceasefire"],"date":"2026-01-06","illustrative":true}'),
    ("signature", '{"instrument":"%s","type":"subject-to-ratification","date":"2026-03-02","signatory":"Minister for Foreign Affairs","illustrative":true}' % _IA),
    ("procedure-step", '{"instrument":"%s","step":"rada-vote","body":"Verkhovna Rada","action":"adopts the law on ratification","date":"2026-03-19","votes":{"for":305,"against":12,"abstaining":9},"threshold":"226 of 450","result":"passed","reference":"draft law 0000","illustrative":true}' % _IA),
    ("consent", '{"instrument":"%s","means":"ratification","date":"2026-03-26","declarations":["Ukraine declares that it applies the Treaty to its whole territory."],"procedure":"ua-rada-law","illustrative":true}' % _IA),
    ("deposit-receipt", '{"instrument":"%s","member":"UA","consent":"c41d6dd15c8af8b7389601e15cc69a7749a450201d44a0b1e08411b13f3ebd7f","date":"2026-04-02","illustrative":true}' % _IA),
    ("provisional-application", '{"instrument":"%s","date":"2026-03-05","scope":"Articles 3 to 5","illustrative":true}' % _IA),
    ("withdrawal", '{"instrument":"%s","notified":"2026-10-01","effective":"2027-10-01","illustrative":true}' % _IA),
    ("correction", '{"entry":"9f07645b98184d6a6f003e379e6512339a4cd243859fc862abca24afa204520a","reason":"roll call transcribed wrongly","kind":"procedure-step","payload":{"instrument":"%s","step":"rada-vote","body":"Verkhovna Rada","action":"adopts the law on ratification","date":"2026-03-19","votes":{"for":305,"against":21,"abstaining":9},"result":"passed","illustrative":true},"illustrative":true}' % _IA),
    ("correction", '{"entry":"52aa8f8493b449af0a30c523c1cad6f923e49a8c2dd07744c8075b11ce425fbd","reason":"entered in error"}'),
    ("key-rotation", '{"new_key":"adc14011f82d1c56d956aa4f9d73d8858361a606048525e0d08c638dc75dd8c7","proof":"%s"}' % ("e3" * 64)),
    ("signature-confirmation", '{"instrument":"%s","signature":"c41d6dd15c8af8b7389601e15cc69a7749a450201d44a0b1e08411b13f3ebd7f","date":"2026-04-15","illustrative":true}' % _IA),
    ("deposit-return", '{"instrument":"%s","member":"UA","consent":"c41d6dd15c8af8b7389601e15cc69a7749a450201d44a0b1e08411b13f3ebd7f","date":"2026-04-02","reason":"The instrument is not signed by the Head of State.","illustrative":true}' % _IA),
    ("intention-not-to-be-party", '{"instrument":"%s","date":"2026-05-01","illustrative":true}' % _IA),
]

_BY_KIND = {}
for _k, _p in SPEC_EXAMPLES:
    _BY_KIND.setdefault(_k, _p)
_POLITICAL = SPEC_EXAMPLES[1][1]
_LEGAL = SPEC_EXAMPLES[2][1]
_CORR = SPEC_EXAMPLES[10][1]
_KEY_ROT = SPEC_EXAMPLES[12][1]
_WDR = '{"instrument":"%s","notified":"2026-10-01","effective":"2027-10-01"}' % _ID


def _sub(base, old, new):
    """base with old replaced by new, exactly once (so each case is one change away
    from a valid payload)."""
    if base.count(old) != 1:
        raise AssertionError("self-test case: %r occurs %d times" % (old, base.count(old)))
    return base.replace(old, new)


def _codes(n):
    """The first n two- and three-letter member codes, ascending."""
    az = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = [a + b for a in az for b in az] + [a + b + c for a in az for b in az for c in az]
    return sorted(out)[:n]


def _parties(codes):
    return '"parties":[%s]' % ",".join('"%s"' % c for c in codes)


# Valid payloads beyond the SPEC examples: core/tests/payloads.rs's examples (test
# data) and edge cases of the rules.
EXTRA_VALID = [
    ("note", '{"text":"Déclaration de Paris","illustrative":true}'),
    ("instrument", '{"short":"paris-declaration","title":"Paris Declaration","nature":"political","adopted":"2026-01-06","text_sha256":"%s","parties":["DE","FR","GB","UA"],"entry_into_force":{"rule":"none"},"withdrawal":{"rule":"not-provided"}}' % _ID),
    ("instrument", '{"short":"guarantees","title":"Binding commitments","nature":"legal","adopted":"2026-03-02","parties":["FR","UA"],"depositary":"FR","consent_means":["ratification","acceptance"],"entry_into_force":{"rule":"after-deposits","deposits":3,"days":30},"withdrawal":{"rule":"after-notice","months":12},"illustrative":true}'),
    ("commitment", '{"instrument":"%s","pillar":"multinational-force","description":"Troops to secure the border","quantity":{"amount":"several thousand","unit":"troops"},"conditions":["once peace returns"],"date":"2026-01-06"}' % _ID),
    ("signature", '{"instrument":"%s","type":"subject-to-ratification","date":"2026-03-02","signatory":"A minister"}' % _ID),
    ("procedure-step", '{"instrument":"%s","step":"senate-vote","body":"Senate","action":"advice and consent","date":"2026-11-10","votes":{"for":71,"against":27,"abstaining":0},"threshold":"two thirds","result":"passed","reference":"Treaty Doc. 119-1","illustrative":true}' % _ID),
    ("consent", '{"instrument":"%s","means":"acceptance","date":"2026-06-05","declarations":["A declaration"],"procedure":"us-congressional-executive"}' % _ID),
    ("deposit-receipt", '{"instrument":"%s","member":"UA","consent":"%s","date":"2026-04-02"}' % (_ID, _ID)),
    ("provisional-application", '{"instrument":"%s","date":"2026-03-05","scope":"Articles 1 to 4"}' % _ID),
    ("withdrawal", _WDR),
    ("correction", '{"entry":"%s","reason":"typo","kind":"withdrawal","payload":{"instrument":"%s","notified":"2026-10-01","effective":"2027-10-02"}}' % (_ID, _ID)),
    ("correction", '{"entry":"%s","reason":"entered in error"}' % _ID),
    # edge cases
    ("note", '{"text":"q\\"b\\\\s\\nn\\tt/ \u00e9\u2028\U0001f600"}'),
    ("note", '{"text":"%s"}' % ("a" * 16384)),
    ("note", '{"text":"%s"}' % ("\u00e9" * 8192)),
    ("note", '{"text":" a "}'),
    ("instrument", _sub(_POLITICAL, '"adopted":"2026-01-06"', '"adopted":"1900-01-01"')),
    ("instrument", _sub(_POLITICAL, '"adopted":"2026-01-06"', '"adopted":"9999-12-31"')),
    ("instrument", _sub(_POLITICAL, '"adopted":"2026-01-06"', '"adopted":"2024-02-29"')),
    ("instrument", _sub(_POLITICAL, '"adopted":"2026-01-06"', '"adopted":"2000-02-29"')),
    ("instrument", _sub(_POLITICAL, '"short":"paris-declaration"', '"short":"%s"' % ("a" * 40))),
    ("instrument", _sub(_POLITICAL, '"short":"paris-declaration"', '"short":"a--9"')),
    ("instrument", _sub(_POLITICAL, '"parties":["DE","FR","GB","UA","US"]', _parties(_codes(500)))),
    ("instrument", _sub(_POLITICAL, '"parties":["DE","FR","GB","UA","US"]', '"parties":["AB","ABCDEFGH","BB"]')),
    ("instrument", _sub(_POLITICAL, '{"rule":"not-provided"}', '{"rule":"after-notice","months":120}')),
    ("instrument", _sub(_LEGAL, '"months":12', '"months":0')),
    ("instrument", _sub(_LEGAL, '"deposits":3,"days":30', '"deposits":500,"days":3650')),
    ("instrument", _sub(_LEGAL, '"deposits":3,"days":30', '"deposits":1,"days":0')),
    ("instrument", _sub(_LEGAL, '{"rule":"after-deposits","deposits":3,"days":30}', '{"rule":"on-consent"}')),
    ("instrument", _sub(_LEGAL, '{"rule":"after-deposits","deposits":3,"days":30}', '{"rule":"on-date","date":"1950-06-30"}')),
    ("instrument", _sub(_LEGAL, '"depositary":"FR"', '"depositary":"UNSG"')),
    ("instrument", _sub(_LEGAL, '["signature","ratification","acceptance","approval","accession"]', '["accession"]')),
    ("commitment", '{"instrument":"%s","pillar":"other","description":"line one\\n\\tline two","date":"2026-01-06"}' % _ID),
    ("commitment", '{"instrument":"%s","pillar":"coordination-cell","description":"d","conditions":[%s],"date":"2026-01-06"}' % (_ID, ",".join(['"c"'] * 20))),
    ("procedure-step", '{"instrument":"%s","step":"s","body":"b","action":"a","date":"2026-03-02","votes":{"for":4294967295,"against":0,"abstaining":4294967295},"result":"failed"}' % _ID),
    ("procedure-step", '{"instrument":"%s","step":"laid","body":"Parliament","action":"laid","date":"2026-03-02","result":"completed"}' % _ID),
    ("withdrawal", _sub(_WDR, '"effective":"2027-10-01"', '"effective":"2026-10-01"')),
    ("correction", '{"entry":"%s","reason":"r","kind":"note","payload":{"text":"a","illustrative":true}}' % _ID),
    ("correction", '{"entry":"%s","reason":"r","kind":"instrument","payload":%s}' % (_ID, _LEGAL)),
    ("correction", '{"entry":"%s","reason":"r","illustrative":true}' % _ID),
    # SPEC 6.4 #11, 6.14 to 6.16
    ("instrument", _sub(_LEGAL, '"months":12}', '"months":12},"ratification_without_signature":true')),
    ("instrument", _sub(_LEGAL, '"months":12},"illustrative":true', '"months":12},"ratification_without_signature":true')),
    ("signature-confirmation", '{"instrument":"%s","signature":"%s","date":"2026-04-15"}' % (_ID, _IA)),
    ("deposit-return", '{"instrument":"%s","member":"NATO","consent":"%s","date":"2026-04-02","reason":"line one\\n\\tline two"}' % (_ID, _IA)),
    ("deposit-return", '{"instrument":"%s","member":"UA","consent":"%s","date":"2026-04-02","reason":"%s"}' % (_ID, _IA, "r" * 2000)),
    ("intention-not-to-be-party", '{"instrument":"%s","date":"2026-05-01"}' % _ID),
    ("correction", '{"entry":"%s","reason":"r","kind":"intention-not-to-be-party","payload":{"instrument":"%s","date":"2026-05-02"}}' % (_ID, _ID)),
    ("correction", '{"entry":"%s","reason":"r","kind":"signature-confirmation","payload":{"instrument":"%s","signature":"%s","date":"2026-04-15","illustrative":true}}' % (_ID, _ID, _IA)),
] + [("consent", '{"instrument":"%s","means":"approval","date":"2026-06-05","procedure":"%s"}' % (_ID, p))
     for p in PROFILE_IDS]


def _garbage():
    """(kind, payload str or bytes, words the refusal must contain)."""
    i = _ID
    pol, leg = _POLITICAL, _LEGAL
    sig = '{"instrument":"%s","type":"definitive","date":"2026-03-02"}' % i
    step = ('{"instrument":"%s","step":"s","body":"b","action":"a","date":"2026-03-02",'
            '"votes":{"for":1,"against":0,"abstaining":0},"result":"passed"}' % i)
    com = ('{"instrument":"%s","pillar":"other","description":"d","quantity":{"amount":"1",'
           '"unit":"u"},"conditions":["c"],"date":"2026-01-06"}' % i)
    con = ('{"instrument":"%s","means":"ratification","date":"2026-03-02",'
           '"declarations":["d"],"procedure":"generic"}' % i)
    rec = '{"instrument":"%s","member":"UA","consent":"%s","date":"2026-04-02"}' % (i, i)
    prov = '{"instrument":"%s","date":"2026-03-05","scope":"s"}' % i
    corr = '{"entry":"%s","reason":"r","kind":"withdrawal","payload":%s}' % (i, _WDR)
    conf = '{"instrument":"%s","signature":"%s","date":"2026-04-15"}' % (i, _IA)
    ret = ('{"instrument":"%s","member":"UA","consent":"%s","date":"2026-04-02",'
           '"reason":"defective"}' % (i, _IA))
    intent = '{"instrument":"%s","date":"2026-05-01"}' % i
    ident = "01" + "00" * 31  # the identity point: small order
    good_key = "a2233eb428171f6d1db2b3ab5459e75e159396b185d2217f1c5478eaf52de6fd"
    return [
        # -- parsing and canonical form (SPEC 6.1), on note
        ("note", "", "not JSON"),
        ("note", "null", "invalid type: null"),
        ("note", '["text"]', "invalid type: array"),
        ("note", '"text"', "invalid type: string"),
        ("note", '{"text":1}', "`text`: invalid type: number"),
        ("note", '{"text":"a"}{}', "not JSON"),
        ("note", '{"text":"a"} ', "canonical"),
        ("note", ' {"text":"a"}', "canonical"),
        ("note", '{"text": "a"}', "canonical"),
        ("note", '{ "text":"a"}', "canonical"),
        ("note", '{"text":"\\u0041"}', "canonical"),
        ("note", '{"te\\u0078t":"a"}', "canonical"),
        ("note", '{"text":"a\\/b"}', "canonical"),
        ("note", '{"text":"\\u00e9"}', "canonical"),
        ("note", '{"text":"\\ud83d\\ude00"}', "canonical"),
        ("note", '{"text":"a","illustrative":false}', "canonical"),
        ("note", '{"text":"a","illustrative":null}', "canonical"),
        ("note", '{"illustrative":true,"text":"a"}', "canonical"),
        ("note", '{"text":"a","text":"a"}', "`text`: duplicate field"),
        ("note", '{"text":"a","text":"b"}', "`text`: duplicate field"),
        ("note", '{"text":"a","illustrative":true,"illustrative":true}', "duplicate field"),
        ("note", '{"text":"a","extra":1}', "unknown field 'extra'"),
        ("note", '{"text":"a","illustrative":1}', "`illustrative`: invalid type"),
        ("note", '{"text":"a","illustrative":"true"}', "`illustrative`: invalid type"),
        ("note", '{}', "missing field `text`"),
        ("note", '{"text":null}', "`text`: invalid type: null"),
        ("note", '{"text":NaN}', "not JSON"),
        ("note", '\ufeff{"text":"a"}', "not JSON"),
        ("note", b'{"text":"\xff"}', "not JSON"),
        ("note", b'{"text":"\xed\xa0\x80"}', "not JSON"),  # an encoded surrogate
        ("note", b'{"text":"\xc0\xaf"}', "not JSON"),  # overlong
        ("note", b'{"text":"\xe2\x82"}', "not JSON"),  # truncated sequence
        ("note", '{"text":"\\ud800"}', "lone surrogate"),
        ("note", '{"text":"a\\udc00b"}', "lone surrogate"),
        ("note", "[" * 10000 + "]" * 10000, "not JSON"),
        ("note", '{"text":"a\x07"}', "control character"),  # raw: not even JSON
        # -- text rules (SPEC 6.2)
        ("note", '{"text":""}', "`text`: is empty"),
        ("note", '{"text":" "}', "`text`: is empty"),
        ("note", '{"text":"\\n\\t"}', "`text`: is empty"),
        ("note", '{"text":"\u00a0\u3000\u2029"}', "`text`: is empty"),
        ("note", '{"text":"a\\u0007"}', "control character U+0007"),
        ("note", '{"text":"a\\r\\n"}', "control character U+000D"),
        ("note", '{"text":"a\\u0000"}', "control character U+0000"),
        ("note", '{"text":"a\x7f"}', "control character U+007F"),
        ("note", '{"text":"a\\u007f"}', "control character U+007F"),
        ("note", '{"text":"a\u0085"}', "control character U+0085"),
        ("note", '{"text":"a\u009f"}', "control character U+009F"),
        ("note", '{"text":"%s"}' % ("a" * 16385), "longer than 16384"),
        ("note", '{"text":"%s"}' % ("\u00e9" * 8192 + "a"), "longer than 16384"),
        # -- instrument (SPEC 6.4), the refusals listed there first
        ("instrument", _sub(pol, '"DE","FR","GB","UA","US"', '"FR","DE"'), "`parties[1]`"),
        ("instrument", _sub(pol, '"DE","FR","GB","UA","US"', '"FR","FR"'), "`parties[1]`"),
        ("instrument", _sub(leg, '"signature","ratification","acceptance","approval","accession"',
                            '"ratification","signature"'), "`consent_means[1]`"),
        ("instrument", _sub(pol, '"parties":["DE","FR","GB","UA","US"]',
                            '"parties":["DE","FR","GB","UA","US"],"depositary":"FR"'),
         "`depositary`: a political instrument"),
        ("instrument", _sub(leg, '{"rule":"after-deposits","deposits":3,"days":30}',
                            '{"rule":"none"}'), "`entry_into_force`"),
        ("instrument", _sub(leg, '"deposits":3', '"deposits":0'), "`entry_into_force.deposits`"),
        ("instrument", _sub(leg, '"months":12', '"months":121'), "`withdrawal.months`"),
        ("instrument", _sub(pol, '{"rule":"not-provided"}', '{"rule":"after-notice","months":121}'),
         "`withdrawal.months`"),
        ("instrument", _sub(leg, '{"rule":"after-deposits","deposits":3,"days":30}',
                            '{"days":30,"rule":"after-deposits","deposits":3}'), "canonical"),
        ("instrument", _sub(leg, '{"rule":"after-deposits","deposits":3,"days":30}',
                            '{"rule":"after-deposits","days":30,"deposits":3}'), "canonical"),
        # core/tests/payloads.rs's garbage
        ("instrument", '{"short":"x"}', "missing field `title`"),
        ("instrument", _sub(pol, '"short":"paris-declaration"', '"short":"Paris"'), "`short`"),
        ("instrument", _sub(pol, '"nature":"political"', '"nature":"friendly"'), "`nature`"),
        ("instrument", _sub(pol, '"adopted":"2026-01-06"', '"adopted":"2026-02-30"'), "`adopted`"),
        ("instrument", _sub(leg, '"text_sha256":"b8a', '"text_sha256":"'), "`text_sha256`"),
        ("instrument", _sub(pol, '"DE","FR","GB","UA","US"', '"GB","FR"'), "`parties[1]`"),
        ("instrument", _sub(pol, '"DE","FR","GB","UA","US"', '"fr"'), "`parties[0]`"),
        ("instrument", _sub(pol, '["DE","FR","GB","UA","US"]', '[]'), "`parties`"),
        ("instrument", _sub(leg, '"depositary":"FR",', ''), "`depositary`: a legal instrument"),
        ("instrument", _sub(leg, '"deposits":3', '"deposits":99999999999'),
         "`entry_into_force.deposits`"),
        ("instrument", _sub(leg, '{"rule":"after-deposits","deposits":3,"days":30}',
                            '{"rule":"soon"}'), "`entry_into_force.rule`: unknown variant"),
        ("instrument", _sub(leg, '"signature","ratification","acceptance"', '"acceptance","ratification"'),
         "`consent_means[1]`"),
        # and more
        ("instrument", _sub(pol, '"short":"paris-declaration"', '"short":"1paris"'), "`short`"),
        ("instrument", _sub(pol, '"short":"paris-declaration"', '"short":"-paris"'), "`short`"),
        ("instrument", _sub(pol, '"short":"paris-declaration"', '"short":""'), "`short`"),
        ("instrument", _sub(pol, '"short":"paris-declaration"', '"short":"%s"' % ("a" * 41)), "`short`"),
        ("instrument", _sub(pol, '"short":"paris-declaration"', '"short":"paris_declaration"'), "`short`"),
        ("instrument", _sub(pol, '"short":"paris-declaration"', '"short":"par\u00efs"'), "`short`"),
        ("instrument", _sub(pol, '"title":"Paris', '"title":"\\nParis'), "`title`: contains the control"),
        ("instrument", _sub(pol, '"title":"Paris', '"title":"\\tParis'), "`title`: contains the control"),
        ("instrument", _sub(pol, '"title":"Paris Declaration of 6 January 2026"',
                            '"title":"%s"' % ("t" * 501)), "`title`: is 501 bytes"),
        ("instrument", _sub(pol, '"title":"Paris Declaration of 6 January 2026"', '"title":"  "'),
         "`title`: is empty"),
        ("instrument", _sub(pol, '"nature":"political"', '"nature":"Political"'), "`nature`"),
        ("instrument", _sub(pol, '"adopted":"2026-01-06"', '"adopted":"2026-02-29"'), "`adopted`"),
        ("instrument", _sub(pol, '"adopted":"2026-01-06"', '"adopted":"1900-02-29"'), "`adopted`"),
        ("instrument", _sub(pol, '"adopted":"2026-01-06"', '"adopted":"2026-13-01"'), "`adopted`"),
        ("instrument", _sub(pol, '"adopted":"2026-01-06"', '"adopted":"2026-00-10"'), "`adopted`"),
        ("instrument", _sub(pol, '"adopted":"2026-01-06"', '"adopted":"2026-01-00"'), "`adopted`"),
        ("instrument", _sub(pol, '"adopted":"2026-01-06"', '"adopted":"2026-04-31"'), "`adopted`"),
        ("instrument", _sub(pol, '"adopted":"2026-01-06"', '"adopted":"1899-12-31"'), "`adopted`"),
        ("instrument", _sub(pol, '"adopted":"2026-01-06"', '"adopted":"0000-01-01"'), "`adopted`"),
        ("instrument", _sub(pol, '"adopted":"2026-01-06"', '"adopted":"10000-01-01"'), "`adopted`"),
        ("instrument", _sub(pol, '"adopted":"2026-01-06"', '"adopted":"2026-1-06"'), "`adopted`"),
        ("instrument", _sub(pol, '"adopted":"2026-01-06"', '"adopted":"2026/01/06"'), "`adopted`"),
        ("instrument", _sub(pol, '"adopted":"2026-01-06"', '"adopted":"2026-01-06T00:00Z"'), "`adopted`"),
        ("instrument", _sub(pol, '"adopted":"2026-01-06"', '"adopted":" 2026-01-06"'), "`adopted`"),
        ("instrument", _sub(pol, '"adopted":"2026-01-06"', '"adopted":"\uff12026-01-06"'), "`adopted`"),
        ("instrument", _sub(pol, '"adopted":"2026-01-06"', '"adopted":"\u0662026-01-06"'), "`adopted`"),
        ("instrument", _sub(pol, '"adopted":"2026-01-06"', '"adopted":20260106'), "`adopted`"),
        ("instrument", _sub(pol, '"adopted":"2026-01-06",', ''), "missing field `adopted`"),
        ("instrument", _sub(leg, '"text_sha256":"b8a65f', '"text_sha256":"B8A65F'), "`text_sha256`"),
        ("instrument", _sub(leg, '"text_sha256":"b8', '"text_sha256":"b8b8'), "`text_sha256`"),
        ("instrument", _sub(leg, '"text_sha256":"b8', '"text_sha256":"g8'), "`text_sha256`"),
        ("instrument", _sub(pol, '"adopted":"2026-01-06"', '"adopted":"2026-01-06","text_sha256":null'),
         "canonical"),
        ("instrument", _sub(pol, '"parties":["DE","FR","GB","UA","US"],', ''), "missing field `parties`"),
        ("instrument", _sub(pol, '"DE","FR","GB","UA","US"', '"F"'), "`parties[0]`"),
        ("instrument", _sub(pol, '"DE","FR","GB","UA","US"', '"ABCDEFGHI"'), "`parties[0]`"),
        ("instrument", _sub(pol, '"DE","FR","GB","UA","US"', '"F1"'), "`parties[0]`"),
        ("instrument", _sub(pol, '"DE","FR","GB","UA","US"', '"FR",null'), "`parties[1]`"),
        ("instrument", _sub(pol, '"DE","FR","GB","UA","US"', '"FR","FRA","F"'), "`parties[2]`"),
        ("instrument", _sub(pol, '["DE","FR","GB","UA","US"]', '"FR"'), "`parties`: invalid type"),
        ("instrument", _sub(pol, '"parties":["DE","FR","GB","UA","US"]', _parties(_codes(501))),
         "`parties`: has 501 items"),
        ("instrument", _sub(leg, '"depositary":"FR"', '"depositary":"fr"'), "`depositary`"),
        ("instrument", _sub(leg, '"depositary":"FR"', '"depositary":null'), "`depositary`"),
        ("instrument", _sub(leg, '"signature","ratification","acceptance","approval","accession"',
                            '"signature","signature"'), "`consent_means[1]`"),
        ("instrument", _sub(leg, '"signature","ratification","acceptance","approval","accession"',
                            '"ratification","banana"'), "`consent_means[1]`: unknown variant"),
        ("instrument", _sub(leg, '["signature","ratification","acceptance","approval","accession"]',
                            '[]'), "consent_means"),
        ("instrument", _sub(leg, '"consent_means":["signature","ratification","acceptance","approval","accession"],', ''),
         "`consent_means`: a legal instrument"),
        ("instrument", _sub(pol, '"parties":["DE","FR","GB","UA","US"]',
                            '"parties":["DE","FR","GB","UA","US"],"consent_means":["signature"]'),
         "`consent_means`: a political instrument"),
        ("instrument", _sub(pol, '{"rule":"none"}', '{"rule":"on-consent"}'),
         "`entry_into_force`: a political instrument"),
        ("instrument", _sub(pol, '{"rule":"none"}', '{"rule":"after-deposits","deposits":1,"days":0}'),
         "`entry_into_force`: a political instrument"),
        ("instrument", _sub(leg, '"deposits":3', '"deposits":501'), "`entry_into_force.deposits`"),
        ("instrument", _sub(leg, '"days":30', '"days":3651'), "`entry_into_force.days`"),
        ("instrument", _sub(leg, '"days":30', '"days":4294967296'), "`entry_into_force.days`"),
        ("instrument", _sub(leg, '"deposits":3', '"deposits":-1'), "`entry_into_force.deposits`"),
        ("instrument", _sub(leg, '"deposits":3', '"deposits":3.0'), "`entry_into_force.deposits`: '3.0' is not an integer"),
        ("instrument", _sub(leg, '"deposits":3', '"deposits":3e0'), "`entry_into_force.deposits`"),
        ("instrument", _sub(leg, '"deposits":3', '"deposits":"3"'), "`entry_into_force.deposits`: invalid type"),
        ("instrument", _sub(leg, '"deposits":3', '"deposits":true'), "`entry_into_force.deposits`: invalid type"),
        ("instrument", _sub(leg, '"deposits":3', '"deposits":03'), "not JSON"),
        ("instrument", _sub(leg, '"deposits":3', '"deposits":-0'), "`entry_into_force.deposits`"),
        ("instrument", _sub(leg, ',"days":30', ''), "missing field `days`"),
        ("instrument", _sub(leg, '"days":30', '"days":30,"date":"2026-01-01"'),
         "`entry_into_force`: unknown field 'date'"),
        ("instrument", _sub(leg, '"days":30', '"days":30,"days":30'), "`entry_into_force.days`: duplicate"),
        ("instrument", _sub(leg, '"rule":"after-deposits"', '"rule":"after-deposits","rule":"after-deposits"'),
         "`entry_into_force.rule`: duplicate"),
        ("instrument", _sub(leg, '{"rule":"after-deposits","deposits":3,"days":30}',
                            '{"rule":"on-consent","days":30}'), "unknown field 'days'"),
        ("instrument", _sub(leg, '{"rule":"after-deposits","deposits":3,"days":30}',
                            '{"rule":"on-date","date":"2026-02-29"}'), "`entry_into_force.date`"),
        ("instrument", _sub(leg, '{"rule":"after-deposits","deposits":3,"days":30}',
                            '{"rule":"on-date"}'), "missing field `date`"),
        ("instrument", _sub(leg, '{"rule":"after-deposits","deposits":3,"days":30}',
                            '{"deposits":3,"days":30}'), "missing field `rule`"),
        ("instrument", _sub(leg, '{"rule":"after-deposits","deposits":3,"days":30}', '"on-consent"'),
         "`entry_into_force`: invalid type"),
        ("instrument", _sub(leg, '{"rule":"after-deposits","deposits":3,"days":30}',
                            '{"rule":"After-Deposits","deposits":3,"days":30}'), "unknown variant"),
        ("instrument", _sub(leg, '{"rule":"after-notice","months":12}', '{"rule":"after-notice"}'),
         "missing field `months`"),
        ("instrument", _sub(pol, '{"rule":"not-provided"}', '{"rule":"not-provided","months":12}'),
         "`withdrawal`: unknown field 'months'"),
        ("instrument", _sub(pol, '{"rule":"not-provided"}', '{"rule":"none"}'),
         "`withdrawal.rule`: unknown variant"),
        ("instrument", _sub(pol, ',"withdrawal":{"rule":"not-provided"}', ''), "missing field `withdrawal`"),
        ("instrument", _sub(leg, '"illustrative":true', '"illustrative":false'), "canonical"),
        ("instrument", _sub(leg, '"depositary":"FR","consent_means"', '"consent_means"'),
         "`depositary`: a legal instrument"),
        ("instrument", _sub(leg, '"nature":"legal","adopted":"2026-03-02"', '"adopted":"2026-03-02","nature":"legal"'),
         "canonical"),
        # -- commitment (SPEC 6.5)
        ("commitment", _sub(com, '"pillar":"other"', '"pillar":"troops"'), "`pillar`"),
        ("commitment", _sub(com, '"amount":"1"', '"amount":""'), "`quantity.amount`"),
        ("commitment", _sub(com, '"unit":"u"', '"unit":"a\\nb"'), "`quantity.unit`: contains the control"),
        ("commitment", _sub(com, '"unit":"u"', '"unit":"%s"' % ("u" * 101)), "`quantity.unit`: is 101 bytes"),
        ("commitment", _sub(com, '{"amount":"1","unit":"u"}', '{"unit":"u","amount":"1"}'), "canonical"),
        ("commitment", _sub(com, '{"amount":"1","unit":"u"}', '{"amount":"1"}'), "missing field `unit`"),
        ("commitment", _sub(com, '{"amount":"1","unit":"u"}', '{"amount":"1","unit":"u","x":1}'),
         "`quantity`: unknown field"),
        ("commitment", _sub(com, '{"amount":"1","unit":"u"}', '{"amount":1,"unit":"u"}'),
         "`quantity.amount`: invalid type"),
        ("commitment", _sub(com, '{"amount":"1","unit":"u"}', '{}'), "missing field `amount`"),
        ("commitment", _sub(com, '{"amount":"1","unit":"u"}', 'null'), "canonical"),
        ("commitment", _sub(com, '["c"]', '[]'), "canonical"),
        ("commitment", _sub(com, '["c"]', '[%s]' % ",".join(['"c"'] * 21)), "`conditions`: has 21 items"),
        ("commitment", _sub(com, '["c"]', '["c",""]'), "`conditions[1]`: is empty"),
        ("commitment", _sub(com, '["c"]', '["%s"]' % ("c" * 1001)), "`conditions[0]`: is 1001 bytes"),
        ("commitment", _sub(com, '["c"]', '["c",1]'), "`conditions[1]`: invalid type"),
        ("commitment", _sub(com, '["c"]', '"c"'), "`conditions`: invalid type"),
        ("commitment", _sub(com, '"description":"d"', '"description":"d\\r"'),
         "`description`: contains the control character U+000D"),
        ("commitment", _sub(com, '"description":"d"', '"description":"%s"' % ("d" * 4001)),
         "`description`: is 4001 bytes"),
        ("commitment", _sub(com, '"instrument":"304e', '"instrument":"304E'), "`instrument`"),
        ("commitment", _sub(com, ',"date":"2026-01-06"', ''), "missing field `date`"),
        ("commitment", _sub(com, '"pillar":"other",', ''), "missing field `pillar`"),
        ("commitment", '{"instrument":"%s","pillar":"other","description":"d","conditions":[],"date":"2026-01-06"}' % i,
         "canonical"),
        # -- signature (SPEC 6.6)
        ("signature", sig.replace(i, i.upper()), "`instrument`"),
        ("signature", _sub(sig, '"definitive"', '"binding"'), "`type`"),
        ("signature", _sub(sig, '"2026-03-02"', '"2026-3-2"'), "`date`"),
        ("signature", _sub(sig, '"2026-03-02"', '20260302'), "`date`"),
        ("signature", _sub(sig, '"type":"definitive","date":"2026-03-02"', '"date":"2026-03-02","type":"definitive"'),
         "canonical"),
        ("signature", _sub(sig, '"2026-03-02"', '"2026-03-02","extra":1'), "unknown field 'extra'"),
        ("signature", _sub(sig, '"2026-03-02"', '"2026-03-02","signatory":"a\\nb"'), "`signatory`: contains the control"),
        ("signature", _sub(sig, '"2026-03-02"', '"2026-03-02","signatory":""'), "`signatory`: is empty"),
        ("signature", _sub(sig, '"2026-03-02"', '"2026-03-02","signatory":"%s"' % ("s" * 301)),
         "`signatory`: is 301 bytes"),
        ("signature", _sub(sig, '"instrument":"%s"' % i, '"instrument":"%s"' % i[:63]), "`instrument`"),
        ("signature", _sub(sig, '"instrument":"%s"' % i, '"instrument":"%s0"' % i), "`instrument`"),
        # -- procedure-step (SPEC 6.7)
        ("procedure-step", _sub(step, '"step":"s"', '"step":"Senate Vote"'), "`step`"),
        ("procedure-step", _sub(step, '"step":"s"', '"step":"%s"' % ("s" * 41)), "`step`"),
        ("procedure-step", _sub(step, '"for":1', '"for":-1'), "`votes.for`"),
        ("procedure-step", _sub(step, '"for":1', '"for":1e3'), "`votes.for`"),
        ("procedure-step", _sub(step, '"for":1', '"for":99999999999'), "`votes.for`"),
        ("procedure-step", _sub(step, '"for":1', '"for":4294967296'), "`votes.for`"),
        ("procedure-step", _sub(step, '"against":0', '"against":0.5'), "`votes.against`"),
        ("procedure-step", _sub(step, '"abstaining":0', '"abstaining":null'), "`votes.abstaining`: invalid type"),
        ("procedure-step", _sub(step, ',"abstaining":0', ''), "missing field `abstaining`"),
        ("procedure-step", _sub(step, '{"for":1,"against":0,"abstaining":0}', '{"against":0,"for":1,"abstaining":0}'),
         "canonical"),
        ("procedure-step", _sub(step, '"passed"', '"completed"'), "`result`"),
        ("procedure-step", _sub(step, '"passed"', '"maybe"'), "`result`"),
        ("procedure-step", _sub(step, ',"result":"passed"', ''), "missing field `result`"),
        ("procedure-step", _sub(step, '"body":"b"', '"body":"b\\tc"'), "`body`: contains the control"),
        ("procedure-step", _sub(step, '"action":"a"', '"action":"%s"' % ("a" * 501)), "`action`: is 501 bytes"),
        ("procedure-step", _sub(step, '"passed"', '"passed","reference":"%s"' % ("r" * 501)),
         "`reference`: is 501 bytes"),
        ("procedure-step", _sub(step, '"result"', '"threshold":"","result"'), "`threshold`: is empty"),
        ("procedure-step", _sub(step, '"result":"passed"', '"result":"passed","threshold":"t"'), "canonical"),
        ("procedure-step", _sub(step, '"votes"', '"extra":{},"votes"'), "unknown field 'extra'"),
        # -- consent (SPEC 6.8)
        ("consent", _sub(con, '"ratification"', '"signature"'), "`means`"),
        ("consent", _sub(con, '"generic"', '"martian"'), "`procedure`"),
        ("consent", _sub(con, '"generic"', '"US-ARTICLE-II"'), "`procedure`"),
        ("consent", _sub(con, '"generic"', '"us-article-iii"'), "`procedure`"),
        ("consent", _sub(con, '"generic"', '""'), "`procedure`"),
        ("consent", _sub(con, '"declarations":["d"]', '"reservations":[""]'), "`reservations[0]`"),
        ("consent", _sub(con, '"declarations":["d"]', '"declarations":[]'), "canonical"),
        ("consent", _sub(con, '["d"]', '[%s]' % ",".join(['"d"'] * 51)), "`declarations`: has 51 items"),
        ("consent", _sub(con, '["d"]', '["%s"]' % ("d" * 4001)), "`declarations[0]`: is 4001 bytes"),
        ("consent", _sub(con, '"declarations":["d"]', '"reservations":["r"],"declarations":["d"]'), "canonical"),
        ("consent", _sub(con, '"2026-03-02"', '"2026-02-29"'), "`date`"),
        # -- deposit-receipt (SPEC 6.9)
        ("deposit-receipt", _sub(rec, '"UA"', '"Ukraine"'), "`member`"),
        ("deposit-receipt", _sub(rec, '"UA"', '"ua"'), "`member`"),
        ("deposit-receipt", _sub(rec, '"consent":"%s",' % i, ''), "missing field `consent`"),
        ("deposit-receipt", _sub(rec, '"consent":"%s"' % i, '"consent":"%s"' % ("0" * 63)), "`consent`"),
        ("deposit-receipt", _sub(rec, '"date":"2026-04-02"', '"date":"2026-04-02","date":"2026-04-02"'),
         "`date`: duplicate"),
        # -- provisional-application (SPEC 6.10)
        ("provisional-application", _sub(prov, '"scope":"s"', '"scope":null'), "canonical"),
        ("provisional-application", _sub(prov, '"scope":"s"', '"scope":"   "'), "`scope`: is empty"),
        ("provisional-application", _sub(prov, '"scope":"s"', '"scope":"\\u0008"'), "control character U+0008"),
        ("provisional-application", _sub(prov, '"2026-03-05"', '"2026-03-32"'), "`date`"),
        # -- withdrawal (SPEC 6.11)
        ("withdrawal", _sub(_WDR, '"2027-10-01"', '"2026-09-30"'), "`effective`"),
        ("withdrawal", _sub(_WDR, '"2027-10-01"', '"2027-02-29"'), "`effective`"),
        ("withdrawal", _sub(_WDR, '"notified":"2026-10-01",', ''), "missing field `notified`"),
        ("withdrawal", _sub(_WDR, '"notified":"2026-10-01","effective":"2027-10-01"',
                            '"effective":"2027-10-01","notified":"2026-10-01"'), "canonical"),
        # -- correction (SPEC 6.12)
        ("correction", '{"entry":"%s","reason":"r","kind":"withdrawal"}' % i, "`payload`"),
        ("correction", '{"entry":"%s","reason":"r","payload":%s}' % (i, _WDR), "`kind`"),
        ("correction", '{"entry":"%s","reason":"r","kind":"correction","payload":{"entry":"%s","reason":"r"}}' % (i, i),
         "`kind`"),
        ("correction", '{"entry":"%s","reason":"r","kind":"key-rotation","payload":%s}' % (i, _KEY_ROT), "`kind`"),
        ("correction", '{"entry":"%s","reason":"r","kind":"vote","payload":{}}' % i, "`kind`"),
        ("correction", '{"entry":"%s","reason":"r","kind":"Note","payload":{"text":"a"}}' % i, "`kind`"),
        ("correction", '{"entry":"%s","reason":"r","kind":"","payload":{"text":"a"}}' % i, "`kind`"),
        ("correction", '{"entry":"%s","reason":"r","kind":1,"payload":{"text":"a"}}' % i, "`kind`: invalid type"),
        ("correction", '{"entry":"%s","reason":"r","kind":"withdrawal","payload":{"instrument":"%s"}}' % (i, i),
         "missing field `notified`"),
        ("correction", '{"entry":"%s","reason":"r","kind":"note","payload":{"text":"a","illustrative":false}}' % i,
         "canonical"),
        ("correction", '{"entry":"%s","reason":"r","kind":"note","payload":{"text": "a"}}' % i, "canonical"),
        ("correction", '{"entry":"%s","reason":"r","kind":"note","payload":{"text":"\\u0007"}}' % i,
         "`payload`: not a valid note payload: `text`: contains the control"),
        ("correction", '{"entry":"%s","reason":"r","kind":"note","payload":"{\\"text\\":\\"a\\"}"}' % i,
         "`payload`: invalid type: string"),
        ("correction", '{"entry":"%s","reason":"r","kind":"note","payload":null}' % i, "`payload`"),
        ("correction", '{"entry":"%s","reason":"r","kind":"note","payload":{"text":"a"},"kind":"note"}' % i,
         "`kind`: duplicate"),
        ("correction", _sub(corr, '"effective":"2027-10-01"', '"effective":"2025-10-01"'),
         "`payload`: not a valid withdrawal payload: `effective`"),
        ("correction", _sub(corr, '"kind":"withdrawal","payload":%s' % _WDR, '"payload":%s,"kind":"withdrawal"' % _WDR),
         "canonical"),
        ("correction", _sub(corr, '"kind":"withdrawal"', '"kind":"note"'), "not a valid note payload"),
        ("correction", _sub(_CORR, '"votes":{"for":305,"against":21,"abstaining":9},"result":"passed"',
                            '"votes":{"for":305,"against":21,"abstaining":9},"result":"completed"'),
         "not a valid procedure-step payload: `result`"),
        ("correction", '{"entry":"%s","reason":""}' % i, "`reason`: is empty"),
        ("correction", '{"entry":"%s","reason":"r","kind":"note","payload":{"text":"a"},"illustrative":false}' % i,
         "canonical"),
        ("correction", '{"reason":"r","entry":"%s"}' % i, "canonical"),
        ("correction", '{"entry":"%s","reason":"r"}' % i.upper(), "`entry`"),
        # -- ratification_without_signature (SPEC 6.4 #11): legal only, a flag, its place
        ("instrument", _sub(pol, '"withdrawal":{"rule":"not-provided"}',
                            '"withdrawal":{"rule":"not-provided"},"ratification_without_signature":true'),
         "`ratification_without_signature`: a political instrument"),
        ("instrument", _sub(leg, '"months":12}', '"months":12},"ratification_without_signature":false'),
         "canonical"),
        ("instrument", _sub(leg, '"months":12}', '"months":12},"ratification_without_signature":1'),
         "`ratification_without_signature`: invalid type"),
        ("instrument", _sub(leg, '"withdrawal":{"rule":"after-notice","months":12}',
                            '"ratification_without_signature":true,"withdrawal":{"rule":"after-notice","months":12}'),
         "canonical"),
        ("instrument", _sub(leg, '"months":12},"illustrative":true',
                            '"months":12},"illustrative":true,"ratification_without_signature":true'),
         "canonical"),
        # -- signature-confirmation (SPEC 6.14)
        ("signature-confirmation", _sub(conf, ',"date":"2026-04-15"', ''), "missing field `date`"),
        ("signature-confirmation", _sub(conf, '"signature":"%s"' % _IA, '"signature":"%s"' % _IA.upper()),
         "`signature`"),
        ("signature-confirmation", _sub(conf, '"2026-04-15"', '"2026-04-31"'), "`date`"),
        ("signature-confirmation", _sub(conf, '"date":"2026-04-15"', '"date":"2026-04-15","type":"definitive"'),
         "unknown field 'type'"),
        ("signature-confirmation", '{"signature":"%s","instrument":"%s","date":"2026-04-15"}' % (_IA, i),
         "canonical"),
        ("signature-confirmation", _sub(conf, '}', ',"illustrative":false}'), "canonical"),
        # -- deposit-return (SPEC 6.15)
        ("deposit-return", _sub(ret, ',"reason":"defective"', ''), "missing field `reason`"),
        ("deposit-return", _sub(ret, '"reason":"defective"', '"reason":" "'), "`reason`: is empty"),
        ("deposit-return", _sub(ret, '"reason":"defective"', '"reason":"%s"' % ("r" * 2001)),
         "`reason`: is 2001 bytes"),
        ("deposit-return", _sub(ret, '"reason":"defective"', '"reason":"a\\u0007"'),
         "control character U+0007"),
        ("deposit-return", _sub(ret, '"member":"UA"', '"member":"ua"'), "`member`"),
        ("deposit-return", _sub(ret, '"consent":"%s"' % _IA, '"consent":"%s"' % _IA[:62]), "`consent`"),
        ("deposit-return", _sub(ret, '"date":"2026-04-02","reason":"defective"',
                                '"reason":"defective","date":"2026-04-02"'), "canonical"),
        # -- intention-not-to-be-party (SPEC 6.16)
        ("intention-not-to-be-party", '{"instrument":"%s"}' % i, "missing field `date`"),
        ("intention-not-to-be-party", _sub(intent, '"2026-05-01"', '"2026-5-1"'), "`date`"),
        ("intention-not-to-be-party", _sub(intent, '"date":"2026-05-01"', '"date":"2026-05-01","effective":"2026-06-01"'),
         "unknown field 'effective'"),
        ("intention-not-to-be-party", '{"date":"2026-05-01","instrument":"%s"}' % i, "canonical"),
        ("correction", '{"entry":"%s","reason":"r","kind":"intention-not-to-be-party","payload":{"instrument":"%s"}}' % (i, i),
         "not a valid intention-not-to-be-party payload"),
        # -- key-rotation (SPEC 6.13): refused, a malformed one for its schema first
        ("key-rotation", '{"new_key":"00","proof":"00"}', "`new_key`"),
        ("key-rotation", '{"new_key":"%s","proof":"%s"}' % (good_key, i + i), "not accepted by this version"),
        ("key-rotation", _KEY_ROT, "not accepted by this version"),
        ("key-rotation", _sub(_KEY_ROT, '"}', '","illustrative":true}'), "unknown field 'illustrative'"),
        ("key-rotation", _sub(_KEY_ROT, '"adc140', '"ADC140'), "`new_key`"),
        ("key-rotation", '{"new_key":"%s","proof":"%s"}' % (ident, "e3" * 64), "`new_key`: is not a valid Ed25519"),
        ("key-rotation", '{"new_key":"%s","proof":"%s"}' % (good_key, "e3" * 63), "`proof`"),
        ("key-rotation", '{"new_key":"%s","proof":"%s"}' % (good_key, "E3" * 64), "`proof`"),
        ("key-rotation", '{"proof":"%s","new_key":"%s"}' % ("e3" * 64, good_key), "canonical"),
        ("key-rotation", '{"new_key":"%s"}' % good_key, "missing field `proof`"),
        # -- unknown kinds (SPEC 6.2)
        ("vote", "{}", "unknown kind"),
        ("notes", '{"text":"a"}', "unknown kind"),
    ]


def _spec_examples(path):
    """The ```json examples of SPEC.md sections 6.3 to 6.16: [(section, kind, bytes)]."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    out = []
    section = kind = None
    in_json = False
    for line in lines:
        m = re.match(r"### 6\.(\d+) `([a-z-]+)`\s*$", line)
        if m and int(m.group(1)) >= 3:
            section, kind = "6." + m.group(1), m.group(2)
            continue
        if line.startswith("## ") or line.startswith("### "):
            section = kind = None
            continue
        if kind is None:
            continue
        if line.strip() == "```json":
            in_json = True
        elif line.strip() == "```":
            in_json = False
        elif in_json and line:
            out.append((section, kind, line.encode("utf-8")))
    return out


def _expect_valid(kind, payload):
    """A problem for the self-test, or None."""
    pp = payload_problem(kind, payload)
    if kind == "key-rotation":
        return None if pp == KEY_ROTATION_REFUSED else "refused for its schema: %s" % pp
    return None if pp is None else "refused: %s" % pp


def run_payloads(spec_path=None):
    import os
    results = []

    def group(name, problems):
        ok = not problems
        results.append(ok)
        print("%s %s" % ("PASS" if ok else "FAIL", name))
        for p in problems:
            print("     - %s" % p)

    explicit = spec_path is not None
    if not explicit:
        here = os.path.dirname(os.path.abspath(__file__))
        spec_path = os.path.join(here, "..", "..", "SPEC.md")
    if explicit or os.path.exists(spec_path):  # a SPEC.md named but missing is an error
        probs = []
        found = _spec_examples(spec_path)
        for section, kind, payload in found:
            p = _expect_valid(kind, payload)
            if p:
                probs.append("%s %s: %s\n       %s" % (section, kind, p, payload[:100]))
        missing = set(SCHEMAS) - {k for _, k, _ in found}
        if missing:
            probs.append("no example found for %s" % ", ".join(sorted(missing)))
        group("SPEC.md examples of sections 6.3 to 6.16 (%d) accepted (key-rotation: schema "
              "accepted, then refused by version 1)" % len(found), probs)
    else:
        print("SKIP SPEC.md not found at %s" % spec_path)

    probs = []
    cases = SPEC_EXAMPLES + EXTRA_VALID
    for kind, payload in cases:
        p = _expect_valid(kind, payload.encode("utf-8"))
        if p:
            probs.append("%s: %s\n       %s" % (kind, p, payload[:100]))
    group("valid payloads (%d): SPEC examples, core/tests/payloads.rs examples, edge cases"
          % len(cases), probs)

    probs = []
    garbage = _garbage()
    for kind, payload, expect in garbage:
        raw = payload if isinstance(payload, bytes) else payload.encode("utf-8", "surrogatepass")
        pp = payload_problem(kind, raw)
        if pp is None:
            probs.append("%s accepted %r" % (kind, raw[:100]))
        elif expect not in pp:
            probs.append("%s refused %r for %r, expected it to mention %r"
                         % (kind, raw[:100], pp, expect))
    kinds = {k for k, _, _ in garbage}
    missing = set(SCHEMAS) - kinds
    if missing:
        probs.append("no garbage for %s" % ", ".join(sorted(missing)))
    group("garbage payloads (%d, every kind and unknown ones) refused, each for the "
          "expected rule" % len(garbage), probs)

    ok = all(results)
    print("ALL PASS" if ok else "SOME CHECKS FAILED")
    return 0 if ok else 1


# ---------------------------------------------------------------------------
# checkpoints command: a self-test of SPEC 3.1 (node keys, quorum), 8 (bundle version
# 2) and 10 (checkpoints), with ledgers and checkpoints built and signed here
# ---------------------------------------------------------------------------


def make_entry(seed, network, author, seq, prev, time, kind, payload):
    """SPEC 4.1: an entry signed with seed. Returns (entry bytes, id)."""
    a, k = author.encode("ascii"), kind.encode("ascii")
    h = bytearray(ENTRY_TAG)
    h.append(ENTRY_VERSION)
    h += network
    h.append(len(a))
    h += a
    h += seq.to_bytes(8, "big")
    if seq == 1:
        h.append(0)
    else:
        h.append(1)
        h += prev
    h += time.to_bytes(8, "big")
    h.append(len(k))
    h += k
    h += len(payload).to_bytes(4, "big")
    h += hashlib.sha256(payload).digest()
    sig = sign(seed, bytes(h))
    return bytes(h) + sig + payload, hashlib.sha256(bytes(h) + sig).digest()


def make_feed(seed, network, author, texts, time0):
    """A feed of notes: [(entry bytes, id)], #1 first."""
    out, prev = [], None
    for i, t in enumerate(texts, 1):
        payload = ('{"text":"%s"}' % t).encode("ascii")
        raw, eid = make_entry(seed, network, author, i, prev, time0 + 1000 * i, "note", payload)
        out.append((raw, eid))
        prev = eid
    return out


def make_bundle(network, feeds, checkpoint=None, version=BUNDLE_VERSION, forks=()):
    """SPEC 8. feeds: [(code, [entry bytes])] in code order; checkpoint: bytes or None."""
    out = bytearray(BUNDLE_MAGIC)
    out.append(version)
    out += network
    out += len(feeds).to_bytes(4, "big")
    for code, entries in feeds:
        out.append(len(code))
        out += code.encode("ascii")
        out += len(entries).to_bytes(4, "big")
        for e in entries:
            out += len(e).to_bytes(4, "big") + e
    out += len(forks).to_bytes(4, "big")
    for a, b in forks:
        out += len(a).to_bytes(4, "big") + a + len(b).to_bytes(4, "big") + b
    if version >= 2:
        cp = checkpoint or b""
        out += len(cp).to_bytes(4, "big") + cp
    return bytes(out)


_pub_cache = {}


def _pub(seed):
    if seed not in _pub_cache:
        _pub_cache[seed] = public_from_seed(seed)
    return _pub_cache[seed]


def sign_line(name, seed, text, alg=ALG_ED25519):
    """A 0x01 signature line over text (str)."""
    return signature_line(name, key_id(name, alg, _pub(seed)), sign(seed, text.encode("utf-8")))


def cosign_line(name, seed, text, t, alg=ALG_COSIGNATURE_V1):
    """A cosignature/v1 line over text (str), at t seconds."""
    body = t.to_bytes(8, "big") + sign(seed, cosigned_message(text.encode("utf-8"), t))
    return signature_line(name, key_id(name, alg, _pub(seed)), body)


def note(text, *lines):
    return (text + "\n" + "".join(lines)).encode("utf-8")


def _selftest_seed(what):
    return hashlib.sha256(b"pacta_verify.py self-test " + what.encode("ascii")).digest()


def _selftest_roster_text(members, node_keys, quorum="", network="pacta-selftest",
                          override=None):
    """members: [code]; node_keys: {code: public hex}; override: {code: {field: value}}."""
    out = 'network = "%s"\n' % network
    for code in members:
        fields = {"code": code, "name": "%s land" % code,
                  "key": _pub(_selftest_seed(code)).hex(),
                  "node": "http://127.0.0.1:7001", "profile": "generic"}
        if code in node_keys:
            fields["node_key"] = node_keys[code]
        fields.update((override or {}).get(code, {}))
        out += "\n[[member]]\n"
        for k, v in fields.items():
            out += '%s = "%s"\n' % (k, v)
    return out + quorum


def _extract_spec_example(path):
    """The signed note of SPEC.md 10.4: the ```text block after the line
    "<!-- example checkpoint -->"."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    try:
        i = lines.index("<!-- example checkpoint -->")
    except ValueError:
        return None
    if lines[i + 1].strip() != "```text":
        return None
    end = lines.index("```", i + 2)
    return ("\n".join(lines[i + 2:end]) + "\n").encode("utf-8")


def run_checkpoints(spec_path=None):
    import os
    results = []

    def group(name, problems):
        ok = not problems
        results.append(ok)
        print("%s %s" % ("PASS" if ok else "FAIL", name))
        for p in problems:
            print("     - %s" % p)

    codes = ["DE", "FR", "GB", "NL"]
    nseed = {c: _selftest_seed("node " + c) for c in ("DE", "FR", "GB")}
    nkeys = {c: _pub(s).hex() for c, s in nseed.items()}
    eseed = {c: _selftest_seed(c) for c in codes}

    # --- the roster's node keys and quorum (SPEC 3.1, 3.2) -------------------------
    probs = []
    base_text = _selftest_roster_text(codes, nkeys)
    roster = parse_roster(base_text)
    if sorted(roster.node_keys) != ["DE", "FR", "GB"]:
        probs.append("node keys %r" % sorted(roster.node_keys))
    if (roster.node_quorum, roster.member_quorum) != (2, 3):
        probs.append("default quorums %r, expected (2, 3)"
                     % ((roster.node_quorum, roster.member_quorum),))
    if parse_roster(_selftest_roster_text(codes, {})).network_id != roster.network_id:
        probs.append("node keys changed the network id")
    r = parse_roster(base_text + "\n[quorum]\nnodes = 3\nmembers = 3\n")
    if (r.node_quorum, r.member_quorum) != (3, 3) or r.network_id != roster.network_id:
        probs.append("[quorum] nodes = 3, members = 3 not taken, or changed the network id")
    r = parse_roster(base_text + "\n[quorum]\nmembers = 1\n")
    if (r.node_quorum, r.member_quorum) != (2, 1):
        probs.append("[quorum] members = 1 alone: %r" % ((r.node_quorum, r.member_quorum),))
    none = parse_roster(_selftest_roster_text(codes, {}))
    if none.node_quorum != 1 or none.node_keys:
        probs.append("no node keys: node quorum %d" % none.node_quorum)
    try:
        parse_roster(_selftest_roster_text(codes, {}, "\n[quorum]\nnodes = 1\n"))
    except RosterError as ex:
        probs.append("no node keys, [quorum] nodes = 1 refused: %s" % ex)
    ident = "01" + "00" * 31
    refused = [
        ("node_key = its own key", _selftest_roster_text(
            codes, nkeys, override={"FR": {"node_key": _pub(eseed["FR"]).hex()}})),
        ("node_key = another member's key", _selftest_roster_text(
            codes, nkeys, override={"GB": {"node_key": _pub(eseed["DE"]).hex()}})),
        ("node_key = a later member's key", _selftest_roster_text(
            codes, nkeys, override={"DE": {"node_key": _pub(eseed["NL"]).hex()}})),
        ("two members with one node_key", _selftest_roster_text(
            codes, dict(nkeys, GB=nkeys["FR"]))),
        ("node_key in uppercase hex", _selftest_roster_text(
            codes, dict(nkeys, GB=nkeys["GB"].upper()))),
        ("node_key of 63 digits", _selftest_roster_text(
            codes, dict(nkeys, GB=nkeys["GB"][:63]))),
        ("node_key of small order (the identity)", _selftest_roster_text(
            codes, dict(nkeys, GB=ident))),
        ("node_key not canonical (y = p + 1)", _selftest_roster_text(
            codes, dict(nkeys, GB=(P + 1).to_bytes(32, "little").hex()))),
        ("quorum.nodes = 0", base_text + "\n[quorum]\nnodes = 0\n"),
        ("quorum.nodes = 4 with 3 node keys", base_text + "\n[quorum]\nnodes = 4\n"),
        ("quorum.nodes = 2 with no node key",
         _selftest_roster_text(codes, {}, "\n[quorum]\nnodes = 2\n")),
        ("quorum.members = 0", base_text + "\n[quorum]\nmembers = 0\n"),
        ("quorum.members = 4 with 4 members", base_text + "\n[quorum]\nmembers = 4\n"),
        ("quorum.nodes = -1", base_text + "\n[quorum]\nnodes = -1\n"),
        ("quorum.nodes = true", base_text + "\n[quorum]\nnodes = true\n"),
        ("quorum.nodes = \"2\"", base_text + "\n[quorum]\nnodes = \"2\"\n"),
        ("quorum.nodes = 2.0", base_text + "\n[quorum]\nnodes = 2.0\n"),
        ("quorum with an unknown field", base_text + "\n[quorum]\nwitnesses = 2\n"),
        ("quorum as an array of tables", base_text + "\n[[quorum]]\nnodes = 2\n"),
        ("quorum = 2", 'quorum = 2\n' + base_text),
        ("node_key = 7", base_text.replace('node_key = "%s"' % nkeys["GB"], "node_key = 7")),
    ]
    for what, text in refused:
        try:
            parse_roster(text)
            probs.append("accepted: %s" % what)
        except RosterError:
            pass
    group("roster (SPEC 3.1): node keys, [quorum], defaults, network id unchanged; "
          "%d bad rosters refused" % len(refused), probs)

    # --- a ledger: DE #1, FR #1-#3, GB #1-#2, NL #1-#2 -------------------------------
    net = roster.network_id
    t0 = 1767700800000
    feeds = {
        "DE": make_feed(eseed["DE"], net, "DE", ["DE one"], t0),
        "FR": make_feed(eseed["FR"], net, "FR", ["FR one", "FR two", "FR three"], t0),
        "GB": make_feed(eseed["GB"], net, "GB", ["GB one", "GB two"], t0),
        "NL": make_feed(eseed["NL"], net, "NL", ["NL one", "NL two"], t0),
    }
    gb_other = make_feed(eseed["GB"], net, "GB", ["GB one", "GB two, told to someone else"], t0)

    def bundle_of(checkpoint, cut=None, version=BUNDLE_VERSION):
        """cut: {code: entries kept, or None to leave the feed out, or a feed}."""
        fl = []
        for code in sorted(feeds):
            f = feeds[code]
            if cut and code in cut:
                c = cut[code]
                if c is None:
                    continue
                f = f[:c] if isinstance(c, int) else c
            fl.append((code, [e for e, _ in f]))
        return make_bundle(net, fl, checkpoint, version)

    def heads_of(spec):
        """spec: {code: seq} -> [(code, seq, id)] from the ledger above."""
        return [(c, s, feeds[c][s - 1][1]) for c, s in sorted(spec.items())]

    cp_ms = t0 + 100500  # a time with milliseconds: its second is t0 / 1000 + 100
    cp_s = cp_ms // 1000
    full = {"DE": 1, "FR": 3, "GB": 2, "NL": 2}

    def body(heads=None, node="FR", time=cp_ms, origin="pacta-selftest", network=net):
        return Checkpoint(origin, network, node, time,
                          heads_of(full) if heads is None else heads).text()

    name = {c: key_name(roster, c) for c in codes}
    text = body()
    fr_line = sign_line(name["FR"], nseed["FR"], text)
    gb_line = cosign_line(name["GB"], nseed["GB"], text, cp_s)
    de_line = cosign_line(name["DE"], nseed["DE"], text, cp_s + 7)
    good = note(text, fr_line, gb_line)

    def outcome(rep):
        return [(e["place"], e["reason"]) for e in rep["errors"]]

    # --- bundle version 2 framing (SPEC 8) -------------------------------------------
    probs = []
    plain = bundle_of(None)
    if plain[13] != 2 or plain[-4:] != bytes(4):
        probs.append("a bundle without a checkpoint does not end in four zero bytes")
    if outcome(verify_ledger(roster, plain)):
        probs.append("a bundle without a checkpoint: %r" % outcome(verify_ledger(roster, plain)))
    with_cp = bundle_of(good)
    framing = [
        ("version 1 (no checkpoint slot)", bundle_of(None, version=1)),
        ("version 1 byte on a version 2 layout", plain[:13] + b"\x01" + plain[14:]),
        ("version 3", plain[:13] + b"\x03" + plain[14:]),
        ("no checkpoint length", plain[:-4]),
        ("checkpoint length 262 145",
         plain[:-4] + (MAX_NOTE + 1).to_bytes(4, "big") + b"x" * (MAX_NOTE + 1)),
        ("checkpoint length past the end", with_cp[:-1]),
        ("a byte after the checkpoint", with_cp + b"\n"),
        ("a byte after an empty checkpoint slot", plain + b"\x00"),
    ]
    for what, data in framing:
        got = outcome(verify_ledger(roster, data))
        if got != [("bundle", "bundle")]:
            probs.append("%s: %r, expected [('bundle', 'bundle')]" % (what, got))
    got = outcome(verify_ledger(roster, make_bundle(b"\xee" * 32, [], good)))
    if got != [("bundle", "network")]:
        probs.append("other network: %r" % got)
    longest = b"x" * MAX_NOTE
    got = outcome(verify_ledger(roster, plain[:-4] + len(longest).to_bytes(4, "big") + longest))
    if got != [("checkpoint", "checkpoint")]:
        probs.append("a 262 144-byte checkpoint slot is framed, then refused as a note: %r" % got)
    group("bundle version 2 (SPEC 8): %d bad framings refused as a whole" % len(framing), probs)

    # --- checkpoints that verify (SPEC 10.4, 10.5) -----------------------------------
    probs = []
    unknown_line = signature_line("witness.example/w1", b"\x01\x02\x03\x04", bytes(range(72)))
    other_net_gb = sign_line("other-network/GB", nseed["GB"], text)
    small = body(heads_of({"FR": 2, "GB": 1}))
    empty = body([])
    q3 = parse_roster(base_text + "\n[quorum]\nnodes = 3\n")
    q1 = parse_roster(base_text + "\n[quorum]\nnodes = 1\n")
    fillers = [signature_line("w%d.example" % i, bytes(4), bytes(64)) for i in range(62)]
    valid = [
        ("FR signs, GB cosigns", roster, good, ["FR", "GB"], 0, 0),
        ("FR signs, DE and GB cosign", roster, note(text, fr_line, gb_line, de_line),
         ["FR", "DE", "GB"], 0, 0),
        ("cosignatures before the node's own line", roster, note(text, de_line, gb_line, fr_line),
         ["FR", "DE", "GB"], 0, 0),
        ("a line by a name the roster does not know", roster,
         note(text, fr_line, unknown_line, gb_line), ["FR", "GB"], 1, 0),
        ("GB's node key under another network's name", roster,
         note(text, fr_line, other_net_gb, gb_line), ["FR", "GB"], 1, 0),
        ("64 signature lines, 62 of them unknown", roster,
         note(text, fr_line, gb_line, *fillers), ["FR", "GB"], 62, 0),
        ("cosigned in the checkpoint's own second", roster, good, ["FR", "GB"], 0, 0),
        ("a quorum of 3: FR, DE, GB", q3, note(text, fr_line, de_line, gb_line),
         ["FR", "DE", "GB"], 0, 0),
        ("a quorum of 1: FR alone", q1, note(text, fr_line), ["FR"], 0, 0),
        ("heads behind the ledger (NL, DE newer)", roster,
         note(small, sign_line(name["FR"], nseed["FR"], small),
              cosign_line(name["GB"], nseed["GB"], small, cp_s)), ["FR", "GB"], 0, 5),
        ("no heads at all", roster,
         note(empty, sign_line(name["FR"], nseed["FR"], empty),
              cosign_line(name["DE"], nseed["DE"], empty, cp_s + 1)), ["FR", "DE"], 0, 8),
    ]
    for what, rost, data, signers, ignored, beyond in valid:
        try:
            w = verify_checkpoint(rost, data)
        except CheckpointError as ex:
            probs.append("%s: refused: %s" % (what, ex))
            continue
        if [c for c, _ in w.signers] != signers or w.ignored != ignored:
            probs.append("%s: signers %r, %d ignored" % (what, w.signers, w.ignored))
        rep = verify_ledger(rost, bundle_of(data))
        if not rep["valid"] or rep["checkpoint"]["signers"] != signers \
                or rep["checkpoint"]["beyond"] != beyond:
            probs.append("%s: in a bundle: %r, %r" % (what, outcome(rep), rep["checkpoint"]))
    if verify_checkpoint(roster, good).checkpoint.size() != 8:
        probs.append("size of DE 1, FR 3, GB 2, NL 2 is not 8")
    if text.split("\n")[1] != "8" or len(text.split("\n")[2]) != 44:
        probs.append("size or root line: %r" % text.split("\n")[1:3])
    group("checkpoints that verify (%d): signers, ignored lines, quorum, beyond" % len(valid),
          probs)

    # --- garbage: each must fail with reason "checkpoint" (SPEC 10.1 to 10.5) --------
    def resigned(t, cosigner="GB"):
        """t (a body text, edited) signed by FR and cosigned as if it were good."""
        return note(t, sign_line(name["FR"], nseed["FR"], t),
                    cosign_line(name[cosigner], nseed[cosigner], t, cp_s))

    def edit_line(n, new, t=text):
        ls = t.split("\n")
        ls[n - 1] = new
        return "\n".join(ls)

    b64_fr = fr_line.split(" ")[2].rstrip("\n")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    last = b64_fr.rstrip("=")[-1]
    stray = b64_fr.rstrip("=")[:-1] + alphabet[alphabet.index(last) | 1] \
        + "=" * (len(b64_fr) - len(b64_fr.rstrip("=")))
    fr_id = feeds["FR"][2][1].hex()
    head_fr = "head FR 3 %s" % fr_id
    hid = {c: feeds[c][s - 1][1].hex() for c, s in full.items()}

    def flip(line, index):
        """The signature line with one bit of its decoded bytes flipped."""
        nm, b = line.rstrip("\n").split(" ")[1:3]
        raw = bytearray(base64.b64decode(b))
        raw[index] ^= 1
        return signature_line(nm, bytes(raw[:4]), bytes(raw[4:]))

    garbage = [
        # the envelope (SPEC 10.1)
        ("not UTF-8", good.replace(b"pacta-selftest\n", b"pacta-selftest\xff\n", 1)),
        ("no blank line", good.replace(b"\n\n", b"\n")),
        ("a blank line after the signatures", good + b"\n"),
        ("no newline after the last signature", good[:-1]),
        ("CR LF line ends", good.replace(b"\n", b"\r\n")),
        ("a tab in the text", good.replace(b"node FR", b"node\tFR")),
        ("an empty text line", b"\n" + good),
        ("no signature lines", text.encode() + b"\n"),
        ("a hyphen for the em dash", good.replace("\u2014 ".encode(), b"- ")),
        ("an en dash for the em dash", good.replace("\u2014 ".encode(), "\u2013 ".encode())),
        ("no space after the em dash", good.replace("\u2014 ".encode(), "\u2014".encode())),
        ("no space after the key name",
         note(text, fr_line.replace(name["FR"] + " ", name["FR"]), gb_line)),
        ("an empty key name", note(text, fr_line.replace(name["FR"], ""), gb_line)),
        ("'+' in a key name", note(text, fr_line, unknown_line.replace("w1", "w+1"), gb_line)),
        ("a no-break space in a key name",
         note(text, fr_line, unknown_line.replace("w1", "w\u00a01"), gb_line)),
        ("bad base64 ('!')", note(text, fr_line.replace(b64_fr[:2], "!!", 1), gb_line)),
        ("base64 without its padding", note(text, fr_line.replace("=\n", "\n"), gb_line)),
        ("base64 with stray bits", note(text, fr_line.replace(b64_fr, stray), gb_line)),
        ("base64 in the URL alphabet", note(text, fr_line, signature_line(
            "x.example", b"\xfb\xff\xbf\xfb", bytes(64)).replace("+", "-").replace("/", "_"))),
        ("a space after the base64", note(text, fr_line.replace("\n", " \n"), gb_line)),
        ("a signature of 4 bytes", note(text, fr_line, signature_line("x.example", b"abcd", b""))),
        ("65 signature lines", note(text, fr_line, gb_line, *fillers, unknown_line)),
        ("longer than 256 KiB", note(text, fr_line, gb_line) + b"x" * MAX_NOTE),
        # signatures (SPEC 10.2, 10.3, 10.5)
        ("a wrong key id on FR's line", note(text, flip(fr_line, 0), gb_line)),
        ("a flipped bit in FR's signature", note(text, flip(fr_line, 10), gb_line)),
        ("FR's line with the 0x04 key id",
         note(text, sign_line(name["FR"], nseed["FR"], text, ALG_COSIGNATURE_V1), gb_line)),
        ("signed with FR's entry key, not its node key",
         note(text, sign_line(name["FR"], eseed["FR"], text), gb_line)),
        ("no signature by the node (GB's cosignature only)", note(text, gb_line)),
        ("no signature by the node (only unknown names)", note(text, unknown_line)),
        ("the node's line twice", note(text, fr_line, fr_line, gb_line)),
        ("the node cosigns its own checkpoint",
         note(text, fr_line, cosign_line(name["FR"], nseed["FR"], text, cp_s))),
        ("GB signs (0x01) instead of cosigning",
         note(text, fr_line, sign_line(name["GB"], nseed["GB"], text))),
        ("GB's cosignature with the 0x01 key id",
         note(text, fr_line, cosign_line(name["GB"], nseed["GB"], text, cp_s, ALG_ED25519))),
        ("a wrong key id on GB's cosignature", note(text, fr_line, flip(gb_line, 3))),
        ("a flipped bit in GB's cosignature time", note(text, fr_line, flip(gb_line, 11))),
        ("a flipped bit in GB's cosignature", note(text, fr_line, flip(gb_line, 40))),
        ("GB's cosignature of another checkpoint",
         note(text, fr_line, cosign_line(name["GB"], nseed["GB"], small, cp_s))),
        ("GB's cosignature by DE's node key",
         note(text, fr_line, cosign_line(name["GB"], nseed["DE"], text, cp_s))),
        ("GB's cosignature cut to 71 bytes", note(text, fr_line, signature_line(
            name["GB"], key_id(name["GB"], ALG_COSIGNATURE_V1, _pub(nseed["GB"])),
            base64.b64decode(gb_line.split(" ")[2])[4:75]))),
        ("cosignature dated a second before the checkpoint",
         note(text, fr_line, cosign_line(name["GB"], nseed["GB"], text, cp_s - 1))),
        ("cosignature dated 0", note(text, fr_line, cosign_line(name["GB"], nseed["GB"], text, 0))),
        ("cosignature dated 2^63",
         note(text, fr_line, cosign_line(name["GB"], nseed["GB"], text, 2**63))),
        ("GB cosigns twice", note(text, fr_line, gb_line,
                                  cosign_line(name["GB"], nseed["GB"], text, cp_s + 1))),
        ("GB's same cosignature twice", note(text, fr_line, gb_line, gb_line)),
        ("signed by NL, which has no node key", note(
            body(node="NL"), sign_line(name["NL"], eseed["NL"], body(node="NL")))),
        ("signed by ZZ, not a member", note(
            body(node="ZZ"), sign_line(name["FR"] + "Z", nseed["FR"], body(node="ZZ")))),
        ("signed and cosigned, then a head edited",
         note(text.replace(fr_id, hid["GB"]), fr_line, gb_line)),
        # the body (SPEC 10.4), each signed and cosigned as if it were good
        ("a head's id edited, the root not", resigned(text.replace(fr_id, hid["GB"]))),
        ("size 08", resigned(edit_line(2, "08"))),
        ("size +8", resigned(edit_line(2, "+8"))),
        ("size 9", resigned(edit_line(2, "9"))),
        ("size with a space", resigned(edit_line(2, "8 "))),
        ("the root without padding", resigned(edit_line(3, text.split("\n")[2].rstrip("=")))),
        ("the root in hex", resigned(edit_line(3, Checkpoint(
            "pacta-selftest", net, "FR", cp_ms, heads_of(full)).root().hex()))),
        ("the root of another checkpoint", resigned(edit_line(3, small.split("\n")[2]))),
        ("seq 03", resigned(text.replace(head_fr, "head FR 03 " + fr_id))),
        ("seq 0", resigned(text.replace(head_fr, "head FR 0 " + fr_id))),
        ("seq 2^64", resigned(text.replace(head_fr, "head FR %d %s" % (2**64, fr_id)))),
        ("an id in uppercase hex", resigned(text.replace(fr_id, fr_id.upper()))),
        ("an id of 63 digits", resigned(text.replace(fr_id, fr_id[:63]))),
        ("heads out of order", resigned(body(
            [h for h in heads_of(full) if h[0] == "GB"] +
            [h for h in heads_of(full) if h[0] != "GB"]))),
        ("a head twice", resigned(body(heads_of(full) + heads_of({"NL": 2})))),
        ("a head with five fields", resigned(text.replace(head_fr, head_fr + " x"))),
        ("a head with two spaces", resigned(text.replace(head_fr, head_fr.replace(" ", "  ", 1)))),
        ("a head for code fr", resigned(text.replace(head_fr, head_fr.replace("FR", "fr")))),
        ("a line that is not a head", resigned(text + "note hello\n")),
        ("time 0123", resigned(edit_line(6, "time 0%d" % cp_ms))),
        ("time +%d" % cp_ms, resigned(edit_line(6, "time +%d" % cp_ms))),
        ("time after 9999", resigned(body(time=MAX_TIME + 1))),
        ("time in seconds with a fraction", resigned(edit_line(6, "time %d.5" % cp_s))),
        ("node fr", resigned(edit_line(5, "node fr"))),
        ("network in uppercase hex", resigned(edit_line(4, "network " + net.hex().upper()))),
        ("network line without its name", resigned(edit_line(4, net.hex()))),
        ("another network", resigned(body(network=b"\xee" * 32))),
        ("another origin", resigned(body(origin="pacta-selftest-2"))),
        ("five lines only", resigned("\n".join(text.split("\n")[:5]) + "\n")),
        ("the lines of the C2SP checkpoint only", resigned("\n".join(text.split("\n")[:3]) + "\n")),
    ]
    probs = []
    for what, data in garbage:
        try:
            verify_checkpoint(roster, data)
            probs.append("accepted: %s" % what)
            continue
        except CheckpointError:
            pass
        if len(data) <= MAX_NOTE:
            got = outcome(verify_ledger(roster, bundle_of(data)))
            if got != [("checkpoint", "checkpoint")]:
                probs.append("%s: in a bundle %r, expected [('checkpoint', 'checkpoint')]"
                             % (what, got))
    group("garbage checkpoints (%d) refused, each with reason \"checkpoint\" at place "
          "\"checkpoint\"" % len(garbage), probs)

    # --- quorum and the feeds against the heads (SPEC 10.6) --------------------------
    probs = []
    fr_only = note(text, fr_line)
    bad_sig = list(feeds["FR"])
    raw2 = bytearray(bad_sig[1][0])
    raw2[-len(b'{"text":"FR two"}') - 1] ^= 1  # the last byte of the signature
    bad_sig[1] = (bytes(raw2), bad_sig[1][1])
    zz = body(heads_of(full) + [("ZZ", 1, bytes(32))])
    cases = [
        ("FR alone, quorum 2", roster, bundle_of(fr_only), True,
         [("checkpoint", "checkpoint-quorum")]),
        ("FR and GB, quorum 3", q3, bundle_of(good), True,
         [("checkpoint", "checkpoint-quorum")]),
        ("FR cut to #2", roster, bundle_of(good, {"FR": 2}), True, [("FR #3", "truncated")]),
        ("FR and NL cut to #1", roster, bundle_of(good, {"FR": 1, "NL": 1}), True,
         [("FR #3", "truncated"), ("NL #2", "truncated")]),
        ("FR left out", roster, bundle_of(good, {"FR": None}), True, [("FR #3", "truncated")]),
        ("FR left out, in a proof's bundle", roster, bundle_of(good, {"FR": None}), False, []),
        ("every feed left out, in a proof's bundle", roster,
         bundle_of(good, {c: None for c in codes}), False, []),
        ("FR cut to #2, in a proof's bundle", roster, bundle_of(good, {"FR": 2}), False,
         [("FR #3", "truncated")]),
        ("another GB #2", roster, bundle_of(good, {"GB": gb_other}), True,
         [("GB #2", "split-view")]),
        ("another GB #2, in a proof's bundle", roster, bundle_of(good, {"GB": gb_other}), False,
         [("GB #2", "split-view")]),
        ("FR #2's signature broken", roster, bundle_of(good, {"FR": bad_sig}), True,
         [("FR #2", "signature"), ("FR #3", "truncated")]),
        ("FR alone and FR cut to #2", roster, bundle_of(fr_only, {"FR": 2}), True,
         [("checkpoint", "checkpoint-quorum"), ("FR #3", "truncated")]),
        ("a head for ZZ, not a member", roster, bundle_of(resigned(zz)), True,
         [("ZZ #1", "truncated")]),
        ("a head for ZZ, not a member, in a proof's bundle", roster, bundle_of(resigned(zz)),
         False, []),
    ]
    for what, rost, data, whole, want in cases:
        rep = verify_ledger(rost, data, whole)
        got = outcome(rep)
        if got != want:
            probs.append("%s: %r, expected %r" % (what, got, want))
        if rep["checkpoint"] is None:
            probs.append("%s: no checkpoint in the report" % what)
    group("quorum, and feeds against heads (%d): checkpoint-quorum, truncated, split-view, "
          "whole and proof bundles" % len(cases), probs)

    # --- the example of SPEC.md 10.4 against keys-example/roster.toml ----------------
    here = os.path.dirname(os.path.abspath(__file__))
    explicit = spec_path is not None
    if not explicit:
        spec_path = os.path.join(here, "..", "..", "SPEC.md")
    roster_path = os.path.join(os.path.dirname(os.path.abspath(spec_path)), "keys-example",
                               "roster.toml")
    if explicit or os.path.exists(spec_path):
        probs = []
        example = _extract_spec_example(spec_path)
        if example is None:
            probs.append("no example checkpoint in %s" % spec_path)
        else:
            with open(roster_path, encoding="utf-8") as f:
                demo = parse_roster(f.read())
            try:
                w = verify_checkpoint(demo, example)
                if [c for c, _ in w.signers] != ["FR", "GB", "UA"] or not w.has_quorum():
                    probs.append("signers %r, quorum %d" % (w.signers, w.quorum))
            except CheckpointError as ex:
                probs.append("refused: %s" % ex)
        group("the example checkpoint of SPEC.md 10.4 verifies against "
              "keys-example/roster.toml", probs)
    else:
        print("SKIP SPEC.md not found at %s" % spec_path)

    ok = all(results)
    print("ALL PASS" if ok else "SOME CHECKS FAILED")
    return 0 if ok else 1


# ---------------------------------------------------------------------------
# Procedure profiles (SPEC 14)
# ---------------------------------------------------------------------------

# Thresholds (SPEC 14.1): ("none",), ("majority",), ("two-thirds-present",),
# ("absolute-majority", N) and ("no-resolution-against", days).
_T_NONE = ("none",)
_T_MAJORITY = ("majority",)
_T_TWO_THIRDS = ("two-thirds-present",)

# SPEC 14.2: each profile's steps in the order of its table, as
# (step id, threshold, required, the step it prevails over or None).
PROFILES = {
    "us-article-ii": [
        ("transmittal", _T_NONE, False, None),
        ("referral", _T_NONE, False, None),
        ("committee-report", _T_MAJORITY, False, None),
        ("senate-vote", _T_TWO_THIRDS, True, None),
    ],
    "us-congressional-executive": [
        ("house-vote", _T_MAJORITY, True, None),
        ("senate-vote", _T_MAJORITY, True, None),
        ("enactment", _T_NONE, True, None),
    ],
    "us-sole-executive": [
        ("congress-notified", _T_NONE, False, None),
    ],
    "gb-crag2010": [
        ("laid", _T_NONE, True, None),
        ("crag-period", ("no-resolution-against", 21), True, None),
    ],
    "fr-art53": [
        ("assemblee-vote", _T_MAJORITY, True, None),
        ("senat-vote", _T_MAJORITY, True, None),
        ("assemblee-final-reading", _T_MAJORITY, False, "senat-vote"),
        ("conseil-constitutionnel", _T_NONE, False, None),
        ("promulgation", _T_NONE, True, None),
    ],
    "de-art59": [
        ("bundestag-vote", _T_MAJORITY, True, None),
        ("bundesrat", _T_MAJORITY, True, None),
        ("bundestag-override", ("absolute-majority", 630), False, "bundesrat"),
        ("promulgation", _T_NONE, True, None),
    ],
    "ua-rada-law": [
        ("rada-vote", ("absolute-majority", 450), True, None),
        ("presidential-signature", _T_NONE, True, None),
    ],
    "nl-states-general": [
        ("submitted", _T_NONE, True, None),
        ("approval", ("no-resolution-against", 30), True, None),
    ],
    "jp-diet": [
        ("cabinet-decision", _T_NONE, False, None),
        ("representatives-vote", _T_MAJORITY, True, None),
        ("councillors-vote", _T_MAJORITY, True, None),
        ("representatives-prevails", _T_NONE, False, "councillors-vote"),
    ],
    "tr-gna-law": [
        ("gna-vote", _T_MAJORITY, True, None),
        ("presidential-decision", _T_NONE, True, None),
    ],
    "generic": [
        ("approval", _T_NONE, True, None),
    ],
}
assert tuple(PROFILES) == PROFILE_IDS


def profile_step(profile, step):
    """(threshold, required, prevails over) of a step id in a profile, or None."""
    for sid, threshold, required, over in PROFILES[profile]:
        if sid == step:
            return threshold, required, over
    return None


def threshold_verdict(threshold, votes):
    """SPEC 14.1: True (passes) or False when the counts decide, None when the threshold
    does not decide (none, no-resolution-against). Python integers are exact."""
    f, a, b = votes["for"], votes["against"], votes["abstaining"]
    rule = threshold[0]
    if rule == "majority":
        return f > a
    if rule == "two-thirds-present":
        return 3 * f >= 2 * (f + a + b) and f > 0
    if rule == "absolute-majority":
        return 2 * f > threshold[1]
    return None


# ---------------------------------------------------------------------------
# The status engine (SPEC 15)
# ---------------------------------------------------------------------------
#
# Dates are kept as their `YYYY-MM-DD` strings: SPEC 6.2 says their byte order is
# their chronological order, so they are compared as strings.

# SPEC 15.3: the kinds of acts; every act names an instrument.
ACT_KINDS = ("commitment", "signature", "signature-confirmation", "procedure-step", "consent",
             "deposit-receipt", "deposit-return", "provisional-application",
             "intention-not-to-be-party", "withdrawal")
_DEPOSITARY_KINDS = ("deposit-receipt", "deposit-return")

# SPEC 6.8: the UN Treaty Collection's markers of the means of consent.
UNTC_MARKER = {"ratification": "", "acceptance": "A", "approval": "AA", "accession": "a"}


def plus_days(day, n):
    """SPEC 15.5 plus_days: the day n days after day, or None past 9999-12-31."""
    try:
        return (datetime.date.fromisoformat(day) + datetime.timedelta(days=n)).isoformat()
    except OverflowError:
        return None


def plus_months(day, n):
    """SPEC 15.5 plus_months: the same day number n calendar months later, clamped to
    the target month's last day, or None past 9999-12-31."""
    d = datetime.date.fromisoformat(day)
    y, m = divmod(d.year * 12 + (d.month - 1) + n, 12)
    if y > 9999:
        return None
    return datetime.date(y, m + 1, min(d.day, calendar.monthrange(y, m + 1)[1])).isoformat()


def utc_day(ms):
    """The UTC day of a claimed time (SPEC 2), as YYYY-MM-DD."""
    return (datetime.datetime(1970, 1, 1) + datetime.timedelta(milliseconds=ms)).date().isoformat()


class Item:
    """SPEC 15.2: an entry that is not a correction, with the payload that counts (its
    own, or its correction's replacement). It keeps the entry's id, seq and time."""

    __slots__ = ("entry", "kind", "p", "author", "seq", "id", "hex", "time", "correction",
                 "illustrative")

    def ref(self):
        """(member, seq, id) of the entry, as a proof lists it (SPEC 15.8)."""
        return (self.author, self.seq, self.id)

    def refs(self):
        """The entry, and the correction that superseded it if any (SPEC 15.8)."""
        out = [self.ref()]
        if self.correction is not None:
            c = self.correction
            out.append((c.author, c.seq, c.id))
        return out

    @property
    def date(self):
        """SPEC 15.3: an act's date is `notified` for a withdrawal, `date` otherwise."""
        return self.p["notified"] if self.kind == "withdrawal" else self.p["date"]

    def legal_order(self):
        """SPEC 15.5 legal order: date, then ledger order."""
        return (self.date, self.author.encode("ascii"), self.seq)

    def __repr__(self):
        return "%s %s #%d" % (self.kind, self.author, self.seq)


def ledger_order(entries):
    """SPEC 15: every verified entry, feeds in ascending member code, then seq."""
    return [e for code in sorted(entries, key=lambda c: c.encode("ascii")) for e in entries[code]]


def status_items(entries):
    """SPEC 15.2: (items in ledger order, ledger-level warnings). entries: member ->
    the valid prefix of its feed (Entry list)."""
    ledger = ledger_order(entries)
    by_id = {e.id: e for e in ledger}
    warnings = []
    winner = {}  # id of a superseded entry -> (correction Entry, its payload)
    for c in ledger:
        if c.kind != "correction":
            continue
        cp = json.loads(c.payload)
        place = "correction %s #%d" % (c.author, c.seq)
        target = by_id.get(bytes.fromhex(cp["entry"]))
        if target is None or target.kind == "note":
            # Rules 1 and 4 (the SPEC's wording lets an implementation keep no index of notes).
            warnings.append("%s ignored: entry %s is not in the ledger, or is a note"
                            % (place, cp["entry"]))
            continue
        if target.author != c.author:
            warnings.append("%s ignored: entry %s is in %s's feed (a member corrects only its "
                            "own feed)" % (place, cp["entry"], target.author))
            continue
        if target.kind in ("correction", "key-rotation", "key-revocation", "admission"):
            warnings.append("%s ignored: entry %s is a %s, which cannot be corrected"
                            % (place, cp["entry"], target.kind))
            continue
        if "kind" in cp and cp["kind"] != target.kind:
            warnings.append("%s ignored: its replacement is a %s, entry %s a %s"
                            % (place, cp["kind"], cp["entry"], target.kind))
            continue
        winner[target.id] = (c, cp)  # the latest in ledger order wins
    items = []
    for e in ledger:
        if e.kind == "correction":
            continue
        it = Item()
        it.entry, it.kind, it.author, it.seq, it.id, it.time = (e, e.kind, e.author, e.seq,
                                                              e.id, e.time)
        it.hex = e.id.hex()
        if e.id in winner:
            c, cp = winner[e.id]
            if "kind" not in cp:
                continue  # annulled: as if it had never been recorded
            it.p = cp["payload"]
            it.correction = c
            it.illustrative = bool(cp.get("illustrative") or it.p.get("illustrative"))
        else:
            it.p = json.loads(e.payload)
            it.correction = None
            it.illustrative = bool(it.p.get("illustrative"))
        items.append(it)
    return items, warnings


class Instrument:
    """A reported instrument (SPEC 15.3) and what SPEC 15.6 derives for it."""

    def __init__(self, item):
        self.item = item
        self.p = item.p
        self.id = item.id
        self.registrant = item.author
        self.legal = item.p["nature"] == "legal"
        self.depositary = item.p.get("depositary")
        self.rows = []
        self.commitments = []
        self.trigger = None
        self.in_force_on = None
        self.by = []  # [(start, member, Row, period)] of the trigger (SPEC 15.6)


class Row:
    """One member's row under one instrument (SPEC 15.4 to 15.8)."""

    def __init__(self, inst, member, acts, roster, as_of):
        self.inst = inst
        self.member = member
        self.name = roster.by_code[member]["name"]
        self.as_of = as_of
        self.warnings = []
        p = inst.p
        legal = inst.legal
        warn = self.warnings.append

        # -- dated after recording; dated before adoption; H in legal order (15.5)
        for a in acts:
            if a.date > utc_day(a.time):
                warn("%r is dated %s, after the day it was recorded (%s)"
                     % (a, a.date, utc_day(a.time)))
        h = []
        for a in acts:
            if a.kind == "commitment":
                continue
            if a.date < p["adopted"]:
                warn("%r is dated %s, before the instrument's adoption on %s: not counted"
                     % (a, a.date, p["adopted"]))
                continue
            h.append(a)
        h.sort(key=Item.legal_order)
        self.h = h
        mine = [a for a in h if a.kind not in _DEPOSITARY_KINDS]

        def of(kind):
            return [a for a in mine if a.kind == kind]

        # -- signature and its confirmation
        sigs = of("signature")
        self.sig = sigs[0] if sigs else None
        if len(sigs) > 1:
            warn("%d signatures: only the first, %r, is used" % (len(sigs), self.sig))
        self.confirmation = None
        for c in of("signature-confirmation"):
            if self.sig is None:
                why = "there is no signature"
            elif c.p["signature"] != self.sig.hex:
                why = "it names %s, not the signature used" % c.p["signature"]
            elif c.date < self.sig.date:
                why = "it is dated before the signature (%s)" % self.sig.date
            elif self.sig.p["type"] != "ad-referendum":
                why = "the signature used is not ad-referendum"
            elif self.confirmation is not None:
                why = "the signature is already confirmed"
            else:
                self.confirmation = c
                continue
            warn("confirmation %r ignored: %s" % (c, why))

        # -- profile
        self.roster_profile = roster.by_code[member]["profile"]
        self.proc_consent = next((c for c in of("consent") if "procedure" in c.p), None)
        self.procedure = self.profile_on(as_of)

        # -- steps: what the row shows is looked up in the profile on D; satisfaction on
        # a day X is judged under the profile on X (SPEC 15.5), so a later procedure
        # never rewrites an earlier day.
        self.steps = []
        for s in of("procedure-step"):
            found = profile_step(self.procedure, s.p["step"])
            st = {"act": s, "step": s.p["step"], "date": s.p["date"], "recorded": s.p["result"],
                  "result": s.p["result"], "required": False, "in_profile": found is not None,
                  "threshold": None, "prevails_over": None}
            if found is None:
                warn("step %r: %s is not a step of the profile %s"
                     % (s, s.p["step"], self.procedure))
            else:
                st["threshold"], st["required"], st["prevails_over"] = found
                verdict = threshold_verdict(found[0], s.p["votes"]) if "votes" in s.p else None
                if verdict is not None:
                    st["result"] = "passed" if verdict else "failed"
                    if verdict != (s.p["result"] == "passed"):
                        warn("step %r: the votes say %s, the record says %s"
                             % (s, st["result"], s.p["result"]))
            self.steps.append(st)

        # -- consents
        self.consents = []
        for c in of("consent"):
            means = c.p["means"]
            if not legal:
                why = "the instrument is political"
            elif means not in p["consent_means"]:
                why = "%s is not a means of consent of the instrument" % means
            elif member not in p["parties"]:
                why = "%s is not among the instrument's parties" % member
            elif (means in ("ratification", "acceptance", "approval")
                  and not p.get("ratification_without_signature")
                  and not (self.sig is not None and self.sig.date <= c.date)):
                why = "%s without a signature on or before %s (VCLT Art. 14(1))" % (means, c.date)
            else:
                why = None
            if why:
                warn("consent %r is not valid (%s): it establishes nothing" % (c, why))
            self.consents.append({"act": c, "valid": why is None, "established": None,
                                  "returned": None})
        by_consent_id = {c["act"].hex: c for c in self.consents}

        # -- provisional application
        provs = of("provisional-application")
        self.prov = None
        if not legal:
            for a in provs:
                warn("provisional application %r ignored: the instrument is political" % a)
        elif provs:
            self.prov = provs[0]
            for a in provs[1:]:
                warn("provisional application %r ignored: after the first" % a)
        self.prov_end = None

        self.periods = []
        self.returns = []  # [(consent record, day, return Item)]
        self.intention = None
        self.part_start = self.part_end = self.part_withdrawal = None
        if legal:
            self._periods(p, by_consent_id, mine)
            if self.prov is not None:
                ends = []
                if self.intention is not None and self.intention.date >= self.prov.date:
                    ends.append(self.intention.date)
                first = next((per for per in self.periods
                              if per["end"] is not None and per["end"] > self.prov.date), None)
                if first is not None:
                    ends.append(first["end"])
                # ASSUMPTION: `ended` is this day even when it is after D (a withdrawal's
                # effective day may be), as `withdrawal.effective` is.
                self.prov_end = min(ends) if ends else None
        else:
            self._participation(mine)

    # -- SPEC 15.5 ------------------------------------------------------------

    def profile_on(self, day):
        """The profile that applies on day: the first consent naming a procedure from its
        date on, the roster's before."""
        c = self.proc_consent
        return c.p["procedure"] if c is not None and day >= c.date else self.roster_profile

    def result_under(self, st, profile):
        """A listed step's result under `profile` (SPEC 15.5): None when its id is not a
        step of the profile (it never satisfies), else the counts' verdict where the
        profile's threshold decides, else the result recorded."""
        found = profile_step(profile, st["step"])
        if found is None:
            return None
        act = st["act"]
        if "votes" in act.p:
            verdict = threshold_verdict(found[0], act.p["votes"])
            if verdict is not None:
                return "passed" if verdict else "failed"
        return st["recorded"]

    def satisfied(self, step, day):
        """Step id `step` is satisfied on day, judged under the profile on day (SPEC
        15.5)."""
        profile = self.profile_on(day)
        def holds(sid):
            last = None
            for st in self.steps:
                if st["step"] == sid and st["date"] <= day:
                    last = st
            return (last is not None
                    and self.result_under(last, profile) in ("passed", "completed"))
        if holds(step):
            return True
        return any(over == step and holds(sid)
                   for sid, _, _, over in PROFILES[profile])

    def approved(self, day):
        profile = self.profile_on(day)
        required = [sid for sid, _, req, _ in PROFILES[profile] if req]
        if required:
            return all(self.satisfied(sid, day) for sid in required)
        # SPEC 15.5: a step that is not in the profile never approves.
        return any(st["date"] <= day
                   and self.result_under(st, profile) in ("passed", "completed")
                   for st in self.steps)

    def period_at(self, day):
        """The last period whose start is on or before day, or None."""
        last = None
        for per in self.periods:
            if per["start"] <= day:
                last = per
        return last

    def contracting(self, day):
        per = self.period_at(day)
        return per is not None and (per["end"] is None or per["end"] > day)

    def pending(self, day):
        """The consents pending on day, in legal order (SPEC 15.5)."""
        per = self.period_at(day)
        out = []
        for c in self.consents:
            d = c["act"].date
            if not c["valid"] or d > day:
                continue
            if c["established"] is not None and c["established"] <= day:
                continue
            if c["returned"] is not None and c["returned"] <= day:
                continue
            if per is not None and not d > per["start"]:
                continue
            if (self.intention is not None and self.intention.date <= day
                    and not d > self.intention.date):
                continue
            out.append(c)
        return out

    def _periods(self, p, by_consent_id, mine):
        """Contracting periods of a legal instrument from their events (SPEC 15.5)."""
        warn = self.warnings.append
        member = self.member
        events = []  # (day, class, author code, seq, what, Item, consent record)
        sig = self.sig
        if sig is not None:
            definitive = sig.p["type"] == "definitive" or (
                sig.p["type"] == "ad-referendum" and self.confirmation is not None)
            allowed = "signature" in p["consent_means"] and member in p["parties"]
            if definitive and allowed:
                src = self.confirmation if sig.p["type"] == "ad-referendum" else sig
                events.append((src.date, 0, src.author.encode(), src.seq, "signature", src, None))
            elif sig.p["type"] == "definitive":
                warn("definitive signature %r: the instrument does not allow consent by "
                     "signature for %s; it counts as a signature subject to ratification"
                     % (sig, member))
        for a in self.h:
            if a.kind in _DEPOSITARY_KINDS:
                c = by_consent_id.get(a.p["consent"])
                if c is None:
                    warn("%r ignored: %s is not one of %s's consents"
                         % (a, a.p["consent"], member))
                    continue
                day = max(a.date, c["act"].date)
                if a.kind == "deposit-receipt" and a.date < c["act"].date:
                    warn("receipt %r is dated %s, before the consent's date %s: it counts from "
                         "the consent's date" % (a, a.date, c["act"].date))
                cls = 1 if a.kind == "deposit-return" else 2
                events.append((day, cls, a.author.encode(), a.seq, a.kind, a, c))
        for a in mine:
            if a.kind == "withdrawal":
                events.append((a.date, 3, a.author.encode(), a.seq, "withdrawal", a, None))
            elif a.kind == "intention-not-to-be-party":
                events.append((a.date, 4, a.author.encode(), a.seq, "intention", a, None))
        events.sort(key=lambda ev: ev[:4])
        for day, _, _, _, what, a, c in events:
            if what == "signature":
                if not self.contracting(day):
                    self.periods.append({"start": day, "by": "definitive-signature", "source": a,
                                         "consent": None, "withdrawal": None, "end": None,
                                         "in_force": None})
                else:
                    warn("definitive signature %r: %s is already contracting on %s"
                         % (a, member, day))
            elif what == "deposit-return":
                # ASSUMPTION: a return's day, in the row's `returns` too, is the event's day
                # (the later of its `date` and the consent's date).
                if c["established"] is not None or c["returned"] is not None:
                    warn("return %r ignored: the consent is already %s"
                         % (a, "established" if c["established"] is not None else "returned"))
                else:
                    c["returned"] = day
                    self.returns.append((c, day, a))
            elif what == "deposit-receipt":
                if not c["valid"]:
                    why = "the consent is not valid"
                elif c["returned"] is not None:
                    why = "the consent was returned"
                elif c["established"] is not None:
                    why = "the consent is already established"
                elif self.contracting(day):
                    why = "%s is contracting on %s" % (member, day)
                elif self.intention is not None and c["act"].date <= self.intention.date:
                    why = "the consent is not after the intention not to become a party"
                else:
                    c["established"] = day
                    self.periods.append({"start": day, "by": "deposit-receipt", "source": a,
                                         "consent": c, "withdrawal": None, "end": None,
                                         "in_force": None})
                    continue
                warn("receipt %r ignored: %s" % (a, why))
            elif what == "withdrawal":
                if not self.contracting(day):
                    warn("withdrawal %r has no effect: %s is not contracting on %s"
                         % (a, member, day))
                    continue
                per = self.period_at(day)
                if per["withdrawal"] is not None:
                    warn("withdrawal %r ignored: the period already has one" % a)
                    continue
                wd = p["withdrawal"]
                months = wd["months"] if wd["rule"] == "after-notice" else 12
                earliest = plus_months(a.p["notified"], months) or a.p["effective"]
                effective = max(a.p["effective"], earliest)
                if a.p["effective"] < earliest:
                    warn("withdrawal %r: effective %s is before the notice period ends; "
                         "effective %s" % (a, a.p["effective"], effective))
                per["withdrawal"] = a
                per["effective"] = effective
                per["end"] = effective
            else:  # intention
                if self.contracting(day):
                    why = "%s is contracting on %s (it leaves by withdrawal)" % (member, day)
                elif self.intention is not None:
                    why = "an intention is already recorded"
                elif not ((self.sig is not None and self.sig.date <= day)
                          or (self.prov is not None and self.prov.date <= day)
                          or self.pending(day)):
                    why = "%s has no signature, provisional application or pending consent" % member
                else:
                    self.intention = a
                    continue
                warn("intention %r ignored: %s" % (a, why))

    def _participation(self, mine):
        """A political instrument: participation from the signature used (SPEC 15.5)."""
        warn = self.warnings.append
        if self.sig is not None:
            self.part_start = self.sig.date
        for a in mine:
            if a.kind == "withdrawal":
                n = a.p["notified"]
                if not self.participates(n):
                    warn("withdrawal %r has no effect: %s does not participate on %s"
                         % (a, self.member, n))
                elif self.part_withdrawal is not None:
                    warn("withdrawal %r ignored: a withdrawal was already used" % a)
                else:
                    self.part_withdrawal = a
                    self.part_end = a.p["effective"]
            elif a.kind == "intention-not-to-be-party":
                warn("intention %r ignored: the instrument is political" % a)

    def participates(self, day):
        return (self.part_start is not None and self.part_start <= day
                and (self.part_end is None or self.part_end > day))

    # -- SPEC 15.6, for one row ------------------------------------------------

    def set_in_force(self, inst):
        eif = inst.p["entry_into_force"]
        for per in self.periods:
            per["in_force"] = None
            if inst.trigger is None:
                continue
            if eif["rule"] == "after-deposits":
                day = plus_days(max(per["start"], inst.trigger), eif["days"])
            else:
                day = max(per["start"], inst.in_force_on)
            if day is not None and (per["end"] is None or day < per["end"]):
                per["in_force"] = day

    # -- SPEC 15.7 -------------------------------------------------------------

    def stage_on(self, day):
        """The stage on day, forks aside."""
        if not self.inst.legal:
            if self.part_end is not None and self.part_end <= day:
                return "withdrawn"
            return "signed" if self.participates(day) else "none"
        per = self.period_at(day)
        contracting = per is not None and (per["end"] is None or per["end"] > day)
        prov = (self.prov is not None and self.prov.date <= day
                and (self.prov_end is None or self.prov_end > day))
        if contracting and per["in_force"] is not None and per["in_force"] <= day:
            return "party"
        if contracting and prov:
            return "provisionally-applying"
        if contracting:
            return "bound"
        if prov:
            return "provisionally-applying"
        if self.pending(day):
            return "consent-expressed"
        if per is not None:
            return "withdrawn"
        if self.intention is not None and self.intention.date <= day:
            return "not-becoming-party"
        if self.approved(day):
            return "approved-domestically"
        if any(st["date"] <= day for st in self.steps):
            return "domestic-approval-in-progress"
        if self.sig is not None and self.sig.date <= day:
            return "signed"
        return "none"

    def change_days(self):
        """Every day on which the stage can change (SPEC 15.7 "History"), and more: every
        date the row knows. Trying extra days changes nothing."""
        days = {a.date for a in self.h}
        if self.confirmation is not None:
            days.add(self.confirmation.date)
        for per in self.periods:
            days.update(d for d in (per["start"], per["end"], per["in_force"]) if d)
        for c in self.consents:
            days.update(d for d in (c["established"], c["returned"]) if d)
        days.update(d for d in (self.prov_end, self.part_start, self.part_end) if d)
        return sorted(days)

    def finish(self, forked):
        """Stage, history, the row's fields, proof (SPEC 15.7, 15.8)."""
        inst, d = self.inst, self.as_of
        warn = self.warnings.append
        legal = inst.legal
        # Art. 46 warning (SPEC 15.5)
        if legal:
            given = set()
            for per in self.periods:
                given.add(per["start"] if per["by"] == "definitive-signature"
                          else per["consent"]["act"].date)
            pend = self.pending(d)
            if pend:
                given.add(pend[-1]["act"].date)
            for day in sorted(given):
                for sid, _, req, _ in PROFILES[self.profile_on(day)]:
                    if req and not self.satisfied(sid, day):
                        warn("consent given on %s without the required step %s of %s (VCLT "
                             "Art. 46): it binds all the same" % (day, sid, self.profile_on(day)))
        # history
        self.history = []
        prev = "none"
        for day in self.change_days():
            if day > d:
                break
            s = self.stage_on(day)
            if s != prev:
                self.history.append((day, s))
                prev = s
        self.since = self.history[-1][0] if self.history else None
        # depends_on
        deps = {self.member, inst.registrant}
        if inst.depositary:
            deps.add(inst.depositary)
        # ASSUMPTION: an in-force day after D counts as "has an in-force day".
        has_in_force = any(per["in_force"] is not None for per in self.periods)
        if has_in_force:
            deps.update(code for _, code, _, _ in inst.by)
        self.depends_on = sorted(deps, key=lambda c: c.encode("ascii"))
        self.forked_deps = [c for c in self.depends_on if c in forked]
        for c in self.forked_deps:
            warn("the status rests on %s's feed, which is forked" % c)
        self.disputed = bool(self.forked_deps)
        self.stage = "disputed" if self.disputed else self.stage_on(d)
        self.contracting_d = legal and self.contracting(d)
        self.bound = self.contracting_d and not self.disputed
        # the row's fields
        last = self.period_at(d) if legal else None
        self.last_period = last
        pend = self.pending(d) if legal else []
        # ASSUMPTION: a last period established by definitive signature shows no consent
        # (the parenthesis of SPEC 15.7 ends the rule, it does not fall through). For a
        # political instrument, which has no periods, M's last consent is shown.
        if pend:
            self.consent = pend[-1]["act"]
        elif last is not None:
            self.consent = last["consent"]["act"] if last["consent"] is not None else None
        else:
            self.consent = self.consents[-1]["act"] if self.consents else None
        # proof
        proof = set()
        chosen = [inst.item]

        def add(*its):
            chosen.extend(x for x in its if x is not None)

        add(self.sig, self.confirmation, self.consent, self.proc_consent, self.intention)
        add(*(st["act"] for st in self.steps))
        for per in self.periods:
            if per["consent"] is not None:
                add(per["consent"]["act"], per["source"])
            add(per["withdrawal"])
        add(*(a for _, _, a in self.returns))
        if legal:
            add(self.prov)
        else:
            add(self.part_withdrawal)
        if has_in_force:
            for _, _, _, per in inst.by:
                add(per["consent"]["act"] if per["consent"] is not None else None, per["source"])
        for it in chosen:
            proof.update(it.refs())
        self.proof = sorted(proof, key=lambda r: (r[0].encode("ascii"), r[1]))
        self.illustrative = any(it.illustrative for it in chosen)


def compute_status(roster, entries, forked, as_of):
    """SPEC 15: the status as of day as_of (YYYY-MM-DD) of a verified ledger. entries:
    member -> the valid prefix of its feed; forked: the members with a valid fork proof.
    Returns (reported Instruments in ledger order, ledger-level warnings)."""
    items, warnings = status_items(entries)
    registered = {it.id: it for it in items if it.kind == "instrument"}
    instruments = [Instrument(it) for it in items
                   if it.kind == "instrument" and it.p["adopted"] <= as_of]
    # SPEC 15.3: file the acts under (instrument, member concerned)
    filed = {}
    for it in items:
        if it.kind not in ACT_KINDS:
            continue
        iid = bytes.fromhex(it.p["instrument"])
        if iid not in registered:
            warnings.append("%r names %s, which is not a registered instrument"
                            % (it, it.p["instrument"]))
            continue
        if it.date > as_of:
            continue
        member = it.p["member"] if it.kind in _DEPOSITARY_KINDS else it.author
        filed.setdefault(iid, {}).setdefault(member, []).append(it)
    for inst in instruments:
        short = inst.p["short"]
        # SPEC 15.4
        acts_of = {}
        for member, acts in filed.get(inst.id, {}).items():
            kept = []
            for a in acts:
                if a.kind in _DEPOSITARY_KINDS and a.author != inst.depositary:
                    warnings.append("%s: %r ignored: not written by the depositary (%s)"
                                    % (short, a, inst.depositary or "none: political"))
                    continue
                kept.append(a)
            if kept:
                acts_of[member] = kept
        codes = set(inst.p["parties"]) | set(acts_of)
        for code in sorted(codes, key=lambda c: c.encode("ascii")):
            if code not in roster.by_code:
                warnings.append("%s: %s is not a roster member: no row" % (short, code))
                continue
            inst.rows.append(Row(inst, code, acts_of.get(code, []), roster, as_of))
        inst.commitments = sorted(
            (a for row in inst.rows for a in acts_of.get(row.member, [])
             if a.kind == "commitment"),
            key=lambda a: (a.author.encode("ascii"), a.p["date"], a.seq))
        # SPEC 15.6
        if inst.legal:
            _entry_into_force(inst)
        for row in inst.rows:
            row.set_in_force(inst)
        for row in inst.rows:
            row.finish(forked)
    return instruments, warnings


def _entry_into_force(inst):
    """SPEC 15.6: the trigger, `in_force_by` and the instrument's `in_force_on`."""
    starts = sorted({per["start"] for row in inst.rows for per in row.periods})

    def contracting_rows(day):
        # ASSUMPTION: a disputed row (SPEC 15.7) counts like any other: contracting is
        # a matter of periods, forks aside.
        out = []
        for row in inst.rows:
            per = row.period_at(day)
            if per is not None and (per["end"] is None or per["end"] > day):
                out.append((per["start"], row.member, row, per))
        out.sort(key=lambda r: (r[0], r[1].encode("ascii")))
        return out

    def first(n, frm=None):
        candidates = starts if frm is None else [frm] + [s for s in starts if s > frm]
        for day in candidates:
            rows = contracting_rows(day)
            if len(rows) >= n:
                return day, rows[:n]
        return None, []

    eif = inst.p["entry_into_force"]
    if eif["rule"] == "on-consent":
        trigger, by = first(1)
        in_force_on = trigger
    elif eif["rule"] == "on-date":
        trigger, by = first(1, eif["date"])
        in_force_on = trigger
    else:  # after-deposits
        trigger, by = first(eif["deposits"])
        in_force_on = plus_days(trigger, eif["days"]) if trigger is not None else None
    if trigger is None or in_force_on is None:
        trigger, by, in_force_on = None, [], None
    inst.trigger, inst.by, inst.in_force_on = trigger, by, in_force_on


def status_normalised(instruments, as_of):
    """The normalised form that two implementations must agree on (warnings aside)."""
    out = []
    for inst in instruments:
        rows = []
        for r in inst.rows:
            last = r.last_period
            sig = None
            if r.sig is not None:
                sig = {"date": r.sig.date, "type": r.sig.p["type"],
                       "confirmed": r.confirmation.date if r.confirmation is not None else None}
            consent = None
            if r.consent is not None:
                consent = {"date": r.consent.date, "means": r.consent.p["means"],
                           "entry": r.consent.hex}
            established = None
            withdrawal = None
            if last is not None:
                established = {"date": last["start"], "by": last["by"],
                               "entry": last["source"].hex}
                if last["withdrawal"] is not None:
                    withdrawal = {"notified": last["withdrawal"].p["notified"],
                                  "effective": last["effective"],
                                  "entry": last["withdrawal"].hex}
            elif r.part_withdrawal is not None:
                w = r.part_withdrawal
                withdrawal = {"notified": w.p["notified"], "effective": w.p["effective"],
                              "entry": w.hex}
            rows.append({
                "member": r.member,
                "stage": r.stage,
                "since": r.since,
                "contracting": r.contracting_d,
                "history": [{"from": day, "stage": s} for day, s in r.history],
                "procedure": r.procedure,
                "signature": sig,
                "steps": [{"step": st["step"], "date": st["date"], "result": st["result"],
                           "required": st["required"]} for st in r.steps],
                "consent": consent,
                "established": established,
                "in_force_on": last["in_force"] if last is not None else None,
                "withdrawal": withdrawal,
                "periods": [{"start": per["start"], "by": per["by"],
                             "in_force_on": per["in_force"], "end": per["end"]}
                            for per in r.periods],
                "returns": [{"consent": c["act"].hex, "date": day} for c, day, _ in r.returns],
                "intention": r.intention.date if r.intention is not None else None,
                "provisional": ({"date": r.prov.date, "ended": r.prov_end}
                                if r.prov is not None else None),
                "depends_on": r.depends_on,
                "proof": [ref[2].hex() for ref in r.proof],
                "illustrative": r.illustrative,
            })
        counts = {
            "signed": sum(1 for r in inst.rows if r.sig is not None),
            "bound": sum(1 for r in inst.rows if r.bound),
            "parties": sum(1 for r in inst.rows if r.stage == "party"),
            "withdrawn": sum(1 for r in inst.rows if r.stage == "withdrawn"),
            "disputed": sum(1 for r in inst.rows if r.stage == "disputed"),
        }
        out.append({"id": inst.id.hex(), "short": inst.p["short"],
                    "in_force_on": inst.in_force_on,
                    "in_force_by": [code for _, code, _, _ in inst.by],
                    "counts": counts, "members": rows})
    return {"as_of": as_of, "instruments": out}


def status_of_bundle(roster, data, as_of):
    """Verifies the bundle (SPEC 9) and computes its status (SPEC 15). Returns
    (verification report, instruments, ledger-level warnings); the status parts are
    None when the ledger is not valid as a whole (SPEC 15.1)."""
    rep = verify_ledger(roster, data)
    if not rep["valid"]:
        return rep, None, None
    instruments, warnings = compute_status(roster, rep["entries"], set(rep["disputed"]), as_of)
    return rep, instruments, warnings


def _valid_day(s):
    try:
        t_date(s, "as-of")
    except PayloadError:
        return False
    return True


def run_status(roster_path, bundle_path, as_of, as_json):
    """The `status` command: the status as of a day (SPEC 15)."""
    try:
        with open(roster_path, "rb") as f:
            roster = parse_roster(f.read().decode("utf-8"))
    except (OSError, UnicodeDecodeError, RosterError) as ex:
        print("error: roster %s: %s" % (roster_path, ex), file=sys.stderr)
        return 2
    try:
        with open(bundle_path, "rb") as f:
            data = f.read()
    except OSError as ex:
        print("error: bundle %s: %s" % (bundle_path, ex), file=sys.stderr)
        return 2
    if as_of is None:
        as_of = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    if not _valid_day(as_of):
        print("error: --as-of %r is not a date YYYY-MM-DD" % as_of, file=sys.stderr)
        return 2
    rep, instruments, warnings = status_of_bundle(roster, data, as_of)
    if instruments is None:
        print("INVALID ledger: no status (SPEC 15.1)")
        for e in rep["errors"]:
            print("error: %s: %s: %s" % (e["place"], e["reason"], e.get("message", "")))
        return 1
    if as_json:
        print(json.dumps(status_normalised(instruments, as_of), indent=2, ensure_ascii=False))
        return 0
    print("Status as of %s, network %s" % (as_of, roster.network))
    for inst in instruments:
        p = inst.p
        print()
        print("%s  %s (%s, adopted %s)%s" % (p["short"], p["title"], p["nature"], p["adopted"],
                                            "  [illustrative]" if inst.item.illustrative else ""))
        print("  id %s, registered by %s" % (inst.id.hex(), inst.registrant))
        if inst.legal:
            print("  in force: %s%s" % (inst.in_force_on or "no",
                                        " (by %s)" % ", ".join(c for _, c, _, _ in inst.by)
                                        if inst.by else ""))
        for r in inst.rows:
            print("  %-5s %-30s since %-10s  depends on %s%s"
                  % (r.member, r.stage, r.since or "-", ", ".join(r.depends_on),
                     "  [illustrative]" if r.illustrative else ""))
            for w in r.warnings:
                print("        warning: %s" % w)
    for w in warnings:
        print("warning: %s" % w)
    return 0


def _diff(want, got, path, out, limit=20):
    """Readable differences between two JSON values; lists of instruments and members
    are matched by id and code."""
    if len(out) >= limit:
        return
    if isinstance(want, dict) and isinstance(got, dict):
        for k in list(want) + [k for k in got if k not in want]:
            if k not in got:
                out.append("%s.%s: missing (expected %s)" % (path, k, json.dumps(want[k])))
            elif k not in want:
                out.append("%s.%s: unexpected (got %s)" % (path, k, json.dumps(got[k])))
            else:
                _diff(want[k], got[k], "%s.%s" % (path, k), out, limit)
        return
    if isinstance(want, list) and isinstance(got, list):
        key = None
        if all(isinstance(x, dict) for x in want + got):
            for k in ("id", "member"):
                if all(k in x for x in want + got):
                    key = k
                    break
        if key is not None:
            wk = [x[key] for x in want]
            gk = [x[key] for x in got]
            if wk != gk:
                out.append("%s: %ss %s expected, got %s" % (path, key, wk, gk))
            gm = {x[key]: x for x in got}
            for x in want:
                if x[key] in gm:
                    label = x.get("short", x[key]) if key == "id" else x[key]
                    _diff(x, gm[x[key]], "%s[%s]" % (path, label), out, limit)
            return
        if len(want) == len(got):
            for i, (a, b) in enumerate(zip(want, got)):
                _diff(a, b, "%s[%d]" % (path, i), out, limit)
            return
        if all(isinstance(x, str) for x in want + got):
            missing = [x for x in want if x not in got]
            extra = [x for x in got if x not in want]
            out.append("%s: %d items expected, got %d; missing %s, extra %s"
                       % (path, len(want), len(got), json.dumps(missing), json.dumps(extra)))
            return
    if want != got:
        out.append("%s: expected %s, got %s" % (path, json.dumps(want), json.dumps(got)))


class _Builder:
    """Signs a ledger for the status self-test: one feed per member, keys from
    _selftest_seed, claimed times after every date used (no "dated after recording")."""

    def __init__(self, roster):
        self.roster = roster
        self.feeds = {}

    def add(self, author, kind, fields):
        """fields: the payload's members in schema order (None values left out)."""
        value = {k: v for k, v in fields.items() if v is not None}
        payload = canonical_json(value).encode("utf-8")
        problem = payload_problem(kind, payload)
        if problem:
            raise AssertionError("self-test payload refused: %s" % problem)
        feed = self.feeds.setdefault(author, [])
        prev = feed[-1][1] if feed else None
        time = 4102444800000 + 1000 * (len(feed) + 1)  # 2100-01-01
        raw, eid = make_entry(_selftest_seed(author), self.roster.network_id, author,
                              len(feed) + 1, prev, time, kind, payload)
        feed.append((raw, eid))
        return eid.hex()

    def status(self, as_of):
        data = make_bundle(self.roster.network_id,
                           [(c, [raw for raw, _ in self.feeds[c]]) for c in sorted(self.feeds)])
        rep = verify_ledger(self.roster, data)
        if not rep["valid"]:
            raise AssertionError("self-test ledger invalid: %s" % rep["errors"])
        instruments, _ = compute_status(self.roster, rep["entries"], set(rep["disputed"]), as_of)
        return status_normalised(instruments, as_of)


def _worked_example(probs, returned=False):
    """SPEC 15.11, step by step, each claim checked as of the day the SPEC names.
    returned: the variant of its last sentence (GB's first instrument returned)."""
    profiles = {"DE": "de-art59", "FR": "fr-art53", "GB": "gb-crag2010",
                "NL": "nl-states-general", "UA": "ua-rada-law", "US": "us-article-ii"}
    text = 'network = "pacta-selftest"\n'
    for code in sorted(profiles):
        text += ('\n[[member]]\ncode = "%s"\nname = "%s land"\nkey = "%s"\n'
                 'node = "http://127.0.0.1:7001"\nprofile = "%s"\n'
                 % (code, code, _pub(_selftest_seed(code)).hex(), profiles[code]))
    b = _Builder(parse_roster(text))
    i = b.add("FR", "instrument", {
        "short": "guarantees", "title": "Treaty on security guarantees for Ukraine",
        "nature": "legal", "adopted": "2026-03-02",
        "parties": ["DE", "FR", "GB", "NL", "UA", "US"], "depositary": "FR",
        "consent_means": list(CONSENT_MEANS),
        "entry_into_force": {"rule": "after-deposits", "deposits": 3, "days": 30},
        "withdrawal": {"rule": "after-notice", "months": 12}})

    def sign(m, date):
        b.add(m, "signature", {"instrument": i, "type": "subject-to-ratification", "date": date})

    def steps(m, date):
        for sid, threshold, required, _ in PROFILES[profiles[m]]:
            if required:
                result = "completed" if threshold == _T_NONE else "passed"
                b.add(m, "procedure-step", {"instrument": i, "step": sid, "body": "b",
                                            "action": "a", "date": date, "result": result})

    def consent(m, means, date):
        return b.add(m, "consent", {"instrument": i, "means": means, "date": date})

    def receipt(m, c, date, kind="deposit-receipt"):
        fields = {"instrument": i, "member": m, "consent": c, "date": date}
        if kind == "deposit-return":
            fields["reason"] = "not signed by the Head of State"
        b.add("FR", kind, fields)

    def row(status, m):
        for r in status["instruments"][0]["members"]:
            if r["member"] == m:
                return r
        return None

    def check(as_of, what, got, want):
        if got != want:
            probs.append("%sas of %s, %s: %r, expected %r"
                         % ("(returned variant) " if returned else "", as_of, what, got, want))

    consents = {}
    for m in ("UA", "FR", "GB"):
        sign(m, "2026-03-02")
        steps(m, "2026-03-10")
        consents[m] = consent(m, "ratification", "2026-03-20")
    receipt("UA", consents["UA"], "2026-04-02")
    receipt("FR", consents["FR"], "2026-05-06")
    if returned:
        # "Had GB's first instrument been returned ... GB's next proper instrument would
        # have counted."
        receipt("GB", consents["GB"], "2026-05-10", "deposit-return")
        consents["GB"] = consent("GB", "ratification", "2026-05-15")
    receipt("GB", consents["GB"], "2026-05-19")
    st = b.status("2026-11-22")
    inst = st["instruments"][0]
    check("2026-11-22", "in_force_by", inst["in_force_by"], ["UA", "FR", "GB"])
    check("2026-11-22", "in_force_on", inst["in_force_on"], "2026-06-18")
    for m, start in (("UA", "2026-04-02"), ("FR", "2026-05-06"), ("GB", "2026-05-19")):
        r = row(st, m)
        check("2026-11-22", "%s stage" % m, r["stage"], "party")
        check("2026-11-22", "%s period" % m, [(p["start"], p["in_force_on"]) for p in r["periods"]],
              [(start, "2026-06-18")])
    check("2026-11-22", "GB depends_on", row(st, "GB")["depends_on"], ["FR", "GB", "UA"])
    gb_history = [("2026-03-02", "signed"), ("2026-03-10", "approved-domestically"),
                  ("2026-03-20", "consent-expressed"), ("2026-05-19", "bound"),
                  ("2026-06-18", "party")]
    if returned:
        gb_history[3:3] = [("2026-05-10", "approved-domestically"),
                           ("2026-05-15", "consent-expressed")]
        check("2026-11-22", "GB returns", [x["date"] for x in row(st, "GB")["returns"]],
              ["2026-05-10"])
    check("2026-11-22", "GB history",
          [(h["from"], h["stage"]) for h in row(st, "GB")["history"]], gb_history)
    check("2026-11-22", "GB since", row(st, "GB")["since"], "2026-06-18")
    check("2026-11-22", "counts", (inst["counts"]["bound"], inst["counts"]["parties"]), (3, 3))
    for day, stage in (("2026-06-17", "bound"), ("2026-06-18", "party")):
        st = b.status(day)
        check(day, "stages", [row(st, m)["stage"] for m in ("UA", "FR", "GB")], [stage] * 3)
    st = b.status("2026-05-18")
    check("2026-05-18", "GB stage", row(st, "GB")["stage"], "consent-expressed")
    check("2026-05-18", "contracting", sum(r["contracting"] for r in
                                           st["instruments"][0]["members"]), 2)
    check("2026-05-18", "in_force_on", st["instruments"][0]["in_force_on"], None)
    if returned:
        return

    # NL
    sign("NL", "2026-03-02")
    b.add("NL", "procedure-step", {"instrument": i, "step": "submitted", "body": "b",
                                   "action": "a", "date": "2026-04-01", "result": "completed"})
    b.add("NL", "procedure-step", {"instrument": i, "step": "approval", "body": "b",
                                   "action": "a", "date": "2026-05-01", "result": "passed"})
    receipt("NL", consent("NL", "acceptance", "2026-06-05"), "2026-06-10")
    st = b.status("2026-11-22")
    check("2026-11-22", "in_force_on (NL)", st["instruments"][0]["in_force_on"], "2026-06-18")
    check("2026-11-22", "NL in_force_on", row(st, "NL")["in_force_on"], "2026-07-10")
    check("2026-11-22", "NL depends_on", row(st, "NL")["depends_on"], ["FR", "GB", "NL", "UA"])
    check("2026-11-22", "NL marker", UNTC_MARKER[row(st, "NL")["consent"]["means"]], "A")
    for day, stage in (("2026-07-09", "bound"), ("2026-07-10", "party")):
        check(day, "NL stage", row(b.status(day), "NL")["stage"], stage)

    # GB withdraws: twelve months' notice
    b.add("GB", "withdrawal", {"instrument": i, "notified": "2026-10-01",
                               "effective": "2026-11-01"})
    check("2027-09-30", "GB stage", row(b.status("2027-09-30"), "GB")["stage"], "party")
    st = b.status("2027-10-01")
    check("2027-10-01", "GB stage", row(st, "GB")["stage"], "withdrawn")
    check("2027-10-01", "GB effective", row(st, "GB")["withdrawal"]["effective"], "2027-10-01")
    c = st["instruments"][0]["counts"]
    check("2027-10-01", "counts", (c["bound"], c["withdrawn"]), (3, 1))
    check("2026-09-30", "GB withdrawal", row(b.status("2026-09-30"), "GB")["withdrawal"], None)

    # GB accedes
    receipt("GB", consent("GB", "accession", "2028-01-10"), "2028-01-20")
    for day, stage in (("2028-01-15", "consent-expressed"), ("2028-01-20", "bound"),
                       ("2028-02-19", "party")):
        check(day, "GB stage", row(b.status(day), "GB")["stage"], stage)
    r = row(b.status("2028-03-01"), "GB")
    check("2028-03-01", "GB history (end)", [(h["from"], h["stage"]) for h in r["history"][-4:]],
          [("2027-10-01", "withdrawn"), ("2028-01-10", "consent-expressed"),
           ("2028-01-20", "bound"), ("2028-02-19", "party")])
    check("2028-03-01", "GB periods", len(r["periods"]), 2)


def run_status_example():
    """The `status-example` command: a self-test of the status engine against the
    examples the SPEC itself gives (14.1 thresholds, 15.5 day arithmetic, 15.11)."""
    results = []

    def group(name, problems):
        ok = not problems
        results.append(ok)
        print("%s %s" % ("PASS" if ok else "FAIL", name))
        for p in problems:
            print("     - %s" % p)

    probs = []
    two_thirds = ("two-thirds-present",)
    for votes, want in (((60, 30, 0), True), ((66, 34, 0), False), ((67, 33, 0), True),
                        ((0, 0, 0), False)):
        got = threshold_verdict(two_thirds, dict(zip(("for", "against", "abstaining"), votes)))
        if got != want:
            probs.append("two-thirds-present %s: %s, expected %s" % (votes, got, want))
    for f, want in ((226, True), (225, False)):
        got = threshold_verdict(("absolute-majority", 450), {"for": f, "against": 0,
                                                              "abstaining": 0})
        if got != want:
            probs.append("absolute-majority of 450 with %d for: %s" % (f, got))
    if threshold_verdict(("absolute-majority", 450), {"for": 226, "against": 4294967295,
                                                      "abstaining": 4294967295}) is not True:
        probs.append("absolute-majority: other counts must not matter")
    for rule in (("none",), ("no-resolution-against", 21)):
        if threshold_verdict(rule, {"for": 0, "against": 9, "abstaining": 0}) is not None:
            probs.append("%s: votes must not decide" % rule[0])
    group("SPEC 14.1 threshold examples", probs)

    probs = []
    for day, n, want in (("2026-03-31", 1, "2026-04-30"), ("2027-01-31", 1, "2027-02-28"),
                         ("2028-02-29", 12, "2029-02-28"), ("9999-12-01", 1, None)):
        if plus_months(day, n) != want:
            probs.append("plus_months(%s, %d) = %s, expected %s"
                         % (day, n, plus_months(day, n), want))
    for day, n, want in (("2026-05-19", 30, "2026-06-18"), ("9999-12-31", 1, None)):
        if plus_days(day, n) != want:
            probs.append("plus_days(%s, %d) = %s, expected %s" % (day, n, plus_days(day, n), want))
    group("SPEC 15.5 day arithmetic examples", probs)

    probs = []
    _worked_example(probs)
    _worked_example(probs, returned=True)
    group("SPEC 15.11 worked example, with a ledger signed here (and its returned variant)",
          probs)
    ok = all(results)
    print("ALL PASS" if ok else "SOME CHECKS FAILED")
    return 0 if ok else 1


def run_status_vectors(path):
    """The `status-vectors` command: every case and day of a status vector file."""
    with open(path, "rb") as f:
        vec = json.load(f)
    failed = 0
    total = 0
    for case in vec["cases"]:
        name = case["name"]
        try:
            roster = parse_roster(case["roster_toml"])
        except RosterError as ex:
            print("FAIL %s: roster rejected: %s" % (name, ex))
            failed += 1
            continue
        rep = verify_ledger(roster, bytes.fromhex(case["bundle_hex"]))
        if not rep["valid"]:
            print("FAIL %s: the ledger is not valid: %s" % (name, rep["errors"][:1]))
            failed += 1
            continue
        for day in case["days"]:
            total += 1
            as_of = day["as_of"]
            instruments, _ = compute_status(roster, rep["entries"], set(rep["disputed"]), as_of)
            got = status_normalised(instruments, as_of)
            diffs = []
            _diff(day["expected"], got, "status", diffs)
            if diffs:
                failed += 1
                print("FAIL %s as of %s" % (name, as_of))
                for d in diffs:
                    print("     - %s" % d)
            else:
                print("PASS %s as of %s" % (name, as_of))
    print("ALL PASS" if not failed else "%d OF %d CHECKS FAILED" % (failed, total))
    return 0 if not failed else 1


# ---------------------------------------------------------------------------
# bundle command
# ---------------------------------------------------------------------------


def run_bundle(roster_path, bundle_path, as_json):
    try:
        with open(roster_path, "rb") as f:
            rtext = f.read().decode("utf-8")
        roster = parse_roster(rtext)
    except (OSError, UnicodeDecodeError, RosterError) as ex:
        print("error: roster %s: %s" % (roster_path, ex), file=sys.stderr)
        return 2
    try:
        with open(bundle_path, "rb") as f:
            data = f.read()
    except OSError as ex:
        print("error: bundle %s: %s" % (bundle_path, ex), file=sys.stderr)
        return 2
    rep = verify_ledger(roster, data)
    if as_json:
        out = {"valid": rep["valid"], "network": rep["network"],
               "network_name": rep["network_name"],
               "verified_entries": rep["verified_entries"],
               "heads": {m: {"seq": h["seq"], "id": h["id"]} for m, h in rep["heads"].items()},
               "disputed": rep["disputed"],
               "forks": rep["forks"],
               "checkpoint": rep["checkpoint"],
               "errors": rep["errors"]}
        print(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        print("%s: network %s (%s)" % ("VALID" if rep["valid"] else "INVALID",
                                       rep["network_name"], rep["network"]))
        print("verified entries: %d" % rep["verified_entries"])
        for m in roster.members:
            h = rep["heads"].get(m["code"])
            flag = "  DISPUTED" if m["code"] in rep["disputed"] else ""
            if h:
                print("  %-5s head #%d %s%s" % (m["code"], h["seq"], h["id"], flag))
            else:
                print("  %-5s (no verified entries)%s" % (m["code"], flag))
        if rep["disputed"]:
            print("disputed: %s" % ", ".join(rep["disputed"]))
        cp = rep["checkpoint"]
        if cp:
            print("checkpoint: node %s at %s, signed by %s (quorum %d), %d entries, %d beyond"
                  % (cp["node"], cp["time"], ", ".join(cp["signers"]), cp["quorum"],
                     cp["entries"], cp["beyond"]))
        else:
            print("checkpoint: none verified")
        for e in rep["errors"]:
            print("error: %s: %s: %s" % (e["place"], e["reason"], e.get("message", "")))
    return 0 if rep["valid"] else 1


def main(argv):
    usage = ("usage: pacta_verify.py vectors PATH/vectors.json\n"
             "       pacta_verify.py signatures PATH/signatures.json\n"
             "       pacta_verify.py payloads [PATH/SPEC.md]\n"
             "       pacta_verify.py checkpoints [PATH/SPEC.md]\n"
             "       pacta_verify.py bundle --roster ROSTER.toml --bundle FILE.bundle [--json]\n"
             "       pacta_verify.py status --roster ROSTER.toml --bundle FILE.bundle "
             "[--as-of YYYY-MM-DD] [--json]\n"
             "       pacta_verify.py status-vectors PATH/status.json\n"
             "       pacta_verify.py status-example")
    if argv and argv[0] == "payloads" and len(argv) <= 2:
        try:
            return run_payloads(argv[1] if len(argv) == 2 else None)
        except OSError as ex:
            print("error: %s" % ex, file=sys.stderr)
            return 2
    if argv and argv[0] == "checkpoints" and len(argv) <= 2:
        try:
            return run_checkpoints(argv[1] if len(argv) == 2 else None)
        except (OSError, RosterError) as ex:
            print("error: %s" % ex, file=sys.stderr)
            return 2
    if len(argv) == 2 and argv[0] == "signatures":
        try:
            return run_signatures(argv[1])
        except (OSError, ValueError, KeyError) as ex:
            print("error: %s" % ex, file=sys.stderr)
            return 2
    if len(argv) == 2 and argv[0] == "vectors":
        try:
            return run_vectors(argv[1])
        except (OSError, ValueError, KeyError) as ex:
            print("error: %s" % ex, file=sys.stderr)
            return 2
    if argv == ["status-example"]:
        return run_status_example()
    if len(argv) == 2 and argv[0] == "status-vectors":
        try:
            return run_status_vectors(argv[1])
        except (OSError, ValueError, KeyError) as ex:
            print("error: %s" % ex, file=sys.stderr)
            return 2
    if argv and argv[0] == "status":
        opts = {"--roster": None, "--bundle": None, "--as-of": None}
        as_json = False
        args = argv[1:]
        i = 0
        while i < len(args):
            if args[i] == "--json":
                as_json = True
                i += 1
            elif args[i] in opts and i + 1 < len(args):
                opts[args[i]] = args[i + 1]
                i += 2
            else:
                print(usage, file=sys.stderr)
                return 2
        if opts["--roster"] is None or opts["--bundle"] is None:
            print(usage, file=sys.stderr)
            return 2
        return run_status(opts["--roster"], opts["--bundle"], opts["--as-of"], as_json)
    if argv and argv[0] == "bundle":
        roster = bundle = None
        as_json = False
        args = argv[1:]
        i = 0
        while i < len(args):
            a = args[i]
            if a == "--json":
                as_json = True
                i += 1
            elif a in ("--roster", "--bundle") and i + 1 < len(args):
                if a == "--roster":
                    roster = args[i + 1]
                else:
                    bundle = args[i + 1]
                i += 2
            else:
                print(usage, file=sys.stderr)
                return 2
        if roster is None or bundle is None:
            print(usage, file=sys.stderr)
            return 2
        return run_bundle(roster, bundle, as_json)
    print(usage, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
