// meshroute's route checks: rules no request reaches, destinations that take no traffic, regexes
// that match nothing, and retry/timeout/fault/mirror settings that work against each other.
// Matching questions are answered on the routing module's compiled matchers, the same ones the
// proxy evaluates, so "never reached" here means never reached by the proxy.
#include <re2/re2.h>

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "analysis/analyzers/groups.h"
#include "analysis/analyzers/meshroute_common.h"
#include "routing/http_match.h"

namespace meshroute::analysis {
namespace {

using routing::HeaderCondition;
using routing::HttpRouteMatch;
using routing::StringMatcher;
using Kind = StringMatcher::Kind;

// ---- MR0001: shadowed rules ---------------------------------------------------------------

bool matchesAnyPath(const std::optional<StringMatcher>& m) {
  if (!m) return true;
  return (m->kind() == Kind::kPrefix && m->value() == "/") ||
         (m->kind() == Kind::kRegex && m->value() == ".*");
}

// Every value `b` accepts, `a` accepts too.
bool matcherCovers(const StringMatcher& a, const StringMatcher& b) {
  if (a.kind() == Kind::kPresent) return true;
  if (b.kind() == Kind::kPresent) return false;
  // A case-insensitive `b` accepts every casing; only a case-insensitive `a` accepts them all.
  if (b.ignoreCase() && !a.ignoreCase()) return false;
  switch (b.kind()) {
    case Kind::kExact: return a.matches(b.value());
    case Kind::kPrefix: {
      if (a.kind() != Kind::kPrefix) return a.kind() == Kind::kRegex && a.value() == ".*";
      const std::string bv = a.ignoreCase() ? routing::hosts::toLower(b.value()) : b.value();
      return bv.starts_with(a.value());
    }
    case Kind::kRegex:
      return (a.kind() == Kind::kRegex && (a.value() == b.value() || a.value() == ".*")) ||
             (a.kind() == Kind::kPrefix && a.value().empty());
    case Kind::kPresent: break;
  }
  return false;
}

bool headerCovers(const HeaderCondition& a, const HeaderCondition& b) {
  if (a.name != b.name || a.invert != b.invert || a.jwt_claim != b.jwt_claim) return false;
  if (!a.invert) return matcherCovers(a.matcher, b.matcher);
  // "must not match A" holds wherever "must not match B" does when B accepts all A accepts.
  return a.treat_missing_as_empty == b.treat_missing_as_empty &&
         matcherCovers(b.matcher, a.matcher);
}

std::vector<std::string> effectiveGateways(const HttpRouteMatch& r,
                                           const std::vector<std::string>& vs_gateways) {
  return r.gateways.empty() ? vs_gateways : r.gateways;
}

// Every request `b` accepts (on every proxy it applies to), `a` accepts first.
bool routeCovers(const HttpRouteMatch& a, const HttpRouteMatch& b,
                 const std::vector<std::string>& vs_gateways) {
  if (!a.errors.empty()) return false;  // a broken regex never matches
  if (a.port != 0 && a.port != b.port) return false;
  if (!a.source_namespace.empty() && a.source_namespace != b.source_namespace) return false;
  if (!mr::selects(a.source_labels, b.source_labels)) return false;
  const auto ga = effectiveGateways(a, vs_gateways);
  const auto gb = effectiveGateways(b, vs_gateways);
  if (!std::all_of(gb.begin(), gb.end(), [&](const std::string& g) {
        return std::find(ga.begin(), ga.end(), g) != ga.end();
      })) {
    return false;
  }
  if (!matchesAnyPath(a.path) && (!b.path || !matcherCovers(*a.path, *b.path))) return false;
  for (const HeaderCondition& ha : a.headers) {
    if (std::none_of(b.headers.begin(), b.headers.end(),
                     [&](const HeaderCondition& hb) { return headerCovers(ha, hb); })) {
      return false;
    }
  }
  for (const routing::QueryCondition& qa : a.query) {
    if (std::none_of(b.query.begin(), b.query.end(), [&](const routing::QueryCondition& qb) {
          return qa.name == qb.name && matcherCovers(qa.matcher, qb.matcher);
        })) {
      return false;
    }
  }
  return true;
}

std::string describeRoute(const HttpRouteMatch& r) {
  std::vector<std::string> parts;
  if (!matchesAnyPath(r.path)) parts.push_back("uri " + r.path->describe());
  for (const HeaderCondition& h : r.headers) parts.push_back(h.label + " " + h.matcher.describe());
  for (const routing::QueryCondition& q : r.query) {
    parts.push_back("queryParams " + q.name + " " + q.matcher.describe());
  }
  if (r.port != 0) parts.push_back(fmt::format("port {}", r.port));
  if (parts.empty()) return "any request";
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}

// Istio's own validation already reports (IST0130) a rule after a rule without matches, and a
// rule whose every match repeats an earlier one as written; MR0001 adds what it misses: cover
// by a broader match, or by a match that is written differently but selects every request.
std::string canonicalNode(const api::Node& n, bool skip_name) {
  switch (n.kind) {
    case api::Node::Kind::kMap: {
      std::vector<std::pair<std::string, std::string>> entries;
      for (const api::MapEntry& e : n.entries) {
        if (skip_name && e.key == "name") continue;
        entries.emplace_back(e.key, canonicalNode(e.value, false));
      }
      std::sort(entries.begin(), entries.end());
      std::string out = "{";
      for (const auto& [k, v] : entries) out.append(k).append(":").append(v).append(",");
      return out + "}";
    }
    case api::Node::Kind::kSequence: {
      std::string out = "[";
      for (const api::Node& item : n.items) out += canonicalNode(item, false) + ",";
      return out + "]";
    }
    case api::Node::Kind::kScalar: return "'" + std::string(n.text()) + "'";
    case api::Node::Kind::kNull: break;
  }
  return "~";
}

void shadowedRules(Context& ctx) {
  for (const api::Resource* res : ctx.store().all(kinds::kVirtualService)) {
    const auto* vs = res->as<api::VirtualService>();
    if (vs == nullptr || vs->http.size() < 2) continue;
    std::vector<std::string> vs_gateways;
    for (const std::string& g : vs->gateways) {
      vs_gateways.push_back(routing::hosts::resolveGatewayName(g, res->meta.namespace_));
    }
    if (vs_gateways.empty()) vs_gateways.emplace_back("mesh");
    std::vector<HttpRouteMatch> earlier;
    std::set<std::string> earlier_text;  // matches as written, for Istio's duplicate check
    bool after_matchless = false;
    for (size_t i = 0; i < vs->http.size(); ++i) {
      const api::HTTPRoute& rule = vs->http[i];
      std::vector<HttpRouteMatch> routes;
      std::vector<std::string> texts;
      const int blocks = static_cast<int>(rule.match.size());
      for (int m = blocks == 0 ? -1 : 0; m < blocks; ++m) {
        HttpRouteMatch r = routing::compileRouteMatch(rule, static_cast<int>(i), m);
        for (std::string& g : r.gateways) {
          g = routing::hosts::resolveGatewayName(g, res->meta.namespace_);
        }
        routes.push_back(std::move(r));
        const api::Node* node =
            m < 0 ? nullptr : nodeAt(*res, fmt::format("spec.http[{}].match[{}]", i, m));
        texts.push_back(node ? canonicalNode(*node, true) : "");
      }
      const bool istio_reports =
          after_matchless || (blocks > 0 && std::all_of(texts.begin(), texts.end(), [&](auto& t) {
                                return !t.empty() && earlier_text.contains(t);
                              }));
      if (!istio_reports && i > 0) {
        std::string reason;
        bool all_covered = true;
        for (const HttpRouteMatch& r : routes) {
          if (!r.errors.empty()) continue;  // never matches at all: MR0003 / IST0122
          auto by = std::find_if(earlier.begin(), earlier.end(), [&](const HttpRouteMatch& e) {
            return routeCovers(e, r, vs_gateways);
          });
          if (by == earlier.end()) {
            all_covered = false;
            break;
          }
          const api::HTTPRoute& shadow = vs->http[static_cast<size_t>(by->rule)];
          const std::string shadow_label =
              mr::ruleLabel("http", shadow.name, static_cast<size_t>(by->rule));
          if (!reason.empty()) reason += "; ";
          if (describeRoute(*by) == "any request") {
            reason += fmt::format("rule {} matches every request first", shadow_label);
          } else {
            reason += fmt::format("{} is already matched by rule {} ({})", describeRoute(r),
                                  shadow_label, describeRoute(*by));
          }
        }
        if (all_covered && !reason.empty()) {
          const std::string field = blocks == 0 ? fmt::format("spec.http[{}]", i)
                                                : fmt::format("spec.http[{}].match[0]", i);
          ctx.report(own::kRuleShadowed, *res, field,
                     {mr::ruleLabel("http", rule.name, i), reason});
        }
      }
      if (blocks == 0) after_matchless = true;
      for (HttpRouteMatch& r : routes) earlier.push_back(std::move(r));
      for (std::string& t : texts) {
        if (!t.empty()) earlier_text.insert(std::move(t));
      }
    }
  }
}

// ---- MR0002: zero-weight destinations -----------------------------------------------------

template <class Route>
void zeroWeights(Context& ctx, const api::Resource& res, std::string_view section,
                 const std::vector<Route>& rules) {
  for (size_t i = 0; i < rules.size(); ++i) {
    const auto& dests = rules[i].route;
    if (dests.size() < 2) continue;  // a single destination's weight 0 means 100
    int64_t total = 0;
    for (const auto& d : dests) total += d.weight;
    if (total <= 0) continue;
    std::string name;
    if constexpr (std::is_same_v<Route, api::HTTPRoute>) name = rules[i].name;
    for (size_t j = 0; j < dests.size(); ++j) {
      if (dests[j].weight != 0) continue;
      std::string dest = dests[j].destination ? dests[j].destination->host : "";
      if (dests[j].destination && !dests[j].destination->subset.empty()) {
        dest += " subset " + dests[j].destination->subset;
      }
      const std::string base = fmt::format("spec.{}[{}].route[{}]", section, i, j);
      const bool written = nodeAt(res, base + ".weight") != nullptr;
      ctx.report(own::kZeroWeightDestination, res, written ? base + ".weight" : base,
                 {dest, mr::ruleLabel(section, name, i)});
    }
  }
}

void zeroWeightDestinations(Context& ctx) {
  for (const api::Resource* res : ctx.store().all(kinds::kVirtualService)) {
    const auto* vs = res->as<api::VirtualService>();
    if (vs == nullptr) continue;
    zeroWeights(ctx, *res, "http", vs->http);
    zeroWeights(ctx, *res, "tcp", vs->tcp);
    zeroWeights(ctx, *res, "tls", vs->tls);
  }
}

// ---- MR0003: regexes that never match -----------------------------------------------------

// Why `pattern` can never full-match a value of the field ("" when it can). Envoy's request
// path always starts with "/", so a path regex whose every match sorts outside "/..." never
// matches; PossibleMatchRange bounds every string the regex can match from its start.
std::string neverMatches(const std::string& pattern, bool is_path) {
  RE2 re(pattern, RE2::Quiet);
  if (!re.ok()) return "";  // Istio's RegexAnalyzer (IST0122) reports invalid regexes
  std::string lo;
  std::string hi;
  if (!re.PossibleMatchRange(&lo, &hi, 16)) return "";
  if (hi < lo) return "no string matches it";
  if (is_path && (hi < "/" || (!lo.empty() && static_cast<unsigned char>(lo[0]) > '/'))) {
    return "request paths start with \"/\" and every match of this regex starts otherwise";
  }
  if (is_path && hi.empty()) return "it matches only the empty string and paths are never empty";
  return "";
}

void checkRegex(Context& ctx, const api::Resource& res, const std::optional<api::StringMatch>& m,
                const std::string& field, const std::string& where, bool is_path) {
  if (!m || !m->regex) return;
  std::string why = neverMatches(*m->regex, is_path);
  if (!why.empty())
    ctx.report(own::kRegexNeverMatches, res, field + ".regex", {*m->regex, where, why});
}

void neverMatchingRegexes(Context& ctx) {
  for (const api::Resource* res : ctx.store().all(kinds::kVirtualService)) {
    const auto* vs = res->as<api::VirtualService>();
    if (vs == nullptr) continue;
    for (size_t i = 0; i < vs->http.size(); ++i) {
      const std::string rule = mr::ruleLabel("http", vs->http[i].name, i);
      for (size_t m = 0; m < vs->http[i].match.size(); ++m) {
        const api::HTTPMatchRequest& match = vs->http[i].match[m];
        const std::string base = fmt::format("spec.http[{}].match[{}]", i, m);
        checkRegex(ctx, *res, match.uri, base + ".uri", "the uri match of rule " + rule, true);
        checkRegex(ctx, *res, match.method, base + ".method", "the method match of rule " + rule,
                   false);
        checkRegex(ctx, *res, match.authority, base + ".authority",
                   "the authority match of rule " + rule, false);
        for (const auto& [name, sm] : match.headers) {
          checkRegex(ctx, *res, sm, fmt::format("{}.headers.{}", base, name),
                     fmt::format("header {} of rule {}", name, rule), false);
        }
        for (const auto& [name, sm] : match.query_params) {
          checkRegex(ctx, *res, sm, fmt::format("{}.queryParams.{}", base, name),
                     fmt::format("query parameter {} of rule {}", name, rule), false);
        }
      }
    }
  }
}

// ---- MR0020..MR0023: policy interplay -----------------------------------------------------

std::string formatSeconds(int64_t nanos) {
  if (nanos % 1000000000 == 0) return fmt::format("{}s", nanos / 1000000000);
  if (nanos % 1000000 == 0) return fmt::format("{}ms", nanos / 1000000);
  return fmt::format("{:.3f}s", static_cast<double>(nanos) / 1e9);
}

bool forwards(const api::HTTPRoute& rule) {
  return !rule.route.empty() && !rule.redirect && !rule.direct_response && !rule.delegate;
}

void retryBudget(Context& ctx) {
  for (const api::Resource* res : ctx.store().all(kinds::kVirtualService)) {
    const auto* vs = res->as<api::VirtualService>();
    if (vs == nullptr) continue;
    for (size_t i = 0; i < vs->http.size(); ++i) {
      const api::HTTPRoute& rule = vs->http[i];
      if (!forwards(rule) || !rule.timeout || !rule.retries || !rule.retries->per_try_timeout) {
        continue;
      }
      const int64_t timeout = rule.timeout->totalNanos();
      const int64_t per_try = rule.retries->per_try_timeout->totalNanos();
      const int64_t attempts = int64_t{rule.retries->attempts} + 1;  // the first try + retries
      if (timeout <= 0 || per_try <= 0 || rule.retries->attempts <= 0) continue;
      const int64_t budget = attempts * per_try;
      if (budget <= timeout) continue;
      ctx.report(own::kRetryBudgetExceedsTimeout, *res,
                 fmt::format("spec.http[{}].retries.perTryTimeout", i),
                 {mr::ruleLabel("http", rule.name, i), formatSeconds(budget), attempts,
                  formatSeconds(per_try), formatSeconds(timeout)});
    }
  }
}

// Istio's retry policy when a route sets none (retries unset, or retryOn empty).
constexpr std::string_view kDefaultRetryOn =
    "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes";

// Conditions that can retry a request the upstream may already have acted on: everything except
// failures that happen before the request is sent.
std::vector<std::string> afterSendConditions(std::string_view retry_on) {
  static const std::set<std::string, std::less<>> kBeforeSend = {
      "connect-failure", "refused-stream", "reset-before-request", "envoy-ratelimited"};
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= retry_on.size()) {
    size_t end = retry_on.find(',', start);
    if (end == std::string_view::npos) end = retry_on.size();
    std::string_view item = retry_on.substr(start, end - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty() && !kBeforeSend.contains(item)) out.emplace_back(item);
    start = end + 1;
  }
  return out;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ",") + s;
  return out;
}

