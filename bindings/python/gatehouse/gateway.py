"""The whole gateway pipeline (gatehouse/gateway.h) for Python: one request in,
one decision out, from the declarative configuration of docs/gateway.md.

    with gatehouse.Gateway(open("gateway.json").read()) as gw:
        d = gw.decide("GET", "/v2/orders/7", headers=[("Authorization", "Bearer " + token)])
        if d.forward:
            ...                              # call d.target with d.upstream_path, then:
        gw.complete(d, status=200, upstream_ms=12)

A gateway is shared by any number of threads (and asyncio tasks): each
decide() takes a decision buffer of its own from a pool, and complete() gives
it back. Read .principal and .explanation before complete(): what they name
belongs to the decision's configuration snapshot, let go of at completion.
"""
import ctypes
import dataclasses
import json
import struct
import threading
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple, Union

from ._native import _EMISUSE, _ETOOBIG, Error, _bytes, _c, _check, _fn, _free, _i64, _now_ms, _p, _sz

__all__ = ["Gateway", "Decision", "Identity", "ConfigError"]

_u64 = ctypes.c_uint64
_MSG = 16384

_gw_new = _fn("gh_gateway_new", ctypes.c_int, ctypes.POINTER(_p))
_gw_free = _fn("gh_gateway_free", None, _p)
_gw_load = _fn("gh_gateway_load", ctypes.c_int, _p, _c, _sz, _c, _sz)
_gw_reload = _fn("gh_gateway_reload", ctypes.c_int, _p, _c, _sz, _c, _sz)
_gw_patch = _fn("gh_gateway_patch", ctypes.c_int, _p, _c, _sz, _c, _sz)
_gw_check = _fn("gh_gateway_config_check", ctypes.c_int, _c, _sz, _c, _sz)
_gw_version = _fn("gh_gateway_version", _u64, _p)
_gw_subscribe = _fn("gh_gateway_subscribe", ctypes.c_int, _p, _c, _c, _c, _c, _c, _sz)
_gw_openapi = _fn("gh_gateway_openapi", ctypes.c_int, _p, ctypes.POINTER(ctypes.POINTER(ctypes.c_char)), ctypes.POINTER(_sz))
_metrics_write = _fn("gh_metrics_write", ctypes.c_int, _p, ctypes.POINTER(ctypes.POINTER(ctypes.c_char)), ctypes.POINTER(_sz))
_usage_write = _fn("gh_usage_write", ctypes.c_int, _p, ctypes.POINTER(ctypes.POINTER(ctypes.c_char)), ctypes.POINTER(_sz))
_d_new = _fn("gh_decision_new", ctypes.c_int, ctypes.POINTER(_p))
_d_free = _fn("gh_decision_free", None, _p)
_decide = _fn("gh_gateway_decide", ctypes.c_int, _p, _p, _i64, _p)
_complete = _fn("gh_gateway_complete", None, _p, _p, ctypes.c_int, _i64, _u64, _u64)
_d_verdict = _fn("gh_decision_verdict", ctypes.c_int, _p)
_d_status = _fn("gh_decision_status", ctypes.c_int, _p)
_d_header_count = _fn("gh_decision_header_count", _sz, _p)
_d_header = _fn("gh_decision_header", _p, _p, _sz)
_d_body = _fn("gh_decision_body", ctypes.POINTER(ctypes.c_char), _p, ctypes.POINTER(_sz))
_d_upstream_path = _fn("gh_decision_upstream_path", ctypes.POINTER(ctypes.c_char), _p, ctypes.POINTER(_sz))
_d_upstream_headers = _fn("gh_decision_upstream_headers", _p, _p, ctypes.POINTER(_sz))
_d_identity = _fn("gh_decision_identity", _p, _p)
_d_explain = _fn("gh_decision_explain", ctypes.c_int, _p, _c, _sz, ctypes.POINTER(_sz))
_FIELD_COUNT = 8  # GH_DECISION_FIELD_COUNT
_d_fields = _fn("gh_decision_fields", _sz, _p, ctypes.POINTER(_c), _sz)
_id_realm = _fn("gh_identity_realm", _c, _p)
_id_idp = _fn("gh_identity_idp", _c, _p)
_id_client = _fn("gh_identity_client_id", _c, _p)
_id_acr = _fn("gh_identity_acr", _c, _p)
_id_role_count = _fn("gh_identity_role_count", _sz, _p)
_id_role = _fn("gh_identity_role", _c, _p, _sz)
_id_scope_count = _fn("gh_identity_scope_count", _sz, _p)
_id_scope = _fn("gh_identity_scope", _c, _p, _sz)
_id_claims = _fn("gh_identity_claims", ctypes.POINTER(ctypes.c_char), _p, ctypes.POINTER(_sz))
_request_size = _fn("gh_request_size", _sz)()
_header_size = _fn("gh_header_size", _sz)()

