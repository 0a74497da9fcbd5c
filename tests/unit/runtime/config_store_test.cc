#include "runtime/config_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace meshroute::runtime {
namespace {

namespace fs = std::filesystem;

class ConfigStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("meshroute-config-store-" +
            std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  fs::path dir_;
};

constexpr const char* kVs = R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - route: [{destination: {host: reviews}, weight: WEIGHT}]
)";

std::string vs(const std::string& weight) {
  std::string s = kVs;
  s.replace(s.find("WEIGHT"), 6, weight);
  return s;
}

TEST_F(ConfigStoreTest, AcceptsThenRejectsInvalidChangeKeepingLastGood) {
  write("vs.yaml", vs("100"));
  ConfigStore store({dir_.string()}, routing::MeshConfig{});
  auto first = store.reload();
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->version, 1U);
  EXPECT_EQ(first->snapshot->resources().size(), 1U);

  write("vs.yaml", vs("-1"));
  EXPECT_EQ(store.reload(), nullptr);
  ASSERT_TRUE(store.lastRejection().has_value());
  ASSERT_EQ(store.lastRejection()->reasons.size(), 1U);
  const std::string& reason = store.lastRejection()->reasons[0];
  EXPECT_NE(reason.find("vs.yaml:7: VirtualService default/reviews "), std::string::npos) << reason;
  EXPECT_NE(reason.find("spec.http[0].route[0].weight"), std::string::npos) << reason;
  EXPECT_EQ(store.current(), first);  // the last good generation still serves
  EXPECT_EQ(store.rejectedCount(), 1U);

  write("vs.yaml", vs("50"));
  auto second = store.reload();
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(second->version, 2U);
}

TEST_F(ConfigStoreTest, YamlSyntaxErrorsAndMissingPathsAreRejected) {
  write("broken.yaml", "kind: VirtualService\nspec: [unclosed\n");
  ConfigStore store({dir_.string()}, routing::MeshConfig{});
  EXPECT_EQ(store.reload(), nullptr);
  ASSERT_TRUE(store.lastRejection().has_value());
  EXPECT_NE(store.lastRejection()->reasons[0].find("broken.yaml:"), std::string::npos);

  ConfigStore missing({(dir_ / "nope.yaml").string()}, routing::MeshConfig{});
  EXPECT_EQ(missing.reload(), nullptr);
}

}  // namespace
}  // namespace meshroute::runtime
