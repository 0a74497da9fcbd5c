// ServiceEntry validation: hosts, ports, resolution modes, endpoints, auto-allocation and the
// CRD's CEL rules.
#include <gtest/gtest.h>

#include <string>

#include "validate_test_util.h"

namespace meshroute::validate {
namespace {

using testing::errorField;
using testing::hasError;
using testing::hasWarning;
using testing::validateYaml;

// A ServiceEntry whose spec is `spec` (YAML indented under "spec:"); `meta` is extra metadata.
core::Diagnostics serviceEntry(const std::string& spec, const std::string& meta = "") {
  return validateYaml(
      "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n  name: se\n"
      "  namespace: bar\n" +
      meta + "spec:\n" + spec);
}

uint32_t errorLine(const core::Diagnostics& d, std::string_view text) {
  for (const auto& item : d.items()) {
    if (item.level == core::Level::kError && item.message.find(text) != std::string::npos) {
      return item.mark.line;
    }
  }
  return 0;
}

TEST(ServiceEntryValidation, AcceptsDnsEntryWithEndpoints) {
  auto d = serviceEntry(R"(  hosts: ["*.google.com"]
  ports:
  - {number: 80, protocol: http, name: http-valid1}
  endpoints:
  - address: lon.google.com
    ports: {http-valid1: 8080}
  - address: 1.1.1.1
  resolution: DNS
)");
  EXPECT_TRUE(d.empty());
}

TEST(ServiceEntryValidation, RejectsFullWildcardHostInBothLayers) {
  auto d = serviceEntry(R"(  hosts: [foo.com, "*"]
  ports:
  - {number: 80, protocol: http, name: http}
  resolution: DNS
)");
  EXPECT_TRUE(hasError(d, "invalid host *"));
  EXPECT_TRUE(hasError(d, "hostname cannot be wildcard"));
  EXPECT_EQ(errorField(d, "invalid host"), "spec.hosts[1]");
}

TEST(ServiceEntryValidation, RequiresHosts) {
  auto d = serviceEntry("  resolution: DNS\n");
  EXPECT_TRUE(hasError(d, "service entry must have at least one host"));
  EXPECT_TRUE(hasError(d, "Required value"));
}

TEST(ServiceEntryValidation, PartialWildcardHostOnlyWarns) {
  auto d = serviceEntry("  hosts: [\"*x\"]\n");
  EXPECT_FALSE(d.hasErrors());
  EXPECT_TRUE(hasWarning(d, "partial wildcard \"*x\" not allowed"));
}

TEST(ServiceEntryValidation, DnsWithoutEndpointsNeedsFqdnHosts) {
  auto d = serviceEntry(R"(  hosts: [api.external.com, "*.api.external.com"]
  ports:
  - {number: 443, name: https, protocol: HTTPS}
  resolution: DNS
)");
  EXPECT_TRUE(hasError(d, "hosts must be FQDN or contain only prefix wildcards"));
  EXPECT_EQ(errorField(d, "hosts must be FQDN"), "spec.hosts[1]");
  EXPECT_EQ(errorLine(d, "hosts must be FQDN"), 7u);
}

TEST(ServiceEntryValidation, RejectsDuplicatePortNamesAndNumbers) {
  auto d = serviceEntry(R"(  hosts: [google.com]
  addresses: [10.0.0.1]
  ports:
  - {number: 80, protocol: http, name: a}
  - {number: 80, protocol: http, name: a}
  resolution: NONE
)");
  EXPECT_TRUE(hasError(d, "service entry port name \"a\" already defined"));
  EXPECT_TRUE(hasError(d, "service entry port 80 already defined"));
  EXPECT_TRUE(hasError(d, "port number cannot be duplicated"));
  EXPECT_TRUE(hasError(d, "Duplicate value"));
  EXPECT_EQ(errorField(d, "Duplicate value"), "spec.ports[1]");
}

TEST(ServiceEntryValidation, RejectsOutOfRangePortsAndUnknownProtocol) {
  auto d = serviceEntry(R"(  hosts: [google.com]
  ports:
  - {number: 99999, protocol: bogus, name: http, targetPort: 65536}
  resolution: DNS
)");
  EXPECT_TRUE(hasError(d, "port number 99999 must be in the range 1..65535"));
  EXPECT_TRUE(hasError(d, "port number 65536 must be in the range 1..65535"));
  EXPECT_TRUE(hasError(d, "unsupported protocol: bogus"));
  EXPECT_EQ(errorField(d, "65536"), "spec.ports[0].targetPort");
  EXPECT_EQ(errorField(d, "port must be between 1-65535"), "spec.ports[0].number");
}

TEST(ServiceEntryValidation, RejectsSelectorTogetherWithEndpoints) {
  auto d = serviceEntry(R"(  hosts: [example.com]
  workloadSelector: {labels: {app: foo}}
  endpoints:
  - address: 1.2.3.4
  resolution: STATIC
)");
  EXPECT_TRUE(hasError(d, "only one of WorkloadSelector or Endpoints is allowed in Service Entry"));
  EXPECT_TRUE(hasError(d, "only one of WorkloadSelector or Endpoints can be set"));
}

TEST(ServiceEntryValidation, SelectorWithResolutionNoneWarns) {
  auto d = serviceEntry(R"(  hosts: [google.com]
  workloadSelector: {labels: {foo: bar}}
  ports:
  - {number: 80, protocol: http, name: http}
)");
  EXPECT_FALSE(d.hasErrors());
  EXPECT_TRUE(hasWarning(d, "workloadSelector should not be set when resolution mode is NONE"));
}

TEST(ServiceEntryValidation, RejectsWildcardSelectorValue) {
  auto d = serviceEntry(R"(  hosts: [example.com]
  workloadSelector: {labels: {val: "*"}}
  resolution: DNS
)");
  EXPECT_TRUE(hasError(d, "wildcard is not supported in selector: \"val=*\""));
  EXPECT_EQ(errorField(d, "wildcard"), "spec.workloadSelector.labels[val]");
}

TEST(ServiceEntryValidation, NoneResolutionRejectsEndpoints) {
  auto d = serviceEntry(R"(  hosts: [example.com]
  endpoints:
  - address: 1.2.3.4
  resolution: NONE
)");
  EXPECT_TRUE(hasError(d, "no endpoints should be provided for resolution type none"));
  EXPECT_TRUE(hasError(d, "NONE mode cannot set endpoints"));
}

TEST(ServiceEntryValidation, StaticEndpointsMustBeIPsWithKnownPorts) {
  auto d = serviceEntry(R"(  hosts: [google.com]
  addresses: [172.1.2.16]
  ports:
  - {number: 80, protocol: http, name: http-valid1}
  endpoints:
  - address: google.com
    ports: {http-valid1: 8080}
  - address: 2.2.2.2
    ports: {http-dne: 9080}
  resolution: STATIC
)");
  EXPECT_TRUE(hasError(d, "endpoint address \"google.com\" is not a valid IP address"));
  EXPECT_TRUE(hasError(d, "endpoint port 9080 is not defined by the service entry"));
  EXPECT_EQ(errorField(d, "endpoint port 9080"), "spec.endpoints[1].ports[http-dne]");
}

TEST(ServiceEntryValidation, UnixEndpointNeedsExactlyOneServicePort) {
  auto d = serviceEntry(R"(  hosts: [uds.cluster.local]
  ports:
  - {number: 6553, protocol: grpc, name: grpc-service1}
  - {number: 80, protocol: http, name: http-service2}
  resolution: STATIC
  endpoints:
  - address: "unix:///path/to/socket"
)");
  EXPECT_TRUE(hasError(d, "exactly 1 service port required for unix endpoints"));
}

TEST(ServiceEntryValidation, DnsRoundRobinAllowsOneEndpoint) {
  auto d = serviceEntry(R"(  hosts: [google.com]
  ports:
  - {number: 8081, protocol: http, name: http}
  endpoints:
  - address: api-v1.istio.io
  - address: 1.1.1.2
  resolution: DNS_ROUND_ROBIN
)");
  EXPECT_TRUE(
      hasError(d, "there must only be 0 or 1 endpoint for resolution mode DNS_ROUND_ROBIN"));
  EXPECT_TRUE(hasError(d, "DNS_ROUND_ROBIN mode cannot have multiple endpoints"));
}

TEST(ServiceEntryValidation, CidrOnlyWithNoneOrStatic) {
  auto d = serviceEntry(R"(  hosts: [example.com]
  addresses: [1.2.3.4/16, 1.2.3.4/99]
  resolution: DNS
)");
  EXPECT_TRUE(hasError(d, "CIDR addresses are allowed only for NONE/STATIC resolution types"));
  EXPECT_TRUE(hasError(d, "1.2.3.4/99 is not a valid CIDR block"));
  EXPECT_EQ(errorField(d, "CIDR addresses"), "spec.addresses[0]");
}

TEST(ServiceEntryValidation, TcpWarningDependsOnAutoAllocation) {
  const std::string spec = R"(  hosts: [google.com]
  ports:
  - {number: 81, protocol: TCP, name: tcp}
  resolution: DNS
)";
  EXPECT_TRUE(serviceEntry(spec).empty());
  auto opted_out =
      serviceEntry(spec, "  labels:\n    networking.istio.io/enable-autoallocate-ip: \"False\"\n");
  EXPECT_FALSE(opted_out.hasErrors());
  EXPECT_TRUE(hasWarning(opted_out, "addresses are required for ports serving TCP"));
}

TEST(ServiceEntryValidation, MultipleHostsNeedHttpOrTlsPorts) {
  auto d = serviceEntry(R"(  hosts: [a.example.com, b.example.com]
  ports:
  - {number: 5432, protocol: TCP, name: tcp}
  resolution: DNS
)");
  EXPECT_TRUE(hasError(d, "multiple hosts provided with non-HTTP, non-TLS ports"));
}

TEST(ServiceEntryValidation, DynamicDnsRules) {
  auto d = serviceEntry(R"(  hosts: [google.com, "*.google.com"]
  addresses: [10.0.0.1]
  ports:
  - {number: 81, protocol: TCP, name: tcp}
  resolution: DYNAMIC_DNS
)");
  EXPECT_TRUE(hasError(d, "host must be wildcarded for resolution mode DYNAMIC_DNS"));
  EXPECT_TRUE(hasError(d, "addresses cannot be set for resolution type DYNAMIC_DNS"));
  EXPECT_TRUE(hasError(d, "only HTTP, TLS, GRPC, and HTTP2 protocols are supported"));
  EXPECT_EQ(errorField(d, "host must be wildcarded"), "spec.hosts[0]");
}

TEST(ServiceEntryValidation, DynamicDnsMeshInternalRejectedWithWaypoint) {
  const std::string spec = R"(  hosts: ["*.google.com"]
  ports:
  - {number: 80, protocol: http, name: http}
  resolution: DYNAMIC_DNS
  location: MESH_INTERNAL
)";
  EXPECT_TRUE(serviceEntry(spec).empty());
  auto d = serviceEntry(spec, "  labels:\n    istio.io/use-waypoint: waypoint\n");
  EXPECT_TRUE(hasError(d,
                       "location MESH_INTERNAL with resolution type DYNAMIC_DNS is not "
                       "supported when using waypoints"));
  EXPECT_TRUE(serviceEntry(spec, "  labels:\n    istio.io/use-waypoint: None\n").empty());
}

TEST(ServiceEntryValidation, ExportToAllowsNoneAlone) {
  const std::string spec = R"(  hosts: [foo.bar.com]
  ports:
  - {number: 80, protocol: HTTP, name: http}
  resolution: DNS
  exportTo: )";
  EXPECT_TRUE(serviceEntry(spec + "[\"~\"]\n").empty());
  auto d = serviceEntry(spec + "[\"~\", ns1]\n");
  EXPECT_TRUE(hasError(d, "cannot export service entry to no one (~) and someone"));
}

TEST(ServiceEntryValidation, EndpointSchemaRules) {
  auto d = serviceEntry(R"(  hosts: [example.com]
  ports:
  - {number: 80, protocol: http, name: http}
  endpoints:
  - address: "unix://relative"
    ports: {"bad_name": 80}
  resolution: STATIC
)");
  EXPECT_TRUE(hasError(d, "UDS must be an absolute path or abstract socket"));
  EXPECT_TRUE(hasError(d, "UDS may not include ports"));
  EXPECT_TRUE(hasError(d, "port name must be valid"));
  EXPECT_EQ(errorField(d, "port name must be valid"), "spec.endpoints[0].ports");
}

}  // namespace
}  // namespace meshroute::validate
