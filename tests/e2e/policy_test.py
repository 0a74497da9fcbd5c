"""End-to-end tests of the VirtualService policies `meshroute run` enforces on live traffic:
Istio's traffic-management tasks (Request Timeouts, Fault Injection, Retries, Mirroring, CORS)
and the client's own failures (a malformed body, a client that goes away), each against real
`meshroute echo` backends and a real proxy on 127.0.0.1, with Envoy's answers, bodies and
response flags as the expected results.

The backends run with --log-requests, so a test sees every request that reached a backend
(method, path, host, body hash, headers such as x-envoy-attempt-count) and every request it
never saw. The echo writes a request's log line before its answer, so once a client holds an
answer (or a later "barrier" request's line has arrived) the lines before it are all there.

Timing assertions are generous bounds (the suite runs under ASan on a loaded 2-core machine);
statistical ones state their tolerance in standard deviations.
Usage: policy_test.py MESHROUTE_BINARY"""
import hashlib
import http.client
import itertools
import json
import math
import os
import re
import socket
import sys
import textwrap
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

BINARY = None
_ids = itertools.count()


def rid(prefix):
    """A unique x-request-id: the proxy keeps the client's, the echo logs it, the access log
    shows it, so one id follows a request through all three."""
    return f"{prefix}-{next(_ids)}-{os.getpid()}"


def fqdn(name):
    return f"{name}.default.svc.cluster.local"


def virtual_service(name, http, hosts=None):
    hosts = hosts or [fqdn(name)]
    body = textwrap.indent(textwrap.dedent(http).strip("\n"), "  ")
    return f"""apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: {name}, namespace: default}}
spec:
  hosts: [{", ".join(hosts)}]
  http:
{body}
"""


def subsets_rule(name, versions):
    subsets = "\n".join(f"  - {{name: {v}, labels: {{version: {v}}}}}" for v in versions)
    return f"""apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {{name: {name}, namespace: default}}
spec:
  host: {fqdn(name)}
  subsets:
{subsets}
"""


def wait_for(pred, what, timeout=harness.DEADLINE):
    """harness.wait_until that returns the predicate's last (truthy) value."""
    box = []

    def check():
        value = pred()
        box[:] = [value]
        return bool(value)

    harness.wait_until(check, what, timeout)
    return box[0]


class LoggedEcho(harness.Echo):
    """`meshroute echo --log-requests`: the backend's own record of what reached it."""

    def __init__(self, binary, name, version="v1", extra=()):
        super().__init__(binary, name, version, ["--log-requests", *extra])
        self._parsed, self._lines_read = [], 0

    def events(self, event="request"):
        """The log so far (parsed once per line), of one event kind or (None) all."""
        lines = self.p.lines("out")
        for line in lines[self._lines_read:]:
            if line.startswith("{"):
                self._parsed.append(json.loads(line))
        self._lines_read = len(lines)
        return [e for e in self._parsed if event is None or e["event"] == event]

    def seen(self, request_id, event="request"):
        return [e for e in self.events(event) if e["headers"].get("x-request-id") == request_id]


# Istio's default access log format: [START] "METHOD PATH PROTOCOL" CODE FLAGS DETAILS ...
ACCESS_LOG = re.compile(r'^\[[^\]]+\] "(?P<method>\S+) (?P<path>\S+) (?P<protocol>\S+)" '
                        r'(?P<code>\d+) (?P<flags>\S+) (?P<details>\S+) ')


def access_log(proxy, needle, timeout=harness.DEADLINE):
    """The proxy's access log line holding `needle` (a quoted request id, a unique path),
    parsed: method, path, code, flags (a set: Envoy's order changed between versions),
    details, line."""
    def find():
        for line in proxy.p.lines("out"):
            m = ACCESS_LOG.match(line)
            if m and needle in line:
                entry = m.groupdict()
                entry["flags"] = set(entry["flags"].split(","))
                entry["line"] = line
                return entry
        return None
    return wait_for(find, f"an access log line with {needle}", timeout)


def endpoint_stat(proxy, service, port, stat):
    """A per-endpoint counter from /clusters (Envoy's text form), summed over the clusters of
    `service` (its subsets): e.g. rq_error of 127.0.0.1:PORT."""
    total = 0
    for line in proxy.admin_get("/clusters")[1].splitlines():
        parts = line.split("::")
        if (len(parts) == 4 and parts[0].endswith("|" + fqdn(service))
                and parts[1] == f"127.0.0.1:{port}" and parts[2] == stat):
            total += int(parts[3])
    return total


def send(proxy, path, host, headers=None, method="GET", body=None, conn=None):
    """One request; returns (status, headers, body, seconds)."""
    start = time.monotonic()
    status, h, data = proxy.request(path, host=host, method=method, headers=headers, body=body,
                                    conn=conn)
    return status, h, data, time.monotonic() - start


def barrier(proxy, echo, host):
    """Sends one request through the proxy to `echo` and waits for its log line (whatever its
    status): every line the echo wrote before it, for requests answered earlier, has then been
    read too (the harness reads the echo's stdout on its own thread, a little behind)."""
    request_id = rid("barrier")
    send(proxy, "/barrier", host, {"x-request-id": request_id})
    wait_for(lambda: echo.seen(request_id), f"{echo.name} to log the barrier request")


def binomial_bounds(n, p, sigmas=5):
    sd = math.sqrt(n * p * (1 - p))
    return n * p - sigmas * sd, n * p + sigmas * sd


