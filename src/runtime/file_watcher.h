// Watches the -f paths with inotify and calls back, coalesced, when a configuration file is
// written, created, renamed into place or removed. Directories are watched recursively; for a
// file, its directory is watched so that editors' and kubectl-style rename-into-place writes
// are seen too. Runs on the main thread's io_context.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace meshroute::runtime {

class FileWatcher {
 public:
  // `on_change` runs on `io` after `settle` has passed without further events, so a burst of
  // writes (an editor's save, a directory sync) causes one reload.
  FileWatcher(boost::asio::io_context& io, const std::vector<std::string>& paths,
              std::function<void()> on_change,
              std::chrono::milliseconds settle = std::chrono::milliseconds(50));
  ~FileWatcher();
  FileWatcher(const FileWatcher&) = delete;
  FileWatcher& operator=(const FileWatcher&) = delete;

  // False when inotify is unavailable (then only SIGHUP reloads); error() says why.
  [[nodiscard]] bool active() const { return fd_ >= 0; }
  [[nodiscard]] const std::string& error() const { return error_; }
  // Any file under a watched directory counts, not only configuration files (.yaml, .yml,
  // .json): for certificates and keys, and Kubernetes' "..data" symlink swaps of mounted
  // secrets.
  void acceptAnyName() { any_name_ = true; }

 private:
  void addDirectory(const std::string& dir, bool recursive);
  void readEvents();
  void handleEvent(int wd, uint32_t mask, const std::string& name);
  void schedule();

  boost::asio::io_context& io_;
  bool any_name_ = false;
  std::function<void()> on_change_;
  std::chrono::milliseconds settle_;
  int fd_ = -1;
  std::string error_;
  boost::asio::posix::stream_descriptor stream_;
  boost::asio::steady_timer settle_timer_;
  std::map<int, std::string> dirs_;       // watch descriptor -> directory
  std::set<std::string> recursive_dirs_;  // directories given with -f (watch subdirs too)
  std::map<std::string, std::set<std::string>> files_;  // directory -> file names given with -f
  std::vector<char> buffer_;
};

}  // namespace meshroute::runtime