# gh_request and gh_header are packed with struct (one call) rather than
# filled field by field through ctypes (a few hundred ns a field): every
# member is a pointer or a size_t, in the order of gatehouse/gateway.h.
_REQUEST = struct.Struct("@19N")
_HEADER = struct.Struct("@4N")
if _REQUEST.size != _request_size or _HEADER.size != _header_size:
    raise ImportError("gatehouse: gh_request is %d bytes and gh_header %d in this library, the binding expects %d and "
                      "%d: rebuild or update the binding" % (_request_size, _header_size, _REQUEST.size, _HEADER.size))

_VERDICTS = {1: "forward", 2: "respond"}
Headers = Union[Mapping[str, str], Iterable[Tuple[Union[str, bytes], Union[str, bytes]]]]


class ConfigError(Error):
    """A configuration was refused: .errors lists the located errors ("apis[0].routes[1].path: ...")."""

    def __init__(self, rc, errors):
        self.errors = [e for e in errors.splitlines() if e.strip()]
        super().__init__(rc, "; ".join(self.errors))


@dataclasses.dataclass(frozen=True)
class Identity:
    """The authenticated caller, as the gateway's realm saw them."""
    subject: Optional[str]
    realm: Optional[str]
    provider: Optional[str]
    client_id: Optional[str]
    consumer: Optional[str]
    acr: Optional[str]
    roles: Tuple[str, ...]
    scopes: Tuple[str, ...]
    claims: Dict[str, Any]


def _s(b):
    return b.decode() if b is not None else None


def _header(addr):
    """The gh_header at addr, as (name, value)."""
    name, value, nl, vl = _HEADER.unpack(ctypes.string_at(addr, _HEADER.size))
    return ctypes.string_at(name, nl).decode("latin-1"), ctypes.string_at(value, vl).decode("latin-1")


class _Slot:
    """One gh_decision with the buffers its requests are packed into."""
    __slots__ = ("handle", "req", "req_addr", "hdrs", "hdrs_cap", "strings", "strings_cap", "fields")

    def __init__(self):
        self.handle = _p()
        _check(_d_new(ctypes.byref(self.handle)))
        self.req = ctypes.create_string_buffer(_REQUEST.size)
        self.req_addr = ctypes.addressof(self.req)
        self._grow(16, 4096)
        self.fields = (_c * _FIELD_COUNT)()

    def _grow(self, headers, strings):
        self.hdrs_cap, self.strings_cap = headers, strings
        self.hdrs = ctypes.create_string_buffer(headers * _HEADER.size)
        self.strings = ctypes.create_string_buffer(strings)

    def free(self):
        if self.handle:
            _d_free(self.handle)
            self.handle = _p()


