#include "proxy/upstream/upstream_pool.h"

#include <algorithm>

namespace meshroute::proxy {

std::unique_ptr<UpstreamConnection> UpstreamPool::takeIdle(const std::string& key) {
  auto it = idle_.find(key);
  if (it == idle_.end()) return nullptr;
  auto& list = it->second;
  while (!list.empty()) {
    std::unique_ptr<UpstreamConnection> conn = std::move(list.back());
    list.pop_back();
    // Ends the idle watch: its handler runs later with operation_aborted and touches nothing.
    conn->transport->cancelWatch();
    if (conn->transport->isOpen()) return conn;
    conn->transport->close();
  }
  return nullptr;
}

void UpstreamPool::release(std::unique_ptr<UpstreamConnection> conn) {
  auto& list = idle_[conn->key];
  if (list.size() >= max_idle_per_host_ || !conn->transport->isOpen() || !conn->buffer.empty()) {
    conn->transport->close();
    return;
  }
  UpstreamConnection* raw = conn.get();
  list.push_back(std::move(conn));
  raw->transport->watchIdle([this, raw] { dropIdle(raw); });
}

// Only compares addresses until it finds `conn` in the pool: a connection taken for a request
// meanwhile (its watch completed just before it was taken) may be gone.
void UpstreamPool::dropIdle(const UpstreamConnection* conn) {
  for (auto& [key, list] : idle_) {
    auto it =
        std::find_if(list.begin(), list.end(), [conn](const auto& c) { return c.get() == conn; });
    if (it == list.end()) continue;
    (*it)->transport->close();
    list.erase(it);
    return;
  }
}

void UpstreamPool::closeAll() {
  for (auto& [key, list] : idle_) {
    for (auto& conn : list) conn->transport->close();
  }
  idle_.clear();
}

size_t UpstreamPool::idleCount() const {
  size_t n = 0;
  for (const auto& [key, list] : idle_) n += list.size();
  return n;
}

}  // namespace meshroute::proxy
