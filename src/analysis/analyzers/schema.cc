// Istio's schema.ValidationAnalyzer.<Kind>: its admission validation run over each resource,
// errors as IST0106 and warnings as IST0133, except the VirtualService rule analysis, whose
// warnings become IST0130 (unreachable rule) and IST0131 (ineffective match).
//
// The validation is meshroute's (src/validate). Istio validates a config that carries only the
// name and namespace, so labels and annotations are hidden from it here. Istio sets no line;
// meshroute reports each finding at the field the validation names.
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "analysis/analyzers/groups.h"
#include "validate/validate.h"

namespace meshroute::analysis {
namespace {

// The validate module states the rule analysis only as text, in Istio's wording:
//   virtualService rule <rule> not used (<reason>)
//   virtualService rule <rule> match <match> is not used (duplicate/overlapping match in rule
//   <dup>)
// where <rule> is "#<n>" or a Go-quoted name. These recover Istio's message parameters.
constexpr std::string_view kRulePrefix = "virtualService rule ";
constexpr std::string_view kUnusedInfix = " not used (";
constexpr std::string_view kMatchInfix = " match ";
constexpr std::string_view kIneffectiveInfix = " is not used (duplicate/overlapping match in rule ";

// The length of a leading "#<n>" or Go-quoted name at the start of `s`, or 0.
size_t ruleNameLength(std::string_view s) {
  if (s.starts_with('"')) {
    for (size_t i = 1; i < s.size(); ++i) {
      if (s[i] == '\\') {
        ++i;
      } else if (s[i] == '"') {
        return i + 1;
      }
    }
    return 0;
  }
  if (!s.starts_with('#')) return 0;
  size_t end = s.find(' ');
  return end == std::string_view::npos ? 0 : end;
}

struct RuleFinding {
  const MessageType* type = nullptr;
  std::vector<Arg> args;
};

std::optional<RuleFinding> ruleFinding(std::string_view text) {
  if (!text.starts_with(kRulePrefix) || !text.ends_with(')')) return std::nullopt;
  std::string_view rest = text.substr(kRulePrefix.size());
  size_t rule_len = ruleNameLength(rest);
  if (rule_len == 0) return std::nullopt;
  std::string rule(rest.substr(0, rule_len));
  rest.remove_prefix(rule_len);
  rest.remove_suffix(1);  // ')'
  if (rest.starts_with(kUnusedInfix)) {
    return RuleFinding{&msg::kVirtualServiceUnreachableRule,
                       {rule, std::string(rest.substr(kUnusedInfix.size()))}};
  }
  if (!rest.starts_with(kMatchInfix)) return std::nullopt;
  rest.remove_prefix(kMatchInfix.size());
  // Skip a quoted match name first so a name containing the separator cannot split early.
  size_t split = rest.find(kIneffectiveInfix, ruleNameLength(rest));
  if (split == std::string_view::npos) return std::nullopt;
  return RuleFinding{&msg::kVirtualServiceIneffectiveMatch,
                     {rule, std::string(rest.substr(0, split)),
                      std::string(rest.substr(split + kIneffectiveInfix.size()))}};
}

// src/validate also applies the CRDs' OpenAPI schema and CEL rules, which the Kubernetes API
// server enforces, in the API server's wording. Istio's analyzer runs only its Go validation,
// so those findings are left out.
bool isApiServerMessage(std::string_view message) {
  for (std::string_view prefix : {"Invalid value: ", "Too long: ", "Too many: ",
                                  "Duplicate value: ", "Required value", "Unsupported value: "}) {
    if (message.starts_with(prefix)) return true;
  }
  return false;
}

template <class Spec>
void validateSpec(const api::Resource& res, const Spec& spec, validate::Report& report) {
  if constexpr (std::is_same_v<Spec, api::VirtualService>) {
    validate::validateVirtualService(res, spec, report);
  } else if constexpr (std::is_same_v<Spec, api::DestinationRule>) {
    validate::validateDestinationRule(res, spec, report);
  } else if constexpr (std::is_same_v<Spec, api::Gateway>) {
    validate::validateGateway(res, spec, report);
  } else if constexpr (std::is_same_v<Spec, api::ServiceEntry>) {
    validate::validateServiceEntry(res, spec, report);
  } else if constexpr (std::is_same_v<Spec, api::Sidecar>) {
    validate::validateSidecar(res, spec, report);
  } else if constexpr (std::is_same_v<Spec, api::WorkloadEntry>) {
    validate::validateWorkloadEntry(res, spec, report);
  } else {
    static_assert(std::is_same_v<Spec, api::WorkloadGroup>);
    validate::validateWorkloadGroup(res, spec, report);
  }
}

template <class Spec>
void runValidation(Context& ctx, KindRef kind) {
  for (const api::Resource* res : ctx.store().all(kind)) {
    const auto* spec = res->as<Spec>();
    if (spec == nullptr) continue;
    // The resource as Istio's validation sees it: name and namespace, no labels or annotations.
    api::Resource shell;
    shell.api_version = res->api_version;
    shell.group = res->group;
    shell.version = res->version;
    shell.kind = res->kind;
    shell.meta = res->meta;
    shell.meta.labels.clear();
    shell.meta.annotations.clear();
    shell.file = res->file;
    shell.mark = res->mark;
    core::Diagnostics found;
    validate::Report report(res->file, found);
    validateSpec(shell, *spec, report);
    std::vector<core::Diagnostic> found_items = found.items();
    std::erase_if(found_items,
                  [](const core::Diagnostic& d) { return isApiServerMessage(d.message); });
    // Errors first, then warnings, as Istio reports them.
    for (const core::Diagnostic& d : found_items) {
      if (d.level == Level::kError)
        ctx.report(msg::kSchemaValidationError, *res, d.field, {d.message});
    }
    for (const core::Diagnostic& d : found_items) {
      if (d.level != Level::kWarning) continue;
      if (auto rule = kind.kind == "VirtualService" ? ruleFinding(d.message) : std::nullopt) {
        ctx.report(*rule->type, *res, d.field, std::move(rule->args));
      } else {
        ctx.report(msg::kSchemaWarning, *res, d.field, {d.message});
      }
    }
  }
}

}  // namespace

void addSchemaAnalyzers(std::vector<Analyzer>& out) {
  // Istio's collection order (collections.Pilot), networking kinds meshroute validates.
  out.push_back(
      {"schema.ValidationAnalyzer.DestinationRule",
       "Runs schema validation as an analyzer on 'DestinationRule' resources",
       [](Context& ctx) { runValidation<api::DestinationRule>(ctx, kinds::kDestinationRule); }});
  out.push_back({"schema.ValidationAnalyzer.Gateway",
                 "Runs schema validation as an analyzer on 'Gateway' resources",
                 [](Context& ctx) { runValidation<api::Gateway>(ctx, kinds::kGateway); }});
  out.push_back(
      {"schema.ValidationAnalyzer.ServiceEntry",
       "Runs schema validation as an analyzer on 'ServiceEntry' resources",
       [](Context& ctx) { runValidation<api::ServiceEntry>(ctx, kinds::kServiceEntry); }});
  out.push_back({"schema.ValidationAnalyzer.Sidecar",
                 "Runs schema validation as an analyzer on 'Sidecar' resources",
                 [](Context& ctx) { runValidation<api::Sidecar>(ctx, kinds::kSidecar); }});
  out.push_back(
      {"schema.ValidationAnalyzer.VirtualService",
       "Runs schema validation as an analyzer on 'VirtualService' resources",
       [](Context& ctx) { runValidation<api::VirtualService>(ctx, kinds::kVirtualService); }});
  out.push_back(
      {"schema.ValidationAnalyzer.WorkloadEntry",
       "Runs schema validation as an analyzer on 'WorkloadEntry' resources",
       [](Context& ctx) { runValidation<api::WorkloadEntry>(ctx, kinds::kWorkloadEntry); }});
  out.push_back(
      {"schema.ValidationAnalyzer.WorkloadGroup",
       "Runs schema validation as an analyzer on 'WorkloadGroup' resources",
       [](Context& ctx) { runValidation<api::WorkloadGroup>(ctx, kinds::kWorkloadGroup); }});
}

}  // namespace meshroute::analysis
