// Snapshot::decideShared: the request path's decisions, remembered per route. Whatever it
// reuses must equal what decide() computes for that request; what depends on the request
// (redirects, path rewrites, unknown hosts) must never be reused.
#include <gtest/gtest.h>

#include "routing_test_util.h"

namespace meshroute::routing {
namespace {

using namespace testing;  // NOLINT

const std::string kConfig = k8sService("reviews", "default", 9080) +
                            k8sService("ratings", "default", 9080) +
                            vs("reviews", R"(  hosts: [reviews]
  http:
  - name: beta
    match: [{headers: {x-user: {exact: beta}}}]
    route: [{destination: {host: reviews, subset: v2}}]
  - name: old
    match: [{uri: {prefix: /old}}]
    rewrite: {uri: /new}
    route: [{destination: {host: reviews, subset: v1}}]
  - name: moved
    match: [{uri: {prefix: /moved}}]
    redirect: {uri: /elsewhere}
  - name: split
    route:
    - {destination: {host: reviews, subset: v1}, weight: 80}
    - {destination: {host: reviews, subset: v3}, weight: 20}
)");

DecideOptions requestPath() {
  DecideOptions o;
  o.trace = false;
  o.resolve_destinations = false;
  return o;
}

// The fields the proxy acts on.
void expectSame(const Decision& a, const Decision& b) {
  EXPECT_EQ(a.outcome, b.outcome);
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.route_name, b.route_name);
  EXPECT_EQ(a.redirect_location, b.redirect_location);
  EXPECT_EQ(a.route.rewritten_path, b.route.rewritten_path);
  ASSERT_EQ(a.destinations.size(), b.destinations.size());
  for (size_t i = 0; i < a.destinations.size(); ++i) {
    EXPECT_EQ(clusterOf(a, i), clusterOf(b, i));
    EXPECT_DOUBLE_EQ(a.destinations[i].weight_percent, b.destinations[i].weight_percent);
  }
}

TEST(DecisionMemo, ReusesTheDecisionOfARouteAndMatchesDecide) {
  auto snap = snapshotFrom(kConfig);
  const Proxy proxy = sidecar();
  DecisionMemo memo;
  const Request plain = get("http://reviews:9080/a");
  auto first = snap->decideShared(proxy, plain, memo);
  auto second = snap->decideShared(proxy, get("http://reviews:9080/other/path"), memo);
  EXPECT_EQ(first.get(), second.get());  // same route: the same decision, not a copy
  expectSame(*first, snap->decide(proxy, plain, requestPath()));
  EXPECT_EQ(first->route_name, "split");
  EXPECT_EQ(clusterOf(*first, 1), "outbound|9080|v3|reviews.default.svc.cluster.local");

  const Request beta = get("http://reviews:9080/a", {{"x-user", "beta"}});
  auto b = snap->decideShared(proxy, beta, memo);
  EXPECT_NE(b.get(), first.get());
  expectSame(*b, snap->decide(proxy, beta, requestPath()));
  EXPECT_EQ(memo.size(), 2U);
}

TEST(DecisionMemo, RequestDependentOutcomesAreMadePerRequest) {
  auto snap = snapshotFrom(kConfig);
  const Proxy proxy = sidecar();
  DecisionMemo memo;
  auto a = snap->decideShared(proxy, get("http://reviews:9080/old/a"), memo);
  auto b = snap->decideShared(proxy, get("http://reviews:9080/old/b"), memo);
  EXPECT_EQ(a->route.rewritten_path, "/new/a");
  EXPECT_EQ(b->route.rewritten_path, "/new/b");
  auto r = snap->decideShared(proxy, get("http://reviews:9080/moved?x=1"), memo);
  EXPECT_EQ(r->outcome, Outcome::kRedirect);
  EXPECT_EQ(r->redirect_location, "http://reviews:9080/elsewhere?x=1");
  // Unknown hosts pass through to themselves (allow_any): never shared between hosts.
  auto x = snap->decideShared(proxy, get("http://one.example:9080/"), memo);
  auto y = snap->decideShared(proxy, get("http://two.example:9080/"), memo);
  expectSame(*x, snap->decide(proxy, get("http://one.example:9080/"), requestPath()));
  EXPECT_EQ(y->destinations.at(0).host, "two.example");
  EXPECT_EQ(memo.size(), 0U);
}

TEST(DecisionMemo, DefaultRoutesAndMissesAreRemembered) {
  auto snap = snapshotFrom(kConfig + vs("narrow", R"(  hosts: [ratings]
  http:
  - match: [{uri: {exact: /only}}]
    route: [{destination: {host: ratings}}]
)"));
  const Proxy proxy = sidecar();
  DecisionMemo memo;
  auto miss = snap->decideShared(proxy, get("http://ratings:9080/nope"), memo);
  EXPECT_EQ(miss->outcome, Outcome::kNoRoute);
  EXPECT_EQ(miss->status, 404);
  EXPECT_EQ(snap->decideShared(proxy, get("http://ratings:9080/also-not"), memo).get(), miss.get());
  auto hit = snap->decideShared(proxy, get("http://ratings:9080/only"), memo);
  EXPECT_EQ(hit->outcome, Outcome::kRoute);
  EXPECT_EQ(memo.size(), 2U);
}

TEST(DecisionMemo, ANewSnapshotStartsAfresh) {
  const Proxy proxy = sidecar();
  DecisionMemo memo;
  auto old_snap = snapshotFrom(kConfig);
  auto before = old_snap->decideShared(proxy, get("http://reviews:9080/a"), memo);
  EXPECT_EQ(before->route_name, "split");
  auto new_snap =
      snapshotFrom(k8sService("reviews", "default", 9080) + vs("reviews", R"(  hosts: [reviews]
  http:
  - name: all-v2
    route: [{destination: {host: reviews, subset: v2}}]
)"));
  auto after = new_snap->decideShared(proxy, get("http://reviews:9080/a"), memo);
  EXPECT_EQ(after->route_name, "all-v2");
  EXPECT_EQ(memo.size(), 1U);
}

TEST(DecisionMemo, GatewaysAndOtherSourcesTakeTheGeneralPath) {
  auto snap = snapshotFrom(kConfig);
  DecisionMemo memo;
  Request r = get("http://reviews:9080/a");
  r.source_ns = "other";
  auto d = snap->decideShared(sidecar(), r, memo);
  expectSame(*d, snap->decide(sidecar(), r, requestPath()));
  EXPECT_EQ(memo.size(), 0U);
}

}  // namespace
}  // namespace meshroute::routing
