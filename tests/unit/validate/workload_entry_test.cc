// WorkloadEntry and WorkloadGroup validation: addresses, ports, labels, probes and the CRD rules.
#include <gtest/gtest.h>

#include <string>

#include "validate_test_util.h"

namespace meshroute::validate {
namespace {

using testing::errorField;
using testing::hasError;
using testing::hasWarning;
using testing::validateYaml;

core::Diagnostics workloadEntry(const std::string& spec) {
  return validateYaml(
      "apiVersion: networking.istio.io/v1\nkind: WorkloadEntry\nmetadata:\n  name: we\n"
      "  namespace: bar\nspec:\n" +
      spec);
}

core::Diagnostics workloadGroup(const std::string& spec) {
  return validateYaml(
      "apiVersion: networking.istio.io/v1\nkind: WorkloadGroup\nmetadata:\n  name: wg\n"
      "  namespace: bar\nspec:\n" +
      spec);
}

TEST(WorkloadEntryValidation, AcceptsIpAndFqdnAddresses) {
  EXPECT_TRUE(workloadEntry("  address: 172.16.1.1\n  ports: {\"7777\": 7777}\n").empty());
  EXPECT_TRUE(workloadEntry("  address: validdns.com\n  labels: {app: foo}\n").empty());
  EXPECT_TRUE(workloadEntry("  address: unix://@foo\n").empty());
}

TEST(WorkloadEntryValidation, RequiresAddressUnlessNetwork) {
  auto d = workloadEntry("  weight: 1\n");
  EXPECT_TRUE(hasError(d, "address is required"));
  EXPECT_TRUE(hasError(d, "Address is required"));
  auto w = workloadEntry("  network: network-2\n");
  EXPECT_FALSE(w.hasErrors());
  EXPECT_TRUE(hasWarning(w, "address is unset with network \"network-2\""));
}

TEST(WorkloadEntryValidation, RejectsInvalidFqdn) {
  auto d = workloadEntry("  address: \"invaliddns.com:9443\"\n");
  EXPECT_TRUE(hasError(d, "endpoint address \"invaliddns.com:9443\" is not a valid FQDN or an IP"));
  EXPECT_EQ(errorField(d, "endpoint address"), "spec.address");
}

TEST(WorkloadEntryValidation, UnixAddressRules) {
  auto dir = workloadEntry("  address: unix:///dir/\n");
  EXPECT_TRUE(hasError(dir, "UDS may not be a dir"));
  EXPECT_TRUE(hasError(dir, "/dir/ is not an absolute path to a file"));
  auto ports = workloadEntry("  address: unix://@foo\n  ports: {http: 80}\n");
  EXPECT_TRUE(hasError(ports, "unix endpoint unix://@foo must not include ports"));
  EXPECT_TRUE(hasError(ports, "UDS may not include ports"));
}

TEST(WorkloadEntryValidation, RejectsBadPortsAndLabels) {
  auto d = workloadEntry(R"(  address: 1.1.1.1
  ports: {"@": 80, http: 99999}
  labels: {"bad key!": "v", ok: "-bad-"}
)");
  EXPECT_TRUE(hasError(d, "invalid port name: @"));
  EXPECT_TRUE(hasError(d, "port number 99999 must be in the range 1..65535"));
  EXPECT_TRUE(hasError(d, "invalid tag key: \"bad key!\""));
  EXPECT_TRUE(hasError(d, "invalid tag value: \"-bad-\""));
  EXPECT_EQ(errorField(d, "port must be between 1-65535"), "spec.ports[http]");
  auto line = [&](std::string_view text) {
    for (const auto& item : d.items()) {
      if (item.message.find(text) != std::string::npos) return item.mark.line;
    }
    return 0u;
  };
  EXPECT_EQ(line("invalid port name"), 8u);
}

TEST(WorkloadGroupValidation, AcceptsEmptyTemplateAndProbes) {
  EXPECT_TRUE(workloadGroup("  template: {}\n").empty());
  EXPECT_TRUE(workloadGroup("  template: {}\n  probe:\n    httpGet: {port: 5}\n").empty());
  EXPECT_TRUE(workloadGroup("  template: {}\n  probe:\n    tcpSocket: {port: 5}\n").empty());
  EXPECT_TRUE(
      workloadGroup("  template: {}\n  probe:\n    exec: {command: [cat, /ready]}\n").empty());
}

TEST(WorkloadGroupValidation, RequiresTemplate) {
  auto d = workloadGroup("  probe:\n    tcpSocket: {port: 5}\n");
  EXPECT_TRUE(hasError(d, "template is required"));
  EXPECT_EQ(errorField(d, "Required value"), "spec.template");
}

TEST(WorkloadGroupValidation, RejectsInvalidMetadataLabels) {
  auto d = workloadGroup("  template: {}\n  metadata:\n    labels: {\".\": \"~\"}\n");
  EXPECT_TRUE(hasError(d, "invalid labels: invalid tag key: \".\""));
  EXPECT_TRUE(hasError(d, "invalid labels: invalid tag value: \"~\""));
}

TEST(WorkloadGroupValidation, ProbeNeedsAMethod) {
  auto d = workloadGroup("  template: {}\n  probe: {}\n");
  EXPECT_TRUE(hasError(d, "unknown health check method"));
  EXPECT_EQ(errorField(d, "unknown health check method"), "spec.probe");
}

TEST(WorkloadGroupValidation, RejectsBadProbeFields) {
  auto d = workloadGroup(R"(  template: {}
  probe:
    periodSeconds: -1
    httpGet:
      port: 0
      scheme: FTP
      httpHeaders:
      - {name: "a_b", value: x}
)");
  EXPECT_TRUE(hasError(d, "periodSeconds must be non-negative"));
  EXPECT_TRUE(hasError(d, "port number 0 must be in the range 1..65535"));
  EXPECT_TRUE(hasError(d, "httpGet.scheme must be one of \"HTTPS\", \"HTTP\""));
  EXPECT_TRUE(hasError(d, "scheme must be one of [HTTP, HTTPS]"));
  EXPECT_TRUE(hasError(d, "header name a_b is not a valid header name"));
  EXPECT_EQ(errorField(d, "header name a_b"), "spec.probe.httpGet.httpHeaders[0].name");
}

TEST(WorkloadGroupValidation, TcpProbeRequiresPort) {
  auto d = workloadGroup("  template: {}\n  probe:\n    tcpSocket: {}\n");
  EXPECT_TRUE(hasError(d, "port number 0 must be in the range 1..65535"));
  EXPECT_EQ(errorField(d, "Required value"), "spec.probe.tcpSocket.port");
}

TEST(WorkloadGroupValidation, TemplateUnixAddressRules) {
  auto d = workloadGroup("  template:\n    address: unix://@sock\n    ports: {http: 80}\n");
  EXPECT_TRUE(hasError(d, "UDS may not include ports"));
  EXPECT_EQ(errorField(d, "UDS may not include ports"), "spec.template");
}

}  // namespace
}  // namespace meshroute::validate
