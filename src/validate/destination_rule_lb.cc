// Istio's load-balancer rules for DestinationRule traffic policies: consistent hashing (cookie
// attributes, ring hash / Maglev), locality and zone-aware load balancing, and warmup.
#include "validate/destination_rule_lb.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace meshroute::validate::dr {
namespace {

constexpr uint64_t kMaglevTableSizeLimit = 5000011;

// Node labels that zone-aware and failover-based locality load balancing handle themselves.
bool isTopologyLabel(std::string_view label) {
  return label == "topology.kubernetes.io/region" || label == "topology.kubernetes.io/zone" ||
         label == "topology.istio.io/subzone";
}

uint64_t mulMod(uint64_t a, uint64_t b, uint64_t m) {
  return static_cast<uint64_t>(static_cast<unsigned __int128>(a) * b % m);
}

uint64_t powMod(uint64_t base, uint64_t exp, uint64_t m) {
  uint64_t result = 1;
  base %= m;
  while (exp > 0) {
    if (exp & 1) result = mulMod(result, base, m);
    base = mulMod(base, base, m);
    exp >>= 1;
  }
  return result;
}

// Deterministic Miller-Rabin for 64-bit odd x > 3; used where trial division would take seconds.
bool millerRabin(uint64_t x) {
  uint64_t d = x - 1;
  int s = 0;
  while ((d & 1) == 0) {
    d >>= 1;
    ++s;
  }
  for (uint64_t a : {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37}) {
    if (a % x == 0) continue;
    uint64_t y = powMod(a, d, x);
    if (y == 1 || y == x - 1) continue;
    bool composite = true;
    for (int i = 1; i < s && composite; ++i) {
      y = mulMod(y, y, x);
      if (y == x - 1) composite = false;
    }
    if (composite) return false;
  }
  return true;
}

// Splits a locality "region/zone/subzone" into at most three parts, the last keeping any
// further slashes (as Go's strings.SplitN(s, "/", 3) does).
std::vector<std::string> splitLocality(std::string_view locality) {
  std::vector<std::string> parts;
  while (parts.size() < 2) {
    size_t slash = locality.find('/');
    if (slash == std::string_view::npos) break;
    parts.emplace_back(locality.substr(0, slash));
    locality.remove_prefix(slash + 1);
  }
  parts.emplace_back(locality);
  return parts;
}

void validateConsistentHash(const api::ConsistentHashLB& ch, const Loc& at, Report& r) {
  if (const auto& cookie = ch.http_cookie) {
    Loc cl = at.field(ch, "httpCookie");
    if (cookie->name.empty()) r.error(cl.field(*cookie, "name"), "name required for HttpCookie");
    std::set<std::string> names;
    for (size_t i = 0; i < cookie->attributes.size(); ++i) {
      const auto& attr = cookie->attributes[i];
      Loc al = cl.item("attributes", i, attr);
      if (attr.name.empty()) {
        r.error(al.field(attr, "name"), "cookie attribute name cannot be empty");
        continue;
      }
      if (!names.insert(attr.name).second) {
        r.error(al.field(attr, "name"),
                fmt::format("duplicate cookie attribute name: {}", attr.name));
      }
    }
  }
  if (ch.minimum_ring_size != 0) {
    Loc ring = at.field(ch, "minimumRingSize");
    r.warning(ring,
              "consistent hash MinimumRingSize is deprecated, use ConsistentHashLB's RingHash "
              "configuration instead");
    if (ch.ring_hash || ch.maglev) {
      r.error(ring, "only one of MinimumRingSize or Maglev/Ringhash can be specified");
    }
  }
  if (const auto& ml = ch.maglev) {
    Loc size = at.field(ch, "maglev").field(*ml, "tableSize");
    if (ml->table_size == 0) r.error(size, "tableSize must be set for maglev");
    if (ml->table_size >= kMaglevTableSizeLimit) {
      r.error(size, "tableSize must be less than 5000011 for maglev");
    }
    if (!isPrime(ml->table_size)) r.error(size, "tableSize must be a prime number for maglev");
  }
}

void validateWarmup(const api::WarmupConfiguration& warm, const Loc& at, Report& r) {
  if (!warm.duration) {
    r.error(at.field(warm, "duration"), "duration is required");
  } else if (auto e = validateDuration(*warm.duration)) {
    r.error(at.field(warm, "duration"), *e);
  }
  if (warm.minimum_percent.value_or(0) > 100) {
    r.error(at.field(warm, "minimumPercent"),
            "minimumPercent value should be less than or equal to 100");
  }
  if (warm.aggression && *warm.aggression <= 0) {
    r.error(at.field(warm, "aggression"), "aggression should be greater than 0");
  }
}

}  // namespace

