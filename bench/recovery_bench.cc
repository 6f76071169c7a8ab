// Start-up (recovery) time and memory per key for a data set of N keys:
// loads N keys (16-byte keys, 100-byte values by default), closes, then
// measures Open — replaying the log; after a compaction with its snapshot
// (hint files: keys at once, values by a background loader); and the same
// base image without the snapshot — next to the time to read the same files
// once sequentially (the physical floor).
//
// With several partition counts (the fourth argument, e.g. 1,2,4) the same
// data is loaded into each layout in turn: partitions replay in parallel.
//
// Usage: recovery_bench [keys=1000000] [value_bytes=100] [dir=./bench-data/recovery]
//                       [partitions=1]
#include <fcntl.h>
#include <malloc.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "walnut/db.h"

namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

long RssKiB() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

// Reads every file of dir once with large sequential reads.
double ReadFloor(const std::string& dir, uint64_t* bytes) {
  auto t = Clock::now();
  std::vector<char> buf(8 << 20);
  *bytes = 0;
  for (auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    int fd = ::open(e.path().c_str(), O_RDONLY);
    ssize_t n;
    while ((n = ::read(fd, buf.data(), buf.size())) > 0) *bytes += uint64_t(n);
    ::close(fd);
  }
  return Since(t);
}

std::string Key(uint64_t i) {
  char k[32];  // room for any 64-bit number: no truncation warning
  std::snprintf(k, sizeof(k), "key:%012llu", static_cast<unsigned long long>(i));
  return std::string(k, 16);
}

// With WALNUT_DROP_CACHES=1 (needs root), the page cache is emptied before
// each measurement, so both the open and the floor read come from the disk.
void MaybeDropCaches() {
  const char* env = std::getenv("WALNUT_DROP_CACHES");
  if (!env || std::string(env) != "1") return;
  ::sync();
  std::ofstream("/proc/sys/vm/drop_caches") << "3\n";
}

// The floor, read in a child of its own before the open: read after the
// open, in the process that holds the opened database, it came out up to 2x
// slower for the same files with some builds (seen with 256 KiB reads in
// wal_reader.cc), which would flatter the open/floor ratio.
double FloorInChild(const std::string& dir, uint64_t* bytes) {
  int fds[2];
  if (::pipe(fds) != 0) std::exit(1);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    MaybeDropCaches();
    double r[2];
    uint64_t b = 0;
    r[0] = ReadFloor(dir, &b);
    r[1] = double(b);
    if (::write(fds[1], r, sizeof(r)) != ssize_t(sizeof(r))) std::_Exit(1);
    std::_Exit(0);
  }
  ::close(fds[1]);
  double r[2] = {0, 0};
  if (::read(fds[0], r, sizeof(r)) != ssize_t(sizeof(r))) std::exit(1);
  ::close(fds[0]);
  int status;
  ::waitpid(pid, &status, 0);
  *bytes = uint64_t(r[1]);
  return r[0];
}

