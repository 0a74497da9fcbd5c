#include "proxy/upstream_pool.h"

#include <sys/socket.h>

namespace meshroute::proxy {
namespace {

// An idle keep-alive connection is only usable if the upstream has neither closed it nor sent
// anything unasked; checking before reuse avoids sending a request into a half-closed socket.
bool stillUsable(UpstreamConnection& conn) {
  if (!conn.socket.is_open() || !conn.buffer.empty()) return false;
  char byte = 0;
  ssize_t n = ::recv(conn.socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

}  // namespace

std::unique_ptr<UpstreamConnection> UpstreamPool::takeIdle(const std::string& key) {
  auto it = idle_.find(key);
  if (it == idle_.end()) return nullptr;
  auto& list = it->second;
  while (!list.empty()) {
    std::unique_ptr<UpstreamConnection> conn = std::move(list.back());
    list.pop_back();
    if (stillUsable(*conn)) return conn;
    boost::system::error_code ec;
    conn->socket.close(ec);
  }
  return nullptr;
}

void UpstreamPool::release(std::unique_ptr<UpstreamConnection> conn) {
  auto& list = idle_[conn->key];
  if (list.size() >= max_idle_per_host_) {
    boost::system::error_code ec;
    conn->socket.close(ec);
    return;
  }
  list.push_back(std::move(conn));
}

void UpstreamPool::closeAll() {
  for (auto& [key, list] : idle_) {
    for (auto& conn : list) {
      boost::system::error_code ec;
      conn->socket.close(ec);
    }
  }
  idle_.clear();
}

size_t UpstreamPool::idleCount() const {
  size_t n = 0;
  for (const auto& [key, list] : idle_) n += list.size();
  return n;
}

}  // namespace meshroute::proxy
