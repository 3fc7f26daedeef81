"""gatehouse for Python through ctypes (standard library only): token verification,
API keys, authorization policy, rate limits, routing and upstream pools.

    import gatehouse
    keys = gatehouse.KeySet(open("jwks.json").read())
    verifier = gatehouse.Verifier(issuers=["https://id.example.com"], audiences=["api://orders"])
    verifier.set_keys(keys)
    try:
        who = verifier.verify(token)
        print(who.subject, who.claims["scope"])
    except gatehouse.TokenRejected as e:
        print(e.reason, e)          # e.g. "EXPIRED"

The whole gateway, and middleware for WSGI and ASGI applications, are in
gatehouse.Gateway, gatehouse.wsgi and gatehouse.asgi.

The shared library is found through $GATEHOUSE_LIB (the file or its folder),
then next to the package, then the source tree's build, then the system's
loader.
"""
import ctypes
import json
import threading

from ._native import (_EDENIED, Error, TokenRejected, _bytes, _c, _check, _fn, _free, _i64, _mirrors, _now_ms, _p,
                      _sz)

__all__ = ["Error", "TokenRejected", "KeySet", "Verifier", "Principal", "ApiKeyStore", "Policy", "Limiter", "Router",
           "Pool", "Gateway", "Decision", "Identity", "thumbprint", "version"]


_version = _fn("gh_version_string", _c)
_backend = _fn("gh_crypto_backend", _c)
_jwks_parse = _fn("gh_jwks_parse", ctypes.c_int, ctypes.POINTER(_p), _c, _sz, _c, _sz)
_jwks_free = _fn("gh_jwks_free", None, _p)
_jwks_count = _fn("gh_jwks_count", _sz, _p)
_jwks_skipped = _fn("gh_jwks_skipped", _sz, _p)
_thumbprint = _fn("gh_jwk_thumbprint", ctypes.c_int, _c, _sz, _c, _sz)
_v_new = _fn("gh_jwt_verifier_new", ctypes.c_int, ctypes.POINTER(_p))
_v_free = _fn("gh_jwt_verifier_free", None, _p)
_v_alg = _fn("gh_jwt_verifier_allow_alg", ctypes.c_int, _p, _c)
_v_iss = _fn("gh_jwt_verifier_add_issuer", ctypes.c_int, _p, _c, _sz)
_v_aud = _fn("gh_jwt_verifier_add_audience", ctypes.c_int, _p, _c, _sz)
_v_leeway = _fn("gh_jwt_verifier_set_leeway", ctypes.c_int, _p, ctypes.c_int)
_v_typ = _fn("gh_jwt_verifier_set_typ", ctypes.c_int, _p, _c)
_v_cache = _fn("gh_jwt_verifier_set_cache", ctypes.c_int, _p, _sz, _i64)
_v_build = _fn("gh_jwt_verifier_build", ctypes.c_int, _p)
_v_set_jwks = _fn("gh_jwt_verifier_set_jwks", ctypes.c_int, _p, _p, _i64)
_verify = _fn("gh_jwt_verify", ctypes.c_int, _p, _c, _sz, _i64, ctypes.POINTER(_p), ctypes.POINTER(ctypes.c_int), _c, _sz)
_reason_name = _fn("gh_jwt_reason_name", _c, ctypes.c_int)
_pr_free = _fn("gh_principal_free", None, _p)
_pr_sub = _fn("gh_principal_subject", _c, _p)
_pr_iss = _fn("gh_principal_issuer", _c, _p)
_pr_exp = _fn("gh_principal_expires_at", _i64, _p)
_pr_alg = _fn("gh_principal_alg", _c, _p)
_pr_payload = _fn("gh_principal_payload", ctypes.POINTER(ctypes.c_char), _p, ctypes.POINTER(_sz))
_ak_new = _fn("gh_apikey_store_new", ctypes.c_int, ctypes.POINTER(_p))
_ak_free = _fn("gh_apikey_store_free", None, _p)
_ak_add = _fn("gh_apikey_store_add", ctypes.c_int, _p, _c, _sz, _c, _c, _i64)
_ak_build = _fn("gh_apikey_store_build", ctypes.c_int, _p)
_ak_revoke = _fn("gh_apikey_store_revoke", ctypes.c_int, _p, _c, _sz)
_ak_lookup = _fn("gh_apikey_lookup", ctypes.c_int, _p, _c, _sz, _i64, ctypes.POINTER(_p), ctypes.POINTER(ctypes.c_int))
_ak_consumer = _fn("gh_apikey_consumer", _c, _p)
_ak_scopes = _fn("gh_apikey_scopes", _c, _p)
_ak_reason = _fn("gh_apikey_reason_name", _c, ctypes.c_int)

