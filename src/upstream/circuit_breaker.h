// The connectionPool limits of one cluster (Envoy's circuit breakers): open connections
// (tcp.maxConnections), requests waiting for a connection (http.http1MaxPendingRequests), active
// requests (http.http2MaxRequests, HTTP/1.1 included) and retries in back-off
// (http.maxRetries). Istio defines them per proxy, so one breaker is shared by every worker and
// the limits hold exactly across them.
//
// Counting is lock-free: tryAcquire() is a compare-and-swap below the limit, release() a
// decrement. A request that found every connection taken and was admitted as pending waits for
// a slot: it queues here with a wake function (which must post to its own worker) and the
// next connection released wakes the first in line. The queue's mutex is taken only when a
// cluster is at its connection limit; a cluster whose limits are unset never reaches it.
//
//   CircuitBreaker& b = ...;                    // shared, per cluster
//   if (!b.tryAcquire(Resource::kRequests)) overflow();         // 503 UO
//   if (!b.tryAcquire(Resource::kConnections)) {                // all taken
//     if (!b.tryAcquire(Resource::kPending)) overflow();        // no room to wait either
//     auto ticket = b.waitForConnection([&] { post(wake_me); });
//     ...                                       // woken: try kConnections again
//   }
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>

namespace meshroute::upstream {

enum class Resource : uint8_t { kConnections, kPending, kRequests, kRetries };
inline constexpr size_t kResourceCount = 4;

struct BreakerLimits {
  // Istio's defaults: effectively unlimited (2^32 - 1).
  static constexpr uint64_t kUnlimited = 4294967295ULL;
  uint64_t max_connections = kUnlimited;
  uint64_t max_pending_requests = kUnlimited;
  uint64_t max_requests = kUnlimited;
  uint64_t max_retries = kUnlimited;
  // The DestinationRule's retryBudget, in place of max_retries when set (Envoy ignores
  // max_retries then): retries in back-off at once may be `retry_budget_percent` of the active
  // and pending requests, and at least `min_retry_concurrency`. Negative: no budget.
  double retry_budget_percent = -1;
  uint64_t min_retry_concurrency = 0;
  [[nodiscard]] bool hasRetryBudget() const { return retry_budget_percent >= 0; }
  [[nodiscard]] bool unlimited() const;
  friend bool operator==(const BreakerLimits&, const BreakerLimits&) = default;
};

class CircuitBreaker {
 public:
  // The limits of the configuration in force; a new generation may change them while requests
  // hold resources (they are released as usual; new ones are counted against the new limits).
  void setLimits(const BreakerLimits& limits);
  // The limit on `r` now (the retry budget's depends on the requests active).
  [[nodiscard]] uint64_t limit(Resource r) const;

  // Takes one of `r` if fewer than its limit are taken. False: overflow.
  bool tryAcquire(Resource r);
  // Gives one back. A connection given back goes to the first request waiting for one.
  void release(Resource r);
  [[nodiscard]] uint64_t active(Resource r) const {
    return active_[index(r)].load(std::memory_order_relaxed);
  }

  // Queues a request for the next connection released; `wake` runs once, on the releasing
  // thread and outside the lock, unless cancelWait() came first. Returns a ticket for
  // cancelWait(), or 0 when a connection was released meanwhile (nothing queued: try again
  // now). `first`: ahead of the others (a woken request that lost the slot to a race).
  uint64_t waitForConnection(std::function<void()> wake, bool first = false);
  // Takes a request out of the queue (it gave up: route timeout, client gone). False when it
  // was already woken.
  bool cancelWait(uint64_t ticket);
  // Wakes the first request waiting for a connection, if any: a woken request that gave up
  // passes its wake on, so that the slot it was woken for is not left unclaimed.
  void passWake() { wakeFirst(); }
  // Requests waiting for a connection: while there are any, an idle pooled connection of this
  // cluster is better closed than kept, so that its slot goes to one of them.
  [[nodiscard]] size_t waiting() const { return waiting_.load(std::memory_order_relaxed); }

 private:
  static size_t index(Resource r) { return static_cast<size_t>(r); }
  void wakeFirst();

  std::array<std::atomic<uint64_t>, kResourceCount> limits_{
      BreakerLimits::kUnlimited, BreakerLimits::kUnlimited, BreakerLimits::kUnlimited,
      BreakerLimits::kUnlimited};
  std::array<std::atomic<uint64_t>, kResourceCount> active_{0, 0, 0, 0};
  // retryBudget: the percentage in millionths (kNoBudget: none) and the floor.
  static constexpr uint64_t kNoBudget = ~uint64_t{0};
  std::atomic<uint64_t> budget_ppm_{kNoBudget};
  std::atomic<uint64_t> min_retry_concurrency_{0};

  struct Waiter {
    uint64_t ticket;
    std::function<void()> wake;
  };
  std::mutex mu_;
  std::deque<Waiter> waiters_;  // guarded by mu_
  uint64_t next_ticket_ = 1;    // guarded by mu_
  std::atomic<size_t> waiting_{0};
};

// Releases what it holds when it goes: a connection's slot lives as long as the connection, a
// request's as long as the attempt.
class BreakerHold {
 public:
  BreakerHold() = default;
  BreakerHold(CircuitBreaker* breaker, Resource r) : breaker_(breaker), resource_(r) {}
  BreakerHold(BreakerHold&& o) noexcept : breaker_(o.breaker_), resource_(o.resource_) {
    o.breaker_ = nullptr;
  }
  BreakerHold& operator=(BreakerHold&& o) noexcept {
    if (this != &o) {
      reset();
      breaker_ = o.breaker_;
      resource_ = o.resource_;
      o.breaker_ = nullptr;
    }
    return *this;
  }
  BreakerHold(const BreakerHold&) = delete;
  BreakerHold& operator=(const BreakerHold&) = delete;
  ~BreakerHold() { reset(); }
  void reset() {
    if (breaker_ != nullptr) breaker_->release(resource_);
    breaker_ = nullptr;
  }
  [[nodiscard]] CircuitBreaker* breaker() const { return breaker_; }

 private:
  CircuitBreaker* breaker_ = nullptr;
  Resource resource_ = Resource::kConnections;
};

}  // namespace meshroute::upstream
