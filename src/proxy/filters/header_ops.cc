#include "proxy/filters/header_ops.h"

#include <algorithm>

namespace meshroute::proxy {
namespace {

using routing::HeaderOps;

bool listed(const std::vector<std::string>& names, std::string_view name) {
  return std::any_of(names.begin(), names.end(),
                     [&](const std::string& n) { return http::iequals(n, name); });
}

bool listed(const std::vector<std::pair<std::string, std::string>>& ops, std::string_view name) {
  return std::any_of(ops.begin(), ops.end(),
                     [&](const auto& op) { return http::iequals(op.first, name); });
}

// Whether the operations remove or replace `name`.
bool dropped(const HeaderOps& route, const HeaderOps& dest, std::string_view name) {
  return listed(route.remove, name) || listed(dest.remove, name) || listed(route.set, name) ||
         listed(dest.set, name);
}

// Envoy applies the destination's (weighted cluster's) operations, then the route's. The
// values are the configuration's strings, which the request's decision keeps alive.
void addOperations(const HeaderOps& route, const HeaderOps& dest, http::HeaderMap& out) {
  for (const auto& [name, value] : dest.set) {
    if (!listed(route.set, name) && !listed(route.remove, name)) out.addReference(name, value);
  }
  for (const auto& [name, value] : route.set) out.addReference(name, value);
  for (const auto& [name, value] : dest.add) {
    if (!listed(route.remove, name)) out.addReference(name, value);
  }
  for (const auto& [name, value] : route.add) out.addReference(name, value);
}

// Names arrive lower-cased from the codec. Dispatches on length first: most names are none
// of these and fail on the first test.
bool hopByHop(std::string_view name) {
  switch (name.size()) {
    case 2: return name == "te";
    case 4: return name == "host";
    case 6: return name == "expect";
    case 7: return name == "upgrade";
    case 10: return name == "connection" || name == "keep-alive";
    case 14: return name == "content-length";
    case 16: return name == "proxy-connection";
    case 17: return name == "transfer-encoding";
    default: return false;
  }
}

bool empty(const HeaderOps& ops) {
  return ops.set.empty() && ops.add.empty() && ops.remove.empty();
}

}  // namespace

std::string makeRequestId(core::Random& random) {
  std::string id;
  makeRequestId(random, id);
  return id;
}

void makeRequestId(core::Random& random, std::string& id) {
  uint64_t hi = random.next();
  uint64_t lo = random.next();
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // RFC 4122 variant
  // 8-4-4-4-12 hex digits, written by hand: a format call cost more than the rest of the head.
  static constexpr char kHex[] = "0123456789abcdef";
  id.assign(36, '-');  // in place: a stream's id keeps its capacity from request to request
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
}

std::string_view upstreamPath(const routing::Request& request, const routing::Decision& decision) {
  return decision.route.rewritten_path.empty() ? std::string_view(request.path)
                                               : std::string_view(decision.route.rewritten_path);
}

void buildUpstreamHeaders(const UpstreamHeadersInput& in, http::HeaderMap& out) {
  out.clear();
  const auto& route = in.decision.route;
  const auto& dest = in.destination;
  const std::string_view authority =
      !dest.rewritten_authority.empty()    ? std::string_view(dest.rewritten_authority)
      : !route.rewritten_authority.empty() ? std::string_view(route.rewritten_authority)
                                           : std::string_view(in.request.authority);
  // References only, except what is computed here: the head, the routing request and the
  // decision all live as long as the request, and copying every header cost more than the rest
  // of the mutation.
  out.addReference("host", authority);
  std::string_view forwarded_for;
  bool has_proto = false;
  const bool ops = !empty(route.request_headers) || !empty(dest.request_headers);
  const http::HeaderMap& h = in.head.headers;
  for (size_t i = 0; i < h.size(); ++i) {
    const std::string_view name = h.name(i);
    if (hopByHop(name)) continue;
    if (ops && dropped(route.request_headers, dest.request_headers, name)) continue;
    if (name == "x-forwarded-for") {
      forwarded_for = h.value(i);
      continue;
    }
    if (name == "x-forwarded-proto") has_proto = true;
    out.addReference(name, h.value(i));
  }
  if (ops) addOperations(route.request_headers, dest.request_headers, out);
  if (forwarded_for.empty()) {
    out.addReference("x-forwarded-for", in.client_ip);
  } else {
    std::string joined;
    joined.reserve(forwarded_for.size() + 2 + in.client_ip.size());
    joined.append(forwarded_for).append(", ").append(in.client_ip);
    out.add("x-forwarded-for", joined);
  }
  if (!has_proto) out.addReference("x-forwarded-proto", in.request.scheme);
  if (!in.generated_request_id.empty()) {
    out.addReference("x-request-id", in.generated_request_id);
  }
  if (!route.rewritten_path.empty() && route.rewritten_path != in.request.path) {
    out.addReference("x-envoy-original-path", in.request.path);
  }
  if (route.timeout && route.timeout->totalNanos() > 0) {
    char digits[24];
    auto ms = static_cast<uint64_t>(route.timeout->totalNanos() / 1000000);
    size_t n = 0;
    do {
      digits[sizeof(digits) - 1 - n++] = static_cast<char>('0' + ms % 10);
      ms /= 10;
    } while (ms > 0);
    out.add("x-envoy-expected-rq-timeout-ms", std::string_view(digits + sizeof(digits) - n, n));
  }
  if (in.head.upgrade) {
    out.addReference("connection", "upgrade");
    out.addReference("upgrade", h.get("upgrade"));
  }
}

void appendUpstreamHead(std::string& out, std::string_view method, std::string_view path,
                        const http::HeaderMap& headers, const RequestHead& head, int attempt) {
  out.append(method);
  out.push_back(' ');
  out.append(path);
  out.append(" HTTP/1.1\r\n");
  for (size_t i = 0; i < headers.size(); ++i) {
    http::appendHeader(out, headers.name(i), headers.value(i));
  }
  if (head.length_known) {
    http::appendHeader(out, "content-length", head.content_length);
  } else if (head.has_body) {
    http::appendHeader(out, "transfer-encoding", "chunked");  // re-encoded from the payload
  }
  http::appendHeader(out, "x-envoy-attempt-count", static_cast<uint64_t>(attempt));
  http::appendHeadEnd(out);
}

void applyHeaderOps(const HeaderOps& route, const HeaderOps& dest, http::HeaderMap& out) {
  if (empty(route) && empty(dest)) return;
  for (const auto& n : dest.remove) out.remove(n);
  for (const auto& n : route.remove) out.remove(n);
  for (const auto& [n, v] : dest.set) out.remove(n);
  for (const auto& [n, v] : route.set) out.remove(n);
  addOperations(route, dest, out);
}

void buildResponseHeaders(const http::ResponseHead& resp, const routing::Decision& decision,
                          const routing::RoutedDestination& destination, int64_t service_time_ms,
                          http::HeaderMap& out) {
  out.clear();
  const auto& route = decision.route.response_headers;
  const auto& dest = destination.response_headers;
  const bool ops = !empty(route) || !empty(dest);
  for (const http::Header& h : resp.headers) {
    // A response without a body (to HEAD, 204, 304) still tells the length it would have had.
    const bool bodiless_length =
        resp.framing == http::Framing::kNone && http::iequals(h.name, "content-length");
    if (!bodiless_length) {
      switch (h.name.size()) {
        case 2:
        case 7:
        case 10:
        case 14:
        case 16:
        case 17:
          if (http::iequals(h.name, "te") || http::iequals(h.name, "upgrade") ||
              http::iequals(h.name, "connection") || http::iequals(h.name, "keep-alive") ||
              http::iequals(h.name, "content-length") ||
              http::iequals(h.name, "proxy-connection") ||
              http::iequals(h.name, "transfer-encoding")) {
            continue;
          }
          break;
        default: break;
      }
    }
    if (ops && dropped(route, dest, h.name)) continue;
    // A view into the upstream's read buffer: valid until the router reads from it again,
    // which happens only after the head has been written out.
    out.addReference(h.name, h.value);
  }
  if (ops) addOperations(route, dest, out);
  if (service_time_ms >= 0) {
    char digits[24];
    auto v = static_cast<uint64_t>(service_time_ms);
    size_t n = 0;
    do {
      digits[sizeof(digits) - 1 - n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v > 0);
    out.add("x-envoy-upstream-service-time", std::string_view(digits + sizeof(digits) - n, n));
  }
}

}  // namespace meshroute::proxy
