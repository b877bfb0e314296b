// Match results are scores players earned: a burst of them (every player of a full node leaving
// in the same second: 15,000 seat releases) must wait, not be refused by the store's bounded
// queue. The writer keeps one batch at the store at a time and gathers the rest in memory, so
// results take one queue slot however many arrive, and keep their order (a stint's checkpoint
// updates the row its first write inserted).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <vector>

#include "store/player_store.hpp"

namespace rookery::core {

/// Hands match results to the store one batch at a time. Thread-safe: rooms on every shard add.
class MatchWriter {
 public:
  /// `on_failure` hears a batch the store could not save (Status::failed: the store logged why).
  MatchWriter(store::PlayerStore& store, std::function<void(store::Status, size_t)> on_failure);
  MatchWriter(const MatchWriter&) = delete;
  MatchWriter& operator=(const MatchWriter&) = delete;

  /// Queues results; they go out at once if no batch is at the store, else with the next one.
  void add(std::vector<store::MatchResult> results);
  /// Sends what waits if nothing is at the store: after an overloaded answer, the server's
  /// once-a-second housekeeping calls this, so results never wait for the next add().
  void retry();
  /// Waits until every result added so far was answered, or until `deadline`; true if all were.
  bool flush(std::chrono::steady_clock::time_point deadline);
  /// Results waiting or at the store.
  size_t pending() const;

 private:
  void send_locked(std::unique_lock<std::mutex>& lock);
  void answered(store::Status status, std::vector<store::MatchResult> batch);

  store::PlayerStore& store_;
  std::function<void(store::Status, size_t)> on_failure_;
  mutable std::mutex mu_;
  std::condition_variable settled_;
  std::vector<store::MatchResult> waiting_;
  size_t in_flight_ = 0;    // results in the batch at the store; 0: none
  bool retry_due_ = false;  // the last batch was refused (overloaded): wait for retry()
};

}  // namespace rookery::core
