// What a connection still has to send, shared by both transports: whole buffers (each one or
// more frames, often the same buffer in every member's queue), the front one perhaps partly
// written. Popping is O(1); a small allocation is kept between ticks (a member gets a buffer
// every tick) and what a burst grew is given back once drained.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace rookery::net {

/// A byte queue of shared buffers. Single-threaded (the connection's shard).
class OutboundQueue {
 public:
  /// Appends a buffer (ignored if null or empty).
  void push(std::shared_ptr<const std::string> buffer) {
    if (!buffer || buffer->empty()) return;
    pending_ += buffer->size();
    items_.push_back(std::move(buffer));
  }
  bool empty() const { return head_ == items_.size(); }
  /// Bytes queued and not yet handed to the kernel.
  size_t pending_bytes() const { return pending_; }
  /// The front buffer (the queue must not be empty) and how much of it is already sent.
  const std::shared_ptr<const std::string>& front() const { return items_[head_]; }
  size_t front_offset() const { return front_offset_; }
  /// Fills up to `max` spans with the unsent bytes, front first; returns how many.
  size_t gather(iovec* out, size_t max) const {
    size_t n = 0;
    for (size_t i = head_; i < items_.size() && n < max; ++i, ++n) {
      const std::string& s = *items_[i];
      const size_t skip = i == head_ ? front_offset_ : 0;
      out[n].iov_base = const_cast<char*>(s.data() + skip);
      out[n].iov_len = s.size() - skip;
    }
    return n;
  }
  /// Marks `bytes` from the front as sent, dropping the buffers wholly sent.
  void consume(size_t bytes) {
    while (bytes > 0 && !empty()) {
      const size_t left = items_[head_]->size() - front_offset_;
      if (bytes < left) {
        front_offset_ += bytes;
        pending_ -= bytes;
        return;
      }
      bytes -= left;
      pending_ -= left;
      items_[head_].reset();
      ++head_;
      front_offset_ = 0;
    }
    if (empty()) {
      release();
    } else if (head_ >= kCompactAt && head_ * 2 >= items_.size()) {
      // A queue that never quite drains (a slow reader) does not grow its spent prefix forever.
      items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }
  /// Drops everything queued.
  void clear() {
    pending_ = 0;
    front_offset_ = 0;
    release();
  }
  /// Buffer slots allocated (for tests of the memory policy).
  size_t capacity() const { return items_.capacity(); }

  static constexpr size_t kKeep = 4;        // slots kept allocated once drained
  static constexpr size_t kCompactAt = 32;  // spent slots before they are compacted away

 private:
  void release() {
    head_ = 0;
    front_offset_ = 0;
    if (items_.capacity() > kKeep) {
      std::vector<std::shared_ptr<const std::string>>().swap(items_);
    } else {
      items_.clear();
    }
  }

  std::vector<std::shared_ptr<const std::string>> items_;
  size_t head_ = 0;          // first unsent buffer
  size_t front_offset_ = 0;  // bytes of items_[head_] already sent
  size_t pending_ = 0;
};

}  // namespace rookery::net
