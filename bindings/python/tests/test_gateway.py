"""gatehouse.Gateway: the whole pipeline through the binding (gatehouse/gateway.h)."""
import gc
import json
import os
import threading
import unittest

import gatehouse
from gatehouse.gateway import ConfigError

import fixtures

NOW = 1800000000000  # Unix ms, within the tokens' lifetime


class GatewayTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.alice = fixtures.token("alice", roles=["admin"])
        cls.bob = fixtures.token("bob", roles=["viewer"])

    def setUp(self):
        self.gw = gatehouse.Gateway(fixtures.config(limit=3))

    def tearDown(self):
        self.gw.close()

    def auth(self, tok):
        return [("Authorization", "Bearer " + tok), ("Accept", "application/json")]

    def test_forward_with_principal(self):
        d = self.gw.decide("GET", "/v2/orders/7", self.auth(self.bob), client_ip="192.0.2.7", now_ms=NOW)
        self.assertTrue(d.forward, d.explanation)
        self.assertEqual((d.verdict, d.status, d.target, d.upstream_path), ("forward", 0, "http://127.0.0.1:9", "/v2/orders/7"))
        self.assertEqual((d.route, d.api, d.version, d.subject), ("get-order", "orders", "v2", "bob"))
        who = d.principal
        self.assertEqual((who.subject, who.realm, who.provider), ("bob", "staff", "corp"))
        self.assertEqual(who.roles, ("viewer",))
        self.assertEqual(who.claims["iss"], fixtures.ISSUER)
        self.assertEqual(d.explanation["verdict"], "forward")
        self.assertIn(("Authorization", "Bearer " + self.bob), d.upstream_headers)
        # the IETF RateLimit fields draft: the limit closest to denying, on the upstream's answer
        names = [h[0].lower() for h in d.headers]
        self.assertIn("ratelimit-policy", names)
        self.assertRegex(dict((k.lower(), v) for k, v in d.headers)["ratelimit"], r'"per-caller";r=2;t=\d+')
        self.gw.complete(d, 200, upstream_ms=3, bytes_in=10, bytes_out=100)
        self.assertFalse(d.open)
        with self.assertRaises(gatehouse.Error) as ctx:  # what it named is gone: an error, never a wrong None
            d.upstream_headers
        self.assertEqual(ctx.exception.code, "EMISUSE")
        self.assertEqual(d.principal.subject, "bob")  # read before completion: kept
        self.gw.complete(d, 200)  # a second call is a no-op

    def test_denials_and_their_answers(self):
        # RFC 6750 3: no credentials -> 401 with a Bearer challenge, RFC 9457 problem body
        d = self.gw.decide("GET", "/v2/orders/7", now_ms=NOW)
        self.assertEqual((d.verdict, d.status, d.reason), ("respond", 401, "authenticate:NO_CREDENTIALS"))
        self.assertTrue(dict(d.headers)["WWW-Authenticate"].startswith("Bearer"))
        self.assertEqual(json.loads(d.body)["status"], 401)
        self.assertIsNone(d.principal)
        d.complete(401)
        # a bad signature -> 401 invalid_token
        d = self.gw.decide("GET", "/v2/orders/7", self.auth(self.bob[:-4] + "AAAA"), now_ms=NOW)
        self.assertEqual(d.status, 401)
        self.assertIn('error="invalid_token"', dict(d.headers)["WWW-Authenticate"])
        d.complete(401)
        # the policy: a viewer may not POST
        d = self.gw.decide("POST", "/v2/orders", self.auth(self.bob), now_ms=NOW)
        self.assertEqual((d.status, d.reason), (403, "authorize:deny"))
        d.complete(403)
        # a retired version: 410 Gone
        d = self.gw.decide("GET", "/v0/orders/7", now_ms=NOW)
        self.assertEqual(d.status, 410)
        d.complete(410)
        # RFC 9745 / RFC 8594: a deprecated version forwards with Deprecation and Sunset
        d = self.gw.decide("GET", "/v1/orders/7", self.auth(self.bob), now_ms=NOW)
        self.assertTrue(d.forward)
        h = dict(d.headers)
        self.assertEqual(h["Deprecation"], "@1780272000")
        self.assertEqual(h["Sunset"], "Mon, 01 Jun 2099 00:00:00 GMT")
        d.complete(200)
        # the limit: the fourth call in the window is 429 with Retry-After
        statuses = []
        for _ in range(4):
            d = self.gw.decide("GET", "/v2/orders/7", self.auth(self.alice), now_ms=NOW)
            statuses.append(d.status)
            d.complete(d.status or 200)
        self.assertEqual(statuses, [0, 0, 0, 429])
        self.assertIn("Retry-After", dict(d.headers))
        # no route
        d = self.gw.decide("GET", "/nowhere", now_ms=NOW)
        self.assertEqual((d.status, d.reason), (404, "route:not_found"))
        d.complete(404)

    def test_grpc_denial(self):
        d = self.gw.decide("POST", "/v2/orders", [("Content-Type", "application/grpc")], now_ms=NOW)
        self.assertEqual(d.status, 200)  # gRPC trailers-only answer
        self.assertEqual(dict(d.headers)["grpc-status"], "16")  # UNAUTHENTICATED
        d.complete(200)

    def test_reload_patch_and_errors(self):
        self.assertEqual(self.gw.version, 1)
        with self.assertRaises(ConfigError) as ctx:
            self.gw.reload({"gatehouse": 1, "routes": [{"method": "GET", "path": "/a", "upstreem": "app"}]})
        self.assertEqual(ctx.exception.code, "EPARSE")
        self.assertTrue(any('did you mean "upstream"' in e for e in ctx.exception.errors), ctx.exception.errors)
        self.assertEqual(self.gw.version, 1)  # a refused document changes nothing
        self.gw.patch([{"op": "add", "path": "/routes/-",
                        "value": {"name": "ping", "method": "GET", "path": "/ping", "upstream": "app"}}])
        self.assertEqual(self.gw.version, 2)
        d = self.gw.decide("GET", "/ping", now_ms=NOW)
        self.assertTrue(d.forward)
        d.complete(200)
        with self.assertRaises(ConfigError):
            gatehouse.Gateway.check("{")
        gatehouse.Gateway.check(fixtures.config())

    def test_metrics_usage_openapi(self):
        d = self.gw.decide("GET", "/v2/orders/7", self.auth(self.bob), now_ms=NOW)
        d.complete(200, upstream_ms=12, bytes_in=5, bytes_out=50)
        text = self.gw.metrics()
        self.assertTrue('gatehouse_requests_total{api="orders",version="v2",route="get-order",consumer="",code_class="2xx"} 1' in text)
        self.assertIn("paths", self.gw.openapi())
        self.assertIsInstance(self.gw.usage(), list)

    def test_threads_share_one_gateway(self):
        gw = gatehouse.Gateway(fixtures.config(limit=100000))
        tokens = [self.alice, self.bob]
        counts, errors = [0] * 4, []

        def work(i):
            try:
                for n in range(500):
                    d = gw.decide("GET", "/v2/orders/%d" % n, self.auth(tokens[(i + n) % 2]), now_ms=NOW)
                    if d.forward and d.principal.subject in ("alice", "bob"):
                        counts[i] += 1
                    gw.complete(d, 200, 1)
            except Exception as e:  # reported below
                errors.append(e)
        threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(counts, [500] * 4)
        self.assertTrue('route="get-order",consumer="",code_class="2xx"} 2000' in gw.metrics())
        gw.close()

    def test_close_and_finalizer(self):
        with gatehouse.Gateway(fixtures.config()) as gw:
            d = gw.decide("GET", "/health", now_ms=NOW)
        with self.assertRaises(gatehouse.Error) as ctx:  # closed: an error, never a crash
            gw.decide("GET", "/health")
        self.assertEqual(ctx.exception.code, "EMISUSE")
        d.complete(200)  # after close: a no-op
        gw = gatehouse.Gateway(fixtures.config())
        gw.decide("GET", "/health", now_ms=NOW)  # left open, then dropped
        del gw
        gc.collect()

    def test_nothing_leaks(self):
        # Gateways and decisions made and dropped by the hundred, closed or left to the finalizer: the
        # process does not grow (a leaked gateway holds its limits' memory, a leaked decision 8 KiB).
        def rss_kib():
            with open("/proc/self/statm") as f:
                return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
        config = fixtures.config(limit=1000000)

        def churn():
            for i in range(60):
                gw = gatehouse.Gateway(config)
                for _ in range(20):
                    d = gw.decide("GET", "/v2/orders/7", self.auth(self.bob), now_ms=NOW)
                    if i % 2:
                        d.complete(200)  # else dropped open: completed by its finalizer
                d = None
                if i % 3:
                    gw.close()  # else left to the finalizer
                gw = None
                gc.collect()
        churn()  # the allocator's own pools settle first
        before = rss_kib()
        churn()
        self.assertLess(rss_kib() - before, 4096, "the process grew by more than 4 MiB making the same objects again")

    def test_large_and_odd_requests(self):
        headers = [("X-Filler-%d" % i, "v" * 200) for i in range(40)] + self.auth(self.bob)
        d = self.gw.decide("GET", "/v2/orders/7", headers, query="a=1&b=%20", host="api.example.com:8443",
                           scheme="http", now_ms=NOW)
        self.assertTrue(d.forward, d.explanation)
        self.assertEqual(d.upstream_path, "/v2/orders/7?a=1&b=%20")
        d.complete(200)
        d = self.gw.decide("GET", "/v2/orders/%2e%2e/secret", self.auth(self.bob), now_ms=NOW)
        self.assertNotEqual(d.upstream_path, "/v2/secret")
        d.complete(d.status or 200)
        d = self.gw.decide(b"GET", b"/health", {"Accept": "*/*"}, now_ms=NOW)
        self.assertTrue(d.forward)
        d.complete(200)


if __name__ == "__main__":
    unittest.main()
