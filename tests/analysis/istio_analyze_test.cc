// Istio's own analyzer cases (../shared/conformance/istio-analyze), loaded the way Istio's test
// harness loads them (README there): namespace "", the implicit ingress gateway Pod and
// Service, the case's mesh config, only the named analyzer, and (code, origin) compared as
// multisets.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "analysis/input.h"

namespace meshroute::analysis {
namespace {

namespace fs = std::filesystem;

const fs::path kDir = fs::path(MESHROUTE_SHARED_DIR) / "conformance" / "istio-analyze";

struct Case {
  std::string name;
  std::string analyzer;
  std::vector<std::string> inputs;
  std::string mesh_config;
  std::vector<std::string> expected;  // "IST0101 VirtualService default/reviews"
};

// gtest prints a parameter with this instead of its bytes.
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

std::vector<Case> loadCases() {
  std::vector<Case> cases;
  std::ifstream in(kDir / "cases.json");
  if (!in) return cases;
  auto doc = nlohmann::json::parse(in);
  for (const auto& c : doc) {
    Case k;
    k.name = c["name"].get<std::string>();
    k.analyzer = c["analyzer"].get<std::string>();
    for (const auto& i : c["inputs"]) k.inputs.push_back(i.get<std::string>());
    if (!c["mesh_config"].is_null()) k.mesh_config = c["mesh_config"].get<std::string>();
    for (const auto& e : c["expected"]) {
      k.expected.push_back(e["code"].get<std::string>() + " " + e["resource"].get<std::string>());
    }
    cases.push_back(std::move(k));
  }
  return cases;
}

std::string testName(const std::string& name) {
  std::string out;
  for (char c : name) out += std::isalnum(static_cast<unsigned char>(c)) != 0 ? c : '_';
  return out;
}

// The date the suite's expectations hold at: gateway-secrets' good certificate is valid until
// 2122 and the expired one expired in 2023.
std::chrono::system_clock::time_point suiteNow() {
  return std::chrono::system_clock::time_point(std::chrono::seconds(1787443200));  // 2026-08-23
}

class IstioAnalyze : public ::testing::TestWithParam<Case> {};

TEST_P(IstioAnalyze, FindingsMatch) {
  const Case& c = GetParam();
  core::Diagnostics problems;
  MeshSettings mesh =
      c.mesh_config.empty()
          ? MeshSettings::from({})
          : loadMeshSettings((kDir / "testdata" / c.mesh_config).string(), problems);
  std::vector<std::string> paths;
  for (const auto& i : c.inputs) paths.push_back((kDir / "testdata" / i).string());
  api::LoadResult loaded = api::loadPaths(paths, loadOptions(""));
  ASSERT_EQ(loaded.io_errors, 0U);
  addDefaultResources(mesh, loaded.resources);
  Store store(loaded.resources);
  Options options;
  options.analyzers = {c.analyzer};
  options.now = suiteNow();
  // Exact duplicates are kept apart here as Istio's test compares before deduplication.
  Result result = analyze(store, mesh, options);
  std::vector<std::string> got;
  std::string detail;
  for (const Finding& f : result.findings) {
    got.push_back(std::string(f.type->code) + " " + f.origin());
    detail += f.text() + "\n";
  }
  ASSERT_EQ(result.executed.size(), 1U) << "analyzer " << c.analyzer << " does not exist";
  std::vector<std::string> want = c.expected;
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got, want) << "findings:\n" << detail;
}

INSTANTIATE_TEST_SUITE_P(Cases, IstioAnalyze, ::testing::ValuesIn(loadCases()),
                         [](const ::testing::TestParamInfo<Case>& param) {
                           return testName(param.param.name);
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(IstioAnalyze);

}  // namespace
}  // namespace meshroute::analysis
