#include "registry/registry.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "api/loader.h"

namespace meshroute::registry {
namespace {

// Owns the resources the registry points into.
struct Built {
  api::LoadResult loaded;
  Registry reg;
};

Built build(std::string_view yaml, Options options = {}) {
  Built b;
  api::loadText(yaml, "test.yaml", b.loaded);
  EXPECT_FALSE(b.loaded.diagnostics.hasErrors());
  b.reg = Registry::build(b.loaded.resources, options);
  return b;
}

const Endpoint* endpointAt(const Service& svc, std::string_view address) {
  for (const auto& ep : svc.endpoints) {
    if (ep.address == address) return &ep;
  }
  return nullptr;
}

constexpr std::string_view kReviewsService = R"(
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: shop}
spec:
  selector: {app: reviews}
  ports:
  - {name: http-web, port: 9080, targetPort: 8080}
  - {name: grpc, port: 9090, targetPort: grpc-api}
)";

TEST(ServiceProtocol, FollowsIstioPortNamingAndAppProtocol) {
  EXPECT_EQ(protocolFromPort("http-web", ""), "HTTP");
  EXPECT_EQ(protocolFromPort("grpc", ""), "GRPC");
  EXPECT_EQ(protocolFromPort("https", ""), "HTTPS");
  EXPECT_EQ(protocolFromPort("HTTP2-api", ""), "HTTP2");
  EXPECT_EQ(protocolFromPort("grpc-web-ui", ""), "GRPC-Web");
  EXPECT_EQ(protocolFromPort("web", ""), "");               // Istio sniffs
  EXPECT_EQ(protocolFromPort("httpx", ""), "");             // whole prefix, not a substring
  EXPECT_EQ(protocolFromPort("http-web", "grpc"), "GRPC");  // appProtocol wins
  EXPECT_EQ(protocolFromPort("tcp", "kubernetes.io/h2c"), "HTTP2");
  EXPECT_EQ(protocolFromPort("http", "", 80, "UDP"), "UDP");
  EXPECT_EQ(protocolFromPort("db", "", 3306, "TCP"), "TCP");  // well-known port
  EXPECT_EQ(protocolFromPort("db", "", 3307, "TCP"), "");
}

TEST(KubernetesService, HostnameUsesConfiguredClusterDomainAndPortProtocols) {
  Options opts;
  opts.cluster_domain = "corp.internal";
  auto b = build(kReviewsService, opts);
  const Service* svc = b.reg.findService("reviews.shop.svc.corp.internal");
  ASSERT_NE(svc, nullptr);
  EXPECT_FALSE(svc->from_service_entry);
  EXPECT_EQ(svc->resolution, Resolution::kStatic);
  ASSERT_EQ(svc->ports.size(), 2u);
  EXPECT_EQ(svc->ports[0].protocol, "HTTP");
  EXPECT_EQ(svc->ports[0].target_port, 8080u);
  EXPECT_EQ(svc->ports[1].protocol, "GRPC");
  EXPECT_EQ(svc->ports[1].target_port_name, "grpc-api");
  EXPECT_EQ(svc->findPort(9090), &svc->ports[1]);
  EXPECT_EQ(svc->findPort(1), nullptr);
  EXPECT_EQ(b.reg.findService("reviews.shop.svc.cluster.local"), nullptr);
}

