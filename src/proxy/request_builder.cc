#include "proxy/request_builder.h"

namespace meshroute::proxy {
namespace {

// ASCII only, inline: std::tolower is a locale-aware call per byte.
void assignLower(std::string& out, std::string_view s) {
  out.assign(s);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + ('a' - 'A'));
  }
}

}  // namespace

void toRoutingRequest(const RequestHead& head, const std::string& client_ip,
                      routing::Request& out) {
  std::string_view target = head.target;
  std::string_view authority = head.authority;
  std::string_view path = target;
  out.scheme = "http";
  // Absolute-form (a client using the proxy as an HTTP proxy): the target names the authority.
  if (auto sep = target.find("://"); sep != std::string_view::npos && target[0] != '/') {
    assignLower(out.scheme, target.substr(0, sep));
    std::string_view rest = target.substr(sep + 3);
    auto slash = rest.find_first_of("/?");
    authority = rest.substr(0, slash);
    path = slash == std::string_view::npos ? "/" : rest.substr(slash);
  }
  out.authority.assign(authority);
  out.path.assign(path);
  if (!out.path.empty() && out.path[0] == '?') out.path.insert(0, "/");
  out.method.assign(head.method);
  const http::HeaderMap& h = head.headers;
  out.headers.resize(h.size());
  for (size_t i = 0; i < h.size(); ++i) {
    out.headers[i].first.assign(h.name(i));  // the codec lower-cased names
    out.headers[i].second.assign(h.value(i));
  }
  uint32_t port = out.authorityPort();
  out.port = port ? port : 80;
  out.source_ip = client_ip;
}

}  // namespace meshroute::proxy
