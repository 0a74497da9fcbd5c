// What a request hashes to under a DestinationRule's consistentHash: one of its headers, a
// cookie, the client's address or a query parameter, compiled once per configuration from the
// API message, evaluated per request with Envoy's semantics:
// - a request without the key has no hash (the pick is then random, as in Envoy);
// - httpCookie with a ttl issues the cookie when the client has none: its value is derived from
//   the connection's two addresses (so a client's requests on one connection agree), and the
//   response carries `Set-Cookie: name="value"; Max-Age=ttl; Path=path; attributes; HttpOnly`
//   (no Max-Age when the ttl is 0: a session cookie);
// - several values of one header hash together, in sorted order.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/model/destination_rule.h"
#include "routing/request.h"

namespace meshroute::upstream {

struct HashPolicy {
  enum class Kind { kNone, kHeader, kCookie, kSourceIp, kQueryParameter };
  Kind kind = Kind::kNone;
  std::string name;  // the header (lower case), cookie or query parameter
  // httpCookie: the cookie issued when the client sends none (only with a ttl).
  std::optional<std::chrono::seconds> cookie_ttl;
  std::string cookie_path;
  std::vector<std::pair<std::string, std::string>> cookie_attributes;
};

HashPolicy compileHashPolicy(const api::ConsistentHashLB& lb);

// The connection a request came on: what the source-IP key and an issued cookie are made of.
struct HashConnection {
  std::string_view client_ip;       // "10.0.0.7"
  std::string_view remote_address;  // "10.0.0.7:51234"
  std::string_view local_address;   // "10.0.0.1:15001"
};

struct RequestHash {
  std::optional<uint64_t> hash;
  std::string set_cookie;  // a Set-Cookie value for the response, when one was issued
};

RequestHash hashRequest(const HashPolicy& policy, const routing::Request& request,
                        const HashConnection& connection);

// The value of cookie `name` in a Cookie header value ("a=1; b=\"2\""), quotes removed.
std::optional<std::string_view> cookieValue(std::string_view header, std::string_view name);
// The first value of query parameter `name` in `query` (after '?'), as sent (not decoded).
std::optional<std::string_view> queryParameter(std::string_view query, std::string_view name);

}  // namespace meshroute::upstream
