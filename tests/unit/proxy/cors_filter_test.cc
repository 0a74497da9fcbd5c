// The CORS filter's verdicts, checked header for header against what Envoy's CORS filter
// (source/extensions/filters/http/cors/cors_filter.cc) sends: given a compiled corsPolicy and a
// request's method, Origin and Access-Control-Request-* headers, choose to pass or to answer the
// preflight, and which headers go on the response.
#include "proxy/filters/cors_filter.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace meshroute::proxy {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;
using Action = CorsVerdict::Action;

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

// allowOrigins [exact https://app.example.com], methods GET,POST, headers content-type,x-token.
api::CorsPolicy basePolicy() {
  api::CorsPolicy p;
  p.allow_origins = {exact("https://app.example.com")};
  p.allow_methods = {"GET", "POST"};
  p.allow_headers = {"content-type", "x-token"};
  return p;
}

Headers headersOf(const CorsVerdict& v) {
  Headers out;
  for (const auto& [name, value] : v.headers) out.emplace_back(name, value);
  return out;
}

CorsRequest preflight(std::string_view origin, std::string_view method = "PUT",
                      std::string_view request_headers = "") {
  return {"OPTIONS", origin, method, request_headers};
}
CorsRequest actual(std::string_view method, std::string_view origin) {
  return {method, origin, "", ""};
}

TEST(CorsFilter, RequestWithoutOriginIsNotCors) {
  auto cors = routing::compileCors(basePolicy());
  for (const CorsRequest& req : {actual("GET", ""), preflight("")}) {
    CorsVerdict v = evaluateCors(cors, req);
    EXPECT_EQ(v.action, Action::kPass);
    EXPECT_TRUE(v.headers.empty());
  }
}

TEST(CorsFilter, PreflightFromAllowedOriginIsAnsweredLocally) {
  auto cors = routing::compileCors(basePolicy());
  CorsVerdict v = evaluateCors(cors, preflight("https://app.example.com"));
  EXPECT_EQ(v.action, Action::kPreflightReply);
  EXPECT_EQ(v.status, 200);
  EXPECT_EQ(headersOf(v), (Headers{{"access-control-allow-origin", "https://app.example.com"},
                                   {"access-control-allow-methods", "GET,POST"},
                                   {"access-control-allow-headers", "content-type,x-token"}}));
}

TEST(CorsFilter, PreflightReplyCarriesEveryConfiguredHeader) {
  api::CorsPolicy p = basePolicy();
  p.allow_credentials = true;
  p.max_age = api::Duration{86400, 0};
  p.expose_headers = {"x-request-id", "x-trace"};
  auto cors = routing::compileCors(p);
  CorsVerdict v = evaluateCors(cors, preflight("https://app.example.com"));
  EXPECT_EQ(v.action, Action::kPreflightReply);
  EXPECT_EQ(v.status, 200);
  // Expose-headers comes from the filter's response step, which Envoy runs on its own reply.
  EXPECT_EQ(headersOf(v), (Headers{{"access-control-allow-origin", "https://app.example.com"},
                                   {"access-control-allow-credentials", "true"},
                                   {"access-control-allow-methods", "GET,POST"},
                                   {"access-control-allow-headers", "content-type,x-token"},
                                   {"access-control-max-age", "86400"},
                                   {"access-control-expose-headers", "x-request-id,x-trace"}}));
}

TEST(CorsFilter, PreflightWithNothingConfiguredButOriginsSendsOnlyAllowOrigin) {
  api::CorsPolicy p;
  p.allow_origins = {exact("https://app.example.com")};
  auto cors = routing::compileCors(p);
  CorsVerdict v = evaluateCors(cors, preflight("https://app.example.com"));
  EXPECT_EQ(v.action, Action::kPreflightReply);
  EXPECT_EQ(headersOf(v), (Headers{{"access-control-allow-origin", "https://app.example.com"}}));
}

TEST(CorsFilter, UnmatchedPreflightIsForwardedByDefault) {
  for (std::string mode : {"", "UNSPECIFIED", "FORWARD"}) {
    api::CorsPolicy p = basePolicy();
    p.allow_credentials = true;
    p.unmatched_preflights = mode;
    auto cors = routing::compileCors(p);
    CorsVerdict v = evaluateCors(cors, preflight("https://evil.example.com"));
    EXPECT_EQ(v.action, Action::kPass) << mode;
    EXPECT_TRUE(v.headers.empty()) << mode;  // neither the request nor the response is touched
  }
}

