// Branches of the DestinationRule, ServiceEntry and Deployment analyzers that Istio's shared
// cases leave out: finding positions, message text, export scopes, topology labels and
// injection precedence.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "analysis/input.h"
#include "api/yaml_reader.h"

namespace meshroute::analysis {
namespace {

struct Outcome {
  api::LoadResult loaded;
  std::vector<Finding> findings;

  // "CODE origin line: message", one per finding, in report order.
  [[nodiscard]] std::vector<std::string> lines() const {
    std::vector<std::string> out;
    for (const Finding& f : findings) {
      out.push_back(std::string(f.type->code) + " " + f.origin() + " " +
                    std::to_string(f.mark.line) + ": " + f.message);
    }
    return out;
  }
  [[nodiscard]] std::vector<std::string> codes() const {
    std::vector<std::string> out;
    for (const Finding& f : findings) out.push_back(std::string(f.type->code) + " " + f.origin());
    return out;
  }
};

MeshSettings meshFrom(std::string_view yaml) {
  if (yaml.empty()) return MeshSettings::from({});
  core::Diagnostics diags;
  std::vector<api::Document> docs = api::readDocuments(yaml, "mesh.yaml", diags);
  return MeshSettings::from(docs.empty() ? api::Node{} : std::move(docs.front().root));
}

// Runs one analyzer over `yaml` loaded as Istio's tests load it (namespace "").
Outcome analyzeText(std::string_view analyzer, std::string_view yaml,
                    std::string_view mesh_yaml = "") {
  Outcome run;
  api::loadText(yaml, "t.yaml", run.loaded, loadOptions(""));
  Store store(run.loaded.resources);
  MeshSettings mesh = meshFrom(mesh_yaml);
  std::vector<Finding> out;
  Context ctx(store, mesh, std::chrono::system_clock::now(), out);
  for (const Analyzer& a : allAnalyzers()) {
    if (a.name == analyzer) a.run(ctx);
  }
  run.findings = std::move(out);
  return run;
}

using Lines = std::vector<std::string>;

Lines sorted(Lines lines) {
  std::sort(lines.begin(), lines.end());
  return lines;
}

// --- destinationrule.CaCertificateAnalyzer ---

TEST(CaCertificateAnalyzer, PortLevelMessageNamesThePortAndStaysOnTheResource) {
  Outcome run =
      analyzeText("destinationrule.CaCertificateAnalyzer", R"(apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: db
  namespace: shop
spec:
  host: db.shop.svc.cluster.local
  trafficPolicy:
    portLevelSettings:
    - port:
        number: 8443
      tls:
        mode: MUTUAL
        credentialName: db-cred
    - port:
        number: 9443
      tls:
        mode: ISTIO_MUTUAL
)");
  EXPECT_EQ(run.lines(),
            (Lines{"IST0129 DestinationRule shop/db 1: DestinationRule shop/db in namespace "
                   "shop has TLS mode set to MUTUAL but no caCertificates are set to "
                   "validate server identity for host: db.shop.svc.cluster.local at port "
                   "number:8443"}));
}

TEST(CaCertificateAnalyzer, WrittenEmptyCaCertificatesGivesTheLine) {
  Outcome run =
      analyzeText("destinationrule.CaCertificateAnalyzer", R"(apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: db
spec:
  host: db
  trafficPolicy:
    tls:
      mode: SIMPLE
      caCertificates: ""
)");
  EXPECT_EQ(run.lines(),
            (Lines{"IST0128 DestinationRule db 10: DestinationRule db in namespace  has "
                   "TLS mode set to SIMPLE but no caCertificates are set to validate server "
                   "identity for host: db"}));
}

TEST(CaCertificateAnalyzer, CredentialNameNeedsAWorkloadSelector) {
  constexpr std::string_view kRule = R"(apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: db
spec:
  host: db
  %SELECTOR%
  trafficPolicy:
    portLevelSettings:
    - port:
        number: 443
      tls:
        mode: SIMPLE
        credentialName: db-cred
)";
  std::string with_selector(kRule);
  with_selector.replace(with_selector.find("%SELECTOR%"), 10,
                        "workloadSelector:\n    matchLabels:\n      app: client");
  std::string without_selector(kRule);
  without_selector.replace(without_selector.find("%SELECTOR%"), 10, "exportTo: ['.']");
  EXPECT_EQ(analyzeText("destinationrule.CaCertificateAnalyzer", with_selector).codes(), Lines{});
  EXPECT_EQ(analyzeText("destinationrule.CaCertificateAnalyzer", without_selector).codes(),
            (Lines{"IST0129 DestinationRule db"}));
}

// --- destinationrule.SubsetSelectPodAnalyzer ---

constexpr std::string_view kPodOnNode = R"(
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  selector:
    app: web
  ports:
  - port: 80
---
apiVersion: v1
kind: Pod
metadata:
  name: web-1
  namespace: shop
  labels:
    app: web
spec:
  nodeName: node-a
  containers:
  - name: web
    image: web
---
apiVersion: v1
kind: Node
metadata:
  name: node-a
  labels:
    topology.kubernetes.io/region: eu
    topology.kubernetes.io/zone: eu-1
    topology.istio.io/subzone: rack-7
)";

