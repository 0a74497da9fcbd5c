#!/usr/bin/env python3
"""Every routing claim of the seed documents (../shared/seeds), checked through `meshroute explain`.

Usage: explain_seeds_test.py MESHROUTE_BINARY SHARED_DIR [unittest options]

Each test runs the real binary (`explain -o json`) on the seed's own YAML blocks
(SHARED_DIR/conformance/seed-examples) and asserts what the seed text says happens: which route
matches, the destinations with their weights, subsets and Envoy cluster names, and the policy.
The expectation comes from the seed's sentence (quoted in the docstring), not from meshroute's
output. Where the seed is wrong about Istio, the test asserts what Istio does and the docstring
says so.

Where the seed gives no Kubernetes objects for a service, the test writes a minimal Service (and
Deployments when subsets must select pods) into a temporary directory; nothing else is added
unless the docstring says why (for instance a Gateway that a seed VirtualService binds to but the
seed never shows). Derived variants of a seed block (one phase of a multi-phase file, a fixed
field) are made by exact text edits that fail loudly if the seed changes.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

BIN = sys.argv[1] if len(sys.argv) > 1 else "build/meshroute"
# Default: ../shared beside the checkout (this file is <checkout>/tests/e2e/).
SHARED = (sys.argv[2] if len(sys.argv) > 2
          else os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../shared"))
SEEDS = os.path.join(SHARED, "conformance", "seed-examples")

DOMAIN = "svc.cluster.local"


def setUpModule():
    if not os.path.isdir(SEEDS):
        raise unittest.SkipTest(f"{SEEDS} not found: no shared seed data beside the checkout")


def fqdn(name, ns="default"):
    return f"{name}.{ns}.{DOMAIN}"


def cluster(port, subset, host):
    """Istio's outbound cluster name: outbound|PORT|SUBSET|HOST."""
    return f"outbound|{port}|{subset}|{host}"


# --- Kubernetes objects the seeds do not show ------------------------------------------------


def service(name, port, ns="default", app=None):
    return (f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: {ns}\n"
            f"spec:\n  selector:\n    app: {app or name}\n  ports:\n  - name: http\n"
            f"    port: {port}\n    targetPort: {port}\n")


def deployment(name, labels, ns="default", replicas=1):
    flow = ", ".join(f"{k}: {v}" for k, v in labels.items())
    return (f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n"
            f"  namespace: {ns}\nspec:\n  replicas: {replicas}\n  selector:\n"
            f"    matchLabels: {{{flow}}}\n  template:\n    metadata:\n      labels: {{{flow}}}\n"
            f"    spec:\n      containers:\n      - name: app\n        image: example/{name}\n")


def versioned(app, port, versions, ns="default", replicas=1):
    """A Service for `app` and one Deployment per version, labelled app=<app>, version=<v>."""
    docs = [service(app, port, ns)]
    docs += [deployment(f"{app}-{v}", {"app": app, "version": v}, ns, replicas) for v in versions]
    return "---\n".join(docs)


# --- Seed blocks ------------------------------------------------------------------------------


def seed_path(block):
    """`000-03` -> the seed-examples file whose name starts with it."""
    names = [n for n in sorted(os.listdir(SEEDS)) if n.startswith(block + "-")]
    if len(names) != 1:
        raise AssertionError(f"want one seed-examples file for {block}, found {names}")
    return os.path.join(SEEDS, names[0])


def seed_text(block):
    with open(seed_path(block)) as f:
        return f.read()


def seed_docs(block):
    """The YAML documents of a seed block, in order (comment-only documents dropped)."""
    docs = re.split(r"(?m)^---[ \t]*$\n?", seed_text(block))
    return [d for d in docs if any(l.strip() and not l.lstrip().startswith("#")
                                   for l in d.splitlines())]


def edit(text, old, new):
    """Replaces the one occurrence of `old`; a seed that no longer has it fails the test."""
    if text.count(old) != 1:
        raise AssertionError(f"seed text changed: want exactly one {old!r}")
    return text.replace(old, new)


def summary(doc):
    """One screen of the decision, for assertion messages."""
    lines = [f"exit {doc.get('_exit')} outcome {doc['outcome']} status {doc['status']} "
             f"flags {doc['response_flags']!r} vs {doc['virtual_service']} "
             f"route {doc['route_index']} {doc['route_name']!r}"]
    for d in doc["destinations"]:
        lines.append(f"  dest {d['cluster']} {d['weight']}% {d['status']} {d['problem']}")
    for t in doc["trace"]:
        lines.append(f"  trace {t['virtual_service']} #{t['route_index']} {t['route_name']!r} "
                     f"matched={t['matched']} {t['reason']}")
    lines += [f"  note {n}" for n in doc["notes"]] + [f"  ignored {n}" for n in doc["ignored"]]
    return "\n".join(lines)


class SeedTestCase(unittest.TestCase):
    """Runs explain; files are seed blocks ("000-03") or names written with write()."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="explain_seeds_")
        self.addCleanup(shutil.rmtree, self.tmp)

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return name

    def path(self, f):
        return seed_path(f) if re.fullmatch(r"\d{3}-\d{2}", f) else os.path.join(self.tmp, f)

    def explain(self, files, request, *headers, flags=()):
        args = [BIN, "explain"]
        for f in files:
            args += ["-f", self.path(f)]
        args += list(flags) + [request]
        for h in headers:
            args += ["-H", h]
        args += ["-o", "json"]
        p = subprocess.run(args, capture_output=True, text=True, timeout=60)
        self.assertIn(p.returncode, (0, 1), f"{' '.join(args)}\n{p.stdout}{p.stderr}")
        doc = json.loads(p.stdout)
        doc["_exit"] = p.returncode
        return doc

    # Assertions. `dests` lists (subset, weight percent, cluster) in route order.

    def assertDestinations(self, doc, dests, status="ok"):
        msg = summary(doc)
        got = doc["destinations"]
        self.assertEqual(len(got), len(dests), msg)
        for d, (subset, weight, name) in zip(got, dests):
            self.assertEqual(d["subset"], subset, msg)
            self.assertAlmostEqual(d["weight"], weight, places=2, msg=msg)
            self.assertEqual(d["cluster"], name, msg)
            self.assertEqual(d["status"], status, msg)

    def assertRoute(self, doc, vs, index, name, dests):
        """Routed upstream by route `index` (None: not checked) named `name` of `vs`."""
        msg = summary(doc)
        self.assertEqual(doc["outcome"], "route", msg)
        self.assertEqual(doc["_exit"], 0, msg)
        self.assertEqual(doc["status"], 0, msg)
        self.assertEqual(doc["virtual_service"], vs, msg)
        if index is not None:
            self.assertEqual(doc["route_index"], index, msg)
        self.assertEqual(doc["route_name"], name, msg)
        self.assertDestinations(doc, dests)

    def assertAnswered(self, doc, status, flags, outcome="error"):
        """Envoy answers the request itself (no upstream): status code and response flags."""
        msg = summary(doc)
        self.assertEqual(doc["outcome"], outcome, msg)
        self.assertEqual(doc["status"], status, msg)
        self.assertEqual(doc["response_flags"], flags, msg)
        # Exit 0 when the proxy answered as configured (a redirect), 1 for an error answer.
        self.assertEqual(doc["_exit"], 1 if status >= 400 else 0, msg)

    def assertNoCluster(self, doc, vs, index, name, dests):
        """The route matched, but its subsets have no cluster: Envoy answers 503 NC."""
        self.assertAnswered(doc, 503, "NC")
        self.assertEqual(doc["virtual_service"], vs, summary(doc))
        self.assertEqual(doc["route_index"], index, summary(doc))
        self.assertEqual(doc["route_name"], name, summary(doc))
        self.assertDestinations(doc, dests, status="no_cluster")

    def assertRetries(self, doc, attempts, per_try, retry_on):
        r = doc["policy"]["retries"]
        self.assertEqual((r["attempts"], r["per_try_timeout"], r["retry_on"], r["default"]),
                         (attempts, per_try, retry_on, False), summary(doc))

    def assertIstioDefaultRetries(self, doc):
        """No retries block: Istio still sets 2 retries on its default conditions, no timeout."""
        r = doc["policy"]["retries"]
        self.assertTrue(r["default"], summary(doc))
        self.assertEqual(r["attempts"], 2)
        self.assertEqual(r["retry_on"],
                         "connect-failure,refused-stream,unavailable,cancelled,"
                         "retriable-status-codes")
        self.assertIsNone(doc["policy"]["timeout"])

    def mirrors(self, doc):
        """[(subset, percent, cluster)] of the route's mirrors."""
        return [(m["subset"], m["percent"], m["cluster"]) for m in doc["policy"]["mirrors"]]

    def replicas(self, doc):
        """{subset: total replicas of the workloads its labels select}."""
        return {d["subset"]: sum(w["replicas"] for w in d["workloads"])
                for d in doc["destinations"]}


REVIEWS = fqdn("reviews")


def reviews(subset, port=9080):
    return cluster(port, subset, REVIEWS)


# =============================================================================================
# Seed 000: "How to Configure Istio Traffic Management (VirtualService, DestinationRule)".
# The reviews service of 000-08 (Service on 9080; v1 x3, v2 x2, v3 x1 with version and track
# labels) backs every request.
# =============================================================================================


class Seed000Basics(SeedTestCase):
    def test_basic_virtualservice_sends_all_traffic_to_v1(self):
        """000-01: "This configuration routes ALL traffic to the v1 subset of the reviews
        service"."""
        doc = self.explain(["000-01", "000-02", "000-08"], "GET http://reviews:9080/reviews/1")
        self.assertRoute(doc, "default/reviews-virtualservice", 0, "reviews-default-route",
                         [("v1", 100, reviews("v1"))])
        self.assertEqual(self.replicas(doc), {"v1": 3})
        self.assertEqual(doc["destinations"][0]["subset_labels"], {"version": "v1"})

    def test_each_subset_has_its_own_load_balancer_over_the_shared_policy(self):
        """000-02: "three subsets (v1, v2, v3) based on the version label, each with its own load
        balancing policy"; the top-level policy is the "Default traffic policies for all
        subsets". Istio replaces only the fields a subset sets (here loadBalancer), so the
        top-level connectionPool and outlierDetection still apply to every subset."""
        doc = self.explain(["000-05", "000-02", "000-08"], "GET http://reviews:9080/")
        lbs = {d["subset"]: d["policy"]["load_balancer"] for d in doc["destinations"]}
        self.assertEqual(lbs, {"v1": "ROUND_ROBIN", "v2": "LEAST_REQUEST", "v3": "RANDOM"})
        for d in doc["destinations"]:
            tp = d["policy"]["traffic_policy"]
            self.assertEqual(tp["connectionPool"]["tcp"]["maxConnections"], 100)
            self.assertEqual(tp["connectionPool"]["http"]["http2MaxRequests"], 1000)
            self.assertEqual(tp["outlierDetection"]["consecutive5xxErrors"], 5)
            self.assertEqual(tp["outlierDetection"]["maxEjectionPercent"], 50)
        self.assertEqual(self.replicas(doc), {"v1": 3, "v2": 2, "v3": 1})


