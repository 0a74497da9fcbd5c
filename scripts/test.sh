#!/usr/bin/env bash
# The README's test command: installs dependencies, builds with ASan+UBSan and runs every test
# (unit, conformance, CLI end-to-end), then the threaded parts and the proxy's end-to-end tests
# under ThreadSanitizer, the format and lint checks, and a short fuzz run.
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

echo "== ThreadSanitizer: the parts threads share, and the proxy end to end"
bash scripts/build.sh tsan
export TSAN_OPTIONS="halt_on_error=1:exitcode=66:second_deadlock_stack=1"
build/tsan/tests/thread_tests --gtest_brief=1
for t in proxy_test policy_test reload_test destination_rule_test tls_origination_test dns_test \
         http2_test; do
  python3 "tests/e2e/$t.py" build/tsan/meshroute
done
MESHROUTE_E2E_HTTP=2 python3 tests/e2e/policy_test.py build/tsan/meshroute

echo "== format"
bash scripts/check-format.sh

echo "== lint (clang-tidy)"
bash scripts/check-tidy.sh build/asan

if [ -f scripts/fuzz.sh ]; then
  echo "== fuzz (short budget)"
  bash scripts/fuzz.sh 30
fi
