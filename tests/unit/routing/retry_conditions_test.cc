// Envoy's retry_on list compiled to condition bits once per route, and the retry policy istiod
// builds (route/retry/retry.go) carrying those bits and the previous_hosts choice.
#include "routing/retry_conditions.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "routing_test_util.h"

namespace meshroute::routing {
namespace {

using namespace testing;  // NOLINT

struct Named {
  const char* token;
  uint32_t bit;
};

constexpr Named kHttpConditions[] = {
    {"5xx", kRetry5xx},
    {"gateway-error", kRetryGatewayError},
    {"reset", kRetryReset},
    {"connect-failure", kRetryConnectFailure},
    {"retriable-4xx", kRetryRetriable4xx},
    {"refused-stream", kRetryRefusedStream},
    {"retriable-status-codes", kRetryRetriableStatusCodes},
    {"retriable-headers", kRetryRetriableHeaders},
    {"envoy-ratelimited", kRetryEnvoyRateLimited},
    {"reset-before-request", kRetryResetBeforeRequest},
    {"http3-post-connect-failure", kRetryHttp3PostConnectFailure},
};
constexpr Named kGrpcConditions[] = {
    {"cancelled", kRetryGrpcCancelled},     {"deadline-exceeded", kRetryGrpcDeadlineExceeded},
    {"internal", kRetryGrpcInternal},       {"resource-exhausted", kRetryGrpcResourceExhausted},
    {"unavailable", kRetryGrpcUnavailable},
};

TEST(RetryConditions, EveryHttpConditionHasItsOwnBit) {
  uint32_t all = 0;
  for (const Named& c : kHttpConditions) {
    EXPECT_EQ(parseRetryOn(c.token), c.bit) << c.token;
    EXPECT_EQ(retryConditionName(c.bit), c.token);
    EXPECT_EQ(all & c.bit, 0u) << c.token << " shares a bit";
    all |= c.bit;
  }
  EXPECT_EQ(all & kRetryGrpcAny, 0u);
}

TEST(RetryConditions, EveryGrpcConditionHasItsOwnBit) {
  uint32_t all = 0;
  for (const Named& c : kGrpcConditions) {
    EXPECT_EQ(parseRetryOn(c.token), c.bit) << c.token;
    EXPECT_EQ(retryConditionName(c.bit), c.token);
    all |= c.bit;
  }
  EXPECT_EQ(all, kRetryGrpcAny);
}

TEST(RetryConditions, OneListMixesHttpAndGrpcConditions) {
  // Envoy parses a route's retry_on with both the HTTP and the gRPC parsers.
  EXPECT_EQ(parseRetryOn("5xx,unavailable,deadline-exceeded"),
            kRetry5xx | kRetryGrpcUnavailable | kRetryGrpcDeadlineExceeded);
}

TEST(RetryConditions, BlanksAreTrimmedAndEmptyTokensIgnored) {
  std::vector<std::string> unknown;
  EXPECT_EQ(parseRetryOn(" 5xx , ,\treset,,connect-failure ", &unknown),
            kRetry5xx | kRetryReset | kRetryConnectFailure);
  EXPECT_TRUE(unknown.empty());
  EXPECT_EQ(parseRetryOn(""), 0u);
  EXPECT_EQ(parseRetryOn(",,"), 0u);
}

TEST(RetryConditions, UnknownTokensAreSkippedAndReported) {
  std::vector<std::string> unknown;
  EXPECT_EQ(parseRetryOn("5XX,503,gateway-error,retry-on-anything", &unknown), kRetryGatewayError);
  // Case matters to Envoy; numbers are istiod's business (retriable_status_codes).
  EXPECT_EQ(unknown, (std::vector<std::string>{"5XX", "503", "retry-on-anything"}));
  EXPECT_EQ(parseRetryOn("bogus"), 0u);  // without a list to report to
}

TEST(RetryConditions, NameOfSomethingThatIsNotOneBitIsEmpty) {
  EXPECT_EQ(retryConditionName(0), "");
  EXPECT_EQ(retryConditionName(kRetry5xx | kRetryReset), "");
  EXPECT_EQ(retryConditionName(1u << 30), "");
}

// The policy as istiod builds it for a route, through the routing snapshot.
const std::string kServices = k8sService("reviews", "default", 9080);

RetryPolicy policyFor(const std::string& retries, const MeshConfig& mesh = {}) {
  auto snap = snapshotFrom(kServices + vs("reviews", "  hosts: [reviews]\n  http:\n  - " + retries +
                                                         "route:\n    - destination: {host: "
                                                         "reviews}\n"),
                           mesh);
  return snap->decide(sidecar(), get("http://reviews:9080/")).route.retries;
}

TEST(RetryConditions, GivenNoRetriesIstiosDefaultCompilesWithout503) {
  const RetryPolicy p = policyFor("");
  EXPECT_TRUE(p.is_default);
  EXPECT_EQ(p.attempts, 2);
  EXPECT_EQ(p.conditions, kRetryConnectFailure | kRetryRefusedStream | kRetryGrpcUnavailable |
                              kRetryGrpcCancelled | kRetryRetriableStatusCodes);
  // Istio 1.24+ (EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY=true): no retriable status codes.
  EXPECT_TRUE(p.retriable_status_codes.empty());
  EXPECT_TRUE(p.ignore_previous_hosts);
}

TEST(RetryConditions, GivenAttemptsWithoutRetryOnKeepsTheDefaultConditions) {
  const RetryPolicy p = policyFor("retries: {attempts: 4}\n    ");
  EXPECT_FALSE(p.is_default);
  EXPECT_EQ(p.attempts, 4);
  EXPECT_EQ(p.conditions, parseRetryOn("connect-failure,refused-stream,unavailable,cancelled,"
                                       "retriable-status-codes"));
  EXPECT_TRUE(p.retriable_status_codes.empty());
}

TEST(RetryConditions, GivenRetryOnWithStatusCodesCompilesBothParts) {
  const RetryPolicy p = policyFor(R"(retries: {attempts: 3, retryOn: "gateway-error, 429,internal"}
    )");
  EXPECT_EQ(p.conditions, kRetryGatewayError | kRetryGrpcInternal | kRetryRetriableStatusCodes);
  EXPECT_EQ(p.retriable_status_codes, std::vector<uint32_t>{429});
}

TEST(RetryConditions, GivenUnknownRetryOnTokensOnlyTheKnownOnesCount) {
  const RetryPolicy p = policyFor(R"(retries: {attempts: 3, retryOn: "5xx,sometimes"}
    )");
  EXPECT_EQ(p.retry_on, "5xx,sometimes");
  EXPECT_EQ(p.conditions, kRetry5xx);
}

TEST(RetryConditions, GivenZeroAttemptsThereAreNoConditions) {
  const RetryPolicy p = policyFor(R"(retries: {attempts: 0, retryOn: "5xx"}
    )");
  EXPECT_EQ(p.attempts, 0);
  EXPECT_EQ(p.conditions, 0u);
}

TEST(RetryConditions, RetryIgnorePreviousHostsFollowsTheRouteDefaultingToTrue) {
  EXPECT_TRUE(policyFor("retries: {attempts: 2}\n    ").ignore_previous_hosts);
  EXPECT_FALSE(policyFor("retries: {attempts: 2, retryIgnorePreviousHosts: false}\n    ")
                   .ignore_previous_hosts);
  EXPECT_TRUE(policyFor("retries: {attempts: 2, retryIgnorePreviousHosts: true}\n    ")
                  .ignore_previous_hosts);
}

TEST(RetryConditions, MeshDefaultRetryPolicyIsCompiledToo) {
  MeshConfig mesh;
  api::HTTPRetry r;
  r.attempts = 5;
  r.retry_on = "reset,503";
  mesh.default_http_retry_policy = r;
  const RetryPolicy p = policyFor("", mesh);
  EXPECT_TRUE(p.is_default);
  EXPECT_EQ(p.attempts, 5);
  EXPECT_EQ(p.conditions, kRetryReset | kRetryRetriableStatusCodes);
  EXPECT_EQ(p.retriable_status_codes, std::vector<uint32_t>{503});
}

}  // namespace
}  // namespace meshroute::routing
