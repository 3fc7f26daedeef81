"""WSGI middleware: the gateway in front of a WSGI application (Flask, Django, ...).

    import gatehouse, gatehouse.wsgi
    gw = gatehouse.Gateway(open("gateway.json").read())
    app.wsgi_app = gatehouse.wsgi.GatewayMiddleware(app.wsgi_app, gw)

Each request is decided before the application sees it. A denial (401, 403,
429, 410, ...) is answered here with the pipeline's status, headers and
problem+json body. A request that passes reaches the application with
environ["gatehouse.decision"] (the Decision) and environ["gatehouse.principal"]
(its Identity, or None); the decision's response headers (Deprecation, Sunset,
RateLimit, ...) are added to the application's answer, and the decision is
completed with the application's status, time and byte counts once the answer
has been sent. The configuration's routes still name an upstream: here it
stands for the application and is not called.
"""
import time
from typing import Any, Callable, Iterable, Optional

from ._host import elapsed_ms, path_as_received, status_line
from .gateway import Gateway

__all__ = ["GatewayMiddleware"]


def _headers(environ):
    out = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            out.append((key[5:].replace("_", "-"), value))
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            out.append((key.replace("_", "-"), value))
    return out


class _Answer:
    """The application's answer, passed through; completes the decision when the server closes it."""

    def __init__(self, gateway, decision, result, state, t0):
        self._gw, self._d, self._result, self._state, self._t0 = gateway, decision, result, state, t0
        self._sent = 0

    def __iter__(self):
        for chunk in self._result:
            self._sent += len(chunk)
            yield chunk

    def close(self):
        try:
            close = getattr(self._result, "close", None)
            if close:
                close()
        finally:
            self._gw.complete(self._d, self._state.get("status", 500), elapsed_ms(self._t0),
                              int(self._state.get("bytes_in", 0)), self._sent)


class GatewayMiddleware:
    """Decides each request with `gateway` before `app` sees it (see the module's doc)."""

    def __init__(self, app: Callable, gateway: Gateway, *, client_ip: Optional[Callable[[dict], str]] = None):
        """client_ip: a function of the environ giving the caller's address (default REMOTE_ADDR;
        behind a proxy you trust, read its header there)."""
        self.app, self.gateway = app, gateway
        self._client_ip = client_ip or (lambda environ: environ.get("REMOTE_ADDR"))

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        gw = self.gateway
        raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
        raw_path = raw.split("?", 1)[0] if raw else None
        d = gw.decide(environ.get("REQUEST_METHOD", "GET"),
                      path_as_received(raw_path, environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")),
                      _headers(environ), host=environ.get("HTTP_HOST"), query=environ.get("QUERY_STRING") or None,
                      client_ip=self._client_ip(environ), scheme=environ.get("wsgi.url_scheme"))
        if not d.forward:
            start_response(status_line(d.status), d.headers + [("Content-Length", str(len(d.body)))])
            gw.complete(d, d.status, -1, 0, len(d.body))
            return [d.body]
        environ["gatehouse.decision"] = d
        try:
            environ["gatehouse.principal"] = d.principal
        except BaseException:
            gw.complete(d, 500)
            raise
        state: dict = {"bytes_in": environ.get("CONTENT_LENGTH") or 0}
        if not str(state["bytes_in"]).isdigit():
            state["bytes_in"] = 0

        def start(status: str, headers: list, exc_info: Any = None):
            state["status"] = int(status.split(" ", 1)[0])
            return start_response(status, list(headers) + d.headers, exc_info)

        t0 = time.perf_counter()
        try:
            result = self.app(environ, start)
        except BaseException:
            gw.complete(d, 500, elapsed_ms(t0))
            raise
        return _Answer(gw, d, result, state, t0)
