#include "proxy/metrics_recorder.h"

#include <unistd.h>

#include <cerrno>
#include <string>

#include "proxy/cluster_cache.h"
#include "proxy/worker.h"

namespace meshroute::proxy {
namespace {

std::string_view labelOr(const routing::StringMap& labels, const char* key) {
  auto it = labels.find(key);
  return it == labels.end() ? std::string_view("unknown") : std::string_view(it->second);
}

stats::Series& seriesFor(ProxyWorker& worker, const RequestLog& log) {
  // One label set per worker thread, refilled in place: its strings keep their capacity.
  thread_local stats::RequestLabels labels;
  const auto& s = worker.settings();
  labels.reporter = "source";
  labels.source_workload = s.workload_name;
  labels.source_workload_namespace = s.proxy.ns;
  labels.source_principal = "unknown";
  labels.source_app = labelOr(s.proxy.labels, "app");
  labels.source_version = labelOr(s.proxy.labels, "version");
  labels.source_cluster = s.cluster_id;
  const ClusterState* c = log.cluster.get();
  const EndpointInfo* ep =
      c != nullptr && log.endpoint >= 0 && static_cast<size_t>(log.endpoint) < c->endpoints.size()
          ? &c->endpoints[log.endpoint]
          : nullptr;
  labels.destination_workload = ep ? std::string_view(ep->workload) : "unknown";
  labels.destination_workload_namespace = ep ? std::string_view(ep->workload_ns) : "unknown";
  labels.destination_principal = "unknown";
  labels.destination_app = ep ? std::string_view(ep->app) : "unknown";
  labels.destination_version = c != nullptr && c->version != "unknown"
                                   ? std::string_view(c->version)
                               : ep ? std::string_view(ep->version)
                                    : "unknown";
  labels.destination_service =
      c ? std::string_view(c->service_host) : std::string_view(log.authority);
  labels.destination_service_name = c ? std::string_view(c->service_name) : "unknown";
  labels.destination_service_namespace = c ? std::string_view(c->service_ns) : "unknown";
  labels.destination_cluster = c && ep ? std::string_view(s.cluster_id) : "unknown";
  labels.request_protocol = "http";
  labels.response_code = std::to_string(log.status);
  labels.grpc_response_status = "";
  thread_local std::string flags;
  flags.clear();
  log.flags.appendTo(flags);
  labels.response_flags = flags.empty() ? std::string_view("-") : std::string_view(flags);
  labels.connection_security_policy = "unknown";
  return worker.metrics().series(labels);
}

}  // namespace

void recordRequest(ProxyWorker& worker, const RequestLog& log) {
  constexpr size_t kMaxCachedSeries = 64;
  stats::Series* series = nullptr;
  const ClusterState* c = log.cluster.get();
  if (c != nullptr) {
    for (const auto& slot : c->series_cache) {
      if (slot.endpoint == log.endpoint && slot.status == log.status &&
          slot.flags == log.flags.bits()) {
        series = slot.series;
        break;
      }
    }
  }
  if (series == nullptr) {
    series = &seriesFor(worker, log);
    if (c != nullptr && c->series_cache.size() < kMaxCachedSeries) {
      c->series_cache.push_back({log.endpoint, log.status, log.flags.bits(), series});
    }
  }
  auto duration = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - log.start)
                      .count();
  stats::MetricsShard::record(*series, static_cast<uint64_t>(duration), log.bytes_received,
                              log.bytes_sent);
}

}  // namespace meshroute::proxy
