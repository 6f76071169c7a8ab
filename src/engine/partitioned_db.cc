#include "engine/partitioned_db.h"

#include <algorithm>
#include <bitset>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <unordered_map>

#include "common/hash.h"
#include "common/thread_priority.h"
#include "engine/partition_layout.h"
#include "engine/wal_format.h"
#include "engine/write_batch_internal.h"

namespace walnut {

namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

uint32_t PartitionedDB::DefaultCount(const Options& options) {
  // With fsync always every group commit syncs each partition it touched,
  // and the device completes cache flushes one after another: two
  // partitions' syncs in parallel took about twice one (measured on this
  // machine's virtio disk), so SET at 10 clients lost ~30% with 2
  // partitions. There one log serves best; elsewhere one per core recovers
  // fastest.
  if (options.fsync == FsyncMode::kAlways) return 1;
  uint32_t n = std::thread::hardware_concurrency();
  return std::clamp<uint32_t>(n, 1, 16);
}

PartitionedDB::PartitionedDB(std::string dir, Options options)
    : dir_(std::move(dir)),
      opts_(std::move(options)),
      env_(opts_.env ? opts_.env : Env::Default()) {}

PartitionedDB::~PartitionedDB() {
  Status s = Close();
  if (!s.ok() && opts_.logger) opts_.logger(LogLevel::kError, "close: " + s.ToString());
}

uint32_t PartitionedDB::PartitionOf(std::string_view key) const {
  return PartitionOfHash(HashKey(key));
}

uint32_t PartitionedDB::PartitionOfHash(uint64_t hash) const {
  // The high half of the hash, so the choice is independent of the index
  // buckets (which use the low bits); multiply-shift maps it onto [0, n).
  return uint32_t(((hash >> 32) * uint64_t(parts_.size())) >> 32);
}

// ------------------------------------------------------------------- opening

Result<std::unique_ptr<DB>> PartitionedDB::Open(const std::string& dir, const Options& options) {
  std::unique_ptr<PartitionedDB> db(new PartitionedDB(dir, options));
  Env* env = db->env_;
  if (options.create_if_missing) {
    Status s = env->CreateDirIfMissing(dir);
    if (!s.ok()) return s;
  } else if (!env->FileExists(dir)) {
    return Status::NotFound("data directory " + dir + " does not exist");
  }
  auto lock = env->LockFile(dir + "/LOCK");
  if (!lock.ok()) return lock.status();
  db->dir_lock_ = std::move(*lock);

  auto layout = ReadPartitionLayout(env, dir);
  if (!layout.ok()) return layout.status();
  PartitionLayout l = *layout;
  const uint32_t want = options.partitions;
  if (l.count == 0 && !l.single_log) {
    // A new directory: make the partitions, then name them (the switch).
    l.count = want ? want : DefaultCount(options);
    l.generation = 1;
    Status s = CreatePartitionDirs(env, dir, l);
    if (s.ok()) s = WritePartitionsFile(env, dir, l);
    if (!s.ok()) return s;
  } else if (l.count == 0 || (want != 0 && want != l.count)) {
    // A single-log directory, or another count: re-partition.
    auto next = db->Repartition(l, want ? want : DefaultCount(options));
    if (!next.ok()) return next.status();
    l = *next;
  }
  // Files a finished re-partitioning left behind (a crash stopped the clean-up).
  Status s = RemoveStalePartitionFiles(env, dir, l);
  if (!s.ok()) return s;

  s = db->OpenPartitions(PartitionDirs(dir, l));
  if (!s.ok()) {
    (void)db->Close();
    return s;
  }
  return std::unique_ptr<DB>(std::move(db));
}

Status PartitionedDB::OpenPartitions(const std::vector<std::string>& dirs) {
  const uint32_t n = uint32_t(dirs.size());
  if (n == 0 || n > wal::kMaxPartitions) {
    return Status::InvalidArgument("partition count must be between 1 and " +
                                   std::to_string(wal::kMaxPartitions));
  }
  for (uint32_t i = 0; i < n; i++) {
    Options po = opts_;
    po.partitions = 1;
    po.env = env_;
    // The partitions do not compact on their own: CompactionPolicyMain picks
    // one at a time for all of them.
    po.auto_compact = false;
    // The minimum log size before automatic compaction is for the whole
    // directory: each partition gets its share, so that N partitions do not
    // leave N times the garbage on disk.
    po.compact_min_log_bytes = opts_.compact_min_log_bytes / n;
    // The value budget too is for the whole database: keys spread evenly
    // over the partitions, and so do their values.
    if (opts_.max_memory_bytes > 0)
      po.max_memory_bytes = std::max<uint64_t>(1, opts_.max_memory_bytes / n);
    if (opts_.logger) {
      auto parent = opts_.logger;
      std::string prefix = "partition " + std::to_string(i) + ": ";
      po.logger = [parent, prefix](LogLevel l, std::string_view m) {
        parent(l, prefix + std::string(m));
      };
    }
    parts_.push_back(std::make_unique<DBImpl>(dirs[i], std::move(po)));
    parts_.back()->SetBeforeInstall([this] { return SyncAllBesideWriters(); });
    parts_.back()->SetCrossPartitions(n);
  }
  // Fewer partitions than cores (one, under fsync always): each partition's
  // start-up splits its work over two threads, reading the log on one and
  // building the index on the other (replay_inserter.h).
  const bool spare_cores = n < std::thread::hardware_concurrency();
  for (auto& part : parts_) part->SetReplayThread(spare_cores);
  runner_ = std::make_unique<ParallelRunner>(n);
  group_touched_.assign(n, 0);

  // 1. Replay every partition, in parallel.
  const auto start = Clock::now();
  std::vector<RecoveryOutcome> outs(n);
  std::vector<Status> st(n);
  runner_->Run(n, [&](uint32_t i) { st[i] = parts_[i]->RecoverPhase(nullptr, &outs[i]); });
  for (auto& s : st) {
    if (!s.ok()) return s;
  }

  // 2. Which multi-partition writes are whole? Index every partition's parts.
  std::vector<std::unordered_map<uint64_t, uint64_t>> txn_at(n);  // seq -> txn id
  for (uint32_t i = 0; i < n; i++) {
    for (const auto& r : outs[i].cross) txn_at[i][r.seq] = r.txn_id;
  }
  std::vector<std::unordered_set<uint64_t>> skip(n);
  uint64_t max_txn = 0;
  for (uint32_t i = 0; i < n; i++) {
    for (const auto& r : outs[i].cross) {
      max_txn = std::max(max_txn, r.txn_id);
      for (const auto& part : r.parts) {
        if (part.partition >= n) {
          return Status::Corruption(parts_[i]->dir() + ": record " + std::to_string(r.seq) +
                                    " names partition " + std::to_string(part.partition) +
                                    " but the directory has " + std::to_string(n));
        }
        if (part.partition == i) continue;
        const uint32_t q = part.partition;
        auto it = txn_at[q].find(part.seq);
        bool present =
            part.seq <= outs[q].base_seq || (it != txn_at[q].end() && it->second == r.txn_id);
        if (!present) {
          skip[i].insert(r.seq);
          break;
        }
      }
    }
  }
  next_txn_ = max_txn + 1;

  // 3. Replay again, without them, the partitions that hold such parts. Rare:
  // only a crash in the middle of a multi-partition write gets here.
  std::vector<uint32_t> redo;
  for (uint32_t i = 0; i < n; i++) {
    if (!skip[i].empty()) redo.push_back(i);
  }
  for (uint32_t i : redo) {
    if (opts_.logger) {
      opts_.logger(LogLevel::kWarning,
                   "partition " + std::to_string(i) + ": dropping " +
                       std::to_string(skip[i].size()) +
                       " part(s) of multi-partition writes that a crash left incomplete "
                       "(never acknowledged)");
    }
    Status s = parts_[i]->RecoverPhase(&skip[i], &outs[i]);
    if (!s.ok()) return s;
  }

  // 4. Start them all; then rewrite the logs that hold dropped parts, before
  // any write can reuse their sequences (partitioned_db.h).
  for (uint32_t i = 0; i < n; i++) {
    Status s = parts_[i]->StartPhase(/*rewrite=*/false);
    if (!s.ok()) return s;
  }
  for (uint32_t i : redo) {
    auto r = parts_[i]->Compact();
    if (!r.ok()) return r.status();
  }
  if (opts_.auto_compact) policy_thread_ = std::thread([this] { CompactionPolicyMain(); });
  if (opts_.logger) {
    char line[160];
    std::snprintf(line, sizeof(line), "recovered %u partitions in parallel in %.3f s", n,
                  std::chrono::duration<double>(Clock::now() - start).count());
    opts_.logger(LogLevel::kInfo, line);
  }
  return Status::OK();
}

Status PartitionedDB::Close() {
  if (closed_) return Status::OK();
  closed_ = true;
  // The policy thread may be compacting a partition: make that compaction
  // give up, and join the thread before the partitions close under it.
  for (auto& p : parts_) p->BeginClose();
  {
    std::lock_guard<std::mutex> g(policy_mu_);
    stop_policy_ = true;
  }
  policy_cv_.notify_all();
  if (policy_thread_.joinable()) policy_thread_.join();
  Status first;
  for (auto& p : parts_) {
    Status s = p->Close();
    if (first.ok() && !s.ok()) first = s;
  }
  runner_.reset();
  dir_lock_.reset();
  return first;
}

// -------------------------------------------------------------------- writes

Status PartitionedDB::Note(Status s) {
  if (s.IsIOError()) {
    std::lock_guard<std::mutex> g(failed_mu_);
    if (!failed_) {
      failed_status_ = s;
      failed_ = true;
    }
  }
  return s;
}

Status PartitionedDB::Healthy() {
  if (closed_) return Status::Closed();
  if (!failed_) return Status::OK();
  std::lock_guard<std::mutex> g(failed_mu_);
  return failed_status_;
}

int PartitionedDB::OnlyPartition(const WriteBatch& batch) const {
  // The common case (SET, INCR, DEL of one key): one partition, and the
  // batch goes to it as it is, with nothing decoded twice here. A batch of
  // many ops almost always spans partitions (8 random keys in one of 2:
  // 1 in 128), so it goes to Route without this first look; Route sends it
  // whole to its one partition if it has only one.
  if (batch.Count() >= 8) return -1;
  int only = -1;
  std::string_view in = internal::WriteBatchAccess::Rep(batch);
  while (!in.empty()) {
    DecodedOp op;
    if (!DecodeOp(&in, &op).ok()) return -1;  // Split reports it
    switch (op.code) {
      case wal::kFlushDb:
      case wal::kFlushAll:
      case wal::kSwapDb:
      case wal::kTxn:
        return -1;
      default: {
        int p = int(PartitionOf(op.key));
        if (only >= 0 && p != only) return -1;
        only = p;
      }
    }
  }
  return only;
}

Status PartitionedDB::Split(const WriteBatch& batch, std::vector<WriteBatch>* parts,
                            std::vector<uint32_t>* touched) const {
  const uint32_t n = uint32_t(parts_.size());
  parts->assign(n, WriteBatch());
  std::string_view in = internal::WriteBatchAccess::Rep(batch);
  while (!in.empty()) {
    DecodedOp op;
    Status s = DecodeOp(&in, &op);
    if (!s.ok()) return Status::InvalidArgument("malformed write batch: " + s.message());
    switch (op.code) {
      case wal::kFlushDb:
      case wal::kFlushAll:
      case wal::kSwapDb:
      case wal::kTxn:  // refused by validation below, in every partition
        for (auto& p : *parts) internal::WriteBatchAccess::AppendOp(&p, op.encoded);
        break;
      default:
        internal::WriteBatchAccess::AppendOp(&(*parts)[PartitionOf(op.key)], op.encoded);
    }
  }
  touched->clear();
  for (uint32_t i = 0; i < n; i++) {
    if (!(*parts)[i].Empty()) touched->push_back(i);
  }
  return Status::OK();
}

Status PartitionedDB::Route(const WriteBatch& batch, RoutedBatch* out) const {
  out->ops.clear();
  out->dest.clear();
  out->touched.clear();
  // Every partition has the same limits (databases, key and value sizes), so
  // checking the whole batch once is checking each partition's part of it.
  Status s = parts_[0]->DecodeBatch(batch, &out->ops);
  if (!s.ok()) return s;
  std::bitset<wal::kMaxPartitions> touched;
  out->dest.reserve(out->ops.size());
  for (DecodedOp& op : out->ops) {
    switch (op.code) {
      case wal::kFlushDb:
      case wal::kFlushAll:
      case wal::kSwapDb:
        out->dest.push_back(DBImpl::kEveryPartition);
        touched.set();
        break;
      default: {
        op.hash = HashKey(op.key);  // once, for the route and for Keyspace::Apply
        const uint32_t p = PartitionOfHash(op.hash);
        out->dest.push_back(p);
        touched.set(p);
      }
    }
  }
  for (uint32_t i = 0; i < parts_.size(); i++) {
    if (touched.test(i)) out->touched.push_back(i);
  }
  return Status::OK();
}

PartitionedDB::RoutedBatch& PartitionedDB::ScratchRoute::Mine() {
  // One per thread: writers may be many threads of an embedding program.
  static thread_local RoutedBatch routed;
  return routed;
}

PartitionedDB::ScratchRoute::ScratchRoute() : b_(Mine()) {}

PartitionedDB::ScratchRoute::~ScratchRoute() {
  if (b_.ops.capacity() > 256) b_ = RoutedBatch();
}

Status PartitionedDB::AppendCross(RoutedBatch* batch, uint64_t* txn) {
  const std::vector<uint32_t>& touched = batch->touched;
  // Each part's ops' bytes (the partition adds its record's frame and the
  // kTxn op): the room it needs below its partition's reservation.
  auto& bytes = batch->bytes;
  bytes.assign(parts_.size(), 0);
  for (size_t k = 0; k < batch->ops.size(); k++) {
    const uint64_t size = batch->ops[k].encoded.size();
    if (batch->dest[k] != DBImpl::kEveryPartition) {
      bytes[batch->dest[k]] += size;
    } else {
      for (uint32_t i : touched) bytes[i] += size;
    }
  }
  // Lock every participant, in partition order (no group is open anywhere:
  // we hold cross_mu_, so nothing can wait on a lock we hold). Every return
  // below releases them all.
  auto& locks = batch->locks;
  struct ReleaseAll {
    std::vector<std::unique_lock<std::mutex>>& locks;
    ~ReleaseAll() { locks.clear(); }
  } release{locks};
  for (;;) {
    locks.clear();
    for (uint32_t i : touched) locks.push_back(parts_[i]->LockForCross());
    // Nothing is applied until every part has its room: a full disk refuses
    // the whole write up front, and a part is never placed past its
    // partition's reservation (where zeros may be being written ahead).
    bool all_room = true;
    for (uint32_t i : touched) {
      bool room;
      Status s = parts_[i]->RoomForCrossLocked(bytes[i], &room);
      if (!s.ok()) return s;  // nothing applied anywhere
      all_room = all_room && room;
    }
    if (all_room) break;
    // Make the room one partition at a time, holding no partition lock (a
    // rollover or an allocation may wait for that partition's writers), then
    // look again under all the locks: writers may have used it meanwhile.
    locks.clear();
    for (uint32_t i : touched) {
      Status s = parts_[i]->ReserveForCross(bytes[i]);
      if (!s.ok()) return s;  // NoSpace: refused, nothing applied anywhere
    }
  }
  batch->where.clear();
  for (uint32_t i : touched) batch->where.push_back(TxnPart{i, parts_[i]->NextSeqLocked()});
  *txn = next_txn_++;
  batch->txn_op.clear();
  EncodeTxnOp(&batch->txn_op, *txn, batch->where);
  for (uint32_t i : touched) {
    parts_[i]->AppendCrossLocked(batch->ops, batch->dest, i, batch->txn_op);
  }
  return Status::OK();
}

Status PartitionedDB::Write(const WriteBatch& batch, const WriteOptions& wo) {
  if (Status h = Healthy(); !h.ok()) return h;
  if (group_owner_.load() == std::this_thread::get_id()) {
    return Status::InvalidArgument("Write called while this thread has an atomic group open");
  }
  if (int only = OnlyPartition(batch); only >= 0) return Note(parts_[only]->Write(batch, wo));
  ScratchRoute scratch;
  RoutedBatch& routed = scratch.get();
  Status s = Route(batch, &routed);
  if (!s.ok()) return s;
  if (routed.touched.empty()) return Status::OK();
  // One partition touched: every op goes to it, so the batch does as it is.
  if (routed.touched.size() == 1) return Note(parts_[routed.touched[0]]->Write(batch, wo));
  {
    std::lock_guard<std::mutex> g(cross_mu_);
    uint64_t txn;
    s = AppendCross(&routed, &txn);
    if (!s.ok()) return s;
  }
  // Acknowledged only once every part is written (and synced if asked).
  return Note(FlushParts(routed.touched, wo.sync || opts_.fsync == FsyncMode::kAlways));
}

Status PartitionedDB::Put(std::string_view key, std::string_view value, const WriteOptions& wo) {
  if (Status h = Healthy(); !h.ok()) return h;
  return Note(parts_[PartitionOf(key)]->Put(key, value, wo));
}

Status PartitionedDB::Delete(std::string_view key, const WriteOptions& wo) {
  if (Status h = Healthy(); !h.ok()) return h;
  return Note(parts_[PartitionOf(key)]->Delete(key, wo));
}

Result<uint64_t> PartitionedDB::WriteDeferred(const WriteBatch& batch, bool more_follows) {
  const bool mine = group_owner_.load() == std::this_thread::get_id();
  if (Status h = Healthy(); !h.ok() && !mine) return h;
  if (!mine && !more_follows) {
    if (int only = OnlyPartition(batch); only >= 0) {
      auto r = parts_[only]->WriteDeferred(batch, false);
      if (!r.ok()) return Note(r.status());
      return r;
    }
  }
  if (!mine && !more_follows) {
    ScratchRoute scratch;
    RoutedBatch& routed = scratch.get();
    Status s = Route(batch, &routed);
    if (!s.ok()) return s;
    if (routed.touched.empty()) return uint64_t(0);
    if (routed.touched.size() == 1) {
      auto r = parts_[routed.touched[0]]->WriteDeferred(batch, false);
      if (!r.ok()) return Note(r.status());
      return r;
    }
    std::lock_guard<std::mutex> g(cross_mu_);
    uint64_t txn;
    s = AppendCross(&routed, &txn);
    if (!s.ok()) return s;
    return txn;
  }
  std::vector<WriteBatch> parts;
  std::vector<uint32_t> touched;
  Status s = Split(batch, &parts, &touched);

  // An atomic group: its batches apply at once, each partition it touches
  // keeps a group open, and closing writes one part per touched partition.
  if (!mine) {
    group_lock_ = std::unique_lock<std::mutex>(cross_mu_);
    group_owner_ = std::this_thread::get_id();
    std::fill(group_touched_.begin(), group_touched_.end(), 0);
  }
  for (uint32_t i : touched) {
    if (!s.ok()) break;
    s = parts_[i]->ValidateBatch(parts[i]);
  }
  // The log is failing: drop the group everywhere (the engine refuses writes
  // from now on, see DBImpl's class comment).
  auto abort_group = [&](Status failed) {
    for (uint32_t j = 0; j < parts_.size(); j++) {
      if (group_touched_[j]) parts_[j]->AbortGroup();
    }
    group_owner_ = std::thread::id();
    group_lock_.unlock();
    return failed;
  };
  if (s.ok()) {
    // Room for every part before any part is applied, so that a full disk
    // refuses the whole batch. First the group is opened (empty) in each
    // partition it is new to: from then on no other writer appends there,
    // so the room made next stays this batch's.
    for (uint32_t i : touched) {
      if (group_touched_[i]) continue;
      auto r = parts_[i]->WriteDeferred(WriteBatch(), /*more_follows=*/true);
      if (!r.ok()) return abort_group(r.status());
      group_touched_[i] = 1;
    }
    for (uint32_t i : touched) {
      s = parts_[i]->ReserveInGroup(internal::WriteBatchAccess::Rep(parts[i]).size());
      if (!s.ok() && !s.IsNoSpace()) return abort_group(s);
      if (!s.ok()) break;  // refused up front, nothing of this batch applied
    }
  }
  if (s.ok()) {
    for (uint32_t i : touched) {
      auto r = parts_[i]->WriteDeferred(parts[i], /*more_follows=*/true);
      if (r.status().IsNoSpace()) {
        // Not expected once the room is made (no other writer appends while
        // the group is open there). If it happens anyway: refused up front
        // in this partition, and what the group applied so far has its space
        // reserved, so it is closed — logged — below rather than dropped.
        s = r.status();
        break;
      }
      if (!r.ok()) return abort_group(r.status());
    }
  }
  // A batch that fails validation changes nothing, but a group it was meant
  // to close is closed anyway (as DBImpl does).
  if (more_follows && s.ok()) return uint64_t(0);
  Status cs = CloseGroup();
  group_owner_ = std::thread::id();
  group_lock_.unlock();
  if (!s.ok()) return s;
  if (!cs.ok()) return cs;
  return uint64_t(0);
}

Status PartitionedDB::CloseGroup() {
  std::vector<uint32_t> touched;
  for (uint32_t i = 0; i < parts_.size(); i++) {
    if (group_touched_[i]) touched.push_back(i);
  }
  if (touched.empty()) return Status::OK();
  if (touched.size() == 1) {
    auto r = parts_[touched[0]]->WriteDeferred(WriteBatch(), /*more_follows=*/false);
    return r.status();
  }
  std::vector<std::unique_lock<std::mutex>> locks;
  for (uint32_t i : touched) locks.push_back(parts_[i]->LockForCross());
  std::vector<TxnPart> where;
  for (uint32_t i : touched) where.push_back(TxnPart{i, parts_[i]->NextSeqLocked()});
  std::string txn_op;
  EncodeTxnOp(&txn_op, next_txn_++, where);
  for (uint32_t i : touched) parts_[i]->CloseGroupCrossLocked(txn_op);
  return Status::OK();
}

Status PartitionedDB::FlushParts(const std::vector<uint32_t>& which, bool sync) {
  if (which.empty()) return Status::OK();
  if (which.size() == 1) return parts_[which[0]]->FlushLog(sync);
  std::vector<Status> st(which.size());
  auto flush = [&](uint32_t k) { st[k] = parts_[which[k]]->FlushLog(sync); };
  const bool syncs = sync || opts_.fsync == FsyncMode::kAlways;
  if (syncs) {
    // fdatasyncs of different files proceed in parallel on the device.
    runner_->Run(uint32_t(which.size()), flush);
  } else {
    for (uint32_t k = 0; k < which.size(); k++) flush(k);  // a write() each: no point
  }
  for (auto& s : st) {
    if (!s.ok()) return s;
  }
  return Status::OK();
}

Status PartitionedDB::FlushLog(bool sync) {
  if (closed_) return Status::Closed();
  std::vector<uint32_t> which;
  for (uint32_t i = 0; i < parts_.size(); i++) {
    if (parts_[i]->NeedsFlush(sync)) which.push_back(i);
  }
  return Note(FlushParts(which, sync));
}

Status PartitionedDB::Sync() {
  if (closed_) return Status::Closed();
  return Note(SyncAll());
}

Status PartitionedDB::SyncAll() {
  std::vector<uint32_t> all(parts_.size());
  for (uint32_t i = 0; i < all.size(); i++) all[i] = i;
  return FlushParts(all, /*sync=*/true);
}

Status PartitionedDB::SyncAllBesideWriters() {
  std::vector<Status> st(parts_.size());
  // fdatasyncs of different files proceed in parallel on the device.
  runner_->Run(uint32_t(parts_.size()),
               [&](uint32_t i) { st[i] = parts_[i]->SyncBesideWriters(); });
  for (auto& s : st) {
    if (!s.ok()) return s;
  }
  return Status::OK();
}

// --------------------------------------------------------------------- reads

Result<std::string> PartitionedDB::Get(std::string_view key) {
  if (closed_) return Status::Closed();
  return parts_[PartitionOf(key)]->Get(key);
}

Status PartitionedDB::Read(uint32_t db, std::string_view key,
                           const std::function<void(std::string_view, int64_t)>& fn, bool touch) {
  if (closed_) return Status::Closed();
  const uint64_t hash = HashKey(key);  // once, for the route and the lookup
  return parts_[PartitionOfHash(hash)]->ReadHashedOne(db, key, hash, fn, touch);
}

void PartitionedDB::Prefetch(uint32_t db, std::span<const std::string_view> keys) {
  if (closed_) return;
  const size_t n = std::min(keys.size(), kMaxPrefetch);
  uint64_t hash[kMaxPrefetch];
  for (size_t i = 0; i < n; i++) hash[i] = HashKey(keys[i]);
  PrefetchHashes(db, std::span<const uint64_t>(hash, n));
}

void PartitionedDB::PrefetchHashes(uint32_t db, std::span<const uint64_t> hashes) {
  // Ordered by partition (insertion sort: at most kMaxPrefetch), so that
  // each partition is locked once for its share.
  const size_t n = std::min(hashes.size(), kMaxPrefetch);
  uint32_t part[kMaxPrefetch];
  uint64_t hash[kMaxPrefetch];
  for (size_t i = 0; i < n; i++) {
    const uint64_t h = hashes[i];
    const uint32_t p = PartitionOfHash(h);
    size_t j = i;
    for (; j > 0 && part[j - 1] > p; j--) {
      part[j] = part[j - 1];
      hash[j] = hash[j - 1];
    }
    part[j] = p;
    hash[j] = h;
  }
  for (size_t i = 0; i < n;) {
    size_t end = i + 1;
    while (end < n && part[end] == part[i]) end++;
    parts_[part[i]]->PrefetchHashes(db, std::span<const uint64_t>(hash + i, end - i));
    i = end;
  }
}

Status PartitionedDB::ReadMany(uint32_t db, std::span<const std::string_view> keys,
                               const ReadManyFn& fn) {
  if (closed_) return Status::Closed();
  Status first;
  uint64_t hash[kMaxPrefetch];
  uint32_t part[kMaxPrefetch];
  size_t index[kMaxPrefetch];
  for (size_t start = 0; start < keys.size(); start += kMaxPrefetch) {
    const size_t n = std::min(kMaxPrefetch, keys.size() - start);
    for (size_t k = 0; k < n; k++) {
      hash[k] = HashKey(keys[start + k]);  // once, for the route and the lookup
      part[k] = PartitionOfHash(hash[k]);
      index[k] = start + k;
    }
    // Every key's memory first, one lock per partition; then the reads in
    // key order, one lock per run of keys that fall in one partition.
    if (n >= 2) PrefetchHashes(db, std::span<const uint64_t>(hash, n));
    for (size_t k = 0; k < n;) {
      size_t end = k + 1;
      while (end < n && part[end] == part[k]) end++;
      Status s = parts_[part[k]]->ReadHashed(db, keys.subspan(start + k, end - k), hash + k,
                                             index + k, /*prefetch=*/false, fn);
      if (s.IsClosed() || s.IsInvalidArgument()) return s;
      if (!s.ok() && first.ok()) first = s;
      k = end;
    }
  }
  return first;
}

bool PartitionedDB::Exists(uint32_t db, std::string_view key) {
  if (closed_) return false;
  return parts_[PartitionOf(key)]->Exists(db, key);
}

Result<uint64_t> PartitionedDB::IdleSeconds(uint32_t db, std::string_view key) {
  if (closed_) return Status::Closed();
  return parts_[PartitionOf(key)]->IdleSeconds(db, key);
}

uint64_t PartitionedDB::KeyCount(uint32_t db) {
  if (closed_) return 0;
  uint64_t n = 0;
  for (auto& p : parts_) n += p->KeyCount(db);
  return n;
}

uint64_t PartitionedDB::Scan(
    uint32_t db, uint64_t cursor, size_t count,
    const std::function<void(std::string_view, std::string_view, int64_t)>& fn) {
  if (closed_) return 0;
  // The cursor is (partition cursor) * n + partition: each partition's own
  // cursor keeps its guarantee, and the partitions are walked in turn.
  // A call that finishes a partition goes on into the next one until it has
  // seen about `count` keys, so a small keyspace is one call, as in Redis.
  const uint64_t n = parts_.size();
  uint64_t p = cursor % n;
  uint64_t inner = cursor / n;
  if (count == 0) count = 10;
  size_t seen = 0;
  auto counted = [&](std::string_view k, std::string_view v, int64_t e) {
    seen++;
    fn(k, v, e);
  };
  for (;;) {
    inner = parts_[p]->Scan(db, inner, count - std::min(seen, count - 1), counted);
    if (inner != 0) return inner * n + p;
    if (++p == n) return 0;
    if (seen >= count) return p;
  }
}

Result<std::string> PartitionedDB::RandomKey(uint32_t db) {
  if (closed_) return Status::Closed();
  // Pick a partition in proportion to its keys, so every key is as likely.
  std::vector<uint64_t> counts;
  uint64_t total = 0;
  for (auto& p : parts_) {
    counts.push_back(p->KeyCount(db));
    total += counts.back();
  }
  if (total == 0) return Status::NotFound();
  uint64_t pick;
  {
    std::lock_guard<std::mutex> g(rng_mu_);
    pick = std::uniform_int_distribution<uint64_t>(0, total - 1)(rng_);
  }
  uint32_t i = 0;
  while (pick >= counts[i]) pick -= counts[i++];
  for (uint32_t k = 0; k < parts_.size(); k++) {
    auto r = parts_[(i + k) % parts_.size()]->RandomKey(db);
    if (r.ok() || !r.status().IsNotFound()) return r;
  }
  return Status::NotFound();
}

// --------------------------------------------------------------- maintenance

uint64_t PartitionedDB::SweepExpired(size_t budget) {
  if (closed_) return 0;
  // Take turns, so that one call costs what it costs unpartitioned.
  uint32_t i = sweep_next_.fetch_add(1) % uint32_t(parts_.size());
  return parts_[i]->SweepExpired(budget);
}

Result<CompactionReport> PartitionedDB::Compact() {
  if (closed_) return Status::Closed();
  CompactionReport total;
  const auto start = Clock::now();
  for (auto& p : parts_) {
    auto r = p->Compact();
    if (!r.ok()) return r.status();
    total.bytes_before += r->bytes_before;
    total.bytes_after += r->bytes_after;
    total.keys_written += r->keys_written;
  }
  total.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return total;
}

void PartitionedDB::CompactionPolicyMain() {
  // Compactions run on this thread: behind the threads serving requests when
  // the CPU is busy (common/thread_priority.h).
  LowerThreadPriority(opts_.background_nice);
  // One compaction at a time, so the I/O rate limit (compact_rate_bytes_per_sec)
  // holds for the directory, not per partition, and the other core stays with
  // the foreground; and among the partitions that are due, the one with the
  // most dead bytes first, since it reclaims the most per byte rewritten.
  const uint32_t n = uint32_t(parts_.size());
  std::vector<Clock::time_point> not_before(n, Clock::time_point::min());
  bool look_again = false;
  for (;;) {
    {
      std::unique_lock<std::mutex> g(policy_mu_);
      if (!look_again)
        policy_cv_.wait_for(g, std::chrono::seconds(1), [this] { return stop_policy_; });
      if (stop_policy_) return;
    }
    const auto now = Clock::now();
    int pick = -1;
    uint64_t most = 0;
    for (uint32_t i = 0; i < n; i++) {
      if (now < not_before[i]) continue;
      const uint64_t dead = parts_[i]->CompactionDue();
      if (dead > most) {
        most = dead;
        pick = int(i);
      }
    }
    look_again = false;
    if (pick < 0) continue;
    const bool ok = parts_[pick]->CompactForPolicy().ok();
    // Another partition may be due already: look again at once, but not at
    // this one before the next tick (its estimate of dead bytes may stay
    // high), and not for a while after a failure (a failing disk).
    not_before[pick] = Clock::now() + std::chrono::seconds(ok ? 1 : 30);
    look_again = ok;
  }
}

DbStats PartitionedDB::Stats() {
  DbStats all;
  if (closed_) return all;
  std::vector<double> ttl_sum;  // sum of remaining TTLs per db, for the mean
  for (auto& p : parts_) {
    DbStats st = p->Stats();
    if (all.keys_per_db.empty()) {
      all.keys_per_db.assign(st.keys_per_db.size(), 0);
      all.expires_per_db.assign(st.keys_per_db.size(), 0);
      all.avg_ttl_ms_per_db.assign(st.keys_per_db.size(), 0);
      ttl_sum.assign(st.keys_per_db.size(), 0);
    }
    for (size_t d = 0; d < st.keys_per_db.size(); d++) {
      all.keys_per_db[d] += st.keys_per_db[d];
      all.expires_per_db[d] += st.expires_per_db[d];
      ttl_sum[d] += double(st.avg_ttl_ms_per_db[d]) * double(st.expires_per_db[d]);
    }
    // Sequences are per partition; their sums still only grow.
    all.last_seq += st.last_seq;
    all.written_seq += st.written_seq;
    all.synced_seq += st.synced_seq;
    all.log_bytes += st.log_bytes;
    all.segments += st.segments;
    all.rollovers += st.rollovers;
    all.rollovers_made_ahead += st.rollovers_made_ahead;
    all.rollover_usec += st.rollover_usec;
    all.rollover_usec_max = std::max(all.rollover_usec_max, st.rollover_usec_max);
    all.next_segments_ready += st.next_segments_ready;
    all.log_zero_fill = all.log_zero_fill || st.log_zero_fill;
    all.reserved_ahead += st.reserved_ahead;
    all.reserved_inline += st.reserved_inline;
    all.live_bytes += st.live_bytes;
    all.index_resizing += st.index_resizing;
    all.syncs += st.syncs;
    all.writes += st.writes;
    all.bytes_written += st.bytes_written;
    all.compactions += st.compactions;
    all.auto_compactions += st.auto_compactions;
    all.dead_bytes_estimate += st.dead_bytes_estimate;
    all.compacting = all.compacting || st.compacting;
    all.last_sync_ms = std::max(all.last_sync_ms, st.last_sync_ms);
    if (all.write_error.empty()) all.write_error = st.write_error;
    if (all.write_error.empty() && failed_) all.write_error = Healthy().ToString();
    // One full partition refuses the writes that reach it: the whole
    // database is "disk full" for its callers until every partition has room.
    all.disk_full = all.disk_full || st.disk_full;
    if (all.disk_full_error.empty()) all.disk_full_error = st.disk_full_error;
    RecoveryReport& r = all.recovery;
    r.segments += st.recovery.segments;
    r.records += st.recovery.records;
    r.bytes += st.recovery.bytes;
    r.keys += st.recovery.keys;
    r.seconds = std::max(r.seconds, st.recovery.seconds);  // they ran in parallel
    r.torn_tail_bytes += st.recovery.torn_tail_bytes;
    r.skipped_bytes += st.recovery.skipped_bytes;
    r.snapshot_keys += st.recovery.snapshot_keys;
    all.values_on_disk += st.values_on_disk;
    all.value_bytes_in_memory += st.value_bytes_in_memory;
    all.value_evictions += st.value_evictions;
    all.value_disk_reads += st.value_disk_reads;
    all.value_disk_read_bytes += st.value_disk_read_bytes;
    for (auto& note : st.recovery.notes) r.notes.push_back(note);
  }
  for (size_t d = 0; d < ttl_sum.size(); d++) {
    if (all.expires_per_db[d] > 0) {
      all.avg_ttl_ms_per_db[d] = int64_t(ttl_sum[d] / double(all.expires_per_db[d]));
    }
  }
  all.partitions = uint32_t(parts_.size());
  all.max_memory = opts_.max_memory_bytes;
  return all;
}

}  // namespace walnut
