#include "engine/wal_reader.h"

#include <algorithm>

#include "engine/wal_format.h"

namespace walnut::wal {
namespace {
constexpr uint64_t kChunk = 4 << 20;
}

Result<std::unique_ptr<SegmentReader>> SegmentReader::Open(Env* env, const std::string& path) {
  auto file = env->NewRandomAccessFile(path);
  if (!file.ok()) return file.status();
  std::unique_ptr<SegmentReader> r(new SegmentReader(std::move(*file), path));
  std::string_view head;
  Status s = r->Window(0, kSegmentHeaderSize, &head);
  if (!s.ok()) return s;
  s = DecodeSegmentHeader(head, &r->header_);
  if (!s.ok())
    return Status(s.IsNotSupported() ? s
                                     : Status::Corruption(path + " at offset 0: " + s.message()));
  r->offset_ = kSegmentHeaderSize;
  return r;
}

Status SegmentReader::Window(uint64_t off, uint64_t n, std::string_view* out) {
  uint64_t end = std::min(size_, off + n);
  if (off >= buf_off_ && end <= buf_off_ + buf_.size()) {
    *out = std::string_view(buf_).substr(off - buf_off_, end - off);
    return Status::OK();
  }
  uint64_t want = std::min(size_ - std::min(size_, off), std::max(n, kChunk));
  buf_.resize(want);
  std::string_view got;
  Status s = file_->Read(off, want, buf_.data(), &got);
  if (!s.ok()) return s;
  buf_.resize(got.size());
  buf_off_ = off;
  // Readers go through a file front to back (recovery, the snapshot loader):
  // have the next chunk read from disk while this one is worked on. Without
  // it a cold start waits for the disk at every chunk, then the disk waits
  // for the CPU.
  if (off + got.size() < size_) file_->WillNeed(off + got.size(), kChunk);
  *out = std::string_view(buf_).substr(0, std::min<uint64_t>(buf_.size(), end - off));
  return Status::OK();
}

SegmentReader::Outcome SegmentReader::Next(Record* rec, Status* io_error) {
  if (offset_ >= size_) return Outcome::kEnd;
  std::string_view head;
  *io_error = Window(offset_, kRecordHeaderSize, &head);
  if (!io_error->ok()) return Outcome::kDamage;
  uint64_t need = AnnouncedRecordSize(head);
  std::string_view data = head;
  if (need > kRecordHeaderSize) {
    // Only fetch the body when the header is intact, so a garbage length
    // cannot make us allocate gigabytes.
    Record probe;
    ParseStatus hs = ParseRecord(head, &probe);
    if (hs != ParseStatus::kBadHeader && offset_ + need <= size_) {
      *io_error = Window(offset_, need, &data);
      if (!io_error->ok()) return Outcome::kDamage;
    }
  }
  ParseStatus ps = ParseRecord(data, rec);
  if (ps != ParseStatus::kOk) {
    // Nothing but zeros from here to the end of the file: preallocated space
    // that was never written (or whose unsynced writes a power loss turned
    // back into zeros). That is where the log ends, not damage.
    uint64_t end = DataEnd(io_error);
    if (!io_error->ok()) return Outcome::kDamage;
    if (offset_ >= end) {
      zero_tail_ = true;
      return Outcome::kEnd;
    }
    damage_ = ps;
    return Outcome::kDamage;
  }
  offset_ += rec->size;
  return Outcome::kRecord;
}

uint64_t SegmentReader::DataEnd(Status* io_error) {
  if (data_end_ != UINT64_MAX) return data_end_;
  // Scan backwards in chunks: a segment without preallocated space ends in
  // a record's bytes, so this usually reads one chunk.
  constexpr uint64_t kBack = 1 << 20;
  std::string chunk;
  uint64_t end = size_;
  while (end > 0) {
    uint64_t from = end > kBack ? end - kBack : 0;
    chunk.resize(end - from);
    std::string_view got;
    *io_error = file_->Read(from, chunk.size(), chunk.data(), &got);
    if (!io_error->ok()) return size_;
    size_t n = got.size();
    while (n > 0 && got[n - 1] == 0) n--;
    if (n > 0) {
      data_end_ = from + n;
      return data_end_;
    }
    end = from;
  }
  data_end_ = 0;
  return data_end_;
}

bool SegmentReader::FindNextValid(uint64_t from, uint64_t* found, Status* io_error) {
  // A record cannot start in the zero tail, so don't search it (a 64 MiB
  // preallocated segment would take seconds to scan byte by byte).
  const uint64_t limit = DataEnd(io_error);
  if (!io_error->ok()) return false;
  for (uint64_t p = from; p < limit && p + kRecordHeaderSize <= size_; p++) {
    std::string_view head;
    *io_error = Window(p, kRecordHeaderSize, &head);
    if (!io_error->ok()) return false;
    Record rec;
    if (ParseRecord(head, &rec) == ParseStatus::kBadHeader) continue;  // cheap 16-bit filter
    uint64_t need = AnnouncedRecordSize(head);
    if (p + need > size_) continue;
    std::string_view data;
    *io_error = Window(p, need, &data);
    if (!io_error->ok()) return false;
    if (ParseRecord(data, &rec) == ParseStatus::kOk) {
      *found = p;
      return true;
    }
  }
  return false;
}

}  // namespace walnut::wal
