#!/usr/bin/env python3
"""End-to-end tests of the meshroute binary: real process, real files, real exit codes."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

BIN = sys.argv[1] if len(sys.argv) > 1 else "build/meshroute"
SRC = sys.argv[2] if len(sys.argv) > 2 else "."


def run(*args, stdin=None, timeout=60):
    p = subprocess.run([BIN, *args], input=stdin, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


class ValidateCommand(unittest.TestCase):
    def write(self, text, name="in.yaml"):
        d = tempfile.mkdtemp()
        path = os.path.join(d, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_help_names_exit_codes(self):
        code, out, _ = run("validate", "--help")
        self.assertEqual(code, 0)
        self.assertIn("Exit codes", out)

    def test_missing_file_is_usage_error(self):
        code, out, _ = run("validate", "-f", "/nonexistent/x.yaml")
        self.assertEqual(code, 2)
        self.assertIn("no such file", out)

    def test_yaml_syntax_error_names_line(self):
        path = self.write("apiVersion: v1\nkind: [\n")
        code, out, _ = run("validate", "-f", path)
        self.assertEqual(code, 1)
        self.assertIn(path + ":3:", out)

    def test_unknown_field_is_invalid_with_position(self):
        path = self.write(
            "apiVersion: networking.istio.io/v1\nkind: WorkloadEntry\nmetadata:\n  name: a\n"
            "spec:\n  address: 1.2.3.4\n  adress: x\n")
        code, out, _ = run("validate", "-f", path, "-o", "json")
        self.assertEqual(code, 1, out)
        doc = json.loads(out)
        res = doc["resources"][0]
        self.assertEqual(res["status"], "invalid")
        err = res["errors"][0]
        self.assertEqual(err["field"], "spec.adress")
        self.assertEqual(err["line"], 7)
        self.assertIn('did you mean "address"', err["message"])

    def test_stdin_and_unknown_kinds_are_skipped(self):
        text = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n"
        code, out, _ = run("validate", "-f", "-", stdin=text)
        self.assertEqual(code, 0, out)
        self.assertIn("skipped", out)


class HostileInput(unittest.TestCase):
    """Bad input never crashes or hangs: a clear error and exit 1, in bounded time."""

    def check_rejected(self, path, needle):
        code, out, err = run("validate", "-f", path, timeout=30)
        self.assertEqual(code, 1, out + err)
        self.assertIn(needle, out)

    def test_hundred_megabyte_file(self):
        d = tempfile.mkdtemp()
        path = os.path.join(d, "huge.yaml")
        with open(path, "wb") as f:
            f.truncate(100 * 1024 * 1024)  # sparse: 100 MiB of NULs without writing them
        self.check_rejected(path, "over the")

    def test_alias_bomb(self):
        lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
        prev = "a"
        for c in "bcdefghijk":
            lines.append(f"{c}: &{c} [" + ", ".join(["*" + prev] * 10) + "]")
            prev = c
        d = tempfile.mkdtemp()
        path = os.path.join(d, "bomb.yaml")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.check_rejected(path, "alias bomb")

    def test_deep_nesting(self):
        d = tempfile.mkdtemp()
        path = os.path.join(d, "deep.yaml")
        with open(path, "w") as f:
            f.write("[" * 100000)
        code, out, _ = run("validate", "-f", path, timeout=30)
        self.assertEqual(code, 1, out)
        self.assertIn("error", out)

    def test_binary_junk(self):
        d = tempfile.mkdtemp()
        path = os.path.join(d, "junk.yaml")
        with open(path, "wb") as f:
            f.write(bytes(range(1, 256)) * 64)
        code, out, _ = run("validate", "-f", path, timeout=30)
        self.assertEqual(code, 1, out)

    def test_wrong_types_are_reported_not_fatal(self):
        d = tempfile.mkdtemp()
        path = os.path.join(d, "types.yaml")
        with open(path, "w") as f:
            f.write("apiVersion: networking.istio.io/v1\nkind: VirtualService\n"
                    "metadata: {name: v}\nspec:\n  hosts: reviews\n  http: {a: 1}\n")
        code, out, _ = run("validate", "-f", path, "-o", "json")
        self.assertEqual(code, 1, out)
        errs = json.loads(out)["resources"][0]["errors"]
        fields = {e["field"] for e in errs}
        self.assertIn("spec.hosts", fields)
        self.assertIn("spec.http", fields)


EXPLAIN_CONFIG = """
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec:
  selector: {app: reviews}
  ports: [{name: http, port: 9080}]