class PolicyCase(unittest.TestCase):
    """Each class: its own directory, echo backends and one proxy, stopped by class cleanups
    (which run even when setUpClass fails half-way)."""

    @classmethod
    def begin(cls):
        cls.dir = harness.TempDir()
        cls.addClassCleanup(cls.dir.cleanup)

    @classmethod
    def logged_echo(cls, name, version="v1", extra=()):
        echo = LoggedEcho(BINARY, name, version, extra)
        cls.addClassCleanup(echo.stop)
        return echo

    @classmethod
    def start(cls, docs, extra=()):
        cls.dir.write("mesh.yaml", "---\n".join(docs))
        cls.proxy = harness.Proxy(BINARY, [cls.dir.path], ["--workers", "2", *extra])
        cls.addClassCleanup(cls.proxy.stop)


# --- Request Timeouts (istio.io/latest/docs/tasks/traffic-management/request-timeouts/) ------
class TimeoutTest(PolicyCase):
    @classmethod
    def setUpClass(cls):
        cls.begin()
        cls.echo = cls.logged_echo("httpbin-v1")
        docs = [harness.service_yaml(n, 8000, [("v1", cls.echo.port)])
                for n in ("timeout", "budget", "pertry", "longtimeout")]
        docs.append(virtual_service("timeout", """
            - route: [{destination: {host: timeout.default.svc.cluster.local}}]
              timeout: 0.5s
            """))
        # The route timeout bounds every attempt together: 1 s, not 6 tries x 0.4 s.
        docs.append(virtual_service("budget", """
            - route: [{destination: {host: budget.default.svc.cluster.local}}]
              timeout: 1s
              retries: {attempts: 5, perTryTimeout: 0.4s, retryOn: 5xx}
            """))
        # Longer than the second within which deadlines go on a timer at once: the worker's tick
        # brings it within reach.
        docs.append(virtual_service("longtimeout", """
            - route: [{destination: {host: longtimeout.default.svc.cluster.local}}]
              timeout: 1.5s
            """))
        docs.append(virtual_service("pertry", """
            - route: [{destination: {host: pertry.default.svc.cluster.local}}]
              retries: {attempts: 2, perTryTimeout: 0.3s, retryOn: 5xx}
            """))
        cls.start(docs)

    def attempts(self, request_id, at_least, timeout=10):
        """The backend's record of the attempts the proxy abandoned (it closed each upstream
        connection: HTTP/1.1 has no other way to cancel a request)."""
        return wait_for(lambda: len(self.echo.seen(request_id, "peer_closed")) >= at_least
                        and self.echo.seen(request_id, "peer_closed"),
                        f"the backend to see {at_least} abandoned attempt(s) of {request_id}",
                        timeout)

    def test_route_timeout_answers_504_ut_and_abandons_the_upstream_request(self):
        request_id = rid("timeout")
        status, _, body, took = send(self.proxy, "/delay/2s", f"{fqdn('timeout')}:8000",
                                     {"x-request-id": request_id})
        self.assertEqual((status, body), (504, b"upstream request timeout"),
                         "a 0.5s route timeout against a 2s backend must answer Envoy's 504")
        self.assertTrue(0.4 <= took <= 1.9, f"a 0.5s route timeout answered after {took:.2f}s")
        entry = access_log(self.proxy, f'"{request_id}"')
        self.assertIn("UT", entry["flags"], entry["line"])
        self.assertEqual(entry["details"], "response_timeout", entry["line"])
        seen = self.attempts(request_id, 1)
        # Istio's default retry policy (no `retries` here) does not retry a route timeout.
        self.assertEqual(len(seen), 1, f"a route timeout is not retried: {seen}")
        self.assertEqual(self.echo.seen(request_id), [], "the backend never answered it")

    def test_a_route_timeout_beyond_a_second_fires_on_time(self):
        request_id = rid("long")
        status, _, body, took = send(self.proxy, "/delay/4s", f"{fqdn('longtimeout')}:8000",
                                     {"x-request-id": request_id})
        self.assertEqual((status, body), (504, b"upstream request timeout"))
        self.assertTrue(1.4 <= took <= 3.4, f"a 1.5s route timeout answered after {took:.2f}s")
        entry = access_log(self.proxy, f'"{request_id}"')
        self.assertIn("UT", entry["flags"], entry["line"])

    def test_route_timeout_covers_all_retries(self):
        # perTryTimeout 0.4s with 5 retries could take 2.4s; the 1s route timeout cuts it short.
        request_id = rid("budget")
        status, _, body, took = send(self.proxy, "/delay/2s", f"{fqdn('budget')}:8000",
                                     {"x-request-id": request_id})
        self.assertEqual((status, body), (504, b"upstream request timeout"))
        self.assertTrue(0.9 <= took <= 1.9,
                        f"a 1s route timeout over retries answered after {took:.2f}s")
        entry = access_log(self.proxy, f'"{request_id}"')
        self.assertIn("UT", entry["flags"], entry["line"])
        # The first try times out at 0.4s and is retried (per-try timeouts are retried under
        # 5xx), the second at ~0.8s; a third may start before the route timeout at 1s.
        seen = self.attempts(request_id, 2)
        counts = [e["headers"].get("x-envoy-attempt-count") for e in seen]
        self.assertLessEqual(len(seen), 3, f"attempts after the route timeout: {counts}")
        self.assertEqual(counts, [str(i) for i in range(1, len(seen) + 1)],
                         "each try carries x-envoy-attempt-count 1, 2, ...")

    def test_per_try_timeout_is_retried_then_504_ut_urx(self):
        # Envoy retries a per-try timeout under retryOn 5xx ("5xx: ... or does not respond at
        # all (disconnect/reset/read timeout)"; RetryStateImpl::wouldRetryFromReset). With the
        # retries used up, Router::Filter::onPerTryTimeoutCommon -> maybeRetryReset sets URX
        # (NoRetryLimitExceeded), then onUpstreamTimeoutAbort sets UT and answers 504 "upstream
        # request timeout" with details upstream_per_try_timeout. Envoy >= 1.30 lists flags in
        # the order they were set ("URX,UT"), older ones in a fixed order ("UT,URX"): the test
        # asserts the set.
        request_id = rid("pertry")
        status, _, body, took = send(self.proxy, "/delay/2s", f"{fqdn('pertry')}:8000",
                                     {"x-request-id": request_id})
        self.assertEqual((status, body), (504, b"upstream request timeout"),
                         "3 tries of perTryTimeout 0.3s against a 2s backend must end in a 504")
        self.assertTrue(0.85 <= took <= 1.9,
                        f"3 tries x 0.3s (plus back-off) answered after {took:.2f}s")
        entry = access_log(self.proxy, f'"{request_id}"')
        self.assertTrue({"UT", "URX"} <= entry["flags"], entry["line"])
        self.assertEqual(entry["details"], "upstream_per_try_timeout", entry["line"])
        seen = self.attempts(request_id, 3)
        self.assertEqual([e["headers"].get("x-envoy-attempt-count") for e in seen],
                         ["1", "2", "3"], "attempts: 2 means three tries, each counted")


