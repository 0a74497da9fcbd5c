// A worker's idle upstream connections, keyed by endpoint address. HTTP/1.1 keep-alive
// connections are reused for later requests to the same endpoint; connections stay on the
// worker that opened them, so the pool needs no lock.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "proxy/io_buffer.h"
#include "proxy/upstream/transport.h"
#include "upstream/circuit_breaker.h"

namespace meshroute::proxy {

struct UpstreamConnection {
  UpstreamConnection(std::unique_ptr<Transport> t, std::string pool_key)
      : transport(std::move(t)), key(std::move(pool_key)) {}
  std::unique_ptr<Transport> transport;
  // "10.0.0.1:8080"; "cluster|10.0.0.1:8080" for a cluster with a connectionPool policy of its
  // own (its connections are counted and limited apart, as Envoy's pools are per cluster).
  std::string key;
  // The response's bytes: taken from the worker's BufferPool for a request and given back when
  // the connection goes idle, so a pooled connection holds no buffer (they are 80 KiB).
  std::unique_ptr<IoBuffer> buffer;
  uint64_t requests = 0;  // served on this connection (1 = fresh)
  // The cluster's connectionPool: the connection's circuit-breaker slot (released when the
  // connection goes) and its own limits.
  upstream::BreakerHold slot;
  uint64_t tls_context = 0;   // the TlsClientContext id it was made from; 0: plain TCP
  uint64_t max_requests = 0;  // 0: unlimited
  std::chrono::milliseconds idle_timeout{0};           // 0: never
  std::chrono::steady_clock::time_point expires_at{};  // maxConnectionDuration; {}: never
  std::chrono::steady_clock::time_point idle_since{};
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
  // A connection that reached its maxRequestsPerConnection or maxConnectionDuration is closed
  // instead, and so is one whose cluster has requests waiting for a connection slot (its slot
  // goes to the first of them).
  void release(std::unique_ptr<UpstreamConnection> conn);
  // Closes idle connections whose idleTimeout passed, and those of clusters with requests
  // waiting for a slot (on another worker: this worker's tick is how they get it).
  void onTick(std::chrono::steady_clock::time_point now);
  // Closes this worker's idle connections counted by `breaker`.
  void closeIdleOf(const upstream::CircuitBreaker* breaker);
  // Closes idle TLS connections made from a context `live` no longer returns true for (a new
  // configuration read the certificates again).
  void closeIdleTlsUnless(const std::function<bool(uint64_t context_id)>& live);
  void closeAll();
  [[nodiscard]] size_t idleCount() const;

 private:
  void dropIdle(const UpstreamConnection* conn);
  // Closes and removes the idle connections `doomed` picks.
  void closeIdleIf(const std::function<bool(const UpstreamConnection&)>& doomed);

  size_t max_idle_per_host_;
  std::unordered_map<std::string, std::vector<std::unique_ptr<UpstreamConnection>>> idle_;
};

}  // namespace meshroute::proxy
