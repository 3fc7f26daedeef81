#!/usr/bin/env bash
# `make demo`: the gatehouse CLI taking one request's decisions in turn, on the
# bundled examples: verify the token (examples/tokens), route the request
# (examples/gateway/openapi.json), authorize it (examples/gateway/policy.json)
# and rate-limit it; then the whole gateway pipeline (examples/gateway/gateway.json).
set -u
CLI=${1:-build/bin/gatehouse}
root=$(cd "$(dirname "$0")/.." && pwd)
tokens=$root/examples/tokens gateway=$root/examples/gateway
NOW=1700000000
echo "gatehouse $("$CLI" version | cut -d' ' -f2-)"
echo
echo "1. Tokens: examples/tokens/samples.txt (issuer https://issuer.example, audience api://orders, time $NOW)"
grep -v '^#' "$tokens/samples.txt" | while IFS=$'\t' read -r desc token; do
  if out=$("$CLI" jwt verify --jwks "$tokens/jwks.json" --iss https://issuer.example --aud api://orders --now $NOW "$token" 2>&1); then
    sub=$(printf '%s' "$out" | sed -n 's/.*"sub":"\([^"]*\)".*/\1/p')
    printf '  ALLOW  %-40s sub=%s\n' "$desc" "$sub"
  else
    printf '  DENY   %-40s %s\n' "$desc" "${out#error: }"
  fi
done
echo
echo "2. Routes: examples/gateway/openapi.json"
for request in "GET /orders/7" "GET /orders/seven" "PATCH /orders/7" "PUT /tenants/acme/orders/7"; do
  printf '  %-28s %s\n' "$request" "$(echo "$request" | "$CLI" route match --openapi "$gateway/openapi.json")"
done
echo
echo "3. Policy: examples/gateway/policy.json"
ask() { # description, then policy check arguments
  local desc=$1
  shift
  printf '  %-52s %s\n' "$desc" "$("$CLI" policy check --policy "$gateway/policy.json" "$@")"
}
ask "alice (admin) GET /orders/7" --subject alice --action GET --resource /orders/7
ask "bob (viewer) DELETE /orders/7 from 10.1.2.3" --subject bob --action DELETE --resource /orders/7 --context '{"ip":"10.1.2.3"}'
ask "alice DELETE /orders/7 from 10.1.2.3" --subject alice --action DELETE --resource /orders/7 --context '{"ip":"10.1.2.3"}'
ask "alice DELETE /orders/7 from 203.0.113.9" --subject alice --action DELETE --resource /orders/7 --context '{"ip":"203.0.113.9"}'
ask "tenant acme's client PUT /tenants/acme/orders/7" --subject svc --scope orders:write --action PUT \
  --resource /tenants/acme/orders/7 --context '{"claims":{"tenant_id":"acme"}}'
ask "tenant acme's client PUT /tenants/other/orders/7" --subject svc --scope orders:write --action PUT \
  --resource /tenants/other/orders/7 --context '{"claims":{"tenant_id":"acme"}}'
echo
echo "4. Rate limit: GCRA, 5 per second, burst 3; four requests at once, one 200 ms later"
echo "  (each line: verdict, remaining, retry after ms)"
printf '0\n0\n0\n0\n200\n' | "$CLI" ratelimit simulate --algorithm gcra --limit 5 --period 1 --burst 3 | sed 's/^/  /'
echo
echo "5. The gateway: examples/gateway/gateway.json, one request at a time through the whole pipeline"
echo "  (gatehouse decide prints every stage; here, each request's verdict and why)"
viewer=$("$CLI" jwt sign --alg ES256 --jwk "$tokens/demo-signing-key.jwk.json" \
  '{"sub":"alice","iss":"https://id.example.com","aud":"api://orders","exp":4102444800,"roles":["viewer"]}')
decide() { # description, then decide's arguments
  local desc=$1
  shift
  local out
  out=$("$CLI" decide --config "$gateway/gateway.json" --now $((NOW + 100000000)) --client-ip 10.1.2.3 "$@")
  field() { printf '%s' "$out" | sed -n "s/^[[:space:]]*\"$1\":[[:space:]]*\"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}\$/\1/p" | head -1; }
  local status
  status=$(field status)
  printf '  %-44s %-8s %-4s %-28s %s\n' "$desc" "$(field verdict)" "${status#0}" "$(field reason)" "$(field target)"
}
decide "GET /v2/orders/7 without a token" GET /v2/orders/7
decide "GET /v2/orders/7 as alice (viewer)" --header "Authorization: Bearer $viewer" GET /v2/orders/7
decide "DELETE /v2/orders/7 as alice" --header "Authorization: Bearer $viewer" DELETE /v2/orders/7
decide "GET /v1/orders/7 (deprecated)" --header "Authorization: Bearer $viewer" GET /v1/orders/7
decide "GET /v0/orders/7 (retired)" GET /v0/orders/7
decide "GET /v3/orders/7 (a draft) as alice" --header "Authorization: Bearer $viewer" GET /v3/orders/7
echo
echo "Try it yourself: $CLI --help"
