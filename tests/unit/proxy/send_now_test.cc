// sendNow() on a real socket pair: what the kernel takes goes, the parts keep what is left, and
// a closed peer is an error while a full buffer is not.
#include "proxy/send_now.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace meshroute::proxy {
namespace {

class SendNowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds_), 0);
    ASSERT_EQ(::fcntl(fds_[0], F_SETFL, O_NONBLOCK), 0);
  }
  void TearDown() override {
    for (int fd : fds_) {
      if (fd >= 0) ::close(fd);
    }
  }
  std::string readAll(size_t want) {
    std::string got;
    char buf[4096];
    while (got.size() < want) {
      const ssize_t n = ::read(fds_[1], buf, sizeof(buf));
      if (n <= 0) break;
      got.append(buf, static_cast<size_t>(n));
    }
    return got;
  }
  int fds_[2] = {-1, -1};
};

TEST_F(SendNowTest, SmallPartsGoWholeAndInOrder) {
  std::array<std::string_view, 3> parts{"GET / HTTP/1.1\r\n", "", "host: a\r\n\r\n"};
  ASSERT_TRUE(sendNow(fds_[0], parts));
  EXPECT_TRUE(allSent(parts));
  EXPECT_EQ(readAll(27), "GET / HTTP/1.1\r\nhost: a\r\n\r\n");
}

TEST_F(SendNowTest, AFullBufferLeavesTheRestInTheParts) {
  int small = 4096;
  ASSERT_EQ(::setsockopt(fds_[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
  const std::string head(100, 'h');
  const std::string body(4 << 20, 'b');  // far more than the socket holds
  std::array<std::string_view, 2> parts{head, body};
  ASSERT_TRUE(sendNow(fds_[0], parts));
  EXPECT_FALSE(allSent(parts));
  EXPECT_TRUE(parts[0].empty());  // the head went first
  const size_t sent = head.size() + body.size() - parts[1].size();
  // What is left is the tail of the body, exactly.
  EXPECT_EQ(parts[1].data(), body.data() + (sent - head.size()));
  const std::string got = readAll(sent);
  EXPECT_EQ(got.size(), sent);
  EXPECT_EQ(got.substr(0, head.size()), head);
  // Nothing read meanwhile: another try takes more once the reader drained some.
  std::array<std::string_view, 2> again = parts;
  ASSERT_TRUE(sendNow(fds_[0], again));
  EXPECT_LT(again[1].size(), parts[1].size());
}

TEST_F(SendNowTest, AClosedPeerIsAnErrorWithoutSigpipe) {
  ::close(fds_[1]);
  fds_[1] = -1;
  std::array<std::string_view, 1> parts{"data"};
  EXPECT_FALSE(sendNow(fds_[0], parts));  // EPIPE, and MSG_NOSIGNAL kept the process alive
}

TEST_F(SendNowTest, NothingToSendIsDone) {
  std::array<std::string_view, 2> parts{"", ""};
  EXPECT_TRUE(sendNow(fds_[0], parts));
  EXPECT_TRUE(allSent(parts));
}

}  // namespace
}  // namespace meshroute::proxy
