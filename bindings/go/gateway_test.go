package gatehouse

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The tests' configuration, shared with the Python tests: tests/vectors/bindings/gateway.json.
func gatewayConfig(t testing.TB, limit int) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "tests", "vectors", "bindings", "gateway.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]interface{}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	doc["limits"].(map[string]interface{})["per-caller"].(map[string]interface{})["limit"] = limit
	out, _ := json.Marshal(doc)
	return string(out)
}

func cli() string {
	if p := os.Getenv("GATEHOUSE_CLI"); p != "" {
		return p
	}
	return filepath.Join("..", "..", "build", "bin", "gatehouse")
}

var tokens sync.Map

// token signs one with the demo realm's key through the CLI (`gatehouse jwt sign`).
func token(t testing.TB, sub string, roles ...string) string {
	t.Helper()
	key := sub + "/" + strings.Join(roles, ",")
	if v, ok := tokens.Load(key); ok {
		return v.(string)
	}
	payload, _ := json.Marshal(map[string]interface{}{"sub": sub, "iss": "https://id.example.com",
		"aud": "api://orders", "exp": 4102444800, "roles": roles})
	out, err := exec.Command(cli(), "jwt", "sign", "--alg", "ES256", "--jwk",
		filepath.Join("..", "..", "examples", "tokens", "demo-signing-key.jwk.json"), "--kid", "demo-DO-NOT-USE",
		string(payload)).Output()
	if err != nil {
		t.Fatalf("gatehouse jwt sign: %v", err)
	}
	tok := strings.TrimSpace(string(out))
	tokens.Store(key, tok)
	return tok
}

var testNow = time.UnixMilli(1800000000000)

func bearer(tok string) http.Header {
	return http.Header{"Authorization": {"Bearer " + tok}, "Accept": {"application/json"}}
}

