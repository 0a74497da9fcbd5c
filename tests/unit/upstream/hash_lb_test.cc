#include "upstream/hash_lb.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace meshroute::upstream {
namespace {

std::vector<HostRef> hosts(size_t n, std::vector<uint32_t> weights = {}) {
  std::vector<HostRef> out;
  for (size_t i = 0; i < n; ++i) {
    HostRef h;
    h.address = "10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1);
    h.port = 8080;
    h.weight = weights.empty() ? 1 : weights[i];
    out.push_back(h);
  }
  return out;
}

// Key i's hash: what a request with header value "user-i" hashes to.
uint64_t key(int i) { return xxHash64("user-" + std::to_string(i)); }

int pickKey(LoadBalancer& lb, uint64_t hash, uint32_t attempt = 0) {
  core::Random unused(1);
  return lb.pick(unused, PickContext{hash, attempt});
}

std::map<int, double> shares(LoadBalancer& lb, int keys) {
  std::map<int, double> out;
  for (int i = 0; i < keys; ++i) out[pickKey(lb, key(i))] += 1.0 / keys;
  return out;
}

// The endpoint addresses keys land on, before and after a change of the set.
std::vector<std::string> placement(LoadBalancer& lb, const EndpointSet& set, int keys) {
  std::vector<std::string> out;
  for (int i = 0; i < keys; ++i) out.push_back(hostKey(set.host(pickKey(lb, key(i)))));
  return out;
}

TEST(UpstreamHashLb, HostKeyIsTheAddressEnvoyHashes) {
  HostRef v4{"10.0.0.1", 8080, 1, true};
  HostRef v6{"fd00::1", 80, 1, true};
  EXPECT_EQ(hostKey(v4), "10.0.0.1:8080");
  EXPECT_EQ(hostKey(v6), "[fd00::1]:80");
}

TEST(UpstreamHashLb, EmptySetPicksNothing) {
  EndpointSet set;
  RingHash ring(set, 0);
  Maglev maglev(set, 0);
  EXPECT_EQ(pickKey(ring, 42), -1);
  EXPECT_EQ(pickKey(maglev, 42), -1);
}

TEST(UpstreamHashLb, EveryWorkerMapsAKeyToTheSameEndpoint) {
  EndpointSet set(hosts(5));
  RingHash ring_a(set, 0);
  RingHash ring_b(set, 0);
  Maglev maglev_a(set, 0);
  Maglev maglev_b(set, 0);
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(pickKey(ring_a, key(i)), pickKey(ring_b, key(i)));
    EXPECT_EQ(pickKey(maglev_a, key(i)), pickKey(maglev_b, key(i)));
  }
}

TEST(UpstreamHashLb, RingSizeIsAPowerOfTwoPerUnitOfWeight) {
  EndpointSet three(hosts(3));
  EXPECT_EQ(RingHash(three, 0).ringSize(), 3u * 512);  // 1024/3 per endpoint, rounded up
  EXPECT_EQ(RingHash(three, 30).ringSize(), 3u * 16);
  EXPECT_EQ(RingHash(EndpointSet(hosts(4)), 0).ringSize(), 4u * 256);
  EXPECT_EQ(RingHash(EndpointSet(hosts(5)), 0).ringSize(), 5u * 256);  // the same 256 each
  // Weights 1 and 1000: 2 entries per unit reach 1024.
  EXPECT_EQ(RingHash(EndpointSet(hosts(2, {1, 1000})), 0).ringSize(), 2002u);
}

TEST(UpstreamHashLb, MaglevTableIsPrime) {
  EndpointSet set(hosts(3));
  EXPECT_EQ(Maglev(set, 0).tableSize(), 65537u);
  EXPECT_EQ(Maglev(set, 1000).tableSize(), 1009u);
  EXPECT_EQ(Maglev(set, 251).tableSize(), 251u);
}

