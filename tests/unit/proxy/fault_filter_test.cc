#include "proxy/filters/fault_filter.h"

#include <gtest/gtest.h>

namespace meshroute::proxy {
namespace {

routing::FaultPolicy abortPolicy(int status, double percent) {
  routing::FaultPolicy f;
  f.abort_http_status = status;
  f.abort_percent = percent;
  return f;
}

TEST(FaultFilter, AHundredPercentAbortAlwaysAborts) {
  core::Random random(3);
  const auto f = abortPolicy(500, 100);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(evaluateFault(f, random).abort_status, 500);
}

TEST(FaultFilter, ZeroPercentNeverFires) {
  core::Random random(3);
  routing::FaultPolicy f = abortPolicy(500, 0);
  f.delay = api::Duration{};
  f.delay->seconds = 1;
  f.delay_percent = 0;
  for (int i = 0; i < 1000; ++i) {
    const FaultVerdict v = evaluateFault(f, random);
    EXPECT_EQ(v.abort_status, 0);
    EXPECT_EQ(v.delay.count(), 0);
  }
}

// 20,000 draws at 10%: the standard deviation is 0.21 points; +-1 point is over 4 sigma.
TEST(FaultFilter, PercentagesAreDrawnPerRequestWithTheirProbability) {
  core::Random random(11);
  const auto f = abortPolicy(503, 10);
  int aborted = 0;
  constexpr int kN = 20000;
  for (int i = 0; i < kN; ++i) aborted += evaluateFault(f, random).abort_status == 503 ? 1 : 0;
  EXPECT_NEAR(static_cast<double>(aborted) / kN, 0.10, 0.01);
}

TEST(FaultFilter, FractionalPercentagesKeepTheirPrecision) {
  core::Random random(5);
  int fired = 0;
  constexpr int kN = 400000;
  for (int i = 0; i < kN; ++i) fired += drawPercent(0.5, random) ? 1 : 0;
  // 0.5% of 400,000 = 2,000; sd ~44.6: +-250 is over 5 sigma.
  EXPECT_NEAR(fired, 2000, 250);
}

TEST(FaultFilter, DelayAndAbortAreIndependentDraws) {
  core::Random random(9);
  routing::FaultPolicy f = abortPolicy(418, 50);
  f.delay = api::Duration{};
  f.delay->nanos = 250000000;
  f.delay_percent = 50;
  int both = 0;
  int delay_only = 0;
  constexpr int kN = 20000;
  for (int i = 0; i < kN; ++i) {
    const FaultVerdict v = evaluateFault(f, random);
    if (v.delay.count() > 0) {
      EXPECT_EQ(v.delay.count(), 250);
      (v.abort_status == 418 ? both : delay_only) += 1;
    }
  }
  EXPECT_NEAR(static_cast<double>(both) / kN, 0.25, 0.02);
  EXPECT_NEAR(static_cast<double>(delay_only) / kN, 0.25, 0.02);
}

TEST(FaultFilter, GrpcAbortAnswers200WithTheStatusCode) {
  core::Random random(1);
  routing::FaultPolicy f;
  f.abort_grpc_status = "UNAVAILABLE";
  f.abort_percent = 100;
  const FaultVerdict v = evaluateFault(f, random);
  EXPECT_EQ(v.abort_status, 200);
  EXPECT_EQ(v.grpc_status, 14);
  EXPECT_EQ(core::grpcStatusCode("4"), 4);
  EXPECT_EQ(core::grpcStatusCode("NOPE"), -1);
}

}  // namespace
}  // namespace meshroute::proxy
