// Shared validation predicates; see common.h. Messages follow Istio's wording.
#include "validate/common.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <set>

#include <fmt/format.h>

#include "validate/go_format.h"

namespace meshroute::validate {
namespace {

bool isAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// [a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])? without the length limit.
bool isLabelBody(std::string_view s) {
  if (s.empty() || !isAlnum(s.front()) || !isAlnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return isAlnum(c) || c == '-'; });
}

// Kubernetes qualified name without the length limit: alphanumerics at both ends, '-', '_' and
// '.' inside.
bool isQualifiedName(std::string_view s) {
  if (s.empty() || !isAlnum(s.front()) || !isAlnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return isAlnum(c) || c == '-' || c == '_' || c == '.'; });
}

// Dot-separated label bodies with no length limit per label (the label-key prefix form).
bool isDottedLabels(std::string_view s) {
  while (true) {
    size_t dot = s.find('.');
    if (!isLabelBody(s.substr(0, dot))) return false;
    if (dot == std::string_view::npos) return true;
    s.remove_prefix(dot + 1);
  }
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

bool allDigits(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Errors checkDNS1123Preconditions(std::string_view name) {
  if (name.size() > 255) return {fmt::format("domain name \"{}\" too long (max 255)", name)};
  if (name.empty()) return {"empty domain name not allowed"};
  return {};
}

Errors hostnamePart(std::string_view hostname, bool is_gateway) {
  Errors errs;
  if (hostname != "*" && hostname.find('.') == std::string_view::npos) {
    errs.push_back("short names (non FQDN) are not allowed");
  }
  Errors wild = validateWildcardDomain(hostname);
  if (!wild.empty()) {
    // Gateways accept an IP address as a host; sidecars never do. Istio reports the error twice
    // for a sidecar (once for "not a gateway", once for "not an IP"): once is enough here.
    if (!is_gateway || !isIPAddress(hostname)) errs.insert(errs.end(), wild.begin(), wild.end());
  }
  if (auto e = validatePartialWildCard(hostname)) errs.push_back(*e);
  return errs;
}

}  // namespace

bool isDNS1123Label(std::string_view s) { return s.size() <= 63 && isLabelBody(s); }

Error validateLabelKey(std::string_view key) {
  std::string_view prefix;
  std::string_view name = key;
  if (size_t slash = key.find('/'); slash != std::string_view::npos) {
    prefix = key.substr(0, slash);
    name = key.substr(slash + 1);
    if (!isDottedLabels(prefix)) return fmt::format("invalid tag key: {}", goQuote(key));
  }
  if (!isQualifiedName(name)) return fmt::format("invalid tag key: {}", goQuote(key));
  if (prefix.size() > 253) {
    return fmt::format("invalid tag key: {} (DNS prefix is too long)", goQuote(key));
  }
  if (name.size() > 63) return fmt::format("invalid tag key: {} (name is too long)", goQuote(key));
  return std::nullopt;
}

Error validateLabelValue(std::string_view value) {
  if (value.empty() || isQualifiedName(value)) return std::nullopt;
  return fmt::format("invalid tag value: {}", goQuote(value));
}

void validateLabels(const api::Message& owner, std::string_view field, const api::StringMap& labels,
                    const Loc& at, Report& report, std::string_view prefix) {
  for (const auto& [k, v] : labels) {
    Loc entry = at.key(owner, field, k);
    if (auto e = validateLabelKey(k)) report.error(entry, fmt::format("{}{}", prefix, *e));
    if (auto e = validateLabelValue(v)) report.error(entry, fmt::format("{}{}", prefix, *e));
  }
}

bool isWildcardDNS1123Label(std::string_view s) {
  if (s.size() > 63) return false;
  if (s == "*") return true;
  if (s.starts_with("*-")) return isLabelBody(s.substr(2));
  if (s.starts_with("*")) return isLabelBody(s.substr(1));
  return isLabelBody(s);
}

Errors validateDNS1123Labels(std::string_view domain) {
  auto parts = split(domain, '.');
  std::string_view tld = parts.back();
  if (allDigits(tld)) {
    return {fmt::format(
        "domain name \"{}\" invalid (top level domain \"{}\" cannot be all-numeric)", domain, tld)};
  }
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i == parts.size() - 1 && parts[i].empty()) return {};  // trailing dot: "istio.io."
    if (!isDNS1123Label(parts[i])) {
      return {fmt::format("domain name \"{}\" invalid (label \"{}\" invalid)", domain, parts[i])};
    }
  }
  return {};
}

