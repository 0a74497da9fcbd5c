// Per-endpoint counters shared by every worker (Envoy's host stats): requests active, total,
// failed, connection failures. A worker finds its counters once, when it builds a cluster's
// state for a configuration generation; on the request path it only bumps relaxed atomics.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "upstream/circuit_breaker.h"
#include "upstream/outlier.h"

namespace meshroute::proxy {

struct HostStats {
  std::atomic<int64_t> rq_active{0};
  std::atomic<uint64_t> rq_total{0};
  std::atomic<uint64_t> rq_error{0};  // 5xx answers, from the upstream or for it
  std::atomic<uint64_t> cx_connect_fail{0};
  upstream::HostOutlierState outlier;  // outlierDetection: errors in a row, ejection
  // When the proxy first routed to the endpoint: warm-up ramps its share from here.
  const std::chrono::steady_clock::time_point first_seen = std::chrono::steady_clock::now();
};

// Per-cluster counters behind the router's policies (Envoy's cluster stats of the same names).
struct ClusterStats {
  std::atomic<uint64_t> upstream_rq_retry{0};
  std::atomic<uint64_t> upstream_rq_retry_success{0};
  std::atomic<uint64_t> upstream_rq_retry_limit_exceeded{0};
  std::atomic<uint64_t> upstream_rq_retry_overflow{0};  // the body outgrew the replay buffer
  std::atomic<uint64_t> upstream_rq_timeout{0};
  std::atomic<uint64_t> upstream_rq_per_try_timeout{0};
  std::atomic<uint64_t> upstream_rq_mirrored{0};  // copies sent to this cluster as a mirror
  std::atomic<uint64_t> upstream_cx_destroy_local_with_active_rq{0};  // client went away
  // Circuit breaking (connectionPool): a request refused for want of a connection or a request
  // slot (503 UO), a connection not opened at the limit (the request waited instead).
  std::atomic<uint64_t> upstream_rq_pending_overflow{0};
  std::atomic<uint64_t> upstream_cx_overflow{0};
  // TLS origination (Envoy's ssl.* counters): handshakes done, and failed ones, of which those
  // the certificate check refused (its chain, or none of the names asked for).
  std::atomic<uint64_t> ssl_handshake{0};
  std::atomic<uint64_t> ssl_connection_error{0};
  std::atomic<uint64_t> ssl_fail_verify_error{0};
  std::atomic<uint64_t> ssl_fail_verify_san{0};
  // The cluster's connectionPool limits, one for all workers.
  upstream::CircuitBreaker breaker;
  // outlierDetection (Envoy's outlier_detection.* counters).
  std::atomic<uint64_t> outlier_detection_ejections_enforced_total{0};
  std::atomic<uint64_t> outlier_detection_ejections_enforced_consecutive_5xx{0};
  std::atomic<uint64_t> outlier_detection_ejections_enforced_consecutive_gateway_failure{0};
  std::atomic<uint64_t> outlier_detection_ejections_enforced_consecutive_local_origin_failure{0};
  std::atomic<uint64_t> outlier_detection_ejections_overflow{0};  // maxEjectionPercent said no
  // Bumped by every ejection: a worker's state of the cluster built before it is stale.
  std::atomic<uint64_t> health_epoch{0};

  // Name and value of each counter, for /clusters and /stats/prometheus.
  template <class F>
  void forEach(F&& f) const {
    f("upstream_rq_retry", upstream_rq_retry.load(std::memory_order_relaxed));
    f("upstream_rq_retry_success", upstream_rq_retry_success.load(std::memory_order_relaxed));
    f("upstream_rq_retry_limit_exceeded",
      upstream_rq_retry_limit_exceeded.load(std::memory_order_relaxed));
    f("upstream_rq_retry_overflow", upstream_rq_retry_overflow.load(std::memory_order_relaxed));
    f("upstream_rq_timeout", upstream_rq_timeout.load(std::memory_order_relaxed));
    f("upstream_rq_per_try_timeout", upstream_rq_per_try_timeout.load(std::memory_order_relaxed));
    f("upstream_rq_mirrored", upstream_rq_mirrored.load(std::memory_order_relaxed));
    f("upstream_cx_destroy_local_with_active_rq",
      upstream_cx_destroy_local_with_active_rq.load(std::memory_order_relaxed));
    f("upstream_rq_pending_overflow", upstream_rq_pending_overflow.load(std::memory_order_relaxed));
    f("upstream_cx_overflow", upstream_cx_overflow.load(std::memory_order_relaxed));
    f("outlier_detection_ejections_enforced_total",
      outlier_detection_ejections_enforced_total.load(std::memory_order_relaxed));
    f("outlier_detection_ejections_enforced_consecutive_5xx",
      outlier_detection_ejections_enforced_consecutive_5xx.load(std::memory_order_relaxed));
    f("outlier_detection_ejections_enforced_consecutive_gateway_failure",
      outlier_detection_ejections_enforced_consecutive_gateway_failure.load(
          std::memory_order_relaxed));
    f("outlier_detection_ejections_enforced_consecutive_local_origin_failure",
      outlier_detection_ejections_enforced_consecutive_local_origin_failure.load(
          std::memory_order_relaxed));
    f("outlier_detection_ejections_overflow",
      outlier_detection_ejections_overflow.load(std::memory_order_relaxed));
    f("ssl_handshake", ssl_handshake.load(std::memory_order_relaxed));
    f("ssl_connection_error", ssl_connection_error.load(std::memory_order_relaxed));
    f("ssl_fail_verify_error", ssl_fail_verify_error.load(std::memory_order_relaxed));
    f("ssl_fail_verify_san", ssl_fail_verify_san.load(std::memory_order_relaxed));
  }
};

class HostStatsTable {
 public:
  ClusterStats& cluster(const std::string& name) {
    std::lock_guard lock(mu_);
    auto& slot = clusters_[name];
    if (!slot) slot = std::make_unique<ClusterStats>();
    return *slot;
  }
  // Calls f(name, stats) for every cluster seen so far, in name order.
  template <class F>
  void forEachCluster(F&& f) const {
    std::lock_guard lock(mu_);
    for (const auto& [name, stats] : clusters_) f(name, *stats);
  }

  HostStats& get(const std::string& cluster, const std::string& endpoint) {
    std::lock_guard lock(mu_);
    auto& slot = stats_[{cluster, endpoint}];
    if (!slot) slot = std::make_unique<HostStats>();
    return *slot;
  }
  // How many of `cluster`'s endpoints outlier detection keeps out at `now`.
  size_t ejectedCount(const std::string& cluster, std::chrono::steady_clock::time_point now) const {
    std::lock_guard lock(mu_);
    size_t n = 0;
    for (auto it = stats_.lower_bound({cluster, std::string()});
         it != stats_.end() && it->first.first == cluster; ++it) {
      n += it->second->outlier.ejected(now) ? 1 : 0;
    }
    return n;
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
  std::map<std::string, std::unique_ptr<ClusterStats>> clusters_;
};

}  // namespace meshroute::proxy
