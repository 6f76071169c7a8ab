// A real full disk: the server's data directory lives on a small tmpfs
// (needs root to mount; skipped otherwise). Writes are acknowledged until the
// disk is full, then refused with MISCONF while reads (GET, INFO) go on; once
// space is freed writes resume without a restart, and after a SIGKILL every
// acknowledged write is still there.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/server_process.h"

namespace walnut::test {
namespace {

namespace fs = std::filesystem;

class ServerDiskFull : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::mount("tmpfs", mnt_.path().c_str(), "tmpfs", 0, "size=48m") != 0) {
      GTEST_SKIP() << "cannot mount a tmpfs to fill (" << std::strerror(errno)
                   << "); this test needs root";
    }
    mounted_ = true;
  }
  void TearDown() override {
    server_.reset();  // SIGKILLs a server still running
    if (mounted_ && ::umount(mnt_.path().c_str()) != 0) {
      (void)::umount2(mnt_.path().c_str(), MNT_DETACH);
    }
  }
  uint64_t FreeBytes() {
    struct statvfs v;
    if (::statvfs(mnt_.path().c_str(), &v) != 0) return 0;
    return uint64_t(v.f_bavail) * v.f_frsize;
  }
  // Fills the file system but for `leave` bytes.
  void Fill(const std::string& path, uint64_t leave) {
    std::ofstream out(path, std::ios::binary);
    std::string chunk(1 << 20, 'f');
    while (FreeBytes() > leave + chunk.size())
      out.write(chunk.data(), std::streamsize(chunk.size()));
    out.flush();
  }
  // Starts the server on the tmpfs with `args`, then fills the file system
  // but for 2 MiB: the segments are reserved already, so the end comes after
  // some real writes.
  void StartAndFill(std::vector<std::string> args) {
    server_ = std::make_unique<ServerProcess>(std::move(args), mnt_.path() + "/data");
    ASSERT_TRUE(server_->Start());
    Fill(Filler(), 2 << 20);
  }
  std::string Filler() const { return mnt_.path() + "/filler"; }
  static std::string Field(const std::string& info, const std::string& name) {
    auto at = info.find(name + ":");
    if (at == std::string::npos) return "<missing>";
    auto end = info.find("\\r", at);  // the rendered reply escapes CR as \r
    return info.substr(at + name.size() + 1, end - at - name.size() - 1);
  }

  TempDir mnt_{"disk-full"};
  bool mounted_ = false;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(ServerDiskFull, RefusesWhenFullServesReadsResumesWhenFreedLosesNothing) {
  ASSERT_NO_FATAL_FAILURE(StartAndFill(
      {"--http-port", "0", "--fsync", "always", "--segment-size", "4mb", "--auto-compact", "no"}));
  RedisConn c = server_->Client();
  ASSERT_TRUE(c.ok()) << c.error();

  const std::string value(4000, 'v');
  std::vector<int> acked;
  std::string refusal;
  for (int i = 0; i < 100000 && refusal.empty(); i++) {
    std::string r = c.Cmd("SET", "key:" + std::to_string(i), value);
    if (r == "OK") {
      acked.push_back(i);
    } else {
      refusal = r;
    }
  }
  ASSERT_FALSE(refusal.empty()) << "the disk never filled";
  EXPECT_EQ(refusal.rfind("(error) MISCONF The disk is full", 0), 0u) << refusal;
  EXPECT_NE(refusal.find("resume automatically"), std::string::npos) << refusal;
  ASSERT_GT(acked.size(), 10u);

  // Full: writes are refused, reads and INFO work, nothing acknowledged is missing.
  EXPECT_EQ(c.Cmd("SET", "refused", value).rfind("(error) MISCONF", 0), 0u);
  EXPECT_EQ(c.Cmd("GET", "refused"), "(nil)");
  std::string info = c.Cmd("INFO", "persistence");
  EXPECT_EQ(Field(info, "aof_last_write_status"), "err") << info;
  EXPECT_EQ(Field(info, "walnut_disk_full"), "1") << info;
  for (int i : acked) {
    ASSERT_EQ(c.Cmd("STRLEN", "key:" + std::to_string(i)), "(integer) 4000") << i;
  }

  // Space is freed: writes resume on their own (the engine retries about
  // once a second, each partition on its own: a key in a partition that
  // still had room, e.g. its next segment's file made ahead, may be
  // accepted before the full one has retried, so wait for both).
  fs::remove(Filler());
  ASSERT_TRUE(WaitUntil(
      [&] {
        return c.Cmd("SET", "after", "freed") == "OK" &&
               Field(c.Cmd("INFO", "persistence"), "walnut_disk_full") == "0";
      },
      std::chrono::seconds(15)))
      << c.Cmd("SET", "after", "freed") << c.Cmd("INFO", "persistence");
  info = c.Cmd("INFO", "persistence");
  EXPECT_EQ(Field(info, "aof_last_write_status"), "ok") << info;
  EXPECT_EQ(Field(info, "walnut_disk_full"), "0") << info;
  for (int i = 0; i < 50; i++) ASSERT_EQ(c.Cmd("SET", "more:" + std::to_string(i), value), "OK");

  // A crash now: every acknowledged write survives.
  server_->Kill(SIGKILL);
  ASSERT_TRUE(server_->Start());
  RedisConn d = server_->Client();
  for (int i : acked) {
    ASSERT_EQ(d.Cmd("STRLEN", "key:" + std::to_string(i)), "(integer) 4000") << i;
  }
  EXPECT_EQ(d.Cmd("GET", "after"), "\"freed\"");
  EXPECT_EQ(d.Cmd("GET", "refused"), "(nil)");
  EXPECT_EQ(d.Cmd("STRLEN", "more:49"), "(integer) 4000");
}

