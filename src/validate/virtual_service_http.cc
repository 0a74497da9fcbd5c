// Istio's rules for one HTTP route of a VirtualService: conflicts between actions, matches,
// header operations, CORS, faults, mirrors, redirects, direct responses, retries, rewrites and
// destinations.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <set>

#include "core/grpc_status.h"
#include "validate/schema_rules.h"
#include "validate/virtual_service_internal.h"

namespace meshroute::validate::vs {
namespace {

using api::HTTPRoute;

// Go's %v for a float64: integers print without a fraction, other values shortest.
std::string goFloat(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e21) {
    return fmt::format("{}", static_cast<int64_t>(v));
  }
  return fmt::format("{}", v);
}

void checkDuration(const std::optional<api::Duration>& d, const Loc& at, Report& report) {
  if (!d) return;
  if (auto e = validateDuration(*d)) report.error(at, *e);
}

void checkPercentage(const api::Message& owner, const std::optional<api::Percent>& p, const Loc& at,
                     Report& report) {
  if (!p) return;
  double v = p->value;
  if (v < 0.0 || v > 100.0 || (v > 0.0 && v < 0.0001)) {
    report.error(
        at.field(owner, "percentage"),
        fmt::format("percentage {} is neither 0.0, nor in range [0.0001, 100.0]", goFloat(v)));
  }
}

void checkRouteConflicts(const HTTPRoute& r, RouteKind kind, const Loc& at, Report& report) {
  if (kind == RouteKind::kRoot) {
    // A delegating route may only delegate.
    if (r.redirect) {
      report.error(at.field(r, "redirect"),
                   fmt::format("root HTTP route {} must not specify redirect", r.name));
    }
    if (r.has("route")) {
      report.error(at.field(r, "route"),
                   fmt::format("root HTTP route {} must not specify route", r.name));
    }
    return;
  }
  if (kind == RouteKind::kDelegate && r.delegate) {
    report.error(at.field(r, "delegate"), "delegate HTTP route cannot contain delegate");
  }
  if (r.redirect) {
    Loc redirect = at.field(r, "redirect");
    if (!r.route.empty())
      report.error(redirect, "HTTP route cannot contain both route and redirect");
    if (r.fault) report.error(redirect, "HTTP route cannot contain both fault and redirect");
    if (r.rewrite) {
      report.error(redirect, "HTTP route rule cannot contain both rewrite and redirect");
    }
    if (r.direct_response) {
      report.error(redirect, "HTTP route rule cannot contain both direct_response and redirect");
    }
  } else if (r.direct_response) {
    Loc direct = at.field(r, "directResponse");
    if (!r.route.empty()) {
      report.error(direct, "HTTP route cannot contain both route and direct_response");
    }
    if (r.fault) report.error(direct, "HTTP route cannot contain both fault and direct_response");
    if (r.rewrite) {
      report.error(direct, "HTTP route rule cannot contain both rewrite and direct_response");
    }
  } else if (r.route.empty()) {
    report.error(at, "HTTP route, redirect or direct_response is required");
  }
  if (r.mirror && !r.mirrors.empty()) {
    report.error(at.field(r, "mirrors"), "HTTP route cannot contain both mirror and mirrors");
  }
}

void checkStringMatchMap(const api::HTTPMatchRequest& m, std::string_view field,
                         const std::map<std::string, api::StringMatch>& entries, const Loc& at,
                         Report& report) {
  bool without = field == "withoutHeaders";
  for (const auto& [name, sm] : entries) {
    Loc entry = at.key(m, field, name);
    if (field != "queryParams") {
      if (!without && sm.mark == Mark{}) {
        report.error(entry, fmt::format("header match {} cannot be null", name));
      }
      if (auto e = validateHTTPHeaderNameOrJwtClaimRoute(name)) report.error(entry, *e);
    }
    // In withoutHeaders, regex "*" means "header present", not a regex.
    if (without && sm.regex && *sm.regex == "*") continue;
    validateStringMatch(sm, field, entry, report);
  }
}

void checkMatches(const HTTPRoute& r, const Loc& at, Report& report) {
  for (size_t i = 0; i < r.match.size(); ++i) {
    const auto& m = r.match[i];
    if (m.mark == Mark{}) continue;  // a null element
    Loc loc = at.item("match", i, m);
    checkStringMatchMap(m, "headers", m.headers, loc, report);
    checkStringMatchMap(m, "withoutHeaders", m.without_headers, loc, report);
    // Envoy accepts an empty uri prefix, but not an empty scheme/method/authority prefix.
    if (m.uri) validateStringMatchRegexp(*m.uri, "uri", loc.field(m, "uri"), report);
    if (m.scheme) validateStringMatch(*m.scheme, "scheme", loc.field(m, "scheme"), report);
    if (m.method) validateStringMatch(*m.method, "method", loc.field(m, "method"), report);
    if (m.authority) {
      validateStringMatch(*m.authority, "authority", loc.field(m, "authority"), report);
    }
    checkStringMatchMap(m, "queryParams", m.query_params, loc, report);

    if (m.port != 0) validatePortNumber(m.port, loc.field(m, "port"), report);
    validateLabels(m, "sourceLabels", m.source_labels, loc, report);
    Report errors_only = report.errorsOnly();
    validateGatewayNames(m, m.gateways, false, loc, errors_only);
    if (!m.source_namespace.empty() && !isDNS1123Label(m.source_namespace)) {
      report.error(loc.field(m, "sourceNamespace"),
                   fmt::format("sourceNamespace match {} is invalid", m.source_namespace));
    }
  }
}

// Header operations of a route or of one of its destinations.
void checkHeaderOperations(const api::Message& owner, const std::optional<api::Headers>& headers,
                           const Loc& owner_loc, Report& report) {
  if (!headers) return;
  Loc at = owner_loc.field(owner, "headers");
  auto check = [&](const std::optional<api::HeaderOperations>& ops, std::string_view name,
                   bool request) {
    if (!ops) return;
    Loc loc = at.field(*headers, name);
    auto name_check =
        request ? validateHTTPHeaderWithAuthorityOperationName : validateHTTPHeaderOperationName;
    for (std::string_view field : {"add", "set"}) {
      const auto& map = field == "add" ? ops->add : ops->set;
      for (const auto& [k, v] : map) {
        Loc entry = loc.key(*ops, field, k);
        if (auto e = name_check(k)) report.error(entry, *e);
        if (auto e = validateHTTPHeaderValue(v)) report.error(entry, *e);
      }
    }
    for (size_t i = 0; i < ops->remove.size(); ++i) {
      if (auto e = validateHTTPHeaderOperationName(ops->remove[i])) {
        report.error(loc.item(*ops, "remove", i), *e);
      }
    }
  };
  check(headers->request, "request", true);
  check(headers->response, "response", false);
}

void checkCors(const api::CorsPolicy& cors, const Loc& at, Report& report) {
  for (size_t i = 0; i < cors.allow_origins.size(); ++i) {
    const auto& origin = cors.allow_origins[i];
    Loc loc = at.item("allowOrigins", i, origin);
    const std::optional<std::string>& set = origin.exact    ? origin.exact
                                            : origin.prefix ? origin.prefix
                                                            : origin.regex;
    if (!set || set->empty()) {
      report.error(loc, "'' is not a valid match type for CORS allow origins");
      continue;
    }
    validateStringMatchRegexp(origin, "corsPolicy.allowOrigins", loc, report);
  }
  static const std::set<std::string_view> kMethods = {
      "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE", "*"};
  for (size_t i = 0; i < cors.allow_methods.size(); ++i) {
    if (kMethods.count(cors.allow_methods[i]) == 0) {
      report.error(
          at.item(cors, "allowMethods", i),
          fmt::format("{} is not a supported HTTP method", goQuote(cors.allow_methods[i])));
    }
  }
  for (std::string_view field : {"allowHeaders", "exposeHeaders"}) {
    const auto& names = field == "allowHeaders" ? cors.allow_headers : cors.expose_headers;
    for (size_t i = 0; i < names.size(); ++i) {
      if (auto e = validateCORSHTTPHeaderName(names[i])) {
        report.error(at.item(cors, field, i), *e);
      }
    }
  }
  if (cors.max_age) {
    Loc loc = at.field(cors, "maxAge");
    checkDuration(cors.max_age, loc, report);
    if (cors.max_age->nanos > 0) {
      report.error(loc, "max_age duration is accurate only to seconds precision");
    }
  }
}

const std::set<std::string_view>& grpcStatusNames() {
  static const std::set<std::string_view> kNames(core::kGrpcStatusNames.begin(),
                                                 core::kGrpcStatusNames.end());
  return kNames;
}

Error validateHTTPStatus(int32_t status) {
  // Istio accepts 600 although its message says 599.
  if (status < 200 || status > 600) {
    return fmt::format("HTTP status {} is not in range 200-599", status);
  }
  return std::nullopt;
}

void checkFault(const api::HTTPFaultInjection& fault, const Loc& at, Report& report) {
  if (!fault.abort && !fault.delay) {
    report.error(at, "HTTP fault injection must have an abort and/or a delay");
  }
  if (const auto& abort = fault.abort) {
    Loc loc = at.field(fault, "abort");
    checkPercentage(*abort, abort->percentage, loc, report);
    if (abort->grpc_status) {
      if (grpcStatusNames().count(*abort->grpc_status) == 0) {
        report.error(loc.field(*abort, "grpcStatus"),
                     fmt::format("gRPC status {} is not supported. See "
                                 "https://github.com/grpc/grpc/blob/master/doc/statuscodes.md for "
                                 "a list of supported codes, for example 'NOT_FOUND'",
                                 goQuote(*abort->grpc_status)));
      }
    } else if (abort->http2_error) {
      report.error(loc.field(*abort, "http2Error"),
                   "HTTP/2 abort fault injection not supported yet");
    } else if (abort->http_status) {
      if (auto e = validateHTTPStatus(*abort->http_status)) {
        report.error(loc.field(*abort, "httpStatus"), *e);
      }
    }
    // An abort without an error type only warns in Istio, and that warning is dropped on the
    // way up from the fault checks.
  }
  if (const auto& delay = fault.delay) {
    Loc loc = at.field(fault, "delay");
    checkPercentage(*delay, delay->percentage, loc, report);
    if (delay->fixed_delay) {
      checkDuration(delay->fixed_delay, loc.field(*delay, "fixedDelay"), report);
    } else if (delay->exponential_delay) {
      Loc exp = loc.field(*delay, "exponentialDelay");
      checkDuration(delay->exponential_delay, exp, report);
      report.error(exp, "exponentialDelay not supported yet");
    }
  }
}

void checkMirrorPercentage(double value, std::string_view what, const Loc& at, Report& report) {
  if (value > 100) {
    report.error(at, fmt::format("{} must have a max value of 100 (it has {:f})", what, value));
  }
  if (value < 0) {
    report.error(at, fmt::format("{} must have a min value of 0 (it has {:f})", what, value));
  }
}

void checkMirrors(const HTTPRoute& r, const Loc& at, Report& report) {
  for (size_t i = 0; i < r.mirrors.size(); ++i) {
    const auto& mirror = r.mirrors[i];
    Loc loc = at.item("mirrors", i, mirror);
    if (mirror.mark == Mark{}) {
      report.error(loc, "mirror cannot be null");
      continue;
    }
    if (!mirror.destination) {
      report.error(loc, "destination is required for mirrors");
      continue;
    }
    validateDestination(*mirror.destination, loc.field(mirror, "destination"), report);
    if (mirror.percentage) {
      checkMirrorPercentage(mirror.percentage->value, "mirror percentage",
                            loc.field(mirror, "percentage"), report);
    }
  }
}

// Go's net/http StatusText knows these codes.
bool isKnownHTTPStatus(int64_t code) {
  static constexpr std::array<int, 62> kCodes = {
      100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301,
      302, 303, 304, 305, 307, 308, 400, 401, 402, 403, 404, 405, 406, 407, 408, 409,
      410, 411, 412, 413, 414, 415, 416, 417, 418, 421, 422, 423, 424, 425, 426, 428,
      429, 431, 451, 500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511};
  return std::find(kCodes.begin(), kCodes.end(), code) != kCodes.end();
}

// Go's strconv.Atoi, 0 when the text is not a decimal integer.
int64_t atoiOrZero(std::string_view s) {
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty() || s.size() > 18) return 0;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return 0;
    v = v * 10 + (c - '0');
  }
  return neg ? -v : v;
}

