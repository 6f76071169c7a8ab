// Disk use under an overwrite burst, with automatic compaction alone: loads
// K keys, overwrites each of them R times (16-byte keys, 100-byte values,
// fsync=no), then waits until the policy has compacted, and prints the data
// directory's allocated size (what `du` shows: preallocated space counts)
// against the live payload, before and after. The bound: after 2M
// overwrites of 100k keys the directory is at most 2.5x the live payload plus
// 16 MiB within 20 seconds. For larger key counts, give a longer wait: a
// compaction rewrites all live data of a partition, ~1 GiB for 10M keys.
//
// Usage: overwrite_bench [keys=100000] [rounds=20] [partitions=0 (auto)] [dir]
//                        [wait_seconds=20]
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>

#include "walnut/db.h"

namespace {

using Clock = std::chrono::steady_clock;

// Bytes the directory occupies on disk (allocated blocks, as du counts).
uint64_t DiskBytes(const std::string& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (auto& e : std::filesystem::recursive_directory_iterator(dir, ec)) {
    struct stat st;
    if (e.is_regular_file() && ::stat(e.path().c_str(), &st) == 0) {
      total += uint64_t(st.st_blocks) * 512;
    }
  }
  return total;
}

double MiB(uint64_t b) { return double(b) / double(1 << 20); }

}  // namespace

int main(int argc, char** argv) {
  const uint64_t keys = argc > 1 ? std::stoull(argv[1]) : 100000;
  const uint64_t rounds = argc > 2 ? std::stoull(argv[2]) : 20;
  const uint32_t parts = argc > 3 ? uint32_t(std::stoul(argv[3])) : 0;
  const std::string dir = argc > 4 ? argv[4] : "./bench-data/overwrite";
  const double wait_limit = argc > 5 ? std::stod(argv[5]) : 20.0;
  std::filesystem::remove_all(dir);
  walnut::Options o;
  o.fsync = walnut::FsyncMode::kNo;
  o.partitions = parts;
  auto db = walnut::DB::Open(dir, o);
  if (!db.ok()) {
    std::fprintf(stderr, "open: %s\n", db.status().ToString().c_str());
    return 1;
  }
  const uint64_t live = keys * (16 + 100);
  std::string value(100, 'v');
  char key[32];
  uint64_t peak = 0;
  const auto start = Clock::now();
  for (uint64_t r = 0; r < rounds; r++) {
    for (uint64_t i = 0; i < keys; i++) {
      std::snprintf(key, sizeof(key), "key:%012llu", (unsigned long long)i);
      value[0] = char('a' + r % 26);
      walnut::WriteBatch b;
      b.Put(0, std::string_view(key, 16), value);
      if (!(*db)->WriteDeferred(b).ok()) return 1;
      if (i % 1000 == 999 && !(*db)->FlushLog().ok()) return 1;
    }
    peak = std::max(peak, DiskBytes(dir));
  }
  if (!(*db)->FlushLog().ok()) return 1;
  const double write_s = std::chrono::duration<double>(Clock::now() - start).count();
  const uint64_t after_burst = DiskBytes(dir);
  const double bound = 2.5 * double(live) + double(16 << 20);
  // Wait (at most wait_limit s) for the policy to bring the directory under the bound.
  const auto wait_start = Clock::now();
  double settled_s = -1;
  uint64_t now_bytes = after_burst;
  while (std::chrono::duration<double>(Clock::now() - wait_start).count() < wait_limit) {
    now_bytes = DiskBytes(dir);
    if (double(now_bytes) <= bound && !(*db)->Stats().compacting) {
      settled_s = std::chrono::duration<double>(Clock::now() - wait_start).count();
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  walnut::DbStats st = (*db)->Stats();
  std::printf("keys %llu x %llu writes (%.1f s), %u partition(s), live payload %.1f MiB\n",
              (unsigned long long)keys, (unsigned long long)rounds, write_s, st.partitions,
              MiB(live));
  std::printf(
      "| disk after burst | peak during burst | disk after policy | bound (2.5x + 16 MiB) "
      "| under bound after | auto compactions |\n|---:|---:|---:|---:|---:|---:|\n");
  std::printf("| %.1f MiB (%.2fx) | %.1f MiB (%.2fx) | %.1f MiB (%.2fx) | %.1f MiB | %s | %llu |\n",
              MiB(after_burst), double(after_burst) / double(live), MiB(peak),
              double(peak) / double(live), MiB(now_bytes), double(now_bytes) / double(live),
              bound / double(1 << 20),
              settled_s < 0 ? ("no (" + std::to_string(int(wait_limit)) + " s)").c_str()
                            : (std::to_string(settled_s).substr(0, 4) + " s").c_str(),
              (unsigned long long)st.auto_compactions);
  (void)(*db)->Close();
  std::filesystem::remove_all(dir);
  return settled_s < 0 ? 2 : 0;
}
