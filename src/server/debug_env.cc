#include "server/debug_env.h"

#include <chrono>
#include <thread>

namespace walnut::server {
namespace {

class DebugFile final : public walnut::WritableFile {
 public:
  DebugFile(DebugEnv* env, std::string path, std::unique_ptr<walnut::WritableFile> base)
      : env_(env), path_(std::move(path)), base_(std::move(base)) {}
  walnut::Status Append(std::string_view data) override { return base_->Append(data); }
  walnut::Status Allocate(uint64_t len) override { return base_->Allocate(len); }
  walnut::Status AllocateWritten(uint64_t len) override { return base_->AllocateWritten(len); }
  walnut::Status Sync() override {
    walnut::Status s = env_->BeforeSync(path_);
    if (!s.ok()) return s;
    return base_->Sync();
  }
  walnut::Status Close() override { return base_->Close(); }
  uint64_t Size() const override { return base_->Size(); }

 private:
  DebugEnv* const env_;
  const std::string path_;
  std::unique_ptr<walnut::WritableFile> base_;
};

}  // namespace

walnut::Status DebugEnv::BeforeSync(const std::string& path) {
  const int64_t ms = sync_delay_ms.load();
  if (ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  if (fail_sync.load()) {
    return walnut::Status::IOError("fdatasync " + path +
                                   ": Input/output error (injected by DEBUG SET-SYNC-FAIL)");
  }
  return walnut::Status::OK();
}

walnut::Result<std::unique_ptr<walnut::WritableFile>> DebugEnv::NewWritableFile(
    const std::string& path, bool exclusive) {
  auto f = base_->NewWritableFile(path, exclusive);
  if (!f.ok()) return f.status();
  return std::unique_ptr<walnut::WritableFile>(new DebugFile(this, path, std::move(*f)));
}

walnut::Result<std::unique_ptr<walnut::WritableFile>> DebugEnv::NewAppendableFile(
    const std::string& path, uint64_t offset) {
  auto f = base_->NewAppendableFile(path, offset);
  if (!f.ok()) return f.status();
  return std::unique_ptr<walnut::WritableFile>(new DebugFile(this, path, std::move(*f)));
}

}  // namespace walnut::server
