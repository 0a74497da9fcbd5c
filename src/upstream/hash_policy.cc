#include "upstream/hash_policy.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "upstream/hash_lb.h"

namespace meshroute::upstream {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<uint64_t> headerHash(const routing::Request& request, std::string_view name) {
  std::vector<std::string_view> values;
  for (const auto& [k, v] : request.headers) {
    if (k == name) values.emplace_back(v);
  }
  if (values.empty()) return std::nullopt;
  if (values.size() == 1) return xxHash64(values[0]);
  std::sort(values.begin(), values.end());
  uint64_t h = 0;
  for (std::string_view v : values) h = xxHash64(v, h);
  return h;
}

std::string issueCookie(const HashPolicy& policy, std::string_view value) {
  std::string out = fmt::format("{}=\"{}\"", policy.name, value);
  if (policy.cookie_ttl && policy.cookie_ttl->count() > 0) {
    out += fmt::format("; Max-Age={}", policy.cookie_ttl->count());
  }
  if (!policy.cookie_path.empty()) out += "; Path=" + policy.cookie_path;
  for (const auto& [name, attr] : policy.cookie_attributes) {
    out += "; " + name;
    if (!attr.empty()) out += "=" + attr;
  }
  out += "; HttpOnly";
  return out;
}

}  // namespace

HashPolicy compileHashPolicy(const api::ConsistentHashLB& lb) {
  HashPolicy p;
  if (lb.http_header_name) {
    p.kind = HashPolicy::Kind::kHeader;
    p.name = lower(*lb.http_header_name);
  } else if (lb.http_cookie) {
    p.kind = HashPolicy::Kind::kCookie;
    p.name = lb.http_cookie->name;
    p.cookie_path = lb.http_cookie->path;
    if (lb.http_cookie->ttl) {
      p.cookie_ttl = std::chrono::seconds(lb.http_cookie->ttl->totalNanos() / 1000000000);
    }
    for (const auto& a : lb.http_cookie->attributes)
      p.cookie_attributes.emplace_back(a.name, a.value);
  } else if (lb.use_source_ip && *lb.use_source_ip) {
    p.kind = HashPolicy::Kind::kSourceIp;
  } else if (lb.http_query_parameter_name) {
    p.kind = HashPolicy::Kind::kQueryParameter;
    p.name = *lb.http_query_parameter_name;
  }
  return p;
}

RequestHash hashRequest(const HashPolicy& policy, const routing::Request& request,
                        const HashConnection& connection) {
  RequestHash out;
  switch (policy.kind) {
    case HashPolicy::Kind::kNone: break;
    case HashPolicy::Kind::kHeader: out.hash = headerHash(request, policy.name); break;
    case HashPolicy::Kind::kSourceIp:
      if (!connection.client_ip.empty()) out.hash = xxHash64(connection.client_ip);
      break;
    case HashPolicy::Kind::kQueryParameter:
      if (auto v = queryParameter(request.query(), policy.name)) out.hash = xxHash64(*v);
      break;
    case HashPolicy::Kind::kCookie: {
      for (const auto& [k, v] : request.headers) {
        if (k != "cookie") continue;
        if (auto value = cookieValue(v, policy.name)) {
          out.hash = xxHash64(*value);
          return out;
        }
      }
      if (!policy.cookie_ttl) break;  // without a ttl the cookie is only read, never issued
      std::string seed(connection.remote_address);
      seed += connection.local_address;
      const std::string value = fmt::format("{:016x}", xxHash64(seed));
      out.hash = xxHash64(value);
      out.set_cookie = issueCookie(policy, value);
      break;
    }
  }
  return out;
}

std::optional<std::string_view> cookieValue(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const size_t semi = header.find(';');
    std::string_view pair = trim(header.substr(0, semi));
    header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
    const size_t eq = pair.find('=');
    if (eq == std::string_view::npos || trim(pair.substr(0, eq)) != name) continue;
    std::string_view value = trim(pair.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    return value;
  }
  return std::nullopt;
}

std::optional<std::string_view> queryParameter(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    const size_t eq = pair.find('=');
    if (pair.substr(0, eq) != name) continue;
    return eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
  }
  return std::nullopt;
}

}  // namespace meshroute::upstream
