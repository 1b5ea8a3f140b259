#!/usr/bin/env bash
# Criterion's median (and its 95% interval) for every bench run so far, from the target
# directory's criterion folder ($CARGO_TARGET_DIR or target/).
#   cargo bench --bench render --bench update --bench scrypt && benches/medians.sh
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CRITERION="${CARGO_TARGET_DIR:-$ROOT/target}/criterion"
find "$CRITERION" -path '*/new/estimates.json' | sort | while read -r f; do
  name="${f#"$CRITERION"/}"; name="${name%/new/estimates.json}"
  python3 - "$f" "$name" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))["median"]
def fmt(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"
ci = e["confidence_interval"]
print(f"{sys.argv[2]:<50} median {fmt(e['point_estimate']):>10}  [{fmt(ci['lower_bound'])} .. {fmt(ci['upper_bound'])}]")
PY
done
