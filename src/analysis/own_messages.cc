// meshroute's own message types: the checks istioctl analyze lacks (docs/analyzers.md). Each
// template says what is wrong; the hint says what to change.
#include "analysis/messages.h"

namespace meshroute::analysis {

namespace own {
const MessageType kRuleShadowed{
    "MR0001", "RuleShadowed", Level::kWarning, "VirtualService rule %s is never reached: %s.",
    "Move the rule above the one that shadows it, or narrow the earlier match."};
const MessageType kZeroWeightDestination{
    "MR0002", "ZeroWeightDestination", Level::kInfo,
    "Destination %s of rule %s has weight 0 and receives no traffic.",
    "Remove the destination, or give it a weight if it should take traffic."};
const MessageType kRegexNeverMatches{"MR0003", "RegexNeverMatches", Level::kWarning,
                                     "Regex %q in %s can never match: %s.",
                                     "Fix the regex; RE2 full-matches the whole value."};
const MessageType kSubsetWithoutDestinationRule{
    "MR0010", "SubsetWithoutDestinationRule", Level::kError,
    "Subset %q of host %s has no DestinationRule visible from namespace %q%s.",
    "Add the subset to a DestinationRule for the host that is exported to this namespace."};
const MessageType kSubsetSelectsNoWorkloads{
    "MR0011", "SubsetSelectsNoWorkloads", Level::kError,
    "Subset %s of host %s selects 0 workloads: %s.",
    "Change the subset labels to match the workloads, or label the workloads."};
const MessageType kRetryBudgetExceedsTimeout{
    "MR0020", "RetryBudgetExceedsTimeout", Level::kWarning,
    "Retries of rule %s can take %s (%d attempts x perTryTimeout %s), more than the route "
    "timeout %s, so the last retries never run.",
    "Lower attempts or perTryTimeout, or raise the route timeout."};
const MessageType kRetriesNonIdempotent{
    "MR0021", "RetriesNonIdempotent", Level::kWarning,
    "Rule %s retries on %s and carries %s requests, which are not idempotent: a retried "
    "request may be applied twice.",
    "Match only idempotent methods on this rule, or set retries.retryOn to failures that "
    "happen before the request is sent (connect-failure,refused-stream)."};
const MessageType kFaultAbortWithRetries{
    "MR0022", "FaultAbortWithRetries", Level::kInfo,
    "Rule %s injects aborts (%s) and retries (%s): the injected faults are not retried, since "
    "they are answered before the request leaves the proxy.",
    "Expected in chaos tests; remove one of the two if you meant to test retries."};
const MessageType kMirrorToSelf{"MR0023", "MirrorToSelf", Level::kWarning,
                                "Rule %s mirrors to %s, which is also where it routes.",
                                "Mirror to a different host or subset."};
const MessageType kGatewayOnlyVirtualService{
    "MR0030", "GatewayOnlyVirtualService", Level::kWarning,
    "VirtualService binds to gateways %s only, so sidecars ignore it, but host %s is a mesh "
    "service%s.",
    "Add \"mesh\" to spec.gateways if the rules should also apply inside the mesh."};
const MessageType kVirtualServiceRulesDropped{
    "MR0031", "VirtualServiceRulesDropped", Level::kWarning,
    "VirtualServices %s all define host %s for %s: %s.",
    "Merge them into one VirtualService, or give each a distinct host."};
const MessageType kSidecarHidesHost{
    "MR0032", "SidecarHidesHost", Level::kWarning,
    "Sidecar %s does not import %s (egress hosts %s), so %s.",
    "Add \"<namespace>/<host>\" (or \"<namespace>/*\") for it to the Sidecar's egress hosts."};
const MessageType kServiceEntryUnreachable{
    "MR0033", "ServiceEntryUnreachable", Level::kWarning,
    "ServiceEntry host %s has resolution %s %s, so requests to it fail with 503.",
    "Add endpoints or a workloadSelector, or use resolution DNS for a resolvable host."};
}  // namespace own

std::span<const MessageType* const> ownMessageTypes() {
  static const MessageType* const kAll[] = {
      &own::kRuleShadowed,
      &own::kZeroWeightDestination,
      &own::kRegexNeverMatches,
      &own::kSubsetWithoutDestinationRule,
      &own::kSubsetSelectsNoWorkloads,
      &own::kRetryBudgetExceedsTimeout,
      &own::kRetriesNonIdempotent,
      &own::kFaultAbortWithRetries,
      &own::kMirrorToSelf,
      &own::kGatewayOnlyVirtualService,
      &own::kVirtualServiceRulesDropped,
      &own::kSidecarHidesHost,
      &own::kServiceEntryUnreachable,
  };
  return kAll;
}

}  // namespace meshroute::analysis
