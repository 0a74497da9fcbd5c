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
  const auto now = std::chrono::steady_clock::now();
  const upstream::CircuitBreaker* breaker = conn->slot.breaker();
  if (list.size() >= max_idle_per_host_ || !conn->transport->isOpen() ||
      (conn->buffer && !conn->buffer->empty()) ||
      (conn->max_requests > 0 && conn->requests >= conn->max_requests) ||
      (conn->expires_at != std::chrono::steady_clock::time_point{} && now >= conn->expires_at) ||
      (breaker != nullptr && breaker->waiting() > 0)) {
    conn->transport->close();
    return;  // the slot, if any, is released as the connection goes
  }
  conn->idle_since = now;
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

void UpstreamPool::closeIdleIf(const std::function<bool(const UpstreamConnection&)>& doomed) {
  for (auto& [key, list] : idle_) {
    std::erase_if(list, [&](const std::unique_ptr<UpstreamConnection>& c) {
      if (!doomed(*c)) return false;
      c->transport->cancelWatch();
      c->transport->close();
      return true;
    });
  }
}

void UpstreamPool::onTick(std::chrono::steady_clock::time_point now) {
  closeIdleIf([now](const UpstreamConnection& c) {
    const upstream::CircuitBreaker* b = c.slot.breaker();
    return (c.idle_timeout.count() > 0 && now - c.idle_since >= c.idle_timeout) ||
           (b != nullptr && b->waiting() > 0);
  });
}

void UpstreamPool::closeIdleOf(const upstream::CircuitBreaker* breaker) {
  closeIdleIf([breaker](const UpstreamConnection& c) { return c.slot.breaker() == breaker; });
}

void UpstreamPool::closeIdleTlsUnless(const std::function<bool(uint64_t)>& live) {
  closeIdleIf(
      [&live](const UpstreamConnection& c) { return c.tls_context != 0 && !live(c.tls_context); });
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