TEST(CorsFilter, UnmatchedPreflightWithIgnoreIsAnsweredWithoutAllowOrigin) {
  api::CorsPolicy p = basePolicy();
  p.unmatched_preflights = "IGNORE";
  p.allow_credentials = true;
  p.max_age = api::Duration{600, 0};
  p.expose_headers = {"x-a"};
  auto cors = routing::compileCors(p);
  CorsVerdict v = evaluateCors(cors, preflight("https://evil.example.com"));
  EXPECT_EQ(v.action, Action::kPreflightReply);
  EXPECT_EQ(v.status, 200);
  EXPECT_EQ(headersOf(v), (Headers{{"access-control-allow-credentials", "true"},
                                   {"access-control-allow-methods", "GET,POST"},
                                   {"access-control-allow-headers", "content-type,x-token"},
                                   {"access-control-max-age", "600"}}));
}

TEST(CorsFilter, OptionsWithoutRequestMethodIsAnActualRequest) {
  api::CorsPolicy p = basePolicy();
  p.unmatched_preflights = "IGNORE";
  auto cors = routing::compileCors(p);
  CorsVerdict allowed = evaluateCors(cors, {"OPTIONS", "https://app.example.com", "", ""});
  EXPECT_EQ(allowed.action, Action::kPass);
  EXPECT_EQ(headersOf(allowed),
            (Headers{{"access-control-allow-origin", "https://app.example.com"}}));
  CorsVerdict denied = evaluateCors(cors, {"OPTIONS", "https://evil.example.com", "", ""});
  EXPECT_EQ(denied.action, Action::kPass);
  EXPECT_TRUE(denied.headers.empty());
}

TEST(CorsFilter, MethodMustBeUpperCaseOptions) {
  auto cors = routing::compileCors(basePolicy());
  CorsVerdict v = evaluateCors(cors, {"options", "https://app.example.com", "PUT", ""});
  EXPECT_EQ(v.action, Action::kPass);
  EXPECT_EQ(headersOf(v), (Headers{{"access-control-allow-origin", "https://app.example.com"}}));
}

TEST(CorsFilter, ActualRequestFromAllowedOriginGetsResponseHeaders) {
  api::CorsPolicy p = basePolicy();
  p.allow_credentials = true;
  p.max_age = api::Duration{60, 0};
  p.expose_headers = {"x-request-id", "x-trace"};
  auto cors = routing::compileCors(p);
  CorsVerdict v = evaluateCors(cors, actual("POST", "https://app.example.com"));
  EXPECT_EQ(v.action, Action::kPass);
  // No methods / headers / max-age on actual responses.
  EXPECT_EQ(headersOf(v), (Headers{{"access-control-allow-origin", "https://app.example.com"},
                                   {"access-control-allow-credentials", "true"},
                                   {"access-control-expose-headers", "x-request-id,x-trace"}}));
}

TEST(CorsFilter, ActualRequestFromDisallowedOriginGetsNoCorsHeaders) {
  api::CorsPolicy p = basePolicy();
  p.allow_credentials = true;
  p.expose_headers = {"x-a"};
  auto cors = routing::compileCors(p);
  CorsVerdict v = evaluateCors(cors, actual("GET", "https://evil.example.com"));
  EXPECT_EQ(v.action, Action::kPass);
  EXPECT_TRUE(v.headers.empty());
}

TEST(CorsFilter, PrefixAndRegexOriginsAreEchoed) {
  api::CorsPolicy p;
  p.allow_origins = {prefix("https://dev."), regex(R"(https://[a-z]+\.example\.org)")};
  auto cors = routing::compileCors(p);
  EXPECT_EQ(headersOf(evaluateCors(cors, actual("GET", "https://dev.example.com"))),
            (Headers{{"access-control-allow-origin", "https://dev.example.com"}}));
  EXPECT_EQ(headersOf(evaluateCors(cors, actual("GET", "https://shop.example.org"))),
            (Headers{{"access-control-allow-origin", "https://shop.example.org"}}));
  EXPECT_TRUE(evaluateCors(cors, actual("GET", "https://shop.example.org.evil")).headers.empty());
  EXPECT_TRUE(evaluateCors(cors, actual("GET", "http://dev.example.com")).headers.empty());
}

TEST(CorsFilter, WildcardOriginEchoesTheOriginEvenWithCredentials) {
  api::CorsPolicy p;
  p.allow_origin = {"*"};  // deprecated field: exact "*", which Envoy reads as any origin
  p.allow_credentials = true;
  auto cors = routing::compileCors(p);
  CorsVerdict v = evaluateCors(cors, preflight("https://anyone.example", "GET"));
  EXPECT_EQ(v.action, Action::kPreflightReply);
  EXPECT_EQ(headersOf(v), (Headers{{"access-control-allow-origin", "https://anyone.example"},
                                   {"access-control-allow-credentials", "true"}}));
}

TEST(CorsFilter, DeprecatedAllowOriginIsExact) {
  api::CorsPolicy p;
  p.allow_origin = {"https://a.example"};
  auto cors = routing::compileCors(p);
  EXPECT_EQ(evaluateCors(cors, preflight("https://a.example")).action, Action::kPreflightReply);
  EXPECT_EQ(evaluateCors(cors, preflight("https://a.example.co")).action, Action::kPass);
}

