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
# A peer's JSON lines (on stdin) printed as rows like the C benchmarks'.
print_rows() {
  python3 -c 'import json,sys
for l in sys.stdin:
    r = json.loads(l); print("  %-12s %-8s %-26s %-12s %14.1f" % (r["bench"], r["case"], r["subject"], r["metric"], r["value"]))'
}

echo "== jwt-verify: verifications per second on one core ($(nproc) cores, shared machine: compare within a run)"
for backend in openssl mbedtls; do
  taskset -c 0 "build-bench-$backend/bin/bench_jwt" tests/vectors "$seconds"
done
if command -v npm > /dev/null && [ ! -d tests/oracles/node_modules/jose ]; then
  npm install --silent --no-audit --no-fund --prefix tests/oracles > /dev/null 2>&1 || true
fi
if command -v node > /dev/null && [ -d tests/oracles/node_modules/jose ]; then
  taskset -c 0 node tests/bench/jose-bench.mjs tests/vectors "$seconds" | tee -a "$BENCH_RESULTS" | print_rows
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
    taskset -c 0 node tests/bench/casbin-bench.mjs "$dir" "$world" 3 | tee -a "$BENCH_RESULTS" | print_rows
  done
else
  echo "  (node, or npm casbin in tests/oracles, is missing: the worlds come from its generator)"
fi

echo
echo "== limit-decide: rate-limit decisions per second on one core"
taskset -c 0 build-bench-openssl/bin/bench_ratelimit "$seconds"
if command -v redis-server > /dev/null && command -v redis-benchmark > /dev/null; then
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no > /dev/null 2>&1 &
  redis_pid=$!
  for _ in $(seq 50); do redis-cli -p "$port" ping > /dev/null 2>&1 && break; sleep 0.1; done
  taskset -c 0 build-bench-openssl/bin/bench_redis "$port" 1
  # the ceiling: redis-benchmark running the same script by SHA, one connection, no pipelining
  sha=$(redis-cli -p "$port" SCRIPT LOAD "$(cat lib/store/redis_limit.lua)")
  ceiling=$(taskset -c 0 redis-benchmark -p "$port" -c 1 -P 1 -n 100000 -r 1000 -q \
    EVALSHA "$sha" 1 "gh:rl:bench:__rand_int__" 1 0 1000000 1000 1000000 | grep -oE '[0-9.]+ requests per second' | grep -oE '^[0-9.]+')
  printf '  %-12s %-8s %-26s %-12s %14.1f\n' limit-decide redis-strict redis-benchmark ops_per_s "$ceiling"
  echo "{\"bench\":\"limit-decide\",\"case\":\"redis-strict\",\"subject\":\"redis-benchmark\",\"metric\":\"ops_per_s\",\"value\":$ceiling}" >> "$BENCH_RESULTS"
  kill "$redis_pid"; wait "$redis_pid" 2> /dev/null || true
else
  echo "  (redis-server or redis-benchmark missing: scripts/install-deps.sh installs them)"
fi

echo
echo "== route-lookup: route lookups per second on one core (GitHub API set, every route once per round)"
taskset -c 0 build-bench-openssl/bin/bench_router tests/vectors/routes "$seconds"
if command -v node > /dev/null && [ -d tests/oracles/node_modules/find-my-way ]; then
  taskset -c 0 node tests/bench/find-my-way-bench.mjs tests/vectors/routes "$seconds" | tee -a "$BENCH_RESULTS" | print_rows
else
  echo "  (node, or npm find-my-way in tests/oracles, is missing: the find-my-way peer is left out)"
fi

echo
echo "== upstream-pick: balancer picks per second on one core (16 weighted targets)"
taskset -c 0 build-bench-openssl/bin/bench_upstream "$seconds"

echo
echo "== ratios (issue targets in brackets)"
python3 scripts/bench-ratios.py "$BENCH_RESULTS"
