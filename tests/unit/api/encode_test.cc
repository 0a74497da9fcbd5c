#include "api/encode.h"

#include <gtest/gtest.h>

#include "api/loader.h"

namespace meshroute::api {
namespace {

TEST(JsonEncoder, WritesWhatTheSourceSaidAndNothingElse) {
  LoadResult r;
  loadText(R"(apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: we}
spec:
  address: 10.0.0.1
  weight: 0
  ports: {http: 8080}
)",
           "in.yaml", r);
  ASSERT_EQ(r.resources.size(), 1u);
  nlohmann::json j = toJson(*r.resources[0].as<WorkloadEntry>());
  EXPECT_EQ(j["address"], "10.0.0.1");
  EXPECT_EQ(j["weight"], 0);  // written explicitly, so kept
  EXPECT_EQ(j["ports"]["http"], 8080);
  EXPECT_FALSE(j.contains("labels"));
  EXPECT_FALSE(j.contains("network"));
}

TEST(JsonEncoder, FormatsDurationsAsProtoJson) {
  WorkloadGroup wg;
  wg.probe.emplace();
  wg.probe->period_seconds = 5;
  nlohmann::json j = toJson(wg);
  EXPECT_EQ(j["probe"]["periodSeconds"], 5);
  EXPECT_EQ(formatDuration({1, 500000000}), "1.500s");
}

}  // namespace
}  // namespace meshroute::api
