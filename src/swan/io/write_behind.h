// Writing one step behind the computation, shared by the MLX and GGUF writers: while the
// next tensor is quantized on all cores, a background thread copies the previous one into
// its output file (the kernel's copy into the page cache takes about as long as quantizing
// a large matrix on a 2-core machine). Jobs run one at a time, in the order given, so the
// files are written in layout order; the price is holding two tensors' outputs at once.
#pragma once

#include <future>
#include <utility>

namespace swan {

class WriteBehind {
 public:
  WriteBehind() = default;
  ~WriteBehind() {
    if (pending_.valid()) pending_.wait();  // an error is already on its way out
  }
  WriteBehind(const WriteBehind&) = delete;
  WriteBehind& operator=(const WriteBehind&) = delete;

  // Waits for the previous job (rethrowing its error), then starts `job` in the background.
  template <typename Job>
  void then(Job&& job) {
    finish();
    pending_ = std::async(std::launch::async, std::forward<Job>(job));
  }

  // Waits for the last job; rethrows its error.
  void finish() {
    if (pending_.valid()) pending_.get();
  }

 private:
  std::future<void> pending_;
};

}  // namespace swan
