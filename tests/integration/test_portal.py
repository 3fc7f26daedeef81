"""The developer portal of the reference server (examples/server/portal.c,
docs/portal.md) end to end: its API with curl, then the page in headless
Chromium (tests/oracles/check-portal-browser.mjs, through playwright-core),
which keeps a screenshot in ARTIFACTS.

  usage: test_portal.py GATEHOUSE_SERVER GATEHOUSE_CLI ARTIFACTS
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import unittest

import test_server
from test_server import ServedTest, Server, config_file, curl, token

ARTIFACTS = sys.argv[3]
ORACLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "oracles")


def api(s, method, path, who=None, body=None, *extra):
    args = ["-X", method, s.url(path), *extra]
    if who:
        args += ["-H", "Authorization: Bearer " + who]
    if body is not None:
        args += ["-H", "Content-Type: application/json", "--data-binary", body if isinstance(body, str) else json.dumps(body)]
    status, headers, raw = curl(*args)
    return status, headers, json.loads(raw) if raw.strip() else None


class Portal(ServedTest):
    """The demo: its realm signs developers in; the catalog API needs a subscription and takes consumers' keys."""

    @classmethod
    def setUpClass(cls):
        cls.start()

    def developer(self, name):
        return token(self.s.state, name, "viewer")

    def test_the_page_is_served_with_a_strict_policy(self):
        for path in ("/portal", "/portal/"):
            status, headers, body = curl(self.s.url(path))
            self.assertEqual(status, 200)
            self.assertEqual(headers["content-type"], "text/html; charset=utf-8")
            self.assertIn(b"/portal/portal.js", body)
            # only its own files: no CDN, nothing inline (CSP Level 3 directives)
            self.assertIn("script-src 'self'", headers["content-security-policy"])
            self.assertIn("frame-ancestors 'none'", headers["content-security-policy"])
            self.assertEqual(headers["x-content-type-options"], "nosniff")
        status, headers, body = curl(self.s.url("/portal/portal.js"))
        self.assertEqual((status, headers["content-type"]), (200, "text/javascript; charset=utf-8"))
        status, headers, body = curl("-I", self.s.url("/portal/portal.css"))  # HEAD: the length, no bytes
        self.assertEqual(status, 200)
        self.assertGreater(int(headers["content-length"]), 100)
        self.assertEqual(body, b"")
        self.assertEqual(curl(self.s.url("/portal/nothing"))[0], 404)
        status, headers, _ = curl("-X", "POST", self.s.url("/portal"))
        self.assertEqual((status, headers["allow"]), (405, "GET, HEAD"))  # RFC 9110 §15.5.6
        self.assertEqual(curl(self.s.url("/portalx"))[0], 404)  # not the portal's: the pipeline's 404

    def test_openapi_export_lists_the_published_catalog(self):
        status, headers, doc = api(self.s, "GET", "/portal/openapi.json")
        self.assertEqual((status, headers["content-type"]), (200, "application/json"))
        self.assertEqual(doc["openapi"], "3.1.0")
        listed = {(t["x-gatehouse-lifecycle"]["api"], t["x-gatehouse-lifecycle"]["version"]) for t in doc["tags"]}
        self.assertEqual(listed, {("orders", "v1"), ("orders", "v2"), ("catalog", "v1")})  # v0 is retired
        self.assertEqual(doc["x-gatehouse-plans"][0]["name"], "starter")
        self.assertEqual(api(self.s, "GET", "/portal/api/about")[2], {"realm": "demo", "key_header": "X-API-Key"})

    def test_sign_in_needs_a_token_of_the_realm(self):
        status, headers, problem = api(self.s, "GET", "/portal/api/me")
        self.assertEqual(status, 401)
        self.assertEqual(headers["www-authenticate"], 'Bearer realm="demo"')  # RFC 6750 §3: no error code
        self.assertEqual(headers["content-type"], "application/problem+json")  # RFC 9457
        self.assertIn("sign in with a token of the realm demo", problem["detail"])
        status, headers, _ = api(self.s, "GET", "/portal/api/me", "not.a.token")
        self.assertEqual(status, 401)
        self.assertIn('error="invalid_token"', headers["www-authenticate"])  # RFC 6750 §3.1
        status, headers, me = api(self.s, "GET", "/portal/api/me", self.developer("erin"))
        self.assertEqual(status, 200)
        self.assertEqual(headers["cache-control"], "no-store")
        self.assertEqual((me["subject"], me["realm"], me["consumer"], me["keys"]), ("erin", "demo", None, []))
        self.assertEqual(api(self.s, "GET", "/portal/api/nothing", self.developer("erin"))[0], 404)
        status, headers, _ = api(self.s, "DELETE", "/portal/api/me", self.developer("erin"))
        self.assertEqual((status, headers["allow"]), (405, "GET"))

    def test_a_developer_makes_a_key_subscribes_and_calls(self):
        dev = self.developer("frank")
        status, headers, made = api(self.s, "POST", "/portal/api/keys", dev, {"plan": "starter"})
        self.assertEqual(status, 201)
        self.assertEqual(headers["cache-control"], "no-store")
        key = made["key"]
        self.assertRegex(key, r"^ghk_[0-9a-f]{64}$")
        self.assertEqual((made["consumer"], made["plan"], made["header"]), ("frank", "starter", "X-API-Key"))
        digest = hashlib.sha256(key.encode()).hexdigest()
        self.assertEqual(made["id"], digest[:16])
        # kept as its digest only: not in the configuration, not in what /me shows
        self.assertEqual(self.s.admin_get("/config")[1].count(key), 0)
        status, _, me = api(self.s, "GET", "/portal/api/me", dev)
        self.assertEqual((me["consumer"], me["plan"], me["keys"]), ("frank", "starter", [{"id": digest[:16]}]))
        self.assertNotIn(key, json.dumps(me))
        products = self.s.url("/catalog/v1/products")
        self.assertEqual(curl(products, "-H", "X-API-Key: " + key)[0], 403)  # subscription_required
        status, _, sub = api(self.s, "POST", "/portal/api/subscriptions", dev, {"api": "catalog", "version": "v1"})
        self.assertEqual((status, sub["state"]), (201, "active"))
        status, headers, _ = curl(products, "-H", "X-API-Key: " + key)
        self.assertEqual(status, 200)
        self.assertIn('"starter:per-second"', headers["ratelimit-policy"])  # the plan's limits apply to the key
        self.assertEqual(api(self.s, "POST", "/portal/api/subscriptions", dev, {"api": "catalog", "version": "v1"})[0], 409)
        # usage against the plan, once the call has completed
        self.assertTrue(test_server.wait_until(lambda: any(
            u["api"] == "catalog" and u["forwarded"] >= 1 for u in api(self.s, "GET", "/portal/api/me", dev)[2]["usage"])))
        # unsubscribe, revoke: the key stops working
        self.assertEqual(api(self.s, "DELETE", "/portal/api/subscriptions/catalog/v1", dev)[0], 204)
        self.assertEqual(curl(products, "-H", "X-API-Key: " + key)[0], 403)
        self.assertEqual(api(self.s, "DELETE", "/portal/api/subscriptions/catalog/v1", dev)[0], 404)
        self.assertEqual(api(self.s, "DELETE", "/portal/api/keys/" + digest[:16], dev)[0], 204)
        self.assertEqual(curl(products, "-H", "X-API-Key: " + key)[0], 401)
        self.assertEqual(api(self.s, "DELETE", "/portal/api/keys/" + digest[:16], dev)[0], 404)

    def test_developers_touch_only_their_own(self):
        grace, heidi = self.developer("grace"), self.developer("heidi")
        made = api(self.s, "POST", "/portal/api/keys", grace, {"plan": "starter"})[2]
        self.assertEqual(api(self.s, "DELETE", "/portal/api/keys/" + made["id"], heidi)[0], 404)
        self.assertEqual(curl(self.s.url("/catalog/v1/products"), "-H", "X-API-Key: " + made["key"])[0], 403)
        # the operators' demo consumer's key is not anyone's to revoke
        demo_id = "7a315f8102d9ecd7"
        self.assertEqual(api(self.s, "DELETE", "/portal/api/keys/" + demo_id, grace)[0], 404)

    def test_bad_requests_are_refused_with_the_way_out(self):
        dev = self.developer("ivan")
        for body, status in (("", 400), ("[1]", 400), ("{", 400), ({"plan": "gold"}, 400), ({}, 400),
                             ('{"plan": "gold", "plan": "starter"}', 400)):  # RFC 8259 §4: names SHOULD be unique
            got, _, problem = api(self.s, "POST", "/portal/api/keys", dev, body)
            self.assertEqual(got, status, body)
            self.assertTrue(problem["detail"])
        self.assertEqual(api(self.s, "POST", "/portal/api/subscriptions", dev, {"api": "orders", "version": "v0"})[0], 404)
        self.assertEqual(api(self.s, "POST", "/portal/api/subscriptions", dev, {"api": "nope"})[0], 404)
        self.assertEqual(api(self.s, "POST", "/portal/api/subscriptions", dev, {"api": 7})[0], 400)
        self.assertEqual(api(self.s, "DELETE", "/portal/api/keys/%zz", dev)[0], 404)
        self.assertEqual(api(self.s, "DELETE", "/portal/api/subscriptions/catalog", dev)[0], 404)
        status, _, _ = api(self.s, "POST", "/portal/api/keys", dev, json.dumps({"plan": "starter", "pad": "x" * 20000}))
        self.assertEqual(status, 413)
        self.assertEqual(curl(self.s.url("/v2/orders/7"), "-H", "Authorization: Bearer " + dev)[0], 200)  # still serving

    def test_a_suspended_subscription_stays_suspended(self):
        dev = self.developer("judy")
        self.assertEqual(api(self.s, "POST", "/portal/api/subscriptions", dev, {"api": "catalog", "version": "v1"})[0], 201)
        patch = [{"op": "replace", "path": "/consumers/judy/subscriptions/0/state", "value": "suspended"}]
        self.assertEqual(self.s.admin_get("/config", method="PATCH", body=json.dumps(patch).encode())[0], 200)
        status, _, problem = api(self.s, "DELETE", "/portal/api/subscriptions/catalog/v1", dev)
        self.assertEqual(status, 403)
        self.assertIn("suspended", problem["detail"])
        self.assertEqual(api(self.s, "GET", "/portal/api/me", dev)[2]["subscriptions"][0]["state"], "suspended")

    def test_in_chromium(self):
        os.makedirs(ARTIFACTS, exist_ok=True)
        shot = os.path.join(ARTIFACTS, "portal.png")
        run = subprocess.run([os.path.join(ORACLES, "run.sh"), "check-portal-browser.mjs", self.s.url(""),
                              self.developer("kim"), shot], capture_output=True, text=True, timeout=180)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        self.assertGreater(os.path.getsize(shot), 10000)


