#!/usr/bin/env python3
"""Independent Pacta verifier, written from SPEC.md (format version 1) alone.

Standard library only. It contains its own Ed25519 (RFC 8032) with the strict
verification rules of SPEC.md section 4.2.

Usage:
  pacta_verify.py vectors PATH/vectors.json
  pacta_verify.py bundle --roster ROSTER.toml --bundle FILE.bundle [--json]

Points where SPEC.md left a choice open, and what this verifier assumes, are
marked "ASSUMPTION" in the comments below.
"""

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


def verify_strict(key, msg, sig):
    """SPEC 4.2 strict Ed25519 verification."""
    if len(key) != 32 or len(sig) != 64:
        return False
    r_bytes, s_bytes = sig[:32], sig[32:]
    s = int.from_bytes(s_bytes, "little")
    if s >= L:
        return False
    r_pt = point_decompress(r_bytes)
    if r_pt is None or is_small_order(r_pt):
        return False
    a_pt = _valid_key_point(bytes(key))
    if a_pt is None:
        return False
    k = int.from_bytes(hashlib.sha512(r_bytes + key + msg).digest(), "little") % L
    check = _double_scalarmult(s, BASE, k, _neg(a_pt))
    return point_compress(check) == r_bytes


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
        if not verify_strict(pub_b, msg_b, sig_b):
            problems.append("TEST %d: does not verify" % i)
        bad = bytearray(sig_b)
        bad[0] ^= 1
        if verify_strict(pub_b, msg_b, bytes(bad)):
            problems.append("TEST %d: flipped signature verifies" % i)
        if verify_strict(pub_b, msg_b + b"x", sig_b):
            problems.append("TEST %d: other message verifies" % i)
        s = int.from_bytes(sig_b[32:], "little") + L
        if verify_strict(pub_b, msg_b, sig_b[:32] + s.to_bytes(32, "little")):
            problems.append("TEST %d: S + L accepted" % i)
    # Small-order and non-canonical keys must be rejected (SPEC 3.3).
    ident = (1).to_bytes(32, "little")
    if decode_public_key(ident) is not None:
        problems.append("identity accepted as a key")
    if decode_public_key((P - 1).to_bytes(32, "little")) is not None:
        problems.append("order-2 point accepted as a key")
    if decode_public_key((P + 1).to_bytes(32, "little")) is not None:
        problems.append("non-canonical y accepted as a key")
    # The identity R with S = 0 "verifies" cofactorless for a small-order key;
    # strict verification rejects it through the R / key checks.
    if verify_strict(ident, b"m", ident + bytes(32)):
        problems.append("small-order R/key accepted")
    return problems


# ---------------------------------------------------------------------------
# Identifiers (SPEC 2)
# ---------------------------------------------------------------------------

MAX_TIME = 253402300799999
MAX_PAYLOAD = 65536
MAX_ENTRY = 65772
ENTRY_TAG = b"pacta/entry\x00"
NETWORK_TAG = b"pacta/network\x00"
BUNDLE_MAGIC = b"pacta/bundle\x00"

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
    def __init__(self, network, members):
        self.network = network  # str
        self.members = members  # list of dicts, file order
        self.by_code = {m["code"]: m for m in members}
        self.preimage = network_preimage(network, [(m["code"], m["key_bytes"]) for m in members])
        self.network_id = hashlib.sha256(self.preimage).digest()


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
            return host not in ("", "[]") and not any(c.isspace() for c in url)
    return False


def parse_roster(text):
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise RosterError("roster is not valid TOML: %s" % e)
    for k in data:
        if k not in ("network", "description", "member"):
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
            if k not in required + ("remark",):
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
        codes.add(code)
        keys.add(kb)
        members.append(dict(m, key_bytes=kb))
    return Roster(net, members)


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
    if r.uint(1, "version") != 1:
        raise DecodeError("version is not 1")
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

# ASSUMPTION: "only whitespace" uses the Unicode White_Space property.
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