---
apiVersion: v1
kind: Pod
metadata: {name: reviews-v1-a, namespace: default, labels: {app: reviews, version: v1}}
spec: {containers: [{name: r, image: x}]}
status: {podIP: 10.0.0.1}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - name: beta
    match: [{headers: {x-user-type: {exact: beta}}}]
    route: [{destination: {host: reviews, subset: v2}}]
  - name: split
    match: [{uri: {prefix: /api}}]
    route:
    - {destination: {host: reviews, subset: v1}, weight: 3}
    - {destination: {host: reviews, subset: v1}, weight: 1}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
"""


LOCALITY_CONFIG = """apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: helloworld, namespace: default}
spec:
  hosts: [helloworld.default.svc.cluster.local]
  location: MESH_INTERNAL
  ports: [{number: 5000, name: http, protocol: HTTP}]
  resolution: STATIC
  workloadSelector: {labels: {app: helloworld}}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: hw-1, namespace: default}
spec: {address: 10.0.0.1, labels: {app: helloworld}, locality: region1/zone1}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: hw-2, namespace: default}
spec: {address: 10.0.0.2, labels: {app: helloworld}, locality: region1/zone2}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: hw-3, namespace: default}
spec: {address: 10.0.0.3, labels: {app: helloworld}, locality: region2/zone3}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: hw-4, namespace: default}
spec: {address: 10.0.0.4, labels: {app: helloworld}, locality: region3/zone4}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: helloworld, namespace: default}
spec:
  host: helloworld.default.svc.cluster.local
  trafficPolicy:
    loadBalancer:
      simple: ROUND_ROBIN
      localityLbSetting:
        enabled: true
        failover: [{from: region1, to: region2}]
    outlierDetection: {consecutive5xxErrors: 1, interval: 1s, baseEjectionTime: 1m}
