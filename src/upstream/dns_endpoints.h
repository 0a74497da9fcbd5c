// ServiceEntry DNS endpoints on live traffic: a hostname endpoint stands for the addresses its
// name resolves to. `resolution: DNS` is Envoy's STRICT_DNS (every address an endpoint of its
// own, with the name's weight, locality and labels); `DNS_ROUND_ROBIN` is LOGICAL_DNS (the first
// address only). A name without an answer contributes no endpoint. Pure: the answers are given.
#pragma once

#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "routing/destination.h"

namespace meshroute::upstream {

// The addresses `name` resolves to now; null when it has none (not yet, or it failed).
using DnsLookup = std::function<const std::vector<std::string>*(const std::string& name)>;

// Whether `r` has endpoints that are names to resolve.
bool usesDns(const routing::DestinationResolution& r);

// `r` with its name endpoints replaced by their addresses; the new endpoints live in `storage`
// (keep it while the result is used). A cluster left without endpoints says so in `problem`.
routing::DestinationResolution expandDnsEndpoints(const routing::DestinationResolution& r,
                                                  const DnsLookup& lookup,
                                                  std::deque<registry::Endpoint>& storage);

// The names `services` need resolved: their DNS and DNS_ROUND_ROBIN hostname endpoints.
std::vector<std::string> dnsNames(const std::vector<registry::Service>& services);

}  // namespace meshroute::upstream
