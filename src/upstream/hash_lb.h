// Consistent hashing over one cluster's endpoints, for Istio's loadBalancer.consistentHash: a
// ring (Envoy's RING_HASH, Istio's default and ringHash) or a Maglev table (maglev). Both are
// built once per endpoint set from the endpoints' addresses alone, so every worker and every
// restart sends a key to the same endpoint, and adding an endpoint moves only the keys that land
// on it. A pick is a binary search (ring) or one index (Maglev), whatever the endpoint count.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "upstream/load_balancer.h"

namespace meshroute::upstream {

// Envoy's defaults and limits.
inline constexpr uint64_t kDefaultMinimumRingSize = 1024;
inline constexpr uint64_t kMaximumRingSize = 8388608;  // 8 Mi
inline constexpr uint64_t kDefaultMaglevTableSize = 65537;
inline constexpr uint64_t kMaximumMaglevTableSize = 5000011;

// 64-bit xxHash, the hash Envoy uses for hash keys and ring positions.
uint64_t xxHash64(std::string_view data, uint64_t seed = 0);

// What identifies an endpoint on the ring: "10.0.0.1:8080", "[fd00::1]:8080".
std::string hostKey(const HostRef& host);

class RingHash final : public LoadBalancer {
 public:
  // `minimum_ring_size`: entries at least (0: Envoy's 1024). Each endpoint gets entries in
  // proportion to its weight, a power of two per unit of weight, up to kMaximumRingSize in all.
  RingHash(const EndpointSet& set, uint64_t minimum_ring_size);
  // Over `hosts` only (indices into `set`): one priority of a locality-aware cluster.
  RingHash(const EndpointSet& set, const std::vector<uint32_t>& hosts, uint64_t minimum_ring_size);
  int pick(core::Random& random, const PickContext& context) override;
  [[nodiscard]] size_t ringSize() const { return ring_.size(); }

 private:
  struct Entry {
    uint64_t hash;
    uint32_t host;
  };
  std::vector<Entry> ring_;  // sorted by hash
};

class Maglev final : public LoadBalancer {
 public:
  // `table_size`: 0 means Envoy's 65537. Maglev needs a prime; any other size is raised to the
  // next prime (validation warns about it), capped at kMaximumMaglevTableSize.
  Maglev(const EndpointSet& set, uint64_t table_size);
  Maglev(const EndpointSet& set, const std::vector<uint32_t>& hosts, uint64_t table_size);
  int pick(core::Random& random, const PickContext& context) override;
  [[nodiscard]] size_t tableSize() const { return table_.size(); }

 private:
  std::vector<uint32_t> table_;  // slot -> endpoint index; empty when there is no endpoint
};

}  // namespace meshroute::upstream
