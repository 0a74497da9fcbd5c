// A connection's read buffer: bytes arrive at the tail, the parser consumes from the head.
// Storage is allocated once per connection and reused for every request on it; it grows only
// up to a hard cap (the header limit plus one read), which bounds memory per connection.
#pragma once

#include <boost/asio/buffer.hpp>
#include <cstring>
#include <memory>
#include <string_view>

namespace meshroute::proxy {

class IoBuffer {
 public:
  // The storage is left uninitialised: zero-filling 76 KiB for every buffer a burst of streams
  // takes from the pool cost more than the requests themselves (memset was half of an HTTP/2
  // multiplexed request's instructions).
  explicit IoBuffer(size_t capacity)
      : data_(std::make_unique_for_overwrite<char[]>(capacity)), capacity_(capacity) {}

  [[nodiscard]] std::string_view readable() const { return {data_.get() + begin_, end_ - begin_}; }
  [[nodiscard]] size_t size() const { return end_ - begin_; }
  [[nodiscard]] bool empty() const { return begin_ == end_; }
  void consume(size_t n) {
    begin_ += n;
    if (begin_ == end_) begin_ = end_ = 0;
  }
  void clear() { begin_ = end_ = 0; }
  // Space at the tail for the next read; moves unread bytes to the front first when that makes
  // room. Empty when the buffer is full of unread bytes (the caller's limit was reached).
  boost::asio::mutable_buffer prepare() {
    if (end_ == capacity_ && begin_ > 0) {
      std::memmove(data_.get(), data_.get() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    return {data_.get() + end_, capacity_ - end_};
  }
  void commit(size_t n) { end_ += n; }
  [[nodiscard]] bool full() const { return begin_ == 0 && end_ == capacity_; }

 private:
  std::unique_ptr<char[]> data_;
  size_t capacity_;
  size_t begin_ = 0;
  size_t end_ = 0;
};

}  // namespace meshroute::proxy
