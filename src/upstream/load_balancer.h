// Load balancing over one cluster's endpoints, as Envoy does it for Istio's
// loadBalancer.simple: weighted round robin, least request (power of two choices, or weighted
// by active requests when weights differ) and random. Pure: randomness is passed in, and
// state is per worker, so pick() takes no lock and allocates nothing.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/random.h"
#include "upstream/warmup.h"

namespace meshroute::upstream {

struct HostRef {
  std::string address;
  uint32_t port = 0;
  uint32_t weight = 1;
  bool healthy = true;
};

// The endpoints with their active request counts (owned by one worker; atomics only so the
// admin thread can read them).
class EndpointSet {
 public:
  EndpointSet() = default;
  explicit EndpointSet(std::vector<HostRef> hosts);
  [[nodiscard]] size_t size() const { return hosts_.size(); }
  [[nodiscard]] const HostRef& host(size_t i) const { return hosts_[i]; }
  void acquire(size_t i) { active_[i].fetch_add(1, std::memory_order_relaxed); }
  void release(size_t i) { active_[i].fetch_sub(1, std::memory_order_relaxed); }
  [[nodiscard]] uint32_t active(size_t i) const {
    return active_[i].load(std::memory_order_relaxed);
  }
  [[nodiscard]] bool equalWeights() const { return equal_weights_; }
  [[nodiscard]] size_t healthyCount() const { return healthy_; }

 private:
  std::vector<HostRef> hosts_;
  std::unique_ptr<std::atomic<uint32_t>[]> active_;
  bool equal_weights_ = true;
  size_t healthy_ = 0;
};

// What a hashing balancer needs of the request: its hash (none: the request had no key, and
// the pick is random, as in Envoy), and which try this is, so that a retry that must avoid the
// previous host can move on along the ring instead of landing on it again.
struct PickContext {
  std::optional<uint64_t> hash;
  uint32_t attempt = 0;
};

class LoadBalancer {
 public:
  virtual ~LoadBalancer() = default;
  // Index of the chosen endpoint, -1 when the set is empty. Balancers that do not hash ignore
  // `context`.
  virtual int pick(core::Random& random, const PickContext& context) = 0;
  int pick(core::Random& random) { return pick(random, PickContext{}); }
};

// The hosts a pick chooses among: the healthy ones, or all of them when none is healthy
// (Envoy's panic mode: better to try than to fail every request).
std::vector<uint32_t> candidatesOf(const EndpointSet& set);

// `policy`: "ROUND_ROBIN", "LEAST_REQUEST" or "RANDOM" (anything else: ROUND_ROBIN; the hashing
// balancers are made by hash_lb.h). The
// balancer keeps a reference to `set`, which must outlive it. `choice_count`: LEAST_REQUEST's
// number of random choices (Envoy's default 2).
std::unique_ptr<LoadBalancer> makeLoadBalancer(std::string_view policy, const EndpointSet& set,
                                               uint32_t choice_count, core::Random& seed_source);
// The same over `candidates` only (indices into `set`): one group of a locality-aware cluster.
// `warmup` (ROUND_ROBIN and LEAST_REQUEST; null: none, else it must outlive the balancer)
// scales each endpoint's weight by its warm-up factor at every pick.
std::unique_ptr<LoadBalancer> makeLoadBalancer(std::string_view policy, const EndpointSet& set,
                                               std::vector<uint32_t> candidates,
                                               uint32_t choice_count, core::Random& seed_source,
                                               const Warmup* warmup = nullptr);

}  // namespace meshroute::upstream
