"""Policy through the Python binding: the node-casbin differential worlds the
C tests use, the issue's example document with its conditions, explanations
and configuration errors."""
import json
import os
import unittest

import gatehouse

VECTORS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "tests", "vectors", "policy")

EXAMPLE = {
    "roles": {"admin": {"inherits": ["editor"]}, "editor": {"inherits": ["viewer"]}, "viewer": {}},
    "bindings": [{"subject": "alice", "roles": ["admin"]}],
    "rules": [
        {"id": "read-orders", "effect": "allow", "roles": ["viewer"], "actions": ["GET"], "resources": ["/orders/*"]},
        {"id": "own-tenant", "effect": "allow", "scopes": ["orders:write"], "actions": ["POST", "PUT"],
         "resources": ["/tenants/{tenant}/orders/{id}"], "when": {"param": {"tenant": {"claim": "tenant_id"}}}},
        {"id": "no-delete-offsite", "effect": "deny", "subjects": ["*"], "actions": ["DELETE"],
         "resources": ["/orders/{id}"], "when": {"not": {"ip": ["10.0.0.0/8", "fd00::/8"]}}},
        {"id": "delete-orders", "effect": "allow", "roles": ["admin"], "actions": ["DELETE"], "resources": ["/orders/*"]},
    ],
}


class CasbinWorlds(unittest.TestCase):
    def test_same_decisions_as_node_casbin(self):
        with open(os.path.join(VECTORS, "casbin-worlds.json")) as f:
            worlds = json.load(f)["worlds"]
        asked = 0
        for world in worlds:
            policy = gatehouse.Policy(world["policy"])
            for q in world["queries"]:
                allowed, _ = policy.check(q["subject"], q["action"], q["resource"])
                self.assertEqual(allowed, q["allow"], (world["seed"], q))
                asked += 1
        self.assertGreater(asked, 2000)


class Example(unittest.TestCase):
    def setUp(self):
        self.policy = gatehouse.Policy(EXAMPLE)

    def test_inherited_role(self):
        self.assertEqual(self.policy.check("alice", "GET", "/orders/7"), (True, "read-orders"))
        self.assertEqual(self.policy.check("bob", "GET", "/orders/7"), (False, None))  # no rule: deny
        self.assertEqual(self.policy.check("bob", "GET", "/orders/7", roles=["editor"]), (True, "read-orders"))
        self.assertEqual(self.policy.check("alice", "GET", "/orders"), (True, "read-orders"))  # "*" may take nothing
        self.assertEqual(self.policy.check("alice", "GET", "/order"), (False, None))

    def test_path_parameter_owned_through_a_claim(self):
        ask = dict(scopes=["orders:write"], claims={"tenant_id": "acme"})
        self.assertEqual(self.policy.check("svc", "PUT", "/tenants/acme/orders/1", **ask), (True, "own-tenant"))
        self.assertEqual(self.policy.check("svc", "PUT", "/tenants/other/orders/1", **ask), (False, None))

    def test_deny_overrides_allow(self):
        inside = self.policy.check("alice", "DELETE", "/orders/7", client_ip="10.1.2.3")
        outside = self.policy.check("alice", "DELETE", "/orders/7", client_ip="203.0.113.9")
        self.assertEqual(inside, (True, "delete-orders"))
        self.assertEqual(outside, (False, "no-delete-offsite"))

    def test_explain_agrees_and_says_why(self):
        allowed, rule, trace = self.policy.explain("alice", "DELETE", "/orders/7", client_ip="203.0.113.9")
        self.assertEqual((allowed, rule), self.policy.check("alice", "DELETE", "/orders/7", client_ip="203.0.113.9"))
        self.assertIn("rule no-delete-offsite", trace)
        self.assertIn("APPLIES (deny)", trace)
        self.assertTrue(trace.rstrip().endswith("decision: deny no-delete-offsite"))

    def test_unknown_context_is_refused(self):
        with self.assertRaises(TypeError):
            self.policy.check("alice", "GET", "/orders/7", role=["admin"])


class Errors(unittest.TestCase):
    def test_cycle_and_unknown_role_name_the_path(self):
        with self.assertRaises(gatehouse.Error) as ctx:
            gatehouse.Policy({"roles": {"a": {"inherits": ["b"]}, "b": {"inherits": ["a"]}}, "rules": []})
        self.assertIn("roles", str(ctx.exception))
        with self.assertRaises(gatehouse.Error) as ctx:
            gatehouse.Policy({"roles": {}, "rules": [{"id": "r", "effect": "allow", "roles": ["ghost"],
                                                      "actions": ["GET"], "resources": ["/x"]}]})
        self.assertIn("rules[0]", str(ctx.exception))

    def test_bad_request(self):
        policy = gatehouse.Policy(EXAMPLE)
        with self.assertRaises(gatehouse.Error) as ctx:
            policy.check("alice", "GET", "/orders/7", client_ip="not-an-address")
        self.assertEqual(ctx.exception.code, "EINVAL")


class Concurrency(unittest.TestCase):
    def test_release_gives_slots_back(self):
        slots = gatehouse.Limiter("concurrency", 2, 0)
        self.assertTrue(slots.take("upstream", 1, 0)[0])
        self.assertTrue(slots.take("upstream", 1, 0)[0])
        self.assertFalse(slots.take("upstream", 1, 0)[0])
        slots.release("upstream")
        self.assertTrue(slots.take("upstream", 1, 0)[0])
        with self.assertRaises(gatehouse.Error) as ctx:
            slots.release("never-taken")
        self.assertEqual(ctx.exception.code, "ENOTFOUND")


if __name__ == "__main__":
    unittest.main()
