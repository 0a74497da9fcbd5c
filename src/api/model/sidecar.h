// networking.istio.io Sidecar: the typed model of its spec (every field of the CRD schema).
#pragma once

#include "api/model/common.h"
#include "api/model/gateway.h"

namespace meshroute::api {

// networking.WorkloadSelector: unlike the istio.type one in common.h, its map is `labels`.
struct SidecarWorkloadSelector : Message {
  StringMap labels;
};
template <class V>
void describe(V& v, SidecarWorkloadSelector& m) {
  v("labels", m.labels);
}

// networking.SidecarPort.
struct SidecarPort : Message {
  uint32_t number = 0;
  std::string protocol;
  std::string name;
  uint32_t target_port = 0;  // deprecated; Istio rejects it on sidecars
};
template <class V>
void describe(V& v, SidecarPort& m) {
  v("number", m.number);
  v("protocol", m.protocol);
  v("name", m.name);
  v("targetPort", m.target_port);
}

inline constexpr EnumValue kCaptureModeValues[] = {{"DEFAULT", 0}, {"IPTABLES", 1}, {"NONE", 2}};
inline constexpr EnumTable kCaptureMode{kCaptureModeValues};

// networking.IstioIngressListener.
struct IstioIngressListener : Message {
  std::optional<SidecarPort> port;
  std::string bind;
  std::string capture_mode;
  std::string default_endpoint;
  std::optional<ServerTLSSettings> tls;
  std::optional<ConnectionPoolSettings> connection_pool;
};
template <class V>
void describe(V& v, IstioIngressListener& m) {
  v("port", m.port, {.required = true});
  v("bind", m.bind);
  v("captureMode", m.capture_mode, {.enums = &kCaptureMode});
  v("defaultEndpoint", m.default_endpoint);
  v("tls", m.tls);
  v("connectionPool", m.connection_pool);
}

// networking.IstioEgressListener.
struct IstioEgressListener : Message {
  std::optional<SidecarPort> port;
  std::string bind;
  std::string capture_mode;
  std::vector<std::string> hosts;
};
template <class V>
void describe(V& v, IstioEgressListener& m) {
  v("port", m.port);
  v("bind", m.bind);
  v("captureMode", m.capture_mode, {.enums = &kCaptureMode});
  v("hosts", m.hosts, {.required = true});
}

inline constexpr EnumValue kOutboundTrafficPolicyModeValues[] = {{"REGISTRY_ONLY", 0},
                                                                 {"ALLOW_ANY", 1}};
inline constexpr EnumTable kOutboundTrafficPolicyMode{kOutboundTrafficPolicyModeValues};

// networking.OutboundTrafficPolicy.
struct OutboundTrafficPolicy : Message {
  std::string mode;
  std::optional<Destination> egress_proxy;
};
template <class V>
void describe(V& v, OutboundTrafficPolicy& m) {
  v("mode", m.mode, {.enums = &kOutboundTrafficPolicyMode});
  v("egressProxy", m.egress_proxy);
}

struct Sidecar : Message {
  std::optional<SidecarWorkloadSelector> workload_selector;
  std::vector<IstioIngressListener> ingress;
  std::vector<IstioEgressListener> egress;
  std::optional<ConnectionPoolSettings> inbound_connection_pool;
  std::optional<OutboundTrafficPolicy> outbound_traffic_policy;
};
template <class V>
void describe(V& v, Sidecar& m) {
  v("workloadSelector", m.workload_selector);
  v("ingress", m.ingress);
  v("egress", m.egress);
  v("inboundConnectionPool", m.inbound_connection_pool);
  v("outboundTrafficPolicy", m.outbound_traffic_policy);
}

}  // namespace meshroute::api