@dataclasses.dataclass
class Decision:
    """What the gateway decided for one request.

    verdict is "forward" (send it to .target with .upstream_path, and add
    .headers to the upstream's response) or "respond" (answer with .status,
    .headers and .body). The other fields say which route, API and version
    matched, who called (subject, consumer) and why (reason, e.g.
    "authenticate:INVALID_TOKEN"). Complete it once answered: gw.complete(d, status).
    """
    verdict: str
    status: int
    headers: List[Tuple[str, str]]
    body: bytes
    target: Optional[str]
    upstream_path: Optional[str]
    request_id: Optional[str]
    route: Optional[str]
    api: Optional[str]
    version: Optional[str]
    subject: Optional[str]
    consumer: Optional[str]
    reason: str
    _gateway: Any = dataclasses.field(default=None, repr=False, compare=False)
    _slot: Any = dataclasses.field(default=None, repr=False, compare=False)
    _principal: Any = dataclasses.field(default=False, repr=False, compare=False)
    _explanation: Any = dataclasses.field(default=None, repr=False, compare=False)

    @property
    def forward(self) -> bool:
        return self.verdict == "forward"

    @property
    def open(self) -> bool:
        """True until complete()."""
        return self._slot is not None

    def _handle(self, what):
        if self._slot is None:
            raise Error(_EMISUSE, "read %s before complete(): what it names is let go of at completion" % what)
        return self._slot.handle

    @property
    def principal(self) -> Optional[Identity]:
        """The caller's Identity, or None when anonymous. Read it before complete()."""
        if self._principal is False:
            h = self._handle("principal")
            idh = _d_identity(h)
            if not idh:
                self._principal = None if self.subject is None else Identity(
                    self.subject, None, None, None, self.consumer, None, (), (), {})
            else:
                n = _sz()
                claims = _id_claims(idh, ctypes.byref(n))
                self._principal = Identity(
                    self.subject, _s(_id_realm(idh)), _s(_id_idp(idh)), _s(_id_client(idh)), self.consumer,
                    _s(_id_acr(idh)), tuple(_id_role(idh, i).decode() for i in range(_id_role_count(idh))),
                    tuple(_id_scope(idh, i).decode() for i in range(_id_scope_count(idh))),
                    json.loads(ctypes.string_at(claims, n.value)) if claims and n.value else {})
        return self._principal

    @property
    def explanation(self) -> Dict[str, Any]:
        """How it was decided: each stage's outcome and the rule that decided (JSON, as a dict). Read it before complete()."""
        if self._explanation is None:
            h = self._handle("explanation")
            need = _sz()
            buf = ctypes.create_string_buffer(4096)
            rc = _d_explain(h, buf, len(buf), ctypes.byref(need))
            if rc == _ETOOBIG:
                buf = ctypes.create_string_buffer(need.value + 1)
                rc = _d_explain(h, buf, len(buf), ctypes.byref(need))
            _check(rc)
            self._explanation = json.loads(buf.raw[:need.value])
        return self._explanation

    @property
    def upstream_headers(self) -> List[Tuple[str, str]]:
        """FORWARD: the request headers to send upstream, after the route's transformations. Read it before complete()."""
        n = _sz()
        arr = _d_upstream_headers(self._handle("upstream_headers"), ctypes.byref(n))
        return [_header(arr + i * _HEADER.size) for i in range(n.value)] if arr else []

    def complete(self, status: int, upstream_ms: int = -1, bytes_in: int = 0, bytes_out: int = 0) -> None:
        """The same as gateway.complete(self, ...)."""
        self._gateway.complete(self, status, upstream_ms, bytes_in, bytes_out)

    def __del__(self):
        # dropped without complete(): completed as the C library does, with status 0
        if self._slot is not None and self._gateway is not None:
            self._gateway.complete(self, 0)


