"""Counted, not timed: what TLS origination adds to one proxied request, meshroute against
nginx's proxy_ssl, on the same machine in one run (issue 14, section 8).

Four proxies, each with one worker pinned to CPU 1 (counts.py's setup), in front of nginx
backends answering 1 KiB on CPU 0: meshroute and nginx proxying (a) in plaintext and (b)
originating TLS 1.2 to the backend (meshroute: a DestinationRule `tls: {mode: SIMPLE,
caCertificates, sni}`; nginx: `proxy_pass https://` with proxy_ssl_verify, the same CA and
server name, proxy_ssl_session_reuse and keep-alive upstream connections). For each, callgrind
instructions per request over N keep-alive requests (h2load, 4 connections), as counts.py
measures them; the TLS cost is (b) minus (a). The handshakes are amortised: both proxies keep
their upstream connections, so the figure is the record layer's cost per request plus a share
of a handshake per connection.

Usage: /usr/bin/python3 bench/compare/tls_counts.py [--meshroute build/release/meshroute]
       [--requests 20000] [--json bench/results/tls_counts.json]
Needs nginx, h2load (nghttp2-client), valgrind and openssl."""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import configs  # noqa: E402
import counts  # noqa: E402
from run import LOAD_CPU, free_port, start_backend, versions, wait_port  # noqa: E402

SERVER_NAME = "backend.example"


def make_certificates(d):
    def ssl(*args):
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True, timeout=60)
    ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-subj", "/CN=bench-ca",
        "-keyout", "ca.key", "-out", "ca.pem", "-addext", "basicConstraints=critical,CA:TRUE")
    ssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={SERVER_NAME}",
        "-keyout", "server.key", "-out", "server.csr")
    with open(os.path.join(d, "server.ext"), "w") as f:
        f.write(f"subjectAltName=DNS:{SERVER_NAME}\n")
    ssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "30", "-extfile", "server.ext", "-out", "server.pem")


def start_tls_backend(work, certs):
    """The same backend as run.py's, listening with TLS."""
    ports = [free_port(), free_port()]
    bdir = os.path.join(work, "tls-backend")
    os.makedirs(bdir)
    text = configs.backend_nginx(bdir, ports)
    for p in ports:
        text = text.replace(f"listen 127.0.0.1:{p} reuseport;",
                            f"listen 127.0.0.1:{p} reuseport ssl; "
                            f"ssl_certificate {certs}/server.pem; "
                            f"ssl_certificate_key {certs}/server.key; ssl_session_cache off;")
    conf = os.path.join(bdir, "nginx.conf")
    with open(conf, "w") as f:
        f.write(text)
    proc = subprocess.Popen(["taskset", "-c", LOAD_CPU, "nginx", "-p", bdir, "-c", conf,
                             "-g", "daemon off;"])
    return proc, ports


def patch_configs(certs):
    """configs.py's meshroute and nginx configurations, originating TLS."""
    plain_mesh, plain_nginx = configs.meshroute_proxy, configs.nginx_proxy

    def mesh(s, backends, **kw):
        return plain_mesh(s, backends, **kw).replace(
            "trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}",
            "trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}, tls: {mode: SIMPLE, "
            f"caCertificates: {certs}/ca.pem, sni: {SERVER_NAME}}}}}")

    def nginx(s, workdir, port, backends):
        ssl = (f"proxy_ssl_verify on; proxy_ssl_trusted_certificate {certs}/ca.pem; "
               f"proxy_ssl_name {SERVER_NAME}; proxy_ssl_server_name on; "
               "proxy_ssl_session_reuse on; proxy_ssl_protocols TLSv1.2;")
        return plain_nginx(s, workdir, port, backends).replace(
            "proxy_pass http://", f"{ssl} proxy_pass https://")
    return mesh, nginx


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--meshroute", default="build/release/meshroute")
    ap.add_argument("--requests", type=int, default=20000)
    ap.add_argument("--json", default="bench/results/tls_counts.json")
    args = ap.parse_args()
    meshroute = os.path.abspath(args.meshroute)
    if not os.access(meshroute, os.X_OK):
        ap.error(f"{meshroute} is not there: bash scripts/build.sh release")
    started = time.monotonic()
    work = tempfile.mkdtemp(prefix="meshroute-tls-counts-")
    certs = os.path.join(work, "certs")
    os.makedirs(certs)
    make_certificates(certs)
    plain_backend, plain_ports = start_backend(work)
    tls_backend, tls_ports = start_tls_backend(work, certs)
    plain_mesh, plain_nginx = configs.meshroute_proxy, configs.nginx_proxy
    tls_mesh, tls_nginx = patch_configs(certs)
    scenario = counts.SCENARIO["a"]
    results = {}
    try:
        for p in plain_ports + tls_ports:
            wait_port(p)
        # Alternating targets, as the brief asks of comparisons.
        for kind, backends in (("plain", plain_ports), ("tls", tls_ports)):
            for target in ("meshroute", "nginx"):
                configs.meshroute_proxy = tls_mesh if kind == "tls" else plain_mesh
                configs.nginx_proxy = tls_nginx if kind == "tls" else plain_nginx
                print(f"== {target} ({kind}): callgrind, {args.requests} requests", flush=True)
                p = counts.Proxy(target, scenario, backends, meshroute, work, 100,
                                 counts.CALLGRIND)
                try:
                    r = counts.instructions(p, args.requests)
                finally:
                    p.stop()
                results.setdefault(target, {})[kind] = r
                print(f"   {r['instructions_per_request']:,.0f} instructions/request", flush=True)
    finally:
        configs.meshroute_proxy, configs.nginx_proxy = plain_mesh, plain_nginx
        for b in (plain_backend, tls_backend):
            b.send_signal(signal.SIGQUIT)
            b.wait(20)
        if os.environ.get("COUNTS_KEEP"):  # COUNTS_KEEP=1 keeps the callgrind dumps
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    for r in results.values():
        r["tls_added_instructions_per_request"] = (r["tls"]["instructions_per_request"]
                                                   - r["plain"]["instructions_per_request"])
    meta = {"date": time.strftime("%Y-%m-%d"), "command": " ".join(["python3"] + sys.argv),
            "requests": args.requests, "duration_s": round(time.monotonic() - started),
            "client": "h2load --h1 -c 4 (one request in flight per connection)",
            **counts.machine(), "versions": versions(meshroute)}
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump({"meta": meta, "results": results}, f, indent=2)
    print(f"\n{'instructions per request':32}{'meshroute':>14}{'nginx':>14}")
    for label, get in (("plaintext upstream", lambda r: r["plain"]["instructions_per_request"]),
                       ("TLS origination", lambda r: r["tls"]["instructions_per_request"]),
                       ("added by TLS", lambda r: r["tls_added_instructions_per_request"])):
        print(f"{label:32}" + "".join(f"{get(results[t]):>14,.0f}" for t in results))
    print(f"\nwrote {args.json} ({meta['duration_s']} s)")


if __name__ == "__main__":
    main()