_pol_parse = _fn("gh_policy_parse", ctypes.c_int, ctypes.POINTER(_p), _c, _sz, _c, _sz)
_pol_free = _fn("gh_policy_free", None, _p)
_pol_rules = _fn("gh_policy_rule_count", _sz, _p)
_req_new = _fn("gh_policy_request_new", ctypes.c_int, ctypes.POINTER(_p))
_req_free = _fn("gh_policy_request_free", None, _p)
_req_subject = _fn("gh_policy_request_set_subject", ctypes.c_int, _p, _c, _sz)
_req_role = _fn("gh_policy_request_add_role", ctypes.c_int, _p, _c, _sz)
_req_scope = _fn("gh_policy_request_add_scope", ctypes.c_int, _p, _c, _sz)
_req_action = _fn("gh_policy_request_set_action", ctypes.c_int, _p, _c, _sz)
_req_resource = _fn("gh_policy_request_set_resource", ctypes.c_int, _p, _c, _sz)
_req_claims = _fn("gh_policy_request_set_claims", ctypes.c_int, _p, _c, _sz)
_req_ip = _fn("gh_policy_request_set_client_ip", ctypes.c_int, _p, _c, _sz)
_req_header = _fn("gh_policy_request_add_header", ctypes.c_int, _p, _c, _sz, _c, _sz)
_req_time = _fn("gh_policy_request_set_time", ctypes.c_int, _p, _i64)
_pol_decide = _fn("gh_policy_decide", ctypes.c_int, _p, _p, ctypes.POINTER(ctypes.c_int), ctypes.POINTER(_c))
_pol_explain = _fn("gh_policy_explain", ctypes.c_int, _p, _p, ctypes.POINTER(ctypes.c_int), ctypes.POINTER(_c),
                   ctypes.POINTER(ctypes.POINTER(ctypes.c_char)), ctypes.POINTER(_sz))
_lim_new = _fn("gh_limiter_new", ctypes.c_int, ctypes.POINTER(_p), _c, ctypes.c_int, ctypes.c_uint64, _i64, ctypes.c_uint64, _sz)
_lim_free = _fn("gh_limiter_free", None, _p)
_lim_build = _fn("gh_limiter_build", ctypes.c_int, _p)
_lim_release = _fn("gh_limiter_release", ctypes.c_int, _p, _c, _sz, ctypes.c_uint64)
_lim_take = _fn("gh_limiter_take", ctypes.c_int, _p, _c, _sz, ctypes.c_uint64, _i64, ctypes.POINTER(ctypes.c_int),
                ctypes.POINTER(ctypes.c_uint64), ctypes.POINTER(_i64))

_router_new = _fn("gh_router_new", ctypes.c_int, ctypes.POINTER(_p))
_router_add = _fn("gh_router_add", ctypes.c_int, _p, _c, _c, _c, _p, _c, _sz)
_router_openapi = _fn("gh_router_add_openapi", ctypes.c_int, _p, _c, _sz, _c, _sz)
_router_build = _fn("gh_router_build", ctypes.c_int, _p)
_router_free = _fn("gh_router_free", None, _p)
_MAX_PARAMS = 16

_up_new = _fn("gh_upstream_new", ctypes.c_int, ctypes.POINTER(_p), ctypes.c_int, ctypes.POINTER(_c),
              ctypes.POINTER(ctypes.c_uint), _sz)
_up_free = _fn("gh_upstream_free", None, _p)
_up_build = _fn("gh_upstream_build", ctypes.c_int, _p)
_up_pick = _fn("gh_upstream_pick", ctypes.c_int, _p, _c, _sz, ctypes.POINTER(_sz))
_up_release = _fn("gh_upstream_release", None, _p, _sz)
_up_target = _fn("gh_upstream_target", _c, _p, _sz)


