#include "corpus_generator.h"

#include <fmt/format.h>

namespace meshroute::bench {
namespace {

void virtualService(std::string& out, int i) {
  out += fmt::format(R"(---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: svc{0}
  namespace: ns{1}
spec:
  hosts:
  - svc{0}.ns{1}.svc.cluster.local
  http:
  - name: beta
    match:
    - headers:
        x-user-type:
          exact: beta
      uri:
        prefix: /api/v{2}
    route:
    - destination:
        host: svc{0}.ns{1}.svc.cluster.local
        subset: v2
    timeout: 5s
    retries:
      attempts: 3
      perTryTimeout: 1s
      retryOn: 5xx,reset,connect-failure
  - name: regex
    match:
    - uri:
        regex: "^/items/[0-9]+$"
    route:
    - destination:
        host: svc{0}.ns{1}.svc.cluster.local
        subset: v1
  - name: default
    route:
    - destination:
        host: svc{0}.ns{1}.svc.cluster.local
        subset: v1
      weight: 90
    - destination:
        host: svc{0}.ns{1}.svc.cluster.local
        subset: v2
      weight: 10
    mirror:
      host: svc{0}.ns{1}.svc.cluster.local
      subset: v3
    mirrorPercentage:
      value: 1.0
)",
                     i, i % 50, i % 7);
}

void destinationRule(std::string& out, int i) {
  out += fmt::format(R"(---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: svc{0}
  namespace: ns{1}
spec:
  host: svc{0}.ns{1}.svc.cluster.local
  trafficPolicy:
    loadBalancer:
      simple: LEAST_REQUEST
    connectionPool:
      tcp:
        maxConnections: 100
        connectTimeout: 30ms
      http:
        http1MaxPendingRequests: 64
        maxRequestsPerConnection: 10
    outlierDetection:
      consecutive5xxErrors: 5
      interval: 10s
      baseEjectionTime: 30s
      maxEjectionPercent: 50
  subsets:
  - name: v1
    labels:
      version: v1
  - name: v2
    labels:
      version: v2
    trafficPolicy:
      loadBalancer:
        simple: ROUND_ROBIN
  - name: v3
    labels:
      version: v3
)",
                     i, i % 50);
}

void workloadEntry(std::string& out, int i) {
  out += fmt::format(R"(---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata:
  name: svc{0}-vm
  namespace: ns{1}
spec:
  address: 10.{2}.{3}.{4}
  ports:
    http: 8080
  labels:
    app: svc{0}
    version: v1
  locality: us-east1/us-east1-b
  serviceAccount: svc{0}
)",
                     i, i % 50, (i >> 16) & 255, (i >> 8) & 255, i & 255);
}

void serviceEntry(std::string& out, int i) {
  out += fmt::format(R"(---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: ext{0}
  namespace: ns{1}
spec:
  hosts:
  - api{0}.example.com
  ports:
  - number: 443
    name: https
    protocol: TLS
  - number: 80
    name: http
    protocol: HTTP
  location: MESH_EXTERNAL
  resolution: DNS
)",
                     i, i % 50);
}

void gateway(std::string& out, int i) {
  out += fmt::format(R"(---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: gw{0}
  namespace: ns{1}
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: 443
      name: https-{0}
      protocol: HTTPS
    hosts:
    - "app{0}.example.com"
    tls:
      mode: SIMPLE
      credentialName: cert{0}
  - port:
      number: 80
      name: http-{0}
      protocol: HTTP
    hosts:
    - "app{0}.example.com"
    tls:
      httpsRedirect: true
)",
                     i, i % 50);
}

void sidecar(std::string& out, int i) {
  out += fmt::format(R"(---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata:
  name: default
  namespace: ns{0}
spec:
  egress:
  - hosts:
    - "./*"
    - "istio-system/*"
  outboundTrafficPolicy:
    mode: REGISTRY_ONLY
)",
                     i);
}

void workloadGroup(std::string& out, int i) {
  out += fmt::format(R"(---
apiVersion: networking.istio.io/v1
kind: WorkloadGroup
metadata:
  name: vm{0}
  namespace: ns{1}
spec:
  metadata:
    labels:
      app: vm{0}
  template:
    ports:
      http: 8080
    serviceAccount: vm{0}
  probe:
    periodSeconds: 5
    httpGet:
      path: /ready
      port: 8080
)",
                     i, i % 50);
}

void kubeService(std::string& out, int i) {
  out += fmt::format(R"(---
apiVersion: v1
kind: Service
metadata:
  name: svc{0}
  namespace: ns{1}
spec:
  selector:
    app: svc{0}
  ports:
  - name: http
    port: 8080
    targetPort: 8080
)",
                     i, i % 50);
}

void deployment(std::string& out, int i) {
  out += fmt::format(R"(---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: svc{0}-v1
  namespace: ns{1}
spec:
  replicas: 2
  selector:
    matchLabels:
      app: svc{0}
      version: v1
  template:
    metadata:
      labels:
        app: svc{0}
        version: v1
    spec:
      containers:
      - name: app
        image: example.com/svc{0}:1.0
        ports:
        - containerPort: 8080
)",
                     i, i % 50);
}

void pod(std::string& out, int i, std::string_view version) {
  out += fmt::format(R"(---
apiVersion: v1
kind: Pod
metadata:
  name: svc{0}-{2}-5d8f
  namespace: ns{1}
  labels:
    app: svc{0}
    version: {2}
spec:
  containers:
  - name: app
    image: example.com/svc{0}:1.0
status:
  podIP: 10.{3}.{4}.{5}
)",
                     i, i % 50, version, 100 + (i >> 16) % 100, (i >> 8) & 255, i & 255);
}

}  // namespace

std::string generateMeshCorpus(int n) {
  std::string out;
  out.reserve(static_cast<size_t>(n) * 900);
  int made = 0;
  for (int i = 0; made < n; ++i) {
    kubeService(out, i);
    deployment(out, i);
    pod(out, i, "v1");
    pod(out, i, "v2");
    virtualService(out, i);
    destinationRule(out, i);
    made += 6;
    if (i % 4 == 0 && made < n) {
      serviceEntry(out, i);
      ++made;
    }
    if (i % 10 == 0 && made < n) {
      gateway(out, i);
      ++made;
    }
    if (i < 50 && i % 5 == 0 && made < n) {
      sidecar(out, i);
      ++made;
    }
  }
  return out;
}

std::string generateCorpus(int n) {
  std::string out;
  out.reserve(static_cast<size_t>(n) * 900);
  int made = 0;
  for (int i = 0; made < n; ++i) {
    virtualService(out, i);
    destinationRule(out, i);
    workloadEntry(out, i);
    made += 3;
    if (i % 4 == 0 && made < n) {
      serviceEntry(out, i);
      ++made;
    }
    if (i % 10 == 0 && made < n) {
      gateway(out, i);
      ++made;
    }
    if (i % 20 == 0 && made < n) {
      workloadGroup(out, i);
      ++made;
    }
    if (i < 50 && i % 5 == 0 && made < n) {
      sidecar(out, i);
      ++made;
    }
  }
  return out;
}

}  // namespace meshroute::bench
