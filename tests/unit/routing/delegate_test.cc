// Delegate VirtualServices (virtualservice_controller.go mergeVirtualServices and
// virtualservice.go MergeHTTPRoutes): the root's match narrows into the delegate's routes.
#include <gtest/gtest.h>

#include "routing_test_util.h"

namespace meshroute::routing {
namespace {

using namespace testing;  // NOLINT

const std::string kServices = k8sService("reviews", "reviews-ns", 9080) +
                              k8sService("ratings", "ratings-ns", 9080) +
                              k8sService("web", "default", 80);

const std::string kRoot = vs("root", R"(  hosts: [api.example.com]
  http:
  - name: reviews
    match:
    - uri: {prefix: /reviews}
    timeout: 7s
    delegate: {name: reviews-vs, namespace: reviews-ns}
  - name: ratings
    match:
    - uri: {prefix: /ratings}
    delegate: {name: ratings-vs, namespace: ratings-ns}
)");

const std::string kReviewsDelegate = vs("reviews-vs", R"(  http:
  - name: v2
    match:
    - uri: {prefix: /reviews/v2}
    route:
    - destination: {host: reviews, subset: v2}
  - route:
    - destination: {host: reviews, subset: v1}
)",
                                        "reviews-ns");

TEST(DelegateVirtualService, RootMatchIsMergedIntoTheDelegateRoutes) {
  auto snap = snapshotFrom(kServices + kRoot + kReviewsDelegate);
  Decision d = snap->decide(sidecar(), get("http://api.example.com/reviews/v2/1"));
  ASSERT_EQ(d.destinations.size(), 1u) << traceText(d);
  EXPECT_EQ(d.destinations[0].subset, "v2");
  EXPECT_EQ(d.destinations[0].host, "reviews.reviews-ns.svc.cluster.local");
  EXPECT_EQ(d.route_name, "reviews-v2");
  ASSERT_NE(d.delegate, nullptr);
  EXPECT_EQ(d.delegate->meta.name, "reviews-vs");
  EXPECT_EQ(d.delegate_route_index, 0);
  EXPECT_EQ(d.route_index, 0);
  // Fields the delegate leaves unset come from the root route.
  ASSERT_TRUE(d.route.timeout.has_value());
  EXPECT_EQ(d.route.timeout->seconds, 7);
}

TEST(DelegateVirtualService, DelegateCatchAllInheritsTheRootPrefix) {
  auto snap = snapshotFrom(kServices + kRoot + kReviewsDelegate);
  Decision d = snap->decide(sidecar(), get("http://api.example.com/reviews/1"));
  EXPECT_EQ(d.destinations.at(0).subset, "v1");
  Decision other = snap->decide(sidecar(), get("http://api.example.com/other"));
  EXPECT_EQ(other.outcome, Outcome::kNoRoute);
  EXPECT_EQ(other.status, 404);
  EXPECT_EQ(other.response_flags, "NR");
}

TEST(DelegateVirtualService, MissingDelegateDropsOnlyThatRoute) {
  auto snap = snapshotFrom(kServices + kRoot + kReviewsDelegate);
  Decision d = snap->decide(sidecar(), get("http://api.example.com/ratings/1"));
  EXPECT_EQ(d.outcome, Outcome::kNoRoute);
  EXPECT_TRUE(hasNote(d, "ratings-ns/ratings-vs, which does not exist"));
}

TEST(DelegateVirtualService, DelegateWithHostsIsNotADelegate) {
  const std::string with_hosts = vs("ratings-vs", R"(  hosts: [api.example.com]
  http:
  - route:
    - destination: {host: ratings}
)",
                                    "ratings-ns", "2024-01-01T00:00:00Z");
  auto snap = snapshotFrom(kServices + kRoot + kReviewsDelegate + with_hosts);
  Decision d = snap->decide(sidecar(), get("http://api.example.com/ratings/1"));
  EXPECT_TRUE(hasNote(d, "which has hosts"));
}

TEST(DelegateVirtualService, DelegateNotExportedToTheRootNamespaceIsIgnored) {
  const std::string hidden = vs("ratings-vs", R"(  exportTo: ["."]
  http:
  - route:
    - destination: {host: ratings}
)",
                                "ratings-ns");
  auto snap = snapshotFrom(kServices + kRoot + kReviewsDelegate + hidden);
  Decision d = snap->decide(sidecar(), get("http://api.example.com/ratings/1"));
  EXPECT_EQ(d.outcome, Outcome::kNoRoute);
  EXPECT_TRUE(hasNote(d, "not exported to namespace default"));
}

TEST(DelegateVirtualService, ConflictingDelegateMatchIsDropped) {
  const std::string conflicting = vs("ratings-vs", R"(  http:
  - match:
    - uri: {prefix: /elsewhere}
    route:
    - destination: {host: ratings}
  - route:
    - destination: {host: ratings, subset: v1}
)",
                                     "ratings-ns");
  auto snap = snapshotFrom(kServices + kRoot + conflicting);
  Decision d = snap->decide(sidecar(), get("http://api.example.com/ratings/x"));
  EXPECT_EQ(d.destinations.at(0).subset, "v1");
  EXPECT_TRUE(hasNote(d, "conflicts with the root's"));
}

TEST(DelegateVirtualService, TraceNamesTheDelegate) {
  auto snap = snapshotFrom(kServices + kRoot + kReviewsDelegate);
  Decision d = snap->decide(sidecar(), get("http://api.example.com/reviews/1"));
  ASSERT_GE(d.trace.size(), 2u);
  EXPECT_EQ(d.trace[0].delegate, "reviews-ns/reviews-vs");
  EXPECT_EQ(d.trace[0].delegate_route_index, 0);
  EXPECT_FALSE(d.trace[0].matched);
  EXPECT_TRUE(d.trace[1].matched);
}

}  // namespace
}  // namespace meshroute::routing
