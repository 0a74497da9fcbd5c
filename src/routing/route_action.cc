#include "routing/route_action.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "routing/retry_conditions.h"

namespace meshroute::routing {
namespace {

// Istio's retry default (route/retry/retry.go): 2 retries on these conditions.
constexpr std::string_view kDefaultRetryOn =
    "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes";

// Go's net/http StatusText knows these codes; parseRetryOn only treats them as status codes.
bool isKnownStatus(uint32_t c) {
  return (c >= 100 && c <= 103) || (c >= 200 && c <= 208) || c == 226 ||
         (c >= 300 && c <= 308 && c != 306) || (c >= 400 && c <= 418) || (c >= 421 && c <= 426) ||
         c == 428 || c == 429 || c == 431 || c == 451 || (c >= 500 && c <= 508) || c == 510 ||
         c == 511;
}

bool isInternalHeader(std::string_view name) {
  return name.starts_with(':') || hosts::toLower(name) == "host";
}
bool isAuthorityHeader(std::string_view name) {
  const std::string l = hosts::toLower(name);
  return l == ":authority" || l == "host";
}

// TranslateHeadersOperations: internal headers are dropped; ":authority"/"host" in set (else
// add) becomes the Host rewrite.
HeaderOps headerOps(const std::optional<api::HeaderOperations>& ops, std::string* authority) {
  HeaderOps out;
  if (!ops) return out;
  std::string set_auth;
  std::string add_auth;
  for (const auto& [k, v] : ops->set) {
    if (isAuthorityHeader(k)) set_auth = v;
    if (!isInternalHeader(k)) out.set.emplace_back(k, v);
  }
  for (const auto& [k, v] : ops->add) {
    if (isAuthorityHeader(k)) add_auth = v;
    if (!isInternalHeader(k)) out.add.emplace_back(k, v);
  }
  for (const std::string& k : ops->remove) {
    if (!isInternalHeader(k)) out.remove.push_back(k);
  }
  if (authority != nullptr) *authority = set_auth.empty() ? add_auth : set_auth;
  return out;
}

std::string base64Decode(std::string_view in) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const int v = value(c);
    if (v < 0) continue;  // padding, whitespace
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

// The part of the request path a route matched, for Envoy's prefix_rewrite: the configured
// prefix for prefix routes (and "/" when the rule has no uri), the whole path for exact and
// regex routes.
size_t matchedLength(const HttpRouteMatch& route, const RequestView& req) {
  if (!route.path) return 1;
  switch (route.path->kind()) {
    case StringMatcher::Kind::kPrefix: return route.path->value().size();
    case StringMatcher::Kind::kExact: return route.path->value().size();
    default: return req.path().size();
  }
}

std::string prefixRewrite(const HttpRouteMatch& route, const RequestView& req,
                          const std::string& replacement) {
  const std::string_view full = req.fullPath();
  const size_t n = std::min(matchedLength(route, req), full.size());
  return replacement + std::string(full.substr(n));
}

}  // namespace

RetryPolicy retryPolicy(const std::optional<api::HTTPRetry>& route_retries,
                        const MeshConfig& mesh) {
  RetryPolicy out;
  const std::optional<api::HTTPRetry>& in =
      route_retries ? route_retries : mesh.default_http_retry_policy;
  out.is_default = !route_retries;
  if (!in) {
    out.attempts = 2;
    out.retry_on = std::string(kDefaultRetryOn);
    out.conditions = parseRetryOn(out.retry_on);
    return out;
  }
  if (in->attempts <= 0) return out;  // retries explicitly disabled
  out.attempts = in->attempts;
  out.retry_on = std::string(kDefaultRetryOn);
  if (!in->retry_on.empty()) {
    // parseRetryOn: integers that are HTTP status codes become retriable status codes.
    std::vector<std::string> parts;
    std::string_view rest = in->retry_on;
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      std::string_view part = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
      while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
      if (part.empty()) continue;
      uint32_t code = 0;
      auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), code);
      if (ec == std::errc() && ptr == part.data() + part.size() && isKnownStatus(code)) {
        out.retriable_status_codes.push_back(code);
      } else {
        parts.emplace_back(part);
      }
    }
    out.retry_on = fmt::format("{}", fmt::join(parts, ","));
    if (!out.retriable_status_codes.empty() &&
        out.retry_on.find("retriable-status-codes") == std::string::npos) {
      out.retry_on += out.retry_on.empty() ? "retriable-status-codes" : ",retriable-status-codes";
    }
  }
  out.per_try_timeout = in->per_try_timeout;
  out.retry_remote_localities = in->retry_remote_localities.value_or(false);
  out.backoff = in->backoff;
  out.conditions = parseRetryOn(out.retry_on);
  out.ignore_previous_hosts = in->retry_ignore_previous_hosts.value_or(true);
  return out;
}

