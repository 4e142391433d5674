#!/usr/bin/env python3
"""Differential test of the status engine (SPEC.md section 15): random ledgers are built
and signed here, with every kind of act, corrections and forks; their status as of
several days is computed by this directory's independent verifier (pacta_verify.py,
written from SPEC.md alone) and by `pacta status --json`, and the two must agree on
every field of the normalised form (warnings are informative and left out).

Usage: status_differential.py PATH/TO/pacta [FIRST_SEED [COUNT]]
       status_differential.py PATH/TO/pacta --roster FILE --bundle FILE DAY...
The second form compares one given ledger (the demo's, say) as of each DAY.
Exit 0 when every case agrees, 1 otherwise (the first differences are printed).
"""
import json, os, random, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pacta_verify as pv  # noqa: E402

def eid(src):
    return src["entry"]["id"] if src else None

def norm(r):
    out = []
    for inst in r["instruments"]:
        rows = []
        for m in inst["members"]:
            sig = m.get("signature")
            c = m.get("consent")
            est = m.get("established")
            wd = m.get("withdrawal")
            prov = m.get("provisional")
            it = m.get("intention")
            rows.append({
                "member": m["member"], "stage": m["stage"], "since": m.get("since"),
                "contracting": m["contracting"],
                "history": [{"from": h["from"], "stage": h["stage"]} for h in m.get("history", [])],
                "procedure": m["procedure"],
                "signature": None if sig is None else {"date": sig["date"], "type": sig["type"],
                    "confirmed": sig["confirmed"]["date"] if sig.get("confirmed") else None},
                "steps": [{"step": s["step"], "date": s["date"], "result": s["result"], "required": s["required"]} for s in m.get("steps", [])],
                "consent": None if c is None else {"date": c["date"], "means": c["means"], "entry": eid(c["source"])},
                "established": None if est is None else {"date": est["date"], "by": est["by"], "entry": eid(est["source"])},
                "in_force_on": m.get("in_force_on"),
                "withdrawal": None if wd is None else {"notified": wd["notified"], "effective": wd["effective"], "entry": eid(wd["source"])},
                "periods": [{"start": p["established"]["date"], "by": p["established"]["by"],
                             "in_force_on": p.get("in_force_on"),
                             "end": p["withdrawal"]["effective"] if p.get("withdrawal") else None}
                            for p in m.get("periods", [])],
                "returns": [{"consent": x["consent"]["id"], "date": x["date"]} for x in m.get("returns", [])],
                "intention": it["date"] if it else None,
                "provisional": None if prov is None else {"date": prov["date"], "ended": prov.get("ended")},
                "depends_on": m["depends_on"],
                "proof": [p["id"] for p in m["proof"]],
                "illustrative": m["illustrative"],
            })
        out.append({"id": inst["id"], "short": inst["short"], "in_force_on": inst.get("in_force_on"),
                    "in_force_by": inst.get("in_force_by", []), "counts": inst["counts"], "members": rows})
    return {"as_of": r["as_of"], "instruments": out}


PROFILES = {"DE": "de-art59", "FR": "fr-art53", "GB": "gb-crag2010", "JP": "jp-diet",
            "NL": "nl-states-general", "UA": "ua-rada-law", "US": "us-article-ii",
            "TR": "tr-gna-law", "ZZ": "generic", "YY": "us-sole-executive"}

def roster_text(profiles=PROFILES):
    out = 'network = "diff-tests"\n'
    for code in sorted(profiles):
        out += '[[member]]\ncode = "%s"\nname = "%s"\nkey = "%s"\nnode = "http://127.0.0.1:1"\nprofile = "%s"\n' % (
            code, code, pv._pub(pv._selftest_seed(code)).hex(), profiles[code])
    return out

ROSTER_TEXT = roster_text()
ROSTER = pv.parse_roster(ROSTER_TEXT)

def pl(kind, **f):
    """Payload bytes in schema order; nested dicts must be given in order."""
    d = {}
    for name, _, _ in pv.SCHEMAS[kind]:
        v = f.pop(name, None)
        if v is not None and v is not False:
            d[name] = v
    assert not f, f
    raw = pv.canonical_json(d).encode()
    prob = pv.payload_problem(kind, raw)
    assert prob is None, (kind, prob, raw)
    return raw