"""


class ExplainCommand(unittest.TestCase):
    def setUp(self):
        d = tempfile.mkdtemp()
        self.path = os.path.join(d, "cfg.yaml")
        with open(self.path, "w") as f:
            f.write(EXPLAIN_CONFIG)

    def explain(self, *args):
        code, out, err = run("explain", "-f", self.path, *args, "-o", "json")
        return code, (json.loads(out) if out.strip() else None), err

    def test_routed_request_names_route_weights_and_cluster(self):
        code, d, _ = self.explain("GET http://reviews:9080/api/items")
        self.assertEqual(code, 0)
        self.assertEqual(d["outcome"], "route")
        self.assertEqual(d["virtual_service"], "default/reviews")
        self.assertEqual(d["route_index"], 1)
        self.assertEqual(d["route_name"], "split")
        self.assertEqual([x["weight"] for x in d["destinations"]], [75, 25])
        self.assertEqual(d["destinations"][0]["cluster"],
                         "outbound|9080|v1|reviews.default.svc.cluster.local")
        self.assertEqual(d["destinations"][0]["endpoints"][0]["address"], "10.0.0.1")
        self.assertEqual(d["trace"][0]["matched"], False)
        self.assertIn("x-user-type", d["trace"][0]["reason"])

    def test_subset_without_endpoints_is_503_uh(self):
        code, d, _ = self.explain("GET http://reviews:9080/", "-H", "x-user-type: beta")
        self.assertEqual(code, 1)
        self.assertEqual(d["outcome"], "error")
        self.assertEqual((d["status"], d["response_flags"]), (503, "UH"))
        self.assertIn("version=v1", d["destinations"][0]["problem"])

    def test_no_matching_route_is_404_nr(self):
        code, d, _ = self.explain("GET http://reviews:9080/other")
        self.assertEqual(code, 1)
        self.assertEqual((d["outcome"], d["status"], d["response_flags"]), ("no_route", 404, "NR"))

    def test_text_output_reads_in_one_pass(self):
        code, out, _ = run("explain", "-f", self.path, "GET http://reviews:9080/api", "-H",
                           "x-user-type: premium")
        self.assertEqual(code, 0)
        self.assertIn('route 0 "beta": no match: header x-user-type', out)
        self.assertIn("Result:    routed, split 75%/25%", out)

    def test_locality_failover_order_from_the_proxys_locality(self):
        d = tempfile.mkdtemp()
        path = os.path.join(d, "locality.yaml")
        with open(path, "w") as f:
            f.write(LOCALITY_CONFIG)
        # Istio's "Locality failover" task, seen from region1/zone1: its own zone first, then
        # the region's other zone, then region2 (the failover target), then the rest.
        code, out, _ = run("explain", "-f", path, "--locality", "region1/zone1",
                           "http://helloworld:5000/")
        self.assertEqual(code, 0)
        self.assertIn("locality from region1/zone1: priority 0 region1/zone1 100%, priority 1 "
                      "region1/zone2 0%, priority 2 region2/zone3 0%, priority 3 region3/zone4 0%",
                      out)
        code, out, _ = run("explain", "-f", path, "--locality", "region1/zone1",
                           "http://helloworld:5000/", "-o", "json")
        eps = json.loads(out)["destinations"][0]["endpoints"]
        self.assertEqual([(e["locality"], e["priority"]) for e in eps],
                         [("region1/zone1", 0), ("region1/zone2", 1), ("region2/zone3", 2),
                          ("region3/zone4", 3)])

    def test_bad_request_or_config_is_usage_error(self):
        code, _, err = run("explain", "-f", self.path, "GET")
        self.assertEqual(code, 2)
        code, _, _ = run("explain", "-f", "/nonexistent.yaml", "GET http://reviews/")
        self.assertEqual(code, 2)


class AnalyzeCommand(unittest.TestCase):
    MISTAKES = os.path.join(SRC, "examples", "analyze", "mistakes.yaml")

    def write(self, text, name="in.yaml"):
        d = tempfile.mkdtemp()
        path = os.path.join(d, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_each_own_code_example_prints_what_the_docs_show(self):
        # docs/analyzers.md quotes the output of examples/analyzers/MRxxxx.yaml verbatim.
        res = subprocess.run([sys.executable, os.path.join(SRC, "scripts", "analyzer_docs.py"),
                              os.path.abspath(BIN), "--check"],
                             capture_output=True, text=True, timeout=120)
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        codes = sorted(f[:-5] for f in os.listdir(os.path.join(SRC, "examples", "analyzers")))
        _, listing, _ = run("analyze", "--list-analyzers")
        self.assertEqual(len(codes), 13, codes)
        for code in codes:
            rc, out, _ = run("analyze", "-f", os.path.join(SRC, "examples", "analyzers",
                                                         code + ".yaml"), "-o", "json")
            doc = json.loads(out)
            own = [m for m in doc if m["code"] == code]
            self.assertEqual(len(own), 1, out)
            self.assertIn(own[0]["analyzer"], listing)
            self.assertTrue(own[0]["hint"] and own[0]["field"] and own[0]["line"] > 0, own[0])
            self.assertEqual(rc, 79 if any(m["level"] == "Error" for m in doc) else 0, out)

    def test_help_names_flags_and_exit_codes(self):
        code, out, _ = run("analyze", "--help")
        self.assertEqual(code, 0)
        for flag in ("--analyzer", "--list-analyzers", "--failure-threshold",
                     "--output-threshold", "--suppress", "--mesh-config", "Exit codes"):
            self.assertIn(flag, out)

    def test_list_analyzers_names_istio_and_own_analyzers(self):
        code, out, _ = run("analyze", "--list-analyzers")
        self.assertEqual(code, 0)
        names = [l[2:-1] for l in out.splitlines() if l.startswith("* ")]
        self.assertEqual(names, sorted(names))
        for name in ("virtualservice.DestinationRuleAnalyzer", "gateway.SecretAnalyzer",
                     "destinationrule.SubsetSelectPodAnalyzer", "schema.ValidationAnalyzer.VirtualService"):
            self.assertIn(name, names)
        self.assertTrue(any(n.startswith("meshroute.") for n in names), names)

    def test_text_findings_name_file_line_and_exit_79(self):
        code, out, err = run("analyze", "-f", self.MISTAKES)
        self.assertEqual(code, 79, out + err)
        lines = out.splitlines()
        subset = [l for l in lines if "[IST0101]" in l and "reviews+v3" in l]
        self.assertEqual(len(subset), 1, out)
        # The line of the destination's host (the subset's route entry), not the document start.
        self.assertRegex(subset[0], r"^Error \[IST0101\] \(VirtualService bookinfo/reviews "
                         + r".*mistakes\.yaml:\d+\) Referenced host\+subset in destinationrule "
                         + r'not found: "reviews\+v3"$')
        self.assertTrue(any("[IST0101]" in l and "lcoal" in l for l in lines), out)
        self.assertTrue(any("[IST0173]" in l and "DestinationRule bookinfo/reviews" in l
                            for l in lines), out)

    def test_json_has_istioctl_shape(self):
        code, out, _ = run("analyze", "-f", self.MISTAKES, "-o", "json")
        self.assertEqual(code, 79)
        doc = json.loads(out)
        self.assertIsInstance(doc, list)
        self.assertTrue(doc)
        for m in doc:
            for key in ("code", "documentationUrl", "level", "message", "origin", "reference"):
                self.assertIn(key, m)
            self.assertRegex(m["reference"], r"mistakes\.yaml:\d+$")
            self.assertIn(m["level"], ("Error", "Warning", "Info"))
        levels = [m["level"] for m in doc]
        order = {"Error": 0, "Warning": 1, "Info": 2}
        self.assertEqual(levels, sorted(levels, key=order.get))

    def test_yaml_output_lists_the_same_findings(self):
        _, out_json, _ = run("analyze", "-f", self.MISTAKES, "-o", "json")
        code, out, _ = run("analyze", "-f", self.MISTAKES, "-o", "yaml")
        self.assertEqual(code, 79)
        codes = [l.split(": ", 1)[1] for l in out.splitlines() if l.startswith("- code: ")]
        self.assertEqual(codes, [m["code"] for m in json.loads(out_json)])

    def test_only_named_analyzer_runs(self):
        code, out, _ = run("analyze", "-f", self.MISTAKES, "-o", "json",
                           "--analyzer", "virtualservice.DestinationRuleAnalyzer")
        doc = json.loads(out)
        self.assertEqual(code, 79)
        self.assertEqual({m["code"] for m in doc}, {"IST0101"})
        self.assertEqual({m["origin"] for m in doc}, {"VirtualService bookinfo/reviews"})

    def test_unknown_analyzer_is_usage_error(self):
        code, _, err = run("analyze", "-f", self.MISTAKES, "--analyzer", "no.SuchAnalyzer")
        self.assertEqual(code, 2)
        self.assertIn("no.SuchAnalyzer", err)

    def test_suppress_with_glob(self):
        code, out, _ = run("analyze", "-f", self.MISTAKES, "-o", "json",
                           "--suppress", "IST0101=VirtualService bookinfo/*")
        doc = json.loads(out)
        self.assertFalse([m for m in doc if m["code"] == "IST0101"], out)
        self.assertTrue(doc)

    def test_bad_suppression_is_usage_error(self):
        code, _, _ = run("analyze", "-f", self.MISTAKES, "--suppress", "IST0101")
        self.assertEqual(code, 2)

    def test_thresholds(self):
        code, out, _ = run("analyze", "-f", self.MISTAKES, "--output-threshold", "Error")
        self.assertTrue(all(l.startswith("Error ") for l in out.splitlines()), out)
        clean = self.write(
            "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n  name: ext\n"
            "  namespace: default\nspec:\n  hosts: [api.example.com]\n  location: MESH_EXTERNAL\n"
            "  resolution: DNS\n  ports:\n  - {number: 443, name: https, protocol: TLS}\n")
        code, out, err = run("analyze", "-f", clean)
        self.assertEqual(code, 0, out + err)
        self.assertIn("No validation issues found", err)

    def test_stdin_multi_document(self):
        with open(self.MISTAKES) as f:
            text = f.read()
        code, out, _ = run("analyze", "-f", "-", stdin=text)
        self.assertEqual(code, 79)
        self.assertIn("(VirtualService bookinfo/reviews <stdin>:", out)

    def test_unreadable_input_and_bad_yaml_are_exit_2(self):
        code, _, err = run("analyze", "-f", "/nonexistent/x.yaml")
        self.assertEqual(code, 2)
        self.assertIn("no such file", err)
        code, _, err = run("analyze", "-f", self.write("kind: [\n"))
        self.assertEqual(code, 2)

    def test_default_namespace_flag(self):
        path = self.write(
            "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: vs\n"
            "spec:\n  hosts: [a]\n  http:\n  - route:\n    - destination: {host: nowhere}\n")
        _, out, _ = run("analyze", "-f", path, "-n", "team-a",
                        "--analyzer", "virtualservice.DestinationHostAnalyzer")
        self.assertIn("(VirtualService team-a/vs ", out)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
