// The access log's own thread: workers hand it batches of lines and it writes them to stdout,
// so a slow reader of stdout (a full pipe, a stalled terminal) never blocks a worker. Each
// worker collects lines in its own buffer and hands the batch over when it grows or on the
// worker's tick, which takes the writer's lock once per batch, not per request. Beyond a bound
// of pending bytes new batches are dropped and counted, as Envoy's access log drops rather
// than stall traffic.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace meshroute::proxy {

class AccessLogWriter {
 public:
  // `fd`: where lines go (stdout). `max_pending`: bytes queued before batches are dropped.
  explicit AccessLogWriter(int fd, size_t max_pending = size_t{8} << 20);
  ~AccessLogWriter();  // writes what is queued, then stops
  AccessLogWriter(const AccessLogWriter&) = delete;
  AccessLogWriter& operator=(const AccessLogWriter&) = delete;

  // Thread-safe. Takes the batch's contents (leaves `batch` empty, capacity kept when possible).
  void submit(std::string& batch);
  // Thread-safe. Blocks until everything submitted so far is written (shutdown, tests).
  void flush();
  [[nodiscard]] uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  void run();

  int fd_;
  size_t max_pending_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable idle_cv_;
  std::vector<std::string> queue_;
  std::vector<std::string> spare_;  // emptied strings, handed back to workers' batches
  size_t pending_ = 0;
  bool writing_ = false;
  bool stop_ = false;
  std::atomic<uint64_t> dropped_{0};
  std::thread thread_;
};

}  // namespace meshroute::proxy
