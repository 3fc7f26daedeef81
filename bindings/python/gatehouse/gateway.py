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
import threading
import time
from itertools import chain
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple, Union

from ._native import _EMISUSE, _EPARSE, _ETOOBIG, Error, _bytes, _c, _check, _fn, _free, _i64, _mirrors, _p, _sz

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
_complete = _fn("gh_gateway_complete", None, _p, _p, ctypes.c_int, _i64, _u64, _u64)
_d_body = _fn("gh_decision_body", ctypes.POINTER(ctypes.c_char), _p, ctypes.POINTER(_sz))
_d_upstream_headers = _fn("gh_decision_upstream_headers", _p, _p, ctypes.POINTER(_sz))
_d_identity = _fn("gh_decision_identity", _p, _p)
_d_explain = _fn("gh_decision_explain", ctypes.c_int, _p, _c, _sz, ctypes.POINTER(_sz))
_d_strings = _fn("gh_decision_strings", ctypes.c_int, _p, _p, _sz, ctypes.POINTER(_sz))
_id_realm = _fn("gh_identity_realm", _c, _p)
_id_idp = _fn("gh_identity_idp", _c, _p)
_id_client = _fn("gh_identity_client_id", _c, _p)
_id_acr = _fn("gh_identity_acr", _c, _p)
_id_role_count = _fn("gh_identity_role_count", _sz, _p)
_id_role = _fn("gh_identity_role", _c, _p, _sz)
_id_scope_count = _fn("gh_identity_scope_count", _sz, _p)
_id_scope = _fn("gh_identity_scope", _c, _p, _sz)
_id_claims = _fn("gh_identity_claims", ctypes.POINTER(ctypes.c_char), _p, ctypes.POINTER(_sz))



class _Header(ctypes.Structure):
    """gh_header (gatehouse/http.h), field for field."""
    _fields_ = [("name", _p), ("value", _p), ("name_len", _sz), ("value_len", _sz)]


_mirrors((_Header, "gh_header"))
_decide_strings = _fn("gh_gateway_decide_strings", ctypes.c_int, _p, _c, _sz, _c, _sz, _i64, _p, _p, _sz,
                      ctypes.POINTER(_sz))
_max_headers = _fn("gh_decide_strings_max_headers", _sz)()

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
    h = _Header.from_address(addr)
    return ctypes.string_at(h.name, h.name_len).decode("latin-1"), ctypes.string_at(h.value, h.value_len).decode("latin-1")


class _Slot:
    """One gh_decision and the buffer its strings are read into (gh_gateway_decide_strings)."""
    __slots__ = ("handle", "out", "out_view", "out_ptr", "out_cap", "out_len", "out_len_ref")

    def __init__(self):
        self.handle = _p()
        _check(_d_new(ctypes.byref(self.handle)))
        self.read_room(4096)
        self.out_len = _sz()
        self.out_len_ref = ctypes.byref(self.out_len)

    def read_room(self, n):
        self.out = ctypes.create_string_buffer(n)
        self.out_view = memoryview(self.out).cast("B")
        self.out_ptr = _p(ctypes.addressof(self.out))  # arguments ctypes need not convert on every call
        self.out_cap = _sz(n)

    def free(self):
        if self.handle:
            _d_free(self.handle)
            self.handle = _p()


def _text_or_none(i):
    return property(lambda self: self._v[i] or None)


