// The Go binding's side of `binding-call` (scripts/bench.py): the same gateway
// decision and cached token verification that bench_gateway --bindings DIR
// times in C, on the world it wrote to DIR/world.json, served with the
// protocol of tests/bench/bench.h (subjects, then "round N" lines).
//
//	go run . DIR [--once]
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gatehouse"
)

type world struct {
	Config        string          `json:"config"`
	Authorization []string        `json:"authorization"`
	JWKS          json.RawMessage `json:"jwks"`
	Issuer        string          `json:"issuer"`
	Audience      string          `json:"audience"`
	NowMs         int64           `json:"now_ms"`
}

func emit(m map[string]interface{}) {
	b, _ := json.Marshal(m)
	fmt.Println(string(b))
}

func main() {
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "--help" {
		fmt.Println("usage: bindings-go DIR [--once]   (DIR/world.json from bench_gateway --bindings DIR)")
		return
	}
	data, err := os.ReadFile(filepath.Join(os.Args[1], "world.json"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var w world
	if err := json.Unmarshal(data, &w); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	gw, err := gatehouse.NewGateway(w.Config, gatehouse.GatewayOptions{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	keys, err := gatehouse.ParseKeySet(string(w.JWKS))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	v, err := gatehouse.NewVerifier(gatehouse.VerifierOptions{Issuers: []string{w.Issuer}, Audiences: []string{w.Audience},
		Algorithms: []string{"ES256"}, CacheEntries: 10000, CacheTTL: 300 * time.Second})
	if err != nil || v.SetKeys(keys, time.UnixMilli(w.NowMs)) != nil {
		fmt.Fprintln(os.Stderr, "verifier:", err)
		os.Exit(2)
	}
	headers := make([]http.Header, len(w.Authorization))
	tokens := make([]string, len(w.Authorization))
	for i, a := range w.Authorization {
		headers[i] = http.Header{"Authorization": {a}, "Accept": {"application/json"}, "User-Agent": {"bench/1.0"}}
		tokens[i] = strings.TrimPrefix(a, "Bearer ")
	}
	n, now := 0, w.NowMs
	decide := func() error {
		n++
		now++
		d, err := gw.Decide(&gatehouse.GatewayRequest{Method: "GET", Path: "/v2/orders/7", Header: headers[n%len(headers)],
			ClientIP: "10.1.2.3", Now: time.UnixMilli(now)})
		if err != nil {
			return err
		}
		if !d.Forwarded() {
			return fmt.Errorf("not forwarded: %s", d.Reason)
		}
		d.Complete(200, time.Millisecond, 100, 1000)
		return nil
	}
	verify := func() error {
		n++
		p, err := v.Verify(tokens[n%len(tokens)], time.UnixMilli(now))
		if err == nil && p.Subject == "" {
			err = fmt.Errorf("no subject")
		}
		return err
	}
	subjects := []struct {
		tcase string
		fn    func() error
	}{{"gateway-decide", decide}, {"jwt-verify-cached", verify}}
	for i, s := range subjects {
		emit(map[string]interface{}{"kind": "subject", "bench": "binding-call", "case": s.tcase, "subject": "go", "id": i})
	}
	emit(map[string]interface{}{"kind": "note", "bench": "binding-call", "case": "jwt-verify-cached", "subject": "go",
		"note": "Verifier.Verify: one cgo call to verify and read the principal, one to free it"})
	seconds, _ := strconv.ParseFloat(os.Getenv("BENCH_SECONDS"), 64)
	if seconds <= 0 {
		seconds = 0.2
	}
	timed := func(fn func() error, budget float64) float64 {
		calls, batch, start := 0, 1, time.Now()
		for {
			for i := 0; i < batch; i++ {
				if err := fn(); err != nil {
					fmt.Fprintln(os.Stderr, "bindings-go:", err)
					os.Exit(1)
				}
			}
			calls += batch
			if batch < 1<<16 {
				batch *= 2
			}
			if el := time.Since(start).Seconds(); el >= budget {
				return float64(calls) / el
			}
		}
	}
	if len(os.Args) > 2 && os.Args[2] == "--once" {
		for _, s := range subjects {
			fmt.Printf("%-20s %12.0f /s\n", s.tcase, timed(s.fn, seconds))
		}
		return
	}
	emit(map[string]interface{}{"kind": "ready"})
	warmed := map[int]bool{}
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		id, err := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(in.Text()), "round "))
		if err != nil || id < 0 || id >= len(subjects) {
			fmt.Fprintf(os.Stderr, "bindings-go: expected \"round N\", got %q\n", in.Text())
			os.Exit(2)
		}
		if !warmed[id] {
			timed(subjects[id].fn, seconds/2)
			warmed[id] = true
		}
		emit(map[string]interface{}{"kind": "round", "bench": "binding-call", "case": subjects[id].tcase, "subject": "go",
			"metric": "ops_per_s", "value": timed(subjects[id].fn, seconds)})
	}
}