class Seed000HeaderRouting(SeedTestCase):
    """000-03, the x-user-type routing diagram: beta -> v2, premium -> v3, no match -> v1."""

    FILES = ["000-03", "000-02", "000-08"]
    VS = "default/reviews-header-routing"

    def test_beta_users_go_to_v2(self):
        """000-03: "Rule 1: Route beta users to v2" (header x-user-type exact "beta"), with the
        response header x-served-by: reviews-v2-beta."""
        doc = self.explain(self.FILES, "GET http://reviews:9080/", "x-user-type: beta")
        self.assertRoute(doc, self.VS, 0, "beta-users-route", [("v2", 100, reviews("v2"))])
        self.assertEqual(doc["policy"]["response_headers"],
                         {"add": {"x-served-by": "reviews-v2-beta"}})

    def test_premium_users_with_high_priority_go_to_v3(self):
        """000-03: "Rule 2: Route premium users to v3" when x-user-type is "premium" and
        x-request-priority starts with "high"."""
        doc = self.explain(self.FILES, "GET http://reviews:9080/", "x-user-type: premium",
                           "x-request-priority: high-urgent")
        self.assertRoute(doc, self.VS, 1, "premium-users-route", [("v3", 100, reviews("v3"))])
        self.assertEqual(doc["policy"]["response_headers"],
                         {"add": {"x-served-by": "reviews-v3-premium"}})

    def test_premium_without_high_priority_falls_to_default(self):
        """000-03: "Multiple header conditions can be combined (AND logic)": premium users whose
        x-request-priority does not start with "high" miss rule 2 and get the default v1."""
        doc = self.explain(self.FILES, "GET http://reviews:9080/", "x-user-type: premium",
                           "x-request-priority: low")
        self.assertRoute(doc, self.VS, 3, "default-route", [("v1", 100, reviews("v1"))])
        self.assertFalse(doc["trace"][1]["matched"])
        self.assertIn("x-request-priority", doc["trace"][1]["reason"])

    def test_internal_testing_goes_to_v3_with_timeout_and_retries(self):
        """000-03: "Rule 3: Route internal testing traffic" (x-internal-testing matching
        ^test-[a-z0-9]+$) to v3 with "timeout: 30s" and 3 retries of 10s on
        5xx,reset,connect-failure."""
        doc = self.explain(self.FILES, "GET http://reviews:9080/", "x-internal-testing: test-abc")
        self.assertRoute(doc, self.VS, 2, "internal-testing-route", [("v3", 100, reviews("v3"))])
        self.assertEqual(doc["policy"]["timeout"], "30s")
        self.assertRetries(doc, 3, "10s", "5xx,reset,connect-failure")
        # 4 tries of 10s do not fit in 30s.
        self.assertIn("exceeds the 30s route timeout", doc["policy"]["retries"]["budget"])

    def test_internal_testing_regex_is_a_full_match(self):
        """000-03: "regex: Match using regular expression" ^test-[a-z0-9]+$: Envoy matches the
        whole value, so test-ABC (upper case) is not internal testing and gets v1."""
        doc = self.explain(self.FILES, "GET http://reviews:9080/", "x-internal-testing: test-ABC")
        self.assertRoute(doc, self.VS, 3, "default-route", [("v1", 100, reviews("v1"))])

    def test_everything_else_goes_to_v1(self):
        """000-03: "Rule 4: Default route for all other traffic" -> v1 (no retries block, so
        Istio's default retry policy and no timeout)."""
        doc = self.explain(self.FILES, "GET http://reviews:9080/", "x-user-type: regular")
        self.assertRoute(doc, self.VS, 3, "default-route", [("v1", 100, reviews("v1"))])
        self.assertEqual([t["matched"] for t in doc["trace"]], [False, False, False, True])
        self.assertIstioDefaultRetries(doc)


class Seed000AdvancedMatching(SeedTestCase):
    """000-04: several conditions in one match block (AND), several blocks (OR), cookies."""

    FILES = ["000-04", "000-02", "000-08"]
    VS = "default/reviews-advanced-headers"

    def test_api_v2_mobile_under_api_goes_to_v2_with_delay(self):
        """000-04: first match condition: x-api-version "v2", user-agent "must contain 'Mobile'",
        "URI must start with /api/" -> v2, with a fault delay of 5s on 10% of requests."""
        doc = self.explain(self.FILES, "GET http://reviews:9080/api/reviews",
                           "x-api-version: v2", "user-agent: Mozilla/5.0 (iPhone) Mobile/15E148")
        self.assertRoute(doc, self.VS, 0, "complex-header-match", [("v2", 100, reviews("v2"))])
        fault = doc["policy"]["fault"]
        self.assertEqual((fault["delay"], fault["delay_percent"]), ("5s", 10.0))
        self.assertNotIn("abort_http_status", fault)

    def test_conditions_in_one_match_block_are_anded(self):
        """000-04: the first condition needs all of its headers and the uri: a mobile v2 request
        outside /api/ does not match it and gets the default v1."""
        doc = self.explain(self.FILES, "GET http://reviews:9080/web/reviews",
                           "x-api-version: v2", "user-agent: Mozilla/5.0 (iPhone) Mobile/15E148")
        self.assertRoute(doc, self.VS, 2, "default", [("v1", 100, reviews("v1"))])

    def test_second_match_block_is_ored(self):
        """000-04: "Second match condition (OR with first) / Either condition being true will
        match": x-feature-flag: new-reviews-ui alone -> v2."""
        doc = self.explain(self.FILES, "GET http://reviews:9080/", "x-feature-flag: new-reviews-ui")
        self.assertRoute(doc, self.VS, 0, "complex-header-match", [("v2", 100, reviews("v2"))])

    def test_premium_session_cookie_goes_to_v3(self):
        """000-04: "Route based on cookies (parsed from Cookie header)": a cookie header matching
        .*session_type=premium.* -> v3."""
        doc = self.explain(self.FILES, "GET http://reviews:9080/",
                           "cookie: user=42; session_type=premium; theme=dark")
        self.assertRoute(doc, self.VS, 1, "cookie-based-routing", [("v3", 100, reviews("v3"))])

    def test_no_condition_goes_to_default_v1(self):
        """000-04: "# Default route" -> v1."""
        doc = self.explain(self.FILES, "GET http://reviews:9080/api/reviews", "x-api-version: v1")
        self.assertRoute(doc, self.VS, 2, "default", [("v1", 100, reviews("v1"))])


class Seed000WeightedRouting(SeedTestCase):
    def test_canary_splits_80_15_5_and_mirrors_1_percent_to_v3(self):
        """000-05: "splits traffic across three versions: 80% to stable v1, 15% to canary v2,
        and 5% to experimental v3", with "mirror: Send a copy of traffic" to v3 at 1%."""
        doc = self.explain(["000-05", "000-02", "000-08"], "GET http://reviews:9080/")
        self.assertRoute(doc, "default/reviews-canary-deployment", 0, "canary-traffic-split",
                         [("v1", 80, reviews("v1")), ("v2", 15, reviews("v2")),
                          ("v3", 5, reviews("v3"))])
        tags = [d["response_headers"] for d in doc["destinations"]]
        self.assertEqual(tags, [{"add": {"x-version": "v1-stable"}},
                                {"add": {"x-version": "v2-canary"}},
                                {"add": {"x-version": "v3-experimental"}}])
        self.assertEqual(self.mirrors(doc), [("v3", 1.0, reviews("v3"))])

    def test_weights_need_not_add_up_to_100(self):
        """000-05: "Weights must add up to 100" (also "Weights must sum to 100"). Istio does not
        require it: any non-negative weights with a non-zero total are accepted and Envoy splits
        in proportion, so 40/15/5 sends 2/3, 1/4 and 1/12 of the traffic."""
        text = edit(seed_text("000-05"), "      weight: 80\n", "      weight: 40\n")
        doc = self.explain([self.write("canary-60.yaml", text), "000-02", "000-08"],
                           "GET http://reviews:9080/")
        self.assertRoute(doc, "default/reviews-canary-deployment", 0, "canary-traffic-split",
                         [("v1", 200 / 3, reviews("v1")), ("v2", 25, reviews("v2")),
                          ("v3", 25 / 3, reviews("v3"))])
        self.assertEqual(doc["ignored"], [])


class Seed000PhasedRollout(SeedTestCase):
    """000-06: four versions of reviews-phased-rollout, applied one after the other."""

    VS = "default/reviews-phased-rollout"

    def phase(self, n):
        docs = seed_docs("000-06")
        self.assertEqual(len(docs), 4)
        return self.write(f"phase{n}.yaml", docs[n - 1])

    def test_phase_1_sends_5_percent_to_v2_with_retries_and_timeout(self):
        """000-06: "Phase 1: Initial canary with 5% traffic": 95/5, 3 retries of 5s on
        5xx,reset,connect-failure,retriable-4xx and "timeout: Overall request timeout" 60s."""
        doc = self.explain([self.phase(1), "000-02", "000-08"], "GET http://reviews:9080/")
        self.assertRoute(doc, self.VS, 0, "phased-rollout",
                         [("v1", 95, reviews("v1")), ("v2", 5, reviews("v2"))])
        self.assertEqual(doc["policy"]["timeout"], "60s")
        self.assertRetries(doc, 3, "5s", "5xx,reset,connect-failure,retriable-4xx")

    def test_phase_2_sends_25_percent_to_v2(self):
        """000-06: "Phase 2: Increase to 25% after successful monitoring" (75/25)."""
        doc = self.explain([self.phase(2), "000-02", "000-08"], "GET http://reviews:9080/")
        self.assertRoute(doc, self.VS, 0, "phased-rollout",
                         [("v1", 75, reviews("v1")), ("v2", 25, reviews("v2"))])
        self.assertIstioDefaultRetries(doc)

    def test_phase_3_splits_50_50(self):
        """000-06: "Phase 3: 50/50 split for final validation"."""
        doc = self.explain([self.phase(3), "000-02", "000-08"], "GET http://reviews:9080/")
        self.assertRoute(doc, self.VS, 0, "phased-rollout",
                         [("v1", 50, reviews("v1")), ("v2", 50, reviews("v2"))])

    def test_phase_4_sends_everything_to_v2(self):
        """000-06: "Phase 4: Complete rollout - 100% to new version"."""
        doc = self.explain([self.phase(4), "000-02", "000-08"], "GET http://reviews:9080/")
        self.assertRoute(doc, self.VS, 0, "phased-rollout", [("v2", 100, reviews("v2"))])

    def test_applying_the_whole_file_leaves_the_last_phase(self):
        """000-06 holds all four phases under one name ("Apply this after validating Phase 1
        metrics"). Applied as one file, each document replaces the previous one (kubectl
        apply), so the proxy sees phase 4: everything to v2."""
        doc = self.explain(["000-06", "000-02", "000-08"], "GET http://reviews:9080/")
        self.assertRoute(doc, self.VS, 0, "phased-rollout", [("v2", 100, reviews("v2"))])
        self.assertEqual(len(doc["ignored"]), 3, summary(doc))


