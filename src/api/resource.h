// One Kubernetes-style object read from a file: its type, metadata, where it came from, the
// decoded spec, and the problems decoding found. Resources are values; the loader makes them.
#pragma once

#include <memory>
#include <string>
#include <type_traits>
#include <variant>

#include "api/model/common.h"
#include "api/model/destination_rule.h"
#include "api/model/gateway.h"
#include "api/model/kubernetes.h"
#include "api/model/service_entry.h"
#include "api/model/sidecar.h"
#include "api/model/virtual_service.h"
#include "api/model/workload_entry.h"
#include "core/diagnostic.h"

namespace meshroute::api {

// Kubernetes objects, decoded from the document root (their interesting fields are not all
// under spec).
struct K8sNamespace : Message {
  static constexpr bool kOpenSchema = true;
};
template <class V>
void describe(V&, K8sNamespace&) {}

// A Node: its topology labels give the locality of the Pods scheduled on it.
struct K8sNode : Message {
  static constexpr bool kOpenSchema = true;
};
template <class V>
void describe(V&, K8sNode&) {}

struct K8sService : Message {
  static constexpr bool kOpenSchema = true;
  ServiceSpec spec;
};
template <class V>
void describe(V& v, K8sService& m) {
  v("spec", m.spec);
}

struct K8sPod : Message {
  static constexpr bool kOpenSchema = true;
  PodSpec spec;
  PodStatus status;
};
template <class V>
void describe(V& v, K8sPod& m) {
  v("spec", m.spec);
  v("status", m.status);
}

struct K8sDeployment : Message {
  static constexpr bool kOpenSchema = true;
  DeploymentSpec spec;
};
template <class V>
void describe(V& v, K8sDeployment& m) {
  v("spec", m.spec);
}

struct K8sEndpoints : Message {
  static constexpr bool kOpenSchema = true;
  std::vector<EndpointSubset> subsets;
};
template <class V>
void describe(V& v, K8sEndpoints& m) {
  v("subsets", m.subsets);
}

struct K8sEndpointSlice : Message {
  static constexpr bool kOpenSchema = true;
  std::string address_type;
  std::vector<SliceEndpoint> endpoints;
  std::vector<EndpointPort> ports;
};
template <class V>
void describe(V& v, K8sEndpointSlice& m) {
  v("addressType", m.address_type);
  v("endpoints", m.endpoints);
  v("ports", m.ports);
}

// A spec on the heap, copied deeply. Held inline, every resource would be as large as the
// largest kind (a DestinationRule's spec, with its traffic policies, is over 2 KB; most are a
// tenth of that), and 10,000 resources would carry 20 MB of padding.
template <class T>
class SpecBox {
 public:
  SpecBox() : p_(std::make_unique<T>()) {}
  SpecBox(const SpecBox& o) : p_(o.p_ ? std::make_unique<T>(*o.p_) : nullptr) {}
  SpecBox(SpecBox&&) noexcept = default;
  SpecBox& operator=(const SpecBox& o) {
    if (this != &o) p_ = o.p_ ? std::make_unique<T>(*o.p_) : nullptr;
    return *this;
  }
  SpecBox& operator=(SpecBox&&) noexcept = default;
  ~SpecBox() = default;
  [[nodiscard]] T* get() const { return p_.get(); }  // null only when moved from

 private:
  std::unique_ptr<T> p_;
};

using Spec = std::variant<std::monostate, SpecBox<VirtualService>, SpecBox<DestinationRule>,
                          SpecBox<Gateway>, SpecBox<ServiceEntry>, SpecBox<Sidecar>,
                          SpecBox<WorkloadEntry>, SpecBox<WorkloadGroup>, SpecBox<K8sNamespace>,
                          SpecBox<K8sService>, SpecBox<K8sPod>, SpecBox<K8sDeployment>,
                          SpecBox<K8sEndpoints>, SpecBox<K8sEndpointSlice>, SpecBox<K8sNode>>;

struct Resource {
  std::string api_version;  // as written, e.g. "networking.istio.io/v1beta1"
  std::string group;        // "networking.istio.io", "" for core Kubernetes kinds
  std::string version;      // "v1beta1"
  std::string kind;         // "VirtualService"
  ObjectMeta meta;          // meta.namespace_ is "default" when the document names none
  std::string file;
  Mark mark;  // where the document starts
  Spec spec;
  core::Diagnostics decode_diagnostics;  // schema problems: types, unknown fields, enums
  // The whole document as read, kept only when LoadOptions::keep_raw is set: analyzers read
  // kinds meshroute does not model (Secret, Node, Gateway API objects) and field positions
  // from it.
  std::shared_ptr<const Node> raw;

  template <class T>
  [[nodiscard]] const T* as() const {
    const auto* box = std::get_if<SpecBox<T>>(&spec);
    return box != nullptr ? box->get() : nullptr;
  }
  // Replaces the spec with a default T and returns it.
  template <class T>
  T& emplaceSpec() {
    return *spec.emplace<SpecBox<T>>().get();
  }
  // f(const T&) for the spec's kind, f(std::monostate) when there is none.
  template <class F>
  decltype(auto) visitSpec(F&& f) const {
    return std::visit(
        [&](const auto& s) -> decltype(auto) {
          if constexpr (std::is_same_v<std::decay_t<decltype(s)>, std::monostate>) {
            return f(s);
          } else {
            return f(*s.get());
          }
        },
        spec);
  }
  [[nodiscard]] bool isIstio() const { return group == "networking.istio.io"; }
};

}  // namespace meshroute::api
