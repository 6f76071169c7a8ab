// Fuzz target: recovery from damaged logs.
//
// The input is a script. Its first part drives the engine through its API
// (puts, deletes, batches, expiry changes, segment rollovers, compactions),
// so the files on disk are real logs and base images; its second part
// damages those files (xor a byte, truncate, append garbage). Then the
// directory is opened in every recovery mode and by the check tool. What
// must hold: nothing crashes; every value an open returns is one that was
// written for that key; a strict open that succeeds after damage confined
// to a torn tail loses no record before it.
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <string>

#include "fuzz_support.h"
#include "walnut/check.h"
#include "walnut/db.h"

namespace {

namespace fs = std::filesystem;

using Reader = walnut::fuzz::FuzzInput;

std::string Scratch() { return walnut::fuzz::ScratchPath("walnut-fuzz"); }

walnut::Options Opts(walnut::RecoveryMode mode) {
  walnut::Options o;
  o.fsync = walnut::FsyncMode::kNo;
  o.recovery = mode;
  o.segment_size = 4096;
  o.auto_compact = false;
  o.num_databases = 4;
  o.logger = [](walnut::LogLevel, std::string_view) {};
  o.clock_ms = [] { return int64_t(1'000'000); };
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string dir = Scratch();
  fs::remove_all(dir);
  Reader in{data, size};
  // Every value ever written per (db, key); "" is a legal value too.
  std::map<std::pair<uint32_t, std::string>, std::set<std::string>> written;
  {
    auto db = walnut::DB::Open(dir, Opts(walnut::RecoveryMode::kStrict));
    Check(db.ok());
    int ops = 0;
    while (!in.empty() && ops++ < 64) {
      uint8_t op = in.Byte();
      if (op == 0xFF) break;  // end of the write script
      uint32_t dbi = (op >> 4) & 3;
      walnut::WriteBatch b;
      switch (op % 6) {
        case 0:
        case 1: {
          std::string k = in.Str(8), v = in.Str(200);
          written[{dbi, k}].insert(v);
          b.Put(dbi, k, v, op % 6 == 1 ? 1'000'000 + in.Byte() * 10 : 0);
          break;
        }
        case 2:
          b.Delete(dbi, in.Str(8));
          break;
        case 3: {
          for (int i = 0, n = in.Byte() % 5; i < n; i++) {
            std::string k = in.Str(8), v = in.Str(50);
            written[{dbi, k}].insert(v);
            b.Put(dbi, k, v);
          }
          break;
        }
        case 4:
          b.SetExpiry(dbi, in.Str(8), in.Byte() % 2 ? 0 : 2'000'000);
          break;
        case 5:
          if (in.Byte() % 4 == 0) {
            Check((*db)->Compact().ok());
            continue;
          }
          b.Put(dbi, "filler", std::string(1000, 'f'));  // drive rollovers
          written[{dbi, "filler"}].insert(std::string(1000, 'f'));
          break;
      }
      Check((*db)->Write(b).ok());
    }
  }
  // The damage script.
  std::vector<fs::path> files;
  for (auto& e : fs::directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().filename() != "LOCK") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (int d = 0; d < 8 && !in.empty() && !files.empty(); d++) {
    const fs::path& f = files[in.Byte() % files.size()];
    uint64_t fsize = fs::file_size(f);
    uint8_t kind = in.Byte() % 3;
    uint64_t at = fsize ? ((uint64_t(in.Byte()) << 8 | in.Byte()) % fsize) : 0;
    if (kind == 0 && fsize) {
      FILE* fp = std::fopen(f.c_str(), "r+b");
      std::fseek(fp, long(at), SEEK_SET);
      int c = std::fgetc(fp);
      std::fseek(fp, long(at), SEEK_SET);
      std::fputc(c ^ (1 + in.Byte() % 255), fp);
      std::fclose(fp);
    } else if (kind == 1) {
      fs::resize_file(f, at);
    } else {
      FILE* fp = std::fopen(f.c_str(), "ab");
      for (int i = 0, n = in.Byte(); i < n; i++) std::fputc(in.Byte(), fp);
      std::fclose(fp);
    }
  }
  // Read-only check first (it must not modify anything), then every mode.
  auto report = walnut::CheckDirectory(dir, /*fix=*/false);
  (void)report;
  for (auto mode : {walnut::RecoveryMode::kStrict, walnut::RecoveryMode::kSkipCorrupted,
                    walnut::RecoveryMode::kPointInTime}) {
    auto db = walnut::DB::Open(dir, Opts(mode));
    if (!db.ok()) {
      Check(db.status().IsCorruption() || db.status().IsNotSupported());
      continue;
    }
    for (uint32_t dbi = 0; dbi < 4; dbi++) {
      uint64_t cursor = 0;
      do {
        cursor =
            (*db)->Scan(dbi, cursor, 100, [&](std::string_view k, std::string_view v, int64_t) {
              auto it = written.find({dbi, std::string(k)});
              Check(it != written.end() && it->second.count(std::string(v)) == 1);
            });
      } while (cursor != 0);
    }
  }
  fs::remove_all(dir);
  return 0;
}