class Seed000CompleteExample(SeedTestCase):
    """000-07 (reviews-complete-dr, reviews-complete-vs, an external ServiceEntry) with 000-08."""

    FILES = ["000-07", "000-08"]
    VS = "default/reviews-complete-vs"

    def test_internal_testing_needs_both_test_headers(self):
        """000-07: "Priority 1: Internal testing with specific headers": x-test-mode: enabled and
        x-test-version: v3 -> v3 with the testing CORS policy and "Longer timeout for testing"
        (120s)."""
        doc = self.explain(self.FILES, "GET http://reviews:9080/reviews", "x-test-mode: enabled",
                           "x-test-version: v3")
        self.assertRoute(doc, self.VS, 0, "internal-testing", [("v3", 100, reviews("v3"))])
        self.assertEqual(doc["policy"]["timeout"], "120s")
        cors = doc["policy"]["cors"]
        self.assertEqual(cors["allowOrigins"], [{"regex": ".*\\.test\\.example\\.com"}])
        self.assertEqual(cors["allowMethods"], ["GET", "POST", "PUT", "DELETE"])
        self.assertEqual(cors["maxAge"], "86400s")

    def test_one_test_header_alone_is_not_internal_testing(self):
        """000-07: the internal-testing headers are one match block (AND): x-test-mode alone
        falls through to "Priority 5: Canary traffic for general users"."""
        doc = self.explain(self.FILES, "GET http://reviews:9080/reviews", "x-test-mode: enabled")
        self.assertEqual(doc["route_name"], "canary-rollout", summary(doc))
        self.assertFalse(doc["trace"][0]["matched"])

    def test_beta_header_goes_to_v3(self):
        """000-07: `curl -H "x-user-type: beta" http://reviews:9080/reviews` "should be routed to
        v3 (beta users)", with x-beta-features/x-version response headers and 2 retries of 5s
        (no retryOn: Istio's default conditions; no timeout)."""
        doc = self.explain(self.FILES, "GET http://reviews:9080/reviews", "x-user-type: beta")
        self.assertRoute(doc, self.VS, 1, "beta-users", [("v3", 100, reviews("v3"))])
        self.assertEqual(doc["policy"]["response_headers"],
                         {"add": {"x-beta-features": "enabled", "x-version": "v3"}})
        self.assertRetries(doc, 2, "5s", "connect-failure,refused-stream,unavailable,cancelled,"
                           "retriable-status-codes")
        self.assertIsNone(doc["policy"]["timeout"])

    def test_beta_opt_in_cookie_goes_to_v3(self):
        """000-07: "Users opted into beta features": the second match block (OR) takes a cookie
        matching .*beta_opt_in=true.* -> v3."""
        doc = self.explain(self.FILES, "GET http://reviews:9080/reviews",
                           "cookie: sid=1; beta_opt_in=true")
        self.assertRoute(doc, self.VS, 1, "beta-users", [("v3", 100, reviews("v3"))])

    def test_premium_tier_splits_70_30_with_longer_timeout(self):
        """000-07: "Premium users get canary version with fallback": 70% v2, 30% v1, "Higher
        timeout for premium users" 60s, 5 retries of 10s on 5xx,reset,connect-failure,
        retriable-4xx."""
        doc = self.explain(self.FILES, "GET http://reviews:9080/reviews", "x-user-tier: premium")
        self.assertRoute(doc, self.VS, 2, "premium-users",
                         [("v2", 70, reviews("v2")), ("v1", 30, reviews("v1"))])
        self.assertEqual(doc["policy"]["timeout"], "60s")
        self.assertRetries(doc, 5, "10s", "5xx,reset,connect-failure,retriable-4xx")
        self.assertEqual(doc["policy"]["response_headers"],
                         {"add": {"x-premium-routing": "enabled"}})

    def test_us_regions_split_20_80(self):
        """000-07: "Priority 4: Geographic routing based on headers": x-user-region us-east or
        us-west -> 20% v2, 80% v1."""
        for region in ("us-east", "us-west"):
            with self.subTest(region=region):
                doc = self.explain(self.FILES, "GET http://reviews:9080/reviews",
                                   f"x-user-region: {region}")
                self.assertRoute(doc, self.VS, 3, "geo-routing",
                                 [("v2", 20, reviews("v2")), ("v1", 80, reviews("v1"))])

    def test_other_regions_get_the_general_canary(self):
        """000-07: the region regex ^(us-east|us-west)$ is anchored: us-east-2 is general
        traffic."""
        doc = self.explain(self.FILES, "GET http://reviews:9080/reviews",
                           "x-user-region: us-east-2")
        self.assertEqual(doc["route_name"], "canary-rollout", summary(doc))

    def test_general_traffic_is_the_80_15_5_canary_with_mirror(self):
        """000-07: "Priority 5: Canary traffic for general users": 80% v1, 15% v2, 5% v3,
        "Mirror 1% of traffic to v3 for shadow testing", 3 retries of 5s, timeout 30s."""
        doc = self.explain(self.FILES, "GET http://reviews:9080/reviews")
        self.assertRoute(doc, self.VS, 4, "canary-rollout",
                         [("v1", 80, reviews("v1")), ("v2", 15, reviews("v2")),
                          ("v3", 5, reviews("v3"))])
        self.assertEqual(self.mirrors(doc), [("v3", 1.0, reviews("v3"))])
        self.assertEqual(doc["policy"]["timeout"], "30s")
        self.assertRetries(doc, 3, "5s", "5xx,reset,connect-failure")

    def test_subsets_select_the_pods_of_the_diagram(self):
        """000-07 diagram: v1 stable has 3 pods, v2 canary 2, v3 beta 1; "These labels must
        match the DestinationRule subset labels" (version and track)."""
        doc = self.explain(self.FILES, "GET http://reviews:9080/reviews")
        self.assertEqual(self.replicas(doc), {"v1": 3, "v2": 2, "v3": 1}, summary(doc))
        labels = {d["subset"]: d["subset_labels"] for d in doc["destinations"]}
        self.assertEqual(labels["v2"], {"version": "v2", "track": "canary"})

    def test_subset_policy_replaces_the_top_level_field_it_sets(self):
        """000-07: top-level "Global traffic policy applied to all subsets", v1 "More
        conservative connection pool for stable". Istio replaces a whole field that the subset
        sets: v1's connectionPool is only its http limits (the top-level tcp maxConnections and
        connectTimeout do not carry over), while outlierDetection and ISTIO_MUTUAL tls, which v1
        does not set, come from the top level; v2 gets its stricter outlierDetection."""
        doc = self.explain(self.FILES, "GET http://reviews:9080/reviews")
        pol = {d["subset"]: d["policy"] for d in doc["destinations"]}
        v1 = pol["v1"]["traffic_policy"]
        self.assertEqual(v1["connectionPool"],
                         {"http": {"http1MaxPendingRequests": 200, "http2MaxRequests": 2000}})
        self.assertEqual(v1["outlierDetection"]["minHealthPercent"], 30)
        self.assertEqual(pol["v1"]["load_balancer"], "ROUND_ROBIN")
        self.assertEqual(pol["v1"]["tls_mode"], "ISTIO_MUTUAL")
        v2 = pol["v2"]["traffic_policy"]
        self.assertEqual(v2["outlierDetection"],
                         {"interval": "5s", "consecutive5xxErrors": 3, "baseEjectionTime": "60s"})
        self.assertEqual(v2["connectionPool"]["tcp"],
                         {"maxConnections": 100, "connectTimeout": "30s"})
        self.assertEqual(pol["v3"]["load_balancer"], "RANDOM")

    def test_fqdn_host_takes_the_same_routes(self):
        """000-07: hosts "reviews" and "reviews.default.svc.cluster.local" name one service: a
        request by FQDN takes the same beta route."""
        doc = self.explain(self.FILES, f"GET http://{REVIEWS}:9080/reviews", "x-user-type: beta")
        self.assertRoute(doc, self.VS, 1, "beta-users", [("v3", 100, reviews("v3"))])

    def test_routes_also_apply_at_the_main_gateway(self):
        """000-07: "Apply to both mesh-internal and gateway traffic" (gateways mesh and
        istio-system/main-gateway). The seed never shows main-gateway; the test adds one
        (selector istio: ingressgateway, HTTP port 80, hosts "*"). At a gateway only the FQDN
        names the service, and the destination port comes from the service's only port, 9080."""
        gw = self.write("main-gateway.yaml",
                        "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata:\n"
                        "  name: main-gateway\n  namespace: istio-system\nspec:\n"
                        "  selector:\n    istio: ingressgateway\n  servers:\n"
                        "  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: ['*']\n")
        doc = self.explain(self.FILES + [gw], f"GET http://{REVIEWS}/reviews", "x-user-type: beta",
                           flags=["--gateway", "istio-system/main-gateway"])
        self.assertRoute(doc, self.VS, 1, "beta-users", [("v3", 100, reviews("v3"))])
        self.assertEqual(doc["listener"], "0.0.0.0_80")
        # The short name is no domain of the gateway's virtual host: Envoy's 404 NR.
        doc = self.explain(self.FILES + [gw], "GET http://reviews/reviews", "x-user-type: beta",
                           flags=["--gateway", "istio-system/main-gateway"])
        self.assertAnswered(doc, 404, "NR", outcome="no_route")

    def test_pods_without_the_track_label_give_no_healthy_upstream(self):
        """000, "Issue 2: Subset Not Found": "If you see 'no healthy upstream' errors: Verify
        pods have the correct version labels". With pods labelled only app/version (no track),
        reviews-complete-dr's subsets select nothing: Envoy answers 503 UH."""
        pods = self.write("pods.yaml", versioned("reviews", 9080, ["v1", "v2", "v3"]))
        doc = self.explain(["000-07", pods], "GET http://reviews:9080/reviews", "x-user-type: beta")
        self.assertAnswered(doc, 503, "UH")
        self.assertEqual(doc["route_name"], "beta-users")
        self.assertDestinations(doc, [("v3", 100, reviews("v3"))], status="no_healthy_upstream")
        self.assertIn("track", doc["destinations"][0]["problem"])

    def test_external_api_is_reachable_through_its_service_entry(self):
        """000-07: the ServiceEntry reviews-external-api ("Use when the reviews service needs to
        call external APIs") puts api.external-reviews.com:443 in the registry: TLS to it goes
        to its own cluster."""
        doc = self.explain(["000-07"], "https://api.external-reviews.com/v1/reviews",
                           flags=["--sni", "api.external-reviews.com"])
        self.assertEqual(doc["outcome"], "route", summary(doc))
        self.assertDestinations(doc, [("", 100, "outbound|443||api.external-reviews.com")])

    def test_one_virtualservice_per_host_the_oldest_wins(self):
        """000, "Only one VirtualService should exist per host". With two (000-01 and 000-03)
        a sidecar does not merge them: it keeps the oldest by creationTimestamp and drops the
        other's routes. With reviews-virtualservice older, a beta user gets its v1 route."""
        older = edit(seed_text("000-01"), "metadata:\n",
                     "metadata:\n  creationTimestamp: \"2024-01-01T00:00:00Z\"\n")
        newer = edit(seed_text("000-03"), "metadata:\n",
                     "metadata:\n  creationTimestamp: \"2024-02-01T00:00:00Z\"\n")
        doc = self.explain([self.write("older.yaml", older), self.write("newer.yaml", newer),
                            "000-02", "000-08"], "GET http://reviews:9080/", "x-user-type: beta")
        self.assertRoute(doc, "default/reviews-virtualservice", 0, "reviews-default-route",
                         [("v1", 100, reviews("v1"))])


