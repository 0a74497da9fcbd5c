#!/usr/bin/env bash
# The README's test command: installs dependencies, builds with ASan+UBSan and runs every test
# (unit, conformance, CLI end-to-end), the format and lint checks, and a short fuzz run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
export CI="${CI:-false}"

echo "== build (ASan+UBSan)"
bash scripts/build.sh asan

echo "== tests"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir build/asan --output-on-failure -j "$(nproc)" --timeout 600

echo "== format"
bash scripts/check-format.sh

echo "== lint (clang-tidy)"
bash scripts/check-tidy.sh build/asan

if [ -f scripts/fuzz.sh ]; then
  echo "== fuzz (short budget)"
  bash scripts/fuzz.sh 30
fi
