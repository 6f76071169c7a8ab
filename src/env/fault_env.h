// FaultEnv: an Env wrapper for tests that makes chosen calls fail, the seam
// through which tests prove that a failed write or sync is never reported
// as success — and that simulates a power cut: every byte appended since a
// file's last successful Sync is dropped (or, "torn", only a random part of
// it survives), as a machine losing its page cache would. It forwards
// everything else to the wrapped Env.
#pragma once

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>

#include "walnut/env.h"

namespace walnut {

class FaultEnv : public Env {
 public:
  explicit FaultEnv(Env* base) : base_(base) {}

  // Each knob fails every matching call while set.
  std::atomic<bool> fail_append{false};
  std::atomic<bool> fail_sync{false};
  std::atomic<bool> no_space{false};  // appends fail with ENOSPC
  std::atomic<int> appends{0};
  std::atomic<int> syncs{0};

  // A simulated power cut. From now on every write, sync, rename and lock
  // fails ("powered off"), so the process can be closed without touching the
  // disk; each file is cut back to what was synced (torn: plus a random
  // prefix of the unsynced bytes, as out-of-order writeback might leave), and
  // directory locks are released. Call PowerOn() before reopening.
  void PowerCut(bool torn, uint64_t seed) {
    std::lock_guard<std::mutex> g(mu_);
    powered_off_ = true;
    std::mt19937_64 rng(seed);
    for (auto& [path, synced] : synced_) {
      std::error_code ec;
      uint64_t size = std::filesystem::file_size(path, ec);
      if (ec || size <= synced) continue;
      uint64_t keep = synced + (torn ? rng() % (size - synced + 1) : 0);
      std::filesystem::resize_file(path, keep, ec);
    }
    synced_.clear();
    locks_.clear();
  }
  void PowerOn() {
    std::lock_guard<std::mutex> g(mu_);
    powered_off_ = false;
  }

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path,
                                                        bool exclusive) override {
    if (Off()) return Status::IOError("powered off");
    auto f = base_->NewWritableFile(path, exclusive);
    if (!f.ok()) return f.status();
    Track(path, 0);
    return Wrap(path, std::move(*f));
  }
  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override {
    if (Off()) return Status::IOError("powered off");
    auto f = base_->NewAppendableFile(path);
    if (!f.ok()) return f.status();
    Track(path, (*f)->Size());  // what exists already is taken as durable
    return Wrap(path, std::move(*f));
  }
  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& p) override {
    return base_->NewRandomAccessFile(p);
  }
  Status RenameFile(const std::string& a, const std::string& b) override {
    if (Off()) return Status::IOError("powered off");
    Status st = base_->RenameFile(a, b);
    if (st.ok()) {
      std::lock_guard<std::mutex> g(mu_);
      auto it = synced_.find(a);
      if (it != synced_.end()) {
        synced_[b] = it->second;
        synced_.erase(it);
      }
    }
    return st;
  }
  Status RemoveFile(const std::string& p) override { return base_->RemoveFile(p); }
  Status TruncateFile(const std::string& p, uint64_t n) override {
    if (Off()) return Status::IOError("powered off");
    Status st = base_->TruncateFile(p, n);
    if (st.ok()) Track(p, n);
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
  void Track(const std::string& path, uint64_t synced) {
    std::lock_guard<std::mutex> g(mu_);
    synced_[path] = synced;
  }
  void Synced(const std::string& path, uint64_t size) {
    std::lock_guard<std::mutex> g(mu_);
    if (!powered_off_) synced_[path] = size;
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
    File(FaultEnv* env, std::string path, std::unique_ptr<WritableFile> f)
        : env_(env), path_(std::move(path)), f_(std::move(f)) {}
    Status Append(std::string_view data) override {
      if (env_->Off()) return Status::IOError("powered off");
      env_->appends++;
      if (env_->no_space) return Status::NoSpace("injected: write: No space left on device");
      if (env_->fail_append) return Status::IOError("injected: write: Input/output error");
      return f_->Append(data);
    }
    Status Sync() override {
      if (env_->Off()) return Status::IOError("powered off");
      env_->syncs++;
      if (env_->fail_sync) return Status::IOError("injected: fdatasync: Input/output error");
      Status st = f_->Sync();
      if (st.ok()) env_->Synced(path_, f_->Size());
      return st;
    }
    Status Close() override { return f_->Close(); }
    uint64_t Size() const override { return f_->Size(); }

   private:
    FaultEnv* env_;
    std::string path_;
    std::unique_ptr<WritableFile> f_;
  };
  std::unique_ptr<WritableFile> Wrap(const std::string& path, std::unique_ptr<WritableFile> f) {
    return std::make_unique<File>(this, path, std::move(f));
  }
  Env* base_;
  std::mutex mu_;
  bool powered_off_ = false;                // guarded by mu_
  std::map<std::string, uint64_t> synced_;  // path -> bytes known durable
  std::map<std::string, std::shared_ptr<FileLock>> locks_;
};

}  // namespace walnut
