// Small helpers shared by meshroute's own analyzers (meshroute_routes.cc, meshroute_binding.cc).
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>

#include "analysis/analyzer.h"
#include "api/model/virtual_service.h"
#include "routing/hosts.h"

namespace meshroute::analysis::mr {

// How findings name an HTTP rule: `"reviews-v2" (http[1])`, or `http[1]` when unnamed.
inline std::string ruleLabel(std::string_view section, const std::string& name, size_t index) {
  if (name.empty()) return fmt::format("{}[{}]", section, index);
  return fmt::format("{} ({}[{}])", goQuote(name), section, index);
}

// A destination host as the proxy resolves it: short names within the resource's namespace.
inline std::string fqdn(std::string_view host, const api::Resource& owner,
                        const MeshSettings& mesh) {
  return routing::hosts::resolveShortname(routing::hosts::toLower(host), owner.meta.namespace_,
                                          mesh.cluster_domain);
}

// True when every label of `selector` is present with the same value in `labels`.
inline bool selects(const api::StringMap& selector, const api::StringMap& labels) {
  for (const auto& [k, v] : selector) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  return true;
}

}  // namespace meshroute::analysis::mr
