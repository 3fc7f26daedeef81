"""The binding tests' gateway configuration (tests/vectors/bindings/gateway.json:
the demo realm's ES256 key from examples/tokens, an API in three lifecycle
states, a policy, a small limit) and tokens signed by the CLI (`gatehouse jwt
sign`, GATEHOUSE_CLI or the build tree's)."""
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


def config(limit=3):
    """tests/vectors/bindings/gateway.json (the Go tests load it too), with the per-caller limit set."""
    with open(os.path.join(ROOT, "tests", "vectors", "bindings", "gateway.json")) as f:
        doc = json.load(f)
    doc["limits"]["per-caller"]["limit"] = limit
    return doc
