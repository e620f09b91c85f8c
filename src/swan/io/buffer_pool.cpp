// Pooled output buffers; see buffer_pool.h.
#include "swan/io/buffer_pool.h"

namespace swan {

BufferPool::BufferPool(std::size_t buffer_bytes) : buffer_bytes_(buffer_bytes) {}

std::shared_ptr<std::byte[]> BufferPool::acquire() {
  std::unique_ptr<std::byte[]> buffer;
  {
    std::lock_guard lock(mutex_);
    if (!free_.empty()) {
      buffer = std::move(free_.back());
      free_.pop_back();
    }
  }
  if (!buffer) {
    buffer = std::make_unique_for_overwrite<std::byte[]>(buffer_bytes_);
    std::lock_guard lock(mutex_);
    ++allocated_;
  }
  return {buffer.release(), [this](std::byte* released) { give_back(released); }};
}

std::size_t BufferPool::allocated() const {
  std::lock_guard lock(mutex_);
  return allocated_;
}

void BufferPool::give_back(std::byte* buffer) {
  std::unique_ptr<std::byte[]> owned(buffer);
  std::lock_guard lock(mutex_);
  free_.push_back(std::move(owned));
}

}  // namespace swan