T0 = 1893456000000  # 2030-01-01: every act is recorded after its date

class Ledger:
    def __init__(self, roster=ROSTER):
        self.roster = roster
        self.feeds = {}
        self.forks = []

    def add(self, author, kind, payload, time=None):
        feed = self.feeds.setdefault(author, [])
        seq = len(feed) + 1
        prev = feed[-1][1] if feed else None
        t = time if time is not None else T0 + seq * 1000
        raw, eid = pv.make_entry(pv._selftest_seed(author), self.roster.network_id, author, seq,
                                 prev, t, kind, payload)
        feed.append((raw, eid))
        return eid.hex()

    def fork(self, author, seq):
        """A second entry at author's seq: a fork proof."""
        feed = self.feeds[author]
        prev = feed[seq - 2][1] if seq >= 2 else None
        raw, eid = pv.make_entry(pv._selftest_seed(author), self.roster.network_id, author, seq,
                                 prev, T0 + seq * 1000, "note", b'{"text":"fork"}')
        a, b = feed[seq - 1], (raw, eid)
        if b[1] < a[1]:
            a, b = b, a
        self.forks.append((author, seq, a, b))

    def bundle(self):
        feeds = [(c, [r for r, _ in self.feeds[c]]) for c in sorted(self.feeds)]
        forks = [(a[0], b[0]) for _, _, a, b in sorted(self.forks, key=lambda f: (f[0], f[1], f[2][1]))]
        return pv.make_bundle(self.roster.network_id, feeds, forks=forks)

    # helpers for the common acts
    def instrument(self, author, parties, nature="legal", adopted="2026-03-02", depositary="FR",
                   means=("signature", "ratification", "acceptance", "approval", "accession"),
                   eif=None, wd=None, rws=False, short="t", illustrative=False):
        eif = eif or {"rule": "after-deposits", "deposits": 3, "days": 30}
        wd = wd or {"rule": "after-notice", "months": 12}
        if nature == "political":
            depositary, means, eif = None, None, {"rule": "none"}
        return self.add(author, "instrument", pl("instrument", short=short, title="T", nature=nature,
            adopted=adopted, parties=sorted(parties), depositary=depositary,
            consent_means=list(means) if means else None, entry_into_force=eif, withdrawal=wd,
            ratification_without_signature=rws or None, illustrative=illustrative or None))
    def sign(self, m, i, date, type="subject-to-ratification", **kw):
        return self.add(m, "signature", pl("signature", instrument=i, type=type, date=date, **kw))
    def confirm(self, m, i, sig, date):
        return self.add(m, "signature-confirmation", pl("signature-confirmation", instrument=i, signature=sig, date=date))
    def step(self, m, i, step, date, result="passed", votes=None):
        return self.add(m, "procedure-step", pl("procedure-step", instrument=i, step=step, body="b", action="a",
                                                date=date, votes=votes, result=result))
    def consent(self, m, i, date, means="ratification", procedure=None, **kw):
        return self.add(m, "consent", pl("consent", instrument=i, means=means, date=date, procedure=procedure, **kw))
    def receipt(self, dep, i, member, consent, date):
        return self.add(dep, "deposit-receipt", pl("deposit-receipt", instrument=i, member=member, consent=consent, date=date))
    def ret(self, dep, i, member, consent, date):
        return self.add(dep, "deposit-return", pl("deposit-return", instrument=i, member=member, consent=consent, date=date, reason="r"))
    def prov(self, m, i, date):
        return self.add(m, "provisional-application", pl("provisional-application", instrument=i, date=date))
    def withdraw(self, m, i, notified, effective):
        return self.add(m, "withdrawal", pl("withdrawal", instrument=i, notified=notified, effective=effective))
    def intend(self, m, i, date):
        return self.add(m, "intention-not-to-be-party", pl("intention-not-to-be-party", instrument=i, date=date))
    def commit(self, m, i, date):
        return self.add(m, "commitment", pl("commitment", instrument=i, pillar="other", description="d", date=date))
    def correct(self, m, entry, kind=None, payload=None, illustrative=False):
        f = {"entry": entry, "reason": "r"}
        raw = b'{"entry":"%s","reason":"r"' % entry.encode()
        if kind:
            raw += b',"kind":"%s","payload":%s' % (kind.encode(), payload)
        if illustrative:
            raw += b',"illustrative":true'
        raw += b'}'
        assert pv.payload_problem("correction", raw) is None, pv.payload_problem("correction", raw)
        return self.add(m, "correction", raw)
    def note(self, m, text="n"):
        return self.add(m, "note", pl("note", text=text))