# =============================================================================================
# Seed 001: "Traffic Management Fundamentals" (reference).
# =============================================================================================


class Seed001CompleteVirtualService(SeedTestCase):
    """001-01 reviews-route. Its seed DestinationRule (001-04) is rejected by Istio, so the
    routing tests use it with that one field fixed; the last test uses it as written."""

    VS = "default/reviews-route"
    MOBILE = "user-agent: Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Mobile/15E148"
    PRODUCTPAGE = ["--labels", "app=productpage,version=v1"]
    URL = f"GET http://{REVIEWS}:9080/api/reviews/1?version=beta"

    def files(self):
        dr = edit(seed_text("001-04"), "      consecutiveLocalOriginFailures: 5\n",
                  "      consecutiveLocalOriginFailures: 5\n"
                  "      splitExternalLocalOriginErrors: true\n")
        return ["001-01", self.write("dr.yaml", dr), "000-08"]

    def test_mobile_beta_get_from_productpage_goes_to_v2_with_full_policy(self):
        """001-01: "reviews-v2-route": user-agent .*Mobile.*, uri prefix /api/reviews, query
        version=beta, method GET, "Source Labels: Match based on source workload labels"
        (app: productpage, version: v1; for a sidecar that is the calling workload itself) ->
        v2:9080 with its header operations, rewrite to /reviews and reviews-internal, timeout
        10s, 3 retries of 2s, fault (10% 5s delay, 5% 503 abort) and CORS."""
        doc = self.explain(self.files(), self.URL, self.MOBILE, flags=self.PRODUCTPAGE)
        self.assertRoute(doc, self.VS, 0, "reviews-v2-route", [("v2", 100, reviews("v2"))])
        dest = doc["destinations"][0]
        self.assertEqual(dest["request_headers"],
                         {"add": {"x-custom-header": "mobile-user"},
                          "set": {"x-envoy-upstream-rq-timeout-ms": "1000"},
                          "remove": ["x-legacy-header"]})
        self.assertEqual(dest["response_headers"], {"add": {"x-response-source": "reviews-v2"}})
        pol = doc["policy"]
        # Prefix /api/reviews replaced by /reviews; Envoy keeps the rest of the path and query.
        self.assertEqual(pol["rewrite_path"], "/reviews/1?version=beta")
        self.assertEqual(pol["rewrite_authority"], "reviews-internal.svc.cluster.local")
        self.assertEqual(pol["timeout"], "10s")
        self.assertRetries(doc, 3, "2s", "5xx,reset,connect-failure,refused-stream")
        self.assertEqual(pol["fault"], {"delay": "5s", "delay_percent": 10.0,
                                        "abort_http_status": 503, "abort_percent": 5.0})
        self.assertEqual(pol["cors"]["allowOrigins"],
                         [{"exact": "https://example.com"}, {"prefix": "https://*.example.com"}])
        self.assertTrue(pol["cors"]["allowCredentials"])

    def test_each_condition_of_the_match_is_required(self):
        """001-01: the conditions of one match block are ANDed; missing any one (desktop agent,
        POST, no version=beta, another caller, another path) gives the
        "reviews-default-route": 80% v1, 20% v3."""
        cases = {
            "desktop": (self.URL, "user-agent: Mozilla/5.0 (X11; Linux x86_64)", self.PRODUCTPAGE),
            "post": (self.URL.replace("GET", "POST"), self.MOBILE, self.PRODUCTPAGE),
            "no query": (self.URL.split("?")[0], self.MOBILE, self.PRODUCTPAGE),
            "other caller": (self.URL, self.MOBILE, ["--labels", "app=productpage,version=v2"]),
            "other path": (self.URL.replace("/api/reviews", "/api/ratings"), self.MOBILE,
                           self.PRODUCTPAGE),
        }
        for name, (url, agent, flags) in cases.items():
            with self.subTest(name):
                doc = self.explain(self.files(), url, agent, flags=flags)
                self.assertRoute(doc, self.VS, 1, "reviews-default-route",
                                 [("v1", 80, reviews("v1")), ("v3", 20, reviews("v3"))])

    def test_seed_destination_rule_is_rejected_so_subsets_have_no_cluster(self):
        """001-04 "Complete DestinationRule Example": Istio rejects it (consecutiveLocalOrigin
        Failures needs splitExternalLocalOriginErrors: true), so subsets v1/v2/v3 are defined
        nowhere and reviews-route's matched route answers 503 NC instead of reaching v2."""
        doc = self.explain(["001-01", "001-04", "000-08"], self.URL, self.MOBILE,
                           flags=self.PRODUCTPAGE)
        self.assertNoCluster(doc, self.VS, 0, "reviews-v2-route", [("v2", 100, reviews("v2"))])
        self.assertTrue(any("reviews-destination" in i for i in doc["ignored"]), summary(doc))


class Seed001RedirectAndDelegation(SeedTestCase):
    def test_old_api_is_redirected_permanently(self):
        """001-02 "Redirect Configuration": /old-api on oldservice.example.com -> 301 to
        https://newservice.example.com/new-api (Istio's redirect uri replaces the whole path).
        oldservice.example.com is in no registry: Istio serves such VirtualService hosts on a
        sidecar's port-80 HTTP listener, which exists when any service has HTTP port 80; the
        test adds one (a Service web:80)."""
        web = self.write("web.yaml", service("web", 80))
        doc = self.explain(["001-02", web], "GET http://oldservice.example.com/old-api/users")
        self.assertAnswered(doc, 301, "", outcome="redirect")
        self.assertEqual(doc["redirect"], "https://newservice.example.com/new-api", summary(doc))
        self.assertEqual(doc["virtual_service"], "default/redirect-example")

    def gateway_and_backends(self):
        """root-vs binds to gateway api-gateway (default), which the seed never shows; and the
        delegate's reviews.reviews-ns service with subsets v1/v2."""
        gw = ("apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata:\n"
              "  name: api-gateway\n  namespace: default\nspec:\n  selector:\n"
              "    istio: ingressgateway\n  servers:\n"
              "  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: [api.example.com]\n")
        dr = ("apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n"
              "  name: reviews\n  namespace: reviews-ns\nspec:\n"
              f"  host: {fqdn('reviews', 'reviews-ns')}\n  subsets:\n"
              "  - {name: v1, labels: {version: v1}}\n  - {name: v2, labels: {version: v2}}\n")
        backends = versioned("reviews", 9080, ["v1", "v2"], ns="reviews-ns")
        return [self.write("gw.yaml", gw), self.write("dr.yaml", dr),
                self.write("backends.yaml", backends)]

    GATEWAY = ["--gateway", "default/api-gateway"]

    def test_delegate_with_hosts_is_not_delegated_to(self):
        """001-03 "VirtualServices can delegate routing to other VirtualServices". As written,
        the delegate reviews-vs has hosts: Istio only delegates to VirtualServices without
        hosts, so root-vs's /reviews route is dropped (and ratings-vs does not exist): at the
        gateway /reviews/v2 gets Envoy's 404 NR, not reviews v2."""
        doc = self.explain(["001-03"] + self.gateway_and_backends(),
                           "GET http://api.example.com/reviews/v2/42", flags=self.GATEWAY)
        self.assertAnswered(doc, 404, "NR", outcome="no_route")
        self.assertEqual(doc["destinations"], [])
        notes = " ".join(doc["notes"])
        self.assertIn("reviews-ns/reviews-vs, which has hosts", notes)
        self.assertIn("ratings-ns/ratings-vs, which does not exist", notes)

    def test_would_be_delegate_with_hosts_applies_to_mesh_traffic(self):
        """001-03: root-vs is bound to api-gateway only, so sidecars never use it; reviews-vs,
        with hosts and no gateways, is an ordinary VirtualService bound to the mesh, and a
        sidecar (given a port-80 HTTP listener by the test's Service web:80) matches
        api.example.com/reviews/v2 with it. Its destination names no port, and on the port-80
        listener Istio only looks up services that have port 80, so the cluster is
        outbound|80|v2|reviews.reviews-ns..., which does not exist (reviews serves 9080):
        503 NC."""
        web = self.write("web.yaml", service("web", 80))
        doc = self.explain(["001-03", web] + self.gateway_and_backends(),
                           "GET http://api.example.com/reviews/v2/42")
        self.assertNoCluster(doc, "reviews-ns/reviews-vs", 0, "",
                             [("v2", 100, cluster(80, "v2", fqdn("reviews", "reviews-ns")))])

    def delegation_files(self):
        docs = seed_docs("001-03")
        self.assertEqual(len(docs), 2)
        delegate = edit(docs[1], "  hosts:\n  - api.example.com\n", "")
        return [self.write("root.yaml", docs[0]), self.write("delegate.yaml", delegate)]

    def test_delegate_without_hosts_routes_reviews_v2(self):
        """001-03, with the delegate's hosts removed (as Istio requires of a delegate): under
        root-vs's /reviews, the delegate's /reviews/v2 route -> reviews.reviews-ns v2."""
        doc = self.explain(self.delegation_files() + self.gateway_and_backends(),
                           "GET http://api.example.com/reviews/v2/42", flags=self.GATEWAY)
        self.assertRoute(doc, "default/root-vs", None, "",
                         [("v2", 100, cluster(9080, "v2", fqdn("reviews", "reviews-ns")))])

    def test_delegate_catch_all_routes_other_reviews_paths_to_v1(self):
        """001-03 (delegate without hosts): the delegate's catch-all, merged with root's
        /reviews prefix, sends /reviews/... to reviews.reviews-ns v1."""
        doc = self.explain(self.delegation_files() + self.gateway_and_backends(),
                           "GET http://api.example.com/reviews/42", flags=self.GATEWAY)
        self.assertRoute(doc, "default/root-vs", None, "",
                         [("v1", 100, cluster(9080, "v1", fqdn("reviews", "reviews-ns")))])

    def test_missing_ratings_delegate_gives_no_route(self):
        """001-03: root-vs delegates /ratings to ratings-ns/ratings-vs, which the seed never
        defines: Istio drops that route, so /ratings gets Envoy's 404 NR."""
        doc = self.explain(self.delegation_files() + self.gateway_and_backends(),
                           "GET http://api.example.com/ratings/42", flags=self.GATEWAY)
        self.assertAnswered(doc, 404, "NR", outcome="no_route")


