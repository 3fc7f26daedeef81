package gatehouse

/*
#include <stdlib.h>
#include <string.h>
#include <gatehouse.h>

// What Go reads after a decision, gathered in C in the same call: one cgo
// crossing per request instead of one per accessor.
#define GH_GO_HEADERS 32
typedef struct gh_go_view {
  int rc, verdict, status;
  size_t n_headers;
  gh_header headers[GH_GO_HEADERS];
  const char *fields[GH_DECISION_FIELD_COUNT];
  const char *body, *upstream_path;
  size_t body_len, upstream_path_len;
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
  v->verdict = gh_decision_verdict(s->d);
  v->status = gh_decision_status(s->d);
  v->n_headers = gh_decision_header_count(s->d);
  for (size_t i = 0; i < v->n_headers && i < GH_GO_HEADERS; i++) v->headers[i] = *gh_decision_header(s->d, i);
  gh_decision_fields(s->d, v->fields, GH_DECISION_FIELD_COUNT);
  v->body = gh_decision_body(s->d, &v->body_len);
  v->upstream_path = gh_decision_upstream_path(s->d, &v->upstream_path_len);
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
	pool []*C.gh_go_slot
	open map[*C.gh_go_slot]struct{}
	log  cgo.Handle
}

// NewGateway loads a configuration (JSON text). A refused one is a *ConfigError.
func NewGateway(config string, o GatewayOptions) (*Gateway, error) {
	gw := &Gateway{open: map[*C.gh_go_slot]struct{}{}}
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
	Claims                                            map[string]interface{}
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
	}
	gw.open[s] = struct{}{}
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
	return gw.read(s), nil
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

func (gw *Gateway) read(s *C.gh_go_slot) *Decision {
	v := &s.view
	d := &Decision{Verdict: Verdict(v.verdict), Status: int(v.status), gw: gw, slot: s}
	if d.Verdict != Forward && d.Verdict != Respond {
		d.Verdict = Respond
	}
	if n := int(v.n_headers); n > 0 {
		d.Headers = make([]Header, n)
		for i := 0; i < n; i++ {
			h := &v.headers[0]
			if i < C.GH_GO_HEADERS {
				h = &v.headers[i]
			} else {
				h = C.gh_decision_header(s.d, C.size_t(i))
			}
			d.Headers[i] = Header{C.GoStringN(h.name, C.int(h.name_len)), C.GoStringN(h.value, C.int(h.value_len))}
		}
	}
	if v.body_len > 0 {
		d.Body = C.GoBytes(unsafe.Pointer(v.body), C.int(v.body_len))
	}
	if v.upstream_path != nil {
		d.UpstreamPath = C.GoStringN(v.upstream_path, C.int(v.upstream_path_len))
	}
	f := &v.fields
	d.RequestID, d.Route, d.API = goString(f[C.GH_DECISION_FIELD_REQUEST_ID]), goString(f[C.GH_DECISION_FIELD_ROUTE]), goString(f[C.GH_DECISION_FIELD_API])
	d.Version, d.Subject = goString(f[C.GH_DECISION_FIELD_API_VERSION]), goString(f[C.GH_DECISION_FIELD_SUBJECT])
	d.Consumer, d.Reason = goString(f[C.GH_DECISION_FIELD_CONSUMER]), goString(f[C.GH_DECISION_FIELD_REASON])
	d.Target = goString(f[C.GH_DECISION_FIELD_TARGET])
	return d
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
		if err := json.Unmarshal(C.GoBytes(unsafe.Pointer(claims), C.int(n)), &p.Claims); err != nil {
			return nil, err
		}
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
	if _, ok := gw.open[s]; !ok || gw.h == nil { // completed by Close
		return
	}
	delete(gw.open, s)
	C.gh_gateway_complete(gw.h, s.d, C.int(status), C.int64_t(ms), C.uint64_t(bytesIn), C.uint64_t(bytesOut))
	gw.pool = append(gw.pool, s)
}

func (gw *Gateway) giveBack(s *C.gh_go_slot) {
	gw.mu.Lock()
	defer gw.mu.Unlock()
	delete(gw.open, s)
	if gw.h == nil {
		C.gh_go_slot_free(s)
		return
	}
	gw.pool = append(gw.pool, s)
}

// Close frees the gateway. Decisions still open are completed with status 0
// (their Complete is then a no-op). Call it once no goroutine is deciding.
func (gw *Gateway) Close() {
	gw.mu.Lock()
	defer gw.mu.Unlock()
	if gw.h == nil {
		return
	}
	for s := range gw.open {
		C.gh_go_slot_free(s) // completes it first (status 0)
	}
	gw.open = map[*C.gh_go_slot]struct{}{}
	for _, s := range gw.pool {
		C.gh_go_slot_free(s)
	}
	gw.pool = nil
	C.gh_gateway_free(gw.h)
	gw.h = nil
	if gw.log != 0 {
		gw.log.Delete()
		gw.log = 0
	}
	runtime.SetFinalizer(gw, nil)
}
