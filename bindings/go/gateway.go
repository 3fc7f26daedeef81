package gatehouse

/*
#include <stdlib.h>
#include <string.h>
#include <gatehouse.h>

// What Go reads after a decision, gathered in C in the same call: one cgo
// crossing per request instead of one per accessor. strings: as
// gh_decision_strings writes them.
typedef struct gh_go_view {
  int rc;
  char *strings;
  size_t strings_len, strings_cap;
  const char *body;
  size_t body_len;
} gh_go_view;

// A pooled decision with the C memory its requests are copied into: C never
// sees a Go pointer.
typedef struct gh_go_slot {
  gh_decision *d;
  gh_request req;
  gh_header *headers;
  size_t headers_cap;
  char *bytes;
  size_t bytes_cap;
  gh_go_view view;
} gh_go_slot;

static gh_go_slot *gh_go_slot_new(void) {
  gh_go_slot *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  if (gh_decision_new(&s->d)) {
    free(s);
    return NULL;
  }
  return s;
}

static void gh_go_slot_free(gh_go_slot *s) {
  if (!s) return;
  gh_decision_free(s->d);
  free(s->headers);
  free(s->bytes);
  free(s->view.strings);
  free(s);
}

// Room for n headers and len bytes. 0 or GH_ENOMEM.
static int gh_go_slot_reserve(gh_go_slot *s, size_t n, size_t len) {
  if (n > s->headers_cap) {
    gh_header *h = realloc(s->headers, n * sizeof *h);
    if (!h) return GH_ENOMEM;
    s->headers = h;
    s->headers_cap = n;
  }
  if (len > s->bytes_cap) {
    char *b = realloc(s->bytes, len);
    if (!b) return GH_ENOMEM;
    s->bytes = b;
    s->bytes_cap = len;
  }
  return GH_OK;
}

static void gh_go_decide(gh_gateway *gw, gh_go_slot *s, int64_t now_ms) {
  gh_go_view *v = &s->view;
  v->rc = gh_gateway_decide(gw, &s->req, now_ms, s->d);
  int rc = gh_decision_strings(s->d, v->strings, v->strings_cap, &v->strings_len);
  if (rc == GH_ETOOBIG) {
    char *bigger = realloc(v->strings, v->strings_len * 2);
    if (!bigger) {
      v->rc = GH_ENOMEM;
      return;
    }
    v->strings = bigger;
    v->strings_cap = v->strings_len * 2;
    gh_decision_strings(s->d, v->strings, v->strings_cap, &v->strings_len);
  }
  v->body = gh_decision_body(s->d, &v->body_len);
}

// The access log's sink, in Go (gateway_callbacks.go); ud carries a cgo.Handle.
extern void gatehouseAccessLog(void *ud, char *line, size_t len);
static int gh_go_set_access_log(gh_gateway *gw, uintptr_t handle) {
  return gh_gateway_set_access_log(gw, (gh_access_log_fn)gatehouseAccessLog, (void *)handle);
}
*/
import "C"

import (
	"encoding/json"
	"net"
	"net/http"
	"runtime"
	"runtime/cgo"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// ConfigError is a refused configuration: Errors are the located messages
// ("$.apis[0].routes[1].path (3:14): ...").
type ConfigError struct {
	Code   string
	Errors []string
}

func (e *ConfigError) Error() string {
	return "gatehouse: configuration refused (" + e.Code + "): " + strings.Join(e.Errors, "; ")
}

// Unwrap makes errors.Is(err, &Error{Code: "EPARSE"})-style checks see the code.
func (e *ConfigError) Unwrap() error { return &Error{Code: e.Code} }

// Is matches an *Error with the same code (and the same detail, when the target has one).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && (t.Detail == "" || t.Detail == e.Detail)
}

// ErrClosed is returned by a closed Gateway; ErrCompleted by what a Decision
// can no longer read once completed.
var (
	ErrClosed    = &Error{Code: "EMISUSE", Detail: "the gateway is closed"}
	ErrCompleted = &Error{Code: "EMISUSE", Detail: "read it before Complete: what it names is let go of at completion"}
)

// Verdict is what a Decision says to do.
type Verdict int

const (
	Forward Verdict = 1 // send the request to Decision.Target
	Respond Verdict = 2 // answer with Decision.Status, Headers and Body
)

// Header is one response or request header.
type Header struct{ Name, Value string }

// GatewayOptions configure a Gateway; the zero value is fine.
type GatewayOptions struct {
	// AccessLog receives one JSON line per completed request (no credential,
	// path, query or header), on the completing goroutine.
	AccessLog func(line []byte)
}

