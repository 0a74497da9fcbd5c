// Internal to the registry library: the build context shared by the Kubernetes and ServiceEntry
// converters. Not part of the public interface.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "registry/registry.h"

namespace meshroute::registry::detail {

// What the service converters need to know about the already-built workloads. Built after the
// workload vector is final, so the pointers it holds are stable.
struct BuildContext {
  const Options* options = nullptr;
  const std::vector<Workload>* workloads = nullptr;
  // Workloads by namespace, in resource order (selectors only look in one namespace).
  std::unordered_map<std::string, std::vector<const Workload*>> by_namespace;
  // Pods by status.podIP (Endpoints/EndpointSlice addresses map back to Pods this way).
  std::unordered_map<std::string, std::vector<const Workload*>> pods_by_ip;
  // For each ServiceEntry resource: index in *workloads of its first inline endpoint and of its
  // first DNS-host workload (one per host), when it has them.
  std::unordered_map<const api::Resource*, size_t> se_endpoints_first;
  std::unordered_map<const api::Resource*, size_t> se_dns_hosts_first;
  // Endpoints (by "ns/name") and EndpointSlices (by "ns/<kubernetes.io/service-name>").
  std::unordered_map<std::string, const api::Resource*> endpoints_by_service;
  std::unordered_map<std::string, std::vector<const api::Resource*>> slices_by_service;
};

// Phase 1: every workload (Pods, Deployments, WorkloadEntries, ServiceEntry inline endpoints,
// DNS hosts) appended to `out`, recording the ServiceEntry ranges in `ctx`.
void buildWorkloads(const std::vector<api::Resource>& resources, std::vector<Workload>& out,
                    BuildContext& ctx);

// Phase 2: services, endpoints pointing into ctx.workloads.
void addKubernetesService(const api::Resource& res, const BuildContext& ctx,
                          std::vector<Service>& out);
void addServiceEntryServices(const api::Resource& res, const BuildContext& ctx,
                             std::vector<Service>& out);

// The workloads of namespace `ns` (empty when it has none).
const std::vector<const Workload*>& workloadsIn(const BuildContext& ctx, const std::string& ns);

// Helpers shared by the converters.
// Istio's labels.Instance.Match: like labelsMatch, but an empty selector selects nothing (the
// rule for Kubernetes Service selectors).
bool selectorMatches(const StringMap& selector, const StringMap& labels);
bool isIpAddress(std::string_view s);
// A WorkloadEntry address that Kubernetes Services cannot use: a hostname or a unix socket
// (Istio's DNSServiceEntryOnly in serviceentry/conversion.go).
bool isDnsOnlyAddress(std::string_view address);
// "kind: Pod" not terminated: Kubernetes keeps Failed/Succeeded Pods out of endpoints.
bool podTerminated(const Workload& w);
// Whether a Pod endpoint counts as ready; see the comment in the definition.
bool podReady(const Workload& w);
Endpoint endpointFor(const Workload& w);

}  // namespace meshroute::registry::detail