TEST(SubsetSelectPodAnalyzer, NodeTopologyAndHostnameLabelsSelectPods) {
  std::string yaml = R"(apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: web
  namespace: shop
spec:
  host: web
  subsets:
  - name: zone
    labels:
      topology.kubernetes.io/zone: eu-1
      topology.istio.io/subzone: rack-7
  - name: host
    labels:
      kubernetes.io/hostname: node-a
  - name: other-region
    labels:
      topology.kubernetes.io/region: us
)";
  yaml += kPodOnNode;
  EXPECT_EQ(analyzeText("destinationrule.SubsetSelectPodAnalyzer", yaml).lines(),
            (Lines{"IST0173 DestinationRule shop/web 1: The Subset other-region defined in "
                   "the DestinationRule does not select any pods. Which may lead to 503 UH "
                   "(NoHealthyUpstream)."}));
}

TEST(SubsetSelectPodAnalyzer, ServiceExportToAnnotationHidesTheHost) {
  std::string yaml = R"(apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: web
  namespace: other
spec:
  host: web.shop.svc.cluster.local
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
  annotations:
    networking.istio.io/exportTo: " ., team "
spec:
  ports:
  - port: 80
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: web
  namespace: team
spec:
  host: web.shop.svc.cluster.local
)";
  EXPECT_EQ(analyzeText("destinationrule.SubsetSelectPodAnalyzer", yaml).codes(),
            (Lines{"IST0174 DestinationRule other/web"}));
}

TEST(SubsetSelectPodAnalyzer, WildcardServiceEntryHostAndItsWorkloadSelector) {
  std::string yaml = R"(apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: ext
  namespace: shop
spec:
  hosts:
  - "*.example.com"
  exportTo: ["."]
  workloadSelector:
    labels:
      app: web
  ports:
  - number: 80
    name: http
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: api
  namespace: shop
spec:
  host: api.example.com
  subsets:
  - name: any
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: api
  namespace: elsewhere
spec:
  host: api.example.com
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: db
  namespace: shop
spec:
  host: api.example.com
  subsets:
  - name: db
    labels:
      app: db
)";
  yaml += kPodOnNode;
  EXPECT_EQ(
      sorted(analyzeText("destinationrule.SubsetSelectPodAnalyzer", yaml).codes()),
      sorted(Lines{"IST0174 DestinationRule elsewhere/api", "IST0173 DestinationRule shop/db"}));
}

// --- serviceentry.Analyzer ---

constexpr std::string_view kTcpEntry = R"(apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: db
spec:
  hosts:
  - db.example.com
  ports:
  - number: 5432
    name: pg
    protocol: tcp
  - number: 80
    name: web
    protocol: HTTP
  - number: 6379
    name: redis
)";

TEST(ServiceEntryAnalyzer, ReportsEachTcpPortAtItsName) {
  EXPECT_EQ(analyzeText("serviceentry.Analyzer", kTcpEntry).lines(),
            (Lines{"IST0134 ServiceEntry db 10: ServiceEntry addresses are required for "
                   "this protocol.",
                   "IST0134 ServiceEntry db 16: ServiceEntry addresses are required for "
                   "this protocol."}));
}

TEST(ServiceEntryAnalyzer, AutoAllocationNeedsDnsCapture) {
  EXPECT_EQ(analyzeText("serviceentry.Analyzer", kTcpEntry,
                        "defaultConfig:\n  proxyMetadata:\n    PILOT_ENABLE_IP_AUTOALLOCATE: "
                        "\"true\"\n")
                .codes(),
            (Lines{"IST0134 ServiceEntry db", "IST0134 ServiceEntry db"}));
  EXPECT_EQ(analyzeText("serviceentry.Analyzer", kTcpEntry,
                        "defaultConfig:\n  proxyMetadata:\n    ISTIO_META_DNS_CAPTURE: "
                        "\"true\"\n    PILOT_ENABLE_IP_AUTOALLOCATE: \"true\"\n")
                .codes(),
            Lines{});
}

TEST(ServiceEntryAnalyzer, WrittenAddressesSatisfyIt) {
  std::string yaml(kTcpEntry);
  yaml += "  addresses:\n  - 10.0.0.1\n";
  EXPECT_EQ(analyzeText("serviceentry.Analyzer", yaml).codes(), Lines{});
}

// --- serviceentry.ConflictingServiceEntryProtocolAnalyzer ---

std::string entry(std::string_view name, std::string_view ns, std::string_view export_to,
                  std::string_view protocol) {
  return "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n  name: " +
         std::string(name) + "\n  namespace: " + std::string(ns) +
         "\nspec:\n  hosts:\n  - api.example.com\n  exportTo: " + std::string(export_to) +
         "\n  ports:\n  - number: 443\n    name: p\n    protocol: " + std::string(protocol) +
         "\n---\n";
}

