#!/usr/bin/env bash
# Configures and builds one flavour: scripts/build.sh [debug|asan|release|tsan] (default asan).
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:-asan}
case "$flavour" in
  asan) args=(-DCMAKE_BUILD_TYPE=Debug -DMESHROUTE_SANITIZE=ON -DMESHROUTE_BENCH=OFF) ;;
  debug) args=(-DCMAKE_BUILD_TYPE=Debug) ;;
  release) args=(-DCMAKE_BUILD_TYPE=Release -DMESHROUTE_TESTS=OFF -DMESHROUTE_BENCH=ON) ;;
  # The threaded parts under ThreadSanitizer: the proxy binary (its end-to-end tests run against
  # it) and the unit tests of the parts threads share (thread_tests). -O1 keeps both the build
  # and the instrumented proxy quick. clang: GCC's TSan does not model the fences Asio uses.
  tsan) args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g"
              -DCMAKE_CXX_COMPILER=clang++-14 -DMESHROUTE_TSAN=ON -DMESHROUTE_BENCH=OFF)
        targets=(meshroute thread_tests) ;;
  *) echo "usage: scripts/build.sh [debug|asan|release|tsan]" >&2; exit 2 ;;
esac
werror=OFF; [ "${CI:-}" = "true" ] && werror=ON
cmake -S . -B "build/$flavour" -G Ninja -DMESHROUTE_WERROR=$werror "${args[@]}" >/dev/null
cmake --build "build/$flavour" -j "$(nproc)" ${targets:+--target "${targets[@]}"}