class _OutlierConfig(ctypes.Structure):
    """gh_outlier_config (gatehouse/upstream.h), field for field."""
    _fields_ = [("consecutive_failures", ctypes.c_uint), ("base_ejection_ms", _i64), ("max_ejection_ms", _i64),
                ("max_ejection_percent", ctypes.c_uint)]


_up_outlier = _fn("gh_upstream_set_outlier", ctypes.c_int, _p, ctypes.POINTER(_OutlierConfig))
_up_report = _fn("gh_upstream_report", None, _p, _sz, ctypes.c_int, _i64)
_up_healthy = _fn("gh_upstream_is_healthy", ctypes.c_int, _p, _sz, _i64)
_up_max_requests = _fn("gh_upstream_set_max_requests", ctypes.c_int, _p, ctypes.c_uint64)


class _RouteParam(ctypes.Structure):
    _fields_ = [("name", _c), ("value", ctypes.POINTER(ctypes.c_char)), ("len", _sz)]


class _RouteMatch(ctypes.Structure):
    """The leading fields of gh_route_match (gatehouse/router.h); its buffers
    follow, so it is allocated gh_route_match_size() bytes."""
    _fields_ = [("status", ctypes.c_int), ("name", _c), ("pattern", _c), ("ud", _p), ("n_params", _sz),
                ("params", _RouteParam * _MAX_PARAMS), ("allow", ctypes.c_char * 160), ("location", _c),
                ("path", ctypes.POINTER(ctypes.c_char)), ("path_len", _sz)]


_route_match_size = _fn("gh_route_match_size", _sz)()


_mirrors((_OutlierConfig, "gh_outlier_config"), (_RouteParam, "gh_route_param"))
if ctypes.sizeof(_RouteMatch) > _route_match_size:
    raise ImportError("gatehouse: gh_route_match is smaller in this library than the binding's view of it")
_router_match = _fn("gh_router_match", ctypes.c_int, _p, _c, _sz, _c, _sz, ctypes.POINTER(_RouteMatch))

def version():
    """(library version, crypto backend)."""
    return _version().decode(), _backend().decode()


def thumbprint(jwk):
    """RFC 7638 SHA-256 thumbprint of a JWK (JSON text or dict)."""
    data = _bytes(json.dumps(jwk) if isinstance(jwk, dict) else jwk)
    out = ctypes.create_string_buffer(44)
    _check(_thumbprint(data, len(data), out, 44))
    return out.value.decode()


class KeySet:
    """A parsed JWK Set (or single JWK). Keys the library cannot use are skipped and counted."""

    def __init__(self, jwks):
        data = _bytes(json.dumps(jwks) if isinstance(jwks, dict) else jwks)
        self._h = _p()
        msg = ctypes.create_string_buffer(256)
        _check(_jwks_parse(ctypes.byref(self._h), data, len(data), msg, 256), msg)

    @property
    def count(self):
        return _jwks_count(self._h)

    @property
    def skipped(self):
        return _jwks_skipped(self._h)

    def __del__(self):
        if getattr(self, "_h", None):
            _jwks_free(self._h)
            self._h = None


class Principal:
    """The verified caller: .subject, .issuer, .expires_at (the token's "exp": Unix
    seconds, as JWT counts, RFC 7519 2), .alg, and .claims, the payload as a dict.
    Each is read from the library when first asked for (a read through ctypes
    costs as much as a cached verification)."""
    __slots__ = ("_h", "_claims")

    def __init__(self, handle):
        self._h = handle
        self._claims = None

    subject = property(lambda self: (_pr_sub(self._h) or b"").decode() or None)
    issuer = property(lambda self: (_pr_iss(self._h) or b"").decode() or None)
    expires_at = property(lambda self: _pr_exp(self._h))
    alg = property(lambda self: _pr_alg(self._h).decode())

    @property
    def claims(self):
        if self._claims is None:
            n = _sz()
            p = _pr_payload(self._h, ctypes.byref(n))
            self._claims = json.loads(ctypes.string_at(p, n.value).decode())
        return self._claims

    def __repr__(self):
        return "Principal(subject=%r, issuer=%r, alg=%r)" % (self.subject, self.issuer, self.alg)

    def __del__(self):
        if self._h:
            _pr_free(self._h)
            self._h = None


