// WriteBehind: jobs run in order on one background thread; a job within the byte budget
// is queued behind a running one without waiting for it (the GGUF norms behind
// output.weight), one beyond it waits, a budget of 0 is the strict one-job-ahead hand-off,
// and errors come back to the caller with every later job skipped.
//
// A job that must not have run yet blocks on a promise the test fulfils only after the
// call under test returned; calls that must not wait are made from a helper thread, so a
// regression fails after a generous timeout instead of hanging the suite.
#include "swan/io/write_behind.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <stdexcept>
#include <thread>
#include <vector>

namespace swan {
namespace {

using namespace std::chrono_literals;

TEST(WriteBehind, RunsJobsInOrder) {
  std::vector<int> order;  // touched by the worker only, read after finish()
  WriteBehind behind(1000);
  for (int i = 0; i < 50; ++i) behind.then([&order, i] { order.push_back(i); }, 10);
  behind.finish();
  ASSERT_EQ(order.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(order[static_cast<std::size_t>(i)], i);
}

TEST(WriteBehind, SmallJobWithinBudgetDoesNotWaitForRunningJob) {
  std::promise<void> release;
  std::atomic<bool> first_done = false, second_after_first = false;
  WriteBehind behind(150);
  behind.then([&, gate = release.get_future().share()] { gate.wait(); first_done = true; }, 100);
  // 100 + 10 <= 150: queued while the first job is still blocked.
  auto call = std::async(std::launch::async, [&] {
    behind.then([&] { second_after_first = first_done.load(); }, 10);
    return first_done.load();
  });
  const bool returned = call.wait_for(20s) == std::future_status::ready;
  release.set_value();  // before get(): a call that waits for the first job can finish now
  EXPECT_TRUE(returned) << "then() waited for the running job";
  EXPECT_FALSE(call.get());
  behind.finish();
  EXPECT_TRUE(first_done);
  EXPECT_TRUE(second_after_first);
}

TEST(WriteBehind, JobBeyondBudgetWaitsForTheQueue) {
  std::promise<void> release;
  std::atomic<bool> first_done = false;
  WriteBehind behind(150);
  behind.then([&, gate = release.get_future().share()] { gate.wait(); first_done = true; }, 100);
  auto call = std::async(std::launch::async, [&] {
    behind.then([] {}, 60);  // 100 + 60 > 150
    return first_done.load();
  });
  EXPECT_EQ(call.wait_for(200ms), std::future_status::timeout);  // a quick return would be the bug
  release.set_value();
  EXPECT_TRUE(call.get());  // it returned only once the first job had finished
  behind.finish();
}

TEST(WriteBehind, ZeroBudgetWaitsForThePreviousJob) {
  std::promise<void> release;
  std::atomic<bool> first_done = false;
  WriteBehind behind;
  behind.then([&, gate = release.get_future().share()] { gate.wait(); first_done = true; });
  auto call = std::async(std::launch::async, [&] {
    behind.then([] {});
    return first_done.load();
  });
  EXPECT_EQ(call.wait_for(200ms), std::future_status::timeout);
  release.set_value();
  EXPECT_TRUE(call.get());
  behind.finish();
}

TEST(WriteBehind, JobLargerThanBudgetStillRunsOnAnEmptyQueue) {
  bool ran = false;
  WriteBehind behind(10);
  behind.then([&] { ran = true; }, 1000);
  behind.finish();
  EXPECT_TRUE(ran);
}

TEST(WriteBehind, ErrorReachesCallerAndLaterJobsAreSkipped) {
  std::promise<void> release;
  std::atomic<int> later_runs = 0;
  WriteBehind behind(1000);
  behind.then([gate = release.get_future().share()] {
    gate.wait();
    throw std::runtime_error("disk full");
  }, 10);
  auto call = std::async(std::launch::async, [&] { behind.then([&] { ++later_runs; }, 10); });
  const bool queued = call.wait_for(20s) == std::future_status::ready;  // before the failure
  release.set_value();
  call.get();
  ASSERT_TRUE(queued);
  try {
    behind.finish();
    FAIL() << "finish() did not rethrow";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "disk full");
  }
  EXPECT_THROW(behind.then([&] { ++later_runs; }, 10), std::runtime_error);
  EXPECT_EQ(later_runs, 0);
}

TEST(WriteBehind, DestructorWaitsForTheRunningJob) {
  std::promise<void> release, started;
  std::atomic<bool> first_done = false;
  std::thread releaser;
  {
    WriteBehind behind(1000);
    behind.then([&, gate = release.get_future().share()] {
      started.set_value();
      gate.wait();
      first_done = true;
    }, 10);
    started.get_future().wait();
    releaser = std::thread([&] {
      std::this_thread::sleep_for(50ms);  // most likely after the destructor started waiting
      release.set_value();
    });
  }  // as when encoding a tensor failed: no finish()
  EXPECT_TRUE(first_done);
  releaser.join();
}

}  // namespace
}  // namespace swan
