// Unit tests for WatchRegistry: touching marks exactly the watchers of that
// (db, key); flush-style touches respect the "existed" rule; unwatching
// forgets a client everywhere.
#include "server/watch_registry.h"

#include <gtest/gtest.h>

namespace walnut::server {
namespace {

TEST(WatchRegistry, TouchMarksOnlyWatchersOfThatKeyAndDb) {
  WatchRegistry r;
  Client a(1, -1), b(2, -1);
  r.Watch(&a, 0, "k", true);
  r.Watch(&b, 1, "k", true);
  r.Touch(0, "other");
  EXPECT_FALSE(a.watch_dirty);
  r.Touch(0, "k");
  EXPECT_TRUE(a.watch_dirty);
  EXPECT_FALSE(b.watch_dirty);
}

TEST(WatchRegistry, WatchIsIdempotentAndUnwatchForgets) {
  WatchRegistry r;
  Client a(1, -1);
  r.Watch(&a, 0, "k", false);
  r.Watch(&a, 0, "k", false);
  EXPECT_EQ(a.watched.size(), 1u);
  EXPECT_EQ(r.watched_keys(), 1u);
  r.UnwatchAll(&a);
  EXPECT_TRUE(a.watched.empty());
  EXPECT_TRUE(r.empty());
  r.Touch(0, "k");
  EXPECT_FALSE(a.watch_dirty);
}

TEST(WatchRegistry, SharedKeyStaysForOtherWatchers) {
  WatchRegistry r;
  Client a(1, -1), b(2, -1);
  r.Watch(&a, 0, "k", true);
  r.Watch(&b, 0, "k", true);
  r.UnwatchAll(&a);
  r.Touch(0, "k");
  EXPECT_FALSE(a.watch_dirty);
  EXPECT_TRUE(b.watch_dirty);
}

TEST(WatchRegistry, TouchDbAndAllOnlyExistingKeys) {
  WatchRegistry r;
  Client a(1, -1), b(2, -1), c(3, -1);
  r.Watch(&a, 3, "present", true);
  r.Watch(&b, 3, "absent", false);
  r.Watch(&c, 4, "present", true);
  auto exists = [](std::string_view k) { return k == "present"; };
  r.TouchDb(3, exists);
  EXPECT_TRUE(a.watch_dirty);
  EXPECT_FALSE(b.watch_dirty);
  EXPECT_FALSE(c.watch_dirty);
  r.TouchAll([](uint32_t db, std::string_view k) { return db == 4 && k == "present"; });
  EXPECT_TRUE(c.watch_dirty);
  EXPECT_FALSE(b.watch_dirty);
}

TEST(WatchRegistry, BinaryKeysAndLargeDbIndexes) {
  WatchRegistry r;
  Client a(1, -1);
  std::string key("a\0b", 3);
  r.Watch(&a, 70000, key, true);
  r.Touch(70000, std::string_view("a", 1));
  EXPECT_FALSE(a.watch_dirty);
  r.Touch(70000 & 0xffff, key);
  EXPECT_FALSE(a.watch_dirty);
  r.Touch(70000, key);
  EXPECT_TRUE(a.watch_dirty);
}

}  // namespace
}  // namespace walnut::server
