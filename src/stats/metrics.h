// Istio's standard HTTP metrics (istio_requests_total and the duration / request size /
// response size histograms) with Istio's labels, so existing dashboards work. Each worker
// records into its own shard: finding an existing series takes no lock (only the owning worker
// changes a shard, and only when it adds a series, under the shard's mutex, which the admin
// thread also takes to scrape).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace meshroute::stats {

struct RequestLabels {
  std::string reporter;
  std::string source_workload;
  std::string source_workload_namespace;
  std::string source_principal;
  std::string source_app;
  std::string source_version;
  std::string source_cluster;
  std::string destination_workload;
  std::string destination_workload_namespace;
  std::string destination_principal;
  std::string destination_app;
  std::string destination_version;
  std::string destination_service;
  std::string destination_service_name;
  std::string destination_service_namespace;
  std::string destination_cluster;
  std::string request_protocol;
  std::string response_code;
  std::string grpc_response_status;
  std::string response_flags;
  std::string connection_security_policy;

  friend bool operator==(const RequestLabels&, const RequestLabels&) = default;
};

// Istio's bucket boundaries (istio/proxy stats plugin).
inline constexpr std::array<double, 19> kDurationBucketsMs = {
    0.5,  1,    5,     10,    25,    50,     100,    250,     500,    1000,
    2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000};
inline constexpr std::array<double, 10> kByteBuckets = {
    1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000};

template <size_t N>
struct Histogram {
  std::array<std::atomic<uint64_t>, N + 1> counts{};  // the last one: above every bound
  std::atomic<uint64_t> sum{0};
  void observe(const std::array<double, N>& bounds, uint64_t value) {
    size_t i = 0;
    while (i<N&& static_cast<double>(value)> bounds[i]) ++i;
    counts[i].fetch_add(1, std::memory_order_relaxed);
    sum.fetch_add(value, std::memory_order_relaxed);
  }
};

struct Series {
  RequestLabels labels;
  std::atomic<uint64_t> requests{0};
  Histogram<kDurationBucketsMs.size()> duration;
  Histogram<kByteBuckets.size()> request_bytes;
  Histogram<kByteBuckets.size()> response_bytes;
};

class MetricsShard {
 public:
  // Owning worker thread only.
  void record(const RequestLabels& labels, uint64_t duration_ms, uint64_t request_bytes,
              uint64_t response_bytes);
  // The series for `labels`, added when new. It lives as long as the shard: a worker may keep
  // the pointer and record into it directly (owning worker thread only).
  Series& series(const RequestLabels& labels);
  static void record(Series& series, uint64_t duration_ms, uint64_t request_bytes,
                     uint64_t response_bytes);
  // Any thread: calls `f(const Series&)` for each series under the shard's lock.
  template <class F>
  void forEach(F f) const {
    std::lock_guard lock(mu_);
    for (const auto& s : series_) f(*s);
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Series>> series_;
  std::unordered_map<size_t, std::vector<Series*>> by_hash_;
};

class MetricsRegistry {
 public:
  explicit MetricsRegistry(size_t shards);
  MetricsShard& shard(size_t i) { return *shards_[i]; }
  // Prometheus text exposition (0.0.4): series with equal labels summed across shards.
  [[nodiscard]] std::string renderPrometheus() const;

 private:
  std::vector<std::unique_ptr<MetricsShard>> shards_;
};

size_t hashLabels(const RequestLabels& labels);

}  // namespace meshroute::stats
