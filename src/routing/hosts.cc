#include "routing/hosts.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstring>

namespace meshroute::routing::hosts {

bool matches(std::string_view a, std::string_view b) {
  const bool aw = isWildcard(a);
  const bool bw = isWildcard(b);
  if (aw && bw) {
    return a.size() < b.size() ? b.substr(1).ends_with(a.substr(1))
                               : a.substr(1).ends_with(b.substr(1));
  }
  if (aw) return b.ends_with(a.substr(1));
  if (bw) return a.ends_with(b.substr(1));
  return a == b;
}

bool subsetOf(std::string_view a, std::string_view b) {
  const bool aw = isWildcard(a);
  const bool bw = isWildcard(b);
  if (aw && bw) return a.size() >= b.size() && a.substr(1).ends_with(b.substr(1));
  if (aw) return false;
  if (bw) return a.ends_with(b.substr(1));
  return a == b;
}

bool moreSpecific(std::string_view a, std::string_view b) {
  const bool aw = isWildcard(a);
  const bool bw = isWildcard(b);
  if (aw != bw) return !aw;
  if (a.size() == b.size()) return a < b;
  return a.size() > b.size();
}

std::string toLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool isIpAddress(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  std::string text(s);
  std::array<unsigned char, 16> buf{};
  return inet_pton(AF_INET, text.c_str(), buf.data()) == 1 ||
         inet_pton(AF_INET6, text.c_str(), buf.data()) == 1;
}

namespace {

// Parses an address into 16 bytes (v4 mapped into the last 4) and reports its family size.
bool parseAddress(std::string_view s, std::array<unsigned char, 16>& out, int& bits) {
  std::string text(s);
  out.fill(0);
  if (inet_pton(AF_INET, text.c_str(), out.data()) == 1) {
    bits = 32;
    return true;
  }
  if (inet_pton(AF_INET6, text.c_str(), out.data()) == 1) {
    bits = 128;
    return true;
  }
  return false;
}

}  // namespace

bool cidrContains(std::string_view cidr, std::string_view ip) {
  const size_t slash = cidr.find('/');
  std::array<unsigned char, 16> net{};
  std::array<unsigned char, 16> addr{};
  int net_bits = 0;
  int addr_bits = 0;
  if (!parseAddress(cidr.substr(0, slash), net, net_bits)) return false;
  if (!parseAddress(ip, addr, addr_bits) || net_bits != addr_bits) return false;
  int prefix = net_bits;
  if (slash != std::string_view::npos) {
    const std::string_view p = cidr.substr(slash + 1);
    auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
    if (ec != std::errc() || ptr != p.data() + p.size() || prefix < 0 || prefix > net_bits) {
      return false;
    }
  }
  for (int i = 0; i < prefix; ++i) {
    const unsigned char mask = static_cast<unsigned char>(0x80u >> (i % 8));
    if ((net[static_cast<size_t>(i / 8)] & mask) != (addr[static_cast<size_t>(i / 8)] & mask)) {
      return false;
    }
  }
  return true;
}

std::string resolveShortname(std::string_view host, std::string_view ns,
                             std::string_view cluster_domain) {
  if (host.empty() || host == "*" || isIpAddress(host)) return std::string(host);
  if (host.find('.') != std::string_view::npos) return std::string(host);
  std::string out(host);
  if (!ns.empty()) {
    out += '.';
    out += ns;
  }
  if (!cluster_domain.empty()) {
    out += ".svc.";
    out += cluster_domain;
  }
  return out;
}

std::string resolveGatewayName(std::string_view gateway, std::string_view ns) {
  if (gateway == "mesh") return std::string(gateway);
  const size_t slash = gateway.find('/');
  if (slash == std::string_view::npos) {
    const size_t dot = gateway.find('.');
    if (dot == std::string_view::npos) return std::string(ns) + "/" + std::string(gateway);
    // Legacy FQDN form name.ns(.svc.cluster.local): the namespace is the second label.
    const std::string_view rest = gateway.substr(dot + 1);
    const size_t next = rest.find('.');
    const std::string_view gw_ns = next == std::string_view::npos ? rest : rest.substr(0, next);
    return std::string(gw_ns) + "/" + std::string(gateway.substr(0, dot));
  }
  if (gateway.substr(0, slash) == ".") {
    return std::string(ns) + "/" + std::string(gateway.substr(slash + 1));
  }
  return std::string(gateway);
}

std::vector<std::string> altHosts(std::string_view hostname, std::string_view proxy_ns,
                                  std::string_view cluster_domain) {
  std::vector<std::string> out;
  if (!isIpAddress(hostname)) out.push_back(std::string(hostname) + ".");
  // With a proxy DNS domain of the form <ns>.svc.<domain>, only hosts ending in .svc.<domain>
  // are expanded (GenerateAltVirtualHosts).
  const std::string svc_suffix = ".svc." + std::string(cluster_domain);
  if (!hostname.ends_with(svc_suffix)) return out;
  const size_t ih = hostname.find(".svc.");
  if (ih == std::string_view::npos || ih == 0) return out;
  const size_t dot = hostname.find('.');
  if (dot + 1 >= hostname.size() || dot + 1 > ih) return out;
  const std::string_view name = hostname.substr(0, dot);
  const std::string_view name_ns = hostname.substr(0, ih);
  if (hostname.substr(dot + 1, ih - dot - 1) == proxy_ns) {
    out.emplace_back(name);
    out.push_back(std::string(name_ns) + ".svc");
    out.emplace_back(name_ns);
  } else {
    out.emplace_back(name_ns);
    out.push_back(std::string(name_ns) + ".svc");
  }
  return out;
}

ExportTo resolveExportTo(const std::vector<std::string>& declared,
                         const std::vector<std::string>& mesh_default, std::string_view owner_ns) {
  const std::vector<std::string>& list = declared.empty() ? mesh_default : declared;
  ExportTo out;
  if (list.empty()) {
    out.is_public = true;
    return out;
  }
  for (const std::string& e : list) {
    if (e == "*") {
      out.is_public = true;
    } else if (e == "~") {
      out.none = true;
    } else if (e == ".") {
      out.namespaces.insert(std::string(owner_ns));
    } else {
      out.namespaces.insert(e);
    }
  }
  // Istio: "*" makes the object public whatever else is listed; otherwise "~" hides it.
  if (out.is_public || out.none) out.namespaces.clear();
  return out;
}

}  // namespace meshroute::routing::hosts
