"""End-to-end tests of the DestinationRule policies `meshroute run` enforces on live traffic
(issue 14), each against real `meshroute echo` backends and a real proxy with two workers on
127.0.0.1. So far: loadBalancer.consistentHash on a header, a cookie (issued when the client
has none), the client's source IP and a query parameter, over ring hash and Maglev, and the
stickiness that survives an endpoint being added; connectionPool circuit breaking (Istio's
"Circuit Breaking" task: maxConnections 1, http1MaxPendingRequests 1 under concurrent clients)
and maxRequestsPerConnection; outlierDetection (a failing endpoint ejected, traffic moving to
the other, the endpoint back after baseEjectionTime); localityLbSetting (Istio's "Locality
failover" and "Locality weighted distribution" tasks, the proxy's locality from --locality);
connectionPool.tcp.tcpKeepalive (the keepalive timer of the upstream socket, read from
/proc/net/tcp); retryBudget (concurrent failing requests' retries refused beyond the budget);
loadBalancer.warmup (an endpoint added by a reload ramps up).

Every request here opens its own connection, so that the two workers both serve each key:
stickiness must hold across workers, not just on one connection. Statistical assertions state
their tolerance in standard deviations.
Usage: destination_rule_test.py MESHROUTE_BINARY"""
import http.client
import json
import os
import re
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

BINARY = None


def hash_rule(name, consistent_hash):
    return harness.destination_rule_yaml(name,
                                         f"{{loadBalancer: {{consistentHash: {consistent_hash}}}}}")


RULES = {
    "by-header": "{httpHeaderName: x-user}",
    "by-cookie": "{httpCookie: {name: user, path: /, ttl: 60s}}",
    "by-cookie-no-ttl": "{httpCookie: {name: user}}",
    "by-ip": "{useSourceIp: true, maglev: {tableSize: 1021}}",
    "by-query": "{httpQueryParameterName: user, ringHash: {minimumRingSize: 2048}}",
}


def host(name):
    return f"{name}.default.svc.cluster.local:9080"


class ConsistentHashTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = harness.TempDir()
        cls.backends = [harness.Echo(BINARY, f"backend-{x}", "v1") for x in "abcde"]
        cls.write_config(4)
        cls.proxy = harness.Proxy(BINARY, [cls.dir.path], ["--workers", "2"])

    @classmethod
    def write_config(cls, count):
        """Every rule's service over the first `count` backends."""
        docs = []
        for name, ch in RULES.items():
            docs.append(harness.service_yaml(name, 9080,
                                             [("v1", b.port) for b in cls.backends[:count]]))
            docs.append(hash_rule(name, ch))
        cls.dir.write("mesh.yaml", "---\n".join(docs))

    @classmethod
    def tearDownClass(cls):
        cls.proxy.stop()
        for b in cls.backends:
            b.stop()
        cls.dir.cleanup()

    def backend(self, name, path="/", headers=None, source=None):
        """The backend a fresh connection's request reached, and the response headers."""
        c = http.client.HTTPConnection("127.0.0.1", self.proxy.port, timeout=harness.DEADLINE,
                                       source_address=(source, 0) if source else None)
        try:
            h = {"Host": host(name)}
            h.update(headers or {})
            c.request("GET", path, headers=h)
            r = c.getresponse()
            r.read()
            self.assertEqual(r.status, 200)
            return r.getheader("x-echo-name"), r
        finally:
            c.close()

    def assert_sticky(self, keys, reach, tries=4):
        """Each key reaches one backend on every try; the keys spread over several backends."""
        placed = {}
        for k in keys:
            seen = {reach(k) for _ in range(tries)}
            self.assertEqual(len(seen), 1, f"key {k!r} reached {seen}")
            placed[k] = seen.pop()
        # 20 keys over 4 backends all on one: probability 4 * 4^-20.
        self.assertGreater(len(set(placed.values())), 1, placed)
        return placed

    def test_header(self):
        self.assert_sticky([f"user-{i}" for i in range(20)],
                           lambda k: self.backend("by-header", headers={"x-user": k})[0])

    def test_query_parameter(self):
        self.assert_sticky([f"u{i}" for i in range(20)],
                           lambda k: self.backend("by-query", f"/page?a=1&user={k}")[0])

    def test_source_ip_over_maglev(self):
        # Any 127.0.0.0/8 address is the loopback: one client address per key.
        self.assert_sticky([f"127.0.0.{i}" for i in range(2, 22)],
                           lambda ip: self.backend("by-ip", source=ip)[0])

    def test_cookie_issued_then_followed(self):
        first, r = self.backend("by-cookie")
        cookie = r.getheader("set-cookie")
        m = re.fullmatch(r'user="([0-9a-f]{16})"; Max-Age=60; Path=/; HttpOnly', cookie or "")
        self.assertIsNotNone(m, cookie)
        # The request that got the cookie went where the cookie leads.
        for _ in range(4):
            again, r2 = self.backend("by-cookie", headers={"Cookie": f'user="{m.group(1)}"'})
            self.assertEqual(again, first)
            self.assertIsNone(r2.getheader("set-cookie"))  # the client has one
        self.assert_sticky([f"{i:016x}" for i in range(20)],
                           lambda v: self.backend("by-cookie", headers={"Cookie": f"user={v}"})[0])

    def test_cookie_without_ttl_is_never_issued(self):
        _, r = self.backend("by-cookie-no-ttl")
        self.assertIsNone(r.getheader("set-cookie"))
        self.assert_sticky([f"s{i}" for i in range(20)],
                           lambda v: self.backend("by-cookie-no-ttl",
                                                  headers={"Cookie": f"user={v}"})[0])

    def test_zz_adding_an_endpoint_moves_only_its_keys(self):
        # Runs last (unittest sorts by name): it changes the configuration for the whole class.
        keys = [f"user-{i}" for i in range(60)]

        def placement():
            return {k: self.backend("by-header", headers={"x-user": k})[0] for k in keys}
        before = placement()
        version = self.proxy.config_version()
        self.write_config(5)
        harness.wait_until(lambda: self.proxy.config_version() > version, "the reload")
        after = placement()
        moved = {k: (before[k], after[k]) for k in keys if before[k] != after[k]}
        # On a ring, a key moves only to the new endpoint...
        for k, (_, now) in moved.items():
            self.assertEqual(now, "backend-e", f"{k} moved between old endpoints")
        # ...and about 1/5 of them do: 12 of 60 expected, sd ~3.1; 30 is over 5 sd away.
        self.assertLess(len(moved), 30, moved)
        self.assertGreater(len(moved), 0, "the new endpoint took no key")


