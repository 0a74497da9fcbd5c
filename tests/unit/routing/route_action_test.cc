// What a matched route does: redirects, direct responses, rewrites, weights, ports, headers,
// timeouts, retries, faults, mirrors and CORS, as istiod translates them and Envoy applies them.
#include <gtest/gtest.h>

#include "routing_test_util.h"

namespace meshroute::routing {
namespace {

using namespace testing;  // NOLINT

const std::string kServices = k8sService("reviews", "default", 9080) +
                              k8sService("web", "default", 80) +
                              k8sService("mirror", "default", 9080);

Decision route(const std::string& http, const Request& r, const MeshConfig& mesh = {}) {
  auto snap = snapshotFrom(kServices + vs("reviews", "  hosts: [reviews]\n  http:\n" + http), mesh);
  return snap->decide(sidecar(), r);
}

TEST(RouteAction, RedirectDefaultsTo301AndKeepsTheQuery) {
  Decision d = route(R"(  - redirect: {uri: /v2/reviews, authority: new.example.com}
)",
                     get("http://reviews:9080/old?id=7"));
  EXPECT_EQ(d.outcome, Outcome::kRedirect);
  EXPECT_EQ(d.status, 301);
  EXPECT_EQ(d.redirect_location, "http://new.example.com/v2/reviews?id=7");
}

TEST(RouteAction, RedirectSchemeDropsTheDefaultPortOfTheOldScheme) {
  Decision d = route(R"(  - redirect: {scheme: https, redirectCode: 308}
)",
                     get("http://reviews.default.svc.cluster.local:80/a"));
  EXPECT_EQ(d.status, 308);
  EXPECT_EQ(d.redirect_location, "https://reviews.default.svc.cluster.local/a");
}

TEST(RouteAction, RedirectDerivePortFromRequest) {
  Decision d = route(R"(  - redirect: {authority: other, derivePort: FROM_REQUEST_PORT}
)",
                     get("http://reviews:9080/a"));
  EXPECT_EQ(d.redirect_location, "http://other:9080/a");
}

TEST(RouteAction, RedirectPrefixRewriteReplacesTheMatchedPrefix) {
  Decision d = route(R"(  - match:
    - uri: {prefix: /old}
    redirect: {prefixRewrite: /new}
)",
                     get("http://reviews:9080/old/page?q=1"));
  EXPECT_EQ(d.redirect_location, "http://reviews:9080/new/page?q=1");
}

TEST(RouteAction, DirectResponseWithStringAndBytesBody) {
  Decision d = route(R"(  - directResponse: {status: 503, body: {string: "maintenance"}}
)",
                     get("http://reviews:9080/"));
  EXPECT_EQ(d.outcome, Outcome::kDirectResponse);
  EXPECT_EQ(d.status, 503);
  EXPECT_EQ(d.body, "maintenance");
  Decision b = route(R"(  - directResponse: {status: 200, body: {bytes: "aGVsbG8="}}
)",
                     get("http://reviews:9080/"));
  EXPECT_EQ(b.body, "hello");
}

TEST(RouteAction, PrefixRewriteReplacesOnlyTheMatchedPrefix) {
  Decision d = route(R"(  - match:
    - uri: {prefix: /api/v1}
    rewrite: {uri: /v2}
    route:
    - destination: {host: reviews}
)",
                     get("http://reviews:9080/api/v1/users?x=1"));
  EXPECT_EQ(d.route.rewritten_path, "/v2/users?x=1");
}

TEST(RouteAction, RewriteWithoutUriMatchReplacesTheLeadingSlash) {
  // Istio's classic surprise: no uri match means prefix "/", so "/foo" becomes "/v2foo".
  Decision d = route(R"(  - rewrite: {uri: /v2}
    route:
    - destination: {host: reviews}
)",
                     get("http://reviews:9080/foo"));
  EXPECT_EQ(d.route.rewritten_path, "/v2foo");
}

TEST(RouteAction, RewriteOnExactMatchReplacesTheWholePath) {
  Decision d = route(R"(  - match:
    - uri: {exact: /login}
    rewrite: {uri: /auth/login}
    route:
    - destination: {host: reviews}
)",
                     get("http://reviews:9080/login?next=a"));
  EXPECT_EQ(d.route.rewritten_path, "/auth/login?next=a");
}

TEST(RouteAction, UriRegexRewriteReplacesEveryMatch) {
  Decision d = route(R"(  - rewrite:
      uriRegexRewrite: {match: "^/service/([^/]+)(/.*)$", rewrite: "\\2/instance/\\1"}
    route:
    - destination: {host: reviews}
)",
                     get("http://reviews:9080/service/foo/v1/api?q=1"));
  EXPECT_EQ(d.route.rewritten_path, "/v1/api/instance/foo?q=1");
}

