// The lookups Istio's analyzers share (pkg/config/analysis/analyzers/util): host names turned
// into FQDNs the way the analyzers do it (always "svc.cluster.local"), the map of hosts that
// ServiceEntries and Services make visible to each namespace, and destination host lookup.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/analyzer.h"

namespace meshroute::analysis::istio {

inline constexpr std::string_view kClusterLocal = "svc.cluster.local";

// ConvertHostToFQDN: a name without a dot (and not a wildcard) becomes name.ns.svc.cluster.local.
std::string hostToFqdn(std::string_view ns, std::string_view host);

struct FullName {
  std::string ns;
  std::string name;
  bool operator<(const FullName& o) const { return std::tie(ns, name) < std::tie(o.ns, o.name); }
  bool operator==(const FullName&) const = default;
  // resource.FullName.String(): "ns/name", or "name" without a namespace.
  [[nodiscard]] std::string str() const { return ns.empty() ? name : ns + "/" + name; }
};

// GetFullNameFromFQDN: "name.ns.svc.cluster.local" -> {ns, name}; {"", ""} for other hosts.
FullName fullNameFromFqdn(std::string_view fqdn);
// GetResourceNameFromHost: the FQDN's name, else {default_ns, host}.
FullName resourceNameFromHost(std::string_view default_ns, std::string_view host);
// resource.NewShortOrFullName: "ns/name" or a name in `ns`.
FullName shortOrFullName(std::string_view ns, std::string_view name);

struct HostPort {
  uint32_t number = 0;
  std::string name;
  std::string protocol;
};

// What a host is known by: a ServiceEntry, or a Service seen as one.
struct KnownHost {
  const api::Resource* resource = nullptr;
  std::vector<HostPort> ports;
};

// InitServiceEntryHostMap: "scope/fqdn" -> host, scope "*" for hosts visible everywhere.
using ScopedHosts = std::map<std::string, KnownHost, std::less<>>;
ScopedHosts serviceEntryHostMap(const Store& store);

// GetDestinationHost: the ServiceEntry or Service a VirtualService in `source_ns` (exported to
// `export_to`) reaches for `host`, or nullptr.
const KnownHost* destinationHost(std::string_view source_ns,
                                 const std::vector<std::string>& export_to, std::string_view host,
                                 const ScopedHosts& hosts);

// One route or mirror destination of a VirtualService with the YAML path of its host.
struct AnnotatedDestination {
  std::string rule;  // "http", "tcp", "tls", "http.mirror", "http.mirrors"
  size_t service_index = 0;
  size_t destination_index = 0;
  const api::Destination* destination = nullptr;
  [[nodiscard]] std::string hostPath() const;
};
// getRouteDestinations: tcp, tls, then http route destinations.
std::vector<AnnotatedDestination> routeDestinations(const api::VirtualService& vs);
// getHTTPMirrorDestinations.
std::vector<AnnotatedDestination> mirrorDestinations(const api::VirtualService& vs);

// labels.SelectorFromSet(selector).Matches(labels): every pair present (an empty selector
// matches everything).
bool selectorMatches(const api::StringMap& selector, const api::StringMap& labels);

// labels.Selector.String() of a set: "k1=v1,k2=v2", keys sorted.
std::string selectorString(const api::StringMap& selector);

// A string map under `path` in the raw document ("spec.selector"), for kinds meshroute does not
// model.
api::StringMap rawStringMap(const api::Resource& res, std::string_view path);

}  // namespace meshroute::analysis::istio
