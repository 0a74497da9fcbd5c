#include <gtest/gtest.h>

#include <string>

#include "validate/destination_rule_lb.h"
#include "validate_test_util.h"

namespace meshroute::validate {
namespace {

using testing::errorField;
using testing::hasError;
using testing::hasWarning;
using testing::validateYaml;

// A DestinationRule in namespace "bar" whose spec is `spec` (indented by two spaces).
core::Diagnostics validateSpec(const std::string& spec) {
  return validateYaml(
      "apiVersion: networking.istio.io/v1\n"
      "kind: DestinationRule\n"
      "metadata:\n"
      "  name: reviews\n"
      "  namespace: bar\n"
      "spec:\n" +
      spec);
}

const core::Diagnostic* findError(const core::Diagnostics& d, std::string_view text) {
  for (const auto& item : d.items()) {
    if (item.level == core::Level::kError && item.message.find(text) != std::string::npos) {
      return &item;
    }
  }
  return nullptr;
}

TEST(DestinationRuleValidation, AcceptsRuleWithSubsetsAndPolicies) {
  auto d = validateSpec(R"(  host: reviews
  trafficPolicy:
    connectionPool:
      tcp: {maxConnections: 7}
    loadBalancer:
      consistentHash:
        httpCookie: {name: user, ttl: 0s}
        maglev: {tableSize: 65537}
    outlierDetection: {minHealthPercent: 20}
  subsets:
  - name: v1
    labels: {version: v1}
    trafficPolicy:
      tls: {mode: ISTIO_MUTUAL}
)");
  EXPECT_TRUE(d.empty()) << (d.empty() ? "" : d.items()[0].message);
}

TEST(DestinationRuleValidation, RejectsEmptyHostAtHostField) {
  auto d = validateSpec("  host: \"\"\n");
  EXPECT_TRUE(hasError(d, "empty domain name not allowed"));
  EXPECT_EQ(errorField(d, "empty domain name"), "spec.host");
}

TEST(DestinationRuleValidation, RejectsEmptyTrafficPolicyAndConnectionPool) {
  EXPECT_TRUE(hasError(validateSpec("  host: reviews\n  trafficPolicy: {}\n"),
                       "traffic policy must have at least one field"));
  EXPECT_TRUE(hasError(validateSpec("  host: reviews\n  trafficPolicy: {connectionPool: {}}\n"),
                       "connection pool must have at least one field"));
}

TEST(DestinationRuleValidation, KeepsTopLevelWarningsButDropsSubsetAndPortLevelWarnings) {
  auto top = validateSpec(
      "  host: reviews\n  trafficPolicy: {outlierDetection: {consecutiveErrors: 5}}\n");
  EXPECT_TRUE(hasWarning(top, "consecutive errors is deprecated"));

  auto nested = validateSpec(R"(  host: reviews
  trafficPolicy:
    portLevelSettings:
    - port: {number: 80}
      outlierDetection: {consecutiveErrors: 5}
  subsets:
  - name: v1
    trafficPolicy: {outlierDetection: {consecutiveErrors: 5}}
)");
  EXPECT_TRUE(nested.empty());
}

TEST(DestinationRuleValidation, ReportsDuplicateSubsetNameWithPathAndLine) {
  auto d = validateSpec(R"(  host: reviews
  subsets:
  - name: v1
  - name: v1
)");
  const auto* e = findError(d, "duplicate subset names: v1");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->field, "spec.subsets[1].name");
  EXPECT_EQ(e->mark.line, 10u);
}

TEST(DestinationRuleValidation, ChecksSubsetNameAndLabels) {
  auto d = validateSpec(R"(  host: reviews
  subsets:
  - name: v_1
    labels: {"bad key!": v1, app: "-x"}
)");
  EXPECT_TRUE(hasError(d, "subset name is invalid: v_1"));
  EXPECT_TRUE(hasError(d, "invalid tag key: \"bad key!\""));
  EXPECT_TRUE(hasError(d, "invalid tag value: \"-x\""));
  EXPECT_EQ(errorField(d, "invalid tag value"), "spec.subsets[0].labels[app]");
}

TEST(DestinationRuleValidation, MaglevTableSizeMustBeAPrimeBelowLimit) {
  auto d = validateSpec(
      "  host: reviews\n  trafficPolicy:\n    loadBalancer:\n"
      "      consistentHash: {useSourceIp: true, maglev: {tableSize: 1000}}\n");
  EXPECT_TRUE(hasError(d, "tableSize must be a prime number for maglev"));
  EXPECT_EQ(errorField(d, "prime"),
            "spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize");
  EXPECT_TRUE(dr::isPrime(65537));
  EXPECT_TRUE(dr::isPrime(5000011));
  EXPECT_FALSE(dr::isPrime(0));
  EXPECT_FALSE(dr::isPrime(1000001));
  EXPECT_FALSE(dr::isPrime(4294967291ULL * 4294967279ULL));
}

TEST(DestinationRuleValidation, DeprecatedMinimumRingSizeWarnsAndConflictsWithAlgorithm) {
  auto d = validateSpec(
      "  host: reviews\n  trafficPolicy:\n    loadBalancer:\n"
      "      consistentHash: {httpHeaderName: x-user, minimumRingSize: 1024, ringHash: {}}\n");
  EXPECT_TRUE(hasWarning(d, "MinimumRingSize is deprecated"));
  EXPECT_TRUE(hasError(d, "only one of MinimumRingSize or Maglev/Ringhash can be specified"));
}

TEST(DestinationRuleValidation, LocalityDistributeWeightsMustSumTo100) {
  auto d = validateSpec(R"(  host: reviews
  trafficPolicy:
    loadBalancer:
      localityLbSetting:
        distribute:
        - from: a/b/c
          to: {a/b/c: 80, a/b1: 15}
)");
  EXPECT_TRUE(hasError(d, "total locality weight 95 != 100"));
  auto zero = validateSpec(R"(  host: reviews
  trafficPolicy:
    loadBalancer:
      localityLbSetting:
        distribute:
        - {from: a, to: {b: 0, c: 100}}
)");
  EXPECT_TRUE(hasError(zero, "locality weight must be in range [1, 100]"));
  EXPECT_EQ(errorField(zero, "range [1, 100]"),
            "spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[0].to[b]");
}

TEST(DestinationRuleValidation, LocalitiesMayNotOverlapOrMisplaceWildcards) {
  EXPECT_FALSE(dr::validateLocalities({"a/b/c", "a/b/d", "a/c", "b"}));
  EXPECT_TRUE(dr::validateLocalities({"*/zone"})->find("must be in the end") != std::string::npos);
  EXPECT_TRUE(dr::validateLocalities({"*", "a/b/c"})->find("overlap") != std::string::npos);
  EXPECT_TRUE(dr::validateLocalities({"a/b", "a/b/c"})->find("overlap") != std::string::npos);
  EXPECT_TRUE(dr::validateLocalities({"a/b/*", "a/b/c"})->find("overlap") != std::string::npos);
  EXPECT_TRUE(dr::validateLocalities({"a//c"})->find("empty region") != std::string::npos);
}

TEST(DestinationRuleValidation, FailoverWithoutOutlierDetectionOnlyWarns) {
  auto d = validateSpec(R"(  host: reviews
  trafficPolicy:
    loadBalancer:
      localityLbSetting:
        failover: [{from: us-east, to: eu-west}]
)");
  EXPECT_FALSE(d.hasErrors());
  EXPECT_TRUE(hasWarning(d, "outlier detection policy must be provided for failover"));
}

TEST(DestinationRuleValidation, ZoneAwareRejectsTopologyLabelsAndZoneFailover) {
  auto d = validateSpec(R"(  host: reviews
  trafficPolicy:
    outlierDetection: {}
    loadBalancer:
      zoneAwareLbSetting:
        failover: [{from: region1, to: region2/zone1}]
        failoverPriority: [version, topology.kubernetes.io/zone]
)");
  EXPECT_TRUE(hasError(d, "must not use topology label 'topology.kubernetes.io/zone'"));
  EXPECT_EQ(errorField(d, "topology label"),
            "spec.trafficPolicy.loadBalancer.zoneAwareLbSetting.failoverPriority[1]");
  EXPECT_TRUE(hasError(d, "zone aware lb failover only specifies region"));
}

TEST(DestinationRuleValidation, MutualTlsNeedsCertificateAndKeyUnlessCredentialName) {
  auto d = validateSpec("  host: reviews\n  trafficPolicy: {tls: {mode: MUTUAL}}\n");
  EXPECT_TRUE(hasError(d, "client certificate required for mutual tls"));
  EXPECT_TRUE(hasError(d, "private key required for mutual tls"));
  auto cred = validateSpec(
      "  host: reviews\n  trafficPolicy: {tls: {mode: MUTUAL, credentialName: c, privateKey: "
      "k}}\n");
  EXPECT_TRUE(hasError(cred, "cannot specify client certificates or CA certificate"));
  EXPECT_FALSE(hasError(cred, "private key required"));
}

TEST(DestinationRuleValidation, InsecureSkipVerifyConflictsWithCaCertificates) {
  auto d = validateSpec(
      "  host: reviews\n  trafficPolicy:\n"
      "    tls: {mode: SIMPLE, caCertificates: ca, insecureSkipVerify: true}\n");
  EXPECT_TRUE(hasError(d, "when InsecureSkipVerify is set true"));
  EXPECT_EQ(errorField(d, "InsecureSkipVerify"), "spec.trafficPolicy.tls.insecureSkipVerify");
}

TEST(DestinationRuleValidation, ConfigMapCredentialMustBeInOwnNamespace) {
  auto other = validateSpec(
      "  host: reviews\n  trafficPolicy: {tls: {mode: SIMPLE, credentialName: "
      "\"configmap://other/ca\"}}\n");
  EXPECT_TRUE(hasError(other, "namespace must match the configuration namespace \"bar\""));
  auto bad = validateSpec(
      "  host: reviews\n  trafficPolicy: {tls: {mode: SIMPLE, credentialName: "
      "\"configmap://ca\"}}\n");
  EXPECT_TRUE(hasError(bad, "Expected namespace and name"));
  auto own = validateSpec(
      "  host: reviews\n  trafficPolicy: {tls: {mode: SIMPLE, credentialName: "
      "\"configmap://bar/ca\"}}\n");
  EXPECT_FALSE(own.hasErrors());
}

TEST(DestinationRuleValidation, TunnelChecksTargetAndExcludesProxyProtocol) {
  auto d = validateSpec(
      "  host: reviews\n  trafficPolicy:\n"
      "    tunnel: {protocol: GET, targetHost: \"-bad\", targetPort: 0}\n");
  EXPECT_TRUE(hasError(d, "tunnel protocol must be \"CONNECT\" or \"POST\""));
  EXPECT_TRUE(hasError(d, "tunnel target host must be valid FQDN or IP address"));
  EXPECT_TRUE(hasError(d, "tunnel target port is invalid: port number 0"));
  auto ip = validateSpec(
      "  host: reviews\n  trafficPolicy: {tunnel: {targetHost: 10.0.0.1, targetPort: 8080}}\n");
  EXPECT_FALSE(ip.hasErrors());
  auto both = validateSpec(
      "  host: reviews\n  trafficPolicy:\n"
      "    tunnel: {targetHost: example.com, targetPort: 8080}\n"
      "    proxyProtocol: {version: V2}\n");
  EXPECT_TRUE(hasError(both, "tunnel and proxyProtocol must not be set together"));
}

TEST(DestinationRuleValidation, PortLevelSettingsNeedPortAndAField) {
  auto d = validateSpec("  host: reviews\n  trafficPolicy:\n    portLevelSettings:\n    - {}\n");
  EXPECT_TRUE(hasError(d, "portTrafficPolicy must have valid port"));
  EXPECT_TRUE(hasError(d, "port traffic policy must have at least one field"));
  EXPECT_EQ(errorField(d, "valid port"), "spec.trafficPolicy.portLevelSettings[0]");
}

TEST(DestinationRuleValidation, WarmupRulesUseGoAndKubernetesMessages) {
  auto d = validateSpec(
      "  host: reviews\n  trafficPolicy:\n    loadBalancer:\n"
      "      warmup: {duration: 10s, minimumPercent: 150, aggression: 0}\n");
  EXPECT_TRUE(hasError(d, "minimumPercent value should be less than or equal to 100"));
  EXPECT_TRUE(hasError(d, "aggression should be greater than 0"));
  auto negative = validateSpec(
      "  host: reviews\n  trafficPolicy:\n    loadBalancer:\n"
      "      warmup: {duration: 10s, minimumPercent: -1}\n");
  EXPECT_EQ(errorField(negative, "should be greater than or equal to 0"),
            "spec.trafficPolicy.loadBalancer.warmup.minimumPercent");
  auto missing = validateSpec(
      "  host: reviews\n  trafficPolicy:\n    loadBalancer:\n      warmup: {minimumPercent: 5}\n");
  EXPECT_EQ(errorField(missing, "Required value"),
            "spec.trafficPolicy.loadBalancer.warmup.duration");
}

TEST(DestinationRuleValidation, AppliesCrdOnlyBounds) {
  auto d = validateSpec(R"(  host: reviews
  trafficPolicy:
    loadBalancer:
      warmupDurationSecs: 0s
      zoneAwareLbSetting: {minClusterSize: 0}
    outlierDetection: {outlierDetectionHttpErrorCodes: [503, 99]}
    retryBudget: {percent: 101}
)");
  EXPECT_EQ(errorField(d, "must be a valid duration greater than 1ms"),
            "spec.trafficPolicy.loadBalancer.warmupDurationSecs");
  EXPECT_TRUE(hasError(d, "minClusterSize in body should be greater than or equal to 1"));
  EXPECT_EQ(errorField(d, "greater than or equal to 100"),
            "spec.trafficPolicy.outlierDetection.outlierDetectionHttpErrorCodes[1]");
  EXPECT_TRUE(hasError(d, "percent in body should be less than or equal to 100"));
}

TEST(DestinationRuleValidation, SelectorRestrictsExportToOwnNamespace) {
  auto d = validateSpec(R"(  host: reviews
  exportTo: [".", other]
  workloadSelector:
    matchLabels: {app: reviews}
)");
  EXPECT_TRUE(hasError(d, "cannot have multiple entries in exportTo"));
  auto empty = validateSpec("  host: reviews\n  workloadSelector: {}\n");
  EXPECT_FALSE(empty.hasErrors());
  EXPECT_TRUE(hasWarning(empty, "workload selector specified without labels"));
}

}  // namespace
}  // namespace meshroute::validate
