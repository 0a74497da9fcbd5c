#include "stats/metrics.h"

#include <fmt/format.h>

#include <functional>
#include <map>
#include <string_view>

namespace meshroute::stats {
namespace {

// The label names in Istio's order, with the member each is read from.
struct LabelField {
  const char* name;
  std::string RequestLabels::*field;
};
constexpr LabelField kLabels[] = {
    {"reporter", &RequestLabels::reporter},
    {"source_workload", &RequestLabels::source_workload},
    {"source_workload_namespace", &RequestLabels::source_workload_namespace},
    {"source_principal", &RequestLabels::source_principal},
    {"source_app", &RequestLabels::source_app},
    {"source_version", &RequestLabels::source_version},
    {"source_cluster", &RequestLabels::source_cluster},
    {"destination_workload", &RequestLabels::destination_workload},
    {"destination_workload_namespace", &RequestLabels::destination_workload_namespace},
    {"destination_principal", &RequestLabels::destination_principal},
    {"destination_app", &RequestLabels::destination_app},
    {"destination_version", &RequestLabels::destination_version},
    {"destination_service", &RequestLabels::destination_service},
    {"destination_service_name", &RequestLabels::destination_service_name},
    {"destination_service_namespace", &RequestLabels::destination_service_namespace},
    {"destination_cluster", &RequestLabels::destination_cluster},
    {"request_protocol", &RequestLabels::request_protocol},
    {"response_code", &RequestLabels::response_code},
    {"grpc_response_status", &RequestLabels::grpc_response_status},
    {"response_flags", &RequestLabels::response_flags},
    {"connection_security_policy", &RequestLabels::connection_security_policy},
};

void appendEscaped(std::string& out, std::string_view v) {
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

std::string labelText(const RequestLabels& l) {
  std::string out;
  for (const auto& f : kLabels) {
    if (!out.empty()) out += ',';
    out += f.name;
    out += "=\"";
    appendEscaped(out, l.*f.field);
    out += '"';
  }
  return out;
}

// Bounds print as Prometheus clients print them: integers without a fraction or exponent.
std::string boundText(double b) {
  if (b == static_cast<double>(static_cast<uint64_t>(b))) {
    return std::to_string(static_cast<uint64_t>(b));
  }
  return fmt::format("{}", b);
}

template <size_t N>
struct HistTotals {
  std::array<uint64_t, N + 1> counts{};
  uint64_t sum = 0;
  void add(const Histogram<N>& h) {
    for (size_t i = 0; i <= N; ++i) counts[i] += h.counts[i].load(std::memory_order_relaxed);
    sum += h.sum.load(std::memory_order_relaxed);
  }
};

struct Totals {
  uint64_t requests = 0;
  HistTotals<kDurationBucketsMs.size()> duration;
  HistTotals<kByteBuckets.size()> request_bytes;
  HistTotals<kByteBuckets.size()> response_bytes;
};

template <size_t N>
void renderHistogram(std::string& out, const char* name,
                     const std::map<std::string, Totals>& totals, HistTotals<N> Totals::*member,
                     const std::array<double, N>& bounds) {
  fmt::format_to(std::back_inserter(out), "# TYPE {} histogram\n", name);
  for (const auto& [labels, t] : totals) {
    const HistTotals<N>& h = t.*member;
    uint64_t cumulative = 0;
    for (size_t i = 0; i < N; ++i) {
      cumulative += h.counts[i];
      fmt::format_to(std::back_inserter(out), "{}_bucket{{{},le=\"{}\"}} {}\n", name, labels,
                     boundText(bounds[i]), cumulative);
    }
    cumulative += h.counts[N];
    fmt::format_to(std::back_inserter(out), "{}_bucket{{{},le=\"+Inf\"}} {}\n", name, labels,
                   cumulative);
    fmt::format_to(std::back_inserter(out), "{}_sum{{{}}} {}\n{}_count{{{}}} {}\n", name, labels,
                   h.sum, name, labels, cumulative);
  }
}

}  // namespace

size_t hashLabels(const RequestLabels& labels) {
  size_t h = 0xcbf29ce484222325ULL;
  for (const auto& f : kLabels) {
    h ^= std::hash<std::string_view>{}(labels.*f.field) + 0x9e3779b97f4a7c15ULL + (h << 6) +
         (h >> 2);
  }
  return h;
}

Series& MetricsShard::series(const RequestLabels& labels) {
  const size_t h = hashLabels(labels);
  auto it = by_hash_.find(h);
  if (it != by_hash_.end()) {
    for (Series* s : it->second) {
      if (s->labels == labels) return *s;
    }
  }
  auto fresh = std::make_unique<Series>();
  fresh->labels = labels;
  Series* series = fresh.get();
  std::lock_guard lock(mu_);
  series_.push_back(std::move(fresh));
  by_hash_[h].push_back(series);
  return *series;
}

void MetricsShard::record(Series& series, uint64_t duration_ms, uint64_t request_bytes,
                          uint64_t response_bytes) {
  series.requests.fetch_add(1, std::memory_order_relaxed);
  series.duration.observe(kDurationBucketsMs, duration_ms);
  series.request_bytes.observe(kByteBuckets, request_bytes);
  series.response_bytes.observe(kByteBuckets, response_bytes);
}

void MetricsShard::record(const RequestLabels& labels, uint64_t duration_ms, uint64_t request_bytes,
                          uint64_t response_bytes) {
  record(series(labels), duration_ms, request_bytes, response_bytes);
}

MetricsRegistry::MetricsRegistry(size_t shards) {
  for (size_t i = 0; i < std::max<size_t>(shards, 1); ++i) {
    shards_.push_back(std::make_unique<MetricsShard>());
  }
}

std::string MetricsRegistry::renderPrometheus() const {
  std::map<std::string, Totals> totals;
  for (const auto& shard : shards_) {
    shard->forEach([&](const Series& s) {
      Totals& t = totals[labelText(s.labels)];
      t.requests += s.requests.load(std::memory_order_relaxed);
      t.duration.add(s.duration);
      t.request_bytes.add(s.request_bytes);
      t.response_bytes.add(s.response_bytes);
    });
  }
  std::string out;
  out += "# TYPE istio_requests_total counter\n";
  for (const auto& [labels, t] : totals) {
    fmt::format_to(std::back_inserter(out), "istio_requests_total{{{}}} {}\n", labels, t.requests);
  }
  renderHistogram(out, "istio_request_duration_milliseconds", totals, &Totals::duration,
                  kDurationBucketsMs);
  renderHistogram(out, "istio_request_bytes", totals, &Totals::request_bytes, kByteBuckets);
  renderHistogram(out, "istio_response_bytes", totals, &Totals::response_bytes, kByteBuckets);
  return out;
}

}  // namespace meshroute::stats
