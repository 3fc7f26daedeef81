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
with open(path, "a") as f:
    for r in out:
        f.write(json.dumps(r) + "\n")
