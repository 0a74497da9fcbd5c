// Istio's admission rules for DestinationRule (ValidateDestinationRule and the traffic-policy
// checks it calls), plus the CRD schema's bounds and CEL rules that Go validation lacks.
// Load-balancer rules are in destination_rule_lb.cc.
#include <fmt/format.h>

#include <set>

#include "validate/common.h"
#include "validate/destination_rule_lb.h"
#include "validate/go_format.h"
#include "validate/schema_rules.h"
#include "validate/validate.h"

namespace meshroute::validate {
namespace {

constexpr size_t kMaxPortLevelSettings = 4096;
constexpr size_t kMaxSelectorLabels = 4096;
constexpr size_t kMaxLabelValueLength = 63;
constexpr std::string_view kCelDurationMessage = "must be a valid duration greater than 1ms";

// --- CRD schema layer (Kubernetes wording) ---

void celDuration(const std::optional<api::Duration>& d, const Loc& at, Report& r) {
  if (d && d->totalNanos() < 1000000) {
    r.error(at, celInvalid("string", kCelDurationMessage));
  }
}

// CRD rules Go validation also enforces (with its own message); checked here only for a policy
// whose Go validation stopped early.
void schemaOverlapChecks(const std::optional<api::OutlierDetection>& od,
                         const std::optional<api::ConnectionPoolSettings>& pool,
                         const std::optional<api::LoadBalancerSettings>& lb, const Loc& od_at,
                         const Loc& pool_at, const Loc& lb_at, Report& r) {
  if (od) {
    celDuration(od->interval, od_at.field(*od, "interval"), r);
    celDuration(od->base_ejection_time, od_at.field(*od, "baseEjectionTime"), r);
  }
  if (pool && pool->http) {
    Loc http = pool_at.field(*pool, "http");
    celDuration(pool->http->idle_timeout, http.field(*pool->http, "idleTimeout"), r);
    if (const auto& ka = pool->http->http2_keep_alive) {
      Loc kal = http.field(*pool->http, "http2KeepAlive");
      celDuration(ka->interval, kal.field(*ka, "interval"), r);
      celDuration(ka->timeout, kal.field(*ka, "timeout"), r);
    }
  }
  if (pool && pool->tcp) {
    Loc tcp = pool_at.field(*pool, "tcp");
    celDuration(pool->tcp->connect_timeout, tcp.field(*pool->tcp, "connectTimeout"), r);
    celDuration(pool->tcp->max_connection_duration, tcp.field(*pool->tcp, "maxConnectionDuration"),
                r);
    if (const auto& ka = pool->tcp->tcp_keepalive) {
      Loc kal = tcp.field(*pool->tcp, "tcpKeepalive");
      celDuration(ka->time, kal.field(*ka, "time"), r);
      celDuration(ka->interval, kal.field(*ka, "interval"), r);
    }
  }
  if (lb && lb->warmup) {
    Loc wl = lb_at.field(*lb, "warmup");
    const auto& w = *lb->warmup;
    celDuration(w.duration, wl.field(w, "duration"), r);
    if (w.minimum_percent && *w.minimum_percent > 100) {
      Loc p = wl.field(w, "minimumPercent");
      r.error(p, aboveMaximum(p, *w.minimum_percent, 100));
    }
    if (w.aggression && *w.aggression < 0) {
      Loc p = wl.field(w, "aggression");
      r.error(p, belowMinimum(p, *w.aggression, 0));
    }
  }
}

// CRD rules Go validation does not enforce.
void schemaChecks(const std::optional<api::OutlierDetection>& od,
                  const std::optional<api::LoadBalancerSettings>& lb, const Loc& od_at,
                  const Loc& lb_at, Report& r) {
  if (od) {
    for (size_t i = 0; i < od->outlier_detection_http_error_codes.size(); ++i) {
      uint32_t code = od->outlier_detection_http_error_codes[i];
      Loc c = od_at.item(*od, "outlierDetectionHttpErrorCodes", i);
      if (code < 100) r.error(c, belowMinimum(c, code, 100));
      if (code > 599) r.error(c, aboveMaximum(c, code, 599));
    }
  }
  if (!lb) return;
  celDuration(lb->warmup_duration_secs, lb_at.field(*lb, "warmupDurationSecs"), r);
  if (lb->warmup && lb->warmup->minimum_percent && *lb->warmup->minimum_percent < 0) {
    Loc p = lb_at.field(*lb, "warmup").field(*lb->warmup, "minimumPercent");
    r.error(p, belowMinimum(p, *lb->warmup->minimum_percent, 0));
  }
  if (const auto& za = lb->zone_aware_lb_setting; za && za->min_cluster_size.value_or(1) < 1) {
    Loc p = lb_at.field(*lb, "zoneAwareLbSetting").field(*za, "minClusterSize");
    r.error(p, belowMinimum(p, static_cast<double>(*za->min_cluster_size), 1));
  }
}

void trafficPolicySchemaChecks(const api::TrafficPolicy& tp, const Loc& at, bool go_checked,
                               Report& r) {
  Loc od_at = at.field(tp, "outlierDetection");
  Loc lb_at = at.field(tp, "loadBalancer");
  schemaChecks(tp.outlier_detection, tp.load_balancer, od_at, lb_at, r);
  if (!go_checked) {
    schemaOverlapChecks(tp.outlier_detection, tp.connection_pool, tp.load_balancer, od_at,
                        at.field(tp, "connectionPool"), lb_at, r);
  }
  if (tp.port_level_settings.size() > kMaxPortLevelSettings) {
    r.error(at.field(tp, "portLevelSettings"),
            tooMany(tp.port_level_settings.size(), kMaxPortLevelSettings));
  }
  for (size_t i = 0; i < tp.port_level_settings.size(); ++i) {
    const auto& p = tp.port_level_settings[i];
    Loc pl = at.item("portLevelSettings", i, p);
    Loc p_od = pl.field(p, "outlierDetection");
    Loc p_lb = pl.field(p, "loadBalancer");
    schemaChecks(p.outlier_detection, p.load_balancer, p_od, p_lb, r);
    if (!go_checked) {
      schemaOverlapChecks(p.outlier_detection, p.connection_pool, p.load_balancer, p_od,
                          pl.field(p, "connectionPool"), p_lb, r);
    }
  }
  if (const auto& rb = tp.retry_budget; rb && rb->percent) {
    Loc p = at.field(tp, "retryBudget").field(*rb, "percent");
    if (*rb->percent < 0) r.error(p, belowMinimum(p, *rb->percent, 0));
    if (*rb->percent > 100) r.error(p, aboveMaximum(p, *rb->percent, 100));
  }
}

void workloadSelectorSchemaChecks(const api::WorkloadSelector& sel, const Loc& at, Report& r) {
  if (sel.match_labels.size() > kMaxSelectorLabels) {
    r.error(at.field(sel, "matchLabels"), tooMany(sel.match_labels.size(), kMaxSelectorLabels));
  }
  for (const auto& [k, v] : sel.match_labels) {
    if (v.size() > kMaxLabelValueLength) {
      r.error(at.key(sel, "matchLabels", k), tooLong(kMaxLabelValueLength));
    }
  }
}

// --- Go validation ---

void validateOutlierDetection(const api::OutlierDetection& od, const Loc& at, Report& r) {
  if (od.base_ejection_time) {
    if (auto e = validateDuration(*od.base_ejection_time)) {
      r.error(at.field(od, "baseEjectionTime"), *e);
    }
  }
  if (od.consecutive_errors != 0) {
    r.warning(at.field(od, "consecutiveErrors"),
              "outlier detection consecutive errors is deprecated, use consecutiveGatewayErrors "
              "or consecutive5xxErrors instead");
  }
  if (!od.split_external_local_origin_errors &&
      od.consecutive_local_origin_failures.value_or(0) > 0) {
    r.error(at.field(od, "consecutiveLocalOriginFailures"),
            "outlier detection consecutive local origin failures is specified, but split external "
            "local origin errors is set to false");
  }
  if (od.interval) {
    if (auto e = validateDuration(*od.interval)) r.error(at.field(od, "interval"), *e);
  }
  if (auto e = validatePercent(od.max_ejection_percent)) {
    r.error(at.field(od, "maxEjectionPercent"), *e);
  }
  if (auto e = validatePercent(od.min_health_percent)) {
    r.error(at.field(od, "minHealthPercent"), *e);
  }
}

// Parses a configmap://namespace/name credential the way Istio's credential parser does; returns
// the namespace, or the parse error in `err`.
std::string configMapNamespace(std::string_view credential, std::string& err) {
  std::string_view rest = credential.substr(std::string_view("configmap://").size());
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos) {
    err = fmt::format("invalid resource name {}. Expected namespace and name", goQuote(credential));
    return "";
  }
  std::string_view ns = rest.substr(0, slash);
  std::string_view name = rest.substr(slash + 1);
  name = name.substr(0, name.find('/'));
  if (ns.empty()) {
    err = fmt::format("invalid resource name {}. Expected namespace", goQuote(credential));
  } else if (name.empty()) {
    err = fmt::format("invalid resource name {}. Expected name", goQuote(credential));
  }
  return std::string(ns);
}

void validateClientTLS(std::string_view config_ns, const api::ClientTLSSettings& tls, const Loc& at,
                       Report& r) {
  if (tls.credential_name.starts_with("configmap://")) {
    Loc cred = at.field(tls, "credentialName");
    std::string err;
    std::string ns = configMapNamespace(tls.credential_name, err);
    if (!err.empty()) {
      r.error(cred, fmt::format("invalid configmap:// credentialName: {}", err));
    } else if (ns != config_ns || config_ns.empty()) {
      r.error(cred, fmt::format("invalid configmap:// credentialName: namespace must match the "
                                "configuration namespace {}",
                                goQuote(config_ns)));
    }
  }
  bool simple = tls.mode == "SIMPLE";
  bool mutual = tls.mode == "MUTUAL";
  if (tls.insecure_skip_verify.value_or(false)) {
    Loc skip = at.field(tls, "insecureSkipVerify");
    if (simple && (!tls.ca_certificates.empty() || !tls.credential_name.empty() ||
                   !tls.subject_alt_names.empty())) {
      r.error(skip,
              "cannot specify CaCertificates or CredentialName or SubjectAltNames when "
              "InsecureSkipVerify is set true");
    }
    if (mutual && (!tls.ca_certificates.empty() || !tls.subject_alt_names.empty())) {
      r.error(skip,
              "cannot specify CaCertificates or SubjectAltNames when InsecureSkipVerify is set "
              "true");
    }
  }
  if ((simple || mutual) && !tls.credential_name.empty()) {
    // The credential supplies certificates remotely, so none may be given inline.
    if (!tls.client_certificate.empty() || !tls.ca_certificates.empty() ||
        !tls.private_key.empty() || !tls.ca_crl.empty()) {
      r.error(at.field(tls, "credentialName"),
              "cannot specify client certificates or CA certificate or CA CRL If credentialName "
              "is set");
    }
    return;
  }
  if (mutual) {
    if (tls.client_certificate.empty()) {
      r.error(at.field(tls, "clientCertificate"), "client certificate required for mutual tls");
    }
    if (tls.private_key.empty()) {
      r.error(at.field(tls, "privateKey"), "private key required for mutual tls");
    }
  }
}

std::string joinErrors(const Errors& errs) {
  std::string out;
  for (const auto& e : errs) out += (out.empty() ? "" : "; ") + e;
  return out;
}

void validateTunnel(const api::TunnelSettings& t, const Loc& at, Report& r) {
  if (!t.protocol.empty() && t.protocol != "CONNECT" && t.protocol != "POST") {
    r.error(at.field(t, "protocol"), "tunnel protocol must be \"CONNECT\" or \"POST\"");
  }
  Errors fqdn = validateFQDN(t.target_host);
  Error ip = validateIPAddress(t.target_host);
  if (!fqdn.empty() && ip) {
    r.error(at.field(t, "targetHost"),
            fmt::format("tunnel target host must be valid FQDN or IP address: {}; {}",
                        joinErrors(fqdn), *ip));
  }
  if (auto e = validatePort(t.target_port)) {
    r.error(at.field(t, "targetPort"), fmt::format("tunnel target port is invalid: {}", *e));
  }
}

void validateProxyProtocol(const api::ProxyProtocol& p, const Loc& at, Report& r) {
  // Only a numeric version outside the enum gets here with another value.
  if (p.version != "V1" && p.version != "V2") {
    r.error(at.field(p, "version"),
            fmt::format("proxy protocol version is invalid: {}", p.version));
  }
}

void validatePortTrafficPolicies(std::string_view ns, const api::TrafficPolicy& tp, const Loc& at,
                                 Report& r) {
  for (size_t i = 0; i < tp.port_level_settings.size(); ++i) {
    const auto& p = tp.port_level_settings[i];
    Loc pl = at.item("portLevelSettings", i, p);
    if (!p.port) r.error(pl, "portTrafficPolicy must have valid port");
    if (!p.outlier_detection && !p.connection_pool && !p.load_balancer && !p.tls) {
      r.error(pl, "port traffic policy must have at least one field");
      continue;
    }
    const api::OutlierDetection* outlier = p.outlier_detection ? &*p.outlier_detection : nullptr;
    if (outlier) validateOutlierDetection(*outlier, pl.field(p, "outlierDetection"), r);
    if (p.connection_pool)
      validateConnectionPool(*p.connection_pool, pl.field(p, "connectionPool"), r);
    if (p.load_balancer)
      dr::validateLoadBalancer(*p.load_balancer, outlier, pl.field(p, "loadBalancer"), r);
    if (p.tls) validateClientTLS(ns, *p.tls, pl.field(p, "tls"), r);
  }
}

void validateTrafficPolicy(std::string_view ns, const api::TrafficPolicy& tp, const Loc& at,
                           Report& r) {
  bool go_stops = tp.tunnel && tp.proxy_protocol;
  trafficPolicySchemaChecks(tp, at, !go_stops, r);
  if (!tp.outlier_detection && !tp.connection_pool && !tp.load_balancer && !tp.tls &&
      tp.port_level_settings.empty() && !tp.tunnel && !tp.proxy_protocol && !tp.retry_budget) {
    r.error(at, "traffic policy must have at least one field");
    return;
  }
  if (go_stops) {
    r.error(at.field(tp, "proxyProtocol"), "tunnel and proxyProtocol must not be set together");
    return;
  }
  const api::OutlierDetection* outlier = tp.outlier_detection ? &*tp.outlier_detection : nullptr;
  if (outlier) validateOutlierDetection(*outlier, at.field(tp, "outlierDetection"), r);
  if (tp.connection_pool)
    validateConnectionPool(*tp.connection_pool, at.field(tp, "connectionPool"), r);
  if (tp.load_balancer)
    dr::validateLoadBalancer(*tp.load_balancer, outlier, at.field(tp, "loadBalancer"), r);
  if (tp.tls) validateClientTLS(ns, *tp.tls, at.field(tp, "tls"), r);
  // Istio keeps only the errors of port-level policies.
  Report port_report = r.errorsOnly();
  validatePortTrafficPolicies(ns, tp, at, port_report);
  if (tp.tunnel) validateTunnel(*tp.tunnel, at.field(tp, "tunnel"), r);
  if (tp.proxy_protocol)
    validateProxyProtocol(*tp.proxy_protocol, at.field(tp, "proxyProtocol"), r);
}

void validateSubset(std::string_view ns, const api::Subset& s, const Loc& at, Report& r) {
  Loc name = at.field(s, "name");
  if (s.name.empty()) {
    r.error(name, "subset name cannot be empty");
  } else if (!isDNS1123Label(s.name)) {
    r.error(name, fmt::format("subset name is invalid: {}", s.name));
  }
  validateLabels(s, "labels", s.labels, at, r);
  if (s.traffic_policy)
    validateTrafficPolicy(ns, *s.traffic_policy, at.field(s, "trafficPolicy"), r);
}

}  // namespace

