#!/usr/bin/env bash
# Cross-checks pacta against the independent Python verifier on a synthetic ledger:
# both must accept it with the same heads, and both must reject the same tampered copy
# at the same place for the same reason. Usage: crosscheck.sh PATH/TO/pacta
set -euo pipefail
pacta=${1:?usage: crosscheck.sh PATH/TO/pacta}
here=$(cd "$(dirname "$0")" && pwd)
root=$here/../..
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/keys"
cp "$root"/keys-example/*.key "$tmp/keys/"
chmod 600 "$tmp"/keys/*.key
roster=$root/keys-example/roster.toml
"$pacta" dev synth --roster "$roster" --keys "$tmp/keys" --entries 120 --out "$tmp/l.bundle" 2>/dev/null

summary() { # JSON report on stdin -> "valid heads first-failure"
  python3 -c '
import json, sys
r = json.load(sys.stdin)
if isinstance(r.get("heads"), dict):   # the independent verifier
    heads = sorted((m, h["seq"], h["id"]) for m, h in r["heads"].items())
else:                                  # pacta
    heads = sorted((f["member"], f["head"]["seq"], f["head"]["id"]) for f in r["feeds"] if f["head"])
first = r["errors"][0] if r["errors"] else {}
print(r["valid"], heads, first.get("place"), first.get("reason"))'
}

for variant in clean tampered; do
  if [ "$variant" = tampered ]; then
    printf '\x42' | dd of="$tmp/l.bundle" bs=1 seek=20000 conv=notrunc 2>/dev/null
  fi
  ours=$("$pacta" verify --bundle "$tmp/l.bundle" --roster "$roster" --json | summary || true)
  theirs=$(python3 "$here/pacta_verify.py" bundle --roster "$roster" --bundle "$tmp/l.bundle" --json | summary || true)
  if [ "$ours" != "$theirs" ]; then
    echo "MISMATCH on the $variant bundle:"; echo "  pacta:       $ours"; echo "  independent: $theirs"; exit 1
  fi
  echo "agree on the $variant bundle: ${ours:0:60}..."
done

# The status engine (SPEC section 15): the demo's ledger, signed offline, as of days
# around its events; then random ledgers with every kind of act, corrections and forks.
"$pacta" dev scenario --out "$tmp/demo.bundle" 2>/dev/null
python3 "$here/status_differential.py" "$pacta" --roster "$roster" --bundle "$tmp/demo.bundle" \
  2026-01-06 2026-03-05 2026-04-02 2026-06-18 2026-07-08 2026-09-01 2026-12-06 2027-10-01
python3 "$here/status_differential.py" "$pacta" 1 100
