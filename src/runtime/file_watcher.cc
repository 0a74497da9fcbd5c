#include "runtime/file_watcher.h"

#include <sys/inotify.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace meshroute::runtime {
namespace {

constexpr uint32_t kDirMask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE |
                              IN_DELETE_SELF | IN_MOVE_SELF | IN_ATTRIB;

bool isConfigName(const std::string& name) {
  auto ends = [&](std::string_view suffix) {
    return name.size() >= suffix.size() &&
           name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  // Hidden files are editors' and kubectl's temporaries; the rename into place is what counts.
  if (name.empty() || name[0] == '.') return false;
  return ends(".yaml") || ends(".yml") || ends(".json");
}

}  // namespace

FileWatcher::FileWatcher(boost::asio::io_context& io, const std::vector<std::string>& paths,
                         std::function<void()> on_change, std::chrono::milliseconds settle)
    : io_(io),
      on_change_(std::move(on_change)),
      settle_(settle),
      stream_(io),
      settle_timer_(io),
      buffer_(64 * size_t{1024}) {
  fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd_ < 0) {
    error_ = std::error_code(errno, std::generic_category()).message();
    return;
  }
  namespace fs = std::filesystem;
  for (const auto& p : paths) {
    std::error_code ec;
    if (p == "-") continue;
    if (fs::is_directory(p, ec)) {
      recursive_dirs_.insert(fs::absolute(p, ec).lexically_normal().string());
      addDirectory(fs::absolute(p, ec).lexically_normal().string(), true);
    } else {
      fs::path abs = fs::absolute(p, ec).lexically_normal();
      files_[abs.parent_path().string()].insert(abs.filename().string());
      addDirectory(abs.parent_path().string(), false);
    }
  }
  stream_.assign(fd_);
  readEvents();
}

FileWatcher::~FileWatcher() {
  boost::system::error_code ec;
  settle_timer_.cancel();
  if (fd_ >= 0) stream_.close(ec);  // closes fd_
}

void FileWatcher::addDirectory(const std::string& dir, bool recursive) {
  int wd = inotify_add_watch(fd_, dir.c_str(), kDirMask);
  if (wd < 0) {
    error_ = dir + ": " + std::error_code(errno, std::generic_category()).message();
    return;
  }
  dirs_[wd] = dir;
  if (!recursive) return;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.is_directory(ec)) addDirectory(entry.path().string(), true);
  }
}

void FileWatcher::readEvents() {
  stream_.async_read_some(
      boost::asio::buffer(buffer_), [this](boost::system::error_code ec, size_t n) {
        if (ec) return;  // closed on shutdown
        size_t off = 0;
        while (off + sizeof(inotify_event) <= n) {
          inotify_event ev{};
          std::memcpy(&ev, buffer_.data() + off, sizeof(ev));
          std::string name;
          if (ev.len > 0) name = std::string(buffer_.data() + off + sizeof(ev), ev.len).c_str();
          handleEvent(ev.wd, ev.mask, name);
          off += sizeof(inotify_event) + ev.len;
        }
        readEvents();
      });
}

void FileWatcher::handleEvent(int wd, uint32_t mask, const std::string& name) {
  if ((mask & IN_Q_OVERFLOW) != 0) {
    schedule();
    return;
  }
  auto dir = dirs_.find(wd);
  if (dir == dirs_.end()) return;
  const std::string path = dir->second;
  if ((mask & IN_IGNORED) != 0) {
    dirs_.erase(dir);
    return;
  }
  bool recursive = false;
  for (const auto& root : recursive_dirs_) {
    if (path.compare(0, root.size(), root) == 0) recursive = true;
  }
  if ((mask & IN_ISDIR) != 0) {
    if (recursive && (mask & (IN_CREATE | IN_MOVED_TO)) != 0) {
      addDirectory(path + "/" + name, true);
      schedule();
    } else if (recursive && (mask & (IN_DELETE | IN_MOVED_FROM)) != 0) {
      schedule();
    }
    return;
  }
  if ((mask & (IN_DELETE_SELF | IN_MOVE_SELF)) != 0) {
    schedule();
    return;
  }
  auto files = files_.find(path);
  bool named = files != files_.end() && files->second.count(name) > 0;
  if (named || (recursive && (any_name_ || isConfigName(name)))) {
    // IN_CREATE alone is followed by writes; wait for the close or the rename.
    if ((mask & (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ATTRIB)) != 0) {
      schedule();
    }
  }
}

void FileWatcher::schedule() {
  settle_timer_.expires_after(settle_);
  settle_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) on_change_();
  });
}

}  // namespace meshroute::runtime