class PortalStore(unittest.TestCase):
    def test_what_developers_make_outlives_a_restart(self):
        s = Server()
        state = s.state
        try:
            dev = token(state, "lena", "viewer")
            kept = api(s, "POST", "/portal/api/keys", dev, {"plan": "starter"})[2]["key"]
            revoked = api(s, "POST", "/portal/api/keys", dev, {"plan": "starter"})[2]
            self.assertEqual(api(s, "POST", "/portal/api/subscriptions", dev, {"api": "catalog", "version": "v1"})[0], 201)
            self.assertEqual(api(s, "DELETE", "/portal/api/keys/" + revoked["id"], dev)[0], 204)
        finally:
            s.stop()
        store = os.path.join(state, "portal-consumers.json")
        self.assertEqual(os.stat(store).st_mode & 0o777, 0o600)  # it holds key digests
        with open(store) as f:
            text = f.read()
        self.assertIn(hashlib.sha256(kept.encode()).hexdigest(), text)
        self.assertNotIn(kept, text)  # the digest only
        s = Server("--state", state)  # the same state folder: the same store
        try:
            self.assertIn("1 developer consumer(s) restored", s.output())
            products = s.url("/catalog/v1/products")
            self.assertEqual(curl(products, "-H", "X-API-Key: " + kept)[0], 200)  # key and subscription kept
            self.assertEqual(curl(products, "-H", "X-API-Key: " + revoked["key"])[0], 401)  # revoked stays revoked
            me = api(s, "GET", "/portal/api/me", token(state, "lena", "viewer"))[2]
            self.assertEqual((me["consumer"], len(me["keys"]), me["subscriptions"][0]["api"]), ("lena", 1, "catalog"))
            # an operator's change to a developer's consumer through the admin API is kept too
            patch = [{"op": "replace", "path": "/consumers/lena/subscriptions/0/state", "value": "suspended"}]
            self.assertEqual(s.admin_get("/config", method="PATCH", body=json.dumps(patch).encode())[0], 200)
            with open(store) as f:
                self.assertEqual(json.load(f)["lena"]["subscriptions"][0]["state"], "suspended")
        finally:
            s.stop()

    def test_a_store_that_is_not_one_is_refused_at_start(self):
        state = tempfile.mkdtemp(prefix="gh-portal-")
        with open(os.path.join(state, "portal-consumers.json"), "w") as f:
            f.write("[not a store")
        run = subprocess.run([test_server.SERVER, "--state", state, "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0"],
                             capture_output=True, text=True, timeout=20)
        self.assertEqual(run.returncode, 2)
        self.assertIn("is not the portal's store", run.stderr)
        self.assertIn("move it away", run.stderr)


