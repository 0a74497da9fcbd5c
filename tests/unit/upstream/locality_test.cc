#include "upstream/locality.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "upstream/priority_lb.h"

namespace meshroute::upstream {
namespace {

using Labels = std::map<std::string, std::string>;

struct Endpoints {
  std::vector<Labels> labels;
  std::vector<LocalityEndpoint> list;
  Endpoints(std::initializer_list<std::pair<const char*, Labels>> eps) {
    for (const auto& [locality, l] : eps) {
      labels.push_back(withTopologyLabels(l, Locality::parse(locality), ""));
      list.push_back({Locality::parse(locality), nullptr, 1});
    }
    for (size_t i = 0; i < list.size(); ++i) list[i].labels = &labels[i];
  }
};

api::LocalityLoadBalancerSetting enabled() {
  api::LocalityLoadBalancerSetting s;
  s.enabled = true;
  return s;
}

TEST(Locality, ParsesAndPrintsLabels) {
  const Locality l = Locality::parse("us-east/us-east-1a/rack7");
  EXPECT_EQ(l.region, "us-east");
  EXPECT_EQ(l.zone, "us-east-1a");
  EXPECT_EQ(l.subzone, "rack7");
  EXPECT_EQ(l.label(), "us-east/us-east-1a/rack7");
  EXPECT_EQ(Locality::parse("us").label(), "us");
  EXPECT_EQ(Locality::parse("us/a").label(), "us/a");
  EXPECT_EQ(Locality::parse("us/a/").label(), "us/a");  // a Node without a subzone label
  EXPECT_TRUE(Locality::parse("").empty());
}

TEST(Locality, MatchesPatternsWithWildcardsAndMissingParts) {
  const Locality l = Locality::parse("us/a/1");
  EXPECT_TRUE(localityMatches(l, "us/a/1"));
  EXPECT_TRUE(localityMatches(l, "us/a/*"));
  EXPECT_TRUE(localityMatches(l, "us/*"));
  EXPECT_TRUE(localityMatches(l, "us"));
  EXPECT_TRUE(localityMatches(l, "*"));
  EXPECT_FALSE(localityMatches(l, "us/b/*"));
  EXPECT_FALSE(localityMatches(l, "eu/*"));
  EXPECT_FALSE(localityMatches(l, "us/a/2"));
}

TEST(Locality, DefaultFailoverRanksBySubzoneZoneRegion) {
  Endpoints eps{{"us/a/1", {}}, {"us/a/2", {}}, {"us/b/1", {}}, {"eu/x/1", {}}};
  const auto setting = enabled();
  const LocalityPlacement p =
      placeLocalities(Locality::parse("us/a/1"), {}, eps.list, &setting, /*failover=*/true);
  ASSERT_TRUE(p.active);
  EXPECT_EQ(p.priority, (std::vector<uint32_t>{0, 1, 2, 3}));
  EXPECT_FALSE(p.locality_weighted);  // Istio sets no locality weights for the default
  EXPECT_EQ(p.priorityCount(), 4U);
}

TEST(Locality, PrioritiesAreDenseWhenLevelsAreMissing) {
  Endpoints eps{{"us/a/1", {}}, {"eu/x/1", {}}};
  const auto setting = enabled();
  const LocalityPlacement p =
      placeLocalities(Locality::parse("us/a/1"), {}, eps.list, &setting, true);
  EXPECT_EQ(p.priority, (std::vector<uint32_t>{0, 1}));
}

TEST(Locality, FailoverWithoutOutlierDetectionOrDisabledDoesNothing) {
  Endpoints eps{{"us/a/1", {}}, {"eu/x/1", {}}};
  auto setting = enabled();
  EXPECT_FALSE(placeLocalities(Locality::parse("us/a/1"), {}, eps.list, &setting, false).active);
  setting.enabled = false;
  EXPECT_FALSE(placeLocalities(Locality::parse("us/a/1"), {}, eps.list, &setting, true).active);
  EXPECT_FALSE(placeLocalities(Locality::parse("us/a/1"), {}, eps.list, nullptr, true).active);
}

TEST(Locality, ExplicitFailoverPutsItsTargetRegionBeforeTheOthers) {
  // Istio's locality failover task: region1 fails over to region3 before region2.
  Endpoints eps{{"region1/zone1/sub1", {}},
                {"region1/zone2/sub2", {}},
                {"region2/zone3/sub3", {}},
                {"region3/zone4/sub4", {}}};
  auto setting = enabled();
  setting.failover.push_back({});
  setting.failover.back().from = "region1";
  setting.failover.back().to = "region3";
  const LocalityPlacement p =
      placeLocalities(Locality::parse("region1/zone1/sub1"), {}, eps.list, &setting, true);
  EXPECT_EQ(p.priority, (std::vector<uint32_t>{0, 1, 3, 2}));
  EXPECT_TRUE(p.locality_weighted);
}

TEST(Locality, FailoverPriorityRanksByTheFirstLabelThatDiffers) {
  Endpoints eps{{"", {{"net", "n1"}, {"tier", "gold"}}},
                {"", {{"net", "n1"}, {"tier", "silver"}}},
                {"", {{"net", "n2"}, {"tier", "gold"}}}};
  auto setting = enabled();
  setting.failover_priority = {"net", "tier"};
  const Labels proxy{{"net", "n1"}, {"tier", "gold"}};
  LocalityPlacement p = placeLocalities({}, proxy, eps.list, &setting, true);
  EXPECT_EQ(p.priority, (std::vector<uint32_t>{0, 1, 2}));
  // "label=value" compares with that value, not the proxy's.
  setting.failover_priority = {"net", "tier=silver"};
  p = placeLocalities({}, proxy, eps.list, &setting, true);
  EXPECT_EQ(p.priority, (std::vector<uint32_t>{1, 0, 2}));
  // Topology labels come from the locality.
  Endpoints located{{"us/a/1", {}}, {"us/b/1", {}}, {"eu/c/1", {}}};
  setting.failover_priority = {"topology.kubernetes.io/region", "topology.kubernetes.io/zone"};
  const Labels proxy_labels = withTopologyLabels({{"app", "x"}}, Locality::parse("us/a/1"), "");
  p = placeLocalities(Locality::parse("us/a/1"), proxy_labels, located.list, &setting, true);
  EXPECT_EQ(p.priority, (std::vector<uint32_t>{0, 1, 2}));
}

TEST(Locality, DistributeWeighsNamedLocalitiesAndDropsTheRest) {
  Endpoints eps{{"us/a/1", {}}, {"us/a/1", {}}, {"us/b/1", {}}, {"eu/x/1", {}}};
  auto setting = enabled();
  api::LocalityDistribute d;
  d.from = "us/a/*";
  d.to = {{"us/a/*", 80}, {"us/b/*", 20}};
  setting.distribute.push_back(d);
  const LocalityPlacement p =
      placeLocalities(Locality::parse("us/a/1"), {}, eps.list, &setting, /*failover=*/false);
  ASSERT_TRUE(p.active);
  EXPECT_TRUE(p.locality_weighted);
  EXPECT_EQ(p.locality_weight, (std::vector<uint32_t>{80, 80, 20, 1}));
  EXPECT_EQ(p.dropped, (std::vector<bool>{false, false, false, true}));
  // A proxy no rule is from gets nothing of it.
  EXPECT_FALSE(placeLocalities(Locality::parse("eu/x/1"), {}, eps.list, &setting, false).active);
}

TEST(Locality, DistributeSplitsAPatternsShareByLocalityWeight) {
  Endpoints eps{{"us/a/1", {}}, {"us/a/1", {}}, {"us/b/1", {}}};
  auto setting = enabled();
  api::LocalityDistribute d;
  d.from = "*";
  d.to = {{"us/*", 100}};
  setting.distribute.push_back(d);
  const LocalityPlacement p = placeLocalities({}, {}, eps.list, &setting, false);
  EXPECT_EQ(p.locality_weight, (std::vector<uint32_t>{67, 67, 34}));  // ceil(200/3), ceil(100/3)
}

LocalityPlacement priorities(std::vector<uint32_t> priority) {
  LocalityPlacement p;
  p.active = true;
  p.priority = std::move(priority);
  p.dropped.assign(p.priority.size(), false);
  p.locality_weight.assign(p.priority.size(), 1);
  return p;
}

std::map<uint32_t, double> shareByPriority(const LoadPlan& plan) {
  std::map<uint32_t, double> out;
  for (const auto& g : plan.groups) out[g.priority] += g.share;
  return out;
}

TEST(LocalityLoad, HealthyFirstPriorityTakesEverything) {
  Endpoints eps{{"", {}}, {"", {}}, {"", {}}, {"", {}}, {"", {}}};
  const LoadPlan plan =
      planLoad(priorities({0, 0, 0, 1, 1}), eps.list, {true, true, true, true, true});
  EXPECT_EQ(shareByPriority(plan), (std::map<uint32_t, double>{{0, 1.0}}));
  EXPECT_EQ(plan.groups[0].hosts, (std::vector<uint32_t>{0, 1, 2}));
}

TEST(LocalityLoad, APriorityBelowItsOverprovisionedHealthSpillsOver) {
  Endpoints eps{{"", {}}, {"", {}}, {"", {}}, {"", {}}, {"", {}}};
  // Two of three healthy: 140 * 2 / 3 = 93% stays, 7% goes to the next priority.
  LoadPlan plan = planLoad(priorities({0, 0, 0, 1, 1}), eps.list, {true, true, false, true, true});
  auto share = shareByPriority(plan);
  EXPECT_DOUBLE_EQ(share[0], 0.93);
  EXPECT_DOUBLE_EQ(share[1], 0.07);
  EXPECT_EQ(plan.groups[0].hosts, (std::vector<uint32_t>{0, 1}));
  // The first priority gone: all to the next.
  plan = planLoad(priorities({0, 0, 0, 1, 1}), eps.list, {false, false, false, true, true});
  EXPECT_EQ(shareByPriority(plan), (std::map<uint32_t, double>{{1, 1.0}}));
}

TEST(LocalityLoad, NothingHealthyPanicsByEndpointCount) {
  Endpoints eps{{"", {}}, {"", {}}, {"", {}}, {"", {}}, {"", {}}};
  const LoadPlan plan =
      planLoad(priorities({0, 0, 0, 1, 1}), eps.list, std::vector<bool>(5, false));
  EXPECT_TRUE(plan.panic);
  auto share = shareByPriority(plan);
  EXPECT_DOUBLE_EQ(share[0], 0.6);
  EXPECT_DOUBLE_EQ(share[1], 0.4);
  EXPECT_EQ(plan.groups[0].hosts.size(), 3U);
}

TEST(LocalityLoad, ExcludedPrioritiesGiveTheirLoadToTheOthers) {
  Endpoints eps{{"", {}}, {"", {}}, {"", {}}, {"", {}}, {"", {}}};
  const std::vector<bool> all(5, true);
  // retryRemoteLocalities: priority 0 tried, so the retry goes to priority 1 though 0 is healthy.
  EXPECT_EQ(shareByPriority(planLoad(priorities({0, 0, 1, 1, 2}), eps.list, all, 0b1)),
            (std::map<uint32_t, double>{{1, 1.0}}));
  EXPECT_EQ(shareByPriority(planLoad(priorities({0, 0, 1, 1, 2}), eps.list, all, 0b11)),
            (std::map<uint32_t, double>{{2, 1.0}}));
  // Nothing left: Envoy starts over, which the caller does when told.
  const LoadPlan none = planLoad(priorities({0, 0, 1, 1, 2}), eps.list, all, 0b111);
  EXPECT_TRUE(none.exhausted);
  EXPECT_TRUE(none.groups.empty());
}

TEST(LocalityLoad, PrioritiesAreExcludedEverySecondAttempt) {
  // istiod's update frequency of 2: the first two attempts use the plain load; the third
  // avoids what the first two tried; the fourth keeps that; the fifth adds what came since.
  EXPECT_EQ(prioritiesToExclude(0, 0, 0), 0U);
  EXPECT_EQ(prioritiesToExclude(1, 0b1, 0), 0U);
  EXPECT_EQ(prioritiesToExclude(2, 0b1, 0), 0b1U);
  EXPECT_EQ(prioritiesToExclude(3, 0b11, 0b1), 0b1U);
  EXPECT_EQ(prioritiesToExclude(4, 0b11, 0b1), 0b11U);
}

TEST(LocalityLoad, LocalityWeightsScaleWithTheirHealth) {
  Endpoints eps{{"us/a", {}}, {"us/a", {}}, {"us/b", {}}};
  LocalityPlacement p = priorities({0, 0, 0});
  p.locality_weighted = true;
  p.locality_weight = {80, 80, 20};
  LoadPlan plan = planLoad(p, eps.list, {true, true, true});
  ASSERT_EQ(plan.groups.size(), 2U);
  EXPECT_DOUBLE_EQ(plan.groups[0].share, 0.8);
  EXPECT_DOUBLE_EQ(plan.groups[1].share, 0.2);
  // Half of us/a down: its weight times min(1, 1.4 * 1/2) = 56 against 20.
  plan = planLoad(p, eps.list, {true, false, true});
  EXPECT_NEAR(plan.groups[0].share, 56.0 / 76, 1e-9);
  EXPECT_EQ(plan.groups[0].hosts, (std::vector<uint32_t>{0}));
}

TEST(LocalityLoad, DroppedEndpointsNeverTakeTraffic) {
  Endpoints eps{{"us/a", {}}, {"eu/b", {}}};
  LocalityPlacement p = priorities({0, 0});
  p.dropped = {false, true};
  const LoadPlan plan = planLoad(p, eps.list, {true, true});
  ASSERT_EQ(plan.groups.size(), 1U);
  EXPECT_EQ(plan.groups[0].hosts, (std::vector<uint32_t>{0}));
}

TEST(PriorityBalancer, PicksGroupsByShareAndHashesStickily) {
  std::vector<HostRef> hosts(4);
  for (size_t i = 0; i < hosts.size(); ++i) hosts[i].address = "10.0.0." + std::to_string(i + 1);
  EndpointSet set(hosts);
  core::Random seed(7);
  std::vector<PriorityBalancer::Group> groups;
  groups.push_back({0.75, makeLoadBalancer("ROUND_ROBIN", set, {0, 1}, 2, seed)});
  groups.push_back({0.25, makeLoadBalancer("ROUND_ROBIN", set, {2, 3}, 2, seed)});
  PriorityBalancer lb(std::move(groups));
  core::Random random(42);
  int first = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) first += lb.pick(random) <= 1 ? 1 : 0;
  EXPECT_NEAR(static_cast<double>(first) / n, 0.75, 0.02);
  // A hashed request goes to the same group every time.
  const int a = lb.pick(random, PickContext{0x1234567890abcdefULL, 0}) <= 1 ? 0 : 1;
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(lb.pick(random, PickContext{0x1234567890abcdefULL, 0}) <= 1 ? 0 : 1, a);
  }
}

}  // namespace
}  // namespace meshroute::upstream