# --- Fault Injection (istio.io/latest/docs/tasks/traffic-management/fault-injection/) -------
class FaultInjectionTest(PolicyCase):
    HOST = f"{fqdn('ratings')}:9080"

    @classmethod
    def setUpClass(cls):
        cls.begin()
        cls.echo = cls.logged_echo("ratings-v1")
        cls.start([harness.service_yaml("ratings", 9080, [("v1", cls.echo.port)]),
                   virtual_service("ratings", """
            - match: [{headers: {end-user: {exact: jason}}}]
              fault: {abort: {httpStatus: 500, percentage: {value: 100}}}
              route: [{destination: {host: ratings.default.svc.cluster.local}}]
            - match: [{headers: {end-user: {exact: kate}}}]
              fault: {delay: {fixedDelay: 1s, percentage: {value: 100}}}
              route: [{destination: {host: ratings.default.svc.cluster.local}}]
            - match: [{uri: {prefix: /half}}]
              fault: {abort: {httpStatus: 500, percentage: {value: 50}}}
              route: [{destination: {host: ratings.default.svc.cluster.local}}]
            - route: [{destination: {host: ratings.default.svc.cluster.local}}]
            """)])

    def test_abort_for_jason_never_reaches_the_backend(self):
        request_id = rid("jason")
        status, _, body, _ = send(self.proxy, "/ratings/0", self.HOST,
                                  {"end-user": "jason", "x-request-id": request_id})
        self.assertEqual((status, body), (500, b"fault filter abort"),
                         "an abort fault at 100% must answer Envoy's 500 for jason")
        entry = access_log(self.proxy, f'"{request_id}"')
        self.assertIn("FI", entry["flags"], entry["line"])
        self.assertEqual(entry["details"], "fault_filter_abort", entry["line"])
        # Other users are not affected, and are answered by the backend.
        other = rid("mike")
        status, h, body, _ = send(self.proxy, "/ratings/0", self.HOST,
                                  {"end-user": "mike", "x-request-id": other})
        self.assertEqual((status, h.get("x-echo-name")), (200, "ratings-v1"), body[:200])
        barrier(self.proxy, self.echo, self.HOST)
        self.assertEqual(len(self.echo.seen(other)), 1)
        self.assertEqual(self.echo.seen(request_id), [], "an aborted request reached the backend")

    def test_delay_for_kate_then_normal_answer(self):
        request_id = rid("kate")
        status, h, body, took = send(self.proxy, "/ratings/0", self.HOST,
                                     {"end-user": "kate", "x-request-id": request_id})
        self.assertEqual((status, h.get("x-echo-name")), (200, "ratings-v1"), body[:200])
        self.assertTrue(1.0 <= took <= 2.9,
                        f"a 1s delay fault at 100% answered after {took:.2f}s")
        entry = access_log(self.proxy, f'"{request_id}"')
        self.assertIn("DI", entry["flags"], entry["line"])
        self.assertEqual(entry["code"], "200", entry["line"])
        barrier(self.proxy, self.echo, self.HOST)
        self.assertEqual(len(self.echo.seen(request_id)), 1, "the delayed request went on")

    def test_abort_percentage_50(self):
        n = 400
        conn = harness.connect(self.proxy.port)
        aborted, passed = [], []
        for i in range(n):
            request_id = rid("half")
            status, h, body, _ = send(self.proxy, f"/half/{i}", self.HOST,
                                      {"x-request-id": request_id}, conn=conn)
            if (status, body) == (500, b"fault filter abort"):
                aborted.append(request_id)
            else:
                self.assertEqual((status, h.get("x-echo-name")), (200, "ratings-v1"), body[:200])
                passed.append(request_id)
        conn.close()
        # Binomial(400, 0.5): standard deviation 10, so 200 +- 50 is 5 sigma.
        low, high = binomial_bounds(n, 0.5)
        self.assertTrue(low <= len(aborted) <= high,
                        f"{len(aborted)}/{n} aborted by a 50% abort fault, "
                        f"want {low:.0f}-{high:.0f}")
        barrier(self.proxy, self.echo, self.HOST)
        reached = {e["headers"].get("x-request-id") for e in self.echo.events()
                   if e["path"].startswith("/half/")}
        self.assertEqual(reached, set(passed), "exactly the requests not aborted reach the backend")