class Seed001DestinationPolicies(SeedTestCase):
    """001-05, 001-07, 001-19..25: DestinationRule policies seen on the destination. The seed
    shows no Service for these hosts; the test adds one on HTTP port 8080 each."""

    def backend(self, name):
        return self.write(f"{name}.yaml", versioned(name, 8080, ["v1"]))

    def policy(self, block, host):
        doc = self.explain([block, self.backend(host)], f"GET http://{host}:8080/")
        self.assertEqual(doc["outcome"], "route", summary(doc))
        self.assertDestinations(doc, [("", 100, cluster(8080, "", fqdn(host)))],
                                status=doc["destinations"][0]["status"])
        return doc, doc["destinations"][0]["policy"]

    def test_least_request_load_balancer(self):
        """001-05: "LEAST_REQUEST: Routes to endpoints with the fewest active requests"."""
        doc, pol = self.policy("001-05", "myservice")
        self.assertEqual(pol["load_balancer"], "LEAST_REQUEST")
        self.assertEqual(doc["destinations"][0]["destination_rule"], "default/lb-examples")

    def test_round_robin_load_balancer(self):
        """001-19: "ROUND_ROBIN: Round robin policy, distributing requests evenly"."""
        _, pol = self.policy("001-19", "myservice")
        self.assertEqual(pol["load_balancer"], "ROUND_ROBIN")

    def test_header_hash_affinity(self):
        """001-20 "HTTP Header-Based Hashing": consistent hash on x-user-id (Envoy ring hash)."""
        _, pol = self.policy("001-20", "webapp")
        self.assertEqual(pol["load_balancer"], "RING_HASH")
        self.assertEqual(pol["traffic_policy"]["loadBalancer"]["consistentHash"],
                         {"httpHeaderName": "x-user-id"})

    def test_cookie_hash_affinity(self):
        """001-21 "HTTP Cookie-Based Hashing": cookie session-id, ttl 3600s, path /api."""
        _, pol = self.policy("001-21", "webapp")
        self.assertEqual(pol["load_balancer"], "RING_HASH")
        self.assertEqual(pol["traffic_policy"]["loadBalancer"]["consistentHash"]["httpCookie"],
                         {"name": "session-id", "ttl": "3600s", "path": "/api"})

    def test_source_ip_hash_affinity(self):
        """001-22 "Source IP-Based Hashing": useSourceIp."""
        _, pol = self.policy("001-22", "stateful-service")
        self.assertEqual(pol["load_balancer"], "RING_HASH")
        self.assertEqual(pol["traffic_policy"]["loadBalancer"]["consistentHash"],
                         {"useSourceIp": True})

    def test_query_parameter_hash_affinity(self):
        """001-23 "Query Parameter-Based Hashing": httpQueryParameterName tenant-id."""
        _, pol = self.policy("001-23", "api")
        self.assertEqual(pol["traffic_policy"]["loadBalancer"]["consistentHash"],
                         {"httpQueryParameterName": "tenant-id"})

    def test_ring_hash_minimum_ring_size(self):
        """001-24 "Ring Hash with Minimum Ring Size" 1024 (deprecated field: Istio warns but
        accepts, and still builds a ring hash)."""
        doc, pol = self.policy("001-24", "distributed-cache")
        self.assertEqual(pol["load_balancer"], "RING_HASH")
        self.assertEqual(pol["traffic_policy"]["loadBalancer"]["consistentHash"]["minimumRingSize"],
                         1024)
        self.assertEqual(doc["ignored"], [])

    def test_locality_rule_with_distribute_and_failover_is_rejected(self):
        """001-25 "Locality Load Balancing ... Prefer endpoints in the same locality": Istio
        rejects this rule (distribute and failover together), so global-service keeps no
        DestinationRule and Istio's default LEAST_REQUEST."""
        doc, pol = self.policy("001-25", "global-service")
        self.assertIsNone(doc["destinations"][0]["destination_rule"], summary(doc))
        self.assertEqual(pol["load_balancer"], "LEAST_REQUEST")
        self.assertTrue(any("locality-lb" in i for i in doc["ignored"]), summary(doc))

    def test_simple_tls_originates_tls(self):
        """001-07: "SIMPLE: Originate a TLS connection to the upstream endpoint" for
        external-service.com. The test adds the ServiceEntry (HTTP port 80, DNS) that makes the
        host known to the sidecar."""
        se = self.write("se.yaml",
                        "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n"
                        "  name: external-service\n  namespace: default\nspec:\n"
                        "  hosts: [external-service.com]\n"
                        "  ports: [{number: 80, name: http, protocol: HTTP}]\n"
                        "  location: MESH_EXTERNAL\n  resolution: DNS\n")
        doc = self.explain(["001-07", se], "GET http://external-service.com/")
        self.assertEqual(doc["outcome"], "route", summary(doc))
        self.assertDestinations(doc, [("", 100, "outbound|80||external-service.com")])
        self.assertEqual(doc["destinations"][0]["policy"]["tls_mode"], "SIMPLE")


class Seed001GatewaysAndEntries(SeedTestCase):
    def test_gateway_redirects_http_to_https(self):
        """001-08: "httpsRedirect: true  # Redirect HTTP to HTTPS" on port 80 for
        *.example.com: api.example.com over HTTP at the ingress gateway gets a 301 to https,
        before api-vs (001-09, bound to istio-system/ingress-gateway) is consulted."""
        api = self.write("api.yaml", service("api-v1", 8080))
        doc = self.explain(["001-08", "001-09", api], "GET http://api.example.com/v1/users",
                           flags=["--gateway", "istio-system/ingress-gateway"])
        self.assertAnswered(doc, 301, "", outcome="redirect")
        self.assertEqual(doc["redirect"], "https://api.example.com/v1/users")

    def test_mesh_binding_routes_v1_prefix_to_api_v1(self):
        """001-09 "Also apply to mesh-internal traffic": a sidecar sends api.example.com/v1 to
        api-v1:8080. api.example.com is in no registry; Istio serves such hosts on the port-80
        HTTP listener, which the test's Service web:80 creates (with api-v1 on 8080)."""
        extra = self.write("svc.yaml", service("api-v1", 8080) + "---\n" + service("web", 80)
                           + "---\n" + deployment("api-v1", {"app": "api-v1"}))
        doc = self.explain(["001-08", "001-09", extra], "GET http://api.example.com/v1/users")
        self.assertRoute(doc, "default/api-vs", 0, "",
                         [("", 100, cluster(8080, "", fqdn("api-v1")))])
        other = self.explain(["001-08", "001-09", extra], "GET http://api.example.com/v2/users")
        self.assertAnswered(other, 404, "NR", outcome="no_route")

    def test_external_database_is_a_tcp_service(self):
        """001-11 external-database: "MESH_EXTERNAL ... external APIs, databases": TCP to
        postgres.external.com:5432 goes to its cluster with the two listed endpoints."""
        doc = self.explain(["001-11"], "tcp://postgres.external.com:5432",
                           flags=["--protocol", "tcp"])
        self.assertEqual(doc["outcome"], "route", summary(doc))
        self.assertDestinations(doc, [("", 100, "outbound|5432||postgres.external.com")])
        self.assertEqual(len(doc["destinations"][0]["endpoints"]), 2)

    def test_wildcard_external_api_entry_is_rejected(self):
        """001-11 external-api (hosts api.external.com and *.api.external.com, resolution DNS,
        no endpoints): Istio rejects it (with DNS and no endpoints every host must be an FQDN),
        so api.external.com stays unknown and, with the default ALLOW_ANY, TLS to it passes
        through to the original destination."""
        doc = self.explain(["001-11"], "https://api.external.com/",
                           flags=["--sni", "api.external.com"])
        self.assertEqual(doc["outcome"], "route", summary(doc))
        self.assertDestinations(doc, [("", 100, "PassthroughCluster")])
        self.assertTrue(any("external-api" in i for i in doc["ignored"]), summary(doc))

    def test_export_to_limits_who_sees_the_shared_database(self):
        """001-12: "Control which namespaces can see the ServiceEntry" (exportTo ".", team-a,
        team-b): a proxy in team-a reaches shared-db.example.com:3306 through its cluster; one in
        team-c does not see it and (ALLOW_ANY) passes the connection through."""
        url, tcp = "tcp://shared-db.example.com:3306", ["--protocol", "tcp"]
        doc = self.explain(["001-12"], url, flags=tcp + ["--namespace", "team-a"])
        self.assertDestinations(doc, [("", 100, "outbound|3306||shared-db.example.com")])
        doc = self.explain(["001-12"], url, flags=tcp + ["--namespace", "team-c"])
        self.assertDestinations(doc, [("", 100, "PassthroughCluster")])


