#include "routing/http_match.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "routing/hosts.h"

namespace meshroute::routing {
namespace {

bool iequals(std::string_view a, std::string_view lower_b) {
  if (a.size() != lower_b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != lower_b[i]) return false;
  }
  return true;
}

bool istartsWith(std::string_view a, std::string_view lower_prefix) {
  return a.size() >= lower_prefix.size() && iequals(a.substr(0, lower_prefix.size()), lower_prefix);
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = hexValue(s[i + 1]);
      const int lo = hexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

std::string quoted(std::string_view s) { return fmt::format("\"{}\"", s); }

std::string labelsText(const StringMap& labels) {
  if (labels.empty()) return "(none)";
  std::string out;
  for (const auto& [k, v] : labels) {
    if (!out.empty()) out += ',';
    out += k;
    out += '=';
    out += v;
  }
  return out;
}

}  // namespace

// ---- StringMatcher ------------------------------------------------------------------------

StringMatcher StringMatcher::compile(const api::StringMatch& m, bool ignore_case,
                                     std::string* error) {
  if (m.exact) return exact(*m.exact, ignore_case);
  if (m.prefix) return prefix(*m.prefix, ignore_case);
  if (m.regex && *m.regex != "*") {
    StringMatcher out;
    out.kind_ = Kind::kRegex;
    out.value_ = *m.regex;
    RE2::Options opts;
    opts.set_log_errors(false);
    auto re = std::make_shared<RE2>(*m.regex, opts);
    if (!re->ok() && error != nullptr) *error = re->error();
    out.re_ = std::move(re);
    return out;
  }
  return present();
}

StringMatcher StringMatcher::exact(std::string value, bool ignore_case) {
  StringMatcher out;
  out.kind_ = Kind::kExact;
  out.ignore_case_ = ignore_case;
  out.value_ = ignore_case ? hosts::toLower(value) : std::move(value);
  return out;
}

StringMatcher StringMatcher::prefix(std::string value, bool ignore_case) {
  StringMatcher out = exact(std::move(value), ignore_case);
  out.kind_ = Kind::kPrefix;
  return out;
}

bool StringMatcher::matches(std::string_view v) const {
  switch (kind_) {
    case Kind::kExact: return ignore_case_ ? iequals(v, value_) : v == value_;
    case Kind::kPrefix: return ignore_case_ ? istartsWith(v, value_) : v.starts_with(value_);
    case Kind::kRegex: return re_ && re_->ok() && RE2::FullMatch(v, *re_);
    case Kind::kPresent: return true;
  }
  return false;
}

std::string StringMatcher::describe() const {
  std::string out;
  switch (kind_) {
    case Kind::kExact: out = "exact " + quoted(value_); break;
    case Kind::kPrefix: out = "prefix " + quoted(value_); break;
    case Kind::kRegex:
      out = "regex " + quoted(value_);
      if (re_ && !re_->ok()) out += " (invalid: never matches)";
      break;
    case Kind::kPresent: return "present";
  }
  if (ignore_case_) out += " (ignoring case)";
  return out;
}

// ---- RequestView --------------------------------------------------------------------------

std::string normalizePath(std::string_view path) {
  const bool needs = path.find('\\') != std::string_view::npos ||
                     path.find("/.") != std::string_view::npos || path == "." || path == "..";
  if (!needs) return std::string(path);
  std::string in(path);
  std::replace(in.begin(), in.end(), '\\', '/');
  // RFC 3986 remove_dot_segments over "/"-separated segments.
  std::vector<std::string_view> out;
  std::string_view rest = in;
  const bool absolute = !rest.empty() && rest[0] == '/';
  bool trailing = false;
  while (!rest.empty()) {
    const size_t slash = rest.find('/');
    const std::string_view seg = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    const bool last = slash == std::string_view::npos;
    if (seg == ".") {
      trailing = last;
    } else if (seg == "..") {
      if (!out.empty() && !(out.size() == 1 && out[0].empty())) out.pop_back();
      trailing = last;
    } else {
      out.push_back(seg);
      trailing = false;
    }
  }
  std::string result;
  for (size_t i = 0; i < out.size(); ++i) {
    if (i > 0 || (absolute && !out[0].empty())) result += '/';
    result += out[i];
  }
  if (absolute && result.empty()) result = "/";
  if (trailing && !result.ends_with('/')) result += '/';
  if (absolute && result[0] != '/') result.insert(result.begin(), '/');
  return result;
}

RequestView::RequestView(const Request& request) : request_(&request) {
  std::string_view raw = request.path;
  if (const size_t hash = raw.find('#'); hash != std::string_view::npos) raw = raw.substr(0, hash);
  const size_t q = raw.find('?');
  path_ = normalizePath(raw.substr(0, q));
  if (path_.empty()) path_ = "/";
  if (q != std::string_view::npos) query_text_ = std::string(raw.substr(q + 1));
  full_path_ =
      query_text_.empty() && q == std::string_view::npos ? path_ : path_ + "?" + query_text_;

  // HTTP/1 Host becomes :authority in Envoy when the request names no authority itself.
  authority_ = request.authority;
  if (authority_.empty()) {
    for (const auto& [name, value] : request.headers) {
      if (iequals(name, "host") || name == ":authority") {
        authority_ = value;
        break;
      }
    }
  }
  std::string_view h = authority_;
  if (!h.empty() && h[0] == '[') {
    const size_t close = h.find(']');
    h = close == std::string_view::npos ? h : h.substr(0, close + 1);
  } else if (const size_t colon = h.rfind(':'); colon != std::string_view::npos) {
    h = h.substr(0, colon);
  }
  host_ = hosts::toLower(h);

  std::string_view qs = query_text_;
  while (!qs.empty()) {
    const size_t amp = qs.find('&');
    const std::string_view part = qs.substr(0, amp);
    qs = amp == std::string_view::npos ? std::string_view() : qs.substr(amp + 1);
    if (part.empty()) continue;
    const size_t eq = part.find('=');
    query_.emplace_back(
        percentDecode(part.substr(0, eq)),
        eq == std::string_view::npos ? std::string() : percentDecode(part.substr(eq + 1)));
  }
}

// Most routes match on path alone: the sorted header index is built by the first header
// lookup, not for every request.
void RequestView::indexHeaders() const {
  headers_indexed_ = true;
  const Request& request = *request_;
  // Views into the request (names are lower-case already when the proxy or explain builds it;
  // any that is not is lowered into owned_), sorted by name, duplicates joined with ','.
  headers_.reserve(request.headers.size() + 4);
  for (const auto& [name, value] : request.headers) {
    std::string_view lower = name;
    if (std::any_of(name.begin(), name.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
      lower = *owned_.emplace_back(std::make_unique<std::string>(hosts::toLower(name)));
    }
    // A "host" header matcher never sees Host: it is :authority.
    if (lower == "host" || lower.starts_with(':')) continue;
    headers_.emplace_back(lower, value);
  }
  headers_.emplace_back(":authority", authority_);
  headers_.emplace_back(":method", request.method);
  headers_.emplace_back(":scheme", request.scheme);
  headers_.emplace_back(":path", full_path_);
  std::stable_sort(headers_.begin(), headers_.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  // Envoy matches a repeated header against its values joined with ','.
  size_t out = 0;
  for (size_t i = 0; i < headers_.size();) {
    size_t j = i + 1;
    while (j < headers_.size() && headers_[j].first == headers_[i].first) ++j;
    headers_[out] = headers_[i];
    if (j - i > 1) {
      std::string joined(headers_[i].second);
      for (size_t k = i + 1; k < j; ++k) {
        joined += ',';
        joined += headers_[k].second;
      }
      headers_[out].second = *owned_.emplace_back(std::make_unique<std::string>(std::move(joined)));
    }
    ++out;
    i = j;
  }
  headers_.resize(out);
}

std::optional<std::string_view> RequestView::header(std::string_view lower_name) const {
  if (!headers_indexed_) indexHeaders();
  auto it = std::lower_bound(headers_.begin(), headers_.end(), lower_name,
                             [](const auto& h, std::string_view n) { return h.first < n; });
  if (it == headers_.end() || it->first != lower_name) return std::nullopt;
  return it->second;
}

std::optional<std::string_view> RequestView::queryParam(std::string_view name) const {
  for (const auto& [k, v] : query_) {
    if (k == name) return std::string_view(v);
  }
  return std::nullopt;
}

// ---- compile --------------------------------------------------------------------------------

namespace {

HeaderCondition headerCondition(const std::string& name, std::string label,
                                const api::StringMatch& m, std::vector<std::string>& errors) {
  HeaderCondition c;
  c.name = hosts::toLower(name);
  c.label = std::move(label);
  std::string err;
  c.matcher = StringMatcher::compile(m, false, &err);
  if (!err.empty()) errors.push_back(fmt::format("{}: invalid regex: {}", c.label, err));
  // Istio turns "@request.auth.claims.x" / "@request.auth.claims[x]" into a metadata matcher
  // on the validated JWT (jwt.ToRoutingClaim), not a header.
  c.jwt_claim = name.starts_with("@request.auth.claims");
  return c;
}

}  // namespace

HttpRouteMatch compileRouteMatch(const api::HTTPRoute& rule, int rule_index, int match_index) {
  HttpRouteMatch out;
  out.rule = rule_index;
  out.match = match_index;
  out.name = rule.name;
  if (match_index < 0 || match_index >= static_cast<int>(rule.match.size())) {
    out.catch_all = true;
    return out;
  }
  const api::HTTPMatchRequest& m = rule.match[static_cast<size_t>(match_index)];
  if (!m.name.empty()) out.name = rule.name + "." + m.name;
  out.port = m.port;
  out.source_labels = m.source_labels;
  out.source_namespace = m.source_namespace;
  out.gateways = m.gateways;

  bool path_catch_all = true;
  if (m.uri) {
    std::string err;
    StringMatcher pm = StringMatcher::compile(*m.uri, m.ignore_uri_case, &err);
    if (!err.empty()) out.errors.push_back("uri: invalid regex: " + err);
    if (pm.kind() == StringMatcher::Kind::kPresent) {
      // An empty uri match: Envoy's route keeps its default prefix "/".
    } else {
      path_catch_all = (pm.kind() == StringMatcher::Kind::kPrefix && pm.value() == "/") ||
                       (pm.kind() == StringMatcher::Kind::kRegex && pm.value() == ".*");
      out.path = std::move(pm);
    }
  }
  if (m.scheme) out.headers.push_back(headerCondition(":scheme", "scheme", *m.scheme, out.errors));
  if (m.method) out.headers.push_back(headerCondition(":method", "method", *m.method, out.errors));
  if (m.authority) {
    out.headers.push_back(headerCondition(":authority", "authority", *m.authority, out.errors));
  }
  for (const auto& [name, sm] : m.headers) {
    out.headers.push_back(headerCondition(name, "header " + name, sm, out.errors));
  }
  for (const auto& [name, sm] : m.query_params) {
    QueryCondition q;
    q.name = name;
    std::string err;
    q.matcher = StringMatcher::compile(sm, false, &err);
    if (!err.empty())
      out.errors.push_back(fmt::format("queryParams {}: invalid regex: {}", name, err));
    out.query.push_back(std::move(q));
  }
  for (const auto& [name, sm] : m.without_headers) {
    HeaderCondition c = headerCondition(name, "withoutHeaders " + name, sm, out.errors);
    c.invert = true;
    c.treat_missing_as_empty = c.matcher.kind() != StringMatcher::Kind::kPresent;
    out.headers.push_back(std::move(c));
  }
  out.catch_all = path_catch_all && out.headers.empty() && out.query.empty();
  return out;
}

// ---- evaluation -----------------------------------------------------------------------------

bool staticMatch(const HttpRouteMatch& route, const StaticContext& ctx, std::string* reason) {
  if (route.port != 0 && route.port != ctx.port) {
    if (reason) *reason = fmt::format("port: want {}, got {}", route.port, ctx.port);
    return false;
  }
  if (!route.gateways.empty()) {
    // Istio: with match-level gateways, sourceLabels and sourceNamespace are not consulted.
    if (std::find(route.gateways.begin(), route.gateways.end(), ctx.gateway) !=
        route.gateways.end()) {
      return true;
    }
    if (reason) {
      *reason = fmt::format("gateways: want one of [{}], got {}", fmt::join(route.gateways, ", "),
                            quoted(ctx.gateway));
    }
    return false;
  }
  static const StringMap kNoLabels;
  const StringMap& labels = ctx.labels != nullptr ? *ctx.labels : kNoLabels;
  for (const auto& [k, v] : route.source_labels) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) {
      if (reason) {
        *reason = fmt::format("sourceLabels: want {}, got {}", labelsText(route.source_labels),
                              labelsText(labels));
      }
      return false;
    }
  }
  if (!route.source_namespace.empty() && route.source_namespace != ctx.ns) {
    if (reason) {
      *reason = fmt::format("sourceNamespace: want {}, got {}", quoted(route.source_namespace),
                            quoted(ctx.ns));
    }
    return false;
  }
  return true;
}

bool requestMatch(const HttpRouteMatch& route, const RequestView& req, std::string* reason) {
  if (!route.errors.empty()) {
    if (reason) *reason = route.errors.front();
    return false;
  }
  if (route.path) {
    const StringMatcher& pm = *route.path;
    if (!pm.matches(pm.ignoreCase() ? req.lowerPath() : req.path())) {
      if (reason) *reason = fmt::format("uri: want {}, got {}", pm.describe(), quoted(req.path()));
      return false;
    }
  }
  for (const HeaderCondition& h : route.headers) {
    if (h.jwt_claim) {
      if (reason) {
        *reason = fmt::format(
            "{}: matches a claim of a validated JWT (needs RequestAuthentication; not "
            "evaluated, treated as not matching)",
            h.label);
      }
      return false;
    }
    std::optional<std::string_view> value = req.header(h.name);
    if (h.invert) {
      bool inner;
      if (!value) {
        inner = h.treat_missing_as_empty && h.matcher.matches("");
      } else {
        inner = h.matcher.matches(*value);
      }
      if (inner) {
        if (reason) {
          *reason = h.matcher.kind() == StringMatcher::Kind::kPresent
                        ? fmt::format("{}: want absent, got {}", h.label, quoted(*value))
                        : fmt::format("{}: want not {}, got {}", h.label, h.matcher.describe(),
                                      value ? quoted(*value) : std::string("absent"));
        }
        return false;
      }
      continue;
    }
    if (!value) {
      if (reason) *reason = fmt::format("{}: absent", h.label);
      return false;
    }
    if (!h.matcher.matches(*value)) {
      if (reason) {
        *reason = fmt::format("{}: want {}, got {}", h.label, h.matcher.describe(), quoted(*value));
      }
      return false;
    }
  }
  for (const QueryCondition& q : route.query) {
    std::optional<std::string_view> value = req.queryParam(q.name);
    if (!value) {
      if (reason) *reason = fmt::format("queryParams {}: absent", q.name);
      return false;
    }
    if (!q.matcher.matches(*value)) {
      if (reason) {
        *reason = fmt::format("queryParams {}: want {}, got {}", q.name, q.matcher.describe(),
                              quoted(*value));
      }
      return false;
    }
  }
  return true;
}

// ---- RouteIndex -----------------------------------------------------------------------------

namespace {
constexpr size_t kLinearLimit = 16;

void addLength(std::vector<size_t>& lengths, size_t n) {
  if (std::find(lengths.begin(), lengths.end(), n) == lengths.end()) lengths.push_back(n);
}
}  // namespace

void RouteIndex::build(const std::vector<HttpRouteMatch>& routes) {
  *this = RouteIndex();
  size_ = routes.size();
  linear_ = routes.size() <= kLinearLimit;
  if (linear_) return;
  std::vector<std::string> regexes;
  for (size_t i = 0; i < routes.size(); ++i) {
    const HttpRouteMatch& r = routes[i];
    const int pos = static_cast<int>(i);
    if (!r.errors.empty()) continue;  // never matches
    const StringMatcher* pm = r.path ? &*r.path : nullptr;
    if (pm && pm->kind() == StringMatcher::Kind::kExact) {
      (pm->ignoreCase() ? exact_path_ci_ : exact_path_)[pm->value()].push_back(pos);
      continue;
    }
    // A required header with an exact value (method included) is usually the most selective
    // key once the path is not exact.
    const HeaderCondition* key = nullptr;
    for (const HeaderCondition& h : r.headers) {
      if (!h.invert && !h.jwt_claim && h.matcher.kind() == StringMatcher::Kind::kExact) {
        key = &h;
        break;
      }
    }
    if (key) {
      auto it = std::find_if(headers_.begin(), headers_.end(),
                             [&](const HeaderKey& k) { return k.name == key->name; });
      if (it == headers_.end()) {
        headers_.push_back({key->name, {}});
        it = headers_.end() - 1;
      }
      it->by_value[key->matcher.value()].push_back(pos);
      continue;
    }
    if (pm && pm->kind() == StringMatcher::Kind::kPrefix && !pm->value().empty()) {
      if (pm->ignoreCase()) {
        prefix_ci_[pm->value()].push_back(pos);
        addLength(prefix_ci_lengths_, pm->value().size());
      } else {
        prefix_[pm->value()].push_back(pos);
        addLength(prefix_lengths_, pm->value().size());
      }
      continue;
    }
    if (pm && pm->kind() == StringMatcher::Kind::kRegex && pm->valid()) {
      regexes.push_back(pm->value());
      regex_routes_.push_back(pos);
      continue;
    }
    always_.push_back(pos);
  }
  if (regexes.size() > 1) {
    RE2::Options opts;
    opts.set_log_errors(false);
    auto set = std::make_shared<RE2::Set>(opts, RE2::ANCHOR_BOTH);
    bool ok = true;
    for (const std::string& re : regexes) ok = ok && set->Add(re, nullptr) >= 0;
    if (ok && set->Compile()) {
      regex_set_ = std::move(set);
      return;
    }
  }
  // One regex (or a set RE2 cannot build): evaluate those routes directly.
  always_.insert(always_.end(), regex_routes_.begin(), regex_routes_.end());
  std::sort(always_.begin(), always_.end());
  regex_routes_.clear();
}

void RouteIndex::candidates(const RequestView& req, std::vector<int>& out) const {
  const size_t start = out.size();
  if (linear_) {
    for (size_t i = 0; i < size_; ++i) out.push_back(static_cast<int>(i));
    return;
  }
  auto append = [&](const Buckets& b, const std::string& key) {
    auto it = b.find(key);
    if (it != b.end()) out.insert(out.end(), it->second.begin(), it->second.end());
  };
  const std::string path(req.path());
  const std::string lower(req.lowerPath());
  if (!exact_path_.empty()) append(exact_path_, path);
  if (!exact_path_ci_.empty()) append(exact_path_ci_, lower);
  for (size_t n : prefix_lengths_) {
    if (n <= path.size()) append(prefix_, path.substr(0, n));
  }
  for (size_t n : prefix_ci_lengths_) {
    if (n <= lower.size()) append(prefix_ci_, lower.substr(0, n));
  }
  for (const HeaderKey& k : headers_) {
    std::optional<std::string_view> v = req.header(k.name);
    if (v) append(k.by_value, std::string(*v));
  }
  if (regex_set_) {
    std::vector<int> hits;
    if (regex_set_->Match(req.path(), &hits)) {
      for (int h : hits) out.push_back(regex_routes_[static_cast<size_t>(h)]);
    }
  }
  out.insert(out.end(), always_.begin(), always_.end());
  std::sort(out.begin() + static_cast<std::ptrdiff_t>(start), out.end());
}

}  // namespace meshroute::routing
