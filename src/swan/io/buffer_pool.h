// Reusable fixed-size byte buffers for a producer that hands its output to a writer thread
// (io/write_behind.h): the producer fills a buffer, the writer drops it when written, and
// the next acquire() takes it back instead of asking the kernel for new memory.
//
// Why: every page of new memory is faulted in and cleared by the kernel on first touch.
// Encoding a 1.1 GB GGUF file into a fresh buffer per tensor spent ~10 % of the whole
// conversion's CPU time there (perf: clear_page and the fault path); with the output
// produced in slabs of rows into a few pooled buffers, only those few are ever new.
// Contents are not cleared between users: a user writes what it reads.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

namespace swan {

class BufferPool {
 public:
  explicit BufferPool(std::size_t buffer_bytes);
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  // A buffer of buffer_bytes(), from the pool or new; it returns to the pool when the last
  // copy of the pointer is dropped (from any thread). The pool must outlive every buffer.
  std::shared_ptr<std::byte[]> acquire();

  std::size_t buffer_bytes() const { return buffer_bytes_; }
  // Buffers allocated so far (in use or pooled).
  std::size_t allocated() const;

 private:
  void give_back(std::byte* buffer);

  const std::size_t buffer_bytes_;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<std::byte[]>> free_;
  std::size_t allocated_ = 0;
};

}  // namespace swan
