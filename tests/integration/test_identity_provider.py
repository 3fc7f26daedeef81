"""The reference server calling identity providers itself: key sets and
OpenID Connect discovery fetched (examples/server/key_fetch.c), tokens
introspected (introspect.c), both through http_client.c. The identity
provider is made here (Python's HTTPS server with a test CA); tokens are
signed with keys made by the CLI.

  usage: test_identity_provider.py GATEHOUSE_SERVER GATEHOUSE_CLI
"""
import base64
import urllib.parse
import http.server
import json
import os
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import test_server
from test_server import Server, config_file, curl, make_test_ca, wait_until

CLI = sys.argv[2]


def cli(*args):
    return subprocess.run([CLI, *args], capture_output=True, check=True, text=True).stdout


class IdentityProvider(http.server.ThreadingHTTPServer):
    """/.well-known/openid-configuration and /jwks over HTTPS, counting what is asked."""

    def __init__(self, ca_dir):
        self.hits = {}
        self.jwks = b'{"keys": []}'
        self.status = 200
        self.lock = threading.Lock()
        provider = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                with provider.lock:
                    provider.hits[self.path] = provider.hits.get(self.path, 0) + 1
                if self.path == "/.well-known/openid-configuration":
                    body, status = json.dumps(provider.discovery()).encode(), 200
                elif self.path == "/jwks":
                    body, status = provider.jwks, provider.status
                else:
                    body, status = b"{}", 404
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):  # RFC 7662 §2: the introspection endpoint
                with provider.lock:
                    provider.hits[self.path] = provider.hits.get(self.path, 0) + 1
                form = urllib.parse.parse_qs(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode())
                # the client "gateway" with the secret "s3cret%", each %-encoded first (RFC 6749 §2.3.1)
                expected = "Basic " + base64.b64encode(b"gateway:s3cret%25").decode()
                if self.headers.get("Authorization") != expected:
                    status, body = 401, {"error": "invalid_client"}
                elif form.get("token") == ["good token+/="]:
                    status, body = 200, {"active": True, "sub": "svc", "scope": "read", "client_id": "c1",
                                         "exp": int(time.time()) + 600}
                else:
                    status, body = 200, {"active": False}
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(os.path.join(ca_dir, "server.pem"), os.path.join(ca_dir, "server.key"))
        self.socket = context.wrap_socket(self.socket, server_side=True)
        self.issuer = "https://localhost:%d" % self.server_address[1]
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def discovery(self):  # OpenID Connect Discovery 1.0 §3, RFC 8414 §2
        return {"issuer": self.issuer, "jwks_uri": self.issuer + "/jwks",
                "authorization_endpoint": self.issuer + "/authorize", "response_types_supported": ["code"],
                "subject_types_supported": ["public"], "id_token_signing_alg_values_supported": ["ES256"]}

    def count(self, path):
        with self.lock:
            return self.hits.get(path, 0)


