// What a worker knows of a downstream connection, whatever its protocol: the two events it
// delivers to every open connection (a drain, the periodic tick). H1Connection and H2Connection
// implement it; the worker keeps a set of them.
//
// Thread affinity: the worker that accepted the connection.
#pragma once

#include <chrono>

namespace meshroute::proxy {

class DownstreamConnection {
 public:
  virtual ~DownstreamConnection() = default;
  // Drain: an idle connection closes now, a busy one once its requests are answered.
  virtual void onDrain() = 0;
  // The worker's tick: idle timeouts, and deadlines that came within reach.
  virtual void onTick(std::chrono::steady_clock::time_point now) = 0;
};

}  // namespace meshroute::proxy