void retriesNonIdempotent(Context& ctx) {
  static const char* const kNonIdempotent[] = {"POST", "PATCH", "CONNECT"};
  for (const api::Resource* res : ctx.store().all(kinds::kVirtualService)) {
    const auto* vs = res->as<api::VirtualService>();
    if (vs == nullptr) continue;
    for (size_t i = 0; i < vs->http.size(); ++i) {
      const api::HTTPRoute& rule = vs->http[i];
      if (!forwards(rule)) continue;
      if (rule.retries && rule.retries->attempts <= 0 &&
          nodeAt(*res, fmt::format("spec.http[{}].retries.attempts", i))) {
        continue;  // retries explicitly off
      }
      const std::string retry_on = rule.retries && !rule.retries->retry_on.empty()
                                       ? rule.retries->retry_on
                                       : std::string(kDefaultRetryOn);
      const std::vector<std::string> unsafe = afterSendConditions(retry_on);
      if (unsafe.empty()) continue;
      for (size_t m = 0; m < rule.match.size(); ++m) {
        const auto& method = rule.match[m].method;
        if (!method) continue;
        const StringMatcher matcher = StringMatcher::compile(*method);
        std::vector<std::string> carried;
        for (const char* verb : kNonIdempotent) {
          if (matcher.kind() != Kind::kPresent && matcher.matches(verb)) carried.emplace_back(verb);
        }
        if (carried.empty()) continue;
        const std::string how =
            rule.retries && !rule.retries->retry_on.empty()
                ? join(unsafe)
                : join(unsafe) + " (Istio's default retry policy, as the rule sets no retryOn)";
        ctx.report(own::kRetriesNonIdempotent, *res,
                   fmt::format("spec.http[{}].match[{}].method", i, m),
                   {mr::ruleLabel("http", rule.name, i), how, join(carried)});
        break;
      }
    }
  }
}

