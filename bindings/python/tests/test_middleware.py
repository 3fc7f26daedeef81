"""The WSGI and ASGI middleware under real frameworks and servers (Flask
through wsgiref, Starlette under uvicorn: Debian's python3-flask,
python3-starlette, python3-uvicorn), called with a real HTTP client."""
import asyncio
import http.client
import json
import socket
import threading
import time
import unittest
from wsgiref.simple_server import WSGIRequestHandler, make_server

import gatehouse
import gatehouse.asgi
import gatehouse.wsgi

import fixtures

try:
    import flask
    import starlette.applications
    import starlette.responses
    import starlette.routing
    import uvicorn
    MISSING = None
except ImportError as e:  # a failure, not a skip: scripts/install-deps.sh installs them
    MISSING = "%s: run the tests with /usr/bin/python3 after scripts/install-deps.sh" % e


def call(port, method, path, token=None, body=None, headers=()):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    h = dict(headers)
    if token:
        h["Authorization"] = "Bearer " + token
    conn.request(method, path, body=body, headers=h)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, data


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


class Checks:
    """The same checks for both middleware; self.port serves the wrapped app."""

    def test_passes_with_principal_and_headers(self):
        status, headers, body = call(self.port, "GET", "/v2/orders/7?x=1", self.bob)
        self.assertEqual(status, 200, body)
        seen = json.loads(body)
        self.assertEqual(seen, {"order": "7", "subject": "bob", "roles": ["viewer"], "realm": "staff", "route": "get-order"})
        self.assertIn("ratelimit", headers)  # the decision's headers on the app's answer
        # RFC 9745: a deprecated version still reaches the app, with Deprecation and Sunset
        status, headers, _ = call(self.port, "GET", "/v1/orders/7", self.bob)
        self.assertEqual((status, headers["deprecation"]), (200, "@1780272000"))
        self.assertIn("sunset", headers)

    def test_denials_answered_by_the_gateway(self):
        status, headers, body = call(self.port, "GET", "/v2/orders/401")
        self.assertEqual(status, 401)
        self.assertTrue(headers["www-authenticate"].startswith("Bearer"))
        self.assertEqual(headers["content-type"], "application/problem+json")
        self.assertEqual(json.loads(body)["status"], 401)
        status, _, body = call(self.port, "POST", "/v2/orders", self.bob, body=b"{}")
        self.assertEqual(status, 403, body)
        status, _, _ = call(self.port, "GET", "/v0/orders/7")
        self.assertEqual(status, 410)
        status, _, _ = call(self.port, "GET", "/elsewhere")
        self.assertEqual(status, 404)
        denied = {("GET", "/v2/orders/401", None), ("POST", "/v2/orders", "Bearer " + self.bob), ("GET", "/v0/orders/7", None),
                  ("GET", "/elsewhere", None)}
        self.assertEqual(denied & set(self.app_calls), set(), "the app saw a denied request")

    def test_limit_then_429(self):
        statuses = [call(self.port, "GET", "/v2/orders/%d" % i, self.carol)[0] for i in range(4)]
        self.assertEqual(statuses, [200, 200, 200, 429])

    def test_completion_records_the_apps_status_and_time(self):
        status, _, body = call(self.port, "POST", "/v2/orders", self.alice, body=b'{"item": 1}',
                              headers=[("Content-Type", "application/json")])
        self.assertEqual(status, 201, body)
        for _ in range(100):  # completion runs just after the answer leaves
            text = self.gw.metrics()
            if 'route="create-order",consumer="",code_class="2xx"} 1' in text:
                break
            time.sleep(0.02)
        self.assertTrue('gatehouse_requests_total{api="orders",version="v2",route="create-order",consumer="",'
                        'code_class="2xx"} 1' in text)
        line = [ln for ln in text.splitlines() if ln.startswith("gatehouse_stage_duration_seconds_sum") and
                'route="create-order"' in ln and 'stage="upstream"' in ln][0]
        self.assertGreaterEqual(float(line.rsplit(" ", 1)[1]), 0.05)  # the app sleeps 50 ms
        line = [ln for ln in text.splitlines() if ln.startswith("gatehouse_request_bytes_total") and 'create-order' in ln][0]
        self.assertEqual(line.rsplit(" ", 1)[1], "11")


