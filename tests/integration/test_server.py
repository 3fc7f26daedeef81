"""The reference server (examples/server) end to end, with real clients: curl
and this file's own sockets for what curl will not send (pipelined requests,
smuggling attempts, slow headers).

  usage: test_server.py GATEHOUSE_SERVER GATEHOUSE_CLI

The server runs in demo mode (its built-in echo upstream) on free loopback
ports, and a second one from a configuration file for SIGHUP reloads.
"""
import base64
import hashlib
import json
import os
import re
import signal
import socketserver
import struct
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

SERVER, CLI = sys.argv[1], sys.argv[2]
ADMIN_TOKEN = "test-admin-token"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def config_file(doc):
    """A gateway configuration in a file of its own; its path."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", prefix="gh-config-", delete=False) as f:
        json.dump(doc, f)
    return f.name


def wait_until(check, seconds=10):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if check():
                return True
        except OSError:
            pass
        time.sleep(0.05)
    return False


class Server:
    def __init__(self, *args):
        self.port, self.admin = free_port(), free_port()
        self.state = tempfile.mkdtemp(prefix="gh-server-")
        self.log = open(os.path.join(self.state, "server.log"), "w+")
        self.proc = subprocess.Popen(
            [SERVER, "--state", self.state, "--listen", "127.0.0.1:%d" % self.port, "--admin", "127.0.0.1:%d" % self.admin,
             "--workers", "2", "--admin-token", ADMIN_TOKEN, "--header-timeout", "0.5", "--idle-timeout", "1",
             "--max-body", "8000000", *args],
            stdout=self.log, stderr=subprocess.STDOUT)
        if not wait_until(lambda: self.admin_get("/health")[0] == 200):
            self.stop()
            raise RuntimeError("the server did not start:\n" + self.output())

    def output(self):
        with open(self.log.name) as f:
            return f.read()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def admin_get(self, path, token=ADMIN_TOKEN, method="GET", body=None):
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.admin, path), data=body, method=method)
        if token:
            req.add_header("Authorization", "Bearer " + token)
        try:
            with urllib.request.urlopen(req, timeout=5) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def curl(*args):
    """(status, headers dict (lower-case), body bytes) of one curl call."""
    out = subprocess.run(["curl", "-s", "-i", "--max-time", "20", *args], capture_output=True, check=True).stdout
    head, _, body = out.partition(b"\r\n\r\n")
    while head.startswith(b"HTTP/1.1 100"):  # an interim answer before the real one
        head, _, body = body.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), headers, body


def raw(port, data, timeout=3.0):
    """Sends bytes as they are and reads until the server closes or goes quiet."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        got = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
        except socket.timeout:
            pass
        return got


def token(state, sub, role):
    """A demo-realm token, as a user makes one (`gatehouse token issue`)."""
    return subprocess.run([CLI, "token", "issue", "--state", state, "--realm", "demo", "--sub", sub, "--role", role],
                          capture_output=True, check=True, text=True).stdout.strip()


WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC11B65"  # RFC 6455 section 1.3


def ws_accept(key):
    return base64.b64encode(hashlib.sha1(key + WS_GUID).digest())


def ws_frame(payload, opcode=1, mask=None):
    """One frame (RFC 6455 section 5.2), masked when a key is given (as clients must)."""
    head = bytes([0x80 | opcode])
    n = len(payload)
    bit = 0x80 if mask else 0
    head += bytes([bit | n]) if n < 126 else bytes([bit | 126]) + struct.pack("!H", n) if n < 65536 else \
        bytes([bit | 127]) + struct.pack("!Q", n)
    if mask:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        head += mask
    return head + payload


def ws_read_frame(sock, buf=b""):
    """(opcode, payload, rest) of the next frame in buf + what sock brings."""
    def need(n):
        nonlocal buf
        while len(buf) < n:
            chunk = sock.recv(65536)
            if not chunk:
                raise EOFError("closed mid-frame")
            buf += chunk
    need(2)
    n, at = buf[1] & 0x7f, 2
    if n == 126:
        need(4)
        n, at = struct.unpack("!H", buf[2:4])[0], 4
    elif n == 127:
        need(10)
        n, at = struct.unpack("!Q", buf[2:10])[0], 10
    mask = None
    if buf[1] & 0x80:
        need(at + 4)
        mask, at = buf[at:at + 4], at + 4
    need(at + n)
    payload = buf[at:at + n]
    if mask:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return buf[0] & 0x0f, payload, buf[at + n:]


