// consistentHash's request parsing on arbitrary bytes: the Cookie header and the query string
// come from clients. Whatever they send, a found value lies inside what was sent, and hashing
// never fails.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "upstream/hash_policy.h"

namespace {

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace meshroute::upstream;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  for (std::string_view name : {"session", "a", ""}) {
    if (auto v = cookieValue(input, name); v && !inside(*v, input)) std::abort();
    if (auto v = queryParameter(input, name); v && !inside(*v, input)) std::abort();
  }
  meshroute::routing::Request r;
  r.headers = {{"cookie", std::string(input)}, {"x-user", std::string(input)}};
  r.path = "/p?" + std::string(input);
  const HashConnection conn{"10.0.0.7", "10.0.0.7:1", "10.0.0.1:2"};
  meshroute::api::ConsistentHashLB lb;
  meshroute::api::HTTPCookie cookie;
  cookie.name = "session";
  cookie.ttl = meshroute::api::Duration{1, 0};
  lb.http_cookie = cookie;
  (void)hashRequest(compileHashPolicy(lb), r, conn);
  lb = {};
  lb.http_query_parameter_name = "user";
  (void)hashRequest(compileHashPolicy(lb), r, conn);
  return 0;
}
