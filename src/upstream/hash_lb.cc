#include "upstream/hash_lb.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <bit>
#include <cmath>

namespace meshroute::upstream {
namespace {

bool isPrime(uint64_t n) {
  if (n < 2) return false;
  for (uint64_t d = 2; d * d <= n; ++d) {
    if (n % d == 0) return false;
  }
  return true;
}

// A retry that must avoid the host it just tried asks again with attempt > 0: a different but
// still deterministic slot, so that every worker makes the same second choice.
uint64_t forAttempt(uint64_t hash, uint32_t attempt) {
  if (attempt == 0) return hash;
  uint64_t z = hash + attempt * 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Each candidate's weight over the candidates' total.
std::vector<double> shares(const EndpointSet& set, const std::vector<uint32_t>& hosts) {
  double total = 0;
  for (uint32_t h : hosts) total += set.host(h).weight;
  std::vector<double> out;
  out.reserve(hosts.size());
  for (uint32_t h : hosts) out.push_back(set.host(h).weight / total);
  return out;
}

}  // namespace

uint64_t xxHash64(std::string_view data, uint64_t seed) {
  return XXH64(data.data(), data.size(), seed);
}

std::string hostKey(const HostRef& host) {
  std::string out;
  const bool v6 = host.address.find(':') != std::string::npos;
  out.reserve(host.address.size() + 8);
  if (v6) out += '[';
  out += host.address;
  if (v6) out += ']';
  out += ':';
  out += std::to_string(host.port);
  return out;
}

RingHash::RingHash(const EndpointSet& set, uint64_t minimum_ring_size)
    : RingHash(set, candidatesOf(set), minimum_ring_size) {}

RingHash::RingHash(const EndpointSet& set, const std::vector<uint32_t>& hosts,
                   uint64_t minimum_ring_size) {
  if (hosts.empty()) return;
  uint64_t total_weight = 0;
  for (uint32_t h : hosts) total_weight += set.host(h).weight;
  const uint64_t min_size = minimum_ring_size == 0 ? kDefaultMinimumRingSize : minimum_ring_size;
  // Entries per unit of weight: enough for the minimum size, rounded up to a power of two so
  // that it stays put as endpoints come and go. Envoy re-divides the ring among the endpoints
  // instead, so each keeps fewer entries when one is added and keys move between old endpoints
  // too (about 30% of them for a fifth endpoint, where 20% must move); here only the keys the
  // new endpoint takes move.
  uint64_t per_weight =
      std::bit_ceil(std::max<uint64_t>(1, (min_size + total_weight - 1) / total_weight));
  while (per_weight > 1 && total_weight * per_weight > kMaximumRingSize) per_weight /= 2;
  // Weights beyond the cap: scaled down, each endpoint keeping at least one entry.
  const double scale =
      total_weight * per_weight > kMaximumRingSize
          ? static_cast<double>(kMaximumRingSize) / static_cast<double>(total_weight)
          : static_cast<double>(per_weight);
  std::string key;
  for (uint32_t h : hosts) {
    const auto entries = std::max<uint64_t>(1, static_cast<uint64_t>(scale * set.host(h).weight));
    key = hostKey(set.host(h));
    key += '_';
    const size_t stem = key.size();
    for (uint64_t n = 0; n < entries; ++n) {
      key.resize(stem);
      key += std::to_string(n);
      ring_.push_back({xxHash64(key), h});
    }
  }
  std::sort(ring_.begin(), ring_.end(), [](const Entry& a, const Entry& b) {
    return a.hash != b.hash ? a.hash < b.hash : a.host < b.host;
  });
}

int RingHash::pick(core::Random& random, const PickContext& context) {
  if (ring_.empty()) return -1;
  const uint64_t h = context.hash ? *context.hash : random.next();
  // The first entry at or after the key's position, wrapping past the end. A binary search
  // without branches: the key is random, so a branch would be mispredicted every other step.
  const Entry* base = ring_.data();
  for (size_t n = ring_.size(); n > 1;) {
    const size_t half = n / 2;
    base = base[half].hash < h ? base + half : base;
    n -= half;
  }
  size_t index = static_cast<size_t>(base - ring_.data()) + (base->hash < h ? 1 : 0);
  if (index == ring_.size()) index = 0;
  index = (index + context.attempt) % ring_.size();  // a retry walks on to the next entry
  return static_cast<int>(ring_[index].host);
}

Maglev::Maglev(const EndpointSet& set, uint64_t table_size)
    : Maglev(set, candidatesOf(set), table_size) {}

Maglev::Maglev(const EndpointSet& set, const std::vector<uint32_t>& hosts, uint64_t table_size) {
  if (hosts.empty()) return;
  uint64_t m = table_size == 0 ? kDefaultMaglevTableSize : table_size;
  m = std::min(m, kMaximumMaglevTableSize);
  while (!isPrime(m)) ++m;  // the permutations below cover every slot only for a prime size
  const std::vector<double> share = shares(set, hosts);
  const double heaviest = *std::max_element(share.begin(), share.end());

  // Each endpoint walks its own permutation of the slots (offset, then steps of skip), taking
  // the next free one on its turn; a lighter endpoint gets a turn in proportion to its weight.
  struct Walker {
    uint64_t slot;  // the next slot to try: offset, offset + skip, ... modulo m
    uint64_t skip;
    double weight;  // over the heaviest's: 1 takes a slot every round
    uint64_t taken = 0;
  };
  std::vector<Walker> walkers;
  walkers.reserve(hosts.size());
  for (size_t i = 0; i < hosts.size(); ++i) {
    const std::string key = hostKey(set.host(hosts[i]));
    walkers.push_back(
        {xxHash64(key, 0) % m, xxHash64(key, 1) % (m - 1) + 1, share[i] / heaviest, 0});
  }
  constexpr uint32_t kFree = UINT32_MAX;
  table_.assign(m, kFree);
  uint64_t filled = 0;
  for (uint64_t round = 1; filled < m; ++round) {
    for (size_t i = 0; i < walkers.size() && filled < m; ++i) {
      Walker& w = walkers[i];
      if (static_cast<double>(w.taken + 1) > static_cast<double>(round) * w.weight) continue;
      while (table_[w.slot] != kFree) {
        w.slot += w.skip;
        if (w.slot >= m) w.slot -= m;
      }
      table_[w.slot] = hosts[i];
      ++w.taken;
      ++filled;
    }
  }
}

int Maglev::pick(core::Random& random, const PickContext& context) {
  if (table_.empty()) return -1;
  const uint64_t h = context.hash ? *context.hash : random.next();
  return static_cast<int>(table_[forAttempt(h, context.attempt) % table_.size()]);
}

}  // namespace meshroute::upstream
