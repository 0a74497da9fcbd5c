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


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
