// Corruption campaign: thousands of seeded random damages to a data
// directory's segment and base files, each followed by the offline check and
// by start-up in every recovery mode.
//
// The source directory has a base image (a compaction) and several segments
// after it, written through the engine's API with a model of every write. A
// case copies it, damages it in one way (truncate a file at a random offset,
// flip 1..8 bits, zero a range, remove or duplicate a segment, remove the
// base, append garbage or zeros), and then requires:
//  (a) CheckDirectory does not crash, and reports damage — naming the file
//      and the offset — exactly when a strict Open refuses to start or
//      reports a cut (a torn tail); damage that changed bytes the log needs
//      is always reported;
//  (b) a strict Open never crashes; when it succeeds, it serves a state the
//      writes really produced: the state after some prefix of them (a cut
//      end of the newest segment looks like writes that never happened, and
//      nothing else may be lost silently), so never a value nobody wrote;
//  (c) point-in-time recovery serves such a prefix too, and skip-corrupted
//      recovery serves for every key a value really written for it (it may
//      drop records, so only that much is promised).
// A few cases also run the real `walnut check DIR` and compare its exit code
// and output with the library's result.
//
// Cases: WALNUT_CORRUPTION_CASES (default 2000). Seed: WALNUT_TEST_SEED,
// printed; a case's damage depends only on the seed and its number.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "support/server_process.h"
#include "walnut/check.h"
#include "walnut/db.h"

namespace walnut {
namespace {

namespace fs = std::filesystem;
using test::TestSeed;

int Cases() {
  const char* env = std::getenv("WALNUT_CORRUPTION_CASES");
  return env != nullptr && env[0] != '\0' ? std::atoi(env) : 2000;
}

Options Quiet(RecoveryMode mode) {
  Options o;
  o.fsync = FsyncMode::kNo;
  o.recovery = mode;
  o.segment_size = 4096;  // several segments
  o.auto_compact = false;
  o.logger = [](LogLevel, std::string_view) {};
  return o;
}

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void WriteBytes(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), std::streamsize(data.size()));
}
void CopyDir(const std::string& from, const std::string& to) {
  fs::remove_all(to);
  fs::copy(from, to, fs::copy_options::recursive);
}

using State = std::map<std::string, std::string>;  // key -> value (absent: deleted)
using Write = std::vector<std::pair<std::string, std::optional<std::string>>>;

// The source directory and every write that made it, in order.
struct Source {
  std::string dir;
  std::vector<Write> writes;                          // one log record each
  size_t compacted_after = 0;                         // writes covered by the base image
  std::map<std::string, std::set<std::string>> ever;  // every value written per key
};

void Build(const std::string& dir, uint64_t seed, Source* src) {
  src->dir = dir;
  std::mt19937_64 rng(seed);
  auto db = DB::Open(dir, Quiet(RecoveryMode::kStrict));
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  uint64_t n = 0;
  auto one_write = [&] {
    Write w;
    int parts = rng() % 4 == 0 ? 2 + int(rng() % 3) : 1;  // a batch now and then
    WriteBatch b;
    std::set<std::string> used;
    for (int i = 0; i < parts; i++) {
      std::string k = "k" + std::to_string(rng() % 150);
      if (!used.insert(k).second) continue;
      if (rng() % 6 == 0) {
        b.Delete(0, k);
        w.push_back({k, std::nullopt});
      } else {
        std::string v = k + ":v" + std::to_string(n++) + ":";
        v.append(size_t(rng() % 120), char('a' + n % 26));
        b.Put(0, k, v);
        w.push_back({k, v});
        src->ever[k].insert(v);
      }
    }
    ASSERT_TRUE((*db)->Write(b).ok());
    src->writes.push_back(std::move(w));
  };
  for (int i = 0; i < 400; i++) one_write();
  auto c = (*db)->Compact();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  src->compacted_after = src->writes.size();
  for (int i = 0; i < 300; i++) one_write();
  ASSERT_TRUE((*db)->Close().ok());
}

// Everything the database serves (database 0; the source writes no other).
State Served(DB* db) {
  State s;
  uint64_t cursor = 0;
  do {
    cursor = db->Scan(0, cursor, 100, [&](std::string_view k, std::string_view v, int64_t) {
      s[std::string(k)] = std::string(v);
    });
  } while (cursor != 0);
  return s;
}

