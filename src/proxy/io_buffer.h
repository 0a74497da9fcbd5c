// A connection's read buffer: bytes arrive at the tail, the parser consumes from the head.
// Storage is allocated once per connection and reused for every request on it; it grows only
// up to a hard cap (the header limit plus one read), which bounds memory per connection.
#pragma once

#include <boost/asio/buffer.hpp>
#include <cstring>
#include <string_view>
#include <vector>

namespace meshroute::proxy {

class IoBuffer {
 public:
  explicit IoBuffer(size_t capacity) : data_(capacity) {}

  [[nodiscard]] std::string_view readable() const { return {data_.data() + begin_, end_ - begin_}; }
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
    if (end_ == data_.size() && begin_ > 0) {
      std::memmove(data_.data(), data_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    return {data_.data() + end_, data_.size() - end_};
  }
  void commit(size_t n) { end_ += n; }
  [[nodiscard]] bool full() const { return begin_ == 0 && end_ == data_.size(); }

 private:
  std::vector<char> data_;
  size_t begin_ = 0;
  size_t end_ = 0;
};

}  // namespace meshroute::proxy
