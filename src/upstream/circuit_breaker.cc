#include "upstream/circuit_breaker.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

namespace meshroute::upstream {

bool BreakerLimits::unlimited() const {
  return max_connections == kUnlimited && max_pending_requests == kUnlimited &&
         max_requests == kUnlimited && max_retries == kUnlimited && !hasRetryBudget();
}

uint64_t CircuitBreaker::limit(Resource r) const {
  const uint64_t fixed = limits_[index(r)].load(std::memory_order_relaxed);
  if (r != Resource::kRetries) return fixed;
  const uint64_t ppm = budget_ppm_.load(std::memory_order_relaxed);
  if (ppm == kNoBudget) return fixed;
  // Envoy's RetryBudget: a share of the requests active and pending, never below the floor.
  const uint64_t load = active(Resource::kRequests) + active(Resource::kPending);
  const auto share = static_cast<uint64_t>(static_cast<double>(ppm) * 1e-8 * load);
  return std::max(share, min_retry_concurrency_.load(std::memory_order_relaxed));
}

void CircuitBreaker::setLimits(const BreakerLimits& limits) {
  limits_[index(Resource::kConnections)].store(limits.max_connections, std::memory_order_relaxed);
  limits_[index(Resource::kPending)].store(limits.max_pending_requests, std::memory_order_relaxed);
  limits_[index(Resource::kRequests)].store(limits.max_requests, std::memory_order_relaxed);
  limits_[index(Resource::kRetries)].store(limits.max_retries, std::memory_order_relaxed);
  budget_ppm_.store(limits.hasRetryBudget()
                        ? static_cast<uint64_t>(std::llround(limits.retry_budget_percent * 1e6))
                        : kNoBudget,
                    std::memory_order_relaxed);
  min_retry_concurrency_.store(limits.min_retry_concurrency, std::memory_order_relaxed);
  // A raised limit may have room for those waiting: each looks again.
  std::vector<std::function<void()>> wake;
  {
    std::lock_guard lock(mu_);
    for (Waiter& w : waiters_) wake.push_back(std::move(w.wake));
    waiters_.clear();
    waiting_.store(0, std::memory_order_relaxed);
  }
  for (auto& f : wake) f();
}

bool CircuitBreaker::tryAcquire(Resource r) {
  auto& active = active_[index(r)];
  const uint64_t limit = this->limit(r);
  uint64_t now = active.load(std::memory_order_relaxed);
  while (now < limit) {
    if (active.compare_exchange_weak(now, now + 1, std::memory_order_acq_rel,
                                     std::memory_order_relaxed)) {
      return true;
    }
  }
  return false;
}

void CircuitBreaker::release(Resource r) {
  // Sequentially consistent with waitForConnection(): either this sees its waiter, or it sees
  // this release.
  active_[index(r)].fetch_sub(1, std::memory_order_seq_cst);
  if (r == Resource::kConnections && waiting_.load(std::memory_order_seq_cst) > 0) wakeFirst();
}

void CircuitBreaker::wakeFirst() {
  std::function<void()> wake;
  {
    std::lock_guard lock(mu_);
    if (waiters_.empty()) return;
    wake = std::move(waiters_.front().wake);
    waiters_.pop_front();
    waiting_.store(waiters_.size(), std::memory_order_seq_cst);
  }
  wake();
}

uint64_t CircuitBreaker::waitForConnection(std::function<void()> wake, bool first) {
  std::lock_guard lock(mu_);
  const uint64_t ticket = next_ticket_++;
  if (first) {
    waiters_.push_front({ticket, std::move(wake)});
  } else {
    waiters_.push_back({ticket, std::move(wake)});
  }
  waiting_.store(waiters_.size(), std::memory_order_seq_cst);
  // A release between the caller's failed tryAcquire() and the store above found nobody to
  // wake; this sees its decrement (release() reads `waiting_` after it, both in one order).
  if (active_[index(Resource::kConnections)].load(std::memory_order_seq_cst) <
      limit(Resource::kConnections)) {
    if (first) {
      waiters_.pop_front();
    } else {
      waiters_.pop_back();
    }
    waiting_.store(waiters_.size(), std::memory_order_seq_cst);
    return 0;
  }
  return ticket;
}

bool CircuitBreaker::cancelWait(uint64_t ticket) {
  std::lock_guard lock(mu_);
  for (auto it = waiters_.begin(); it != waiters_.end(); ++it) {
    if (it->ticket != ticket) continue;
    waiters_.erase(it);
    waiting_.store(waiters_.size(), std::memory_order_seq_cst);
    return true;
  }
  return false;
}

}  // namespace meshroute::upstream
