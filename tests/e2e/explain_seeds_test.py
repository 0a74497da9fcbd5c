#!/usr/bin/env python3
"""The routing claims of the seed guides (../shared/seeds), checked through `meshroute explain`.

Each test runs the real binary on the seed's own YAML blocks (../shared/conformance/seed-examples)
plus the Kubernetes Service and Pods the guide assumes are deployed, and asserts what the guide
says happens. Where a guide's claim is not what Istio does, the test asserts Istio's behaviour and
its docstring says so.

Usage: explain_seeds_test.py MESHROUTE_BINARY SHARED_DIR
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

BIN = sys.argv[1] if len(sys.argv) > 1 else "build/release/meshroute"
SHARED = sys.argv[2] if len(sys.argv) > 2 else "../shared"
SEEDS = os.path.join(SHARED, "conformance", "seed-examples")


def workloads(service, versions, port=9080, ns="default"):
    """A Kubernetes Service and one running Pod per version label, as the guides deploy them."""
    docs = [f"""apiVersion: v1
kind: Service
metadata: {{name: {service}, namespace: {ns}}}
spec:
  selector: {{app: {service}}}
  ports: [{{name: http, port: {port}}}]
"""]
    for i, v in enumerate(versions):
        docs.append(f"""apiVersion: v1
