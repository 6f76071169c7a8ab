#include "engine/db_impl.h"

#include <chrono>
#include <cstdio>

#include "common/hash.h"
#include "engine/partition_layout.h"
#include "engine/partitioned_db.h"
#include "engine/wal_format.h"
#include "engine/wal_record.h"
#include "engine/write_batch_internal.h"

namespace walnut {
namespace {

const char* LevelName(LogLevel l) {
  switch (l) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "?";
}

Status ValidateOptions(const Options& o) {
  if (o.num_databases < 1 || o.num_databases > (1u << 20)) {
    return Status::InvalidArgument("num_databases must be between 1 and 1048576");
  }
  if (o.partitions > wal::kMaxPartitions) {
    return Status::InvalidArgument("partitions must be at most " +
                                   std::to_string(wal::kMaxPartitions));
  }
  if (o.segment_size < 4096) return Status::InvalidArgument("segment_size must be at least 4096");
  if (o.max_key_size + o.max_value_size > wal::kMaxBodySize - 1024) {
    return Status::InvalidArgument("max_key_size + max_value_size must stay below 4 GiB");
  }
  return Status::OK();
}

}  // namespace

// ---------------------------------------------------------------- open/close

Result<std::unique_ptr<DB>> DB::Open(const std::string& dir, Options options) {
  Status s = ValidateOptions(options);
  if (!s.ok()) return s;
  // Partitioned unless the single-log layout is asked for (partitions = 1) or
  // found (partitions = 0 on a directory that has it); partition_layout.h.
  Env* env = options.env ? options.env : Env::Default();
  const bool has_partitions_file = env->FileExists(dir + "/" + kPartitionsFile);
  bool single = false;
  if (!has_partitions_file) {
    if (options.partitions == 1) {
      single = true;
    } else if (options.partitions == 0 && env->FileExists(dir)) {
      auto layout = ReadPartitionLayout(env, dir);
      single = layout.ok() && layout->single_log;
    }
  }
  if (!single) return PartitionedDB::Open(dir, options);
  auto db = std::make_unique<DBImpl>(dir, std::move(options));
  s = db->OpenImpl();
  if (!s.ok()) return s;
  return std::unique_ptr<DB>(std::move(db));
}

DBImpl::DBImpl(std::string dir, Options options)
    : dir_(std::move(dir)),
      opts_(std::move(options)),
      env_(opts_.env ? opts_.env : Env::Default()),
      ks_(opts_.num_databases) {}

DBImpl::~DBImpl() {
  Status s = Close();
  if (!s.ok()) Log(LogLevel::kError, "close: " + s.ToString());
}

void DBImpl::Log(LogLevel level, std::string_view msg) const {
  if (opts_.logger) {
    opts_.logger(level, msg);
  } else if (level >= LogLevel::kWarning) {
    std::fprintf(stderr, "walnut %s: %.*s\n", LevelName(level), int(msg.size()), msg.data());
  }
}

int64_t DBImpl::NowMs() const {
  if (opts_.clock_ms) return opts_.clock_ms();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Status DBImpl::OpenImpl() {
  RecoveryOutcome out;
  Status s = RecoverPhase(nullptr, &out);
  if (!s.ok()) return s;
  return StartPhase(/*rewrite=*/false);
}

Status DBImpl::RecoverPhase(const std::unordered_set<uint64_t>* skip, RecoveryOutcome* result) {
  Status s;
  if (prepared_) {
    // A second pass (partitioned_db.cc: skipping the parts of multi-partition
    // writes that a crash left incomplete) starts from an empty index.
    ks_.Clear();
    *result = RecoveryOutcome{};
  } else {
    s = PrepareDir();
    if (!s.ok()) return s;
  }
  opened_ms_ = NowMs();
  RecoveryParams params;
  params.env = env_;
  params.dir = dir_;
  params.mode = opts_.recovery;
  params.modify_files = true;
  params.skip_seqs = skip;
  params.log = [this](LogLevel l, std::string_view m) { Log(l, m); };
  RecoveryOutcome& out = *result;
  s = Recover(params, &ks_, &out);
  if (!s.ok()) return s;
  expired_at_open_ = ks_.DropExpired(NowMs());
  recovery_ = out.report;
  uint64_t keys = 0;
  for (uint32_t i = 0; i < ks_.num_dbs(); i++) keys += ks_.keys(i);
  recovery_.keys = keys;
  base_seq_ = out.base_seq;
  base_bytes_ = out.base_bytes;

  // Sequences continue after everything any kept file announces, so a new
  // record can never repeat a sequence a file header already claims.
  last_seq_ = out.last_seq;
  for (const auto& seg : out.segments) {
    if (seg.first_seq > 0) last_seq_ = std::max(last_seq_, seg.first_seq - 1);
  }
  written_seq_ = synced_seq_ = last_seq_;
  segments_ = out.segments;
  max_segment_id_ = out.max_segment_id;
  dropped_data_ = !out.only_torn_tail;
  return Status::OK();
}

Status DBImpl::PrepareDir() {
  Status s;
  if (opts_.create_if_missing) {
    s = env_->CreateDirIfMissing(dir_);
    if (!s.ok()) return s;
  } else if (!env_->FileExists(dir_)) {
    return Status::NotFound("data directory " + dir_ + " does not exist");
  }
  prepared_ = true;
  if (lock_dir_) {
    auto lock = env_->LockFile(dir_ + "/LOCK");
    if (!lock.ok()) return lock.status();
    dir_lock_ = std::move(*lock);
  }

  // Temp files were never renamed into place, so by construction they hold
  // nothing that any live file depends on: an interrupted segment creation,
  // compaction or atomic write. Removing them is safe.
  auto names = env_->GetChildren(dir_);
  if (!names.ok()) return names.status();
  for (const auto& n : *names) {
    if (n.size() > 4 && n.compare(n.size() - 4, 4, ".tmp") == 0) {
      Log(LogLevel::kInfo, "removing leftover temp file " + n);
      s = env_->RemoveFile(dir_ + "/" + n);
      if (!s.ok()) return s;
    }
  }

  return Status::OK();
}

Status DBImpl::StartPhase(bool rewrite) {
  const bool dropped_data = dropped_data_;
  uint64_t keys = recovery_.keys;
  if (!segments_.empty() && segments_.back().size < opts_.segment_size && !dropped_data) {
    // Append to the newest segment. Safe: recovery cut any torn tail (with
    // fsync), so the file ends exactly after its last intact record.
    auto f = env_->NewAppendableFile(segments_.back().path);
    if (!f.ok()) return f.status();
    if ((*f)->Size() != segments_.back().size) {
      return Status::IOError("segment " + segments_.back().path + " changed size during open");
    }
    active_ = std::shared_ptr<WritableFile>(std::move(*f));
    active_id_ = segments_.back().id;
  } else {
    uint64_t id = std::max(max_segment_id_, segments_.empty() ? 0 : segments_.back().id) + 1;
    auto f = CreateSegment(id, last_seq_ + 1);
    if (!f.ok()) return f.status();
    active_ = *f;
    active_id_ = id;
    segments_.push_back(SegmentFile{id, dir_ + "/" + wal::SegmentFileName(id),
                                    wal::kSegmentHeaderSize, last_seq_ + 1});
  }

  char line[256];
  std::snprintf(line, sizeof(line),
                "recovered %llu keys from %llu records (%llu bytes, %llu segments) in %.3f s; "
                "%llu expired keys dropped",
                (unsigned long long)keys, (unsigned long long)recovery_.records,
                (unsigned long long)recovery_.bytes, (unsigned long long)recovery_.segments,
                recovery_.seconds, (unsigned long long)expired_at_open_);
  Log(LogLevel::kInfo, line);

  if (dropped_data || rewrite) {
    // Damage was accepted (point-in-time or skip-corrupted), or records were
    // skipped (parts of an incomplete multi-partition write). Rewrite the log
    // from the index now, so those bytes leave the live log and the next
    // start-up, in the default strict mode, finds a clean log that never
    // again holds the skipped records.
    Log(LogLevel::kWarning, "rewriting the log after recovering past damage");
    auto r = Compact();
    if (!r.ok()) return r.status();
  }

  if (opts_.fsync == FsyncMode::kEverySec) {
    sync_thread_ = std::thread([this] { SyncThreadMain(); });
  }
  if (opts_.auto_compact) {
    compact_thread_ = std::thread([this] { CompactThreadMain(); });
  }
  return Status::OK();
}

Status DBImpl::Close() {
  closing_ = true;  // a running compaction stops early (its .tmp is removed)
  {
    std::lock_guard<std::mutex> g(sync_mu_);
    stop_sync_ = true;
  }
  sync_cv_.notify_all();
  if (sync_thread_.joinable()) sync_thread_.join();
  if (compact_thread_.joinable()) compact_thread_.join();
  std::lock_guard<std::mutex> cg(compact_mu_);  // a compaction another thread started

  Lock lk(mu_);
  if (closed_) return Status::OK();
  Status s;
  if (active_ && write_error_.ok()) {
    // A clean close is durable in every fsync mode.
    s = FlushLocked(lk, last_seq_, /*sync=*/true);
  }
  while (flushing_) cv_.wait(lk);
  closed_ = true;
  if (active_) {
    Status cs = active_->Close();
    if (s.ok()) s = cs;
    active_.reset();
  }
  ks_.Clear();
  dir_lock_.reset();
  cv_.notify_all();
  return s;
}

// -------------------------------------------------------------------- writes

Status DBImpl::CheckWritable() const {
  if (closed_) return Status::Closed();
  if (!write_error_.ok()) return write_error_;
  return Status::OK();
}

Status DBImpl::WaitForGroup(Lock& lk) {
  // A write error ends the wait too: the group's owner may never get to
  // close it, and every write is refused from then on anyway.
  while (group_open_ && group_owner_ != std::this_thread::get_id() && !closed_ &&
         write_error_.ok()) {
    cv_.wait(lk);
  }
  return Status::OK();
}

void DBImpl::CloseGroupLocked(bool log_it) {
  if (!group_open_) return;
  if (log_it && group_count_ > 0) {
    size_t start = wal::BeginRecord(&pending_);
    pending_.append(group_ops_);
    wal::FinishRecord(&pending_, start, ++last_seq_, group_count_);
    writes_++;
  }
  group_ops_.clear();
  group_count_ = 0;
  group_open_ = false;
  cv_.notify_all();
}

Status DBImpl::AppendLocked(const WriteBatch& batch, bool more_follows, uint64_t* seq) {
  Status s = CheckWritable();
  if (!s.ok()) {
    // The log is refusing writes: a group can never reach it, so drop it
    // rather than leave other writers waiting on it.
    if (group_open_ && group_owner_ == std::this_thread::get_id()) CloseGroupLocked(false);
    return s;
  }
  const bool closes_group = group_open_ && !more_follows;
  s = ValidateAndApplyLocked(batch, more_follows, seq);
  // A batch that fails validation changes nothing, but a group it was meant
  // to close is closed anyway: its earlier ops are applied in memory and
  // must reach the log as one record.
  if (!s.ok() && closes_group && group_open_) CloseGroupLocked(true);
  return s;
}

Status DBImpl::DecodeBatch(const WriteBatch& batch, std::vector<DecodedOp>* ops_out) const {
  Status s;
  const std::string& rep = internal::WriteBatchAccess::Rep(batch);
  std::vector<DecodedOp>& ops = *ops_out;
  ops.reserve(batch.Count());
  std::string_view in = rep;
  while (!in.empty()) {
    DecodedOp op;
    s = DecodeOp(&in, &op);
    if (!s.ok()) return Status::InvalidArgument("malformed write batch: " + s.message());
    if (op.code == wal::kTxn) return Status::InvalidArgument("txn ops are written by the engine");
    if (op.db >= ks_.num_dbs() || (op.code == wal::kSwapDb && op.db2 >= ks_.num_dbs())) {
      return Status::InvalidArgument("database index out of range (" +
                                     std::to_string(ks_.num_dbs()) + " databases)");
    }
    if (op.key.size() > opts_.max_key_size) {
      return Status::InvalidArgument("key is larger than max_key_size (" +
                                     std::to_string(opts_.max_key_size) + " bytes)");
    }
    if (op.value.size() > opts_.max_value_size) {
      return Status::InvalidArgument("value is larger than max_value_size (" +
                                     std::to_string(opts_.max_value_size) + " bytes)");
    }
    if ((op.code == wal::kPutExpire || op.code == wal::kSetExpiry) && op.expire_at_ms < 0) {
      return Status::InvalidArgument("negative expiry time");
    }
    ops.push_back(op);
  }
  return Status::OK();
}

Status DBImpl::ValidateAndApplyLocked(const WriteBatch& batch, bool more_follows, uint64_t* seq) {
  const std::string& rep = internal::WriteBatchAccess::Rep(batch);

  // Validate every op before applying any: a batch is all or nothing.
  std::vector<DecodedOp> ops;
  Status s = DecodeBatch(batch, &ops);
  if (!s.ok()) return s;
  uint64_t group_size = (group_open_ || more_follows) ? group_ops_.size() : 0;
  if (group_size + rep.size() + wal::kBatchPrefixSize > wal::kMaxBodySize) {
    return Status::InvalidArgument("write batch too large for one log record (4 GiB)");
  }

  const int64_t now = NowMs();
  const bool grouped = group_open_ || more_follows;
  std::string* out;
  size_t start = 0;
  if (grouped) {
    if (!group_open_) {
      group_open_ = true;
      group_owner_ = std::this_thread::get_id();
    }
    out = &group_ops_;
  } else {
    out = &pending_;
    start = wal::BeginRecord(&pending_);
  }
  uint32_t effective = 0;
  for (const auto& op : ops) {
    if (op.code == wal::kSwapDb) swap_epoch_++;
    // Only ops that changed something are logged (keyspace.h explains why
    // this matters for expiry).
    if (ks_.Apply(op, now)) {
      out->append(op.encoded.data(), op.encoded.size());
      effective++;
    }
  }
  if (grouped) {
    group_count_ += effective;
    if (!more_follows) CloseGroupLocked(true);  // all of its ops become one record
  } else if (effective > 0) {
    wal::FinishRecord(&pending_, start, ++last_seq_, effective);
    writes_++;
  } else {
    pending_.resize(start);  // nothing changed: no record
  }
  *seq = last_seq_;
  return Status::OK();
}

Status DBImpl::FlushLocked(Lock& lk, uint64_t target, bool sync) {
  for (;;) {
    if (!write_error_.ok()) return write_error_;
    if (!active_) return Status::Closed();
    if (written_seq_ >= target && (!sync || synced_seq_ >= target)) return Status::OK();
    if (flushing_) {
      cv_.wait(lk);
      continue;
    }
    // Become the leader for everything pending right now.
    flushing_ = true;
    std::string buf;
    buf.swap(pending_);
    pending_.swap(spare_);
    pending_.clear();
    const uint64_t upto = last_seq_;
    const bool do_sync = sync || opts_.fsync == FsyncMode::kAlways;
    std::shared_ptr<WritableFile> file = active_;
    lk.unlock();
    Status s;
    if (!buf.empty()) s = file->Append(buf);
    if (s.ok() && do_sync) s = file->Sync();
    lk.lock();
    if (s.ok()) {
      written_seq_ = upto;
      bytes_written_ += buf.size();
      segments_.back().size += buf.size();
      if (do_sync) {
        synced_seq_ = upto;
        syncs_++;
        last_sync_ms_ = NowMs();
      }
      if (segments_.back().size >= opts_.segment_size) s = RollOverLocked(lk);
    }
    if (!s.ok()) {
      write_error_ = Status(s.IsNoSpace() ? s : Status::IOError(s.message()));
      Log(LogLevel::kError, "log write failed, refusing writes from now on: " + s.ToString());
    }
    buf.clear();
    spare_.swap(buf);
    flushing_ = false;
    cv_.notify_all();
  }
}

Result<std::shared_ptr<WritableFile>> DBImpl::CreateSegment(uint64_t id, uint64_t first_seq) {
  // temp + fsync + rename + fsync(dir): the final name only ever points at a
  // complete header, so recovery never meets a half-created segment.
  std::string path = dir_ + "/" + wal::SegmentFileName(id);
  wal::SegmentHeader h;
  h.kind = wal::kKindLog;
  h.segment_id = id;
  h.first_seq = first_seq;
  Status s = env_->WriteFileAtomically(path, wal::EncodeSegmentHeader(h));
  if (!s.ok()) return s;
  auto f = env_->NewAppendableFile(path);
  if (!f.ok()) return f.status();
  return std::shared_ptr<WritableFile>(std::move(*f));
}

Status DBImpl::RollOverLocked(Lock& lk) {
  std::shared_ptr<WritableFile> old = active_;
  const uint64_t id = active_id_ + 1;
  const uint64_t first = written_seq_ + 1;
  lk.unlock();
  // Seal: the old segment is synced before a later one exists, so a power
  // loss can only ever tear the newest segment, which recovery tolerates.
  Status s = old->Sync();
  Result<std::shared_ptr<WritableFile>> f =
      s.ok() ? CreateSegment(id, first) : Result<std::shared_ptr<WritableFile>>(s);
  lk.lock();
  if (!f.ok()) return f.status();
  synced_seq_ = std::max(synced_seq_, first - 1);
  syncs_++;
  active_ = *f;
  active_id_ = id;
  segments_.push_back(
      SegmentFile{id, dir_ + "/" + wal::SegmentFileName(id), wal::kSegmentHeaderSize, first});
  // The old file closes when the last holder (maybe the syncer) drops it.
  return Status::OK();
}

Status DBImpl::Write(const WriteBatch& batch, const WriteOptions& wo) {
  Lock lk(mu_);
  if (group_open_ && group_owner_ == std::this_thread::get_id()) {
    return Status::InvalidArgument("Write called while this thread has an atomic group open");
  }
  (void)WaitForGroup(lk);
  uint64_t seq;
  Status s = AppendLocked(batch, false, &seq);
  if (!s.ok()) return s;
  return FlushLocked(lk, last_seq_, wo.sync || opts_.fsync == FsyncMode::kAlways);
}

Status DBImpl::Put(std::string_view key, std::string_view value, const WriteOptions& wo) {
  WriteBatch b;
  b.Put(0, key, value);
  return Write(b, wo);
}

Status DBImpl::Delete(std::string_view key, const WriteOptions& wo) {
  WriteBatch b;
  b.Delete(0, key);
  return Write(b, wo);
}

Result<uint64_t> DBImpl::WriteDeferred(const WriteBatch& batch, bool more_follows) {
  Lock lk(mu_);
  (void)WaitForGroup(lk);
  uint64_t seq;
  Status s = AppendLocked(batch, more_follows, &seq);
  if (!s.ok()) return s;
  return seq;
}

Status DBImpl::FlushLog(bool sync) {
  Lock lk(mu_);
  if (closed_) return Status::Closed();
  return FlushLocked(lk, last_seq_, sync || opts_.fsync == FsyncMode::kAlways);
}

Status DBImpl::Sync() {
  Lock lk(mu_);
  if (closed_) return Status::Closed();
  return FlushLocked(lk, last_seq_, true);
}

void DBImpl::SyncThreadMain() {
  for (;;) {
    {
      std::unique_lock<std::mutex> g(sync_mu_);
      sync_cv_.wait_for(g, std::chrono::seconds(1), [this] { return stop_sync_; });
      if (stop_sync_) return;
    }
    Lock lk(mu_);
    if (closed_ || !write_error_.ok() || synced_seq_ >= written_seq_) continue;
    // Sync what is already written, concurrently with new writes: fdatasync
    // and write on one file are safe together, and the shared_ptr keeps the
    // file open even if a rollover replaces it meanwhile (rollover synced
    // the old one itself, so syncing it again is merely redundant).
    std::shared_ptr<WritableFile> file = active_;
    const uint64_t upto = written_seq_;
    lk.unlock();
    Status s = file->Sync();
    lk.lock();
    if (s.ok()) {
      synced_seq_ = std::max(synced_seq_, upto);
      syncs_++;
      last_sync_ms_ = NowMs();
    } else if (write_error_.ok()) {
      write_error_ = Status::IOError("background fdatasync failed: " + s.message());
      Log(LogLevel::kError, "log sync failed, refusing writes from now on: " + s.ToString());
    }
  }
}

// --------------------------------------------------------------------- reads

Result<std::string> DBImpl::Get(std::string_view key) {
  std::string out;
  Status s = Read(
      0, key, [&](std::string_view v, int64_t) { out.assign(v); }, true);
  if (!s.ok()) return s;
  return out;
}

Status DBImpl::Read(uint32_t db, std::string_view key,
                    const std::function<void(std::string_view, int64_t)>& fn, bool touch) {
  Lock lk(mu_);
  if (closed_) return Status::Closed();
  if (db >= ks_.num_dbs()) return Status::InvalidArgument("database index out of range");
  int64_t now = NowMs();
  Entry* e = ks_.Find(db, key, now);
  if (!e) return Status::NotFound();
  if (touch) e->access_s = uint32_t(now / 1000);
  fn(e->value(), e->expire_at_ms);
  return Status::OK();
}

Result<uint64_t> DBImpl::IdleSeconds(uint32_t db, std::string_view key) {
  Lock lk(mu_);
  if (closed_) return Status::Closed();
  if (db >= ks_.num_dbs()) return Status::InvalidArgument("database index out of range");
  int64_t now = NowMs();
  Entry* e = ks_.Find(db, key, now);
  if (!e) return Status::NotFound();
  int64_t last_s = e->access_s ? int64_t(e->access_s) : opened_ms_ / 1000;
  int64_t idle = now / 1000 - last_s;
  return uint64_t(idle > 0 ? idle : 0);
}

bool DBImpl::Exists(uint32_t db, std::string_view key) {
  Lock lk(mu_);
  if (closed_ || db >= ks_.num_dbs()) return false;
  return ks_.Find(db, key, NowMs()) != nullptr;
}

uint64_t DBImpl::KeyCount(uint32_t db) {
  Lock lk(mu_);
  if (closed_ || db >= ks_.num_dbs()) return 0;
  return ks_.keys(db);
}

uint64_t DBImpl::Scan(uint32_t db, uint64_t cursor, size_t count,
                      const std::function<void(std::string_view, std::string_view, int64_t)>& fn) {
  Lock lk(mu_);
  if (closed_ || db >= ks_.num_dbs()) return 0;
  int64_t now = NowMs();
  return ks_.db(db).Scan(cursor, count == 0 ? 10 : count, [&](Entry* e) {
    if (!e->ExpiredAt(now)) fn(e->key(), e->value(), e->expire_at_ms);
  });
}

Result<std::string> DBImpl::RandomKey(uint32_t db) {
  Lock lk(mu_);
  if (closed_) return Status::Closed();
  if (db >= ks_.num_dbs()) return Status::InvalidArgument("database index out of range");
  int64_t now = NowMs();
  for (int tries = 0; tries < 100; tries++) {
    Entry* e = ks_.db(db).Random(rng_);
    if (!e) return Status::NotFound();
    if (!e->ExpiredAt(now)) return std::string(e->key());
    ks_.Erase(db, e);  // lazily expire what we happened to pick
  }
  return Status::NotFound();
}

uint64_t DBImpl::SweepExpired(size_t budget) {
  Lock lk(mu_);
  if (closed_) return 0;
  return ks_.Sweep(NowMs(), budget * 4);
}

// --------------------------------------------------------------------- stats

uint64_t DBImpl::DeadBytesLocked() const {
  // Live data costs its key and value bytes plus a few bytes of op framing
  // per key in a compacted log; everything beyond that is reclaimable.
  uint64_t keys = 0;
  for (uint32_t i = 0; i < ks_.num_dbs(); i++) keys += ks_.keys(i);
  uint64_t live = ks_.live_bytes() + keys * 8 + 4096;
  uint64_t log = LogBytesLocked();
  return log > live ? log - live : 0;
}

void DBImpl::CompactThreadMain() {
  auto backoff = std::chrono::seconds(1);
  for (;;) {
    {
      std::unique_lock<std::mutex> g(sync_mu_);
      sync_cv_.wait_for(g, backoff, [this] { return stop_sync_; });
      if (stop_sync_) return;
    }
    bool due;
    {
      Lock lk(mu_);
      if (closed_ || !write_error_.ok()) continue;
      uint64_t log = LogBytesLocked();
      due = log >= opts_.compact_min_log_bytes &&
            double(DeadBytesLocked()) >= opts_.compact_garbage_ratio * double(log);
    }
    if (!due) {
      backoff = std::chrono::seconds(1);
      continue;
    }
    auto r = Compact();
    if (r.ok()) {
      Lock lk(mu_);
      auto_compactions_++;
      backoff = std::chrono::seconds(1);
    } else if (!closing_) {
      // Don't hammer a failing disk; say so, and try again later.
      Log(LogLevel::kWarning, "automatic compaction failed: " + r.status().ToString());
      backoff = std::chrono::seconds(30);
    }
  }
}

uint64_t DBImpl::LogBytesLocked() const {
  uint64_t n = base_bytes_;
  for (const auto& s : segments_) n += s.size;
  return n;
}

DbStats DBImpl::Stats() {
  Lock lk(mu_);
  DbStats st;
  const int64_t now = NowMs();
  for (uint32_t i = 0; i < ks_.num_dbs(); i++) {
    st.keys_per_db.push_back(ks_.keys(i));
    st.expires_per_db.push_back(ks_.expires(i));
    st.avg_ttl_ms_per_db.push_back(ks_.AverageTtlMs(i, now));
  }
  st.last_seq = last_seq_;
  st.written_seq = written_seq_;
  st.synced_seq = synced_seq_;
  st.log_bytes = LogBytesLocked();
  st.segments = segments_.size() + (base_seq_ ? 1 : 0);
  st.live_bytes = ks_.live_bytes();
  st.syncs = syncs_;
  st.writes = writes_;
  st.bytes_written = bytes_written_;
  st.compactions = compactions_;
  st.auto_compactions = auto_compactions_;
  st.dead_bytes_estimate = DeadBytesLocked();
  st.compacting = compacting_;
  st.last_sync_ms = last_sync_ms_;
  if (!write_error_.ok()) st.write_error = write_error_.ToString();
  st.recovery = recovery_;
  return st;
}

}  // namespace walnut
