#include "cli/explain_output.h"

#include <fmt/format.h>

#include <cmath>
#include <map>
#include <set>

#include "api/encode.h"
#include "upstream/locality_policy.h"

namespace meshroute::cli {
namespace {

std::string labelsText(const std::map<std::string, std::string>& labels) {
  std::string out;
  for (const auto& [k, v] : labels) out += fmt::format("{}{}={}", out.empty() ? "" : ",", k, v);
  return out.empty() ? "(no labels)" : out;
}

std::string percentText(double p) {
  if (p == static_cast<int>(p)) return fmt::format("{}%", static_cast<int>(p));
  return fmt::format("{:.2f}%", p);
}

std::string headerOpsText(const routing::HeaderOps& ops) {
  std::string out;
  for (const auto& [k, v] : ops.set) out += fmt::format(" set {}={}", k, v);
  for (const auto& [k, v] : ops.add) out += fmt::format(" add {}={}", k, v);
  for (const auto& k : ops.remove) out += fmt::format(" remove {}", k);
  return out;
}

nlohmann::json headerOpsJson(const routing::HeaderOps& ops) {
  nlohmann::json j = nlohmann::json::object();
  if (!ops.set.empty()) {
    for (const auto& [k, v] : ops.set) j["set"][k] = v;
  }
  if (!ops.add.empty()) {
    for (const auto& [k, v] : ops.add) j["add"][k] = v;
  }
  if (!ops.remove.empty()) j["remove"] = ops.remove;
  return j;
}

std::string endpointText(const registry::Endpoint& e, uint32_t port) {
  auto it = e.ports.find(port);
  uint32_t p = it != e.ports.end() ? it->second : port;
  std::string addr = e.address.empty() ? "(no address)" : e.address;
  std::string who =
      e.workload != nullptr
          ? fmt::format(" {} {}", registry::workloadKindName(e.workload->kind), e.workload->name)
          : "";
  return fmt::format("{}:{}{}{}", addr, p, who, e.healthy ? "" : " (not ready)");
}

// Locality load balancing for one destination, in plain words: which localities get what share
// while every endpoint is as healthy as the input says, and which come next as they fail.
std::string localityText(const routing::DestinationResolution& r, const routing::Proxy& proxy,
                         const routing::MeshConfig& mesh) {
  const upstream::LocalityPlacement placement = upstream::localityPlacement(r, proxy, mesh);
  if (!placement.active) return "";
  const std::vector<upstream::LocalityEndpoint> eps = upstream::endpointLocalities(r);
  std::vector<bool> healthy;
  for (const registry::Endpoint* e : r.endpoints) {
    if (e != nullptr && !e->address.empty()) healthy.push_back(e->healthy);
  }
  const upstream::LoadPlan plan = upstream::planLoad(placement, eps, healthy);
  // Per (priority, locality): the share of requests.
  std::map<std::pair<uint32_t, std::string>, double> shares;
  std::set<std::string> dropped;
  for (size_t i = 0; i < eps.size(); ++i) {
    const std::string label = eps[i].locality.empty() ? "(no locality)" : eps[i].locality.label();
    if (placement.dropped[i]) {
      dropped.insert(label);
    } else {
      shares[{placement.priority[i], label}] += 0;
    }
  }
  for (const upstream::LoadGroup& g : plan.groups) {
    const double per_host = g.share / static_cast<double>(g.hosts.size());
    for (uint32_t h : g.hosts) {
      const std::string label = eps[h].locality.empty() ? "(no locality)" : eps[h].locality.label();
      shares[{g.priority, label}] += per_host;
    }
  }
  if (shares.size() <= 1 && dropped.empty()) return "";  // one locality, one priority
  std::string out = fmt::format("          locality from {}:",
                                proxy.locality.empty() ? "(no --locality)" : proxy.locality);
  const char* sep = " ";
  for (const auto& [key, share] : shares) {
    out += fmt::format("{}priority {} {} {}", sep, key.first, key.second,
                       percentText(std::round(share * 10000) / 100));
    sep = ", ";
  }
  for (const auto& label : dropped) {
    out += fmt::format("{}{} none (not in distribute)", sep, label);
    sep = ", ";
  }
  return out + "\n";
}

std::string protocolLabel(const routing::Proxy& p) {
  return p.type == routing::ProxyType::kRouter ? "gateway" : "sidecar";
}

}  // namespace

std::string retryBudget(const routing::RouteDecision& route) {
  const auto& r = route.retries;
  if (r.attempts <= 0) return "";
  int tries = r.attempts + 1;
  if (!r.per_try_timeout) {
    return route.timeout ? fmt::format("{} tries share the {} route timeout", tries,
                                       api::formatDuration(*route.timeout))
                         : fmt::format(
                               "{} tries, no per-try timeout and no route timeout: a "
                               "hung upstream holds the request indefinitely",
                               tries);
  }
  int64_t budget_ns = r.per_try_timeout->totalNanos() * tries;
  api::Duration budget{budget_ns / 1000000000, static_cast<int32_t>(budget_ns % 1000000000)};
  std::string base =
      fmt::format("worst case {} tries x {} = {}", tries, api::formatDuration(*r.per_try_timeout),
                  api::formatDuration(budget));
  if (!route.timeout) return base + " (no route timeout)";
  if (budget_ns > route.timeout->totalNanos()) {
    return base + fmt::format(", exceeds the {} route timeout: the last tries never run",
                              api::formatDuration(*route.timeout));
  }
  return base + fmt::format(", within the {} route timeout", api::formatDuration(*route.timeout));
}

int explainExitCode(const routing::Decision& d) {
  switch (d.outcome) {
    case routing::Outcome::kRoute:
    case routing::Outcome::kRedirect: return 0;
    case routing::Outcome::kDirectResponse:
      return d.status >= 500 && d.virtual_service == nullptr ? 1 : 0;
    case routing::Outcome::kNoRoute:
    case routing::Outcome::kNoListener:
    case routing::Outcome::kError: return 1;
  }
  return 1;
}

std::string explainText(const ExplainInput& in) {
  const auto& d = in.decision;
  const auto& req = in.request;
  std::string out;
  out += fmt::format("Request:   {} {}://{}{} on port {} ({} in namespace {}{})\n", req.method,
                     req.scheme, req.authority, req.path, req.port, protocolLabel(in.proxy),
                     in.proxy.ns,
                     in.proxy.labels.empty() ? "" : ", labels " + labelsText(in.proxy.labels));
  for (const auto& note : in.ignored) out += fmt::format("Ignored:   {}\n", note);
  if (!d.listener.empty()) {
    out += fmt::format("Listener:  {}", d.listener);
    if (!d.route_config.empty()) out += fmt::format("  route config \"{}\"", d.route_config);
    if (!d.virtual_host.empty()) out += fmt::format("  virtual host \"{}\"", d.virtual_host);
    out += "\n";
  }
  std::string current_vs = "\x01";
  for (const auto& step : d.trace) {
    if (step.virtual_service != current_vs) {
      current_vs = step.virtual_service;
      out += current_vs.empty() ? "Generated routes:\n"
                                : fmt::format("VirtualService {}:\n", current_vs);
    }
    std::string name = step.route_name.empty() ? "" : fmt::format(" \"{}\"", step.route_name);
    if (step.matched) {
      out += fmt::format("  route {}{}: matched{}\n", step.route_index, name,
                         step.reason.empty() ? "" : " (" + step.reason + ")");
    } else {
      out += fmt::format("  route {}{}: no match: {}\n", step.route_index, name, step.reason);
    }
  }
  for (const auto& note : d.notes) out += fmt::format("Note:      {}\n", note);

  switch (d.outcome) {
    case routing::Outcome::kNoRoute:
      out += fmt::format("Result:    {} (response flag {}): no route matched\n", d.status,
                         d.response_flags);
      return out;
    case routing::Outcome::kNoListener:
      out += fmt::format("Result:    no listener for port {} on this proxy\n", req.port);
      return out;
    case routing::Outcome::kRedirect:
      out += fmt::format("Result:    redirect {} to {}\n", d.status, d.redirect_location);
      return out;
    case routing::Outcome::kDirectResponse:
      out += fmt::format("Result:    direct response {}{}\n", d.status,
                         d.body.empty() ? "" : fmt::format(" \"{}\"", d.body));
      return out;
    case routing::Outcome::kRoute:
    case routing::Outcome::kError: break;
  }

  out += "Destinations:\n";
  for (const auto& dest : d.destinations) {
    const auto& r = dest.resolution;
    out +=
        fmt::format("  {:>6}  {}{} port {}  ->  {}\n", percentText(dest.weight_percent), dest.host,
                    dest.subset.empty() ? "" : " subset " + dest.subset, dest.port, r.cluster);
    if (r.destination_rule != nullptr) {
      out += fmt::format("          DestinationRule {}/{} ({}:{})",
                         r.destination_rule->meta.namespace_, r.destination_rule->meta.name,
                         r.destination_rule->file, r.destination_rule->mark.line);
      if (!dest.subset.empty() && r.subset != nullptr) {
        out += fmt::format(", subset {} selects {}", dest.subset, labelsText(r.subset_labels));
      }
      out += "\n";
    }
    if (r.cluster == "PassthroughCluster" || r.cluster == "BlackHoleCluster") {
      out += r.cluster == "PassthroughCluster"
                 ? "          forwarded to the original destination address\n"
                 : "          connection closed (BlackHoleCluster)\n";
    } else if (r.status == routing::DestinationStatus::kOk && r.endpoints.empty() &&
               !r.template_workloads.empty()) {
      out += "          no endpoint addresses in the input; selects";
      for (const auto* w : r.template_workloads) {
        out += fmt::format(" {} {}/{} ({} replica{})", registry::workloadKindName(w->kind), w->ns,
                           w->name, w->replicas, w->replicas == 1 ? "" : "s");
      }
      out += "\n";
    } else if (r.status == routing::DestinationStatus::kOk) {
      out += fmt::format("          {} endpoint{}:", r.endpoints.size(),
                         r.endpoints.size() == 1 ? "" : "s");
      size_t shown = 0;
      for (const auto* e : r.endpoints) {
        if (shown++ == 5) {
          out += fmt::format(" ... and {} more", r.endpoints.size() - 5);
          break;
        }
        out += " " + endpointText(*e, dest.port);
      }
      out += "\n";
    } else {
      out += fmt::format("          PROBLEM: {}\n", r.problem);
    }
    if (r.status == routing::DestinationStatus::kOk) {
      out += localityText(r, in.proxy, in.snapshot.mesh());
    }
    if (!r.policy.load_balancer.empty() || !r.policy.tls_mode.empty()) {
      out += fmt::format("          load balancer {}, tls {}\n",
                         r.policy.load_balancer.empty() ? "none" : r.policy.load_balancer,
                         r.policy.tls_mode.empty() ? "none" : r.policy.tls_mode);
    }
    if (r.policy.policy) {
      const auto& p = *r.policy.policy;
      if (p.connection_pool) {
        out +=
            fmt::format("          connection pool {}\n", api::toJson(*p.connection_pool).dump());
      }
      if (p.outlier_detection) {
        out += fmt::format("          outlier detection {}\n",
                           api::toJson(*p.outlier_detection).dump());
      }
    }
    std::string ops = headerOpsText(dest.request_headers);
    if (!ops.empty()) out += fmt::format("          request headers:{}\n", ops);
    ops = headerOpsText(dest.response_headers);
    if (!ops.empty()) out += fmt::format("          response headers:{}\n", ops);
  }
  const auto& route = d.route;
  out += "Policy:\n";
  out += fmt::format("  timeout   {}\n", route.timeout ? api::formatDuration(*route.timeout)
                                                       : "none (Istio's default)");
  if (route.retries.attempts > 0) {
    out += fmt::format("  retries   {} on {}{}{}\n", route.retries.attempts, route.retries.retry_on,
                       route.retries.per_try_timeout
                           ? ", per try " + api::formatDuration(*route.retries.per_try_timeout)
                           : "",
                       route.retries.is_default ? " (Istio's default)" : "");
    out += fmt::format("            {}\n", retryBudget(route));
  } else {
    out += "  retries   none\n";
  }
  if (!route.rewritten_path.empty() || !route.rewritten_authority.empty()) {
    out += fmt::format(
        "  rewrite   {}{}\n",
        route.rewritten_path.empty() ? "" : "path " + route.rewritten_path + " ",
        route.rewritten_authority.empty() ? "" : "authority " + route.rewritten_authority);
  }
  if (route.fault) {
    const auto& f = *route.fault;
    if (f.delay) {
      out += fmt::format("  fault     delay {} on {}\n", api::formatDuration(*f.delay),
                         percentText(f.delay_percent));
    }
    if (f.abort_http_status) {
      out += fmt::format("  fault     abort {} on {}\n", *f.abort_http_status,
                         percentText(f.abort_percent));
    }
    if (!f.abort_grpc_status.empty()) {
      out += fmt::format("  fault     abort grpc {} on {}\n", f.abort_grpc_status,
                         percentText(f.abort_percent));
    }
  }
  for (const auto& m : route.mirrors) {
    out += fmt::format("  mirror    {} of requests to {}{} -> {}\n", percentText(m.percent), m.host,
                       m.subset.empty() ? "" : " subset " + m.subset, m.cluster);
  }
  if (route.cors) out += fmt::format("  cors      {}\n", api::toJson(*route.cors).dump());
  std::string ops = headerOpsText(route.request_headers);
  if (!ops.empty()) out += fmt::format("  request headers:{}\n", ops);
  ops = headerOpsText(route.response_headers);
  if (!ops.empty()) out += fmt::format("  response headers:{}\n", ops);

  if (d.outcome == routing::Outcome::kError) {
    std::string cause = d.body;
    for (const auto& dest : d.destinations) {
      if (cause.empty() && !dest.resolution.problem.empty()) cause = dest.resolution.problem;
    }
    out += fmt::format("Result:    {} (response flag {}){}\n", d.status, d.response_flags,
                       cause.empty() ? "" : ": " + cause);
  } else if (d.destinations.size() == 1) {
    out += "Result:    routed\n";
  } else {
    std::string split;
    for (const auto& dest : d.destinations) {
      split += (split.empty() ? "" : "/") + percentText(dest.weight_percent);
    }
    out += fmt::format("Result:    routed, split {}\n", split);
  }
  return out;
}

nlohmann::json explainJson(const ExplainInput& in) {
  const auto& d = in.decision;
  nlohmann::json j;
  j["outcome"] = std::string(routing::outcomeName(d.outcome));
  j["status"] = d.status;
  j["response_flags"] = d.response_flags;
  j["body"] = d.body;
  j["listener"] = d.listener;
  j["route_config"] = d.route_config;
  j["virtual_host"] = d.virtual_host;
  j["virtual_service"] =
      d.virtual_service == nullptr
          ? nlohmann::json()
          : nlohmann::json(fmt::format("{}/{}", d.virtual_service->meta.namespace_,
                                       d.virtual_service->meta.name));
  j["route_index"] = d.route_index;
  j["route_name"] = d.route_name;
  if (d.outcome == routing::Outcome::kRedirect) j["redirect"] = d.redirect_location;
  j["destinations"] = nlohmann::json::array();
  for (const auto& dest : d.destinations) {
    const auto& r = dest.resolution;
    nlohmann::json e;
    e["host"] = dest.host;
    e["subset"] = dest.subset;
    e["port"] = dest.port;
    e["weight"] = dest.weight_percent;
    e["cluster"] = r.cluster;
    e["status"] = std::string(routing::destinationStatusName(r.status));
    e["problem"] = r.problem;
    e["destination_rule"] =
        r.destination_rule == nullptr
            ? nlohmann::json()
            : nlohmann::json(fmt::format("{}/{}", r.destination_rule->meta.namespace_,
                                         r.destination_rule->meta.name));
    e["subset_labels"] = r.subset_labels;
    e["endpoints"] = nlohmann::json::array();
    const upstream::LocalityPlacement placement =
        upstream::localityPlacement(r, in.proxy, in.snapshot.mesh());
    size_t located = 0;  // index among the endpoints with an address
    for (const auto* ep : r.endpoints) {
      nlohmann::json x;
      x["locality"] = ep->locality;
      if (placement.active && !ep->address.empty()) {
        x["priority"] = placement.priority[located];
        x["dropped"] = static_cast<bool>(placement.dropped[located]);
      }
      located += ep->address.empty() ? 0 : 1;
      x["address"] = ep->address;
      auto it = ep->ports.find(dest.port);
      x["port"] = it != ep->ports.end() ? it->second : dest.port;
      x["labels"] = ep->labels;
      x["healthy"] = ep->healthy;
      if (ep->workload != nullptr) {
        x["workload"] = fmt::format("{}/{}", registry::workloadKindName(ep->workload->kind),
                                    ep->workload->name);
      }
      e["endpoints"].push_back(std::move(x));
    }
    e["workloads"] = nlohmann::json::array();
    for (const auto* w : r.template_workloads) {
      e["workloads"].push_back({{"kind", std::string(registry::workloadKindName(w->kind))},
                                {"namespace", w->ns},
                                {"name", w->name},
                                {"replicas", w->replicas},
                                {"labels", w->labels}});
    }
    nlohmann::json policy;
    policy["load_balancer"] = r.policy.load_balancer;
    policy["tls_mode"] = r.policy.tls_mode;
    if (r.policy.policy) policy["traffic_policy"] = api::toJson(*r.policy.policy);
    e["policy"] = std::move(policy);
    e["request_headers"] = headerOpsJson(dest.request_headers);
    e["response_headers"] = headerOpsJson(dest.response_headers);
    j["destinations"].push_back(std::move(e));
  }
  const auto& route = d.route;
  nlohmann::json policy;
  policy["timeout"] =
      route.timeout ? nlohmann::json(api::formatDuration(*route.timeout)) : nlohmann::json();
  nlohmann::json retries;
  retries["attempts"] = route.retries.attempts;
  retries["retry_on"] = route.retries.retry_on;
  retries["per_try_timeout"] =
      route.retries.per_try_timeout
          ? nlohmann::json(api::formatDuration(*route.retries.per_try_timeout))
          : nlohmann::json();
  retries["default"] = route.retries.is_default;
  retries["retry_remote_localities"] = route.retries.retry_remote_localities;
  retries["budget"] = retryBudget(route);
  policy["retries"] = std::move(retries);
  if (!route.rewritten_path.empty()) policy["rewrite_path"] = route.rewritten_path;
  if (!route.rewritten_authority.empty()) policy["rewrite_authority"] = route.rewritten_authority;
  if (route.fault) {
    nlohmann::json f;
    if (route.fault->delay) {
      f["delay"] = api::formatDuration(*route.fault->delay);
      f["delay_percent"] = route.fault->delay_percent;
    }
    if (route.fault->abort_http_status) f["abort_http_status"] = *route.fault->abort_http_status;
    if (!route.fault->abort_grpc_status.empty())
      f["abort_grpc_status"] = route.fault->abort_grpc_status;
    if (route.fault->abort_http_status || !route.fault->abort_grpc_status.empty()) {
      f["abort_percent"] = route.fault->abort_percent;
    }
    policy["fault"] = std::move(f);
  }
  policy["mirrors"] = nlohmann::json::array();
  for (const auto& m : route.mirrors) {
    policy["mirrors"].push_back({{"host", m.host},
                                 {"subset", m.subset},
                                 {"port", m.port},
                                 {"percent", m.percent},
                                 {"cluster", m.cluster}});
  }
  if (route.cors) policy["cors"] = api::toJson(*route.cors);
  policy["request_headers"] = headerOpsJson(route.request_headers);
  policy["response_headers"] = headerOpsJson(route.response_headers);
  j["policy"] = std::move(policy);
  j["trace"] = nlohmann::json::array();
  for (const auto& step : d.trace) {
    j["trace"].push_back(
        {{"virtual_service",
          step.virtual_service.empty() ? nlohmann::json() : nlohmann::json(step.virtual_service)},
         {"route_index", step.route_index},
         {"route_name", step.route_name},
         {"matched", step.matched},
         {"reason", step.reason}});
  }
  j["notes"] = d.notes;
  j["ignored"] = in.ignored;
  return j;
}

}  // namespace meshroute::cli
