"""End-to-end tests of `meshroute run`: real proxy and echo processes on 127.0.0.1, real
clients (http.client, raw sockets, curl). One test per behaviour of issue 4.
Usage: proxy_test.py MESHROUTE_BINARY"""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

BINARY = None
REVIEWS = "reviews.default.svc.cluster.local:9080"

ROUTES = """apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews.default.svc.cluster.local
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
  - {name: v3, labels: {version: v3}}
  - {name: v9, labels: {version: v9}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews.default.svc.cluster.local]
  http:
  - name: beta
    match: [{headers: {x-user-type: {exact: beta}}}]
    route: [{destination: {host: reviews.default.svc.cluster.local, subset: v2}}]
  - match: [{uri: {prefix: /old}}]
    rewrite: {uri: /new, authority: rewritten.example}
    route: [{destination: {host: reviews.default.svc.cluster.local, subset: v1}}]
  - match: [{uri: {prefix: /regex/}}]
    rewrite: {uriRegexRewrite: {match: '^/regex/(.*)$', rewrite: '/r/\\1'}}
    route: [{destination: {host: reviews.default.svc.cluster.local, subset: v1}}]
  - match: [{uri: {prefix: /redirect}}]
    redirect: {uri: /moved, authority: other.example, redirectCode: 302}
  - match: [{uri: {prefix: /derive}}]
    redirect: {authority: other.example, derivePort: FROM_REQUEST_PORT}
  - match: [{uri: {prefix: /direct}}]
    directResponse: {status: 418, body: {string: short and stout}}
  - match: [{uri: {prefix: /headers}}]
    headers:
      request: {set: {x-set: route}, add: {x-add: route}, remove: [x-remove]}
      response: {set: {x-resp: route}, remove: [x-echo-version]}
    route:
    - destination: {host: reviews.default.svc.cluster.local, subset: v1}
      headers:
        request: {set: {x-dest: dest, x-set: dest}}
        response: {add: {x-resp-dest: dest}}
  - match: [{uri: {prefix: /empty}}]
    route: [{destination: {host: reviews.default.svc.cluster.local, subset: v9}}]
  - match: [{uri: {prefix: /undefined}}]
    route: [{destination: {host: reviews.default.svc.cluster.local, subset: v7}}]
  - match: [{uri: {prefix: /delay}}]
    timeout: 0.3s
    route: [{destination: {host: reviews.default.svc.cluster.local, subset: v1}}]
  - route:
    - {destination: {host: reviews.default.svc.cluster.local, subset: v1}, weight: 80}
    - {destination: {host: reviews.default.svc.cluster.local, subset: v3}, weight: 20}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: narrow, namespace: default}
spec:
  hosts: [narrow.default.svc.cluster.local]
  http:
  - match: [{uri: {exact: /only}}]
    route: [{destination: {host: narrow.default.svc.cluster.local}}]
"""


