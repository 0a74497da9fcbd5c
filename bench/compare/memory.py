"""Memory per cluster and per endpoint of `meshroute run`, for comparison with Envoy's published
figures (about 41 KB per cluster and 1.4 KB per host, Envoy's docs on scaling).

Each shape is a configuration loaded by a real proxy (one worker) that then routes one request
to every cluster, so that the worker's cluster state (endpoints, load balancer, metric series)
exists as it does under traffic. The figure is the heap in use (`/memory` `allocated`) minus
that of the same proxy with an empty configuration, divided by the count. Memory is what does
not drift on a noisy machine: the figures repeat to within a few percent.

Usage: /usr/bin/python3 bench/compare/memory.py --meshroute build/release/meshroute
       [--clusters 1000] [--endpoints 4000] [--json FILE]"""
import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from run import admin_get, free_port, poll  # noqa: E402


def service(name, addresses):
    docs = [f"""apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {{name: {name}, namespace: default}}
spec:
  hosts: [{name}.default.svc.cluster.local]
  location: MESH_INTERNAL
  ports: [{{number: 80, name: http, protocol: HTTP}}]
  resolution: STATIC
  endpoints:
"""]
    docs[0] += "".join(f"  - {{address: {a}}}\n" for a in addresses)
    return docs[0]


def address(i):
    return f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"


class Proxy:
    def __init__(self, meshroute, config):
        self.dir = tempfile.mkdtemp()
        with open(os.path.join(self.dir, "mesh.yaml"), "w") as f:
            f.write(config)
        self.port, self.admin = free_port(), free_port()
        # Unreachable endpoints answer 503 after a short connect timeout: the cluster state is
        # built by the request whatever the answer.
        self.p = subprocess.Popen([meshroute, "run", "-f", self.dir, "--listen",
                                   f"127.0.0.1:{self.port}", "--admin", f"127.0.0.1:{self.admin}",
                                   "--workers", "1", "--access-log-format", "off",
                                   "--connect-timeout", "0.05"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not poll(lambda: admin_get(self.admin, "/ready").startswith("LIVE"), timeout=120):
            raise RuntimeError("proxy did not become ready")

    def request(self, host):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            c.request("GET", "/", headers={"Host": host})
            c.getresponse().read()
        finally:
            c.close()

    def allocated(self):
        return int(json.loads(admin_get(self.admin, "/memory"))["allocated"])

    def stop(self):
        self.p.terminate()
        self.p.wait(timeout=30)


def measure(meshroute, config, hosts):
    proxy = Proxy(meshroute, config)
    try:
        loaded = proxy.allocated()
        for h in hosts:
            proxy.request(h)
        return loaded, proxy.allocated()
    finally:
        proxy.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--meshroute", required=True)
    ap.add_argument("--clusters", type=int, default=1000)
    ap.add_argument("--endpoints", type=int, default=4000)  # the CRD allows 4,096 per entry
    ap.add_argument("--json")
    a = ap.parse_args()
    base_loaded, base_used = measure(a.meshroute, service("empty", [address(1)]),
                                     ["empty.default.svc.cluster.local"])
    many = "---\n".join(service(f"svc{i}", [address(i + 1)]) for i in range(a.clusters))
    c_loaded, c_used = measure(a.meshroute, many,
                               [f"svc{i}.default.svc.cluster.local" for i in range(a.clusters)])
    big = service("big", [address(i + 1) for i in range(a.endpoints)])
    e_loaded, e_used = measure(a.meshroute, big, ["big.default.svc.cluster.local"])
    per_cluster_config = (c_loaded - base_loaded) / (a.clusters - 1)
    per_cluster = (c_used - base_used) / (a.clusters - 1)
    per_endpoint_config = (e_loaded - base_loaded) / (a.endpoints - 1)
    per_endpoint = (e_used - base_used) / (a.endpoints - 1)
    result = {
        "clusters": a.clusters, "endpoints": a.endpoints,
        "bytes_per_cluster_config": round(per_cluster_config),
        "bytes_per_cluster_with_traffic": round(per_cluster),
        "bytes_per_endpoint_config": round(per_endpoint_config),
        "bytes_per_endpoint_with_traffic": round(per_endpoint),
    }
    print(json.dumps(result, indent=2))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
