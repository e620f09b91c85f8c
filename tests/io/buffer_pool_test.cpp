// BufferPool: a dropped buffer is the next one handed out (no new memory), buffers in use at
// once are distinct, and a buffer dropped on another thread (the write-behind's) comes back.
#include "swan/io/buffer_pool.h"

#include <gtest/gtest.h>

#include <cstring>
#include <thread>

namespace swan {
namespace {

TEST(BufferPool, ReusesADroppedBufferInsteadOfAllocating) {
  BufferPool pool(4096);
  EXPECT_EQ(pool.buffer_bytes(), 4096u);
  std::byte* first = nullptr;
  {
    auto a = pool.acquire();
    first = a.get();
    std::memset(a.get(), 0x5a, pool.buffer_bytes());  // the whole buffer is writable
  }
  auto b = pool.acquire();
  EXPECT_EQ(b.get(), first);
  EXPECT_EQ(b[4095], std::byte{0x5a});  // not cleared: the previous user's bytes
  EXPECT_EQ(pool.allocated(), 1u);
}

TEST(BufferPool, BuffersInUseAtOnceAreDistinctAndComeBackFromAnyThread) {
  BufferPool pool(64);
  auto a = pool.acquire(), b = pool.acquire(), c = pool.acquire();
  EXPECT_NE(a.get(), b.get());
  EXPECT_NE(b.get(), c.get());
  EXPECT_NE(a.get(), c.get());
  EXPECT_EQ(pool.allocated(), 3u);
  std::byte* const returned = b.get();
  std::thread([moved = std::move(b)]() mutable { moved.reset(); }).join();
  auto d = pool.acquire();
  EXPECT_EQ(d.get(), returned);
  EXPECT_EQ(pool.allocated(), 3u);
  a.reset();
  c.reset();
  d.reset();
  for (int i = 0; i < 10; ++i) EXPECT_NE(pool.acquire(), nullptr);  // one at a time: no growth
  EXPECT_EQ(pool.allocated(), 3u);
}

}  // namespace
}  // namespace swan
