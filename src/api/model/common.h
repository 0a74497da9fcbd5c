// Model types shared by several Istio kinds (istio.io/api networking/v1alpha3 and type/v1beta1),
// plus Kubernetes ObjectMeta. See message.h for how a model type is written.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/message.h"

namespace meshroute::api {

using StringMap = std::map<std::string, std::string>;

struct ObjectMeta : Message {
  // Kubernetes owns this schema; meshroute reads a few fields and accepts the rest.
  static constexpr bool kOpenSchema = true;
  std::string name;
  std::string generate_name;
  std::string namespace_;
  StringMap labels;
  StringMap annotations;
  std::string resource_version;
  std::string creation_timestamp;
  int64_t generation = 0;
};
template <class V>
void describe(V& v, ObjectMeta& m) {
  v("name", m.name);
  v("generateName", m.generate_name);
  v("namespace", m.namespace_);
  v("labels", m.labels);
  v("annotations", m.annotations);
  v("resourceVersion", m.resource_version);
  v("creationTimestamp", m.creation_timestamp);
  v("generation", m.generation);
}

// istio.type.v1beta1.WorkloadSelector (DestinationRule, Sidecar).
struct WorkloadSelector : Message {
  StringMap match_labels;
};
template <class V>
void describe(V& v, WorkloadSelector& m) {
  v("matchLabels", m.match_labels);
}

// networking.PortSelector.
struct PortSelector : Message {
  uint32_t number = 0;
};
template <class V>
void describe(V& v, PortSelector& m) {
  v("number", m.number);
}

// networking.Destination (VirtualService routes, mirrors, Sidecar egressProxy).
struct Destination : Message {
  std::string host;
  std::string subset;
  std::optional<PortSelector> port;
};
template <class V>
void describe(V& v, Destination& m) {
  v("host", m.host, {.required = true});
  v("subset", m.subset);
  v("port", m.port);
}

// networking.ConnectionPoolSettings (DestinationRule traffic policies, Sidecar ingress).
struct TcpKeepalive : Message {
  uint32_t probes = 0;
  std::optional<Duration> time;
  std::optional<Duration> interval;
};
template <class V>
void describe(V& v, TcpKeepalive& m) {
  v("probes", m.probes);
  v("time", m.time);
  v("interval", m.interval);
}

struct TcpSettings : Message {
  int32_t max_connections = 0;
  std::optional<Duration> connect_timeout;
  std::optional<TcpKeepalive> tcp_keepalive;
  std::optional<Duration> max_connection_duration;
  std::optional<Duration> idle_timeout;
};
template <class V>
void describe(V& v, TcpSettings& m) {
  v("maxConnections", m.max_connections);
  v("connectTimeout", m.connect_timeout);
  v("tcpKeepalive", m.tcp_keepalive);
  v("maxConnectionDuration", m.max_connection_duration);
  v("idleTimeout", m.idle_timeout);
}

struct Http2KeepAlive : Message {
  std::optional<Duration> interval;
  std::optional<Duration> timeout;
};
template <class V>
void describe(V& v, Http2KeepAlive& m) {
  v("interval", m.interval);
  v("timeout", m.timeout);
}

inline constexpr EnumValue kH2UpgradePolicyValues[] = {
    {"DEFAULT", 0}, {"DO_NOT_UPGRADE", 1}, {"UPGRADE", 2}};
inline constexpr EnumTable kH2UpgradePolicy{kH2UpgradePolicyValues};

struct HttpSettings : Message {
  int32_t http1_max_pending_requests = 0;
  int32_t http2_max_requests = 0;
  int32_t max_requests_per_connection = 0;
  int32_t max_retries = 0;
  std::optional<Duration> idle_timeout;
  std::string h2_upgrade_policy;
  bool use_client_protocol = false;
  int32_t max_concurrent_streams = 0;
  std::optional<Http2KeepAlive> http2_keep_alive;
};
template <class V>
void describe(V& v, HttpSettings& m) {
  v("http1MaxPendingRequests", m.http1_max_pending_requests);
  v("http2MaxRequests", m.http2_max_requests);
  v("maxRequestsPerConnection", m.max_requests_per_connection);
  v("maxRetries", m.max_retries);
  v("idleTimeout", m.idle_timeout);
  v("h2UpgradePolicy", m.h2_upgrade_policy, {.enums = &kH2UpgradePolicy});
  v("useClientProtocol", m.use_client_protocol);
  v("maxConcurrentStreams", m.max_concurrent_streams);
  v("http2KeepAlive", m.http2_keep_alive);
}

struct ConnectionPoolSettings : Message {
  std::optional<TcpSettings> tcp;
  std::optional<HttpSettings> http;
};
template <class V>
void describe(V& v, ConnectionPoolSettings& m) {
  v("tcp", m.tcp);
  v("http", m.http);
}

}  // namespace meshroute::api
