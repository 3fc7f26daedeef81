#!/usr/bin/env python3
"""`make bench`, the server part: wrk on loopback against the same upstream
(an nginx answering 200 with a small body), through
  (a) nginx as a plain reverse proxy (proxy_pass, upstream keepalive),
  (b) gatehouse-server as a plain proxy (a route without authentication),
  (c) gatehouse-server deciding every request: JWT verification, a policy
      and a rate limit (a route of a realm, a policy and a limit),
each with one worker, in alternating rounds. Prints requests per second,
p50/p99 latency and memory per idle connection, with the ratios the
reference server's issue names: the median of the per-round ratios (rounds
are paired) with a 95 % bootstrap interval, and a verdict that is `met` or
`NOT MET` only when the whole interval says so, else `inconclusive` (the
method of scripts/bench.py). Appends every figure to build/bench/results.jsonl.

  usage: tests/bench/bench_server.py BUILD_DIR   (BENCH_SERVER_ROUNDS=6, BENCH_SERVER_SECONDS=2)
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RESULTS = os.path.join(ROOT, "build", "bench", "results.jsonl")
ROUNDS = int(os.environ.get("BENCH_SERVER_ROUNDS", "6"))
SECONDS = os.environ.get("BENCH_SERVER_SECONDS", "2")
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from bench import bootstrap, median  # noqa: E402  (one statistics for every bench)
CONNECTIONS = 50


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, seconds=10):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def nginx(conf, work):
    path = os.path.join(work, "nginx-%d.conf" % abs(hash(conf)))
    with open(path, "w") as f:
        f.write("daemon off; worker_processes 1; pid %s.pid; error_log stderr error;\n"
                "events { worker_connections 4096; }\nhttp { access_log off; %s }\n" % (path, conf))
    return subprocess.Popen(["nginx", "-c", path, "-p", work], stderr=subprocess.DEVNULL)


def wrk(url, headers=()):
    argv = ["wrk", "-t1", "-c%d" % CONNECTIONS, "-d%ss" % SECONDS, "--latency", url]
    for h in headers:
        argv += ["-H", h]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)

    def pct(p):
        m = re.search(r"\s%s%%\s+([\d.]+)(us|ms|s)" % p, out)
        v = float(m.group(1))
        return v / 1000 if m.group(2) == "us" else v if m.group(2) == "ms" else v * 1000

    return rps, pct(50), pct(99), int(errors.group(1)) if errors else 0


def rss_kib(pids):
    total = 0
    for pid in pids:
        with open("/proc/%d/status" % pid) as f:
            total += int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))
    return total


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def per_connection_kib(port, pids, n=1000):
    """Memory per idle keep-alive connection that made one request (answered before the next connects)."""
    before = rss_kib(pids)
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"GET /plain HTTP/1.1\r\nHost: b\r\n\r\n")
        s.recv(4096)
        socks.append(s)
    time.sleep(0.3)
    after = rss_kib(pids)
    for s in socks:
        s.close()
    return (after - before) / n


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    server_bin, cli = os.path.join(build, "bin", "gatehouse-server"), os.path.join(build, "bin", "gatehouse")
    for tool in ("wrk", "nginx"):
        if not shutil.which(tool):
            print("== server: skipped: %s is not installed (scripts/install-deps.sh installs it)" % tool)
            return 0
    if not os.path.exists(server_bin):
        print("== server: skipped: %s was not built (libuv1-dev, node-llhttp)" % server_bin)
        return 0
    work = tempfile.mkdtemp(prefix="gh-bench-server-")
    up, proxy, gate, admin = free_port(), free_port(), free_port(), free_port()
    procs = [nginx("server { listen 127.0.0.1:%d; location / { return 200 'ok\\n'; } }" % up, work),
             nginx("upstream u { server 127.0.0.1:%d; keepalive 64; }\n"
                   "server { listen 127.0.0.1:%d; location / { proxy_pass http://u; proxy_http_version 1.1;"
                   " proxy_set_header Connection \"\"; } }" % (up, proxy), work)]
    key = subprocess.run([cli, "jwk", "generate", "--alg", "ES256", "--kid", "bench"], capture_output=True, text=True,
                         check=True).stdout
    with open(os.path.join(work, "key.jwk"), "w") as f:
        f.write(key)
    public = json.loads(key)
    public = {k: public[k] for k in ("kty", "crv", "x", "y", "kid", "alg") if k in public}
    config = {
        "gatehouse": 1,
        "realms": {"staff": {"providers": [{"name": "idp", "type": "jwt", "issuer": "https://id.example",
                                            "audience": "bench", "algorithms": ["ES256"], "roles_claim": "roles",
                                            "jwks": {"keys": [public]}}]}},
        "policies": {"p": {"roles": {"viewer": {}}, "rules": [{"id": "read", "effect": "allow", "roles": ["viewer"], "actions": ["GET"],
                                      "resources": ["/*"]}]}},
        "limits": {"per-caller": {"algorithm": "gcra", "limit": 1000000, "period": 1, "key": "subject",
                                  "memory": 1048576}},
        "upstreams": {"u": {"targets": ["http://127.0.0.1:%d" % up]}},
        "analytics": {"metrics": False},
        "routes": [{"method": "GET", "path": "/plain", "upstream": "u", "auth": "none"},
                   {"method": "GET", "path": "/full", "upstream": "u", "realm": "staff", "policy": "p",
                    "limits": ["per-caller"]}],
    }
    with open(os.path.join(work, "gateway.json"), "w") as f:
        json.dump(config, f)
    token = subprocess.run([cli, "jwt", "sign", "--alg", "ES256", "--jwk", os.path.join(work, "key.jwk"), "--kid", "bench",
                            json.dumps({"iss": "https://id.example", "aud": "bench", "sub": "bench", "roles": ["viewer"],
                                        "exp": 4102444800})], capture_output=True, text=True, check=True).stdout.strip()
    procs.append(subprocess.Popen([server_bin, "--config", os.path.join(work, "gateway.json"), "--workers", "1",
                                   "--listen", "127.0.0.1:%d" % gate, "--admin", "127.0.0.1:%d" % admin,
                                   "--admin-token", "bench"], stdout=subprocess.DEVNULL,
                                  stderr=open(os.path.join(work, "server.log"), "w")))
    try:
        for name, port in (("the upstream nginx", up), ("the proxy nginx", proxy), ("gatehouse-server", gate)):
            if not wait_port(port):
                with open(os.path.join(work, "server.log")) as f:
                    print("== server: skipped: %s did not start\n%s" % (name, f.read()))
                return 0
        subjects = {"nginx-proxy": ("http://127.0.0.1:%d/plain" % proxy, ()),
                    "gatehouse-proxy": ("http://127.0.0.1:%d/plain" % gate, ()),
                    "gatehouse-full": ("http://127.0.0.1:%d/full" % gate, ("Authorization: Bearer " + token,))}
        rounds = {s: [] for s in subjects}
        order = list(subjects)
        for r in range(ROUNDS):
            for s in (order if r % 2 == 0 else order[::-1]):
                rounds[s].append(wrk(*subjects[s]))
        print("== server: wrk on loopback, %d connections, %d rounds of %s s, one worker each (shared machine)"
              % (CONNECTIONS, ROUNDS, SECONDS))
        lines = []
        med = {}
        for s, v in rounds.items():
            rps, p50, p99 = (median([x[i] for x in v]) for i in range(3))
            errors = sum(x[3] for x in v)
            med[s] = (rps, p50, p99)
            print("  %-18s %10.0f requests/s   p50 %.3f ms   p99 %.3f ms%s" % (s, rps, p50, p99,
                                                                            "   NON-2xx: %d" % errors if errors else ""))
            for metric, value in (("requests_per_s", rps), ("p50_ms", p50), ("p99_ms", p99)):
                lines.append({"bench": "server", "case": "wrk-c%d" % CONNECTIONS, "subject": s, "metric": metric,
                              "value": round(value, 3)})
        gate_pids = [procs[2].pid]
        nginx_pids = children(procs[1].pid) or [procs[1].pid]
        mem = {"gatehouse-proxy": per_connection_kib(gate, gate_pids), "nginx-proxy": per_connection_kib(proxy, nginx_pids)}
        for s, kib in mem.items():
            print("  %-18s %10.1f KiB per idle connection" % (s, kib))
            lines.append({"bench": "server", "case": "idle-connections", "subject": s, "metric": "kib_per_connection",
                          "value": round(kib, 2)})
        targets = [("gatehouse-proxy", "nginx-proxy", 1.0, "(b) gatehouse plain proxy / nginx plain proxy"),
                   ("gatehouse-full", "nginx-proxy", 0.8, "(c) gatehouse JWT+policy+limit / nginx plain proxy")]
        for num, den, target, label in targets:
            per_round = [a[0] / b[0] for a, b in zip(rounds[num], rounds[den])]  # the same round: paired
            ratio, (lo, hi) = median(per_round), bootstrap(per_round)
            verdict = "met" if lo >= target else "NOT MET" if hi < target else "inconclusive"
            print("  %-64s %6.3f  (95%%: %.3f - %.3f)  [>= %s %s]" % (label, ratio, lo, hi, target, verdict))
            lines.append({"bench": "server", "case": "wrk-c%d" % CONNECTIONS, "subject": "%s/%s" % (num, den),
                          "metric": "ratio", "value": round(ratio, 3), "lo": round(lo, 3), "hi": round(hi, 3),
                          "rounds": len(per_round), "target": target})
        per_round = [a[2] - b[2] for a, b in zip(rounds["gatehouse-full"], rounds["gatehouse-proxy"])]
        added, (lo, hi) = median(per_round), bootstrap(per_round)
        verdict = "met" if hi <= 1 else "NOT MET" if lo > 1 else "inconclusive"
        print("  %-64s %6.3f ms  (95%%: %.3f - %.3f)  [<= 1 %s] (at full load: wrk cannot hold 80 %% of peak)"
              % ("p99 added by (c) over (b)", added, lo, hi, verdict))
        lines.append({"bench": "server", "case": "wrk-c%d" % CONNECTIONS, "subject": "gatehouse-full/gatehouse-proxy",
                      "metric": "p99_added_ms", "value": round(added, 3), "lo": round(lo, 3), "hi": round(hi, 3)})
        os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
        with open(RESULTS, "a") as f:
            for line in lines:
                f.write(json.dumps(line) + "\n")
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