// Gateway is the whole pipeline (gatehouse/gateway.h) over one declarative
// configuration (docs/gateway.md). Safe for concurrent use: Decide from any
// number of goroutines; Reload and Patch swap configurations while they run.
type Gateway struct {
	mu   sync.Mutex
	h    *C.gh_gateway
	pool []*C.gh_go_slot // idle decisions
	all  []*C.gh_go_slot // every decision made, idle or open: Close frees them all
	log  cgo.Handle
}

// NewGateway loads a configuration (JSON text). A refused one is a *ConfigError.
func NewGateway(config string, o GatewayOptions) (*Gateway, error) {
	gw := &Gateway{}
	if err := check(C.gh_gateway_new(&gw.h)); err != nil {
		return nil, err
	}
	runtime.SetFinalizer(gw, (*Gateway).Close)
	if o.AccessLog != nil {
		gw.log = cgo.NewHandle(o.AccessLog)
		if err := check(C.gh_go_set_access_log(gw.h, C.uintptr_t(gw.log))); err != nil {
			gw.Close()
			return nil, err
		}
	}
	if err := gw.apply(func(p *C.char, n C.size_t, msg *C.char, cap C.size_t) C.int {
		return C.gh_gateway_load(gw.h, p, n, msg, cap)
	}, config); err != nil {
		gw.Close()
		return nil, err
	}
	return gw, nil
}

// CheckConfig validates a configuration without loading it.
func CheckConfig(config string) error {
	return configCall(func(p *C.char, n C.size_t, msg *C.char, cap C.size_t) C.int {
		return C.gh_gateway_config_check(p, n, msg, cap)
	}, config)
}

const errorsCap = 16384

func configCall(fn func(p *C.char, n C.size_t, msg *C.char, cap C.size_t) C.int, doc string) error {
	p, n := bytes(doc)
	msg := make([]byte, errorsCap)
	if rc := fn(p, n, (*C.char)(unsafe.Pointer(&msg[0])), errorsCap); rc != 0 {
		text := C.GoString((*C.char)(unsafe.Pointer(&msg[0])))
		var lines []string
		for _, l := range strings.Split(text, "\n") {
			if strings.TrimSpace(l) != "" {
				lines = append(lines, l)
			}
		}
		return &ConfigError{Code: C.GoString(C.gh_err_name(rc)), Errors: lines}
	}
	return nil
}

func (gw *Gateway) apply(fn func(p *C.char, n C.size_t, msg *C.char, cap C.size_t) C.int, doc string) error {
	if gw.h == nil {
		return ErrClosed
	}
	return configCall(fn, doc)
}

// Reload swaps in a new configuration; decisions under way finish on the old
// one, limits, metrics and usage keep their counts. A refused document
// (*ConfigError) changes nothing.
func (gw *Gateway) Reload(config string) error {
	return gw.apply(func(p *C.char, n C.size_t, msg *C.char, cap C.size_t) C.int {
		return C.gh_gateway_reload(gw.h, p, n, msg, cap)
	}, config)
}

// Patch applies an RFC 6902 JSON Patch to the current document, as a reload.
func (gw *Gateway) Patch(operations string) error {
	return gw.apply(func(p *C.char, n C.size_t, msg *C.char, cap C.size_t) C.int {
		return C.gh_gateway_patch(gw.h, p, n, msg, cap)
	}, operations)
}

// Subscribe adds or changes a consumer's subscription to an API version ("*":
// every version), state "active" or "suspended"; state "" removes it.
func (gw *Gateway) Subscribe(consumer, api, version, state string) error {
	if gw.h == nil {
		return ErrClosed
	}
	cs := []*C.char{C.CString(consumer), C.CString(api), C.CString(version), nil}
	if state != "" {
		cs[3] = C.CString(state)
	}
	defer func() {
		for _, s := range cs {
			C.free(unsafe.Pointer(s))
		}
	}()
	msg := make([]byte, errorsCap)
	if rc := C.gh_gateway_subscribe(gw.h, cs[0], cs[1], cs[2], cs[3], (*C.char)(unsafe.Pointer(&msg[0])), errorsCap); rc != 0 {
		return &ConfigError{Code: C.GoString(C.gh_err_name(rc)), Errors: []string{C.GoString((*C.char)(unsafe.Pointer(&msg[0])))}}
	}
	return nil
}

