// DebugEnv: the engine's Env as walnut-server runs it when the DEBUG command
// is enabled (--enable-debug-command yes|local). Everything goes to the
// wrapped Env, except that a file's Sync (fdatasync) can be slowed down
// (DEBUG SET-SYNC-DELAY <ms>) or made to fail (DEBUG SET-SYNC-FAIL 1): a
// debugging aid that lets a black-box test hold a group commit open long
// enough to observe what is sent meanwhile, and exercise the failure path of
// a real server. Both are off by default; without DEBUG enabled the engine
// runs on the plain Env and none of this exists.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "walnut/env.h"

namespace walnut::server {

class DebugEnv final : public walnut::Env {
 public:
  explicit DebugEnv(walnut::Env* base) : base_(base) {}

  // Milliseconds every Sync sleeps before syncing (0: none).
  std::atomic<int64_t> sync_delay_ms{0};
  // While set, every Sync fails with EIO (after the delay), as a failing
  // disk's fdatasync would; the engine then refuses writes until restart.
  std::atomic<bool> fail_sync{false};

  walnut::Result<std::unique_ptr<walnut::WritableFile>> NewWritableFile(const std::string& path,
                                                                        bool exclusive) override;
  walnut::Result<std::unique_ptr<walnut::WritableFile>> NewAppendableFile(const std::string& path,
                                                                          uint64_t offset) override;
  walnut::Result<std::unique_ptr<walnut::RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) override {
    return base_->NewRandomAccessFile(path);
  }
  walnut::Status RenameFile(const std::string& from, const std::string& to) override {
    return base_->RenameFile(from, to);
  }
  walnut::Status RemoveFile(const std::string& path) override { return base_->RemoveFile(path); }
  walnut::Status TruncateFile(const std::string& path, uint64_t size) override {
    return base_->TruncateFile(path, size);
  }
  walnut::Status SyncDir(const std::string& dir) override { return base_->SyncDir(dir); }
  walnut::Status CreateDirIfMissing(const std::string& dir) override {
    return base_->CreateDirIfMissing(dir);
  }
  walnut::Result<std::vector<std::string>> GetChildren(const std::string& dir) override {
    return base_->GetChildren(dir);
  }
  walnut::Result<uint64_t> GetFileSize(const std::string& path) override {
    return base_->GetFileSize(path);
  }
  bool FileExists(const std::string& path) override { return base_->FileExists(path); }
  walnut::Result<std::unique_ptr<walnut::FileLock>> LockFile(const std::string& path) override {
    return base_->LockFile(path);
  }

  // What a wrapped file's Sync does first: the delay, then the failure.
  walnut::Status BeforeSync(const std::string& path);

 private:
  walnut::Env* const base_;
};

}  // namespace walnut::server