_per_thread = threading.local()


class Verifier:
    """A JWT verifier; configure in the constructor, then set_keys() at any time."""

    def __init__(self, issuers=(), audiences=(), algorithms=None, leeway_s=None, typ=None, cache=None):
        """leeway_s: clock skew in seconds (JWT times are seconds, RFC 7519 section 2);
        cache: (entries, ttl_ms)."""
        self._h = _p()
        _check(_v_new(ctypes.byref(self._h)))
        for alg in algorithms or ():
            _check(_v_alg(self._h, _bytes(alg)))
        for iss in issuers:
            _check(_v_iss(self._h, _bytes(iss), len(_bytes(iss))))
        for aud in audiences:
            _check(_v_aud(self._h, _bytes(aud), len(_bytes(aud))))
        if leeway_s is not None:
            _check(_v_leeway(self._h, int(leeway_s)))
        if typ is not None:
            _check(_v_typ(self._h, _bytes(typ)))
        if cache is not None:
            entries, ttl_ms = cache
            _check(_v_cache(self._h, int(entries), int(ttl_ms)))
        _check(_v_build(self._h))

    def set_keys(self, keyset, now_ms=None):
        _check(_v_set_jwks(self._h, keyset._h, _now_ms(now_ms)))

    def verify(self, token, now_ms=None):
        """Returns a Principal, or raises TokenRejected (or Error)."""
        data = token.encode() if token.__class__ is str else _bytes(token)
        out, reason = _p(), ctypes.c_int(-1)
        msg = getattr(_per_thread, "msg", None)
        if msg is None:  # one message buffer per thread, not one per call
            msg = _per_thread.msg = ctypes.create_string_buffer(256)
        rc = _verify(self._h, data, len(data), _now_ms(now_ms), ctypes.byref(out), ctypes.byref(reason), msg, 256)
        if rc == _EDENIED:
            raise TokenRejected(_reason_name(reason.value).decode(), msg.value.decode(errors="replace"))
        _check(rc)
        return Principal(out)

    def __del__(self):
        if getattr(self, "_h", None):
            _v_free(self._h)
            self._h = None


class ApiKeyStore:
    """API keys kept as SHA-256 digests. add() keys, build(), then lookup()."""

    def __init__(self):
        self._h = _p()
        _check(_ak_new(ctypes.byref(self._h)))

    def add(self, key, consumer, scopes="", expires_at_ms=0):
        data = _bytes(key)
        _check(_ak_add(self._h, data, len(data), _bytes(consumer), _bytes(scopes), int(expires_at_ms)))

    def build(self):
        _check(_ak_build(self._h))

    def revoke(self, key):
        data = _bytes(key)
        _check(_ak_revoke(self._h, data, len(data)))

    def lookup(self, key, now_ms=None):
        """(consumer, scopes) for a valid key; raises TokenRejected otherwise."""
        data = _bytes(key)
        out, reason = _p(), ctypes.c_int(-1)
        rc = _ak_lookup(self._h, data, len(data), _now_ms(now_ms), ctypes.byref(out), ctypes.byref(reason))
        if rc == _EDENIED:
            raise TokenRejected(_ak_reason(reason.value).decode(), "API key rejected")
        _check(rc)
        return _ak_consumer(out).decode(), _ak_scopes(out).decode()

    def __del__(self):
        if getattr(self, "_h", None):
            _ak_free(self._h)
            self._h = None


