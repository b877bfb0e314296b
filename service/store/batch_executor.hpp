// Internal to store/: the batching executor shared by every dialect. One writer connection runs
// queued writes in batches, one transaction per batch (group commit: one fsync for up to
// batch_max requests) and one savepoint per request; optional reader connections run reads the
// same way beside it. A lost connection fails its batch, and the lane reopens it with backoff.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/player_store.hpp"
#include "store/sql.hpp"

namespace rookery::store {

/// One unit of work for a connection, run inside a batch transaction.
class Request {
 public:
  virtual ~Request() = default;
  /// Runs on a lane thread inside the batch transaction. Any status but ok undoes this
  /// request's writes (its savepoint); a thrown exception counts as Status::failed.
  virtual Status execute(sql::Connection& db, int64_t now_ms) = 0;
  /// Runs after the transaction ended: `status` is execute()'s, or failed if it did not commit.
  virtual void complete(Status status) = 0;

  bool read_only = false;    // may run on a reader connection
  uint64_t sequence = 0;     // set by the executor: a write's place in the write order
  uint64_t after_write = 0;  // set by the executor: a read runs once this write has completed
};

/// Opens one connection with every statement prepared; throws std::exception naming the cause.
using ConnectFn = std::function<std::unique_ptr<sql::Connection>()>;

/// Settings of a BatchExecutor.
struct ExecutorOptions {
  uint32_t batch_max = 512;       // requests per transaction at most (>= 1)
  uint32_t queue_max = 10000;     // requests waiting at most (>= 1); more are refused
  uint32_t read_connections = 0;  // 0: reads run on the writer, in queue order
  std::chrono::milliseconds reconnect_min{100};   // first retry after a lost connection
  std::chrono::milliseconds reconnect_max{5000};  // retries back off (doubling) up to this
};

/// Runs Requests on a writer connection (and optional reader connections). Thread-safe.
/// Reads keep the writer's order: a read runs only after every write submitted before it has
/// completed, so it sees them.
class BatchExecutor {
 public:
  /// Opens every connection with `connect` (throws what it throws) and starts the threads.
  BatchExecutor(const ExecutorOptions& options, ConnectFn connect, const void* owner);
  /// Runs everything queued, then joins (stop()).
  ~BatchExecutor();
  BatchExecutor(const BatchExecutor&) = delete;
  BatchExecutor& operator=(const BatchExecutor&) = delete;

  /// Queues `request`; returns nullptr, or gives `request` back if the queue is at its bound
  /// (counted in StoreMetrics::overloaded) or the executor is stopping.
  std::unique_ptr<Request> submit(std::unique_ptr<Request> request);
  /// Requests queued and not yet started.
  size_t depth() const;
  /// True while every connection is open and the last transaction did not fail.
  bool healthy() const;
  /// Counts one request refused elsewhere in the store (a full KDF queue).
  void count_overloaded();
  /// A copy of the counters.
  StoreMetrics metrics() const;
  /// Runs everything queued, then joins the threads. Idempotent.
  void stop();

 private:
  struct Lane {
    bool writer = false;
    std::string name;
    std::unique_ptr<sql::Connection> conn;
    std::chrono::steady_clock::time_point next_attempt{};
    std::chrono::milliseconds backoff{};
    std::thread thread;
  };

  void lane_loop(Lane& lane);
  bool take_batch(Lane& lane, std::vector<std::unique_ptr<Request>>& batch);
  bool ensure_connected(Lane& lane);
  void run_batch(Lane& lane, std::vector<std::unique_ptr<Request>>& batch);
  Status run_one(sql::Connection& db, Request& request, int64_t now_ms);

  const ExecutorOptions options_;
  const ConnectFn connect_;
  const void* owner_;

  mutable std::mutex mu_;
  std::condition_variable write_cv_;
  std::condition_variable read_cv_;
  std::deque<std::unique_ptr<Request>> writes_;
  std::deque<std::unique_ptr<Request>> reads_;
  uint64_t write_seq_ = 0;    // sequence number of the last write submitted
  uint64_t written_seq_ = 0;  // ... and of the last one completed
  bool stopping_ = false;

  std::atomic<int> lanes_down_{0};
  std::atomic<bool> last_batch_failed_{false};

  mutable std::mutex metrics_mu_;
  StoreMetrics metrics_;

  std::vector<std::unique_ptr<Lane>> lanes_;
};

}  // namespace rookery::store
