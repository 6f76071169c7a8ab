// ParallelRunner: runs fn(0..n-1) on n threads at once (the caller's thread
// runs one of them) and waits for all. Threads are started once and kept, so
// a call costs a wake-up, not a thread creation: PartitionedDB uses it to
// sync several partitions' logs at the same time on every group commit.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace walnut {

class ParallelRunner {
 public:
  explicit ParallelRunner(uint32_t threads) {
    for (uint32_t i = 1; i < threads; i++) workers_.emplace_back([this, i] { Work(i); });
  }
  ~ParallelRunner() {
    {
      std::lock_guard<std::mutex> g(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
  }

  uint32_t size() const { return uint32_t(workers_.size() + 1); }

  // Runs fn(i) for i in [0, n), n <= size(). Calls do not overlap: a second
  // caller waits for the first to finish.
  void Run(uint32_t n, const std::function<void(uint32_t)>& fn) {
    std::lock_guard<std::mutex> one(run_mu_);
    {
      std::lock_guard<std::mutex> g(mu_);
      fn_ = &fn;
      jobs_ = n;
      pending_ = n > 0 ? n - 1 : 0;
      generation_++;
    }
    cv_.notify_all();
    if (n > 0) fn(0);
    std::unique_lock<std::mutex> g(mu_);
    done_cv_.wait(g, [this] { return pending_ == 0; });
    fn_ = nullptr;
  }

 private:
  void Work(uint32_t index) {
    uint64_t seen = 0;
    for (;;) {
      const std::function<void(uint32_t)>* fn;
      {
        std::unique_lock<std::mutex> g(mu_);
        cv_.wait(g, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
        if (index >= jobs_) continue;
        fn = fn_;
      }
      (*fn)(index);
      {
        std::lock_guard<std::mutex> g(mu_);
        if (--pending_ == 0) done_cv_.notify_all();
      }
    }
  }

  std::vector<std::thread> workers_;
  std::mutex run_mu_;
  std::mutex mu_;
  std::condition_variable cv_, done_cv_;
  const std::function<void(uint32_t)>* fn_ = nullptr;
  uint32_t jobs_ = 0;
  uint32_t pending_ = 0;
  uint64_t generation_ = 0;
  bool stop_ = false;
};

}  // namespace walnut
