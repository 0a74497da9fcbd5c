#include "upstream/outlier.h"

#include <gtest/gtest.h>

namespace meshroute::upstream {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Time = std::chrono::steady_clock::time_point;

// A fake clock: time points made from seconds after an arbitrary start.
Time at(double secs) {
  return Time(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(1000.0 + secs)));
}

OutlierPolicy policy(uint32_t five_xx = 3) {
  OutlierPolicy p;
  p.consecutive_5xx = five_xx;
  p.interval = seconds(1);
  p.base_ejection_time = seconds(2);
  p.max_ejection_percent = 100;
  return p;
}

TEST(UpstreamOutlier, CompilesAsIstiodWritesEnvoysConfig) {
  api::OutlierDetection od;
  OutlierPolicy d = compileOutlierPolicy(od);
  EXPECT_EQ(d.consecutive_5xx, 5U);  // Envoy's default, enforced
  EXPECT_EQ(d.consecutive_gateway, 0U);
  EXPECT_EQ(d.interval, seconds(10));
  EXPECT_EQ(d.base_ejection_time, seconds(30));
  EXPECT_EQ(d.max_ejection_percent, 10U);
  od.consecutive_5xx_errors = 0;  // set to 0: off
  od.consecutive_gateway_errors = 2;
  od.interval = api::Duration{1, 0};
  od.base_ejection_time = api::Duration{0, 500000000};
  od.max_ejection_percent = 50;
  od.min_health_percent = 30;
  od.consecutive_local_origin_failures = 4;  // ignored unless split
  OutlierPolicy p = compileOutlierPolicy(od);
  EXPECT_EQ(p.consecutive_5xx, 0U);
  EXPECT_EQ(p.consecutive_gateway, 2U);
  EXPECT_EQ(p.consecutive_local_origin, 0U);
  EXPECT_EQ(p.interval, seconds(1));
  EXPECT_EQ(p.base_ejection_time, milliseconds(500));
  EXPECT_EQ(p.max_ejection_percent, 50U);
  EXPECT_EQ(p.min_health_percent, 30U);
  od.split_external_local_origin_errors = true;
  EXPECT_EQ(compileOutlierPolicy(od).consecutive_local_origin, 4U);
}

TEST(UpstreamOutlier, ConsecutiveErrorsReachTheThresholdOnce) {
  HostOutlierState h;
  const OutlierPolicy p = policy(3);
  EXPECT_EQ(recordStatus(h, 503, p), EjectionCause::kNone);
  EXPECT_EQ(recordStatus(h, 500, p), EjectionCause::kNone);
  EXPECT_EQ(recordStatus(h, 200, p), EjectionCause::kNone);  // a success starts again
  EXPECT_EQ(recordStatus(h, 503, p), EjectionCause::kNone);
  EXPECT_EQ(recordStatus(h, 404, p), EjectionCause::kNone);  // 4xx is a success here
  EXPECT_EQ(recordStatus(h, 503, p), EjectionCause::kNone);
  EXPECT_EQ(recordStatus(h, 502, p), EjectionCause::kNone);
  EXPECT_EQ(recordStatus(h, 500, p), EjectionCause::kConsecutive5xx);
}

TEST(UpstreamOutlier, GatewayErrorsAre502To504Only) {
  HostOutlierState h;
  OutlierPolicy p = policy(0);
  p.consecutive_gateway = 2;
  EXPECT_EQ(recordStatus(h, 502, p), EjectionCause::kNone);
  EXPECT_EQ(recordStatus(h, 500, p), EjectionCause::kNone);  // a 5xx, not a gateway error
  EXPECT_EQ(recordStatus(h, 504, p), EjectionCause::kNone);
  EXPECT_EQ(recordStatus(h, 503, p), EjectionCause::kConsecutiveGateway);
}

