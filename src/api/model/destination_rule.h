// networking.istio.io DestinationRule: the typed model of its spec (every field of the CRD schema).
// Field order follows istio.io/api networking/v1alpha3/destination_rule.proto.
#pragma once

#include "api/model/common.h"

namespace meshroute::api {

// --- Load balancing ---

inline constexpr EnumValue kSimpleLBValues[] = {{"UNSPECIFIED", 0}, {"LEAST_CONN", 1},
                                                {"RANDOM", 2},      {"PASSTHROUGH", 3},
                                                {"ROUND_ROBIN", 4}, {"LEAST_REQUEST", 5}};
inline constexpr EnumTable kSimpleLB{kSimpleLBValues};

struct RingHash : Message {
  uint64_t minimum_ring_size = 0;
};
template <class V>
void describe(V& v, RingHash& m) {
  v("minimumRingSize", m.minimum_ring_size);
}

struct MagLev : Message {
  uint64_t table_size = 0;
};
template <class V>
void describe(V& v, MagLev& m) {
  v("tableSize", m.table_size);
}

struct HTTPCookieAttribute : Message {
  std::string name;
  std::string value;
};
template <class V>
void describe(V& v, HTTPCookieAttribute& m) {
  v("name", m.name, {.required = true});
  v("value", m.value);
}

struct HTTPCookie : Message {
  std::string name;
  std::string path;
  std::optional<Duration> ttl;
  std::vector<HTTPCookieAttribute> attributes;
};
template <class V>
void describe(V& v, HTTPCookie& m) {
  v("name", m.name, {.required = true});
  v("path", m.path);
  v("ttl", m.ttl);
  v("attributes", m.attributes);
}

struct ConsistentHashLB : Message {
  // oneof hash_key
  std::optional<std::string> http_header_name;
  std::optional<HTTPCookie> http_cookie;
  std::optional<bool> use_source_ip;
  std::optional<std::string> http_query_parameter_name;
  // oneof hash_algorithm
  std::optional<RingHash> ring_hash;
  std::optional<MagLev> maglev;
  uint64_t minimum_ring_size = 0;  // deprecated in favour of ringHash
};
template <class V>
void describe(V& v, ConsistentHashLB& m) {
  v("httpHeaderName", m.http_header_name, {.oneof = "hashKey"});
  v("httpCookie", m.http_cookie, {.oneof = "hashKey"});
  v("useSourceIp", m.use_source_ip, {.oneof = "hashKey"});
  v("httpQueryParameterName", m.http_query_parameter_name, {.oneof = "hashKey"});
  v("ringHash", m.ring_hash, {.oneof = "hashAlgorithm"});
  v("maglev", m.maglev, {.oneof = "hashAlgorithm"});
  v("minimumRingSize", m.minimum_ring_size);
}

struct LocalityDistribute : Message {
  std::string from;
  std::map<std::string, uint32_t> to;
};
template <class V>
void describe(V& v, LocalityDistribute& m) {
  v("from", m.from);
  v("to", m.to);
}

struct LocalityFailover : Message {
  std::string from;
  std::string to;
};
template <class V>
void describe(V& v, LocalityFailover& m) {
  v("from", m.from);
  v("to", m.to);
}

struct LocalityLoadBalancerSetting : Message {
  std::vector<LocalityDistribute> distribute;
  std::vector<LocalityFailover> failover;
  std::vector<std::string> failover_priority;
  std::optional<bool> enabled;  // google.protobuf.BoolValue
};
template <class V>
void describe(V& v, LocalityLoadBalancerSetting& m) {
  v("distribute", m.distribute);
  v("failover", m.failover);
  v("failoverPriority", m.failover_priority);
  v("enabled", m.enabled);
}

struct ZoneAwareLoadBalancerSetting : Message {
  std::optional<bool> enabled;  // google.protobuf.BoolValue
  std::vector<LocalityFailover> failover;
  std::vector<std::string> failover_priority;
  std::optional<uint64_t> min_cluster_size;  // google.protobuf.UInt64Value
};
template <class V>
void describe(V& v, ZoneAwareLoadBalancerSetting& m) {
  v("enabled", m.enabled);
  v("failover", m.failover);
  v("failoverPriority", m.failover_priority);
  v("minClusterSize", m.min_cluster_size);
}

struct WarmupConfiguration : Message {
  std::optional<Duration> duration;
  std::optional<double> minimum_percent;  // google.protobuf.DoubleValue
  std::optional<double> aggression;       // google.protobuf.DoubleValue
};
template <class V>
void describe(V& v, WarmupConfiguration& m) {
  v("duration", m.duration, {.required = true});
  v("minimumPercent", m.minimum_percent);
  v("aggression", m.aggression);
}

struct LoadBalancerSettings : Message {
  // oneof lb_policy
  std::optional<std::string> simple;
  std::optional<ConsistentHashLB> consistent_hash;
  std::optional<LocalityLoadBalancerSetting> locality_lb_setting;
  std::optional<ZoneAwareLoadBalancerSetting> zone_aware_lb_setting;
  std::optional<Duration> warmup_duration_secs;
  std::optional<WarmupConfiguration> warmup;
};
template <class V>
void describe(V& v, LoadBalancerSettings& m) {
  v("simple", m.simple, {.enums = &kSimpleLB, .oneof = "lbPolicy"});
  v("consistentHash", m.consistent_hash, {.oneof = "lbPolicy"});
  v("localityLbSetting", m.locality_lb_setting);
  v("zoneAwareLbSetting", m.zone_aware_lb_setting);
  v("warmupDurationSecs", m.warmup_duration_secs);
  v("warmup", m.warmup);
}

// --- Outlier detection ---

struct OutlierDetection : Message {
  int32_t consecutive_errors = 0;  // deprecated
  bool split_external_local_origin_errors = false;
  std::optional<uint32_t> consecutive_local_origin_failures;  // google.protobuf.UInt32Value
  std::optional<uint32_t> consecutive_gateway_errors;         // google.protobuf.UInt32Value
  std::optional<uint32_t> consecutive_5xx_errors;             // google.protobuf.UInt32Value
  std::optional<Duration> interval;
  std::optional<Duration> base_ejection_time;
  int32_t max_ejection_percent = 0;
  int32_t min_health_percent = 0;
  std::vector<uint32_t> outlier_detection_http_error_codes;
};
template <class V>
void describe(V& v, OutlierDetection& m) {
  v("consecutiveErrors", m.consecutive_errors);
  v("splitExternalLocalOriginErrors", m.split_external_local_origin_errors);
  v("consecutiveLocalOriginFailures", m.consecutive_local_origin_failures);
  v("consecutiveGatewayErrors", m.consecutive_gateway_errors);
  v("consecutive5xxErrors", m.consecutive_5xx_errors);
  v("interval", m.interval);
  v("baseEjectionTime", m.base_ejection_time);
  v("maxEjectionPercent", m.max_ejection_percent);
  v("minHealthPercent", m.min_health_percent);
  v("outlierDetectionHttpErrorCodes", m.outlier_detection_http_error_codes);
}

// --- Client TLS ---

inline constexpr EnumValue kClientTLSModeValues[] = {
    {"DISABLE", 0}, {"SIMPLE", 1}, {"MUTUAL", 2}, {"ISTIO_MUTUAL", 3}};
inline constexpr EnumTable kClientTLSMode{kClientTLSModeValues};

struct ClientTLSSettings : Message {
  std::string mode;
  std::string client_certificate;
  std::string private_key;
  std::string ca_certificates;
  std::string credential_name;
  std::vector<std::string> subject_alt_names;
  std::string sni;
  std::optional<bool> insecure_skip_verify;  // google.protobuf.BoolValue
  std::string ca_crl;
};
template <class V>
void describe(V& v, ClientTLSSettings& m) {
  v("mode", m.mode, {.enums = &kClientTLSMode});
  v("clientCertificate", m.client_certificate);
  v("privateKey", m.private_key);
  v("caCertificates", m.ca_certificates);
  v("credentialName", m.credential_name);
  v("subjectAltNames", m.subject_alt_names);
  v("sni", m.sni);
  v("insecureSkipVerify", m.insecure_skip_verify);
  v("caCrl", m.ca_crl);
}

// --- Traffic policy ---

struct PortTrafficPolicy : Message {
  std::optional<PortSelector> port;
  std::optional<LoadBalancerSettings> load_balancer;
  std::optional<ConnectionPoolSettings> connection_pool;
  std::optional<OutlierDetection> outlier_detection;
  std::optional<ClientTLSSettings> tls;
};
template <class V>
void describe(V& v, PortTrafficPolicy& m) {
  v("port", m.port);
  v("loadBalancer", m.load_balancer);
  v("connectionPool", m.connection_pool);
  v("outlierDetection", m.outlier_detection);
  v("tls", m.tls);
}

struct TunnelSettings : Message {
  std::string protocol;
  std::string target_host;
  uint32_t target_port = 0;
};
template <class V>
void describe(V& v, TunnelSettings& m) {
  v("protocol", m.protocol);
  v("targetHost", m.target_host, {.required = true});
  v("targetPort", m.target_port, {.required = true});
}

inline constexpr EnumValue kProxyProtocolVersionValues[] = {{"V1", 0}, {"V2", 1}};
inline constexpr EnumTable kProxyProtocolVersion{kProxyProtocolVersionValues};

struct ProxyProtocol : Message {
  std::string version;
};
template <class V>
void describe(V& v, ProxyProtocol& m) {
  v("version", m.version, {.enums = &kProxyProtocolVersion});
}

struct RetryBudget : Message {
  std::optional<double> percent;  // google.protobuf.DoubleValue
  uint32_t min_retry_concurrency = 0;
  std::optional<Duration> budget_interval;
};
template <class V>
void describe(V& v, RetryBudget& m) {
  v("percent", m.percent);
  v("minRetryConcurrency", m.min_retry_concurrency);
  v("budgetInterval", m.budget_interval);
}

struct TrafficPolicy : Message {
  std::optional<LoadBalancerSettings> load_balancer;
  std::optional<ConnectionPoolSettings> connection_pool;
  std::optional<OutlierDetection> outlier_detection;
  std::optional<ClientTLSSettings> tls;
  std::vector<PortTrafficPolicy> port_level_settings;
  std::optional<TunnelSettings> tunnel;
  std::optional<ProxyProtocol> proxy_protocol;
  std::optional<RetryBudget> retry_budget;
};
template <class V>
void describe(V& v, TrafficPolicy& m) {
  v("loadBalancer", m.load_balancer);
  v("connectionPool", m.connection_pool);
  v("outlierDetection", m.outlier_detection);
  v("tls", m.tls);
  v("portLevelSettings", m.port_level_settings);
  v("tunnel", m.tunnel);
  v("proxyProtocol", m.proxy_protocol);
  v("retryBudget", m.retry_budget);
}

// --- DestinationRule ---

struct Subset : Message {
  std::string name;
  StringMap labels;
  std::optional<TrafficPolicy> traffic_policy;
};
template <class V>
void describe(V& v, Subset& m) {
  v("name", m.name, {.required = true});
  v("labels", m.labels);
  v("trafficPolicy", m.traffic_policy);
}

struct DestinationRule : Message {
  std::string host;
  std::optional<TrafficPolicy> traffic_policy;
  std::vector<Subset> subsets;
  std::vector<std::string> export_to;
  std::optional<WorkloadSelector> workload_selector;
};
template <class V>
void describe(V& v, DestinationRule& m) {
  v("host", m.host, {.required = true});
  v("trafficPolicy", m.traffic_policy);
  v("subsets", m.subsets);
  v("exportTo", m.export_to);
  v("workloadSelector", m.workload_selector);
}

}  // namespace meshroute::api
