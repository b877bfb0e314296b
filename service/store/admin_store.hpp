// The admin console's storage seam: admin users (roles, passwords), the audit log of admin
// actions, and read-only player search for the console. Implemented by SqliteStore beside
// PlayerStore, on the same writer thread and KDF pool.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "store/player_store.hpp"

namespace rookery::store {

/// An admin console user (never carries the password hash).
struct AdminUser {
  int64_t id = 0;
  std::string username;
  std::string role;  // "viewer", "operator" or "admin"
  int64_t created_ms = 0;
  int64_t last_login_ms = 0;  // unix ms; 0 = never logged in
};

/// One admin action, successful or not.
struct AuditEntry {
  int64_t id = 0;      // assigned by the store; ignored by append_audit
  int64_t at_ms = 0;   // unix ms; append_audit fills in now when 0
  std::string actor;   // who: admin username (or "env", "cli" for the tools)
  std::string action;  // what: e.g. "player.ban"
  std::string target;  // on what: e.g. "player:42"
  std::string detail;  // free text: reason, message
  bool ok = false;
};

/// One row of a player search.
struct PlayerSummary {
  Player player;              // `created` is always false here
  Stats stats;                // zeros for a player who never finished a stint
  int64_t created_ms = 0;     // unix ms
  int64_t last_login_ms = 0;  // unix ms ("last seen")
};

/// Everything the console shows about one player.
struct PlayerDetail {
  Player player;
  Stats stats;
  std::vector<MatchResult> recent_matches;  // newest first (by ended_ms), at most 20
  int64_t created_ms = 0;
  int64_t last_login_ms = 0;
};

/// Roles from least to most powerful: viewer reads; operator also acts on rooms and players;
/// admin also manages admin users.
inline constexpr std::string_view kAdminRoles[] = {"viewer", "operator", "admin"};

/// 1 for viewer, 2 for operator, 3 for admin, 0 for anything else (compare ranks for "at least").
inline int admin_role_rank(std::string_view role) {
  for (int i = 0; i < 3; ++i) {
    if (kAdminRoles[i] == role) return i + 1;
  }
  return 0;
}

/// True for a username create_admin accepts: 3..32 of [A-Za-z0-9_.-] (the player rule).
bool valid_admin_username(std::string_view username);

/// Thread-safe asynchronous admin store; the same contract as PlayerStore: every method checks
/// its input, queues work and returns at once; the callback runs later on a store-owned thread
/// (keep it short), and Status::ok means the transaction holding the write committed. Invalid
/// input is answered with Status::invalid, also through a store thread.
class AdminStore {
 public:
  using AdminStatusCallback = std::function<void(Status)>;
  using AdminCallback = std::function<void(Status, AdminUser)>;
  using AdminListCallback = std::function<void(Status, std::vector<AdminUser>)>;
  using CountCallback = std::function<void(Status, int64_t)>;
  using AuditCallback = std::function<void(Status, std::vector<AuditEntry>)>;
  using SearchCallback = std::function<void(Status, std::vector<PlayerSummary>)>;
  using DetailCallback = std::function<void(Status, PlayerDetail)>;

  static constexpr size_t kPasswordMin = 8, kPasswordMax = 256;           // bytes, as for players
  static constexpr size_t kAuditActorMax = 64, kAuditActionMax = 64;      // bytes
  static constexpr size_t kAuditTargetMax = 256, kAuditDetailMax = 2048;  // bytes
  static constexpr uint32_t kMaxAuditPage = 500;                          // list_audit rows at most
  static constexpr size_t kMaxSearchQuery = 64;       // search_players query bytes at most
  static constexpr uint32_t kMaxSearchResults = 200;  // search_players rows at most
  static constexpr uint32_t kRecentMatches = 20;      // PlayerDetail::recent_matches at most

  virtual ~AdminStore() = default;

  /// Creates an admin user: invalid for a bad username (valid_admin_username), a password
  /// outside kPasswordMin..kPasswordMax bytes or an unknown role; username_taken if the name
  /// exists in any case. The password is hashed with Argon2id on the KDF pool.
  virtual void create_admin(std::string username, std::string password, std::string role,
                            AdminStatusCallback done) = 0;
  /// Checks a password and records the login time; bad_credentials for an unknown user or a
  /// wrong password (both cost one Argon2id verify), invalid for a malformed name or length.
  virtual void verify_admin(std::string username, std::string password, AdminCallback done) = 0;
  /// Every admin user, oldest first.
  virtual void list_admins(AdminListCallback done) = 0;
  /// How many admin users exist.
  virtual void count_admins(CountCallback done) = 0;
  /// Appends `entry` (its id is ignored; at_ms 0 means now). Fields longer than their k*Max are
  /// cut at a character boundary; invalid UTF-8 and control characters become '?'. invalid if
  /// actor or action is empty or at_ms is negative.
  virtual void append_audit(AuditEntry entry, AdminStatusCallback done) = 0;
  /// Up to `limit` (at most kMaxAuditPage) entries with id < `before_id` (0 = from the newest),
  /// newest first; pass the last id of a page to get the next. invalid if before_id < 0.
  virtual void list_audit(uint32_t limit, int64_t before_id, AuditCallback done) = 0;
  /// Players matching `query` (spaces around it ignored), most recently seen first, at most
  /// `limit` (capped at kMaxSearchResults). An all-digit query also matches that id exactly
  /// (listed first); otherwise names match by case-insensitive (ASCII) prefix of display_name or
  /// username, with % and _ taken literally. An empty query lists the most recently seen players.
  /// invalid for a query longer than kMaxSearchQuery bytes or with control characters.
  virtual void search_players(std::string query, uint32_t limit, SearchCallback done) = 0;
  /// One player with stats and recent matches; not_found for an unknown id.
  virtual void player_detail(PlayerId player, DetailCallback done) = 0;
};

}  // namespace rookery::store
