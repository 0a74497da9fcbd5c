// The analysis framework: a read-only store of every loaded resource, the mesh config, and the
// analyzers that read them and report findings. Pure: no I/O, no clocks except the one a
// caller injects (certificate expiry).
//
//   analysis::Input in = ...;                      // resources + mesh config
//   analysis::Store store(in.resources);
//   analysis::Result r = analysis::analyze(store, in.mesh, {});
//   for (const Finding& f : r.findings) ...
//
// An analyzer is a function over a Context; it reports through Context::report, naming the
// resource and the field (a YAML path such as "spec.http[0].route[1].destination.host"); the
// context turns the path into a line number.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "analysis/messages.h"
#include "api/node.h"
#include "api/resource.h"

namespace meshroute::analysis {

struct KindRef {
  std::string_view group;  // "" for core Kubernetes kinds
  std::string_view kind;
};

namespace kinds {
inline constexpr KindRef kVirtualService{"networking.istio.io", "VirtualService"};
inline constexpr KindRef kDestinationRule{"networking.istio.io", "DestinationRule"};
inline constexpr KindRef kGateway{"networking.istio.io", "Gateway"};
inline constexpr KindRef kServiceEntry{"networking.istio.io", "ServiceEntry"};
inline constexpr KindRef kSidecar{"networking.istio.io", "Sidecar"};
inline constexpr KindRef kWorkloadEntry{"networking.istio.io", "WorkloadEntry"};
inline constexpr KindRef kWorkloadGroup{"networking.istio.io", "WorkloadGroup"};
inline constexpr KindRef kEnvoyFilter{"networking.istio.io", "EnvoyFilter"};
inline constexpr KindRef kRequestAuthentication{"security.istio.io", "RequestAuthentication"};
inline constexpr KindRef kKubeGateway{"gateway.networking.k8s.io", "Gateway"};
inline constexpr KindRef kService{"", "Service"};
inline constexpr KindRef kPod{"", "Pod"};
inline constexpr KindRef kNamespace{"", "Namespace"};
inline constexpr KindRef kNode{"", "Node"};
inline constexpr KindRef kSecret{"", "Secret"};
inline constexpr KindRef kConfigMap{"", "ConfigMap"};
inline constexpr KindRef kDeployment{"apps", "Deployment"};
}  // namespace kinds

// Every resource, indexed by kind and by namespace/name. Resources must outlive the store.
class Store {
 public:
  explicit Store(const std::vector<api::Resource>& resources);

  // In load order.
  [[nodiscard]] const std::vector<const api::Resource*>& all(KindRef kind) const;
  [[nodiscard]] const api::Resource* find(KindRef kind, std::string_view ns,
                                          std::string_view name) const;
  [[nodiscard]] size_t size() const { return size_; }

 private:
  static std::string key(KindRef kind) {
    return std::string(kind.group) + "/" + std::string(kind.kind);
  }
  std::map<std::string, std::vector<const api::Resource*>, std::less<>> by_kind_;
  std::unordered_map<std::string, const api::Resource*> by_name_;  // "group/kind/ns/name"
  size_t size_ = 0;
};

// The MeshConfig the analyzers see: the document given with --mesh-config merged over Istio's
// defaults for the fields analyzers read.
struct MeshSettings {
  api::Node config;  // the partial MeshConfig as written (a map, or null)
  std::string root_namespace = "istio-system";
  std::string istio_namespace = "istio-system";
  std::string cluster_domain = "cluster.local";
  bool ingress_controller_off = false;  // ingressControllerMode: OFF
  // The value at a dotted path ("defaultConfig.proxyMetadata.ISTIO_META_DNS_CAPTURE"), or "".
  [[nodiscard]] std::string_view value(std::string_view path) const;
  // Builds settings from a MeshConfig document (null: defaults).
  static MeshSettings from(api::Node config);
};

struct Finding {
  const MessageType* type = nullptr;
  std::string message;  // the formatted template
  const api::Resource* resource = nullptr;
  std::string field;  // YAML path of the offending field; "" for the whole resource
  core::Mark mark;    // the field's position (the resource's when unknown)
  std::string analyzer;

  // "Kind ns/name", or "Kind name" without a namespace (Istio's Origin.FriendlyName).
  [[nodiscard]] std::string origin() const;
  // "file:line" ("" when there is no resource or file).
  [[nodiscard]] std::string reference() const;
  // istioctl's text line: "Error [IST0101] (VirtualService default/reviews f.yaml:12) ...".
  [[nodiscard]] std::string text() const;
};

std::string friendlyName(const api::Resource& res);

// The position of the value at `path` in the resource's document ("spec.hosts[1]",
// "metadata.labels[app]"); the deepest existing prefix's position when the path goes further
// than the document does; the resource start without a raw tree.
core::Mark markAt(const api::Resource& res, std::string_view path);
// The value at `path` in the resource's raw document, or nullptr.
const api::Node* nodeAt(const api::Resource& res, std::string_view path);

class Context {
 public:
  Context(const Store& store, const MeshSettings& mesh, std::chrono::system_clock::time_point now,
          std::vector<Finding>& out)
      : store_(store), mesh_(mesh), now_(now), out_(out) {}

  [[nodiscard]] const Store& store() const { return store_; }
  [[nodiscard]] const MeshSettings& mesh() const { return mesh_; }
  // The wall clock for time-dependent checks (certificate expiry), injected for tests.
  [[nodiscard]] std::chrono::system_clock::time_point now() const { return now_; }

  void setAnalyzer(std::string_view name) { analyzer_ = name; }

  void report(const MessageType& type, const api::Resource& res, std::string_view field,
              std::vector<Arg> args);

 private:
  const Store& store_;
  const MeshSettings& mesh_;
  std::chrono::system_clock::time_point now_;
  std::vector<Finding>& out_;
  std::string analyzer_;
};

struct Analyzer {
  std::string_view name;         // istioctl's name ("virtualservice.GatewayAnalyzer")
  std::string_view description;  // one line: what it checks
  void (*run)(Context& ctx);
};

// Every analyzer, Istio's first (in istioctl's order), then meshroute's.
const std::vector<Analyzer>& allAnalyzers();

struct Suppression {
  std::string code;
  std::string resource;  // glob over "Kind ns/name"; '*' matches any run of characters
};

struct Options {
  std::vector<std::string> analyzers;  // names to run; empty: all
  std::vector<Suppression> suppressions;
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
};

struct Result {
  std::vector<Finding> findings;  // sorted as istioctl sorts, exact duplicates removed
  std::vector<std::string> executed;
};

Result analyze(const Store& store, const MeshSettings& mesh, const Options& options);

// Glob as istioctl's suppressions use it.
bool globMatch(std::string_view pattern, std::string_view text);

}  // namespace meshroute::analysis
