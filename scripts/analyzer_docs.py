#!/usr/bin/env python3
"""Fills the example outputs of docs/analyzers.md: between each `<!-- output:MRxxxx -->` and
`<!-- /output -->` marker, the lines `meshroute analyze` prints for examples/analyzers/MRxxxx.yaml.
Usage: scripts/analyzer_docs.py MESHROUTE_BINARY [--check]   (--check: exit 1 if the doc is stale)"""
import re
import subprocess
import sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent
binary, check = sys.argv[1], "--check" in sys.argv
doc_path = root / "docs" / "analyzers.md"
doc = doc_path.read_text()


def output(code):
    res = subprocess.run([binary, "analyze", "-f", f"examples/analyzers/{code}.yaml"],
                         cwd=root, capture_output=True, text=True, timeout=60)
    lines = [l for l in res.stdout.splitlines() if f"[{code}]" in l]
    if not lines:
        sys.exit(f"{code}: the example produced no {code} finding:\n{res.stdout}{res.stderr}")
    return "\n".join(lines)


def fill(m):
    return f"<!-- output:{m.group(1)} -->\n```\n{output(m.group(1))}\n```\n<!-- /output -->"


new = re.sub(r"<!-- output:(MR\d{4}) -->.*?<!-- /output -->", fill, doc, flags=re.S)
if check:
    if new != doc:
        sys.exit("docs/analyzers.md is stale: run scripts/analyzer_docs.py BINARY")
    print("docs/analyzers.md matches the analyzers' output")
else:
    doc_path.write_text(new)
    print("updated docs/analyzers.md")
