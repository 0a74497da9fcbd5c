#include "upstream/dns_endpoints.h"

#include <gtest/gtest.h>

#include <map>

#include "runtime/dns_resolver.h"

namespace meshroute::upstream {
namespace {

registry::Endpoint endpoint(const std::string& address, uint32_t weight = 1) {
  registry::Endpoint e;
  e.address = address;
  e.weight = weight;
  e.locality = "us-east/zone-a";
  return e;
}

struct Fixture {
  registry::Service service;
  std::vector<registry::Endpoint> endpoints;
  std::map<std::string, std::vector<std::string>> answers;

  routing::DestinationResolution resolution() const {
    routing::DestinationResolution r;
    r.service = &service;
    for (const auto& e : endpoints) r.endpoints.push_back(&e);
    return r;
  }
  DnsLookup lookup() const {
    return [this](const std::string& name) -> const std::vector<std::string>* {
      auto it = answers.find(name);
      return it == answers.end() ? nullptr : &it->second;
    };
  }
};

std::vector<std::string> addresses(const routing::DestinationResolution& r) {
  std::vector<std::string> out;
  for (const auto* e : r.endpoints) out.push_back(e->address);
  return out;
}

TEST(UpstreamDnsEndpoints, StrictDnsMakesEveryAddressAnEndpoint) {
  Fixture f;
  f.service.resolution = registry::Resolution::kDns;
  f.endpoints = {endpoint("api.example.com", 3), endpoint("10.0.0.9")};
  f.answers["api.example.com"] = {"192.0.2.1", "192.0.2.2"};
  ASSERT_TRUE(usesDns(f.resolution()));
  std::deque<registry::Endpoint> storage;
  const auto r = expandDnsEndpoints(f.resolution(), f.lookup(), storage);
  EXPECT_EQ(addresses(r), (std::vector<std::string>{"192.0.2.1", "192.0.2.2", "10.0.0.9"}));
  // Each address keeps what the name's endpoint said of it.
  EXPECT_EQ(r.endpoints[0]->weight, 3u);
  EXPECT_EQ(r.endpoints[1]->locality, "us-east/zone-a");
  EXPECT_EQ(r.endpoints[1]->hostname, "api.example.com");
  EXPECT_EQ(r.endpoints[2]->hostname, "");
  EXPECT_EQ(r.status, routing::DestinationStatus::kOk);
}

TEST(UpstreamDnsEndpoints, LogicalDnsTakesTheFirstAddress) {
  Fixture f;
  f.service.resolution = registry::Resolution::kDnsRoundRobin;
  f.endpoints = {endpoint("api.example.com")};
  f.answers["api.example.com"] = {"192.0.2.7", "192.0.2.1"};
  std::deque<registry::Endpoint> storage;
  EXPECT_EQ(addresses(expandDnsEndpoints(f.resolution(), f.lookup(), storage)),
            std::vector<std::string>{"192.0.2.7"});
}

TEST(UpstreamDnsEndpoints, AClusterWhoseNamesDoNotResolveHasNoHealthyUpstream) {
  Fixture f;
  f.service.resolution = registry::Resolution::kDns;
  f.endpoints = {endpoint("missing.example.com")};
  std::deque<registry::Endpoint> storage;
  const auto r = expandDnsEndpoints(f.resolution(), f.lookup(), storage);
  EXPECT_TRUE(r.endpoints.empty());
  EXPECT_EQ(r.status, routing::DestinationStatus::kNoHealthyUpstream);
  EXPECT_EQ(r.problem, "missing.example.com does not resolve");
}

TEST(UpstreamDnsEndpoints, StaticServicesAreLeftAlone) {
  Fixture f;
  f.service.resolution = registry::Resolution::kStatic;
  f.endpoints = {endpoint("10.0.0.1")};
  EXPECT_FALSE(usesDns(f.resolution()));
  f.service.resolution = registry::Resolution::kDns;
  EXPECT_FALSE(usesDns(f.resolution()));  // an address needs no lookup
}

TEST(UpstreamDnsEndpoints, NamesToResolveAreCollectedOnce) {
  registry::Service a;
  a.resolution = registry::Resolution::kDns;
  a.endpoints = {endpoint("b.example.com"), endpoint("a.example.com"), endpoint("10.1.1.1")};
  registry::Service b = a;
  b.resolution = registry::Resolution::kDnsRoundRobin;
  registry::Service c;
  c.resolution = registry::Resolution::kStatic;
  c.endpoints = {endpoint("c.example.com")};
  EXPECT_EQ(dnsNames({a, b, c}), (std::vector<std::string>{"a.example.com", "b.example.com"}));
}

TEST(RuntimeDnsRefresh, TtlFlooredAtTheMinimumThenFailuresBackOff) {
  using std::chrono::milliseconds;
  runtime::DnsRefreshPolicy policy;  // 5 s floor, 60 s refresh: Envoy's and Istio's defaults
  runtime::DnsAnswer answer;
  answer.ttl = std::chrono::seconds(30);
  EXPECT_EQ(runtime::nextLookupIn(answer, 0, policy), milliseconds(30000));
  answer.ttl = std::chrono::seconds(1);
  EXPECT_EQ(runtime::nextLookupIn(answer, 0, policy), milliseconds(5000));
  answer.ttl = std::chrono::seconds(3600);
  EXPECT_EQ(runtime::nextLookupIn(answer, 0, policy), milliseconds(3600000));
  EXPECT_EQ(runtime::nextLookupIn(answer, 1, policy), milliseconds(5000));
  EXPECT_EQ(runtime::nextLookupIn(answer, 2, policy), milliseconds(10000));
  EXPECT_EQ(runtime::nextLookupIn(answer, 4, policy), milliseconds(40000));
  EXPECT_EQ(runtime::nextLookupIn(answer, 9, policy), milliseconds(60000));
}

}  // namespace
}  // namespace meshroute::upstream