class Seed001Sidecars(SeedTestCase):
    def test_egress_only_on_443_blocks_reviews_on_9080(self):
        """001-14: productpage's egress lists "*/reviews.default.svc.cluster.local" but only on
        port 443, and "REGISTRY_ONLY  # Only allow traffic to services in the registry": the
        sidecar has no listener for reviews:9080, so the connection goes to BlackHoleCluster."""
        backends = self.write("reviews.yaml", versioned("reviews", 9080, ["v1"]))
        doc = self.explain(["001-14", backends], "GET http://reviews:9080/",
                           flags=["--labels", "app=productpage,version=v1"])
        self.assertEqual(doc["_exit"], 1, summary(doc))
        self.assertDestinations(doc, [("", 100, "BlackHoleCluster")],
                                status=doc["destinations"][0]["status"])

    def test_registry_only_namespace_sees_only_listed_namespaces(self):
        """001-15: production's Sidecar imports "./*", istio-system and shared-services with
        REGISTRY_ONLY ("Only allow outbound traffic to services defined in the service
        registry"): orders.production is routed; reviews.default on the same port is not
        visible, so the sidecar answers 502 (block_all)."""
        svcs = self.write("svcs.yaml", versioned("orders", 8080, ["v1"], ns="production") + "---\n"
                          + versioned("reviews", 8080, ["v1"]))
        doc = self.explain(["001-15", svcs], "GET http://orders:8080/",
                           flags=["--namespace", "production"])
        self.assertEqual(doc["outcome"], "route", summary(doc))
        self.assertDestinations(doc, [("", 100, cluster(8080, "", fqdn("orders", "production")))])
        doc = self.explain(["001-15", svcs], f"GET http://{REVIEWS}:8080/",
                           flags=["--namespace", "production"])
        self.assertAnswered(doc, 502, "", outcome="direct_response")
        self.assertEqual(doc["route_name"], "block_all")

    def test_egress_proxy_with_registry_only_is_rejected(self):
        """001-16 strict-egress: "REGISTRY_ONLY" with an egressProxy. Istio rejects it
        (egressProxy only with ALLOW_ANY), so secure-namespace keeps the default ALLOW_ANY and
        an unknown host passes through instead of being blocked."""
        web = self.write("web.yaml", service("web", 80, ns="secure-namespace"))
        doc = self.explain(["001-16", web], "GET http://unknown.example.org/",
                           flags=["--namespace", "secure-namespace"])
        self.assertEqual(doc["outcome"], "route", summary(doc))
        self.assertDestinations(doc, [("", 100, "PassthroughCluster")])
        self.assertTrue(any("strict-egress" in i for i in doc["ignored"]), summary(doc))

    def test_minimal_config_sees_only_listed_services(self):
        """001-17: "Reduce Envoy configuration size by limiting visible services":
        microservice-a sees microservice-b but not microservice-d; with ALLOW_ANY the request to
        d is passed through (allow_any), not routed to d's cluster."""
        ns = "microservice-a"
        svcs = self.write("svcs.yaml", versioned("microservice-b", 8080, ["v1"], ns=ns) + "---\n"
                          + versioned("microservice-d", 8080, ["v1"], ns=ns))
        flags = ["--namespace", ns, "--labels", "app=microservice-a"]
        doc = self.explain(["001-17", svcs], "GET http://microservice-b:8080/", flags=flags)
        self.assertDestinations(doc, [("", 100, cluster(8080, "", fqdn("microservice-b", ns)))])
        doc = self.explain(["001-17", svcs], "GET http://microservice-d:8080/", flags=flags)
        self.assertEqual(doc["route_name"], "allow_any", summary(doc))
        self.assertDestinations(doc, [("", 100, "PassthroughCluster")])
        # A workload the Sidecar does not select still sees microservice-d.
        doc = self.explain(["001-17", svcs], "GET http://microservice-d:8080/",
                           flags=["--namespace", ns, "--labels", "app=other"])
        self.assertDestinations(doc, [("", 100, cluster(8080, "", fqdn("microservice-d", ns)))])


class Seed001TrafficSplitting(SeedTestCase):
    """001-26..32, "Traffic Splitting Patterns". Where the seed gives no DestinationRule for a
    host, no subset has a cluster: the route is chosen as described, then Envoy answers 503 NC
    (the seed's own advice: "Define subsets in DestinationRule before referencing them")."""

    def test_version_header_routes_to_v2_else_v1(self):
        """001-26 "Route traffic to specific versions based on headers": x-api-version v2 ->
        v2, otherwise v1."""
        api, files = fqdn("api"), ["001-26"]
        files.append(self.write("api.yaml", versioned("api", 8080, ["v1", "v2"])))
        doc = self.explain(files, f"GET http://{api}:8080/", "x-api-version: v2")
        self.assertRoute(doc, "default/version-routing", 0, "",
                         [("v2", 100, cluster(8080, "v2", api))])
        doc = self.explain(files, f"GET http://{api}:8080/", "x-api-version: v3")
        self.assertRoute(doc, "default/version-routing", 1, "",
                         [("v1", 100, cluster(8080, "v1", api))])

    def test_user_role_header_picks_canary_staging_or_stable(self):
        """001-27 "Route based on user identity, roles, or custom headers": beta-tester ->
        canary, internal -> staging, others -> stable. The seed defines no subsets for webapp,
        so each answer is 503 NC."""
        webapp = fqdn("webapp")
        files = ["001-27", self.write("webapp.yaml", versioned("webapp", 8080, ["stable"]))]
        for role, index, subset in (("beta-tester", 0, "canary"), ("internal", 1, "staging"),
                                    ("customer", 2, "stable")):
            with self.subTest(role=role):
                doc = self.explain(files, f"GET http://{webapp}:8080/", f"x-user-role: {role}")
                self.assertNoCluster(doc, "default/header-routing", index, "",
                                     [(subset, 100, cluster(8080, subset, webapp))])

    def test_percentage_canary_splits_90_10(self):
        """001-28 "Gradually shift traffic between versions": 90% v1, 10% v2."""
        doc = self.explain(["001-28", "000-08"], f"GET http://{REVIEWS}:9080/")
        self.assertRoute(doc, "default/canary-deployment", 0, "",
                         [("v1", 90, reviews("v1")), ("v2", 10, reviews("v2"))])

    def test_blue_green_sends_everything_to_green(self):
        """001-29 "Instant cutover between versions": 100% to green ("Change to 'blue' for
        rollback")."""
        payment = fqdn("payment")
        pods = self.write("payment.yaml", versioned("payment", 8080, ["blue", "green"]))
        doc = self.explain(["001-29", pods], f"GET http://{payment}:8080/")
        self.assertRoute(doc, "default/blue-green", 0, "",
                         [("green", 100, cluster(8080, "green", payment))])
        self.assertEqual(self.replicas(doc), {"green": 1})

    def test_ab_cookie_routes_variants(self):
        """001-30 "Route specific user segments to different versions": cookie
        experiment=variant-a -> variant-a, experiment=variant-b -> variant-b, else control."""
        frontend = fqdn("frontend")
        files = ["001-30", self.write("frontend.yaml", versioned(
            "frontend", 8080, ["control", "variant-a", "variant-b"]))]
        for cookie, index, subset in (("experiment=variant-a", 0, "variant-a"),
                                      ("uid=7;experiment=variant-b", 1, "variant-b"),
                                      ("experiment=variant-b;uid=7", 1, "variant-b"),
                                      ("uid=7", 2, "control")):
            with self.subTest(cookie=cookie):
                doc = self.explain(files, f"GET http://{frontend}:8080/", f"cookie: {cookie}")
                self.assertRoute(doc, "default/ab-testing", index, "",
                                 [(subset, 100, cluster(8080, subset, frontend))])

    def test_ab_cookie_regex_misses_a_space_separated_cookie(self):
        """001-30: the regex ^(.*?;)?(experiment=variant-b)(;.*)?$ allows no space after ';',
        and Envoy matches the whole header value: browsers send "uid=7; experiment=variant-b",
        which gets control, not variant-b."""
        frontend = fqdn("frontend")
        files = ["001-30", self.write("frontend.yaml", versioned(
            "frontend", 8080, ["control", "variant-a", "variant-b"]))]
        doc = self.explain(files, f"GET http://{frontend}:8080/",
                           "cookie: uid=7; experiment=variant-b")
        self.assertRoute(doc, "default/ab-testing", 2, "",
                         [("control", 100, cluster(8080, "control", frontend))])

    def test_canary_with_full_mirror(self):
        """001-31 "Test new version with mirrored production traffic": 95% stable, 5% canary,
        mirror 100% to canary. No DestinationRule for analytics: 503 NC."""
        analytics = fqdn("analytics")
        pods = self.write("analytics.yaml", versioned("analytics", 8080, ["stable", "canary"]))
        doc = self.explain(["001-31", pods], f"GET http://{analytics}:8080/")
        self.assertNoCluster(doc, "default/canary-with-mirror", 0, "",
                             [("stable", 95, cluster(8080, "stable", analytics)),
                              ("canary", 5, cluster(8080, "canary", analytics))])
        self.assertEqual(self.mirrors(doc), [("canary", 100.0, cluster(8080, "canary", analytics))])

    def test_multi_dimensional_routing_by_tier_and_source_labels(self):
        """001-32 "Combine multiple routing criteria": premium from mobile-app v2 ->
        ml-enhanced; premium otherwise -> advanced; mobile-app otherwise -> mobile-optimized;
        the rest -> standard. sourceLabels are the calling workload's labels (the sidecar's
        own). No DestinationRule for recommendation: 503 NC."""
        rec = fqdn("recommendation")
        files = ["001-32", self.write("rec.yaml", versioned("recommendation", 8080, ["standard"]))]
        cases = (("x-user-tier: premium", "app=mobile-app,version=v2", 0, "ml-enhanced"),
                 ("x-user-tier: premium", "app=mobile-app,version=v1", 1, "advanced"),
                 ("x-user-tier: premium", "app=web", 1, "advanced"),
                 ("x-user-tier: free", "app=mobile-app,version=v2", 2, "mobile-optimized"),
                 ("x-user-tier: free", "app=web", 3, "standard"))
        for header, labels, index, subset in cases:
            with self.subTest(header=header, labels=labels):
                doc = self.explain(files, f"GET http://{rec}:8080/", header,
                                   flags=["--labels", labels])
                self.assertNoCluster(doc, "default/multi-dimensional-routing", index, "",
                                     [(subset, 100, cluster(8080, subset, rec))])


