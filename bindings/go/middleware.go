package gatehouse

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"
)

type contextKey int

const (
	decisionKey contextKey = iota
	principalKey
)

// DecisionFrom is the Decision the middleware made for this request, or nil.
func DecisionFrom(ctx context.Context) *Decision {
	d, _ := ctx.Value(decisionKey).(*Decision)
	return d
}

// PrincipalFrom is the authenticated caller of this request, or nil when anonymous.
func PrincipalFrom(ctx context.Context) *Identity {
	p, _ := ctx.Value(principalKey).(*Identity)
	return p
}

// Middleware puts the gateway in front of a handler: each request is decided
// first. A denial (401, 403, 429, 410, ...) is answered here with the
// pipeline's status, headers and problem+json body. A request that passes
// reaches the handler with its Decision and Identity in the context
// (DecisionFrom, PrincipalFrom) and the decision's response headers
// (Deprecation, Sunset, RateLimit, ...) already set; the decision is completed
// with the handler's status, time and byte counts when it returns. The
// configuration's routes still name an upstream: here it stands for the
// handler and is not called.
//
//	http.ListenAndServe(":8080", gatehouse.Middleware(gw)(mux))
func Middleware(gw *Gateway) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			d, err := gw.DecideHTTP(r)
			if err != nil {
				w.Header().Set("Content-Type", "application/problem+json")
				w.WriteHeader(http.StatusServiceUnavailable)
				io.WriteString(w, `{"type":"about:blank","title":"Service Unavailable","status":503,"detail":"the gateway could not decide"}`)
				return
			}
			if !d.Forwarded() {
				h := w.Header()
				for _, x := range d.Headers {
					h.Add(x.Name, x.Value)
				}
				h.Set("Content-Length", strconv.Itoa(len(d.Body)))
				w.WriteHeader(d.Status)
				w.Write(d.Body)
				d.Complete(d.Status, -1, 0, uint64(len(d.Body)))
				return
			}
			who, err := d.Principal()
			if err != nil {
				d.Complete(http.StatusInternalServerError, -1, 0, 0)
				http.Error(w, "gatehouse: "+err.Error(), http.StatusInternalServerError)
				return
			}
			for _, x := range d.Headers {
				w.Header().Add(x.Name, x.Value)
			}
			rec := &recorder{ResponseWriter: w}
			body := &countingBody{ReadCloser: r.Body}
			if r.Body != nil && r.Body != http.NoBody {
				r.Body = body
			}
			ctx := context.WithValue(context.WithValue(r.Context(), decisionKey, d), principalKey, who)
			start := time.Now()
			defer func() {
				status := rec.status
				if status == 0 {
					status = http.StatusOK
				}
				if p := recover(); p != nil {
					d.Complete(http.StatusInternalServerError, time.Since(start), body.n, rec.n)
					panic(p)
				}
				d.Complete(status, time.Since(start), body.n, rec.n)
			}()
			next.ServeHTTP(rec, r.WithContext(ctx))
		})
	}
}

// recorder notes the handler's status and bytes, passing everything through.
type recorder struct {
	http.ResponseWriter
	status int
	n      uint64
}

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(p)
	r.n += uint64(n)
	return n, err
}

// Flush and Hijack keep streaming and protocol upgrades working behind the middleware.
func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (r *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := r.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("gatehouse: the ResponseWriter cannot be hijacked")
	}
	if r.status == 0 {
		r.status = http.StatusSwitchingProtocols
	}
	return h.Hijack()
}

// Unwrap gives http.ResponseController the writer underneath.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

type countingBody struct {
	io.ReadCloser
	n uint64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n += uint64(n)
	return n, err
}
