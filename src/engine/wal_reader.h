// SegmentReader: reads one segment file record by record, and tells a clean
// end of file from damage (with the offset and cause). It only reads; what a
// damage means (torn tail or corruption) is recovery's decision.
//
// A clean end is either the end of the file or, for a preallocated segment,
// a run of zero bytes from a record boundary to the end of the file: space
// reserved but never written. Any non-zero byte after the last record makes
// it damage instead (wal_format.md).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "engine/wal_record.h"
#include "walnut/env.h"
#include "walnut/status.h"

namespace walnut::wal {

class SegmentReader {
 public:
  enum class Outcome { kRecord, kEnd, kDamage };

  // Opens the file and reads its header; Corruption if the header is bad.
  static Result<std::unique_ptr<SegmentReader>> Open(Env* env, const std::string& path);

  const SegmentHeader& header() const { return header_; }
  uint64_t file_size() const { return size_; }
  // Offset of the record Next() will read, or of the damage it reported.
  uint64_t offset() const { return offset_; }
  ParseStatus damage() const { return damage_; }
  // After kEnd: true if the file ended in unwritten (zero) preallocated
  // space, which starts at offset().
  bool zero_tail() const { return zero_tail_; }
  // Offset just past the file's last non-zero byte: no record can start at
  // or after it (a valid record's type byte, at offset 12, is never zero).
  uint64_t DataEnd(Status* io_error);

  // kRecord: *rec is valid until the next call. kDamage: offset() and
  // damage() describe it; the reader stays at the damaged offset.
  Outcome Next(Record* rec, Status* io_error);
  // Looks for the first intact record starting after `from`; true and
  // *found set if there is one. Used to tell a torn tail (nothing valid
  // after the damage) from corruption in the middle.
  bool FindNextValid(uint64_t from, uint64_t* found, Status* io_error);
  // Continue reading at `offset` (after FindNextValid).
  void Seek(uint64_t offset) { offset_ = offset; }

 private:
  SegmentReader(std::unique_ptr<RandomAccessFile> file, std::string path)
      : file_(std::move(file)), path_(std::move(path)), size_(file_->Size()) {}
  // Makes buf_ cover [off, off+n) (or up to EOF); returns the view from off.
  Status Window(uint64_t off, uint64_t n, std::string_view* out);

  std::unique_ptr<RandomAccessFile> file_;
  std::string path_;
  uint64_t size_;
  SegmentHeader header_;
  uint64_t offset_ = 0;
  ParseStatus damage_ = ParseStatus::kOk;
  bool zero_tail_ = false;
  uint64_t data_end_ = UINT64_MAX;  // computed on first use
  std::string buf_;
  uint64_t buf_off_ = 0;
};

}  // namespace walnut::wal
