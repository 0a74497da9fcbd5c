#include "api/node.h"

#include <gtest/gtest.h>

#include "api/message.h"

namespace meshroute::api {
namespace {

TEST(PlainScalarType, FollowsKubernetesYaml11Rules) {
  EXPECT_EQ(plainScalarType(""), ScalarType::kNull);
  EXPECT_EQ(plainScalarType("~"), ScalarType::kNull);
  EXPECT_EQ(plainScalarType("yes"), ScalarType::kBool);
  EXPECT_EQ(plainScalarType("Off"), ScalarType::kBool);
  EXPECT_EQ(plainScalarType("8080"), ScalarType::kInt);
  EXPECT_EQ(plainScalarType("0x1F"), ScalarType::kInt);
  EXPECT_EQ(plainScalarType("-3"), ScalarType::kInt);
  EXPECT_EQ(plainScalarType("1.5"), ScalarType::kFloat);
  EXPECT_EQ(plainScalarType("1e3"), ScalarType::kFloat);
  EXPECT_EQ(plainScalarType("v1"), ScalarType::kString);
  EXPECT_EQ(plainScalarType("10s"), ScalarType::kString);
  EXPECT_EQ(plainScalarType("1.2.3.4"), ScalarType::kString);
}

TEST(ParseDuration, AcceptsGoAndProtoForms) {
  EXPECT_EQ(parseDuration("500ms")->totalNanos(), 500'000'000);
  EXPECT_EQ(parseDuration("1.5s")->totalNanos(), 1'500'000'000);
  EXPECT_EQ(parseDuration("1h2m3.5s")->totalNanos(), 3723'500'000'000);
  EXPECT_EQ(parseDuration("2.000000005s")->totalNanos(), 2'000'000'005);
  EXPECT_EQ(parseDuration("0")->totalNanos(), 0);
  EXPECT_EQ(parseDuration("-1s")->totalNanos(), -1'000'000'000);
}

TEST(ParseDuration, RejectsMissingOrUnknownUnits) {
  EXPECT_FALSE(parseDuration("5"));
  EXPECT_FALSE(parseDuration(""));
  EXPECT_FALSE(parseDuration("5d"));
  EXPECT_FALSE(parseDuration("s"));
  EXPECT_FALSE(parseDuration("1.s.2"));
}

TEST(FormatDuration, UsesProtoJsonForm) {
  EXPECT_EQ(formatDuration({30, 0}), "30s");
  EXPECT_EQ(formatDuration({1, 500'000'000}), "1.500s");
  EXPECT_EQ(formatDuration({0, 1000}), "0.000001s");
}

}  // namespace
}  // namespace meshroute::api
