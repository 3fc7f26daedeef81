"""Computes the ratios `make bench` reports from results.jsonl, prints them
with their targets, and appends them to the same file as "ratio" lines."""
import json
import sys

path = sys.argv[1]
rows = [json.loads(line) for line in open(path) if line.strip()]
rate = {(r["bench"], r["case"], r["subject"]): r["value"] for r in rows if r["metric"] == "ops_per_s"}

# (case, numerator subject, denominator subject, target or None)
RATIOS = [("HS256", "gatehouse-openssl", "libjwt", 5.0)]
for alg in ("RS256", "PS256", "ES256"):
    RATIOS.append((alg, "gatehouse-openssl", "raw-openssl", 0.85))
for alg in ("HS256", "RS256", "PS256", "ES256"):
    RATIOS.append((alg, "gatehouse-mbedtls", "raw-mbedtls", 0.85))
for alg in ("HS256", "RS256", "PS256", "ES256"):
    RATIOS.append((alg, "gatehouse-openssl", "jose-node", None))
    RATIOS.append((alg, "gatehouse-openssl", "libjwt", None))

out, done = [], set()
for alg, num, den, target in RATIOS:
    if (alg, num, den) in done:
        continue
    done.add((alg, num, den))
    a, b = rate.get(("jwt-verify", alg, num)), rate.get(("jwt-verify", alg, den))
    if not a or not b:
        continue
    value = a / b
    mark = "" if target is None else ("  [>= %.2f %s]" % (target, "met" if value >= target else "NOT MET"))
    print("  jwt-verify %-6s %-22s / %-18s %8.2f%s" % (alg, num, den, value, mark))
    out.append({"bench": "jwt-verify", "case": alg, "subject": "%s/%s" % (num, den), "metric": "ratio", "value": round(value, 3)})
for subject in ("gatehouse-openssl-cache-hit", "gatehouse-mbedtls-cache-hit"):
    hits = [rate[k] for k in rate if k[2] == subject]
    if hits:
        lo = min(hits)
        print("  jwt-verify cache hits %-28s min %.0f/s  [>= 3000000 %s]" % (subject, lo, "met" if lo >= 3e6 else "NOT MET"))
# policy-decide (issue 3)
def pol(case, subject="gatehouse"):
    return rate.get(("policy-decide", case, subject))

big, small, mid = pol("1000x100000"), pol("10x100"), pol("1000x10000")
if mid:
    print("  policy-decide 1000x10000 gatehouse %.0f/s  [>= 5000000 %s]" % (mid, "met" if mid >= 5e6 else "NOT MET"))
for case in ("10x100", "1000x10000", "1000x100000"):
    a, b = pol(case), pol(case, "node-casbin")
    if a and b:
        print("  policy-decide %-11s gatehouse / node-casbin %12.0f  [>= 100 %s]" % (case, a / b, "met" if a / b >= 100 else "NOT MET"))
        out.append({"bench": "policy-decide", "case": case, "subject": "gatehouse/node-casbin", "metric": "ratio", "value": round(a / b, 1)})
if big and small:
    slow = small / big
    print("  policy-decide 100-rule world / 100,000-rule world: %.2fx slower  [<= 2 %s]" % (slow, "met" if slow <= 2 else "NOT MET"))
    out.append({"bench": "policy-decide", "case": "10x100/1000x100000", "subject": "gatehouse", "metric": "ratio", "value": round(slow, 2)})
# limit-decide (issue 4)
def lim(case, subject="gatehouse"):
    return rate.get(("limit-decide", case, subject))

for case, target in (("1k-hot-keys", 20e6), ("10m-keys", 5e6)):
    v = lim(case)
    if v:
        print("  limit-decide %-11s %12.0f/s  [>= %.0f %s]" % (case, v, target, "met" if v >= target else "NOT MET"))
bpk = next((r["value"] for r in rows if r["bench"] == "limit-decide" and r["metric"] == "bytes_per_key"), None)
if bpk:
    print("  limit-decide bytes per tracked key %.0f  [<= 64 %s]" % (bpk, "met" if bpk <= 64 else "NOT MET"))
a, b = lim("redis-strict"), lim("redis-strict", "redis-benchmark")
if a and b:
    print("  limit-decide redis strict / redis-benchmark EVALSHA %.2f  [>= 0.70 %s]" % (a / b, "met" if a / b >= 0.7 else "NOT MET"))
    out.append({"bench": "limit-decide", "case": "redis-strict", "subject": "gatehouse/redis-benchmark", "metric": "ratio", "value": round(a / b, 3)})
# route-lookup (issue 5)
def metric(bench, case, subject, name):
    return next((r["value"] for r in rows if (r["bench"], r["case"], r["subject"], r["metric"]) == (bench, case, subject, name)), None)

a, b = rate.get(("route-lookup", "github-all", "gatehouse")), rate.get(("route-lookup", "github-all", "find-my-way-node"))
if a and b:
    print("  route-lookup github-all gatehouse / find-my-way %.2f  [>= 2 %s]" % (a / b, "met" if a / b >= 2 else "NOT MET"))
    out.append({"bench": "route-lookup", "case": "github-all", "subject": "gatehouse/find-my-way-node", "metric": "ratio", "value": round(a / b, 2)})
ns = metric("route-lookup", "github-all", "gatehouse", "ns_per_lookup")
if ns:
    print("  route-lookup %.1f ns per lookup  [<= 100 %s]" % (ns, "met" if ns <= 100 else "NOT MET"))
ms = metric("route-build", "10k-routes", "gatehouse", "build_ms")
if ms:
    print("  route-build 10,000 routes in %.1f ms  [< 50 %s]" % (ms, "met" if ms < 50 else "NOT MET"))
for case in ("round-robin", "least-request", "maglev", "random"):
    ns = metric("upstream-pick", case, "gatehouse", "ns_per_pick")
    if ns:
        print("  upstream-pick %-13s %5.1f ns per pick  [<= 50 %s]" % (case, ns, "met" if ns <= 50 else "NOT MET"))
with open(path, "a") as f:
    for r in out:
        f.write(json.dumps(r) + "\n")
