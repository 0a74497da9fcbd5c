// The service registry: every service, endpoint and workload that Istio's service discovery would
// know from the given resources. Built once per config change, immutable, pure (no I/O).
//
//   registry::Options opts;                       // cluster domain "cluster.local"
//   registry::Registry reg = registry::Registry::build(resources, opts);
//   const registry::Service* svc = reg.findService("reviews.default.svc.cluster.local");
//
// Sources, as in Istio:
// - Kubernetes Service: hostname name.ns.svc.<domain>; ports with protocols from appProtocol
//   or the port-name prefix ("http-", "grpc"...); endpoints from Endpoints/EndpointSlice
//   objects, else from Pods matching the selector, plus WorkloadEntries in the same namespace
//   matching the selector. Deployments' pod templates count as workloads (for label checks)
//   with no address.
// - ServiceEntry: one Service per host (hostname as written), its ports, addresses,
//   location, resolution; endpoints from spec.endpoints, or from WorkloadEntries/Pods in its
//   namespace selected by workloadSelector; DNS resolution without endpoints resolves the host
//   itself (the endpoint address is the hostname).
// - WorkloadEntry: a workload (address, labels, ports, locality, weight, network).
//
// Pointer stability: every Workload is built into workloads_ before any Service is made, and
// workloads_/services_ are never resized afterwards, so Endpoint::workload,
// Service::template_workloads and the api::Resource pointers stay valid for the registry's
// lifetime (moving a Registry keeps them valid too; copying is disabled because copies would
// point into the original).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "api/resource.h"

namespace meshroute::registry {

using StringMap = std::map<std::string, std::string>;

// Istio's protocol for a port: "HTTP", "HTTP2", "GRPC", "GRPC-Web", "HTTPS", "TLS", "TCP",
// "Mongo", "Redis", "MySQL", "UDP", "HTTP_PROXY", or "" when unknown (Istio then sniffs).
struct ServicePort {
  std::string name;
  uint32_t port = 0;
  std::string protocol;
  uint32_t target_port = 0;  // 0 when the same as port
  // Kubernetes `targetPort` given by name: resolved per Pod against its container port names
  // (per WorkloadEntry against its `ports` map). Empty when numeric or unset.
  std::string target_port_name;
};

enum class WorkloadKind { kPod, kDeployment, kWorkloadEntry, kServiceEntryEndpoint, kDnsHost };
std::string_view workloadKindName(WorkloadKind kind);

// A workload that could serve a service: a Pod, a Deployment's pod template, a WorkloadEntry.
struct Workload {
  WorkloadKind kind = WorkloadKind::kPod;
  std::string name;  // Pod/Deployment/WorkloadEntry name
  std::string ns;
  StringMap labels;
  std::string address;  // IP, hostname (DNS) or "" (Deployment template, Pod without IP)
  // Named ports: WorkloadEntry/ServiceEntry endpoint `ports`, or a Pod's (template's) named TCP
  // container ports (first wins, as Kubernetes does).
  std::map<std::string, uint32_t> ports;
  std::string locality;
  uint32_t weight = 0;
  std::string network;
  std::string service_account;
  int32_t replicas = 1;  // Deployments
  const api::Resource* source = nullptr;
};

// One endpoint of a service: a workload instance that serves it, with the port it listens on
// for each service port. It serves service port P only when `ports` has P (a named targetPort
// a Pod does not declare leaves that port out, as Kubernetes does).
struct Endpoint {
  std::string address;  // "" for a Pod that has no status.podIP (a manifest, not a live Pod)
  StringMap labels;
  std::string locality;
  uint32_t weight = 1;
  std::string network;
  std::map<uint32_t, uint32_t> ports;  // service port -> endpoint port
  const Workload* workload = nullptr;  // null for endpoints without a workload object
  bool healthy = true;                 // false for notReadyAddresses / ready: false
  // A DNS endpoint resolved by the proxy (upstream/dns_endpoints.h): the name `address` came
  // from. "" otherwise.
  std::string hostname;
};

// kAlias: a Kubernetes ExternalName Service (Istio's model.Alias: no cluster of its own; routes
// to it go to `Service::external_name`).
enum class Resolution { kNone, kStatic, kDns, kDnsRoundRobin, kDynamicDns, kAlias };
std::string_view resolutionName(Resolution r);

struct Service {
  std::string hostname;  // FQDN (or wildcard ServiceEntry host)
  std::string ns;        // namespace of the Service / ServiceEntry
  std::string name;      // Service or ServiceEntry name
  bool from_service_entry = false;
  bool mesh_external = false;
  Resolution resolution = Resolution::kStatic;
  std::vector<ServicePort> ports;
  std::vector<std::string> addresses;  // cluster IPs / SE addresses (CIDRs allowed)
  std::vector<std::string> export_to;  // as written; empty = mesh default (public)
  StringMap selector;                  // Service selector / SE workloadSelector labels
  std::vector<Endpoint> endpoints;
  // Deployments in the service's namespace whose pod template the selector selects: workloads
  // without an address, not endpoints, listed so that an explanation can name them ("subset v2
  // selects deployment reviews-v2 (3 replicas)").
  std::vector<const Workload*> template_workloads;
  std::string external_name;  // Kubernetes ExternalName target (resolution kAlias)
  const api::Resource* source = nullptr;

  [[nodiscard]] const ServicePort* findPort(uint32_t port) const;
};

struct Options {
  std::string cluster_domain = "cluster.local";
};

class Registry {
 public:
  Registry() = default;
  Registry(Registry&&) = default;
  Registry& operator=(Registry&&) = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // `resources` must outlive the registry (services point at their source resources).
  static Registry build(const std::vector<api::Resource>& resources, const Options& options);

  [[nodiscard]] const std::vector<Service>& services() const { return services_; }
  [[nodiscard]] const std::vector<Workload>& workloads() const { return workloads_; }
  // Exact hostname lookup. Several ServiceEntries may declare the same host in different
  // namespaces; this returns all of them, Kubernetes services first.
  [[nodiscard]] std::vector<const Service*> findServices(std::string_view hostname) const;
  [[nodiscard]] const Service* findService(std::string_view hostname) const;
  // Workloads in `ns` whose labels include all of `selector` (empty selector: none). Only Pods,
  // Deployments and WorkloadEntries: ServiceEntry inline endpoints and DNS hosts are not
  // selectable objects.
  [[nodiscard]] std::vector<const Workload*> selectWorkloads(std::string_view ns,
                                                             const StringMap& selector) const;
  [[nodiscard]] const Options& options() const { return options_; }

 private:
  Options options_;
  std::vector<Workload> workloads_;
  std::vector<Service> services_;
  std::unordered_map<std::string, std::vector<size_t>> by_host_;
};

// Istio's protocol of a Kubernetes service port: appProtocol when set, else the port name's
// prefix before '-' ("http-web" -> HTTP, "grpc" -> GRPC); "" when neither says.
std::string protocolFromPort(std::string_view name, std::string_view app_protocol);
// The same with the port's number and Kubernetes `protocol` (Istio's kube.ConvertProtocol):
// UDP wins; an unknown name on a well-known port (25, 53, 3306, 27017) is TCP.
std::string protocolFromPort(std::string_view name, std::string_view app_protocol, uint32_t port,
                             std::string_view k8s_protocol);
// Istio's protocol.Parse: the canonical protocol name for `name` (case-insensitive), or "".
std::string parseProtocolName(std::string_view name);
// True when every label of `selector` is in `labels` (Istio's labels.Instance.SubsetOf).
bool labelsMatch(const StringMap& selector, const StringMap& labels);

}  // namespace meshroute::registry