TEST(KubernetesService, WithoutEndpointObjectsSelectsPodsAndListsDeployments) {
  auto b = build(std::string(kReviewsService) + R"(
---
apiVersion: v1
kind: Pod
metadata: {name: reviews-a, namespace: shop, labels: {app: reviews, version: v1}}
spec:
  containers:
  - name: app
    ports: [{name: grpc-api, containerPort: 7070}]
status: {podIP: 10.0.0.5, phase: Running}
---
apiVersion: v1
kind: Pod
metadata: {name: reviews-b, namespace: shop, labels: {app: reviews, version: v2}}
spec: {containers: [{name: app}]}
---
apiVersion: v1
kind: Pod
metadata: {name: ratings, namespace: shop, labels: {app: ratings}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: reviews-v3, namespace: shop}
spec:
  replicas: 3
  template:
    metadata: {labels: {app: reviews, version: v3}}
    spec: {containers: [{name: app}]}
)");
  const Service* svc = b.reg.findService("reviews.shop.svc.cluster.local");
  ASSERT_NE(svc, nullptr);
  ASSERT_EQ(svc->endpoints.size(), 2u);
  const Endpoint* a = endpointAt(*svc, "10.0.0.5");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->labels.at("version"), "v1");
  EXPECT_TRUE(a->healthy);
  ASSERT_NE(a->workload, nullptr);
  EXPECT_EQ(a->workload->name, "reviews-a");
  // The named targetPort resolves against the Pod's container port names.
  EXPECT_EQ(a->ports.at(9080), 8080u);
  EXPECT_EQ(a->ports.at(9090), 7070u);
  // A Pod manifest without status still counts, with no address; it lacks grpc-api.
  const Endpoint* b_ep = endpointAt(*svc, "");
  ASSERT_NE(b_ep, nullptr);
  EXPECT_EQ(b_ep->labels.at("version"), "v2");
  EXPECT_EQ(b_ep->ports.count(9090), 0u);
  EXPECT_EQ(b_ep->ports.at(9080), 8080u);
  // The Deployment is a workload without address, not an endpoint.
  ASSERT_EQ(svc->template_workloads.size(), 1u);
  EXPECT_EQ(svc->template_workloads[0]->name, "reviews-v3");
  EXPECT_EQ(svc->template_workloads[0]->replicas, 3);
  EXPECT_EQ(svc->template_workloads[0]->address, "");
}

TEST(KubernetesService, EndpointSliceAddressesMapBackToPodsByIp) {
  auto b = build(std::string(kReviewsService) + R"(
---
apiVersion: v1
kind: Pod
metadata: {name: reviews-a, namespace: shop, labels: {app: reviews, version: v1}}
status: {podIP: 10.0.0.5}
---
apiVersion: v1
kind: Pod
metadata: {name: not-selected, namespace: shop, labels: {app: other}}
status: {podIP: 10.0.0.9}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: reviews-abc
  namespace: shop
  labels: {kubernetes.io/service-name: reviews}
addressType: IPv4
ports: [{name: http-web, port: 8080}, {name: grpc, port: 7070}]
endpoints:
- addresses: [10.0.0.5]
- addresses: [10.0.0.6]
  conditions: {ready: false}
)");
  const Service* svc = b.reg.findService("reviews.shop.svc.cluster.local");
  ASSERT_NE(svc, nullptr);
  // The slice, not the selector, decides: the unselected Pod at 10.0.0.9 is not an endpoint.
  ASSERT_EQ(svc->endpoints.size(), 2u);
  const Endpoint* a = endpointAt(*svc, "10.0.0.5");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->labels.at("version"), "v1");
  EXPECT_EQ(a->ports.at(9090), 7070u);
  const Endpoint* unknown = endpointAt(*svc, "10.0.0.6");
  ASSERT_NE(unknown, nullptr);
  EXPECT_FALSE(unknown->healthy);
  EXPECT_TRUE(unknown->labels.empty());
  EXPECT_EQ(unknown->workload, nullptr);
}

TEST(KubernetesService, EndpointsObjectNotReadyAddressesAreUnhealthy) {
  auto b = build(std::string(kReviewsService) + R"(
---
apiVersion: v1
kind: Endpoints
metadata: {name: reviews, namespace: shop}
subsets:
- addresses: [{ip: 10.0.0.5}]
  notReadyAddresses: [{ip: 10.0.0.7}]
  ports: [{name: http-web, port: 8080}]
)");
  const Service* svc = b.reg.findService("reviews.shop.svc.cluster.local");
  ASSERT_NE(svc, nullptr);
  ASSERT_EQ(svc->endpoints.size(), 2u);
  EXPECT_TRUE(endpointAt(*svc, "10.0.0.5")->healthy);
  EXPECT_FALSE(endpointAt(*svc, "10.0.0.7")->healthy);
  EXPECT_EQ(endpointAt(*svc, "10.0.0.5")->ports.at(9080), 8080u);
}

