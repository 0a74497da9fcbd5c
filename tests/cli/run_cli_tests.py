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

    def test_bad_request_or_config_is_usage_error(self):
        code, _, err = run("explain", "-f", self.path, "GET")
        self.assertEqual(code, 2)
        code, _, _ = run("explain", "-f", "/nonexistent.yaml", "GET http://reviews/")
        self.assertEqual(code, 2)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