func header(hs []Header, name string) string {
	for _, h := range hs {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

func TestGatewayForwardsWithPrincipal(t *testing.T) {
	gw, err := NewGateway(gatewayConfig(t, 3), GatewayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	bob := token(t, "bob", "viewer")
	d, err := gw.Decide(&GatewayRequest{Method: "GET", Path: "/v2/orders/7", Header: bearer(bob), ClientIP: "192.0.2.7", Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if !d.Forwarded() || d.Target != "http://127.0.0.1:9" || d.UpstreamPath != "/v2/orders/7" || d.Route != "get-order" ||
		d.API != "orders" || d.Version != "v2" || d.Subject != "bob" || d.RequestID == "" {
		why, _ := d.Explain()
		t.Fatalf("decision %+v: %s", d, why)
	}
	who, err := d.Principal()
	var claims struct{ Iss string }
	if err != nil || who.Realm != "staff" || who.Provider != "corp" || len(who.Roles) != 1 || who.Roles[0] != "viewer" ||
		json.Unmarshal(who.Claims, &claims) != nil || claims.Iss != "https://id.example.com" {
		t.Fatalf("principal %+v, %v", who, err)
	}
	// the IETF RateLimit fields draft: the limit closest to denying, on the upstream's answer
	if !strings.HasPrefix(header(d.Headers, "RateLimit"), `"per-caller";r=2;t=`) {
		t.Fatalf("RateLimit %q", header(d.Headers, "RateLimit"))
	}
	up, err := d.UpstreamHeaders()
	if err != nil || header(up, "Authorization") != "Bearer "+bob {
		t.Fatalf("upstream headers %v, %v", up, err)
	}
	var why struct{ Verdict string }
	if raw, err := d.Explain(); err != nil || json.Unmarshal(raw, &why) != nil || why.Verdict != "forward" {
		t.Fatalf("explanation %s, %v", raw, err)
	}
	d.Complete(200, 3*time.Millisecond, 10, 100)
	if _, err := d.UpstreamHeaders(); !errors.Is(err, ErrCompleted) {
		t.Fatalf("after Complete: %v", err)
	}
	if p, err := d.Principal(); err != nil || p.Subject != "bob" { // read before: kept
		t.Fatalf("principal after Complete: %v %v", p, err)
	}
	d.Complete(200, 0, 0, 0) // a second call is a no-op
}

func TestGatewayDenials(t *testing.T) {
	gw, err := NewGateway(gatewayConfig(t, 3), GatewayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	bob, alice := token(t, "bob", "viewer"), token(t, "alice", "admin")
	decide := func(method, path string, h http.Header) *Decision {
		t.Helper()
		d, err := gw.Decide(&GatewayRequest{Method: method, Path: path, Header: h, Now: testNow})
		if err != nil {
			t.Fatal(err)
		}
		d.Complete(d.Status, -1, 0, 0)
		return d
	}
	// RFC 6750 3: no credentials, 401 with a Bearer challenge and an RFC 9457 problem
	d := decide("GET", "/v2/orders/7", nil)
	var problem struct{ Status int }
	if d.Status != 401 || !strings.HasPrefix(header(d.Headers, "WWW-Authenticate"), "Bearer") ||
		json.Unmarshal(d.Body, &problem) != nil || problem.Status != 401 || d.Reason != "authenticate:NO_CREDENTIALS" {
		t.Fatalf("no credentials: %+v", d)
	}
	if d = decide("GET", "/v2/orders/7", bearer(bob[:len(bob)-4]+"AAAA")); d.Status != 401 ||
		!strings.Contains(header(d.Headers, "WWW-Authenticate"), `error="invalid_token"`) {
		t.Fatalf("bad signature: %+v", d)
	}
	if d = decide("POST", "/v2/orders", bearer(bob)); d.Status != 403 || d.Reason != "authorize:deny" {
		t.Fatalf("policy: %+v", d)
	}
	if d = decide("GET", "/v0/orders/7", nil); d.Status != 410 {
		t.Fatalf("retired: %+v", d)
	}
	// RFC 9745 and RFC 8594: a deprecated version forwards with Deprecation and Sunset
	if d = decide("GET", "/v1/orders/7", bearer(bob)); !d.Forwarded() || header(d.Headers, "Deprecation") != "@1780272000" ||
		header(d.Headers, "Sunset") != "Mon, 01 Jun 2099 00:00:00 GMT" {
		t.Fatalf("deprecated: %+v", d)
	}
	var statuses []int
	for i := 0; i < 4; i++ {
		d = decide("GET", "/v2/orders/7", bearer(alice))
		statuses = append(statuses, d.Status)
	}
	if statuses[2] != 0 || statuses[3] != 429 || header(d.Headers, "Retry-After") == "" {
		t.Fatalf("limit: %v %+v", statuses, d)
	}
	if d = decide("GET", "/nowhere", nil); d.Status != 404 || d.Reason != "route:not_found" {
		t.Fatalf("no route: %+v", d)
	}
	if d = decide("POST", "/v2/orders", http.Header{"Content-Type": {"application/grpc"}}); d.Status != 200 ||
		header(d.Headers, "grpc-status") != "16" {
		t.Fatalf("gRPC: %+v", d)
	}
}

func TestGatewayReloadPatchErrors(t *testing.T) {
	gw, err := NewGateway(gatewayConfig(t, 3), GatewayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	err = gw.Reload(`{"gatehouse": 1, "routes": [{"method": "GET", "path": "/a", "upstreem": "app"}]}`)
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Code != "EPARSE" || !errors.Is(err, &Error{Code: "EPARSE"}) ||
		!strings.Contains(strings.Join(ce.Errors, "\n"), `did you mean "upstream"`) {
		t.Fatalf("refused reload: %v", err)
	}
	if gw.Version() != 1 {
		t.Fatalf("version %d after a refused reload", gw.Version())
	}
	if err := gw.Patch(`[{"op": "add", "path": "/routes/-", "value": {"name": "ping", "method": "GET", "path": "/ping", "upstream": "app"}}]`); err != nil {
		t.Fatal(err)
	}
	d, err := gw.Decide(&GatewayRequest{Method: "GET", Path: "/ping", Now: testNow})
	if err != nil || !d.Forwarded() || gw.Version() != 2 {
		t.Fatalf("after patch: %+v %v", d, err)
	}
	d.Complete(200, time.Millisecond, 0, 0)
	if err := CheckConfig("{"); err == nil {
		t.Fatal("CheckConfig accepted {")
	}
	if _, err := NewGateway("[]", GatewayOptions{}); !errors.As(err, &ce) {
		t.Fatalf("NewGateway([]): %v", err)
	}
	if text, err := gw.Metrics(); err != nil || !strings.Contains(text, "gatehouse_requests_total") {
		t.Fatalf("metrics: %v", err)
	}
	if doc, err := gw.OpenAPI(); err != nil || !strings.Contains(doc, `"openapi"`) {
		t.Fatalf("openapi: %v", err)
	}
}

// Goroutines share one gateway; the access log reaches Go through a cgo.Handle.
func TestGatewayConcurrent(t *testing.T) {
	var lines int64
	gw, err := NewGateway(gatewayConfig(t, 1000000), GatewayOptions{AccessLog: func(line []byte) {
		var entry struct{ Route string }
		if json.Unmarshal(line, &entry) == nil && entry.Route == "get-order" {
			atomic.AddInt64(&lines, 1)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	toks := []string{token(t, "alice", "admin"), token(t, "bob", "viewer")}
	var wg sync.WaitGroup
	var forwarded int64
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				d, err := gw.Decide(&GatewayRequest{Method: "GET", Path: "/v2/orders/1", Header: bearer(toks[(g+i)%2]), Now: testNow})
				if err != nil {
					t.Error(err)
					return
				}
				if p, _ := d.Principal(); d.Forwarded() && p != nil && (p.Subject == "alice" || p.Subject == "bob") {
					atomic.AddInt64(&forwarded, 1)
				}
				d.Complete(200, time.Millisecond, 0, 0)
			}
		}(g)
	}
	wg.Wait()
	text, _ := gw.Metrics()
	if forwarded != 4000 || lines != 4000 || !strings.Contains(text, `route="get-order",consumer="",code_class="2xx"} 4000`) {
		t.Fatalf("forwarded %d, access-log lines %d", forwarded, lines)
	}
}

func TestGatewayClose(t *testing.T) {
	gw, err := NewGateway(gatewayConfig(t, 3), GatewayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d, err := gw.Decide(&GatewayRequest{Method: "GET", Path: "/v2/orders/1", Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	gw.Close() // completes d with status 0
	d.Complete(401, -1, 0, 0)
	if _, err := gw.Decide(&GatewayRequest{Method: "GET", Path: "/"}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Decide after Close: %v", err)
	}
	if err := gw.Reload("{}"); !errors.Is(err, ErrClosed) {
		t.Fatalf("Reload after Close: %v", err)
	}
	gw.Close()
}
