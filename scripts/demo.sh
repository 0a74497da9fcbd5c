#!/usr/bin/env bash
# The README's main command: installs, builds (release), shows validate and explain on the
# bundled examples, then runs `meshroute demo`: echo backends for reviews v1/v2/v3 and ratings
# behind the proxy, with a tour of what to try. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh release
bin=build/release/meshroute
echo
echo "== meshroute validate -f examples/   (the mistakes/ folder shows what findings look like)"
"$bin" validate -f examples/reviews.yaml -f examples/ratings.yaml -f examples/demo/
set +e
"$bin" validate -f examples/mistakes/ | head -3
set -e
echo
echo "== meshroute explain: a beta user's request"
"$bin" explain -f examples/reviews.yaml -f examples/workloads.yaml \
  'GET http://reviews:9080/reviews/1' -H 'x-user-type: beta' | head -8
echo
echo "== meshroute demo   (the proxy on 127.0.0.1:15001, admin on 127.0.0.1:15000)"
exec "$bin" demo --examples examples
