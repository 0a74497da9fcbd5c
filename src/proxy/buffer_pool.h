// A worker's spare read buffers. A connection takes one when bytes arrive and gives it back
// when it has nothing left unread, so idle keep-alive connections hold no buffer: thousands of
// them cost a few hundred bytes each instead of a buffer each. Bounded: beyond `max_free`
// returned buffers are freed.
//
// Thread affinity: one worker.
#pragma once

#include <memory>
#include <vector>

#include "proxy/io_buffer.h"

namespace meshroute::proxy {

class BufferPool {
 public:
  BufferPool(size_t buffer_size, size_t max_free) : size_(buffer_size), max_free_(max_free) {}

  std::unique_ptr<IoBuffer> acquire() {
    if (free_.empty()) return std::make_unique<IoBuffer>(size_);
    auto b = std::move(free_.back());
    free_.pop_back();
    return b;
  }
  void release(std::unique_ptr<IoBuffer> b) {
    if (!b) return;
    b->clear();
    if (free_.size() < max_free_) free_.push_back(std::move(b));
  }
  [[nodiscard]] size_t freeCount() const { return free_.size(); }

 private:
  size_t size_;
  size_t max_free_;
  std::vector<std::unique_ptr<IoBuffer>> free_;
};

}  // namespace meshroute::proxy
