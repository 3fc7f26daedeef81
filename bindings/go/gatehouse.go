// Package gatehouse is the Go binding of the gatehouse C library (cgo, standard
// library only): token verification, authorization policy, rate limits,
// routing and upstream pools.
//
// It builds against the gatehouse that pkg-config finds (`make install` puts
// gatehouse.pc under PREFIX/lib/pkgconfig; set PKG_CONFIG_PATH for another
// prefix, or point it at a build tree's pkgconfig-build folder). A program
// then runs where the loader finds libgatehouse: the system's folders, an
// rpath (CGO_LDFLAGS="-Wl,-rpath,$(pkg-config --variable=libdir gatehouse)")
// or LD_LIBRARY_PATH. Objects wrap C handles: call Close when done (a
// finalizer is a safety net).
package gatehouse

/*
#cgo pkg-config: gatehouse
#include <stdlib.h>
#include <gatehouse.h>

// A verification and what Go reads of its principal, in one cgo crossing.
typedef struct gh_go_verified {
  int rc, reason;
  gh_principal *principal;
  const char *subject, *issuer, *payload;
  size_t payload_len;
  char msg[256];
} gh_go_verified;

static void gh_go_verify(gh_jwt_verifier *v, const char *token, size_t len, int64_t now_ms, gh_go_verified *out) {
  out->principal = NULL;
  out->msg[0] = '\0';
  out->rc = gh_jwt_verify(v, token, len, now_ms, &out->principal, &out->reason, out->msg, sizeof out->msg);
  if (out->rc) return;
  out->subject = gh_principal_subject(out->principal);
  out->issuer = gh_principal_issuer(out->principal);
  out->payload = gh_principal_payload(out->principal, &out->payload_len);
}
*/
import "C"

import (
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"time"
	"unsafe"
)

// Error is a library error: no decision was made. Code is the GH_E* name
// ("EPARSE"), Detail what went wrong where the binding knows more.
type Error struct{ Code, Detail string }

func (e *Error) Error() string {
	if e.Detail != "" {
		return "gatehouse: " + e.Code + ": " + e.Detail
	}
	return "gatehouse: " + e.Code
}

// Rejected is a decision: the token (or request) was examined and refused.
type Rejected struct{ Reason, Message string }

func (e *Rejected) Error() string { return "gatehouse: rejected: " + e.Reason + ": " + e.Message }

const edenied = -12

func check(rc C.int) error {
	if rc == 0 {
		return nil
	}
	return &Error{Code: C.GoString(C.gh_err_name(rc))}
}

// bytes gives C a pointer and length into a Go string (C does not keep it).
func bytes(s string) (*C.char, C.size_t) {
	if len(s) == 0 {
		return nil, 0
	}
	b := []byte(s)
	return (*C.char)(unsafe.Pointer(&b[0])), C.size_t(len(b))
}

func nowMs(t time.Time) C.int64_t { return C.int64_t(t.UnixMilli()) }

// Version reports the library version and its crypto backend.
func Version() (string, string) {
	return C.GoString(C.gh_version_string()), C.GoString(C.gh_crypto_backend())
}

// Thumbprint is the RFC 7638 SHA-256 thumbprint of a JWK.
func Thumbprint(jwk string) (string, error) {
	p, n := bytes(jwk)
	out := make([]byte, 44)
	if err := check(C.gh_jwk_thumbprint(p, n, (*C.char)(unsafe.Pointer(&out[0])), 44)); err != nil {
		return "", err
	}
	return string(out[:43]), nil
}

// KeySet is a parsed JWK Set.
type KeySet struct{ h *C.gh_jwks }

// ParseKeySet parses a JWK Set (or a single JWK).
func ParseKeySet(jwks string) (*KeySet, error) {
	p, n := bytes(jwks)
	k := &KeySet{}
	msg := make([]byte, 256)
	if rc := C.gh_jwks_parse(&k.h, p, n, (*C.char)(unsafe.Pointer(&msg[0])), 256); rc != 0 {
		return nil, fmt.Errorf("%w: %s", check(rc), C.GoString((*C.char)(unsafe.Pointer(&msg[0]))))
	}
	runtime.SetFinalizer(k, (*KeySet).Close)
	return k, nil
}

