"""`make bench`: gatehouse beside its peers, measured the same way for all.

Each comparison starts its programs (gatehouse's benchmark and the peers')
pinned to one core; every program serves its subjects (tests/bench/bench.h,
tests/bench/serve.mjs). The driver then asks each subject of a case for one
timed round in turn, alternating the order (A B, B A, ...), for BENCH_ROUNDS
rounds, so that all of them see the same machine. Every figure is the median
of its rounds with the interquartile range; a ratio is the median of the
per-round ratios with a 95 % bootstrap interval, and a target is met only when
the whole interval clears it (NOT MET when the whole interval misses it,
inconclusive otherwise). Everything goes to build/bench/results.jsonl.

  python3 scripts/bench.py            (BENCH_ROUNDS=10, BENCH_SECONDS=0.2 per round)
"""
import json
import math
import os
import random
import shutil
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "build", "bench")
RESULTS = os.path.join(OUT, "results.jsonl")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "10"))
CORE = os.environ.get("BENCH_CORE", "0")


def quantile(values, q):
    v = sorted(values)
    if not v:
        return float("nan")
    pos = (len(v) - 1) * q
    lo, hi = int(pos), min(int(pos) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


def median(values):
    return quantile(values, 0.5)


def bootstrap(values, stat=median, n=2000, seed=7):
    """95 % interval of stat over resampled rounds."""
    rnd = random.Random(seed)
    draws = sorted(stat([rnd.choice(values) for _ in values]) for _ in range(n))
    return draws[int(0.025 * n)], draws[int(0.975 * n) - 1]


def sig3(x):
    """Three significant digits, large numbers written out: 58,900 and 1,230,000."""
    if x != x or abs(x) < 1000:
        return "%.3g" % x
    digits = math.floor(math.log10(abs(x)))
    return "{:,.0f}".format(round(x, -(digits - 2)))


class Program:
    """One serving benchmark process."""

    def __init__(self, argv, label):
        self.label, self.subjects, self.facts, self.notes = label, [], [], []
        self.proc = subprocess.Popen(["taskset", "-c", CORE] + argv, cwd=ROOT, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1)
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("%s stopped before it was ready (exit %s)" % (label, self.proc.wait()))
            msg = json.loads(line)
            if msg.get("kind") == "ready":
                break
            if msg.get("kind") in ("subject", "fact", "note"):
                getattr(self, msg["kind"] + "s").append(msg)

    def round(self, sid):
        self.proc.stdin.write("round %d\n" % sid)
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("%s stopped during a round (exit %s)" % (self.label, self.proc.wait()))
        return json.loads(line)["value"]

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


class Run:
    def __init__(self):
        self.rounds = {}   # (bench, case, subject) -> [ops/s per round]
        self.facts = []    # JSON lines as measured
        self.notes = []
        self.missing = []

    def compare(self, title, programs):
        """programs: [(label, argv, why_missing or None)]; runs them side by side."""
        print("\n== " + title)
        started = []
        for label, argv, why in programs:
            if why:
                self.missing.append((title, label, why))
                print("  MISSING %s: %s" % (label, why))
                continue
            try:
                started.append(Program(argv, label))
            except (OSError, RuntimeError) as e:
                self.missing.append((title, label, str(e)))
                print("  MISSING %s: %s" % (label, e))
        cases = {}
        for p in started:
            self.facts += p.facts
            self.notes += p.notes
            for s in p.subjects:
                cases.setdefault((s["bench"], s["case"]), []).append((p, s))
        for r in range(ROUNDS):
            for who in cases.values():
                for p, s in (who if r % 2 == 0 else list(reversed(who))):
                    self.rounds.setdefault((s["bench"], s["case"], s["subject"]), []).append(p.round(s["id"]))
        for p in started:
            p.close()
        for (bench, case), who in cases.items():
            for _, s in who:
                self.show(bench, case, s["subject"])
        for f in [f for p in started for f in p.facts]:
            print("  %-14s %-12s %-30s %-14s %12s" % (f["bench"], f["case"], f["subject"], f["metric"], sig3(f["value"])))
        for n in [n for p in started for n in p.notes]:
            print("  %-14s %-12s %-30s note: %s" % (n["bench"], n["case"], n["subject"], n["note"]))

    def show(self, bench, case, subject):
        v = self.rounds[(bench, case, subject)]
        print("  %-14s %-12s %-30s %-14s %12s  [%s - %s]" % (bench, case, subject, "ops_per_s", sig3(median(v)),
                                                           sig3(quantile(v, 0.25)), sig3(quantile(v, 0.75))))

    def ratio(self, num, den, target=None, sense=">=", label=None):
        """num, den: (bench, case, subject). Per-round ratios, paired by round."""
        a, b = self.rounds.get(num), self.rounds.get(den)
        name = label or "%s %s: %s / %s" % (num[0], num[1], num[2], den[2])
        if not a or not b:
            print("  %-64s missing (%s)" % (name, "numerator" if not a else "denominator"))
            return None
        per_round = [x / y for x, y in zip(a, b)]
        value, (lo, hi) = median(per_round), bootstrap(per_round)
        verdict = ""
        if target is not None:
            ok, bad = (lo >= target, hi < target) if sense == ">=" else (hi <= target, lo > target)
            verdict = "  [%s %s %s]" % (sense, sig3(target), "met" if ok else "NOT MET" if bad else "inconclusive")
        print("  %-64s %9s  (95%%: %s - %s)%s" % (name, sig3(value), sig3(lo), sig3(hi), verdict))
        return {"bench": num[0], "case": num[1] if num[1] == den[1] else "%s/%s" % (num[1], den[1]),
                "subject": "%s/%s" % (num[2], den[2]), "metric": "ratio", "value": float("%.3g" % value),
                "lo": float("%.3g" % lo), "hi": float("%.3g" % hi), "rounds": len(per_round), "target": target}

    def level(self, key, target, sense=">=", transform=None, label=None, unit=""):
        """A single subject's median against a target, with its bootstrap interval."""
        v = self.rounds.get(key)
        if not v:
            print("  %-64s missing" % (label or " ".join(key)))
            return
        if transform:
            v = [transform(x) for x in v]
        value, (lo, hi) = median(v), bootstrap(v)
        ok, bad = (lo >= target, hi < target) if sense == ">=" else (hi <= target, lo > target)
        print("  %-64s %9s%s  (95%%: %s - %s)  [%s %s %s]" % (label or " ".join(key), sig3(value), unit, sig3(lo), sig3(hi),
                                                              sense, sig3(target), "met" if ok else "NOT MET" if bad else "inconclusive"))

    def overhead(self, binding, base, target_ns):
        """What a binding adds to one call, in ns: 1/rate(binding) - 1/rate(base), per paired round."""
        a, b = self.rounds.get(binding), self.rounds.get(base)
        name = "%s %s: %s overhead per call over %s" % (binding[0], binding[1], binding[2], base[2])
        if not a or not b:
            print("  %-64s missing" % name)
            return None
        per_round = [1e9 / x - 1e9 / y for x, y in zip(a, b)]
        value, (lo, hi) = median(per_round), bootstrap(per_round)
        verdict = "met" if hi <= target_ns else "NOT MET" if lo > target_ns else "inconclusive"
        print("  %-64s %9s ns  (95%%: %s - %s)  [<= %s ns %s]" % (name, sig3(value), sig3(lo), sig3(hi), sig3(target_ns), verdict))
        return {"bench": binding[0], "case": binding[1], "subject": "%s/%s" % (binding[2], base[2]),
                "metric": "overhead_ns", "value": float("%.3g" % value), "lo": float("%.3g" % lo), "hi": float("%.3g" % hi),
                "rounds": len(per_round), "target": target_ns}

    def write(self, ratios):
        with open(RESULTS, "w") as f:
            for (bench, case, subject), v in self.rounds.items():
                f.write(json.dumps({"bench": bench, "case": case, "subject": subject, "metric": "ops_per_s",
                                    "value": round(median(v), 1), "p25": round(quantile(v, 0.25), 1),
                                    "p75": round(quantile(v, 0.75), 1), "rounds": len(v)}) + "\n")
            for x in self.facts:
                f.write(json.dumps({k: x[k] for k in ("bench", "case", "subject", "metric", "value")}) + "\n")
            for r in ratios:
                if r:
                    f.write(json.dumps(r) + "\n")
            for title, label, why in self.missing:
                f.write(json.dumps({"bench": title.split(":")[0], "subject": label, "metric": "missing", "why": why}) + "\n")


def node_peer(script, *args, module):
    if not shutil.which("node"):
        return ["node"], "node is not installed (scripts/install-deps.sh installs it)"
    if not os.path.isdir(os.path.join(ROOT, "tests", "oracles", "node_modules", module)):
        return ["node"], "npm %s is not installed in tests/oracles (npm install --prefix tests/oracles)" % module
    return ["node", "tests/bench/" + script] + list(args), None


def binary(path, *args):
    full = os.path.join(ROOT, path)
    return [full] + list(args), None if os.path.exists(full) else "%s is not built" % path


def binding_programs(build):
    """The programs of binding-call: bench_gateway --bindings in C, and the same calls through Python and Go."""
    world = os.path.join(OUT, "bindings-world")
    os.makedirs(world, exist_ok=True)
    lib = os.path.join(ROOT, build, "libgatehouse.so")
    programs = [("c", *binary(build + "/bin/bench_gateway", "--bindings", world))]
    programs.append(("python", ["env", "GATEHOUSE_LIB=" + lib, sys.executable, "tests/bench/bench_bindings.py", world],
                     None if os.path.exists(lib) else "%s is not built" % os.path.relpath(lib, ROOT)))
    if not shutil.which("go"):
        programs.append(("go", ["go"], "go is not installed (scripts/install-deps.sh installs golang-go)"))
        return programs
    exe = os.path.join(OUT, "bindings-go")
    env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(ROOT, build, "pkgconfig-build"), GOFLAGS="-mod=mod",
               GOCACHE=os.path.join(ROOT, build, "go-cache"), GOTOOLCHAIN="local")
    built = subprocess.run(["go", "build", "-o", exe, "."], cwd=os.path.join(ROOT, "tests", "bench", "bindings-go"), env=env,
                           capture_output=True, text=True)
    programs.append(("go", [exe, world], None if built.returncode == 0 else "go build: " + built.stderr.strip()[-300:]))
    return programs


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    os.makedirs(OUT, exist_ok=True)
    if shutil.which("npm") and not os.path.isdir(os.path.join(ROOT, "tests/oracles/node_modules/jose")):
        subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", "tests/oracles"], cwd=ROOT,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print("%d rounds of %s s per subject, alternating, on core %s of %d (shared machine: compare within a run)"
          % (ROUNDS, os.environ.get("BENCH_SECONDS", "0.2"), CORE, os.cpu_count()))
    run = Run()
    ob, mb = "build-bench-openssl/bin/", "build-bench-mbedtls/bin/"
    run.compare("jwt-verify: verifications per second, one core", [
        ("gatehouse-openssl", *binary(ob + "bench_jwt", "tests/vectors")),
        ("gatehouse-mbedtls", *binary(mb + "bench_jwt", "tests/vectors")),
        ("jose-node", *node_peer("jose-bench.mjs", "tests/vectors", module="jose"))])

    worlds = ["10x100", "1000x10000", "1000x100000"]
    policy = []
    for w in worlds:
        d = os.path.join(OUT, "worlds-v2", w)
        if not os.path.exists(os.path.join(d, "policy.json")) and shutil.which("node"):
            roles, rules = w.split("x")
            subprocess.run(["node", "gen-policy-worlds.mjs", "world", roles, rules, d], cwd=os.path.join(ROOT, "tests/oracles"),
                           check=False)
        policy.append(("gatehouse " + w, *binary(ob + "bench_policy", d, w)))
        policy.append(("node-casbin " + w, *node_peer("casbin-bench.mjs", d, w, module="casbin")))
    run.compare("policy-decide: decisions per second, one core (worlds: roles x rules; same users and queries)", policy)

    redis = []
    port, server = free_port(), None
    if shutil.which("redis-server"):
        server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(50):
            if subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True).returncode == 0:
                break
            time.sleep(0.1)
        redis.append(("gatehouse-redis", *binary(ob + "bench_redis", str(port))))
    else:
        redis.append(("gatehouse-redis", ["true"], "redis-server is not installed (scripts/install-deps.sh installs it)"))
    run.compare("limit-decide: decisions per second, one core", [("gatehouse", *binary(ob + "bench_ratelimit"))] + redis)
    if server:
        server.terminate()
        server.wait()

    run.compare("route-lookup: lookups per second, one core (the GitHub API set, every route once per call)", [
        ("gatehouse", *binary(ob + "bench_router", "tests/vectors/routes")),
        ("find-my-way-node", *node_peer("find-my-way-bench.mjs", "tests/vectors/routes", module="find-my-way"))])
    run.compare("upstream-pick: picks per second, one core (16 weighted targets)", [("gatehouse", *binary(ob + "bench_upstream"))])
    run.compare("gateway-decide: whole decisions per second, one core (route + cached JWT + policy + two limits + pick)",
                [("gatehouse", *binary(ob + "bench_gateway"))])
    # C first: it writes the world the bindings then load
    run.compare("binding-call: calls per second, one core (the same gateway decision and cached verification in C, Python, Go)",
                binding_programs("build-bench-openssl"))

    print("\n== ratios and targets (95 % bootstrap intervals over paired rounds)")
    J = lambda case, s: ("jwt-verify", case, s)
    ratios = [run.ratio(J("HS256", "gatehouse-openssl"), J("HS256", "libjwt"), 5.0),
              run.ratio(J("HS256", "gatehouse-openssl"), J("HS256", "raw-openssl"))]  # shown: the 0.85 target is mbedTLS's
    for alg in ("RS256", "PS256", "ES256"):
        ratios.append(run.ratio(J(alg, "gatehouse-openssl"), J(alg, "raw-openssl"), 0.85))
    for alg in ("HS256", "RS256", "PS256", "ES256"):
        ratios.append(run.ratio(J(alg, "gatehouse-mbedtls"), J(alg, "raw-mbedtls"), 0.85))
    for alg in ("HS256", "RS256", "PS256", "ES256"):
        ratios.append(run.ratio(J(alg, "gatehouse-openssl"), J(alg, "jose-node")))
        ratios.append(run.ratio(J(alg, "gatehouse-openssl"), J(alg, "libjwt")))
    for backend in ("openssl", "mbedtls"):
        run.level(J("cache-hit", "gatehouse-%s-cache-hit" % backend), 3e6, label="jwt-verify cache hits (10,000 tokens), %s" % backend, unit="/s")
    P = lambda w, s="gatehouse": ("policy-decide", w, s)
    run.level(P("1000x10000"), 5e6, label="policy-decide 1000x10000 gatehouse", unit="/s")
    for w in worlds:
        ratios.append(run.ratio(P(w), P(w, "node-casbin"), 100))
    ratios.append(run.ratio(P("10x100"), P("1000x100000"), 2, "<=", label="policy-decide 100-rule world / 100,000-rule world (slowdown)"))
    L = lambda case, s="gatehouse": ("limit-decide", case, s)
    run.level(L("1k-hot-keys"), 20e6, label="limit-decide 1,000 hot keys", unit="/s")
    run.level(L("10m-keys"), 5e6, label="limit-decide 10 million keys (hits and inserts)", unit="/s")
    ratios.append(run.ratio(L("redis-strict"), L("redis-strict", "hiredis-evalsha"), 0.7))
    R = ("route-lookup", "github-all", "gatehouse")
    ratios.append(run.ratio(R, ("route-lookup", "github-all", "find-my-way-node"), 2))
    run.level(R, 100, "<=", transform=lambda x: 1e9 / x, label="route-lookup ns per lookup", unit=" ns")
    for case in ("round-robin", "least-request", "maglev", "random"):
        run.level(("upstream-pick", case, "gatehouse"), 50, "<=", transform=lambda x: 1e9 / x,
                  label="upstream-pick %s ns per pick" % case, unit=" ns")
    G = ("gateway-decide", "full", "gatehouse")
    run.level(G, 2e6, label="gateway-decide decisions per second", unit="/s")
    ratios.append(run.ratio(G, ("gateway-decide", "full", "parts-in-sequence"), 1 / 1.2,
                            label="gateway-decide pipeline / its parts in sequence (>= 0.833: overhead <= 20 %)"))
    ratios.append(run.ratio(("gateway-decide", "full", "gatehouse-metrics"), G,
                            label="gateway-decide with metrics only / without (what the access log adds is the rest)"))
    ratios.append(run.ratio(("gateway-decide", "full", "gatehouse-analytics"), G, 0.85,
                            label="gateway-decide with metrics and access log / without (>= 0.85: cost <= 15 %)"))
    B = lambda case, s: ("binding-call", case, s)
    for case in ("gateway-decide", "jwt-verify-cached"):
        ratios.append(run.overhead(B(case, "python"), B(case, "c"), 3000))
        ratios.append(run.overhead(B(case, "go"), B(case, "c"), 300))
    for f in run.facts:
        if f["bench"] == "gateway-decide" and f["metric"] == "p99_ns":
            ok = f["value"] <= 2000
            print("  %-64s %9s ns  [<= 2000 %s]" % ("gateway-decide p99 of one decision", sig3(f["value"]), "met" if ok else "NOT MET"))
        if f["metric"] == "bytes_per_slot":
            ok = f["value"] <= 64
            print("  %-64s %9s  [<= 64 %s]" % ("limit-decide bytes per slot", sig3(f["value"]), "met" if ok else "NOT MET"))
        if f["metric"] == "build_ms" and f["bench"] == "route-build" and f["subject"] == "gatehouse":
            print("  %-64s %9s ms  [< 50 %s]" % ("route-build 10,000 routes", sig3(f["value"]), "met" if f["value"] < 50 else "NOT MET"))
    run.write(ratios)
    if run.missing:
        print("\nmissing (their figures and ratios are absent, not zero):")
        for title, label, why in run.missing:
            print("  %s: %s: %s" % (title.split(":")[0], label, why))
    print("\nwrote %s" % os.path.relpath(RESULTS, ROOT))


if __name__ == "__main__":
    sys.exit(main())
