// sync_probe: what one synced append costs on this disk, the way the log
// reserves its space. Backs two choices with numbers (docs/recovery.md
// "Reserved ahead", docs/partitions.md):
//  - fallocate vs written zeros (Options::log_prefill): appends into
//    fallocated space make fdatasync also commit the file system's journal
//    (the unwritten extents become written); into written zeros they do not;
//  - one file vs two synced at the same time (partitions under fsync
//    always): whether the device completes the two cache flushes in parallel.
// "grow" appends past the end of a file with no reservation, as an AOF does.
//
// usage: sync_probe DIR [ROUNDS=3000] [RECORD_BYTES=700] [RUNS=5]
// Each run does ROUNDS rounds of (append RECORD_BYTES, fdatasync) per file;
// the setups run alternately, RUNS times; prints the median per setup.
#include <algorithm>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "walnut/env.h"

namespace {

using Clock = std::chrono::steady_clock;

enum class Reserve { kFallocate, kZeros, kGrow };

const char* Name(Reserve r) {
  switch (r) {
    case Reserve::kFallocate:
      return "fallocate";
    case Reserve::kZeros:
      return "zeros";
    case Reserve::kGrow:
      return "grow";
  }
  return "?";
}

// Microseconds per round (every file appended and synced once), or -1.
double Run(const std::string& dir, Reserve how, int files, int rounds, size_t record) {
  walnut::Env* env = walnut::Env::Default();
  const uint64_t reserve = uint64_t(rounds) * record + (1 << 20);
  std::vector<std::unique_ptr<walnut::WritableFile>> fs;
  for (int i = 0; i < files; i++) {
    const std::string p = dir + "/probe-" + std::to_string(i);
    auto f = env->NewWritableFile(p, /*exclusive=*/false);
    if (!f.ok()) {
      std::fprintf(stderr, "%s\n", f.status().ToString().c_str());
      return -1;
    }
    walnut::Status s;
    if (how == Reserve::kFallocate) s = (*f)->Allocate(reserve);
    if (how == Reserve::kZeros) s = (*f)->AllocateWritten(reserve);
    if (s.ok()) s = (*f)->Sync();
    if (!s.ok()) {
      std::fprintf(stderr, "%s\n", s.ToString().c_str());
      return -1;
    }
    fs.push_back(std::move(*f));
  }
  const std::string data(record, 'x');
  std::barrier sync_point(files);
  bool failed = false;
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int i = 0; i < files; i++) {
    threads.emplace_back([&, i] {
      for (int r = 0; r < rounds; r++) {
        sync_point.arrive_and_wait();  // the files' syncs start together
        if (!fs[i]->Append(data).ok() || !fs[i]->Sync().ok()) failed = true;
      }
    });
  }
  for (auto& t : threads) t.join();
  const double us = std::chrono::duration<double, std::micro>(Clock::now() - start).count();
  for (int i = 0; i < files; i++) {
    (void)fs[i]->Close();
    (void)env->RemoveFile(dir + "/probe-" + std::to_string(i));
  }
  return failed ? -1 : us / rounds;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIR [ROUNDS=3000] [RECORD_BYTES=700] [RUNS=5]\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 3000;
  const size_t record = argc > 3 ? size_t(std::atoll(argv[3])) : 700;
  const int runs = argc > 4 ? std::atoi(argv[4]) : 5;
  if (!walnut::Env::Default()->CreateDirIfMissing(dir).ok()) return 1;
  struct Setup {
    Reserve how;
    int files;
    std::vector<double> us;
  };
  std::vector<Setup> setups = {{Reserve::kGrow, 1, {}},
                               {Reserve::kFallocate, 1, {}},
                               {Reserve::kZeros, 1, {}},
                               {Reserve::kFallocate, 2, {}},
                               {Reserve::kZeros, 2, {}}};
  for (int run = 0; run < runs; run++) {
    for (auto& s : setups) {
      const double us = Run(dir, s.how, s.files, rounds, record);
      if (us < 0) return 1;
      s.us.push_back(us);
    }
  }
  std::printf("%d rounds of append %zu bytes + fdatasync per file, median of %d runs\n", rounds,
              record, runs);
  std::printf("| reserve | files synced together | us per round | rounds/s | runs (us) |\n");
  std::printf("|---|---:|---:|---:|---|\n");
  for (auto& s : setups) {
    std::vector<double> v = s.us;
    std::sort(v.begin(), v.end());
    const double med = v[v.size() / 2];
    std::string all;
    for (double x : s.us) all += (all.empty() ? "" : ", ") + std::to_string(int(x + 0.5));
    std::printf("| %s | %d | %.1f | %.0f | %s |\n", Name(s.how), s.files, med, 1e6 / med,
                all.c_str());
  }
  return 0;
}