TEST(KubernetesService, SelectsWorkloadEntriesWithIpAddressesInItsNamespace) {
  auto b = build(std::string(kReviewsService) + R"(
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: vm-1, namespace: shop}
spec:
  address: 192.168.1.1
  labels: {app: reviews, version: vm}
  ports: {http-web: 18080}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: vm-dns, namespace: shop}
spec: {address: vm.example.com, labels: {app: reviews}}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: vm-other, namespace: other}
spec: {address: 192.168.1.2, labels: {app: reviews}}
)");
  const Service* svc = b.reg.findService("reviews.shop.svc.cluster.local");
  ASSERT_NE(svc, nullptr);
  ASSERT_EQ(svc->endpoints.size(), 1u);
  const Endpoint& ep = svc->endpoints[0];
  EXPECT_EQ(ep.address, "192.168.1.1");
  EXPECT_EQ(ep.workload->kind, WorkloadKind::kWorkloadEntry);
  // Numeric targetPort: the entry's port of the service port's name wins.
  EXPECT_EQ(ep.ports.at(9080), 18080u);
  // Named targetPort the entry does not declare: it does not serve that port.
  EXPECT_EQ(ep.ports.count(9090), 0u);
}

TEST(KubernetesService, HeadlessAndExternalNameResolutions) {
  auto b = build(R"(
apiVersion: v1
kind: Service
metadata: {name: db, namespace: shop}
spec: {clusterIP: None, ports: [{name: tcp-db, port: 5432}]}
---
apiVersion: v1
kind: Service
metadata:
  name: ext
  namespace: shop
  annotations: {networking.istio.io/exportTo: ". , istio-system"}
spec: {type: ExternalName, externalName: api.example.com, ports: [{port: 443, name: https}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {clusterIP: 10.96.0.10, ports: [{port: 80}]}
)");
  EXPECT_EQ(b.reg.findService("db.shop.svc.cluster.local")->resolution, Resolution::kNone);
  const Service* ext = b.reg.findService("ext.shop.svc.cluster.local");
  ASSERT_NE(ext, nullptr);
  EXPECT_EQ(ext->resolution, Resolution::kAlias);
  EXPECT_TRUE(ext->mesh_external);
  EXPECT_EQ(ext->external_name, "api.example.com");
  EXPECT_EQ(ext->export_to, (std::vector<std::string>{".", "istio-system"}));
  const Service* web = b.reg.findService("web.shop.svc.cluster.local");
  EXPECT_EQ(web->addresses, std::vector<std::string>{"10.96.0.10"});
  EXPECT_EQ(web->ports[0].protocol, "");  // unnamed port: auto-detected
}

TEST(ServiceEntryRegistry, OneServicePerHostWithCaseInsensitiveProtocols) {
  auto b = build(R"(
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ext, namespace: egress}
spec:
  hosts: [a.example.com, b.example.com]
  addresses: [10.1.0.0/16, 10.2.0.1/32, not-an-ip]
  ports:
  - {number: 80, name: web, protocol: http}
  - {number: 8443, name: tls, protocol: Tls, targetPort: 443}
  resolution: STATIC
)");
  const Service* a = b.reg.findService("a.example.com");
  const Service* bsvc = b.reg.findService("b.example.com");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(bsvc, nullptr);
  EXPECT_TRUE(a->from_service_entry);
  EXPECT_TRUE(a->mesh_external);  // location unset: MESH_EXTERNAL
  EXPECT_EQ(a->name, "ext");
  EXPECT_EQ(a->ns, "egress");
  EXPECT_EQ(a->ports[0].protocol, "HTTP");
  EXPECT_EQ(a->ports[1].protocol, "TLS");
  EXPECT_EQ(a->ports[1].target_port, 443u);
  EXPECT_EQ(a->addresses, (std::vector<std::string>{"10.1.0.0/16", "10.2.0.1"}));
  EXPECT_TRUE(a->endpoints.empty());  // STATIC with no endpoints
}

TEST(ServiceEntryRegistry, EndpointPortFromPortsMapThenTargetPortThenNumber) {
  auto b = build(R"(
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: vms, namespace: shop}
spec:
  hosts: [vms.internal]
  location: MESH_INTERNAL
  resolution: STATIC
  ports:
  - {number: 80, name: http, protocol: HTTP}
  - {number: 81, name: admin, protocol: HTTP, targetPort: 9081}
  - {number: 82, name: metrics, protocol: HTTP}
  endpoints:
  - address: 10.0.0.1
    ports: {http: 8080}
    labels: {version: v1, topology.istio.io/locality: us-east1.zone-a}
    weight: 5
    network: net1
  - address: 10.0.0.2
)");
  const Service* svc = b.reg.findService("vms.internal");
  ASSERT_NE(svc, nullptr);
  EXPECT_FALSE(svc->mesh_external);
  ASSERT_EQ(svc->endpoints.size(), 2u);
  const Endpoint& first = svc->endpoints[0];
  EXPECT_EQ(first.ports.at(80), 8080u);
  EXPECT_EQ(first.ports.at(81), 9081u);
  EXPECT_EQ(first.ports.at(82), 82u);
  EXPECT_EQ(first.weight, 5u);
  EXPECT_EQ(first.network, "net1");
  EXPECT_EQ(first.locality, "us-east1/zone-a");  // from the label, '.' -> '/'
  EXPECT_EQ(first.labels.at("version"), "v1");
  ASSERT_NE(first.workload, nullptr);
  EXPECT_EQ(first.workload->kind, WorkloadKind::kServiceEntryEndpoint);
  EXPECT_EQ(first.workload->name, "vms-0");
  EXPECT_EQ(svc->endpoints[1].weight, 1u);  // unset weight: Envoy's default
  EXPECT_EQ(svc->endpoints[1].ports.at(80), 80u);
}

