#include "analysis/messages.h"
#include "validate/go_format.h"

#include <fmt/format.h>

namespace meshroute::analysis {

std::string_view levelText(Level level) {
  switch (level) {
    case Level::kInfo: return "Info";
    case Level::kWarning: return "Warning";
    case Level::kError: return "Error";
  }
  return "Error";
}

std::string goQuote(std::string_view s) { return validate::goQuote(s); }

std::string goList(const std::vector<std::string>& items) {
  return fmt::format("[{}]", fmt::join(items, " "));
}

std::string goSprintf(std::string_view format, std::span<const Arg> args) {
  std::string out;
  size_t next = 0;
  for (size_t i = 0; i < format.size(); ++i) {
    char c = format[i];
    if (c != '%' || i + 1 == format.size()) {
      out += c;
      continue;
    }
    char verb = format[++i];
    if (verb == '%') {
      out += '%';
      continue;
    }
    if (next >= args.size()) {
      out += fmt::format("%!{}(MISSING)", verb);
      continue;
    }
    const Arg& arg = args[next++];
    if (const auto* s = std::get_if<std::string>(&arg)) {
      if (verb == 'q') {
        out += goQuote(*s);
      } else if (verb == 'd') {
        out += fmt::format("%!d(string={})", *s);
      } else {
        out += *s;
      }
    } else {
      int64_t n = std::get<int64_t>(arg);
      if (verb == 'q') {
        out += fmt::format("'\\x{:02x}'", n);  // Go quotes an integer as a rune; never used
      } else {
        out += fmt::format("{}", n);
      }
    }
  }
  for (; next < args.size(); ++next) out += "%!(EXTRA)";
  return out;
}

namespace msg {
// Istio's templates (pkg/config/analysis/msg/messages.yaml): output parity with istioctl.
const MessageType kDeprecated{"IST0002", "Deprecated", Level::kWarning, "Deprecated: %s"};
const MessageType kReferencedResourceNotFound{"IST0101", "ReferencedResourceNotFound",
                                              Level::kError, "Referenced %s not found: %q"};
const MessageType kSchemaValidationError{"IST0106", "SchemaValidationError", Level::kError,
                                         "Schema validation error: %v"};
const MessageType kConflictingMeshGatewayVirtualServiceHosts{
    "IST0109", "ConflictingMeshGatewayVirtualServiceHosts", Level::kError,
    "The VirtualServices %s associated with mesh gateway define the same host %s which can lead "
    "to undefined behavior. This can be fixed by merging the conflicting VirtualServices into a "
    "single resource."};
const MessageType kConflictingSidecarWorkloadSelectors{
    "IST0110", "ConflictingSidecarWorkloadSelectors", Level::kError,
    "The Sidecars %v in namespace %q select the same workload pod %q, which can lead to undefined "
    "behavior."};
const MessageType kMultipleSidecarsWithoutWorkloadSelectors{
    "IST0111", "MultipleSidecarsWithoutWorkloadSelectors", Level::kError,
    "The Sidecars %v in namespace %q have no workload selector, which can lead to undefined "
    "behavior."};
const MessageType kVirtualServiceDestinationPortSelectorRequired{
    "IST0112", "VirtualServiceDestinationPortSelectorRequired", Level::kError,
    "This VirtualService routes to a service %q that exposes multiple ports %v. Specifying a port "
    "in the destination is required to disambiguate."};
const MessageType kDeploymentAssociatedToMultipleServices{
    "IST0116", "DeploymentAssociatedToMultipleServices", Level::kWarning,
    "This deployment %s is associated with multiple services using port %d but different "
    "protocols: %v"};
const MessageType kPortNameIsNotUnderNamingConvention{
    "IST0118", "PortNameIsNotUnderNamingConvention", Level::kInfo,
    "Port name %s (port: %d, targetPort: %s) doesn't follow the naming convention of Istio port."};
const MessageType kNoServerCertificateVerificationDestinationLevel{
    "IST0128", "NoServerCertificateVerificationDestinationLevel", Level::kWarning,
    "DestinationRule %s in namespace %s has TLS mode set to %s but no caCertificates are set to "
    "validate server identity for host: %s"};
const MessageType kNoServerCertificateVerificationPortLevel{
    "IST0129", "NoServerCertificateVerificationPortLevel", Level::kWarning,
    "DestinationRule %s in namespace %s has TLS mode set to %s but no caCertificates are set to "
    "validate server identity for host: %s at port %s"};
const MessageType kVirtualServiceUnreachableRule{"IST0130", "VirtualServiceUnreachableRule",
                                                 Level::kWarning,
                                                 "VirtualService rule %v not used (%s)."};
const MessageType kVirtualServiceIneffectiveMatch{
    "IST0131", "VirtualServiceIneffectiveMatch", Level::kInfo,
    "VirtualService rule %v match %v is not used (duplicate/overlapping match in rule %v)."};
const MessageType kVirtualServiceHostNotFoundInGateway{
    "IST0132", "VirtualServiceHostNotFoundInGateway", Level::kWarning,
    "one or more host %v defined in VirtualService %s not found in Gateway %s."};
const MessageType kSchemaWarning{"IST0133", "SchemaWarning", Level::kWarning,
                                 "Schema validation warning: %v"};
const MessageType kServiceEntryAddressesRequired{
    "IST0134", "ServiceEntryAddressesRequired", Level::kWarning,
    "ServiceEntry addresses are required for this protocol."};
const MessageType kDeploymentConflictingPorts{
    "IST0137", "DeploymentConflictingPorts", Level::kWarning,
    "This deployment %s is associated with multiple services %v using targetPort %q but "
    "different ports: %v."};
const MessageType kGatewayDuplicateCertificate{
    "IST0138", "GatewayDuplicateCertificate", Level::kWarning,
    "Duplicate certificate in multiple gateways %v may cause 404s if clients re-use HTTP2 "
    "connections."};
const MessageType kIngressRouteRulesNotAffected{
    "IST0140", "IngressRouteRulesNotAffected", Level::kWarning,
    "Subset in virtual service %s has no effect on ingress gateway %s requests"};
const MessageType kConflictingGateways{
    "IST0145", "ConflictingGateways", Level::kError,
    "Conflict with gateways %s (workload selector %s, port %s, hosts %v)."};
const MessageType kJwtClaimBasedRoutingWithoutRequestAuthN{
    "IST0149", "JwtClaimBasedRoutingWithoutRequestAuthN", Level::kError,
    "The virtual service uses the JWT claim based routing (key: %s) but found no request "
    "authentication for the gateway (%s) pod (%s). The request authentication must first be "
    "applied for the gateway pods to validate the JWT token and make the claims available for "
    "routing."};
const MessageType kExternalNameServiceTypeInvalidPortName{
    "IST0150", "ExternalNameServiceTypeInvalidPortName", Level::kWarning,
    "Port name for ExternalName service is invalid. Proxy may prevent tcp named ports and "
    "unmatched traffic for ports serving TCP protocol from being forwarded correctly"};
const MessageType kInvalidGatewayCredential{
    "IST0161", "InvalidGatewayCredential", Level::kError,
    "The credential referenced by the Gateway %s in namespace %s is invalid, which can cause the "
    "traffic not to work as expected."};
const MessageType kGatewayPortNotDefinedOnService{
    "IST0162", "GatewayPortNotDefinedOnService", Level::kWarning,
    "The gateway is listening on a target port (port %d) that is not defined in the Service "
    "associated with its workload instances (Pod selector %s). If you need to access the gateway "
    "port through the gateway Service, it will not be available."};
const MessageType kReferencedInternalGateway{
    "IST0165", "ReferencedInternalGateway", Level::kWarning,
    "Gateway reference in VirtualService %s is to an implementation-generated internal Gateway: "
    "%s."};
const MessageType kIneffectivePolicy{"IST0167", "IneffectivePolicy", Level::kWarning,
                                     "The policy has no impact: %s."};
const MessageType kDestinationRuleSubsetNotSelectPods{
    "IST0173", "DestinationRuleSubsetNotSelectPods", Level::kError,
    "The Subset %s defined in the DestinationRule does not select any pods. Which may lead to 503 "
    "UH (NoHealthyUpstream)."};
const MessageType kUnknownDestinationRuleHost{
    "IST0174", "UnknownDestinationRuleHost", Level::kWarning,
    "The host %s defined in the DestinationRule does not match any services in the mesh."};
const MessageType kConflictingServiceEntryProtocol{
    "IST0177", "ConflictingServiceEntryProtocol", Level::kWarning,
    "Multiple ServiceEntries (%s) define the same host %q and port %d with conflicting protocols "
    "(%s)."};
}  // namespace msg

std::vector<const MessageType*> allMessageTypes() {
  using namespace msg;  // NOLINT(google-build-using-namespace): the table reads better
  std::vector<const MessageType*> all = {
      &kDeprecated,
      &kReferencedResourceNotFound,
      &kSchemaValidationError,
      &kConflictingMeshGatewayVirtualServiceHosts,
      &kConflictingSidecarWorkloadSelectors,
      &kMultipleSidecarsWithoutWorkloadSelectors,
      &kVirtualServiceDestinationPortSelectorRequired,
      &kDeploymentAssociatedToMultipleServices,
      &kPortNameIsNotUnderNamingConvention,
      &kNoServerCertificateVerificationDestinationLevel,
      &kNoServerCertificateVerificationPortLevel,
      &kVirtualServiceUnreachableRule,
      &kVirtualServiceIneffectiveMatch,
      &kVirtualServiceHostNotFoundInGateway,
      &kSchemaWarning,
      &kServiceEntryAddressesRequired,
      &kDeploymentConflictingPorts,
      &kGatewayDuplicateCertificate,
      &kIngressRouteRulesNotAffected,
      &kConflictingGateways,
      &kJwtClaimBasedRoutingWithoutRequestAuthN,
      &kExternalNameServiceTypeInvalidPortName,
      &kInvalidGatewayCredential,
      &kGatewayPortNotDefinedOnService,
      &kReferencedInternalGateway,
      &kIneffectivePolicy,
      &kDestinationRuleSubsetNotSelectPods,
      &kUnknownDestinationRuleHost,
      &kConflictingServiceEntryProtocol,
  };
  for (const MessageType* own : ownMessageTypes()) all.push_back(own);
  return all;
}

const MessageType* findMessageType(std::string_view code) {
  for (const MessageType* t : allMessageTypes()) {
    if (t->code == code) return t;
  }
  return nullptr;
}

}  // namespace meshroute::analysis
