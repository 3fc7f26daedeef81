#!/usr/bin/env bash
# Runs each libFuzzer target for SECONDS on a scratch copy of its seed corpus
# (tests/fuzz/corpus/<target>). A crash leaves its input in build-fuzz/crashes.
set -euo pipefail
build=${1:-build-fuzz}
seconds=${2:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$build/crashes"
targets=(jwt jwks json policy dpop limit route openapi transform path oidc pem config graphql request server_request portal url cert_ip) # as in tests/fuzz/CMakeLists.txt (server_request, portal, url, cert_ip: examples/server)
for target in "${targets[@]}"; do
  work="$build/corpus-$target"
  mkdir -p "$work"
  cp -n "$root/tests/fuzz/corpus/$target/"* "$work/" 2>/dev/null || true
  echo "fuzz_$target: ${seconds}s"
  "$build/bin/fuzz_$target" -max_total_time="$seconds" -max_len=20000 -rss_limit_mb=2048 \
    -artifact_prefix="$build/crashes/$target-" -print_final_stats=1 "$work" 2>&1 | grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ *DONE)|ERROR|SUMMARY" || true
  test -z "$(ls "$build/crashes" | grep "^$target-" || true)" || { echo "fuzz_$target found a crash"; exit 1; }
done
echo "fuzz: ${#targets[@]} passed, 0 failed"