class WebSocketEcho(socketserver.ThreadingTCPServer):
    """An upstream that accepts WebSocket handshakes and echoes each frame back, and says in a
    header which Authorization and Connection it was sent."""
    daemon_threads = allow_reuse_address = True

    def __init__(self):
        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = self.request.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                head, _, rest = data.partition(b"\r\n\r\n")
                fields = {k.strip().lower(): v.strip() for k, _, v in
                          (line.partition(b":") for line in head.split(b"\r\n")[1:])}
                if fields.get(b"upgrade", b"").lower() != b"websocket":
                    self.request.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                    return
                self.request.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                     b"Sec-WebSocket-Accept: " + ws_accept(fields[b"sec-websocket-key"]) + b"\r\n"
                                     b"X-Saw-Connection: " + fields.get(b"connection", b"") + b"\r\n\r\n")
                try:
                    while True:
                        opcode, payload, rest = ws_read_frame(self.request, rest)
                        if opcode == 8:  # close: answered, then the connection ends
                            self.request.sendall(ws_frame(payload, 8))
                            return
                        self.request.sendall(ws_frame(payload, opcode))
                except (EOFError, OSError):
                    return
        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


class ServedTest(unittest.TestCase):
    """Tests sharing one server in demo mode, started with the options a class gives."""

    @classmethod
    def start(cls, *args):
        cls.s = Server(*args)
        cls.viewer = token(cls.s.state, "alice", "viewer")
        cls.editor = token(cls.s.state, "bob", "editor")

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()
        # a clean exit: no sanitizer report (they exit non-zero), nothing left in flight
        assert cls.s.proc.returncode == 0, cls.s.output()


