#include "proxy/deadlines.h"

#include <gtest/gtest.h>

#include "core/clock.h"

namespace meshroute::proxy {
namespace {

using std::chrono::milliseconds;

TEST(Deadlines, NothingIsDueUntilItsTime) {
  core::FakeClock clock;
  Deadlines d;
  d.set(DeadlineKind::kRoute, clock.now() + milliseconds(500));
  EXPECT_FALSE(d.expired(clock.now()));
  clock.advance(milliseconds(499));
  EXPECT_FALSE(d.expired(clock.now()));
  clock.advance(milliseconds(1));
  EXPECT_EQ(d.expired(clock.now()), DeadlineKind::kRoute);
}

TEST(Deadlines, ThePerTryTimeoutFiresBeforeTheRouteTimeoutThatIncludesIt) {
  core::FakeClock clock;
  Deadlines d;
  d.set(DeadlineKind::kRoute, clock.now() + milliseconds(1000));
  d.set(DeadlineKind::kPerTry, clock.now() + milliseconds(300));
  EXPECT_EQ(d.earliest(), clock.now() + milliseconds(300));
  clock.advance(milliseconds(2000));  // both due: the earlier deadline is reported first
  EXPECT_EQ(d.expired(clock.now()), DeadlineKind::kPerTry);
  d.clear(DeadlineKind::kPerTry);
  EXPECT_EQ(d.expired(clock.now()), DeadlineKind::kRoute);
}

TEST(Deadlines, ClearedDeadlinesNeverFire) {
  core::FakeClock clock;
  Deadlines d;
  d.set(DeadlineKind::kIdle, clock.now() + milliseconds(10));
  d.set(DeadlineKind::kHeader, clock.now() + milliseconds(20));
  d.clearAll();
  clock.advance(milliseconds(100));
  EXPECT_FALSE(d.expired(clock.now()));
  EXPECT_EQ(d.earliest(), Deadlines::kNever);
  EXPECT_FALSE(d.active(DeadlineKind::kIdle));
}

TEST(Deadlines, MovingADeadlineLaterDefersIt) {
  core::FakeClock clock;
  Deadlines d;
  d.set(DeadlineKind::kStreamIdle, clock.now() + milliseconds(10));
  d.set(DeadlineKind::kStreamIdle, clock.now() + milliseconds(50));
  clock.advance(milliseconds(20));
  EXPECT_FALSE(d.expired(clock.now()));
  EXPECT_EQ(d.at(DeadlineKind::kStreamIdle), clock.now() + milliseconds(30));
}

}  // namespace
}  // namespace meshroute::proxy
