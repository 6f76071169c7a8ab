#include "engine/partition_layout.h"

#include <cstdio>
#include <filesystem>
#include <system_error>

#include "common/hash.h"
#include "engine/wal_format.h"
#include "engine/wal_record.h"

namespace walnut {

namespace {

std::string Body(const PartitionLayout& l) {
  return "walnut-partitions 1\ncount " + std::to_string(l.count) + "\ngeneration " +
         std::to_string(l.generation) + "\n";
}

std::string Checksum(std::string_view body) {
  char hex[32];
  std::snprintf(hex, sizeof(hex), "%016llx",
                (unsigned long long)XXH3_64bits(body.data(), body.size()));
  return "checksum " + std::string(hex) + "\n";
}

bool IsSingleLogFile(const std::string& name) {
  uint64_t x;
  return wal::ParseSegmentFileName(name, &x) || wal::ParseBaseFileName(name, &x);
}

// "gG-pXXX" -> G.
bool ParsePartitionDirName(const std::string& name, uint64_t* gen) {
  if (name.size() < 4 || name[0] != 'g') return false;
  size_t dash = name.find("-p");
  if (dash == std::string::npos || dash == 1) return false;
  uint64_t g = 0;
  for (size_t i = 1; i < dash; i++) {
    if (name[i] < '0' || name[i] > '9') return false;
    g = g * 10 + uint64_t(name[i] - '0');
  }
  *gen = g;
  return true;
}

}  // namespace

Result<PartitionLayout> ReadPartitionLayout(Env* env, const std::string& dir) {
  PartitionLayout l;
  const std::string path = dir + "/" + kPartitionsFile;
  if (!env->FileExists(path)) {
    auto names = env->GetChildren(dir);
    if (!names.ok()) return names.status();
    for (const auto& n : *names) {
      if (IsSingleLogFile(n)) l.single_log = true;
    }
    return l;
  }
  auto f = env->NewRandomAccessFile(path);
  if (!f.ok()) return f.status();
  uint64_t size = (*f)->Size();
  if (size > 4096) return Status::Corruption(path + ": too large for a partitions file");
  std::string scratch(size, '\0');
  std::string_view data;
  Status s = (*f)->Read(0, size, scratch.data(), &data);
  if (!s.ok()) return s;
  std::string text(data);
  size_t cut = text.rfind("checksum ");
  unsigned long long count = 0, gen = 0;
  if (cut == std::string::npos || text.substr(cut) != Checksum(text.substr(0, cut)) ||
      std::sscanf(text.c_str(), "walnut-partitions 1\ncount %llu\ngeneration %llu\n", &count,
                  &gen) != 2 ||
      count < 1 || count > wal::kMaxPartitions || gen < 1) {
    return Status::Corruption(path +
                              ": damaged partitions file (it names how many partitions the data "
                              "directory has; restore it from a backup or fix it by hand)");
  }
  l.count = uint32_t(count);
  l.generation = gen;
  return l;
}

std::vector<std::string> PartitionDirs(const std::string& dir, const PartitionLayout& layout) {
  std::vector<std::string> dirs;
  for (uint32_t i = 0; i < layout.count; i++) {
    char name[48];
    std::snprintf(name, sizeof(name), "/g%llu-p%03u", (unsigned long long)layout.generation, i);
    dirs.push_back(dir + name);
  }
  return dirs;
}

Status CreatePartitionDirs(Env* env, const std::string& dir, const PartitionLayout& layout) {
  for (const auto& d : PartitionDirs(dir, layout)) {
    Status s = env->CreateDirIfMissing(d);
    if (!s.ok()) return s;
  }
  return env->SyncDir(dir);
}

Status WritePartitionsFile(Env* env, const std::string& dir, const PartitionLayout& layout) {
  std::string body = Body(layout);
  return env->WriteFileAtomically(dir + "/" + kPartitionsFile, body + Checksum(body));
}

Status RemoveGeneration(const std::string& dir, uint64_t generation) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    uint64_t g;
    std::string name = entry.path().filename().string();
    if (entry.is_directory() && ParsePartitionDirName(name, &g) && g == generation) {
      std::filesystem::remove_all(entry.path(), ec);
      if (ec) return Status::IOError("removing " + entry.path().string() + ": " + ec.message());
    }
  }
  if (ec) return Status::IOError("listing " + dir + ": " + ec.message());
  return Status::OK();
}

Status RemoveStalePartitionFiles(Env* env, const std::string& dir, const PartitionLayout& layout) {
  // Safe: PARTITIONS names the generation in charge, which was complete and
  // durable before PARTITIONS was switched to it; nothing else is read.
  auto names = env->GetChildren(dir);
  if (!names.ok()) return names.status();
  bool removed = false;
  for (const auto& n : *names) {
    uint64_t g;
    if (IsSingleLogFile(n)) {
      Status s = env->RemoveFile(dir + "/" + n);
      if (!s.ok()) return s;
      removed = true;
    } else if (ParsePartitionDirName(n, &g) && g != layout.generation) {
      Status s = RemoveGeneration(dir, g);
      if (!s.ok()) return s;
      removed = true;
    }
  }
  return removed ? env->SyncDir(dir) : Status::OK();
}

}  // namespace walnut
