"""Reloads that drop nothing: steady keep-alive traffic while the VirtualService is rewritten
100 times (all traffic to v1, then all to v2, ...). Every request must succeed and be served by
a subset that a configuration in force during the request allowed. Then an invalid change must
be rejected while the last good configuration keeps serving.
Usage: reload_test.py MESHROUTE_BINARY"""
import http.client
import json
import os
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

BINARY = None
HOST = "reviews.default.svc.cluster.local:9080"
RULE = """apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews.default.svc.cluster.local
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
"""


def virtual_service(w1, w2):
    return f"""apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: reviews, namespace: default}}
spec:
  hosts: [reviews.default.svc.cluster.local]
  http:
  - route:
    - {{destination: {{host: reviews.default.svc.cluster.local, subset: v1}}, weight: {w1}}}
    - {{destination: {{host: reviews.default.svc.cluster.local, subset: v2}}, weight: {w2}}}
"""


class ReloadTest(unittest.TestCase):
    def test_100_reloads_under_load_drop_nothing(self):
        d = harness.TempDir()
        echos = {v: harness.Echo(BINARY, f"reviews-{v}", v) for v in ("v1", "v2")}
        try:
            d.write("services.yaml", harness.service_yaml(
                "reviews", 9080, [(v, e.port) for v, e in echos.items()]) + "---\n" + RULE)
            d.write("vs.yaml", virtual_service(100, 0))
            proxy = harness.Proxy(BINARY, [d.path], ["--workers", "2", "--access-log-format", "off"])
            try:
                self.run_reloads(d, proxy)
            finally:
                proxy.stop()
        finally:
            for e in echos.values():
                e.stop()
            d.cleanup()

    def run_reloads(self, d, proxy):
        base = proxy.config_version()
        # windows[k] = (allowed backend, first moment it may serve, moment it surely no longer
        # does); the first configuration is in force from the start.
        windows = [["reviews-v1", 0.0, None]]
        results, errors = [], []
        stop = threading.Event()

        def client():
            conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=20)
            while not stop.is_set():
                t0 = time.monotonic()
                try:
                    conn.request("GET", "/", headers={"Host": HOST})
                    r = conn.getresponse()
                    r.read()
                    results.append((t0, time.monotonic(), r.status, r.getheader("x-echo-name")))
                except Exception as e:  # noqa: BLE001 - every failure counts
                    errors.append(repr(e))
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=20)
            conn.close()

        threads = [threading.Thread(target=client) for _ in range(3)]
        for t in threads:
            t.start()
        try:
            for i in range(1, 101):
                to_v2 = i % 2 == 1
                written = time.monotonic()
                d.write("vs.yaml", virtual_service(0 if to_v2 else 100, 100 if to_v2 else 0))
                harness.wait_until(lambda: proxy.config_version() == base + i, f"version {base + i}")
                seen = time.monotonic()
                windows[-1][2] = seen
                windows.append(["reviews-v2" if to_v2 else "reviews-v1", written, None])
        finally:
            stop.set()
            for t in threads:
                t.join(30)
        windows[-1][2] = time.monotonic()

        print(f"\n{len(results)} requests across 100 reloads, {len(errors)} errors", file=sys.stderr)
        self.assertEqual(errors, [])
        self.assertGreater(len(results), 200)
        failed = [r for r in results if r[2] != 200]
        self.assertEqual(failed, [])
        for t0, t1, _, name in results:
            allowed = {w[0] for w in windows if w[1] <= t1 and w[2] >= t0}
            self.assertIn(name, allowed, f"request {t0:.4f}-{t1:.4f} served by {name}")
        self.assertEqual(proxy.config_version(), base + 100)

        # A change that fails validation is rejected; version base+100 keeps serving.
        d.write("vs.yaml", virtual_service(-1, 100))
        harness.wait_until(lambda: json.loads(proxy.admin_get("/config_dump")[1])["last_rejection"],
                           "the rejection")
        dump = json.loads(proxy.admin_get("/config_dump")[1])
        self.assertEqual(dump["version"], base + 100)
        self.assertTrue(any("vs.yaml:" in r and "weight" in r for r in dump["last_rejection"]["reasons"]),
                        dump["last_rejection"])
        status, h, _ = proxy.request("/", host=HOST)
        self.assertEqual((status, h["x-echo-name"]), (200, "reviews-v1"))
        proxy.p.wait_line(r"reload \(file change\) rejected; version \d+ keeps serving")


if __name__ == "__main__":
    BINARY = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