# --- Retries (istio.io/latest/docs/concepts/traffic-management/#retries) ---------------------
class RetryTest(PolicyCase):
    @classmethod
    def setUpClass(cls):
        cls.begin()
        cls.flaky = cls.logged_echo("flaky-v1", extra=["--fail-rate", "0.5"])
        cls.first2 = cls.logged_echo("first2-v1", extra=["--fail-first", "2"])
        cls.post2 = cls.logged_echo("post2-v1", extra=["--fail-first", "2"])
        cls.first10 = cls.logged_echo("first10-v1", extra=["--fail-first", "10"])
        bad_gateway_once = ["--fail-first", "1", "--fail-status", "502"]
        cls.only503 = cls.logged_echo("only503-v1", extra=bad_gateway_once)
        cls.also502 = cls.logged_echo("also502-v1", extra=bad_gateway_once)
        cls.beside_refused = cls.logged_echo("refused-v1")
        # A port nothing listens on: the kernel picks a free one, and it is closed again.
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            refused_port = s.getsockname()[1]
        docs = [harness.service_yaml("noretry", 80, [("v1", cls.flaky.port)]),
                harness.service_yaml("retry5xx", 80, [("v1", cls.flaky.port)]),
                harness.service_yaml("first2", 80, [("v1", cls.first2.port)]),
                harness.service_yaml("post2", 80, [("v1", cls.post2.port)]),
                harness.service_yaml("exhaust", 80, [("v1", cls.first10.port)]),
                harness.service_yaml("only503", 80, [("v1", cls.only503.port)]),
                harness.service_yaml("also502", 80, [("v1", cls.also502.port)]),
                harness.service_yaml("refused", 80, [("v1", refused_port),
                                                     ("v1", cls.beside_refused.port)])]
        # attempts: 0 turns retries off; without `retries` Istio's default policy would retry
        # 503 twice.
        docs.append(virtual_service("noretry", """
            - route: [{destination: {host: noretry.default.svc.cluster.local}}]
              retries: {attempts: 0}
            """))
        for name, attempts in (("retry5xx", 3), ("first2", 3), ("post2", 3), ("exhaust", 2)):
            docs.append(virtual_service(name, f"""
            - route: [{{destination: {{host: {fqdn(name)}}}}}]
              retries: {{attempts: {attempts}, retryOn: 5xx}}
            """))
        # Numeric retryOn entries become Envoy's retriable-status-codes.
        docs.append(virtual_service("only503", """
            - route: [{destination: {host: only503.default.svc.cluster.local}}]
              retries: {attempts: 2, retryOn: "503"}
            """))
        docs.append(virtual_service("also502", """
            - route: [{destination: {host: also502.default.svc.cluster.local}}]
              retries: {attempts: 2, retryOn: "502,503"}
            """))
        cls.start(docs)

    def many(self, service, n, prefix):
        conn = harness.connect(self.proxy.port)
        results = {}
        for i in range(n):
            request_id = rid(prefix)
            status, _, _, _ = send(self.proxy, f"/{prefix}/{i}", fqdn(service),
                                   {"x-request-id": request_id}, conn=conn)
            results[request_id] = status
        conn.close()
        return results

    @staticmethod
    def logged_tries(echo, request_id):
        """(x-envoy-attempt-count, status) of each try `echo` logged for the request."""
        seen = echo.seen(request_id)
        return ([e["headers"].get("x-envoy-attempt-count") for e in seen],
                [e["status"] for e in seen])

    def tries(self, echo, service, request_id):
        """logged_tries once every line about the request is in (a barrier through `service`;
        the tests use it after the echo's failures that matter are spent)."""
        barrier(self.proxy, echo, fqdn(service))
        return self.logged_tries(echo, request_id)

    def test_without_retries_about_half_succeed(self):
        n = 400
        results = self.many("noretry", n, "noretry")
        ok = sum(1 for s in results.values() if s == 200)
        low, high = binomial_bounds(n, 0.5)  # sd 10: 200 +- 50 is 5 sigma
        self.assertTrue(low <= ok <= high,
                        f"{ok}/{n} succeeded against --fail-rate 0.5 with retries off, "
                        f"want {low:.0f}-{high:.0f}")
        self.assertEqual(set(results.values()), {200, 503})
        barrier(self.proxy, self.flaky, fqdn("noretry"))
        for request_id in results:
            self.assertEqual(len(self.flaky.seen(request_id)), 1,
                             f"{request_id} was tried more than once with attempts: 0")

    def test_retries_on_5xx_raise_success(self):
        # Each try fails with p = 0.5; with 3 retries a request fails only if all 4 tries do:
        # success 1 - 0.5^4 = 0.9375, sd over 400 requests 4.8 (1.2 points): 85% is 7 sigma
        # below. Without retries it would be ~50%.
        n = 400
        results = self.many("retry5xx", n, "retry")
        ok = sum(1 for s in results.values() if s == 200)
        self.assertGreaterEqual(ok / n, 0.85,
                                f"only {ok}/{n} succeeded with attempts: 3, retryOn: 5xx "
                                f"against --fail-rate 0.5 (want ~93.75%, >= 85%)")
        barrier(self.proxy, self.flaky, fqdn("retry5xx"))
        most = 0
        for request_id, status in results.items():
            counts, statuses = self.logged_tries(self.flaky, request_id)
            k = len(counts)
            self.assertTrue(1 <= k <= 4, f"{request_id}: {k} tries with attempts: 3")
            self.assertEqual(counts, [str(i) for i in range(1, k + 1)],
                             f"{request_id}: x-envoy-attempt-count per try")
            self.assertEqual(statuses[:-1], [503] * (k - 1), f"{request_id}: only 503s retried")
            self.assertEqual(statuses[-1], status, f"{request_id}: the client got the last try")
            if status == 503:
                self.assertEqual(k, 4, f"{request_id}: 503 returned with retries left")
            most = max(most, k)
        # P(no request of 400 needs a 4th try) = (7/8)^400 ~ 1e-23.
        self.assertEqual(most, 4, "no request used its third retry")

    def test_fail_first_two_then_200_with_attempt_counts(self):
        request_id = rid("first2")
        status, h, body, _ = send(self.proxy, "/get", fqdn("first2"), {"x-request-id": request_id})
        self.assertEqual((status, h.get("x-echo-name")), (200, "first2-v1"),
                         f"two 503s then a 200 with attempts: 3 on 5xx: {body[:200]!r}")
        counts, statuses = self.tries(self.first2, "first2", request_id)
        self.assertEqual(statuses, [503, 503, 200])
        # Istio sets include_request_attempt_count on every virtual host.
        self.assertEqual(counts, ["1", "2", "3"], "x-envoy-attempt-count on each try")
        entry = access_log(self.proxy, f'"{request_id}"')
        self.assertEqual((entry["code"], entry["flags"]), ("200", {"-"}), entry["line"])

    def test_post_refused_by_one_endpoint_reaches_the_other_with_its_body(self):
        # No `retries`: Istio's default policy retries connect failures, on another endpoint
        # (previous_hosts). The body was not read yet when the connection failed, so it goes
        # whole to the next endpoint.
        payload = os.urandom(64 * 1024)
        digest = hashlib.sha256(payload).hexdigest()
        ids = []
        for _ in range(12):
            request_id = rid("refused")
            ids.append(request_id)
            status, h, body, _ = send(self.proxy, "/post", fqdn("refused"),
                                      {"x-request-id": request_id}, method="POST", body=payload)
            self.assertEqual((status, h.get("x-echo-name")), (200, "refused-v1"),
                             f"{request_id}: {body[:200]!r}")
        barrier(self.proxy, self.beside_refused, fqdn("refused"))
        for request_id in ids:
            seen = self.beside_refused.seen(request_id)
            self.assertEqual([e["body_sha256"] for e in seen], [digest],
                             f"{request_id}: the body arrives once, intact")

    def test_post_body_is_replayed_on_every_try(self):
        payload = os.urandom(100 * 1024)
        digest = hashlib.sha256(payload).hexdigest()
        request_id = rid("post2")
        status, _, body, _ = send(self.proxy, "/post", fqdn("post2"),
                                  {"x-request-id": request_id,
                                   "content-type": "application/octet-stream"},
                                  method="POST", body=payload)
        self.assertEqual(status, 200, f"a POST retried past two 503s: {body[:200]!r}")
        self.assertEqual(json.loads(body)["body_bytes"], len(payload))
        barrier(self.proxy, self.post2, fqdn("post2"))
        seen = self.post2.seen(request_id)
        self.assertEqual([e["status"] for e in seen], [503, 503, 200])
        for i, e in enumerate(seen, 1):
            self.assertEqual((e["method"], e["body_bytes"], e["body_sha256"]),
                             ("POST", len(payload), digest), f"try {i} got another body")

    def test_exhausted_retries_pass_the_last_503_through_with_urx(self):
        request_id = rid("exhaust")
        status, h, body, _ = send(self.proxy, "/get", fqdn("exhaust"),
                                  {"x-request-id": request_id})
        # Envoy answers with the upstream's own last response (Router::Filter::onUpstreamHeaders,
        # NoRetryLimitExceeded: flag URX, the response passes through).
        self.assertEqual((status, h.get("x-echo-name")), (503, "first10-v1"),
                         f"the backend's own 503 after 3 tries: {body[:200]!r}")
        self.assertEqual(json.loads(body)["name"], "first10-v1")
        counts, statuses = self.tries(self.first10, "exhaust", request_id)
        self.assertEqual((counts, statuses), (["1", "2", "3"], [503, 503, 503]),
                         "attempts: 2 on 5xx: three tries (x-envoy-attempt-count, status)")
        entry = access_log(self.proxy, f'"{request_id}"')
        self.assertEqual(entry["code"], "503", entry["line"])
        self.assertIn("URX", entry["flags"], entry["line"])
        self.assertEqual(entry["details"], "via_upstream", entry["line"])

    def test_retry_on_listed_status_codes_only(self):
        # Both backends answer 502 once, then 200. retryOn "503" does not retry a 502...
        first = rid("only503")
        status, h, _, _ = send(self.proxy, "/get", fqdn("only503"), {"x-request-id": first})
        self.assertEqual((status, h.get("x-echo-name")), (502, "only503-v1"),
                         "a 502 is not retried under retryOn: \"503\"")
        self.assertEqual(self.tries(self.only503, "only503", first), (["1"], [502]),
                         "one try (x-envoy-attempt-count, status)")
        # ... retryOn "502,503" does.
        second = rid("also502")
        status, h, _, _ = send(self.proxy, "/get", fqdn("also502"), {"x-request-id": second})
        self.assertEqual((status, h.get("x-echo-name")), (200, "also502-v1"),
                         "a 502 is retried under retryOn: \"502,503\"")
        self.assertEqual(self.tries(self.also502, "also502", second), (["1", "2"], [502, 200]),
                         "a 502 then a 200 (x-envoy-attempt-count, status)")


