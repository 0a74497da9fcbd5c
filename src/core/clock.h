// Time as an injected value. Code that decides by time (deadlines, backoff, fault delays,
// ejections) asks a Clock instead of std::chrono directly, so tests drive it on a FakeClock and
// never sleep.
//
//   core::FakeClock clock;
//   Deadlines d(clock.now());
//   clock.advance(std::chrono::milliseconds(500));
#pragma once

#include <chrono>

namespace meshroute::core {

class Clock {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  using duration = std::chrono::steady_clock::duration;
  virtual ~Clock() = default;
  [[nodiscard]] virtual time_point now() const = 0;
};

// The monotonic clock of the machine. Stateless: one instance serves every thread.
class SteadyClock final : public Clock {
 public:
  [[nodiscard]] time_point now() const override { return std::chrono::steady_clock::now(); }
  static SteadyClock& instance() {
    static SteadyClock clock;
    return clock;
  }
};

// A clock that moves only when told to. Single-threaded, for tests.
class FakeClock final : public Clock {
 public:
  FakeClock() : now_(std::chrono::steady_clock::time_point{} + std::chrono::hours(1)) {}
  [[nodiscard]] time_point now() const override { return now_; }
  void advance(duration d) { now_ += d; }

 private:
  time_point now_;
};

}  // namespace meshroute::core
