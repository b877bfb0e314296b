#include "store/worker_pool.hpp"

#include <pthread.h>

#include <exception>
#include <utility>

#include "base/log.hpp"

namespace rookery::store {

const void*& current_store_owner() {
  thread_local const void* owner = nullptr;
  return owner;
}

void name_thread(const char* name) {
#ifdef __linux__
  pthread_setname_np(pthread_self(), name);
#else
  (void)name;
#endif
}

void log_callback_error(const char* what) {
  log::error("store: callback threw", {{"error", what}});
}

WorkerPool::WorkerPool(const void* owner, std::string thread_name, size_t max_pending)
    : owner_(owner), thread_name_(std::move(thread_name)), max_pending_(max_pending) {}

WorkerPool::~WorkerPool() {
  stop();
}

void WorkerPool::start(uint32_t threads) {
  for (uint32_t i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

bool WorkerPool::post(std::function<void()> task) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || (max_pending_ != 0 && tasks_.size() >= max_pending_)) return false;
    tasks_.push_back(std::move(task));
  }
  cv_.notify_one();
  return true;
}

size_t WorkerPool::pending() const {
  std::lock_guard lock(mu_);
  return tasks_.size();
}

void WorkerPool::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

void WorkerPool::run() {
  current_store_owner() = owner_;
  name_thread(thread_name_.c_str());
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    try {
      task();
    } catch (const std::exception& e) {
      log::error("store: task threw", {{"thread", thread_name_}, {"error", e.what()}});
    }
  }
}

}  // namespace rookery::store