def lb_rule(name, policy):
    return harness.destination_rule_yaml(name, f"{{loadBalancer: {{simple: {policy}}}}}")


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ProxyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = harness.TempDir()
        cls.echos = {n: harness.Echo(BINARY, f"reviews-{n}", n) for n in ("v1", "v2", "v3")}
        cls.lb = [harness.Echo(BINARY, f"lb-{x}", "v1") for x in "abc"]
        docs = [harness.service_yaml("reviews", 9080,
                                     [(n, e.port) for n, e in cls.echos.items()]),
                harness.service_yaml("narrow", 9080, [("v1", cls.echos["v1"].port)]),
                harness.service_yaml("dead", 9080, [("v1", closed_port())]),
                ROUTES]
        for policy in ("ROUND_ROBIN", "LEAST_REQUEST", "RANDOM"):
            name = "lb-" + policy.lower().replace("_", "")
            docs.append(harness.service_yaml(name, 9080, [("v1", e.port) for e in cls.lb]))
            docs.append(lb_rule(name, policy))
        cls.dir.write("mesh.yaml", "---\n".join(docs))
        cls.proxy = harness.Proxy(BINARY, [cls.dir.path], ["--workers", "2"])

    @classmethod
    def tearDownClass(cls):
        cls.proxy.stop()
        for e in list(cls.echos.values()) + cls.lb:
            e.stop()
        cls.dir.cleanup()

    def get(self, path="/", host=REVIEWS, **kw):
        return self.proxy.request(path, host=host, **kw)

    def echo_json(self, path="/", **kw):
        status, headers, body = self.get(path, **kw)
        self.assertEqual(status, 200, body)
        return json.loads(body), headers

    # --- routing
    def test_host_header_and_header_match(self):
        j, h = self.echo_json(headers={"x-user-type": "beta"})
        self.assertEqual(j["name"], "reviews-v2")
        self.assertEqual(h["x-echo-name"], "reviews-v2")

    def test_short_host_with_port_resolves_in_namespace(self):
        j, _ = self.echo_json(host="reviews:9080", headers={"x-user-type": "beta"})
        self.assertEqual(j["name"], "reviews-v2")

    @harness.http1_only
    def test_absolute_form_through_curl_proxy(self):
        out = subprocess.run(
            ["curl", "-s", "-x", f"http://127.0.0.1:{self.proxy.port}", "-H", "x-user-type: beta",
             f"http://{REVIEWS}/abs?q=1"], capture_output=True, text=True, timeout=20, check=True)
        j = json.loads(out.stdout)
        self.assertEqual((j["name"], j["path"], j["query"]), ("reviews-v2", "/abs", "q=1"))

    def test_weighted_split_80_20(self):
        conn = harness.connect(self.proxy.port)
        counts = {}
        n = 2000
        for _ in range(n):
            _, h, _ = self.proxy.request("/split", conn=conn)
            counts[h["x-echo-name"]] = counts.get(h["x-echo-name"], 0) + 1
        conn.close()
        self.assertEqual(set(counts), {"reviews-v1", "reviews-v3"})
        # 80% of 2000: the standard deviation is ~0.9 points, so +-4 points is > 4 sigma.
        self.assertAlmostEqual(counts["reviews-v1"] / n, 0.80, delta=0.04)

    def test_rewrite_prefix_and_authority(self):
        j, _ = self.echo_json("/old/page?x=1")
        self.assertEqual((j["path"], j["query"], j["host"]), ("/new/page", "x=1", "rewritten.example"))
        self.assertEqual(j["headers"]["x-envoy-original-path"], "/old/page?x=1")

    def test_uri_regex_rewrite(self):
        j, _ = self.echo_json("/regex/abc/def")
        self.assertEqual(j["path"], "/r/abc/def")

    def test_redirect_with_code(self):
        status, h, body = self.get("/redirect/x")
        self.assertEqual(status, 302)
        self.assertEqual(h["location"], "http://other.example/moved")
        self.assertEqual(body, b"")

    def test_redirect_derive_port(self):
        status, h, _ = self.get("/derive")
        self.assertEqual(status, 301)
        self.assertEqual(h["location"], "http://other.example:9080/derive")

    def test_direct_response(self):
        status, h, body = self.get("/direct")
        self.assertEqual((status, body), (418, b"short and stout"))

    def test_header_operations_route_and_destination(self):
        j, h = self.echo_json("/headers", headers={"x-remove": "gone", "x-add": "client",
                                                   "x-set": "client"})
        got = j["headers"]
        self.assertNotIn("x-remove", got)
        self.assertEqual(got["x-set"], "route")  # route-level set wins over destination-level
        self.assertEqual(got["x-dest"], "dest")
        self.assertEqual(got["x-add"], "client,route")
        self.assertEqual(h["x-resp"], "route")
        self.assertEqual(h["x-resp-dest"], "dest")
        self.assertNotIn("x-echo-version", h)

    def test_unknown_host_passes_through_allow_any(self):
        # No service is 127.0.0.1:PORT: ALLOW_ANY (Istio's default) sends it to its own address.
        port = self.echos["v3"].port
        j, _ = self.echo_json("/pt", host=f"127.0.0.1:{port}")
        self.assertEqual(j["name"], "reviews-v3")
        harness.wait_until(lambda: any(f'"GET /pt {harness.LOG_PROTOCOL}" 200' in l and "PassthroughCluster" in l
                                       for l in self.proxy.p.lines("out")), "passthrough logged")

    # --- Envoy's local answers
    def test_no_route_404_nr(self):
        status, _, body = self.get("/other", host="narrow.default.svc.cluster.local:9080")
        self.assertEqual((status, body), (404, b""))
        harness.wait_until(lambda: any(f'"GET /other {harness.LOG_PROTOCOL}" 404 NR' in l
                                       for l in self.proxy.p.lines("out")), "access log NR")

    def test_empty_subset_503_no_healthy_upstream(self):
        status, _, body = self.get("/empty")
        self.assertEqual((status, body), (503, b"no healthy upstream"))

    def test_undefined_subset_503_nc(self):
        status, _, body = self.get("/undefined")
        self.assertEqual(status, 503)
        harness.wait_until(lambda: any(f'"GET /undefined {harness.LOG_PROTOCOL}" 503 NC' in l
                                       for l in self.proxy.p.lines("out")), "access log NC")

    def test_connection_failure_503_body_and_flags(self):
        status, _, body = self.get("/", host="dead.default.svc.cluster.local:9080")
        self.assertEqual(status, 503)
        self.assertEqual(body.decode(), "upstream connect error or disconnect/reset before "
                                        "headers. reset reason: connection failure")
        # Istio's default retry policy retried connect-failure twice before giving up.
        harness.wait_until(lambda: any(re.search(r'" 503 UF,URX ', l)
                                       for l in self.proxy.p.lines("out")), "UF,URX logged")

    def test_route_timeout_504_ut(self):
        status, _, body = self.get("/delay/2s")
        self.assertEqual((status, body), (504, b"upstream request timeout"))

    # --- headers Envoy adds
    def test_forwarded_headers_and_request_id(self):
        j, h = self.echo_json("/fwd")
        got = j["headers"]
        self.assertEqual(got["x-forwarded-for"], "127.0.0.1")
        self.assertEqual(got["x-forwarded-proto"], "http")
        self.assertRegex(got["x-request-id"], r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
        self.assertRegex(h["x-envoy-upstream-service-time"], r"^\d+$")
        j, _ = self.echo_json("/fwd", headers={"x-request-id": "keep-me",
                                               "x-forwarded-for": "10.0.0.9"})
        self.assertEqual(j["headers"]["x-request-id"], "keep-me")
        self.assertEqual(j["headers"]["x-forwarded-for"], "10.0.0.9, 127.0.0.1")

    # --- limits and request smuggling defences
    @harness.http1_only
    def test_431_for_headers_over_60k(self):
        req = (f"GET / HTTP/1.1\r\nHost: {REVIEWS}\r\nx-big: " + "a" * (61 * 1024) + "\r\n\r\n")
        out = harness.raw_exchange(self.proxy.port, req.encode())
        self.assertTrue(out.startswith(b"HTTP/1.1 431 "), out[:80])

    @harness.http1_only
    def test_smuggling_attempts_rejected_400(self):
        cases = {
            "CL+TE": f"POST / HTTP/1.1\r\nHost: {REVIEWS}\r\nContent-Length: 5\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            "duplicate CL": f"POST / HTTP/1.1\r\nHost: {REVIEWS}\r\nContent-Length: 5\r\n"
                            "Content-Length: 6\r\n\r\nhello!",
            "bare LF": f"GET / HTTP/1.1\nHost: {REVIEWS}\n\n",
            "invalid byte": f"GET / HTTP/1.1\r\nHost: {REVIEWS}\r\nx-bad: a\x01b\r\n\r\n",
            "space before colon": f"GET / HTTP/1.1\r\nHost : {REVIEWS}\r\n\r\n",
        }
        for name, req in cases.items():
            with self.subTest(name):
                out = harness.raw_exchange(self.proxy.port, req.encode())
                self.assertTrue(out.startswith(b"HTTP/1.1 400 "), out[:80])

    @harness.http1_only
    def test_unsupported_transfer_encoding_501(self):
        req = f"POST / HTTP/1.1\r\nHost: {REVIEWS}\r\nTransfer-Encoding: gzip\r\n\r\n"
        out = harness.raw_exchange(self.proxy.port, req.encode())
        self.assertTrue(out.startswith(b"HTTP/1.1 501 "), out[:80])

    # --- bodies, expect, upgrades, HTTP/1.0, keep-alive
    @harness.http1_only
    def test_chunked_upload_streams(self):
        size = 5 * 1024 * 1024

        def gen():
            sent = 0
            while sent < size:
                yield b"x" * 65536
                sent += 65536

        c = http.client.HTTPConnection("127.0.0.1", self.proxy.port, timeout=20)
        c.request("POST", "/upload", body=gen(), headers={"Host": REVIEWS},
                  encode_chunked=True)
        r = c.getresponse()
        j = json.loads(r.read())
        c.close()
        self.assertEqual(j["body_bytes"], size)
        self.assertEqual(j["headers"]["transfer-encoding"], "chunked")

    @harness.http1_only
    def test_expect_100_continue(self):
        with socket.create_connection(("127.0.0.1", self.proxy.port), timeout=10) as s:
            s.sendall(f"POST /e HTTP/1.1\r\nHost: {REVIEWS}\r\nContent-Length: 4\r\n"
                      "Expect: 100-continue\r\n\r\n".encode())
            first = s.recv(100)
            self.assertTrue(first.startswith(b"HTTP/1.1 100 Continue\r\n\r\n"), first)
            s.sendall(b"abcd")
            rest = first[len(b"HTTP/1.1 100 Continue\r\n\r\n"):]
            while b"}" not in rest:
                rest += s.recv(65536)
        self.assertIn(b"HTTP/1.1 200 OK", rest)
        self.assertIn(b'"body_bytes":4', rest)
        self.assertNotIn(b'"expect"', rest)

    @harness.http1_only
    def test_websocket_upgrade_passthrough(self):
        with socket.create_connection(("127.0.0.1", self.proxy.port), timeout=10) as s:
            s.sendall(f"GET /ws HTTP/1.1\r\nHost: {REVIEWS}\r\nConnection: Upgrade\r\n"
                      "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n".encode())
            head = b""
            while b"\r\n\r\n" not in head:
                head += s.recv(4096)
            self.assertTrue(head.startswith(b"HTTP/1.1 101 "), head)
            self.assertIn(b"upgrade: websocket", head.lower())
            for msg in (b"hello", b"frames both ways"):
                s.sendall(msg)
                got = b""
                while len(got) < len(msg):
                    got += s.recv(4096)
                self.assertEqual(got, msg)

    @harness.http1_only
    def test_http10_client(self):
        out = harness.raw_exchange(self.proxy.port,
                                   f"GET /ten HTTP/1.0\r\nHost: {REVIEWS}\r\n\r\n".encode())
        self.assertTrue(out.startswith(b"HTTP/1.0 200 OK"), out[:60])
        self.assertIn(b'"path":"/ten"', out)

    @harness.http1_only
    def test_keep_alive_reuses_the_connection(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.proxy.port, timeout=10)
        self.proxy.request("/a", conn=conn)
        sock = conn.sock
        status, _, _ = self.proxy.request("/b", conn=conn)
        self.assertEqual(status, 200)
        self.assertIs(conn.sock, sock)
        conn.close()

    @harness.http1_only
    def test_pipelined_requests_are_answered_in_order(self):
        # Three requests in one write: the connection serves them from its buffer one after
        # the other, without going idle in between; the last asks to close.
        reqs = b"".join(f"GET /p{i} HTTP/1.1\r\nHost: {REVIEWS}\r\n{extra}\r\n".encode()
                        for i, extra in ((1, ""), (2, ""), (3, "Connection: close\r\n")))
        out = harness.raw_exchange(self.proxy.port, reqs)
        self.assertEqual(out.count(b"HTTP/1.1 200 OK"), 3, out[:200])
        self.assertLess(out.index(b'"path":"/p1"'), out.index(b'"path":"/p2"'))
        self.assertLess(out.index(b'"path":"/p2"'), out.index(b'"path":"/p3"'))

    @harness.http1_only
    def test_idle_connection_serves_a_head_that_arrives_in_pieces(self):
        # After a response the connection waits with no buffer and no coroutine; the next head
        # arrives in three writes and is read to its end before it is served.
        with socket.create_connection(("127.0.0.1", self.proxy.port), timeout=10) as s:
            def exchange(parts):
                for part in parts:
                    s.sendall(part)
                    time.sleep(0.05)  # separate reads on the proxy's side, not synchronization
                got = b""
                while b"\r\n\r\n" not in got:
                    chunk = s.recv(65536)
                    self.assertTrue(chunk, got)
                    got += chunk
                head, _, body = got.partition(b"\r\n\r\n")
                length = int(re.search(rb"(?im)^content-length: *([0-9]+)", head).group(1))
                while len(body) < length:
                    chunk = s.recv(65536)
                    self.assertTrue(chunk, got)
                    body += chunk
                return head + b"\r\n\r\n" + body
            first = exchange([f"GET /one HTTP/1.1\r\nHost: {REVIEWS}\r\n\r\n".encode()])
            self.assertIn(b'"path":"/one"', first)
            second = exchange([b"GET /tw", f"o HTTP/1.1\r\nHost: {REVIEWS}\r\n".encode(),
                               b"Accept: */*\r\n\r\n"])
            self.assertTrue(second.startswith(b"HTTP/1.1 200 OK"), second[:80])
            self.assertIn(b'"path":"/two"', second)

    # --- load balancing
    def spread(self, name, n=300):
        conn = harness.connect(self.proxy.port)
        counts = {}
        for _ in range(n):
            _, h, _ = self.proxy.request("/", host=f"{name}.default.svc.cluster.local:9080",
                                         conn=conn)
            counts[h["x-echo-name"]] = counts.get(h["x-echo-name"], 0) + 1
        conn.close()
        return counts

    def test_load_balancers_spread_over_endpoints(self):
        # Round robin is per worker: with 2 workers and one client connection, it still visits
        # all three endpoints in turn.
        rr = self.spread("lb-roundrobin")
        self.assertEqual(sorted(rr.values()), [100, 100, 100], rr)
        for name in ("lb-leastrequest", "lb-random"):
            counts = self.spread(name)
            self.assertEqual(len(counts), 3, counts)
            # Uniform choice over 3: each gets 100 +- ~8; 50 is over 6 sigma away.
            self.assertTrue(all(c > 50 for c in counts.values()), counts)

    # --- admin API
    def test_admin_ready_and_prometheus(self):
        self.assertEqual(self.proxy.admin_get("/ready"), (200, "LIVE\n"))
        self.echo_json(headers={"x-user-type": "beta"})
        harness.wait_until(lambda: 'destination_version="v2"' in self.proxy.admin_get("/stats/prometheus")[1],
                           "a v2 series")
        text = self.proxy.admin_get("/stats/prometheus")[1]
        line = next(l for l in text.splitlines()
                    if l.startswith("istio_requests_total{") and 'destination_version="v2"' in l)
        for label in ('reporter="source"', 'response_code="200"', 'response_flags="-"',
                      'destination_service="reviews.default.svc.cluster.local"',
                      'destination_service_name="reviews"', 'destination_service_namespace="default"',
                      'destination_workload="reviews-v2-1"', 'request_protocol="http"'):
            self.assertIn(label, line)
        self.assertIn("# TYPE istio_request_duration_milliseconds histogram", text)
        self.assertIn("istio_response_bytes_bucket{", text)

    def test_metrics_keep_status_codes_of_one_endpoint_apart(self):
        # The worker finds a request's series through its cluster, by endpoint, status and
        # flags: answers of one endpoint with different codes must land in different series.
        def count(code):
            text = self.proxy.admin_get("/stats/prometheus")[1]
            return sum(int(l.rsplit(" ", 1)[1]) for l in text.splitlines()
                       if l.startswith("istio_requests_total{") and 'destination_version="v2"' in l
                       and f'response_code="{code}"' in l)
        before = {code: count(code) for code in (200, 503)}
        beta = {"x-user-type": "beta"}
        for path in ("/status/503", "/", "/status/503", "/", "/status/503"):
            self.get(path, headers=beta)
        harness.wait_until(lambda: (count(200), count(503)) == (before[200] + 2, before[503] + 3),
                           "two 200s and three 503s counted apart")

    def test_admin_memory(self):
        status, body = self.proxy.admin_get("/memory")
        self.assertEqual(status, 200)
        mem = json.loads(body)
        for field in ("allocated", "heap_size", "pageheap_unmapped", "pageheap_free",
                      "total_thread_cache", "total_physical_bytes"):
            self.assertRegex(mem[field], r"^[0-9]+$", field)  # strings, as Envoy prints them
        self.assertGreater(int(mem["total_physical_bytes"]), 0)

    def test_admin_config_dump_clusters_routes(self):
        status, body = self.proxy.admin_get("/config_dump")
        dump = json.loads(body)
        self.assertEqual(status, 200)
        self.assertGreaterEqual(dump["version"], 1)
        self.assertIsNone(dump["last_rejection"])
        kinds = {(r["kind"], r["name"]) for r in dump["resources"]}
        self.assertIn(("VirtualService", "reviews"), kinds)
        status, clusters = self.proxy.admin_get("/clusters")
        self.assertIn(f"outbound|9080|v2|reviews.default.svc.cluster.local::127.0.0.1:"
                      f"{self.echos['v2'].port}::weight::1", clusters)
        self.assertIn("outbound|9080||lb-random.default.svc.cluster.local::lb_policy::RANDOM", clusters)
        cj = json.loads(self.proxy.admin_get("/clusters?format=json")[1])
        self.assertTrue(any(c["name"].startswith("outbound|9080|v1|reviews") for c in cj["cluster_statuses"]))
        routes = json.loads(self.proxy.admin_get("/routes")[1])
        hosts = [h for rc in routes["route_configs"] if rc["name"] == "9080"
                 for h in rc["virtual_hosts"]]
        reviews = next(h for h in hosts if h["name"] == "reviews.default.svc.cluster.local:9080")
        self.assertEqual(reviews["routes"][0]["virtual_service"], "default/reviews")
        self.assertEqual(reviews["routes"][0]["name"], "beta")
        self.assertEqual([r["rule_index"] for r in reviews["routes"]], list(range(11)))
        self.assertEqual(self.proxy.admin_get("/quitquitquit")[0], 405)

    def test_access_log_text_format(self):
        self.get("/logged", headers={"x-request-id": "log-me", "user-agent": "e2e"})
        harness.wait_until(lambda: any('"log-me"' in l for l in self.proxy.p.lines("out")), "log")
        line = next(l for l in self.proxy.p.lines("out") if '"log-me"' in l)
        self.assertRegex(line, r'^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d.*Z\] "GET /logged ' + harness.LOG_PROTOCOL + '" 200 - via_upstream ')
        self.assertIn('"e2e" "log-me" "reviews.default.svc.cluster.local:9080"', line)
        # The catch-all route splits 80/20 between v1 and v3: either cluster, never another.
        self.assertRegex(line, r" outbound\|9080\|v[13]\|reviews\.default\.svc\.cluster\.local ")


class NginxUpstreamTest(unittest.TestCase):
    def test_nginx_as_upstream(self):
        nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
        if not nginx:
            self.skipTest("nginx is not installed (scripts/install-deps.sh installs it)")
        d = harness.TempDir()
        port = closed_port()
        os.makedirs(os.path.join(d.path, "html"))
        with open(os.path.join(d.path, "html", "index.html"), "w") as f:
            f.write("hello from nginx\n")
        conf = f"""worker_processes 1; pid {d.path}/nginx.pid; error_log {d.path}/error.log;
events {{ worker_connections 64; }}
http {{ access_log off; client_body_temp_path {d.path}; proxy_temp_path {d.path};
  fastcgi_temp_path {d.path}; uwsgi_temp_path {d.path}; scgi_temp_path {d.path};
  server {{ listen 127.0.0.1:{port}; root {d.path}/html;
    location /hdr {{ return 200 "$http_x_forwarded_for $http_x_request_id\\n"; }} }} }}
"""
        with open(os.path.join(d.path, "nginx.conf"), "w") as f:
            f.write(conf)
        ng = subprocess.Popen([nginx, "-p", d.path, "-c", os.path.join(d.path, "nginx.conf"),
                               "-g", "daemon off;"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
        try:
            harness.wait_until(lambda: socket.create_connection(("127.0.0.1", port), 1).close() or True,
                               "nginx listening")
            d.write("web.yaml", harness.service_yaml("web", 80, [("v1", port)]))
            proxy = harness.Proxy(BINARY, [d.path])
            try:
                status, h, body = proxy.request("/", host="web.default.svc.cluster.local")
                self.assertEqual((status, body), (200, b"hello from nginx\n"))
                self.assertIn("nginx", h.get("server", ""))
                status, _, body = proxy.request("/hdr", host="web.default.svc.cluster.local")
                self.assertRegex(body.decode(), r"^127\.0\.0\.1 [0-9a-f-]{36}\n$")
            finally:
                proxy.stop()
        finally:
            ng.terminate()
            ng.wait(10)
            d.cleanup()


class ClosingUpstream:
    """A keep-alive HTTP/1.1 backend that closes each connection right after its response,
    without saying so (no Connection: close): what an upstream whose idle timeout is shorter
    than the proxy's does. Counts the requests it answered."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.served = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(10)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                if b"\r\n\r\n" in data:
                    self.served += 1  # before the answer: the test reads it after the answer
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    def stop(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        except OSError:
            pass
        self.sock.close()
        self.thread.join(10)


class PooledConnectionTest(unittest.TestCase):
    def test_upstream_closing_idle_connections_fails_no_request(self):
        # Each pooled connection is closed by the upstream as soon as it has answered; the next
        # request races that close. The proxy drops a connection closed while idle, and sends a
        # bodiless request again on a new connection when the close won the race.
        d = harness.TempDir()
        up = ClosingUpstream()
        try:
            d.write("mesh.yaml", harness.service_yaml("closer", 80, [("v1", up.port)]))
            proxy = harness.Proxy(BINARY, [d.path])
            try:
                conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=10)
                results = [proxy.request(f"/{i}", host="closer.default.svc.cluster.local",
                                         conn=conn)[::2] for i in range(50)]
                conn.close()
                self.assertEqual(results, [(200, b"ok")] * 50)
                self.assertEqual(up.served, 50)
            finally:
                proxy.stop()
        finally:
            up.stop()
            d.cleanup()


class LifecycleTest(unittest.TestCase):
    def setUp(self):
        self.dir = harness.TempDir()
        self.echo = harness.Echo(BINARY, "reviews-v1", "v1")
        self.dir.write("mesh.yaml", harness.service_yaml("reviews", 9080, [("v1", self.echo.port)]))

    def tearDown(self):
        self.echo.stop()
        self.dir.cleanup()

    def test_sigterm_drains_request_in_flight_then_exits_0(self):
        proxy = harness.Proxy(BINARY, [self.dir.path])
        conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=20)
        conn.request("GET", "/delay/1s", headers={"Host": REVIEWS})
        # The request is in flight once the proxy counts it active.
        harness.wait_until(lambda: "envoy_http_downstream_rq_active 1" in proxy.admin_get("/stats/prometheus")[1],
                           "request in flight")
        proxy.p.proc.send_signal(signal.SIGTERM)
        r = conn.getresponse()
        self.assertEqual(r.status, 200)
        self.assertEqual(r.getheader("connection"), "close")
        self.assertEqual(proxy.p.proc.wait(20), 0)
        proxy.stop()  # closes the pipes

    def test_quitquitquit_exits_0(self):
        proxy = harness.Proxy(BINARY, [self.dir.path])
        self.assertEqual(proxy.admin_get("/quitquitquit", method="POST"), (200, "OK\n"))
        self.assertEqual(proxy.p.proc.wait(20), 0)
        proxy.stop()  # closes the pipes

    def test_invalid_configuration_at_start_exits_1_naming_file_and_line(self):
        self.dir.write("bad.yaml", """apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bad, namespace: default}
spec:
  hosts: [reviews]
  http:
  - route: [{destination: {host: reviews}, weight: -1}]
""")
        out = subprocess.run([BINARY, "run", "-f", self.dir.path, "--listen", "127.0.0.1:0",
                              "--admin", "127.0.0.1:0"], capture_output=True, text=True,
                             timeout=30, env=harness._env())
        self.assertEqual(out.returncode, 1)
        self.assertRegex(out.stderr, r"bad\.yaml:7: VirtualService default/bad spec\.http\[0\]\.route\[0\]\.weight")

    def test_limits_header_timeout_idle_timeout_max_connections(self):
        proxy = harness.Proxy(BINARY, [self.dir.path],
                              ["--request-header-timeout", "0.3", "--idle-timeout", "0.5",
                               "--max-connections", "2", "--workers", "1"])
        try:
            # A head that never completes: Envoy's 408 "request header timeout", then close.
            with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as s:
                s.sendall(f"GET / HTTP/1.1\r\nHost: {REVIEWS}\r\n".encode())
                out = b""
                while True:
                    b = s.recv(4096)
                    if not b:
                        break
                    out += b
            self.assertTrue(out.startswith(b"HTTP/1.1 408 "), out)
            self.assertTrue(out.endswith(b"request header timeout"), out)
            # An idle keep-alive connection is closed by the proxy (recv returns EOF).
            with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as s:
                self.assertEqual(s.recv(1), b"")
        finally:
            proxy.stop()
        # Two connections open: the third is closed at once (a proxy without the short idle
        # timeout, so the first two stay open while the third arrives).
        proxy = harness.Proxy(BINARY, [self.dir.path], ["--max-connections", "2", "--workers", "1"])
        try:
            a = socket.create_connection(("127.0.0.1", proxy.port), timeout=10)
            b = socket.create_connection(("127.0.0.1", proxy.port), timeout=10)
            harness.wait_until(lambda: "envoy_http_downstream_cx_active 2" in
                               proxy.admin_get("/stats/prometheus")[1], "two connections")
            with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as c:
                self.assertEqual(c.recv(1), b"")
            a.close()
            b.close()
            self.assertIn("envoy_listener_downstream_cx_overflow 1",
                          proxy.admin_get("/stats/prometheus")[1])
        finally:
            proxy.stop()

    def test_json_access_log(self):
        proxy = harness.Proxy(BINARY, [self.dir.path], ["--access-log-format", "json"])
        try:
            proxy.request("/j", headers={"x-request-id": "json-me"})
            harness.wait_until(lambda: any("json-me" in l for l in proxy.p.lines("out")), "json log")
            entry = json.loads(next(l for l in proxy.p.lines("out") if "json-me" in l))
            self.assertEqual((entry["method"], entry["path"], entry["response_code"]), ("GET", "/j", 200))
            self.assertEqual(entry["response_flags"], "-")
        finally:
            proxy.stop()


if __name__ == "__main__":
    BINARY = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
