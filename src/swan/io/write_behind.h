// Writing behind the computation, shared by the MLX and GGUF writers: while the next
// tensor is quantized on all cores, a background thread copies the previous ones into their
// output file (the kernel's copy into the page cache, and the disk when it falls behind,
// take about as long as quantizing a large matrix on a 2-core machine). Jobs run one at a
// time on that thread, in the order given, so the files are written in layout order.
//
// Why a byte budget rather than "wait for the previous job": a large tensor followed by a
// tiny one (GGUF's output.weight, 510 MB of Q6_K for an 8B vocabulary, then output_norm)
// made the tiny one wait for the whole large write, so the quantizer idled for as long as
// the disk took. Jobs now queue while the bytes they hold stay within the budget; a job that
// would exceed it waits until enough of the queue is written (it never waits on an empty
// queue, so one job larger than the budget still runs). The caller's memory is then the
// queued jobs' bytes (at most the budget, or one job) plus what it is computing. A budget
// of 0 keeps at most one job queued: the strict one-job-ahead hand-off.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

namespace swan {

class WriteBehind {
 public:
  explicit WriteBehind(std::size_t budget_bytes = 0);
  // Waits for the running job and skips the rest (without finish(), an error is already on
  // its way out and the output will be discarded).
  ~WriteBehind();
  WriteBehind(const WriteBehind&) = delete;
  WriteBehind& operator=(const WriteBehind&) = delete;

  // Queues `job`, which holds `bytes` of memory until it has run. Waits first while the
  // queue is not empty and would then hold more than the budget. Rethrows the error of an
  // earlier job; after an error every later job is skipped.
  void then(std::function<void()> job, std::size_t bytes = 0);

  // Waits for every queued job; rethrows the first error (of any job so far).
  void finish();

 private:
  struct Job {
    std::function<void()> run;
    std::size_t bytes = 0;
  };
  void work();
  void rethrow_locked();

  const std::size_t budget_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Job> queue_;      // front() is running or next
  std::size_t queued_bytes_ = 0;  // of every job in queue_
  std::exception_ptr error_;
  bool stopping_ = false;
  std::thread worker_;  // last: starts after the state it uses
};

}  // namespace swan
