// The rule analysis Istio runs while validating a VirtualService: rules that can never match
// (after a catch-all rule, or whose matches all repeat earlier ones) and matches that an
// earlier match already covers. Every finding is a warning.
#include <fmt/format.h>

#include <map>
#include <type_traits>

#include "validate/virtual_service_internal.h"

namespace meshroute::validate::vs {
namespace {

using api::HTTPMatchRequest;
using api::StringMatch;

bool isNull(const api::Message& m) { return m.mark == Mark{}; }

// A canonical text of a match, equal for two matches exactly when Istio's JSON form of them
// is equal: unset scalars and empty collections vanish, set messages count even when empty.
class Canon {
 public:
  Canon& str(std::string_view tag, std::string_view s) {
    if (!s.empty()) raw(tag, s);
    return *this;
  }
  Canon& num(std::string_view tag, uint64_t n) {
    if (n != 0) raw(tag, fmt::format("{}", n));
    return *this;
  }
  Canon& list(std::string_view tag, const std::vector<std::string>& items) {
    if (items.empty()) return *this;
    Canon c;
    for (const auto& i : items) c.raw("i", i);
    return raw(tag, c.out_);
  }
  Canon& map(std::string_view tag, const api::StringMap& m) {
    if (m.empty()) return *this;
    Canon c;
    for (const auto& [k, v] : m) c.raw("k", k).raw("v", v);
    return raw(tag, c.out_);
  }
  Canon& match(std::string_view tag, const std::optional<StringMatch>& sm) {
    if (sm) raw(tag, of(*sm));
    return *this;
  }
  Canon& matches(std::string_view tag, const std::map<std::string, StringMatch>& m) {
    if (m.empty()) return *this;
    Canon c;
    for (const auto& [k, v] : m) c.raw("k", k).raw("v", of(v));
    return raw(tag, c.out_);
  }
  [[nodiscard]] const std::string& text() const { return out_; }

 private:
  static std::string of(const StringMatch& sm) {
    if (isNull(sm)) return "null";
    Canon c;
    if (sm.exact) c.raw("exact", *sm.exact);
    if (sm.prefix) c.raw("prefix", *sm.prefix);
    if (sm.regex) c.raw("regex", *sm.regex);
    return c.out_;
  }
  Canon& raw(std::string_view tag, std::string_view s) {
    out_ += fmt::format("{}{}:{};", tag, s.size(), s);
    return *this;
  }
  std::string out_;
};

// The match's name is left out: it does not change what the match selects.
std::string canonical(const HTTPMatchRequest& m) {
  if (isNull(m)) return "null";
  Canon c;
  c.match("uri", m.uri).match("scheme", m.scheme).match("method", m.method);
  c.match("authority", m.authority).matches("headers", m.headers).num("port", m.port);
  c.map("sourceLabels", m.source_labels).list("gateways", m.gateways);
  c.matches("queryParams", m.query_params).num("ignoreUriCase", m.ignore_uri_case ? 1 : 0);
  c.matches("withoutHeaders", m.without_headers).str("sourceNamespace", m.source_namespace);
  c.str("statPrefix", m.stat_prefix);
  return c.text();
}

std::string canonical(const api::TLSMatchAttributes& m) {
  if (isNull(m)) return "null";
  Canon c;
  c.list("sniHosts", m.sni_hosts).list("destinationSubnets", m.destination_subnets);
  c.num("port", m.port).map("sourceLabels", m.source_labels).list("gateways", m.gateways);
  c.str("sourceNamespace", m.source_namespace);
  return c.text();
}

std::string canonical(const api::L4MatchAttributes& m) {
  if (isNull(m)) return "null";
  Canon c;
  c.list("destinationSubnets", m.destination_subnets).num("port", m.port);
  c.str("sourceSubnet", m.source_subnet).map("sourceLabels", m.source_labels);
  c.list("gateways", m.gateways).str("sourceNamespace", m.source_namespace);
  return c.text();
}

std::string ruleName(const api::HTTPRoute& r, size_t n) {
  return r.name.empty() ? fmt::format("#{}", n) : goQuote(r.name);
}
std::string ruleName(const api::TLSRoute&, size_t n) { return fmt::format("#{}", n); }
std::string ruleName(const api::TCPRoute&, size_t n) { return fmt::format("#{}", n); }

std::string matchName(const HTTPMatchRequest& m, size_t n) {
  return m.name.empty() ? fmt::format("#{}", n) : goQuote(m.name);
}
std::string matchName(const api::Message&, size_t n) { return fmt::format("#{}", n); }

// What a match with a URI prefix selects, for the overlap check.
struct PrefixMatch {
  size_t rule;
  size_t match;
  std::string rule_name;
  std::string match_name;
  std::string prefix;
  uint32_t port;
  std::string method;
  std::string authority;
  std::map<std::string, std::string> headers;
  std::map<std::string, std::string> query_params;
  std::map<std::string, std::string> without_headers;
};

std::string exactOrPrefix(const std::optional<StringMatch>& sm) {
  if (!sm) return "";
  if (sm->exact && !sm->exact->empty()) return "exact:" + *sm->exact;
  if (sm->prefix && !sm->prefix->empty()) return "prefix:" + *sm->prefix;
  return "";
}

std::map<std::string, std::string> exactOrPrefix(const std::map<std::string, StringMatch>& m) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : m) out[k] = exactOrPrefix(std::optional<StringMatch>(v));
  return out;
}