void checkRetries(const api::HTTPRetry& retry, const Loc& at, Report& report) {
  if (retry.attempts < 0) {
    report.error(at.field(retry, "attempts"), "attempts cannot be negative");
  }
  if (retry.attempts == 0 &&
      (retry.per_try_timeout || !retry.retry_on.empty() || retry.retry_remote_localities)) {
    report.error(at.field(retry, "attempts"),
                 "http retry policy configured when attempts are set to 0 (disabled)");
  }
  checkDuration(retry.per_try_timeout, at.field(retry, "perTryTimeout"), report);
  if (!retry.retry_on.empty()) {
    static const std::set<std::string_view> kPolicies = {"5xx",
                                                         "gateway-error",
                                                         "reset",
                                                         "reset-before-request",
                                                         "connect-failure",
                                                         "retriable-4xx",
                                                         "refused-stream",
                                                         "retriable-status-codes",
                                                         "retriable-headers",
                                                         "envoy-ratelimited",
                                                         "http3-post-connect-failure",
                                                         "cancelled",
                                                         "deadline-exceeded",
                                                         "internal",
                                                         "resource-exhausted",
                                                         "unavailable"};
    std::string_view rest = retry.retry_on;
    while (true) {
      size_t comma = rest.find(',');
      std::string_view policy = rest.substr(0, comma);
      if (!isKnownHTTPStatus(atoiOrZero(policy)) && kPolicies.count(policy) == 0) {
        report.error(at.field(retry, "retryOn"),
                     fmt::format("{} is not a valid retryOn policy", goQuote(policy)));
      }
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  checkDuration(retry.backoff, at.field(retry, "backoff"), report);
}

void checkRedirect(const HTTPRoute& r, const Loc& at, Report& report) {
  const auto& rd = *r.redirect;
  // Istio reports only the first problem of a redirect.
  if (!rd.uri.empty() && !rd.prefix_rewrite.empty()) {
    report.error(at, "redirect may only specify one of uri or prefix_rewrite");
    return;
  }
  if (!rd.prefix_rewrite.empty()) {
    for (const auto& m : r.match) {
      if (m.uri && !m.uri->prefix) {
        report.error(at.field(rd, "prefixRewrite"),
                     "redirect prefix_rewrite requires all URI matches to use prefix match type");
        return;
      }
    }
  }
  bool has_port = rd.port || rd.derive_port;
  if (rd.uri.empty() && rd.prefix_rewrite.empty() && rd.authority.empty() && !has_port &&
      rd.scheme.empty()) {
    report.error(at, "redirect must specify URI, authority, scheme, or port");
    return;
  }
  if (rd.redirect_code != 0 && (rd.redirect_code < 300 || rd.redirect_code > 399)) {
    report.error(at.field(rd, "redirectCode"),
                 fmt::format("{} is not a valid redirect code, must be 3xx", rd.redirect_code));
    return;
  }
  if (!rd.scheme.empty() && rd.scheme != "http" && rd.scheme != "https") {
    report.error(at.field(rd, "scheme"), "invalid redirect scheme, must be \"http\" or \"https\"");
    return;
  }
  if (rd.port && *rd.port > 0) validatePortNumber(*rd.port, at.field(rd, "port"), report);
}

// Decoded size of base64 text, or nullopt when it is not standard padded base64.
std::optional<size_t> base64Size(std::string_view text) {
  std::string s;
  for (char c : text) {
    if (c != '\r' && c != '\n') s.push_back(c);
  }
  if (s.size() % 4 != 0) return std::nullopt;
  size_t pad = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '+' || c == '/';
    if (c == '=') {
      if (i + 2 < s.size()) return std::nullopt;
      ++pad;
    } else if (!alpha || pad > 0) {
      return std::nullopt;
    }
  }
  return s.size() / 4 * 3 - pad;
}

void checkDirectResponse(const api::HTTPDirectResponse& dr, const Loc& at, Report& report) {
  if (const auto& body = dr.body) {
    Loc loc = at.field(dr, "body");
    size_t size = 0;
    if (body->string) {
      size = body->string->size();
    } else if (body->bytes) {
      Loc bytes = loc.field(*body, "bytes");
      if (auto n = base64Size(*body->bytes)) {
        size = *n;
      } else {
        std::string shown =
            body->bytes->size() > 64 ? body->bytes->substr(0, 64) + "..." : *body->bytes;
        report.error(bytes, notBytes(bytes, shown));
      }
    }
    constexpr size_t kKiB = 1024;
    if (size > 1024 * kKiB) {
      report.error(loc,
                   "large direct_responses may impact control plane performance, must be less "
                   "than 1MB");
    } else if (size > 100 * kKiB) {
      report.warning(loc, "large direct_responses may impact control plane performance");
    }
  }
  if (auto e = validateHTTPStatus(static_cast<int32_t>(dr.status))) {
    report.error(at.field(dr, "status"), *e);
  }
}

void checkRewrite(const api::HTTPRewrite& rw, const Loc& at, Report& report) {
  if (!rw.uri.empty() && rw.uri_regex_rewrite) {
    report.error(at, "rewrite may only contain one of URI or UriRegexRewrite");
    return;
  }
  if (rw.uri.empty() && !rw.uri_regex_rewrite && rw.authority.empty()) {
    report.error(at,
                 "rewrite must specify at least one of URI, UriRegexRewrite, or authority. Only "
                 "one of URI or UriRegexRewrite may be specified");
    return;
  }
  if (const auto& rr = rw.uri_regex_rewrite) {
    Loc loc = at.field(rw, "uriRegexRewrite");
    Error e;
    if (rr->match.empty() || rr->rewrite.empty()) {
      e = "UriRegexRewrite requires both Rewrite and Match fields to be specified";
    } else {
      e = validateRegex(rr->match, "HTTPRewrite.UriRegexRewrite.Match");
    }
    if (e) report.error(loc, "UriRegexRewrite has errors: " + *e);
  }
}

bool isAuthorityHeaderName(std::string_view k) {
  auto lower = [](std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
  };
  std::string l = lower(k);
  return l == ":authority" || l == "host";
}

// The authority may be rewritten in one place only: rewrite.authority or one request header.
void checkAuthorityRewrite(const HTTPRoute& r, const Loc& at, Report& report) {
  std::string current = r.rewrite ? r.rewrite->authority : "";
  if (!r.headers || !r.headers->request) return;
  const auto& req = *r.headers->request;
  for (const auto* map : {&req.set, &req.add}) {
    for (const auto& [k, v] : *map) {
      if (!isAuthorityHeaderName(k)) continue;
      if (!current.empty()) {
        report.error(at.field(r, "headers"),
                     fmt::format("authority header cannot be set multiple times: have {}, "
                                 "attempting to set {}",
                                 goQuote(current), goQuote(v)));
        return;
      }
      current = v;
    }
  }
}

void checkRouteDestinations(const HTTPRoute& r, bool gateway_semantics, const Loc& at,
                            Report& report) {
  uint32_t total = 0;  // Istio sums in int32, wrapping on overflow
  for (size_t i = 0; i < r.route.size(); ++i) {
    const auto& rd = r.route[i];
    Loc loc = at.item("route", i, rd);
    if (rd.mark == Mark{}) {
      report.error(loc, "weight may not be nil");
      continue;
    }
    if (!rd.destination) report.error(loc, "destination is required");
    checkHeaderOperations(rd, rd.headers, loc, report);
    if (!gateway_semantics && rd.destination) {
      validateDestination(*rd.destination, loc.field(rd, "destination"), report);
    }
    if (auto e = validateWeight(rd.weight)) report.error(loc.field(rd, "weight"), *e);
    total += static_cast<uint32_t>(rd.weight);
  }
  if (r.route.size() > 1 && total == 0) {
    report.error(at.field(r, "route"), "total destination weight = 0");
  }
}

}  // namespace

