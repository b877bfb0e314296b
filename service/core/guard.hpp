// The game's front door against hostile clients: the per-address and per-account limits, in one
// place. Connections per address, new accounts per address, password failures per account
// and per address (with backoff), rooms per player and per address. Thread-safe (sessions on
// every shard call it); memory is bounded (the least recently used entries are forgotten first,
// never a whole table, so a spray of addresses cannot reset anyone's backoff); time is passed in.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

#include "base/address.hpp"
#include "base/ids.hpp"
#include "config/config.hpp"

namespace rookery::core {

/// What the limits are (from config::LimitsConfig and RoomsConfig); 0 turns a limit off.
struct GuardSettings {
  uint32_t connections_per_address = 64;
  uint32_t accounts_per_address_per_minute = 10;
  uint32_t password_failures_per_account = 5;   // free failures before the backoff starts
  uint32_t password_failures_per_address = 20;  // the same, per address
  uint32_t rooms_per_player = 3;                // rooms a player created that are still open
  uint32_t rooms_per_address = 10;
  base::AddressRanges exempt;   // addresses the per-address limits do not apply to
  size_t max_entries = 100000;  // per table
};

/// The settings from the configuration (limits_exempt must parse: config validation checks it).
GuardSettings guard_settings(const config::LimitsConfig& limits, const config::RoomsConfig& rooms);

/// The limits, each counted in rookery_limit_refusals_total{limit}.
enum class Limit : uint8_t {
  connections_per_address,
  new_accounts_per_address,
  password_account,
  password_address,
  rooms_per_player,
  rooms_per_address,
  rooms_per_node,
};
inline constexpr size_t kLimitCount = 7;
/// The metric label of a limit.
const char* to_string(Limit limit);

/// The per-address and per-account limits.
class Guard {
 public:
  explicit Guard(GuardSettings settings);

  /// Counts a new connection from `ip`; false (and counted) if the address has its cap already.
  bool open_connection(const std::string& ip);
  /// A connection that open_connection admitted ended.
  void close_connection(const std::string& ip);

  /// Takes one of the address's new-account tokens; false if none is left: a guest login may
  /// then use an existing account but not create one, a registration is refused (the caller
  /// counts a refusal with refused() only when an account was refused).
  bool take_new_account(const std::string& ip, int64_t now_ms);
  /// Gives a take_new_account token back (the login did not create an account).
  void refund_new_account(const std::string& ip);

  /// A password attempt for `account` from `ip`: 0 if it may go ahead (it is then counted as a
  /// failure until password_succeeded or password_unanswered says otherwise, so parallel
  /// guesses cannot all pass), else the milliseconds to wait (counted). The account's backoff
  /// does not apply to an address that logged in to it before, so an attacker elsewhere cannot
  /// lock the real player out; it is also capped at kAccountBackoffMaxMs.
  /// `which` tells which limit refused; `last_free` is set when this attempt, if wrong, starts
  /// a backoff (worth a log line).
  int64_t password_attempt(const std::string& account, const std::string& ip, int64_t now_ms,
                           Limit* which = nullptr, bool* last_free = nullptr);
  /// The attempt was right: the account's failures are cleared and `ip` is trusted for it.
  void password_succeeded(const std::string& account, const std::string& ip);
  /// The attempt got no answer (the store failed): it does not count.
  void password_unanswered(const std::string& account, const std::string& ip);

  /// A room made by `player` from `ip`: false (counted as `which`) if one of them has its cap.
  bool take_room(PlayerId player, const std::string& ip, Limit* which = nullptr);
  /// A room that take_room allowed was disposed.
  void room_gone(PlayerId player, const std::string& ip);

  /// The limits in force.
  const GuardSettings& settings() const { return settings_; }
  /// Counts a refusal decided elsewhere (rooms_per_node, new_accounts_per_address).
  void refused(Limit limit) { refusals_[static_cast<size_t>(limit)].fetch_add(1); }
  /// Refusals so far, by Limit.
  std::array<uint64_t, kLimitCount> refusals() const;

  static constexpr int64_t kBackoffBaseMs = 1000;           // the first wait past the free ones
  static constexpr int64_t kAccountBackoffMaxMs = 30000;    // short: the real player waits little
  static constexpr int64_t kAddressBackoffMaxMs = 600000;   // an address guessing: 10 minutes
  static constexpr int64_t kForgetFailuresMs = 15 * 60000;  // quiet this long: failures forgotten
  static constexpr size_t kTrustedPerAccount = 4;           // addresses remembered per account

 private:
  struct Failures {
    uint32_t count = 0;
    int64_t last_ms = 0;
    std::array<std::string, kTrustedPerAccount> trusted{};  // accounts only: good addresses
  };
  struct Bucket {
    double tokens = 0;
    int64_t last_ms = 0;
  };
  // A map whose least recently used entry goes when it is full.
  template <class V>
  class Lru {
   public:
    explicit Lru(size_t max) : max_(max) {}
    V& at(const std::string& key);  // found or made; now the most recent
    V* find(const std::string& key);
    void erase(const std::string& key);

   private:
    size_t max_;
    std::list<std::string> order_;  // most recent first
    std::unordered_map<std::string, std::pair<V, std::list<std::string>::iterator>> map_;
  };

  bool exempt(const std::string& ip) const { return settings_.exempt.contains(ip); }
  static int64_t wait_ms(const Failures& f, uint32_t free, int64_t cap, int64_t now_ms);
  void count(Limit limit) { refusals_[static_cast<size_t>(limit)].fetch_add(1); }

  const GuardSettings settings_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, uint32_t> connections_;  // address key -> open (exact)
  Lru<Bucket> new_accounts_;
  Lru<Failures> accounts_;
  Lru<Failures> addresses_;
  std::unordered_map<PlayerId, uint32_t> rooms_by_player_;
  std::unordered_map<std::string, uint32_t> rooms_by_address_;
  std::array<std::atomic<uint64_t>, kLimitCount> refusals_{};
};

}  // namespace rookery::core
