// Snapshot::decide for HTTP: pick the proxy's route configuration for the listener port, the
// virtual host for the authority (Envoy's domain matching), the first route that matches, and
// what it does. The trace lists every route considered, in Envoy's order.
#include <fmt/format.h>

#include <algorithm>

#include "routing/route_action.h"
#include "routing/snapshot.h"
#include "routing/snapshot_internal.h"
#include "routing/snapshot_tcp.h"

namespace meshroute::routing {

std::string_view outcomeName(Outcome o) {
  switch (o) {
    case Outcome::kRoute: return "route";
    case Outcome::kRedirect: return "redirect";
    case Outcome::kDirectResponse: return "direct_response";
    case Outcome::kNoRoute: return "no_route";
    case Outcome::kNoListener: return "no_listener";
    case Outcome::kError: return "error";
  }
  return "error";
}

namespace {

struct Hit {
  const RouteSegment* seg = nullptr;
  int route = -1;
};

// Envoy's first match without a trace: each VirtualService's index proposes the only routes
// that can match, evaluated in order. On gateways, catch-all routes of merged VirtualServices
// come after every other route (SortVHostRoutes).
Hit findMatch(const VirtualHostEntry& v, const RequestView& req) {
  // Scratch kept per thread: a decision on the request path allocates nothing.
  thread_local std::vector<int> cands;
  for (const RouteSegment& seg : v.segments) {
    cands.clear();
    seg.vs->index.candidates(req, cands);
    for (int i : cands) {
      const size_t k = static_cast<size_t>(i);
      if (seg.state[k] != RouteState::kActive) continue;
      const HttpRouteMatch& r = seg.vs->routes[k];
      if (v.reorder_catch_all && r.catch_all) continue;
      if (requestMatch(r, req, nullptr)) return {&seg, i};
    }
  }
  if (!v.reorder_catch_all) return {};
  for (const RouteSegment& seg : v.segments) {
    for (size_t k = 0; k < seg.state.size(); ++k) {
      if (seg.state[k] == RouteState::kActive && seg.vs->routes[k].catch_all &&
          requestMatch(seg.vs->routes[k], req, nullptr)) {
        return {&seg, static_cast<int>(k)};
      }
    }
  }
  return {};
}

// The same search, route by route in Envoy's order, recording why each rule did not match.
Hit traceMatch(const VirtualHostEntry& v, const RequestView& req, const StaticContext& base,
               std::vector<TraceStep>& trace) {
  const RouteSegment* cur_seg = nullptr;
  int cur_rule = -1;
  Hit hit;
  // Returns true when the route matched (the search stops there).
  auto visit = [&](const RouteSegment* seg, size_t k) {
    const CompiledVirtualService& vs = *seg->vs;
    const HttpRouteMatch& r = vs.routes[k];
    if (seg != cur_seg || r.rule != cur_rule) {
      cur_seg = seg;
      cur_rule = r.rule;
      TraceStep step;
      const HttpRuleOrigin& origin = vs.origins[static_cast<size_t>(r.rule)];
      step.virtual_service = vs.key;
      step.route_index = origin.root_rule;
      step.route_name = vs.spec.http[static_cast<size_t>(r.rule)].name;
      if (origin.delegate != nullptr) {
        step.delegate = origin.delegate->meta.namespace_ + "/" + origin.delegate->meta.name;
        step.delegate_route_index = origin.delegate_rule;
      }
      if (seg->gateway != "mesh") step.gateway = seg->gateway;
      trace.push_back(std::move(step));
    }
    TraceStep& step = trace.back();
    std::string reason;
    bool ok;
    if (seg->state[k] == RouteState::kFiltered) {
      StaticContext ctx = base;
      ctx.gateway = seg->gateway;
      staticMatch(r, ctx, &reason);
      reason += " (route not generated for this proxy)";
      ok = false;
    } else {
      ok = requestMatch(r, req, &reason);
    }
    const size_t blocks = vs.spec.http[static_cast<size_t>(r.rule)].match.size();
    if (ok) {
      step.matched = true;
      if (blocks > 1) step.reason = fmt::format("match[{}] matched", r.match);
      hit = {seg, static_cast<int>(k)};
      return true;
    }
    if (blocks > 1) reason = fmt::format("match[{}]: {}", r.match, reason);
    step.reason = step.reason.empty() ? reason : step.reason + "; " + reason;
    return false;
  };
  // Gateways list catch-all routes of merged VirtualServices after every other route.
  for (int phase = 0; phase < (v.reorder_catch_all ? 2 : 1); ++phase) {
    for (const RouteSegment& seg : v.segments) {
      for (size_t k = 0; k < seg.state.size(); ++k) {
        if (seg.state[k] == RouteState::kUnreachable) continue;
        const bool late = v.reorder_catch_all && seg.state[k] == RouteState::kActive &&
                          seg.vs->routes[k].catch_all;
        if (late != (phase == 1)) continue;
        if (visit(&seg, k)) return hit;
      }
    }
  }
  return hit;
}

void fillMatched(const ActionContext& actx, const Hit& hit, Decision& d) {
  const CompiledVirtualService& vs = *hit.seg->vs;
  const HttpRouteMatch& r = vs.routes[static_cast<size_t>(hit.route)];
  const HttpRuleOrigin& origin = vs.origins[static_cast<size_t>(r.rule)];
  d.virtual_service = vs.resource;
  d.route_index = origin.root_rule;
  d.match_index = r.match;
  d.delegate = origin.delegate;
  d.delegate_route_index = origin.delegate_rule;
  d.route_name = r.name;
  ActionContext ctx = actx;
  ctx.vs = &vs;
  applyHttpRoute(ctx, r, d);
}

void evaluateVhost(const ActionContext& actx, const VirtualHostEntry& v, const RequestView& req,
                   const StaticContext& base, const DecideOptions& opts, Decision& d) {
  Hit hit = opts.trace ? traceMatch(v, req, base, d.trace) : findMatch(v, req);
  if (hit.seg == nullptr) {
    d.outcome = Outcome::kNoRoute;
    d.status = 404;
    d.response_flags = "NR";
    return;
  }
  fillMatched(actx, hit, d);
}

std::string expandRequestHost(std::string_view host, std::string_view ns, std::string_view domain) {
  const size_t dots = static_cast<size_t>(std::count(host.begin(), host.end(), '.'));
  if (hosts::isIpAddress(host)) return std::string(host);
  if (dots == 0) return fmt::format("{}.{}.svc.{}", host, ns, domain);
  if (dots == 1) return fmt::format("{}.svc.{}", host, domain);
  if (host.ends_with(".svc")) return fmt::format("{}.{}", host, domain);
  return std::string(host);
}

// Plain-words remarks about VirtualServices for this host that did not apply, and why.
void sidecarNotes(const Snapshot::Compiled& c, const SidecarScope& scope, const EgressScope* egress,
                  const VirtualHostEntry* v, const RequestView& req, const StaticContext& ctx,
                  Decision& d) {
  std::string fqdn;
  if (v && v->kind == VhostKind::kDefault && v->service) {
    fqdn = v->service->hostname;
  } else if (v && v->kind == VhostKind::kVirtualService && !v->segments.empty()) {
    fqdn = expandRequestHost(req.host(), scope.ns, c.mesh->cluster_domain);
  } else {
    fqdn = expandRequestHost(req.host(), scope.ns, c.mesh->cluster_domain);
  }
  const CompiledVirtualService* applied =
      v && !v->segments.empty() ? v->segments.front().vs : nullptr;
  if (applied) d.notes.insert(d.notes.end(), applied->notes.begin(), applied->notes.end());
  for (const CompiledVirtualService* vsp : c.virtualServicesMatching(fqdn)) {
    const CompiledVirtualService& vs = *vsp;
    if (&vs == applied) continue;
    auto host = std::find_if(vs.hosts.begin(), vs.hosts.end(),
                             [&](const std::string& h) { return hosts::matches(h, fqdn); });
    if (host == vs.hosts.end()) continue;
    const std::string& h = *host;
    d.notes.insert(d.notes.end(), vs.notes.begin(), vs.notes.end());
    if (vs.routes.empty()) {
      d.notes.push_back(fmt::format(
          "VirtualService {} (host {}) has no HTTP route left, so it produces no virtual host",
          vs.key, h));
    } else if (!vs.boundTo("mesh")) {
      d.notes.push_back(fmt::format(
          "VirtualService {} (host {}) is bound to gateways [{}] only, so it does not apply to "
          "sidecars (add \"mesh\" to its gateways)",
          vs.key, h, fmt::join(vs.gateways, ", ")));
    } else if (!vs.export_to.visibleTo(scope.ns)) {
      d.notes.push_back(fmt::format(
          "VirtualService {} (host {}) is not exported to namespace {} (exportTo: [{}])", vs.key, h,
          scope.ns, fmt::join(vs.spec.export_to, ", ")));
    } else if (egress == nullptr ||
               std::find(egress->virtual_services.begin(), egress->virtual_services.end(), &vs) ==
                   egress->virtual_services.end()) {
      d.notes.push_back(fmt::format(
          "VirtualService {} (host {}) is not imported by the egress hosts of Sidecar {}/{}",
          vs.key, h, scope.sidecar ? scope.sidecar->meta.namespace_ : "",
          scope.sidecar ? scope.sidecar->meta.name : ""));
    } else if (!buildSegment(vs, ctx).any_active) {
      d.notes.push_back(fmt::format(
          "VirtualService {} (host {}) has no route for this proxy on port {}: every route is "
          "excluded by its port, sourceLabels, sourceNamespace or gateways match",
          vs.key, h, ctx.port));
    } else if (applied) {
      d.notes.push_back(fmt::format(
          "VirtualService {} also has host {}, but a sidecar uses one VirtualService per host: {} "
          "was chosen (the oldest by creationTimestamp, then name, among the most local "
          "visibility)",
          vs.key, h, applied->key));
    } else if (ctx.port != 80) {
      d.notes.push_back(fmt::format(
          "VirtualService {} (host {}) matches no service with port {} visible here; Istio "
          "applies hosts without a service on port 80 only",
          vs.key, h, ctx.port));
    } else {
      d.notes.push_back(fmt::format(
          "VirtualService {} (host {}) does not apply: no service visible here exposes port {} "
          "over HTTP, so the sidecar has no listener for it (Istio builds listeners from "
          "service ports)",
          vs.key, h, ctx.port));
    }
  }
}

void allowAny(const ActionContext& actx, const SidecarScope& scope, const RequestView& req,
              Decision& d) {
  d.outcome = Outcome::kRoute;
  d.route_name = "allow_any";
  d.virtual_host = "allow_any";
  d.route.retries = RetryPolicy{};  // the passthrough route has no retry policy
  RoutedDestination out;
  out.host = std::string(req.host());
  out.port = actx.listener_port;
  if (scope.egress_proxy) {
    const api::Destination& e = *scope.egress_proxy;
    out.host = e.host;
    out.subset = e.subset;
    out.port = e.port ? e.port->number : 0;
    out.resolution = resolveDestination(actx, e.host, e.subset, out.port);
    d.notes.push_back("unknown hosts go to the Sidecar's outboundTrafficPolicy.egressProxy " +
                      out.resolution.cluster);
  } else {
    out.resolution.cluster = "PassthroughCluster";
    d.notes.push_back(fmt::format(
        "no service or VirtualService host matches {}: outboundTrafficPolicy ALLOW_ANY passes "
        "the request through to its original destination (PassthroughCluster)",
        req.host()));
  }
  d.destinations.push_back(std::move(out));
}

void blockAll(std::string_view host, Decision& d) {
  d.outcome = Outcome::kDirectResponse;
  d.status = 502;
  d.route_name = "block_all";
  d.virtual_host = "block_all";
  d.notes.push_back(fmt::format(
      "no service or VirtualService host matches {}: outboundTrafficPolicy REGISTRY_ONLY answers "
      "502 (block_all)",
      host));
}

// `known_scope` and `known_rc`: the proxy's scope and route configuration for the request's
// port when the caller has them (a worker's memo), so that the request path neither formats
// cache keys nor takes the snapshot's cache lock.
void decideSidecarHttp(const Snapshot::Compiled& c, const Proxy& proxy, const Request& request,
                       const DecideOptions& opts, Decision& d,
                       std::shared_ptr<const SidecarScope> known_scope = nullptr,
                       std::shared_ptr<const RouteConfig> known_rc = nullptr) {
  const RequestView req(request);
  const StringMap& labels = request.source_labels.empty() ? proxy.labels : request.source_labels;
  const std::string& ns = request.source_ns.empty() ? proxy.ns : request.source_ns;
  const StaticContext ctx{&labels, ns, request.port, "mesh"};
  const auto scope = known_scope ? std::move(known_scope) : c.sidecarScope(proxy);
  ActionContext actx{&c, &proxy, &req, request.port, false, false, nullptr};
  actx.resolve = opts.resolve_destinations;

  const auto rc = known_rc ? std::move(known_rc) : c.sidecarRouteConfig(proxy, *scope, ctx);
  // A non-HTTP port of the addressed service gets a listener of its own (its address and port):
  // the request is proxied as TCP.
  if (const registry::Service* svc = rc->tcpService(request.destination_address, req.host())) {
    decideSidecarTcp(c, proxy, *scope, request, svc, opts, d);
    return;
  }
  d.listener = rc->listener;
  d.route_config = rc->name;
  const EgressScope* egress = egressFor(*scope, request.port);
  if (!rc->exists || !rc->http_listener) {
    // No service exposes the port over HTTP: no outbound listener, the connection takes the
    // virtual outbound listener's passthrough (or blackhole) chain.
    decidePassthrough(c, proxy, *scope, request, d);
    if (opts.trace) sidecarNotes(c, *scope, egress, nullptr, req, ctx, d);
    return;
  }
  const int vi = rc->find(req.host());
  const VirtualHostEntry* v = vi >= 0 ? &rc->vhosts[static_cast<size_t>(vi)] : nullptr;
  if (v == nullptr) {
    d.outcome = Outcome::kNoRoute;
    d.status = 404;
    d.response_flags = "NR";
  } else {
    d.virtual_host = v->name;
    switch (v->kind) {
      case VhostKind::kAllowAny: allowAny(actx, *scope, req, d); break;
      case VhostKind::kBlockAll: blockAll(req.host(), d); break;
      case VhostKind::kDefault:
        if (opts.trace) {
          TraceStep step;
          step.route_name = "default";
          step.matched = true;
          step.reason =
              fmt::format("no VirtualService for {}: Istio's default route", v->service->hostname);
          d.trace.push_back(std::move(step));
        }
        applyDefaultRoute(actx, *v->service, v->port, d);
        break;
      default: evaluateVhost(actx, *v, req, ctx, opts, d); break;
    }
  }
  if (opts.trace) sidecarNotes(c, *scope, egress, v, req, ctx, d);
}

// ---- gateways -------------------------------------------------------------------------------

bool isPassthrough(const api::Server& s) {
  return s.tls && (s.tls->mode == "PASSTHROUGH" || s.tls->mode == "AUTO_PASSTHROUGH");
}

// Envoy's filter chain choice by SNI: exact name, then the longest wildcard, then "*".
const GatewayServer* serverForSni(const std::vector<const GatewayServer*>& servers,
                                  std::string_view sni) {
  const GatewayServer* best = nullptr;
  std::string best_host;
  for (const GatewayServer* s : servers) {
    for (const std::string& raw : s->hosts) {
      const size_t slash = raw.find('/');
      const std::string h =
          hosts::toLower(slash == std::string::npos ? raw : raw.substr(slash + 1));
      if (!hosts::subsetOf(sni, h) && h != "*") continue;
      if (best == nullptr || hosts::moreSpecific(h, best_host)) {
        best = s;
        best_host = h;
      }
    }
  }
  return best;
}

void gatewayNotes(const Snapshot::Compiled& c, const Proxy& proxy,
                  const std::vector<const GatewayServer*>& servers, const VirtualHostEntry* v,
                  const RequestView& req, Decision& d) {
  std::vector<std::string> names;
  for (const GatewayServer* s : servers) {
    if (std::find(names.begin(), names.end(), s->gateway_name) == names.end()) {
      names.push_back(s->gateway_name);
    }
  }
  std::vector<const CompiledVirtualService*> applied;
  if (v) {
    for (const RouteSegment& s : v->segments) applied.push_back(s.vs);
  }
  for (const CompiledVirtualService* vs : applied) {
    d.notes.insert(d.notes.end(), vs->notes.begin(), vs->notes.end());
  }
  if (applied.size() > 1) {
    std::vector<std::string> keys;
    keys.reserve(applied.size());
    for (const CompiledVirtualService* vs : applied) keys.push_back(vs->key);
    d.notes.push_back(fmt::format(
        "the routes of VirtualServices {} are merged on this gateway host (catch-all routes "
        "last)",
        fmt::join(keys, ", ")));
  }
  const std::string host(req.host());
  for (const CompiledVirtualService* vsp : c.virtualServicesMatching(host)) {
    const CompiledVirtualService& vs = *vsp;
    if (std::find(applied.begin(), applied.end(), &vs) != applied.end()) continue;
    auto h = std::find_if(vs.hosts.begin(), vs.hosts.end(),
                          [&](const std::string& x) { return hosts::matches(x, host); });
    if (h == vs.hosts.end()) continue;
    d.notes.insert(d.notes.end(), vs.notes.begin(), vs.notes.end());
    const bool bound = std::any_of(names.begin(), names.end(),
                                   [&](const std::string& n) { return vs.boundTo(n); });
    if (!bound) {
      d.notes.push_back(fmt::format(
          "VirtualService {} (host {}) is bound to [{}], not to the gateway(s) serving this "
          "port ({})",
          vs.key, *h, fmt::join(vs.gateways, ", "), fmt::join(names, ", ")));
    } else if (!vs.export_to.visibleTo(proxy.ns)) {
      d.notes.push_back(
          fmt::format("VirtualService {} (host {}) is not exported to the gateway's namespace {}",
                      vs.key, *h, proxy.ns));
    } else {
      d.notes.push_back(fmt::format(
          "VirtualService {} (host {}) is bound to this gateway but contributes no route for "
          "this host and port (host not in the server's hosts, or every route excluded by its "
          "port or gateways match)",
          vs.key, *h));
    }
  }
}

void decideGatewayHttp(const Snapshot::Compiled& c, const Proxy& proxy, const Request& request,
                       const DecideOptions& opts, Decision& d) {
  const RequestView req(request);
  const std::vector<GatewayServer> all = c.gatewayServers(proxy);
  d.listener = fmt::format("0.0.0.0_{}", request.port);
  if (all.empty()) {
    d.outcome = Outcome::kNoListener;
    d.notes.push_back("no Gateway selects this proxy (its labels match no Gateway selector)");
    return;
  }
  std::vector<const GatewayServer*> on_port;
  for (const GatewayServer& s : all) {
    if (s.server->port->number == request.port) on_port.push_back(&s);
  }
  if (on_port.empty()) {
    d.outcome = Outcome::kNoListener;
    d.notes.push_back(fmt::format("no Gateway server listens on port {}", request.port));
    return;
  }
  const bool tls = request.tls || request.scheme == "https";
  std::vector<const GatewayServer*> http;
  std::vector<const GatewayServer*> https;
  bool l4 = false;
  for (const GatewayServer* s : on_port) {
    if (isHttpProtocol(s->protocol)) {
      http.push_back(s);
    } else if (s->protocol == "https" && !isPassthrough(*s->server)) {
      https.push_back(s);
    } else {
      l4 = true;
    }
  }
  std::vector<const GatewayServer*> chosen;
  std::string route_name;
  bool server_tls = false;
  if (tls) {
    const std::string sni = request.sni.empty() ? std::string(req.host()) : request.sni;
    const GatewayServer* s = serverForSni(https, sni);
    if (s == nullptr) {
      if (l4) {
        decideGatewayTcp(c, proxy, request, on_port, opts, d);
        return;
      }
      d.outcome = Outcome::kNoListener;
      d.notes.push_back(fmt::format(
          "no HTTPS server on port {} accepts SNI {}: the TLS handshake fails", request.port, sni));
      return;
    }
    chosen.push_back(s);
    server_tls = true;
    const api::Resource* g = s->gateway;
    route_name = fmt::format("https.{}.{}.{}.{}", request.port, s->server->port->name, g->meta.name,
                             g->meta.namespace_);
  } else {
    if (http.empty()) {
      if (l4) {
        decideGatewayTcp(c, proxy, request, on_port, opts, d);
        return;
      }
      d.outcome = Outcome::kNoListener;
      d.notes.push_back(fmt::format(
          "port {} only has HTTPS servers: a plain-text request fails the TLS handshake",
          request.port));
      return;
    }
    chosen = http;
    route_name = fmt::format("http.{}", request.port);
  }
  const StaticContext ctx{&proxy.labels, proxy.ns, request.port, ""};
  const auto rc = c.gatewayRouteConfig(proxy, chosen, route_name, ctx);
  d.route_config = rc->name;
  ActionContext actx{&c, &proxy, &req, request.port, true, server_tls, nullptr};
  actx.resolve = opts.resolve_destinations;
  const int vi = rc->find(req.host());
  const VirtualHostEntry* v = vi >= 0 ? &rc->vhosts[static_cast<size_t>(vi)] : nullptr;
  if (v == nullptr) {
    d.outcome = Outcome::kNoRoute;
    d.status = 404;
    d.response_flags = "NR";
    if (opts.trace) {
      d.notes.push_back(fmt::format("no virtual host of {} matches host {}", rc->name, req.host()));
    }
  } else {
    d.virtual_host = v->name;
    if (v->require_tls && !tls) {
      d.outcome = Outcome::kRedirect;
      d.status = 301;
      d.redirect_location = httpsRedirectLocation(req);
      if (opts.trace) d.notes.push_back("the Gateway server sets tls.httpsRedirect");
    } else if (v->kind == VhostKind::kVirtualService) {
      evaluateVhost(actx, *v, req, ctx, opts, d);
    } else {
      d.outcome = Outcome::kNoRoute;
      d.status = 404;
      d.response_flags = "NR";
      if (opts.trace && v->kind == VhostKind::kEmpty) {
        d.notes.push_back(fmt::format(
            "no VirtualService bound to the gateway(s) on port {} has a host of their servers",
            request.port));
      }
    }
  }
  if (opts.trace) gatewayNotes(c, proxy, chosen, v, req, d);
}

void decideInbound(const Snapshot::Compiled& c, const Proxy& proxy, const Request& request,
                   Decision& d) {
  d.listener = "virtualInbound";
  d.route_config = fmt::format("inbound|{}||", request.port);
  d.virtual_host = fmt::format("inbound|http|{}", request.port);
  d.route_name = "default";
  d.outcome = Outcome::kRoute;
  // BuildDefaultHTTPInboundRoute: no timeout, retries only for resets before the request.
  d.route.retries.attempts = 2;
  d.route.retries.retry_on = "reset-before-request";
  d.route.retries.is_default = true;
  RoutedDestination out;
  out.port = request.port;
  for (const registry::Service* s : c.services) {
    if (s->ns != proxy.ns || s->selector.empty() ||
        !registry::labelsMatch(s->selector, proxy.labels)) {
      continue;
    }
    for (const registry::ServicePort& p : s->ports) {
      if ((p.target_port ? p.target_port : p.port) == request.port) out.host = s->hostname;
    }
    if (!out.host.empty()) break;
  }
  out.resolution.cluster = fmt::format("inbound|{}||", request.port);
  d.destinations.push_back(std::move(out));
}

}  // namespace

// ---- the request path's memo ----------------------------------------------------------------

struct DecisionMemo::State {
  uint64_t snapshot = 0;
  const Proxy* proxy = nullptr;
  std::shared_ptr<const SidecarScope> scope;
  // Held so that the virtual hosts the keys point into live as long as the memo.
  std::vector<std::pair<uint32_t, std::shared_ptr<const RouteConfig>>> route_configs;
  struct Key {
    const void* vhost;  // the virtual host, or the route configuration when none matched
    const void* route;  // the route that matched; null: no route (404) or the default route
    friend bool operator==(const Key&, const Key&) = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const {
      return std::hash<const void*>{}(k.vhost) * 31 + std::hash<const void*>{}(k.route);
    }
  };
  std::unordered_map<Key, std::shared_ptr<const Decision>, KeyHash> decisions;
};

DecisionMemo::DecisionMemo() : state_(std::make_unique<State>()) {}
DecisionMemo::~DecisionMemo() = default;
size_t DecisionMemo::size() const { return state_->decisions.size(); }

namespace {

// Whether what the route does is a function of the route alone: redirects build their
// Location from the request, path rewrites their path.
bool dependsOnRequest(const CompiledVirtualService& vs, const HttpRouteMatch& r) {
  const api::HTTPRoute& rule = vs.spec.http[static_cast<size_t>(r.rule)];
  if (rule.redirect) return true;
  return rule.rewrite && (rule.rewrite->uri_regex_rewrite || !rule.rewrite->uri.empty());
}

}  // namespace

std::shared_ptr<const Decision> Snapshot::decideShared(const Proxy& proxy, const Request& request,
                                                       DecisionMemo& memo) const {
  DecideOptions options;
  options.trace = false;
  options.resolve_destinations = false;
  auto fresh = [&] { return std::make_shared<const Decision>(decide(proxy, request, options)); };
  const bool l4 = request.protocol == Protocol::kTcp || request.protocol == Protocol::kTls;
  // Gateways, inbound and L4 requests, and requests speaking for another source, take the
  // general path.
  if (proxy.type != ProxyType::kSidecar || request.inbound || l4 ||
      !request.source_labels.empty() || !request.source_ns.empty()) {
    return fresh();
  }
  DecisionMemo::State& st = *memo.state_;
  if (st.snapshot != id_ || st.proxy != &proxy) {
    st = DecisionMemo::State{};
    st.snapshot = id_;
    st.proxy = &proxy;
  }
  const Compiled& c = *compiled_;
  if (!st.scope) st.scope = c.sidecarScope(proxy);
  std::shared_ptr<const RouteConfig> rc_shared;
  for (const auto& [port, config] : st.route_configs) {
    if (port == request.port) rc_shared = config;
  }
  if (!rc_shared) {
    const StaticContext ctx{&proxy.labels, proxy.ns, request.port, "mesh"};
    rc_shared = c.sidecarRouteConfig(proxy, *st.scope, ctx);
    st.route_configs.emplace_back(request.port, rc_shared);
  }
  const RouteConfig* rc = rc_shared.get();
  // What the memo cannot reuse is decided afresh, with the memo's scope and route
  // configuration: no cache key is formatted and no lock taken.
  auto fresh_sidecar = [&] {
    auto d = std::make_shared<Decision>();
    decideSidecarHttp(c, proxy, request, options, *d, st.scope, rc_shared);
    return std::shared_ptr<const Decision>(std::move(d));
  };
  const RequestView req(request);
  if (!rc->exists || !rc->http_listener ||
      rc->tcpService(request.destination_address, req.host()) != nullptr) {
    return fresh_sidecar();
  }
  const int vi = rc->find(req.host());
  DecisionMemo::State::Key key{rc, nullptr};
  if (vi >= 0) {
    const VirtualHostEntry& v = rc->vhosts[static_cast<size_t>(vi)];
    key.vhost = &v;
    if (v.kind == VhostKind::kVirtualService) {
      const Hit hit = findMatch(v, req);
      if (hit.seg != nullptr) {
        const HttpRouteMatch& r = hit.seg->vs->routes[static_cast<size_t>(hit.route)];
        if (dependsOnRequest(*hit.seg->vs, r)) return fresh_sidecar();
        key.route = &r;
      }
    } else if (v.kind != VhostKind::kDefault) {
      return fresh_sidecar();  // allow_any and block_all name the request's host
    }
  }
  if (auto it = st.decisions.find(key); it != st.decisions.end()) return it->second;
  // Bounded like every cache here; a configuration has far fewer routes than this.
  if (st.decisions.size() >= 65536) st.decisions.clear();
  auto d = fresh_sidecar();
  st.decisions.emplace(key, d);
  return d;
}

Decision Snapshot::decide(const Proxy& proxy, const Request& request) const {
  return decide(proxy, request, DecideOptions{});
}

Decision Snapshot::decide(const Proxy& proxy, const Request& request,
                          const DecideOptions& options) const {
  Decision d;
  const Compiled& c = *compiled_;
  if (request.inbound) {
    decideInbound(c, proxy, request, d);
    return d;
  }
  const bool l4 = request.protocol == Protocol::kTcp || request.protocol == Protocol::kTls;
  if (proxy.type == ProxyType::kRouter) {
    if (l4) {
      const std::vector<GatewayServer> all = c.gatewayServers(proxy);
      std::vector<const GatewayServer*> on_port;
      for (const GatewayServer& s : all) {
        if (s.server->port->number == request.port) on_port.push_back(&s);
      }
      decideGatewayTcp(c, proxy, request, on_port, options, d);
    } else {
      decideGatewayHttp(c, proxy, request, options, d);
    }
    return d;
  }
  if (l4) {
    const auto scope = c.sidecarScope(proxy);
    decideSidecarTcp(c, proxy, *scope, request, tcpTargetService(c, *scope, request), options, d);
    return d;
  }
  decideSidecarHttp(c, proxy, request, options, d);
  return d;
}

}  // namespace meshroute::routing
