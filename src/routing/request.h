// What a routing decision is made for: the proxy (who is routing) and the request (what
// arrives at it), plus the mesh-wide settings that change routing. Plain values, no I/O.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/model/destination_rule.h"
#include "api/model/virtual_service.h"
#include "core/diagnostic.h"

namespace meshroute::routing {

using StringMap = std::map<std::string, std::string>;

enum class ProxyType { kSidecar, kRouter };  // Istio's sidecar and router (gateway) proxies

struct Proxy {
  ProxyType type = ProxyType::kSidecar;
  std::string ns = "default";
  StringMap labels;
  std::string ip;        // the proxy's own address, for inbound and passthrough decisions
  std::string locality;  // "region/zone/subzone" (`run --locality`): locality load balancing
};

enum class Protocol { kHttp, kHttp2, kGrpc, kTcp, kTls };
std::string_view protocolName(Protocol p);

struct Request {
  uint32_t port = 0;      // the listener (original destination) port
  std::string authority;  // Host / :authority as sent, may carry ":port"
  std::string scheme = "http";
  std::string method = "GET";
  std::string path = "/";  // path and query as sent
  // Header names lower-cased; repeated names allowed (Envoy joins them for matching).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string source_ns;    // empty: the proxy's own namespace (outbound from a sidecar)
  StringMap source_labels;  // empty: the proxy's own labels
  std::string source_ip;
  std::string destination_address;  // original destination IP (ServiceEntry addresses, CIDRs)
  Protocol protocol = Protocol::kHttp;
  bool tls = false;  // a TLS client hello (TLS routes, passthrough)
  std::string sni;
  bool inbound = false;  // arriving at the sidecar's own workload

  // First value of header `name` (lower-case), or nullopt.
  [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const;
  [[nodiscard]] std::string_view pathOnly() const;  // path without "?query"
  [[nodiscard]] std::string_view query() const;     // after '?', "" when none
  // The authority's host part (lower-cased, no port) and port (0 when absent).
  [[nodiscard]] std::string host() const;
  [[nodiscard]] uint32_t authorityPort() const;
};

// The MeshConfig fields that change routing (--mesh-config FILE, Istio's mesh config YAML).
struct MeshConfig {
  std::string root_namespace = "istio-system";
  bool outbound_allow_any = true;  // outboundTrafficPolicy.mode: ALLOW_ANY (Istio's default)
  std::vector<std::string> default_virtual_service_export_to;   // empty: "*"
  std::vector<std::string> default_destination_rule_export_to;  // empty: "*"
  std::vector<std::string> default_service_export_to;           // empty: "*"
  std::string cluster_domain = "cluster.local";
  // defaultHttpRetryPolicy: replaces Istio's built-in retry default for routes without `retries`.
  std::optional<api::HTTPRetry> default_http_retry_policy;
  // localityLbSetting: used for a destination whose DestinationRule sets none. Istio's default
  // enables it with no rules: failover by region, zone and subzone under outlier detection.
  std::optional<api::LocalityLoadBalancerSetting> locality_lb_setting = enabledLocalityLb();
  // dnsRefreshRate: how often a DNS endpoint's name is looked up again when its answer's TTL
  // does not say (and the longest wait after failures). Istio's default: 60 s.
  std::chrono::milliseconds dns_refresh_rate{60000};

 private:
  static api::LocalityLoadBalancerSetting enabledLocalityLb() {
    api::LocalityLoadBalancerSetting s;
    s.enabled = true;
    return s;
  }
};

// Parses a MeshConfig YAML document (the fields above; others are ignored). Problems go to
// `diags`; the defaults stand for what could not be read.
MeshConfig parseMeshConfig(std::string_view yaml, const std::string& file,
                           core::Diagnostics& diags);

}  // namespace meshroute::routing
