"""What the WSGI and ASGI middleware share: turning a framework's request into
decide()'s arguments, and the answer's status line."""
import http
import time
import urllib.parse

# RFC 3986 pchar plus "/": what a path keeps unescaped when a server gave it decoded
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def path_as_received(raw, decoded):
    """The path as the client sent it: the server's raw form when it kept one,
    else the decoded path escaped again (the gateway matches routes on the
    path as received, and decodes it itself)."""
    if raw:
        return raw.decode("latin-1") if isinstance(raw, bytes) else raw
    return urllib.parse.quote(decoded or "/", safe=_PATH_SAFE)


def status_line(status):
    try:
        return "%d %s" % (status, http.HTTPStatus(status).phrase)
    except ValueError:
        return "%d Unknown" % status


def elapsed_ms(t0):
    """Milliseconds since t0 (time.perf_counter()), as the gateway counts an upstream's time."""
    return max(0, int((time.perf_counter() - t0) * 1000))