void validateHTTPRoute(const HTTPRoute& r, const RouteContext& ctx, const Loc& at, Report& report) {
  RouteKind kind = ctx.delegate_vs ? RouteKind::kDelegate
                   : r.delegate    ? RouteKind::kRoot
                                   : RouteKind::kIndependent;
  checkRouteConflicts(r, kind, at, report);
  checkMatches(r, at, report);
  checkHeaderOperations(r, r.headers, at, report);
  if (r.cors_policy) checkCors(*r.cors_policy, at.field(r, "corsPolicy"), report);
  if (r.fault) checkFault(*r.fault, at.field(r, "fault"), report);

  if (const auto& mp = r.mirrorPercent()) {
    Loc loc = at.field(r, r.mirror_percent ? "mirrorPercent" : "mirror_percent");
    if (*mp > 100) {
      report.error(loc,
                   fmt::format("mirror_percent must have a max value of 100 (it has {})", *mp));
    }
    report.warning(loc,
                   "using deprecated setting \"mirrorPercent\", use \"mirrorPercentage\" "
                   "instead");
  }
  if (r.mirror_percentage) {
    checkMirrorPercentage(r.mirror_percentage->value, "mirror_percentage",
                          at.field(r, "mirrorPercentage"), report);
  }
  if (r.mirror) validateDestination(*r.mirror, at.field(r, "mirror"), report);
  checkMirrors(r, at, report);
  if (r.redirect) checkRedirect(r, at.field(r, "redirect"), report);
  if (r.direct_response) {
    checkDirectResponse(*r.direct_response, at.field(r, "directResponse"), report);
  }
  if (r.retries) checkRetries(*r.retries, at.field(r, "retries"), report);
  if (r.rewrite) checkRewrite(*r.rewrite, at.field(r, "rewrite"), report);
  checkAuthorityRewrite(r, at, report);
  checkRouteDestinations(r, ctx.gateway_semantics, at, report);
  checkDuration(r.timeout, at.field(r, "timeout"), report);
}

}  // namespace meshroute::validate::vs
