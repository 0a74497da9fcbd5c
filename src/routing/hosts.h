// Host names as Istio compares and expands them (pkg/config/host, pilot/pkg/model/config.go,
// pilot/pkg/networking/core/httproute.go), exportTo visibility and small address helpers.
// Pure string functions, shared by the snapshot builder and the decision code.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace meshroute::routing::hosts {

[[nodiscard]] inline bool isWildcard(std::string_view h) { return !h.empty() && h[0] == '*'; }

// host.Name.Matches: bidirectional wildcard match ("*.com" ~ "foo.com", "foo.com" ~ "*.com").
[[nodiscard]] bool matches(std::string_view a, std::string_view b);
// host.Name.SubsetOf: `a` is covered by `b`.
[[nodiscard]] bool subsetOf(std::string_view a, std::string_view b);
// host.MoreSpecific: non-wildcards first, then longer first, then alphabetical.
[[nodiscard]] bool moreSpecific(std::string_view a, std::string_view b);

// ResolveShortnameToFQDN: a name without a dot is expanded to name.ns.svc.<domain>; "*", IPs
// and names with a dot are kept as written.
[[nodiscard]] std::string resolveShortname(std::string_view host, std::string_view ns,
                                           std::string_view cluster_domain);
// resolveGatewayName: "gw" -> "ns/gw", "./gw" -> "ns/gw", "gw.ns2.svc.cluster.local" ->
// "ns2/gw"; "mesh" is kept.
[[nodiscard]] std::string resolveGatewayName(std::string_view gateway, std::string_view ns);

// The alternative names a Kubernetes service host answers to from a proxy in `proxy_ns`
// (generateAltVirtualHostsForKubernetesService plus the absolute "host." form Istio adds by
// default, PILOT_ENABLE_ABSOLUTE_FQDN_VHOST_DOMAIN): for reviews.default.svc.cluster.local seen
// from "default": "reviews.default.svc.cluster.local.", "reviews", "reviews.default.svc",
// "reviews.default"; from another namespace the bare name is not generated.
[[nodiscard]] std::vector<std::string> altHosts(std::string_view hostname,
                                                std::string_view proxy_ns,
                                                std::string_view cluster_domain);

[[nodiscard]] std::string toLower(std::string_view s);
[[nodiscard]] bool isIpAddress(std::string_view s);
// True when `ip` (v4 or v6 text) is inside `cidr` ("10.0.0.0/8", or a plain address).
[[nodiscard]] bool cidrContains(std::string_view cidr, std::string_view ip);

// An exportTo list resolved against its owner's namespace: "." becomes the namespace.
struct ExportTo {
  bool is_public = false;
  bool none = false;
  std::set<std::string> namespaces;

  [[nodiscard]] bool visibleTo(std::string_view ns) const {
    return is_public || namespaces.contains(std::string(ns));
  }
};
// `declared` as written (empty: use `mesh_default`, itself empty meaning "*").
[[nodiscard]] ExportTo resolveExportTo(const std::vector<std::string>& declared,
                                       const std::vector<std::string>& mesh_default,
                                       std::string_view owner_ns);

}  // namespace meshroute::routing::hosts