class PortalSettings(unittest.TestCase):
    def config_file(self):
        return config_file({"gatehouse": 1, "upstreams": {"u": {"targets": ["http://127.0.0.1:1"]}},
                            "routes": [{"method": "GET", "path": "/portal", "upstream": "u", "auth": "none"}]})

    def test_without_a_realm_the_portal_lists_only(self):
        s = Server("--config", self.config_file())
        try:
            self.assertEqual(curl(s.url("/portal"))[0], 200)
            self.assertEqual(api(s, "GET", "/portal/api/about")[2]["realm"], None)
            status, _, problem = api(s, "GET", "/portal/api/me", "x")
            self.assertEqual(status, 404)
            self.assertIn("--portal-realm", problem["detail"])
        finally:
            s.stop()

    def test_no_portal_leaves_the_path_to_the_pipeline(self):
        s = Server("--config", self.config_file(), "--no-portal")
        try:
            self.assertEqual(curl(s.url("/portal"))[0], 502)  # the route's upstream, which is down
        finally:
            s.stop()

    def test_an_unknown_realm_is_named(self):
        s = Server("--config", self.config_file(), "--portal-realm", "staff")
        try:
            status, _, problem = api(s, "GET", "/portal/api/me", "x")
            self.assertEqual(status, 503)
            self.assertIn("--portal-realm", problem["detail"])
        finally:
            s.stop()


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