void validateDestinationRule(const api::Resource& res, const api::DestinationRule& dr, Report& r) {
  Loc spec("spec", dr.mark);
  const std::string& ns = res.meta.namespace_;
  for (const auto& e : validateWildcardDomain(dr.host)) r.error(spec.field(dr, "host"), e);
  if (dr.traffic_policy)
    validateTrafficPolicy(ns, *dr.traffic_policy, spec.field(dr, "trafficPolicy"), r);

  std::set<std::string> names;
  // Istio keeps only the errors of subsets.
  Report subset_report = r.errorsOnly();
  for (size_t i = 0; i < dr.subsets.size(); ++i) {
    const auto& s = dr.subsets[i];
    Loc sl = spec.item("subsets", i, s);
    if (!names.insert(s.name).second) {
      r.error(sl.field(s, "name"), fmt::format("duplicate subset names: {}", s.name));
    }
    validateSubset(ns, s, sl, subset_report);
  }

  const api::WorkloadSelector* selector = dr.workload_selector ? &*dr.workload_selector : nullptr;
  validateExportTo(ns, dr.export_to, false, selector != nullptr, spec.field(dr, "exportTo"), r);
  Loc sel = spec.field(dr, "workloadSelector");
  validateWorkloadSelector(selector, sel, r);
  if (selector) workloadSelectorSchemaChecks(*selector, sel, r);
}

}  // namespace meshroute::validate