# --- Mirroring (istio.io/latest/docs/tasks/traffic-management/mirroring/) --------------------
class HangingServer:
    """Accepts connections and reads requests forever without ever answering: a mirror that
    hangs. Counts the request heads it received."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        self.heads = 0
        self.conns = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.conns.append(conn)
            threading.Thread(target=self._read, args=(conn,), daemon=True).start()

    def _read(self, conn):
        data = b""
        while True:
            try:
                chunk = conn.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            data += chunk
            with self.lock:
                self.heads += data.count(b"\r\n\r\n")
            data = data[data.rfind(b"\r\n\r\n") + 4:] if b"\r\n\r\n" in data else data

    def stop(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        with self.lock:
            for conn in self.conns:
                try:
                    conn.shutdown(socket.SHUT_RDWR)  # wakes its reader
                except OSError:
                    pass
                conn.close()


class MirrorTest(PolicyCase):
    HOST = f"{fqdn('httpbin')}:8000"

    @classmethod
    def setUpClass(cls):
        cls.begin()
        cls.v1 = cls.logged_echo("httpbin-v1", "v1")
        cls.v2 = cls.logged_echo("httpbin-v2", "v2")
        cls.hang = HangingServer()
        cls.addClassCleanup(cls.hang.stop)
        cls.start([harness.service_yaml("httpbin", 8000, [("v1", cls.v1.port),
                                                          ("v2", cls.v2.port)]),
                   harness.service_yaml("hang", 8000, [("v1", cls.hang.port)]),
                   subsets_rule("httpbin", ["v1", "v2"]),
                   virtual_service("httpbin", """
            - match: [{uri: {prefix: /nomirror}}]
              route: [{destination: {host: httpbin.default.svc.cluster.local, subset: v1}}]
              mirror: {host: httpbin.default.svc.cluster.local, subset: v2}
              mirrorPercentage: {value: 0}
            - match: [{uri: {prefix: /hang}}]
              route: [{destination: {host: httpbin.default.svc.cluster.local, subset: v1}}]
              mirror: {host: hang.default.svc.cluster.local}
              mirrorPercentage: {value: 100}
            - route: [{destination: {host: httpbin.default.svc.cluster.local, subset: v1}}]
              mirror: {host: httpbin.default.svc.cluster.local, subset: v2}
              mirrorPercentage: {value: 100}
            """)])

    def test_mirror_gets_a_copy_of_every_request(self):
        sent = {}
        for i in range(5):
            request_id = rid("mirror-get")
            status, h, body, _ = send(self.proxy, f"/get?i={i}", self.HOST,
                                      {"x-request-id": request_id})
            sent[request_id] = ("GET", "/get", f"i={i}", b"")
            self.assertEqual((status, h.get("x-echo-name")), (200, "httpbin-v1"),
                             f"the client's answer comes from the primary: {body[:200]!r}")
        for i in range(3):
            request_id = rid("mirror-post")
            payload = os.urandom(10 * 1024 + i)
            status, h, body, _ = send(self.proxy, "/post", self.HOST, {"x-request-id": request_id},
                                      method="POST", body=payload)
            sent[request_id] = ("POST", "/post", "", payload)
            self.assertEqual((status, h.get("x-echo-name")), (200, "httpbin-v1"), body[:200])
        barrier(self.proxy, self.v1, self.HOST)
        for request_id, (method, path, query, payload) in sent.items():
            copies = wait_for(lambda: self.v2.seen(request_id),
                              f"the mirror (httpbin-v2) to receive a copy of {request_id}", 10)
            self.assertEqual(len(copies), 1, f"{request_id} mirrored more than once")
            copy = copies[0]
            self.assertEqual((copy["method"], copy["path"], copy["query"]), (method, path, query))
            self.assertEqual((copy["body_bytes"], copy["body_sha256"]),
                             (len(payload), hashlib.sha256(payload).hexdigest()),
                             f"{request_id}: the mirror got another body")
            # Istio >= 1.28 (DISABLE_SHADOW_HOST_SUFFIX, on by default): no "-shadow" suffix.
            self.assertEqual(copy["host"], self.HOST, "the mirror keeps the original authority")
            self.assertEqual(len(self.v1.seen(request_id)), 1, "the primary saw it once")

    def test_hanging_mirror_does_not_slow_or_change_the_primary(self):
        conn = harness.connect(self.proxy.port)
        start = time.monotonic()
        for i in range(20):
            status, h, body, took = send(self.proxy, f"/hang/{i}", self.HOST, conn=conn)
            self.assertEqual((status, h.get("x-echo-name")), (200, "httpbin-v1"), body[:200])
            self.assertLess(took, 1.0, f"request {i} waited {took:.2f}s for a hanging mirror")
        conn.close()
        self.assertLess(time.monotonic() - start, 5.0, "20 requests with a hanging mirror")
        # Not vacuous: the mirror did get (and is still sitting on) the copies.
        wait_for(lambda: self.hang.heads >= 20,
                 "the hanging mirror to receive the 20 copies", 10)

    def test_mirror_percentage_zero_sends_no_copies(self):
        ids = []
        for i in range(20):
            request_id = rid("nomirror")
            ids.append(request_id)
            status, h, _, _ = send(self.proxy, f"/nomirror/{i}", self.HOST,
                                   {"x-request-id": request_id})
            self.assertEqual((status, h.get("x-echo-name")), (200, "httpbin-v1"))
        # A mirrored request after them: once its copy is in, earlier copies would be too.
        marker = rid("mirrored")
        send(self.proxy, "/after", self.HOST, {"x-request-id": marker})
        wait_for(lambda: self.v2.seen(marker),
                 "the mirror to receive the copy of a request mirrored at 100%", 10)
        leaked = [i for i in ids if self.v2.seen(i)]
        self.assertEqual(leaked, [], "mirrorPercentage 0 still mirrored these")


# --- CORS (istio.io/latest/docs/reference/config/networking/virtual-service/#CorsPolicy) -----
class CorsTest(PolicyCase):
    HOST = fqdn("web")
    ALLOWED = ("https://example.com", "https://app.example.org")
    DENIED = ("https://evil.example", "http://example.com", "https://example.org.evil.com")

    @classmethod
    def setUpClass(cls):
        cls.begin()
        cls.echo = cls.logged_echo("web-v1")
        cls.start([harness.service_yaml("web", 80, [("v1", cls.echo.port)]),
                   virtual_service("web", r"""
            - route: [{destination: {host: web.default.svc.cluster.local}}]
              corsPolicy:
                allowOrigins:
                - {exact: "https://example.com"}
                - {regex: "https://.*\\.example\\.org"}
                allowMethods: [GET, POST]
                allowHeaders: [x-custom]
                exposeHeaders: [x-exposed]
                maxAge: 24h
                allowCredentials: true
            """)])

    def preflight(self, origin, request_id):
        return send(self.proxy, "/api", self.HOST,
                    {"origin": origin, "access-control-request-method": "POST",
                     "access-control-request-headers": "x-custom", "x-request-id": request_id},
                    method="OPTIONS")

    def test_preflight_from_allowed_origin_is_answered_by_the_proxy(self):
        ids = []
        for origin in self.ALLOWED:
            with self.subTest(origin):
                request_id = rid("preflight")
                ids.append(request_id)
                status, h, _, _ = self.preflight(origin, request_id)
                self.assertEqual(status, 200, "the proxy answers an allowed preflight 200")
                self.assertNotIn("x-echo-name", h, "the preflight was forwarded to the backend")
                want = {"access-control-allow-origin": origin,
                        "access-control-allow-methods": "GET,POST",
                        "access-control-allow-headers": "x-custom",
                        "access-control-max-age": "86400",
                        "access-control-allow-credentials": "true"}
                got = {k: h.get(k) for k in want}
                self.assertEqual(got, want, "the preflight answer's CORS headers")
        barrier(self.proxy, self.echo, self.HOST)
        for request_id in ids:
            self.assertEqual(self.echo.seen(request_id), [], "the backend saw a preflight")

    def test_request_from_allowed_origin_gets_cors_headers_on_the_backend_answer(self):
        for origin in self.ALLOWED:
            with self.subTest(origin):
                status, h, _, _ = send(self.proxy, "/api", self.HOST, {"origin": origin})
                self.assertEqual((status, h.get("x-echo-name")), (200, "web-v1"))
                want = {"access-control-allow-origin": origin,
                        "access-control-expose-headers": "x-exposed",
                        "access-control-allow-credentials": "true"}
                got = {k: h.get(k) for k in want}
                self.assertEqual(got, want, "CORS headers added to the backend's answer")

    def test_disallowed_origin_gets_no_cors_headers_and_its_preflight_is_forwarded(self):
        for origin in self.DENIED:
            with self.subTest(origin):
                status, h, _, _ = send(self.proxy, "/api", self.HOST, {"origin": origin})
                self.assertEqual((status, h.get("x-echo-name")), (200, "web-v1"))
                cors = {k: v for k, v in h.items() if k.startswith("access-control-")}
                self.assertEqual(cors, {}, f"CORS headers for a disallowed origin {origin}")
                # unmatchedPreflights defaults to FORWARD: the backend answers the preflight.
                request_id = rid("denied")
                status, h, body, _ = self.preflight(origin, request_id)
                self.assertEqual((status, h.get("x-echo-name")), (200, "web-v1"), body[:200])
                cors = {k: v for k, v in h.items() if k.startswith("access-control-")}
                self.assertEqual(cors, {})
                seen = wait_for(lambda: self.echo.seen(request_id),
                                f"the backend to log the forwarded preflight from {origin}")
                self.assertEqual([e["method"] for e in seen], ["OPTIONS"])


# --- The client's failures ---------------------------------------------------------------------
class DownstreamFailureTest(PolicyCase):
    HOST = fqdn("sink")

    @classmethod
    def setUpClass(cls):
        cls.begin()
        cls.echo = cls.logged_echo("sink-v1")
        cls.start([harness.service_yaml("sink", 80, [("v1", cls.echo.port)])])

    def stat(self, name):
        return endpoint_stat(self.proxy, "sink", self.echo.port, name)

    @harness.http1_only
    def test_invalid_chunk_size_is_400_dpe_and_no_upstream_error(self):
        errors_before = self.stat("rq_error")
        path = f"/chunked-{rid('dpe')}"
        with socket.create_connection(("127.0.0.1", self.proxy.port), timeout=10) as s:
            s.sendall(f"POST {path} HTTP/1.1\r\nHost: {self.HOST}\r\n"
                      "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n".encode())
            out, closed = b"", False
            end = time.monotonic() + 10
            while time.monotonic() < end:
                try:
                    chunk = s.recv(65536)
                except socket.timeout:
                    break
                if not chunk:
                    closed = True
                    break
                out += chunk
        self.assertTrue(out.startswith(b"HTTP/1.1 400 "),
                        f"an invalid chunk size must be answered 400: {out[:120]!r}")
        self.assertTrue(closed, "the connection must close after a malformed body")
        entry = access_log(self.proxy, f" {path} ")
        self.assertEqual(entry["code"], "400", entry["line"])
        self.assertIn("DPE", entry["flags"], entry["line"])
        # The client's mistake is not the endpoint's error (Envoy charges rq_error only for the
        # upstream's failures).
        self.assertEqual(self.stat("rq_error"), errors_before,
                         "a downstream protocol error counted as an upstream rq_error")

    def test_client_gone_mid_request_is_logged_dc_and_the_upstream_request_cancelled(self):
        request_id = rid("gone")
        if harness.HTTP2:
            # HTTP/2: the client resets its stream (RST_STREAM CANCEL) on a connection it keeps.
            c = harness.H2Client(self.proxy.port)
            try:
                sid = c.start("GET", "/delay/10s", self.HOST, {"x-request-id": request_id})
                harness.wait_until(lambda: self.stat("rq_active") == 1,
                                   "the request in flight to the backend", 10)
                c.reset(sid)
                # The connection goes on serving.
                status, _, _ = c.request("GET", "/after-reset", self.HOST)
                self.assertEqual(status, 200)
            finally:
                c.close()
        else:
            s = socket.create_connection(("127.0.0.1", self.proxy.port), timeout=10)
            try:
                s.sendall(f"GET /delay/10s HTTP/1.1\r\nHost: {self.HOST}\r\n"
                          f"x-request-id: {request_id}\r\n\r\n".encode())
                harness.wait_until(lambda: self.stat("rq_active") == 1,
                                   "the request in flight to the backend", 10)
            finally:
                s.close()
        # Both well before the backend's 10 s answer: the proxy notices the close itself.
        entry = access_log(self.proxy, f'"{request_id}"', timeout=5)
        self.assertIn("DC", entry["flags"], entry["line"])
        self.assertEqual(entry["code"], "0", "Envoy logs response code 0 when nothing was sent")
        wait_for(lambda: self.echo.seen(request_id, "peer_closed"),
                 "the proxy to close its upstream connection (the backend sees it go)", 5)
        harness.wait_until(lambda: self.stat("rq_active") == 0, "rq_active back to 0", 5)


# --- run's own flags for the policies, and what it says it does not enforce ---------------
class PolicyFlagsTest(PolicyCase):
    HOST = f"{fqdn('flags')}:8000"

    @classmethod
    def setUpClass(cls):
        cls.begin()
        cls.v1 = cls.logged_echo("flags-v1", "v1")
        cls.shadow = cls.logged_echo("flags-v2", "v2")
        cls.flaky = cls.logged_echo("bigbody-v1", extra=["--fail-first", "1"])
        cls.start([harness.service_yaml("flags", 8000, [("v1", cls.v1.port),
                                                        ("v2", cls.shadow.port)]),
                   harness.service_yaml("bigbody", 8000, [("v1", cls.flaky.port)]),
                   subsets_rule("flags", ["v1", "v2"]),
                   virtual_service("flags", """
            - route: [{destination: {host: flags.default.svc.cluster.local, subset: v1}}]
              mirror: {host: flags.default.svc.cluster.local, subset: v2}
            """),
                   virtual_service("bigbody", """
            - route: [{destination: {host: bigbody.default.svc.cluster.local}}]
              retries: {attempts: 2, retryOn: 5xx}
            """),
                   # A policy run does not enforce yet: named in a warning at load.
                   """apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: bigbody, namespace: default}
