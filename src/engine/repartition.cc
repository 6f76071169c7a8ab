// Re-partitioning: opening a directory with a partition count other than the
// one it has (or a single-log directory with partitions > 1) copies every
// live key into a new generation of partitions, then switches PARTITIONS to
// it (partition_layout.h says why that switch is atomic). The old data is
// only read, and stays in charge until the switch, so a crash at any point
// loses nothing: the next open either finds the old layout (and starts over)
// or the new one (and removes the old files).
#include <chrono>
#include <cstdio>

#include "engine/partitioned_db.h"
#include "engine/wal_format.h"

namespace walnut {

Result<PartitionLayout> PartitionedDB::Repartition(const PartitionLayout& from, uint32_t count) {
  const auto start = std::chrono::steady_clock::now();
  auto log = [&](LogLevel level, const std::string& msg) {
    if (opts_.logger) opts_.logger(level, msg);
  };
  if (count < 1 || count > wal::kMaxPartitions) {
    return Status::InvalidArgument("partition count must be between 1 and " +
                                   std::to_string(wal::kMaxPartitions));
  }
  log(LogLevel::kWarning, "re-partitioning " + dir_ + " from " +
                              (from.single_log ? std::string("a single log")
                                               : std::to_string(from.count) + " partitions") +
                              " to " + std::to_string(count) + " partitions");

  Options quiet = opts_;
  quiet.auto_compact = false;
  quiet.partitions = 1;

  // The source, read only by us (its logs are replayed, not changed, unless
  // recovery has to cut a torn tail, as any open would).
  std::unique_ptr<DB> src;
  if (from.single_log) {
    auto single = std::make_unique<DBImpl>(dir_, quiet);
    single->SkipDirLock();  // we hold DIR/LOCK ourselves
    Status s = single->OpenImpl();
    if (!s.ok()) return s;
    src = std::move(single);
  } else {
    std::unique_ptr<PartitionedDB> old(new PartitionedDB(dir_, quiet));
    Status s = old->OpenPartitions(PartitionDirs(dir_, from));
    if (!s.ok()) return s;
    src = std::move(old);
  }

  PartitionLayout to;
  to.count = count;
  to.generation = from.generation + 1;
  Status s = RemoveGeneration(dir_, to.generation);  // an earlier attempt's
  if (s.ok()) s = CreatePartitionDirs(env_, dir_, to);
  if (!s.ok()) return s;
  Options fast = quiet;
  fast.fsync = FsyncMode::kNo;  // synced as a whole before the switch
  std::unique_ptr<PartitionedDB> dst(new PartitionedDB(dir_, fast));
  s = dst->OpenPartitions(PartitionDirs(dir_, to));
  if (!s.ok()) return s;

  uint64_t keys = 0;
  std::vector<WriteBatch> batches(count);
  for (uint32_t d = 0; d < opts_.num_databases && s.ok(); d++) {
    uint64_t cursor = 0;
    do {
      cursor = src->Scan(d, cursor, 4096, [&](std::string_view k, std::string_view v, int64_t e) {
        batches[dst->PartitionOf(k)].Put(d, k, v, e);
        keys++;
      });
      for (uint32_t p = 0; p < count && s.ok(); p++) {
        if (batches[p].Empty()) continue;
        s = dst->parts_[p]->Write(batches[p], WriteOptions());
        batches[p].Clear();
      }
    } while (cursor != 0 && s.ok());
  }
  // Everything new is durable before PARTITIONS names it.
  if (s.ok()) s = dst->SyncAll();
  Status cs = dst->Close();
  if (s.ok()) s = cs;
  cs = src->Close();
  if (s.ok()) s = cs;
  if (s.ok()) s = WritePartitionsFile(env_, dir_, to);  // the switch
  if (!s.ok()) {
    (void)RemoveGeneration(dir_, to.generation);
    log(LogLevel::kError, "re-partitioning failed, the data is unchanged: " + s.ToString());
    return s;
  }
  char line[200];
  std::snprintf(line, sizeof(line), "re-partitioned %llu keys into %u partitions in %.3f s",
                (unsigned long long)keys, count,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  log(LogLevel::kWarning, line);
  return to;
}

}  // namespace walnut