// Count is the number of usable keys.
func (k *KeySet) Count() int { return int(C.gh_jwks_count(k.h)) }

// Close frees the key set.
func (k *KeySet) Close() {
	if k.h != nil {
		C.gh_jwks_free(k.h)
		k.h = nil
	}
}

// VerifierOptions configure a Verifier; zero values mean the library's defaults.
type VerifierOptions struct {
	Issuers, Audiences, Algorithms []string
	CacheEntries                   int
	CacheTTL                       time.Duration
}

// Verifier verifies JWTs; safe for concurrent use.
type Verifier struct{ h *C.gh_jwt_verifier }

// NewVerifier builds a verifier.
func NewVerifier(o VerifierOptions) (*Verifier, error) {
	v := &Verifier{}
	if err := check(C.gh_jwt_verifier_new(&v.h)); err != nil {
		return nil, err
	}
	runtime.SetFinalizer(v, (*Verifier).Close)
	for _, a := range o.Algorithms {
		cs := C.CString(a)
		rc := C.gh_jwt_verifier_allow_alg(v.h, cs)
		C.free(unsafe.Pointer(cs))
		if err := check(rc); err != nil {
			return nil, err
		}
	}
	for _, s := range o.Issuers {
		p, n := bytes(s)
		if err := check(C.gh_jwt_verifier_add_issuer(v.h, p, n)); err != nil {
			return nil, err
		}
	}
	for _, s := range o.Audiences {
		p, n := bytes(s)
		if err := check(C.gh_jwt_verifier_add_audience(v.h, p, n)); err != nil {
			return nil, err
		}
	}
	if o.CacheEntries > 0 {
		if err := check(C.gh_jwt_verifier_set_cache(v.h, C.size_t(o.CacheEntries), C.int64_t(o.CacheTTL.Milliseconds()))); err != nil {
			return nil, err
		}
	}
	return v, check(C.gh_jwt_verifier_build(v.h))
}

// SetKeys installs a key set (any time, from any goroutine).
func (v *Verifier) SetKeys(k *KeySet, now time.Time) error {
	return check(C.gh_jwt_verifier_set_jwks(v.h, k.h, nowMs(now)))
}

// Principal is a verified token's caller. Claims is the token's payload, a
// JSON object: json.Unmarshal it into the struct your service expects.
type Principal struct {
	Subject, Issuer string
	Claims          json.RawMessage
}

// Verify verifies a token at `now`; a refusal is a *Rejected.
func (v *Verifier) Verify(token string, now time.Time) (*Principal, error) {
	p, n := bytes(token)
	var out C.gh_go_verified
	C.gh_go_verify(v.h, p, n, nowMs(now), &out)
	if out.rc == edenied {
		return nil, &Rejected{Reason: C.GoString(C.gh_jwt_reason_name(out.reason)), Message: C.GoString(&out.msg[0])}
	}
	if err := check(out.rc); err != nil {
		return nil, err
	}
	pr := &Principal{Subject: C.GoString(out.subject), Issuer: C.GoString(out.issuer),
		Claims: C.GoBytes(unsafe.Pointer(out.payload), C.int(out.payload_len))}
	C.gh_principal_free(out.principal)
	return pr, nil
}

// Close frees the verifier.
func (v *Verifier) Close() {
	if v.h != nil {
		C.gh_jwt_verifier_free(v.h)
		v.h = nil
	}
}

// Policy is a compiled authorization policy; safe for concurrent use.
type Policy struct{ h *C.gh_policy }

// ParsePolicy compiles a policy document; errors name the JSON path.
func ParsePolicy(doc string) (*Policy, error) {
	p, n := bytes(doc)
	pol := &Policy{}
	msg := make([]byte, 512)
	if rc := C.gh_policy_parse(&pol.h, p, n, (*C.char)(unsafe.Pointer(&msg[0])), 512); rc != 0 {
		return nil, fmt.Errorf("%w: %s", check(rc), C.GoString((*C.char)(unsafe.Pointer(&msg[0]))))
	}
	runtime.SetFinalizer(pol, (*Policy).Close)
	return pol, nil
}

