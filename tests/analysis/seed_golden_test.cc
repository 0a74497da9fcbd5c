// Golden outputs of `meshroute analyze` for every seed example, each file analyzed alone as a
// user would (`meshroute analyze -f FILE`): the text lines and the JSON messages are compared
// with tests/golden/analyze/. Set MESHROUTE_UPDATE_GOLDEN=1 to rewrite them after a reviewed
// change.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "analysis/input.h"
#include "analysis/report.h"

namespace meshroute::analysis {
namespace {

namespace fs = std::filesystem;

const fs::path kSeeds = fs::path(MESHROUTE_SHARED_DIR) / "conformance" / "seed-examples";
const fs::path kGolden = fs::path(MESHROUTE_SOURCE_DIR) / "tests" / "golden" / "analyze";

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Outputs {
  std::string text;
  nlohmann::ordered_json json = nlohmann::ordered_json::object();
  size_t files = 0;
};

Outputs analyzeSeeds() {
  Outputs out;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(kSeeds)) {
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  Options options;
  // A fixed clock: certificate expiry must not change the goldens.
  options.now = std::chrono::system_clock::time_point(std::chrono::seconds(1798761600));
  for (const auto& path : files) {
    ++out.files;
    std::string name = "seed-examples/" + path.filename().string();
    api::LoadResult loaded;
    api::loadText(readFile(path), name, loaded, loadOptions("default"));
    MeshSettings mesh = MeshSettings::from({});
    addDefaultResources(mesh, loaded.resources);
    Store store(loaded.resources);
    Result result = analyze(store, mesh, options);
    if (result.findings.empty()) continue;
    out.text += "## " + name + "\n";
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const Finding& f : result.findings) {
      out.text += textLine(f, false) + "\n";
      list.push_back(findingJson(f));
    }
    out.json[name] = std::move(list);
  }
  return out;
}

TEST(SeedGolden, TextAndJsonMatch) {
  if (!fs::exists(kSeeds)) GTEST_SKIP() << "no seed examples at " << kSeeds;
  Outputs got = analyzeSeeds();
  ASSERT_GT(got.files, 0U);
  std::string json = got.json.dump(1, '\t') + "\n";
  if (std::getenv("MESHROUTE_UPDATE_GOLDEN") != nullptr) {
    fs::create_directories(kGolden);
    std::ofstream(kGolden / "seed-examples.txt", std::ios::binary) << got.text;
    std::ofstream(kGolden / "seed-examples.json", std::ios::binary) << json;
  }
  EXPECT_EQ(got.text, readFile(kGolden / "seed-examples.txt"));
  EXPECT_EQ(json, readFile(kGolden / "seed-examples.json"));
}

}  // namespace
}  // namespace meshroute::analysis
