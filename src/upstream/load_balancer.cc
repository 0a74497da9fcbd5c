#include "upstream/load_balancer.h"

#include <algorithm>

namespace meshroute::upstream {

EndpointSet::EndpointSet(std::vector<HostRef> hosts)
    : hosts_(std::move(hosts)), active_(new std::atomic<uint32_t>[hosts_.size()]) {
  for (size_t i = 0; i < hosts_.size(); ++i) {
    active_[i].store(0, std::memory_order_relaxed);
    if (hosts_[i].weight == 0) hosts_[i].weight = 1;
    if (hosts_[i].weight != hosts_[0].weight) equal_weights_ = false;
    if (hosts_[i].healthy) ++healthy_;
  }
}

std::vector<uint32_t> candidatesOf(const EndpointSet& set) {
  std::vector<uint32_t> out;
  const bool panic = set.healthyCount() == 0;
  for (size_t i = 0; i < set.size(); ++i) {
    if (panic || set.host(i).healthy) out.push_back(static_cast<uint32_t>(i));
  }
  return out;
}

namespace {

// Earliest-deadline-first scheduling (Envoy's EdfScheduler): each host's next deadline moves
// 1/weight ahead when picked, so picks are spread in proportion to weight, smoothly. The heap
// lives in a vector sized once; pick() only reorders it.
class Edf {
 public:
  struct Entry {
    double deadline;
    uint32_t host;
    uint64_t order;  // ties go to the earlier insertion, as in Envoy
  };
  void reset(const std::vector<uint32_t>& hosts, const EndpointSet& set, double start_jitter) {
    heap_.clear();
    heap_.reserve(hosts.size());
    for (uint32_t h : hosts) {
      heap_.push_back({start_jitter / set.host(h).weight, h, order_++});
    }
    std::make_heap(heap_.begin(), heap_.end(), later);
  }
  template <class WeightOf>
  uint32_t pick(WeightOf weight_of) {
    std::pop_heap(heap_.begin(), heap_.end(), later);
    Entry& e = heap_.back();
    const uint32_t host = e.host;
    e.deadline += 1.0 / weight_of(host);
    e.order = order_++;
    std::push_heap(heap_.begin(), heap_.end(), later);
    return host;
  }
  [[nodiscard]] bool empty() const { return heap_.empty(); }

 private:
  static bool later(const Entry& a, const Entry& b) {
    return a.deadline != b.deadline ? a.deadline > b.deadline : a.order > b.order;
  }
  std::vector<Entry> heap_;
  uint64_t order_ = 0;
};

class RoundRobin final : public LoadBalancer {
 public:
  RoundRobin(const EndpointSet& set, std::vector<uint32_t> candidates, core::Random& random,
             const Warmup* warmup)
      : set_(set), candidates_(std::move(candidates)), warmup_(warmup) {
    // A random start, as Envoy does, so that workers and restarts don't all begin with the
    // same endpoint.
    next_ = candidates_.empty() ? 0 : random.below(candidates_.size());
    weighted_ = !set.equalWeights() || warmup_ != nullptr;
    if (weighted_) edf_.reset(candidates_, set, random.uniform01());
  }
  int pick(core::Random& /*random*/, const PickContext& /*context*/) override {
    if (candidates_.empty()) return -1;
    if (weighted_) {
      return static_cast<int>(edf_.pick([&](uint32_t h) {
        const double w = set_.host(h).weight;
        return warmup_ != nullptr ? w * warmup_->factor(h) : w;
      }));
    }
    const uint32_t h = candidates_[next_ % candidates_.size()];
    ++next_;
    return static_cast<int>(h);
  }

 private:
  const EndpointSet& set_;
  std::vector<uint32_t> candidates_;
  const Warmup* warmup_;
  bool weighted_ = false;  // EDF by weight (and warm-up) instead of taking turns
  uint64_t next_ = 0;
  Edf edf_;
};

class LeastRequest final : public LoadBalancer {
 public:
  LeastRequest(const EndpointSet& set, std::vector<uint32_t> candidates, uint32_t choice_count,
               core::Random& random, const Warmup* warmup)
      : set_(set),
        candidates_(std::move(candidates)),
        choices_(std::max<uint32_t>(choice_count, 1)),
        warmup_(warmup),
        weighted_(!set.equalWeights() || warmup != nullptr) {
    if (weighted_) edf_.reset(candidates_, set, random.uniform01());
  }
  int pick(core::Random& random, const PickContext& /*context*/) override {
    if (candidates_.empty()) return -1;
    if (weighted_) {
      // Weight divided by (active + 1): busy hosts get proportionally fewer new requests.
      return static_cast<int>(edf_.pick([&](uint32_t h) {
        const double w = set_.host(h).weight * (warmup_ != nullptr ? warmup_->factor(h) : 1.0);
        return w / (set_.active(h) + 1.0);
      }));
    }
    uint32_t best = candidates_[random.below(candidates_.size())];
    for (uint32_t i = 1; i < choices_; ++i) {
      uint32_t other = candidates_[random.below(candidates_.size())];
      if (set_.active(other) < set_.active(best)) best = other;
    }
    return static_cast<int>(best);
  }

 private:
  const EndpointSet& set_;
  std::vector<uint32_t> candidates_;
  uint32_t choices_;
  const Warmup* warmup_;
  bool weighted_ = false;
  Edf edf_;
};

class Random final : public LoadBalancer {
 public:
  explicit Random(std::vector<uint32_t> candidates) : candidates_(std::move(candidates)) {}
  int pick(core::Random& random, const PickContext& /*context*/) override {
    if (candidates_.empty()) return -1;
    return static_cast<int>(candidates_[random.below(candidates_.size())]);
  }

 private:
  std::vector<uint32_t> candidates_;
};

}  // namespace

std::unique_ptr<LoadBalancer> makeLoadBalancer(std::string_view policy, const EndpointSet& set,
                                               uint32_t choice_count, core::Random& seed_source) {
  return makeLoadBalancer(policy, set, candidatesOf(set), choice_count, seed_source);
}

std::unique_ptr<LoadBalancer> makeLoadBalancer(std::string_view policy, const EndpointSet& set,
                                               std::vector<uint32_t> candidates,
                                               uint32_t choice_count, core::Random& seed_source,
                                               const Warmup* warmup) {
  if (policy == "LEAST_REQUEST") {
    return std::make_unique<LeastRequest>(set, std::move(candidates), choice_count, seed_source,
                                          warmup);
  }
  if (policy == "RANDOM") return std::make_unique<Random>(std::move(candidates));
  return std::make_unique<RoundRobin>(set, std::move(candidates), seed_source, warmup);
}

}  // namespace meshroute::upstream
