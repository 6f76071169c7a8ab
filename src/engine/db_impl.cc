#include "engine/db_impl.h"

#include <chrono>
#include <cstdio>
#include <thread>

#include "common/hash.h"
#include "common/thread_priority.h"
#include "engine/partition_layout.h"
#include "engine/partitioned_db.h"
#include "engine/wal_format.h"
#include "engine/wal_record.h"
#include "engine/write_batch_internal.h"
#include "walnut/clock_pin.h"

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
  // One log, so a second core is free to build the index while this thread
  // reads the log (replay_inserter.h).
  db->SetReplayThread(std::thread::hardware_concurrency() > 1);
  s = db->OpenImpl();
  if (!s.ok()) return s;
  return std::unique_ptr<DB>(std::move(db));
}

DBImpl::DBImpl(std::string dir, Options options)
    : dir_(std::move(dir)),
      opts_(std::move(options)),
      env_(opts_.env ? opts_.env : Env::Default()),
      zero_fill_(opts_.log_prefill == LogPrefill::kZeros ||
                 (opts_.log_prefill == LogPrefill::kAuto && opts_.fsync == FsyncMode::kAlways)),
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
  // A caller that has read the clock for this step already (walnut/clock_pin.h).
  if (const int64_t pinned = ClockPin::pinned()) return pinned;
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
  // Values left on disk name their files (db_impl_values.cc).
  params.value_budget = opts_.max_memory_bytes;
  params.base_file = kBaseFileTag | next_base_number_++;
  params.replay_thread = replay_thread_;
  ks_.set_loc_slots(opts_.max_memory_bytes > 0);
  value_files_.clear();
  base_file_ = 0;
  RecoveryOutcome& out = *result;
  s = Recover(params, &ks_, &out);
  if (!s.ok()) return s;
  if (!out.base_path.empty()) {
    base_file_ = params.base_file;
    value_files_[base_file_] = ValueFile{out.base_path, nullptr};
  }
  for (const SegmentFile& seg : out.segments) {
    if (seg.id < kBaseFileTag) value_files_[uint32_t(seg.id)] = ValueFile{seg.path, nullptr};
  }
  if (ks_.FileRefs(base_file_) > 0) {
    // Values of snapshot entries are read from the base image on demand;
    // open it now, so that a damaged file system shows at start-up.
    std::string path;
    auto f = ValueFileLocked(base_file_, &path);
    if (!f.ok()) return f.status();
  }
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
    // Append to the newest segment, at its logical end: right after its last
    // intact record. Safe: recovery cut any torn tail (with fsync), so what
    // follows that record is either nothing or zeros of preallocated space
    // that were never written, which new records overwrite.
    const SegmentFile& last = segments_.back();
    auto file_size = env_->GetFileSize(last.path);
    if (!file_size.ok()) return file_size.status();
    auto f = env_->NewAppendableFile(last.path, last.size);
    if (!f.ok()) return f.status();
    active_ = std::shared_ptr<WritableFile>(std::move(*f));
    active_id_ = last.id;
    reserved_ = std::max(*file_size, last.size);
    const uint64_t want = ReserveTarget(last.size);
    if (reserved_ < want) {
      // A segment written before preallocation, or trimmed by recovery.
      Status as = ReserveFile(active_.get(), want);
      if (as.ok()) {
        reserved_ = want;
      } else if (as.IsNoSpace()) {
        // Open anyway: each write reserves what it needs, or is refused.
        Log(LogLevel::kWarning, "no room to preallocate the log: " + as.ToString());
      } else {
        return as;
      }
    }
  } else {
    uint64_t id = std::max(max_segment_id_, segments_.empty() ? 0 : segments_.back().id) + 1;
    reserved_ = ReserveTarget(wal::kSegmentHeaderSize);
    auto f = CreateSegment(id, last_seq_ + 1, reserved_);
    if (f.status().IsNoSpace()) {
      // Room for the header at least, so that the database opens and serves
      // reads; each write then reserves what it needs, or is refused.
      Log(LogLevel::kWarning, "no room to preallocate the log: " + f.status().ToString());
      reserved_ = wal::kSegmentHeaderSize;
      f = CreateSegment(id, last_seq_ + 1, reserved_);
    }
    if (!f.ok()) return f.status();
    active_ = *f;
    active_id_ = id;
    segments_.push_back(SegmentFile{id, dir_ + "/" + wal::SegmentFileName(id),
                                    wal::kSegmentHeaderSize, last_seq_ + 1});
    if (id < kBaseFileTag) value_files_[uint32_t(id)] = ValueFile{segments_.back().path, nullptr};
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

  // In every mode: besides the everysec syncs, it retries the reservation
  // while the disk is full.
  sync_wake_ = true;  // its first turn makes the next segment's file ahead
  sync_thread_ = std::thread([this] { SyncThreadMain(); });
  if (opts_.auto_compact) {
    compact_thread_ = std::thread([this] { CompactThreadMain(); });
  }
  if (base_file_ && ks_.on_disk() > 0 &&
      (opts_.max_memory_bytes == 0 || ks_.cached_bytes() < opts_.max_memory_bytes)) {
    // Read the snapshot's values in (under max-memory only up to the budget).
    loader_file_ = base_file_;
    loader_path_ = value_files_[base_file_].path;
    loader_thread_ = std::thread([this] { LoaderMain(); });
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
  if (loader_thread_.joinable()) loader_thread_.join();
  std::lock_guard<std::mutex> cg(compact_mu_);  // a compaction another thread started
  TrimSealedSegments();                         // tidy: recovery would do it too

  Lock lk(mu_);
  if (closed_) return Status::OK();
  Status s;
  if (active_ && write_error_.ok()) {
    // A clean close is durable in every fsync mode.
    s = FlushLocked(lk, last_seq_, /*sync=*/true);
  }
  while (flushing_) cv_.wait(lk);
  closed_ = true;
  if (next_segment_) {
    (void)env_->RemoveFile(next_segment_->path);  // a temp file: open would remove it too
    next_segment_.reset();
  }
  if (active_) {
    Status cs = active_->Close();
    if (s.ok()) s = cs;
    active_.reset();
    if (s.ok() && write_error_.ok() && !segments_.empty()) {
      // Give back the active segment's unused reserved space: a closed
      // database's files hold exactly its log (the next open reserves again).
      // Everything is synced, so the trim loses nothing whenever it lands.
      Status ts = env_->TruncateFile(segments_.back().path, segments_.back().size);
      if (!ts.ok()) Log(LogLevel::kWarning, "close: trimming the log: " + ts.ToString());
    }
  }
  ks_.Clear();
  value_files_.clear();  // a reader still reading holds its file open
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

Status DBImpl::AppendLocked(Lock& lk, const WriteBatch& batch, bool more_follows, uint64_t* seq) {
  Status s = CheckWritable();
  if (s.ok()) {
    // Room for this record before it touches the index: the encoded ops
    // take at most the batch's bytes, plus a record frame unless it joins an
    // open group (whose frame AcceptedEndLocked already counts). An empty
    // batch adds nothing: closing a group only frames bytes already reserved.
    const size_t rep = internal::WriteBatchAccess::Rep(batch).size();
    const bool joins_group = group_open_ && group_owner_ == std::this_thread::get_id();
    uint64_t need = rep == 0 ? 0 : rep + (joins_group ? 0 : FrameBytes());
    s = need == 0 ? Status::OK() : ReserveLocked(lk, need);
  }
  if (!s.ok()) {
    if (group_open_ && group_owner_ == std::this_thread::get_id()) {
      if (s.IsNoSpace() && write_error_.ok() && !closed_) {
        // Refused for want of space, up front: this batch changed nothing.
        // The group's earlier ops are applied and their bytes reserved, so
        // if this batch was to close the group, close it as a record (the
        // same as for a batch that fails validation below).
        if (!more_follows) CloseGroupLocked(true);
      } else {
        // The log is refusing writes: a group can never reach it, so drop
        // it rather than leave other writers waiting on it.
        CloseGroupLocked(false);
      }
    }
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

  // Validate every op before applying any: a batch is all or nothing. The
  // ops' views point into the batch, so decoded_ holds nothing past this
  // call; a large batch's room is given back rather than kept.
  std::vector<DecodedOp>& ops = decoded_;
  ops.clear();
  struct GiveBackLarge {
    std::vector<DecodedOp>& v;
    ~GiveBackLarge() {
      if (v.capacity() > 256) std::vector<DecodedOp>().swap(v);
    }
  } give_back{ops};
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
    if (op.code == wal::kSwapDb) NoteSwapLocked(op);
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
    Status s = WriteOutLocked(lk, sync || opts_.fsync == FsyncMode::kAlways);
    // Past the segment size (a segment holding a record larger than it):
    // start the next one. While the disk is full the background thread's
    // retry does that, not every flush.
    if (s.ok() && segments_.back().size >= opts_.segment_size && !disk_full_) {
      Status rs = RollOverLocked(lk, 0);
      // The records are written either way; without a next segment the
      // active one goes on, with room reserved for what is accepted.
      if (rs.IsNoSpace()) EnterDiskFullLocked(rs, 0);
    }
    flushing_ = false;
    cv_.notify_all();
  }
}

Status DBImpl::WriteOutLocked(Lock& lk, bool do_sync) {
  std::string buf;
  buf.swap(pending_);
  pending_.swap(spare_);
  pending_.clear();
  const uint64_t upto = last_seq_;
  std::shared_ptr<WritableFile> file = active_;
  inflight_ = buf.size();
  lk.unlock();
  Status s;
  if (!buf.empty()) s = file->Append(buf);
  if (s.ok() && do_sync) s = file->Sync();
  lk.lock();
  inflight_ = 0;
  if (s.ok()) {
    written_seq_ = upto;
    bytes_written_ += buf.size();
    if (opts_.max_memory_bytes > 0 && !buf.empty()) {
      // We hold the flush token, so segments_.back() is the file just
      // written, and it was `size` bytes long before.
      LocateWrittenLocked(buf, segments_.back().id, segments_.back().size);
    }
    segments_.back().size += buf.size();
    if (!do_sync) {
      unsynced_bytes_ += buf.size();
      if (unsynced_bytes_ >= kSyncAheadBytes && opts_.fsync != FsyncMode::kAlways) {
        std::lock_guard<std::mutex> g(sync_mu_);  // order: mu_, then sync_mu_
        sync_wake_ = true;
        sync_cv_.notify_all();
      }
    }
    if (do_sync) {
      unsynced_bytes_ = 0;
      synced_seq_ = upto;
      syncs_++;
      last_sync_ms_ = NowMs();
    }
  } else if (write_error_.ok()) {
    // Sticky whatever the cause, a full disk included: the bytes may be
    // partly written, and space was reserved, so ENOSPC here means the file
    // system broke that promise.
    write_error_ = Status::IOError(s.message());
    Log(LogLevel::kError, "log write failed, refusing writes from now on: " + s.ToString());
  }
  buf.clear();
  spare_.swap(buf);
  return s.ok() ? s : write_error_;
}

// ------------------------------------------------------------ space reserve

uint64_t DBImpl::ReserveTarget(uint64_t from) const {
  // Space is reserved a step at a time, not a whole segment at once: the
  // fdatasync saving only needs the next records' room to exist, and a
  // partitioned directory would otherwise hold a whole empty segment per
  // partition. Each step changes the file size once, so one sync in many
  // journals a size change.
  const uint64_t step = opts_.preallocate_bytes ? opts_.preallocate_bytes : opts_.segment_size;
  return std::min<uint64_t>(opts_.segment_size, from + step);
}

uint64_t DBImpl::FrameBytes() const {
  return wal::kRecordHeaderSize + wal::kBatchPrefixSize + cross_frame_extra_;
}

uint64_t DBImpl::AcceptedEndLocked() const {
  uint64_t end = segments_.empty() ? 0 : segments_.back().size;
  end += inflight_ + pending_.size();
  // An open group's frame counts a kTxn op too: PartitionedDB may close it
  // as one part of a cross write (CloseGroupCrossLocked).
  if (group_open_) {
    end += group_ops_.size() + FrameBytes();
  }
  return end;
}

void DBImpl::AskReserveAheadLocked() {
  if (zero_fill_ && !grow_asked_ && ReserveAheadDueLocked()) {
    grow_asked_ = true;
    {
      std::lock_guard<std::mutex> g(sync_mu_);
      sync_wake_ = true;
    }
    sync_cv_.notify_all();
  }
}

Status DBImpl::ReserveLocked(Lock& lk, uint64_t need) {
  for (;;) {
    (void)WaitForGroup(lk);
    Status s = CheckWritable();
    if (!s.ok()) return s;
    if (group_open_ && group_owner_ != std::this_thread::get_id()) continue;
    if (disk_full_) {
      // Refused up front; the reservation is retried at most once a second.
      if (std::chrono::steady_clock::now() < space_retry_at_) return space_error_;
    } else if (!rolling_ && AcceptedEndLocked() + need <= reserved_) {
      // The common case: nothing to do, but maybe ask for the next step of
      // the reservation early, so that no writer has to make it.
      AskReserveAheadLocked();
      return Status::OK();
    }
    if (flushing_) {
      cv_.wait(lk);  // a leader is writing or rolling over; look again after
      continue;
    }
    s = TryMakeRoomLocked(lk, need);
    if (!s.ok()) return s;
    // mu_ was released: look again (groups, what others reserved meanwhile).
  }
}

Status DBImpl::TryMakeRoomLocked(Lock& lk, uint64_t need) {
  while (flushing_) cv_.wait(lk);
  Status s = CheckWritable();
  if (!s.ok()) return s;
  flushing_ = true;
  s = MakeRoomLocked(lk, need);
  flushing_ = false;
  cv_.notify_all();
  if (s.IsNoSpace() && write_error_.ok()) {
    EnterDiskFullLocked(s, need);
    return space_error_;
  }
  if (s.ok() && disk_full_) {
    disk_full_ = false;
    space_error_ = Status::OK();
    Log(LogLevel::kWarning, "disk space is available again: accepting writes");
  }
  return s;
}

Status DBImpl::MakeRoomLocked(Lock& lk, uint64_t need) {
  // A step reserved ahead may be on its way: wait for it rather than write
  // into the file beside it.
  while (growing_) cv_.wait(lk);
  const uint64_t end = AcceptedEndLocked();  // nothing in flight: we hold the token
  if (end + need <= reserved_) return Status::OK();
  const uint64_t seg = opts_.segment_size;
  const bool empty = end <= wal::kSegmentHeaderSize;
  if (end + need > seg && !empty) {
    // The segment is full: write what it was reserved for and start the
    // next one early.
    Status s = WriteOutLocked(lk, /*sync=*/false);
    if (!s.ok()) return s;
    s = RollOverLocked(lk, need);
    if (!s.ok()) return s;
    return AcceptedEndLocked() + need <= reserved_ ? Status::OK() : MakeRoomLocked(lk, need);
  }
  // Grow the reservation by a step (Options::preallocate_bytes, at most to
  // the segment size), or to what a record larger than that needs. If the
  // disk has not that much, what this record needs.
  std::shared_ptr<WritableFile> file = active_;
  uint64_t target = std::max(ReserveTarget(std::max(reserved_, end)), end + need);
  const uint64_t minimum = end + need;
  // fallocate even with zero_fill_: a writer waits for this, and fallocate
  // takes microseconds where writing and syncing a step of zeros takes
  // milliseconds. The background thread fills the next steps with zeros.
  allocating_ = true;
  lk.unlock();
  Status s = file->Allocate(target);
  if (s.IsNoSpace() && target > minimum) {
    target = minimum;
    s = file->Allocate(target);
  }
  lk.lock();
  allocating_ = false;
  if (s.ok()) {
    reserved_ = std::max(reserved_, target);
    reserved_inline_++;
  } else if (!s.IsNoSpace() && write_error_.ok()) {
    write_error_ = Status::IOError(s.message());
    Log(LogLevel::kError, "log preallocation failed, refusing writes from now on: " + s.ToString());
  }
  return s.ok() || s.IsNoSpace() ? s : write_error_;
}

void DBImpl::EnterDiskFullLocked(const Status& s, uint64_t need) {
  if (!disk_full_) {
    Log(LogLevel::kError,
        "disk full, refusing writes until space is freed (reads go on): " + s.ToString());
  }
  disk_full_ = true;
  space_error_ =
      Status::NoSpace("no space left for the write-ahead log (" + s.message() +
                      "); writes are refused until space is freed, then resume on their own");
  space_need_ = std::max<uint64_t>(need, 1);
  space_retry_at_ = std::chrono::steady_clock::now() + std::chrono::seconds(1);
}

Status DBImpl::Write(const WriteBatch& batch, const WriteOptions& wo) {
  Lock lk = LockForeground();
  if (group_open_ && group_owner_ == std::this_thread::get_id()) {
    return Status::InvalidArgument("Write called while this thread has an atomic group open");
  }
  (void)WaitForGroup(lk);
  uint64_t seq;
  Status s = AppendLocked(lk, batch, false, &seq);
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
  Lock lk = LockForeground();
  (void)WaitForGroup(lk);
  uint64_t seq;
  Status s = AppendLocked(lk, batch, more_follows, &seq);
  if (!s.ok()) return s;
  return seq;
}

Status DBImpl::FlushLog(bool sync) {
  Lock lk = LockForeground();
  if (closed_) return Status::Closed();
  return FlushLocked(lk, last_seq_, sync || opts_.fsync == FsyncMode::kAlways);
}

Status DBImpl::Sync() {
  Lock lk = LockForeground();
  if (closed_) return Status::Closed();
  return FlushLocked(lk, last_seq_, true);
}

void DBImpl::SyncThreadMain() {
  for (;;) {
    {
      std::unique_lock<std::mutex> g(sync_mu_);
      sync_cv_.wait_for(g, std::chrono::seconds(1), [this] { return stop_sync_ || sync_wake_; });
      if (stop_sync_) return;
      sync_wake_ = false;
    }
    // Off the writers' path (db_impl_segments.cc): finish the last seal and
    // get the next rollover's file ready.
    TrimSealedSegments();
    PrepareNextSegment();
    ReserveAhead();
    // A table being resized moves a few slots per write (hash_index.h); one
    // that few writes reach would keep both tables, and lookups in both,
    // for a long time. When writes moved fewer than 256K slots since the
    // last wake-up, move 16 batches of 16K slots, each under the lock on its
    // own, so requests get the lock between them (a batch moves ~12K keys; a
    // one-step resize of 49K keys took 1.6 ms, the batch was not timed
    // alone): at least ~256K slots a second (a 2^24-slot table in about a
    // minute). Under a
    // write load the writes do it; batches then would only delay them.
    {
      Lock lk(mu_);
      const uint64_t moved = ks_.slots_moved();
      const bool help = ks_.resizing() && moved - resize_moved_seen_ < (uint64_t(1) << 18);
      resize_moved_seen_ = moved;
      for (int batch = 0; help && batch < 16 && !closed_; batch++) {
        if (batch > 0) {
          lk.unlock();
          lk.lock();
        }
        if (!ks_.ResizeStep(size_t(1) << 14)) break;
      }
      resize_moved_seen_ = ks_.slots_moved();
    }
    Lock lk(mu_);
    if (closed_) continue;
    if (opts_.max_memory_bytes > 0) {
      // Catch up with what the bounded steps after writes and reads left
      // over budget (EvictLocked): up to two turns of the CLOCK hand.
      size_t slots = 0;
      for (uint32_t i = 0; i < ks_.num_dbs(); i++) slots += ks_.db(i).positions() + 1;
      EvictLocked(2 * slots);
    }
    if (!write_error_.ok()) continue;
    if (disk_full_ && std::chrono::steady_clock::now() >= space_retry_at_) {
      // Retry the reservation that failed, so that writes resume once space
      // is freed even if no one tries to write meanwhile. The outcome is
      // logged and reflected in Stats(); a failure rearms the 1 s timer.
      (void)TryMakeRoomLocked(lk, space_need_);
    }
    // everysec: what was written in the last second. Any mode but always:
    // a large unsynced stretch, synced ahead so that the seal of the
    // segment (which must sync it) finds little left (kSyncAheadBytes).
    const bool due = opts_.fsync == FsyncMode::kEverySec || unsynced_bytes_ >= kSyncAheadBytes;
    lk.unlock();
    if (due) SyncWrittenNow();
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
  return ReadHashedOne(db, key, HashKey(key), fn, touch);
}

Status DBImpl::ReadHashedOne(uint32_t db, std::string_view key, uint64_t hash,
                             const std::function<void(std::string_view, int64_t)>& fn, bool touch) {
  Lock lk = LockForeground();
  if (closed_) return Status::Closed();
  if (db >= ks_.num_dbs()) return Status::InvalidArgument("database index out of range");
  int64_t now = NowMs();
  Entry* e = ks_.Find(db, key, hash, now);
  if (!e) return Status::NotFound();
  if (e->on_disk()) return ReadFromDisk(lk, db, key, e, fn, touch, now);
  if (touch) TouchLocked(e, now);
  fn(e->value(), e->expire_at_ms);
  return Status::OK();
}

Status DBImpl::ReadMany(uint32_t db, std::span<const std::string_view> keys, const ReadManyFn& fn) {
  Status first;
  uint64_t hashes[kMaxPrefetch];
  size_t index[kMaxPrefetch];
  for (size_t start = 0; start < keys.size(); start += kMaxPrefetch) {
    const size_t n = std::min(kMaxPrefetch, keys.size() - start);
    for (size_t k = 0; k < n; k++) {
      hashes[k] = HashKey(keys[start + k]);
      index[k] = start + k;
    }
    Status s = ReadHashed(db, keys.subspan(start, n), hashes, index, /*prefetch=*/true, fn);
    if (s.IsClosed() || s.IsInvalidArgument()) return s;
    if (!s.ok() && first.ok()) first = s;
  }
  return first;
}

Status DBImpl::ReadHashed(uint32_t db, std::span<const std::string_view> keys,
                          const uint64_t* hashes, const size_t* index, bool prefetch,
                          const ReadManyFn& fn) {
  Lock lk = LockForeground();
  if (closed_) return Status::Closed();
  if (db >= ks_.num_dbs()) return Status::InvalidArgument("database index out of range");
  if (prefetch && keys.size() >= 2) {
    PrefetchLocked(ks_.db(db), std::span<const uint64_t>(hashes, keys.size()));
  }
  const int64_t now = NowMs();
  Status first;
  for (size_t k = 0; k < keys.size(); k++) {
    Entry* e = ks_.Find(db, keys[k], hashes[k], now);
    if (!e) continue;
    const size_t i = index[k];
    if (e->on_disk()) {
      // Read without the lock (ReadFromDisk); each key after it is looked
      // up afresh once the lock is back, so nothing found before is reused.
      Status s = ReadFromDisk(
          lk, db, keys[k], e, [&](std::string_view v, int64_t x) { fn(i, v, x); },
          /*touch=*/true, now);
      if (closed_) return Status::Closed();
      if (!s.ok() && first.ok()) first = s;
      continue;
    }
    TouchLocked(e, now);
    fn(i, e->value(), e->expire_at_ms);
  }
  return first;
}

Result<uint64_t> DBImpl::IdleSeconds(uint32_t db, std::string_view key) {
  Lock lk = LockForeground();
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
  Lock lk = LockForeground();
  if (closed_ || db >= ks_.num_dbs()) return false;
  return ks_.Find(db, key, NowMs()) != nullptr;
}

void DBImpl::Prefetch(uint32_t db, std::span<const std::string_view> keys) {
  uint64_t hashes[kMaxPrefetch];
  const size_t n = std::min(keys.size(), kMaxPrefetch);
  for (size_t i = 0; i < n; i++) hashes[i] = HashKey(keys[i]);
  PrefetchHashes(db, std::span<const uint64_t>(hashes, n));
}

void DBImpl::PrefetchHashes(uint32_t db, std::span<const uint64_t> hashes) {
  // Under the lock: the second step reads slots, and a writer on another
  // thread may free the table they are in (a resize).
  Lock lk = LockForeground();
  if (closed_ || db >= ks_.num_dbs()) return;
  PrefetchLocked(ks_.db(db), hashes);
}

uint64_t DBImpl::KeyCount(uint32_t db) {
  Lock lk = LockForeground();
  if (closed_ || db >= ks_.num_dbs()) return 0;
  return ks_.keys(db);
}

uint64_t DBImpl::Scan(uint32_t db, uint64_t cursor, size_t count,
                      const std::function<void(std::string_view, std::string_view, int64_t)>& fn) {
  Lock lk = LockForeground();
  if (closed_ || db >= ks_.num_dbs()) return 0;
  int64_t now = NowMs();
  return ks_.db(db).Scan(cursor, count == 0 ? 10 : count, [&](Entry* e) {
    if (e->ExpiredAt(now)) return;
    if (e->on_disk() && opts_.max_memory_bytes > 0) {
      // Under max-memory a scan reads values without caching them, so that
      // walking the keyspace does not push the hot values out.
      std::string value;
      Status s = ReadValueLocked(e, &value);
      if (!s.ok()) {
        Log(LogLevel::kError, "scan: " + s.ToString());
        return;
      }
      fn(e->key(), value, e->expire_at_ms);
      return;
    }
    if (e->on_disk()) {
      auto m = MaterializeLocked(db, e);
      if (!m.ok()) {
        // Scan has no error channel: the key is skipped, and said so.
        Log(LogLevel::kError, "scan: " + m.status().ToString());
        return;
      }
      e = *m;
    }
    fn(e->key(), e->value(), e->expire_at_ms);
  });
}

Result<std::string> DBImpl::RandomKey(uint32_t db) {
  Lock lk = LockForeground();
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
  Lock lk = LockForeground();
  if (closed_) return 0;
  return ks_.Sweep(NowMs(), budget * 4);
}

// --------------------------------------------------------------------- stats

void DBImpl::YieldToForeground(uint64_t* seen) const {
  const uint64_t locks = fg_locks_.load(std::memory_order_relaxed);
  const bool waiting = fg_waiting_.load(std::memory_order_acquire) > 0;
  const bool active = waiting || locks != *seen;
  *seen = locks;
  if (!active) return;  // no requests: the background work runs at full speed
  // The waiters were woken when mu_ was released; they need a CPU to take
  // it, which on a busy machine may be the one this thread is on.
  const auto until = std::chrono::steady_clock::now() + kYieldLimit;
  while (fg_waiting_.load(std::memory_order_acquire) > 0 &&
         std::chrono::steady_clock::now() < until) {
    std::this_thread::yield();
  }
  // Measured (10M-key compaction under a 50-client SET load): a back-off of
  // ~50 us gave 0.48 of the idle throughput and a p99 of 5.2 ms, 100 us 0.57
  // and 4.9 ms, 300 us 0.57 and 4.4 ms with the copy 15% slower again.
  std::this_thread::sleep_for(kBackoff);
}

uint64_t DBImpl::DeadBytesLocked() const {
  // Live data costs its key and value bytes plus a few bytes of op framing
  // per key in a compacted log; everything beyond that is reclaimable.
  uint64_t keys = 0;
  for (uint32_t i = 0; i < ks_.num_dbs(); i++) keys += ks_.keys(i);
  uint64_t live = ks_.live_bytes() + keys * 8 + 4096;
  uint64_t log = LogBytesLocked();
  return log > live ? log - live : 0;
}

uint64_t DBImpl::CompactionDue() {
  Lock lk(mu_);
  if (closed_ || closing_ || !write_error_.ok()) return 0;
  const uint64_t log = LogBytesLocked();
  const uint64_t dead = DeadBytesLocked();
  if (log < opts_.compact_min_log_bytes) return 0;
  if (double(dead) < opts_.compact_garbage_ratio * double(log)) return 0;
  return std::max<uint64_t>(dead, 1);
}

Result<CompactionReport> DBImpl::CompactForPolicy() {
  uint64_t log, dead;
  {
    Lock lk(mu_);
    log = LogBytesLocked();
    dead = DeadBytesLocked();
  }
  Log(LogLevel::kInfo, "compaction: started by the policy, ~" + std::to_string(dead) + " of " +
                           std::to_string(log) + " log bytes dead");
  auto r = Compact();
  if (r.ok()) {
    Lock lk(mu_);
    auto_compactions_++;
  } else if (!closing_) {
    Log(LogLevel::kWarning, "automatic compaction failed: " + r.status().ToString());
  }
  return r;
}

void DBImpl::CompactThreadMain() {
  LowerThreadPriority(opts_.background_nice);  // common/thread_priority.h: why
  auto backoff = std::chrono::seconds(1);
  for (;;) {
    {
      std::unique_lock<std::mutex> g(sync_mu_);
      sync_cv_.wait_for(g, backoff, [this] { return stop_sync_; });
      if (stop_sync_) return;
    }
    if (CompactionDue() == 0) {
      backoff = std::chrono::seconds(1);
      continue;
    }
    // Don't hammer a failing disk (CompactForPolicy says why it failed).
    backoff = std::chrono::seconds(CompactForPolicy().ok() ? 1 : 30);
  }
}

uint64_t DBImpl::LogBytesLocked() const {
  uint64_t n = base_bytes_;
  for (const auto& s : segments_) n += s.size;
  return n;
}

DbStats DBImpl::Stats() {
  Lock lk = LockForeground();
  DbStats st;
  const int64_t now = NowMs();
  for (uint32_t i = 0; i < ks_.num_dbs(); i++) {
    st.keys_per_db.push_back(ks_.keys(i));
    st.index_resizing += ks_.db(i).resizing();
    st.expires_per_db.push_back(ks_.expires(i));
    st.avg_ttl_ms_per_db.push_back(ks_.AverageTtlMs(i, now));
  }
  st.last_seq = last_seq_;
  st.written_seq = written_seq_;
  st.synced_seq = synced_seq_;
  st.log_bytes = LogBytesLocked();
  st.segments = segments_.size() + (base_seq_ ? 1 : 0);
  st.rollovers = rollovers_;
  st.rollovers_made_ahead = rollovers_made_ahead_;
  st.log_zero_fill = zero_fill_;
  st.reserved_ahead = reserved_ahead_;
  st.reserved_inline = reserved_inline_;
  st.rollover_usec = rollover_usec_;
  st.rollover_usec_max = rollover_usec_max_;
  st.next_segments_ready = next_segment_ ? 1 : 0;
  st.live_bytes = ks_.live_bytes();
  st.values_on_disk = ks_.on_disk();
  st.max_memory = opts_.max_memory_bytes;
  st.value_bytes_in_memory = ks_.cached_bytes();
  st.value_evictions = evictions_;
  st.value_disk_reads = disk_reads_;
  st.value_disk_read_bytes = disk_read_bytes_;
  st.syncs = syncs_;
  st.writes = writes_;
  st.bytes_written = bytes_written_;
  st.compactions = compactions_;
  st.auto_compactions = auto_compactions_;
  st.dead_bytes_estimate = DeadBytesLocked();
  st.compacting = compacting_;
  st.last_sync_ms = last_sync_ms_;
  if (!write_error_.ok()) st.write_error = write_error_.ToString();
  st.disk_full = disk_full_;
  if (disk_full_) st.disk_full_error = space_error_.ToString();
  st.recovery = recovery_;
  return st;
}

}  // namespace walnut