// True if `s` is the state after the first P writes for some P.
bool IsPrefixState(const Source& src, const State& s) {
  State cur;
  // Keys whose current value differs from s: the state matches when none do.
  std::set<std::string> differ;
  for (const auto& [k, v] : s) differ.insert(k);
  if (differ.empty()) return true;
  for (const auto& w : src.writes) {
    for (const auto& [k, v] : w) {
      if (v) {
        cur[k] = *v;
      } else {
        cur.erase(k);
      }
      auto it = s.find(k);
      bool same = it == s.end() ? !cur.count(k) : (cur.count(k) && cur[k] == it->second);
      if (same) {
        differ.erase(k);
      } else {
        differ.insert(k);
      }
    }
    if (differ.empty()) return true;
  }
  return false;
}

// The first key whose value nobody wrote, or "".
std::string UnwrittenValue(const Source& src, const State& s) {
  for (const auto& [k, v] : s) {
    auto it = src.ever.find(k);
    if (it == src.ever.end() || !it->second.count(v)) return k;
  }
  return "";
}

struct Damage {
  std::string what;           // for messages
  bool must_detect = false;   // bytes the log needs were changed or lost
  bool may_be_clean = false;  // e.g. a cut at a record boundary of the newest segment
};

std::vector<std::string> Files(const std::string& dir, const std::string& prefix) {
  std::vector<std::string> out;
  for (auto& e : fs::directory_iterator(dir)) {
    std::string n = e.path().filename();
    if (n.rfind(prefix, 0) == 0) out.push_back(n);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Applies one random damage to `dir`.
Damage Corrupt(const std::string& dir, std::mt19937_64& rng) {
  auto segs = Files(dir, "wal-");
  auto bases = Files(dir, "base-");
  const std::string newest = segs.back();
  std::vector<std::string> all = segs;
  all.insert(all.end(), bases.begin(), bases.end());
  const std::string file = all[rng() % all.size()];
  const std::string path = dir + "/" + file;
  std::string data = ReadBytes(path);
  const bool is_newest = file == newest;
  Damage d;
  switch (rng() % 10) {
    case 0:
    case 1: {  // truncate any file; the newest segment more often
      std::string f = rng() % 2 ? newest : file;
      std::string p = dir + "/" + f;
      std::string bytes = ReadBytes(p);
      uint64_t at = rng() % bytes.size();
      fs::resize_file(p, at);
      d.what =
          "truncate " + f + " at " + std::to_string(at) + " of " + std::to_string(bytes.size());
      // A cut of the newest segment may fall on a record boundary: then it
      // looks like writes that never happened, which nothing can tell apart.
      d.must_detect = f != newest;
      d.may_be_clean = f == newest;
      break;
    }
    case 2:
    case 3:
    case 4: {  // flip 1..8 bits, sometimes near the start or the end
      int bits = 1 + int(rng() % 8);
      uint64_t lo = 0, hi = data.size();
      if (rng() % 4 == 0) hi = std::min<uint64_t>(hi, 64);
      if (rng() % 4 == 0) lo = hi > 64 ? hi - 64 : 0;
      d.what = "flip in " + file + " at";
      for (int i = 0; i < bits; i++) {
        uint64_t at = lo + rng() % (hi - lo);
        data[at] = char(data[at] ^ (1 << (rng() % 8)));
        d.what += " " + std::to_string(at);
      }
      bool changed = data != ReadBytes(path);  // two flips may cancel out
      WriteBytes(path, data);
      d.must_detect = changed;
      d.may_be_clean = !changed;
      break;
    }
    case 5: {  // zero a range
      uint64_t at = rng() % data.size();
      uint64_t len = std::min<uint64_t>(1 + rng() % 256, data.size() - at);
      std::string before = data;
      std::fill(data.begin() + long(at), data.begin() + long(at + len), '\0');
      WriteBytes(path, data);
      d.what = "zero " + file + " [" + std::to_string(at) + ", " + std::to_string(at + len) + ")";
      // Zeros up to the end of the newest segment are a torn write (or, in
      // a preallocated file, its clean end).
      bool to_end = is_newest && at + len == data.size();
      d.must_detect = data != before && !to_end;
      d.may_be_clean = data == before || to_end;
      break;
    }
    case 6: {  // remove a segment
      std::string f = segs[rng() % segs.size()];
      fs::remove(dir + "/" + f);
      d.what = "remove " + f;
      // Without the newest segment the log is a shorter one, still whole.
      d.must_detect = f != newest;
      d.may_be_clean = f == newest;
      break;
    }
    case 7: {  // a segment's bytes under another name: a new last one or over another
      std::string from = segs[rng() % segs.size()];
      std::string to;
      if (rng() % 2 || segs.size() < 2) {
        uint64_t id = std::stoull(newest.substr(4, 20)) + 1;
        char name[64];
        std::snprintf(name, sizeof(name), "wal-%020llu.log", (unsigned long long)id);
        to = name;
      } else {
        do {
          to = segs[rng() % segs.size()];
        } while (to == from);
      }
      fs::copy_file(dir + "/" + from, dir + "/" + to, fs::copy_options::overwrite_existing);
      d.what = "copy " + from + " over " + to;
      d.must_detect = true;
      d.may_be_clean = false;
      break;
    }
    case 8: {  // remove the base image
      if (bases.empty()) return Corrupt(dir, rng);
      fs::remove(dir + "/" + bases[0]);
      d.what = "remove " + bases[0];
      d.must_detect = true;
      d.may_be_clean = false;
      break;
    }
    default: {  // append garbage or zeros to the newest segment
      std::string p = dir + "/" + newest;
      std::string bytes = ReadBytes(p);
      size_t n = 1 + rng() % 200;
      bool zeros = rng() % 2;
      for (size_t i = 0; i < n; i++) bytes.push_back(zeros ? '\0' : char(rng()));
      WriteBytes(p, bytes);
      d.what =
          "append " + std::to_string(n) + (zeros ? " zeros" : " random bytes") + " to " + newest;
      d.must_detect = false;  // a torn write at worst
      d.may_be_clean = zeros;
      break;
    }
  }
  return d;
}

bool NamesFileAndOffset(const std::string& s) {
  return (s.find("wal-") != std::string::npos || s.find("base-") != std::string::npos) &&
         s.find(" at offset ") != std::string::npos;
}

// A campaign's scratch directory: on tmpfs when there is one (thousands of
// small copies and syncs), removed afterwards unless WALNUT_KEEP_TEMP is set.
struct CampaignRoot {
  std::string path;
  explicit CampaignRoot(const std::string& name) {
    std::string base =
        fs::is_directory("/dev/shm") ? std::string("/dev/shm") : fs::temp_directory_path().string();
    path = base + "/" + name + "-" + std::to_string(getpid());
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~CampaignRoot() {
    if (std::getenv("WALNUT_KEEP_TEMP") == nullptr) fs::remove_all(path);
  }
};

TEST(Corruption, RandomDamageIsDetectedAndNeverServed) {
  const uint64_t seed = TestSeed();
  const int cases = Cases();
  CampaignRoot scratch("walnut-corruption");
  const std::string& root = scratch.path;

  Source src;
  Build(root + "/source", seed, &src);
  if (HasFatalFailure()) return;
  ASSERT_FALSE(Files(src.dir, "base-").empty());
  ASSERT_GE(Files(src.dir, "wal-").size(), 3u);
  fs::remove(src.dir + "/LOCK");
  // Without the snapshot, start-up reads (and so verifies) the base image, as
  // this campaign's rules expect. With one, base-image values are checked
  // when read instead (src/engine/snapshot_test.cc covers that, and damaged
  // snapshots).
  for (const auto& h : Files(src.dir, "hint-")) fs::remove(src.dir + "/" + h);

  uint64_t detected = 0, torn = 0, opened = 0, refused = 0, pit_opened = 0, skip_opened = 0,
           clean_undetected = 0, cli_runs = 0;
  std::map<std::string, uint64_t> kinds;
  for (int c = 0; c < cases; c++) {
    std::mt19937_64 rng(seed * 1000003 + uint64_t(c));
    const std::string dir = root + "/case";
    CopyDir(src.dir, dir);
    Damage d = Corrupt(dir, rng);
    kinds[d.what.substr(0, d.what.find(' '))]++;
    const std::string where = "case " + std::to_string(c) + " (" + d.what + ")";
    const std::string pit_dir = root + "/pit", skip_dir = root + "/skip";
    CopyDir(dir, pit_dir);
    CopyDir(dir, skip_dir);

    // (a) The offline check, read-only.
    auto check = CheckDirectory(dir, /*fix=*/false);
    bool check_says_damage = !check.ok() || check->damaged;
    if (!check.ok()) {
      EXPECT_TRUE(check.status().IsCorruption()) << where << ": " << check.status().ToString();
      EXPECT_TRUE(NamesFileAndOffset(check.status().message()))
          << where << ": " << check.status().ToString();
    } else if (check->damaged) {
      EXPECT_TRUE(NamesFileAndOffset(check->first_damage)) << where << ": " << check->first_damage;
    }

    // (b) Strict start-up.
    auto db = DB::Open(dir, Quiet(RecoveryMode::kStrict));
    bool strict_reports = !db.ok();
    if (db.ok()) {
      opened++;
      const RecoveryReport& rep = (*db)->Stats().recovery;
      strict_reports = !rep.notes.empty();
      if (rep.torn_tail_bytes > 0) torn++;
      State s = Served(db->get());
      EXPECT_EQ(UnwrittenValue(src, s), "") << where << ": strict open serves a value nobody wrote";
      EXPECT_TRUE(IsPrefixState(src, s))
          << where << ": strict open serves a state no prefix of the writes produced";
      EXPECT_TRUE((*db)->Close().ok());
    } else {
      refused++;
      EXPECT_TRUE(db.status().IsCorruption()) << where << ": " << db.status().ToString();
      EXPECT_TRUE(NamesFileAndOffset(db.status().message()))
          << where << ": " << db.status().ToString();
    }
    EXPECT_EQ(check_says_damage, strict_reports)
        << where << ": check says "
        << (check.ok() ? check->first_damage : check.status().ToString()) << "; strict open "
        << (db.ok() ? "succeeded" : db.status().ToString());
    if (check.ok() && check->damaged) {
      EXPECT_EQ(check->torn_tail, db.ok()) << where << ": " << check->first_damage;
    }
    if (d.must_detect) {
      EXPECT_TRUE(check_says_damage) << where << ": damage not reported";
    }
    if (!d.must_detect && !d.may_be_clean) {
      EXPECT_TRUE(check_says_damage) << where << ": damage not reported";
    }
    detected += check_says_damage;
    clean_undetected += !check_says_damage;

    // (c) The lenient modes.
    auto pit = DB::Open(pit_dir, Quiet(RecoveryMode::kPointInTime));
    if (pit.ok()) {
      pit_opened++;
      State s = Served(pit->get());
      EXPECT_EQ(UnwrittenValue(src, s), "")
          << where << ": point-in-time serves a value nobody wrote";
      EXPECT_TRUE(IsPrefixState(src, s))
          << where << ": point-in-time serves a state no prefix of the writes produced";
      EXPECT_TRUE((*pit)->Close().ok());
    } else {
      EXPECT_TRUE(NamesFileAndOffset(pit.status().message()))
          << where << ": " << pit.status().ToString();
    }
    auto skip = DB::Open(skip_dir, Quiet(RecoveryMode::kSkipCorrupted));
    if (skip.ok()) {
      skip_opened++;
      State s = Served(skip->get());
      EXPECT_EQ(UnwrittenValue(src, s), "")
          << where << ": skip-corrupted serves a value nobody wrote";
      EXPECT_TRUE((*skip)->Close().ok());
    } else {
      EXPECT_TRUE(NamesFileAndOffset(skip.status().message()))
          << where << ": " << skip.status().ToString();
    }

    // The real CLI on a few cases, on a fresh damaged copy (strict Open may
    // have cut a torn tail of `dir`).
    if (c % (cases / 20 > 0 ? cases / 20 : 1) == 0) {
      std::mt19937_64 again(seed * 1000003 + uint64_t(c));
      CopyDir(src.dir, dir);
      Corrupt(dir, again);
      int code = -1;
      std::string out = test::RunCommand(
          test::ShellQuote(WALNUT_BUILD_DIR "/walnut") + " check " + test::ShellQuote(dir), &code);
      int want = !check.ok() ? 1 : check->damaged ? 4 : 0;
      EXPECT_EQ(code, want) << where << ": walnut check said\n" << out;
      if (check.ok() && check->damaged) {
        EXPECT_NE(out.find(check->first_damage), std::string::npos) << where << ":\n" << out;
      }
      cli_runs++;
    }
    if (::testing::Test::HasFailure()) {
      std::fprintf(stderr, "stopping at the first failing case; WALNUT_TEST_SEED=%llu\n",
                   (unsigned long long)seed);
      break;
    }
  }
  std::string kind_counts;
  for (const auto& [k, n] : kinds) kind_counts += " " + k + "=" + std::to_string(n);
  std::fprintf(stderr,
               "corruption campaign: cases=%d damage reported=%llu (torn tails cut=%llu) "
               "undetectable and harmless=%llu; strict opened=%llu refused=%llu; "
               "point-in-time opened=%llu; skip-corrupted opened=%llu; CLI runs=%llu; "
               "kinds:%s; WALNUT_TEST_SEED=%llu\n",
               cases, (unsigned long long)detected, (unsigned long long)torn,
               (unsigned long long)clean_undetected, (unsigned long long)opened,
               (unsigned long long)refused, (unsigned long long)pit_opened,
               (unsigned long long)skip_opened, (unsigned long long)cli_runs, kind_counts.c_str(),
               (unsigned long long)seed);
}

// The state after every write.
State FinalState(const Source& src) {
  State cur;
  for (const auto& w : src.writes) {
    for (const auto& [k, v] : w) {
      if (v) {
        cur[k] = *v;
      } else {
        cur.erase(k);
      }
    }
  }
  return cur;
}

// Snapshot campaign: the same source, with its snapshot (hint file) kept.
// Damage to the hint itself (truncate, flip bits, zero a range, append
// bytes, remove it) must cost nothing but time: start-up refuses the hint as
// a whole, says so in a recovery note naming the file and offset, and loads
// the base image — serving exactly the final state. Damage to the base image
// under an intact hint (flip bits, zero a range; the size stays, so the hint
// still matches it) is found only when a value is read: every key is still
// there, and each read gives either the value last written or a Corruption
// error naming the base image — never another value. The offline check,
// which reads every byte of the base image, reports that damage, and names
// a damaged hint as a warning.
TEST(Corruption, DamagedSnapshotsCostTimeNotData) {
  const uint64_t test_seed = TestSeed();
  const uint64_t seed = test_seed ^ 0x5eed;  // other cases than the campaign above
  const int cases = std::max(1, Cases() / 4);
  CampaignRoot scratch("walnut-snapshot-corruption");
  const std::string& root = scratch.path;

  Source src;
  Build(root + "/source", seed, &src);
  if (HasFatalFailure()) return;
  fs::remove(src.dir + "/LOCK");
  const auto hints = Files(src.dir, "hint-");
  const auto bases = Files(src.dir, "base-");
  ASSERT_EQ(hints.size(), 1u);
  ASSERT_EQ(bases.size(), 1u);
  const State want = FinalState(src);
  uint64_t hint_refused = 0, hint_removed = 0, base_cases = 0, values_refused = 0,
           values_served = 0, check_reported = 0;
  for (int c = 0; c < cases; c++) {
    std::mt19937_64 rng(seed * 1000003 + uint64_t(c));
    const std::string dir = root + "/case";
    CopyDir(src.dir, dir);
    const bool hit_hint = rng() % 10 < 6;
    const std::string file = hit_hint ? hints[0] : bases[0];
    const std::string path = dir + "/" + file;
    std::string data = ReadBytes(path);
    const std::string before = data;
    std::string what;
    bool removed = false;
    int kind = int(rng() % (hit_hint ? 5 : 2));
    if (kind == 0) {  // flip 1..8 bits
      int bits = 1 + int(rng() % 8);
      for (int b = 0; b < bits; b++) data[rng() % data.size()] ^= char(1 << (rng() % 8));
      what = "flip " + std::to_string(bits) + " bits of " + file;
    } else if (kind == 1) {  // zero a range
      size_t at = rng() % data.size();
      size_t len = std::min<size_t>(1 + rng() % 64, data.size() - at);
      std::fill(data.begin() + long(at), data.begin() + long(at + len), '\0');
      what = "zero " + file + " at " + std::to_string(at);
    } else if (kind == 2) {  // truncate
      data.resize(rng() % data.size());
      what = "truncate " + file + " to " + std::to_string(data.size());
    } else if (kind == 3) {  // append
      size_t n = 1 + rng() % 100;
      for (size_t i = 0; i < n; i++) data.push_back(char(rng()));
      what = "append " + std::to_string(n) + " bytes to " + file;
    } else {
      removed = true;
      what = "remove " + file;
    }
    if (removed) {
      fs::remove(path);
    } else {
      WriteBytes(path, data);
    }
    const bool changed = removed || data != before;
    const std::string where = "case " + std::to_string(c) + " (" + what + ")";

    auto check = CheckDirectory(dir, /*fix=*/false);
    auto db = DB::Open(dir, Quiet(RecoveryMode::kStrict));
    ASSERT_TRUE(db.ok()) << where << ": " << db.status().ToString();
    const RecoveryReport rep = (*db)->Stats().recovery;
    if (hit_hint) {
      // The log is intact, so the check sees nothing wrong with it.
      ASSERT_TRUE(check.ok()) << where << ": " << check.status().ToString();
      EXPECT_FALSE(check->damaged) << where << ": " << check->first_damage;
      EXPECT_EQ(Served(db->get()), want) << where;
      std::string notes;
      for (const auto& n : rep.notes) notes += n + "\n";
      if (!changed) {
        EXPECT_EQ(check->snapshots, 1u) << where;
      }
      if (removed) {
        EXPECT_EQ(rep.snapshot_keys, 0u) << where;
        hint_removed++;
      } else if (changed) {
        EXPECT_EQ(rep.snapshot_keys, 0u) << where << ": a damaged snapshot was used";
        // The check names it too (as a warning: nothing is lost).
        EXPECT_NE(check->snapshot_damage.find(" at offset "), std::string::npos)
            << where << ": check says '" << check->snapshot_damage << "'";
        EXPECT_EQ(check->snapshots, 0u) << where;
        EXPECT_NE(notes.find("snapshot "), std::string::npos) << where << ": " << notes;
        EXPECT_NE(notes.find("hint-"), std::string::npos) << where << ": " << notes;
        EXPECT_NE(notes.find(" at offset "), std::string::npos) << where << ": " << notes;
        hint_refused++;
      }
    } else {
      base_cases++;
      EXPECT_EQ((*db)->KeyCount(0), want.size()) << where;
      for (const auto& [k, v] : want) {
        auto got = (*db)->Get(k);
        if (got.ok()) {
          EXPECT_EQ(*got, v) << where << ": key " << k << " served a value it does not hold";
          values_served++;
        } else {
          EXPECT_TRUE(got.status().IsCorruption()) << where << ": " << got.status().ToString();
          EXPECT_NE(got.status().message().find("base-"), std::string::npos)
              << where << ": " << got.status().ToString();
          values_refused++;
        }
      }
      // The offline check reads every byte of the base image.
      bool reported = !check.ok() || check->damaged;
      if (changed) {
        EXPECT_TRUE(reported) << where << ": damage to the base image not reported";
      }
      check_reported += reported;
    }
    EXPECT_TRUE((*db)->Close().ok()) << where;
    if (::testing::Test::HasFailure()) {
      std::fprintf(stderr, "stopping at the first failing case; WALNUT_TEST_SEED=%llu\n",
                   (unsigned long long)test_seed);
      break;
    }
  }
  std::fprintf(stderr,
               "snapshot corruption campaign: cases=%d hint refused=%llu hint removed=%llu; base "
               "damaged under a hint=%llu (check reported %llu; reads refused=%llu, served "
               "right=%llu)\n",
               cases, (unsigned long long)hint_refused, (unsigned long long)hint_removed,
               (unsigned long long)base_cases, (unsigned long long)check_reported,
               (unsigned long long)values_refused, (unsigned long long)values_served);
}

}  // namespace
}  // namespace walnut
