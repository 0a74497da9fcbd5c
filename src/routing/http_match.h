// Compiled HTTP route matching: one `HttpRouteMatch` per Envoy route Istio generates (an HTTP rule
// times one of its match blocks), its string matchers compiled once, the request seen through a
// `RequestView` built once per decision, and a `RouteIndex` that narrows a long route list to the
// routes that can possibly match before they are evaluated in rule order.
#pragma once

#include <re2/re2.h>
#include <re2/set.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "api/model/virtual_service.h"
#include "routing/hosts.h"
#include "routing/request.h"

namespace meshroute::routing {

// An Envoy StringMatcher as Istio translates a StringMatch (util.ConvertToEnvoyMatch); an empty
// StringMatch or the regex "*" becomes a presence check (canBeConvertedToPresentMatch).
class StringMatcher {
 public:
  enum class Kind : uint8_t { kExact, kPrefix, kRegex, kPresent };

  // `ignore_case` applies to exact and prefix only (Envoy ignores case_sensitive for regexes).
  // A regex that does not compile never matches; `error` (if given) receives RE2's message.
  static StringMatcher compile(const api::StringMatch& m, bool ignore_case = false,
                               std::string* error = nullptr);
  static StringMatcher exact(std::string value, bool ignore_case = false);
  static StringMatcher prefix(std::string value, bool ignore_case = false);
  static StringMatcher present() { return {}; }

  [[nodiscard]] bool matches(std::string_view value) const;
  // `exact "beta"`, `prefix "/api" (ignoring case)`, `regex "v[0-9]+"`, `present`.
  [[nodiscard]] std::string describe() const;
  [[nodiscard]] Kind kind() const { return kind_; }
  [[nodiscard]] const std::string& value() const { return value_; }
  [[nodiscard]] bool ignoreCase() const { return ignore_case_; }
  [[nodiscard]] bool valid() const { return kind_ != Kind::kRegex || (re_ && re_->ok()); }

 private:
  Kind kind_ = Kind::kPresent;
  bool ignore_case_ = false;
  std::string value_;  // lower-cased when ignore_case_
  std::shared_ptr<const RE2> re_;
};

// The request as route matching sees it, computed once per decision: the normalised path, the
// lower-cased path for case-insensitive routes, decoded query parameters, headers with repeated
// values joined by "," (Envoy's getAllOfHeaderAsString) and the pseudo-headers.
class RequestView {
 public:
  explicit RequestView(const Request& request);
  // It points into the request: a temporary one would be gone before the view is used.
  explicit RequestView(Request&&) = delete;
  // Views into its own strings: copying would leave them pointing into the original.
  RequestView(const RequestView&) = delete;
  RequestView& operator=(const RequestView&) = delete;

  [[nodiscard]] std::string_view path() const { return path_; }  // without query
  [[nodiscard]] std::string_view lowerPath() const {
    if (!lower_path_) lower_path_ = hosts::toLower(path_);  // for ignoreUriCase routes only
    return *lower_path_;
  }
  [[nodiscard]] std::string_view fullPath() const { return full_path_; }  // :path with query
  [[nodiscard]] std::string_view query() const { return query_text_; }
  [[nodiscard]] std::string_view host() const { return host_; }  // lower-case, no port
  // Header value by lower-case name; ":authority", ":method", ":scheme", ":path" included.
  [[nodiscard]] std::optional<std::string_view> header(std::string_view lower_name) const;
  // First value of the query parameter `name` (percent-decoded), nullopt when absent.
  [[nodiscard]] std::optional<std::string_view> queryParam(std::string_view name) const;
  [[nodiscard]] const Request& request() const { return *request_; }