class Seed001GatewayPorts(SeedTestCase):
    """001-08 ingress-gateway, 001-10 external/internal gateways, 001-09 api-vs (bound to
    istio-system/ingress-gateway and mesh, host api.example.com, /v1 -> api-v1:8080)."""

    GATEWAY = ["--gateway", "istio-system/ingress-gateway"]

    def api(self):
        return self.write("api.yaml", service("api-v1", 8080) + "---\n"
                          + deployment("api-v1", {"app": "api-v1"}))

    def test_https_redirect_of_api_host_reaches_no_https_server(self):
        """001-08: port 80 for "*.example.com" says "httpsRedirect: true  # Redirect HTTP to
        HTTPS", but its port-443 servers only take SNI example.com, secure.example.com and
        passthrough.example.com. The redirected https://api.example.com matches no filter
        chain of the 443 listener (Istio adds no default chain on gateways): Envoy closes the
        connection, so api-vs is never reached over HTTPS at this gateway."""
        doc = self.explain(["001-08", "001-09", self.api()], "GET https://api.example.com/v1/users",
                           flags=self.GATEWAY + ["--sni", "api.example.com"])
        msg = summary(doc)
        self.assertEqual(doc["outcome"], "no_listener", msg)
        self.assertEqual((doc["status"], doc["_exit"]), (0, 1), msg)
        self.assertEqual(doc["listener"], "0.0.0.0_443", msg)
        self.assertEqual(doc["destinations"], [], msg)

    def test_https_server_for_example_com_has_no_route_of_api_vs(self):
        """001-08 "https-default" serves example.com with "Standard TLS termination"; api-vs
        binds to this gateway but only for api.example.com, so HTTPS example.com/v1 finds no
        virtual host of a VirtualService: Envoy's 404 NR."""
        doc = self.explain(["001-08", "001-09", self.api()], "GET https://example.com/v1/users",
                           flags=self.GATEWAY + ["--sni", "example.com"])
        self.assertAnswered(doc, 404, "NR", outcome="no_route")
        self.assertEqual(doc["route_config"],
                         "https.443.https-default.ingress-gateway.istio-system")

    def test_second_gateway_serves_only_virtualservices_bound_to_it(self):
        """001-10 "You can expose services through multiple gateways for different purposes":
        external-gateway serves api.example.com on 443 (SIMPLE), but api-vs names
        istio-system/ingress-gateway, not external-gateway, so HTTPS api.example.com through it
        gets 404 NR; bound to external-gateway instead, api-vs routes /v1 to api-v1:8080."""
        flags = ["--gateway", "istio-system/external-gateway", "--sni", "api.example.com"]
        url = "GET https://api.example.com/v1/users"
        doc = self.explain(["001-08", "001-10", "001-09", self.api()], url, flags=flags)
        self.assertAnswered(doc, 404, "NR", outcome="no_route")
        self.assertEqual(doc["route_config"],
                         "https.443.https-external.external-gateway.istio-system")
        vs = self.write("api-vs.yaml", edit(seed_text("001-09"), "- istio-system/ingress-gateway ",
                                            "- istio-system/external-gateway "))
        doc = self.explain(["001-08", "001-10", vs, self.api()], url, flags=flags)
        self.assertRoute(doc, "default/api-vs", 0, "",
                         [("", 100, cluster(8080, "", fqdn("api-v1")))])

    def test_internal_gateway_has_no_server_for_the_api_host(self):
        """001-10 internal-gateway (selector istio: ingressgateway-internal) serves only
        internal.example.com with MUTUAL TLS: an api.example.com handshake there matches no
        server and Envoy closes the connection."""
        doc = self.explain(["001-10", "001-09", self.api()], "GET https://api.example.com/v1/users",
                           flags=["--gateway", "istio-system/internal-gateway",
                                  "--sni", "api.example.com"])
        self.assertEqual(doc["outcome"], "no_listener", summary(doc))
        self.assertEqual(doc["destinations"], [])


class Seed001WorkloadsAndIngress(SeedTestCase):
    def test_service_entry_workload_selector_picks_the_vm_workloads(self):
        """001-13 "ServiceEntry with Workload Selector" (app: vm-service, type: vm;
        "MESH_INTERNAL ... Used for VM workloads"): the test adds two WorkloadEntries, one with
        both labels and one with type: container; vm-service.internal:8080 goes to its cluster
        with the selected VM's address as the only endpoint."""
        we = "".join(
            f"---\napiVersion: networking.istio.io/v1\nkind: WorkloadEntry\nmetadata:\n"
            f"  name: {name}\n  namespace: default\nspec:\n  address: {addr}\n"
            f"  labels: {{app: vm-service, type: {kind}}}\n"
            for name, addr, kind in (("vm-1", "10.0.0.10", "vm"),
                                     ("container-1", "10.0.0.11", "container")))
        doc = self.explain(["001-13", self.write("we.yaml", we)],
                           "GET http://vm-service.internal:8080/")
        self.assertEqual(doc["outcome"], "route", summary(doc))
        self.assertDestinations(doc, [("", 100, "outbound|8080||vm-service.internal")])
        self.assertEqual([(e["address"], e["port"]) for e in doc["destinations"][0]["endpoints"]],
                         [("10.0.0.10", 8080)])

    def test_sidecar_ingress_with_credential_name_is_rejected(self):
        """001-18 "Configure how workloads accept incoming connections": the 8443 ingress
        listener sets tls.credentialName, which Istio's validation rejects for a Sidecar
        ("sidecar: credentialName is not currently supported"); the whole Sidecar is dropped.
        Inbound traffic on 8080 is still served by Istio's default inbound path."""
        svc = self.write("api.yaml", service("api-server", 8080))
        doc = self.explain(["001-18", svc], "GET http://api-server:8080/",
                           flags=["--inbound", "--labels", "app=api-server"])
        self.assertTrue(any("ingress-config" in i and "credentialName" in i
                            for i in doc["ignored"]), summary(doc))
        self.assertEqual(doc["outcome"], "route", summary(doc))
        self.assertDestinations(doc, [("", 100, "inbound|8080||")])


# =============================================================================================
# Seed 002: "Istio Traffic Management: VirtualService & DestinationRule (Deep Dive)".
# =============================================================================================


class Seed002DeepDive(SeedTestCase):
    VS = "default/reviews"

    def test_destination_rule_maps_subset_v1_to_version_v1_pods(self):
        """002-02: "subset v1 -> pods with version: v1": with the DestinationRule, reviews goes
        to the v1 pods."""
        doc = self.explain(["002-01", "002-02", "000-08"], "GET http://reviews:9080/")
        self.assertRoute(doc, self.VS, 0, "", [("v1", 100, reviews("v1"))])
        self.assertEqual(self.replicas(doc), {"v1": 3})

    def test_missing_destination_rule_answers_503_nc(self):
        """002, "Common Production Mistake #1": the seed says traffic then "goes only to one
        version" and "Istio silently ignores subset routing". Istio does not: subset v1 has no
        cluster, so every request matching the route gets 503 with response flag NC."""
        doc = self.explain(["002-01", "000-08"], "GET http://reviews:9080/")
        self.assertNoCluster(doc, self.VS, 0, "", [("v1", 100, reviews("v1"))])
        self.assertIn("DestinationRule", doc["destinations"][0]["problem"])

    def test_subset_labels_matching_no_pods_give_no_healthy_upstream(self):
        """002, "Common Production Mistake #2: Labels Don't Match Subsets": pods labelled only
        app: reviews -> "no endpoints found", "503 errors", "no healthy upstream" (flag UH)."""
        pods = self.write("pods.yaml", service("reviews", 9080) + "---\n"
                          + deployment("reviews", {"app": "reviews"}, replicas=2))
        doc = self.explain(["002-01", "002-02", pods], "GET http://reviews:9080/")
        self.assertAnswered(doc, 503, "UH")
        self.assertEqual(doc["body"], "no healthy upstream")
        self.assertDestinations(doc, [("v1", 100, reviews("v1"))], status="no_healthy_upstream")
        self.assertEqual(doc["destinations"][0]["endpoints"], [])


# =============================================================================================
# Seed 003: "How to Use Istio for Traffic Management and Canary Deployments". Its reviews
# Deployments (003-02: v1 x3, v2 x1, port 8080) have no Service in the seed: the test adds
# reviews on port 8080.
# =============================================================================================