bool isPrime(uint64_t x) {
  if (x != 0 && x < 4) return true;  // Envoy counts 1 as prime
  if ((x & 1) == 0) return false;
  if (x >= (uint64_t{1} << 40)) return millerRabin(x);
  auto limit = static_cast<uint64_t>(std::sqrt(static_cast<double>(x)));
  for (uint64_t factor = 3; factor <= limit; factor += 2) {
    if (x % factor == 0) return false;
  }
  return true;
}

void validateLoadBalancer(const api::LoadBalancerSettings& lb, const api::OutlierDetection* outlier,
                          const Loc& at, Report& r) {
  if (lb.consistent_hash)
    validateConsistentHash(*lb.consistent_hash, at.field(lb, "consistentHash"), r);
  if (lb.locality_lb_setting && lb.zone_aware_lb_setting) {
    r.error(at.field(lb, "zoneAwareLbSetting"),
            "only one of localityLbSetting and zoneAwareLbSetting can be set");
  }
  if (lb.locality_lb_setting) {
    validateLocalityLbSetting(*lb.locality_lb_setting, outlier, at.field(lb, "localityLbSetting"),
                              r);
  }
  if (lb.zone_aware_lb_setting) {
    validateZoneAwareLbSetting(*lb.zone_aware_lb_setting, outlier,
                               at.field(lb, "zoneAwareLbSetting"), r);
  }
  if (lb.warmup) validateWarmup(*lb.warmup, at.field(lb, "warmup"), r);
}

void validateLocalityLbSetting(const api::LocalityLoadBalancerSetting& lb,
                               const api::OutlierDetection* outlier, const Loc& at, Report& r) {
  if (!lb.distribute.empty() && !lb.failover.empty()) {
    r.error(at, "can not simultaneously specify 'distribute' and 'failover'");
    return;
  }
  if (!lb.failover.empty()) {
    for (size_t i = 0; i < lb.failover_priority.size(); ++i) {
      if (isTopologyLabel(lb.failover_priority[i])) {
        r.error(at.item(lb, "failoverPriority", i),
                fmt::format("can not simultaneously set 'failover' and topology label '{}' in "
                            "'failover_priority'",
                            lb.failover_priority[i]));
        return;
      }
    }
  }
  // Istio stops at the first bad distribute entry; later checks then do not run.
  std::vector<std::string> sources;
  sources.reserve(lb.distribute.size());
  for (size_t i = 0; i < lb.distribute.size(); ++i) {
    const auto& d = lb.distribute[i];
    Loc dl = at.item("distribute", i, d);
    sources.push_back(d.from);
    uint32_t total = 0;
    std::vector<std::string> destinations;
    for (const auto& [locality, weight] : d.to) {
      destinations.push_back(locality);
      if (weight == 0 || weight > 100) {
        r.error(dl.key(d, "to", locality), "locality weight must be in range [1, 100]");
        return;
      }
      total += weight;
    }
    if (total != 100) {
      r.error(dl.field(d, "to"), fmt::format("total locality weight {} != 100", total));
      return;
    }
    if (auto e = validateLocalities(destinations)) r.error(dl.field(d, "to"), *e);
  }
  if (auto e = validateLocalities(sources)) r.error(at.field(lb, "distribute"), *e);

  if ((!lb.failover.empty() || !lb.failover_priority.empty()) && outlier == nullptr) {
    r.warning(at, "outlier detection policy must be provided for failover");
  }
  for (size_t i = 0; i < lb.failover.size(); ++i) {
    const auto& f = lb.failover[i];
    Loc fl = at.item("failover", i, f);
    if (f.from == f.to) r.error(fl, "locality lb failover settings must specify different regions");
    if (f.from.find('/') != std::string::npos || f.to.find('/') != std::string::npos) {
      r.error(fl, "locality lb failover only specify region");
    }
    if (f.from.find('*') != std::string::npos || f.to.find('*') != std::string::npos) {
      r.error(fl, "locality lb failover region should not contain '*' wildcard");
    }
  }
}

