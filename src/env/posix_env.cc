// PosixEnv: Env on Linux system calls.
//
// Why each call is safe:
// - write() may write less than asked or be interrupted (EINTR); Append loops
//   until everything is written or a real error occurs, so a record is never
//   half-handed to the OS while we believe it whole.
// - fdatasync() is used for data files: it flushes the data and the metadata
//   needed to read it back (the file size), which is all recovery needs.
// - Files are written with pwrite at an offset the file object tracks, not
//   with O_APPEND: a log segment is preallocated (posix_fallocate, which
//   also extends its size), and appends overwrite the preallocated zeros in
//   place. Then fdatasync has no size change to journal (measured on ext4:
//   ~1.45x more synced 128-byte writes per second), and a write can no
//   longer fail for want of space.
// - A new or renamed name only survives power loss once its directory is
//   fsync'ed, hence SyncDir after every create/rename/remove that matters.
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>

#include "walnut/env.h"

namespace walnut {
namespace {

Status ErrnoStatus(const std::string& what, const std::string& path, int err) {
  std::string msg = what + " " + path + ": " + std::strerror(err);
  // A file-size limit (RLIMIT_FSIZE: EFBIG) stops the log as a full disk
  // does, and is handled the same way: the write is refused up front.
  if (err == ENOSPC || err == EDQUOT || err == EFBIG) return Status::NoSpace(msg);
  if (err == ENOENT) return Status::NotFound(msg);
  return Status::IOError(msg);
}

class PosixWritableFile final : public WritableFile {
 public:
  // `size`: the logical end, where appends go; `allocated`: the file's size
  // on disk (>= size for a preallocated file).
  PosixWritableFile(std::string path, int fd, uint64_t size, uint64_t allocated)
      : path_(std::move(path)), fd_(fd), size_(size), allocated_(std::max(size, allocated)) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }

  Status Append(std::string_view data) override {
    const char* p = data.data();
    size_t left = data.size();
    while (left > 0) {
      ssize_t n = ::pwrite(fd_, p, left, off_t(size_));
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus("write", path_, errno);
      }
      p += n;
      left -= size_t(n);
      size_ += uint64_t(n);
    }
    RaiseAllocated(size_);
    return Status::OK();
  }

  Status Allocate(uint64_t len) override {
    const uint64_t from = allocated_.load();
    if (len <= from) return Status::OK();
    // posix_fallocate reserves the blocks (unwritten extents on ext4/xfs, so
    // this is quick) and extends the size; glibc falls back to writing a byte
    // per block on file systems without fallocate. It reports the error as
    // its return value, not in errno.
    int err;
    do {
      err = ::posix_fallocate(fd_, off_t(from), off_t(len - from));
    } while (err == EINTR);
    if (err != 0) return ErrnoStatus("fallocate", path_, err);
    RaiseAllocated(len);
    return Status::OK();
  }

  Status AllocateWritten(uint64_t len) override {
    const uint64_t from = allocated_.load();
    if (len <= from) return Status::OK();
    // Plain writes of zeros: a full disk fails them with ENOSPC (ext4's
    // delayed allocation reserves the blocks at write time), and the sync
    // below allocates them for good. The allocation moves only after that
    // sync succeeded, so a failed attempt reserves nothing the caller counts
    // on (the bytes it wrote read as zeros, as preallocated space does).
    static const std::string kZeros(1 << 20, '\0');
    for (uint64_t off = from; off < len;) {
      const size_t n = size_t(std::min<uint64_t>(kZeros.size(), len - off));
      ssize_t w = ::pwrite(fd_, kZeros.data(), n, off_t(off));
      if (w < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus("write", path_, errno);
      }
      off += uint64_t(w);
    }
    Status s = Sync();
    if (!s.ok()) return s;
    RaiseAllocated(len);
    return Status::OK();
  }

  Status Sync() override {
    while (::fdatasync(fd_) != 0) {
      if (errno == EINTR) continue;
      // Never retried by callers: after a failed fsync the kernel may have
      // dropped the dirty pages, so a later "successful" fsync proves nothing.
      return ErrnoStatus("fdatasync", path_, errno);
    }
    return Status::OK();
  }

  Status Close() override {
    if (fd_ < 0) return Status::OK();
    int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) return ErrnoStatus("close", path_, errno);
    return Status::OK();
  }

  uint64_t Size() const override { return size_; }

 private:
  std::string path_;
  int fd_;
  uint64_t size_;  // logical end: the next append goes here
  // The file's size (reserved space included). Atomic: AllocateWritten may
  // run in one thread while Append runs in another (env.h).
  std::atomic<uint64_t> allocated_;

  void RaiseAllocated(uint64_t to) {
    uint64_t cur = allocated_.load();
    while (cur < to && !allocated_.compare_exchange_weak(cur, to)) {
    }
  }
};

class PosixRandomAccessFile final : public RandomAccessFile {
 public:
  PosixRandomAccessFile(std::string path, int fd, uint64_t size)
      : path_(std::move(path)), fd_(fd), size_(size) {}
  ~PosixRandomAccessFile() override { ::close(fd_); }

