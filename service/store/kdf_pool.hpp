// Internal to store/: the password-hashing pool shared by every dialect. Argon2id takes tens of
// milliseconds, so it runs here and never on a database connection's thread; the queue is
// bounded so a login flood is refused at once instead of waiting for minutes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

#include "store/player_store.hpp"
#include "store/worker_pool.hpp"

namespace rookery::store {

/// Hashes and verifies passwords on `threads` threads. Thread-safe.
class KdfPool {
 public:
  /// Gets the answer to a refused password (the queue was full) to its caller on a store thread.
  using Refuse = std::function<void(std::function<void()> answer)>;

  /// `queue_max` passwords may wait at most (>= 1). Starts the threads and makes the dummy hash.
  KdfPool(const void* owner, uint32_t threads, size_t queue_max, Refuse refuse);
  KdfPool(const KdfPool&) = delete;
  KdfPool& operator=(const KdfPool&) = delete;

  /// Hashes `secret`, then calls next(ok, hash) (or next(failed, "") if hashing threw) on a KDF
  /// thread; next(overloaded, "") through `refuse` if the queue is full.
  /// `wanted` false when the task's turn comes: next(abandoned, "") without hashing.
  void hash(std::string secret, std::function<void(Status, std::string)> next,
            PlayerStore::StillWanted wanted = {});

  /// Verifies `secret` against `hash`, or against a dummy hash when `found` is false (an
  /// unknown name must cost one verify too, so timing does not reveal which names exist).
  /// next(ok) on a match, next(bad_credentials) otherwise, next(failed) if it threw;
  /// next(overloaded) through `refuse` if the queue is full.
  /// `wanted` as for hash.
  void verify(bool found, std::string hash, std::string secret, std::function<void(Status)> next,
              PlayerStore::StillWanted wanted = {});

  /// Passwords waiting.
  size_t pending() const { return pool_.pending(); }
  /// Runs what is queued, then joins.
  void stop() { pool_.stop(); }

 private:
  const std::string& dummy_hash();

  Refuse refuse_;
  std::once_flag dummy_once_;
  std::string dummy_;
  WorkerPool pool_;  // last: its threads use the members above
};

}  // namespace rookery::store
