#include "upstream/circuit_breaker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "upstream/connection_policy.h"

namespace meshroute::upstream {
namespace {

BreakerLimits oneConnection() {
  BreakerLimits l;
  l.max_connections = 1;
  l.max_pending_requests = 1;
  return l;
}

TEST(UpstreamCircuitBreaker, CountsBelowTheLimit) {
  CircuitBreaker b;
  b.setLimits(oneConnection());
  EXPECT_TRUE(b.tryAcquire(Resource::kConnections));
  EXPECT_FALSE(b.tryAcquire(Resource::kConnections));
  EXPECT_EQ(b.active(Resource::kConnections), 1U);
  EXPECT_TRUE(b.tryAcquire(Resource::kRequests));  // unlimited
  b.release(Resource::kConnections);
  EXPECT_TRUE(b.tryAcquire(Resource::kConnections));
}

TEST(UpstreamCircuitBreaker, AHoldReleasesWhenItGoes) {
  CircuitBreaker b;
  b.setLimits(oneConnection());
  {
    ASSERT_TRUE(b.tryAcquire(Resource::kPending));
    BreakerHold hold(&b, Resource::kPending);
    BreakerHold moved = std::move(hold);
    EXPECT_EQ(b.active(Resource::kPending), 1U);
  }
  EXPECT_EQ(b.active(Resource::kPending), 0U);
}

TEST(UpstreamCircuitBreaker, AReleasedConnectionWakesTheFirstWaiter) {
  CircuitBreaker b;
  b.setLimits(oneConnection());
  ASSERT_TRUE(b.tryAcquire(Resource::kConnections));
  std::vector<int> woken;
  const uint64_t first = b.waitForConnection([&] { woken.push_back(1); });
  const uint64_t second = b.waitForConnection([&] { woken.push_back(2); });
  ASSERT_NE(first, 0U);
  ASSERT_NE(second, 0U);
  EXPECT_EQ(b.waiting(), 2U);
  b.release(Resource::kConnections);
  EXPECT_EQ(woken, std::vector<int>{1});
  EXPECT_FALSE(b.cancelWait(first));  // already woken
  EXPECT_TRUE(b.cancelWait(second));
  EXPECT_EQ(b.waiting(), 0U);
}

TEST(UpstreamCircuitBreaker, AWaiterThatFindsASlotFreeIsNotQueued) {
  CircuitBreaker b;
  b.setLimits(oneConnection());
  EXPECT_EQ(b.waitForConnection([] { FAIL() << "woken"; }), 0U);
  EXPECT_EQ(b.waiting(), 0U);
}

TEST(UpstreamCircuitBreaker, AWakeGivenUpGoesToTheNext) {
  CircuitBreaker b;
  b.setLimits(oneConnection());
  ASSERT_TRUE(b.tryAcquire(Resource::kConnections));
  int woken = 0;
  b.waitForConnection([&] { woken = 1; });
  b.waitForConnection([&] { woken = 2; });
  b.release(Resource::kConnections);
  EXPECT_EQ(woken, 1);
  b.passWake();  // the first gave up: the second gets its turn
  EXPECT_EQ(woken, 2);
}

TEST(UpstreamCircuitBreaker, NewLimitsWakeEveryWaiter) {
  CircuitBreaker b;
  b.setLimits(oneConnection());
  ASSERT_TRUE(b.tryAcquire(Resource::kConnections));
  int woken = 0;
  b.waitForConnection([&] { ++woken; });
  b.waitForConnection([&] { ++woken; });
  BreakerLimits more = oneConnection();
  more.max_connections = 5;
  b.setLimits(more);
  EXPECT_EQ(woken, 2);
  EXPECT_TRUE(b.tryAcquire(Resource::kConnections));
}

// Threads race for 3 slots; at no moment do more than 3 hold one, and every waiter is woken
// (none is lost between a failed tryAcquire and its queueing).
TEST(UpstreamCircuitBreaker, TheLimitHoldsAcrossThreads) {
  CircuitBreaker b;
  BreakerLimits l;
  l.max_connections = 3;
  b.setLimits(l);
  std::atomic<int> holding{0};
  std::atomic<int> most{0};
  std::atomic<int> done{0};
  constexpr int kThreads = 8;
  constexpr int kRounds = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kRounds; ++i) {
        while (!b.tryAcquire(Resource::kConnections)) {
          std::atomic<bool> woken{false};
          const uint64_t ticket = b.waitForConnection([&] { woken.store(true); });
          if (ticket == 0) continue;
          while (!woken.load()) std::this_thread::yield();
        }
        const int now = holding.fetch_add(1) + 1;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        holding.fetch_sub(1);
        b.release(Resource::kConnections);
      }
      done.fetch_add(1);
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(done.load(), kThreads);
  EXPECT_LE(most.load(), 3);
  EXPECT_EQ(b.active(Resource::kConnections), 0U);
  EXPECT_EQ(b.waiting(), 0U);
}

TEST(UpstreamConnectionPolicy, IstioDefaultsUnlessSet) {
  EXPECT_TRUE(compileConnectionPolicy(nullptr).isDefault());
  api::ConnectionPoolSettings pool;
  pool.tcp.emplace();
  pool.tcp->max_connections = 0;  // unset: Istio's default
  EXPECT_TRUE(compileConnectionPolicy(&pool).isDefault());
  pool.tcp->max_connections = 1;
  pool.tcp->max_connection_duration = api::Duration{30, 0};
  pool.http.emplace();
  pool.http->http1_max_pending_requests = 2;
  pool.http->http2_max_requests = 3;
  pool.http->max_retries = 4;
  pool.http->max_requests_per_connection = 5;
  pool.http->idle_timeout = api::Duration{0, 500000000};
  const ConnectionPolicy p = compileConnectionPolicy(&pool);
  EXPECT_EQ(p.limits.max_connections, 1U);
  EXPECT_EQ(p.limits.max_pending_requests, 2U);
  EXPECT_EQ(p.limits.max_requests, 3U);
  EXPECT_EQ(p.limits.max_retries, 4U);
  EXPECT_EQ(p.max_requests_per_connection, 5U);
  EXPECT_EQ(p.idle_timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(p.max_connection_duration, std::chrono::seconds(30));
  EXPECT_FALSE(p.isDefault());
}

TEST(UpstreamConnectionPolicy, TcpKeepaliveInWholeSeconds) {
  api::ConnectionPoolSettings pool;
  pool.tcp.emplace();
  pool.tcp->tcp_keepalive.emplace();
  pool.tcp->tcp_keepalive->probes = 4;
  pool.tcp->tcp_keepalive->time = api::Duration{7, 0};
  pool.tcp->tcp_keepalive->interval = api::Duration{0, 300000000};  // below a second: one
  const ConnectionPolicy p = compileConnectionPolicy(&pool);
  EXPECT_TRUE(p.keepalive.enabled);
  EXPECT_EQ(p.keepalive.probes, 4U);
  EXPECT_EQ(p.keepalive.time_seconds, 7U);
  EXPECT_EQ(p.keepalive.interval_seconds, 1U);
  EXPECT_FALSE(p.isDefault());
}

TEST(UpstreamCircuitBreaker, RetryBudgetIsAShareOfTheActiveRequestsAboveAFloor) {
  api::RetryBudget budget;
  // Istio's defaults: Percent{0.2} (0.2%) and a floor of 3.
  ConnectionPolicy p = compileConnectionPolicy(nullptr, &budget);
  EXPECT_DOUBLE_EQ(p.limits.retry_budget_percent, 0.2);
  EXPECT_EQ(p.limits.min_retry_concurrency, 3U);
  EXPECT_FALSE(p.isDefault());
  budget.percent = 25;
  budget.min_retry_concurrency = 1;
  p = compileConnectionPolicy(nullptr, &budget);
  CircuitBreaker b;
  b.setLimits(p.limits);
  EXPECT_EQ(b.limit(Resource::kRetries), 1U);  // nothing active: the floor
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(b.tryAcquire(Resource::kRequests));
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(b.tryAcquire(Resource::kPending));
  EXPECT_EQ(b.limit(Resource::kRetries), 3U);  // 25% of 12
  EXPECT_TRUE(b.tryAcquire(Resource::kRetries));
  EXPECT_TRUE(b.tryAcquire(Resource::kRetries));
  EXPECT_TRUE(b.tryAcquire(Resource::kRetries));
  EXPECT_FALSE(b.tryAcquire(Resource::kRetries));
  // The budget replaces maxRetries, as in Envoy.
  p.limits.max_retries = 1;
  b.setLimits(p.limits);
  EXPECT_EQ(b.limit(Resource::kRetries), 3U);
}

}  // namespace
}  // namespace meshroute::upstream
