// deprecation.DeprecationAnalyzer: Istio's hand-kept list of deprecated networking fields and
// removed custom resource types (pkg/config/analysis/analyzers/deprecation).
#include <fmt/format.h>

#include <string>
#include <vector>

#include "analysis/analyzers/groups.h"

namespace meshroute::analysis {
namespace {

struct RemovedKind {
  std::string_view group;
  std::string_view kind;
};
constexpr RemovedKind kRemovedKinds[] = {{"rbac.istio.io", "ClusterRbacConfig"},
                                         {"rbac.istio.io", "RbacConfig"},
                                         {"rbac.istio.io", "ServiceRole"},
                                         {"rbac.istio.io", "ServiceRoleBinding"}};

void deprecations(Context& ctx) {
  for (const api::Resource* res : ctx.store().all(kinds::kVirtualService)) {
    const auto* vs = res->as<api::VirtualService>();
    if (vs == nullptr) continue;
    for (size_t i = 0; i < vs->http.size(); ++i) {
      const auto& fault = vs->http[i].fault;
      if (fault && fault->delay && fault->delay->percent > 0) {
        ctx.report(msg::kDeprecated, *res, fmt::format("spec.http[{}].fault.delay.percent", i),
                   {"HTTPRoute.fault.delay.percent is deprecated; use "
                    "HTTPRoute.fault.delay.percentage"});
      }
    }
  }
  for (const api::Resource* res : ctx.store().all(kinds::kSidecar)) {
    const auto* sc = res->as<api::Sidecar>();
    if (sc != nullptr && sc->outbound_traffic_policy && sc->outbound_traffic_policy->egress_proxy) {
      ctx.report(msg::kDeprecated, *res, "spec.outboundTrafficPolicy.egressProxy",
                 {"OutboundTrafficPolicy.EgressProxy ignored"});
    }
  }
  // CustomResourceDefinitions of kinds Istio removed: the CRD's spec names them.
  for (const api::Resource* res :
       ctx.store().all(KindRef{"apiextensions.k8s.io", "CustomResourceDefinition"})) {
    const api::Node* group = nodeAt(*res, "spec.group");
    const api::Node* kind = nodeAt(*res, "spec.names.kind");
    if (group == nullptr || kind == nullptr) continue;
    for (const RemovedKind& removed : kRemovedKinds) {
      if (group->text() == removed.group && kind->text() == removed.kind) {
        ctx.report(
            msg::kDeprecated, *res, "",
            {fmt::format("Custom resource type {} {} is removed", removed.group, removed.kind)});
      }
    }
  }
}

}  // namespace

void addDeprecationAnalyzers(std::vector<Analyzer>& out) {
  out.push_back({"deprecation.DeprecationAnalyzer", "Checks for deprecated Istio types and fields",
                 deprecations});
}

}  // namespace meshroute::analysis