class Policy:
    """A compiled authorization policy (see gatehouse/policy.h): RBAC with
    inheritance, deny overrides, conditions. Safe to share between threads."""

    def __init__(self, document):
        data = _bytes(json.dumps(document) if isinstance(document, dict) else document)
        self._h, msg = _p(), ctypes.create_string_buffer(512)
        _check(_pol_parse(ctypes.byref(self._h), data, len(data), msg, 512), msg)

    def __len__(self):
        return _pol_rules(self._h)

    def check(self, subject, action, resource, **context):
        """(allowed, deciding rule id or None). context: roles, scopes, claims
        (dict or JSON), client_ip, headers (dict), time_ms."""
        return self._ask(False, subject, action, resource, context)[:2]

    def explain(self, subject, action, resource, **context):
        """(allowed, deciding rule id or None, the trace: each rule and why it did or did not apply)."""
        return self._ask(True, subject, action, resource, context)

    def _ask(self, explain, subject, action, resource, context):
        req = _p()
        _check(_req_new(ctypes.byref(req)))
        try:
            self._fill(req, subject, action, resource, context)
            decision, rule = ctypes.c_int(), _c()
            if not explain:
                _check(_pol_decide(self._h, req, ctypes.byref(decision), ctypes.byref(rule)))
                return decision.value == 1, rule.value.decode() if rule.value else None
            text, n = ctypes.POINTER(ctypes.c_char)(), _sz()
            _check(_pol_explain(self._h, req, ctypes.byref(decision), ctypes.byref(rule), ctypes.byref(text),
                                ctypes.byref(n)))
            trace = ctypes.string_at(text, n.value).decode("utf-8", "replace")
            _free(ctypes.cast(text, _p))
            return decision.value == 1, rule.value.decode() if rule.value else None, trace
        finally:
            _req_free(req)

    @staticmethod
    def _fill(req, subject, action, resource, context):
        unknown = set(context) - {"roles", "scopes", "claims", "client_ip", "headers", "time_ms"}
        if unknown:
            raise TypeError("unknown request context: " + ", ".join(sorted(unknown)))

        def put(fn, value):
            data = _bytes(value)
            _check(fn(req, data, len(data)))
        if subject is not None:
            put(_req_subject, subject)
        put(_req_action, action)
        put(_req_resource, resource)
        for role in context.get("roles", ()):
            put(_req_role, role)
        for scope in context.get("scopes", ()):
            put(_req_scope, scope)
        claims = context.get("claims")
        if claims is not None:
            put(_req_claims, json.dumps(claims) if isinstance(claims, dict) else claims)
        if context.get("client_ip") is not None:
            put(_req_ip, context["client_ip"])
        for name, value in context.get("headers", {}).items():
            n, v = _bytes(name), _bytes(value)
            _check(_req_header(req, n, len(n), v, len(v)))
        if context.get("time_ms") is not None:
            _check(_req_time(req, int(context["time_ms"])))

    def __del__(self):
        if getattr(self, "_h", None):
            _pol_free(self._h)
            self._h = None


class Limiter:
    """One rate limit over many keys (see gatehouse/ratelimit.h)."""

    ALGORITHMS = {"gcra": 0, "token-bucket": 1, "sliding-window": 2, "fixed-window": 3, "concurrency": 4,
                  "quota-day": 5, "quota-month": 6}

    def __init__(self, algorithm, limit, period_ms, burst=0, name="limit", memory=0):
        self._h = _p()
        _check(_lim_new(ctypes.byref(self._h), _bytes(name), self.ALGORITHMS[algorithm], limit, period_ms, burst, memory))
        _check(_lim_build(self._h))

    def take(self, key, cost, now_ms):
        """(allowed, remaining, retry_after_ms)."""
        data = _bytes(key)
        allowed, remaining, retry = ctypes.c_int(), ctypes.c_uint64(), _i64()
        _check(_lim_take(self._h, data, len(data), cost, now_ms, ctypes.byref(allowed), ctypes.byref(remaining),
                         ctypes.byref(retry)))
        return bool(allowed.value), remaining.value, retry.value if not allowed.value else 0

    def release(self, key, cost=1):
        """Concurrency limits: gives `cost` slots back (Error ENOTFOUND when the key holds none)."""
        data = _bytes(key)
        _check(_lim_release(self._h, data, len(data), cost))

    def __del__(self):
        if getattr(self, "_h", None):
            _lim_free(self._h)
            self._h = None


