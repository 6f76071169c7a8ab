// What every fuzz target here shares: reading the input as a stream of
// choices, a check that names its line, and a scratch path.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

namespace walnut::fuzz {

// Aborts (the fuzzer's finding) after naming the failed check's file and
// line: the standalone driver of `make test` does not keep the input, so the
// line is what a failing run shows.
inline void CheckAt(bool ok, const char* file, int line) {
  if (ok) return;
  const char* slash = std::strrchr(file, '/');
  std::fprintf(stderr, "%s:%d: check failed\n", slash ? slash + 1 : file, line);
  std::abort();
}

// The input, consumed from the front. Reading past the end gives zeros, so
// every input, however short, is a complete recipe.
struct FuzzInput {
  FuzzInput(const uint8_t* data, size_t size) : p(data), n(size) {}
  const uint8_t* p;
  size_t n;
  bool empty() const { return n == 0; }
  uint8_t Byte() {
    if (n == 0) return 0;
    n--;
    return *p++;
  }
  // Little-endian; each byte read in turn (the operands of | are unsequenced).
  uint32_t U16() {
    uint32_t lo = Byte();
    return lo | uint32_t(Byte()) << 8;
  }
  uint32_t U32() {
    uint32_t lo = U16();
    return lo | U16() << 16;
  }
  uint64_t U64() {
    uint64_t lo = U32();
    return lo | uint64_t(U32()) << 32;
  }
  // Up to `max` bytes (the length is the next byte modulo max+1).
  std::string Str(size_t max) {
    size_t len = std::min<size_t>(Byte() % (max + 1), n);
    std::string s(reinterpret_cast<const char*>(p), len);
    p += len;
    n -= len;
    return s;
  }
};

// A per-process scratch path: on /dev/shm when present (fuzzers open and
// sync thousands of files per second), else the temporary directory.
inline std::string ScratchPath(const std::string& name) {
  namespace fs = std::filesystem;
  static const std::string base =
      fs::exists("/dev/shm") ? "/dev/shm" : fs::temp_directory_path().string();
  return base + "/" + name + "-" + std::to_string(getpid());
}

}  // namespace walnut::fuzz

#define Check(ok) ::walnut::fuzz::CheckAt((ok), __FILE__, __LINE__)
