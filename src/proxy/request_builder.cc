#include "proxy/request_builder.h"

namespace meshroute::proxy {
namespace {

// ASCII only, inline: header names are tokens, and std::tolower is a locale-aware call per byte.
void assignLower(std::string& out, std::string_view s) {
  out.assign(s);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + ('a' - 'A'));
  }
}

}  // namespace

void toRoutingRequest(const http::RequestHead& head, const std::string& client_ip,
                      routing::Request& out) {
  std::string_view target = head.target;
  std::string_view authority = head.host;
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
  out.headers.resize(head.headers.size());
  for (size_t i = 0; i < head.headers.size(); ++i) {
    assignLower(out.headers[i].first, head.headers[i].name);
    out.headers[i].second.assign(head.headers[i].value);
  }
  uint32_t port = out.authorityPort();
  out.port = port ? port : 80;
  out.source_ip = client_ip;
}

}  // namespace meshroute::proxy
