#include "engine/replay_inserter.h"

#include <algorithm>

#include "engine/wal_format.h"

namespace walnut {

// ------------------------------------------------------------------ Presizer

Presizer::Presizer(Keyspace* ks, uint64_t total, uint64_t bytes_now)
    : ks_(ks), start_(bytes_now), total_(total), keys_at_start_(ks->num_dbs()) {
  for (uint32_t db = 0; db < ks->num_dbs(); db++) keys_at_start_[db] = ks->keys(db);
  // Small stretches grow fast enough as they are.
  done_ = total < (4u << 20);
}

void Presizer::Progress(uint64_t bytes_now) {
  if (done_ || bytes_now - start_ < total_ / 16) return;
  done_ = true;
  const uint64_t read = bytes_now - start_;
  if (read == 0 || read >= total_) return;
  const double rest = double(total_ - read) / double(read);
  for (uint32_t db = 0; db < ks_->num_dbs(); db++) {
    const uint64_t now = ks_->keys(db);
    if (now <= keys_at_start_[db]) continue;
    ks_->Reserve(db, now + uint64_t(double(now - keys_at_start_[db]) * rest));
  }
}

// ------------------------------------------------------------ ReplayInserter

namespace {

bool IsPut(const DecodedOp& op) { return op.code == wal::kPut || op.code == wal::kPutExpire; }

}  // namespace

ReplayInserter::ReplayInserter(Keyspace* ks, Presizer* sizer, bool own_thread, MakeEntries who)
    : ks_(ks), sizer_(sizer), who_(who) {
  if (!own_thread) return;
  make_here_ = who_ == MakeEntries::kOnCaller;
  cur_ = std::make_unique<Batch>();
  cur_->items.reserve(kBatch);
  applier_ = std::thread([this] { ApplierMain(); });
}

ReplayInserter::~ReplayInserter() {
  Flush();
  if (applier_.joinable()) {
    {
      std::lock_guard<std::mutex> l(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    applier_.join();
  }
}

void ReplayInserter::Apply(const DecodedOp& op) {
  if (!cur_) {
    ApplyHere(op);
    return;
  }
  Item it{};
  it.db = op.db;
  if (IsPut(op)) {
    it.hash = HashKey(op.key);
    if (make_here_) {
      // Nothing in an entry depends on the keyspace's state (only on loc
      // slots, fixed for the whole recovery), so making it ahead of the ops
      // before it changes nothing.
      it.kind = Kind::kEntry;
      it.e = ks_->MakeEntry(it.hash, op);
    } else {
      it.kind = Kind::kPut;
      it.key_len = uint32_t(op.key.size());
      it.value_len = uint32_t(op.value.size());
      it.expire_at_ms = op.expire_at_ms;
      it.at = cur_->bytes.size();
      cur_->bytes.append(op.key);
      cur_->bytes.append(op.value);
    }
  } else {
    // Rare (deletes, expiries, FLUSHDB, ...): kept as the op's own bytes and
    // decoded again by the applier.
    it.kind = Kind::kOther;
    it.value_len = uint32_t(op.encoded.size());
    it.at = cur_->bytes.size();
    cur_->bytes.append(op.encoded);
  }
  // Either way nothing points into the caller's record buffer any more.
  cur_->items.push_back(it);
  if (cur_->items.size() >= kBatch) Submit();
}

void ReplayInserter::Progress(uint64_t bytes) {
  if (!sizer_) return;
  if (cur_) {
    cur_->progress = bytes;  // told once the batch's ops are applied
  } else {
    sizer_->Progress(bytes);
  }
}

void ReplayInserter::Flush() {
  if (!cur_) {
    while (pending_ > 0) InsertOldest();
    return;
  }
  if (!cur_->items.empty() || cur_->progress != 0) Submit();
  // The lock the applier released after its last batch orders everything it
  // wrote before whatever the caller does next.
  std::unique_lock<std::mutex> l(mu_);
  cv_.wait(l, [&] { return full_.empty() && !busy_; });
}

// ------------------------------------------------- on the caller's thread

void ReplayInserter::ApplyHere(const DecodedOp& op) {
  if (!IsPut(op)) {
    Flush();
    ks_->Apply(op, /*now_ms=*/0);
    return;
  }
  Entry* e = ks_->MakeReplayPut(op);  // starts fetching its slot
  if (pending_ == kAhead) InsertOldest();
  ring_[(head_ + pending_) % kAhead] = Pending{op.db, e};
  pending_++;
}

void ReplayInserter::InsertOldest() {
  ks_->InsertLoaded(ring_[head_].db, ring_[head_].e);
  head_ = (head_ + 1) % kAhead;
  pending_--;
}

// ------------------------------------------------------ with its own thread

void ReplayInserter::Submit() {
  std::unique_ptr<Batch> next;
  {
    std::unique_lock<std::mutex> l(mu_);
    // Bounded: the reader waits rather than making the whole log's entries
    // ahead of the index.
    cv_.wait(l, [&] { return full_.size() < kQueued; });
    full_.push_back(std::move(cur_));
    if (who_ == MakeEntries::kByLoad) make_here_ = full_.size() > kQueued / 2;
    if (!free_.empty()) {
      next = std::move(free_.back());
      free_.pop_back();
    }
  }
  cv_.notify_all();
  if (!next) {
    next = std::make_unique<Batch>();
    next->items.reserve(kBatch);
  }
  cur_ = std::move(next);
}

void ReplayInserter::ApplierMain() {
  std::unique_lock<std::mutex> l(mu_);
  for (;;) {
    cv_.wait(l, [&] { return stop_ || !full_.empty(); });
    if (full_.empty()) return;  // stop_, and nothing left
    std::unique_ptr<Batch> b = std::move(full_.front());
    full_.pop_front();
    busy_ = true;
    l.unlock();
    cv_.notify_all();  // room in the queue
    ApplyBatch(b.get());
    l.lock();
    free_.push_back(std::move(b));
    busy_ = false;
    cv_.notify_all();  // a Flush may be waiting for this
  }
}

void ReplayInserter::ApplyBatch(Batch* b) {
  const size_t n = b->items.size();
  auto prefetch = [&](const Item& it) {
    if (it.kind != Kind::kOther) ks_->Prefetch(it.db, it.hash);
  };
  // The slot of the put kAhead items on is fetched while this one is
  // inserted; the table may grow in between (a fetch wasted, nothing worse).
  for (size_t i = 0; i < std::min(n, kAhead); i++) prefetch(b->items[i]);
  for (size_t i = 0; i < n; i++) {
    if (i + kAhead < n) prefetch(b->items[i + kAhead]);
    const Item& it = b->items[i];
    const char* bytes = b->bytes.data() + it.at;
    switch (it.kind) {
      case Kind::kEntry:
        ks_->InsertLoaded(it.db, it.e);
        break;
      case Kind::kPut:
        ks_->InsertLoaded(it.db, ks_->MakeEntry(it.hash, std::string_view(bytes, it.key_len),
                                                std::string_view(bytes + it.key_len, it.value_len),
                                                it.expire_at_ms));
        break;
      case Kind::kOther: {
        std::string_view in(bytes, it.value_len);
        DecodedOp op;
        // These bytes decoded once already (the caller checked them), and
        // are a copy nobody else writes: decoding again cannot fail.
        (void)DecodeOp(&in, &op);
        ks_->Apply(op, /*now_ms=*/0);
        break;
      }
    }
  }
  if (b->progress != 0 && sizer_) sizer_->Progress(b->progress);
  b->items.clear();
  b->bytes.clear();
  b->progress = 0;
}

}  // namespace walnut
