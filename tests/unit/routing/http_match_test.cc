// HTTP matchers: string matchers, the request view (headers, query, path normalisation), one
// compiled route's conditions with their trace reasons, and the route index.
#include <gtest/gtest.h>

#include <random>

#include "routing/http_match.h"

namespace meshroute::routing {
namespace {

api::StringMatch exact(std::string v) {
  api::StringMatch m;
  m.exact = std::move(v);
  return m;
}
api::StringMatch prefix(std::string v) {
  api::StringMatch m;
  m.prefix = std::move(v);
  return m;
}
api::StringMatch regex(std::string v) {
  api::StringMatch m;
  m.regex = std::move(v);
  return m;
}

Request req(std::string path, std::vector<std::pair<std::string, std::string>> headers = {}) {
  Request r;
  r.authority = "reviews:9080";
  r.port = 9080;
  r.path = std::move(path);
  r.headers = std::move(headers);
  return r;
}

// A request and its view: a RequestView points into its request, so both live together.
struct Viewed {
  explicit Viewed(Request r) : request(std::move(r)), view(request) {}
  Request request;
  RequestView view;
  operator const RequestView&() const { return view; }  // NOLINT(google-explicit-constructor)
};

TEST(StringMatcher, ExactPrefixAndRegexFullMatch) {
  EXPECT_TRUE(StringMatcher::compile(exact("beta")).matches("beta"));
  EXPECT_FALSE(StringMatcher::compile(exact("beta")).matches("Beta"));
  EXPECT_TRUE(StringMatcher::compile(prefix("/api")).matches("/api/v1"));
  EXPECT_FALSE(StringMatcher::compile(prefix("/api")).matches("/v1/api"));
  // RE2 full match, as Envoy's safe_regex.
  EXPECT_TRUE(StringMatcher::compile(regex("v[0-9]+")).matches("v12"));
  EXPECT_FALSE(StringMatcher::compile(regex("v[0-9]+")).matches("xv12"));
}

TEST(StringMatcher, StarRegexAndEmptyMatchAreePresenceChecks) {
  EXPECT_EQ(StringMatcher::compile(regex("*")).kind(), StringMatcher::Kind::kPresent);
  EXPECT_EQ(StringMatcher::compile(api::StringMatch{}).kind(), StringMatcher::Kind::kPresent);
}

TEST(StringMatcher, IgnoreCaseAppliesToExactAndPrefixOnly) {
  EXPECT_TRUE(StringMatcher::compile(prefix("/API"), true).matches("/api/x"));
  EXPECT_TRUE(StringMatcher::compile(exact("/Login"), true).matches("/LOGIN"));
  EXPECT_FALSE(StringMatcher::compile(regex("/API.*"), true).matches("/api/x"));
}

TEST(StringMatcher, InvalidRegexNeverMatchesAndSaysSo) {
  std::string err;
  StringMatcher m = StringMatcher::compile(regex("(unclosed"), false, &err);
  EXPECT_FALSE(err.empty());
  EXPECT_FALSE(m.matches("(unclosed"));
  EXPECT_NE(m.describe().find("invalid"), std::string::npos);
}

TEST(RequestView, JoinsRepeatedHeadersAndLowerCasesNames) {
  Viewed viewed(req("/", {{"X-Tag", "a"}, {"x-tag", "b"}}));
  const RequestView& v = viewed;
  EXPECT_EQ(v.header("x-tag").value_or(""), "a,b");
  EXPECT_EQ(v.header(":authority").value_or(""), "reviews:9080");
  EXPECT_EQ(v.header(":method").value_or(""), "GET");
  EXPECT_FALSE(v.header("x-missing").has_value());
}

TEST(RequestView, HostHeaderBecomesAuthority) {
  Request r = req("/");
  r.authority.clear();
  r.headers = {{"Host", "ratings.default:9080"}};
  RequestView v(r);
  EXPECT_EQ(v.host(), "ratings.default");
  EXPECT_FALSE(v.header("host").has_value());
}

TEST(RequestView, SplitsAndDecodesQueryParameters) {
  Viewed viewed(req("/search?q=a%20b&flag&q=second"));
  const RequestView& v = viewed;
  EXPECT_EQ(v.path(), "/search");
  EXPECT_EQ(v.queryParam("q").value_or("?"), "a b");  // first value
  EXPECT_EQ(v.queryParam("flag").value_or("?"), "");
  EXPECT_FALSE(v.queryParam("other").has_value());
}

TEST(RequestView, NormalisesDotSegmentsLikeEnvoy) {
  EXPECT_EQ(normalizePath("/a/./b/../c"), "/a/c");
  EXPECT_EQ(normalizePath("/../admin"), "/admin");
  EXPECT_EQ(normalizePath("/a\\b"), "/a/b");
  EXPECT_EQ(normalizePath("/plain/path"), "/plain/path");
}

api::HTTPRoute ruleWith(api::HTTPMatchRequest m, std::string name = "r") {
  api::HTTPRoute r;
  r.name = std::move(name);
  r.match.push_back(std::move(m));
  return r;
}

TEST(HttpRouteMatch, HeaderMismatchReasonNamesWantedAndActualValue) {
  api::HTTPMatchRequest m;
  m.headers["x-user-type"] = exact("beta");
  HttpRouteMatch r = compileRouteMatch(ruleWith(m), 0, 0);
  std::string reason;
  EXPECT_FALSE(requestMatch(r, Viewed(req("/", {{"x-user-type", "premium"}})), &reason));
  EXPECT_EQ(reason, R"(header x-user-type: want exact "beta", got "premium")");
  EXPECT_FALSE(requestMatch(r, Viewed(req("/")), &reason));
  EXPECT_EQ(reason, "header x-user-type: absent");
}

TEST(HttpRouteMatch, UriReasonShowsThePath) {
  api::HTTPMatchRequest m;
  m.uri = prefix("/api");
  HttpRouteMatch r = compileRouteMatch(ruleWith(m), 0, 0);
  std::string reason;
  EXPECT_FALSE(requestMatch(r, Viewed(req("/v1/x?y=1")), &reason));
  EXPECT_EQ(reason, R"(uri: want prefix "/api", got "/v1/x")");
}

TEST(HttpRouteMatch, UriMatchIgnoresTheQueryString) {
  api::HTTPMatchRequest m;
  m.uri = exact("/login");
  HttpRouteMatch r = compileRouteMatch(ruleWith(m), 0, 0);
  EXPECT_TRUE(requestMatch(r, Viewed(req("/login?next=/home")), nullptr));
}

TEST(HttpRouteMatch, ConditionsInOneBlockAreAnded) {
  api::HTTPMatchRequest m;
  m.uri = prefix("/api");
  m.method = exact("GET");
  m.headers["x-a"] = exact("1");
  HttpRouteMatch r = compileRouteMatch(ruleWith(m), 0, 0);
  EXPECT_TRUE(requestMatch(r, Viewed(req("/api/x", {{"x-a", "1"}})), nullptr));
  Request post = req("/api/x", {{"x-a", "1"}});
  post.method = "POST";
  std::string reason;
  EXPECT_FALSE(requestMatch(r, RequestView(post), &reason));
  EXPECT_EQ(reason, R"(method: want exact "GET", got "POST")");
}

TEST(HttpRouteMatch, WithoutHeadersTreatsMissingHeaderAsEmpty) {
  api::HTTPMatchRequest m;
  m.without_headers["x-canary"] = exact("true");
  HttpRouteMatch r = compileRouteMatch(ruleWith(m), 0, 0);
  EXPECT_TRUE(requestMatch(r, Viewed(req("/")), nullptr));
  EXPECT_TRUE(requestMatch(r, Viewed(req("/", {{"x-canary", "false"}})), nullptr));
  std::string reason;
  EXPECT_FALSE(requestMatch(r, Viewed(req("/", {{"x-canary", "true"}})), &reason));
  EXPECT_EQ(reason, R"(withoutHeaders x-canary: want not exact "true", got "true")");
}

TEST(HttpRouteMatch, WithoutHeadersPresenceRequiresAbsence) {
  api::HTTPMatchRequest m;
  m.without_headers["x-debug"] = api::StringMatch{};
  HttpRouteMatch r = compileRouteMatch(ruleWith(m), 0, 0);
  EXPECT_TRUE(requestMatch(r, Viewed(req("/")), nullptr));
  EXPECT_FALSE(requestMatch(r, Viewed(req("/", {{"x-debug", ""}})), nullptr));
}

TEST(HttpRouteMatch, AuthorityMatchSeesThePort) {
  api::HTTPMatchRequest m;
  m.authority = exact("reviews:9080");
  HttpRouteMatch r = compileRouteMatch(ruleWith(m), 0, 0);
  EXPECT_TRUE(requestMatch(r, Viewed(req("/")), nullptr));
}

TEST(HttpRouteMatch, QueryParamsNeedTheParameter) {
  api::HTTPMatchRequest m;
  m.query_params["version"] = exact("beta");
  HttpRouteMatch r = compileRouteMatch(ruleWith(m), 0, 0);
  EXPECT_TRUE(requestMatch(r, Viewed(req("/x?version=beta")), nullptr));
  std::string reason;
  EXPECT_FALSE(requestMatch(r, Viewed(req("/x")), &reason));
  EXPECT_EQ(reason, "queryParams version: absent");
  EXPECT_FALSE(requestMatch(r, Viewed(req("/x?version=alpha")), &reason));
  EXPECT_EQ(reason, R"(queryParams version: want exact "beta", got "alpha")");
}

TEST(HttpRouteMatch, JwtClaimHeadersNeverMatchWithoutAuthentication) {
  api::HTTPMatchRequest m;
  m.headers["@request.auth.claims.group"] = exact("admin");
  HttpRouteMatch r = compileRouteMatch(ruleWith(m), 0, 0);
  std::string reason;
  EXPECT_FALSE(
      requestMatch(r, Viewed(req("/", {{"@request.auth.claims.group", "admin"}})), &reason));
  EXPECT_NE(reason.find("JWT"), std::string::npos);
}

TEST(HttpRouteMatch, RouteNameJoinsRuleAndMatchNames) {
  api::HTTPMatchRequest m;
  m.name = "mobile";
  EXPECT_EQ(compileRouteMatch(ruleWith(m, "reviews"), 0, 0).name, "reviews.mobile");
}

TEST(HttpRouteMatch, CatchAllIsPrefixSlashWithoutHeaders) {
  api::HTTPRoute no_match;
  EXPECT_TRUE(compileRouteMatch(no_match, 0, -1).catch_all);
  api::HTTPMatchRequest m;
  m.uri = prefix("/");
  EXPECT_TRUE(compileRouteMatch(ruleWith(m), 0, 0).catch_all);
  m.source_labels["app"] = "x";  // generation-time only: still catch-all for Envoy
  EXPECT_TRUE(compileRouteMatch(ruleWith(m), 0, 0).catch_all);
  m.headers["x"] = exact("1");
  EXPECT_FALSE(compileRouteMatch(ruleWith(m), 0, 0).catch_all);
}

TEST(StaticMatch, SourceLabelsPortAndGatewaysAreCheckedAgainstTheProxy) {
  api::HTTPMatchRequest m;
  m.source_labels = {{"app", "productpage"}};
  m.port = 9080;
  HttpRouteMatch r = compileRouteMatch(ruleWith(m), 0, 0);
  StringMap labels{{"app", "reviews"}};
  std::string reason;
  EXPECT_FALSE(staticMatch(r, {&labels, "default", 9080, "mesh"}, &reason));
  EXPECT_EQ(reason, "sourceLabels: want app=productpage, got app=reviews");
  labels = {{"app", "productpage"}, {"version", "v1"}};
  EXPECT_TRUE(staticMatch(r, {&labels, "default", 9080, "mesh"}, nullptr));
  EXPECT_FALSE(staticMatch(r, {&labels, "default", 8080, "mesh"}, &reason));
  EXPECT_EQ(reason, "port: want 9080, got 8080");
}

TEST(StaticMatch, MatchGatewaysOverrideSourceLabels) {
  api::HTTPMatchRequest m;
  m.gateways = {"istio-system/gw"};
  m.source_labels = {{"app", "never"}};
  HttpRouteMatch r = compileRouteMatch(ruleWith(m), 0, 0);
  StringMap labels;
  EXPECT_TRUE(staticMatch(r, {&labels, "default", 80, "istio-system/gw"}, nullptr));
  std::string reason;
  EXPECT_FALSE(staticMatch(r, {&labels, "default", 80, "mesh"}, &reason));
  EXPECT_EQ(reason, R"(gateways: want one of [istio-system/gw], got "mesh")");
}

// The index may only skip routes that cannot match: on random tables and requests, the first
// candidate that matches is the first route that matches.
TEST(RouteIndex, FirstCandidateMatchEqualsLinearScan) {
  std::mt19937 rng(7);
  const std::vector<std::string> paths = {
      "/", "/api", "/api/v1", "/api/v1/users", "/static/x.js", "/API/v1", "/login"};
  const std::vector<std::string> users = {"alice", "bob", "carol"};
  std::vector<HttpRouteMatch> routes;
  for (int i = 0; i < 400; ++i) {
    api::HTTPMatchRequest m;
    switch (rng() % 6) {
      case 0: m.uri = exact(paths[rng() % paths.size()]); break;
      case 1:
        m.uri = prefix(paths[rng() % paths.size()]);
        m.ignore_uri_case = rng() % 2 == 0;
        break;
      case 2: m.uri = regex("/api/v[0-9]+/.*"); break;
      case 3: m.headers["x-user"] = exact(users[rng() % users.size()]); break;
      case 4:
        m.method = exact(rng() % 2 ? "GET" : "POST");
        m.uri = prefix("/api");
        break;
      default: m.headers["x-user"] = prefix("a"); break;
    }
    routes.push_back(compileRouteMatch(ruleWith(m), i, 0));
  }
  RouteIndex index;
  index.build(routes);
  for (int t = 0; t < 300; ++t) {
    Request r = req(paths[rng() % paths.size()] + (rng() % 3 == 0 ? "/more" : ""),
                    {{"x-user", users[rng() % users.size()]}});
    if (rng() % 2) r.method = "POST";
    RequestView v(r);
    int linear = -1;
    for (size_t i = 0; i < routes.size() && linear < 0; ++i) {
      if (requestMatch(routes[i], v, nullptr)) linear = static_cast<int>(i);
    }
    std::vector<int> cands;
    index.candidates(v, cands);
    int indexed = -1;
    for (int i : cands) {
      if (requestMatch(routes[static_cast<size_t>(i)], v, nullptr)) {
        indexed = i;
        break;
      }
    }
    EXPECT_EQ(indexed, linear) << r.path;
  }
}

}  // namespace
}  // namespace meshroute::routing