Errors validateFQDN(std::string_view fqdn) {
  if (auto e = checkDNS1123Preconditions(fqdn); !e.empty()) return e;
  return validateDNS1123Labels(fqdn);
}

Errors validateWildcardDomain(std::string_view domain) {
  if (auto e = checkDNS1123Preconditions(domain); !e.empty()) return e;
  size_t dot = domain.find('.');
  std::string_view first = domain.substr(0, dot);
  if (!isWildcardDNS1123Label(first)) {
    return {fmt::format("domain name \"{}\" invalid (label \"{}\" invalid)", domain, first)};
  }
  if (dot != std::string_view::npos) return validateDNS1123Labels(domain.substr(dot + 1));
  return {};
}

Errors validateWildcardDomainForVirtualServiceBoundToGateway(bool sni, std::string_view domain) {
  if (auto e = checkDNS1123Preconditions(domain); !e.empty()) return e;
  constexpr std::string_view kFormat = "outbound_.<port>_._.<hostname>";
  if (sni && domain.starts_with("outbound_")) {
    auto parts = split(domain, '_');
    if (parts.size() < 4) {
      return {fmt::format("domain name {} invalid, should follow '{}' format", domain, kFormat)};
    }
    auto trim_dots = [](std::string_view s) {
      while (!s.empty() && s.front() == '.') s.remove_prefix(1);
      while (!s.empty() && s.back() == '.') s.remove_suffix(1);
      return s;
    };
    std::string_view port = trim_dots(parts[1]);
    std::string_view host = trim_dots(parts[3]);
    if (parts[0] != "outbound") {
      return {fmt::format("domain name \"{}\" invalid (label \"{}\" invalid)", domain, parts[0])};
    }
    if (std::none_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return {
          fmt::format("domain name \"{}\" invalid (label \"{}\" invalid). should follow {} format",
                      domain, port, kFormat)};
    }
    if (std::none_of(host.begin(), host.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); })) {
      return {
          fmt::format("domain name \"{}\" invalid (label \"{}\" invalid). should follow {} format",
                      domain, host, kFormat)};
    }
    return {};
  }
  return validateWildcardDomain(domain);
}

Error validatePartialWildCard(std::string_view host) {
  if (host.find('*') != std::string_view::npos && host.size() != 1 && !host.starts_with("*.")) {
    return fmt::format("partial wildcard \"{}\" not allowed", host);
  }
  return std::nullopt;
}

Errors validateNamespaceSlashWildcardHostname(std::string_view hostname, bool is_gateway,
                                              bool gateway_semantics) {
  size_t slash = hostname.find('/');
  if (slash == std::string_view::npos) {
    if (is_gateway) return hostnamePart(hostname, true);
    return {"host must be of form namespace/dnsName"};
  }
  std::string_view ns = hostname.substr(0, slash);
  std::string_view dns = hostname.substr(slash + 1);
  Errors errs;
  if (ns.empty() || dns.empty()) {
    errs.push_back("config namespace and dnsName in host entry cannot be empty");
  }
  if (!is_gateway) {
    std::string_view bare = ns.starts_with("~") ? ns.substr(1) : ns;
    if (!bare.empty() && bare != "*" && bare != "." && !isDNS1123Label(bare)) {
      errs.push_back(fmt::format("invalid namespace value \"{}\" in sidecar", ns));
    }
  } else if (ns != "*" && ns != "." && (ns != "~" || !gateway_semantics)) {
    if (!isDNS1123Label(ns)) {
      errs.push_back(fmt::format("invalid namespace value \"{}\" in gateway", ns));
    }
  }
  Errors part = hostnamePart(dns, is_gateway);
  errs.insert(errs.end(), part.begin(), part.end());
  return errs;
}

bool isIPv4(std::string_view s) {
  if (s.empty() || s.size() > 15) return false;
  std::string str(s);
  in_addr a{};
  return inet_pton(AF_INET, str.c_str(), &a) == 1;
}

bool isIPv6(std::string_view s) {
  // Go's netip.ParseAddr accepts an IPv6 zone ("fe80::1%eth0").
  if (size_t pct = s.find('%'); pct != std::string_view::npos) {
    if (pct + 1 == s.size()) return false;
    s = s.substr(0, pct);
  }
  if (s.empty() || s.size() > 45 || s.find(':') == std::string_view::npos) return false;
  std::string str(s);
  in6_addr a{};
  return inet_pton(AF_INET6, str.c_str(), &a) == 1;
}