void faultAbortWithRetries(Context& ctx) {
  for (const api::Resource* res : ctx.store().all(kinds::kVirtualService)) {
    const auto* vs = res->as<api::VirtualService>();
    if (vs == nullptr) continue;
    for (size_t i = 0; i < vs->http.size(); ++i) {
      const api::HTTPRoute& rule = vs->http[i];
      if (!rule.fault || !rule.fault->abort || !rule.retries || rule.retries->attempts <= 0) {
        continue;
      }
      const api::HTTPFaultInjectionAbort& abort = *rule.fault->abort;
      std::string what;
      if (abort.http_status) what = fmt::format("HTTP {}", *abort.http_status);
      if (abort.grpc_status) what = "gRPC " + *abort.grpc_status;
      if (abort.http2_error) what = "HTTP/2 " + *abort.http2_error;
      if (abort.percentage) what += fmt::format(" for {}% of requests", abort.percentage->value);
      const std::string retries = fmt::format(
          "{} attempts on {}", rule.retries->attempts,
          rule.retries->retry_on.empty() ? std::string(kDefaultRetryOn) : rule.retries->retry_on);
      ctx.report(own::kFaultAbortWithRetries, *res, fmt::format("spec.http[{}].fault.abort", i),
                 {mr::ruleLabel("http", rule.name, i), what, retries});
    }
  }
}