  Status Read(uint64_t offset, size_t n, char* scratch, std::string_view* out) const override {
    size_t got = 0;
    while (got < n) {
      ssize_t r = ::pread(fd_, scratch + got, n - got, off_t(offset + got));
      if (r < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus("pread", path_, errno);
      }
      if (r == 0) break;  // end of file
      got += size_t(r);
    }
    *out = std::string_view(scratch, got);
    return Status::OK();
  }
  uint64_t Size() const override { return size_; }
  void WillNeed(uint64_t offset, size_t n) const override {
    // Asynchronous readahead into the page cache; a failure only loses the hint.
    (void)::posix_fadvise(fd_, off_t(offset), off_t(n), POSIX_FADV_WILLNEED);
  }

 private:
  std::string path_;
  int fd_;
  uint64_t size_;
};

class PosixFileLock final : public FileLock {
 public:
  explicit PosixFileLock(int fd) : fd_(fd) {}
  ~PosixFileLock() override {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }

 private:
  int fd_;
};

class PosixEnv final : public Env {
 public:
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path,
                                                        bool exclusive) override {
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (exclusive ? O_EXCL : O_TRUNC);
    int fd = ::open(path.c_str(), flags, 0644);
    if (fd < 0) return ErrnoStatus("create", path, errno);
    return std::unique_ptr<WritableFile>(new PosixWritableFile(path, fd, 0, 0));
  }

  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path,
                                                          uint64_t offset) override {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("open", path, errno);
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      int e = errno;
      ::close(fd);
      return ErrnoStatus("stat", path, e);
    }
    if (offset > uint64_t(st.st_size)) {
      ::close(fd);
      return Status::InvalidArgument("append offset " + std::to_string(offset) +
                                     " is past the end of " + path);
    }
    return std::unique_ptr<WritableFile>(
        new PosixWritableFile(path, fd, offset, uint64_t(st.st_size)));
  }

  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("open", path, errno);
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      int e = errno;
      ::close(fd);
      return ErrnoStatus("stat", path, e);
    }
    return std::unique_ptr<RandomAccessFile>(
        new PosixRandomAccessFile(path, fd, uint64_t(st.st_size)));
  }

  Status RenameFile(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return ErrnoStatus("rename", from, errno);
    return Status::OK();
  }

  Status RemoveFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return ErrnoStatus("unlink", path, errno);
    return Status::OK();
  }

  Status TruncateFile(const std::string& path, uint64_t size) override {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("open", path, errno);
    Status s;
    if (::ftruncate(fd, off_t(size)) != 0) {
      s = ErrnoStatus("truncate", path, errno);
    } else if (::fsync(fd) != 0) {
      s = ErrnoStatus("fsync", path, errno);
    }
    ::close(fd);
    return s;
  }

  Status SyncDir(const std::string& dir) override {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("open directory", dir, errno);
    Status s;
    if (::fsync(fd) != 0) s = ErrnoStatus("fsync directory", dir, errno);
    ::close(fd);
    return s;
  }

  Status CreateDirIfMissing(const std::string& dir) override {
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
      return ErrnoStatus("mkdir", dir, errno);
    }
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0) return ErrnoStatus("stat", dir, errno);
    if (!S_ISDIR(st.st_mode))
      return Status::InvalidArgument(dir + " exists and is not a directory");
    return Status::OK();
  }

  Result<std::vector<std::string>> GetChildren(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (!d) return ErrnoStatus("opendir", dir, errno);
    std::vector<std::string> names;
    while (struct dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(std::move(name));
    }
    ::closedir(d);
    return names;
  }

  Result<uint64_t> GetFileSize(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return ErrnoStatus("stat", path, errno);
    return uint64_t(st.st_size);
  }

  bool FileExists(const std::string& path) override { return ::access(path.c_str(), F_OK) == 0; }

  Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return ErrnoStatus("open lock file", path, errno);
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      int e = errno;
      char buf[32] = {0};
      ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
      ::close(fd);
      if (e == EWOULDBLOCK) {
        std::string pid = n > 0 ? std::string(buf, size_t(n)) : "unknown";
        while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
        return Status::Busy("data directory is in use by another process (pid " + pid +
                            "); lock file " + path);
      }
      return ErrnoStatus("lock", path, e);
    }
    // The pid is informational (for the error above); the flock is the lock.
    std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
      // Not fatal: the lock itself is held.
    }
    return std::unique_ptr<FileLock>(new PosixFileLock(fd));
  }
};

}  // namespace

Env* Env::Default() {
  static PosixEnv env;
  return &env;
}

Status Env::WriteFileAtomically(const std::string& path, std::string_view data) {
  std::string tmp = path + ".tmp";
  auto file = NewWritableFile(tmp, /*exclusive=*/false);
  if (!file.ok()) return file.status();
  Status s = (*file)->Append(data);
  if (s.ok()) s = (*file)->Sync();  // data durable before the name points at it
  if (s.ok()) s = (*file)->Close();
  if (s.ok()) s = RenameFile(tmp, path);
  if (s.ok()) {
    auto slash = path.find_last_of('/');
    s = SyncDir(slash == std::string::npos ? "." : path.substr(0, slash));
  }
  if (!s.ok()) (void)RemoveFile(tmp);
  return s;
}

}  // namespace walnut