class Gateway:
    """A gateway: load a configuration (JSON text, bytes or a dict), then decide
    requests from any thread. Close it (or use `with`) to free it at once; the
    finalizer frees it otherwise."""

    def __init__(self, config: Union[str, bytes, Mapping, None] = None):
        self._h = _p()
        self._pool: List[_Slot] = []
        self._open = set()  # slots of decisions not yet completed (set.add/discard: atomic under the GIL)
        self._lock = threading.Lock()
        _check(_gw_new(ctypes.byref(self._h)))
        self._loaded = False
        if config is not None:
            self.load(config)

    @staticmethod
    def check(config: Union[str, bytes, Mapping]) -> None:
        """Validates a configuration without loading it; raises ConfigError."""
        data = _document(config)
        msg = ctypes.create_string_buffer(_MSG)
        rc = _gw_check(data, len(data), msg, _MSG)
        if rc:
            raise ConfigError(rc, msg.value.decode(errors="replace"))

    def _apply(self, fn, data):
        msg = ctypes.create_string_buffer(_MSG)
        rc = fn(self._live(), data, len(data), msg, _MSG)
        if rc:
            raise ConfigError(rc, msg.value.decode(errors="replace"))

    def load(self, config: Union[str, bytes, Mapping]) -> None:
        """Loads the first configuration, or replaces the current one (as reload())."""
        self._apply(_gw_reload if self._loaded else _gw_load, _document(config))
        self._loaded = True

    def reload(self, config: Union[str, bytes, Mapping]) -> None:
        """A new configuration, swapped in at once; decisions under way finish on the old one.
        Limits, metrics and usage keep their counts. Raises ConfigError and changes nothing when refused."""
        self._apply(_gw_reload, _document(config))

    def patch(self, operations: Union[str, bytes, List[Mapping]]) -> None:
        """Applies an RFC 6902 JSON Patch to the current document, as a reload."""
        self._apply(_gw_patch, _document(operations))

    def subscribe(self, consumer: str, api: str, version: str, state: Optional[str] = "active") -> None:
        """Subscribes a consumer to an API version ("*": every version), state "active" or "suspended"; None removes it."""
        msg = ctypes.create_string_buffer(_MSG)
        rc = _gw_subscribe(self._live(), consumer.encode(), api.encode(), version.encode(),
                           state.encode() if state is not None else None, msg, _MSG)
        if rc:
            raise ConfigError(rc, msg.value.decode(errors="replace"))

    @property
    def version(self) -> int:
        """The loaded configuration's version: 1 for the first load, one more for each reload or patch."""
        return _gw_version(self._live())

    def _text(self, fn) -> str:
        out, n = ctypes.POINTER(ctypes.c_char)(), _sz()
        _check(fn(self._live(), ctypes.byref(out), ctypes.byref(n)))
        try:
            return ctypes.string_at(out, n.value).decode()
        finally:
            _free(ctypes.cast(out, _p))

    def metrics(self) -> str:
        """The metrics in the Prometheus text format 0.0.4."""
        return self._text(_metrics_write)

    def usage(self) -> List[Dict[str, Any]]:
        """Usage per consumer, plan, API and version (requests, forwarded, denied, quota units, bytes)."""
        return [json.loads(line) for line in self._text(_usage_write).splitlines() if line]

    def openapi(self) -> Dict[str, Any]:
        """The OpenAPI 3.1 document of the catalog's published and deprecated versions."""
        return json.loads(self._text(_gw_openapi))

    def _live(self):
        if not self._h:
            raise Error(_EMISUSE, "the gateway is closed")
        return self._h

    def _take(self) -> _Slot:
        try:
            return self._pool.pop()  # atomic under the GIL
        except IndexError:
            return _Slot()

    def decide(self, method: str, path: str, headers: Headers = (), *, host: Optional[str] = None,
               query: Optional[str] = None, client_ip: Optional[str] = None, body: Optional[bytes] = None,
               scheme: Optional[str] = None, now_ms: Optional[int] = None) -> Decision:
        """Decides one request. path is the target's path as received, query without the '?';
        headers a mapping or (name, value) pairs; body only when the gateway should see it (GraphQL
        routes). now_ms: Unix milliseconds (None: now). A denial is a "respond" Decision, not an error."""
        gw = self._live()
        slot = self._take()
        self._open.add(slot)
        try:
            rc = _decide(gw, _pack(slot, method, host, path, query, headers, client_ip, body, scheme),
                         _now_ms(now_ms), slot.handle)
            return self._read(slot, rc)
        except BaseException:
            self._open.discard(slot)
            slot.free()
            raise

    def _read(self, slot: _Slot, rc: int) -> Decision:
        h = slot.handle
        verdict = _d_verdict(h)
        f = slot.fields
        _d_fields(h, f, _FIELD_COUNT)
        n = _d_header_count(h)
        headers = [_header(_d_header(h, i)) for i in range(n)]
        if verdict == 1:
            status, body = 0, b""
            ln = _sz()
            p = _d_upstream_path(h, ctypes.byref(ln))
            upstream_path = ctypes.string_at(p, ln.value).decode("latin-1") if p else None
        else:
            status, upstream_path = _d_status(h), None
            ln = _sz()
            p = _d_body(h, ctypes.byref(ln))
            body = ctypes.string_at(p, ln.value) if ln.value else b""
        return Decision(_VERDICTS.get(verdict, "respond"), status, headers, body, _s(f[7]), upstream_path, _s(f[0]),
                        _s(f[1]), _s(f[2]), _s(f[3]), _s(f[4]), _s(f[5]), _s(f[6]) or "", self, slot)

    def complete(self, decision: Decision, status: int, upstream_ms: int = -1, bytes_in: int = 0,
                 bytes_out: int = 0) -> None:
        """After answering: the status sent (0 when the upstream could not be reached), the
        upstream's time in ms (-1: not forwarded), bytes both ways. Reports health, releases
        limits' slots, records metrics. A second call is a no-op."""
        slot = decision._slot
        if slot is None:
            return
        decision._slot = None
        if self._h:
            _complete(self._h, slot.handle, int(status), int(upstream_ms), int(bytes_in), int(bytes_out))
            self._open.discard(slot)
            self._pool.append(slot)
        else:
            slot.free()  # completed by close()

    def close(self) -> None:
        """Frees the gateway and its pooled decisions; decisions still open are completed with
        status 0 (their complete() is then a no-op). Call it once no thread is deciding."""
        with self._lock:
            if not self._h:
                return
            for slot in list(self._open):
                _complete(self._h, slot.handle, 0, -1, 0, 0)
            self._open.clear()
            for slot in self._pool:
                slot.free()
            self._pool.clear()
            _gw_free(self._h)
            self._h = _p()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        if getattr(self, "_h", None):
            self.close()