 private:
  const Request* request_;
  std::string path_;
  mutable std::optional<std::string> lower_path_;
  std::string full_path_;
  std::string query_text_;
  std::string host_;
  std::string authority_;
  void indexHeaders() const;
  // Built on the first header lookup. Sorted by name; the views point into the request, the
  // strings above, or owned_.
  mutable bool headers_indexed_ = false;
  mutable std::vector<std::pair<std::string_view, std::string_view>> headers_;
  // Lowered names and joined values, rare: boxed so that views stay valid as it grows, and
  // empty without allocating.
  mutable std::vector<std::unique_ptr<std::string>> owned_;
  std::vector<std::pair<std::string, std::string>> query_;  // in request order
};

// Removes "." and ".." segments and turns backslashes into slashes, as Envoy's path
// normalisation (Istio's default pathNormalization BASE) does before routing.
std::string normalizePath(std::string_view path);

struct HeaderCondition {
  std::string name;   // lower-case; ":method", ":authority", ":scheme" for those fields
  std::string label;  // how the trace names it: "header x-user", "method", "withoutHeaders x-a"
  StringMatcher matcher;
  bool invert = false;                  // withoutHeaders
  bool treat_missing_as_empty = false;  // withoutHeaders with a value matcher
  bool jwt_claim = false;               // "@request.auth.claims..." (a JWT claim, not a header)
};

struct QueryCondition {
  std::string name;
  StringMatcher matcher;
};

// What istiod knows when it generates a proxy's routes: the proxy's labels and namespace, the
// listener port and the gateway the routes are built for ("mesh" on sidecars).
struct StaticContext {
  const StringMap* labels = nullptr;
  std::string_view ns;
  uint32_t port = 0;
  std::string_view gateway;
};

// One Envoy route: an HTTP rule with one of its match blocks (or none).
struct HttpRouteMatch {
  int rule = 0;      // index in the VirtualService's (delegate-merged) http list
  int match = -1;    // index of the match block in the rule; -1 when the rule has none
  std::string name;  // Envoy route name: rule name, plus "." and the match name
  // Evaluated by istiod when it builds the proxy's config (route.go TranslateRoute).
  uint32_t port = 0;
  StringMap source_labels;
  std::string source_namespace;
  std::vector<std::string> gateways;  // resolved "ns/name" or "mesh"
  // Evaluated by Envoy per request.
  std::optional<StringMatcher> path;  // nullopt: prefix "/" (any path)
  std::vector<HeaderCondition> headers;
  std::vector<QueryCondition> query;
  // Envoy-level catch-all (IsCatchAllRoute): prefix "/" or regex ".*" with no header or query
  // condition. Istio stops adding a VirtualService's routes after the first one.
  bool catch_all = false;
  std::vector<std::string> errors;  // regexes that failed to compile (the route never matches)
};

// Compiles rule `rule_index` with match block `match_index` (-1: none) of a VirtualService
// whose gateway names and hosts are already resolved.
HttpRouteMatch compileRouteMatch(const api::HTTPRoute& rule, int rule_index, int match_index);

// Istio's generation-time filter (TranslateRoute + sourceMatchHTTP): port, gateways,
// sourceLabels, sourceNamespace. On failure `reason` (if given) names the first failed one.
bool staticMatch(const HttpRouteMatch& route, const StaticContext& ctx, std::string* reason);
// Envoy's per-request match; on failure `reason` (if given) names the first failed condition.
bool requestMatch(const HttpRouteMatch& route, const RequestView& req, std::string* reason);

// Narrows a route list to the routes that can match a request. Each route is filed under one
// key it requires (exact path, a header's exact value, a path prefix, a path regex in an
// RE2::Set); routes with none are always candidates. A route left out can never match, so
// evaluating the candidates in order keeps Envoy's first-match-wins result.
class RouteIndex {
 public:
  void build(const std::vector<HttpRouteMatch>& routes);
  // Appends to `out` the candidate positions, ascending.
  void candidates(const RequestView& req, std::vector<int>& out) const;

 private:
  using Buckets = std::unordered_map<std::string, std::vector<int>>;
  struct HeaderKey {
    std::string name;
    Buckets by_value;
  };
  bool linear_ = true;
  size_t size_ = 0;
  Buckets exact_path_;
  Buckets exact_path_ci_;
  Buckets prefix_;
  Buckets prefix_ci_;
  std::vector<size_t> prefix_lengths_;
  std::vector<size_t> prefix_ci_lengths_;
  std::vector<HeaderKey> headers_;
  std::shared_ptr<RE2::Set> regex_set_;
  std::vector<int> regex_routes_;
  std::vector<int> always_;
};

}  // namespace meshroute::routing
