// Env: the engine's only door to the file system.
//
// No engine code calls open/write/fsync/rename itself; it goes through an
// Env, so tests can substitute one that injects faults (short writes, EIO,
// ENOSPC, lost unsynced data). Env::Default() is the POSIX implementation.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "walnut/status.h"

namespace walnut {

// A file written front to back. Append writes at the logical end (Size())
// and advances it; it writes everything or fails (short writes and EINTR are
// retried inside). Sync makes everything appended durable.
//
// The logical end is tracked by the file, not taken from the file system:
// after Allocate the file is longer than what was appended (the rest reads as
// zeros), and appends overwrite that preallocated space in place.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status Append(std::string_view data) = 0;
  // Reserves disk space so that the file can hold `len` bytes (from offset 0)
  // without a later write failing for want of space, and extends the file's
  // size to `len` if it is shorter (so that fdatasync after an overwrite need
  // not record a size change). NoSpace if the disk cannot hold it. Size() is
  // unchanged.
  virtual Status Allocate(uint64_t len) = 0;
  // Like Allocate, but the space past the current allocation is written with
  // zeros and synced, so its blocks are initialized rather than reserved
  // (ext4 and xfs keep fallocated blocks as "unwritten" extents, and the
  // first fdatasync after an append into one must journal its conversion).
  // Appends into written zeros are then synced with a data flush alone:
  // measured ~1.25x more synced appends per second on ext4. Costs writing
  // and syncing the bytes once. It writes only at and past the allocation,
  // so it may run while another thread appends below it. Files that cannot
  // tell the difference reserve as Allocate does.
  virtual Status AllocateWritten(uint64_t len) { return Allocate(len); }
  virtual Status Sync() = 0;  // fdatasync
  virtual Status Close() = 0;
  virtual uint64_t Size() const = 0;  // logical end: bytes appended so far (incl. existing)
};

// A file read at arbitrary offsets (pread).
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Reads up to n bytes at offset into scratch; *out points at what was read
  // (shorter only at end of file).
  virtual Status Read(uint64_t offset, size_t n, char* scratch, std::string_view* out) const = 0;
  virtual uint64_t Size() const = 0;
  // A hint that [offset, offset + n) will be read soon: the file system may
  // start reading it in the background, so that a sequential reader's disk
  // reads overlap its work on what it read before. Changes nothing else.
  virtual void WillNeed(uint64_t /*offset*/, size_t /*n*/) const {}
};

// Held for as long as the directory is in use; released on destruction.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

class Env {
 public:
  virtual ~Env() = default;
  static Env* Default();

  // Creates `path` (failing if it exists when exclusive), opened for append.
  virtual Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path,
                                                                bool exclusive) = 0;
  // Opens an existing file for appending at `offset`, its logical end: the
  // bytes from there on (a preallocated file's unused zeros) are kept and
  // overwritten by later appends.
  virtual Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path,
                                                                  uint64_t offset) = 0;
  virtual Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) = 0;

  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  virtual Status RemoveFile(const std::string& path) = 0;
  // Truncates `path` to `size` bytes and syncs it.
  virtual Status TruncateFile(const std::string& path, uint64_t size) = 0;
  // fsync of a directory: makes creations, renames and removals in it durable.
  virtual Status SyncDir(const std::string& dir) = 0;
  virtual Status CreateDirIfMissing(const std::string& dir) = 0;
  virtual Result<std::vector<std::string>> GetChildren(const std::string& dir) = 0;
  virtual Result<uint64_t> GetFileSize(const std::string& path) = 0;
  virtual bool FileExists(const std::string& path) = 0;
  // Takes an exclusive lock on `path` (created if needed) and writes our pid
  // in it. kBusy, naming the holder's pid, if another process has it.
  virtual Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) = 0;

  // Writes `data` to `path` atomically: temp file, fsync, rename, fsync dir.
  // A crash leaves either the old file or the new one, never a mix.
  Status WriteFileAtomically(const std::string& path, std::string_view data);
};

}  // namespace walnut
