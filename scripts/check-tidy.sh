#!/usr/bin/env bash
# Runs clang-tidy (.clang-tidy) over every source file under src/, using the compile commands of
# a configured build (default build/asan). Fails on any finding.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/asan}
files=$(git ls-files 'src/*.cc' 2>/dev/null || find src -name '*.cc')
printf '%s\n' $files | xargs -P "$(nproc)" -n 4 clang-tidy -p "$build" --quiet 2>/dev/null