spec:
  host: bigbody.default.svc.cluster.local
  trafficPolicy:
    connectionPool: {tcp: {idleTimeout: 10s}}
"""], extra=["--mirror-shadow-suffix", "--retry-buffer", "4096"])

    def test_mirror_shadow_suffix_restores_envoys_host(self):
        request_id = rid("shadow")
        status, h, _, _ = send(self.proxy, "/get", self.HOST, {"x-request-id": request_id})
        self.assertEqual((status, h.get("x-echo-name")), (200, "flags-v1"))
        copies = wait_for(lambda: self.shadow.seen(request_id), "the mirror copy")
        self.assertEqual(copies[0]["host"], f"{fqdn('flags')}-shadow:8000",
                         "--mirror-shadow-suffix: Envoy's -shadow suffix on the host")

    def test_a_body_over_the_retry_buffer_is_not_retried(self):
        # --retry-buffer 4096: a 64 KB body can't be sent again, so the backend's first 503 is
        # the answer (Envoy's retry overflow), counted in upstream_rq_retry_overflow.
        request_id = rid("bigbody")
        status, _, _, _ = send(self.proxy, "/post", f"{fqdn('bigbody')}:8000",
                               {"x-request-id": request_id}, method="POST",
                               body=os.urandom(64 * 1024))
        self.assertEqual(status, 503, "a body beyond --retry-buffer is not retried")
        barrier(self.proxy, self.flaky, f"{fqdn('bigbody')}:8000")
        self.assertEqual(len(self.flaky.seen(request_id)), 1, "one try only")
        stats = self.proxy.admin_get("/stats/prometheus")[1]
        self.assertRegex(stats, r'envoy_cluster_upstream_rq_retry_overflow\{cluster_name='
                                r'"outbound\|8000\|\|bigbody\.default\.svc\.cluster\.local"\} 1')

    def test_unenforced_destination_rule_policy_is_named_at_load(self):
        self.proxy.p.wait_line(r"warning: .*mesh\.yaml:\d+: DestinationRule default/bigbody: "
                               r"trafficPolicy\.connectionPool is not enforced yet")


if __name__ == "__main__":
    BINARY = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