class Seed003Canary(SeedTestCase):
    def files(self, *blocks):
        return list(blocks) + ["003-01", "003-02", self.write("svc.yaml", service("reviews", 8080))]

    def test_canary_starts_with_10_percent_to_v2(self):
        """003-03: "start with 10% traffic to v2" (90/10), whatever the replica counts (v1 x3,
        v2 x1: "Start with fewer replicas for the canary")."""
        doc = self.explain(self.files("003-03"), "GET http://reviews:8080/")
        self.assertRoute(doc, "default/reviews-canary", 0, "",
                         [("v1", 90, reviews("v1", 8080)), ("v2", 10, reviews("v2", 8080))])
        self.assertEqual(self.replicas(doc), {"v1": 3, "v2": 1})

    def test_canary_phase_2_sends_25_percent_to_v2(self):
        """003-04: "Phase 2: Increase canary to 25%" (75/25)."""
        doc = self.explain(self.files("003-04"), "GET http://reviews:8080/")
        self.assertRoute(doc, "default/reviews-canary", 0, "",
                         [("v1", 75, reviews("v1", 8080)), ("v2", 25, reviews("v2", 8080))])

    def blue_green_step(self, n):
        docs = seed_docs("003-05")
        self.assertEqual(len(docs), 2)
        return self.write(f"step{n}.yaml", docs[n - 1])

    def test_blue_green_step_1_sends_everything_to_blue(self):
        """003-05: "Step 1: All traffic to blue (v1)"."""
        doc = self.explain(self.files(self.blue_green_step(1)), "GET http://reviews:8080/")
        self.assertRoute(doc, "default/reviews-blue-green", 0, "",
                         [("v1", 100, reviews("v1", 8080))])

    def test_blue_green_step_2_switches_everything_to_green(self):
        """003-05: "Step 2: Switch all traffic to green (v2)"; applying the whole file ends in
        the same state (the second document replaces the first)."""
        for files in (self.files(self.blue_green_step(2)), self.files("003-05")):
            with self.subTest(files=files[0]):
                doc = self.explain(files, "GET http://reviews:8080/")
                self.assertRoute(doc, "default/reviews-blue-green", 0, "",
                                 [("v2", 100, reviews("v2", 8080))])

    def test_canary_header_and_beta_cookie_go_to_v2(self):
        """003-06: "Route internal testers to v2 based on a custom header" (x-canary: true) and
        "Route specific users by user-agent or cookie" (.*beta_user=true.*); "Default: all other
        traffic goes to v1"."""
        files = self.files("003-06")
        for header, index, subset in (("x-canary: true", 0, "v2"),
                                      ("cookie: lang=en; beta_user=true", 1, "v2"),
                                      ("x-canary: false", 2, "v1")):
            with self.subTest(header=header):
                doc = self.explain(files, "GET http://reviews:8080/", header)
                self.assertRoute(doc, "default/reviews-header-routing", index, "",
                                 [(subset, 100, reviews(subset, 8080))])

    def test_fault_injection_delays_and_aborts(self):
        """003-07: "Inject a 500ms delay on 10% of requests" and "Return HTTP 500 on 5% of
        requests", the rest to v1."""
        doc = self.explain(self.files("003-07"), "GET http://reviews:8080/")
        self.assertRoute(doc, "default/reviews-fault-injection", 0, "",
                         [("v1", 100, reviews("v1", 8080))])
        # Durations are in protobuf JSON form: 500ms is "0.500s".
        self.assertEqual(doc["policy"]["fault"], {"delay": "0.500s", "delay_percent": 10.0,
                                                  "abort_http_status": 500, "abort_percent": 5.0})

    def test_timeout_and_retries(self):
        """003-08: "Total request timeout" 3s, "Retry up to 3 times" with "Timeout per retry
        attempt" 1s on 5xx,reset,connect-failure,retriable-4xx."""
        doc = self.explain(self.files("003-08"), "GET http://reviews:8080/")
        self.assertRoute(doc, "default/reviews-resilience", 0, "",
                         [("v1", 100, reviews("v1", 8080))])
        self.assertEqual(doc["policy"]["timeout"], "3s")
        self.assertRetries(doc, 3, "1s", "5xx,reset,connect-failure,retriable-4xx")

    def test_destination_rule_circuit_breaker_applies_to_subsets(self):
        """003-01: "Eject pod after 5 consecutive 5xx errors", "Max TCP connections per pod" 100:
        the top-level policy applies to the v1 and v2 subsets, which set none of their own."""
        doc = self.explain(self.files("003-03"), "GET http://reviews:8080/")
        for d in doc["destinations"]:
            tp = d["policy"]["traffic_policy"]
            self.assertEqual(tp["outlierDetection"], {"consecutive5xxErrors": 5, "interval": "10s",
                                                      "baseEjectionTime": "30s",
                                                      "maxEjectionPercent": 50})
            self.assertEqual(tp["connectionPool"]["tcp"], {"maxConnections": 100})
            self.assertEqual(tp["connectionPool"]["http"]["h2UpgradePolicy"], "DEFAULT")


class Seed003CanaryProgression(SeedTestCase):
    """003 "Canary Progression" diagram: Phase 3 50/50, Phase 4 0/100, "Rollback: 100% v1".
    The seed writes only phases 1 and 2; the others are 003-04 with its two weights edited."""

    def phase(self, v1, v2):
        text = edit(edit(seed_text("003-04"), "weight: 75", f"weight: {v1}"),
                    "weight: 25", f"weight: {v2}")
        return [self.write(f"phase-{v1}-{v2}.yaml", text), "003-01", "003-02",
                self.write("svc.yaml", service("reviews", 8080))]

    def test_phase_3_splits_50_50(self):
        """003: "Phase 3: 50% v1 / 50% v2"."""
        doc = self.explain(self.phase(50, 50), "GET http://reviews:8080/")
        self.assertRoute(doc, "default/reviews-canary", 0, "",
                         [("v1", 50, reviews("v1", 8080)), ("v2", 50, reviews("v2", 8080))])

    def test_phase_4_drops_the_zero_weight_stable_version(self):
        """003: "Phase 4: 0% v1 / 100% v2". Istio leaves a weight-0 destination out of the
        weighted clusters (route.go, when the route has other destinations): only v2."""
        doc = self.explain(self.phase(0, 100), "GET http://reviews:8080/")
        self.assertRoute(doc, "default/reviews-canary", 0, "", [("v2", 100, reviews("v2", 8080))])

    def test_rollback_sends_everything_to_v1(self):
        """003: "Errors? Yes -> Rollback: 100% v1"."""
        doc = self.explain(self.phase(100, 0), "GET http://reviews:8080/")
        self.assertRoute(doc, "default/reviews-canary", 0, "", [("v1", 100, reviews("v1", 8080))])

    def test_flagger_canary_is_not_istio_config(self):
        """003-09 "Flagger Canary resource for automated progressive delivery" (stepWeight 10,
        maxWeight 50) is Flagger's, not Istio's: istiod ignores it, so with it applied the
        VirtualService still decides (003-03: 90/10) until Flagger itself rewrites the
        VirtualService."""
        files = ["003-03", "003-09", "003-01", "003-02",
                 self.write("svc.yaml", service("reviews", 8080))]
        doc = self.explain(files, "GET http://reviews:8080/")
        self.assertRoute(doc, "default/reviews-canary", 0, "",
                         [("v1", 90, reviews("v1", 8080)), ("v2", 10, reviews("v2", 8080))])


# =============================================================================================
# Seed 004: "Traffic Management with Istio" (bookinfo basics).
# =============================================================================================


class Seed004Basics(SeedTestCase):
    def test_jason_goes_to_v2_everyone_else_to_v1(self):
        """004-01/02: requests with header end-user: jason -> v2; "- route" (everyone else) ->
        v1. Header values match exactly: "Jason" is someone else."""
        files = ["004-01", "004-02", "000-08"]
        for user, index, subset in (("jason", 0, "v2"), ("Jason", 1, "v1"), ("alice", 1, "v1")):
            with self.subTest(user=user):
                doc = self.explain(files, "GET http://reviews:9080/", f"end-user: {user}")
                self.assertRoute(doc, "default/reviews-route", index, "",
                                 [(subset, 100, reviews(subset))])

    def test_canary_without_subsets_answers_503_nc(self):
        """004-03 "Gradually roll out changes by routing a percentage of traffic to a new
        version" (90/10 to my-service v1/v2). The seed's only DestinationRule for my-service
        (004-04, circuit-breaker) defines no subsets, so both have no cluster: 503 NC."""
        ms = fqdn("my-service")
        pods = self.write("my-service.yaml", versioned("my-service", 80, ["v1", "v2"]))
        doc = self.explain(["004-03", "004-04", pods], "GET http://my-service/")
        self.assertNoCluster(doc, "default/my-service", 0, "",
                             [("v1", 90, cluster(80, "v1", ms)), ("v2", 10, cluster(80, "v2", ms))])

    def test_circuit_breaker_applies_to_my_service(self):
        """004-04 "Circuit Breaking: Prevent cascading failures": outlierDetection (5
        consecutive 5xx, 30s interval, 30s ejection) on my-service's traffic."""
        ms = fqdn("my-service")
        pods = self.write("my-service.yaml", versioned("my-service", 80, ["v1", "v2"]))
        doc = self.explain(["004-04", pods], "GET http://my-service/")
        self.assertEqual(doc["outcome"], "route", summary(doc))
        self.assertEqual(doc["route_name"], "default")
        self.assertDestinations(doc, [("", 100, cluster(80, "", ms))])
        self.assertEqual(doc["destinations"][0]["policy"]["traffic_policy"]["outlierDetection"],
                         {"consecutive5xxErrors": 5, "interval": "30s", "baseEjectionTime": "30s"})

    def test_ratings_delay_fault_with_no_destination_rule(self):
        """004-05 "Test service resilience": a 5s delay on 10% of ratings requests, routed to
        ratings v1. The seed defines no subsets for ratings: after the fault filter, Envoy
        answers 503 NC."""
        pods = self.write("ratings.yaml", versioned("ratings", 9080, ["v1"]))
        doc = self.explain(["004-05", pods], "GET http://ratings:9080/")
        self.assertNoCluster(doc, "default/ratings", 0, "",
                             [("v1", 100, cluster(9080, "v1", fqdn("ratings")))])
        self.assertEqual(doc["policy"]["fault"], {"delay": "5s", "delay_percent": 10.0})


# =============================================================================================
# The text form answers the same questions in words.
# =============================================================================================


class TextOutput(SeedTestCase):
    def text(self, files, request, *headers):
        args = [BIN, "explain"]
        for f in files:
            args += ["-f", self.path(f)]
        args.append(request)
        for h in headers:
            args += ["-H", h]
        p = subprocess.run(args, capture_output=True, text=True, timeout=60)
        self.assertIn(p.returncode, (0, 1), p.stderr)
        return p.stdout

    def test_header_routing_names_the_failed_condition_and_the_route(self):
        """000-03 "x-user-type: premium" without x-request-priority: each earlier route with
        the condition it failed, then "default-route" to v1."""
        out = self.text(["000-03", "000-02", "000-08"], "GET http://reviews:9080/",
                        "x-user-type: premium")
        self.assertIn('want exact "beta", got "premium"', out)
        self.assertRegex(out, r'route 3 "default-route".*matched')
        self.assertIn(reviews("v1"), out)

    def test_missing_destination_rule_is_named(self):
        """002 "Common Production Mistake #1": the text says 503 NC and that no DestinationRule
        defines the subset."""
        out = self.text(["002-01", "000-08"], "GET http://reviews:9080/")
        self.assertIn("503", out)
        self.assertIn("NC", out)
        self.assertRegex(out, r"no DestinationRule .*subset \"v1\" has no cluster")

    def test_labels_matching_no_pods_are_named(self):
        """002 "Common Production Mistake #2": the text says "no healthy upstream" and that the
        pods lack the version label."""
        pods = self.write("pods.yaml", service("reviews", 9080) + "---\n"
                          + deployment("reviews", {"app": "reviews"}, replicas=2))
        out = self.text(["002-01", "002-02", pods], "GET http://reviews:9080/")
        self.assertIn("no healthy upstream", out)
        self.assertIn("UH", out)
        self.assertIn("no version label", out)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]] + sys.argv[3:], verbosity=2)