bool isIPAddress(std::string_view s) { return isIPv4(s) || isIPv6(s); }

Error validateIPAddress(std::string_view addr) {
  if (!isIPAddress(addr)) return fmt::format("{} is not a valid IP", addr);
  return std::nullopt;
}

Error validateIPSubnet(std::string_view subnet) {
  if (std::count(subnet.begin(), subnet.end(), '/') == 1) {
    size_t slash = subnet.find('/');
    std::string_view ip = subnet.substr(0, slash);
    std::string_view bits = subnet.substr(slash + 1);
    int n = -1;
    bool bits_ok =
        !bits.empty() && bits.size() <= 3 && !(bits.size() > 1 && bits[0] == '0') &&
        std::all_of(bits.begin(), bits.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (bits_ok) std::from_chars(bits.data(), bits.data() + bits.size(), n);
    bool ok = ip.find('%') == std::string_view::npos &&
              ((isIPv4(ip) && n >= 0 && n <= 32) || (isIPv6(ip) && n >= 0 && n <= 128));
    if (!ok) return fmt::format("{} is not a valid CIDR block", subnet);
    return std::nullopt;
  }
  return validateIPAddress(subnet);
}

Error validateUnixAddress(std::string_view addr) {
  if (addr.empty()) return "unix address must not be empty";
  if (addr.starts_with("@")) return std::nullopt;
  if (!addr.starts_with("/") || addr.ends_with("/")) {
    return fmt::format("{} is not an absolute path to a file", addr);
  }
  return std::nullopt;
}

Error validateTrustDomain(std::string_view domain) {
  if (domain.empty()) return "empty domain name not allowed";
  auto parts = split(domain, '.');
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i == parts.size() - 1 && parts[i].empty()) return std::nullopt;
    if (!isDNS1123Label(parts[i])) {
      return fmt::format("trust domain name \"{}\" invalid", domain);
    }
  }
  return std::nullopt;
}

Error validatePort(int64_t port) {
  if (port >= 1 && port <= 65535) return std::nullopt;
  return fmt::format("port number {} must be in the range 1..65535", port);
}

Error validateDuration(const api::Duration& d) {
  int64_t ns = d.totalNanos();
  if (ns < 1000000) return "duration must be greater than 1ms";
  if (ns % 1000000 != 0) return "only durations to ms precision are supported";
  return std::nullopt;
}

namespace {
// Go's time.Duration.String(), enough for range messages ("1ms", "1.5s", "1h0m0s").
std::string goDuration(int64_t ns) {
  if (ns == 0) return "0s";
  std::string sign = ns < 0 ? "-" : "";
  uint64_t u = ns < 0 ? static_cast<uint64_t>(-ns) : static_cast<uint64_t>(ns);
  auto frac = [](uint64_t v, uint64_t unit) {
    std::string s = fmt::format("{}", v / unit);
    uint64_t rem = v % unit;
    if (rem != 0) {
      std::string digits = fmt::format("{}", rem + unit).substr(1);
      while (!digits.empty() && digits.back() == '0') digits.pop_back();
      s += "." + digits;
    }
    return s;
  };
  if (u < 1000) return fmt::format("{}{}ns", sign, u);
  if (u < 1000000) return fmt::format("{}{}\xc2\xb5s", sign, frac(u, 1000));
  if (u < 1000000000) return fmt::format("{}{}ms", sign, frac(u, 1000000));
  uint64_t h = u / 3600000000000ULL;
  uint64_t rem = u % 3600000000000ULL;
  uint64_t m = rem / 60000000000ULL;
  rem %= 60000000000ULL;
  std::string secs = frac(rem, 1000000000) + "s";
  if (h > 0) return fmt::format("{}{}h{}m{}", sign, h, m, secs);
  if (m > 0) return fmt::format("{}{}m{}", sign, m, secs);
  return sign + secs;
}
}  // namespace

Error validateDurationRange(const api::Duration& d, int64_t min_nanos, int64_t max_nanos) {
  int64_t ns = d.totalNanos();
  if (ns > max_nanos || ns < min_nanos) {
    return fmt::format("time {} must be >{} and <{}", goDuration(ns), goDuration(min_nanos),
                       goDuration(max_nanos));
  }
  return std::nullopt;
}

Error validatePercent(int32_t val) {
  if (val < 0 || val > 100) return fmt::format("percentage {} is not in range 0..100", val);
  return std::nullopt;
}

