// FaultEnv: an Env wrapper for tests that makes chosen calls fail, the seam
// through which tests prove that a failed write or sync is never reported
// as success — and that simulates a power cut: every byte appended since a
// file's last successful Sync is dropped (or, "torn", only a random part of
// it survives), as a machine losing its page cache would. It forwards
// everything else to the wrapped Env.
//
// Preallocation is modelled as ext4 behaves: a file's size as of its last
// Sync survives a cut (Allocate extends it), and appended bytes inside that
// size that were not synced read back as zeros (the unwritten extents) —
// torn: a random prefix of them survives, zeros after it. A full disk
// (no_space) fails Allocate and any append past the file's reserved size;
// appends into reserved space still succeed, as on a real file system.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>

#include "walnut/env.h"

namespace walnut {

class FaultEnv : public Env {
 public:
  explicit FaultEnv(Env* base) : base_(base) {}

  // Each knob fails every matching call while set.
  std::atomic<bool> fail_append{false};
  std::atomic<bool> fail_sync{false};
  std::atomic<bool> fail_rename{false};  // RenameFile fails with EIO
  std::atomic<bool> no_space{false};     // Allocate and appends past it fail with ENOSPC
  // A short write: the next appends write only the first half of their bytes,
  // then fail with EIO (a write(2) that stopped part way, then an error).
  std::atomic<bool> short_append{false};
  // AllocateWritten waits this long before it writes its zeros: a test
  // widens the window in which a writer could wrongly write beside it.
  std::atomic<int> allocate_written_delay_ms{0};
  std::atomic<int> allocates{0};
  std::atomic<int> appends{0};
  std::atomic<int> syncs{0};

  // A simulated power cut. From now on every write, sync, rename, removal
  // and lock fails ("powered off"), so the process can be closed without
  // touching the disk; each file is cut back to what was synced (torn: plus
  // a random prefix of the unsynced bytes, as out-of-order writeback might
  // leave), and directory locks are released. Call PowerOn() before
  // reopening.
  void PowerCut(bool torn, uint64_t seed) {
    std::lock_guard<std::mutex> g(mu_);
    powered_off_ = true;
    std::mt19937_64 rng(seed);
    for (auto& [path, st] : files_) {
      std::error_code ec;
      uint64_t size = std::filesystem::file_size(path, ec);
      if (ec) continue;
      // Bytes appended but not synced: [synced_data, written). Without
      // preallocation they lie past the durable size and are cut off; inside
      // a preallocated (durable) size they become zeros.
      uint64_t written = std::max(st.written, st.synced_data);
      uint64_t keep = st.synced_data;
      if (torn && written > keep) keep += rng() % (written - keep + 1);
      uint64_t new_size = std::min(size, std::max(st.synced_size, keep));
      uint64_t zero_end = std::min(written, new_size);
      if (zero_end > keep) ZeroRange(path, keep, zero_end - keep);
      if (new_size != size) std::filesystem::resize_file(path, new_size, ec);
    }
    files_.clear();
    locks_.clear();
  }
  void PowerOn() {
    std::lock_guard<std::mutex> g(mu_);
    powered_off_ = false;
  }

