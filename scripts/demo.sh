#!/usr/bin/env bash
# `make run`: the gatehouse CLI verifying the bundled sample tokens
# (examples/tokens) against their key set, one verdict per token.
set -u
CLI=${1:-build/bin/gatehouse}
dir=$(cd "$(dirname "$0")/../examples/tokens" && pwd)
NOW=1700000000
echo "gatehouse $("$CLI" version | cut -d' ' -f2-) — verifying examples/tokens/samples.txt"
echo "  issuer https://issuer.example, audience api://orders, time $NOW"
echo
grep -v '^#' "$dir/samples.txt" | while IFS=$'\t' read -r desc token; do
  if out=$("$CLI" jwt verify --jwks "$dir/jwks.json" --iss https://issuer.example --aud api://orders --now $NOW "$token" 2>&1); then
    sub=$(printf '%s' "$out" | sed -n 's/.*"sub":"\([^"]*\)".*/\1/p')
    printf '  ALLOW  %-40s sub=%s\n' "$desc" "$sub"
  else
    printf '  DENY   %-40s %s\n' "$desc" "${out#error: }"
  fi
done
echo
echo "Try it yourself: $CLI jwt verify --jwks examples/tokens/jwks.json --now $NOW TOKEN"
