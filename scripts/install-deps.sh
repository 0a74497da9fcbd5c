#!/usr/bin/env bash
# Installs every Debian 12 package meshroute needs to build, test and benchmark.
# Idempotent: safe to run again; does nothing but apt-get when all is present.
set -euo pipefail
packages=(
  cmake ninja-build g++ clang-14 libclang-rt-14-dev clang-format clang-tidy
  libboost1.81-dev libnghttp2-dev libssl-dev libre2-dev
  libyaml-dev libfmt-dev libspdlog-dev nlohmann-json3-dev libcli11-dev libxxhash-dev libc-ares-dev
  libgtest-dev libgmock-dev libbenchmark-dev curl python3 git nginx-light
  nghttp2-client python3-h2
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
