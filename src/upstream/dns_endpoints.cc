#include "upstream/dns_endpoints.h"

#include <fmt/format.h>

#include <set>

#include "routing/hosts.h"

namespace meshroute::upstream {
namespace {

bool resolvesNames(const registry::Service* s) {
  return s != nullptr && (s->resolution == registry::Resolution::kDns ||
                          s->resolution == registry::Resolution::kDnsRoundRobin);
}

bool isName(const registry::Endpoint& e) {
  return !e.address.empty() && !routing::hosts::isIpAddress(e.address);
}

}  // namespace

bool usesDns(const routing::DestinationResolution& r) {
  if (!resolvesNames(r.service)) return false;
  for (const registry::Endpoint* e : r.endpoints) {
    if (e != nullptr && isName(*e)) return true;
  }
  return false;
}

routing::DestinationResolution expandDnsEndpoints(const routing::DestinationResolution& r,
                                                  const DnsLookup& lookup,
                                                  std::deque<registry::Endpoint>& storage) {
  routing::DestinationResolution out = r;
  if (!resolvesNames(r.service)) return out;
  const bool logical = r.service->resolution == registry::Resolution::kDnsRoundRobin;
  out.endpoints.clear();
  std::vector<std::string> unresolved;
  for (const registry::Endpoint* e : r.endpoints) {
    if (e == nullptr || !isName(*e)) {
      out.endpoints.push_back(e);
      continue;
    }
    const std::vector<std::string>* addresses = lookup(e->address);
    if (addresses == nullptr || addresses->empty()) {
      unresolved.push_back(e->address);
      continue;
    }
    for (const std::string& a : *addresses) {
      registry::Endpoint copy = *e;
      copy.address = a;
      copy.hostname = e->address;
      storage.push_back(std::move(copy));
      out.endpoints.push_back(&storage.back());
      if (logical) break;  // LOGICAL_DNS: the first address of the answer
    }
  }
  if (out.endpoints.empty() && out.status == routing::DestinationStatus::kOk) {
    out.status = routing::DestinationStatus::kNoHealthyUpstream;
    std::string names;
    for (const std::string& n : unresolved) names += (names.empty() ? "" : ", ") + n;
    out.problem = fmt::format("{} does not resolve", names);
  }
  return out;
}

std::vector<std::string> dnsNames(const std::vector<registry::Service>& services) {
  std::set<std::string> names;
  for (const registry::Service& s : services) {
    if (!resolvesNames(&s)) continue;
    for (const registry::Endpoint& e : s.endpoints) {
      if (isName(e)) names.insert(e.address);
    }
  }
  return {names.begin(), names.end()};
}

}  // namespace meshroute::upstream