kind: Pod
metadata: {{name: {service}-{v}, namespace: {ns}, labels: {{app: {service}, version: {v}}}}}
spec: {{containers: [{{name: app, image: example}}]}}
status: {{podIP: 10.1.{len(service) % 200}.{i + 1}}}
""")
    return "---\n".join(docs)


@unittest.skipUnless(os.path.isdir(SEEDS), "shared seed examples not found")
class SeedRouting(unittest.TestCase):
    def explain(self, seed_files, extra, request, *args):
        d = tempfile.mkdtemp()
        extra_path = os.path.join(d, "workloads.yaml")
        with open(extra_path, "w") as f:
            f.write(extra)
        cmd = [BIN, "explain"]
        for name in seed_files:
            cmd += ["-f", os.path.join(SEEDS, name)]
        cmd += ["-f", extra_path, request, *args, "-o", "json"]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        self.assertIn(p.returncode, (0, 1), p.stderr)
        return json.loads(p.stdout)

    def subsets(self, d):
        return [(x["subset"], x["weight"]) for x in d["destinations"]]

    # --- seed 000: header routing -------------------------------------------------------------
    HEADER = ["000-03-virtualservice.yaml", "000-02-destinationrule.yaml"]
    REVIEWS = workloads("reviews", ["v1", "v2", "v3"])

    def test_000_beta_users_go_to_v2(self):
        """'x-user-type: beta' -> reviews v2, with x-served-by added to the response."""
        d = self.explain(self.HEADER, self.REVIEWS, "GET http://reviews:9080/reviews/1",
                         "-H", "x-user-type: beta")
        self.assertEqual(d["outcome"], "route")
        self.assertEqual(d["route_name"], "beta-users-route")
        self.assertEqual(self.subsets(d), [("v2", 100)])
        self.assertEqual(d["destinations"][0]["cluster"],
                         "outbound|9080|v2|reviews.default.svc.cluster.local")
        self.assertEqual(d["policy"]["response_headers"]["add"]["x-served-by"], "reviews-v2-beta")

    def test_000_premium_with_high_priority_goes_to_v3(self):
        """premium users whose x-request-priority starts with "high" -> v3."""
        d = self.explain(self.HEADER, self.REVIEWS, "GET http://reviews:9080/", "-H",
                         "x-user-type: premium", "-H", "x-request-priority: high-urgent")
        self.assertEqual(d["route_name"], "premium-users-route")
        self.assertEqual(self.subsets(d), [("v3", 100)])

    def test_000_premium_without_priority_falls_to_default_v1(self):
        """Both headers of one match block must hold (AND): premium alone is not enough."""
        d = self.explain(self.HEADER, self.REVIEWS, "GET http://reviews:9080/", "-H",
                         "x-user-type: premium")
        self.assertEqual(d["route_name"], "default-route")
        self.assertEqual(self.subsets(d), [("v1", 100)])
        reasons = {t["route_name"]: t["reason"] for t in d["trace"] if not t["matched"]}
        self.assertIn("x-request-priority", reasons["premium-users-route"])

    def test_000_internal_testing_goes_to_v3_with_timeout_and_retries(self):
        """x-internal-testing test-abc -> v3 with a 30s timeout and 3 retries of 10s each."""
        d = self.explain(self.HEADER, self.REVIEWS, "GET http://reviews:9080/", "-H",
                         "x-internal-testing: test-abc")
        self.assertEqual(d["route_name"], "internal-testing-route")
        self.assertEqual(self.subsets(d), [("v3", 100)])
        self.assertEqual(d["policy"]["timeout"], "30s")
        retries = d["policy"]["retries"]
        self.assertEqual((retries["attempts"], retries["per_try_timeout"]), (3, "10s"))
        self.assertEqual(retries["retry_on"], "5xx,reset,connect-failure")
        # 4 tries of 10s cannot fit in 30s: explain says so.
        self.assertIn("exceeds the 30s route timeout", retries["budget"])

    def test_000_regex_is_a_full_match(self):
        """The regex ^test-[a-z0-9]+$ does not match upper case: such requests get v1."""
        d = self.explain(self.HEADER, self.REVIEWS, "GET http://reviews:9080/", "-H",
                         "x-internal-testing: test-ABC")
        self.assertEqual(self.subsets(d), [("v1", 100)])

    def test_000_everything_else_goes_to_v1_with_istio_default_retries(self):
        """'all other traffic' -> v1; a route without retries gets Istio's default policy."""
        d = self.explain(self.HEADER, self.REVIEWS, "GET http://reviews:9080/")
        self.assertEqual(d["route_name"], "default-route")
        self.assertEqual(self.subsets(d), [("v1", 100)])
        retries = d["policy"]["retries"]
        self.assertTrue(retries["default"])
        self.assertEqual(retries["attempts"], 2)
        self.assertEqual(retries["retry_on"],
                         "connect-failure,refused-stream,unavailable,cancelled,"
                         "retriable-status-codes")

    # --- seed 000: canary ----------------------------------------------------------------------
    def test_000_canary_splits_80_15_5_and_mirrors_1_percent_to_v3(self):
        """'80% of traffic to v1, 15% to v2, 5% to v3' with 1% mirrored to v3."""
        d = self.explain(["000-05-virtualservice.yaml", "000-02-destinationrule.yaml"],
                         self.REVIEWS, "GET http://reviews:9080/")
        self.assertEqual(self.subsets(d), [("v1", 80), ("v2", 15), ("v3", 5)])
        mirror = d["policy"]["mirrors"][0]
        self.assertEqual((mirror["subset"], mirror["percent"]), ("v3", 1))
        self.assertEqual(mirror["cluster"], "outbound|9080|v3|reviews.default.svc.cluster.local")
        added = [x["response_headers"]["add"]["x-version"] for x in d["destinations"]]
        self.assertEqual(added, ["v1-stable", "v2-canary", "v3-experimental"])

    # --- seed 001 ------------------------------------------------------------------------------
    def test_001_delegate_with_hosts_is_not_a_delegate(self):
        """Seed 001 delegates /reviews from root-vs to reviews-vs, but reviews-vs lists hosts.

        Istio treats a VirtualService with hosts as a root, never as a delegate, so the root's
        delegate routes are dropped (ratings-vs does not exist at all). And with no service on
        port 80 a sidecar has no listener for api.example.com: the request passes through.
        explain names each of these causes.
        """
        d = self.explain(["001-03-virtualservice.yaml"], workloads("reviews", ["v1", "v2"],
                                                                    ns="reviews-ns"),
                         "GET http://api.example.com/reviews/v2/x")
        self.assertIsNone(d["virtual_service"])
        self.assertEqual(d["destinations"][0]["cluster"], "PassthroughCluster")
        notes = " ".join(d["notes"])
        self.assertIn("reviews-ns/reviews-vs, which has hosts", notes)
        self.assertIn("ratings-ns/ratings-vs, which does not exist", notes)

    def test_001_ab_test_by_cookie(self):
        """A/B testing: the experiment cookie picks variant-a or variant-b, others get control.

        The guide's regex ^(.*?;)?(experiment=variant-b)(;.*)?$ needs the cookie right after a
        ';' with no space, so "a=1; experiment=variant-b" (how browsers send it) gets control.
        """
        files = ["001-30-destinationrule-virtualservice.yaml"]
        pods = workloads("frontend", ["control", "variant-a", "variant-b"])
        d = self.explain(files, pods, "GET http://frontend:9080/", "-H",
                         "cookie: session=1;experiment=variant-b;theme=dark")
        self.assertEqual(self.subsets(d), [("variant-b", 100)])
        d = self.explain(files, pods, "GET http://frontend:9080/", "-H",
                         "cookie: session=1; experiment=variant-b")
        self.assertEqual(self.subsets(d), [("control", 100)])
        d = self.explain(files, pods, "GET http://frontend:9080/", "-H",
                         "cookie: experiment=variant-a")
        self.assertEqual(self.subsets(d), [("variant-a", 100)])
        d = self.explain(files, pods, "GET http://frontend:9080/")
        self.assertEqual(self.subsets(d), [("control", 100)])

    def test_001_multi_dimensional_routing_with_source_labels(self):
        """premium + mobile-app v2 -> ml-enhanced; premium -> advanced; mobile-app ->
        mobile-optimized; everyone else -> standard (first match wins)."""
        files = ["001-32-virtualservice.yaml"]
        pods = workloads("recommendation", ["ml-enhanced", "advanced", "mobile-optimized",
                                            "standard"])
        cases = [
            (["-H", "x-user-tier: premium", "--source-labels", "app=mobile-app,version=v2"],
             "ml-enhanced"),
            (["-H", "x-user-tier: premium", "--source-labels", "app=web"], "advanced"),
            (["--source-labels", "app=mobile-app,version=v1"], "mobile-optimized"),
            ([], "standard"),
        ]
        for args, want in cases:
            d = self.explain(files, pods, "GET http://recommendation:9080/", *args)
            self.assertEqual([s for s, _ in self.subsets(d)], [want], args)
            # The guide shows no DestinationRule for these subsets: Istio has no cluster for
            # them, so the request fails with 503 NC, and explain says why.
            self.assertEqual((d["status"], d["response_flags"]), (503, "NC"))

    def test_001_canary_with_full_mirror(self):
        """95/5 canary with 100% of traffic mirrored to the canary."""
        d = self.explain(["001-31-virtualservice.yaml"], workloads("analytics", ["stable"]),
                         "GET http://analytics:9080/")
        self.assertEqual(self.subsets(d), [("stable", 95), ("canary", 5)])
        self.assertEqual(d["policy"]["mirrors"][0]["percent"], 100)

    # --- seed 002 ------------------------------------------------------------------------------
    def test_002_missing_destination_rule_is_503_nc_not_silent(self):
        """Seed 002 says without a DestinationRule 'Istio silently ignores subset routing'.

        It does not: the route names subset v1 of reviews, no DestinationRule defines it, so
        Istio builds no such cluster and Envoy answers 503 with response flag NC. explain names
        the missing DestinationRule.
        """
        d = self.explain(["002-01-virtualservice.yaml"], self.REVIEWS, "GET http://reviews:9080/")
        self.assertEqual(d["outcome"], "error")
        self.assertEqual((d["status"], d["response_flags"]), (503, "NC"))
        self.assertIn("DestinationRule", d["destinations"][0]["problem"])

    # --- seed 003: canary phases and blue-green ---------------------------------------------
    def test_003_canary_phases(self):
        """Phase 1 sends 10% to v2, phase 2 sends 25%."""
        for vs, want in [("003-03-virtualservice.yaml", [("v1", 90), ("v2", 10)]),
                         ("003-04-virtualservice.yaml", [("v1", 75), ("v2", 25)])]:
            d = self.explain([vs, "003-01-destinationrule.yaml"], self.REVIEWS,
                             "GET http://reviews:9080/")
            self.assertEqual(d["outcome"], "route")
            self.assertEqual(self.subsets(d), want, vs)

    def test_003_blue_green_switch_sends_everything_to_green(self):
        """Blue-green: the switch re-applies reviews-blue-green pointing at v2; the later object
        replaces the earlier one, so all traffic goes to green (v2)."""
        d = self.explain(["003-05-virtualservice.yaml", "003-01-destinationrule.yaml"],
                         self.REVIEWS, "GET http://reviews:9080/")
        self.assertEqual(self.subsets(d), [("v2", 100)])

    def test_003_header_and_cookie_canary(self):
        """x-canary: true or a beta_user=true cookie -> v2; others -> v1."""
        files = ["003-06-virtualservice.yaml", "003-01-destinationrule.yaml"]
        d = self.explain(files, self.REVIEWS, "GET http://reviews:9080/", "-H", "x-canary: true")
        self.assertEqual(self.subsets(d), [("v2", 100)])
        d = self.explain(files, self.REVIEWS, "GET http://reviews:9080/", "-H",
                         "cookie: a=b; beta_user=true")
        self.assertEqual(self.subsets(d), [("v2", 100)])
        d = self.explain(files, self.REVIEWS, "GET http://reviews:9080/")
        self.assertEqual(self.subsets(d), [("v1", 100)])


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
