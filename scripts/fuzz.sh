#!/usr/bin/env bash
# Builds the libFuzzer targets with clang-14 (ASan+UBSan) and runs each for SECONDS (default 60)
# from the corpus kept in tests/fuzz/corpus/<target>. New inputs go to a scratch directory, so a
# CI run never modifies the repository; run with --merge to fold them into the kept corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
merge=${2:-}
CC=clang-14 CXX=clang++-14 cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMESHROUTE_FUZZ=ON -DMESHROUTE_SANITIZE=ON -DMESHROUTE_TESTS=OFF -DMESHROUTE_BENCH=OFF >/dev/null
cmake --build build/fuzz -j "$(nproc)" --target validate_fuzzer h1_fuzzer h2_fuzzer hash_key_fuzzer
# The budget is shared: each target gets its part of SECONDS (at least one second).
targets=(validate h1 h2 hash_key)
share=$(( seconds / ${#targets[@]} ))
(( share > 0 )) || share=1
scratches=()
trap 'rm -rf "${scratches[@]}"' EXIT
for target in "${targets[@]}"; do
  dict=""
  [ "$target" = validate ] && dict="-dict=tests/fuzz/yaml.dict"
  scratch=$(mktemp -d)
  scratches+=("$scratch")
  echo "fuzzing ${target} for ${share}s"
  build/fuzz/tests/fuzz/${target}_fuzzer "$scratch" "tests/fuzz/corpus/${target}" \
    -max_total_time="$share" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    $dict -print_final_stats=1 2>&1 | tail -n 12
  if [ "$merge" = "--merge" ]; then
    build/fuzz/tests/fuzz/${target}_fuzzer -merge=1 "tests/fuzz/corpus/${target}" "$scratch"
  fi
done
