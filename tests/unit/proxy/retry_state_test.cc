// Envoy's per-request retry decisions (retry_state_impl.cc, router.cc) over Istio's policies:
// which failures and responses each condition retries, the attempt budget and URX, disable(),
// per-try timeouts, and the jittered exponential backoff on a seeded random source.
#include "proxy/router/retry_state.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "api/loader.h"
#include "routing/retry_conditions.h"
#include "routing/snapshot.h"

namespace meshroute::proxy {
namespace {

using routing::RetryPolicy;
using std::chrono::milliseconds;

constexpr AttemptFailure kAllFailures[] = {
    AttemptFailure::kConnectFailure, AttemptFailure::kConnectTimeout,
    AttemptFailure::kRemoteReset,    AttemptFailure::kRefusedStream,
    AttemptFailure::kPerTryTimeout,  AttemptFailure::kProtocolError,
    AttemptFailure::kOverflow,
};

RetryPolicy policy(std::string_view retry_on, int attempts = 3,
                   std::vector<uint32_t> status_codes = {}) {
  RetryPolicy p;
  p.attempts = attempts;
  p.retry_on = std::string(retry_on);
  p.conditions = routing::parseRetryOn(retry_on);
  p.retriable_status_codes = std::move(status_codes);
  return p;
}

// Whether a fresh state for `p` retries this result (one verdict each, budget untouched).
bool retries(const RetryPolicy& p, AttemptFailure f) {
  core::Random random(1);
  RetryState s(p, random);
  return s.onFailure(f) == RetryVerdict::kRetry;
}
bool retries(const RetryPolicy& p, int status, int grpc_status = -1) {
  core::Random random(1);
  RetryState s(p, random);
  return s.onResponse(status, grpc_status) == RetryVerdict::kRetry;
}

// The policy istiod builds for a route whose VirtualService says `retries` (may be empty).
RetryPolicy istioPolicy(const std::string& retries) {
  const std::string yaml = R"(apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec:
  selector: {app: reviews}
  ports: [{name: http, port: 9080}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - )" + retries + R"(route:
    - destination: {host: reviews}
)";
  api::LoadResult loaded;
  api::loadText(yaml, "test.yaml", loaded);
  core::Diagnostics diags;
  auto snap = routing::Snapshot::build(std::move(loaded.resources), {}, diags);
  routing::Request r;
  r.authority = "reviews:9080";
  r.port = 9080;
  r.path = "/";
  const routing::Decision d = snap->decide(routing::Proxy{}, r);
  EXPECT_EQ(d.route_index, 0);  // the rule matched (no endpoints: kError, route still decided)
  return d.route.retries;
}

TEST(RetryState, FiveXxRetriesConnectFailureAndResets) {
  const RetryPolicy p = policy("5xx");
  for (AttemptFailure f : kAllFailures) {
    EXPECT_EQ(retries(p, f), f != AttemptFailure::kOverflow) << static_cast<int>(f);
  }
  EXPECT_TRUE(retries(p, 500));
  EXPECT_TRUE(retries(p, 503));
  EXPECT_TRUE(retries(p, 599));
  EXPECT_FALSE(retries(p, 200));
  EXPECT_FALSE(retries(p, 409));
  EXPECT_FALSE(retries(p, 499));
}

TEST(RetryState, GatewayErrorRetries502To504AndEveryReset) {
  const RetryPolicy p = policy("gateway-error");
  EXPECT_TRUE(retries(p, 502));
  EXPECT_TRUE(retries(p, 503));
  EXPECT_TRUE(retries(p, 504));
  EXPECT_FALSE(retries(p, 500));
  EXPECT_FALSE(retries(p, 501));
  EXPECT_FALSE(retries(p, 505));
  for (AttemptFailure f : kAllFailures) {
    EXPECT_EQ(retries(p, f), f != AttemptFailure::kOverflow) << static_cast<int>(f);
  }
}

TEST(RetryState, ResetRetriesEveryFailureButNoResponse) {
  const RetryPolicy p = policy("reset");
  for (AttemptFailure f : kAllFailures) {
    EXPECT_EQ(retries(p, f), f != AttemptFailure::kOverflow) << static_cast<int>(f);
  }
  EXPECT_FALSE(retries(p, 503));
  EXPECT_FALSE(retries(p, 500));
}

TEST(RetryState, ConnectFailureRetriesOnlyFailuresToConnect) {
  const RetryPolicy p = policy("connect-failure");
  EXPECT_TRUE(retries(p, AttemptFailure::kConnectFailure));
  EXPECT_TRUE(retries(p, AttemptFailure::kConnectTimeout));
  EXPECT_FALSE(retries(p, AttemptFailure::kRemoteReset));
  EXPECT_FALSE(retries(p, AttemptFailure::kRefusedStream));
  EXPECT_FALSE(retries(p, AttemptFailure::kPerTryTimeout));
  EXPECT_FALSE(retries(p, AttemptFailure::kProtocolError));
  EXPECT_FALSE(retries(p, AttemptFailure::kOverflow));
  EXPECT_FALSE(retries(p, 503));
}

TEST(RetryState, RefusedStreamRetriesOnlyRefusedStreams) {
  const RetryPolicy p = policy("refused-stream");
  for (AttemptFailure f : kAllFailures) {
    EXPECT_EQ(retries(p, f), f == AttemptFailure::kRefusedStream) << static_cast<int>(f);
  }
  EXPECT_FALSE(retries(p, 503));
}

TEST(RetryState, Retriable4xxIs409Only) {
  const RetryPolicy p = policy("retriable-4xx");
  EXPECT_TRUE(retries(p, 409));
  for (int status : {400, 404, 408, 425, 429, 500, 503}) EXPECT_FALSE(retries(p, status)) << status;
  EXPECT_FALSE(retries(p, AttemptFailure::kRemoteReset));
}

TEST(RetryState, RetriableStatusCodesRetryTheListedCodesOnly) {
  const RetryPolicy p = policy("retriable-status-codes", 3, {429, 503});
  EXPECT_TRUE(retries(p, 429));
  EXPECT_TRUE(retries(p, 503));
  EXPECT_FALSE(retries(p, 500));
  EXPECT_FALSE(retries(p, 502));
  EXPECT_FALSE(retries(p, AttemptFailure::kConnectFailure));
  // Codes without the condition do nothing, as in Envoy.
  EXPECT_FALSE(retries(policy("connect-failure", 3, {503}), 503));
}

TEST(RetryState, GrpcConditionsReadTheGrpcStatusOfTheHead) {
  struct Case {
    const char* condition;
    int grpc_status;
  };
  const Case cases[] = {{"cancelled", 1},
                        {"deadline-exceeded", 4},
                        {"resource-exhausted", 8},
                        {"internal", 13},
                        {"unavailable", 14}};
  for (const Case& c : cases) {
    const RetryPolicy p = policy(c.condition);
    for (const Case& other : cases) {
      // A trailers-only gRPC response: HTTP 200 with grpc-status in the head.
      EXPECT_EQ(retries(p, 200, other.grpc_status), c.grpc_status == other.grpc_status)
          << c.condition << " on grpc-status " << other.grpc_status;
    }
    EXPECT_FALSE(retries(p, 200, -1)) << c.condition;  // no grpc-status in the head
    EXPECT_FALSE(retries(p, 200, 0)) << c.condition;   // OK
    EXPECT_FALSE(retries(p, 200, 2)) << c.condition;   // UNKNOWN
    EXPECT_FALSE(retries(p, 503, -1)) << c.condition;
    EXPECT_FALSE(retries(p, AttemptFailure::kRemoteReset)) << c.condition;
  }
}

TEST(RetryState, EnvoyRateLimitedResponsesRetryOnlyOnEnvoyRateLimited) {
  core::Random random(1);
  const RetryPolicy five = policy("5xx");
  RetryState s5(five, random);
  EXPECT_EQ(s5.onResponse(503, -1, /*envoy_rate_limited=*/true), RetryVerdict::kNoRetry);
  const RetryPolicy limited = policy("envoy-ratelimited");
  RetryState sl(limited, random);
  EXPECT_EQ(sl.onResponse(429, -1, /*envoy_rate_limited=*/true), RetryVerdict::kRetry);
  EXPECT_EQ(sl.onResponse(429, -1), RetryVerdict::kNoRetry);
}

TEST(RetryState, ConditionsThatNeverFireOnThisProxy) {
  // retriable-headers needs response header matchers (Istio has none); http3-post-connect-failure
  // needs an HTTP/3 upstream.
  const RetryPolicy p = policy("retriable-headers,http3-post-connect-failure");
  for (AttemptFailure f : kAllFailures) EXPECT_FALSE(retries(p, f)) << static_cast<int>(f);
  EXPECT_FALSE(retries(p, 503));
  EXPECT_FALSE(retries(p, 200, 14));
}

TEST(RetryState, ResetBeforeRequestRetriesOnlyWhileNothingWasSent) {
  const RetryPolicy p = policy("reset-before-request");
  EXPECT_TRUE(retries(p, AttemptFailure::kConnectFailure));
  EXPECT_TRUE(retries(p, AttemptFailure::kConnectTimeout));
  EXPECT_FALSE(retries(p, AttemptFailure::kOverflow));
  EXPECT_FALSE(retries(p, AttemptFailure::kRemoteReset));  // assumed sent
  EXPECT_FALSE(retries(p, AttemptFailure::kPerTryTimeout));
  EXPECT_FALSE(retries(p, 503));
  core::Random random(1);
  RetryState s(p, random);
  EXPECT_EQ(s.onFailure(AttemptFailure::kRemoteReset, /*request_sent=*/false),
            RetryVerdict::kRetry);
  EXPECT_EQ(s.onFailure(AttemptFailure::kRemoteReset, /*request_sent=*/true),
            RetryVerdict::kNoRetry);
}

TEST(RetryState, ResetBeforeRequestStaysOffOnceAnyAttemptSentBytes) {
  // Envoy keeps "the request started upstream" for the whole request, across attempts.
  const RetryPolicy p = policy("reset-before-request,retriable-status-codes", 3, {503});
  core::Random random(1);
  RetryState s(p, random);
  EXPECT_EQ(s.onResponse(503, -1), RetryVerdict::kRetry);
  EXPECT_EQ(s.onFailure(AttemptFailure::kRemoteReset, /*request_sent=*/false),
            RetryVerdict::kNoRetry);
  EXPECT_FALSE(s.wouldRetryFailure(AttemptFailure::kConnectFailure, false));
}

TEST(RetryState, OverflowIsNeverRetried) {
  const RetryPolicy p = policy(
      "5xx,gateway-error,reset,connect-failure,refused-stream,reset-before-request,"
      "retriable-4xx");
  EXPECT_FALSE(retries(p, AttemptFailure::kOverflow));
}

TEST(RetryState, PerTryTimeoutRetriesOnlyOn5xxGatewayErrorOrReset) {
  // Envoy resets the attempt (a local reset after bytes went out) and asks as for any reset.
  for (const char* c : {"5xx", "gateway-error", "reset"}) {
    EXPECT_TRUE(retries(policy(c), AttemptFailure::kPerTryTimeout)) << c;
  }
  for (const char* c :
       {"connect-failure", "refused-stream", "reset-before-request", "retriable-4xx",
        "retriable-status-codes", "unavailable", "cancelled", "deadline-exceeded"}) {
    EXPECT_FALSE(retries(policy(c, 3, {504}), AttemptFailure::kPerTryTimeout)) << c;
  }
}

TEST(RetryState, IstiosDefaultPolicyRetriesTwiceOnConnectRefusedAndGrpcButNot503) {
  const RetryPolicy p = istioPolicy("");
  ASSERT_TRUE(p.is_default);
  EXPECT_TRUE(retries(p, AttemptFailure::kConnectFailure));
  EXPECT_TRUE(retries(p, AttemptFailure::kConnectTimeout));
  EXPECT_TRUE(retries(p, AttemptFailure::kRefusedStream));
  EXPECT_TRUE(retries(p, 200, 14));  // unavailable
  EXPECT_TRUE(retries(p, 200, 1));   // cancelled
  EXPECT_FALSE(retries(p, 200, 4));  // deadline-exceeded
  EXPECT_FALSE(retries(p, 503));     // not since Istio 1.24
  EXPECT_FALSE(retries(p, 500));
  EXPECT_FALSE(retries(p, AttemptFailure::kRemoteReset));
  // A per-try timeout alone is not retried by the default conditions.
  EXPECT_FALSE(retries(p, AttemptFailure::kPerTryTimeout));

  core::Random random(7);
  RetryState s(p, random);
  EXPECT_EQ(s.onFailure(AttemptFailure::kConnectFailure), RetryVerdict::kRetry);
  EXPECT_EQ(s.onFailure(AttemptFailure::kRefusedStream), RetryVerdict::kRetry);
  EXPECT_EQ(s.onFailure(AttemptFailure::kConnectFailure), RetryVerdict::kLimitExceeded);
  EXPECT_EQ(s.retriesUsed(), 2);
}

TEST(RetryState, RouteRetriesWithPerTryTimeoutAnd5xx) {
  const RetryPolicy p =
      istioPolicy("retries: {attempts: 3, perTryTimeout: 1s, retryOn: 5xx}\n    ");
  EXPECT_TRUE(retries(p, AttemptFailure::kPerTryTimeout));
  EXPECT_EQ(effectivePerTryTimeout(p, std::nullopt), milliseconds(1000));
}

TEST(RetryState, LimitExceededAfterTheConfiguredRetries) {
  const RetryPolicy p = policy("5xx", 3);
  core::Random random(1);
  RetryState s(p, random);
  EXPECT_EQ(s.retriesLeft(), 3);
  EXPECT_EQ(s.onResponse(503, -1), RetryVerdict::kRetry);
  EXPECT_EQ(s.onFailure(AttemptFailure::kRemoteReset), RetryVerdict::kRetry);
  EXPECT_EQ(s.onResponse(500, -1), RetryVerdict::kRetry);
  EXPECT_EQ(s.retriesUsed(), 3);
  EXPECT_EQ(s.retriesLeft(), 0);
  EXPECT_EQ(s.onResponse(503, -1), RetryVerdict::kLimitExceeded);
  EXPECT_EQ(s.onFailure(AttemptFailure::kConnectFailure), RetryVerdict::kLimitExceeded);
  EXPECT_EQ(s.retriesUsed(), 3);
  // A result the policy would not retry anyway passes on: no URX.
  EXPECT_EQ(s.onResponse(200, -1), RetryVerdict::kNoRetry);
  // The conditions still say "retriable", for counters.
  EXPECT_TRUE(s.wouldRetryResponse(503, -1));
}

TEST(RetryState, NonRetriableResultsDoNotSpendAttempts) {
  const RetryPolicy p = policy("connect-failure", 1);
  core::Random random(1);
  RetryState s(p, random);
  EXPECT_EQ(s.onResponse(503, -1), RetryVerdict::kNoRetry);
  EXPECT_EQ(s.onFailure(AttemptFailure::kRemoteReset), RetryVerdict::kNoRetry);
  EXPECT_EQ(s.retriesUsed(), 0);
  EXPECT_EQ(s.onFailure(AttemptFailure::kConnectFailure), RetryVerdict::kRetry);
}

TEST(RetryState, ZeroAttemptsNeverRetriesNorFlagsUrx) {
  // Istio sends Envoy no retry policy for attempts 0, so nothing can exceed a limit.
  const RetryPolicy p = istioPolicy("retries: {attempts: 0, retryOn: 5xx}\n    ");
  core::Random random(1);
  RetryState s(p, random);
  EXPECT_EQ(s.onResponse(503, -1), RetryVerdict::kNoRetry);
  EXPECT_EQ(s.onFailure(AttemptFailure::kConnectFailure), RetryVerdict::kNoRetry);
  EXPECT_EQ(s.retriesLeft(), 0);
  // Built by hand with conditions, attempts 0 still means no retry policy.
  const RetryPolicy by_hand = policy("5xx", 0);
  RetryState h(by_hand, random);
  EXPECT_EQ(h.onResponse(503, -1), RetryVerdict::kNoRetry);
}

TEST(RetryState, PolicyWithOnlyUnknownConditionsNeverRetries) {
  const RetryPolicy p = policy("sometimes", 2);
  core::Random random(1);
  RetryState s(p, random);
  EXPECT_EQ(s.onFailure(AttemptFailure::kConnectFailure), RetryVerdict::kNoRetry);
  EXPECT_EQ(s.onResponse(503, -1), RetryVerdict::kNoRetry);
  EXPECT_EQ(s.retriesLeft(), 0);
}

TEST(RetryState, DisableTurnsEveryVerdictIntoNoRetry) {
  const RetryPolicy p = policy("5xx", 2);
  core::Random random(1);
  RetryState s(p, random);
  EXPECT_EQ(s.onResponse(503, -1), RetryVerdict::kRetry);
  s.disable();
  EXPECT_TRUE(s.disabled());
  EXPECT_EQ(s.onResponse(503, -1), RetryVerdict::kNoRetry);
  EXPECT_EQ(s.onFailure(AttemptFailure::kConnectFailure), RetryVerdict::kNoRetry);
  EXPECT_EQ(s.retriesUsed(), 1);
  EXPECT_EQ(s.retriesLeft(), 0);
  // Even with the budget gone there is no URX once disabled.
  const RetryPolicy one = policy("5xx", 1);
  RetryState t(one, random);
  EXPECT_EQ(t.onResponse(503, -1), RetryVerdict::kRetry);
  t.disable();
  EXPECT_EQ(t.onResponse(503, -1), RetryVerdict::kNoRetry);
}

TEST(RetryState, EffectivePerTryTimeoutFollowsEnvoy) {
  RetryPolicy p = policy("5xx");
  EXPECT_EQ(effectivePerTryTimeout(p, std::nullopt), std::nullopt);  // unset
  p.per_try_timeout = api::Duration{0, 0};
  EXPECT_EQ(effectivePerTryTimeout(p, std::nullopt), std::nullopt);  // zero
  p.per_try_timeout = api::Duration{0, 500000};
  EXPECT_EQ(effectivePerTryTimeout(p, std::nullopt), std::nullopt);  // below 1ms truncates to 0
  p.per_try_timeout = api::Duration{2, 500000};
  EXPECT_EQ(effectivePerTryTimeout(p, std::nullopt), milliseconds(2000));
  EXPECT_EQ(effectivePerTryTimeout(p, api::Duration{3, 0}), milliseconds(2000));
  // Not below the route timeout: Envoy ignores it.
  EXPECT_EQ(effectivePerTryTimeout(p, api::Duration{2, 0}), std::nullopt);
  EXPECT_EQ(effectivePerTryTimeout(p, api::Duration{1, 0}), std::nullopt);
  // A zero route timeout means none.
  EXPECT_EQ(effectivePerTryTimeout(p, api::Duration{0, 0}), milliseconds(2000));
}

// The upper bound (exclusive) of each backoff draw.
std::vector<int64_t> bounds(int64_t base, int n) {
  std::vector<int64_t> out;
  int64_t interval = base;
  for (int i = 0; i < n; ++i) {
    out.push_back(interval);
    interval = interval < base * 10 / 2 ? interval * 2 : base * 10;
  }
  return out;
}

TEST(RetryState, DefaultBackoffIs25msBaseCappedAt10xBase) {
  const RetryPolicy p = policy("5xx", 10);
  core::Random random(1);
  RetryState s(p, random);
  EXPECT_EQ(s.baseInterval(), milliseconds(25));
  EXPECT_EQ(s.maxInterval(), milliseconds(250));
  EXPECT_EQ(bounds(25, 7), (std::vector<int64_t>{25, 50, 100, 200, 250, 250, 250}));
}

TEST(RetryState, BackoffDrawsFullJitterBelowADoublingCappedInterval) {
  const RetryPolicy p = policy("5xx", 10);
  constexpr int kDraws = 8;
  const std::vector<int64_t> bound = bounds(25, kDraws);
  std::vector<int64_t> highest(kDraws, 0);
  std::vector<int64_t> lowest(kDraws, 1 << 30);
  for (uint64_t seed = 1; seed <= 2000; ++seed) {
    core::Random random(seed);
    RetryState s(p, random);
    for (int i = 0; i < kDraws; ++i) {
      const int64_t ms = s.nextBackoff().count();
      ASSERT_GE(ms, 0);
      ASSERT_LT(ms, bound[i]) << "draw " << i << " seed " << seed;
      ASSERT_LE(ms, s.maxInterval().count());
      highest[i] = std::max(highest[i], ms);
      lowest[i] = std::min(lowest[i], ms);
    }
  }
  for (int i = 0; i < kDraws; ++i) {
    // Over 2000 seeds the draws cover their whole range.
    EXPECT_EQ(highest[i], bound[i] - 1) << "draw " << i;
    EXPECT_EQ(lowest[i], 0) << "draw " << i;
  }
}

TEST(RetryState, BackoffIsDeterministicForASeed) {
  const RetryPolicy p = policy("5xx", 10);
  core::Random a(42);
  core::Random b(42);
  core::Random c(43);
  RetryState sa(p, a);
  RetryState sb(p, b);
  RetryState sc(p, c);
  std::vector<int64_t> da;
  std::vector<int64_t> db;
  std::vector<int64_t> dc;
  for (int i = 0; i < 6; ++i) {
    da.push_back(sa.nextBackoff().count());
    db.push_back(sb.nextBackoff().count());
    dc.push_back(sc.nextBackoff().count());
  }
  EXPECT_EQ(da, db);
  EXPECT_NE(da, dc);
}

TEST(RetryState, BackoffUsesThePolicyBaseInterval) {
  RetryPolicy p = policy("5xx", 10);
  p.backoff = api::Duration{0, 30000000};  // 30ms: 30, 60, 120, 240, then the 300ms cap
  core::Random random(9);
  RetryState s(p, random);
  EXPECT_EQ(s.baseInterval(), milliseconds(30));
  EXPECT_EQ(s.maxInterval(), milliseconds(300));
  const std::vector<int64_t> bound = bounds(30, 6);
  EXPECT_EQ(bound, (std::vector<int64_t>{30, 60, 120, 240, 300, 300}));
  for (int i = 0; i < 6; ++i) EXPECT_LT(s.nextBackoff().count(), bound[i]);
}

TEST(RetryState, BackoffBaseBelowOneMillisecondRoundsUpToOne) {
  RetryPolicy p = policy("5xx", 10);
  p.backoff = api::Duration{0, 200000};  // 0.2ms
  core::Random random(3);
  RetryState s(p, random);
  EXPECT_EQ(s.baseInterval(), milliseconds(1));
  EXPECT_EQ(s.maxInterval(), milliseconds(10));
  EXPECT_EQ(s.nextBackoff(), milliseconds(0));  // [0, 1)
  for (int i = 0; i < 20; ++i) EXPECT_LT(s.nextBackoff().count(), 10);
}

}  // namespace
}  // namespace meshroute::proxy
