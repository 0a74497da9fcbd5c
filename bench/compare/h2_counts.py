"""Counted, not timed: what an HTTP/2 client costs a proxy per request against an HTTP/1.1
client, meshroute against nginx (http2 on a cleartext listener: prior knowledge), on the same
machine in one run (issue 15, section 5; a first step of scenario (f)).

counts.py's setup: one proxy worker pinned to CPU 1 under callgrind, nginx backends answering
1 KiB on CPU 0, scenario (a) (one route to one cluster, HTTP/1.1 keep-alive upstream
connections). For each proxy, callgrind instructions per request over N requests from h2load
on 4 connections: (1) HTTP/1.1, (2) HTTP/2 with one stream in flight per connection, (3)
HTTP/2 with 10 streams in flight per connection (multiplexed). HAProxy and nghttpx are not in
this first cut.

Usage: /usr/bin/python3 bench/compare/h2_counts.py [--meshroute build/release/meshroute]
       [--requests 20000] [--json bench/results/h2_counts.json]
Needs nginx, h2load (nghttp2-client) and valgrind."""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import configs  # noqa: E402
import counts  # noqa: E402
from run import LOAD_CPU, start_backend, versions, wait_port  # noqa: E402

# (label, h2load protocol arguments)
CLIENTS = (("http1", ["--h1"]), ("http2", ["-m", "1"]), ("http2_m10", ["-m", "10"]))


def make_h2load(extra):
    """counts.h2load with the client's protocol arguments in place of --h1."""
    def run(port, n, connections=4):
        argv = ["taskset", "-c", LOAD_CPU, "h2load", *extra, "-n", str(n), "-c",
                str(connections), "-H", ":authority: backend", f"http://127.0.0.1:{port}/"]
        out = subprocess.run(argv, capture_output=True, text=True, timeout=3600).stdout
        ok = re.search(r"status codes: (\d+) 2xx", out)
        if not ok or int(ok.group(1)) != n:
            raise RuntimeError(f"h2load: not {n} answers of 2xx:\n{out[-1500:]}")
    return run


def h2_status(port):
    """counts.get_status over HTTP/2 with prior knowledge (nginx's h2c listener takes no
    HTTP/1.1)."""
    out = subprocess.run(["curl", "-s", "--http2-prior-knowledge", "-o", "/dev/null", "-w",
                          "%{http_code}", "-H", "host: backend", f"http://127.0.0.1:{port}/"],
                         capture_output=True, text=True, timeout=30)
    return int(out.stdout or 0)


def nginx_for(label):
    """configs.py's nginx proxy; for HTTP/2 clients its listener speaks h2c (prior knowledge:
    nginx's cleartext http2 listeners take no HTTP/1.1)."""
    plain = configs.nginx_proxy

    def nginx(s, workdir, port, backends):
        text = plain(s, workdir, port, backends)
        if label != "http1":
            text = text.replace(f"listen 127.0.0.1:{port};", f"listen 127.0.0.1:{port} http2;")
        return text
    return nginx


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--meshroute", default="build/release/meshroute")
    ap.add_argument("--requests", type=int, default=20000)
    ap.add_argument("--json", default="bench/results/h2_counts.json")
    args = ap.parse_args()
    meshroute = os.path.abspath(args.meshroute)
    if not os.access(meshroute, os.X_OK):
        ap.error(f"{meshroute} is not there: bash scripts/build.sh release")
    started = time.monotonic()
    work = tempfile.mkdtemp(prefix="meshroute-h2-counts-")
    backend, ports = start_backend(work)
    plain_nginx, plain_h2load, plain_status = configs.nginx_proxy, counts.h2load, counts.get_status
    scenario = counts.SCENARIO["a"]
    results = {}
    try:
        for p in ports:
            wait_port(p)
        # Alternating targets within each client, as the brief asks of comparisons.
        for label, extra in CLIENTS:
            counts.h2load = make_h2load(extra)
            configs.nginx_proxy = nginx_for(label)
            counts.get_status = plain_status if label == "http1" else h2_status
            for target in ("meshroute", "nginx"):
                print(f"== {target} ({label}): callgrind, {args.requests} requests", flush=True)
                p = counts.Proxy(target, scenario, ports, meshroute, work, 100, counts.CALLGRIND)
                try:
                    r = counts.instructions(p, args.requests)
                finally:
                    p.stop()
                results.setdefault(target, {})[label] = r
                print(f"   {r['instructions_per_request']:,.0f} instructions/request", flush=True)
    finally:
        configs.nginx_proxy, counts.h2load = plain_nginx, plain_h2load
        counts.get_status = plain_status
        backend.send_signal(signal.SIGQUIT)
        backend.wait(20)
        shutil.rmtree(work, ignore_errors=True)
    meta = {"date": time.strftime("%Y-%m-%d"), "command": " ".join(["python3"] + sys.argv),
            "requests": args.requests, "duration_s": round(time.monotonic() - started),
            "client": "h2load -c 4: --h1; HTTP/2 prior knowledge -m 1; -m 10",
            **counts.machine(), "versions": versions(meshroute)}
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump({"meta": meta, "results": results}, f, indent=2)
    print(f"\n{'instructions per request':32}{'meshroute':>14}{'nginx':>14}")
    for label, _ in CLIENTS:
        print(f"{label:32}" + "".join(
            f"{results[t][label]['instructions_per_request']:>14,.0f}" for t in results))
    print(f"\nwrote {args.json} ({meta['duration_s']} s)")


if __name__ == "__main__":
    main()
