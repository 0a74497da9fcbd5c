// The Kubernetes kinds meshroute reads beside Istio's: only the fields that matter for Istio's
// service registry and label checks. Their schemas are open: other fields are accepted unread.
#pragma once

#include "api/model/common.h"

namespace meshroute::api {

struct LabelSelector : Message {
  static constexpr bool kOpenSchema = true;
  StringMap match_labels;
};
template <class V>
void describe(V& v, LabelSelector& m) {
  v("matchLabels", m.match_labels);
}

struct NamespaceSpec : Message {
  static constexpr bool kOpenSchema = true;
};
template <class V>
void describe(V&, NamespaceSpec&) {}

struct K8sServicePort : Message {
  static constexpr bool kOpenSchema = true;
  std::string name;
  std::string protocol;
  std::string app_protocol;
  int32_t port = 0;
  std::optional<IntOrString> target_port;
  int32_t node_port = 0;
};
template <class V>
void describe(V& v, K8sServicePort& m) {
  v("name", m.name);
  v("protocol", m.protocol);
  v("appProtocol", m.app_protocol);
  v("port", m.port);
  v("targetPort", m.target_port);
  v("nodePort", m.node_port);
}

struct ServiceSpec : Message {
  static constexpr bool kOpenSchema = true;
  std::string type;
  StringMap selector;
  std::vector<K8sServicePort> ports;
  std::string cluster_ip;
  std::vector<std::string> cluster_ips;
  std::string external_name;
};
template <class V>
void describe(V& v, ServiceSpec& m) {
  v("type", m.type);
  v("selector", m.selector);
  v("ports", m.ports);
  v("clusterIP", m.cluster_ip);
  v("clusterIPs", m.cluster_ips);
  v("externalName", m.external_name);
}

struct ContainerPort : Message {
  static constexpr bool kOpenSchema = true;
  std::string name;
  int32_t container_port = 0;
  std::string protocol;
};
template <class V>
void describe(V& v, ContainerPort& m) {
  v("name", m.name);
  v("containerPort", m.container_port);
  v("protocol", m.protocol);
}

struct Container : Message {
  static constexpr bool kOpenSchema = true;
  std::string name;
  std::string image;
  std::vector<ContainerPort> ports;
};
template <class V>
void describe(V& v, Container& m) {
  v("name", m.name);
  v("image", m.image);
  v("ports", m.ports);
}

struct PodSpec : Message {
  static constexpr bool kOpenSchema = true;
  std::vector<Container> containers;
  std::string service_account_name;
  std::string node_name;
};
template <class V>
void describe(V& v, PodSpec& m) {
  v("containers", m.containers);
  v("serviceAccountName", m.service_account_name);
  v("nodeName", m.node_name);
}

struct PodStatus : Message {
  static constexpr bool kOpenSchema = true;
  std::string pod_ip;
  std::string phase;
};
template <class V>
void describe(V& v, PodStatus& m) {
  v("podIP", m.pod_ip);
  v("phase", m.phase);
}

struct PodTemplate : Message {
  static constexpr bool kOpenSchema = true;
  ObjectMeta metadata;
  PodSpec spec;
};
template <class V>
void describe(V& v, PodTemplate& m) {
  v("metadata", m.metadata);
  v("spec", m.spec);
}

struct DeploymentSpec : Message {
  static constexpr bool kOpenSchema = true;
  int32_t replicas = 1;
  std::optional<LabelSelector> selector;
  PodTemplate template_;
};
template <class V>
void describe(V& v, DeploymentSpec& m) {
  v("replicas", m.replicas);
  v("selector", m.selector);
  v("template", m.template_);
}

struct EndpointAddress : Message {
  static constexpr bool kOpenSchema = true;
  std::string ip;
  std::string hostname;
};
template <class V>
void describe(V& v, EndpointAddress& m) {
  v("ip", m.ip);
  v("hostname", m.hostname);
}

struct EndpointPort : Message {
  static constexpr bool kOpenSchema = true;
  std::string name;
  int32_t port = 0;
  std::string protocol;
  std::string app_protocol;
};
template <class V>
void describe(V& v, EndpointPort& m) {
  v("name", m.name);
  v("port", m.port);
  v("protocol", m.protocol);
  v("appProtocol", m.app_protocol);
}

struct EndpointSubset : Message {
  static constexpr bool kOpenSchema = true;
  std::vector<EndpointAddress> addresses;
  std::vector<EndpointAddress> not_ready_addresses;
  std::vector<EndpointPort> ports;
};
template <class V>
void describe(V& v, EndpointSubset& m) {
  v("addresses", m.addresses);
  v("notReadyAddresses", m.not_ready_addresses);
  v("ports", m.ports);
}

struct EndpointConditions : Message {
  static constexpr bool kOpenSchema = true;
  std::optional<bool> ready;
};
template <class V>
void describe(V& v, EndpointConditions& m) {
  v("ready", m.ready);
}

struct SliceEndpoint : Message {
  static constexpr bool kOpenSchema = true;
  std::vector<std::string> addresses;
  std::optional<EndpointConditions> conditions;
  std::string zone;
  std::string node_name;
};
template <class V>
void describe(V& v, SliceEndpoint& m) {
  v("addresses", m.addresses);
  v("conditions", m.conditions);
  v("zone", m.zone);
  v("nodeName", m.node_name);
}

}  // namespace meshroute::api
