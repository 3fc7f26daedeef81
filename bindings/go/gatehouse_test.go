package gatehouse

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func vectors(t *testing.T, name string, into interface{}) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "tests", "vectors", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, into); err != nil {
		t.Fatal(err)
	}
}

// Every npm jose fixture, as the C and Python tests check them.
func TestJoseFixtures(t *testing.T) {
	var sets map[string]json.RawMessage
	var doc struct {
		Cases []struct {
			Name, Jwks, Token, Expect, Rfc, Iss, Aud string
			Now                                      int64
		}
	}
	vectors(t, "jose/jwks.json", &sets)
	vectors(t, "jose/tokens.json", &doc)
	for _, c := range doc.Cases {
		keys, err := ParseKeySet(string(sets[c.Jwks]))
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		v, err := NewVerifier(VerifierOptions{Issuers: []string{c.Iss}, Audiences: []string{c.Aud}})
		if err != nil {
			t.Fatal(err)
		}
		now := time.UnixMilli(c.Now * 1000)
		if err := v.SetKeys(keys, now); err != nil {
			t.Fatal(err)
		}
		p, err := v.Verify(c.Token, now)
		var rej *Rejected
		switch {
		case c.Expect == "OK" && err != nil:
			t.Errorf("%s (%s): %v", c.Name, c.Rfc, err)
		case c.Expect == "OK" && p.Subject != "alice":
			t.Errorf("%s: subject %q", c.Name, p.Subject)
		case c.Expect != "OK" && (!errors.As(err, &rej) || rej.Reason != c.Expect):
			t.Errorf("%s (%s): want %s, got %v", c.Name, c.Rfc, c.Expect, err)
		}
		v.Close()
		keys.Close()
	}
	if len(doc.Cases) < 140 {
		t.Fatalf("only %d cases", len(doc.Cases))
	}
}

func TestThumbprint(t *testing.T) {
	tp, err := Thumbprint(`{"kty":"RSA","e":"AQAB","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"}`)
	if err != nil || tp != "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs" { // RFC 7638 section 3.1
		t.Fatalf("thumbprint %q, %v", tp, err)
	}
}

func TestPolicy(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "tests", "vectors", "policy", "example.json"))
	if err != nil {
		t.Fatal(err)
	}
	pol, err := ParsePolicy(string(data))
	if err != nil {
		t.Fatal(err)
	}
	defer pol.Close()
	cases := []struct {
		r     Request
		allow bool
		rule  string
	}{
		{Request{Subject: "alice", Action: "GET", Resource: "/orders/7"}, true, "read-orders"},
		{Request{Subject: "bob", Action: "GET", Resource: "/orders/7"}, false, ""},
		{Request{Subject: "bob", Scopes: []string{"orders:write"}, Action: "PUT", Resource: "/tenants/acme/orders/1", Claims: `{"tenant_id":"acme"}`}, true, "own-tenant"},
		{Request{Subject: "alice", Action: "DELETE", Resource: "/orders/7", ClientIP: "192.0.2.1"}, false, "no-delete-offsite"},
	}
	for _, c := range cases {
		allow, rule, err := pol.Decide(c.r)
		if err != nil || allow != c.allow || rule != c.rule {
			t.Errorf("%+v: got %v %q %v", c.r, allow, rule, err)
		}
	}
	hours, err := ParsePolicy(`{"rules":[{"id":"office","effect":"allow","subjects":["*"],"actions":["GET"],
		"resources":["/reports/*"],"when":{"all":[{"time":{"days":["mon","tue","wed","thu","fri"],"hours":[9,17]}},
		{"header":{"x-team":{"in":["finance","audit"]}}}]}}]}`)
	if err != nil {
		t.Fatal(err)
	}
	defer hours.Close()
	const monday10 = 1700474400000 // 2023-11-20T10:00:00Z, a Monday
	for _, c := range []struct {
		r     Request
		allow bool
	}{
		{Request{Subject: "x", Action: "GET", Resource: "/reports/q3", Headers: map[string]string{"X-Team": "finance"}, Time: time.UnixMilli(monday10)}, true},
		{Request{Subject: "x", Action: "GET", Resource: "/reports/q3", Headers: map[string]string{"X-Team": "sales"}, Time: time.UnixMilli(monday10)}, false},
		{Request{Subject: "x", Action: "GET", Resource: "/reports/q3", Headers: map[string]string{"X-Team": "finance"}, Time: time.UnixMilli(monday10 - 2*86400000)}, false},
	} {
		if allow, _, err := hours.Decide(c.r); err != nil || allow != c.allow {
			t.Errorf("%+v: got %v %v", c.r, allow, err)
		}
	}
	if _, err := ParsePolicy(`{"roles":{"a":{"inherits":["a"]}}}`); err == nil {
		t.Fatal("an inheritance cycle was accepted")
	}
}