namespace {

std::optional<FaultPolicy> faultPolicy(const std::optional<api::HTTPFaultInjection>& in,
                                       std::vector<std::string>& notes) {
  if (!in) return std::nullopt;
  FaultPolicy out;
  bool any = false;
  if (in->delay) {
    if (in->delay->fixed_delay) {
      out.delay = in->delay->fixed_delay;
      out.delay_percent = in->delay->percentage ? in->delay->percentage->value
                                                : static_cast<double>(in->delay->percent);
      any = true;
    } else {
      notes.push_back("fault.delay.exponentialDelay is not supported by Istio: no delay injected");
    }
  }
  if (in->abort) {
    const double pct = in->abort->percentage ? in->abort->percentage->value : 0;
    if (in->abort->http_status) {
      out.abort_http_status = *in->abort->http_status;
      out.abort_percent = pct;
      any = true;
    } else if (in->abort->grpc_status) {
      out.abort_grpc_status = *in->abort->grpc_status;
      out.abort_percent = pct;
      any = true;
    } else {
      notes.push_back("fault.abort.http2Error is not supported by Istio: no abort injected");
    }
  }
  if (!any) return std::nullopt;
  return out;
}

const registry::Service* lookupService(const ActionContext& ctx, const std::string& host) {
  const Snapshot::Compiled& c = *ctx.compiled;
  if (ctx.gateway && ctx.vs) {
    // buildNameToServiceMapForHTTPRoutes: the VirtualService's namespace first (if visible to
    // the gateway), then any service visible to the gateway's namespace.
    for (const registry::Service* s : c.registry->findServices(host)) {
      if (s->ns == ctx.vs->ns && c.serviceVisible(s, ctx.proxy->ns)) return s;
    }
  }
  return c.serviceFor(host, ctx.proxy->ns);
}

}  // namespace

std::string clusterName(std::string_view direction, uint32_t port, std::string_view subset,
                        std::string_view host) {
  return fmt::format("{}|{}|{}|{}", direction, port, subset, host);
}

uint32_t destinationPort(const ActionContext& ctx, const api::Destination& dest) {
  if (dest.port && dest.port->number != 0) return dest.port->number;
  if (!ctx.gateway) return ctx.listener_port;
  const registry::Service* s = lookupService(ctx, dest.host);
  if (s != nullptr && s->ports.size() == 1) return s->ports.front().port;
  return ctx.listener_port;
}

DestinationResolution resolveDestination(const ActionContext& ctx, const std::string& host,
                                         const std::string& subset, uint32_t port) {
  // GetDestinationCluster: a route to a Kubernetes ExternalName service goes to the cluster of
  // the name it points to.
  std::string target = host;
  if (const registry::Service* s = lookupService(ctx, host);
      s != nullptr && s->resolution == registry::Resolution::kAlias && !s->external_name.empty()) {
    target = s->external_name;
  }
  DestinationResolution r;
  if (ctx.resolve && ctx.compiled->destinations != nullptr) {
    r = ctx.compiled->destinations->resolve(*ctx.proxy, target, subset, port);
  }
  if (r.cluster.empty()) r.cluster = clusterName("outbound", port, subset, target);
  return r;
}

void settleForwarding(Decision& d) {
  if (d.destinations.empty()) return;
  const RoutedDestination* first_bad = nullptr;
  double bad_percent = 0;
  for (const RoutedDestination& rd : d.destinations) {
    if (rd.resolution.status == DestinationStatus::kOk) continue;
    bad_percent += rd.weight_percent;
    if (first_bad == nullptr) first_bad = &rd;
  }
  if (first_bad == nullptr) {
    d.outcome = Outcome::kRoute;
    return;
  }
  const bool uh = first_bad->resolution.status == DestinationStatus::kNoHealthyUpstream;
  if (bad_percent >= 99.9999) {
    d.outcome = Outcome::kError;
    d.status = 503;
    d.response_flags = uh ? "UH" : "NC";
    d.body = uh ? "no healthy upstream" : "";
    return;
  }
  d.outcome = Outcome::kRoute;
  d.notes.push_back(fmt::format(
      "{:.4g}% of requests go to a destination that cannot serve them (503, first: {} {})",
      bad_percent, first_bad->resolution.cluster, uh ? "UH" : "NC"));
}

std::string httpsRedirectLocation(const RequestView& req) {
  std::string host(req.request().authority);
  if (host.ends_with(":80")) host.resize(host.size() - 3);
  return fmt::format("https://{}{}", host, req.fullPath());
}