TEST(ServiceEntryRegistry, DnsWithoutEndpointsResolvesEachHostItself) {
  auto b = build(R"(
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: apis, namespace: default}
spec:
  hosts: [api.example.com, www.example.com]
  ports: [{number: 443, name: https, protocol: HTTPS, targetPort: 8443}]
  resolution: DNS
)");
  const Service* svc = b.reg.findService("www.example.com");
  ASSERT_NE(svc, nullptr);
  EXPECT_EQ(svc->resolution, Resolution::kDns);
  ASSERT_EQ(svc->endpoints.size(), 1u);
  EXPECT_EQ(svc->endpoints[0].address, "www.example.com");
  EXPECT_EQ(svc->endpoints[0].ports.at(443), 8443u);
  EXPECT_TRUE(svc->endpoints[0].labels.empty());
  EXPECT_EQ(svc->endpoints[0].workload->kind, WorkloadKind::kDnsHost);
  // DNS hosts are not selectable workloads.
  EXPECT_TRUE(b.reg.selectWorkloads("default", {{"app", "x"}}).empty());
}

TEST(ServiceEntryRegistry, WorkloadSelectorPicksEntriesAndPodsOfItsNamespaceOverEndpoints) {
  auto b = build(R"(
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: legacy, namespace: vm}
spec:
  hosts: [legacy.internal]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 8080, name: http, protocol: HTTP}]
  endpoints: [{address: 10.9.9.9}]
  workloadSelector: {labels: {app: legacy}}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: we-b, namespace: vm, labels: {version: meta}}
spec: {address: 10.1.0.2, labels: {app: legacy, version: spec}, ports: {http: 9080}}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: we-dns, namespace: vm}
spec: {address: vm1.example.com, labels: {app: legacy}}
---
apiVersion: v1
kind: Pod
metadata: {name: pod-a, namespace: vm, labels: {app: legacy}}
status: {podIP: 10.1.0.1}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: we-elsewhere, namespace: other}
spec: {address: 10.1.0.3, labels: {app: legacy}}
)");
  const Service* svc = b.reg.findService("legacy.internal");
  ASSERT_NE(svc, nullptr);
  // spec.endpoints ignored; the hostname entry is only for DNS services; Pods sort first.
  ASSERT_EQ(svc->endpoints.size(), 2u);
  EXPECT_EQ(svc->endpoints[0].address, "10.1.0.1");
  EXPECT_EQ(svc->endpoints[0].ports.at(8080), 8080u);
  EXPECT_EQ(svc->endpoints[1].address, "10.1.0.2");
  EXPECT_EQ(svc->endpoints[1].ports.at(8080), 9080u);
  // WorkloadEntry metadata labels win over spec labels.
  EXPECT_EQ(svc->endpoints[1].labels.at("version"), "meta");
  EXPECT_EQ(svc->selector.at("app"), "legacy");
}

