// What `meshroute run` is told on its command line: who the proxy is (namespace, labels), where
// it listens, and the limits and timeouts of the data plane. Immutable after start.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "http/h1.h"
#include "routing/request.h"
#include "runtime/listener.h"

namespace meshroute::proxy {

enum class AccessLogFormat { kText, kJson, kOff };

struct ProxySettings {
  routing::Proxy proxy;       // namespace and labels of the workload this sidecar serves
  std::string workload_name;  // source_workload in metrics ("unknown" when not given)
  std::string cluster_id = "Kubernetes";  // Istio's default cluster name in metric labels
  runtime::Address listen{"127.0.0.1", 15001};
  size_t workers = 1;
  http::Limits limits;
  // Envoy's defaults where Envoy has one (docs/run.md lists them).
  std::chrono::milliseconds request_header_timeout{std::chrono::seconds(60)};
  std::chrono::milliseconds idle_timeout{std::chrono::hours(1)};           // HCM idle_timeout
  std::chrono::milliseconds stream_idle_timeout{std::chrono::minutes(5)};  // per read/write
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};     // Istio's default
  std::chrono::milliseconds drain_time{std::chrono::seconds(5)};
  size_t max_connections = 100000;  // per process; beyond it new connections are closed
  size_t max_idle_upstream_per_host = 64;
  AccessLogFormat access_log = AccessLogFormat::kText;
  // Request body bytes kept for retries and mirror copies (Envoy's per-request buffer limit);
  // a body beyond it is neither retried nor mirrored.
  size_t retry_buffer_bytes = size_t{1} << 20;
  // Mirror copies keep the original authority (Istio >= 1.28); true restores Envoy's
  // "-shadow" suffix on the host.
  bool mirror_shadow_suffix = false;
  std::chrono::milliseconds mirror_timeout{std::chrono::seconds(15)};  // when the route has none
  // DestinationRule tls.credentialName: Kubernetes TLS secrets laid out as
  // DIR/<namespace>/<name>/{tls.crt,tls.key,ca.crt}; "" when not given.
  std::string secrets_dir;
  // DNS servers for ServiceEntry DNS endpoints, "IP[:PORT],..."; "" reads /etc/resolv.conf.
  std::string dns_servers;
};

}  // namespace meshroute::proxy