class IdentityProviderCalls(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="gh-idp-")
        make_test_ca(cls.dir)
        cls.idp = IdentityProvider(cls.dir)
        for kid in ("k1", "k2"):
            with open(os.path.join(cls.dir, kid + ".jwk"), "w") as f:
                f.write(cli("jwk", "generate", "--alg", "ES256", "--kid", kid))

    @classmethod
    def tearDownClass(cls):
        cls.idp.shutdown()

    def publish(self, *kids):
        self.idp.jwks = cli("jwks", "add", *[os.path.join(self.dir, k + ".jwk") for k in kids]).encode()

    def token(self, kid, sub="dana"):
        payload = {"iss": self.idp.issuer, "aud": "api", "sub": sub, "exp": int(time.time()) + 600}
        return cli("jwt", "sign", "--alg", "ES256", "--kid", kid, "--jwk", os.path.join(self.dir, kid + ".jwk"),
                   json.dumps(payload)).strip()

    def server(self, provider, *args):
        config = {"gatehouse": 1,
                  "realms": {"idp": {"providers": [dict({"name": "idp", "type": "jwt", "issuer": self.idp.issuer,
                                                         "audience": "api", "algorithms": ["ES256"]}, **provider)]}},
                  "upstreams": {"u": {"targets": ["http://127.0.0.1:1"]}},
                  "routes": [{"method": "GET", "path": "/me", "realm": "idp", "upstream": "u"}]}
        path = config_file(config)
        s = Server("--config", path, *args)
        self.addCleanup(s.stop)
        return s

    def status(self, s, token):
        return curl(s.url("/me"), "-H", "Authorization: Bearer " + token)[0]

    def test_discovery_then_keys_then_a_rotation(self):
        self.publish("k1")
        before = self.idp.count("/jwks")
        s = self.server({"discovery_url": self.idp.issuer + "/.well-known/openid-configuration", "jwks_cooldown": 1},
                        "--fetch-ca", os.path.join(self.dir, "ca.pem"))
        # 502: authenticated, then the upstream (port 1) is down; 401 while the keys are not there
        self.assertTrue(wait_until(lambda: self.status(s, self.token("k1")) == 502), s.output())
        self.assertGreaterEqual(self.idp.count("/.well-known/openid-configuration"), 1)
        self.assertIn("fetched the key set " + self.idp.issuer + "/jwks", s.output())
        # the provider rolls its keys over (RFC 7517 §5: a set names several); a token of the new kid is
        # refused until the set is fetched again, which its unknown kid brings about after jwks_cooldown
        self.publish("k1", "k2")
        self.assertTrue(wait_until(lambda: self.status(s, self.token("k2")) == 502, 10), s.output())
        # forged kids: however many, one fetch per cooldown (1 s here), never one per request
        fetched = self.idp.count("/jwks")
        started = time.time()
        forged = self.token("k2").split(".")
        header = test_server.b64url(json.dumps({"alg": "ES256", "kid": "forged"}).encode())
        for _ in range(40):
            self.assertEqual(self.status(s, ".".join([header] + forged[1:])), 401)
        elapsed = time.time() - started
        self.assertLessEqual(self.idp.count("/jwks") - fetched, int(elapsed) + 2)
        self.assertGreater(self.idp.count("/jwks"), before)

    def test_the_last_good_set_stays_when_fetches_fail(self):
        self.publish("k1")
        s = self.server({"jwks_url": self.idp.issuer + "/jwks", "jwks_ttl": 1},
                        "--fetch-ca", os.path.join(self.dir, "ca.pem"), "--fetch-retry", "1",
                        "--fetch-max-bytes", "100000")
        self.assertTrue(wait_until(lambda: self.status(s, self.token("k1")) == 502), s.output())
        try:
            self.idp.jwks = b'{"keys": [' + b'{"kty": "oct", "k": "AAAA"},' * 10000 + b'{}]}'  # ~300 kB
            self.assertTrue(wait_until(lambda: "the answer is too large" in s.output(), 10), s.output())
            self.idp.jwks, self.idp.status = b'{"error": "down"}', 503
            self.assertTrue(wait_until(lambda: "the answer is 503" in s.output() or
                                       s.output().count("cannot fetch") >= 1, 10), s.output())
            self.assertEqual(self.status(s, self.token("k1")), 502)  # still verified with the last good set
            self.assertEqual(s.output().count("cannot fetch"), 1)  # said once while it goes on failing
        finally:
            self.idp.status = 200
            self.publish("k1")
        self.assertTrue(wait_until(lambda: s.output().count("fetched the key set") == 2, 10), s.output())  # recovered

    def test_an_untrusted_certificate_is_refused(self):
        self.publish("k1")
        s = self.server({"jwks_url": self.idp.issuer + "/jwks"})  # the system's CAs: the test CA is not one
        self.assertTrue(wait_until(lambda: "cannot fetch" in s.output(), 10), s.output())
        self.assertIn("certificate", s.output())
        self.assertEqual(self.status(s, self.token("k1")), 401)

    def introspected(self, *args):
        config = {"gatehouse": 1,
                  "realms": {"machines": {"providers": [{"name": "idp", "type": "introspection",
                                                         "endpoint": self.idp.issuer + "/introspect"}]}},
                  "upstreams": {"u": {"targets": ["http://127.0.0.1:1"]}},
                  "routes": [{"method": "GET", "path": "/svc", "realm": "machines", "upstream": "u"}]}
        path = config_file(config)
        s = Server("--config", path, "--fetch-ca", os.path.join(self.dir, "ca.pem"), *args)
        self.addCleanup(s.stop)
        return s

    def test_tokens_introspected_at_the_endpoint(self):
        s = self.introspected("--introspection-client", "gateway:s3cret%")
        asked = self.idp.count("/introspect")
        good = ["-H", "Authorization: Bearer good token+/="]
        # 502: authenticated, then the upstream (port 1) is down
        self.assertEqual(curl(s.url("/svc"), *good)[0], 502, s.output())
        self.assertEqual(curl(s.url("/svc"), *good)[0], 502)
        self.assertEqual(self.idp.count("/introspect") - asked, 1)  # the answer is cached (cache_ttl)
        status, headers, _ = curl(s.url("/svc"), "-H", "Authorization: Bearer revoked")
        self.assertEqual(status, 401)  # RFC 7662 §2.2: "active": false
        self.assertIn('error="invalid_token"', headers["www-authenticate"])
        self.assertEqual(curl(s.url("/svc"))[0], 401)

    def test_an_endpoint_that_refuses_the_server_is_named(self):
        s = self.introspected()  # no client credentials: the endpoint answers 401
        self.assertEqual(curl(s.url("/svc"), "-H", "Authorization: Bearer good token+/=")[0], 503)
        self.assertTrue(wait_until(lambda: "--introspection-client" in s.output()), s.output())

    def test_a_bad_ca_file_is_named_at_start(self):
        run = subprocess.run([test_server.SERVER, "--fetch-ca", "/nonexistent/ca.pem", "--listen", "127.0.0.1:0",
                              "--admin", "127.0.0.1:0", "--state", tempfile.mkdtemp()],
                             capture_output=True, text=True, timeout=20)
        self.assertEqual(run.returncode, 2)
        self.assertIn("--fetch-ca /nonexistent/ca.pem", run.stderr)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
