// serviceentry.Analyzer (addresses for TCP ports) and
// serviceentry.ConflictingServiceEntryProtocolAnalyzer.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "analysis/analyzers/groups.h"

namespace meshroute::analysis {
namespace {

constexpr std::string_view kExportToAll = "*";
constexpr std::string_view kExportToLocal = ".";

std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// Istio's FullName.String(): "ns/name", or just "name" without a namespace.
std::string fullName(const api::Resource& res) {
  if (res.meta.namespace_.empty()) return res.meta.name;
  return fmt::format("{}/{}", res.meta.namespace_, res.meta.name);
}

// --- serviceentry.Analyzer ---

// With DNS capture on, the proxy allocates addresses itself when either auto-allocation
// switch is on too.
bool proxyAllocatesAddresses(const MeshSettings& mesh) {
  if (mesh.value("defaultConfig.proxyMetadata.ISTIO_META_DNS_CAPTURE") != "true") return false;
  return mesh.value("defaultConfig.proxyMetadata.ISTIO_META_DNS_AUTO_ALLOCATE") == "true" ||
         mesh.value("defaultConfig.proxyMetadata.PILOT_ENABLE_IP_AUTOALLOCATE") == "true";
}

// The controller records the addresses it allocated in status.addresses (not in the typed
// model, so read from the document).
bool hasAllocatedAddresses(const api::Resource& res) {
  const api::Node* addresses = nodeAt(res, "status.addresses");
  return addresses != nullptr && addresses->isSequence() && !addresses->items.empty();
}

void runAddressesRequired(Context& ctx) {
  const bool proxy_allocates = proxyAllocatesAddresses(ctx.mesh());
  for (const api::Resource* res : ctx.store().all(kinds::kServiceEntry)) {
    const auto* se = res->as<api::ServiceEntry>();
    if (se == nullptr || !se->addresses.empty() || proxy_allocates || hasAllocatedAddresses(*res)) {
      continue;
    }
    for (size_t i = 0; i < se->ports.size(); ++i) {
      const std::string& protocol = se->ports[i].protocol;
      if (!protocol.empty() && upper(protocol) != "TCP") continue;
      std::string path = fmt::format("spec.ports[{}].name", i);
      ctx.report(msg::kServiceEntryAddressesRequired, *res,
                 nodeAt(*res, path) != nullptr ? std::string_view(path) : std::string_view{}, {});
    }
  }
}

// --- serviceentry.ConflictingServiceEntryProtocolAnalyzer ---

struct ScopedHostPort {
  std::string scope;  // "*" or a namespace the entry is exported to
  std::string host;
  uint32_t port = 0;
  auto operator<=>(const ScopedHostPort&) const = default;
};

struct ProtocolUse {
  std::string protocol;
  const api::Resource* entry = nullptr;
};

std::set<std::string> exportScopes(const std::vector<std::string>& export_to,
                                   const std::string& ns) {
  if (export_to.empty() ||
      std::find(export_to.begin(), export_to.end(), kExportToAll) != export_to.end()) {
    return {std::string(kExportToAll)};
  }
  std::set<std::string> scopes;
  for (const std::string& scope : export_to) scopes.insert(scope == kExportToLocal ? ns : scope);
  return scopes;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

void runConflictingProtocol(Context& ctx) {
  std::map<ScopedHostPort, std::vector<ProtocolUse>> uses;
  for (const api::Resource* res : ctx.store().all(kinds::kServiceEntry)) {
    const auto* se = res->as<api::ServiceEntry>();
    if (se == nullptr) continue;
    for (const std::string& scope : exportScopes(se->export_to, res->meta.namespace_)) {
      for (const std::string& host : se->hosts) {
        for (const api::ServicePort& port : se->ports) {
          uses[ScopedHostPort{scope, host, port.number}].push_back({port.protocol, res});
        }
      }
    }
  }

  // Each entry is reported once, for the first conflicting host and port found.
  std::set<std::string> reported;
  for (const auto& [key, own_uses] : uses) {
    std::vector<ProtocolUse> visible = own_uses;
    if (key.scope != kExportToAll) {
      auto global = uses.find(ScopedHostPort{std::string(kExportToAll), key.host, key.port});
      if (global != uses.end())
        visible.insert(visible.end(), global->second.begin(), global->second.end());
    }
    std::set<std::string> protocols;
    for (const ProtocolUse& use : visible) protocols.insert(upper(use.protocol));
    if (protocols.size() < 2) continue;

    std::set<std::string> name_set;
    for (const ProtocolUse& use : visible) name_set.insert(fullName(*use.entry));
    const std::string names = joined({name_set.begin(), name_set.end()});
    const std::string protocol_list = joined({protocols.begin(), protocols.end()});

    for (const ProtocolUse& use : visible) {
      std::string name = fullName(*use.entry);
      if (!reported.insert(name).second) continue;
      ctx.report(msg::kConflictingServiceEntryProtocol, *use.entry, "metadata.name",
                 {names, key.host, static_cast<int64_t>(key.port), protocol_list});
    }
  }
}

}  // namespace

void addServiceEntryAnalyzers(std::vector<Analyzer>& out) {
  out.push_back(
      {"serviceentry.Analyzer", "Checks the validity of ServiceEntry", &runAddressesRequired});
  out.push_back({"serviceentry.ConflictingServiceEntryProtocolAnalyzer",
                 "Checks if multiple ServiceEntries define the same host and port with different "
                 "protocols",
                 &runConflictingProtocol});
}

}  // namespace meshroute::analysis
