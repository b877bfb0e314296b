// Internal to store/: the store's thread plumbing shared by every dialect: a bounded pool of
// threads running posted tasks (password hashing, replies), and the marker that lets flush()
// refuse to wait for its own thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace rookery::store {

/// The store (by address) owning the calling thread, or nullptr for threads of no store.
const void*& current_store_owner();

/// Names the calling thread (shown by top -H and gdb); failure is harmless.
void name_thread(const char* name);

/// A few threads running posted tasks in order of arrival. Thread-safe.
class WorkerPool {
 public:
  /// `max_pending` bounds the queued tasks (0 = no bound); `thread_name` is at most 15 bytes.
  WorkerPool(const void* owner, std::string thread_name, size_t max_pending);
  /// Runs what is queued, then joins.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  /// Starts `threads` threads; call once.
  void start(uint32_t threads);
  /// Queues `task` (a throw from it is logged and dropped); false, and nothing queued, if the
  /// queue is at its bound or the pool is stopping.
  bool post(std::function<void()> task);
  /// Tasks queued and not yet started.
  size_t pending() const;
  /// Runs what is queued, then joins the threads. Idempotent.
  void stop();

 private:
  void run();

  const void* owner_;
  std::string thread_name_;
  size_t max_pending_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

/// Logs a callback that threw (used by call_safely).
void log_callback_error(const char* what);

/// Calls a user callback; a throw must not kill a store thread (it is logged).
template <class F, class... Args>
void call_safely(const F& f, Args&&... args) {
  if (!f) return;
  try {
    f(std::forward<Args>(args)...);
  } catch (const std::exception& e) {
    log_callback_error(e.what());
  } catch (...) {
    log_callback_error("unknown exception");
  }
}

}  // namespace rookery::store