class DemoServer(ServedTest):
    @classmethod
    def setUpClass(cls):
        cls.start()

    def auth(self, who):
        return ["-H", "Authorization: Bearer " + who]

    def test_forward_rewrites_the_head(self):
        status, headers, body = curl(self.s.url("/v2/orders/7"), *self.auth(self.viewer),
                                     "-H", "Connection: keep-alive, X-Hop", "-H", "X-Hop: secret", "-H", "Keep-Alive: 5",
                                     "-H", "X-Forwarded-For: 203.0.113.9")
        self.assertEqual(status, 200)
        echo = json.loads(body)
        seen = {k.lower(): v for k, v in echo["headers"].items()}
        # RFC 9110 §7.6.1: hop-by-hop fields, and those Connection names, are not forwarded
        for hop in ("connection", "keep-alive", "x-hop"):
            self.assertNotIn(hop, seen)
        self.assertEqual(seen["x-forwarded-for"], "203.0.113.9, 127.0.0.1")
        self.assertEqual(seen["forwarded"], 'for=127.0.0.1;proto=http;host="127.0.0.1:%d"' % self.s.port)  # RFC 7239
        self.assertEqual(seen["x-request-id"], headers["x-request-id"])
        self.assertIn("ratelimit", headers)

    def test_denials_with_their_headers(self):
        status, headers, body = curl(self.s.url("/v2/orders/7"))
        self.assertEqual(status, 401)
        self.assertEqual(headers["www-authenticate"], 'Bearer realm="demo"')  # RFC 6750 §3: no error code
        self.assertEqual(headers["content-type"], "application/problem+json")
        status, _, _ = curl("-X", "POST", self.s.url("/v2/orders"), *self.auth(self.viewer))
        self.assertEqual(status, 403)
        status, headers, _ = curl(self.s.url("/v1/orders/7"), *self.auth(self.viewer))
        self.assertEqual(status, 200)
        self.assertTrue(headers["deprecation"].startswith("@"))  # RFC 9745 §2
        self.assertEqual(headers["sunset"], "Tue, 01 Jan 2030 00:00:00 GMT")  # RFC 8594
        self.assertEqual(curl(self.s.url("/v0/orders/7"))[0], 410)
        self.assertEqual(curl(self.s.url("/nowhere"))[0], 404)
        # a gRPC caller is answered in its own protocol: HTTP 200 with grpc-status 16 (unauthenticated)
        status, headers, _ = curl(self.s.url("/v2/orders/7"), "-H", "Content-Type: application/grpc")
        self.assertEqual((status, headers.get("grpc-status")), (200, "16"))

    def test_plan_limit_answers_429(self):
        codes = []
        for _ in range(12):
            status, headers, _ = curl(self.s.url("/catalog/v1/products"), "-H", "X-API-Key: demo-key-DO-NOT-USE")
            codes.append(status)
            if status == 429:
                self.assertIn("retry-after", headers)
                self.assertTrue(headers["ratelimit-policy"].startswith('"starter:'))
        self.assertEqual(codes[0], 200)
        self.assertIn(429, codes)

    def test_large_bodies_stream_both_ways(self):
        data = os.urandom(5_000_000)
        path = os.path.join(self.s.state, "body.bin")
        with open(path, "wb") as f:
            f.write(data)
        for framing in ([], ["-H", "Transfer-Encoding: chunked"]):
            status, _, body = curl("-X", "POST", "--data-binary", "@" + path, self.s.url("/v2/orders"),
                                   *self.auth(self.editor), *framing)
            self.assertEqual(status, 200)
            self.assertEqual(json.loads(body)["body_bytes"], 5_000_000)
        status, headers, body = curl(self.s.url("/health?bytes=20000000"))
        self.assertEqual((status, len(body)), (200, 20_000_000))
        self.assertEqual(headers.get("transfer-encoding"), "chunked")
        status, _, _ = curl("-X", "POST", "--data-binary", "@" + path, "-H", "Content-Length: 9000000",
                            self.s.url("/v2/orders"), *self.auth(self.editor))
        self.assertEqual(status, 413)

    def test_clients_that_vanish_mid_exchange(self):
        # a client gone while its answer is written (SIGPIPE) or its request is at the upstream
        for _ in range(20):
            with socket.create_connection(("127.0.0.1", self.s.port)) as s:
                s.sendall(b"GET /health?bytes=4000000 HTTP/1.1\r\nHost: x\r\n\r\n")
                s.recv(100)
            with socket.create_connection(("127.0.0.1", self.s.port)) as s:
                s.sendall(b"GET /health?delay_ms=50 HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.2)
        self.assertEqual(self.s.proc.poll(), None)  # still serving
        self.assertEqual(curl(self.s.url("/health"))[0], 200)

    def test_keep_alive_and_pipelining(self):
        one = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
        got = raw(self.s.port, one * 3 + b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        self.assertEqual(got.count(b"HTTP/1.1 200 OK"), 4)  # in order, on one connection
        self.assertEqual(got.count(b'"service":"echo"'), 4)

    def test_smuggling_is_refused(self):
        # RFC 9112 §6.3: Content-Length with Transfer-Encoding, or two lengths, is an error, never guessed at
        both = raw(self.s.port, b"POST /v2/orders HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                                b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /v2/orders/1 HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertTrue(both.startswith(b"HTTP/1.1 400"), both[:80])
        self.assertEqual(both.count(b"HTTP/1.1"), 1)  # the smuggled request is never read
        two = raw(self.s.port, b"POST /v2/orders HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello")
        self.assertTrue(two.startswith(b"HTTP/1.1 400"), two[:80])

    def test_idle_connections_are_closed(self):
        with socket.create_connection(("127.0.0.1", self.s.port), timeout=5) as s:
            s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            got = b""
            while b"\r\n\r\n" not in got or len(got.partition(b"\r\n\r\n")[2]) < int(
                    re.search(rb"(?i)content-length: (\d+)", got).group(1)):  # the whole answer, in however many reads
                got += s.recv(65536)
            self.assertTrue(got.startswith(b"HTTP/1.1 200"))
            start = time.time()
            self.assertEqual(s.recv(65536), b"")  # --idle-timeout 1: the server closes the kept-alive connection
            self.assertLess(time.time() - start, 3)

    def test_other_upgrades_and_connect_are_refused_plainly(self):
        got = raw(self.s.port, b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                               b"Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n")
        self.assertTrue(got.startswith(b"HTTP/1.1 501"), got[:80])
        got = raw(self.s.port, b"CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n")
        self.assertTrue(got.startswith(b"HTTP/1.1 501"), got[:80])
        self.assertEqual(curl(self.s.url("/health"))[0], 200)

    def test_websocket_goes_through_the_pipeline_then_tunnels(self):
        echo = WebSocketEcho()
        self.addCleanup(echo.server_close)
        self.addCleanup(echo.shutdown)
        patch = json.dumps([{"op": "add", "path": "/upstreams/ws", "value": {"targets": ["http://127.0.0.1:%d" % echo.server_address[1]]}},
                            {"op": "add", "path": "/routes/-", "value": {"method": "GET", "path": "/ws", "upstream": "ws",
                                                                         "realm": "demo"}}])
        status, body = self.s.admin_get("/config", method="PATCH", body=patch.encode())
        self.assertEqual(status, 200, body)
        key = base64.b64encode(os.urandom(16))

        def handshake(extra=b""):
            s = socket.create_connection(("127.0.0.1", self.s.port), timeout=5)
            s.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n"
                      b"Sec-WebSocket-Key: " + key + b"\r\nSec-WebSocket-Version: 13\r\n" + extra + b"\r\n")
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            head, _, rest = data.partition(b"\r\n\r\n")
            return s, head, rest

        # RFC 6750 3: the handshake is authenticated like any request: no token, 401 and closed
        s, head, _ = handshake()
        self.assertTrue(head.startswith(b"HTTP/1.1 401"), head[:80])
        s.close()
        _, before = self.s.admin_get("/metrics")
        s, head, rest = handshake(b"Authorization: Bearer " + self.viewer.encode() + b"\r\n")
        with s:
            self.assertTrue(head.startswith(b"HTTP/1.1 101"), head)
            fields = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(b":") for ln in head.split(b"\r\n")[1:])}
            self.assertEqual(fields[b"sec-websocket-accept"], ws_accept(key))  # RFC 6455 4.2.2, from the upstream
            self.assertEqual(fields[b"upgrade"].lower(), b"websocket")
            self.assertEqual(fields[b"x-saw-connection"], b"Upgrade")  # the upstream was asked to upgrade, nothing else
            # frames both ways, one split across writes, one large (64-bit length)
            s.sendall(ws_frame(b"hello", mask=b"\x01\x02\x03\x04"))
            opcode, payload, rest = ws_read_frame(s, rest)
            self.assertEqual((opcode, payload), (1, b"hello"))
            frame = ws_frame(b"split", mask=b"abcd")
            s.sendall(frame[:3])
            time.sleep(0.05)
            s.sendall(frame[3:])
            opcode, payload, rest = ws_read_frame(s, rest)
            self.assertEqual(payload, b"split")
            big = os.urandom(70000)
            s.sendall(ws_frame(big, opcode=2, mask=b"wxyz"))
            opcode, payload, rest = ws_read_frame(s, rest)
            self.assertEqual((opcode, payload), (2, big))
            s.sendall(ws_frame(b"\x03\xe8", opcode=8, mask=b"\x00\x00\x00\x00"))  # close, 1000
            opcode, payload, rest = ws_read_frame(s, rest)
            self.assertEqual(opcode, 8)
            self.assertEqual(s.recv(65536), b"")  # the upstream ended it: so does the server

        def counter(text, name):
            return sum(float(ln.rsplit(" ", 1)[1]) for ln in text.splitlines() if ln.startswith(name))

        def counted():
            _, after = self.s.admin_get("/metrics")
            return (counter(after, 'gatehouse_server_websocket_frames_total{from="client"}') -
                    counter(before, 'gatehouse_server_websocket_frames_total{from="client"}') == 4 and
                    counter(after, 'gatehouse_server_websocket_frames_total{from="upstream"}') -
                    counter(before, 'gatehouse_server_websocket_frames_total{from="upstream"}') == 4 and
                    'route="GET /ws",consumer="",code_class="1xx"} 1' in after)
        self.assertTrue(wait_until(counted), self.s.admin_get("/metrics")[1][-600:])

    def test_oversized_and_slow_heads_are_cut_off(self):
        big = raw(self.s.port, b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
        self.assertTrue(big.startswith(b"HTTP/1.1 431"), big[:80])
        many = raw(self.s.port, b"GET /health HTTP/1.1\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(150)) + b"\r\n")
        self.assertTrue(many.startswith(b"HTTP/1.1 431"), many[:80])
        start = time.time()
        slow = raw(self.s.port, b"GET /health HTTP/1.1\r\nHost: x\r\n", timeout=5)  # never finished
        self.assertTrue(slow.startswith(b"HTTP/1.1 408"), slow[:80])
        self.assertLess(time.time() - start, 3)  # --header-timeout 0.5

    def test_upstream_down_is_502(self):
        patch = json.dumps([{"op": "add", "path": "/upstreams/down", "value": {"targets": ["http://127.0.0.1:1"]}},
                            {"op": "add", "path": "/routes/-", "value": {"method": "GET", "path": "/down",
                                                                         "upstream": "down", "auth": "none"}}])
        status, body = self.s.admin_get("/config", method="PATCH", body=patch.encode())
        self.assertEqual(status, 200, body)
        status, headers, body = curl(self.s.url("/down"))
        self.assertEqual(status, 502)
        self.assertEqual(headers["content-type"], "application/problem+json")
        _, metrics = self.s.admin_get("/metrics")
        self.assertIn('gatehouse_upstream_responses_total{upstream="down",target="http://127.0.0.1:1",outcome="unreachable"}', metrics)

    def test_upstream_that_does_not_accept_is_502_after_the_connect_timeout(self):
        # a listener whose accept queue is full: the kernel drops further SYNs, so connecting hangs
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fill = []
        for _ in range(4):
            s = socket.socket()
            s.setblocking(False)
            try:
                s.connect(("127.0.0.1", port))
            except BlockingIOError:
                pass
            fill.append(s)
        self.addCleanup(lambda: [x.close() for x in fill + [listener]])
        s = Server("--config", self.config_with_upstream(port), "--connect-timeout", "0.5")
        try:
            start = time.time()
            status, headers, body = curl(s.url("/slow"))
            self.assertEqual(status, 502, body)
            self.assertIn(b"did not accept the connection in time", body)
            self.assertLess(time.time() - start, 3)  # not the 60 s of --upstream-timeout
        finally:
            s.stop()
        self.assertEqual(s.proc.returncode, 0, s.output())

    def test_a_pooled_connection_closed_by_the_upstream_is_retried_fresh(self):
        # An upstream whose keep-alive ends at its second request: it reads it and closes, answering nothing
        # (its idle timeout raced the request). The server's retry of an idempotent request on a fresh
        # connection hides that; a POST is not sent twice.
        answered = []

        class OneShot(socketserver.BaseRequestHandler):
            def handle(self):
                served = 0
                data = b""
                while True:
                    chunk = self.request.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                    while b"\r\n\r\n" in data:
                        head, _, data = data.partition(b"\r\n\r\n")
                        if served:
                            return  # the second request on this connection: closed unanswered
                        served += 1
                        answered.append(head.split(b" ")[0])
                        self.request.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        up = socketserver.ThreadingTCPServer(("127.0.0.1", 0), OneShot)
        up.daemon_threads = True
        threading.Thread(target=up.serve_forever, daemon=True).start()
        self.addCleanup(up.server_close)
        self.addCleanup(up.shutdown)
        path = config_file({"gatehouse": 1, "upstreams": {"u": {"targets": ["http://127.0.0.1:%d" % up.server_address[1]]}},
                            "routes": [{"methods": ["GET", "POST"], "path": "/r", "upstream": "u", "auth": "none"}]})
        s = Server("--config", path, "--workers", "1")
        try:
            self.assertEqual([curl(s.url("/r"))[0] for _ in range(3)], [200] * 3)  # 2nd and 3rd: retried fresh
            self.assertEqual(answered, [b"GET"] * 3)
            self.assertEqual(curl(s.url("/r"), "-X", "POST", "-d", "x=1")[0], 502)  # a POST is never sent twice
            self.assertEqual(answered, [b"GET"] * 3)
        finally:
            s.stop()
        self.assertEqual(s.proc.returncode, 0, s.output())

    def config_with_upstream(self, port):
        return config_file({"gatehouse": 1, "upstreams": {"u": {"targets": ["http://127.0.0.1:%d" % port]}},
                            "routes": [{"method": "GET", "path": "/slow", "upstream": "u", "auth": "none"}]})

    def test_admin_api(self):
        self.assertEqual(self.s.admin_get("/health", token=None)[0], 200)
        status, body = self.s.admin_get("/ready", token=None)
        self.assertEqual(status, 200)
        self.assertEqual(self.s.admin_get("/metrics", token=None)[0], 401)
        self.assertEqual(self.s.admin_get("/metrics", token="wrong")[0], 401)
        curl(self.s.url("/v2/orders/7"), *self.auth(self.viewer))
        status, metrics = self.s.admin_get("/metrics")
        self.assertEqual(status, 200)
        # recorded at completion, once the answer is on its way: the client may see it a moment before
        self.assertTrue(wait_until(lambda: 'gatehouse_requests_total{api="orders",version="v2",route="get-order"'
                                           in self.s.admin_get("/metrics")[1]))
        status, config = self.s.admin_get("/config")
        self.assertEqual(status, 200)
        self.assertNotIn("7a315f81", config)  # the demo key's digest is redacted
        self.assertIn("<redacted>", config)
        status, body = self.s.admin_get("/config", method="PUT", body=b'{"gatehouse": 1, "routz": []}')
        self.assertEqual(status, 400)
        self.assertIn('did you mean \\"routes\\"', body)
        self.assertEqual(curl(self.s.url("/v2/orders/7"), *self.auth(self.viewer))[0], 200)  # unchanged


class ConfigFileServer(unittest.TestCase):
    def test_sighup_reloads_and_sigterm_drains(self):
        path = config_file({"gatehouse": 1, "upstreams": {"u": {"targets": ["http://127.0.0.1:1"]}},
                            "routes": [{"method": "GET", "path": "/a", "upstream": "u", "auth": "none"}]})
        s = Server("--config", path)
        try:
            self.assertEqual(json.loads(s.admin_get("/ready")[1])["config_version"], "1")
            with open(path, "w") as g:
                g.write('{"gatehouse": 1, "routz": []}')  # refused: the old one stays
            s.proc.send_signal(signal.SIGHUP)
            self.assertTrue(wait_until(lambda: "is refused" in s.output()))
            self.assertEqual(json.loads(s.admin_get("/ready")[1])["config_version"], "1")
            with open(path, "w") as g:
                g.write(json.dumps({"gatehouse": 1, "upstreams": {"u": {"targets": ["http://127.0.0.1:1"]}},
                                    "routes": [{"method": "GET", "path": "/b", "upstream": "u", "auth": "none"}]}))
            s.proc.send_signal(signal.SIGHUP)
            self.assertTrue(wait_until(lambda: json.loads(s.admin_get("/ready")[1])["config_version"] == "2"))
            self.assertEqual(curl(s.url("/a"))[0], 404)
            self.assertEqual(curl(s.url("/b"))[0], 502)
        finally:
            s.stop()
        self.assertEqual(s.proc.returncode, 0)

    def test_reloads_under_load_fail_no_request(self):
        import http.server

        class Ok(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # kept alive, as the server's pool wants

            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        up = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Ok)
        up.daemon_threads = True
        threading.Thread(target=up.serve_forever, daemon=True).start()
        self.addCleanup(up.shutdown)

        def doc(limit):  # each reload changes a limit, so the snapshot really is new
            return {"gatehouse": 1, "upstreams": {"u": {"targets": ["http://127.0.0.1:%d" % up.server_address[1]]}},
                    "limits": {"l": {"algorithm": "gcra", "limit": limit, "period": 1, "key": "ip", "memory": 65536}},
                    "routes": [{"method": "GET", "path": "/a", "upstream": "u", "auth": "none", "limits": ["l"]}]}

        path = config_file(doc(400000))
        s = Server("--config", path, "--workers", "2")
        self.addCleanup(s.stop)
        load = subprocess.Popen(["wrk", "-t1", "-c8", "-d4s", s.url("/a")], stdout=subprocess.PIPE, text=True)
        time.sleep(0.5)
        for i in range(6):  # SIGHUP reloads of the file, and whole replacements through the admin API
            with open(path, "w") as g:
                json.dump(doc(500000 + i), g)
            s.proc.send_signal(signal.SIGHUP)
            time.sleep(0.25)
            self.assertEqual(s.admin_get("/config", method="PUT", body=json.dumps(doc(600000 + i)).encode())[0], 200)
            time.sleep(0.25)
        out = load.communicate(timeout=30)[0]
        self.assertGreaterEqual(int(json.loads(s.admin_get("/ready")[1])["config_version"]), 13, s.output())
        self.assertRegex(out, r"\d+ requests in", out)
        self.assertNotIn("Non-2xx", out)  # every request answered 200 through a dozen swaps
        self.assertNotIn("Socket errors", out)

    def test_sigterm_lets_requests_in_flight_finish(self):
        s = Server()
        result = {}

        def slow():
            result["status"] = curl(s.url("/health?delay_ms=700"))[0]

        t = threading.Thread(target=slow)
        t.start()
        time.sleep(0.2)
        s.proc.send_signal(signal.SIGTERM)
        t.join(10)
        self.assertEqual(result.get("status"), 200)
        self.assertEqual(s.proc.wait(10), 0)
        self.assertIn("draining: 1 request(s) in flight", s.output())


class ClusterLimit(unittest.TestCase):
    """A synced limit shared by two server processes over one real redis-server (started here on a free
    loopback port, stopped by its PID): what one admits, the other counts (docs/ratelimits.md, synced mode)."""

    def redis(self):
        """A redis-server of this test's own, on a free loopback port (DEBUG SLEEP allowed from it); its port."""
        port = free_port()
        redis = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                  "--appendonly", "no", "--enable-debug-command", "local"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(lambda: (redis.terminate(), redis.wait()))
        self.assertTrue(wait_until(lambda: socket.create_connection(("127.0.0.1", port), timeout=1).close() or True))
        return port

    def test_a_strict_limit_waits_on_redis_without_holding_the_worker(self):
        port = self.redis()
        path = config_file({
            "gatehouse": 1, "redis": {"host": "127.0.0.1", "port": port, "timeout": 3},
            "limits": {"exact": {"algorithm": "fixed-window", "limit": 5, "period": 600, "key": "header:X-User",
                                 "mode": "strict"}},
            "upstreams": {"down": {"targets": ["http://127.0.0.1:1"]}},  # admitted: 502; refused: 429
            "routes": [{"method": "GET", "path": "/strict", "upstream": "down", "auth": "none", "limits": ["exact"]},
                       {"method": "GET", "path": "/free", "upstream": "down", "auth": "none"}]})
        s = Server("--config", path, "--workers", "1")
        self.addCleanup(s.stop)
        ann = ["-H", "X-User: ann"]
        self.assertEqual([curl(s.url("/strict"), *ann)[0] for _ in range(7)], [502] * 5 + [429] * 2)  # exact, in Redis
        # Redis stalls for 1.5 s: a strict request waits for it, on the thread pool; the one worker's loop
        # goes on serving a request that needs no Redis meanwhile
        stall = threading.Thread(target=lambda: subprocess.run(["redis-cli", "-p", str(port), "DEBUG", "SLEEP", "1.5"],
                                                                capture_output=True, check=True))
        stall.start()
        time.sleep(0.2)
        waiting = {}
        # a caller the server has not seen: its count is Redis's to tell
        strict = threading.Thread(target=lambda: waiting.update(status=curl(s.url("/strict"), "-H", "X-User: bo")[0]))
        strict.start()
        time.sleep(0.2)
        started = time.time()
        self.assertEqual(curl(s.url("/free"))[0], 502)
        self.assertLess(time.time() - started, 0.8, "the worker's loop was held while Redis slept")
        strict.join()
        stall.join()
        self.assertEqual(waiting["status"], 502)  # admitted, once Redis answered

    def test_two_servers_share_a_synced_limit(self):
        port = self.redis()
        path = config_file({
            "gatehouse": 1, "redis": {"host": "127.0.0.1", "port": port, "timeout": 0.5},
            "limits": {"shared": {"algorithm": "fixed-window", "limit": 10, "period": 600, "key": "ip",
                                  "mode": "synced"}},
            "upstreams": {"down": {"targets": ["http://127.0.0.1:1"]}},  # admitted: 502; refused: 429
            "routes": [{"method": "GET", "path": "/a", "upstream": "down", "auth": "none", "limits": ["shared"]}]})
        servers = [Server("--config", path, "--sync-interval", "0.2") for _ in range(2)]
        try:
            a, b = servers
            self.assertEqual([curl(a.url("/a"))[0] for _ in range(6)], [502] * 6)
            time.sleep(1.5)  # A's six reach Redis
            # B's view of a key is refreshed at the sync after it admits on it: its first goes on its own view,
            # then it knows the cluster's seven and admits the three left of ten
            self.assertEqual(curl(b.url("/a"))[0], 502)
            time.sleep(1.5)
            self.assertEqual([curl(b.url("/a"))[0] for _ in range(5)], [502] * 3 + [429] * 2)
            # A, the same way: one more within the documented overshoot, then it has seen B's four (a slow
            # machine may need another sync: at most one more admitted meanwhile)
            self.assertEqual(curl(a.url("/a"))[0], 502)
            extra = 0
            for _ in range(3):
                time.sleep(1)
                if curl(a.url("/a"))[0] == 429:
                    break
                extra += 1
            self.assertLessEqual(extra, 1, a.output() + b.output())
            self.assertEqual(curl(a.url("/a"))[0], 429, a.output() + b.output())
        finally:
            for s in servers:
                s.stop()
        self.assertEqual([s.proc.returncode for s in servers], [0, 0])


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_test_ca(d):
    """In d: a test CA (ca.pem), a server certificate for localhost and 127.0.0.1 (server.pem, .key) and a
    client certificate (client.pem, .key), all P-256, made with the openssl command."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=gatehouse test CA", cwd=d)
    with open(os.path.join(d, "server.ext"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    for who, subj in (("server", "/CN=127.0.0.1"), ("client", "/CN=client-app")):
        openssl("req", *ec, "-keyout", who + ".key", "-out", who + ".csr", "-subj", subj, cwd=d)
        openssl("x509", "-req", "-in", who + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", who + ".pem", "-days", "2", *(["-extfile", "server.ext"] if who == "server" else []), cwd=d)


class TlsServer(ServedTest):
    """HTTPS with mbedTLS: a test CA made here with the openssl command, a server certificate for
    127.0.0.1, and a client certificate whose SHA-256 binds a token (RFC 8705)."""

    @classmethod
    def setUpClass(cls):
        cls.dir = d = tempfile.mkdtemp(prefix="gh-tls-")
        make_test_ca(d)
        cls.start("--tls-cert", os.path.join(d, "server.pem"), "--tls-key", os.path.join(d, "server.key"),
                  "--tls-client-ca", os.path.join(d, "ca.pem"))

    def url(self, path):
        return "https://127.0.0.1:%d%s" % (self.s.port, path)

    def https(self, *args):
        return curl("--cacert", os.path.join(self.dir, "ca.pem"), *args)

    def test_https_proxies_with_the_scheme_passed_on(self):
        status, headers, body = self.https(self.url("/v2/orders/7"), "-H", "Authorization: Bearer " + self.viewer)
        self.assertEqual(status, 200, body)
        seen = json.loads(body)["headers"]
        self.assertEqual(seen["X-Forwarded-Proto"], "https")
        self.assertIn("proto=https", seen["Forwarded"])
        status, _, body = self.https(self.url("/health?bytes=3000000"))  # a large body, chunked through TLS
        self.assertEqual((status, len(body)), (200, 3000000))

    def test_protocol_version_alpn_and_plain_http(self):
        out = subprocess.run(["curl", "-sv", "--http1.1", "--cacert", os.path.join(self.dir, "ca.pem"), "-o", os.devnull,
                              self.url("/health")], capture_output=True, text=True).stderr
        self.assertIn("ALPN: server accepted http/1.1", out)
        self.assertRegex(out, r"SSL connection using TLSv1\.2")
        old = subprocess.run(["curl", "-s", "--tls-max", "1.1", "--tlsv1.0", "--cacert", os.path.join(self.dir, "ca.pem"),
                              self.url("/health")], capture_output=True)
        self.assertNotEqual(old.returncode, 0)  # TLS 1.1 and below are refused
        plain = raw(self.s.port, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertFalse(plain.startswith(b"HTTP/1.1 200"))  # no answer in the clear on the TLS port
        self.assertEqual(self.https(self.url("/health"))[0], 200)  # and the server is none the worse

    def test_certificate_bound_token(self):
        # RFC 8705 3.1: cnf.x5t#S256 is the SHA-256 of the client certificate's DER
        der = subprocess.run(["openssl", "x509", "-in", os.path.join(self.dir, "client.pem"), "-outform", "DER"],
                             capture_output=True, check=True).stdout
        with open(os.path.join(self.s.state, "demo-realm.json")) as f:
            realm = json.load(f)
        payload = {"sub": "carol", "iss": realm["issuer"], "aud": realm["audience"], "exp": int(time.time()) + 600,
                   "roles": ["viewer"], "cnf": {"x5t#S256": b64url(hashlib.sha256(der).digest())}}
        bound = subprocess.run([CLI, "jwt", "sign", "--alg", "ES256", "--kid", realm["kid"], "--jwk",
                                os.path.join(self.s.state, "demo-signing-key.jwk.json"), json.dumps(payload)],
                               capture_output=True, check=True, text=True).stdout.strip()
        auth = ["-H", "Authorization: Bearer " + bound]
        with_cert = ["--cert", os.path.join(self.dir, "client.pem"), "--key", os.path.join(self.dir, "client.key")]
        self.assertEqual(self.https(self.url("/v2/orders/7"), *auth, *with_cert)[0], 200)
        status, headers, _ = self.https(self.url("/v2/orders/7"), *auth)  # the token without its certificate
        self.assertEqual(status, 401)
        self.assertIn("invalid_token", headers["www-authenticate"])
        # an ordinary token needs no certificate, and a certificate does not stand in for a token
        self.assertEqual(self.https(self.url("/v2/orders/7"), "-H", "Authorization: Bearer " + self.viewer, *with_cert)[0], 200)
        self.assertEqual(self.https(self.url("/v2/orders/7"), *with_cert)[0], 401)


class HttpsUpstream(unittest.TestCase):
    """https:// targets: TLS to the upstream, its certificate checked against --upstream-ca and the
    address connected to (RFC 5280 §4.2.1.6 iPAddress), connections pooled."""

    @classmethod
    def setUpClass(cls):
        cls.dir = d = tempfile.mkdtemp(prefix="gh-up-tls-")
        make_test_ca(d)
        cls.good = cls.upstream(os.path.join(d, "server.pem"), os.path.join(d, "server.key"))
        # a certificate of the same CA that names no address: refused for 127.0.0.1
        cls.unnamed = cls.upstream(os.path.join(d, "client.pem"), os.path.join(d, "client.key"))

    @classmethod
    def upstream(cls, cert, key):
        import http.server
        import ssl

        class Echo(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def answer(self):
                n = int(self.headers.get("Content-Length", 0))
                got = self.rfile.read(n) if n else b""
                self.server.peers.add(self.client_address)
                body = json.dumps({"method": self.command, "path": self.path, "bytes": len(got),
                                   "proto": self.headers.get("X-Forwarded-Proto")}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = answer

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo)
        server.peers = set()
        server.handle_error = lambda request, address: None  # refused handshakes are the point here
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server

    def serve(self, *args):
        config = {"gatehouse": 1,
                  "upstreams": {"good": {"targets": ["https://127.0.0.1:%d" % self.good.server_address[1]]},
                                "unnamed": {"targets": ["https://127.0.0.1:%d" % self.unnamed.server_address[1]]}},
                  "routes": [{"method": "*", "path": "/good/{rest*}", "upstream": "good", "auth": "none"},
                             {"method": "GET", "path": "/unnamed", "upstream": "unnamed", "auth": "none"}]}
        path = config_file(config)
        s = Server("--config", path, "--workers", "1", *args)
        self.addCleanup(s.stop)
        return s

    def test_requests_and_bodies_over_tls_on_pooled_connections(self):
        s = self.serve("--upstream-ca", os.path.join(self.dir, "ca.pem"))
        self.good.peers.clear()
        for i in range(5):
            status, _, body = curl(s.url("/good/items/%d?x=1" % i))
            self.assertEqual(status, 200)
            self.assertEqual(json.loads(body)["path"], "/good/items/%d?x=1" % i)
        self.assertLessEqual(len(self.good.peers), 2)  # kept alive: not one TLS handshake per request
        data = os.urandom(3_000_000)
        path = os.path.join(self.dir, "body.bin")
        with open(path, "wb") as f:
            f.write(data)
        status, _, body = curl("-X", "POST", "--data-binary", "@" + path, s.url("/good/upload"))
        self.assertEqual((status, json.loads(body)["bytes"]), (200, 3_000_000))

    def test_a_certificate_that_does_not_name_the_address_is_refused(self):
        s = self.serve("--upstream-ca", os.path.join(self.dir, "ca.pem"))
        status, _, body = curl(s.url("/unnamed"))
        self.assertEqual(status, 502)
        self.assertIn("does not name the address", body.decode())

    def test_an_upstream_of_an_unknown_ca_is_refused(self):
        s = self.serve()  # the system's CAs: the test CA is not one of them
        status, _, body = curl(s.url("/good/x"))
        self.assertEqual(status, 502)
        self.assertIn("TLS with the upstream failed", body.decode())


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
