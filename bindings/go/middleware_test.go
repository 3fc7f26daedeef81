package gatehouse

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func get(t *testing.T, method, url, tok, body string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return res, string(data)
}

func TestMiddleware(t *testing.T) {
	gw, err := NewGateway(gatewayConfig(t, 3), GatewayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	var seen []string
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Method+" "+r.URL.Path)
		who, d := PrincipalFrom(r.Context()), DecisionFrom(r.Context())
		if r.Method == "POST" {
			io.ReadAll(r.Body)
			time.Sleep(50 * time.Millisecond)
			w.WriteHeader(201)
		}
		json.NewEncoder(w).Encode(map[string]interface{}{"subject": who.Subject, "roles": who.Roles, "route": d.Route})
	})
	srv := httptest.NewServer(Middleware(gw)(app))
	defer srv.Close()
	bob, alice, carol := token(t, "bob", "viewer"), token(t, "alice", "admin"), token(t, "carol", "viewer")

	res, body := get(t, "GET", srv.URL+"/v2/orders/7", bob, "")
	if res.StatusCode != 200 || !strings.Contains(body, `"subject":"bob"`) || !strings.Contains(body, `"route":"get-order"`) ||
		res.Header.Get("RateLimit") == "" {
		t.Fatalf("passed: %d %s %v", res.StatusCode, body, res.Header)
	}
	if res, _ = get(t, "GET", srv.URL+"/v1/orders/7", bob, ""); res.StatusCode != 200 || res.Header.Get("Deprecation") != "@1780272000" {
		t.Fatalf("deprecated: %d %v", res.StatusCode, res.Header)
	}
	// denials are answered by the gateway; the handler never sees them
	before := len(seen)
	res, body = get(t, "GET", srv.URL+"/v2/orders/7", "", "")
	if res.StatusCode != 401 || !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") ||
		res.Header.Get("Content-Type") != "application/problem+json" || !strings.Contains(body, `"status":401`) {
		t.Fatalf("401: %d %s", res.StatusCode, body)
	}
	for _, c := range []struct {
		method, path, tok string
		status            int
	}{{"POST", "/v2/orders", bob, 403}, {"GET", "/v0/orders/7", "", 410}, {"GET", "/elsewhere", "", 404}} {
		if res, _ = get(t, c.method, srv.URL+c.path, c.tok, "{}"); res.StatusCode != c.status {
			t.Fatalf("%s %s: %d, want %d", c.method, c.path, res.StatusCode, c.status)
		}
	}
	if len(seen) != before {
		t.Fatalf("the handler saw denied requests: %v", seen[before:])
	}
	var statuses []int
	for i := 0; i < 4; i++ {
		res, _ = get(t, "GET", srv.URL+"/v2/orders/1", carol, "")
		statuses = append(statuses, res.StatusCode)
	}
	if statuses[3] != 429 || statuses[2] != 200 {
		t.Fatalf("limit: %v", statuses)
	}
	// completion carries the handler's status, time and bytes
	if res, _ = get(t, "POST", srv.URL+"/v2/orders", alice, `{"item": 1}`); res.StatusCode != 201 {
		t.Fatalf("POST: %d", res.StatusCode)
	}
	text, _ := gw.Metrics()
	if !strings.Contains(text, `gatehouse_requests_total{api="orders",version="v2",route="create-order",consumer="",code_class="2xx"} 1`) ||
		!strings.Contains(text, `gatehouse_request_bytes_total{api="orders",version="v2",route="create-order",consumer="",code_class="2xx"} 11`) {
		t.Fatal("create-order not recorded as 2xx with 11 bytes in")
	}
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "gatehouse_stage_duration_seconds_sum") && strings.Contains(line, `route="create-order"`) &&
			strings.Contains(line, `stage="upstream"`) {
			if s, err := strconv.ParseFloat(line[strings.LastIndex(line, " ")+1:], 64); err != nil || s < 0.05 {
				t.Fatalf("upstream time: %s", line)
			}
		}
	}
}

// examples/go-middleware: a module of its own that requires this one through
// replace, built with `go build` as a user would and called over HTTP.
func TestSeparateModule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds another module")
	}
	dir, _ := filepath.Abs(filepath.Join("..", "..", "examples", "go-middleware"))
	bin := filepath.Join(t.TempDir(), "orders")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	config, _ := filepath.Abs(filepath.Join("..", "..", "tests", "vectors", "bindings", "gateway.json"))
	srv := exec.Command(bin, "-config", config, "-listen", "127.0.0.1:0")
	srv.Env = append(os.Environ(), "LD_LIBRARY_PATH=") // found through the rpath pkg-config gave
	stdout, _ := srv.StdoutPipe()
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Process.Kill(); srv.Wait() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "listening on ") {
		t.Fatalf("started: %q %v", line, err)
	}
	url := "http://" + strings.TrimSpace(strings.TrimPrefix(line, "listening on "))
	if res, body := get(t, "GET", url+"/v2/orders/7", token(t, "bob", "viewer"), ""); res.StatusCode != 200 || body != "order 7 for bob\n" {
		t.Fatalf("with a token: %d %q", res.StatusCode, body)
	}
	if res, _ := get(t, "GET", url+"/v2/orders/7", "", ""); res.StatusCode != 401 {
		t.Fatalf("without: %d", res.StatusCode)
	}
}