def _document(config) -> bytes:
    if isinstance(config, (dict, list)):
        return json.dumps(config).encode()
    return _bytes(config)


def _pack(slot: _Slot, method, host, path, query, headers, client_ip, body, scheme) -> int:
    """Packs the request into the slot's buffers; returns gh_request's address."""
    if isinstance(headers, Mapping):
        headers = headers.items()
    parts = [_bytes(method), _bytes(path)]
    optional = (host, query, client_ip, body, scheme)
    for v in optional:
        parts.append(b"" if v is None else _bytes(v))
    n = 0
    for name, value in headers:
        parts.append(name.encode("latin-1") if isinstance(name, str) else name)
        parts.append(value.encode("latin-1") if isinstance(value, str) else value)
        n += 1
    blob = b"".join(parts)
    if len(blob) > slot.strings_cap or n > slot.hdrs_cap:
        slot._grow(max(n, slot.hdrs_cap), max(len(blob), slot.strings_cap * 2))
    ctypes.memmove(slot.strings, blob, len(blob))
    base = ctypes.addressof(slot.strings)
    at = base
    spans = []
    for p in parts:
        spans.append(at)
        spans.append(len(p))
        at += len(p)
    flat = []
    for i in range(n):
        k = 14 + 4 * i
        flat += (spans[k], spans[k + 2], spans[k + 1], spans[k + 3])
    if n:
        _HEADER_N(n).pack_into(slot.hdrs, 0, *flat)

    def opt(i, v):
        return (spans[2 * i], spans[2 * i + 1]) if v is not None else (0, 0)
    host_s, query_s, ip_s, body_s, scheme_s = (opt(2 + i, v) for i, v in enumerate(optional))
    _REQUEST.pack_into(slot.req, 0, spans[0], spans[1], *host_s, spans[2], spans[3], *query_s,
                       ctypes.addressof(slot.hdrs) if n else 0, n, 0, 0, *ip_s, 0, *body_s, *scheme_s)
    return slot.req_addr


_HEADER_STRUCTS: Dict[int, struct.Struct] = {}


def _HEADER_N(n: int) -> struct.Struct:
    s = _HEADER_STRUCTS.get(n)
    if s is None:
        s = _HEADER_STRUCTS[n] = struct.Struct("@%dN" % (4 * n))
    return s
