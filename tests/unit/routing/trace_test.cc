// The decision trace: every route considered in order with its first failed condition, and the
// same decision with and without the trace (indexes on, linear scan off).
#include <gtest/gtest.h>

#include "routing_test_util.h"

namespace meshroute::routing {
namespace {

using namespace testing;  // NOLINT

const std::string kServices = k8sService("reviews", "default", 9080);

// Seed 000's header-based routing.
const std::string kHeaderRouting = vs("reviews", R"(  hosts: [reviews]
  http:
  - name: beta-users
    match:
    - headers:
        x-user-type: {exact: beta}
    route:
    - destination: {host: reviews, subset: v2}
  - name: premium-users
    match:
    - headers:
        x-user-type: {exact: premium}
        x-request-priority: {exact: high}
    - headers:
        x-internal-testing: {exact: test-abc}
    timeout: 30s
    retries: {attempts: 3, perTryTimeout: 10s}
    route:
    - destination: {host: reviews, subset: v3}
  - name: default
    route:
    - destination: {host: reviews, subset: v1}
)");

TEST(DecisionTrace, EveryRouteBeforeTheMatchWithItsFirstFailedCondition) {
  auto snap = snapshotFrom(kServices + kHeaderRouting);
  Decision d = snap->decide(sidecar(), get("http://reviews:9080/", {{"x-user-type", "premium"}}));
  ASSERT_EQ(d.trace.size(), 3u) << traceText(d);
  EXPECT_EQ(d.trace[0].route_name, "beta-users");
  EXPECT_EQ(d.trace[0].reason, R"(header x-user-type: want exact "beta", got "premium")");
  EXPECT_EQ(d.trace[1].reason,
            "match[0]: header x-request-priority: absent; match[1]: header x-internal-testing: "
            "absent");
  EXPECT_TRUE(d.trace[2].matched);
  EXPECT_EQ(d.route_name, "default");
  EXPECT_EQ(d.destinations.at(0).subset, "v1");
}

TEST(DecisionTrace, SecondMatchBlockOfARuleMatches) {
  auto snap = snapshotFrom(kServices + kHeaderRouting);
  Decision d =
      snap->decide(sidecar(), get("http://reviews:9080/", {{"x-internal-testing", "test-abc"}}));
  EXPECT_EQ(d.destinations.at(0).subset, "v3");
  EXPECT_EQ(d.match_index, 1);
  EXPECT_EQ(d.route.retries.attempts, 3);
  EXPECT_EQ(d.route.timeout->seconds, 30);
  EXPECT_EQ(d.trace.back().reason, "match[1] matched");
}

TEST(DecisionTrace, FilteredRouteSaysItWasNotGenerated) {
  const std::string v = vs("reviews", R"(  hosts: [reviews]
  http:
  - name: from-productpage
    match:
    - sourceLabels: {app: productpage}
    route:
    - destination: {host: reviews, subset: v2}
  - route:
    - destination: {host: reviews, subset: v1}
)");
  auto snap = snapshotFrom(kServices + v);
  Decision d = snap->decide(sidecar("default", {{"app", "ratings"}}), get("http://reviews:9080/"));
  ASSERT_EQ(d.trace.size(), 2u);
  EXPECT_EQ(d.trace[0].reason,
            "sourceLabels: want app=productpage, got app=ratings (route not generated for this "
            "proxy)");
}

TEST(DecisionTrace, SourceLabelsFromTheRequestStandForTheProxy) {
  const std::string v = vs("reviews", R"(  hosts: [reviews]
  http:
  - match:
    - sourceLabels: {app: productpage}
    route:
    - destination: {host: reviews, subset: v2}
  - route:
    - destination: {host: reviews, subset: v1}
)");
  auto snap = snapshotFrom(kServices + v);
  Request r = get("http://reviews:9080/");
  r.source_labels = {{"app", "productpage"}};
  EXPECT_EQ(snap->decide(sidecar(), r).destinations.at(0).subset, "v2");
}

TEST(DecisionTrace, SourceNamespaceFromTheRequestIsMatched) {
  const std::string v = vs("reviews", R"(  hosts: [reviews]
  http:
  - match:
    - sourceNamespace: frontend
    route:
    - destination: {host: reviews, subset: v2}
  - route:
    - destination: {host: reviews, subset: v1}
)");
  auto snap = snapshotFrom(kServices + v);
  Request r = get("http://reviews:9080/");
  EXPECT_EQ(snap->decide(sidecar(), r).destinations.at(0).subset, "v1");
  r.source_ns = "frontend";
  EXPECT_EQ(snap->decide(sidecar(), r).destinations.at(0).subset, "v2");
}

TEST(DecisionTrace, DefaultRouteIsTraced) {
  auto snap = snapshotFrom(kServices);
  Decision d = snap->decide(sidecar(), get("http://reviews:9080/"));
  ASSERT_EQ(d.trace.size(), 1u);
  EXPECT_EQ(d.trace[0].route_name, "default");
  EXPECT_TRUE(d.trace[0].matched);
}

TEST(DecisionTrace, TraceOffGivesTheSameDecisionWithoutSteps) {
  std::string http = "  hosts: [reviews]\n  http:\n";
  for (int i = 0; i < 200; ++i) {
    http += "  - name: r" + std::to_string(i) + "\n    match:\n    - uri: {prefix: /p" +
            std::to_string(i) + "}\n" + "      headers: {x-n: {exact: \"" + std::to_string(i % 7) +
            "\"}}\n" + "    route:\n    - destination: {host: reviews, subset: s" +
            std::to_string(i) + "}\n";
  }
  http += "  - route:\n    - destination: {host: reviews, subset: last}\n";
  auto snap = snapshotFrom(kServices + vs("big", http));
  for (int i = 0; i < 220; i += 3) {
    Request r =
        get("http://reviews:9080/p" + std::to_string(i) + "/x", {{"x-n", std::to_string(i % 5)}});
    Decision traced = snap->decide(sidecar(), r);
    Decision fast = snap->decide(sidecar(), r, DecideOptions{.trace = false});
    EXPECT_TRUE(fast.trace.empty());
    EXPECT_EQ(traced.route_name, fast.route_name) << r.path;
    EXPECT_EQ(traced.route_index, fast.route_index) << r.path;
    EXPECT_EQ(clusterOf(traced), clusterOf(fast)) << r.path;
  }
}

}  // namespace
}  // namespace meshroute::routing
