// Crash safety of the engine with real processes and SIGKILL.
//
// A child process opens the database and writes (puts, deletes, multi-key
// batches) in a loop; before each operation it tells the parent what it is
// about to do ("intent") and after the call returns OK it reports the
// acknowledgement, through a pipe. The parent kills the child with SIGKILL at
// a random moment, reopens the directory and checks that:
//  - every acknowledged put is there with its value, every acknowledged
//    delete stays deleted;
//  - the one operation in flight at the kill is all-or-nothing;
//  - no other value appears.
// The child also compacts now and then, so kills land during compactions.
// Rounds: WALNUT_CRASH_ROUNDS (default 25; `make crash-test` runs 1000).
// Seed: WALNUT_TEST_SEED (printed).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "walnut/db.h"

namespace walnut {
namespace {

uint64_t Seed() {
  const char* env = std::getenv("WALNUT_TEST_SEED");
  static uint64_t s = env ? std::strtoull(env, nullptr, 10) : std::random_device{}();
  return s;
}

int Rounds() {
  const char* env = std::getenv("WALNUT_CRASH_ROUNDS");
  return env ? std::atoi(env) : 25;
}

Options ModeFor(int round) {
  Options o;
  o.fsync = round % 3 == 0   ? FsyncMode::kAlways
            : round % 3 == 1 ? FsyncMode::kEverySec
                             : FsyncMode::kNo;
  o.segment_size = 64 * 1024;  // many rollovers
  // Compact often, so that kills land during compactions too.
  o.compact_min_log_bytes = 256 * 1024;
  o.logger = [](LogLevel, std::string_view) {};
  return o;
}

void WriteLine(int fd, const std::string& line) {
  std::string l = line + "\n";
  const char* p = l.data();
  size_t left = l.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) _exit(3);
    p += n;
    left -= size_t(n);
  }
}

// The child: writes until killed. Keys and values carry no spaces.
[[noreturn]] void ChildMain(const std::string& dir, int round, int fd) {
  auto db = DB::Open(dir, ModeFor(round));
  if (!db.ok()) {
    WriteLine(fd, "E " + db.status().ToString());
    _exit(2);
  }
  WriteLine(fd, "R");  // ready
  std::mt19937_64 rng(Seed() * 1000003 + uint64_t(round));
  for (uint64_t n = 0;; n++) {
    if (rng() % 60 == 0) {
      // A compaction, so that some kills land in the middle of one.
      if (!(*db)->Compact().ok()) _exit(5);
      continue;
    }
    int kind = int(rng() % 10);
    std::string v = "r" + std::to_string(round) + "n" + std::to_string(n) +
                    std::string(size_t(rng() % 300), 'x');
    if (kind < 6) {
      std::string k = "k" + std::to_string(rng() % 300);
      WriteLine(fd, "I P " + k + " " + v);
      if (!(*db)->Put(k, v).ok()) _exit(4);
    } else if (kind < 8) {
      std::string k = "k" + std::to_string(rng() % 300);
      WriteLine(fd, "I D " + k);
      if (!(*db)->Delete(k).ok()) _exit(4);
    } else {
      WriteBatch b;
      std::string line = "I B " + v;
      for (int j = 0; j < 4; j++) {
        std::string k = "b" + std::to_string(rng() % 100);
        b.Put(0, k, v);
        line += " " + k;
      }
      WriteLine(fd, line);
      if (!(*db)->Write(b).ok()) _exit(4);
    }
    WriteLine(fd, "A");
  }
}

bool HasBase(const std::string& dir) {
  for (auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().filename().string().rfind("base-", 0) == 0) return true;
  }
  return false;
}

struct Op {
  char kind = 0;
  std::vector<std::string> keys;
  std::string value;
};

