#include "common/thread_priority.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

namespace walnut {
namespace {

// Each thread has its own nice value on Linux: lowering one thread's
// priority must leave the caller's alone, and a thread it starts inherits it.
TEST(ThreadPriority, LowersOnlyTheCallingThreadAndItsChildren) {
  const int before = ThreadNice();
  int in_thread = -100, in_child = -100;
  std::thread t([&] {
    LowerThreadPriority(3);
    in_thread = ThreadNice();
    std::thread child([&] { in_child = ThreadNice(); });
    child.join();
  });
  t.join();
  EXPECT_EQ(in_thread, std::min(before + 3, 19));
  EXPECT_EQ(in_child, in_thread);
  EXPECT_EQ(ThreadNice(), before);
}

TEST(ThreadPriority, ZeroChangesNothingAndLargeIncrementsStopAt19) {
  int zero = -100, big = -100;
  const int before = ThreadNice();
  std::thread t([&] {
    LowerThreadPriority(0);
    zero = ThreadNice();
    LowerThreadPriority(100);
    big = ThreadNice();
  });
  t.join();
  EXPECT_EQ(zero, before);
  EXPECT_EQ(big, 19);
}

}  // namespace
}  // namespace walnut