class Router:
    """Method and path to a route (see gatehouse/router.h): add routes or an
    OpenAPI document, then match. The first match builds the router; from
    then on it is shared and takes no more routes (make a new Router)."""

    def __init__(self):
        self._h, self._built = _p(), False
        self._lock = threading.Lock()
        _check(_router_new(ctypes.byref(self._h)))

    def add(self, method, pattern, name=None):
        msg = ctypes.create_string_buffer(256)
        _check(_router_add(self._h, _bytes(method), _bytes(pattern), _bytes(name) if name else None, None, msg, 256), msg)
        return self

    def add_openapi(self, document):
        data, msg = _bytes(document), ctypes.create_string_buffer(512)
        _check(_router_openapi(self._h, data, len(data), msg, 512), msg)
        return self

    def build(self):
        """Ends configuration (the first match does it too)."""
        with self._lock:
            if not self._built:
                _check(_router_build(self._h))
                self._built = True
        return self

    def match(self, method, path):
        """{"status", "route", "pattern", "params", "allow", "location", "path"} (path: the canonical path)."""
        if not self._built:
            self.build()
        block, meth, target = ctypes.create_string_buffer(_route_match_size), _bytes(method), _bytes(path)
        m = _RouteMatch.from_buffer(block)
        _check(_router_match(self._h, meth, len(meth), target, len(target), ctypes.byref(m)))
        params = {m.params[i].name.decode(): ctypes.string_at(m.params[i].value, m.params[i].len).decode("utf-8", "replace")
                  for i in range(m.n_params)}
        return {"status": m.status, "route": m.name.decode() if m.name else None,
                "pattern": m.pattern.decode() if m.pattern else None, "params": params,
                "allow": [a for a in m.allow.decode().split(", ") if a], "location": m.location.decode() if m.location else None,
                "path": ctypes.string_at(m.path, m.path_len).decode() if m.path else None}

    def __del__(self):
        if getattr(self, "_h", None):
            _router_free(self._h)
            self._h = None


class Pool:
    """An upstream pool (see gatehouse/upstream.h): which target gets the next
    request, with passive health and a circuit breaker. Thread-safe."""

    BALANCERS = {"round-robin": 0, "least-request": 1, "maglev": 2, "random": 3}

    def __init__(self, balancer, targets, weights=None, outlier=None, max_requests=None):
        """outlier: {"failures", "base_ms", "max_ms", "max_percent"} ejects a target
        after `failures` in a row for base_ms x times ejected (at most max_ms);
        max_requests: the circuit breaker's limit of requests in flight. The
        pool is configured here and shared from here on."""
        if weights is not None and len(weights) != len(targets):
            raise Error(-2, "one weight per target")  # GH_EINVAL
        names = (_c * len(targets))(*[_bytes(t) for t in targets])
        w = (ctypes.c_uint * len(weights))(*weights) if weights is not None else None
        self._h = _p()
        _check(_up_new(ctypes.byref(self._h), self.BALANCERS[balancer], names, w, len(targets)))
        if outlier is not None:
            o = {"failures": 5, "base_ms": 30000, "max_ms": 300000, "max_percent": 10, **outlier}
            _check(_up_outlier(self._h, ctypes.byref(_OutlierConfig(o["failures"], o["base_ms"], o["max_ms"], o["max_percent"]))))
        if max_requests is not None:
            _check(_up_max_requests(self._h, max_requests))
        _check(_up_build(self._h))

    def pick(self, key=None):
        """(index, target), or None when the circuit breaker refuses. End each pick with release()."""
        data = _bytes(key) if key is not None else None
        t = _sz()
        rc = _up_pick(self._h, data, len(data) if data else 0, ctypes.byref(t))
        if rc == _EDENIED:
            return None
        _check(rc)
        return t.value, _up_target(self._h, t.value).decode()

    def release(self, index):
        _up_release(self._h, index)

    def report(self, index, ok, now_ms):
        """A request's outcome: ok False for a connection failure, a timeout or a 5xx."""
        _up_report(self._h, index, 1 if ok else 0, now_ms)

    def healthy(self, index, now_ms):
        return bool(_up_healthy(self._h, index, now_ms))

    def __del__(self):
        if getattr(self, "_h", None):
            _up_free(self._h)
            self._h = None


from .gateway import Decision, Gateway, Identity  # noqa: E402  (the gateway builds on the objects above)
