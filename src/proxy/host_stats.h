// Per-endpoint counters shared by every worker (Envoy's host stats): requests active, total,
// failed, connection failures. A worker finds its counters once, when it builds a cluster's
// state for a configuration generation; on the request path it only bumps relaxed atomics.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

namespace meshroute::proxy {

struct HostStats {
  std::atomic<int64_t> rq_active{0};
  std::atomic<uint64_t> rq_total{0};
  std::atomic<uint64_t> rq_error{0};  // 5xx answers, from the upstream or for it
  std::atomic<uint64_t> cx_connect_fail{0};
};

class HostStatsTable {
 public:
  HostStats& get(const std::string& cluster, const std::string& endpoint) {
    std::lock_guard lock(mu_);
    auto& slot = stats_[{cluster, endpoint}];
    if (!slot) slot = std::make_unique<HostStats>();
    return *slot;
  }
  // Stats of `cluster`'s endpoints seen so far; null when none.
  const HostStats* find(const std::string& cluster, const std::string& endpoint) const {
    std::lock_guard lock(mu_);
    auto it = stats_.find({cluster, endpoint});
    return it == stats_.end() ? nullptr : it->second.get();
  }

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, std::unique_ptr<HostStats>> stats_;
};

}  // namespace meshroute::proxy
