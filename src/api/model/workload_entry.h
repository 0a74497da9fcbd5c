// networking.istio.io WorkloadEntry and WorkloadGroup: the typed model of their specs.
// WorkloadEntry is also the element type of ServiceEntry.endpoints and WorkloadGroup.template.
#pragma once

#include "api/model/common.h"

namespace meshroute::api {

struct WorkloadEntry : Message {
  std::string address;
  std::map<std::string, uint32_t> ports;
  StringMap labels;
  std::string network;
  std::string locality;
  uint32_t weight = 0;
  std::string service_account;
};
template <class V>
void describe(V& v, WorkloadEntry& m) {
  v("address", m.address);
  v("ports", m.ports);
  v("labels", m.labels);
  v("network", m.network);
  v("locality", m.locality);
  v("weight", m.weight);
  v("serviceAccount", m.service_account);
}

struct WorkloadGroupObjectMeta : Message {
  StringMap labels;
  StringMap annotations;
};
template <class V>
void describe(V& v, WorkloadGroupObjectMeta& m) {
  v("labels", m.labels);
  v("annotations", m.annotations);
}

struct HTTPHeader : Message {
  std::string name;
  std::string value;
};
template <class V>
void describe(V& v, HTTPHeader& m) {
  v("name", m.name);
  v("value", m.value);
}

struct HTTPHealthCheckConfig : Message {
  std::string path;
  uint32_t port = 0;
  std::string host;
  std::string scheme;
  std::vector<HTTPHeader> http_headers;
};
template <class V>
void describe(V& v, HTTPHealthCheckConfig& m) {
  v("path", m.path);
  v("port", m.port, {.required = true});
  v("host", m.host);
  v("scheme", m.scheme);
  v("httpHeaders", m.http_headers);
}

struct TCPHealthCheckConfig : Message {
  std::string host;
  uint32_t port = 0;
};
template <class V>
void describe(V& v, TCPHealthCheckConfig& m) {
  v("host", m.host);
  v("port", m.port, {.required = true});
}

struct ExecHealthCheckConfig : Message {
  std::vector<std::string> command;
};
template <class V>
void describe(V& v, ExecHealthCheckConfig& m) {
  v("command", m.command, {.required = true});
}

struct GrpcHealthCheckConfig : Message {
  uint32_t port = 0;
  std::string service;
};
template <class V>
void describe(V& v, GrpcHealthCheckConfig& m) {
  v("port", m.port);
  v("service", m.service);
}

struct ReadinessProbe : Message {
  int32_t initial_delay_seconds = 0;
  int32_t timeout_seconds = 0;
  int32_t period_seconds = 0;
  int32_t success_threshold = 0;
  int32_t failure_threshold = 0;
  std::optional<HTTPHealthCheckConfig> http_get;
  std::optional<TCPHealthCheckConfig> tcp_socket;
  std::optional<ExecHealthCheckConfig> exec;
  std::optional<GrpcHealthCheckConfig> grpc;
};
template <class V>
void describe(V& v, ReadinessProbe& m) {
  v("initialDelaySeconds", m.initial_delay_seconds);
  v("timeoutSeconds", m.timeout_seconds);
  v("periodSeconds", m.period_seconds);
  v("successThreshold", m.success_threshold);
  v("failureThreshold", m.failure_threshold);
  v("httpGet", m.http_get, {.oneof = "healthCheckMethod"});
  v("tcpSocket", m.tcp_socket, {.oneof = "healthCheckMethod"});
  v("exec", m.exec, {.oneof = "healthCheckMethod"});
  v("grpc", m.grpc, {.oneof = "healthCheckMethod"});
}

struct WorkloadGroup : Message {
  std::optional<WorkloadGroupObjectMeta> metadata;
  std::optional<WorkloadEntry> template_;
  std::optional<ReadinessProbe> probe;
};
template <class V>
void describe(V& v, WorkloadGroup& m) {
  v("metadata", m.metadata);
  v("template", m.template_, {.required = true});
  v("probe", m.probe);
}

}  // namespace meshroute::api