BREAKER = """{connectionPool: {tcp: {maxConnections: 1},
                  http: {http1MaxPendingRequests: 1, maxRequestsPerConnection: 1}}}"""
ONE_PER_CONNECTION = "{connectionPool: {http: {maxRequestsPerConnection: 1}}}"


def concurrent_requests(port, clients, path, host_header):
    """`clients` requests sent at once, each on its own connection (so that both workers serve
    them): (status, x-envoy-overloaded, body) of each, in completion order."""
    barrier = threading.Barrier(clients)
    results = []
    lock = threading.Lock()

    def client():
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=harness.DEADLINE)
        try:
            barrier.wait(timeout=harness.DEADLINE)
            c.request("GET", path, headers={"Host": host_header})
            r = c.getresponse()
            body = r.read()
            with lock:
                results.append((r.status, r.getheader("x-envoy-overloaded"), body))
        finally:
            c.close()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(harness.DEADLINE * 2)
    return results


class ConnectionPoolTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = harness.TempDir()
        cls.backend = harness.Echo(BINARY, "pool-backend", "v1")
        docs = []
        for name, policy in (("breaker", BREAKER), ("one-per-conn", ONE_PER_CONNECTION),
                             ("pooled", "{loadBalancer: {simple: ROUND_ROBIN}}"),
                             ("budgeted", "{retryBudget: {percent: 0, minRetryConcurrency: 1}}"),
                             ("mirrored", "{loadBalancer: {simple: ROUND_ROBIN}}"),
                             ("shadow", "{connectionPool: {tcp: {maxConnections: 1}}}")):
            docs.append(harness.service_yaml(name, 9080, [("v1", cls.backend.port)]))
            docs.append(harness.destination_rule_yaml(name, policy))
        # Three retries on 5xx with a long back-off, so that concurrent requests' retries
        # overlap in back-off.
        docs.append("""apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: budgeted, namespace: default}
spec:
  hosts: [budgeted.default.svc.cluster.local]
  http:
  - route: [{destination: {host: budgeted.default.svc.cluster.local}}]
    retries: {attempts: 3, retryOn: 5xx, backoff: 500ms}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: mirrored, namespace: default}
spec:
  hosts: [mirrored.default.svc.cluster.local]
  http:
  - route: [{destination: {host: mirrored.default.svc.cluster.local}}]
    mirror: {host: shadow.default.svc.cluster.local}
""")
        cls.dir.write("mesh.yaml", "---\n".join(docs))
        cls.proxy = harness.Proxy(BINARY, [cls.dir.path], ["--workers", "2"])

    @classmethod
    def tearDownClass(cls):
        cls.proxy.stop()
        cls.backend.stop()
        cls.dir.cleanup()

    def counter(self, name, cluster):
        text = self.proxy.admin_get("/stats/prometheus")[1]
        m = re.search(rf'^envoy_cluster_{name}{{cluster_name="{re.escape(cluster)}"}} (\d+)$',
                      text, re.M)
        return int(m.group(1)) if m else 0

    def test_circuit_breaker_overflow(self):
        # 12 clients at once, each on its own connection (so both workers serve them), against a
        # backend that holds each request 1 s: one request on the one connection, one pending,
        # the rest refused at once with Envoy's 503.
        clients = 12
        results = concurrent_requests(self.proxy.port, clients, "/delay/1s", host("breaker"))
        self.assertEqual(len(results), clients)
        ok = [r for r in results if r[0] == 200]
        refused = [r for r in results if r[0] == 503]
        self.assertEqual(len(ok) + len(refused), clients, results)
        self.assertGreaterEqual(len(ok), 1)
        self.assertGreaterEqual(len(refused), 1)
        for status, overloaded, body in refused:
            self.assertEqual(overloaded, "true")
            self.assertEqual(body, b"upstream connect error or disconnect/reset before headers. "
                                   b"reset reason: overflow")
        # The counters say what the clients saw: every refusal is a pending overflow, and every
        # request that could not have a connection at once was counted (waiting or refused).
        cluster = "outbound|9080||breaker.default.svc.cluster.local"
        self.assertEqual(self.counter("upstream_rq_pending_overflow", cluster), len(refused))
        self.assertGreaterEqual(self.counter("upstream_cx_overflow", cluster), len(refused))
        # /clusters shows the thresholds as Envoy does, text and JSON.
        text = self.proxy.admin_get("/clusters")[1]
        self.assertIn(f"{cluster}::default_priority::max_connections::1\n", text)
        self.assertIn(f"{cluster}::default_priority::max_pending_requests::1\n", text)
        self.assertIn(f"{cluster}::default_priority::max_requests::4294967295\n", text)
        self.assertIn(f"{cluster}::upstream_rq_pending_overflow::{len(refused)}\n", text)
        statuses = json.loads(self.proxy.admin_get("/clusters?format=json")[1])["cluster_statuses"]
        mine = next(c for c in statuses if c["name"] == cluster)
        self.assertEqual(mine["circuit_breakers"]["thresholds"][0]["max_connections"], 1)
        # Nothing stays held: the next request, alone, goes through.
        status, _, _ = self.proxy.request("/", host=host("breaker"))
        self.assertEqual(status, 200)

    def test_retry_budget_bounds_retries_in_back_off(self):
        # 16 clients at once against a backend that fails every request; the budget (0% of
        # the active requests, at least 1) lets one retry wait in back-off at a time: the
        # others are not retried and count as retry overflow.
        clients = 16
        results = concurrent_requests(self.proxy.port, clients, "/status/503", host("budgeted"))
        self.assertEqual([status for status, _, _ in results], [503] * clients)
        cluster = "outbound|9080||budgeted.default.svc.cluster.local"
        overflow = self.counter("upstream_rq_retry_overflow", cluster)
        retries = self.counter("upstream_rq_retry", cluster)
        # Without the budget every request would retry 3 times (48 retries, no overflow).
        self.assertGreaterEqual(overflow, clients // 2, (overflow, retries))
        self.assertLess(retries, clients * 3)
        statuses = json.loads(self.proxy.admin_get("/clusters?format=json")[1])["cluster_statuses"]
        mine = next(c for c in statuses if c["name"] == cluster)
        self.assertEqual(mine["circuit_breakers"]["thresholds"][0]["retry_budget"],
                         {"budget_percent": {"value": 0.0}, "min_retry_concurrency": 1})

    def test_mirror_copies_count_against_their_clusters_limits(self):
        # 6 requests at once, each copied to `shadow`, which allows one connection: the copy
        # that has it holds it for the backend's 1 s; the others are dropped (a copy never
        # waits) and counted as connection overflow. Every primary request is answered.
        clients = 6
        results = concurrent_requests(self.proxy.port, clients, "/delay/1s", host("mirrored"))
        self.assertEqual([status for status, _, _ in results], [200] * clients)
        shadow = "outbound|9080||shadow.default.svc.cluster.local"
        overflow = self.counter("upstream_cx_overflow", shadow)
        mirrored = self.counter("upstream_rq_mirrored", shadow)
        self.assertGreaterEqual(overflow, 1, (overflow, mirrored))
        self.assertEqual(overflow + mirrored, clients, (overflow, mirrored))

    def test_shutdown_with_requests_waiting_for_a_connection(self):
        # A proxy of its own, stopped while one request holds the only connection and another
        # waits for it: it exits cleanly (under ASan: nothing touched after it was freed, and
        # the requests still in flight past the drain time leave no memory behind).
        proxy = harness.Proxy(BINARY, [self.dir.path], ["--workers", "2", "--drain-time", "0.2"])
        try:
            conns = []
            for _ in range(2):
                c = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=harness.DEADLINE)
                c.request("GET", "/delay/5s", headers={"Host": host("breaker")})
                conns.append(c)
            cluster = "outbound|9080||breaker.default.svc.cluster.local"
            harness.wait_until(
                lambda: re.search(rf"^envoy_cluster_upstream_cx_overflow{{cluster_name="
                                  rf'"{re.escape(cluster)}"}} 1$',
                                  proxy.admin_get("/stats/prometheus")[1], re.M),
                "the second request waiting")
            self.assertEqual(proxy.stop(), 0)
        finally:
            proxy.stop()
            for c in conns:
                c.close()

    def remotes(self, name, n=5):
        """The upstream connections (the backend's view of the proxy's address) of n requests
        sent on one client connection."""
        c = http.client.HTTPConnection("127.0.0.1", self.proxy.port, timeout=harness.DEADLINE)
        try:
            seen = []
            for _ in range(n):
                status, _, body = self.proxy.request("/", host=host(name), conn=c)
                self.assertEqual(status, 200)
                seen.append(json.loads(body)["remote"])
            return seen
        finally:
            c.close()

    def test_max_requests_per_connection(self):
        self.assertEqual(len(set(self.remotes("one-per-conn"))), 5)  # a new connection each
        self.assertEqual(len(set(self.remotes("pooled"))), 1)        # keep-alive otherwise