def python_status(ledger, as_of):
    rep = pv.verify_ledger(ledger.roster, ledger.bundle())
    assert rep["valid"], rep["errors"]
    insts, _ = pv.compute_status(ledger.roster, rep["entries"], set(rep["disputed"]), as_of)
    return pv.status_normalised(insts, as_of), insts

def rust_status(pacta, tmp, ledger, as_of):
    """`pacta status --json` of the ledger as of a day, in the normalised form."""
    open(os.path.join(tmp, 'r.toml'), 'w').write(ROSTER_TEXT)
    open(os.path.join(tmp, 'b.bundle'), 'wb').write(ledger.bundle())
    out = subprocess.run([pacta, 'status', '--roster', os.path.join(tmp, 'r.toml'),
                          '--bundle', os.path.join(tmp, 'b.bundle'), '--as-of', as_of, '--json'],
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(out.stdout + out.stderr)
    return norm(json.loads(out.stdout))


def gen(rng, avoid_known=True):
    L = Ledger()
    members = ['DE','FR','GB','JP','NL','UA','US','YY','ZZ']
    nature = 'political' if rng.random() < 0.15 else 'legal'
    eif = rng.choice([{"rule":"after-deposits","deposits":rng.randint(1,4),"days":rng.choice([0,10,30])},
                      {"rule":"on-consent"},{"rule":"on-date","date":rng.choice(['2026-04-01','2026-06-01','2026-09-01'])}])
    wd = rng.choice([{"rule":"not-provided"},{"rule":"after-notice","months":rng.choice([0,1,3])}])
    means = sorted(rng.sample(pv.CONSENT_MEANS, rng.randint(1,5)), key=pv.CONSENT_MEANS.index)
    parties = sorted(rng.sample(members, rng.randint(3,8)))
    i = L.instrument('FR', parties, nature=nature, eif=eif, wd=wd, means=means, rws=nature == "legal" and rng.random()<0.3,
                     illustrative=rng.random()<0.1)
    dates = ['2026-03-0%d' % d for d in range(1,10)] + ['2026-03-%d' % d for d in (10,15,20,25)] + \
            ['2026-04-01','2026-04-02','2026-04-15','2026-05-01','2026-05-20','2026-06-01','2026-07-01','2026-09-01','2027-01-01','2027-06-01']
    sigs, cons = {}, {}
    all_entries = {}
    for _ in range(rng.randint(5, 30)):
        m = rng.choice(members)
        d = rng.choice(dates)
        k = rng.random()
        if k < 0.12:
            t = rng.choice(['subject-to-ratification','definitive','ad-referendum'])
            sigs.setdefault(m, []).append((L.sign(m, i, d, t), d))
        elif k < 0.18 and sigs.get(m):
            sid, sd = rng.choice(sigs[m])
            cd = rng.choice([x for x in dates if x >= sd]) if avoid_known else d
            L.confirm(m, i, sid, cd)
        elif k < 0.38:
            prof = PROFILES[m]
            st = rng.choice([s[0] for s in pv.PROFILES[prof]] + ['unknown-step'])
            votes = None
            if rng.random() < 0.4:
                votes = {'for': rng.randint(0, 400), 'against': rng.randint(0, 400), 'abstaining': rng.randint(0, 50)}
            res = rng.choice(['passed','failed'] if votes else ['passed','failed','completed','passed','completed'])
            L.step(m, i, st, d, res, votes)
        elif k < 0.55:
            if nature == 'political' and avoid_known:
                continue
            proc = None
            if not avoid_known and rng.random() < 0.2:
                proc = rng.choice(pv.PROFILE_IDS)
            cons.setdefault(m, []).append((L.consent(m, i, d, rng.choice(['ratification','acceptance','approval','accession']), procedure=proc), d))
        elif k < 0.72:
            target = rng.choice([x for x in members if cons.get(x)] or [None])
            if target is None:
                continue
            cid, cd = rng.choice(cons[target])
            dep = 'FR' if rng.random() < 0.9 else ('GB' if target != 'GB' or not avoid_known else 'DE')
            if rng.random() < 0.75:
                L.receipt(dep, i, target, cid, d)
            else:
                L.ret(dep, i, target, cid, d)
        elif k < 0.80:
            e = rng.choice([x for x in dates if x >= d])
            L.withdraw(m, i, d, e)
        elif k < 0.86:
            L.intend(m, i, d)
        elif k < 0.92:
            L.prov(m, i, d)
        elif k < 0.95:
            L.commit(m, i, d)
        else:
            # correct or annul one of m's own acts (not the instrument)
            feed = L.feeds.get(m)
            if feed:
                raw, eid = rng.choice(feed)
                e = pv.decode_entry(raw)
                if e.kind in ('correction', 'note', 'instrument'):
                    continue
                if rng.random() < 0.5:
                    L.correct(m, eid.hex())
                else:
                    p = json.loads(e.payload)
                    if 'date' in p:
                        p['date'] = rng.choice(dates)
                    elif 'notified' in p:
                        continue
                    L.correct(m, eid.hex(), e.kind, pv.canonical_json(p).encode())
    if rng.random() < 0.1:
        m = rng.choice(list(L.feeds))
        L.fork(m, len(L.feeds[m]))
    return L


DAYS = ['2026-03-05', '2026-03-20', '2026-04-01', '2026-04-02', '2026-04-20', '2026-05-15',
        '2026-06-01', '2026-06-20', '2026-08-01', '2026-12-01', '2027-03-01', '2027-09-01',
        '2028-06-01']


def compare_file(pacta, roster_path, bundle_path, days):
    """Compares one ledger file as of each day."""
    roster = pv.parse_roster(open(roster_path).read())
    rep = pv.verify_ledger(roster, open(bundle_path, 'rb').read())
    if not rep["valid"]:
        print('the ledger is invalid: %s' % rep["errors"][:1])
        return 1
    differ = 0
    for day in days:
        insts, _ = pv.compute_status(roster, rep["entries"], set(rep["disputed"]), day)
        ours = pv.status_normalised(insts, day)
        out = subprocess.run([pacta, 'status', '--roster', roster_path, '--bundle', bundle_path,
                              '--as-of', day, '--json'], capture_output=True, text=True)
        if out.returncode != 0:
            print('pacta status failed as of %s: %s' % (day, out.stderr.strip()))
            return 1
        diffs = []
        pv._diff(norm(json.loads(out.stdout)), ours, 'status', diffs)
        rows = sum(len(i["members"]) for i in ours["instruments"])
        if diffs:
            differ += 1
            print('DIFFER %s as of %s (expected: pacta, got: independent)' % (bundle_path, day))
            for d in diffs[:8]:
                print('    ', d)
        else:
            print('agree on %s as of %s: %d instruments, %d rows'
                  % (os.path.basename(bundle_path), day, len(ours["instruments"]), rows))
    return 1 if differ else 0


def main():
    if len(sys.argv) < 2:
        print(__doc__.strip().splitlines()[-3], file=sys.stderr)
        return 2
    pacta = sys.argv[1]
    if len(sys.argv) > 2 and sys.argv[2] == '--roster':
        if len(sys.argv) < 7 or sys.argv[4] != '--bundle':
            print(__doc__.strip().splitlines()[-3], file=sys.stderr)
            return 2
        return compare_file(pacta, sys.argv[3], sys.argv[5], sys.argv[6:])
    first = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    agree = differ = 0
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(first, first + count):
            rng = random.Random(seed)
            ledger = gen(rng, avoid_known=False)
            for day in sorted(set(rng.sample(DAYS, 4))):
                ours, _ = python_status(ledger, day)
                theirs = rust_status(pacta, tmp, ledger, day)
                diffs = []
                pv._diff(theirs, ours, 'status', diffs)
                if not diffs:
                    agree += 1
                    continue
                differ += 1
                if differ <= 5:
                    print('DIFFER seed %d as of %s (expected: pacta, got: independent)' % (seed, day))
                    for d in diffs[:8]:
                        print('    ', d)
    print('%d ledgers, %d (ledger, day) pairs: %d agree, %d differ'
          % (count, agree + differ, agree, differ))
    return 1 if differ else 0


if __name__ == '__main__':
    sys.exit(main())
