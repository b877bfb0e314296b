// The storage seam: everything the game server persists goes through PlayerStore, so SQLite
// (the embedded default) and PostgreSQL (for many instances) serve the same callers.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/histogram.hpp"
#include "base/ids.hpp"

namespace rookery::store {

/// Outcome of a store request. `ok` means committed: a caller may tell the client "saved".
enum class Status {
  ok,
  not_found,
  username_taken,
  bad_credentials,
  banned,
  invalid,     // an argument failed validation (too long, bad characters)
  failed,      // database error or database unreachable; logged by the store with its cause
  overloaded,  // a store queue was full: refused at once, nothing was written; retry later
  abandoned,   // the caller was gone before the work began (StillWanted): nothing was done
};

/// A player as the game server needs it after login.
struct Player {
  PlayerId id = 0;
  std::string username;  // empty for guests
  std::string display_name;
  bool guest = false;
  bool created = false;         // true when this request created the account
  int64_t banned_until_ms = 0;  // unix ms; 0 = not banned
  std::string ban_reason;
};

/// Lifetime statistics of one player.
struct Stats {
  PlayerId player_id = 0;
  std::string display_name;
  int64_t total_score = 0;
  int64_t games_played = 0;
  int64_t best_score = 0;
  int64_t last_played_ms = 0;
};

/// One player's stint in one room, recorded when their seat is released or the room closes.
/// A player's stint in a room, as it stands: written when the seat is released, and as a
/// checkpoint every few seconds while the game runs (so a crash loses at most that much). A
/// checkpoint after the first (`continues`) updates the stint's row and adds only the score
/// gained since (`score - recorded_score`) to the player's stats.
struct MatchResult {
  PlayerId player_id = 0;
  std::string room_type;
  uint64_t room_id = 0;
  int64_t score = 0;
  int64_t started_ms = 0;      // unix ms; with player and room, names the stint
  int64_t ended_ms = 0;        // so far, for a checkpoint
  bool continues = false;      // an earlier checkpoint of this stint was written
  int64_t recorded_score = 0;  // the score that checkpoint wrote
};

/// Counters of the store's work, for metrics.
struct StoreMetrics {
  uint64_t transactions = 0;         // batches committed
  uint64_t errors = 0;               // failed requests and failed transactions
  uint64_t overloaded = 0;           // requests refused because a queue was at its bound
  uint64_t reconnects = 0;           // database connections re-opened after a loss
  LatencyHistogram commit_duration;  // seconds per batch transaction, BEGIN to COMMIT
};

/// Thread-safe asynchronous player store. Every method queues work and returns at once;
/// the callback runs later on a store-owned thread (keep it short: post to your own thread).
/// A callback reporting Status::ok runs only after the transaction holding the write committed.
class PlayerStore {
 public:
  using PlayerCallback = std::function<void(Status, Player)>;
  using StatusCallback = std::function<void(Status)>;
  using StatsCallback = std::function<void(Status, Stats)>;
  using TopCallback = std::function<void(Status, std::vector<Stats>)>;
  /// Asked (on a store thread) just before a password is hashed: false if whoever asked has gone
  /// (the client disconnected), so the hash is skipped and the answer is `abandoned`. Empty:
  /// always wanted.
  using StillWanted = std::function<bool()>;

  virtual ~PlayerStore() = default;

  /// Whether login_guest may create the account for an unknown device.
  enum class NewGuest { allowed, refused };
  /// Finds or (when `create` allows) creates the guest player bound to `device_id`;
  /// not_found for an unknown device that may not be created (a per-address limit).
  virtual void login_guest(std::string device_id, std::string display_name, NewGuest create,
                           PlayerCallback done) = 0;
  /// login_guest that may create the account.
  void login_guest(std::string device_id, std::string display_name, PlayerCallback done) {
    login_guest(std::move(device_id), std::move(display_name), NewGuest::allowed, std::move(done));
  }
  /// Creates a password account; username_taken if it exists.
  virtual void register_password(std::string username, std::string password,
                                 std::string display_name, PlayerCallback done,
                                 StillWanted wanted) = 0;
  /// register_password for a caller that stays.
  void register_password(std::string username, std::string password, std::string display_name,
                         PlayerCallback done) {
    register_password(std::move(username), std::move(password), std::move(display_name),
                      std::move(done), {});
  }
  /// Verifies a password; bad_credentials for an unknown user or a wrong password.
  virtual void login_password(std::string username, std::string password, PlayerCallback done,
                              StillWanted wanted) = 0;
  /// login_password for a caller that stays.
  void login_password(std::string username, std::string password, PlayerCallback done) {
    login_password(std::move(username), std::move(password), std::move(done), {});
  }
  /// Records finished stints and adds them to each player's stats, in one transaction.
  virtual void record_matches(std::vector<MatchResult> results, StatusCallback done) = 0;
  /// Reads one player's stats; not_found for an unknown id.
  virtual void get_stats(PlayerId player, StatsCallback done) = 0;
  /// The `limit` players with the highest total score, best first.
  virtual void top_players(uint32_t limit, TopCallback done) = 0;
  /// Reads one player (for admin tools); not_found for an unknown id.
  virtual void find_player(PlayerId player, PlayerCallback done) = 0;
  /// Bans `player` until `until_ms` (unix ms; 0 lifts the ban) with a reason shown at login;
  /// logins then get Status::banned. not_found for an unknown id.
  virtual void ban(PlayerId player, int64_t until_ms, std::string reason, StatusCallback done) = 0;
  /// Blocks until every request queued before this call has run and committed.
  virtual void flush() = 0;
  /// Number of requests queued and not yet run (for metrics).
  virtual size_t queue_depth() const = 0;
  /// A copy of the store's counters.
  virtual StoreMetrics metrics() const = 0;
  /// True while the database answers (for /readyz): false after a lost connection or a failed
  /// transaction until the store has reconnected or committed again. Cheap; any thread.
  virtual bool healthy() const { return true; }
};

}  // namespace rookery::store