TEST(RouteAction, AuthorityRewriteFromRewriteOrHeaders) {
  Decision d = route(R"(  - rewrite: {authority: internal.example.com}
    route:
    - destination: {host: reviews}
)",
                     get("http://reviews:9080/"));
  EXPECT_EQ(d.route.rewritten_authority, "internal.example.com");
  Decision h = route(R"(  - headers:
      request:
        set: {":authority": set.example.com, x-a: "1"}
        remove: [host, x-b]
    route:
    - destination: {host: reviews}
)",
                     get("http://reviews:9080/"));
  EXPECT_EQ(h.route.rewritten_authority, "set.example.com");
  ASSERT_EQ(h.route.request_headers.set.size(), 1u);
  EXPECT_EQ(h.route.request_headers.set[0].first, "x-a");
  EXPECT_EQ(h.route.request_headers.remove, std::vector<std::string>{"x-b"});
}

TEST(RouteAction, WeightsAreNormalisedToPercentages) {
  Decision d = route(R"(  - route:
    - destination: {host: reviews, subset: v1}
      weight: 3
    - destination: {host: reviews, subset: v2}
      weight: 1
    - destination: {host: reviews, subset: v3}
      weight: 0
)",
                     get("http://reviews:9080/"));
  ASSERT_EQ(d.destinations.size(), 2u);
  EXPECT_DOUBLE_EQ(d.destinations[0].weight_percent, 75);
  EXPECT_DOUBLE_EQ(d.destinations[1].weight_percent, 25);
}

TEST(RouteAction, SingleDestinationTakesAllTrafficWhateverItsWeight) {
  Decision d = route(R"(  - route:
    - destination: {host: reviews}
      weight: 20
)",
                     get("http://reviews:9080/"));
  ASSERT_EQ(d.destinations.size(), 1u);
  EXPECT_DOUBLE_EQ(d.destinations[0].weight_percent, 100);
}

TEST(RouteAction, DestinationPortOnSidecarsIsTheListenerPortUnlessGiven) {
  Decision d = route(R"(  - route:
    - destination: {host: web}
)",
                     get("http://reviews:9080/"));
  EXPECT_EQ(clusterOf(d), "outbound|9080||web.default.svc.cluster.local");
  Decision p = route(R"(  - route:
    - destination: {host: web, port: {number: 80}}
)",
                     get("http://reviews:9080/"));
  EXPECT_EQ(clusterOf(p), "outbound|80||web.default.svc.cluster.local");
}

TEST(RouteAction, NoTimeoutByDefault) {
  EXPECT_FALSE(
      route("  - route:\n    - destination: {host: reviews}\n", get("http://reviews:9080/"))
          .route.timeout.has_value());
  Decision d = route("  - timeout: 2.5s\n    route:\n    - destination: {host: reviews}\n",
                     get("http://reviews:9080/"));
  ASSERT_TRUE(d.route.timeout.has_value());
  EXPECT_EQ(d.route.timeout->seconds, 2);
  EXPECT_EQ(d.route.timeout->nanos, 500000000);
}

TEST(RouteAction, IstioDefaultRetriesWhenUnset) {
  Decision d =
      route("  - route:\n    - destination: {host: reviews}\n", get("http://reviews:9080/"));
  EXPECT_TRUE(d.route.retries.is_default);
  EXPECT_EQ(d.route.retries.attempts, 2);
  EXPECT_EQ(d.route.retries.retry_on,
            "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes");
}

TEST(RouteAction, ZeroAttemptsDisablesRetries) {
  Decision d = route("  - retries: {attempts: 0}\n    route:\n    - destination: {host: reviews}\n",
                     get("http://reviews:9080/"));
  EXPECT_FALSE(d.route.retries.is_default);
  EXPECT_EQ(d.route.retries.attempts, 0);
}

TEST(RouteAction, RetryOnStatusCodesBecomeRetriableStatusCodes) {
  Decision d =
      route(R"(  - retries: {attempts: 3, perTryTimeout: 2s, retryOn: "5xx,503,gateway-error"}
    route:
    - destination: {host: reviews}
)",
            get("http://reviews:9080/"));
  EXPECT_EQ(d.route.retries.attempts, 3);
  EXPECT_EQ(d.route.retries.retry_on, "5xx,gateway-error,retriable-status-codes");
  EXPECT_EQ(d.route.retries.retriable_status_codes, std::vector<uint32_t>{503});
  ASSERT_TRUE(d.route.retries.per_try_timeout.has_value());
  EXPECT_EQ(d.route.retries.per_try_timeout->seconds, 2);
}

