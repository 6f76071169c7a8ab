// Engine throughput: put and get, one thread and several, for each fsync
// mode and value sizes from 16 B to 16 KiB — plus the disk's own fdatasync
// rate, the ceiling that FsyncMode::kAlways is measured against (group
// commit is how many puts share one sync).
//
// Data lives under $WALNUT_BENCH_DIR (default ./bench-data), on the disk
// being measured; never a tmpfs.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

#include "walnut/db.h"

namespace {

std::string BenchDir(const std::string& name) {
  const char* base = std::getenv("WALNUT_BENCH_DIR");
  std::string dir = std::string(base ? base : "./bench-data") + "/" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::unique_ptr<walnut::DB> g_db;
std::string g_dir;

walnut::FsyncMode ModeOf(int64_t m) {
  return m == 0   ? walnut::FsyncMode::kAlways
         : m == 1 ? walnut::FsyncMode::kEverySec
                  : walnut::FsyncMode::kNo;
}
const char* ModeName(int64_t m) { return m == 0 ? "always" : m == 1 ? "everysec" : "no"; }

void OpenDb(const benchmark::State& state) {
  g_dir = BenchDir("engine");
  walnut::Options o;
  o.fsync = ModeOf(state.range(0));
  o.logger = [](walnut::LogLevel, std::string_view) {};
  auto db = walnut::DB::Open(g_dir, o);
  if (!db.ok()) std::abort();
  g_db = std::move(*db);
}

void CloseDb(const benchmark::State&) {
  g_db.reset();
  std::filesystem::remove_all(g_dir);
}

// args: fsync mode (0 always, 1 everysec, 2 no), value size
void BM_Put(benchmark::State& state) {
  const std::string value(size_t(state.range(1)), 'v');
  uint64_t i = uint64_t(state.thread_index()) << 40;
  for (auto _ : state) {
    std::string key = "key" + std::to_string(i++ % 100000 + (uint64_t(state.thread_index()) << 40));
    walnut::Status s = g_db->Put(key, value);
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * int64_t(value.size()));
  state.SetLabel(ModeName(state.range(0)));
  if (state.thread_index() == 0) {
    auto st = g_db->Stats();
    state.counters["writes_per_sync"] = st.syncs ? double(st.writes) / double(st.syncs) : 0.0;
  }
}

void PutArgs(benchmark::internal::Benchmark* b) {
  for (int64_t mode : {0, 1, 2}) {
    for (int64_t size : {16, 128, 1024, 16384}) b->Args({mode, size});
  }
}
BENCHMARK(BM_Put)
    ->Apply(PutArgs)
    ->Threads(1)
    ->Threads(4)
    ->UseRealTime()
    ->Setup(OpenDb)
    ->Teardown(CloseDb)
    ->MinTime(0.5);

void LoadForGet(const benchmark::State& state) {
  OpenDb(state);
  std::string value(size_t(state.range(1)), 'g');
  for (int i = 0; i < 100000; i++) {
    walnut::WriteBatch b;
    b.Put(0, "key" + std::to_string(i), value);
    if (!g_db->WriteDeferred(b).ok()) std::abort();
  }
  if (!g_db->FlushLog().ok()) std::abort();
}

// args: mode (unused by reads; 2), value size
void BM_Get(benchmark::State& state) {
  uint64_t i = uint64_t(state.thread_index()) * 7919;
  std::string out;
  for (auto _ : state) {
    auto r = g_db->Read(0, "key" + std::to_string(i++ % 100000),
                        [&](std::string_view v, int64_t) { out.assign(v); });
    if (!r.ok()) state.SkipWithError("missing key");
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Get)
    ->Args({2, 16})
    ->Args({2, 128})
    ->Args({2, 1024})
    ->Args({2, 16384})
    ->Threads(1)
    ->Threads(4)
    ->UseRealTime()
    ->Setup(LoadForGet)
    ->Teardown(CloseDb)
    ->MinTime(0.5);

// The disk's reference: append 128 bytes and fdatasync, as fast as it goes.
void BM_DiskFdatasync(benchmark::State& state) {
  std::string dir = BenchDir("fsync");
  int fd = ::open((dir + "/probe").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  std::string rec(128, 'f');
  for (auto _ : state) {
    if (::write(fd, rec.data(), rec.size()) != ssize_t(rec.size()) || ::fdatasync(fd) != 0) {
      state.SkipWithError("write/fdatasync failed");
    }
  }
  ::close(fd);
  std::filesystem::remove_all(dir);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DiskFdatasync)->UseRealTime()->MinTime(1.0);

}  // namespace

BENCHMARK_MAIN();
