#include "proxy/access_log_writer.h"

#include <pthread.h>
#include <unistd.h>

#include <csignal>

#include <cerrno>

namespace meshroute::proxy {
namespace {

void writeAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // a closed stdout must not take the proxy down
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace

AccessLogWriter::AccessLogWriter(int fd, size_t max_pending)
    : fd_(fd), max_pending_(max_pending), thread_([this] { run(); }) {}

AccessLogWriter::~AccessLogWriter() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void AccessLogWriter::submit(std::string& batch) {
  if (batch.empty()) return;
  std::string replacement;
  {
    std::lock_guard lock(mu_);
    if (pending_ + batch.size() > max_pending_) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      batch.clear();
      return;
    }
    pending_ += batch.size();
    queue_.push_back(std::move(batch));
    if (!spare_.empty()) {
      replacement = std::move(spare_.back());
      spare_.pop_back();
    }
  }
  cv_.notify_one();
  batch = std::move(replacement);
  batch.clear();
}

void AccessLogWriter::flush() {
  std::unique_lock lock(mu_);
  idle_cv_.wait(lock, [this] { return queue_.empty() && !writing_; });
}

void AccessLogWriter::run() {
  // A reader that went away makes write(2) fail with EPIPE here instead of raising SIGPIPE,
  // which would end the process.
  sigset_t pipe_signal;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
  std::vector<std::string> work;
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (queue_.empty() && stop_) break;
    work.swap(queue_);
    writing_ = true;
    lock.unlock();
    for (std::string& s : work) writeAll(fd_, s);
    lock.lock();
    writing_ = false;
    for (std::string& s : work) {
      pending_ -= s.size();
      s.clear();
      if (spare_.size() < 8) spare_.push_back(std::move(s));
    }
    work.clear();
    idle_cv_.notify_all();
  }
  writing_ = false;
  idle_cv_.notify_all();
}

}  // namespace meshroute::proxy
