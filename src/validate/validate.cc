#include "validate/validate.h"

#include "validate/common.h"

namespace meshroute::validate {

std::string_view verdictName(Verdict v) {
  switch (v) {
    case Verdict::kValid: return "valid";
    case Verdict::kWarning: return "warning";
    case Verdict::kInvalid: return "invalid";
  }
  return "invalid";
}

Verdict verdictOf(const core::Diagnostics& diags) {
  if (diags.hasErrors()) return Verdict::kInvalid;
  if (diags.hasWarnings()) return Verdict::kWarning;
  return Verdict::kValid;
}

void validateResource(const api::Resource& res, core::Diagnostics& out) {
  out.append(res.decode_diagnostics);
  Report report(res.file, out);
  if (res.isIstio()) validateObjectMeta(res, report);
  res.visitSpec([&](const auto& spec) {
    using T = std::decay_t<decltype(spec)>;
    if constexpr (std::is_same_v<T, api::VirtualService>) {
      validateVirtualService(res, spec, report);
    } else if constexpr (std::is_same_v<T, api::DestinationRule>) {
      validateDestinationRule(res, spec, report);
    } else if constexpr (std::is_same_v<T, api::Gateway>) {
      validateGateway(res, spec, report);
    } else if constexpr (std::is_same_v<T, api::ServiceEntry>) {
      validateServiceEntry(res, spec, report);
    } else if constexpr (std::is_same_v<T, api::Sidecar>) {
      validateSidecar(res, spec, report);
    } else if constexpr (std::is_same_v<T, api::WorkloadEntry>) {
      validateWorkloadEntry(res, spec, report);
    } else if constexpr (std::is_same_v<T, api::WorkloadGroup>) {
      validateWorkloadGroup(res, spec, report);
    }
  });
}

}  // namespace meshroute::validate
