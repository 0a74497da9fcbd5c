#include "proxy/access_log_writer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

namespace meshroute::proxy {
namespace {

std::string drain(int fd) {
  std::string out;
  char buf[4096];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

TEST(AccessLogWriter, WritesEveryBatchInOrderOfSubmission) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  {
    AccessLogWriter w(fds[1]);
    for (int i = 0; i < 100; ++i) {
      std::string batch = "line " + std::to_string(i) + "\n";
      w.submit(batch);
      EXPECT_TRUE(batch.empty());
    }
    w.flush();
  }
  ::close(fds[1]);
  const std::string all = drain(fds[0]);
  ::close(fds[0]);
  std::string expected;
  for (int i = 0; i < 100; ++i) expected += "line " + std::to_string(i) + "\n";
  EXPECT_EQ(all, expected);
}

// A reader that never reads: the pipe fills, the writer thread blocks in write(2), and what
// workers submit beyond the bound is dropped and counted instead of blocking them.
TEST(AccessLogWriter, AStalledReaderNeverBlocksTheSubmitters) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  uint64_t dropped = 0;
  {
    AccessLogWriter w(fds[1], /*max_pending=*/256 * 1024);
    std::vector<std::thread> workers;
    for (int t = 0; t < 2; ++t) {
      workers.emplace_back([&w] {
        for (int i = 0; i < 2000; ++i) {
          std::string batch(1024, 'x');
          w.submit(batch);
        }
      });
    }
    for (auto& th : workers) th.join();  // returns although nobody reads the pipe
    dropped = w.dropped();
    EXPECT_GT(dropped, 0U);
    ::close(fds[0]);  // the writer's next write fails; it drains and stops
  }
  ::close(fds[1]);
  EXPECT_GT(dropped, 0U);
}

}  // namespace
}  // namespace meshroute::proxy
