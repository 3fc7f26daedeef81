#!/usr/bin/env bash
# `make demo` keeps working: the demo runs every step on the bundled examples
# and each step gives the verdict the examples are there to show.
set -u
out=$("$(dirname "$0")/../../scripts/demo.sh" "$1") || { echo "FAIL: the demo exited $?"; exit 1; }
fail=0
expect() { # description, then a fixed string the output must contain
  if grep -qF -- "$2" <<< "$out"; then echo "ok: $1"; else echo "FAIL: $1 (no '$2')"; fail=$((fail + 1)); fi
}
expect "three sample tokens accepted" "$(printf 'ALLOW  valid ES256')"
[ "$(grep -c '^  ALLOW ' <<< "$out")" = 3 ] || { echo "FAIL: not exactly 3 tokens accepted"; fail=$((fail + 1)); }
[ "$(grep -c '^  DENY ' <<< "$out")" = 7 ] || { echo "FAIL: not exactly 7 tokens refused"; fail=$((fail + 1)); }
expect "alg none refused" "ALG_NONE"
expect "route with its parameter" '"route":"getOrder","params":{"orderId":"7"}'
expect "typed parameter refuses words" '{"match":null,"status":404}'
expect "405 with Allow" '"status":405,"allow":["DELETE","GET","HEAD","OPTIONS"]'
expect "inherited role" "allow read-orders"
expect "deny overrides allow off-site" "deny no-delete-offsite"
expect "ownership through a claim" "allow own-tenant"
expect "no rule means deny" "deny no-rule"
expect "the burst, then a retry-after" "deny 0 200"
expect "gateway: no token, 401" "respond  401  authenticate:NO_CREDENTIALS"
expect "gateway: a viewer's read is forwarded" "forward       forward                      http://127.0.0.1:900"
expect "gateway: the policy denies a viewer's delete" "respond  403  authorize:deny"
expect "gateway: a retired version is gone" "respond  410  route:retired"
expect "gateway: a draft is invisible" "respond  404  authorize:draft"
[ $fail = 0 ] && echo "demo: all steps as expected" || exit 1