def payload_problem(kind, payload):
    """None when the payload is valid for its kind, else a message (reason 'payload')."""
    if kind != "note":
        return "unknown kind %r" % kind
    try:
        text = payload.decode("utf-8")  # strict: rejects encoded surrogates
        obj = json.loads(text, object_pairs_hook=_JsonObject,
                         parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        return "payload is not JSON: %s" % e
    if not isinstance(obj, _JsonObject) or len(obj) != 1 or obj[0][0] != "text":
        return "note payload does not match the schema {\"text\": string}"
    value = obj[0][1]
    if not isinstance(value, str):
        return "note text is not a string"
    try:
        canon = ('{"text":' + canonical_string(value) + "}").encode("utf-8")
    except ValueError as e:
        return "note text: %s" % e
    if canon != payload:
        return "note payload is not in canonical form"
    if all(c in _UNICODE_WS for c in value):
        return "note text is empty or only whitespace"
    if len(value.encode("utf-8")) > 16384:
        return "note text longer than 16384 bytes"
    return None


# ---------------------------------------------------------------------------
# Bundles (SPEC 8) and ledger verification (SPEC 5, 7, 9)
# ---------------------------------------------------------------------------


class BundleError(Exception):
    pass


def parse_bundle(data):
    r = _Reader(data)
    try:
        if r.take(13, "magic") != BUNDLE_MAGIC:
            raise BundleError("not a Pacta bundle (magic)")
        if r.uint(1, "version") != 1:
            raise BundleError("bundle version is not 1")
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
        if r.pos != len(data):
            raise BundleError("%d trailing bytes" % (len(data) - r.pos))
    except DecodeError as e:  # input ended inside a field
        raise BundleError(str(e))
    return network, feeds, forks


def verify_feed(roster, member, items):
    """SPEC 5. Returns (list of verified Entry, error dict or None)."""
    key = roster.by_code[member]["key_bytes"]
    good = []
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
        if not verify_strict(key, e.signed, e.signature):
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
    if not (verify_strict(m["key_bytes"], a.signed, a.signature)
            and verify_strict(m["key_bytes"], b.signed, b.signature)):
        raise ValueError("a signature does not verify")
    if a.network != roster.network_id or b.network != roster.network_id:
        raise ValueError("an entry carries another network id")
    return (a.author, a.seq, a.id)


def verify_ledger(roster, data):
    """SPEC 9. Returns a report dict."""
    report = {"valid": False, "network": roster.network_id.hex(),
              "network_name": roster.network, "verified_entries": 0,
              "heads": {}, "disputed": [], "errors": [], "forks": []}
    try:
        network, feeds, forks = parse_bundle(data)
    except BundleError as ex:
        report["errors"].append({"place": "bundle", "reason": "bundle", "message": str(ex)})
        return report
    if network != roster.network_id:
        # ASSUMPTION: the place of a network mismatch of the whole bundle is "bundle".
        report["errors"].append({"place": "bundle", "reason": "network",
                                 "message": "bundle is for network %s" % network.hex()})
        return report
    for code_b, items in feeds:
        code = code_b.decode("ascii", "replace")
        if code not in roster.by_code:
            report["errors"].append({"place": "%s #1" % code, "reason": "unknown-member",
                                     "member": code, "seq": 1,
                                     "message": "%s is not in the roster" % code})
            continue
        good, err = verify_feed(roster, code, items)
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
            if last_key is not None and not key > last_key:
                last_key = key
                raise ValueError("fork proofs out of order")
            last_key = key
        except ValueError as ex:
            report["errors"].append({"place": "fork %d" % k, "reason": "fork",
                                     "message": str(ex)})
            continue
        disputed.add(key[0])
        report["forks"].append({"member": key[0], "seq": key[1], "id_a": key[2].hex()})
    report["disputed"] = sorted(disputed, key=lambda c: c.encode())
    report["valid"] = not report["errors"]
    return report


# ---------------------------------------------------------------------------
# vectors command
# ---------------------------------------------------------------------------


def frame_single_feed(network_id, code, entry):
    out = bytearray(BUNDLE_MAGIC)
    out.append(1)
    out += network_id
    out += (1).to_bytes(4, "big")
    cb = code.encode("ascii")
    out.append(len(cb))
    out += cb
    out += (1).to_bytes(4, "big")
    out += len(entry).to_bytes(4, "big")
    out += entry
    out += (0).to_bytes(4, "big")
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
        if not verify_strict(key, e.signed, e.signature):
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
        for e in rep["errors"]:
            print("error: %s: %s: %s" % (e["place"], e["reason"], e.get("message", "")))
    return 0 if rep["valid"] else 1


def main(argv):
    usage = ("usage: pacta_verify.py vectors PATH/vectors.json\n"
             "       pacta_verify.py bundle --roster ROSTER.toml --bundle FILE.bundle [--json]")
    if len(argv) == 2 and argv[0] == "vectors":
        try:
            return run_vectors(argv[1])
        except (OSError, ValueError, KeyError) as ex:
            print("error: %s" % ex, file=sys.stderr)
            return 2
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