Error validateWeight(int32_t weight) {
  if (weight < 0) return fmt::format("weight {} < 0", weight);
  return std::nullopt;
}

Error validatePortName(std::string_view name) {
  if (!isDNS1123Label(name)) return fmt::format("invalid port name: {}", name);
  return std::nullopt;
}

std::string parseProtocol(std::string_view protocol) {
  std::string lower(protocol);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static const std::pair<std::string_view, std::string_view> kProtocols[] = {
      {"tcp", "TCP"},           {"udp", "UDP"},     {"grpc", "GRPC"},
      {"grpc-web", "GRPC-Web"}, {"http", "HTTP"},   {"http_proxy", "HTTP_PROXY"},
      {"http2", "HTTP2"},       {"https", "HTTPS"}, {"tls", "TLS"},
      {"mongo", "Mongo"},       {"redis", "Redis"}, {"mysql", "MySQL"}};
  for (const auto& [key, name] : kProtocols) {
    if (lower == key) return std::string(name);
  }
  return "";
}

bool isHTTPProtocol(std::string_view canonical) {
  return canonical == "HTTP" || canonical == "HTTP2" || canonical == "HTTP_PROXY" ||
         canonical == "GRPC" || canonical == "GRPC-Web";
}
bool isHTTP2Protocol(std::string_view canonical) {
  return canonical == "HTTP2" || canonical == "GRPC" || canonical == "GRPC-Web";
}
bool isTCPProtocol(std::string_view canonical) {
  return canonical == "TCP" || canonical == "HTTPS" || canonical == "TLS" || canonical == "Mongo" ||
         canonical == "Redis" || canonical == "MySQL";
}
bool isTLSProtocol(std::string_view canonical) {
  return canonical == "HTTPS" || canonical == "TLS";
}

Error validateProtocol(std::string_view protocol) {
  if (!protocol.empty() && parseProtocol(protocol).empty()) {
    return fmt::format("unsupported protocol: {}", protocol);
  }
  return std::nullopt;
}

void validateObjectMeta(const api::Resource& res, Report& report) {
  Loc meta("metadata", res.meta.mark);
  const auto& ann = res.meta.annotations;
  Loc annotations = meta.field(res.meta, "annotations");
  if (ann.count("istio.io/dry-run") != 0) {
    report.error(meta.key(res.meta, "annotations", "istio.io/dry-run"),
                 fmt::format("{}/{} has unsupported annotation istio.io/dry-run, please remove the "
                             "annotation",
                             res.meta.namespace_, res.meta.name));
  }
  for (std::string_view key : {"internal.istio.io/webhook-always-reject"}) {
    if (ann.count(std::string(key)) != 0) {
      report.error(meta.key(res.meta, "annotations", key),
                   fmt::format("\"{}\" annotation found, rejecting", key));
    }
  }
  for (std::string_view key : {"internal.istio.io/parent-namespace", "internal.istio.io/parents"}) {
    if (ann.count(std::string(key)) != 0) {
      report.error(meta.key(res.meta, "annotations", key),
                   fmt::format("\"{}\" annotation found, this may not be set by users", key));
    }
  }
  (void)annotations;
}

void validateExportTo(std::string_view ns, const std::vector<std::string>& export_to,
                      bool is_service_entry, bool is_destination_rule_with_selector, const Loc& at,
                      Report& report) {
  if (export_to.empty()) return;
  std::set<std::string> seen;
  for (const auto& e : export_to) {
    std::string key = e == "." ? std::string(ns) : e;
    if (seen.count(key) != 0) {
      if (key != e) {
        report.error(at,
                     fmt::format("duplicate entries in exportTo: . and current namespace {}", ns));
      } else {
        report.error(at, fmt::format("duplicate entries in exportTo for entry {}", e));
      }
      continue;
    }
    if (is_service_entry && e == "~") {
      seen.insert(key);
      continue;
    }
    if (key == "." || key == "*") {
      seen.insert(key);
    } else if (key == "~") {
      report.error(at, "exportTo ~ (none) is not allowed for Istio configuration objects");
    } else if (!isDNS1123Label(key)) {
      report.error(at, "only .,*, or a valid DNS 1123 label is allowed as exportTo entry");
    } else {
      seen.insert(key);
    }
  }
  if (is_destination_rule_with_selector && !seen.empty()) {
    if (seen.count(std::string(ns)) != 0) {
      if (seen.size() > 1) {
        report.error(at,
                     "destination rule with workload selector cannot have multiple entries in "
                     "exportTo");
      }
    } else {
      report.error(at,
                   "destination rule with workload selector cannot have exportTo beyond "
                   "current namespace");
    }
  }
  if (seen.count("*") != 0 && export_to.size() > 1) {
    report.error(at, "cannot have both public (*) and non-public exportTo values for a resource");
  }
  if (seen.count("~") != 0 && export_to.size() > 1) {
    report.error(at, "cannot export service entry to no one (~) and someone");
  }
}