OUTLIER = """{outlierDetection: {consecutive5xxErrors: 3, interval: 1s, baseEjectionTime: 2s,
                                  maxEjectionPercent: 100}}"""


class OutlierDetectionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = harness.TempDir()
        cls.good = harness.Echo(BINARY, "good", "v1")
        cls.bad = harness.Echo(BINARY, "bad", "v1", ["--fail-rate", "1"])  # every answer a 503
        cls.dir.write("mesh.yaml", "---\n".join([
            harness.service_yaml("flaky", 9080, [("v1", cls.good.port), ("v1", cls.bad.port)]),
            harness.destination_rule_yaml("flaky", OUTLIER)]))
        cls.proxy = harness.Proxy(BINARY, [cls.dir.path], ["--workers", "2"])

    @classmethod
    def tearDownClass(cls):
        cls.proxy.stop()
        cls.good.stop()
        cls.bad.stop()
        cls.dir.cleanup()

    def statuses(self, n):
        return [self.proxy.request("/", host=host("flaky"))[0] for _ in range(n)]

    def test_failing_endpoint_is_ejected_then_returns(self):
        cluster = "outbound|9080||flaky.default.svc.cluster.local"
        bad = f"127.0.0.1:{self.bad.port}"
        # Each request on its own connection, so both workers see the endpoint's errors; they
        # count together: the third 503 in a row ejects it, and no fourth reaches a client.
        first = self.statuses(40)
        self.assertEqual(first.count(503), 3, first)
        self.assertEqual(first[-20:], [200] * 20)
        text = self.proxy.admin_get("/clusters")[1]
        self.assertIn(f"{cluster}::{bad}::health_flags::/failed_outlier_check\n", text)
        self.assertIn(f"{cluster}::outlier_detection_ejections_enforced_total::1\n", text)
        self.assertIn(f"{cluster}::outlier_detection_ejections_enforced_consecutive_5xx::1\n",
                      text)
        prom = self.proxy.admin_get("/stats/prometheus")[1]
        self.assertIn(f'envoy_cluster_outlier_detection_ejections_active{{cluster_name="{cluster}"}}'
                      " 1\n", prom)
        # baseEjectionTime (2 s) later it takes traffic again, and fails again.
        harness.wait_until(lambda: 503 in self.statuses(4), "the ejected endpoint's return")
        def ejected_twice():
            self.statuses(4)  # traffic, so that its errors keep coming
            text = self.proxy.admin_get("/clusters")[1]
            return f"{cluster}::outlier_detection_ejections_enforced_total::2\n" in text
        harness.wait_until(ejected_twice, "the second ejection")


