"""ASGI middleware: the gateway in front of an ASGI application (Starlette,
FastAPI, Django's ASGI, ...).

    import gatehouse, gatehouse.asgi
    gw = gatehouse.Gateway(open("gateway.json").read())
    app = gatehouse.asgi.GatewayMiddleware(app, gw)

HTTP requests and WebSocket handshakes are decided before the application
sees them. A denied HTTP request is answered here with the pipeline's status,
headers and problem+json body; a denied WebSocket handshake is closed
(servers answer it 403). A request that passes reaches the application with
scope["gatehouse.decision"] (the Decision) and scope["gatehouse.principal"]
(its Identity, or None); the decision's response headers are added to the
application's answer, and the decision is completed with the application's
status, time and byte counts when it returns. Deciding is a short call into C
that does no I/O, so it runs on the event loop. Lifespan events pass through.
"""
import time
from typing import Any, Awaitable, Callable, MutableMapping, Optional

from ._host import elapsed_ms, path_as_received
from .gateway import Gateway

__all__ = ["GatewayMiddleware"]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def _header(headers, name: bytes) -> Optional[bytes]:
    for k, v in headers:
        if k.lower() == name:
            return v
    return None


class GatewayMiddleware:
    """Decides each request with `gateway` before `app` sees it (see the module's doc)."""

    def __init__(self, app: Callable, gateway: Gateway, *, client_ip: Optional[Callable[[Scope], str]] = None):
        """client_ip: a function of the scope giving the caller's address (default the
        connection's peer; behind a proxy you trust, read its header there)."""
        self.app, self.gateway = app, gateway
        self._client_ip = client_ip or (lambda scope: (scope.get("client") or (None,))[0])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        gw = self.gateway
        headers = scope.get("headers") or []
        d = gw.decide(scope.get("method", "GET"), path_as_received(scope.get("raw_path"), scope.get("path")), headers,
                      host=_header(headers, b"host"), query=scope.get("query_string") or None,
                      client_ip=self._client_ip(scope),
                      scheme={"ws": "http", "wss": "https"}.get(scope.get("scheme"), scope.get("scheme")))
        if not d.forward:
            try:
                if kind == "websocket":
                    await send({"type": "websocket.close", "code": 1008, "reason": d.reason[:120]})
                else:
                    await send({"type": "http.response.start", "status": d.status,
                                "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in d.headers] +
                                           [(b"content-length", str(len(d.body)).encode())]})
                    await send({"type": "http.response.body", "body": d.body})
            finally:
                gw.complete(d, d.status, -1, 0, len(d.body))
            return
        try:
            scope = dict(scope)
            scope["gatehouse.decision"] = d
            scope["gatehouse.principal"] = d.principal
        except BaseException:
            gw.complete(d, 500)
            raise
        added = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in d.headers]
        counts = {"status": 500, "in": 0, "out": 0}

        async def counted_receive():
            message = await receive()
            counts["in"] += len(message.get("body", b""))
            return message

        async def decorated_send(message):
            t = message["type"]
            if t == "http.response.start":
                counts["status"] = message["status"]
                message = dict(message, headers=list(message.get("headers", [])) + added)
            elif t == "http.response.body":
                counts["out"] += len(message.get("body", b""))
            elif t == "websocket.accept":
                counts["status"] = 101
            elif t == "websocket.close" and counts["status"] == 500:
                counts["status"] = 403
            await send(message)

        t0 = time.perf_counter()
        try:
            await self.app(scope, counted_receive, decorated_send)
        finally:
            gw.complete(d, counts["status"], elapsed_ms(t0), counts["in"], counts["out"])
