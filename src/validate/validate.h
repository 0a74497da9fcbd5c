// Istio's admission validation (istio/istio pkg/config/validation plus the CRDs' schema and CEL
// rules), offline: the verdict Kubernetes + Istio would give a resource.
//
//   core::Diagnostics out;
//   validate::validateResource(resource, out);   // decode problems + Istio's rules
//   Verdict v = validate::verdictOf(out);
#pragma once

#include "api/resource.h"
#include "core/diagnostic.h"
#include "validate/report.h"

namespace meshroute::validate {

enum class Verdict { kValid, kWarning, kInvalid };
std::string_view verdictName(Verdict v);
Verdict verdictOf(const core::Diagnostics& diags);

// Appends the resource's decode diagnostics and every finding of Istio's rules to `out`.
void validateResource(const api::Resource& resource, core::Diagnostics& out);

// Per-kind rules; `spec` is the resource's location ("spec").
void validateVirtualService(const api::Resource& res, const api::VirtualService& vs, Report& r);
void validateDestinationRule(const api::Resource& res, const api::DestinationRule& dr, Report& r);
void validateGateway(const api::Resource& res, const api::Gateway& gw, Report& r);
void validateServiceEntry(const api::Resource& res, const api::ServiceEntry& se, Report& r);
void validateSidecar(const api::Resource& res, const api::Sidecar& sc, Report& r);
void validateWorkloadEntry(const api::Resource& res, const api::WorkloadEntry& we, Report& r);
void validateWorkloadGroup(const api::Resource& res, const api::WorkloadGroup& wg, Report& r);

}  // namespace meshroute::validate
