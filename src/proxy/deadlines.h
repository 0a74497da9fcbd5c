// The deadlines of one downstream connection and the stream it serves, by kind, on an injected
// clock: what replaces a single watchdog. Each wait in the pipeline is bounded by the deadlines
// in force; the connection keeps one timer set for the earliest of them (moved only when an
// earlier one appears, so a request that ends within its timeouts costs no timer operation),
// and asks which kind expired when it fires. Pure: no timers, no clock reads of its own.
//
//   Deadlines d;
//   d.set(DeadlineKind::kRoute, clock.now() + route_timeout);
//   d.set(DeadlineKind::kPerTry, clock.now() + per_try_timeout);
//   if (auto k = d.expired(clock.now())) ...  // the earliest kind that is due
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>

namespace meshroute::proxy {

enum class DeadlineKind : uint8_t {
  kIdle,             // connection idle between requests (HCM idle_timeout)
  kHeader,           // the request head must be complete (request_headers_timeout)
  kConnect,          // the upstream connection must be up (cluster connect_timeout)
  kPerTry,           // this attempt's response must be complete (retries.perTryTimeout)
  kRoute,            // the whole request, retries included (route timeout)
  kStreamIdle,       // any single read or write of the stream (stream_idle_timeout)
  kDisconnectWatch,  // start watching the client for a close while the upstream works
  kCount,
};

// Deadlines further away than this are not put on a stream's timer until the worker's tick
// (every 100 ms) finds them this close: a request that ends long before its stream-idle or
// header timeout (minutes) costs no timer operation.
inline constexpr std::chrono::seconds kDeadlineTimerHorizon{1};

class Deadlines {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  static constexpr time_point kNever = time_point::max();

  void set(DeadlineKind kind, time_point at) { at_[index(kind)] = at; }
  void clear(DeadlineKind kind) { at_[index(kind)] = kNever; }
  void clearAll() { at_.fill(kNever); }
  [[nodiscard]] time_point at(DeadlineKind kind) const { return at_[index(kind)]; }
  [[nodiscard]] bool active(DeadlineKind kind) const { return at_[index(kind)] != kNever; }
  [[nodiscard]] time_point earliest() const {
    time_point e = kNever;
    for (time_point t : at_) e = t < e ? t : e;
    return e;
  }
  // The kind due at `now` with the earliest deadline (ties: the lower kind), or nullopt.
  [[nodiscard]] std::optional<DeadlineKind> expired(time_point now) const {
    std::optional<DeadlineKind> best;
    time_point best_at = kNever;
    for (size_t i = 0; i < at_.size(); ++i) {
      if (at_[i] <= now && at_[i] < best_at) {
        best = static_cast<DeadlineKind>(i);
        best_at = at_[i];
      }
    }
    return best;
  }

 private:
  static size_t index(DeadlineKind k) { return static_cast<size_t>(k); }
  std::array<time_point, static_cast<size_t>(DeadlineKind::kCount)> at_ = filled();
  static std::array<time_point, static_cast<size_t>(DeadlineKind::kCount)> filled() {
    std::array<time_point, static_cast<size_t>(DeadlineKind::kCount)> a;
    a.fill(kNever);
    return a;
  }
};

}  // namespace meshroute::proxy