void validateZoneAwareLbSetting(const api::ZoneAwareLoadBalancerSetting& lb,
                                const api::OutlierDetection* outlier, const Loc& at, Report& r) {
  for (size_t i = 0; i < lb.failover_priority.size(); ++i) {
    if (isTopologyLabel(lb.failover_priority[i])) {
      r.error(at.item(lb, "failoverPriority", i),
              fmt::format("'failover_priority' for zone aware lb must not use topology label "
                          "'{}'; region- and zone-level routing are handled automatically",
                          lb.failover_priority[i]));
    }
  }
  if ((!lb.failover.empty() || !lb.failover_priority.empty()) && outlier == nullptr) {
    r.warning(at, "outlier detection policy must be provided for failover");
  }
  for (size_t i = 0; i < lb.failover.size(); ++i) {
    const auto& f = lb.failover[i];
    Loc fl = at.item("failover", i, f);
    if (f.from == f.to) {
      r.error(fl, "zone aware lb failover settings must specify different regions");
    }
    if (f.from.find('/') != std::string::npos || f.to.find('/') != std::string::npos) {
      r.error(fl,
              "zone aware lb failover only specifies region; zone and subzone failover are "
              "handled automatically");
    }
    if (f.from.find('*') != std::string::npos || f.to.find('*') != std::string::npos) {
      r.error(fl, "zone aware lb failover region should not contain '*' wildcard");
    }
  }
}

Error validateLocalities(const std::vector<std::string>& localities) {
  // region -> zone -> subzone; "*" stands for "everything below".
  std::map<std::string, std::map<std::string, std::map<std::string, bool>>> seen;
  for (const auto& locality : localities) {
    auto overlap = [&] {
      return fmt::format("locality {} overlap with previous specified ones", locality);
    };
    auto stars = std::count(locality.begin(), locality.end(), '*');
    if (stars > 0 && (stars > 1 || !locality.ends_with('*'))) {
      return fmt::format("locality {} wildcard '*' number can not exceed 1 and must be in the end",
                         locality);
    }
    if (seen.count("*") != 0) return overlap();
    auto parts = splitLocality(locality);
    if (std::any_of(parts.begin(), parts.end(), [](const auto& p) { return p.empty(); })) {
      return fmt::format("locality {} must not contain empty region/zone/subzone info", locality);
    }
    const std::string& region = parts[0];
    auto region_it = seen.find(region);
    if (parts.size() == 1) {
      if (region_it != seen.end()) return overlap();
      seen[region]["*"]["*"] = true;
      continue;
    }
    const std::string& zone = parts[1];
    if (parts.size() == 2) {
      if (region_it != seen.end()) {
        if (region_it->second.count("*") != 0 || region_it->second.count(zone) != 0) {
          return overlap();
        }
      }
      seen[region][zone]["*"] = true;
      continue;
    }
    const std::string& subzone = parts[2];
    if (region_it != seen.end()) {
      if (region_it->second.count("*") != 0) return overlap();
      auto zone_it = region_it->second.find(zone);
      if (zone_it != region_it->second.end()) {
        auto is_set = [&](const std::string& k) {
          auto it = zone_it->second.find(k);
          return it != zone_it->second.end() && it->second;
        };
        if (is_set("*") || is_set(subzone)) return overlap();
      }
    }
    seen[region][zone][subzone] = true;
  }
  return std::nullopt;
}

}  // namespace meshroute::validate::dr