def located_service_yaml(name, port, endpoints):
    """A ServiceEntry for `name` with one WorkloadEntry per (locality, echo port)."""
    docs = [harness.service_yaml(name, port, [])]
    for i, (locality, echo_port) in enumerate(endpoints):
        docs.append(f"""apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {{name: {name}-{i}, namespace: default}}
spec:
  address: 127.0.0.1
  ports: {{http: {echo_port}}}
  labels: {{app: {name}, version: v1}}
  locality: {locality}
""")
    return "---\n".join(docs)


class LocalityTest(unittest.TestCase):
    """The proxy sits in region1/zone1/sub1, as the sleep client of Istio's tasks does."""

    @classmethod
    def setUpClass(cls):
        cls.dir = harness.TempDir()
        cls.failover = {loc: harness.Echo(BINARY, loc, "v1") for loc in
                        ["region1/zone1", "region1/zone2", "region2/zone3", "region3/zone4"]}
        cls.spread = {loc: harness.Echo(BINARY, loc, "v1") for loc in
                      ["region1/zone1", "region2/zone3", "region3/zone4"]}
        failover_rule = """{loadBalancer: {simple: ROUND_ROBIN, localityLbSetting: {enabled: true,
              failover: [{from: region1, to: region3}]}},
            outlierDetection: {consecutive5xxErrors: 1, interval: 1s, baseEjectionTime: 1m,
                               maxEjectionPercent: 100}}"""
        distribute_rule = """{loadBalancer: {localityLbSetting: {enabled: true, distribute: [
              {from: region1/zone1/*, to: {"region1/zone1/*": 70, "region2/zone3/*": 30}}]}}}"""
        cls.dir.write("mesh.yaml", "---\n".join([
            located_service_yaml("helloworld", 5000, [(f"{loc}/sub{i}", b.port) for i, (loc, b)
                                                      in enumerate(cls.failover.items())]),
            harness.destination_rule_yaml("helloworld", failover_rule),
            located_service_yaml("spread", 5000, [(f"{loc}/sub{i}", b.port) for i, (loc, b)
                                                  in enumerate(cls.spread.items())]),
            harness.destination_rule_yaml("spread", distribute_rule)]))
        cls.proxy = harness.Proxy(BINARY, [cls.dir.path],
                                  ["--workers", "2", "--locality", "region1/zone1/sub0"])

    @classmethod
    def tearDownClass(cls):
        cls.proxy.stop()
        for b in list(cls.failover.values()) + list(cls.spread.values()):
            b.stop()
        cls.dir.cleanup()

    def reached(self, name, n):
        out = []
        for _ in range(n):
            status, headers, _ = self.proxy.request("/", host=f"{name}.default.svc.cluster.local:5000")
            out.append(headers.get("x-echo-name") if status == 200 else status)
        return out

    def test_failover_follows_zone_then_the_failover_region_then_the_rest(self):
        cluster = "outbound|5000||helloworld.default.svc.cluster.local"
        text = self.proxy.admin_get("/clusters")[1]
        for i, (loc, b) in enumerate(self.failover.items()):
            region, zone = loc.split("/")
            key = f"{cluster}::127.0.0.1:{b.port}"
            self.assertIn(f"{key}::region::{region}\n{key}::zone::{zone}\n"
                          f"{key}::sub_zone::sub{i}\n", text)
        # Same zone only: subzone sub0 matches no endpoint, so zone1 is priority 0; region3 (the
        # failover target) comes before region2.
        for loc, priority in [("region1/zone1", 0), ("region1/zone2", 1), ("region3/zone4", 2),
                              ("region2/zone3", 3)]:
            self.assertIn(f"{cluster}::127.0.0.1:{self.failover[loc].port}::priority::{priority}\n",
                          text)
        self.assertEqual(set(self.reached("helloworld", 20)), {"region1/zone1"})
        # Each backend in turn goes away; outlier detection ejects it and traffic moves on.
        for gone, next_up in [("region1/zone1", "region1/zone2"), ("region1/zone2", "region3/zone4"),
                              ("region3/zone4", "region2/zone3")]:
            self.failover[gone].stop()
            harness.wait_until(lambda: set(self.reached("helloworld", 6)) == {next_up},
                               f"traffic to move from {gone} to {next_up}")

    def test_distribute_weighs_localities_and_drops_the_others(self):
        n = 400
        got = self.reached("spread", n)
        # 70/30 between zone1 and region2; region3 is in no `to` and gets nothing. Tolerance:
        # 4 standard deviations of a binomial share (0.092 for 400 requests).
        self.assertEqual(set(got) - {"region1/zone1", "region2/zone3"}, set(), got)
        share = got.count("region1/zone1") / n
        self.assertLess(abs(share - 0.7), 4 * (0.21 / n) ** 0.5, share)


