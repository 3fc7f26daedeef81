#!/usr/bin/env bash
# examples/embed/host.c end to end with real parts: curl as the client, a
# Python http.server as the upstream, the example gateway's routes. Each
# process started here is stopped by its own PID.
set -u
HOST=$1 CLI=$2 ROOT=$3
pass=0 fail=0
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT
check() { # name expected actual
  if [ "$2" = "$3" ]; then pass=$((pass + 1)); else echo "FAIL: $1: got '$3', want '$2'"; fail=$((fail + 1)); fi
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
up=$(free_port) gw=$(free_port)

# the upstream: echoes what it received as JSON (path, X-User-Id, X-Request-Id, Authorization)
cat > "$tmp/upstream.py" <<'PY'
import http.server, json, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"path": self.path, "user": self.headers.get("X-User-Id"),
                           "request_id": self.headers.get("X-Request-Id"),
                           "authorization": self.headers.get("Authorization")}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
python3 "$tmp/upstream.py" "$up" & pids+=($!)
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$up/" && break; sleep 0.1; done
# the example configuration, every pool pointed at that upstream
sed -E "s#http://127\.0\.0\.1:900[0-9]#http://127.0.0.1:$up#g" "$ROOT/examples/gateway/gateway.json" > "$tmp/gateway.json"
"$HOST" "$tmp/gateway.json" "$gw" 2> "$tmp/host.log" & pids+=($!)
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$gw/health" && break; sleep 0.1; done
check "host up" 200 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$gw/health")"

tok=$("$CLI" jwt sign --alg ES256 --jwk "$ROOT/examples/tokens/demo-signing-key.jwk.json" \
  '{"sub":"alice","iss":"https://id.example.com","aud":"api://orders","exp":4102444800,"roles":["viewer"]}')
url=http://127.0.0.1:$gw

# forwarded: the upstream sees the canonical path, the caller as X-User-Id, a request id, no credential
out=$(curl -s -H "Authorization: Bearer $tok" "$url/v2/orders/7?x=1")
check "forward: path" '/v2/orders/7?x=1' "$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["path"])')"
check "forward: caller" alice "$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["user"])')"
check "forward: credential stripped" None "$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["authorization"])')"
rid=$(printf '%s' "$out" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["request_id"] or ""))')
check "forward: request id" 32 "$rid"
# RateLimit fields on the upstream's answer
curl -s -D "$tmp/h" -o /dev/null -H "Authorization: Bearer $tok" "$url/v2/orders/7"
grep -qi '^RateLimit-Policy: "per-caller";q=20;w=1' "$tmp/h"; check "forward: RateLimit-Policy" 0 $?
# denied: 401 with the RFC 6750 challenge and a problem body
code=$(curl -s -o "$tmp/body" -D "$tmp/h" -w '%{http_code}' "$url/v2/orders/7")
check "401 status" 401 "$code"
grep -qi '^WWW-Authenticate: Bearer realm="staff"' "$tmp/h"; check "401 challenge" 0 $?
grep -qi '^Content-Type: application/problem+json' "$tmp/h"; check "401 problem type" 0 $?
check "401 body" 401 "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["status"])' "$tmp/body")"
# deprecated: Deprecation and Sunset on the upstream's answer; retired: 410
curl -s -D "$tmp/h" -o /dev/null -H "Authorization: Bearer $tok" "$url/v1/orders/7"
grep -qi '^Deprecation: @1780272000' "$tmp/h"; check "deprecated: Deprecation" 0 $?
grep -qi '^Sunset: ' "$tmp/h"; check "deprecated: Sunset" 0 $?
check "retired" 410 "$(curl -s -o /dev/null -w '%{http_code}' "$url/v0/orders/7")"
check "no route" 404 "$(curl -s -o /dev/null -w '%{http_code}' "$url/nowhere")"
# the upstream gone: 502, and the host keeps serving
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null
check "upstream down" 502 "$(curl -s -o /dev/null -w '%{http_code}' "$url/health")"
check "still serving" 401 "$(curl -s -o /dev/null -w '%{http_code}' "$url/v2/orders/7")"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