std::optional<PrefixMatch> prefixMatchOf(const api::HTTPRoute& r, size_t rule,
                                         const HTTPMatchRequest& m, size_t n) {
  if (isNull(m) || !m.uri || !m.uri->prefix || m.uri->prefix->empty()) return std::nullopt;
  PrefixMatch p{rule,
                n,
                ruleName(r, rule),
                matchName(m, n),
                *m.uri->prefix,
                m.port,
                exactOrPrefix(m.method),
                exactOrPrefix(m.authority),
                exactOrPrefix(m.headers),
                exactOrPrefix(m.query_params),
                exactOrPrefix(m.without_headers)};
  if (p.method.empty()) p.method = "exact:GET";  // Istio assumes GET when no method is given
  return p;
}

// `a` covers `b` when each of a's conditions is the same as b's or a prefix of it.
bool sameOrPrefixOf(const std::string& a, const std::string& b) {
  return a == b || a.starts_with(b);
}

bool mapsCovered(const std::map<std::string, std::string>& a,
                 const std::map<std::string, std::string>& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [k, v] : a) {
    auto it = b.find(k);
    if (it == b.end() || !sameOrPrefixOf(v, it->second)) return false;
  }
  return true;
}

// Mirrors Istio's comparison, including its direction for method and authority.
bool covers(const PrefixMatch& a, const PrefixMatch& b) {
  return b.prefix.starts_with(a.prefix) && a.port == b.port && sameOrPrefixOf(a.method, b.method) &&
         sameOrPrefixOf(a.authority, b.authority) && mapsCovered(a.headers, b.headers) &&
         mapsCovered(a.query_params, b.query_params) &&
         mapsCovered(a.without_headers, b.without_headers);
}

class Analyzer {
 public:
  Analyzer(const Loc& spec, Report& report) : spec_(spec), report_(report) {}

  // Catch-all rules and repeated matches, for http, tls or tcp; `prefixes` collects HTTP
  // prefix matches for the overlap check.
  template <class Route>
  void unreachable(std::string_view field, const std::vector<Route>& routes,
                   std::vector<PrefixMatch>* prefixes) {
    std::map<std::string, size_t> seen;
    std::optional<size_t> catch_all;
    for (size_t i = 0; i < routes.size(); ++i) {
      const Route& route = routes[i];
      if (isNull(route)) continue;
      Loc rloc = spec_.item(field, i, route);
      if (route.match.empty()) {
        if (catch_all) unused(rloc, ruleName(route, i), "only the last rule can have no matches");
        catch_all = i;
        continue;
      }
      size_t duplicates = 0;
      for (size_t j = 0; j < route.match.size(); ++j) {
        const auto& m = route.match[j];
        if (catch_all) {
          unused(rloc, ruleName(route, i), "route without matches defined before");
          continue;
        }
        std::string key = canonical(m);
        if (auto it = seen.find(key); it != seen.end()) {
          ineffective(rloc.item("match", j, m), ruleName(route, i), matchName(m, j),
                      ruleName(routes[it->second], it->second));
          ++duplicates;
          continue;
        }
        seen[key] = i;
        if constexpr (std::is_same_v<Route, api::HTTPRoute>) {
          if (auto p = prefixMatchOf(route, i, m, j)) prefixes->push_back(std::move(*p));
        }
      }
      if (duplicates == route.match.size()) {
        unused(rloc, ruleName(route, i), "all matches used by prior rules");
      }
    }
  }

  void overlapping(const api::VirtualService& vs, const std::vector<PrefixMatch>& prefixes) {
    for (size_t a = 0; a < prefixes.size(); ++a) {
      for (size_t b = a + 1; b < prefixes.size(); ++b) {
        const PrefixMatch& pa = prefixes[a];
        const PrefixMatch& pb = prefixes[b];
        if (pa.prefix == pb.prefix) continue;  // exact repeats are reported above
        if (!covers(pa, pb)) continue;
        const auto& route = vs.http[pb.rule];
        Loc loc = spec_.item("http", pb.rule, route).item("match", pb.match, route.match[pb.match]);
        ineffective(loc, pb.rule_name, pb.match_name + " of prefix " + pb.prefix,
                    pa.match_name + " of prefix " + pa.prefix + " on " + pa.rule_name);
      }
    }
  }

 private:
  void unused(const Loc& at, const std::string& rule, std::string_view reason) {
    report_.warning(at, fmt::format("virtualService rule {} not used ({})", rule, reason));
  }
  void ineffective(const Loc& at, const std::string& rule, const std::string& match,
                   const std::string& dup) {
    report_.warning(at, fmt::format("virtualService rule {} match {} is not used "
                                    "(duplicate/overlapping match in rule {})",
                                    rule, match, dup));
  }

  Loc spec_;
  Report& report_;
};

}  // namespace

void analyzeUnreachableRules(const api::VirtualService& vs, const Loc& spec, Report& report) {
  Analyzer analyzer(spec, report);
  std::vector<PrefixMatch> prefixes;
  analyzer.unreachable("http", vs.http, &prefixes);
  if (prefixes.size() > 1) analyzer.overlapping(vs, prefixes);
  analyzer.unreachable("tcp", vs.tcp, nullptr);
  analyzer.unreachable("tls", vs.tls, nullptr);
}

}  // namespace meshroute::validate::vs