class RetryRemoteLocalitiesTest(unittest.TestCase):
    """VirtualService retries.retryRemoteLocalities (Envoy's previous_priorities, update
    frequency 2): the proxy's own zone has one endpoint, failing every request; another region
    has a healthy one. Outlier detection is on (Istio applies failover only with it) but never
    ejects, so only the retry policy can move a request out of the zone."""

    @classmethod
    def setUpClass(cls):
        cls.dir = harness.TempDir()
        cls.local = harness.Echo(BINARY, "local", "v1", ["--fail-rate", "1", "--fail-status", "503"])
        cls.remote = harness.Echo(BINARY, "remote", "v1")
        rule = """{loadBalancer: {localityLbSetting: {enabled: true}},
            outlierDetection: {consecutive5xxErrors: 1000, interval: 1s, baseEjectionTime: 1m}}"""
        docs = []
        for name, remote in (("anywhere", "true"), ("zone-only", "false")):
            docs += [located_service_yaml(name, 5000, [("region1/zone1/sub0", cls.local.port),
                                                        ("region2/zone2/sub0", cls.remote.port)]),
                     harness.destination_rule_yaml(name, rule),
                     f"""apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: {name}, namespace: default}}
spec:
  hosts: [{name}.default.svc.cluster.local]
  http:
  - route: [{{destination: {{host: {name}.default.svc.cluster.local}}}}]
    retries: {{attempts: 3, retryOn: 5xx, retryRemoteLocalities: {remote}}}
"""]
        cls.dir.write("mesh.yaml", "---\n".join(docs))
        cls.proxy = harness.Proxy(BINARY, [cls.dir.path],
                                  ["--workers", "2", "--locality", "region1/zone1/sub0"])

    @classmethod
    def tearDownClass(cls):
        cls.proxy.stop()
        cls.local.stop()
        cls.remote.stop()
        cls.dir.cleanup()

    def test_the_third_attempt_leaves_the_zone(self):
        for _ in range(5):
            status, headers, body = self.proxy.request(
                "/", host="anywhere.default.svc.cluster.local:5000")
            self.assertEqual(status, 200, body)
            self.assertEqual(headers.get("x-echo-name"), "remote")

    def test_without_it_retries_stay_in_the_zone(self):
        for _ in range(3):
            status, headers, body = self.proxy.request(
                "/", host="zone-only.default.svc.cluster.local:5000")
            self.assertEqual(status, 503, body)
            self.assertEqual(headers.get("x-echo-name"), "local")