// Version is the loaded configuration's version: 1, then one more per reload or patch.
func (gw *Gateway) Version() uint64 {
	if gw.h == nil {
		return 0
	}
	return uint64(C.gh_gateway_version(gw.h))
}

func (gw *Gateway) text(fn func(out **C.char, n *C.size_t) C.int) (string, error) {
	if gw.h == nil {
		return "", ErrClosed
	}
	var out *C.char
	var n C.size_t
	if err := check(fn(&out, &n)); err != nil {
		return "", err
	}
	defer C.gh_free(unsafe.Pointer(out))
	return C.GoStringN(out, C.int(n)), nil
}

// Metrics is the Prometheus text exposition (format 0.0.4).
func (gw *Gateway) Metrics() (string, error) {
	return gw.text(func(out **C.char, n *C.size_t) C.int { return C.gh_metrics_write(gw.h, out, n) })
}

// Usage is the usage per consumer, plan, API and version, as JSON lines.
func (gw *Gateway) Usage() (string, error) {
	return gw.text(func(out **C.char, n *C.size_t) C.int { return C.gh_usage_write(gw.h, out, n) })
}

// OpenAPI is the OpenAPI 3.1 document of the catalog's published and deprecated versions.
func (gw *Gateway) OpenAPI() (string, error) {
	return gw.text(func(out **C.char, n *C.size_t) C.int { return C.gh_gateway_openapi(gw.h, out, n) })
}

// GatewayRequest is one request to decide. Path is the target's path as
// received and Query what follows the '?' (empty: none); Body only when the
// gateway should see it (GraphQL routes).
type GatewayRequest struct {
	Method, Host, Path, Query string
	Header                    http.Header
	ClientIP                  string
	Scheme                    string // "https" or "http" as the client used it; "": https
	Body                      []byte
	ClientCertSHA256          []byte    // the TLS client certificate's SHA-256 (RFC 8705), 32 bytes, or nil
	Now                       time.Time // the zero Time: now
}

// Decision is what the gateway decided for one request. Complete it once
// answered. Its fields stay valid after Complete; Principal, Explain and
// UpstreamHeaders must be read before.
type Decision struct {
	Verdict      Verdict
	Status       int      // Respond: the status to answer with
	Headers      []Header // Respond: the answer's; Forward: to add to the upstream's answer (Deprecation, RateLimit, ...)
	Body         []byte   // Respond: the body (problem+json)
	Target       string   // Forward: the upstream target
	UpstreamPath string   // Forward: the path and query to send upstream
	RequestID    string
	Route        string
	API          string
	Version      string
	Subject      string
	Consumer     string
	Reason       string // "authenticate:INVALID_TOKEN", "limit:per-caller", ...

	gw        *Gateway
	slot      *C.gh_go_slot
	principal *Identity
	read      bool
}

// Identity is the authenticated caller as the gateway's realm saw them.
type Identity struct {
	Subject, Realm, Provider, ClientID, Consumer, ACR string
	Roles, Scopes                                     []string
	Claims                                            json.RawMessage // the token's payload (JSON object), or nil
}

func (gw *Gateway) take() (*C.gh_go_slot, error) {
	gw.mu.Lock()
	defer gw.mu.Unlock()
	if gw.h == nil {
		return nil, ErrClosed
	}
	var s *C.gh_go_slot
	if n := len(gw.pool); n > 0 {
		s = gw.pool[n-1]
		gw.pool = gw.pool[:n-1]
	} else if s = C.gh_go_slot_new(); s == nil {
		return nil, &Error{Code: "ENOMEM"}
	} else {
		gw.all = append(gw.all, s)
	}
	return s, nil
}

// Decide decides one request. A denial is a Respond Decision, not an error;
// an error means no decision (a closed gateway, no memory).
func (gw *Gateway) Decide(r *GatewayRequest) (*Decision, error) {
	s, err := gw.take()
	if err != nil {
		return nil, err
	}
	if err := fill(s, r); err != nil {
		gw.giveBack(s)
		return nil, err
	}
	now := r.Now
	if now.IsZero() {
		now = time.Now()
	}
	C.gh_go_decide(gw.h, s, nowMs(now))
	return gw.read(s)
}

// DecideHTTP decides an incoming *http.Request: its raw path and query, Host,
// headers, the peer's address and the scheme it came in on.
func (gw *Gateway) DecideHTTP(r *http.Request) (*Decision, error) {
	path, query := r.URL.EscapedPath(), r.URL.RawQuery
	if r.RequestURI != "" && r.RequestURI[0] == '/' { // as received, before Go cleans or decodes it
		path, query, _ = strings.Cut(r.RequestURI, "?")
	}
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return gw.Decide(&GatewayRequest{Method: r.Method, Host: r.Host, Path: path, Query: query, Header: r.Header,
		ClientIP: ip, Scheme: scheme})
}