TEST(UpstreamHashLb, KeysSpreadByWeight) {
  EndpointSet even(hosts(3));
  RingHash ring(even, 0);
  Maglev maglev(even, 0);
  // About 342 ring entries each: an endpoint's share of the ring varies by ~5% of itself.
  for (auto [host, share] : shares(ring, 30000)) EXPECT_NEAR(share, 1.0 / 3, 0.08) << host;
  // Maglev's table splits evenly to a slot; what varies is the 30,000-key sample (0.3 points).
  for (auto [host, share] : shares(maglev, 30000)) EXPECT_NEAR(share, 1.0 / 3, 0.02) << host;

  EndpointSet weighted(hosts(2, {1, 3}));
  RingHash wring(weighted, 0);
  Maglev wmaglev(weighted, 0);
  EXPECT_NEAR(shares(wring, 30000)[1], 0.75, 0.08);
  EXPECT_NEAR(shares(wmaglev, 30000)[1], 0.75, 0.02);
}

// What adding an eleventh endpoint to ten does to 20,000 keys: the share that moved, and the
// share that moved to the new endpoint.
struct Moves {
  double moved = 0;
  double to_new = 0;
};
template <class Balancer>
Moves addEleventh() {
  std::vector<HostRef> eleven = hosts(11);
  EndpointSet before(std::vector<HostRef>(eleven.begin(), eleven.begin() + 10));
  EndpointSet after(eleven);
  Balancer lb_before(before, 0);
  Balancer lb_after(after, 0);
  const int keys = 20000;
  auto a = placement(lb_before, before, keys);
  auto b = placement(lb_after, after, keys);
  const std::string added = hostKey(eleven[10]);
  Moves m;
  for (int i = 0; i < keys; ++i) {
    if (a[i] == b[i]) continue;
    m.moved += 1.0 / keys;
    if (b[i] == added) m.to_new += 1.0 / keys;
  }
  return m;
}

TEST(UpstreamHashLb, RingHashMovesOnlyTheNewEndpointsKeys) {
  const Moves m = addEleventh<RingHash>();
  EXPECT_DOUBLE_EQ(m.moved, m.to_new);  // no key moves between old endpoints
  // About 1/11 (9.1%); the new endpoint's share of the ring varies like any other's.
  EXPECT_NEAR(m.moved, 1.0 / 11, 0.04);
}

TEST(UpstreamHashLb, MaglevMovesAboutOneNth) {
  const Moves m = addEleventh<Maglev>();
  // Maglev trades a little disruption for its even split: most moves go to the new endpoint.
  EXPECT_NEAR(m.to_new, 1.0 / 11, 0.01);
  EXPECT_LT(m.moved, 0.15);
}

TEST(UpstreamHashLb, UnhealthyEndpointsAreSkippedUntilNoneIsHealthy) {
  std::vector<HostRef> h = hosts(3);
  h[1].healthy = false;
  EndpointSet set(h);
  RingHash ring(set, 0);
  Maglev maglev(set, 0);
  for (int i = 0; i < 2000; ++i) {
    EXPECT_NE(pickKey(ring, key(i)), 1);
    EXPECT_NE(pickKey(maglev, key(i)), 1);
  }
  for (auto& host : h) host.healthy = false;
  EndpointSet none(h);
  RingHash panic(none, 0);
  EXPECT_EQ(shares(panic, 3000).size(), 3u);  // panic: every endpoint, rather than none
}

TEST(UpstreamHashLb, NoKeyPicksAtRandom) {
  EndpointSet set(hosts(4));
  RingHash ring(set, 0);
  core::Random random(3);
  std::map<int, int> seen;
  for (int i = 0; i < 400; ++i) seen[ring.pick(random, PickContext{})]++;
  EXPECT_EQ(seen.size(), 4u);
}

TEST(UpstreamHashLb, ARetryMovesOnDeterministically) {
  EndpointSet set(hosts(5));
  RingHash ring(set, 0);
  Maglev maglev(set, 0);
  int ring_moved = 0;
  int maglev_moved = 0;
  for (int i = 0; i < 200; ++i) {
    ring_moved += pickKey(ring, key(i), 1) != pickKey(ring, key(i), 0);
    maglev_moved += pickKey(maglev, key(i), 1) != pickKey(maglev, key(i), 0);
    EXPECT_EQ(pickKey(ring, key(i), 1), pickKey(ring, key(i), 1));
  }
  // The next ring entry belongs to another endpoint about 4 times in 5.
  EXPECT_GT(ring_moved, 120);
  EXPECT_GT(maglev_moved, 120);
}

}  // namespace
}  // namespace meshroute::upstream