TEST(CorsFilter, RegexAnyOriginAllowsEverything) {
  api::CorsPolicy p;
  p.allow_origins = {regex(".*")};
  auto cors = routing::compileCors(p);
  EXPECT_EQ(headersOf(evaluateCors(cors, actual("GET", "null"))),
            (Headers{{"access-control-allow-origin", "null"}}));
}

TEST(CorsFilter, StarMethodsAndHeadersEchoTheRequest) {
  api::CorsPolicy p;
  p.allow_origins = {exact("https://app.example.com")};
  p.allow_methods = {"*"};
  p.allow_headers = {"*"};
  auto cors = routing::compileCors(p);
  CorsVerdict v =
      evaluateCors(cors, preflight("https://app.example.com", "DELETE", "x-token,content-type"));
  EXPECT_EQ(headersOf(v), (Headers{{"access-control-allow-origin", "https://app.example.com"},
                                   {"access-control-allow-methods", "DELETE"},
                                   {"access-control-allow-headers", "x-token,content-type"}}));
  // Without Access-Control-Request-Headers Envoy still sets the header, empty.
  CorsVerdict bare = evaluateCors(cors, preflight("https://app.example.com", "GET"));
  EXPECT_EQ(headersOf(bare), (Headers{{"access-control-allow-origin", "https://app.example.com"},
                                      {"access-control-allow-methods", "GET"},
                                      {"access-control-allow-headers", ""}}));
}

TEST(CorsFilter, StarAmongOtherMethodsIsLiteral) {
  api::CorsPolicy p;
  p.allow_origins = {exact("https://app.example.com")};
  p.allow_methods = {"*", "GET"};
  auto cors = routing::compileCors(p);
  CorsVerdict v = evaluateCors(cors, preflight("https://app.example.com", "DELETE"));
  EXPECT_EQ(headersOf(v), (Headers{{"access-control-allow-origin", "https://app.example.com"},
                                   {"access-control-allow-methods", "*,GET"}}));
}

TEST(CorsFilter, CredentialsFalseSendsNoCredentialsHeader) {
  api::CorsPolicy p = basePolicy();
  p.allow_credentials = false;
  auto cors = routing::compileCors(p);
  for (const auto& [name, value] :
       evaluateCors(cors, preflight("https://app.example.com")).headers) {
    EXPECT_NE(name, "access-control-allow-credentials");
  }
  for (const auto& [name, value] :
       evaluateCors(cors, actual("GET", "https://app.example.com")).headers) {
    EXPECT_NE(name, "access-control-allow-credentials");
  }
}

TEST(CorsFilter, MaxAgeZeroIsSent) {
  api::CorsPolicy p;
  p.allow_origins = {exact("https://app.example.com")};
  p.max_age = api::Duration{0, 0};
  auto cors = routing::compileCors(p);
  EXPECT_EQ(headersOf(evaluateCors(cors, preflight("https://app.example.com"))),
            (Headers{{"access-control-allow-origin", "https://app.example.com"},
                     {"access-control-max-age", "0"}}));
}

TEST(CorsFilter, HeaderNamesAreLowerCase) {
  api::CorsPolicy p = basePolicy();
  p.allow_credentials = true;
  p.max_age = api::Duration{5, 0};
  p.expose_headers = {"X-Upper"};  // values keep their case
  auto cors = routing::compileCors(p);
  CorsVerdict v = evaluateCors(cors, preflight("https://app.example.com"));
  ASSERT_EQ(v.headers.size(), 6u);
  for (const auto& [name, value] : v.headers) {
    for (char c : name) EXPECT_FALSE(c >= 'A' && c <= 'Z') << name;
  }
  EXPECT_EQ(v.headers.back().second, "X-Upper");
}

TEST(CorsFilter, ReusedVerdictIsResetAndKeepsItsCapacity) {
  api::CorsPolicy p = basePolicy();
  p.unmatched_preflights = "IGNORE";
  auto cors = routing::compileCors(p);
  CorsVerdict v;
  evaluateCors(cors, preflight("https://evil.example.com"), v);
  EXPECT_EQ(v.action, Action::kPreflightReply);
  const auto* storage = v.headers.data();
  evaluateCors(cors, actual("GET", "https://app.example.com"), v);
  EXPECT_EQ(v.action, Action::kPass);
  EXPECT_EQ(headersOf(v), (Headers{{"access-control-allow-origin", "https://app.example.com"}}));
  EXPECT_EQ(v.headers.data(), storage);  // no reallocation
  evaluateCors(cors, actual("GET", ""), v);
  EXPECT_TRUE(v.headers.empty());
}

}  // namespace
}  // namespace meshroute::proxy
