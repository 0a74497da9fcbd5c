// Checks shared by the HTTP, TLS and TCP parts of VirtualService validation: destinations,
// string matches and regexes, gateway references.
#include <fmt/format.h>
#include <re2/re2.h>

#include "validate/go_format.h"
#include "validate/virtual_service_internal.h"

namespace meshroute::validate::vs {
namespace {

// The text Go's regexp package gives for each RE2 parse error.
std::string_view goRegexpErrorCode(RE2::ErrorCode code) {
  switch (code) {
    case RE2::ErrorBadEscape: return "invalid escape sequence";
    case RE2::ErrorBadCharClass: return "invalid character class";
    case RE2::ErrorBadCharRange: return "invalid character class range";
    case RE2::ErrorMissingBracket: return "missing closing ]";
    case RE2::ErrorMissingParen: return "missing closing )";
    case RE2::ErrorUnexpectedParen: return "unexpected )";
    case RE2::ErrorTrailingBackslash: return "trailing backslash at end of expression";
    case RE2::ErrorRepeatArgument: return "missing argument to repetition operator";
    case RE2::ErrorRepeatSize: return "invalid repeat count";
    case RE2::ErrorRepeatOp: return "invalid nested repetition operator";
    case RE2::ErrorBadPerlOp: return "invalid or unsupported Perl syntax";
    case RE2::ErrorBadUTF8: return "invalid UTF-8";
    case RE2::ErrorBadNamedCapture: return "invalid named capture";
    case RE2::ErrorPatternTooLarge: return "expression too large";
    default: return "unexpected error";
  }
}

}  // namespace

void validateGatewayNames(const api::Message& owner, const std::vector<std::string>& names,
                          bool gateway_semantics, const Loc& at, Report& report) {
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string& name = names[i];
    Loc loc = at.item(owner, "gateways", i);
    size_t slash = name.find('/');
    if (slash == std::string::npos) {
      if (size_t dot = name.find('.'); dot != std::string::npos) {
        std::string_view first = std::string_view(name).substr(0, dot);
        std::string_view rest = std::string_view(name).substr(dot + 1);
        std::string_view second = rest.substr(0, rest.find('.'));
        report.warning(loc, fmt::format("using legacy gatewayName format {}; prefer the "
                                        "<namespace>/<name> format: \"{}/{}\"",
                                        goQuote(name), second, first));
      }
      for (const auto& e : validateFQDN(name)) report.error(loc, e);
      // Istio checks no further reference once it meets one without a namespace.
      return;
    }
    std::string_view ns = std::string_view(name).substr(0, slash);
    std::string_view gw = std::string_view(name).substr(slash + 1);
    if (ns.empty() || gw.empty()) {
      report.error(loc, "config namespace and gateway name cannot be empty");
    }
    if (!isDNS1123Label(ns)) {
      report.error(loc, fmt::format("invalid value for namespace: {}", goQuote(ns)));
    }
    if (!isDNS1123Label(gw) && !gateway_semantics) {
      report.error(loc, fmt::format("invalid value for gateway name: {}", goQuote(gw)));
    }
  }
}

void validatePortNumber(uint32_t port, const Loc& at, Report& report) {
  if (auto e = validatePort(port)) report.error(at, *e);
}

void validateDestination(const api::Destination& dest, const Loc& at, Report& report) {
  Loc host = at.field(dest, "host");
  if (dest.host == "*") {
    report.error(host, fmt::format("invalid destination host {}", dest.host));
  } else {
    for (const auto& e : validateWildcardDomain(dest.host)) report.error(host, e);
  }
  if (!dest.subset.empty() && !isDNS1123Label(dest.subset)) {
    report.error(at.field(dest, "subset"), fmt::format("subset name is invalid: {}", dest.subset));
  }
  if (dest.port) {
    validatePortNumber(dest.port->number, at.field(dest, "port").field(*dest.port, "number"),
                       report);
  }
}

Error validateRegex(std::string_view re, std::string_view where) {
  if (re.size() > 1024) {
    return fmt::format("{}: regex is too large, max length allowed is 1024", goQuote(where));
  }
  RE2::Options options;
  options.set_log_errors(false);
  RE2 compiled(re, options);
  if (compiled.ok()) return std::nullopt;
  return fmt::format(
      "{}: error parsing regexp: {}: `{}`; Istio uses RE2 style regex-based match "
      "(https://github.com/google/re2/wiki/Syntax)",
      goQuote(where), goRegexpErrorCode(compiled.error_code()), compiled.error_arg());
}

void validateStringMatchRegexp(const api::StringMatch& sm, std::string_view where, const Loc& at,
                               Report& report) {
  if (!sm.regex) return;
  Loc loc = at.field(sm, "regex");
  if (sm.regex->empty()) {
    report.error(loc, fmt::format("{}: regex string match should not be empty", goQuote(where)));
    return;
  }
  if (auto e = validateRegex(*sm.regex, where)) report.error(loc, *e);
}

void validateStringMatch(const api::StringMatch& sm, std::string_view where, const Loc& at,
                         Report& report) {
  if (sm.prefix && sm.prefix->empty()) {
    report.error(at.field(sm, "prefix"),
                 fmt::format("{}: prefix string match should not be empty", goQuote(where)));
  }
  validateStringMatchRegexp(sm, where, at, report);
}

}  // namespace meshroute::validate::vs
