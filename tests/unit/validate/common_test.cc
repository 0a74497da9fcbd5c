#include "validate/common.h"

#include <gtest/gtest.h>

#include "validate_test_util.h"

namespace meshroute::validate {
namespace {

TEST(DNSLabels, AcceptLabelsUpTo63CharactersWithInnerDashes) {
  EXPECT_TRUE(isDNS1123Label("reviews-v1"));
  EXPECT_TRUE(isDNS1123Label(std::string(63, 'a')));
  EXPECT_FALSE(isDNS1123Label(std::string(64, 'a')));
  EXPECT_FALSE(isDNS1123Label("-a"));
  EXPECT_FALSE(isDNS1123Label("a_b"));
  EXPECT_FALSE(isDNS1123Label(""));
}

TEST(WildcardDomain, AllowsWildcardOnlyInFirstLabel) {
  EXPECT_TRUE(validateWildcardDomain("*.bar.com").empty());
  EXPECT_TRUE(validateWildcardDomain("*foo.bar.com").empty());
  EXPECT_TRUE(validateWildcardDomain("*-foo.bar.com").empty());
  EXPECT_TRUE(validateWildcardDomain("*").empty());
  EXPECT_FALSE(validateWildcardDomain("foo.*.com").empty());
  EXPECT_FALSE(validateWildcardDomain("").empty());
  EXPECT_FALSE(validateWildcardDomain(std::string(256, 'a')).empty());
}

TEST(FQDN, RejectsAllNumericTopLevelDomainButAllowsTrailingDot) {
  EXPECT_TRUE(validateFQDN("istio.io.").empty());
  auto errs = validateFQDN("foo.123");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_NE(errs[0].find("cannot be all-numeric"), std::string::npos);
}

TEST(IPAddresses, FollowGoNetip) {
  EXPECT_TRUE(isIPAddress("10.0.0.1"));
  EXPECT_TRUE(isIPAddress("2001:db8::1"));
  EXPECT_TRUE(isIPAddress("fe80::1%eth0"));
  EXPECT_FALSE(isIPAddress("010.0.0.1"));
  EXPECT_FALSE(isIPAddress("1.2.3"));
  EXPECT_FALSE(validateIPSubnet("10.0.0.0/8"));
  EXPECT_FALSE(validateIPSubnet("2001:db8::/32"));
  EXPECT_TRUE(validateIPSubnet("10.0.0.0/33"));
  EXPECT_TRUE(validateIPSubnet("10.0.0.0/8/1"));
  EXPECT_EQ(*validateIPSubnet("1.2.3.4/x"), "1.2.3.4/x is not a valid CIDR block");
}

TEST(Durations, MustBeAtLeastOneWholeMillisecond) {
  EXPECT_FALSE(validateDuration({0, 1000000}));
  EXPECT_EQ(*validateDuration({0, 999999}), "duration must be greater than 1ms");
  EXPECT_EQ(*validateDuration({2, 5}), "only durations to ms precision are supported");
  EXPECT_EQ(*validateDurationRange({0, 500000000}, 1000000000, 10000000000),
            "time 500ms must be >1s and <10s");
}

TEST(Protocols, ParseCaseInsensitively) {
  EXPECT_EQ(parseProtocol("http2"), "HTTP2");
  EXPECT_EQ(parseProtocol("GRPC-WEB"), "GRPC-Web");
  EXPECT_EQ(parseProtocol("quic"), "");
  EXPECT_TRUE(isHTTPProtocol(parseProtocol("grpc")));
  EXPECT_TRUE(isTLSProtocol(parseProtocol("https")));
  EXPECT_EQ(*validateProtocol("bogus"), "unsupported protocol: bogus");
  EXPECT_FALSE(validateProtocol(""));
}

TEST(NamespaceSlashHost, SidecarRequiresNamespacePrefix) {
  EXPECT_FALSE(validateNamespaceSlashWildcardHostname("foo.bar.com", false, false).empty());
  EXPECT_TRUE(validateNamespaceSlashWildcardHostname("~ns/foo.bar.com", false, false).empty());
  EXPECT_TRUE(validateNamespaceSlashWildcardHostname("*/*", false, false).empty());
  // Gateways take old-style hosts and IPs, never partial wildcards or short names.
  EXPECT_TRUE(validateNamespaceSlashWildcardHostname("10.1.1.1", true, false).empty());
  EXPECT_FALSE(validateNamespaceSlashWildcardHostname("ns/*foo.com", true, false).empty());
  EXPECT_FALSE(validateNamespaceSlashWildcardHostname("ns/foo", true, false).empty());
  EXPECT_FALSE(validateNamespaceSlashWildcardHostname("~/foo.com", true, false).empty());
  EXPECT_TRUE(validateNamespaceSlashWildcardHostname("~/foo.com", true, true).empty());
}

TEST(ExportTo, RejectsDuplicatesMixedPublicAndNone) {
  core::Diagnostics out;
  Report report("f.yaml", out);
  validateExportTo("ns", {"ns", "."}, false, false, Loc("spec.exportTo", {}), report);
  validateExportTo("ns", {"*", "other"}, false, false, Loc("spec.exportTo", {}), report);
  validateExportTo("ns", {"~"}, false, false, Loc("spec.exportTo", {}), report);
  validateExportTo("ns", {"~"}, true, false, Loc("spec.exportTo", {}), report);
  ASSERT_EQ(out.items().size(), 3u);
  EXPECT_EQ(out.items()[0].message, "duplicate entries in exportTo: . and current namespace ns");
  EXPECT_EQ(out.items()[1].message,
            "cannot have both public (*) and non-public exportTo values for a resource");
  EXPECT_EQ(out.items()[2].message,
            "exportTo ~ (none) is not allowed for Istio configuration objects");
}

TEST(ObjectMeta, RejectsAnnotationsReservedForIstio) {
  auto d = testing::validateYaml(R"(apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata:
  name: we
  annotations:
    internal.istio.io/webhook-always-reject: "true"
spec:
  address: 1.2.3.4
)");
  EXPECT_TRUE(testing::hasError(d, "annotation found, rejecting"));
  EXPECT_EQ(testing::errorField(d, "rejecting"),
            "metadata.annotations[internal.istio.io/webhook-always-reject]");
}

}  // namespace
}  // namespace meshroute::validate
