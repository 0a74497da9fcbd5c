#include "upstream/hash_policy.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "upstream/hash_lb.h"

namespace meshroute::upstream {
namespace {

routing::Request request(std::vector<std::pair<std::string, std::string>> headers,
                         std::string path = "/") {
  routing::Request r;
  r.headers = std::move(headers);
  r.path = std::move(path);
  return r;
}

const HashConnection kConn{"10.0.0.7", "10.0.0.7:51234", "10.0.0.1:15001"};

HashPolicy headerPolicy(const std::string& name) {
  api::ConsistentHashLB lb;
  lb.http_header_name = name;
  return compileHashPolicy(lb);
}

HashPolicy cookiePolicy(std::optional<int64_t> ttl_seconds, std::string path = "",
                        std::vector<api::HTTPCookieAttribute> attributes = {}) {
  api::ConsistentHashLB lb;
  api::HTTPCookie c;
  c.name = "session";
  c.path = std::move(path);
  if (ttl_seconds) c.ttl = api::Duration{*ttl_seconds, 0};
  c.attributes = std::move(attributes);
  lb.http_cookie = c;
  return compileHashPolicy(lb);
}

TEST(UpstreamHashPolicy, CompilesEachKey) {
  api::ConsistentHashLB lb;
  EXPECT_EQ(compileHashPolicy(lb).kind, HashPolicy::Kind::kNone);
  EXPECT_EQ(headerPolicy("X-User").name, "x-user");  // header names compare in lower case
  lb.use_source_ip = true;
  EXPECT_EQ(compileHashPolicy(lb).kind, HashPolicy::Kind::kSourceIp);
  lb.use_source_ip = false;
  EXPECT_EQ(compileHashPolicy(lb).kind, HashPolicy::Kind::kNone);
  lb.use_source_ip.reset();
  lb.http_query_parameter_name = "user";
  EXPECT_EQ(compileHashPolicy(lb).kind, HashPolicy::Kind::kQueryParameter);
  EXPECT_EQ(cookiePolicy(std::nullopt).kind, HashPolicy::Kind::kCookie);
}

TEST(UpstreamHashPolicy, HeaderValueIsTheKey) {
  const HashPolicy p = headerPolicy("X-User");
  auto a = hashRequest(p, request({{"x-user", "jason"}}), kConn);
  auto b = hashRequest(p, request({{"accept", "*/*"}, {"x-user", "jason"}}), kConn);
  auto c = hashRequest(p, request({{"x-user", "bob"}}), kConn);
  ASSERT_TRUE(a.hash);
  EXPECT_EQ(a.hash, b.hash);
  EXPECT_NE(a.hash, c.hash);
  EXPECT_EQ(*a.hash, xxHash64("jason"));
  EXPECT_FALSE(hashRequest(p, request({{"x-other", "jason"}}), kConn).hash);
  EXPECT_TRUE(a.set_cookie.empty());
  // Several values hash together whatever their order.
  auto ab = hashRequest(p, request({{"x-user", "a"}, {"x-user", "b"}}), kConn);
  auto ba = hashRequest(p, request({{"x-user", "b"}, {"x-user", "a"}}), kConn);
  EXPECT_EQ(ab.hash, ba.hash);
  EXPECT_NE(ab.hash, hashRequest(p, request({{"x-user", "a"}}), kConn).hash);
}

TEST(UpstreamHashPolicy, CookieIsReadWhenPresent) {
  const HashPolicy p = cookiePolicy(std::chrono::seconds(10).count());
  auto plain = hashRequest(p, request({{"cookie", "a=1; session=abc; b=2"}}), kConn);
  auto quoted = hashRequest(p, request({{"cookie", "session=\"abc\""}}), kConn);
  auto later = hashRequest(p, request({{"cookie", "a=1"}, {"cookie", "session=abc"}}), kConn);
  ASSERT_TRUE(plain.hash);
  EXPECT_EQ(*plain.hash, xxHash64("abc"));
  EXPECT_EQ(plain.hash, quoted.hash);
  EXPECT_EQ(plain.hash, later.hash);
  EXPECT_TRUE(plain.set_cookie.empty());  // the client has one: nothing to issue
}

TEST(UpstreamHashPolicy, CookieWithoutTtlIsNeverIssued) {
  auto r = hashRequest(cookiePolicy(std::nullopt), request({}), kConn);
  EXPECT_FALSE(r.hash);
  EXPECT_TRUE(r.set_cookie.empty());
}

TEST(UpstreamHashPolicy, CookieIsIssuedAsEnvoyDoes) {
  std::vector<api::HTTPCookieAttribute> attributes(2);
  attributes[0].name = "SameSite";
  attributes[0].value = "Strict";
  attributes[1].name = "Secure";
  const HashPolicy p = cookiePolicy(3600, "/app", attributes);
  auto r = hashRequest(p, request({}), kConn);
  const std::string value = fmt::format("{:016x}", xxHash64("10.0.0.7:5123410.0.0.1:15001"));
  EXPECT_EQ(r.set_cookie, "session=\"" + value +
                              "\"; Max-Age=3600; Path=/app; SameSite=Strict; Secure; HttpOnly");
  ASSERT_TRUE(r.hash);
  // The request that issued the cookie and the ones that send it back hash alike.
  EXPECT_EQ(*r.hash, xxHash64(value));
  EXPECT_EQ(r.hash, hashRequest(p, request({{"cookie", "session=" + value}}), kConn).hash);
  // Same connection, same cookie; another connection, another.
  EXPECT_EQ(hashRequest(p, request({}), kConn).set_cookie, r.set_cookie);
  const HashConnection other{"10.0.0.7", "10.0.0.7:51235", "10.0.0.1:15001"};
  EXPECT_NE(hashRequest(p, request({}), other).set_cookie, r.set_cookie);
}

TEST(UpstreamHashPolicy, ZeroTtlIssuesASessionCookie) {
  auto r = hashRequest(cookiePolicy(0), request({}), kConn);
  EXPECT_TRUE(r.set_cookie.starts_with("session=\""));
  EXPECT_EQ(r.set_cookie.find("Max-Age"), std::string::npos);
  EXPECT_TRUE(r.set_cookie.ends_with("\"; HttpOnly"));
}

TEST(UpstreamHashPolicy, SourceIpIsTheClientAddress) {
  api::ConsistentHashLB lb;
  lb.use_source_ip = true;
  const HashPolicy p = compileHashPolicy(lb);
  auto a = hashRequest(p, request({}), kConn);
  const HashConnection same_ip{"10.0.0.7", "10.0.0.7:9", "10.0.0.1:15001"};
  const HashConnection other_ip{"10.0.0.8", "10.0.0.8:51234", "10.0.0.1:15001"};
  EXPECT_EQ(*a.hash, xxHash64("10.0.0.7"));
  EXPECT_EQ(a.hash, hashRequest(p, request({}), same_ip).hash);  // the port plays no part
  EXPECT_NE(a.hash, hashRequest(p, request({}), other_ip).hash);
}

TEST(UpstreamHashPolicy, QueryParameterIsTheKey) {
  api::ConsistentHashLB lb;
  lb.http_query_parameter_name = "user";
  const HashPolicy p = compileHashPolicy(lb);
  EXPECT_EQ(*hashRequest(p, request({}, "/p?a=1&user=jason&user=x"), kConn).hash,
            xxHash64("jason"));
  EXPECT_EQ(*hashRequest(p, request({}, "/p?user"), kConn).hash, xxHash64(""));
  EXPECT_FALSE(hashRequest(p, request({}, "/p?username=jason"), kConn).hash);
  EXPECT_FALSE(hashRequest(p, request({}, "/p"), kConn).hash);
}

TEST(UpstreamHashPolicy, CookieAndQueryParsing) {
  EXPECT_EQ(cookieValue("a=1;b=2", "b"), "2");
  EXPECT_EQ(cookieValue("  a = 1 ", "a"), "1");
  EXPECT_EQ(cookieValue("ab=1", "a"), std::nullopt);
  EXPECT_EQ(cookieValue("novalue; a=", "a"), "");
  EXPECT_EQ(cookieValue("a=\"\"", "a"), "");
  EXPECT_EQ(queryParameter("a=1&b=2", "b"), "2");
  EXPECT_EQ(queryParameter("a=1&&b", "b"), "");
  EXPECT_EQ(queryParameter("", "a"), std::nullopt);
}

}  // namespace
}  // namespace meshroute::upstream