def proc_net_tcp_timers(remote_port):
    """(timer kind, clock ticks left) of every established IPv4 connection to 127.0.0.1:port,
    from /proc/net/tcp: kind 2 is the keepalive timer, 0 none."""
    out = []
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            remote, state, timer = fields[2], fields[3], fields[5]
            if state == "01" and remote == f"0100007F:{remote_port:04X}":
                kind, when = timer.split(":")
                out.append((int(kind, 16), int(when, 16)))
    return out


class TcpKeepaliveTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = harness.TempDir()
        cls.kept = harness.Echo(BINARY, "kept", "v1")
        cls.plain = harness.Echo(BINARY, "plain", "v1")
        cls.dir.write("mesh.yaml", "---\n".join([
            harness.service_yaml("kept", 9080, [("v1", cls.kept.port)]),
            harness.destination_rule_yaml(
                "kept", "{connectionPool: {tcp: {tcpKeepalive: {time: 7s, interval: 3s, probes: 4}}}}"),
            harness.service_yaml("plain", 9080, [("v1", cls.plain.port)])]))
        cls.proxy = harness.Proxy(BINARY, [cls.dir.path], ["--workers", "1"])

    @classmethod
    def tearDownClass(cls):
        cls.proxy.stop()
        cls.kept.stop()
        cls.plain.stop()
        cls.dir.cleanup()

    def test_upstream_connections_probe_after_the_keepalive_time(self):
        for name in ("kept", "plain"):
            status, _, _ = self.proxy.request("/", host=host(name))
            self.assertEqual(status, 200)
        # The pooled connection to `kept` has the keepalive timer armed for at most 7 s (the
        # kernel counts in clock ticks, 100 per second); the one to `plain` has no timer.
        kept = proc_net_tcp_timers(self.kept.port)
        self.assertEqual(len(kept), 1, kept)
        self.assertEqual(kept[0][0], 2, kept)
        self.assertLessEqual(kept[0][1], 7 * os.sysconf("SC_CLK_TCK"), kept)
        self.assertEqual([kind for kind, _ in proc_net_tcp_timers(self.plain.port)], [0])


