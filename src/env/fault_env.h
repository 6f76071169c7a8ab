// FaultEnv: an Env wrapper for tests that makes chosen calls fail, the seam
// through which tests prove that a failed write or sync is never reported
// as success. It forwards everything else to the wrapped Env.
#pragma once

#include <atomic>
#include <memory>
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

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path,
                                                        bool exclusive) override {
    auto f = base_->NewWritableFile(path, exclusive);
    if (!f.ok()) return f.status();
    return Wrap(std::move(*f));
  }
  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override {
    auto f = base_->NewAppendableFile(path);
    if (!f.ok()) return f.status();
    return Wrap(std::move(*f));
  }
  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& p) override {
    return base_->NewRandomAccessFile(p);
  }
  Status RenameFile(const std::string& a, const std::string& b) override {
    return base_->RenameFile(a, b);
  }
  Status RemoveFile(const std::string& p) override { return base_->RemoveFile(p); }
  Status TruncateFile(const std::string& p, uint64_t n) override { return base_->TruncateFile(p, n); }
  Status SyncDir(const std::string& d) override { return base_->SyncDir(d); }
  Status CreateDirIfMissing(const std::string& d) override { return base_->CreateDirIfMissing(d); }
  Result<std::vector<std::string>> GetChildren(const std::string& d) override {
    return base_->GetChildren(d);
  }
  Result<uint64_t> GetFileSize(const std::string& p) override { return base_->GetFileSize(p); }
  bool FileExists(const std::string& p) override { return base_->FileExists(p); }
  Result<std::unique_ptr<FileLock>> LockFile(const std::string& p) override {
    return base_->LockFile(p);
  }

 private:
  class File : public WritableFile {
   public:
    File(FaultEnv* env, std::unique_ptr<WritableFile> f) : env_(env), f_(std::move(f)) {}
    Status Append(std::string_view data) override {
      env_->appends++;
      if (env_->no_space) return Status::NoSpace("injected: write: No space left on device");
      if (env_->fail_append) return Status::IOError("injected: write: Input/output error");
      return f_->Append(data);
    }
    Status Sync() override {
      env_->syncs++;
      if (env_->fail_sync) return Status::IOError("injected: fdatasync: Input/output error");
      return f_->Sync();
    }
    Status Close() override { return f_->Close(); }
    uint64_t Size() const override { return f_->Size(); }

   private:
    FaultEnv* env_;
    std::unique_ptr<WritableFile> f_;
  };
  std::unique_ptr<WritableFile> Wrap(std::unique_ptr<WritableFile> f) {
    return std::make_unique<File>(this, std::move(f));
  }
  Env* base_;
};

}  // namespace walnut