  // Creating a file whose name (without its directory) begins with `prefix`
  // fails with EIO from now on; an empty prefix ends this. For tests that
  // must keep the engine from making a file it could do without, e.g. the
  // next log segment made ahead ("next-segment-").
  void FailCreating(std::string prefix) {
    std::lock_guard<std::mutex> g(mu_);
    fail_create_prefix_ = std::move(prefix);
  }
  // The power fails at the next rename to a file whose name begins with
  // `prefix`: right before it (the rename does not happen) or right after
  // it. The cut is PowerCut(torn, seed); the rename reports "powered off".
  // For cuts in the middle of a create-then-rename sequence.
  void CutAtRename(std::string prefix, bool after_it, bool torn, uint64_t seed) {
    std::lock_guard<std::mutex> g(mu_);
    cut_at_rename_ = RenameCut{std::move(prefix), after_it, torn, seed};
  }

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path,
                                                        bool exclusive) override {
    if (Off()) return Status::IOError("powered off");
    {
      std::lock_guard<std::mutex> g(mu_);
      if (!fail_create_prefix_.empty() &&
          std::filesystem::path(path).filename().string().rfind(fail_create_prefix_, 0) == 0) {
        return Status::IOError("injected: open " + path + ": Input/output error");
      }
    }
    auto f = base_->NewWritableFile(path, exclusive);
    if (!f.ok()) return f.status();
    Track(path, 0, 0);
    return Wrap(path, std::move(*f), 0);
  }
  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path,
                                                          uint64_t offset) override {
    if (Off()) return Status::IOError("powered off");
    auto f = base_->NewAppendableFile(path, offset);
    if (!f.ok()) return f.status();
    // What exists already is taken as durable.
    std::error_code ec;
    uint64_t size = std::filesystem::file_size(path, ec);
    Track(path, (*f)->Size(), ec ? (*f)->Size() : size);
    return Wrap(path, std::move(*f), ec ? 0 : size);
  }
  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& p) override {
    return base_->NewRandomAccessFile(p);
  }
  Status RenameFile(const std::string& a, const std::string& b) override {
    if (Off()) return Status::IOError("powered off");
    if (fail_rename) return Status::IOError("injected rename failure: " + a);
    std::optional<RenameCut> cut;
    {
      std::lock_guard<std::mutex> g(mu_);
      if (cut_at_rename_ &&
          std::filesystem::path(b).filename().string().rfind(cut_at_rename_->prefix, 0) == 0) {
        cut = std::move(cut_at_rename_);
        cut_at_rename_.reset();
      }
    }
    if (cut && !cut->after_it) {
      PowerCut(cut->torn, cut->seed);
      return Status::IOError("powered off");
    }
    Status st = base_->RenameFile(a, b);
    if (st.ok()) {
      std::lock_guard<std::mutex> g(mu_);
      auto it = files_.find(a);
      if (it != files_.end()) {
        files_[b] = it->second;
        files_.erase(it);
      }
    }
    if (cut) {
      PowerCut(cut->torn, cut->seed);
      return Status::IOError("powered off");
    }
    return st;
  }
  Status RemoveFile(const std::string& p) override {
    // A machine without power removes nothing: what a failing step would
    // clean up after a cut stays for the next open to deal with.
    if (Off()) return Status::IOError("powered off");
    return base_->RemoveFile(p);
  }
  Status TruncateFile(const std::string& p, uint64_t n) override {
    if (Off()) return Status::IOError("powered off");
    Status st = base_->TruncateFile(p, n);
    if (st.ok()) Track(p, n, n);
    return st;
  }
  Status SyncDir(const std::string& d) override { return base_->SyncDir(d); }
  Status CreateDirIfMissing(const std::string& d) override { return base_->CreateDirIfMissing(d); }
  Result<std::vector<std::string>> GetChildren(const std::string& d) override {
    return base_->GetChildren(d);
  }
  Result<uint64_t> GetFileSize(const std::string& p) override { return base_->GetFileSize(p); }
  bool FileExists(const std::string& p) override { return base_->FileExists(p); }
  Result<std::unique_ptr<FileLock>> LockFile(const std::string& p) override {
    if (Off()) return Status::IOError("powered off");
    auto lock = base_->LockFile(p);
    if (!lock.ok()) return lock.status();
    // The env owns the real lock so a power cut can release it; the DB gets
    // a handle whose destruction releases it too.
    std::lock_guard<std::mutex> g(mu_);
    auto shared = std::shared_ptr<FileLock>(std::move(*lock));
    locks_[p] = shared;
    return std::unique_ptr<FileLock>(new LockHandle(this, p, shared));
  }

 private:
  bool Off() {
    std::lock_guard<std::mutex> g(mu_);
    return powered_off_;
  }
  struct RenameCut {
    std::string prefix;
    bool after_it;
    bool torn;
    uint64_t seed;
  };
  // What a power cut leaves of a file (see PowerCut).
  struct FileState {
    uint64_t synced_data = 0;  // logical end at the last sync: durable bytes
    uint64_t synced_size = 0;  // the file's size at the last sync (preallocation included)
    uint64_t written = 0;      // logical end now
  };
  void Track(const std::string& path, uint64_t data, uint64_t size) {
    std::lock_guard<std::mutex> g(mu_);
    files_[path] = FileState{data, size, data};
  }
  void Wrote(const std::string& path, uint64_t end) {
    std::lock_guard<std::mutex> g(mu_);
    if (powered_off_) return;
    FileState& st = files_[path];
    st.written = std::max(st.written, end);
  }
  // A sync that began when the file's logical end was `data` and its size
  // `size` (0: unknown) succeeded. Syncs of one file may overlap (the
  // background syncer and a writer's own sync) and finish in any order, so
  // each only raises what is durable: one that began earlier and finishes
  // later must not lower what a newer one already made durable. Neither
  // value shrinks here: a file gets shorter only through TruncateFile or a
  // reopen, which start its state over (Track). A sync that began before
  // such a truncate and finishes after it may raise synced_size past the
  // truncated size; PowerCut never grows a file, so that is harmless.
  void Synced(const std::string& path, uint64_t data, uint64_t size) {
    std::lock_guard<std::mutex> g(mu_);
    if (powered_off_) return;
    FileState& st = files_[path];
    st.synced_data = std::max(st.synced_data, data);
    st.written = std::max(st.written, data);
    st.synced_size = std::max(st.synced_size, size);
  }
  static void ZeroRange(const std::string& path, uint64_t off, uint64_t len) {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    if (!f) return;
    f.seekp(std::streamoff(off));
    std::string zeros(size_t(std::min<uint64_t>(len, 1 << 20)), '\0');
    while (len > 0) {
      size_t n = size_t(std::min<uint64_t>(len, zeros.size()));
      f.write(zeros.data(), std::streamsize(n));
      len -= n;
    }
  }

  class LockHandle : public FileLock {
   public:
    LockHandle(FaultEnv* env, std::string path, const std::shared_ptr<FileLock>& lock)
        : env_(env), path_(std::move(path)), lock_(lock) {}
    ~LockHandle() override {
      std::lock_guard<std::mutex> g(env_->mu_);
      auto it = env_->locks_.find(path_);
      if (it != env_->locks_.end() && it->second == lock_.lock()) env_->locks_.erase(it);
    }

   private:
    FaultEnv* env_;
    std::string path_;
    std::weak_ptr<FileLock> lock_;  // the env owns the lock (see LockFile)
  };

  class File : public WritableFile {
   public:
    File(FaultEnv* env, std::string path, std::unique_ptr<WritableFile> f, uint64_t allocated)
        : env_(env),
          path_(std::move(path)),
          f_(std::move(f)),
          allocated_(allocated),
          appended_(f_->Size()) {}
    Status Append(std::string_view data) override {
      if (env_->Off()) return Status::IOError("powered off");
      env_->appends++;
      // Space reserved by Allocate is the file's own: a full disk only
      // fails writes that grow the file.
      if (env_->no_space && f_->Size() + data.size() > allocated_.load()) {
        return Status::NoSpace("injected: write: No space left on device");
      }
      if (env_->fail_append) return Status::IOError("injected: write: Input/output error");
      if (env_->short_append) {
        Status st = f_->Append(data.substr(0, data.size() / 2));
        appended_ = f_->Size();
        if (st.ok()) env_->Wrote(path_, f_->Size());
        return Status::IOError("injected: short write, then: Input/output error");
      }
      Status st = f_->Append(data);
      appended_ = f_->Size();
      if (st.ok()) env_->Wrote(path_, f_->Size());
      return st;
    }
    Status Allocate(uint64_t len) override {
      if (env_->Off()) return Status::IOError("powered off");
      env_->allocates++;
      if (len <= allocated_.load()) return Status::OK();
      if (env_->no_space) return Status::NoSpace("injected: fallocate: No space left on device");
      Status st = f_->Allocate(len);
      if (st.ok()) allocated_.store(len);
      return st;
    }
    Status AllocateWritten(uint64_t len) override {
      if (env_->Off()) return Status::IOError("powered off");
      env_->allocates++;
      const uint64_t from = allocated_.load();
      if (len <= from) return Status::OK();
      if (env_->no_space) return Status::NoSpace("injected: write: No space left on device");
      // The contract at its loosest (env.h): zeros over [allocation at the
      // call, len), written late. An engine that let a record be placed
      // there meanwhile loses it.
      if (int ms = env_->allocate_written_delay_ms.load(); ms > 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(ms));
      }
      const uint64_t upto = appended_.load();
      Status st = f_->Allocate(len);
      if (st.ok()) {
        ZeroRange(path_, from, len - from);
        st = f_->Sync();
      }
      // Written and synced (a real fdatasync): what was appended before, and
      // the new size, survive a cut from now on.
      if (st.ok()) {
        allocated_.store(len);
        env_->Synced(path_, upto, len);
      }
      return st;
    }
    Status Sync() override {
      if (env_->Off()) return Status::IOError("powered off");
      env_->syncs++;
      if (env_->fail_sync) return Status::IOError("injected: fdatasync: Input/output error");
      // What a real fdatasync promises, and all the engine relies on: it
      // makes durable at least what was written before it began (it may
      // catch more). The engine syncs while another thread appends to the
      // same file (SyncWrittenNow), so the model takes the logical end and
      // the size from before the sync began: appended_, which the appending
      // thread stores, and the size on disk. Reading f_->Size() here would
      // race with that thread's Append, and would count bytes appended
      // during the sync as durable.
      const uint64_t upto = appended_.load();
      std::error_code ec;
      const uint64_t size = std::filesystem::file_size(path_, ec);
      Status st = f_->Sync();
      if (st.ok()) env_->Synced(path_, upto, ec ? 0 : size);
      return st;
    }
    Status Close() override { return f_->Close(); }
    uint64_t Size() const override { return f_->Size(); }

   private:
    FaultEnv* env_;
    std::string path_;
    std::unique_ptr<WritableFile> f_;
    // The file's size: appends below it need no new space. Atomic: the engine
    // grows a reservation (AllocateWritten) while another thread appends.
    std::atomic<uint64_t> allocated_;
    // The logical end after the last append, stored by the appending thread
    // so that a sync on another thread can read it (see Sync).
    std::atomic<uint64_t> appended_;
  };
  std::unique_ptr<WritableFile> Wrap(const std::string& path, std::unique_ptr<WritableFile> f,
                                     uint64_t allocated) {
    return std::make_unique<File>(this, path, std::move(f), allocated);
  }
  Env* base_;
  std::mutex mu_;
  bool powered_off_ = false;                // guarded by mu_
  std::string fail_create_prefix_;          // guarded by mu_ (FailCreating)
  std::optional<RenameCut> cut_at_rename_;  // guarded by mu_ (CutAtRename)
  std::map<std::string, FileState> files_;  // path -> what a power cut leaves
  std::map<std::string, std::shared_ptr<FileLock>> locks_;
};

}  // namespace walnut
