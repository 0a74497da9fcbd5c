#include "api/loader.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace meshroute::api {
namespace {

constexpr std::string_view kWorkloadEntry = R"(apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata:
  name: we
  namespace: shop
spec:
  address: 10.0.0.1
  labels:
    app: cart
)";

LoadResult load(std::string_view text) {
  LoadResult r;
  loadText(text, "in.yaml", r);
  return r;
}

TEST(Loader, ReadsMultiDocumentYamlSkippingEmptyDocuments) {
  std::string text = std::string(kWorkloadEntry) + "---\n---\n" + std::string(kWorkloadEntry);
  auto r = load(text);
  EXPECT_FALSE(r.diagnostics.hasErrors());
  ASSERT_EQ(r.resources.size(), 2u);
  EXPECT_EQ(r.resources[1].mark.line, 12u);
  const auto* we = r.resources[0].as<WorkloadEntry>();
  ASSERT_NE(we, nullptr);
  EXPECT_EQ(we->address, "10.0.0.1");
  EXPECT_EQ(r.resources[0].meta.namespace_, "shop");
}

TEST(Loader, ReadsJsonAndKindList) {
  auto r = load(R"({"apiVersion": "v1", "kind": "List", "items": [
    {"apiVersion": "networking.istio.io/v1beta1", "kind": "WorkloadEntry",
     "metadata": {"name": "a"}, "spec": {"address": "1.1.1.1", "ports": {"http": 8080}}}]})");
  EXPECT_FALSE(r.diagnostics.hasErrors());
  ASSERT_EQ(r.resources.size(), 1u);
  EXPECT_EQ(r.resources[0].version, "v1beta1");
  EXPECT_EQ(r.resources[0].meta.namespace_, "default");
  EXPECT_EQ(r.resources[0].as<WorkloadEntry>()->ports.at("http"), 8080u);
}

TEST(Loader, SkipsUnknownKindsWithANote) {
  auto r = load("apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: c}\n");
  EXPECT_FALSE(r.diagnostics.hasErrors());
  EXPECT_TRUE(r.resources.empty());
  ASSERT_EQ(r.diagnostics.items().size(), 1u);
  EXPECT_EQ(r.diagnostics.items()[0].level, core::Level::kInfo);
}

TEST(Loader, RejectsUnservedVersion) {
  auto r = load("apiVersion: networking.istio.io/v2\nkind: Gateway\nmetadata: {name: g}\n");
  EXPECT_TRUE(r.diagnostics.hasErrors());
}

TEST(Loader, ReportsTypeErrorsWithLineAndFieldPath) {
  auto r = load(R"(apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: we}
spec:
  address: 10.0.0.1
  weight: "5"
  labels:
    version: 2
)");
  ASSERT_EQ(r.resources.size(), 1u);
  const auto& diags = r.resources[0].decode_diagnostics.items();
  ASSERT_EQ(diags.size(), 2u);
  auto find = [&](std::string_view field) {
    for (const auto& d : diags) {
      if (d.field == field) return d;
    }
    return core::Diagnostic{};
  };
  EXPECT_EQ(find("spec.weight").mark.line, 6u);
  EXPECT_NE(find("spec.weight").message.find("remove the quotes"), std::string::npos);
  EXPECT_EQ(find("spec.labels[version]").mark.line, 8u);
}

TEST(Loader, ReadsKubernetesKindsLeniently) {
  auto r = load(R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: reviews-v2}
spec:
  replicas: 2
  strategy: {type: RollingUpdate}
  template:
    metadata:
      labels: {app: reviews, version: v2}
    spec:
      containers:
      - name: reviews
        image: reviews:v2
        resources: {limits: {cpu: 1}}
)");
  EXPECT_FALSE(r.diagnostics.hasErrors());
  ASSERT_EQ(r.resources.size(), 1u);
  EXPECT_TRUE(r.resources[0].decode_diagnostics.empty());
  const auto* d = r.resources[0].as<K8sDeployment>();
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->spec.template_.metadata.labels.at("version"), "v2");
}

TEST(Loader, SyntaxErrorNamesLine) {
  auto r = load("apiVersion: v1\nkind: Service\nmetadata: {name: [\n");
  ASSERT_TRUE(r.diagnostics.hasErrors());
  EXPECT_GT(r.diagnostics.items()[0].mark.line, 0u);
}

TEST(Loader, StopsAliasBombs) {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'k'; ++c) {
    bomb += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i) bomb += std::string(i ? ", *" : "*") + prev;
    bomb += "]\n";
    prev = c;
  }
  auto r = load(bomb);
  ASSERT_TRUE(r.diagnostics.hasErrors());
  EXPECT_NE(r.diagnostics.items()[0].message.find("alias bomb"), std::string::npos);
}

TEST(Loader, StopsDeepNesting) {
  std::string deep(5000, '[');
  auto r = load(deep);
  EXPECT_TRUE(r.diagnostics.hasErrors());
  std::string nested;
  for (int i = 0; i < 300; ++i) nested += std::string(static_cast<size_t>(i) * 2, ' ') + "a:\n";
  auto r2 = load(nested);
  EXPECT_TRUE(r2.diagnostics.hasErrors());
}

TEST(Loader, RejectsBinaryJunkAndOversizedText) {
  std::string junk("\x00\xff\xfe binary", 10);
  EXPECT_TRUE(load(junk).diagnostics.hasErrors());
  LoadResult r;
  LoadOptions small;
  small.limits.max_file_bytes = 64;
  loadText(std::string(100, 'a'), "big.yaml", r, small);
  ASSERT_TRUE(r.diagnostics.hasErrors());
  EXPECT_NE(r.diagnostics.items()[0].message.find("limit"), std::string::npos);
}

TEST(Loader, ReadsDirectoriesRecursivelyInNameOrder) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / "meshroute-loader-test";
  fs::remove_all(dir);
  fs::create_directories(dir / "sub");
  std::ofstream(dir / "b.yaml") << kWorkloadEntry;
  std::ofstream(dir / "sub" / "a.yml") << kWorkloadEntry;
  std::ofstream(dir / "notes.txt") << "not config";
  auto r = loadPaths({dir.string()});
  EXPECT_EQ(r.files_read, 2u);
  EXPECT_EQ(r.resources.size(), 2u);
  auto missing = loadPaths({(dir / "nope.yaml").string()});
  EXPECT_TRUE(missing.diagnostics.hasErrors());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace meshroute::api