// fill copies the request into the slot's C memory.
func fill(s *C.gh_go_slot, r *GatewayRequest) error {
	total, n := len(r.Method)+len(r.Host)+len(r.Path)+len(r.Query)+len(r.ClientIP)+len(r.Scheme)+len(r.Body)+len(r.ClientCertSHA256), 0
	for name, values := range r.Header {
		total += len(values) * len(name)
		for _, v := range values {
			total += len(v)
		}
		n += len(values)
	}
	if C.gh_go_slot_reserve(s, C.size_t(n), C.size_t(total)) != 0 {
		return &Error{Code: "ENOMEM"}
	}
	var buf []byte
	if total > 0 {
		buf = unsafe.Slice((*byte)(unsafe.Pointer(s.bytes)), total)
	}
	at := 0
	put := func(v string) (*C.char, C.size_t) {
		if v == "" {
			return nil, 0
		}
		p := (*C.char)(unsafe.Pointer(&buf[at]))
		at += copy(buf[at:], v)
		return p, C.size_t(len(v))
	}
	req := &s.req
	*req = C.gh_request{}
	req.method, req.method_len = put(r.Method)
	req.host, req.host_len = put(r.Host)
	req.path, req.path_len = put(r.Path)
	if r.Query != "" {
		req.query, req.query_len = put(r.Query)
	}
	req.client_ip, req.client_ip_len = put(r.ClientIP)
	req.scheme, req.scheme_len = put(r.Scheme)
	if r.Body != nil {
		req.body, req.body_len = s.bytes, C.size_t(len(r.Body)) // offered, maybe empty
		if len(r.Body) > 0 {
			req.body = (*C.char)(unsafe.Pointer(&buf[at]))
			at += copy(buf[at:], r.Body)
		}
	}
	if len(r.ClientCertSHA256) == 32 {
		p, _ := put(string(r.ClientCertSHA256))
		req.client_cert_sha256 = (*C.uchar)(unsafe.Pointer(p))
	}
	if n > 0 {
		headers := unsafe.Slice(s.headers, n)
		i := 0
		for name, values := range r.Header {
			for _, v := range values {
				h := &headers[i]
				h.name, h.name_len = put(name)
				h.value, h.value_len = put(v)
				if h.value == nil {
					h.value = s.bytes
				}
				i++
			}
		}
		req.headers, req.n_headers = s.headers, C.size_t(n)
	}
	return nil
}

func goString(p *C.char) string {
	if p == nil {
		return ""
	}
	return C.GoString(p)
}

func (gw *Gateway) read(s *C.gh_go_slot) (*Decision, error) {
	v := &s.view
	if v.rc == C.GH_ENOMEM {
		gw.giveBack(s)
		return nil, &Error{Code: "ENOMEM"}
	}
	// one copy of every string, then views into it, in gh_decision_strings' order
	all := C.GoStringN(v.strings, C.int(v.strings_len-1))
	next := func() string {
		i := strings.IndexByte(all, 0)
		if i < 0 {
			out := all
			all = ""
			return out
		}
		out := all[:i]
		all = all[i+1:]
		return out
	}
	d := &Decision{Verdict: Respond, gw: gw, slot: s}
	if next() == "forward" {
		d.Verdict = Forward
	}
	d.Status = atoi(next())
	d.RequestID, d.Route, d.API, d.Version = next(), next(), next(), next()
	d.Subject, d.Consumer, d.Reason, d.Target, d.UpstreamPath = next(), next(), next(), next(), next()
	if all != "" {
		n := strings.Count(all, "\x00")/2 + 1
		d.Headers = make([]Header, 0, n)
		for all != "" {
			name := next()
			d.Headers = append(d.Headers, Header{name, next()})
		}
	}
	if v.body_len > 0 && d.Verdict == Respond {
		d.Body = C.GoBytes(unsafe.Pointer(v.body), C.int(v.body_len))
	}
	return d, nil
}

// atoi reads gh_decision_strings' decimal status.
func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

// Forwarded says whether the request goes on (to Target, or to the wrapped handler).
func (d *Decision) Forwarded() bool { return d.Verdict == Forward }