TEST(EngineCrash, SigkillNeverLosesAcknowledgedWrites) {
  std::fprintf(stderr, "WALNUT_TEST_SEED=%llu rounds=%d\n", (unsigned long long)Seed(), Rounds());
  std::string dir =
      std::filesystem::temp_directory_path() / ("walnut-crash-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::mt19937_64 rng(Seed());
  std::map<std::string, std::optional<std::string>> model;  // nullopt: deleted
  uint64_t acked_total = 0, checked_total = 0, bases_seen = 0;

  for (int round = 0; round < Rounds(); round++) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      ChildMain(dir, round, fds[1]);
    }
    close(fds[1]);
    // Wait for "ready", then let it write for a random while and kill it.
    FILE* in = fdopen(fds[0], "r");
    char buf[8192];
    ASSERT_NE(fgets(buf, sizeof(buf), in), nullptr) << "child died before ready";
    ASSERT_EQ(buf[0], 'R') << buf;
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 60000));
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited by itself, status " << status;

    // Apply acknowledged ops to the model; remember the one in flight.
    std::optional<Op> inflight;
    while (fgets(buf, sizeof(buf), in)) {
      std::string line(buf);
      if (line.empty() || line.back() != '\n') break;  // a torn final line
      line.pop_back();
      if (line[0] == 'I') {
        std::istringstream ss(line.substr(2));
        Op op;
        ss >> op.kind;
        if (op.kind == 'P' || op.kind == 'D') {
          std::string k;
          ss >> k;
          op.keys.push_back(k);
          if (op.kind == 'P') ss >> op.value;
        } else {
          ss >> op.value;
          std::string k;
          while (ss >> k) op.keys.push_back(k);
        }
        inflight = op;
      } else if (line[0] == 'A' && inflight) {
        for (auto& k : inflight->keys) {
          if (inflight->kind == 'D')
            model[k] = std::nullopt;
          else
            model[k] = inflight->value;
        }
        acked_total++;
        inflight.reset();
      }
    }
    fclose(in);

    Options o = ModeFor(round);
    auto db = DB::Open(dir, o);
    ASSERT_TRUE(db.ok()) << "round " << round << ": " << db.status().ToString();
    // The in-flight op: all of it or none of it. Look only at the keys it
    // would change (a delete of an absent key changes nothing).
    if (inflight) {
      int now_new = 0, still_old = 0;
      std::set<std::string> distinct(inflight->keys.begin(), inflight->keys.end());
      for (auto& k : distinct) {
        std::optional<std::string> after =
            inflight->kind == 'D' ? std::nullopt : std::optional<std::string>(inflight->value);
        if (after == model[k]) continue;
        auto v = (*db)->Get(k);
        std::optional<std::string> actual = v.ok() ? std::optional<std::string>(*v) : std::nullopt;
        if (actual == after)
          now_new++;
        else if (actual == model[k])
          still_old++;
        else
          ADD_FAILURE() << "round " << round << ": key " << k << " has a value nobody wrote";
      }
      EXPECT_TRUE(now_new == 0 || still_old == 0)
          << "round " << round << ": in-flight op half applied (" << now_new << " new, "
          << still_old << " old)";
      if (now_new > 0) {
        for (auto& k : inflight->keys) {
          if (inflight->kind == 'D')
            model[k] = std::nullopt;
          else
            model[k] = inflight->value;
        }
      }
    }
    for (auto& [k, v] : model) {
      auto got = (*db)->Get(k);
      if (v) {
        ASSERT_TRUE(got.ok()) << "round " << round << ": acknowledged key " << k << " lost";
        ASSERT_EQ(*got, *v) << "round " << round << ": key " << k;
      } else {
        ASSERT_TRUE(got.status().IsNotFound())
            << "round " << round << ": deleted " << k << " came back";
      }
      checked_total++;
    }
    ASSERT_TRUE((*db)->Close().ok());
    bases_seen += HasBase(dir);
  }
  std::fprintf(stderr,
               "crash rounds=%d acknowledged ops=%llu key checks=%llu rounds ending with a base "
               "image=%llu losses=0\n",
               Rounds(), (unsigned long long)acked_total, (unsigned long long)checked_total,
               (unsigned long long)bases_seen);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace walnut