TEST(RegistryLookup, KubernetesServiceFirstAndEndpointsSharedPerHostAndNamespace) {
  auto b = build(std::string(kReviewsService) + R"(
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: extra, namespace: shop}
spec:
  hosts: [reviews.shop.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 9080, name: http-web, protocol: HTTP}]
  endpoints: [{address: 10.5.5.5}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: squatter, namespace: other}
spec:
  hosts: [reviews.shop.svc.cluster.local]
  resolution: STATIC
  ports: [{number: 9080, name: http, protocol: HTTP}]
  endpoints: [{address: 10.6.6.6}]
)");
  auto all = b.reg.findServices("reviews.shop.svc.cluster.local");
  ASSERT_EQ(all.size(), 3u);
  EXPECT_FALSE(all[0]->from_service_entry);
  EXPECT_EQ(b.reg.findService("reviews.shop.svc.cluster.local"), all[0]);
  EXPECT_EQ(all[1]->ns, "other");
  EXPECT_EQ(all[2]->name, "extra");
  // Same host and namespace: the Service sees the ServiceEntry's endpoint (Istio's shards).
  ASSERT_EQ(all[0]->endpoints.size(), 1u);
  EXPECT_EQ(all[0]->endpoints[0].address, "10.5.5.5");
  ASSERT_EQ(all[1]->endpoints.size(), 1u);
  EXPECT_EQ(all[1]->endpoints[0].address, "10.6.6.6");
  EXPECT_TRUE(b.reg.findServices("nope.example.com").empty());
}

TEST(RegistryLookup, SelectWorkloadsNeedsANonEmptySelectorAndTheNamespace) {
  auto b = build(R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: web-v1, namespace: shop}
spec: {replicas: 2, template: {metadata: {labels: {app: web, version: v1}}}}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: web-vm, namespace: shop}
spec: {address: 10.0.0.1, labels: {app: web}}
---
apiVersion: v1
kind: Pod
metadata: {name: web-x, namespace: other, labels: {app: web}}
)");
  auto web = b.reg.selectWorkloads("shop", {{"app", "web"}});
  ASSERT_EQ(web.size(), 2u);
  EXPECT_EQ(workloadKindName(web[0]->kind), "Deployment");
  EXPECT_EQ(workloadKindName(web[1]->kind), "WorkloadEntry");
  EXPECT_EQ(b.reg.selectWorkloads("shop", {{"app", "web"}, {"version", "v1"}}).size(), 1u);
  EXPECT_TRUE(b.reg.selectWorkloads("shop", {}).empty());
  EXPECT_EQ(b.reg.selectWorkloads("other", {{"app", "web"}}).size(), 1u);
}

TEST(RegistryLabels, SelectorMustBeASubsetOfTheLabels) {
  StringMap labels{{"app", "reviews"}, {"version", "v2"}};
  EXPECT_TRUE(labelsMatch({}, labels));
  EXPECT_TRUE(labelsMatch({{"version", "v2"}}, labels));
  EXPECT_FALSE(labelsMatch({{"version", "v3"}}, labels));
  EXPECT_FALSE(labelsMatch({{"track", "stable"}}, labels));
  EXPECT_EQ(resolutionName(Resolution::kDnsRoundRobin), "DNS_ROUND_ROBIN");
}

// The seed documents' Deployments and Services, through the registry.
std::filesystem::path seedExample(std::string_view name) {
  return std::filesystem::path(MESHROUTE_SOURCE_DIR) / ".." / "shared" / "conformance" /
         "seed-examples" / name;
}