// Principal is the caller's Identity, or nil when anonymous. Read it before
// Complete (ErrCompleted after, unless read before).
func (d *Decision) Principal() (*Identity, error) {
	if d.read {
		return d.principal, nil
	}
	if d.slot == nil {
		return nil, ErrCompleted
	}
	d.read = true
	id := C.gh_decision_identity(d.slot.d)
	if id == nil {
		if d.Subject != "" {
			d.principal = &Identity{Subject: d.Subject, Consumer: d.Consumer}
		}
		return d.principal, nil
	}
	p := &Identity{Subject: d.Subject, Consumer: d.Consumer, Realm: goString(C.gh_identity_realm(id)),
		Provider: goString(C.gh_identity_idp(id)), ClientID: goString(C.gh_identity_client_id(id)),
		ACR: goString(C.gh_identity_acr(id))}
	for i := C.size_t(0); i < C.gh_identity_role_count(id); i++ {
		p.Roles = append(p.Roles, C.GoString(C.gh_identity_role(id, i)))
	}
	for i := C.size_t(0); i < C.gh_identity_scope_count(id); i++ {
		p.Scopes = append(p.Scopes, C.GoString(C.gh_identity_scope(id, i)))
	}
	var n C.size_t
	if claims := C.gh_identity_claims(id, &n); claims != nil && n > 0 {
		p.Claims = C.GoBytes(unsafe.Pointer(claims), C.int(n))
	}
	d.principal = p
	return p, nil
}

// Explain is how it was decided, as JSON: each stage's outcome and the rule
// that decided. Read it before Complete.
func (d *Decision) Explain() (json.RawMessage, error) {
	if d.slot == nil {
		return nil, ErrCompleted
	}
	var need C.size_t
	buf := make([]byte, 4096)
	rc := C.gh_decision_explain(d.slot.d, (*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)), &need)
	if rc == C.GH_ETOOBIG {
		buf = make([]byte, int(need)+1)
		rc = C.gh_decision_explain(d.slot.d, (*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)), &need)
	}
	if err := check(rc); err != nil {
		return nil, err
	}
	return json.RawMessage(buf[:need]), nil
}

// UpstreamHeaders are the request headers to send upstream (Forward), after
// the route's transformations. Read them before Complete.
func (d *Decision) UpstreamHeaders() ([]Header, error) {
	if d.slot == nil {
		return nil, ErrCompleted
	}
	var n C.size_t
	arr := C.gh_decision_upstream_headers(d.slot.d, &n)
	if arr == nil || n == 0 {
		return nil, nil
	}
	out := make([]Header, int(n))
	for i, h := range unsafe.Slice(arr, int(n)) {
		out[i] = Header{C.GoStringN(h.name, C.int(h.name_len)), C.GoStringN(h.value, C.int(h.value_len))}
	}
	return out, nil
}

// Complete reports how the request ended: the status sent (0 when the
// upstream could not be reached), the upstream's time (negative: not
// forwarded) and the bytes both ways. It reports health, releases limits'
// slots and records metrics. A second call is a no-op.
func (d *Decision) Complete(status int, upstream time.Duration, bytesIn, bytesOut uint64) {
	s := d.slot
	if s == nil {
		return
	}
	d.slot = nil
	ms := int64(-1)
	if upstream >= 0 {
		ms = upstream.Milliseconds()
	}
	gw := d.gw
	gw.mu.Lock()
	defer gw.mu.Unlock()
	if gw.h == nil { // closed: Close completed and freed it
		return
	}
	C.gh_gateway_complete(gw.h, s.d, C.int(status), C.int64_t(ms), C.uint64_t(bytesIn), C.uint64_t(bytesOut))
	gw.pool = append(gw.pool, s)
}

func (gw *Gateway) giveBack(s *C.gh_go_slot) {
	gw.mu.Lock()
	defer gw.mu.Unlock()
	if gw.h != nil {
		gw.pool = append(gw.pool, s)
	}
}

// Close frees the gateway. Decisions still open are completed with status 0
// (their Complete is then a no-op). Call it once no goroutine is deciding.
func (gw *Gateway) Close() {
	gw.mu.Lock()
	defer gw.mu.Unlock()
	if gw.h == nil {
		return
	}
	for _, s := range gw.all {
		C.gh_go_slot_free(s) // an open one is completed first, with status 0
	}
	gw.all, gw.pool = nil, nil
	C.gh_gateway_free(gw.h)
	gw.h = nil
	if gw.log != 0 {
		gw.log.Delete()
		gw.log = 0
	}
	runtime.SetFinalizer(gw, nil)
}
