#include "analysis/analyzers/istio_util.h"

#include <fmt/format.h>

#include <sstream>

namespace meshroute::analysis::istio {

std::string hostToFqdn(std::string_view ns, std::string_view host) {
  if (!host.starts_with('*') && host.find('.') == std::string_view::npos) {
    return fmt::format("{}.{}.{}", host, ns, kClusterLocal);
  }
  return std::string(host);
}

FullName fullNameFromFqdn(std::string_view fqdn) {
  constexpr std::string_view kSuffix = ".svc.cluster.local";
  if (!fqdn.ends_with(kSuffix)) return {};
  std::string_view head = fqdn.substr(0, fqdn.size() - kSuffix.size());
  // Istio's pattern ^(.+)\.(.+)\.svc\.cluster\.local$ is greedy: the namespace is the last label.
  const size_t dot = head.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == head.size()) return {};
  return {std::string(head.substr(dot + 1)), std::string(head.substr(0, dot))};
}

FullName resourceNameFromHost(std::string_view default_ns, std::string_view host) {
  FullName n = fullNameFromFqdn(host);
  if (n.ns.empty()) return {std::string(default_ns), std::string(host)};
  return n;
}

FullName shortOrFullName(std::string_view ns, std::string_view name) {
  if (const size_t slash = name.find('/'); slash != std::string_view::npos) {
    return {std::string(name.substr(0, slash)), std::string(name.substr(slash + 1))};
  }
  return {std::string(ns), std::string(name)};
}

namespace {

std::string scoped(std::string_view scope, std::string_view ns, std::string_view host) {
  return fmt::format("{}/{}", scope, hostToFqdn(ns, host));
}

}  // namespace

ScopedHosts serviceEntryHostMap(const Store& store) {
  ScopedHosts out;
  for (const api::Resource* res : store.all(kinds::kServiceEntry)) {
    const auto* se = res->as<api::ServiceEntry>();
    if (se == nullptr) continue;
    KnownHost known{res, {}};
    for (const api::ServicePort& p : se->ports)
      known.ports.push_back({p.number, p.name, p.protocol});
    const std::string& ns = res->meta.namespace_;
    bool to_all = false;
    for (const std::string& h : se->hosts) {
      if (se->export_to.empty() || to_all) {
        out[scoped("*", ns, h)] = known;
        continue;
      }
      for (const std::string& e : se->export_to) {
        if (e == "*") {
          out[scoped("*", ns, h)] = known;
          to_all = true;
        } else if (e == ".") {
          out[scoped(ns, ns, h)] = known;
        } else {
          out[scoped(e, ns, h)] = known;
        }
        if (to_all) break;
      }
    }
  }
  for (const api::Resource* res : store.all(kinds::kService)) {
    const auto* svc = res->as<api::K8sService>();
    KnownHost known{res, {}};
    if (svc != nullptr) {
      for (const api::K8sServicePort& p : svc->spec.ports) {
        known.ports.push_back({static_cast<uint32_t>(p.port), p.name, p.protocol});
      }
    }
    const std::string& ns = res->meta.namespace_;
    std::vector<std::string> scopes;
    auto it = res->meta.annotations.find("networking.istio.io/exportTo");
    if (it == res->meta.annotations.end() || it->second.empty()) {
      scopes.emplace_back("*");
    } else {
      std::stringstream list(it->second);
      std::string item;
      while (std::getline(list, item, ',')) {
        const size_t b = item.find_first_not_of(" \t\n\r\v\f");
        const size_t e = item.find_last_not_of(" \t\n\r\v\f");
        item = b == std::string::npos ? "" : item.substr(b, e - b + 1);
        scopes.push_back(item == "." ? ns : item);
      }
    }
    for (const std::string& scope : scopes) out[scoped(scope, ns, res->meta.name)] = known;
  }
  return out;
}