// Request is one authorization question.
type Request struct {
	Subject, Action, Resource string
	Roles, Scopes             []string
	Claims                    string            // JSON object, optional
	ClientIP                  string            // optional
	Headers                   map[string]string // optional; names match case-insensitively
	Time                      time.Time         // for time conditions; the zero Time: the library's clock
}

// Decide answers: allowed, and the deciding rule ("" when none applied).
func (pol *Policy) Decide(r Request) (bool, string, error) {
	var req *C.gh_policy_request
	if err := check(C.gh_policy_request_new(&req)); err != nil {
		return false, "", err
	}
	defer C.gh_policy_request_free(req)
	p, n := bytes(r.Subject)
	C.gh_policy_request_set_subject(req, p, n)
	p, n = bytes(r.Action)
	C.gh_policy_request_set_action(req, p, n)
	p, n = bytes(r.Resource)
	C.gh_policy_request_set_resource(req, p, n)
	for _, s := range r.Roles {
		p, n = bytes(s)
		C.gh_policy_request_add_role(req, p, n)
	}
	for _, s := range r.Scopes {
		p, n = bytes(s)
		C.gh_policy_request_add_scope(req, p, n)
	}
	if r.Claims != "" {
		p, n = bytes(r.Claims)
		if err := check(C.gh_policy_request_set_claims(req, p, n)); err != nil {
			return false, "", err
		}
	}
	if r.ClientIP != "" {
		p, n = bytes(r.ClientIP)
		if err := check(C.gh_policy_request_set_client_ip(req, p, n)); err != nil {
			return false, "", err
		}
	}
	for name, value := range r.Headers {
		np, nn := bytes(name)
		vp, vn := bytes(value)
		if err := check(C.gh_policy_request_add_header(req, np, nn, vp, vn)); err != nil {
			return false, "", err
		}
	}
	if !r.Time.IsZero() {
		C.gh_policy_request_set_time(req, nowMs(r.Time))
	}
	var decision C.int
	var rule *C.char
	if err := check(C.gh_policy_decide(pol.h, req, &decision, &rule)); err != nil {
		return false, "", err
	}
	return decision == C.GH_POLICY_ALLOW, C.GoString(rule), nil
}

// Close frees the policy.
func (pol *Policy) Close() {
	if pol.h != nil {
		C.gh_policy_free(pol.h)
		pol.h = nil
	}
}

// Limiter is one rate limit over many keys; safe for concurrent use.
type Limiter struct{ h *C.gh_limiter }

// ParseLimiter builds a limiter from its JSON configuration.
func ParseLimiter(config string) (*Limiter, error) {
	p, n := bytes(config)
	l := &Limiter{}
	msg := make([]byte, 256)
	if rc := C.gh_limiter_parse(&l.h, p, n, (*C.char)(unsafe.Pointer(&msg[0])), 256); rc != 0 {
		return nil, fmt.Errorf("%w: %s", check(rc), C.GoString((*C.char)(unsafe.Pointer(&msg[0]))))
	}
	if err := check(C.gh_limiter_build(l.h)); err != nil {
		C.gh_limiter_free(l.h)
		return nil, err
	}
	runtime.SetFinalizer(l, (*Limiter).Close)
	return l, nil
}

// Take decides one request of `cost` for key at now; retryAfter is when a denied request would first pass.
func (l *Limiter) Take(key string, cost uint64, now time.Time) (allowed bool, remaining uint64, retryAfter time.Duration, err error) {
	p, n := bytes(key)
	var a C.int
	var r C.uint64_t
	var retry C.int64_t
	err = check(C.gh_limiter_take(l.h, p, n, C.uint64_t(cost), nowMs(now), &a, &r, &retry))
	return a != 0, uint64(r), time.Duration(retry) * time.Millisecond, err
}

// Release gives `cost` concurrency slots back for key.
func (l *Limiter) Release(key string, cost uint64) error {
	p, n := bytes(key)
	return check(C.gh_limiter_release(l.h, p, n, C.uint64_t(cost)))
}

// Close frees the limiter.
func (l *Limiter) Close() {
	if l.h != nil {
		C.gh_limiter_free(l.h)
		l.h = nil
	}
}

// Router maps a method and a path to a route (see gatehouse/router.h). Add
// routes, then Build; once built, Match is safe for concurrent use and Add
// answers EMISUSE (make a new Router to change routes).
type Router struct {
	h *C.gh_router
}

