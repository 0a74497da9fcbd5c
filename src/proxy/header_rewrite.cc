#include "proxy/header_rewrite.h"

#include <algorithm>

namespace meshroute::proxy {
namespace {

using http::appendHeader;
using routing::HeaderOps;

bool listed(const std::vector<std::string>& names, std::string_view name) {
  return std::any_of(names.begin(), names.end(),
                     [&](const std::string& n) { return http::iequals(n, name); });
}

bool listed(const std::vector<std::pair<std::string, std::string>>& ops, std::string_view name) {
  return std::any_of(ops.begin(), ops.end(),
                     [&](const auto& op) { return http::iequals(op.first, name); });
}

// Whether the proxy drops `name` from what it forwards: the operations remove or replace it.
bool dropped(const HeaderOps& route, const HeaderOps& dest, std::string_view name) {
  return listed(route.remove, name) || listed(dest.remove, name) || listed(route.set, name) ||
         listed(dest.set, name);
}

// Envoy applies the destination's (weighted cluster's) operations, then the route's: for a
// header both set, the route's value is what the upstream sees.
void appendOperations(std::string& out, const HeaderOps& route, const HeaderOps& dest) {
  for (const auto& [name, value] : dest.set) {
    if (!listed(route.set, name) && !listed(route.remove, name)) appendHeader(out, name, value);
  }
  for (const auto& [name, value] : route.set) appendHeader(out, name, value);
  for (const auto& [name, value] : dest.add) {
    if (!listed(route.remove, name)) appendHeader(out, name, value);
  }
  for (const auto& [name, value] : route.add) appendHeader(out, name, value);
}

// Dispatches on length first: most names are none of these and fail on the first test.
bool hopByHop(std::string_view name) {
  switch (name.size()) {
    case 2: return http::iequals(name, "te");
    case 4: return http::iequals(name, "host");
    case 7: return http::iequals(name, "upgrade");
    case 10: return http::iequals(name, "connection") || http::iequals(name, "keep-alive");
    case 14: return http::iequals(name, "content-length");
    case 16: return http::iequals(name, "proxy-connection");
    case 17: return http::iequals(name, "transfer-encoding");
    default: return false;
  }
}

bool empty(const HeaderOps& ops) {
  return ops.set.empty() && ops.add.empty() && ops.remove.empty();
}

}  // namespace

std::string makeRequestId(core::Random& random) {
  uint64_t hi = random.next();
  uint64_t lo = random.next();
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // RFC 4122 variant
  // 8-4-4-4-12 hex digits. Written by hand: once per request, and a format call cost more than
  // the rest of the request head together.
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(36, '-');
  size_t pos = 0;
  auto put = [&](uint64_t bits, int digits) {
    for (int i = digits - 1; i >= 0; --i) id[pos++] = kHex[(bits >> (4 * i)) & 0xf];
  };
  put(hi >> 32, 8);
  ++pos;
  put(hi >> 16, 4);
  ++pos;
  put(hi, 4);
  ++pos;
  put(lo >> 48, 4);
  ++pos;
  put(lo, 12);
  return id;
}

void appendUpstreamRequestHead(std::string& out, UpstreamHeadInput& in) {
  const auto& route = in.decision.route;
  const auto& dest = in.destination;
  const std::string& path = route.rewritten_path.empty() ? in.request.path : route.rewritten_path;
  out.append(in.head.method);
  out.push_back(' ');
  out.append(path);
  out.append(" HTTP/1.1\r\n");
  std::string_view authority = !dest.rewritten_authority.empty() ? dest.rewritten_authority
                               : !route.rewritten_authority.empty()
                                   ? std::string_view(route.rewritten_authority)
                                   : std::string_view(in.request.authority);
  appendHeader(out, "host", authority);
  std::string_view forwarded_for;
  bool has_proto = false;
  const bool ops = !empty(route.request_headers) || !empty(dest.request_headers);
  for (const auto& h : in.head.headers) {
    if (hopByHop(h.name)) continue;
    if (in.head.expect_continue && http::iequals(h.name, "expect")) continue;
    if (ops && dropped(route.request_headers, dest.request_headers, h.name)) continue;
    if (http::iequals(h.name, "x-forwarded-for")) {
      forwarded_for = h.value;
      continue;
    }
    if (http::iequals(h.name, "x-forwarded-proto")) has_proto = true;
    appendHeader(out, h.name, h.value);
  }
  if (ops) appendOperations(out, route.request_headers, dest.request_headers);
  if (forwarded_for.empty()) {
    appendHeader(out, "x-forwarded-for", in.client_ip);
  } else {
    out.append("x-forwarded-for: ");
    out.append(forwarded_for);
    out.append(", ");
    out.append(in.client_ip);
    out.append("\r\n");
  }
  if (!has_proto) appendHeader(out, "x-forwarded-proto", in.request.scheme);
  if (in.request_id.empty()) {
    if (in.generated_request_id.empty()) in.generated_request_id = makeRequestId(in.random);
    appendHeader(out, "x-request-id", in.generated_request_id);
  }
  if (!route.rewritten_path.empty() && route.rewritten_path != in.request.path) {
    appendHeader(out, "x-envoy-original-path", in.request.path);
  }
  if (route.timeout && route.timeout->totalNanos() > 0) {
    appendHeader(out, "x-envoy-expected-rq-timeout-ms",
                 static_cast<uint64_t>(route.timeout->totalNanos() / 1000000));
  }
  switch (in.head.framing) {
    case http::Framing::kContentLength:
      appendHeader(out, "content-length", in.head.content_length);
      break;
    case http::Framing::kChunked: appendHeader(out, "transfer-encoding", "chunked"); break;
    default: break;
  }
  if (in.head.upgrade) {
    appendHeader(out, "connection", "upgrade");
    appendHeader(out, "upgrade", http::findHeader(in.head.headers, "upgrade"));
  }
  out.append("\r\n");
}

void appendResponseHead(std::string& out, const http::ResponseHead& resp, int client_version_minor,
                        const routing::Decision& decision,
                        const routing::RoutedDestination& destination, int64_t service_time_ms,
                        bool close, bool upgrade) {
  const auto& route = decision.route.response_headers;
  const auto& dest = destination.response_headers;
  http::appendStatusLine(out, resp.status,
                         resp.reason.empty() ? http::reasonPhrase(resp.status) : resp.reason,
                         client_version_minor);
  const bool ops = !empty(route) || !empty(dest);
  for (const auto& h : resp.headers) {
    // A response without a body (to HEAD, 204, 304) still tells the length it would have had.
    const bool bodiless_length =
        resp.framing == http::Framing::kNone && http::iequals(h.name, "content-length");
    if (hopByHop(h.name) && !http::iequals(h.name, "host") && !bodiless_length) continue;
    if (ops && dropped(route, dest, h.name)) continue;
    appendHeader(out, h.name, h.value);
  }
  if (ops) appendOperations(out, route, dest);
  if (service_time_ms >= 0) {
    appendHeader(out, "x-envoy-upstream-service-time", static_cast<uint64_t>(service_time_ms));
  }
  if (upgrade) {
    appendHeader(out, "connection", "upgrade");
    appendHeader(out, "upgrade", http::findHeader(resp.headers, "upgrade"));
    out.append("\r\n");
    return;
  }
  if (resp.framing == http::Framing::kContentLength) {
    appendHeader(out, "content-length", resp.content_length);
  } else if (resp.framing == http::Framing::kChunked && client_version_minor == 1) {
    appendHeader(out, "transfer-encoding", "chunked");
  }
  if (close) {
    appendHeader(out, "connection", "close");
  } else if (client_version_minor == 0) {
    appendHeader(out, "connection", "keep-alive");
  }
  out.append("\r\n");
}

}  // namespace meshroute::proxy
