// Test helpers for the routing snapshot: config from inline YAML, requests from short forms.
//
//   auto snap = snapshotFrom(kServices + vs("reviews", "  hosts: [reviews]\n..."));
//   Decision d = snap->decide(sidecar("default"), get("http://reviews:9080/api"));
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/loader.h"
#include "routing/snapshot.h"

namespace meshroute::routing::testing {

inline std::shared_ptr<const Snapshot> snapshotFrom(std::string_view yaml,
                                                    const MeshConfig& mesh = {},
                                                    core::Diagnostics* diags_out = nullptr) {
  api::LoadResult loaded;
  api::loadText(yaml, "test.yaml", loaded);
  for (const auto& d : loaded.diagnostics.items()) {
    EXPECT_NE(d.level, core::Level::kError) << d.message;
  }
  core::Diagnostics diags;
  auto snap = Snapshot::build(std::move(loaded.resources), mesh, diags);
  if (diags_out != nullptr) *diags_out = diags;
  return snap;
}

// A document of `kind` (networking.istio.io unless `api_version` says otherwise); `spec` is the
// YAML under "spec:", indented by two spaces.
inline std::string doc(const std::string& kind, const std::string& name, const std::string& ns,
                       const std::string& spec, const std::string& extra_meta = "",
                       const std::string& api_version = "networking.istio.io/v1") {
  return "---\napiVersion: " + api_version + "\nkind: " + kind + "\nmetadata:\n  name: " + name +
         "\n  namespace: " + ns + "\n" + extra_meta + "spec:\n" + spec;
}
inline std::string vs(const std::string& name, const std::string& spec,
                      const std::string& ns = "default", const std::string& created = "") {
  const std::string meta = created.empty() ? "" : "  creationTimestamp: \"" + created + "\"\n";
  return doc("VirtualService", name, ns, spec, meta);
}

// A Kubernetes Service with one HTTP port (named http-...) and a selector app=<name>.
inline std::string k8sService(const std::string& name, const std::string& ns, uint32_t port,
                              const std::string& port_name = "http",
                              const std::string& cluster_ip = "") {
  std::string spec = "  selector:\n    app: " + name + "\n  ports:\n  - name: " + port_name +
                     "\n    port: " + std::to_string(port) + "\n";
  if (!cluster_ip.empty()) spec += "  clusterIP: " + cluster_ip + "\n";
  return doc("Service", name, ns, spec, "", "v1");
}

inline Proxy sidecar(const std::string& ns = "default", StringMap labels = {}) {
  Proxy p;
  p.ns = ns;
  p.labels = std::move(labels);
  return p;
}
inline Proxy router(const std::string& ns, StringMap labels) {
  Proxy p;
  p.type = ProxyType::kRouter;
  p.ns = ns;
  p.labels = std::move(labels);
  return p;
}

// "http://host:port/path?query" (port defaults to 80, 443 for https).
inline Request request(const std::string& method, const std::string& url,
                       std::vector<std::pair<std::string, std::string>> headers = {}) {
  Request r;
  r.method = method;
  std::string rest = url;
  if (const size_t p = rest.find("://"); p != std::string::npos) {
    r.scheme = rest.substr(0, p);
    rest = rest.substr(p + 3);
  }
  const size_t slash = rest.find('/');
  r.authority = rest.substr(0, slash);
  r.path = slash == std::string::npos ? "/" : rest.substr(slash);
  r.port = r.authorityPort();
  if (r.port == 0) r.port = r.scheme == "https" ? 443 : 80;
  r.tls = r.scheme == "https";
  r.headers = std::move(headers);
  return r;
}
inline Request get(const std::string& url,
                   std::vector<std::pair<std::string, std::string>> headers = {}) {
  return request("GET", url, std::move(headers));
}

inline std::string clusterOf(const Decision& d, size_t i = 0) {
  return i < d.destinations.size() ? d.destinations[i].resolution.cluster : "";
}

// The trace as one string per step: "ns/name[i] name: matched" or ": <reason>".
inline std::string traceText(const Decision& d) {
  std::string out;
  for (const TraceStep& t : d.trace) {
    out += t.virtual_service + "[" + std::to_string(t.route_index) + "] " + t.route_name + ": " +
           (t.matched ? "matched" : t.reason) + "\n";
  }
  return out;
}

inline bool hasNote(const Decision& d, std::string_view text) {
  for (const std::string& n : d.notes) {
    if (n.find(text) != std::string::npos) return true;
  }
  return false;
}

}  // namespace meshroute::routing::testing
