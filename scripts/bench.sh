#!/usr/bin/env bash
# The side-by-side benchmark (issue 6): meshroute against nginx and HAProxy and against no proxy
# at all, on this machine. Installs the peers and tools from Debian, builds meshroute (release),
# runs bench/compare/run.py and writes the tables into docs/benchmarks.md and the chart into
# docs/bench-compare.png. Arguments go to run.py (e.g. --runs 5 --duration 5 --only a1k,c).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
need=(nginx-light haproxy wrk nghttp2-client python3-matplotlib)
missing=()
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
bash scripts/build.sh release
# Debian's python3 has matplotlib; a pyenv python on PATH may not.
/usr/bin/python3 bench/compare/run.py --meshroute build/release/meshroute "$@"
/usr/bin/python3 bench/compare/report.py bench/results/compare.json docs/benchmarks.md docs/bench-compare.png