namespace {

void applyRedirect(const ActionContext& ctx, const HttpRouteMatch& route,
                   const api::HTTPRedirect& r, Decision& d) {
  uint32_t code = r.redirect_code == 0 ? 301 : r.redirect_code;
  if (code != 301 && code != 302 && code != 303 && code != 307 && code != 308) {
    // ApplyRedirect leaves the route without action; Envoy rejects such a route configuration.
    d.outcome = Outcome::kError;
    d.notes.push_back(fmt::format(
        "redirectCode {} is not supported by Istio: the route has no action and Envoy rejects "
        "the route configuration",
        r.redirect_code));
    return;
  }
  const RequestView& req = *ctx.req;
  const std::string& req_scheme = req.request().scheme;
  std::string scheme = r.scheme.empty() ? req_scheme : r.scheme;
  // ApplyRedirect: the port only when the redirect names one; :80 on http and :443 on https
  // are left out.
  uint32_t port = 0;
  if (r.port || r.derive_port) {
    if (r.port) {
      port = *r.port;
    } else if (*r.derive_port == "FROM_REQUEST_PORT") {
      port = ctx.listener_port;
    }
    std::string port_scheme = r.scheme.empty() ? (ctx.server_tls ? "https" : "http") : r.scheme;
    if ((port == 80 && port_scheme == "http") || (port == 443 && port_scheme == "https")) port = 0;
  }
  const std::string port_text = port ? fmt::format(":{}", port) : "";
  std::string host;
  if (!r.authority.empty()) {
    host = r.authority;
  } else {
    // Envoy processRequestHost: drop the request's port when a port is set, or when the
    // scheme changes away from that port's default.
    host = req.request().authority;
    const size_t colon = host.rfind(':');
    if (colon != std::string::npos && host.find(']', colon) == std::string::npos) {
      const std::string_view req_port = std::string_view(host).substr(colon);
      bool drop = port != 0;
      if (scheme != req_scheme) {
        drop = drop || (req_scheme == "https" && req_port == ":443") ||
               (req_scheme == "http" && req_port == ":80");
      }
      if (drop) host.resize(colon);
    }
  }
  std::string path;
  if (!r.prefix_rewrite.empty()) {
    path = prefixRewrite(route, req, r.prefix_rewrite);
  } else if (!r.uri.empty()) {
    // path_redirect keeps the request's query unless the new path carries its own.
    path = r.uri;
    if (r.uri.find('?') == std::string::npos && !req.query().empty()) {
      path += "?" + std::string(req.query());
    }
  } else {
    path = std::string(req.fullPath());
  }
  if (!path.starts_with('/')) path.insert(path.begin(), '/');
  d.outcome = Outcome::kRedirect;
  d.status = static_cast<int>(code);
  d.redirect_location = fmt::format("{}://{}{}{}", scheme, host, port_text, path);
}

void applyDirectResponse(const api::HTTPDirectResponse& r, Decision& d) {
  d.outcome = Outcome::kDirectResponse;
  d.status = static_cast<int>(r.status);
  if (r.body) {
    if (r.body->string) {
      d.body = *r.body->string;
    } else if (r.body->bytes) {
      d.body = base64Decode(*r.body->bytes);
    }
  }
}

void applyMirrors(const ActionContext& ctx, const api::HTTPRoute& rule, Decision& d) {
  auto add = [&](const api::Destination& dest, double percent) {
    Mirror m;
    m.host = dest.host;
    m.subset = dest.subset;
    m.port = destinationPort(ctx, dest);
    m.percent = percent;
    m.cluster = resolveDestination(ctx, m.host, m.subset, m.port).cluster;
    d.route.mirrors.push_back(std::move(m));
  };
  if (rule.mirror) {
    // MirrorPercent: mirrorPercentage, else the deprecated mirrorPercent, else 100; 0 disables.
    double pct = 100;
    if (rule.mirror_percentage) {
      pct = rule.mirror_percentage->value;
    } else if (rule.mirrorPercent()) {
      pct = *rule.mirrorPercent();
    }
    if (pct > 0) add(*rule.mirror, pct);
  }
  for (const api::HTTPMirrorPolicy& m : rule.mirrors) {
    if (!m.destination) continue;
    const double pct = m.percentage ? m.percentage->value : 100;
    if (pct > 0) add(*m.destination, pct);
  }
}

}  // namespace