struct Target {
  std::string host;
  std::string subset;
  uint32_t port = 0;
  bool operator==(const Target&) const = default;
};

Target targetOf(const api::Destination& d, const api::Resource& res, const MeshSettings& mesh) {
  return {mr::fqdn(d.host, res, mesh), d.subset, d.port ? d.port->number : 0};
}

std::string describeTarget(const api::Destination& d) {
  std::string out = d.host;
  if (!d.subset.empty()) out += " subset " + d.subset;
  if (d.port && d.port->number != 0) out += fmt::format(" port {}", d.port->number);
  return out;
}

void mirrorToSelf(Context& ctx) {
  for (const api::Resource* res : ctx.store().all(kinds::kVirtualService)) {
    const auto* vs = res->as<api::VirtualService>();
    if (vs == nullptr) continue;
    for (size_t i = 0; i < vs->http.size(); ++i) {
      const api::HTTPRoute& rule = vs->http[i];
      std::vector<Target> primaries;
      for (const auto& d : rule.route) {
        if (d.destination) primaries.push_back(targetOf(*d.destination, *res, ctx.mesh()));
      }
      auto check = [&](const api::Destination& mirror, const std::string& field) {
        const Target t = targetOf(mirror, *res, ctx.mesh());
        if (std::find(primaries.begin(), primaries.end(), t) == primaries.end()) return;
        ctx.report(own::kMirrorToSelf, *res, field,
                   {mr::ruleLabel("http", rule.name, i), describeTarget(mirror)});
      };
      if (rule.mirror) check(*rule.mirror, fmt::format("spec.http[{}].mirror.host", i));
      for (size_t m = 0; m < rule.mirrors.size(); ++m) {
        if (rule.mirrors[m].destination) {
          check(*rule.mirrors[m].destination,
                fmt::format("spec.http[{}].mirrors[{}].destination.host", i, m));
        }
      }
    }
  }
}

}  // namespace

