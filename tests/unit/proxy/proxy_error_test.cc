#include "proxy/proxy_error.h"

#include <gtest/gtest.h>

namespace meshroute::proxy {
namespace {

TEST(ResponseFlags, PrintInEnvoysOrderWhateverTheOrderSet) {
  ResponseFlags f;
  f.set(ResponseFlag::kUpstreamRetryLimitExceeded);
  f.set(ResponseFlag::kUpstreamConnectionFailure);
  EXPECT_EQ(f.str(), "UF,URX");
  ResponseFlags g;
  g.set(ResponseFlag::kFaultInjected);
  g.set(ResponseFlag::kDelayInjected);
  EXPECT_EQ(g.str(), "DI,FI");
}

TEST(ResponseFlags, NoneSetsNothingAndEmptyPrintsNothing) {
  ResponseFlags f;
  f.set(ResponseFlag::kNone);
  EXPECT_TRUE(f.empty());
  EXPECT_EQ(f.str(), "");
}

TEST(ResponseFlags, EveryFlagHasEnvoysShortName) {
  EXPECT_EQ(flagName(ResponseFlag::kNoHealthyUpstream), "UH");
  EXPECT_EQ(flagName(ResponseFlag::kUpstreamRequestTimeout), "UT");
  EXPECT_EQ(flagName(ResponseFlag::kNoRouteFound), "NR");
  EXPECT_EQ(flagName(ResponseFlag::kDownstreamConnectionTermination), "DC");
  EXPECT_EQ(flagName(ResponseFlag::kDownstreamProtocolError), "DPE");
  EXPECT_EQ(flagName(ResponseFlag::kUpstreamProtocolError), "UPE");
  EXPECT_EQ(flagName(ResponseFlag::kNoClusterFound), "NC");
  EXPECT_EQ(flagName(ResponseFlag::kUnconditionalDropOverload), "UDO");
  for (int i = 0; i < static_cast<int>(ResponseFlag::kNone); ++i) {
    EXPECT_FALSE(flagName(static_cast<ResponseFlag>(i)).empty()) << i;
  }
}

TEST(ErrorTable, EnvoysAnswersForUpstreamFailures) {
  const ErrorInfo& uf = errorInfo(ProxyError::kConnectFailure);
  EXPECT_EQ(uf.status, 503);
  EXPECT_EQ(uf.body,
            "upstream connect error or disconnect/reset before headers. reset reason: connection "
            "failure");
  EXPECT_EQ(uf.flag, ResponseFlag::kUpstreamConnectionFailure);
  EXPECT_EQ(uf.side, ErrorSide::kUpstream);
  EXPECT_TRUE(uf.retryable);
  const ErrorInfo& ut = errorInfo(ProxyError::kUpstreamTimeout);
  EXPECT_EQ(ut.status, 504);
  EXPECT_EQ(ut.body, "upstream request timeout");
  EXPECT_EQ(ut.flag, ResponseFlag::kUpstreamRequestTimeout);
  const ErrorInfo& uh = errorInfo(ProxyError::kNoHealthyUpstream);
  EXPECT_EQ(uh.body, "no healthy upstream");
}

TEST(ErrorTable, AClientsMalformedRequestIsItsOwnErrorAndNeverRetried) {
  const ErrorInfo& dpe = errorInfo(ProxyError::kDownstreamProtocol);
  EXPECT_EQ(dpe.status, 400);
  EXPECT_EQ(dpe.flag, ResponseFlag::kDownstreamProtocolError);
  EXPECT_EQ(dpe.side, ErrorSide::kDownstream);
  EXPECT_FALSE(dpe.retryable);
  EXPECT_EQ(errorInfo(ProxyError::kDownstreamDisconnect).side, ErrorSide::kDownstream);
  EXPECT_FALSE(errorInfo(ProxyError::kNoRoute).retryable);
}

TEST(ErrorTable, EveryErrorHasARow) {
  for (int i = 0; i < static_cast<int>(ProxyError::kCount); ++i) {
    const ErrorInfo& e = errorInfo(static_cast<ProxyError>(i));
    EXPECT_FALSE(e.details.empty()) << i;
  }
  EXPECT_EQ(errorInfo(ProxyError::kFaultAbort).body, "fault filter abort");
}

TEST(LocalResponse, HasEnvoysHeadersAndTheBody) {
  std::string out;
  appendLocalResponse(out, 503, "no healthy upstream", "x-extra: 1\r\n", true, 1);
  EXPECT_TRUE(out.starts_with("HTTP/1.1 503 Service Unavailable\r\n"));
  EXPECT_NE(out.find("content-length: 19\r\n"), std::string::npos);
  EXPECT_NE(out.find("server: envoy\r\n"), std::string::npos);
  EXPECT_NE(out.find("x-extra: 1\r\n"), std::string::npos);
  EXPECT_NE(out.find("connection: close\r\n"), std::string::npos);
  EXPECT_TRUE(out.ends_with("\r\n\r\nno healthy upstream"));
}

}  // namespace
}  // namespace meshroute::proxy