def setup_tokens(cls):
    if MISSING:
        raise AssertionError(MISSING)
    cls.alice = fixtures.token("alice", roles=["admin"])
    cls.bob = fixtures.token("bob", roles=["viewer"])
    cls.carol = fixtures.token("carol", roles=["viewer"])
    cls.gw = gatehouse.Gateway(fixtures.config(limit=3))
    cls.app_calls = []


class Flask(Checks, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        setup_tokens(cls)
        app = flask.Flask("orders")

        @app.get("/v2/orders/<oid>")
        @app.get("/v1/orders/<oid>")
        def get_order(oid):
            who = flask.request.environ["gatehouse.principal"]
            d = flask.request.environ["gatehouse.decision"]
            return {"order": oid, "subject": who.subject, "roles": list(who.roles), "realm": who.realm, "route": d.route}

        @app.post("/v2/orders")
        def create_order():
            time.sleep(0.05)
            return flask.jsonify(flask.request.get_json()), 201

        @app.before_request
        def count():
            r = flask.request
            cls.app_calls.append((r.method, r.path, r.headers.get("Authorization")))
        app.wsgi_app = gatehouse.wsgi.GatewayMiddleware(app.wsgi_app, cls.gw)
        cls.server = make_server("127.0.0.1", 0, app, handler_class=Quiet)
        cls.port = cls.server.server_port
        cls.thread = threading.Thread(target=cls.server.serve_forever, daemon=True)
        cls.thread.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()
        cls.server.server_close()
        cls.gw.close()


class Starlette(Checks, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        setup_tokens(cls)
        R = starlette.responses.JSONResponse

        async def get_order(request):
            who = request.scope["gatehouse.principal"]
            d = request.scope["gatehouse.decision"]
            return R({"order": request.path_params["oid"], "subject": who.subject, "roles": list(who.roles),
                      "realm": who.realm, "route": d.route})

        async def create_order(request):
            await asyncio.sleep(0.05)
            return R(await request.json(), status_code=201)

        async def events(websocket):
            await websocket.accept()
            await websocket.send_text("hello " + websocket.scope["gatehouse.principal"].subject)
            await websocket.close()
        app = starlette.applications.Starlette(routes=[
            starlette.routing.Route("/v2/orders/{oid}", get_order), starlette.routing.Route("/v1/orders/{oid}", get_order),
            starlette.routing.Route("/v2/orders", create_order, methods=["POST"]),
            starlette.routing.WebSocketRoute("/v2/events", events)])

        async def counting(scope, receive, send):
            if scope["type"] == "http":
                auth = dict(scope["headers"]).get(b"authorization")
                cls.app_calls.append((scope["method"], scope["path"], auth.decode() if auth else None))
            await app(scope, receive, send)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        cls.port = sock.getsockname()[1]
        config = uvicorn.Config(gatehouse.asgi.GatewayMiddleware(counting, cls.gw), log_level="warning", lifespan="off")
        cls.server = uvicorn.Server(config)
        cls.thread = threading.Thread(target=cls.server.run, kwargs={"sockets": [sock]}, daemon=True)
        cls.thread.start()
        for _ in range(200):
            if cls.server.started:
                break
            time.sleep(0.02)

    @classmethod
    def tearDownClass(cls):
        cls.server.should_exit = True
        cls.thread.join(10)
        cls.gw.close()

    def test_websocket_handshake_is_decided(self):
        # RFC 6455 4.1 handshake by hand: denied without a token (closed before accept: 403), passed with one
        def handshake(token):
            s = socket.create_connection(("127.0.0.1", self.port), timeout=10)
            auth = "Authorization: Bearer %s\r\n" % token if token else ""
            s.sendall(("GET /v2/events HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n%s\r\n" % auth).encode())
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            if data.startswith(b"HTTP/1.1 101"):
                while b"hello" not in data:
                    data += s.recv(4096)
            s.close()
            return data
        self.assertTrue(handshake(None).startswith(b"HTTP/1.1 403"))
        got = handshake(self.bob)
        self.assertTrue(got.startswith(b"HTTP/1.1 101"), got[:80])
        self.assertIn(b"hello bob", got)


if __name__ == "__main__":
    unittest.main()
