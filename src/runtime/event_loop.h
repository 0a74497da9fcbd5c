// One thread running one io_context: a proxy worker or the admin server. Work posted to it
// runs on that thread only, which is how state is kept thread-confined instead of locked.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <optional>
#include <string>
#include <thread>

namespace meshroute::runtime {

// An io_context whose pending handlers can be destroyed before the context itself is (Asio's
// shutdown() is protected; the destructor calls it again, which does nothing the second time).
class LoopContext : public boost::asio::io_context {
 public:
  using io_context::io_context;
  void destroyPending() { shutdown(); }
};

class EventLoopThread {
 public:
  explicit EventLoopThread(std::string name);
  ~EventLoopThread();  // stops and joins
  EventLoopThread(const EventLoopThread&) = delete;
  EventLoopThread& operator=(const EventLoopThread&) = delete;

  void start();
  // Lets run() return once no work is left (connections closed), without cancelling any.
  void releaseWork();
  // Stops the loop now; pending handlers are abandoned.
  void stop();
  void join();
  // After join(): destroys every handler and coroutine still pending (a request in flight past
  // the drain time) now, while the owner's state they touch on the way out still exists.
  void abandonPending() { io_.destroyPending(); }

  boost::asio::io_context& context() { return io_; }
  [[nodiscard]] const std::string& name() const { return name_; }

 private:
  std::string name_;
  // Each socket and timer is used by this thread alone (others only post work here), so the
  // per-descriptor locks of the reactor are switched off; posting stays thread-safe.
  LoopContext io_{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread thread_;
};

}  // namespace meshroute::runtime