TEST(ConflictingServiceEntryProtocolAnalyzer, LocalEntriesInDifferentNamespacesDoNotConflict) {
  std::string yaml = entry("a", "one", "['.']", "HTTPS") + entry("b", "two", "['.']", "TLS");
  EXPECT_EQ(analyzeText("serviceentry.ConflictingServiceEntryProtocolAnalyzer", yaml).codes(),
            Lines{});
  // Protocols compare case-insensitively.
  yaml = entry("c", "three", "['*']", "https") + entry("d", "three", "[]", "HTTPS");
  EXPECT_EQ(analyzeText("serviceentry.ConflictingServiceEntryProtocolAnalyzer", yaml).codes(),
            Lines{});
}

TEST(ConflictingServiceEntryProtocolAnalyzer, LocalEntryConflictsWithAGlobalOne) {
  std::string yaml = entry("a", "one", "['.']", "HTTPS") + entry("g", "two", "[]", "TLS");
  EXPECT_EQ(
      sorted(analyzeText("serviceentry.ConflictingServiceEntryProtocolAnalyzer", yaml).lines()),
      sorted(Lines{
          "IST0177 ServiceEntry one/a 4: Multiple ServiceEntries (one/a, two/g) define the same "
          "host \"api.example.com\" and port 443 with conflicting protocols (HTTPS, TLS).",
          "IST0177 ServiceEntry two/g 18: Multiple ServiceEntries (one/a, two/g) define the same "
          "host \"api.example.com\" and port 443 with conflicting protocols (HTTPS, TLS)."}));
}

// --- deployment.MultiServiceAnalyzer ---

std::string deployment(std::string_view ns, std::string_view pod_meta,
                       std::string_view containers) {
  return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: " +
         std::string(ns) +
         "\nspec:\n  template:\n    metadata:\n      labels:\n        app: web\n" +
         std::string(pod_meta) + "    spec:\n      containers:\n" + std::string(containers) +
         "---\n";
}

std::string service(std::string_view name, std::string_view ns, std::string_view ports) {
  return "apiVersion: v1\nkind: Service\nmetadata:\n  name: " + std::string(name) +
         "\n  namespace: " + std::string(ns) + "\nspec:\n  selector:\n    app: web\n  ports:\n" +
         std::string(ports) + "---\n";
}

constexpr std::string_view kAppContainer = "      - name: web\n        image: web\n";
constexpr std::string_view kInjectedNamespace =
    "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    istio-injection: "
    "enabled\n---\n";

TEST(MultiServiceAnalyzer, ConflictingPortsMessage) {
  std::string yaml = std::string(kInjectedNamespace) + deployment("shop", "", kAppContainer) +
                     service("a", "shop", "  - port: 80\n    targetPort: http\n") +
                     service("b", "shop", "  - port: 8080\n    targetPort: http\n");
  EXPECT_EQ(analyzeText("deployment.MultiServiceAnalyzer", yaml).lines(),
            (Lines{"IST0137 Deployment shop/web 11: This deployment web is associated with "
                   "multiple services [shop/a shop/b] using targetPort \"http\" but "
                   "different ports: [80 8080]."}));
}

TEST(MultiServiceAnalyzer, ProtocolMessageAndDefaultTcp) {
  std::string yaml = std::string(kInjectedNamespace) + deployment("shop", "", kAppContainer) +
                     service("b", "shop", "  - port: 53\n    protocol: UDP\n") +
                     service("a", "shop", "  - port: 53\n");
  EXPECT_EQ(analyzeText("deployment.MultiServiceAnalyzer", yaml).lines(),
            (Lines{"IST0116 Deployment shop/web 11: This deployment web is associated with "
                   "multiple services using port 53 but different protocols: [shop/a "
                   "shop/b]"}));
}

TEST(MultiServiceAnalyzer, InjectionPrecedence) {
  const std::string services = service("a", "shop", "  - port: 53\n    protocol: UDP\n") +
                               service("b", "shop", "  - port: 53\n");
  // The template's annotation overrides the namespace label.
  std::string opted_out =
      std::string(kInjectedNamespace) +
      deployment("shop", "      annotations:\n        sidecar.istio.io/inject: \"false\"\n",
                 kAppContainer) +
      services;
  EXPECT_EQ(analyzeText("deployment.MultiServiceAnalyzer", opted_out).codes(), Lines{});
  // A written istio-proxy container puts it in the mesh without any label.
  std::string with_proxy =
      deployment("shop", "", "      - name: istio-proxy\n        image: proxyv2\n") + services;
  EXPECT_EQ(analyzeText("deployment.MultiServiceAnalyzer", with_proxy).codes(),
            (Lines{"IST0116 Deployment shop/web"}));
  // Waypoints are skipped.
  std::string waypoint = with_proxy;
  waypoint.replace(waypoint.find("  namespace: shop\n"), 18,
                   "  namespace: shop\n  labels:\n    gateway.istio.io/managed: "
                   "istio.io-mesh-controller\n");
  EXPECT_EQ(analyzeText("deployment.MultiServiceAnalyzer", waypoint).codes(), Lines{});
}

}  // namespace
}  // namespace meshroute::analysis