TEST(RegistrySeeds, ReviewsDeploymentsBackTheReviewsService) {
  auto path = seedExample("000-08-deployment-service.yaml");
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no " << path;
  auto loaded = api::loadPaths({path.string()});
  ASSERT_FALSE(loaded.diagnostics.hasErrors());
  Registry reg = Registry::build(loaded.resources, {});
  const Service* svc = reg.findService("reviews.default.svc.cluster.local");
  ASSERT_NE(svc, nullptr);
  ASSERT_EQ(svc->ports.size(), 1u);
  EXPECT_EQ(svc->ports[0].port, 9080u);
  EXPECT_EQ(svc->ports[0].protocol, "HTTP");
  EXPECT_TRUE(svc->endpoints.empty());  // no Pods or Endpoints in the manifests
  ASSERT_EQ(svc->template_workloads.size(), 3u);
  EXPECT_EQ(svc->template_workloads[0]->name, "reviews-v1");
  EXPECT_EQ(svc->template_workloads[0]->replicas, 3);
  EXPECT_EQ(svc->template_workloads[0]->labels.at("track"), "stable");
  EXPECT_EQ(svc->template_workloads[1]->replicas, 2);
  EXPECT_EQ(svc->template_workloads[2]->labels.at("version"), "v3");
  EXPECT_EQ(reg.selectWorkloads("default", {{"version", "v2"}}).size(), 1u);
}

TEST(RegistrySeeds, DeploymentsWithoutServiceAreWorkloadsInTheDefaultNamespace) {
  auto path = seedExample("003-02-deployment.yaml");
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no " << path;
  auto loaded = api::loadPaths({path.string()});
  ASSERT_FALSE(loaded.diagnostics.hasErrors());
  Registry reg = Registry::build(loaded.resources, {});
  EXPECT_TRUE(reg.services().empty());
  ASSERT_EQ(reg.workloads().size(), 2u);
  EXPECT_EQ(reg.workloads()[0].ns, "default");
  EXPECT_EQ(reg.workloads()[1].replicas, 1);
  auto v2 = reg.selectWorkloads("default", {{"app", "reviews"}, {"version", "v2"}});
  ASSERT_EQ(v2.size(), 1u);
  EXPECT_EQ(v2[0]->name, "reviews-v2");
  EXPECT_EQ(v2[0]->ports.size(), 0u);  // unnamed container port
}

}  // namespace
}  // namespace meshroute::registry

namespace meshroute::registry {
namespace {

TEST(PodLocality, FromTheLabelThenTheNodeThenThePodsOwnTopologyLabels) {
  auto b = build(R"(
apiVersion: v1
kind: Node
metadata:
  name: node-a
  labels: {topology.kubernetes.io/region: us-east1, topology.kubernetes.io/zone: us-east1-b,
           topology.istio.io/subzone: rack4}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80}]
---
apiVersion: v1
kind: Pod
metadata: {name: labelled, namespace: shop, labels: {app: web, istio-locality: eu.west.r1}}
spec: {nodeName: node-a, containers: [{name: c}]}
status: {podIP: 10.0.0.1, phase: Running}
---
apiVersion: v1
kind: Pod
metadata: {name: scheduled, namespace: shop, labels: {app: web}}
spec: {nodeName: node-a, containers: [{name: c}]}
status: {podIP: 10.0.0.2, phase: Running}
---
apiVersion: v1
kind: Pod
metadata:
  name: manifest
  namespace: shop
  labels: {app: web, topology.kubernetes.io/region: ap, topology.kubernetes.io/zone: ap-1}
spec: {nodeName: elsewhere, containers: [{name: c}]}
status: {podIP: 10.0.0.3, phase: Running}
)");
  const Service* svc = b.reg.findService("web.shop.svc.cluster.local");
  ASSERT_NE(svc, nullptr);
  ASSERT_NE(endpointAt(*svc, "10.0.0.1"), nullptr);
  EXPECT_EQ(endpointAt(*svc, "10.0.0.1")->locality, "eu/west/r1");
  EXPECT_EQ(endpointAt(*svc, "10.0.0.2")->locality, "us-east1/us-east1-b/rack4");
  EXPECT_EQ(endpointAt(*svc, "10.0.0.3")->locality, "ap/ap-1/");
}

}  // namespace
}  // namespace meshroute::registry