// MSET across two partitions writes one record in each. On a full disk it is
// refused whole, with the same MISCONF as SET, and writes resume once space
// is freed (before 024b507 the parts skipped the reservation: the write to
// the log failed and the server refused all writes until a restart).
TEST_F(ServerDiskFull, MsetAcrossPartitionsIsRefusedWholeAndResumes) {
  ASSERT_NO_FATAL_FAILURE(StartAndFill(
      {"--http-port", "0", "--partitions", "2", "--segment-size", "4mb", "--auto-compact", "no"}));
  RedisConn c = server_->Client();
  ASSERT_TRUE(c.ok()) << c.error();

  const std::string value(1000, 'm');
  auto key = [](int i, int j) { return "m" + std::to_string(i) + ":" + std::to_string(j); };
  int acked = 0;
  std::string refusal;
  for (; acked < 100000; acked++) {
    std::vector<std::string> cmd = {"MSET"};
    for (int j = 0; j < 4; j++) {
      cmd.push_back(key(acked, j));
      cmd.push_back(value);
    }
    std::string r = c.CmdArgv(cmd);
    if (r != "OK") {
      refusal = r;
      break;
    }
  }
  ASSERT_FALSE(refusal.empty()) << "the disk never filled";
  EXPECT_EQ(refusal.rfind("(error) MISCONF The disk is full", 0), 0u)
      << refusal << "\nserver log:\n"
      << server_->log();
  ASSERT_GT(acked, 10);
  for (int j = 0; j < 4; j++) EXPECT_EQ(c.Cmd("EXISTS", key(acked, j)), "(integer) 0") << j;
  std::string info = c.Cmd("INFO", "persistence");
  EXPECT_EQ(Field(info, "walnut_disk_full"), "1") << info;

  fs::remove(Filler());
  ASSERT_TRUE(WaitUntil(
      [&] {
        return c.Cmd("MSET", "after:0", "a", "after:1", "b", "after:2", "c", "after:3", "d") ==
                   "OK" &&
               Field(c.Cmd("INFO", "persistence"), "walnut_disk_full") == "0";
      },
      std::chrono::seconds(15)))
      << c.Cmd("INFO", "persistence");
  EXPECT_EQ(Field(c.Cmd("INFO", "persistence"), "aof_last_write_status"), "ok");

  server_->Kill(SIGKILL);
  ASSERT_TRUE(server_->Start());
  RedisConn d = server_->Client();
  for (int i = 0; i < acked; i++) {
    for (int j = 0; j < 4; j++) {
      ASSERT_EQ(d.Cmd("STRLEN", key(i, j)), "(integer) 1000") << key(i, j);
    }
  }
  for (int j = 0; j < 4; j++) EXPECT_EQ(d.Cmd("EXISTS", key(acked, j)), "(integer) 0") << j;
  EXPECT_EQ(d.Cmd("GET", "after:3"), "\"d\"");
}

}  // namespace
}  // namespace walnut::test
