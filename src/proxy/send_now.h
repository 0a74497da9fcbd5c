// A write that does not wait: what the kernel takes at once goes out in one sendmsg, and the
// caller waits (async_write) only for what is left, which for a small head or response is
// nothing. An asynchronous write that completes at once still costs an operation, a trip
// through the event loop's queue and a coroutine frame; this costs the system call alone.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <string_view>

namespace meshroute::proxy {

// Sends `parts` in order on the non-blocking socket `fd`. On return, `parts` holds what is
// left to send (all empty when everything went). False on a socket error (the peer is gone);
// a full socket buffer is not an error.
template <size_t N>
bool sendNow(int fd, std::array<std::string_view, N>& parts) {
  std::array<iovec, N> iov{};
  size_t count = 0;
  size_t total = 0;
  for (std::string_view p : parts) {
    if (p.empty()) continue;
    iov[count].iov_base = const_cast<char*>(p.data());
    iov[count].iov_len = p.size();
    total += p.size();
    ++count;
  }
  if (total == 0) return true;
  msghdr msg{};
  msg.msg_iov = iov.data();
  msg.msg_iovlen = count;
  ssize_t sent = 0;
  do {
    sent = ::sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) return errno == EAGAIN || errno == EWOULDBLOCK;
  auto left = static_cast<size_t>(sent);
  for (std::string_view& p : parts) {
    const size_t take = left < p.size() ? left : p.size();
    p.remove_prefix(take);
    left -= take;
  }
  return true;
}

template <size_t N>
bool allSent(const std::array<std::string_view, N>& parts) {
  for (std::string_view p : parts) {
    if (!p.empty()) return false;
  }
  return true;
}

}  // namespace meshroute::proxy