class Decision:
    """What the gateway decided for one request.

    verdict is "forward" (send it to .target with .upstream_path, and add
    .headers to the upstream's response) or "respond" (answer with .status,
    .headers and .body). The other attributes say which route, API and version
    matched, who called (subject, consumer) and why (reason, e.g.
    "authenticate:INVALID_TOKEN"). They are read in one call when deciding and
    stay valid after completion; principal, explanation and upstream_headers
    are read on demand, before complete(). A slotted value object rather than
    a dataclass: a dataclass' constructor alone costs a third of the binding's
    budget per call (docs/bindings.md, Performance).
    """
    __slots__ = ("_v", "_body", "_gateway", "_slot", "_principal", "_explanation", "__weakref__")

    def __init__(self, strings, gateway, slot):
        self._v, self._body, self._gateway, self._slot = strings, b"", gateway, slot
        self._principal = False
        self._explanation = None

    verdict = property(lambda self: self._v[0] or "respond", doc='"forward" or "respond"')
    status = property(lambda self: int(self._v[1]), doc="respond: the status to answer with; forward: 0")
    headers = property(lambda self: list(zip(self._v[11::2], self._v[12::2])),
                       doc="respond: the answer's headers; forward: those to add to the upstream's answer")
    body = property(lambda self: self._body, doc="respond: the body (problem+json), bytes")
    target = _text_or_none(9)
    upstream_path = _text_or_none(10)
    request_id = _text_or_none(2)
    route = _text_or_none(3)
    api = _text_or_none(4)
    version = _text_or_none(5)
    subject = _text_or_none(6)
    consumer = _text_or_none(7)
    reason = property(lambda self: self._v[8], doc='"route:not_found", "limit:per-caller", ...; "" when forwarded')

    @property
    def forward(self) -> bool:
        return self._v[0] == "forward"

    @property
    def open(self) -> bool:
        """True until complete()."""
        return self._slot is not None

    def as_dict(self) -> Dict[str, Any]:
        """The plain attributes, as a dict (for logs and JSON)."""
        return {k: getattr(self, k) for k in _FIELDS}

    def __repr__(self):
        return "Decision(%s)" % ", ".join("%s=%r" % (k, getattr(self, k)) for k in _FIELDS)

    def __eq__(self, other):
        return isinstance(other, Decision) and self._v == other._v and self._body == other._body

    __hash__ = None

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
        return [_header(arr + i * ctypes.sizeof(_Header)) for i in range(n.value)] if arr else []

    def complete(self, status: int, upstream_ms: int = -1, bytes_in: int = 0, bytes_out: int = 0) -> None:
        """The same as gateway.complete(self, ...)."""
        self._gateway.complete(self, status, upstream_ms, bytes_in, bytes_out)

    def __del__(self):
        # dropped without complete(): completed as the C library does, with status 0
        if self._slot is not None and self._gateway is not None:
            self._gateway.complete(self, 0)


_FIELDS = ("verdict", "status", "headers", "body", "target", "upstream_path", "request_id", "route", "api", "version",
           "subject", "consumer", "reason")


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

    def decide(self, method: str, path: str, headers: Headers = (), *, host: Optional[str] = None,
               query: Optional[str] = None, client_ip: Optional[str] = None, body: Optional[bytes] = None,
               scheme: Optional[str] = None, now_ms: Optional[int] = None) -> Decision:
        """Decides one request. path is the target's path as received, query without the '?';
        headers a mapping or (name, value) pairs (str as latin-1, or bytes); body only when the
        gateway should see it (GraphQL routes). now_ms: Unix milliseconds (None: now). A denial is
        a "respond" Decision, not an error."""
        # The hot path of every binding call: one join, one call into C (the request in
        # and the decision's strings out: gh_gateway_decide_strings), one split.
        gw = self._h
        if not gw:
            raise Error(_EMISUSE, "the gateway is closed")
        if headers.__class__ is not list:
            headers = list(headers.items()) if isinstance(headers, Mapping) else list(headers)
        if query is not None:
            query = "?" + query if query.__class__ is str else b"?" + query
        parts = [method, path, host or "", query or "", client_ip or "", scheme or "", *chain.from_iterable(headers), ""]
        try:
            block = "\0".join(parts).encode("latin-1")
        except (TypeError, UnicodeEncodeError):  # bytes given, or characters beyond latin-1 (sent as UTF-8)
            block = b"\0".join(p if p.__class__ is bytes else _bytes(p) for p in parts)
        pool = self._pool
        slot = pool.pop() if pool else _Slot()  # list.pop and set.add: atomic under the GIL
        self._open.add(slot)
        rc = _decide_strings(gw, block, len(block), body, len(body) if body is not None else 0,
                             int(time.time() * 1000) if now_ms is None else now_ms, slot.handle, slot.out_ptr,
                             slot.out_cap, slot.out_len_ref)
        if rc and not slot.out_len.value:  # refused before deciding: the slot goes back
            self._open.discard(slot)
            pool.append(slot)
            raise Error(rc, "a NUL byte in the method, path, query or a header" if rc == _EPARSE else
                        "more than %d headers" % _max_headers)
        if rc == _ETOOBIG and slot.out_len.value > slot.out_cap.value:
            slot.read_room(slot.out_len.value * 2)
            _check(_d_strings(slot.handle, slot.out_ptr, slot.out_cap, slot.out_len_ref))
        d = Decision(str(slot.out_view[:slot.out_len.value - 1], "utf-8", "surrogateescape").split("\0"), self, slot)
        if d._v[0] != "forward":
            n = _sz()
            p = _d_body(slot.handle, ctypes.byref(n))
            d._body = ctypes.string_at(p, n.value) if n.value else b""
        return d

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
            _complete(self._h, slot.handle, status, upstream_ms, bytes_in, bytes_out)
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
