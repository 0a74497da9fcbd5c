// The messages analyzers report: Istio's message types (code, name, level, template, as
// `istioctl analyze` prints them) and meshroute's own (codes MR0xxx, docs/analyzers.md).
//
//   ctx.report(msg::kReferencedResourceNotFound, vs, "spec.http[0].route[0].destination.host",
//              {"host", "reviews.default.svc.cluster.local"});
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/diagnostic.h"

namespace meshroute::analysis {

using core::Level;

struct MessageType {
  std::string_view code;  // "IST0101"
  std::string_view name;  // "ReferencedResourceNotFound"
  Level level;
  // Go fmt template (%s %v %q %d), kept in Istio's exact wording for parity.
  std::string_view format;
  // One line on what to change (meshroute's addition; may be empty).
  std::string_view hint = {};
};

// One argument of a template: a string (for %s, %v, %q) or an integer (for %d, %v).
using Arg = std::variant<std::string, int64_t>;

// How istioctl names a level: "Error", "Warning", "Info".
std::string_view levelText(Level level);

// Formats `format` as Go's fmt.Sprintf would for the verbs Istio's templates use.
std::string goSprintf(std::string_view format, std::span<const Arg> args);
// Go's "%v" of a []string: "[a b c]".
std::string goList(const std::vector<std::string>& items);
// Go's "%q" of a string.
std::string goQuote(std::string_view s);

// Istio's message types used by the networking analyzers.
namespace msg {
extern const MessageType kDeprecated;                                       // IST0002
extern const MessageType kReferencedResourceNotFound;                       // IST0101
extern const MessageType kSchemaValidationError;                            // IST0106
extern const MessageType kConflictingMeshGatewayVirtualServiceHosts;        // IST0109
extern const MessageType kConflictingSidecarWorkloadSelectors;              // IST0110
extern const MessageType kMultipleSidecarsWithoutWorkloadSelectors;         // IST0111
extern const MessageType kVirtualServiceDestinationPortSelectorRequired;    // IST0112
extern const MessageType kDeploymentAssociatedToMultipleServices;           // IST0116
extern const MessageType kPortNameIsNotUnderNamingConvention;               // IST0118
extern const MessageType kNoServerCertificateVerificationDestinationLevel;  // IST0128
extern const MessageType kNoServerCertificateVerificationPortLevel;         // IST0129
extern const MessageType kVirtualServiceUnreachableRule;                    // IST0130
extern const MessageType kVirtualServiceIneffectiveMatch;                   // IST0131
extern const MessageType kVirtualServiceHostNotFoundInGateway;              // IST0132
extern const MessageType kSchemaWarning;                                    // IST0133
extern const MessageType kServiceEntryAddressesRequired;                    // IST0134
extern const MessageType kDeploymentConflictingPorts;                       // IST0137
extern const MessageType kGatewayDuplicateCertificate;                      // IST0138
extern const MessageType kIngressRouteRulesNotAffected;                     // IST0140
extern const MessageType kConflictingGateways;                              // IST0145
extern const MessageType kJwtClaimBasedRoutingWithoutRequestAuthN;          // IST0149
extern const MessageType kExternalNameServiceTypeInvalidPortName;           // IST0150
extern const MessageType kInvalidGatewayCredential;                         // IST0161
extern const MessageType kGatewayPortNotDefinedOnService;                   // IST0162
extern const MessageType kReferencedInternalGateway;                        // IST0165
extern const MessageType kIneffectivePolicy;                                // IST0167
extern const MessageType kDestinationRuleSubsetNotSelectPods;               // IST0173
extern const MessageType kUnknownDestinationRuleHost;                       // IST0174
extern const MessageType kConflictingServiceEntryProtocol;                  // IST0177
}  // namespace msg

// meshroute's own message types (own_messages.cc; docs/analyzers.md has an example of each).
namespace own {
// Route reachability.
extern const MessageType kRuleShadowed;           // MR0001
extern const MessageType kZeroWeightDestination;  // MR0002
extern const MessageType kRegexNeverMatches;      // MR0003
// Subset resolution.
extern const MessageType kSubsetWithoutDestinationRule;  // MR0010
extern const MessageType kSubsetSelectsNoWorkloads;      // MR0011
// Policy interplay.
extern const MessageType kRetryBudgetExceedsTimeout;  // MR0020
extern const MessageType kRetriesNonIdempotent;       // MR0021
extern const MessageType kFaultAbortWithRetries;      // MR0022
extern const MessageType kMirrorToSelf;               // MR0023
// Binding.
extern const MessageType kGatewayOnlyVirtualService;   // MR0030
extern const MessageType kVirtualServiceRulesDropped;  // MR0031
extern const MessageType kSidecarHidesHost;            // MR0032
extern const MessageType kServiceEntryUnreachable;     // MR0033
}  // namespace own

// Every message type meshroute knows (Istio's above plus its own), for --suppress checks and
// the documentation.
std::vector<const MessageType*> allMessageTypes();
const MessageType* findMessageType(std::string_view code);

// meshroute's own message types (own_messages.cc).
std::span<const MessageType* const> ownMessageTypes();

}  // namespace meshroute::analysis
