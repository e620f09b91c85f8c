// The write-behind queue's worker thread; see write_behind.h.
#include "swan/io/write_behind.h"

#include <utility>

namespace swan {

WriteBehind::WriteBehind(std::size_t budget_bytes) : budget_(budget_bytes), worker_([this] { work(); }) {}

WriteBehind::~WriteBehind() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  worker_.join();
}

void WriteBehind::then(std::function<void()> job, std::size_t bytes) {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] {
    return error_ || queue_.empty() || (budget_ > 0 && queued_bytes_ + bytes <= budget_);
  });
  rethrow_locked();
  queue_.push_back({std::move(job), bytes});
  queued_bytes_ += bytes;
  lock.unlock();
  changed_.notify_all();
}

void WriteBehind::finish() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return queue_.empty(); });
  rethrow_locked();
}

void WriteBehind::rethrow_locked() {
  if (error_) std::rethrow_exception(error_);
}

void WriteBehind::work() {
  std::unique_lock lock(mutex_);
  while (true) {
    changed_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, nothing left
    // The job stays queued (its bytes counted) while it runs; it is skipped after an error
    // or once the owner is being destroyed.
    if (!error_ && !stopping_) {
      std::function<void()>& run = queue_.front().run;
      lock.unlock();
      std::exception_ptr failure;
      try {
        run();
      } catch (...) {
        failure = std::current_exception();
      }
      lock.lock();
      if (failure && !error_) error_ = failure;
    }
    queued_bytes_ -= queue_.front().bytes;
    queue_.pop_front();
    changed_.notify_all();
  }
}

}  // namespace swan
