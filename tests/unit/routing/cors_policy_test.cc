// corsPolicy compiled as istiod hands it to Envoy (route.go TranslateCORSPolicy): origin
// matchers, the "any origin" rule of Envoy's isOriginAllowed, list joins, max-age in seconds,
// credentials and unmatchedPreflights. Policies are written as they appear in a VirtualService.
#include "routing/cors_policy.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "api/decode.h"
#include "api/yaml_reader.h"

namespace meshroute::routing {
namespace {

// The corsPolicy block of an http rule, decoded like the API server would.
api::CorsPolicy policyFrom(std::string_view yaml) {
  core::Diagnostics diags;
  auto docs = api::readDocuments(yaml, "cors.yaml", diags);
  api::CorsPolicy policy;
  EXPECT_EQ(docs.size(), 1u);
  if (docs.size() == 1) {
    api::Decoder dec("cors.yaml", diags);
    dec.decodeMessage(docs[0].root, policy, "corsPolicy");
  }
  for (const auto& d : diags.items()) {
    EXPECT_NE(d.level, core::Level::kError) << d.message;
  }
  return policy;
}

CompiledCors compiled(std::string_view yaml) { return compileCors(policyFrom(yaml)); }

TEST(CorsPolicy, AllowOriginsExactIsCaseSensitive) {
  auto cors = compiled("allowOrigins:\n- exact: https://app.example.com\n");
  EXPECT_TRUE(cors.errors.empty());
  EXPECT_FALSE(cors.any_origin);
  EXPECT_TRUE(cors.allowsOrigin("https://app.example.com"));
  EXPECT_FALSE(cors.allowsOrigin("https://APP.example.com"));
  EXPECT_FALSE(cors.allowsOrigin("https://app.example.com.evil"));
}

TEST(CorsPolicy, AllowOriginsPrefix) {
  auto cors = compiled("allowOrigins:\n- prefix: https://dev.\n");
  EXPECT_TRUE(cors.allowsOrigin("https://dev.example.com"));
  EXPECT_FALSE(cors.allowsOrigin("http://dev.example.com"));
}

TEST(CorsPolicy, AllowOriginsRegexIsAFullMatch) {
  auto cors = compiled("allowOrigins:\n- regex: 'https://.*\\.example\\.com'\n");
  EXPECT_TRUE(cors.errors.empty());
  EXPECT_TRUE(cors.allowsOrigin("https://a.example.com"));
  EXPECT_FALSE(cors.allowsOrigin("https://a.example.com.evil.io"));
  EXPECT_FALSE(cors.any_origin);  // the regex does not accept the literal "*"
}

TEST(CorsPolicy, AnyMatcherOfOriginsIsTriedInTurn) {
  auto cors = compiled(
      "allowOrigins:\n- exact: https://a.io\n- prefix: https://b.\n- regex: "
      "'https://c[0-9]\\.io'\n");
  EXPECT_EQ(cors.allow_origins.size(), 3u);
  EXPECT_TRUE(cors.allowsOrigin("https://a.io"));
  EXPECT_TRUE(cors.allowsOrigin("https://b.io"));
  EXPECT_TRUE(cors.allowsOrigin("https://c7.io"));
  EXPECT_FALSE(cors.allowsOrigin("https://d.io"));
}

TEST(CorsPolicy, MatcherAcceptingStarAllowsEveryOrigin) {
  // Envoy asks each matcher about "*" before the Origin itself.
  for (std::string_view yaml : {"allowOrigins:\n- exact: '*'\n", "allowOrigins:\n- regex: '.*'\n",
                                "allowOrigins:\n- prefix: '*'\n"}) {
    auto cors = compiled(yaml);
    EXPECT_TRUE(cors.any_origin) << yaml;
    EXPECT_TRUE(cors.allowsOrigin("https://anything.example")) << yaml;
  }
}

TEST(CorsPolicy, DeprecatedAllowOriginIsExactAndStarMeansAny) {
  auto cors = compiled("allowOrigin:\n- https://a.io\n- https://b.io\n");
  EXPECT_TRUE(cors.allowsOrigin("https://b.io"));
  EXPECT_FALSE(cors.allowsOrigin("https://b.io/"));
  EXPECT_FALSE(cors.allowsOrigin("https://c.io"));
  auto star = compiled("allowOrigin:\n- '*'\n");
  EXPECT_TRUE(star.any_origin);
  EXPECT_TRUE(star.allowsOrigin("https://c.io"));
}

TEST(CorsPolicy, AllowOriginsWinOverDeprecatedAllowOrigin) {
  auto cors = compiled("allowOrigin: ['*']\nallowOrigins:\n- exact: https://a.io\n");
  EXPECT_FALSE(cors.any_origin);
  EXPECT_TRUE(cors.allowsOrigin("https://a.io"));
  EXPECT_FALSE(cors.allowsOrigin("https://b.io"));
}

TEST(CorsPolicy, NoOriginListAllowsNoOrigin) {
  auto cors = compiled("allowMethods: [GET]\n");
  EXPECT_TRUE(cors.allow_origins.empty());
  EXPECT_FALSE(cors.allowsOrigin("https://a.io"));
}

TEST(CorsPolicy, StringMatchWithoutTypeIsDropped) {
  // util.ConvertToEnvoyMatch returns nil for it; it must not become "matches anything".
  auto cors = compiled("allowOrigins:\n- {}\n- exact: https://a.io\n");
  EXPECT_EQ(cors.allow_origins.size(), 1u);
  EXPECT_FALSE(cors.any_origin);
  EXPECT_FALSE(cors.allowsOrigin("https://b.io"));
}

TEST(CorsPolicy, OriginsEnvoyWouldRejectAreReportedAndMatchNothing) {
  auto cors =
      compiled("allowOrigins:\n- regex: '*'\n- regex: '(unclosed'\n- prefix: ''\n- exact: x\n");
  EXPECT_EQ(cors.errors.size(), 3u);
  EXPECT_EQ(cors.allow_origins.size(), 1u);
  EXPECT_FALSE(cors.any_origin);  // regex "*" is not a presence check here
  EXPECT_FALSE(cors.allowsOrigin("https://a.io"));
  EXPECT_NE(cors.errors[0].find("allowOrigins[0]"), std::string::npos);
  EXPECT_NE(cors.errors[1].find("allowOrigins[1]"), std::string::npos);
}

TEST(CorsPolicy, ListsAreJoinedWithACommaAndNoSpace) {
  auto cors = compiled(
      "allowMethods: [GET, POST, OPTIONS]\nallowHeaders: [content-type, X-Custom]\n"
      "exposeHeaders: [x-a, x-b]\n");
  EXPECT_EQ(cors.allow_methods, "GET,POST,OPTIONS");
  EXPECT_EQ(cors.allow_headers, "content-type,X-Custom");
  EXPECT_EQ(cors.expose_headers, "x-a,x-b");
  auto none = compiled("allowOrigins:\n- exact: a\n");
  EXPECT_EQ(none.allow_methods, "");
  EXPECT_EQ(none.allow_headers, "");
  EXPECT_EQ(none.expose_headers, "");
}

TEST(CorsPolicy, MaxAgeIsWholeSeconds) {
  EXPECT_EQ(compiled("maxAge: 24h\n").max_age, "86400");
  EXPECT_EQ(compiled("maxAge: 90s\n").max_age, "90");
  EXPECT_EQ(compiled("maxAge: 1.5s\n").max_age, "1");  // istiod keeps GetSeconds() only
  EXPECT_EQ(compiled("maxAge: 0s\n").max_age, "0");    // set, so Envoy sends "0"
  EXPECT_EQ(compiled("allowMethods: [GET]\n").max_age, "");
}

TEST(CorsPolicy, CredentialsOnlyWhenTrue) {
  EXPECT_TRUE(compiled("allowCredentials: true\n").allow_credentials);
  EXPECT_FALSE(compiled("allowCredentials: false\n").allow_credentials);
  EXPECT_FALSE(compiled("allowMethods: [GET]\n").allow_credentials);
}

TEST(CorsPolicy, UnmatchedPreflightsForwardUnlessIgnore) {
  EXPECT_TRUE(compiled("allowMethods: [GET]\n").forward_unmatched_preflights);
  EXPECT_TRUE(compiled("unmatchedPreflights: UNSPECIFIED\n").forward_unmatched_preflights);
  EXPECT_TRUE(compiled("unmatchedPreflights: FORWARD\n").forward_unmatched_preflights);
  EXPECT_FALSE(compiled("unmatchedPreflights: IGNORE\n").forward_unmatched_preflights);
}

}  // namespace
}  // namespace meshroute::routing
