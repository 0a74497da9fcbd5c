#!/usr/bin/env bash
# The README's main command: installs, builds (release) and runs the demo. Until the proxy
# exists (issue 4), the demo validates the bundled examples, shows what a rejected config
# looks like, and explains how requests are routed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh release
bin=build/release/meshroute
echo
echo "== meshroute validate -f examples/reviews.yaml -f examples/ratings.yaml"
"$bin" validate -f examples/reviews.yaml -f examples/ratings.yaml
echo
echo "== meshroute validate -f examples/mistakes/   (each mistake at file:line:column, exit 1)"
set +e
"$bin" validate -f examples/mistakes/
rc=$?
set -e
[ "$rc" -eq 1 ] || { echo "expected exit code 1, got $rc" >&2; exit 1; }
echo
echo "== meshroute explain: a beta user's request"
"$bin" explain -f examples/reviews.yaml -f examples/workloads.yaml \
  'GET http://reviews:9080/reviews/1' -H 'x-user-type: beta'
echo
echo "== meshroute explain: everyone else (the 80/15/5 canary with a 1% mirror to v3)"
"$bin" explain -f examples/reviews.yaml -f examples/workloads.yaml 'GET http://reviews:9080/'
echo
echo "== meshroute validate -f examples/reviews.yaml -o json   (first resource)"
"$bin" validate -f examples/reviews.yaml -o json | python3 -c \
  'import json,sys; r=json.load(sys.stdin)["resources"][0]; print(json.dumps(r, indent=2))'
