"""A gateway configuration and tokens for the binding's tests: the demo realm's
ES256 key (examples/tokens), tokens signed by the CLI (`gatehouse jwt sign`,
GATEHOUSE_CLI or the build tree's), an API in three lifecycle states, a policy,
and a small limit."""
import json
import os
import shutil
import subprocess

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
ISSUER, AUDIENCE = "https://id.example.com", "api://orders"


def cli():
    path = os.environ.get("GATEHOUSE_CLI") or os.path.join(ROOT, "build", "bin", "gatehouse")
    if not os.path.exists(path):
        path = shutil.which("gatehouse") or path
    return path


def token(sub, roles=("viewer",), exp=4102444800, **claims):
    payload = dict(sub=sub, iss=ISSUER, aud=AUDIENCE, exp=exp, roles=list(roles), **claims)
    out = subprocess.run([cli(), "jwt", "sign", "--alg", "ES256", "--jwk",
                          os.path.join(ROOT, "examples", "tokens", "demo-signing-key.jwk.json"),
                          "--kid", "demo-DO-NOT-USE", json.dumps(payload)], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def config(limit=1000, app="http://127.0.0.1:9"):
    with open(os.path.join(ROOT, "examples", "tokens", "demo-jwks.json")) as f:
        jwks = json.load(f)
    return {
        "gatehouse": 1,
        "realms": {"staff": {"providers": [{"name": "corp", "type": "jwt", "issuer": ISSUER, "audience": AUDIENCE,
                                            "algorithms": ["ES256"], "roles_claim": "roles", "jwks": jwks}]}},
        "policies": {"orders": {
            "roles": {"admin": {"inherits": ["viewer"]}, "viewer": {}},
            "rules": [{"id": "read", "effect": "allow", "roles": ["viewer"], "actions": ["GET"], "resources": ["/orders/*", "/events"]},
                      {"id": "write", "effect": "allow", "roles": ["admin"], "actions": ["POST"], "resources": ["/orders"]}]}},
        "limits": {"per-caller": {"algorithm": "fixed-window", "limit": limit, "period": 60, "key": "subject"}},
        "upstreams": {"app": {"targets": [app]}},
        "apis": [{"name": "orders", "versions": [
            {"version": "v0", "state": "retired", "base_path": "/v0", "successor": "v2", "upstream": "app",
             "routes": [{"name": "v0-get", "method": "GET", "path": "/orders/{id}"}]},
            {"version": "v1", "state": "deprecated", "base_path": "/v1", "deprecated": "2026-06-01T00:00:00Z",
             "sunset": "2099-06-01T00:00:00Z", "successor": "v2", "realm": "staff", "policy": "orders",
             "upstream": "app", "routes": [{"name": "v1-get", "method": "GET", "path": "/orders/{id}"}]},
            {"version": "v2", "state": "published", "base_path": "/v2", "realm": "staff", "policy": "orders",
             "limits": ["per-caller"], "upstream": "app",
             "routes": [{"name": "get-order", "method": "GET", "path": "/orders/{id}"},
                        {"name": "create-order", "method": "POST", "path": "/orders"},
                        {"name": "order-events", "method": "GET", "path": "/events"}]}]}],
        "routes": [{"name": "health", "method": "GET", "path": "/health", "upstream": "app"}],
    }