// RouteMatch is a lookup's answer: Status 200 with the route, its pattern and
// parameters; 405 or 204 with Allow; 308 with Location; or 400, 404, 414.
type RouteMatch struct {
	Status         int
	Route, Pattern string
	Params         map[string]string
	Allow          []string
	Location       string
	Path           string // the canonical path looked up (gatehouse/path.h)
}

// NewRouter starts an empty router.
func NewRouter() (*Router, error) {
	r := &Router{}
	if err := check(C.gh_router_new(&r.h)); err != nil {
		return nil, err
	}
	runtime.SetFinalizer(r, (*Router).Close)
	return r, nil
}

func (r *Router) withMessage(rc C.int, msg []byte) error {
	if rc == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", check(rc), C.GoString((*C.char)(unsafe.Pointer(&msg[0]))))
}

// Add adds a route; name "" means "METHOD pattern".
func (r *Router) Add(method, pattern, name string) error {
	m, p := C.CString(method), C.CString(pattern)
	defer C.free(unsafe.Pointer(m))
	defer C.free(unsafe.Pointer(p))
	var n *C.char
	if name != "" {
		n = C.CString(name)
		defer C.free(unsafe.Pointer(n))
	}
	msg := make([]byte, 256)
	return r.withMessage(C.gh_router_add(r.h, m, p, n, nil, (*C.char)(unsafe.Pointer(&msg[0])), 256), msg)
}

// AddOpenAPI adds every operation of an OpenAPI 3.x JSON document.
func (r *Router) AddOpenAPI(doc string) error {
	p, n := bytes(doc)
	msg := make([]byte, 512)
	return r.withMessage(C.gh_router_add_openapi(r.h, p, n, (*C.char)(unsafe.Pointer(&msg[0])), 512), msg)
}

// Build ends configuration: the routes become matchable.
func (r *Router) Build() error {
	return check(C.gh_router_build(r.h))
}

// Match finds the route for method and path (the path may carry a query).
func (r *Router) Match(method, path string) (RouteMatch, error) {
	if r.h == nil {
		return RouteMatch{}, &Error{Code: "EMISUSE"}
	}
	// the answer points into the path: both live in C memory until read
	m := (*C.gh_route_match)(C.malloc(C.sizeof_gh_route_match))
	defer C.free(unsafe.Pointer(m))
	cm, cp := C.CString(method), C.CString(path)
	defer C.free(unsafe.Pointer(cm))
	defer C.free(unsafe.Pointer(cp))
	if err := check(C.gh_router_match(r.h, cm, C.size_t(len(method)), cp, C.size_t(len(path)), m)); err != nil {
		return RouteMatch{}, err
	}
	out := RouteMatch{Status: int(m.status), Params: map[string]string{}}
	if m.name != nil {
		out.Route, out.Pattern = C.GoString(m.name), C.GoString(m.pattern)
	}
	for i := 0; i < int(m.n_params); i++ {
		p := m.params[i]
		out.Params[C.GoString(p.name)] = C.GoStringN(p.value, C.int(p.len))
	}
	for _, a := range strings.Split(C.GoString(&m.allow[0]), ", ") {
		if a != "" {
			out.Allow = append(out.Allow, a)
		}
	}
	if m.location != nil {
		out.Location = C.GoString(m.location)
	}
	if m.path != nil {
		out.Path = C.GoStringN(m.path, C.int(m.path_len))
	}
	return out, nil
}

// Close frees the router.
func (r *Router) Close() {
	if r.h != nil {
		C.gh_router_free(r.h)
		r.h = nil
	}
}

// Pool is an upstream pool (see gatehouse/upstream.h): which target gets the
// next request, with health and a circuit breaker. Safe for concurrent use.
type Pool struct{ h *C.gh_upstream }

// Balancers for NewPool.
const (
	RoundRobin   = C.GH_LB_ROUND_ROBIN
	LeastRequest = C.GH_LB_LEAST_REQUEST
	Maglev       = C.GH_LB_MAGLEV
	Random       = C.GH_LB_RANDOM
)

