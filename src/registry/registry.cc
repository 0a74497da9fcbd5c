// The registry build (workloads, then services, then the host index with Istio's per
// host-and-namespace endpoint merge), lookups, and the label/protocol helpers.
#include "registry/registry.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <set>

#include "registry/registry_internal.h"

namespace meshroute::registry {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Kubernetes services first (PushContext.initServiceRegistry lets them take a hostname from a
// ServiceEntry), then the oldest first (SortServicesByCreationTime: creation time, then name,
// then namespace; a ServiceEntry service's name there is its host, the same for all).
bool precedes(const Service& a, const Service& b) {
  if (a.from_service_entry != b.from_service_entry) return !a.from_service_entry;
  const std::string& ta = a.source != nullptr ? a.source->meta.creation_timestamp : "";
  const std::string& tb = b.source != nullptr ? b.source->meta.creation_timestamp : "";
  if (ta != tb) return ta < tb;  // RFC 3339 UTC timestamps order as strings
  if (a.ns != b.ns) return a.ns < b.ns;
  return a.name < b.name;
}

// Istio keeps endpoints per hostname and namespace, whatever registry or ServiceEntry they come
// from (EndpointIndex shards; mergeServicesInstancesByNamespaceHost), so every Service of one
// host in one namespace sees the same endpoints. DNS_ROUND_ROBIN instances for a port that an
// earlier instance already serves are dropped there: one endpoint per port for such clusters.
void mergeEndpoints(std::vector<Service>& services, const std::vector<size_t>& group) {
  std::vector<Endpoint> merged;
  std::set<uint32_t> ports_seen;
  for (size_t index : group) {
    const Service& svc = services[index];
    for (Endpoint ep : svc.endpoints) {
      if (svc.resolution == Resolution::kDnsRoundRobin && !ep.ports.empty()) {
        std::erase_if(ep.ports, [&](const auto& kv) { return ports_seen.count(kv.first) != 0; });
        if (ep.ports.empty()) continue;
      }
      for (const auto& [port, target] : ep.ports) ports_seen.insert(port);
      merged.push_back(std::move(ep));
    }
  }
  for (size_t index : group) services[index].endpoints = merged;
}

}  // namespace

std::string_view workloadKindName(WorkloadKind kind) {
  switch (kind) {
    case WorkloadKind::kPod: return "Pod";
    case WorkloadKind::kDeployment: return "Deployment";
    case WorkloadKind::kWorkloadEntry: return "WorkloadEntry";
    case WorkloadKind::kServiceEntryEndpoint: return "ServiceEntry endpoint";
    case WorkloadKind::kDnsHost: return "DNS host";
  }
  return "";
}

std::string_view resolutionName(Resolution r) {
  switch (r) {
    case Resolution::kNone: return "NONE";
    case Resolution::kStatic: return "STATIC";
    case Resolution::kDns: return "DNS";
    case Resolution::kDnsRoundRobin: return "DNS_ROUND_ROBIN";
    case Resolution::kDynamicDns: return "DYNAMIC_DNS";
    case Resolution::kAlias: return "ALIAS";
  }
  return "";
}

const ServicePort* Service::findPort(uint32_t port) const {
  for (const auto& p : ports) {
    if (p.port == port) return &p;
  }
  return nullptr;
}

bool labelsMatch(const StringMap& selector, const StringMap& labels) {
  for (const auto& [k, v] : selector) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  return true;
}

std::string parseProtocolName(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 12> kProtocols{{
      {"tcp", "TCP"},
      {"udp", "UDP"},
      {"grpc", "GRPC"},
      {"grpc-web", "GRPC-Web"},
      {"http", "HTTP"},
      {"http_proxy", "HTTP_PROXY"},
      {"http2", "HTTP2"},
      {"https", "HTTPS"},
      {"tls", "TLS"},
      {"mongo", "Mongo"},
      {"redis", "Redis"},
      {"mysql", "MySQL"},
  }};
  const std::string key = lower(name);
  for (const auto& [k, canonical] : kProtocols) {
    if (key == k) return std::string(canonical);
  }
  return "";
}

std::string protocolFromPort(std::string_view name, std::string_view app_protocol) {
  return protocolFromPort(name, app_protocol, 0, "");
}

// Istio's kube.ConvertProtocol (pkg/config/kube/conversion.go). An empty appProtocol counts as
// unset (the model cannot tell "" from absent; Kubernetes rejects "" anyway).
std::string protocolFromPort(std::string_view name, std::string_view app_protocol, uint32_t port,
                             std::string_view k8s_protocol) {
  if (k8s_protocol == "UDP") return "UDP";
  std::string_view text = name;
  if (!app_protocol.empty()) {
    // Kubernetes' standard appProtocol values, recognized only there.
    if (app_protocol == "kubernetes.io/h2c") return "HTTP2";
    if (app_protocol == "kubernetes.io/ws") return "HTTP";
    if (app_protocol == "kubernetes.io/wss") return "HTTPS";
    text = app_protocol;
  }
  // "grpc-web" contains the '-' that ends other prefixes, so it is checked first.
  constexpr std::string_view kGrpcWeb = "grpc-web";
  if (text.size() >= kGrpcWeb.size() && lower(text.substr(0, kGrpcWeb.size())) == kGrpcWeb) {
    return "GRPC-Web";
  }
  std::string result = parseProtocolName(text.substr(0, text.find('-')));
  // Well-known ports (SMTP, DNS, MySQL, MongoDB) are TCP rather than sniffed.
  if (result.empty() && (port == 25 || port == 53 || port == 3306 || port == 27017)) {
    return "TCP";
  }
  return result;
}

namespace detail {

bool selectorMatches(const StringMap& selector, const StringMap& labels) {
  return !selector.empty() && labelsMatch(selector, labels);
}

const std::vector<const Workload*>& workloadsIn(const BuildContext& ctx, const std::string& ns) {
  static const std::vector<const Workload*> kNone;
  auto it = ctx.by_namespace.find(ns);
  return it == ctx.by_namespace.end() ? kNone : it->second;
}

bool isIpAddress(std::string_view s) {
  const std::string text(s);
  std::array<unsigned char, 16> buf{};
  return inet_pton(AF_INET, text.c_str(), buf.data()) == 1 ||
         inet_pton(AF_INET6, text.c_str(), buf.data()) == 1;
}

bool isDnsOnlyAddress(std::string_view address) {
  if (address.rfind("unix://", 0) == 0) return true;
  return !address.empty() && !isIpAddress(address);
}

}  // namespace detail

Registry Registry::build(const std::vector<api::Resource>& resources, const Options& options) {
  Registry reg;
  reg.options_ = options;
  detail::BuildContext ctx;
  ctx.options = &reg.options_;
  // Phase 1 fills workloads_ completely; nothing takes a pointer into it before it is final.
  detail::buildWorkloads(resources, reg.workloads_, ctx);
  ctx.workloads = &reg.workloads_;
  for (const Workload& w : reg.workloads_) {
    ctx.by_namespace[w.ns].push_back(&w);
    if (w.kind == WorkloadKind::kPod && !w.address.empty()) ctx.pods_by_ip[w.address].push_back(&w);
  }
  // Phase 2: services in resource order.
  for (const auto& res : resources) {
    if (res.as<api::K8sService>() != nullptr) detail::addKubernetesService(res, ctx, reg.services_);
    if (res.as<api::ServiceEntry>() != nullptr) {
      detail::addServiceEntryServices(res, ctx, reg.services_);
    }
  }
  // Phase 3: the host index, and the endpoint merge per host and namespace.
  for (size_t i = 0; i < reg.services_.size(); ++i) {
    reg.by_host_[reg.services_[i].hostname].push_back(i);
  }
  for (auto& [host, indices] : reg.by_host_) {
    std::stable_sort(indices.begin(), indices.end(), [&](size_t a, size_t b) {
      return precedes(reg.services_[a], reg.services_[b]);
    });
    std::map<std::string, std::vector<size_t>> by_ns;
    for (size_t i : indices) by_ns[reg.services_[i].ns].push_back(i);
    for (const auto& [ns, group] : by_ns) mergeEndpoints(reg.services_, group);
  }
  return reg;
}

std::vector<const Service*> Registry::findServices(std::string_view hostname) const {
  std::vector<const Service*> out;
  auto it = by_host_.find(std::string(hostname));
  if (it == by_host_.end()) return out;
  for (size_t i : it->second) out.push_back(&services_[i]);
  return out;
}

const Service* Registry::findService(std::string_view hostname) const {
  auto it = by_host_.find(std::string(hostname));
  if (it == by_host_.end() || it->second.empty()) return nullptr;
  return &services_[it->second.front()];
}

std::vector<const Workload*> Registry::selectWorkloads(std::string_view ns,
                                                       const StringMap& selector) const {
  std::vector<const Workload*> out;
  for (const Workload& w : workloads_) {
    const bool selectable = w.kind == WorkloadKind::kPod || w.kind == WorkloadKind::kDeployment ||
                            w.kind == WorkloadKind::kWorkloadEntry;
    if (selectable && w.ns == ns && detail::selectorMatches(selector, w.labels)) {
      out.push_back(&w);
    }
  }
  return out;
}

}  // namespace meshroute::registry
