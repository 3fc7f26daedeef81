"""The Python binding's side of `binding-call` (scripts/bench.py): the same
gateway decision and cached token verification that bench_gateway
--bindings DIR times in C, on the world it wrote to DIR/world.json, served
with the protocol of tests/bench/bench.h (subjects, then "round N" lines).

  python3 tests/bench/bench_bindings.py DIR [--once]
"""
import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bindings", "python"))
import gatehouse  # noqa: E402

SECONDS = float(os.environ.get("BENCH_SECONDS", "0.2") or 0.2)


def emit(**msg):
    print(json.dumps(msg), flush=True)


def main():
    if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if len(sys.argv) > 1 else 2
    with open(os.path.join(sys.argv[1], "world.json")) as f:
        world = json.load(f)
    gw = gatehouse.Gateway(world["config"])
    auth = [[("Authorization", a), ("Accept", "application/json"), ("User-Agent", "bench/1.0")]
            for a in world["authorization"]]
    tokens = [a[len("Bearer "):] for a in world["authorization"]]
    verifier = gatehouse.Verifier(issuers=[world["issuer"]], audiences=[world["audience"]], algorithms=["ES256"],
                                  cache=(10000, 300000))
    verifier.set_keys(gatehouse.KeySet(json.dumps(world["jwks"])), now_ms=world["now_ms"])
    state = {"n": 0, "now": world["now_ms"]}

    def decide():
        n = state["n"] = state["n"] + 1
        state["now"] += 1
        d = gw.decide("GET", "/v2/orders/7", auth[n % 256], client_ip="10.1.2.3", now_ms=state["now"])
        if not d.forward:
            raise RuntimeError("not forwarded: %s" % d.reason)
        gw.complete(d, 200, 1, 100, 1000)

    def verify():
        n = state["n"] = state["n"] + 1
        if verifier.verify(tokens[n % 256], now_ms=state["now"]).subject is None:
            raise RuntimeError("no subject")

    subjects = [("gateway-decide", decide), ("jwt-verify-cached", verify)]
    for i, (case, _) in enumerate(subjects):
        emit(kind="subject", bench="binding-call", case=case, subject="python", id=i)
    emit(kind="note", bench="binding-call", case="gateway-decide", subject="python",
         note="Gateway.decide (one ctypes call: gh_gateway_decide_strings) + complete")

    def timed(fn, budget):
        calls, batch, start = 0, 1, time.perf_counter()
        while True:
            for _ in range(batch):
                fn()
            calls += batch
            batch = min(batch * 2, 1 << 14)
            elapsed = time.perf_counter() - start
            if elapsed >= budget:
                return calls / elapsed

    if "--once" in sys.argv:
        for case, fn in subjects:
            print("%-20s %12.0f /s" % (case, timed(fn, SECONDS)))
        return 0
    emit(kind="ready")
    warmed = set()
    for line in sys.stdin:
        sid = int(line.split()[1])
        case, fn = subjects[sid]
        if sid not in warmed:
            timed(fn, SECONDS / 2)
            warmed.add(sid)
        emit(kind="round", bench="binding-call", case=case, subject="python", metric="ops_per_s", value=timed(fn, SECONDS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