// Concurrency: slots taken, refused when full, given back.
func TestLimiterRelease(t *testing.T) {
	l, err := ParseLimiter(`{"name":"slots","algorithm":"concurrency","limit":2,"timeout":30}`)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for i, want := range []bool{true, true, false} {
		if ok, _, _, err := l.Take("up", 1, time.UnixMilli(0)); err != nil || ok != want {
			t.Fatalf("take %d: %v %v", i, ok, err)
		}
	}
	if err := l.Release("up", 1); err != nil {
		t.Fatal(err)
	}
	if ok, _, _, _ := l.Take("up", 1, time.UnixMilli(0)); !ok {
		t.Fatal("a released slot was not given back")
	}
	if err := l.Release("never", 1); err == nil {
		t.Fatal("a release without slots held succeeded")
	}
}

// GCRA 10/s with burst 3, from goroutines: exactly the burst at one instant.
func TestLimiter(t *testing.T) {
	l, err := ParseLimiter(`{"name":"go","algorithm":"gcra","limit":10,"period":1,"burst":3}`)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				ok, _, _, err := l.Take("k", 1, time.UnixMilli(0))
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					allowed++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if allowed != 3 {
		t.Fatalf("allowed %d, want 3", allowed)
	}
	// TAT is 300 ms after the burst: at 50 ms, 300 + T(100) - 300 - 50 = 50 ms to wait
	if ok, _, retry, _ := l.Take("k", 1, time.UnixMilli(50)); ok || retry != 50*time.Millisecond {
		t.Fatalf("at 50 ms: %v, retry %v (want denied, 50ms)", ok, retry)
	}
}

func TestRouter(t *testing.T) {
	r, err := NewRouter()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.Add("GET", "/users/{id:int}", "get-user"); err != nil {
		t.Fatal(err)
	}
	if err := r.Add("GET", "/users/{n:int}", ""); err == nil || !strings.Contains(err.Error(), "ambiguous") {
		t.Fatalf("ambiguous route accepted: %v", err)
	}
	if _, err := r.Match("GET", "/users/1"); err == nil {
		t.Fatal("matched before Build")
	}
	if err := r.Build(); err != nil {
		t.Fatal(err)
	}
	m, err := r.Match("GET", "/users/42?x=1")
	if err != nil || m.Status != 200 || m.Route != "get-user" || m.Params["id"] != "42" {
		t.Fatalf("got %+v, %v", m, err)
	}
	m, _ = r.Match("DELETE", "/users/42")
	if m.Status != 405 || strings.Join(m.Allow, ",") != "GET,HEAD,OPTIONS" {
		t.Fatalf("got %+v", m)
	}
	doc, err := os.ReadFile(filepath.Join("..", "..", "tests", "vectors", "routes", "openapi-shop.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.AddOpenAPI(string(doc)); err == nil || !strings.Contains(err.Error(), "EMISUSE") {
		t.Fatalf("a built router took more routes: %v", err)
	}
	shop, _ := NewRouter()
	defer shop.Close()
	if err := shop.AddOpenAPI(string(doc)); err != nil {
		t.Fatal(err)
	}
	if err := shop.Build(); err != nil {
		t.Fatal(err)
	}
	m, _ = shop.Match("GET", "/pets/7")
	if m.Route != "getPet" || m.Pattern != "/pets/{petId}" || m.Params["petId"] != "7" {
		t.Fatalf("got %+v", m)
	}
}

// Pools: weights share round robin, Maglev keeps a key on its target, an
// ejected target is skipped until its time is up, the breaker refuses.
func TestPool(t *testing.T) {
	rr, err := NewPool(RoundRobin, []string{"a:80", "b:80"}, []uint{3, 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rr.Close()
	got := map[string]int{}
	for i := 0; i < 400; i++ {
		idx, name, refused, err := rr.Pick("")
		if err != nil || refused {
			t.Fatal(err, refused)
		}
		got[name]++
		rr.Release(idx)
	}
	if got["a:80"] != 300 || got["b:80"] != 100 {
		t.Fatalf("round robin 3:1 gave %v", got)
	}

	mg, err := NewPool(Maglev, []string{"a:80", "b:80", "c:80"}, nil,
		&PoolConfig{Outlier: &Outlier{Failures: 2, Base: 10 * time.Second, Longest: time.Minute, MaxPercent: 50}})
	if err != nil {
		t.Fatal(err)
	}
	defer mg.Close()
	first, _, _, _ := mg.Pick("user-42")
	mg.Release(first)
	for i := 0; i < 10; i++ {
		idx, _, _, _ := mg.Pick("user-42")
		mg.Release(idx)
		if idx != first {
			t.Fatalf("Maglev moved user-42 from %d to %d", first, idx)
		}
	}
	now := time.UnixMilli(1700000000000)
	mg.Report(first, false, now)
	mg.Report(first, false, now)
	if mg.Healthy(first, now) || !mg.Healthy(first, now.Add(10*time.Second)) {
		t.Fatal("two failures should eject for the base time")
	}

	cap1, err := NewPool(LeastRequest, []string{"a:80"}, nil, &PoolConfig{MaxRequests: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer cap1.Close()
	idx, _, refused, _ := cap1.Pick("")
	if refused {
		t.Fatal("the first request was refused")
	}
	if _, _, refused, _ := cap1.Pick(""); !refused {
		t.Fatal("the breaker let a second request in")
	}
	cap1.Release(idx)
	if _, err := NewPool(RoundRobin, nil, nil, nil); err == nil {
		t.Fatal("an empty pool was accepted")
	}
}
