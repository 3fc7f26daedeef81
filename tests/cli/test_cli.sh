#!/usr/bin/env bash
# The gatehouse CLI as a user runs it: exit codes (0 valid, 1 rejected,
# 2 usage), tokens from arguments and from stdin, sign -> verify for every
# algorithm with jose's keys, decode, thumbprint (RFC 7638 3.1), policy,
# ratelimit simulate and route match.
set -u
CLI=$1
V=$2/jose
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
NOW=1700000000
check() { # name expected-exit actual-exit [stderr-pattern stderr-file]
  if [ "$2" != "$3" ] || { [ $# -ge 5 ] && ! grep -q -- "$4" "$5"; }; then
    echo "FAIL: $1 (exit $3, want $2)"; [ $# -ge 5 ] && cat "$5"; fail=$((fail + 1))
  else pass=$((pass + 1)); fi
}
python3 - "$V" "$tmp" <<'PY'
import json, sys
v, tmp = sys.argv[1], sys.argv[2]
sets = json.load(open(f"{v}/jwks.json"))
for name, s in sets.items():
    open(f"{tmp}/{name}.json", "w").write(json.dumps(s))
cases = {c["name"]: c["token"] for c in json.load(open(f"{v}/tokens.json"))["cases"]}
for key, name in [("valid", "RS256 valid"), ("expired", "RS256 expired"), ("none", "alg none with signature"), ("big", "oversized token")]:
    open(f"{tmp}/{key}.jwt", "w").write(cases[name])
PY

# valid, from the argument: claims on stdout
"$CLI" jwt verify --jwks "$tmp/public.json" --iss https://issuer.example --aud api://orders --now $NOW "$(cat "$tmp/valid.jwt")" > "$tmp/out" 2> "$tmp/err"
check "verify valid" 0 $?
grep -q '"sub":"alice"' "$tmp/out" || { echo "FAIL: claims not printed"; fail=$((fail + 1)); }
# from stdin (tokens may exceed the argument limit), with a trailing newline
"$CLI" jwt verify --jwks "$tmp/public.json" --now $NOW < "$tmp/valid.jwt" > /dev/null 2> "$tmp/err"
check "verify from stdin" 0 $?
# rejected: exit 1 and one line "error: <reason>: <explanation>"
"$CLI" jwt verify --jwks "$tmp/public.json" --now $NOW < "$tmp/expired.jwt" > /dev/null 2> "$tmp/err"
check "expired" 1 $? '^error: EXPIRED: ' "$tmp/err"
[ "$(wc -l < "$tmp/err")" -eq 1 ] || { echo "FAIL: more than one stderr line"; fail=$((fail + 1)); }
"$CLI" jwt verify --jwks "$tmp/public.json" --now $NOW "$(cat "$tmp/none.jwt")" > /dev/null 2> "$tmp/err"
check "alg none" 1 $? '^error: ALG_NONE: ' "$tmp/err"
"$CLI" jwt verify --jwks "$tmp/public.json" --now $NOW < "$tmp/big.jwt" > /dev/null 2> "$tmp/err"
check "oversized" 1 $? '^error: TOO_LARGE: ' "$tmp/err"
"$CLI" jwt verify --jwks "$tmp/public.json" --iss https://other --now $NOW < "$tmp/valid.jwt" > /dev/null 2> "$tmp/err"
check "wrong --iss" 1 $? '^error: BAD_ISSUER: ' "$tmp/err"
"$CLI" jwt verify --jwks "$tmp/public.json" --alg ES256 --now $NOW < "$tmp/valid.jwt" > /dev/null 2> "$tmp/err"
check "--alg allow-list" 1 $? '^error: ALG_NOT_ALLOWED: ' "$tmp/err"
"$CLI" jwt verify --jwks "$tmp/public.json" --now $((NOW + 3600)) --leeway 0 < "$tmp/valid.jwt" > /dev/null 2> "$tmp/err"
check "--leeway 0 at exp" 1 $? '^error: EXPIRED: ' "$tmp/err"
# usage errors: exit 2
"$CLI" jwt verify "$(cat "$tmp/valid.jwt")" > /dev/null 2>&1; check "no --jwks" 2 $?
"$CLI" jwt verify --jwks /nonexistent x > /dev/null 2>&1; check "missing file" 2 $?
"$CLI" jwt verify --jwks "$tmp/public.json" --bogus x > /dev/null 2>&1; check "unknown option" 2 $?
"$CLI" jwt verify --jwks "$tmp/public.json" --alg none x > /dev/null 2>&1; check "--alg none" 2 $?
echo '{"keys":' > "$tmp/broken.json"
"$CLI" jwt verify --jwks "$tmp/broken.json" x > /dev/null 2> "$tmp/err"; check "broken jwks" 2 $? 'EPARSE' "$tmp/err"
"$CLI" frobnicate > /dev/null 2>&1; check "unknown command" 2 $?
"$CLI" --help > /dev/null 2>&1; check "--help" 0 $?

# sign with every asymmetric algorithm, verify against jose's public set
for alg in RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512; do
  echo '{"sub":"bob","exp":1700003600}' | "$CLI" jwt sign --alg $alg --key "$V/keys/$alg.pem" --kid "k-$alg" > "$tmp/t" 2> "$tmp/err"
  check "sign $alg" 0 $?
  "$CLI" jwt verify --jwks "$tmp/public.json" --now $NOW < "$tmp/t" > "$tmp/out" 2> "$tmp/err"
  check "verify signed $alg" 0 $?
done
"$CLI" jwt sign --alg HS256 --jwk "$V/oct-HS256.jwk.json" --kid k-HS256 '{"sub":"c","exp":1700003600}' > "$tmp/t" 2>&1
check "sign HS256" 0 $?
"$CLI" jwt verify --jwks "$tmp/oct-HS256.json" --now $NOW < "$tmp/t" > /dev/null 2>&1; check "verify HS256" 0 $?
"$CLI" jwt sign --alg HS256 --key "$V/keys/RS256.pem" '{}' > /dev/null 2> "$tmp/err"; check "HS256 with RSA key" 2 $? 'signs with a shared secret, not a PEM key' "$tmp/err"
# RFC 7518 section 3.2: an HMAC key at least as long as the hash output (16 bytes is too short for HS256)
echo '{"kty":"oct","k":"AAAAAAAAAAAAAAAAAAAAAA"}' > "$tmp/short.jwk"
"$CLI" jwt sign --alg HS256 --jwk "$tmp/short.jwk" '{}' > /dev/null 2> "$tmp/err"; check "HS256 with a short key" 2 $? 'HS256 needs a longer key' "$tmp/err"
# private JWKs (exported by jose from the same keys)
for alg in RS256 PS384 ES256 ES512; do
  python3 -c "import json,sys; print(json.dumps(json.load(open(sys.argv[1]))['keys'][sys.argv[2]]))" \
    "$V/private-jwks.json" $alg > "$tmp/$alg.jwk"
  "$CLI" jwt sign --alg $alg --jwk "$tmp/$alg.jwk" --kid "k-$alg" '{"sub":"d","exp":1700003600}' > "$tmp/t" 2> "$tmp/err"
  check "sign $alg with a private JWK" 0 $?
  "$CLI" jwt verify --jwks "$tmp/public.json" --now $NOW < "$tmp/t" > /dev/null 2>&1; check "verify $alg from a JWK" 0 $?
done
python3 -c "import json,sys; k=json.load(open(sys.argv[1])); k.pop('d'); print(json.dumps(k))" "$tmp/ES256.jwk" > "$tmp/pub.jwk"
"$CLI" jwt sign --alg ES256 --jwk "$tmp/pub.jwk" '{}' > /dev/null 2> "$tmp/err"; check "sign with a public JWK" 2 $? 'EKEY' "$tmp/err"

# decode says it did not verify
"$CLI" jwt decode < "$tmp/valid.jwt" > "$tmp/out" 2> "$tmp/err"
check "decode" 0 $? 'NOT verified' "$tmp/err"
grep -q '"alg":"RS256"' "$tmp/out" || { echo "FAIL: decode header"; fail=$((fail + 1)); }
"$CLI" jwt decode 'not-a-token' > /dev/null 2>&1; check "decode malformed" 2 $?

# RFC 7638 section 3.1
printf '%s' '{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB"}' > "$tmp/jwk"
[ "$("$CLI" jwk thumbprint "$tmp/jwk")" = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs" ] && pass=$((pass + 1)) || { echo "FAIL: thumbprint"; fail=$((fail + 1)); }

# policy check / explain / batch (issue 3 CLI): allow exits 0, deny 1, errors 2
P="$2/policy/example.json"
out=$("$CLI" policy check --policy "$P" --subject alice --action GET --resource /orders/7); check "policy allow" 0 $?
[ "$out" = "allow read-orders" ] && pass=$((pass + 1)) || { echo "FAIL: policy allow printed '$out'"; fail=$((fail + 1)); }
out=$("$CLI" policy check --policy "$P" --subject bob --action GET --resource /orders/7); check "policy deny" 1 $?
[ "$out" = "deny no-rule" ] && pass=$((pass + 1)) || { echo "FAIL: policy deny printed '$out'"; fail=$((fail + 1)); }
out=$("$CLI" policy check --policy "$P" --subject alice --action DELETE --resource /orders/7 --context '{"ip":"192.0.2.9"}')
check "policy deny rule" 1 $?
[ "$out" = "deny no-delete-offsite" ] && pass=$((pass + 1)) || { echo "FAIL: printed '$out'"; fail=$((fail + 1)); }
"$CLI" policy check --policy "$P" --subject bob --scope orders:write --action PUT --resource /tenants/acme/orders/1 \
  --context '{"claims":{"tenant_id":"acme"}}' > /dev/null; check "policy context claims" 0 $?
printf '%s\n' '{"subject":"alice","action":"GET","resource":"/orders/1"}' '{"subject":"bob","action":"GET","resource":"/orders/1"}' \
  '{"subject":"bob","roles":["viewer"],"action":"GET","resource":"/orders/1"}' '{"subject":"x","action":"DELETE","resource":"/orders/1","context":{"ip":"10.0.0.1"}}' \
  | "$CLI" policy check --policy "$P" --batch > "$tmp/batch" 2> "$tmp/err"; check "policy batch" 0 $?
printf 'allow read-orders\ndeny no-rule\nallow read-orders\ndeny no-rule\n' | cmp -s - "$tmp/batch" && pass=$((pass + 1)) ||
  { echo "FAIL: batch output"; cat "$tmp/batch"; fail=$((fail + 1)); }
# a refused resource is an error naming why, never a decision (docs/security.md, Paths)
"$CLI" policy check --policy "$P" --subject alice --action GET --resource /x/%2e%2e/orders/7 > /dev/null 2> "$tmp/err"
check "policy dot segment" 2 $? 'dot segment' "$tmp/err"
printf '%s\n' '{"action":"GET","resource":""}' '{"subject":"alice","action":"GET","resource":"/%6Frders//7/"}' \
  | "$CLI" policy check --policy "$P" --batch > "$tmp/batch" 2> "$tmp/err"; check "policy batch bad line" 2 $? \
  "^error: line 1: resource \"\" is refused: a path starts with '/'" "$tmp/err"
printf 'error\nallow read-orders\n' | cmp -s - "$tmp/batch" && pass=$((pass + 1)) ||
  { echo "FAIL: batch with a bad line"; cat "$tmp/batch"; fail=$((fail + 1)); }
# batch lines are checked as strictly as the policy format: a misspelt member is named, not ignored
printf '%s\n' '{"subject":"bob","role":["admin"],"action":"GET","resource":"/orders/1"}' \
  | "$CLI" policy check --policy "$P" --batch > /dev/null 2> "$tmp/err"
check "policy batch unknown member" 2 $? 'line 1: unknown member "role"' "$tmp/err"
printf '%s\n' '{"subject":"bob","roles":"viewer","action":"GET","resource":"/orders/1"}' \
  | "$CLI" policy check --policy "$P" --batch > /dev/null 2> "$tmp/err"
check "policy batch roles not a list" 2 $? '"roles" must be an array of strings' "$tmp/err"
printf '%s\n' '{"subject":7,"action":"GET","resource":"/orders/1"}' \
  | "$CLI" policy check --policy "$P" --batch > /dev/null 2> "$tmp/err"
check "policy batch subject not a string" 2 $? '"subject" must be a string' "$tmp/err"
printf '%s\n' '{"subject":"alice","action":"GET","resource":"/orders/1"}' '{"subject":"bob","action":"GET","resource":"/orders/1"}' \
  | "$CLI" policy explain --policy "$P" --batch > "$tmp/out" 2> "$tmp/err"; check "policy explain batch" 0 $?
[ "$(grep -c '^decision: ' "$tmp/out")" = 2 ] && grep -q '^decision: allow read-orders' "$tmp/out" &&
  grep -q '^decision: deny' "$tmp/out" && [ "$(grep -c '^$' "$tmp/out")" = 2 ] &&
  pass=$((pass + 1)) || { echo "FAIL: explain batch output"; cat "$tmp/out"; fail=$((fail + 1)); }
"$CLI" policy explain --policy "$P" --subject alice --action GET --resource /orders/7 > "$tmp/out"; check "policy explain" 0 $?
grep -q '^rule read-orders (rules\[0\], allow): APPLIES' "$tmp/out" && grep -q '^decision: allow read-orders' "$tmp/out" &&
  pass=$((pass + 1)) || { echo "FAIL: explain output"; cat "$tmp/out"; fail=$((fail + 1)); }
echo '{"roles":{"a":{"inherits":["b"]},"b":{"inherits":["a"]}},"rules":[]}' > "$tmp/cycle.json"
"$CLI" policy check --policy "$tmp/cycle.json" --action GET --resource / > /dev/null 2> "$tmp/err"
check "policy cycle" 2 $? 'roles.a.inherits: inheritance cycle a -> b -> a' "$tmp/err"
"$CLI" policy check --policy "$P" --subject a --action GET > /dev/null 2>&1; check "policy missing resource" 2 $?

# ratelimit simulate (issue 4 CLI): one line per arrival
out=$(printf '0\n0\n0\n0\n50\n100\n' | "$CLI" ratelimit simulate --algorithm gcra --limit 10 --period 1 --burst 3 | tr '\n' ';')
[ "$out" = "allow 2 0;allow 1 0;allow 0 0;deny 0 100;deny 0 50;allow 0 0;" ] && pass=$((pass + 1)) ||
  { echo "FAIL: ratelimit gcra printed '$out'"; fail=$((fail + 1)); }
out=$(printf '59000 8\n60000 1\n75000 3\n75000 1\n' | "$CLI" ratelimit simulate --algorithm sliding-window --limit 10 --period 60 | tr '\n' ';')
[ "$out" = "allow 2 0;allow 1 0;allow 0 0;deny 0 7500;" ] && pass=$((pass + 1)) ||
  { echo "FAIL: ratelimit sliding printed '$out'"; fail=$((fail + 1)); }
"$CLI" ratelimit simulate --algorithm leaky --limit 1 --period 1 < /dev/null > /dev/null 2>&1; check "ratelimit bad algorithm" 2 $?
# numbers from outside never wrap or truncate: each is refused by name (issue 9)
for period in nan inf 1e300 0x10 0 -1; do
  "$CLI" ratelimit simulate --algorithm gcra --limit 10 --period $period < /dev/null > /dev/null 2> "$tmp/err"
  check "ratelimit --period $period" 2 $? "^error: --period $period: expected seconds" "$tmp/err"
done
printf '0\n12abc\n1e3\n0x10\n100 abc\n100 2 3\n\n100 2\n9223372036854775807\n' |
  "$CLI" ratelimit simulate --algorithm gcra --limit 10 --period 1 > "$tmp/out" 2> "$tmp/err"
check "ratelimit bad lines" 2 $?
[ "$(grep -o '^error: line [0-9]*' "$tmp/err" | tr '\n' ';')" = "error: line 2;error: line 3;error: line 4;error: line 5;error: line 6;error: line 9;" ] &&
  [ "$(tr '\n' ';' < "$tmp/out")" = "allow 9 0;allow 8 0;" ] && pass=$((pass + 1)) ||
  { echo "FAIL: ratelimit bad lines"; cat "$tmp/out" "$tmp/err"; fail=$((fail + 1)); }
"$CLI" jwt verify --jwks "$tmp/public.json" --leeway 4294967296 x > /dev/null 2> "$tmp/err"
check "jwt --leeway past 86400" 2 $? 'invalid value for --leeway: 4294967296 (whole seconds' "$tmp/err"
"$CLI" jwt verify --jwks "$tmp/public.json" --now 9223372036854775807 x > /dev/null 2> "$tmp/err"
check "jwt --now past year 9999" 2 $? 'invalid value for --now' "$tmp/err"
"$CLI" policy check --policy "$P" --subject a --action GET --resource /orders/1 --context '{"time":1e300}' > /dev/null 2> "$tmp/err"
check "policy context time 1e300" 2 $? 'context.time is Unix seconds' "$tmp/err"
"$CLI" policy check --policy "$P" --subject a --action GET --resource /orders/1 --context '{"ip":"10.0.0.1","ip":"192.0.2.1"}' \
  > /dev/null 2> "$tmp/err"
check "policy context with a name twice" 2 $? 'not a strict JSON object' "$tmp/err"

# route match (issue 5 CLI): one JSON object per request, from an OpenAPI document
SHOP=$2/routes/openapi-shop.json
out=$("$CLI" route match --openapi "$SHOP" GET /pets/42)
check "route match one" 0 $?
[ "$out" = '{"match":"/pets/{petId}","route":"getPet","params":{"petId":"42"}}' ] ||
  { echo "FAIL: route match printed '$out'"; fail=$((fail + 1)); }
printf 'GET /pets/mine\nPUT /pets\nGET /nope\n' > "$tmp/requests"
"$CLI" route match --openapi "$SHOP" < "$tmp/requests" > "$tmp/out"
check "route match batch (some unmatched)" 1 $?
out=$(tr '\n' ';' < "$tmp/out")
[ "$out" = '{"match":"/pets/mine","route":"myPets","params":{}};{"match":null,"status":405,"allow":["GET","POST","HEAD","OPTIONS"]};{"match":null,"status":404};' ] ||
  { echo "FAIL: route batch printed '$out'"; fail=$((fail + 1)); }
printf '{"openapi":"3.0.0","paths":{"/a/{x":{"get":{}}}}' > "$tmp/bad-openapi.json"
"$CLI" route match --openapi "$tmp/bad-openapi.json" GET /a > /dev/null 2> "$tmp/err"
check "route match bad document" 2 $? 'paths./a/{x' "$tmp/err"
"$CLI" route match GET /a > /dev/null 2>&1; check "route match usage" 2 $?

# every command answers --help with its own usage (exit 0), wherever --help stands
for c in "jwt verify" "jwt sign" "jwt decode" "jwk thumbprint" "jwk generate" "jwk from-pem" "jwks add" "policy check" "policy explain" "ratelimit simulate" "route match" "config lint" "decide" "openapi export" "token issue"; do
  "$CLI" $c --help > "$tmp/out" 2>&1; check "$c --help" 0 $? "^usage: gatehouse $c" "$tmp/out"
  "$CLI" $c --jwks x --help > "$tmp/out" 2>&1; check "$c ... --help" 0 $? "^usage: gatehouse $c" "$tmp/out"
done
"$CLI" --help > "$tmp/out"; check "--help" 0 $? "route match --openapi" "$tmp/out"
"$CLI" jwt --help > "$tmp/out"; check "jwt --help" 0 $? "^usage: gatehouse jwt decode" "$tmp/out"
"$CLI" --version > "$tmp/out"; check "--version" 0 $? "^gatehouse [0-9]" "$tmp/out"
# an unknown option is named, and the usage follows
"$CLI" jwt sign --alg HS256 --bogus x '{}' > /dev/null 2> "$tmp/err"; check "jwt sign unknown option" 2 $? "unknown option '--bogus'" "$tmp/err"
"$CLI" policy check --policy "$P" --frob > /dev/null 2> "$tmp/err"; check "policy unknown option" 2 $? "unknown option '--frob'" "$tmp/err"
"$CLI" ratelimit simulate --limt 3 > /dev/null 2> "$tmp/err"; check "ratelimit unknown option" 2 $? "unknown option '--limt'" "$tmp/err"
# ... wherever it stands, in every command; a known option without its value says so
for c in "jwt verify --jwks x" "jwt sign --alg ES256" "jwt decode" "jwk thumbprint" "jwk generate --alg ES256" "jwk from-pem" \
         "jwks add x.jwk" "policy check" "policy explain" "ratelimit simulate" "route match" "config lint" "decide" \
         "openapi export" "token issue"; do
  "$CLI" $c --bogus < /dev/null > /dev/null 2> "$tmp/err"; check "$c --bogus" 2 $? "^error: unknown option '--bogus'" "$tmp/err"
done
printf 'openapi: 3.0.0\npaths:\n  /a:\n    get: {}\n' > "$tmp/o.yaml"
"$CLI" route match --openapi "$tmp/o.yaml" GET /a > /dev/null 2> "$tmp/err"; check "route match YAML" 2 $? "is YAML; gatehouse reads JSON" "$tmp/err"
"$CLI" policy check --policy "$tmp/o.yaml" --action GET --resource / > /dev/null 2> "$tmp/err"; check "policy YAML" 2 $? "is YAML; gatehouse reads JSON" "$tmp/err"
"$CLI" jwt verify --jwks > /dev/null 2> "$tmp/err"; check "jwt verify --jwks alone" 2 $? "^error: --jwks needs a value" "$tmp/err"
"$CLI" jwt nope > /dev/null 2> "$tmp/err"; check "unknown jwt command" 2 $? "unknown jwt command 'nope'" "$tmp/err"

# errors name the cause and the way out (issue 11)
"$CLI" jwt sign --alg ES256 --key "$V/keys/RS256.pem" '{}' > /dev/null 2> "$tmp/err"
check "sign: wrong key kind" 2 $? "ES256 needs an EC P-256 key; this key is RSA" "$tmp/err"
"$CLI" jwt sign --alg HS256 --key "$V/keys/RS256.pem" '{}' > /dev/null 2> "$tmp/err"
check "sign: HS256 with a PEM key" 2 $? "use --jwk with an oct key" "$tmp/err"
"$CLI" jwt sign --alg RS256 --jwk "$V/keys/RS256.pem" '{}' > /dev/null 2> "$tmp/err"
check "sign: a PEM file given to --jwk" 2 $? "is a PEM key; --jwk takes one private JWK (use --key" "$tmp/err"
"$CLI" jwt sign --alg RS256 --jwk "$tmp/public.json" '{}' > /dev/null 2> "$tmp/err"
check "sign: a JWK Set given to --jwk" 2 $? "is a JWK Set; --jwk takes one private JWK: pick one" "$tmp/err"
"$CLI" jwt verify --jwks "$V/keys/RS256.pem" x > /dev/null 2> "$tmp/err"
check "verify: a PEM file given to --jwks" 2 $? "is a PEM key; it takes a JWK Set" "$tmp/err"
printf 'keys:\n  - kty: oct\n' > "$tmp/keys.yaml"
"$CLI" jwt verify --jwks "$tmp/keys.yaml" x > /dev/null 2> "$tmp/err"
check "verify: YAML given for JSON" 2 $? "is YAML; it takes a JWK Set, JSON" "$tmp/err"
"$CLI" jwt verify --jwks "$tmp/public.json" "Bearer $(cat "$tmp/valid.jwt")" > /dev/null 2> "$tmp/err"
check "verify: a token with its Bearer prefix" 2 $? "starts with its HTTP scheme ('Bearer'): pass the token alone" "$tmp/err"
"$CLI" jwt verify --jwks "$tmp/public.json" --iss https://other.example --now $NOW < "$tmp/valid.jwt" > /dev/null 2> "$tmp/err"
check "verify: BAD_ISSUER shows both" 1 $? 'in the token; accepted: "https://other.example"' "$tmp/err"

# keys and key sets with nothing but the CLI (RFC 7517): generate, build the set, sign, verify
for alg in ES256 ES384 ES512 RS256 PS384 HS256 HS512; do
  "$CLI" jwk generate --alg $alg > "$tmp/k-$alg.jwk" 2> "$tmp/err"; check "jwk generate --alg $alg" 0 $?
  "$CLI" jwks add "$tmp/k-$alg.jwk" > "$tmp/set-$alg.json" 2> "$tmp/err"; check "jwks add ($alg)" 0 $?
  tok=$("$CLI" jwt sign --alg $alg --jwk "$tmp/k-$alg.jwk" '{"sub":"alice","iss":"demo","exp":4000000000}')
  "$CLI" jwt verify --jwks "$tmp/set-$alg.json" --iss demo "$tok" > /dev/null 2> "$tmp/err"; check "round trip $alg" 0 $?
done
# the set holds the public half only; kid defaults to the RFC 7638 thumbprint, which jwt sign --jwk keeps
grep -q '"d"' "$tmp/set-ES256.json" && { echo "FAIL: private member in the set"; fail=$((fail + 1)); } || pass=$((pass + 1))
kid=$("$CLI" jwk thumbprint "$tmp/k-ES256.jwk")
grep -q "\"kid\":\"$kid\"" "$tmp/k-ES256.jwk" && pass=$((pass + 1)) || { echo "FAIL: kid is not the thumbprint"; fail=$((fail + 1)); }
tok=$("$CLI" jwt sign --alg ES256 --jwk "$tmp/k-ES256.jwk" '{"sub":"a"}')
"$CLI" jwt decode "$tok" 2> /dev/null | grep -q "\"kid\":\"$kid\"" && pass=$((pass + 1)) ||
  { echo "FAIL: jwt sign --jwk dropped the kid"; fail=$((fail + 1)); }
# two keys in one set, then a third with a kid already there
"$CLI" jwks add "$tmp/k-ES256.jwk" "$tmp/k-RS256.jwk" > "$tmp/two.json"; check "jwks add two keys" 0 $?
"$CLI" jwks add --set "$tmp/two.json" "$tmp/k-ES256.jwk" > /dev/null 2> "$tmp/err"
check "jwks add duplicate kid" 2 $? "kid \"$kid\" is already in the set" "$tmp/err"
printf '{"keys":[],"keys":[]}' > "$tmp/dup-set.json"
"$CLI" jwks add --set "$tmp/dup-set.json" "$tmp/k-ES256.jwk" > /dev/null 2> "$tmp/err"; check "jwks add --set strict JSON" 2 $? "EPARSE" "$tmp/err"
"$CLI" jwks add "$tmp/k-HS256.jwk" > /dev/null 2> "$tmp/err"; check "jwks add oct" 0 $? "shared secret" "$tmp/err"
# PEM in and out: the private PEM written by generate reads back as the same JWK
"$CLI" jwk generate --kty EC --crv P-384 --kid mine --pem "$tmp/ec.pem" > "$tmp/ec.jwk"; check "generate --pem" 0 $?
[ "$(stat -c %a "$tmp/ec.pem")" = 600 ] && pass=$((pass + 1)) || { echo "FAIL: PEM file mode"; fail=$((fail + 1)); }
"$CLI" jwk from-pem --kid mine "$tmp/ec.pem" | cmp -s - "$tmp/ec.jwk" && pass=$((pass + 1)) ||
  { echo "FAIL: from-pem of generate's PEM"; fail=$((fail + 1)); }
"$CLI" jwk generate --kty EC --pem "$tmp/ec.pem" > /dev/null 2> "$tmp/err"; check "generate --pem exists" 2 $? "must not exist yet" "$tmp/err"
"$CLI" jwk from-pem --alg RS256 "$2/jose/keys/RS256.pem" > "$tmp/rs.jwk"; check "from-pem jose key" 0 $?
tok=$("$CLI" jwt sign --alg RS256 --key "$2/jose/keys/RS256.pem" '{"sub":"a","exp":4000000000}')
"$CLI" jwks add "$tmp/rs.jwk" > "$tmp/rs-set.json" && "$CLI" jwt verify --jwks "$tmp/rs-set.json" "$tok" > /dev/null
check "PEM-signed token verifies against from-pem's set" 0 $?
# errors name the cause
"$CLI" jwk from-pem --alg ES256 "$2/jose/keys/RS256.pem" > /dev/null 2> "$tmp/err"; check "from-pem wrong alg" 2 $? "ES256 needs an EC P-256 key" "$tmp/err"
"$CLI" jwk from-pem "$2/jose/keys/weak-rsa-1024.pem" > /dev/null 2> "$tmp/err"; check "from-pem weak RSA" 2 $? "under 2048 bits" "$tmp/err"
printf -- '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIBSoTiQlgu4nh5oFHQtMnGqnaYhDPBE3FhPuzz4pJbBW\n-----END PRIVATE KEY-----\n' > "$tmp/ed.pem"
"$CLI" jwk from-pem "$tmp/ed.pem" > /dev/null 2> "$tmp/err"; check "from-pem Ed25519" 2 $? "not a key gatehouse reads: RSA, or EC" "$tmp/err"
"$CLI" jwk from-pem "$tmp/ec.jwk" > /dev/null 2> "$tmp/err"; check "from-pem given a JWK" 2 $? "is one JWK; from-pem takes a PEM key" "$tmp/err"
"$CLI" jwks add "$tmp/ec.pem" > /dev/null 2> "$tmp/err"; check "jwks add given PEM" 2 $? "jwk from-pem" "$tmp/err"
"$CLI" jwk generate --kty RSA --bits 1024 > /dev/null 2> "$tmp/err"; check "generate short RSA" 2 $? "multiple of 8 from 2048" "$tmp/err"
"$CLI" jwk generate --kty EC --crv P-192 > /dev/null 2> "$tmp/err"; check "generate bad curve" 2 $? "P-256, P-384 or P-521" "$tmp/err"
"$CLI" jwk generate --kty oct --alg ES256 > /dev/null 2> "$tmp/err"; check "generate alg/kty mismatch" 2 $? "ES256 needs an EC P-256 key; this key is oct" "$tmp/err"
"$CLI" jwk generate --kty oct --pem x > /dev/null 2> "$tmp/err"; check "generate oct pem" 2 $? "no PEM form" "$tmp/err"
"$CLI" jwk generate > /dev/null 2> "$tmp/err"; check "generate no kty" 2 $? "--kty EC|RSA|oct (or --alg ALG) is required" "$tmp/err"

# the gateway (docs/gateway.md): config lint names every error; decide explains one request
EX=$2/../../examples/gateway/gateway.json
"$CLI" config lint "$EX" > "$tmp/out"; check "config lint valid" 0 $? "gateway.json: valid" "$tmp/out"
printf '{"gatehouse": 1,\n "upstreams": {"u": {"targets": ["http://h:1"], "balancer": "rr"}},\n "routz": []}\n' > "$tmp/bad.json"
"$CLI" config lint "$tmp/bad.json" > "$tmp/out"; check "config lint errors" 1 $? 'bad.json: \$.routz (3:2): unknown member "routz"; did you mean "routes"?' "$tmp/out"
grep -q 'bad.json: \$.upstreams.u.balancer (2:61): unknown balancer "rr"' "$tmp/out"; check "config lint: every error" 0 $?
"$CLI" config lint "$tmp/missing.json" > /dev/null 2> "$tmp/err"; check "config lint missing file" 2 $?
"$CLI" config lint "$tmp/o.yaml" > /dev/null 2> "$tmp/err"; check "config lint YAML" 2 $? "is YAML; gatehouse reads JSON" "$tmp/err"
"$CLI" config lint > /dev/null 2> "$tmp/err"; check "config lint no file" 2 $? "which FILE" "$tmp/err"
"$CLI" decide --config "$EX" GET /health > "$tmp/out"; check "decide forward" 0 $? '"verdict":.*"forward"' "$tmp/out"
"$CLI" decide --config "$EX" --now 1800000000 GET https://api.example.com/v2/orders/7 > "$tmp/out"
check "decide 401" 1 $? '"reason":.*"authenticate:NO_CREDENTIALS"' "$tmp/out"
tok=$("$CLI" jwt sign --alg ES256 --jwk "$2/../../examples/tokens/demo-signing-key.jwk.json" '{"sub":"alice","iss":"https://id.example.com","aud":"api://orders","exp":4102444800,"roles":["viewer"]}')
"$CLI" decide --config "$EX" --now 1800000000 --client-ip 10.0.0.1 --header "Authorization: Bearer $tok" GET /v2/orders/7 > "$tmp/out"
check "decide with a token" 0 $? '"subject":.*"alice"' "$tmp/out"
"$CLI" decide --config "$EX" --now 1800000000 --client-ip 10.0.0.1 --header "Authorization: Bearer $tok" DELETE /v2/orders/7 > "$tmp/out"
check "decide: the rule that denied" 1 $? '"reason":.*"authorize:deny"' "$tmp/out"
"$CLI" decide --config "$EX" --now soon GET / > /dev/null 2> "$tmp/err"; check "decide bad --now" 2 $? "whole Unix seconds" "$tmp/err"
"$CLI" decide GET / > /dev/null 2> "$tmp/err"; check "decide without config" 2 $? "--config FILE is required" "$tmp/err"
"$CLI" decide --config "$tmp/bad.json" GET / > /dev/null 2> "$tmp/err"; check "decide bad config" 2 $? "config lint" "$tmp/err"
"$CLI" decide --config "$EX" --header nocolon GET / > /dev/null 2> "$tmp/err"; check "decide bad header" 2 $? "Name: value" "$tmp/err"
"$CLI" decide --config "$EX" --header "X-API-Key: globex-demo-key-DO-NOT-USE" GET /catalog/v1/products > "$tmp/out"
check "decide: a suspended subscription" 1 $? '"reason":.*"authorize:subscription_suspended"' "$tmp/out"

# the OpenAPI export of the catalog (docs/apim.md)
"$CLI" openapi export --config "$EX" > "$tmp/out"; check "openapi export" 0 $? '"openapi":"3.1.0"' "$tmp/out"
grep -q '"/v2/orders/{id}"' "$tmp/out"; check "openapi export: a published path" 0 $?
"$CLI" openapi export > /dev/null 2> "$tmp/err"; check "openapi export without config" 2 $? "--config FILE is required" "$tmp/err"
"$CLI" openapi export --config "$tmp/bad.json" > /dev/null 2> "$tmp/err"; check "openapi export bad config" 2 $? "config lint" "$tmp/err"
"$CLI" openapi publish > /dev/null 2> "$tmp/err"; check "unknown openapi command" 2 $? "unknown openapi command 'publish'" "$tmp/err"

# a token of a local realm (make run's demo): the state folder's key, issuer and audience
mkdir -p "$tmp/state"
"$CLI" jwk generate --alg ES256 --kid demo-1 > "$tmp/state/demo-signing-key.jwk.json"
echo '{"issuer":"https://demo.example","audience":"demo","kid":"demo-1","alg":"ES256"}' > "$tmp/state/demo-realm.json"
tok=$("$CLI" token issue --state "$tmp/state" --realm demo --sub bob --role editor --role viewer --ttl 60)
check "token issue" 0 $?
"$CLI" jwt decode "$tok" 2> /dev/null > "$tmp/out"; check "token issue: its claims" 0 $? '"roles":\["editor","viewer"\]' "$tmp/out"
grep -q '"iss":"https://demo.example","aud":"demo","sub":"bob"' "$tmp/out"; check "token issue: issuer, audience, subject" 0 $?
"$CLI" token issue --state "$tmp/nowhere" --realm demo --sub bob > /dev/null 2> "$tmp/err"; check "token issue: no realm" 2 $? "no realm demo in" "$tmp/err"
"$CLI" token issue --realm demo > /dev/null 2> "$tmp/err"; check "token issue: no subject" 2 $? "--sub SUBJECT are required" "$tmp/err"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
