// Helpers for the engine's unit tests: status assertions, temp directories,
// and small file corruptors (LevelDB's log_test style).
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "walnut/db.h"

#define ASSERT_OK(expr)                                     \
  do {                                                      \
    const ::walnut::Status _s = (expr);                     \
    ASSERT_TRUE(_s.ok()) << #expr << ": " << _s.ToString(); \
  } while (0)
#define EXPECT_OK(expr)                                     \
  do {                                                      \
    const ::walnut::Status _s = (expr);                     \
    EXPECT_TRUE(_s.ok()) << #expr << ": " << _s.ToString(); \
  } while (0)

namespace walnut::testing {

// A fresh directory removed at the end of the test.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& tag = "engine") {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/walnut-" + tag + "-XXXXXX";
    char* made = mkdtemp(tmpl.data());
    if (!made) std::abort();
    path_ = made;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
inline void WriteAll(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), std::streamsize(data.size()));
}
inline uint64_t FileSize(const std::string& path) { return std::filesystem::file_size(path); }

// The nice value of every thread of process `pid` (field 19 of
// /proc/PID/task/TID/stat; the command name before it may hold spaces, so
// fields are counted after its closing parenthesis).
inline std::vector<int> ThreadNices(const std::string& pid = "self") {
  std::vector<int> nices;
  std::error_code ec;
  for (const auto& t : std::filesystem::directory_iterator("/proc/" + pid + "/task", ec)) {
    const std::string stat = ReadAll(t.path().string() + "/stat");
    const size_t paren = stat.rfind(')');
    if (paren == std::string::npos) continue;
    std::istringstream in(stat.substr(paren + 2));
    std::string field;
    // After the name: state is field 3, nice is field 19.
    for (int i = 3; i <= 19 && (in >> field); i++) {
      if (i == 19) nices.push_back(std::stoi(field));
    }
  }
  return nices;
}

// Waits (at most 10 s) until some thread of this process runs at nice value
// `nice`; whether one did.
inline bool SomeThreadReachesNice(int nice) {
  for (int i = 0; i < 1000; i++) {
    for (int n : ThreadNices()) {
      if (n == nice) return true;
    }
    usleep(10000);
  }
  return false;
}

// The segment files in dir (wal-<id>.log), oldest first.
inline std::vector<std::string> SegmentFiles(const std::string& dir) {
  std::vector<std::string> out;
  for (auto& e : std::filesystem::directory_iterator(dir)) {
    std::string n = e.path().filename();
    if (n.rfind("wal-", 0) == 0 && n.size() == 28) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The newest segment file in dir ("" if none).
inline std::string NewestSegment(const std::string& dir) {
  std::vector<std::string> all = SegmentFiles(dir);
  return all.empty() ? std::string() : all.back();
}

// Seed for randomised tests: WALNUT_TEST_SEED or a fresh one, printed.
inline uint64_t TestSeed() {
  static uint64_t seed = [] {
    const char* env = std::getenv("WALNUT_TEST_SEED");
    uint64_t s = env ? std::strtoull(env, nullptr, 10) : std::random_device{}();
    std::fprintf(stderr, "WALNUT_TEST_SEED=%llu\n", static_cast<unsigned long long>(s));
    return s;
  }();
  return seed;
}

}  // namespace walnut::testing
