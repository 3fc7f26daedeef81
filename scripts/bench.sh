#!/usr/bin/env bash
# `make bench`: every benchmark in one run, gatehouse beside its peers, then
# the ratios. Every figure goes to build/bench/results.jsonl as a JSON line.
# BENCH_SECONDS (default 0.5) is the time per measurement (best of 3).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=build/bench
mkdir -p "$out"
export BENCH_RESULTS="$root/$out/results.jsonl"
: > "$BENCH_RESULTS"
seconds=${BENCH_SECONDS:-0.5}

echo "== jwt-verify: verifications per second on one core ($(nproc) cores, shared machine: compare within a run)"
for backend in openssl mbedtls; do
  taskset -c 0 "build-bench-$backend/bin/bench_jwt" tests/vectors "$seconds"
done
if command -v npm > /dev/null && [ ! -d tests/oracles/node_modules/jose ]; then
  npm install --silent --no-audit --no-fund --prefix tests/oracles > /dev/null 2>&1 || true
fi
if command -v node > /dev/null && [ -d tests/oracles/node_modules/jose ]; then
  taskset -c 0 node tests/bench/jose-bench.mjs tests/vectors "$seconds" | tee -a "$BENCH_RESULTS" |
    python3 -c 'import json,sys
for l in sys.stdin:
    r = json.loads(l); print("  %-12s %-8s %-26s %-12s %14.1f" % (r["bench"], r["case"], r["subject"], r["metric"], r["value"]))'
else
  echo "  (node, or npm jose in tests/oracles, is missing: the jose peer is left out)"
fi

echo
echo "== policy-decide: authorization decisions per second on one core (worlds: roles x rules)"
if command -v node > /dev/null && [ -d tests/oracles/node_modules/casbin ]; then
  for world in 10x100 1000x10000 1000x100000; do
    dir="$out/worlds/$world"
    [ -f "$dir/policy.json" ] || (cd tests/oracles && node gen-policy-worlds.mjs world "${world%x*}" "${world#*x}" "$root/$dir")
    taskset -c 0 build-bench-openssl/bin/bench_policy "$dir" "$world" "$seconds"
    taskset -c 0 node tests/bench/casbin-bench.mjs "$dir" "$world" 3 | tee -a "$BENCH_RESULTS" |
      python3 -c 'import json,sys
for l in sys.stdin:
    r = json.loads(l); print("  %-12s %-8s %-26s %-12s %14.1f" % (r["bench"], r["case"], r["subject"], r["metric"], r["value"]))'
  done
else
  echo "  (node, or npm casbin in tests/oracles, is missing: the worlds come from its generator)"
fi

echo
echo "== ratios (issue targets in brackets)"
python3 scripts/bench-ratios.py "$BENCH_RESULTS"