class WarmupTest(unittest.TestCase):
    """loadBalancer.warmup: an endpoint added by a reload takes a small share of the traffic
    until it has warmed up. Aggression 0.2 keeps the new endpoint near its 5% floor for most of
    the 4 s window (factor max(0.05, (t/4)^5))."""
    RULE = ("{loadBalancer: {simple: ROUND_ROBIN, warmup: {duration: 4s, minimumPercent: 5, "
            "aggression: 0.2}}}")

    @classmethod
    def setUpClass(cls):
        cls.dir = harness.TempDir()
        cls.old = harness.Echo(BINARY, "old", "v1")
        cls.new = harness.Echo(BINARY, "new", "v1")
        cls.write(["old"])
        cls.proxy = harness.Proxy(BINARY, [cls.dir.path], ["--workers", "2"])

    @classmethod
    def write(cls, names):
        backends = {"old": cls.old, "new": cls.new}
        cls.dir.write("mesh.yaml", "---\n".join([
            harness.service_yaml("warm", 9080, [("v1", backends[n].port) for n in names]),
            harness.destination_rule_yaml("warm", cls.RULE)]))

    @classmethod
    def tearDownClass(cls):
        cls.proxy.stop()
        cls.old.stop()
        cls.new.stop()
        cls.dir.cleanup()

    def warmup_percent(self, echo):
        text = self.proxy.admin_get("/clusters")[1]
        m = re.search(rf"outbound\|9080\|\|warm\.default\.svc\.cluster\.local::127\.0\.0\.1:"
                      rf"{echo.port}::warmup_percent::(\d+)", text)
        return int(m.group(1)) if m else None

    def test_an_added_endpoint_ramps_up(self):
        status, _, _ = self.proxy.request("/", host=host("warm"))
        self.assertEqual(status, 200)
        # The first endpoint warms up (its window starts with the first request)...
        harness.wait_until(lambda: self.warmup_percent(self.old) == 100, "the old endpoint warm")
        version = self.proxy.config_version()
        self.write(["old", "new"])
        harness.wait_until(lambda: self.proxy.config_version() > version, "the reload")
        # ...and the endpoint the reload adds starts near its floor.
        seen = [self.proxy.request("/", host=host("warm"))[1].get("x-echo-name")
                for _ in range(100)]
        self.assertLess(seen.count("new"), 25, seen.count("new"))
        self.assertEqual(set(seen) - {"old", "new"}, set())
        percent = self.warmup_percent(self.new)
        self.assertIsNotNone(percent)
        self.assertLess(percent, 100)
        # Once warm, the two share the traffic evenly (round robin).
        harness.wait_until(lambda: self.warmup_percent(self.new) == 100, "the new endpoint warm")
        seen = [self.proxy.request("/", host=host("warm"))[1].get("x-echo-name")
                for _ in range(40)]
        self.assertGreaterEqual(seen.count("new"), 12, seen)


if __name__ == "__main__":
    BINARY = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
