#include "store/batch_executor.hpp"

#include <algorithm>
#include <exception>
#include <stdexcept>
#include <utility>

#include "base/clock.hpp"
#include "base/log.hpp"
#include "store/worker_pool.hpp"

namespace rookery::store {

BatchExecutor::BatchExecutor(const ExecutorOptions& options, ConnectFn connect, const void* owner)
    : options_(options), connect_(std::move(connect)), owner_(owner) {
  if (options_.batch_max == 0) throw std::runtime_error("store batch_max must be at least 1");
  if (options_.queue_max == 0) throw std::runtime_error("store queue_max must be at least 1");
  const uint32_t lanes = 1 + options_.read_connections;
  // Every connection first, threads last: a failure leaves no thread behind.
  for (uint32_t i = 0; i < lanes; ++i) {
    auto lane = std::make_unique<Lane>();
    lane->writer = i == 0;
    lane->name = i == 0 ? "store-writer" : "store-read-" + std::to_string(i);
    lane->backoff = options_.reconnect_min;
    lane->conn = connect_();
    lanes_.push_back(std::move(lane));
  }
  for (auto& lane : lanes_) lane->thread = std::thread([this, l = lane.get()] { lane_loop(*l); });
}

BatchExecutor::~BatchExecutor() {
  stop();
}

void BatchExecutor::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  write_cv_.notify_all();
  read_cv_.notify_all();
  for (auto& lane : lanes_) {
    if (lane->thread.joinable()) lane->thread.join();
  }
}

std::unique_ptr<Request> BatchExecutor::submit(std::unique_ptr<Request> request) {
  const bool to_readers = request->read_only && options_.read_connections > 0;
  {
    std::lock_guard lock(mu_);
    if (stopping_ || writes_.size() + reads_.size() >= options_.queue_max) {
      std::lock_guard metrics_lock(metrics_mu_);
      ++metrics_.overloaded;
      return request;
    }
    if (to_readers) {
      request->after_write = write_seq_;
      reads_.push_back(std::move(request));
    } else {
      request->sequence = ++write_seq_;
      writes_.push_back(std::move(request));
    }
  }
  if (to_readers) {
    read_cv_.notify_one();
  } else {
    write_cv_.notify_one();
  }
  return nullptr;
}

size_t BatchExecutor::depth() const {
  std::lock_guard lock(mu_);
  return writes_.size() + reads_.size();
}

bool BatchExecutor::healthy() const {
  return lanes_down_.load(std::memory_order_relaxed) == 0 &&
         !last_batch_failed_.load(std::memory_order_relaxed);
}

void BatchExecutor::count_overloaded() {
  std::lock_guard lock(metrics_mu_);
  ++metrics_.overloaded;
}

StoreMetrics BatchExecutor::metrics() const {
  std::lock_guard lock(metrics_mu_);
  return metrics_;
}

// Takes up to batch_max runnable requests for `lane`, waiting for them; false once the lane
// should end (stopping and nothing left for it). An empty batch with true means: the wait ended
// so that a lost connection can be retried.
bool BatchExecutor::take_batch(Lane& lane, std::vector<std::unique_ptr<Request>>& batch) {
  std::unique_lock lock(mu_);
  auto& queue = lane.writer ? writes_ : reads_;
  auto& cv = lane.writer ? write_cv_ : read_cv_;
  // A read may run once the writes submitted before it have completed (read-your-writes).
  const auto runnable = [&] {
    return !queue.empty() && (lane.writer || queue.front()->after_write <= written_seq_);
  };
  const auto wake = [&] { return runnable() || (stopping_ && queue.empty()); };
  if (lane.conn) {
    cv.wait(lock, wake);
  } else if (!cv.wait_until(lock, lane.next_attempt, wake)) {
    return true;  // time to retry the connection
  }
  if (!runnable()) return false;  // stopping, and everything for this lane has run
  while (runnable() && batch.size() < options_.batch_max) {
    batch.push_back(std::move(queue.front()));
    queue.pop_front();
  }
  return true;
}

void BatchExecutor::lane_loop(Lane& lane) {
  current_store_owner() = owner_;
  name_thread(lane.name.c_str());
  std::vector<std::unique_ptr<Request>> batch;
  while (take_batch(lane, batch)) {
    if (batch.empty()) {
      ensure_connected(lane);
      continue;
    }
    run_batch(lane, batch);
    if (lane.writer) {
      {
        std::lock_guard lock(mu_);
        written_seq_ = batch.back()->sequence;
      }
      read_cv_.notify_all();
    }
    batch.clear();
  }
}