// Measured in a fresh child process, so that RSS is that of the open alone.
void TimeOpen(const std::string& dir, const char* what, uint64_t n) {
  std::fflush(stdout);
  ::malloc_trim(0);  // give the loader's freed heap back, so the child starts small
  uint64_t floor_bytes;
  const double floor = FloorInChild(dir, &floor_bytes);
  pid_t pid = ::fork();
  if (pid != 0) {
    int status;
    ::waitpid(pid, &status, 0);
    return;
  }
  long rss_before = RssKiB();
  MaybeDropCaches();
  walnut::Options o;
  o.auto_compact = false;
  o.partitions = 0;  // whatever the directory has
  auto t = Clock::now();
  auto db = walnut::DB::Open(dir, o);
  double secs = Since(t);
  if (!db.ok()) {
    std::fprintf(stderr, "open failed: %s\n", db.status().ToString().c_str());
    std::exit(1);
  }
  // After a snapshot start-up the values arrive in the background; the
  // database serves from the moment Open returns, and is as a full replay
  // leaves it once the loader is done.
  while ((*db)->Stats().values_on_disk != 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  double loaded = Since(t);
  long rss = RssKiB() - rss_before;
  std::printf("| %s | %llu | %.2f | %.0f | %.2f | %.1f MiB | %.2f | %.2fx | %.0f |\n", what,
              (unsigned long long)(*db)->KeyCount(0), secs, double(n) / secs, loaded,
              double(floor_bytes) / (1 << 20), floor, secs / floor,
              double(rss) * 1024.0 / double(n));
  std::fflush(stdout);
  std::_Exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t n = argc > 1 ? std::stoull(argv[1]) : 1000000;
  size_t vsize = argc > 2 ? std::stoul(argv[2]) : 100;
  std::string dir = argc > 3 ? argv[3] : "./bench-data/recovery";
  std::vector<uint32_t> counts;
  {
    std::string list = argc > 4 ? argv[4] : "1";
    size_t pos = 0;
    while (pos < list.size()) {
      size_t comma = list.find(',', pos);
      if (comma == std::string::npos) comma = list.size();
      counts.push_back(uint32_t(std::stoul(list.substr(pos, comma - pos))));
      pos = comma + 1;
    }
  }
  std::printf("keys: %llu, key 16 B, value %zu B, one record per key (as SET writes them)\n\n",
              (unsigned long long)n, vsize);
  std::printf(
      "| log | keys | open s (serving) | keys/s | all values in memory s | data read | read-once "
      "floor s | open/floor | RSS bytes/key |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  // WALNUT_BENCH_OPEN_ONLY=R: time R opens of the directory as it is (made
  // by an earlier run with WALNUT_BENCH_KEEP=segments or =base: it stops
  // after the first open of that layout), for A/B runs of start-up
  // alone without loading the keys again.
  if (const char* r = std::getenv("WALNUT_BENCH_OPEN_ONLY")) {
    for (int i = 0, reps = std::atoi(r); i < reps; i++) TimeOpen(dir, "as found", n);
    return 0;
  }
  for (uint32_t parts : counts) {
    std::filesystem::remove_all(dir);
    {
      walnut::Options o;
      o.fsync = walnut::FsyncMode::kNo;
      o.auto_compact = false;
      o.partitions = parts;
      auto db = walnut::DB::Open(dir, o);
      if (!db.ok()) {
        std::fprintf(stderr, "open failed: %s\n", db.status().ToString().c_str());
        return 1;
      }
      std::string value(vsize, 'v');
      for (uint64_t i = 0; i < n; i++) {
        walnut::WriteBatch b;
        b.Put(0, Key(i), value);
        if (!(*db)->WriteDeferred(b).ok()) return 1;
        if (i % 1000 == 999 && !(*db)->FlushLog().ok()) return 1;
      }
      if (!(*db)->FlushLog().ok()) return 1;
    }
    std::string label = std::to_string(parts) + (parts == 1 ? " partition" : " partitions");
    TimeOpen(dir, (label + ": segments").c_str(), n);
    const char* keep = std::getenv("WALNUT_BENCH_KEEP");
    if (keep && std::string(keep) == "segments") return 0;
    {
      walnut::Options o;
      o.auto_compact = false;
      o.partitions = 0;
      auto db = walnut::DB::Open(dir, o);
      if (!db.ok() || !(*db)->Compact().ok()) return 1;
    }
    TimeOpen(dir, (label + ": after compaction, snapshot").c_str(), n);
    // The same base image without its snapshot (hint) files: loaded by
    // reading every value, as when a snapshot is missing or damaged.
    for (auto& e : std::filesystem::recursive_directory_iterator(dir)) {
      if (e.path().filename().string().rfind("hint-", 0) == 0) std::filesystem::remove(e.path());
    }
    TimeOpen(dir, (label + ": after compaction, no snapshot (base image)").c_str(), n);
    if (keep && std::string(keep) == "base") return 0;
  }
  std::filesystem::remove_all(dir);
  return 0;
}
