// Randomness as an injected value: each worker owns one generator (no shared state, no lock),
// and tests seed it to make weighted splits and load balancing deterministic.
#pragma once

#include <cstdint>

namespace meshroute::core {

// xoshiro256** seeded through splitmix64: fast, small, and good enough for traffic splitting
// and load balancing (not for secrets).
class Random {
 public:
  explicit Random(uint64_t seed) {
    for (auto& word : s_) word = splitmix(seed);
  }
  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, 1).
  double uniform01() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Uniform in [0, n); 0 when n == 0.
  uint64_t below(uint64_t n) {
    if (n == 0) return 0;
    // Lemire's multiply-shift: unbiased enough for n far below 2^64.
    return static_cast<uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static uint64_t splitmix(uint64_t& x) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t s_[4]{};
};

}  // namespace meshroute::core