void applyHttpRoute(const ActionContext& ctx, const HttpRouteMatch& route, Decision& d) {
  const api::HTTPRoute& rule = ctx.vs->spec.http[static_cast<size_t>(route.rule)];
  if (rule.redirect) {
    applyRedirect(ctx, route, *rule.redirect, d);
    return;
  }
  if (rule.direct_response) {
    applyDirectResponse(*rule.direct_response, d);
    return;
  }
  RouteDecision& rd = d.route;
  std::string header_authority;
  if (rule.headers) {
    rd.request_headers = headerOps(rule.headers->request, &header_authority);
    rd.response_headers = headerOps(rule.headers->response, nullptr);
  }
  rd.timeout = rule.timeout;
  if (rd.timeout && rd.timeout->totalNanos() == 0) rd.timeout.reset();  // 0s disables it
  // Compiled once per configuration with the VirtualService (retryOn parsed, CORS matchers).
  const auto rule_index = static_cast<size_t>(route.rule);
  rd.retries = rule_index < ctx.vs->retries.size() ? ctx.vs->retries[rule_index]
                                                   : retryPolicy(rule.retries, *ctx.compiled->mesh);
  if (rule_index < ctx.vs->cors.size()) rd.cors_compiled = ctx.vs->cors[rule_index];
  rd.fault = faultPolicy(rule.fault, d.notes);
  rd.cors = rule.cors_policy;
  std::string authority = header_authority;
  if (rule.rewrite) {
    rd.rewrite = rule.rewrite;
    if (rule.rewrite->uri_regex_rewrite) {
      rd.uri_regex_rewrite = rule.rewrite->uri_regex_rewrite;
      // Envoy regex_rewrite: RE2::GlobalReplace on the path without its query.
      RE2::Options opts;
      opts.set_log_errors(false);
      RE2 re(rule.rewrite->uri_regex_rewrite->match, opts);
      if (re.ok()) {
        std::string p(ctx.req->path());
        RE2::GlobalReplace(&p, re, rule.rewrite->uri_regex_rewrite->rewrite);
        if (!ctx.req->query().empty()) p += "?" + std::string(ctx.req->query());
        rd.rewritten_path = p;
      } else {
        d.notes.push_back("rewrite.uriRegexRewrite.match does not compile: " + re.error());
      }
    } else if (!rule.rewrite->uri.empty()) {
      rd.rewritten_path = prefixRewrite(route, *ctx.req, rule.rewrite->uri);
    }
    if (!rule.rewrite->authority.empty()) authority = rule.rewrite->authority;
  }
  rd.rewritten_authority = authority;
  applyMirrors(ctx, rule, d);

  if (rule.route.empty()) {
    d.outcome = Outcome::kError;
    d.notes.push_back("the matched rule has no destination, redirect or direct response");
    return;
  }
  // A single destination takes all traffic whatever its weight; with several, zero-weight
  // ones are left out and the others share traffic in proportion to their weights.
  int64_t total = 0;
  if (rule.route.size() > 1) {
    for (const api::HTTPRouteDestination& dst : rule.route) total += std::max(dst.weight, 0);
    if (total == 0) {
      d.outcome = Outcome::kError;
      d.notes.push_back(
          "every destination has weight 0: Envoy gets an empty weighted cluster list and rejects "
          "the route");
      return;
    }
  }
  for (const api::HTTPRouteDestination& dst : rule.route) {
    if (!dst.destination) continue;
    if (rule.route.size() > 1 && dst.weight <= 0) continue;
    RoutedDestination out;
    out.host = dst.destination->host;
    out.subset = dst.destination->subset;
    out.port = destinationPort(ctx, *dst.destination);
    out.weight_percent =
        rule.route.size() == 1 ? 100.0 : 100.0 * dst.weight / static_cast<double>(total);
    if (dst.headers) {
      std::string dest_authority;
      out.request_headers = headerOps(dst.headers->request, &dest_authority);
      out.response_headers = headerOps(dst.headers->response, nullptr);
      out.rewritten_authority = dest_authority;
      // processDestination: with one destination its Host rewrite applies only when the route
      // has none.
      if (rule.route.size() == 1 && rd.rewritten_authority.empty()) {
        rd.rewritten_authority = dest_authority;
      }
    }
    out.resolution = resolveDestination(ctx, out.host, out.subset, out.port);
    d.destinations.push_back(std::move(out));
  }
  settleForwarding(d);
}

void applyDefaultRoute(const ActionContext& ctx, const registry::Service& service, uint32_t port,
                       Decision& d) {
  d.route_name = "default";
  d.route.retries = retryPolicy(std::nullopt, *ctx.compiled->mesh);
  RoutedDestination out;
  out.host = service.hostname;
  out.port = port;
  out.weight_percent = 100;
  out.resolution = resolveDestination(ctx, out.host, "", port);
  d.destinations.push_back(std::move(out));
  settleForwarding(d);
}

}  // namespace meshroute::routing
