#!/usr/bin/env bash
# `make bench`: every benchmark in one run, gatehouse beside its peers, each
# figure the median of alternating rounds with its spread, ratios with their
# intervals (scripts/bench.py says how). Writes build/bench/results.jsonl.
#   BENCH_ROUNDS (default 10) rounds of BENCH_SECONDS (default 0.2) per subject
set -euo pipefail
cd "$(dirname "$0")/.."
python3 scripts/bench.py
# the reference server under wrk beside nginx (appends to results.jsonl)
exec python3 tests/bench/bench_server.py build-bench-openssl