const KnownHost* destinationHost(std::string_view source_ns,
                                 const std::vector<std::string>& export_to, std::string_view host,
                                 const ScopedHosts& hosts) {
  if (auto it = hosts.find(scoped("*", source_ns, host)); it != hosts.end()) return &it->second;
  if (export_to.empty()) {
    if (auto it = hosts.find(scoped(source_ns, source_ns, host)); it != hosts.end()) {
      return &it->second;
    }
  } else {
    for (const std::string& e : export_to) {
      const std::string_view scope = e == "." ? source_ns : std::string_view(e);
      if (auto it = hosts.find(scoped(scope, source_ns, host)); it != hosts.end()) {
        return &it->second;
      }
    }
  }
  // A wildcard ServiceEntry host visible everywhere or in the source namespace.
  const std::string_view bare = host.starts_with('*') ? host.substr(1) : host;
  for (const auto& [key, known] : hosts) {
    const size_t slash = key.find('/');
    const std::string_view scope = std::string_view(key).substr(0, slash);
    const std::string_view se_host = std::string_view(key).substr(slash + 1);
    if (!se_host.starts_with('*')) continue;
    if (scope != "*" && scope != source_ns) continue;
    if (bare.ends_with(se_host.substr(1))) return &known;
  }
  return nullptr;
}

std::string AnnotatedDestination::hostPath() const {
  if (rule == "http.mirror") return fmt::format("spec.http[{}].mirror.host", service_index);
  if (rule == "http.mirrors") {
    return fmt::format("spec.http[{}].mirrors[{}].destination.host", service_index,
                       destination_index);
  }
  return fmt::format("spec.{}[{}].route[{}].destination.host", rule, service_index,
                     destination_index);
}

namespace {

// Go's nil destination reads as one with an empty host.
const api::Destination kNoDestination;

template <class Rule>
void addRoutes(std::string_view name, const std::vector<Rule>& rules,
               std::vector<AnnotatedDestination>& out) {
  for (size_t i = 0; i < rules.size(); ++i) {
    for (size_t j = 0; j < rules[i].route.size(); ++j) {
      const auto& d = rules[i].route[j].destination;
      out.push_back({std::string(name), i, j, d ? &*d : &kNoDestination});
    }
  }
}

}  // namespace

std::vector<AnnotatedDestination> routeDestinations(const api::VirtualService& vs) {
  std::vector<AnnotatedDestination> out;
  addRoutes("tcp", vs.tcp, out);
  addRoutes("tls", vs.tls, out);
  addRoutes("http", vs.http, out);
  return out;
}

std::vector<AnnotatedDestination> mirrorDestinations(const api::VirtualService& vs) {
  std::vector<AnnotatedDestination> out;
  for (size_t i = 0; i < vs.http.size(); ++i) {
    if (vs.http[i].mirror) out.push_back({"http.mirror", i, 0, &*vs.http[i].mirror});
    for (size_t j = 0; j < vs.http[i].mirrors.size(); ++j) {
      const auto& d = vs.http[i].mirrors[j].destination;
      out.push_back({"http.mirrors", i, j, d ? &*d : &kNoDestination});
    }
  }
  return out;
}

bool selectorMatches(const api::StringMap& selector, const api::StringMap& labels) {
  for (const auto& [k, v] : selector) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  return true;
}

std::string selectorString(const api::StringMap& selector) {
  std::string out;
  for (const auto& [k, v] : selector) {
    if (!out.empty()) out += ',';
    out.append(k).append("=").append(v);
  }
  return out;
}

api::StringMap rawStringMap(const api::Resource& res, std::string_view path) {
  api::StringMap out;
  const api::Node* node = nodeAt(res, path);
  if (node == nullptr || node->kind != api::Node::Kind::kMap) return out;
  for (const api::MapEntry& e : node->entries) out[e.key] = std::string(e.value.text());
  return out;
}

}  // namespace meshroute::analysis::istio
