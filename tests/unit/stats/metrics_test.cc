#include "stats/metrics.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>

namespace meshroute::stats {
namespace {

RequestLabels labels(const std::string& code) {
  RequestLabels l;
  l.reporter = "source";
  l.destination_service = "reviews.default.svc.cluster.local";
  l.destination_version = "v2";
  l.response_code = code;
  l.response_flags = "-";
  return l;
}

std::string lineOf(const std::string& text, const std::string& prefix) {
  size_t at = text.find(prefix);
  if (at == std::string::npos) return "";
  return text.substr(at, text.find('\n', at) - at);
}

TEST(StatsMetrics, RendersIstioCounterWithLabelsInIstiosOrder) {
  MetricsRegistry reg(1);
  reg.shard(0).record(labels("200"), 3, 10, 200);
  std::string text = reg.renderPrometheus();
  EXPECT_NE(text.find("# TYPE istio_requests_total counter\n"), std::string::npos);
  EXPECT_EQ(lineOf(text, "istio_requests_total{"),
            "istio_requests_total{reporter=\"source\",source_workload=\"\","
            "source_workload_namespace=\"\",source_principal=\"\",source_app=\"\","
            "source_version=\"\",source_cluster=\"\",destination_workload=\"\","
            "destination_workload_namespace=\"\",destination_principal=\"\","
            "destination_app=\"\",destination_version=\"v2\","
            "destination_service=\"reviews.default.svc.cluster.local\","
            "destination_service_name=\"\",destination_service_namespace=\"\","
            "destination_cluster=\"\",request_protocol=\"\",response_code=\"200\","
            "grpc_response_status=\"\",response_flags=\"-\",connection_security_policy=\"\"} 1");
}

TEST(StatsMetrics, HistogramBucketsAreCumulativeAndBoundsInclusive) {
  MetricsRegistry reg(1);
  reg.shard(0).record(labels("200"), 5, 1000, 1);  // exactly on bounds 5 ms, 1000 B, 1 B
  reg.shard(0).record(labels("200"), 6, 1001, 0);
  std::string text = reg.renderPrometheus();
  auto count = [&](const std::string& name, const std::string& le) {
    std::string key = name + "_bucket{";
    size_t at = 0;
    while ((at = text.find(key, at)) != std::string::npos) {
      std::string line = text.substr(at, text.find('\n', at) - at);
      if (line.find("le=\"" + le + "\"}") != std::string::npos) {
        return std::stoi(line.substr(line.rfind(' ') + 1));
      }
      ++at;
    }
    return -1;
  };
  EXPECT_EQ(count("istio_request_duration_milliseconds", "1"), 0);
  EXPECT_EQ(count("istio_request_duration_milliseconds", "5"), 1);
  EXPECT_EQ(count("istio_request_duration_milliseconds", "10"), 2);
  EXPECT_EQ(count("istio_request_duration_milliseconds", "+Inf"), 2);
  EXPECT_EQ(count("istio_request_bytes", "1000"), 1);
  EXPECT_EQ(count("istio_request_bytes", "10000"), 2);
  EXPECT_EQ(count("istio_response_bytes", "1"), 2);
  EXPECT_EQ(count("istio_request_bytes", "1000000000"), 2);  // printed plainly, no exponent
  EXPECT_NE(text.find("istio_request_duration_milliseconds_bucket{reporter=\"source\""),
            std::string::npos);
  EXPECT_NE(text.find("le=\"0.5\""), std::string::npos);
  EXPECT_NE(lineOf(text, "istio_request_duration_milliseconds_sum{").find("} 11"),
            std::string::npos);
  EXPECT_NE(lineOf(text, "istio_request_bytes_count{").find("} 2"), std::string::npos);
}

TEST(StatsMetrics, SeriesWithEqualLabelsAreSummedAcrossShards) {
  MetricsRegistry reg(2);
  reg.shard(0).record(labels("200"), 1, 0, 0);
  reg.shard(1).record(labels("200"), 1, 0, 0);
  reg.shard(1).record(labels("503"), 1, 0, 0);
  std::string text = reg.renderPrometheus();
  EXPECT_NE(text.find("response_code=\"200\",grpc_response_status=\"\",response_flags=\"-\","
                      "connection_security_policy=\"\"} 2"),
            std::string::npos);
  EXPECT_NE(text.find("response_code=\"503\",grpc_response_status=\"\",response_flags=\"-\","
                      "connection_security_policy=\"\"} 1"),
            std::string::npos);
}

TEST(StatsMetrics, LabelValuesAreEscaped) {
  MetricsRegistry reg(1);
  RequestLabels l = labels("200");
  l.destination_app = "a\"b\\c\nd";
  reg.shard(0).record(l, 1, 0, 0);
  EXPECT_NE(reg.renderPrometheus().find("destination_app=\"a\\\"b\\\\c\\nd\""), std::string::npos);
}

TEST(StatsMetrics, ConcurrentRecordingAndScrapingLoseNothing) {
  MetricsRegistry reg(2);
  constexpr int kPerThread = 20000;
  std::thread a([&] {
    for (int i = 0; i < kPerThread; ++i)
      reg.shard(0).record(labels(i % 2 ? "200" : "503"), 1, 1, 1);
  });
  std::thread b([&] {
    for (int i = 0; i < kPerThread; ++i)
      reg.shard(1).record(labels(i % 2 ? "200" : "503"), 1, 1, 1);
  });
  std::thread scraper([&] {
    for (int i = 0; i < 50; ++i) EXPECT_FALSE(reg.renderPrometheus().empty());
  });
  a.join();
  b.join();
  scraper.join();
  std::string text = reg.renderPrometheus();
  EXPECT_NE(lineOf(text, "istio_requests_total{").find("} 20000"), std::string::npos);
}

}  // namespace
}  // namespace meshroute::stats