TEST(UpstreamOutlier, LocalOriginFailures) {
  HostOutlierState h;
  OutlierPolicy p = policy(2);
  // Not split: a connect failure counts as a 503, a timeout as a 504.
  EXPECT_EQ(recordLocalFailure(h, false, p), EjectionCause::kNone);
  EXPECT_EQ(recordLocalFailure(h, true, p), EjectionCause::kConsecutive5xx);
  HostOutlierState s;
  p.split_local_origin = true;
  p.consecutive_local_origin = 2;
  EXPECT_EQ(recordLocalFailure(s, false, p), EjectionCause::kNone);
  EXPECT_EQ(recordStatus(s, 503, p), EjectionCause::kNone);  // counted apart
  EXPECT_EQ(recordLocalFailure(s, false, p), EjectionCause::kLocalOrigin);
}

TEST(UpstreamOutlier, EjectionLastsBaseTimesTheEjections) {
  HostOutlierState h;
  const OutlierPolicy p = policy();
  ASSERT_TRUE(tryEject(h, at(0), p, 0, 2));
  EXPECT_TRUE(h.ejected(at(1.9)));
  EXPECT_FALSE(h.ejected(at(2.05)));  // back after 2 s
  EXPECT_FALSE(tryEject(h, at(1), p, 1, 2)) << "already ejected";
  // Ejected again right after it returns: twice the time.
  ASSERT_TRUE(tryEject(h, at(2.5), p, 0, 2));
  EXPECT_TRUE(h.ejected(at(6.45)));
  EXPECT_FALSE(h.ejected(at(6.55)));
  // Healthy for 3 intervals brings the multiplier from 2 down to 0: the next lasts 2 s again.
  ASSERT_TRUE(tryEject(h, at(9.6), p, 0, 2));
  EXPECT_TRUE(h.ejected(at(11.55)));
  EXPECT_FALSE(h.ejected(at(11.65)));
}

TEST(UpstreamOutlier, MaxEjectionPercentLetsOneGoAlways) {
  OutlierPolicy p = policy();
  p.max_ejection_percent = 10;
  HostOutlierState a;
  HostOutlierState b;
  EXPECT_TRUE(tryEject(a, at(0), p, 0, 3));   // one may always go
  EXPECT_FALSE(tryEject(b, at(0), p, 1, 3));  // a second would be 67% > 10%
  p.max_ejection_percent = 70;
  EXPECT_TRUE(tryEject(b, at(0), p, 1, 3));
}

TEST(UpstreamOutlier, AnEjectionStartsTheCountersAgain) {
  HostOutlierState h;
  const OutlierPolicy p = policy(2);
  recordStatus(h, 503, p);
  ASSERT_EQ(recordStatus(h, 503, p), EjectionCause::kConsecutive5xx);
  ASSERT_TRUE(tryEject(h, at(0), p, 0, 2));
  EXPECT_EQ(recordStatus(h, 503, p), EjectionCause::kNone);
  EXPECT_EQ(recordStatus(h, 503, p), EjectionCause::kConsecutive5xx);
}

TEST(UpstreamOutlier, HttpErrorCodesReplaceTheFiveHundredsButNotLocalFailures) {
  api::OutlierDetection od;
  od.consecutive_5xx_errors = 2;
  od.outlier_detection_http_error_codes = {503, 429};
  const OutlierPolicy p = compileOutlierPolicy(od);
  EXPECT_TRUE(p.isError(429));
  EXPECT_TRUE(p.isError(503));
  EXPECT_FALSE(p.isError(500));  // a 5xx the list leaves out is an answer like any other
  HostOutlierState host;
  EXPECT_EQ(recordStatus(host, 429, p), EjectionCause::kNone);
  EXPECT_EQ(recordStatus(host, 500, p), EjectionCause::kNone);  // and starts the count again
  EXPECT_EQ(recordStatus(host, 429, p), EjectionCause::kNone);
  EXPECT_EQ(recordStatus(host, 429, p), EjectionCause::kConsecutive5xx);
  // A connect failure is an error whatever the list says.
  HostOutlierState other;
  od.outlier_detection_http_error_codes = {429};
  const OutlierPolicy q = compileOutlierPolicy(od);
  EXPECT_EQ(recordLocalFailure(other, false, q), EjectionCause::kNone);
  EXPECT_EQ(recordLocalFailure(other, false, q), EjectionCause::kConsecutive5xx);
}

}  // namespace
}  // namespace meshroute::upstream
