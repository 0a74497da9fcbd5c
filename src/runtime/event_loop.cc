#include "runtime/event_loop.h"

#include <pthread.h>
#include <signal.h>

namespace meshroute::runtime {

EventLoopThread::EventLoopThread(std::string name)
    : name_(std::move(name)), work_(boost::asio::make_work_guard(io_)) {}

EventLoopThread::~EventLoopThread() {
  stop();
  join();
}

void EventLoopThread::start() {
  thread_ = std::thread([this] {
    // Thread names show in top -H and gdb; Linux caps them at 15 characters.
    pthread_setname_np(pthread_self(), name_.substr(0, 15).c_str());
    // OpenSSL writes TLS records with write(2), which raises SIGPIPE on a connection the peer
    // closed: blocked here, the write fails with EPIPE instead of ending the process.
    sigset_t pipe_signal;
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
    io_.run();
  });
}

void EventLoopThread::releaseWork() { work_.reset(); }

void EventLoopThread::stop() { io_.stop(); }

void EventLoopThread::join() {
  if (thread_.joinable()) thread_.join();
}

}  // namespace meshroute::runtime