// Opens the lane's connection if it has none and a retry is due. The first retry comes
// reconnect_min after the loss, then each waits twice as long, up to reconnect_max, so a
// database that is down is not hammered.
bool BatchExecutor::ensure_connected(Lane& lane) {
  if (lane.conn && lane.conn->usable()) return true;
  if (lane.conn) {
    lane.conn.reset();
    lanes_down_.fetch_add(1, std::memory_order_relaxed);
    lane.next_attempt = std::chrono::steady_clock::now() + lane.backoff;
    log::warn("store: connection lost; requests fail until it is back",
              {{"lane", lane.name}, {"retry_in_ms", std::to_string(lane.backoff.count())}});
    return false;
  }
  const auto now = std::chrono::steady_clock::now();
  if (now < lane.next_attempt) return false;
  try {
    lane.conn = connect_();
  } catch (const std::exception& e) {
    lane.backoff = std::min(lane.backoff * 2, options_.reconnect_max);
    lane.next_attempt = now + lane.backoff;
    log::warn("store: reconnect failed", {{"lane", lane.name},
                                          {"error", e.what()},
                                          {"retry_in_ms", std::to_string(lane.backoff.count())}});
    return false;
  }
  lane.backoff = options_.reconnect_min;
  lanes_down_.fetch_sub(1, std::memory_order_relaxed);
  // A new connection (opened, statements prepared) shows the database answers again.
  if (lane.writer) last_batch_failed_.store(false, std::memory_order_relaxed);
  {
    std::lock_guard lock(metrics_mu_);
    ++metrics_.reconnects;
  }
  log::info("store: reconnected", {{"lane", lane.name}});
  return true;
}

// One transaction for the whole batch: one commit (one fsync) for up to batch_max requests is
// what makes "ok means committed" affordable.
void BatchExecutor::run_batch(Lane& lane, std::vector<std::unique_ptr<Request>>& batch) {
  std::vector<Status> statuses(batch.size(), Status::failed);
  bool committed = false;
  const int64_t now_ms = unix_millis();
  const auto started = std::chrono::steady_clock::now();
  // A connection found dead at BEGIN (the server restarted while this lane was idle) has run
  // nothing yet: reopen it at once and try the batch again, so a restart costs no request.
  for (int attempt = 0; attempt < 2 && ensure_connected(lane); ++attempt) {
    sql::Connection& db = *lane.conn;
    bool begun = false;
    try {
      db.begin();
      begun = true;
      for (size_t i = 0; i < batch.size(); ++i) statuses[i] = run_one(db, *batch[i], now_ms);
      db.commit();
      committed = true;
    } catch (const std::exception& e) {
      log::error(
          "store: transaction failed, its requests report failed",
          {{"lane", lane.name}, {"error", e.what()}, {"requests", std::to_string(batch.size())}});
      if (db.usable()) db.rollback_quietly();
    }
    if (committed || db.usable()) break;
    ensure_connected(lane);  // drops the dead connection
    if (begun) break;
    lane.next_attempt = std::chrono::steady_clock::now();
  }
  // A write transaction that fails says the database is in trouble (locked, full, gone) until
  // one commits again; a reader's trouble shows as a lost connection.
  if (lane.writer) last_batch_failed_.store(!committed, std::memory_order_relaxed);
  {
    std::lock_guard lock(metrics_mu_);
    if (committed) {
      ++metrics_.transactions;
      metrics_.commit_duration.observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    } else {
      ++metrics_.errors;
    }
    for (const Status st : statuses) metrics_.errors += st == Status::failed ? 1 : 0;
  }
  // Only now may callers hear "ok": the commit above returned.
  for (size_t i = 0; i < batch.size(); ++i) {
    try {
      batch[i]->complete(committed ? statuses[i] : Status::failed);
    } catch (const std::exception& e) {
      log::error("store: completing a request threw", {{"error", e.what()}});
    }
  }
}

// A savepoint per request keeps one bad request (a constraint, a bad id) from poisoning the
// others in its batch. Throws only if the transaction itself is lost.
Status BatchExecutor::run_one(sql::Connection& db, Request& request, int64_t now_ms) {
  db.savepoint();
  Status status = Status::failed;
  try {
    status = request.execute(db, now_ms);
  } catch (const sql::Error& e) {
    if (e.kind() == sql::Error::Kind::connection) throw;
    log::error("store: request failed", {{"error", e.what()}});
  } catch (const std::exception& e) {
    log::error("store: request failed", {{"error", e.what()}});
  }
  if (!db.usable()) throw sql::Error(sql::Error::Kind::connection, "connection lost");
  if (!db.in_transaction()) {
    // Some errors (SQLite: disk full, I/O) roll back the whole transaction by themselves.
    throw std::runtime_error("the database rolled back the transaction after a request error");
  }
  if (status != Status::ok) db.rollback_to();
  db.release();
  return status;
}

}  // namespace rookery::store
