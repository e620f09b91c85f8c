// parallel_for visits every index once on any thread count and carries the first exception
// out of the OpenMP region instead of terminating.
#include "swan/core/parallel_for.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <vector>

namespace swan {
namespace {

TEST(ParallelFor, VisitsEveryIndexOnceForAnyThreadCountAndSchedule) {
  for (const Schedule schedule : {Schedule::static_blocks, Schedule::dynamic})
    for (int threads : {0, 1, 2, 3}) {
      std::vector<std::atomic<int>> visits(97);
      parallel_for(visits.size(), threads, [&](std::size_t i) { ++visits[i]; }, schedule);
      for (std::size_t i = 0; i < visits.size(); ++i) EXPECT_EQ(visits[i].load(), 1) << i << " threads " << threads;
    }
}

TEST(ParallelFor, RethrowsAnExceptionFromTheLoop) {
  std::atomic<int> done = 0;
  EXPECT_THROW(parallel_for(50, 2,
                            [&](std::size_t i) {
                              if (i == 17) throw std::runtime_error("row 17");
                              ++done;
                            }),
               std::runtime_error);
  EXPECT_EQ(done.load(), 49);  // the other indices still ran
  done = 0;
  EXPECT_THROW(parallel_for(
                   50, 3,
                   [&](std::size_t i) {
                     if (i == 3) throw std::runtime_error("item 3");
                     ++done;
                   },
                   Schedule::dynamic),
               std::runtime_error);
  EXPECT_EQ(done.load(), 49);
}

}  // namespace
}  // namespace swan