void validateWorkloadSelector(const api::WorkloadSelector* selector, const Loc& at,
                              Report& report) {
  if (selector == nullptr) return;
  for (const auto& [k, v] : selector->match_labels) {
    Loc entry = at.key(*selector, "matchLabels", k);
    if (k.empty()) {
      report.error(entry, fmt::format("empty key is not supported in selector: \"{}={}\"", k, v));
    }
    if (k.find('*') != std::string::npos || v.find('*') != std::string::npos) {
      report.error(entry, fmt::format("wildcard is not supported in selector: \"{}={}\"", k, v));
    }
  }
  if (selector->match_labels.empty()) {
    report.warning(at, "workload selector specified without labels");
  }
}

void validateConnectionPool(const api::ConnectionPoolSettings& settings, const Loc& at,
                            Report& report) {
  if (!settings.http && !settings.tcp) {
    report.error(at, "connection pool must have at least one field");
    return;
  }
  auto duration = [&](const std::optional<api::Duration>& d, const Loc& loc) {
    if (!d) return;
    if (auto e = validateDuration(*d)) report.error(loc, *e);
  };
  if (const auto& h = settings.http) {
    Loc http = at.field(settings, "http");
    if (h->http1_max_pending_requests < 0) {
      report.error(http.field(*h, "http1MaxPendingRequests"),
                   "http1 max pending requests must be non-negative");
    }
    if (h->http2_max_requests < 0) {
      report.error(http.field(*h, "http2MaxRequests"), "http2 max requests must be non-negative");
    }
    if (h->max_requests_per_connection < 0) {
      report.error(http.field(*h, "maxRequestsPerConnection"),
                   "max requests per connection must be non-negative");
    }
    if (h->max_retries < 0) {
      report.error(http.field(*h, "maxRetries"), "max retries must be non-negative");
    }
    duration(h->idle_timeout, http.field(*h, "idleTimeout"));
    if (h->h2_upgrade_policy == "UPGRADE" && h->use_client_protocol) {
      report.error(http.field(*h, "useClientProtocol"),
                   "use client protocol must not be true when H2UpgradePolicy is UPGRADE");
    }
    if (h->max_concurrent_streams < 0) {
      report.error(http.field(*h, "maxConcurrentStreams"),
                   "max concurrent streams must be non-negative");
    }
    if (const auto& ka = h->http2_keep_alive) {
      Loc kal = http.field(*h, "http2KeepAlive");
      if (!ka->interval) report.error(kal, "http2 keepalive interval is required");
      duration(ka->interval, kal.field(*ka, "interval"));
      if (!ka->timeout) report.error(kal, "http2 keepalive timeout is required");
      duration(ka->timeout, kal.field(*ka, "timeout"));
    }
  }
  if (const auto& t = settings.tcp) {
    Loc tcp = at.field(settings, "tcp");
    if (t->max_connections < 0) {
      report.error(tcp.field(*t, "maxConnections"), "max connections must be non-negative");
    }
    duration(t->connect_timeout, tcp.field(*t, "connectTimeout"));
    duration(t->max_connection_duration, tcp.field(*t, "maxConnectionDuration"));
    // 0s disables the idle timeout, so it is exempt from the 1ms minimum.
    if (t->idle_timeout && t->idle_timeout->totalNanos() / 1000000 != 0) {
      duration(t->idle_timeout, tcp.field(*t, "idleTimeout"));
    }
    if (const auto& ka = t->tcp_keepalive) {
      Loc kal = tcp.field(*t, "tcpKeepalive");
      duration(ka->time, kal.field(*ka, "time"));
      duration(ka->interval, kal.field(*ka, "interval"));
    }
  }
}

bool usesWaypoint(const api::Resource& res) {
  auto it = res.meta.labels.find("istio.io/use-waypoint");
  if (it == res.meta.labels.end() || it->second.empty()) return false;
  std::string lower = it->second;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower != "none";
}

}  // namespace meshroute::validate