TEST(RouteAction, MeshDefaultRetryPolicyReplacesIstiosDefault) {
  MeshConfig mesh;
  api::HTTPRetry r;
  r.attempts = 5;
  mesh.default_http_retry_policy = r;
  Decision d =
      route("  - route:\n    - destination: {host: reviews}\n", get("http://reviews:9080/"), mesh);
  EXPECT_EQ(d.route.retries.attempts, 5);
  EXPECT_TRUE(d.route.retries.is_default);
}

TEST(RouteAction, FaultWithPercentages) {
  Decision d = route(R"(  - fault:
      delay: {fixedDelay: 5s, percentage: {value: 10}}
      abort: {httpStatus: 503, percentage: {value: 5}}
    route:
    - destination: {host: reviews}
)",
                     get("http://reviews:9080/"));
  ASSERT_TRUE(d.route.fault.has_value());
  EXPECT_EQ(d.route.fault->delay->seconds, 5);
  EXPECT_DOUBLE_EQ(d.route.fault->delay_percent, 10);
  EXPECT_EQ(d.route.fault->abort_http_status.value_or(0), 503);
  EXPECT_DOUBLE_EQ(d.route.fault->abort_percent, 5);
}

TEST(RouteAction, MirrorDefaultsTo100PercentAndZeroDisablesIt) {
  Decision d = route(R"(  - mirror: {host: mirror}
    route:
    - destination: {host: reviews}
)",
                     get("http://reviews:9080/"));
  ASSERT_EQ(d.route.mirrors.size(), 1u);
  EXPECT_DOUBLE_EQ(d.route.mirrors[0].percent, 100);
  EXPECT_EQ(d.route.mirrors[0].cluster, "outbound|9080||mirror.default.svc.cluster.local");
  Decision off = route(R"(  - mirror: {host: mirror}
    mirrorPercentage: {value: 0}
    route:
    - destination: {host: reviews}
)",
                       get("http://reviews:9080/"));
  EXPECT_TRUE(off.route.mirrors.empty());
}

TEST(RouteAction, MirrorsListWithPercentages) {
  Decision d = route(R"(  - mirrors:
    - destination: {host: mirror, subset: v3}
      percentage: {value: 1}
    - destination: {host: web, port: {number: 80}}
    route:
    - destination: {host: reviews}
)",
                     get("http://reviews:9080/"));
  ASSERT_EQ(d.route.mirrors.size(), 2u);
  EXPECT_DOUBLE_EQ(d.route.mirrors[0].percent, 1);
  EXPECT_EQ(d.route.mirrors[0].cluster, "outbound|9080|v3|mirror.default.svc.cluster.local");
  EXPECT_EQ(d.route.mirrors[1].cluster, "outbound|80||web.default.svc.cluster.local");
}

TEST(RouteAction, DestinationHeadersStayWithTheirDestination) {
  Decision d = route(R"(  - route:
    - destination: {host: reviews, subset: v1}
      weight: 50
      headers: {request: {add: {x-version: v1}}, response: {set: {x-served-by: v1}}}
    - destination: {host: reviews, subset: v2}
      weight: 50
)",
                     get("http://reviews:9080/"));
  ASSERT_EQ(d.destinations.size(), 2u);
  EXPECT_EQ(d.destinations[0].request_headers.add.at(0).second, "v1");
  EXPECT_EQ(d.destinations[0].response_headers.set.at(0).first, "x-served-by");
  EXPECT_TRUE(d.destinations[1].request_headers.add.empty());
}

TEST(RouteAction, CorsPolicyIsCarried) {
  Decision d = route(R"(  - corsPolicy:
      allowOrigins: [{exact: "https://example.com"}]
      allowMethods: [GET]
    route:
    - destination: {host: reviews}
)",
                     get("http://reviews:9080/"));
  ASSERT_TRUE(d.route.cors.has_value());
  EXPECT_EQ(d.route.cors->allow_methods, std::vector<std::string>{"GET"});
}

TEST(RouteAction, UnmatchedRequestIs404WithFlagNR) {
  Decision d = route(R"(  - match:
    - uri: {prefix: /only}
    route:
    - destination: {host: reviews}
)",
                     get("http://reviews:9080/other"));
  EXPECT_EQ(d.outcome, Outcome::kNoRoute);
  EXPECT_EQ(d.status, 404);
  EXPECT_EQ(d.response_flags, "NR");
}

}  // namespace
}  // namespace meshroute::routing
