// index_growth_bench: how long the longest single insert takes while a hash
// index grows to N keys, with resizes done in one step against done
// incrementally (HashIndex, hash_index.h). A one-step doubling rehashes
// every key while the DB's lock is held, so every client waits for it; the
// incremental resize spreads that work over the writes that follow.
//
//   build/bench/index_growth_bench [keys=13000000] [rounds=3]
//
// Runs the two modes alternately (one-step, incremental, one-step, ...) and
// prints, per mode, the medians over the rounds of: the longest insert, the
// 99.99th percentile insert, all inserts' total time, and the time to look
// every key up once afterwards. Keys are 16 bytes, values 100 bytes (the
// README's benchmark shape); hashes come from the engine's key hash.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/hash.h"
#include "engine/entry.h"
#include "engine/hash_index.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Run {
  double worst_ms, p9999_us, insert_s, lookup_s;
};

Run Once(size_t keys, bool incremental) {
  walnut::HashIndex idx;
  if (!incremental) idx.set_incremental_resize_from(SIZE_MAX);
  const std::string value(100, 'v');
  char key[32];  // room for any 64-bit number: no truncation warning
  std::vector<float> us(keys);
  double insert_s = 0;
  for (size_t i = 0; i < keys; i++) {
    std::snprintf(key, sizeof key, "key:%012zu", i);
    const std::string_view k(key, 16);
    walnut::Entry* e = walnut::Entry::Make(walnut::HashKey(k), k, value, 0);
    const auto t0 = Clock::now();
    walnut::Entry* old = idx.Upsert(e);
    const double d = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
    if (old) walnut::Entry::Free(old);
    us[i] = float(d);
    insert_s += d / 1e6;
  }
  const auto t0 = Clock::now();
  size_t found = 0;
  for (size_t i = 0; i < keys; i++) {
    std::snprintf(key, sizeof key, "key:%012zu", i);
    const std::string_view k(key, 16);
    found += idx.Find(k, walnut::HashKey(k)) != nullptr;
  }
  const double lookup_s = std::chrono::duration<double>(Clock::now() - t0).count();
  if (found != keys) {
    std::fprintf(stderr, "lost keys: %zu of %zu found\n", found, keys);
    std::exit(1);
  }
  std::sort(us.begin(), us.end());
  return {us.back() / 1000.0, us[size_t(double(keys) * 0.9999)], insert_s, lookup_s};
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const size_t keys = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 13000000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 3;
  std::vector<Run> runs[2];
  for (int r = 0; r < rounds; r++) {
    for (int mode = 0; mode < 2; mode++) {
      Run x = Once(keys, mode == 1);
      std::printf(
          "round %d %-11s worst insert %8.2f ms  p99.99 %7.1f us  inserts %.2f s  lookups %.2f s\n",
          r + 1, mode ? "incremental" : "one-step", x.worst_ms, x.p9999_us, x.insert_s, x.lookup_s);
      std::fflush(stdout);
      runs[mode].push_back(x);
    }
  }
  std::printf("\n%zu keys, medians of %d rounds\n", keys, rounds);
  std::printf("| resize | worst insert ms | p99.99 insert us | all inserts s | all lookups s |\n");
  std::printf("|---|---:|---:|---:|---:|\n");
  double med[2][4];
  for (int mode = 0; mode < 2; mode++) {
    std::vector<double> w, p, ins, look;
    for (const Run& x : runs[mode]) {
      w.push_back(x.worst_ms);
      p.push_back(x.p9999_us);
      ins.push_back(x.insert_s);
      look.push_back(x.lookup_s);
    }
    med[mode][0] = Median(w);
    med[mode][1] = Median(p);
    med[mode][2] = Median(ins);
    med[mode][3] = Median(look);
    std::printf("| %s | %.2f | %.1f | %.2f | %.2f |\n", mode ? "incremental" : "one step",
                med[mode][0], med[mode][1], med[mode][2], med[mode][3]);
  }
  std::printf("\none-step / incremental: worst insert %.0fx, all inserts %.2f, all lookups %.2f\n",
              med[0][0] / med[1][0], med[0][2] / med[1][2], med[0][3] / med[1][3]);
  return 0;
}