void addMeshrouteRouteAnalyzers(std::vector<Analyzer>& out) {
  out.push_back({"meshroute.ShadowedRuleAnalyzer",
                 "Checks for VirtualService HTTP rules that an earlier rule always matches first",
                 shadowedRules});
  out.push_back({"meshroute.ZeroWeightAnalyzer",
                 "Checks for route destinations whose weight of 0 gives them no traffic",
                 zeroWeightDestinations});
  out.push_back({"meshroute.RegexNeverMatchesAnalyzer",
                 "Checks for match regexes that no request value can satisfy",
                 neverMatchingRegexes});
  out.push_back({"meshroute.RetryBudgetAnalyzer",
                 "Checks that retries times perTryTimeout fit in the route timeout", retryBudget});
  out.push_back({"meshroute.RetryIdempotencyAnalyzer",
                 "Checks for retries on rules that match non-idempotent methods",
                 retriesNonIdempotent});
  out.push_back({"meshroute.FaultRetryAnalyzer",
                 "Checks for rules that inject aborts and also configure retries",
                 faultAbortWithRetries});
  out.push_back({"meshroute.MirrorToSelfAnalyzer",
                 "Checks for rules that mirror traffic to the destination they route to",
                 mirrorToSelf});
}

}  // namespace meshroute::analysis