// Outlier turns passive health on: Failures in a row eject a target for
// Base times the times it was ejected (at most Longest), with at most
// MaxPercent of the targets out at once.
type Outlier struct {
	Failures      uint
	Base, Longest time.Duration
	MaxPercent    uint
}

// PoolConfig is what a pool is configured with before it is shared.
type PoolConfig struct {
	Outlier     *Outlier // nil: no passive health
	MaxRequests uint64   // the circuit breaker's limit of requests in flight; 0: none
}

// NewPool makes a pool over targets ("10.0.0.5:8080"); weights 1-1000, or nil
// for all 1; cfg may be nil. The pool is configured here and shared from here on.
func NewPool(balancer int, targets []string, weights []uint, cfg *PoolConfig) (*Pool, error) {
	if len(targets) == 0 || (weights != nil && len(weights) != len(targets)) {
		return nil, &Error{Code: "EINVAL"}
	}
	names := make([]*C.char, len(targets))
	for i, t := range targets {
		names[i] = C.CString(t)
		defer C.free(unsafe.Pointer(names[i]))
	}
	var w *C.unsigned
	if weights != nil {
		cw := make([]C.unsigned, len(weights))
		for i, x := range weights {
			cw[i] = C.unsigned(x)
		}
		w = &cw[0]
	}
	// the array of C strings lives in C memory: cgo forbids Go memory holding pointers to C
	arr := (**C.char)(C.malloc(C.size_t(len(names)) * C.size_t(unsafe.Sizeof(names[0]))))
	defer C.free(unsafe.Pointer(arr))
	copy(unsafe.Slice(arr, len(names)), names)
	p := &Pool{}
	if err := check(C.gh_upstream_new(&p.h, C.int(balancer), arr, w, C.size_t(len(targets)))); err != nil {
		return nil, err
	}
	if err := p.configure(cfg); err != nil {
		C.gh_upstream_free(p.h)
		return nil, err
	}
	runtime.SetFinalizer(p, (*Pool).Close)
	return p, nil
}

func (p *Pool) configure(cfg *PoolConfig) error {
	if cfg != nil && cfg.Outlier != nil {
		o := cfg.Outlier
		c := C.gh_outlier_config{consecutive_failures: C.unsigned(o.Failures), base_ejection_ms: C.int64_t(o.Base.Milliseconds()),
			max_ejection_ms: C.int64_t(o.Longest.Milliseconds()), max_ejection_percent: C.unsigned(o.MaxPercent)}
		if err := check(C.gh_upstream_set_outlier(p.h, &c)); err != nil {
			return err
		}
	}
	if cfg != nil && cfg.MaxRequests > 0 {
		if err := check(C.gh_upstream_set_max_requests(p.h, C.uint64_t(cfg.MaxRequests))); err != nil {
			return err
		}
	}
	return check(C.gh_upstream_build(p.h))
}

// Pick chooses a healthy target (key: Maglev's hash key, else ignored). Each
// successful Pick is ended with Release. Refused is true when the circuit
// breaker is open (too many requests in flight).
func (p *Pool) Pick(key string) (index int, target string, refused bool, err error) {
	k, n := bytes(key)
	var t C.size_t
	rc := C.gh_upstream_pick(p.h, unsafe.Pointer(k), n, &t)
	if rc == edenied {
		return -1, "", true, nil
	}
	if err := check(rc); err != nil {
		return -1, "", false, err
	}
	return int(t), C.GoString(C.gh_upstream_target(p.h, t)), false, nil
}

// Release ends a request that Pick started.
func (p *Pool) Release(index int) { C.gh_upstream_release(p.h, C.size_t(index)) }

// Report records a request's outcome (ok false: connection failure, timeout, 5xx).
func (p *Pool) Report(index int, ok bool, now time.Time) {
	o := C.int(0)
	if ok {
		o = 1
	}
	C.gh_upstream_report(p.h, C.size_t(index), o, nowMs(now))
}

// Healthy says whether picks may choose the target now.
func (p *Pool) Healthy(index int, now time.Time) bool {
	return C.gh_upstream_is_healthy(p.h, C.size_t(index), nowMs(now)) != 0
}

// Close frees the pool.
func (p *Pool) Close() {
	if p.h != nil {
		C.gh_upstream_free(p.h)
		p.h = nil
	}
}
