#!/usr/bin/env bash
# The README's main command: installs, builds (release) and runs the demo. Until the proxy
# exists, the demo validates the bundled examples.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh release
echo "== meshroute validate -f examples/"
build/release/meshroute validate -f examples/
