// DBImpl's side of multi-partition writes: the parts PartitionedDB writes
// into each partition's log (see partitioned_db.h for the protocol).
#include "engine/db_impl.h"
#include "engine/wal_format.h"
#include "engine/wal_record.h"
#include "engine/write_batch_internal.h"

namespace walnut {

Status DBImpl::ValidateBatch(const WriteBatch& batch) const {
  std::vector<DecodedOp> ops;
  return DecodeBatch(batch, &ops);
}

void DBImpl::SetCrossPartitions(uint32_t partitions) {
  cross_frame_extra_ = MaxTxnOpSize(partitions);
}

Status DBImpl::RoomForCrossLocked(uint64_t ops_bytes, bool* room) {
  Status s = CheckWritable();
  if (!s.ok()) return s;
  const uint64_t need = ops_bytes + FrameBytes();
  // The caller holds the cross lock, so no atomic group is open here; the
  // check is ReserveLocked's own fast path.
  *room = !disk_full_ && !rolling_ && !group_open_ && AcceptedEndLocked() + need <= reserved_;
  if (*room) AskReserveAheadLocked();
  return Status::OK();
}

Status DBImpl::ReserveForCross(uint64_t ops_bytes) {
  Lock lk = LockForeground();
  return ReserveLocked(lk, ops_bytes + FrameBytes());
}

Status DBImpl::ReserveInGroup(uint64_t bytes) {
  Lock lk = LockForeground();
  if (!group_open_ || group_owner_ != std::this_thread::get_id()) {
    return Status::InvalidArgument("ReserveInGroup without an open group");
  }
  return bytes == 0 ? CheckWritable() : ReserveLocked(lk, bytes);
}

uint64_t DBImpl::AppendCrossLocked(std::span<const DecodedOp> ops, std::span<const uint32_t> dest,
                                   uint32_t self, std::string_view txn_op) {
  const int64_t now = NowMs();
  size_t start = wal::BeginRecord(&pending_);
  pending_.append(txn_op);
  uint32_t count = 1;
  for (size_t i = 0; i < ops.size(); i++) {
    if (dest[i] != self && dest[i] != kEveryPartition) continue;
    const DecodedOp& op = ops[i];
    if (op.code == wal::kSwapDb) NoteSwapLocked(op);
    if (ks_.Apply(op, now)) {
      pending_.append(op.encoded.data(), op.encoded.size());
      count++;
    }
  }
  // Written even when no op changed anything: recovery checks that every
  // part of the write is present, so each part must exist.
  wal::FinishRecord(&pending_, start, ++last_seq_, count);
  writes_++;
  return last_seq_;
}

void DBImpl::CloseGroupCrossLocked(std::string_view txn_op) {
  if (!group_open_) return;
  group_ops_.insert(0, txn_op);
  group_count_++;
  CloseGroupLocked(/*log_it=*/true);
}

void DBImpl::AbortGroup() {
  Lock lk(mu_);
  if (group_open_ && group_owner_ == std::this_thread::get_id()) CloseGroupLocked(false);
}

bool DBImpl::NeedsFlush(bool sync) {
  Lock lk = LockForeground();
  // A closed or failed partition says yes, so that FlushLog reports why.
  if (closed_ || !write_error_.ok()) return true;
  sync = sync || opts_.fsync == FsyncMode::kAlways;
  return written_seq_ < last_seq_ || (sync && synced_seq_ < last_seq_);
}

}  // namespace walnut
