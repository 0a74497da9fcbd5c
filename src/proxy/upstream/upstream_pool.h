// A worker's idle upstream connections, keyed by endpoint address. HTTP/1.1 keep-alive
// connections are reused for later requests to the same endpoint; connections stay on the
// worker that opened them, so the pool needs no lock.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "proxy/io_buffer.h"
#include "proxy/upstream/transport.h"

namespace meshroute::proxy {

struct UpstreamConnection {
  UpstreamConnection(std::unique_ptr<Transport> t, std::string endpoint_key, size_t buffer_size)
      : transport(std::move(t)), key(std::move(endpoint_key)), buffer(buffer_size) {}
  std::unique_ptr<Transport> transport;
  std::string key;  // "10.0.0.1:8080"
  IoBuffer buffer;
  uint64_t requests = 0;  // served on this connection (1 = fresh)
};

class UpstreamPool {
 public:
  explicit UpstreamPool(size_t max_idle_per_host) : max_idle_per_host_(max_idle_per_host) {}

  // An idle connection to `key` that the upstream has not closed meanwhile, or null.
  std::unique_ptr<UpstreamConnection> takeIdle(const std::string& key);
  // Keeps a connection whose last exchange ended cleanly for reuse. While it is idle its
  // transport watches it (Transport::watchIdle), so that an upstream that closes it (or sends
  // anything unasked) takes it out of the pool at once, as Envoy does, instead of a check on
  // every reuse.
  void release(std::unique_ptr<UpstreamConnection> conn);
  void closeAll();
  [[nodiscard]] size_t idleCount() const;

 private:
  void dropIdle(const UpstreamConnection* conn);

  size_t max_idle_per_host_;
  std::unordered_map<std::string, std::vector<std::unique_ptr<UpstreamConnection>>> idle_;
};

}  // namespace meshroute::proxy
