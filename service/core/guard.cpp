#include "core/guard.hpp"

#include <algorithm>

namespace rookery::core {

const char* to_string(Limit limit) {
  switch (limit) {
    case Limit::connections_per_address:
      return "connections_per_address";
    case Limit::new_accounts_per_address:
      return "new_accounts_per_address";
    case Limit::password_account:
      return "password_account";
    case Limit::password_address:
      return "password_address";
    case Limit::rooms_per_player:
      return "rooms_per_player";
    case Limit::rooms_per_address:
      return "rooms_per_address";
    case Limit::rooms_per_node:
      return "rooms_per_node";
  }
  return "unknown";
}

template <class V>
V& Guard::Lru<V>::at(const std::string& key) {
  auto it = map_.find(key);
  if (it != map_.end()) {
    order_.splice(order_.begin(), order_, it->second.second);
    return it->second.first;
  }
  if (map_.size() >= max_ && !order_.empty()) {
    map_.erase(order_.back());
    order_.pop_back();
  }
  order_.push_front(key);
  return map_.emplace(key, std::make_pair(V{}, order_.begin())).first->second.first;
}

template <class V>
V* Guard::Lru<V>::find(const std::string& key) {
  auto it = map_.find(key);
  return it == map_.end() ? nullptr : &it->second.first;
}

template <class V>
void Guard::Lru<V>::erase(const std::string& key) {
  auto it = map_.find(key);
  if (it == map_.end()) return;
  order_.erase(it->second.second);
  map_.erase(it);
}

Guard::Guard(GuardSettings settings)
    : settings_(std::move(settings)),
      new_accounts_(settings_.max_entries),
      accounts_(settings_.max_entries),
      addresses_(settings_.max_entries) {}

bool Guard::open_connection(const std::string& ip) {
  if (settings_.connections_per_address == 0 || exempt(ip)) return true;
  std::lock_guard lock(mu_);
  uint32_t& open = connections_[base::address_key(ip)];
  if (open >= settings_.connections_per_address) {
    count(Limit::connections_per_address);
    return false;
  }
  ++open;
  return true;
}

void Guard::close_connection(const std::string& ip) {
  if (settings_.connections_per_address == 0 || exempt(ip)) return;
  std::lock_guard lock(mu_);
  auto it = connections_.find(base::address_key(ip));
  if (it == connections_.end()) return;
  if (--it->second == 0) connections_.erase(it);
}

GuardSettings guard_settings(const config::LimitsConfig& limits, const config::RoomsConfig& rooms) {
  GuardSettings out;
  out.connections_per_address = limits.max_connections_per_address;
  out.accounts_per_address_per_minute = limits.accounts_per_address_per_minute;
  out.password_failures_per_account = limits.password_failures_per_account;
  out.password_failures_per_address = limits.password_failures_per_address;
  out.rooms_per_player = rooms.max_rooms_per_player;
  out.rooms_per_address = rooms.max_rooms_per_address;
  out.exempt = base::AddressRanges::parse(limits.limits_exempt);
  return out;
}

// A token bucket per address: a burst of `per_minute`, refilled at per_minute a minute.
bool Guard::take_new_account(const std::string& ip, int64_t now_ms) {
  const uint32_t per_minute = settings_.accounts_per_address_per_minute;
  if (per_minute == 0 || exempt(ip)) return true;
  const std::string key = base::address_key(ip);
  std::lock_guard lock(mu_);
  const bool fresh = new_accounts_.find(key) == nullptr;
  Bucket& b = new_accounts_.at(key);
  if (fresh) {
    b.tokens = per_minute;
  } else {
    const double refill = static_cast<double>(now_ms - b.last_ms) * per_minute / 60000.0;
    b.tokens = std::min<double>(per_minute, b.tokens + std::max(0.0, refill));
  }
  b.last_ms = now_ms;
  if (b.tokens < 1) return false;  // counted by the caller if an account was refused
  b.tokens -= 1;
  return true;
}

void Guard::refund_new_account(const std::string& ip) {
  const uint32_t per_minute = settings_.accounts_per_address_per_minute;
  if (per_minute == 0 || exempt(ip)) return;
  std::lock_guard lock(mu_);
  if (Bucket* b = new_accounts_.find(base::address_key(ip))) {
    b->tokens = std::min<double>(per_minute, b->tokens + 1);
  }
}

// Past `free` failures each one doubles the wait, from kBackoffBaseMs up to `cap`, counted
// from the last failure; failures are forgotten after kForgetFailuresMs without one.
int64_t Guard::wait_ms(const Failures& f, uint32_t free, int64_t cap, int64_t now_ms) {
  if (free == 0 || f.count < free) return 0;
  const uint32_t over = f.count - free;  // 0 for the first failure past the free ones
  const int64_t delay = over >= 20 ? cap : std::min(cap, kBackoffBaseMs << over);
  return std::max<int64_t>(0, f.last_ms + delay - now_ms);
}

int64_t Guard::password_attempt(const std::string& account, const std::string& ip, int64_t now_ms,
                                Limit* which, bool* last_free) {
  std::lock_guard lock(mu_);
  const std::string key = base::address_key(ip);
  const bool address_limited = settings_.password_failures_per_address > 0 && !exempt(ip);
  Failures& acc = accounts_.at(account);
  if (now_ms - acc.last_ms > kForgetFailuresMs) acc.count = 0;
  Failures* addr = address_limited ? &addresses_.at(key) : nullptr;
  if (addr && now_ms - addr->last_ms > kForgetFailuresMs) addr->count = 0;

  const bool trusted = std::find(acc.trusted.begin(), acc.trusted.end(), key) != acc.trusted.end();
  const int64_t account_wait =
      trusted ? 0
              : wait_ms(acc, settings_.password_failures_per_account, kAccountBackoffMaxMs, now_ms);
  const int64_t address_wait =
      addr ? wait_ms(*addr, settings_.password_failures_per_address, kAddressBackoffMaxMs, now_ms)
           : 0;
  if (account_wait > 0 || address_wait > 0) {
    const Limit limit =
        address_wait >= account_wait ? Limit::password_address : Limit::password_account;
    count(limit);
    if (which) *which = limit;
    return std::max(account_wait, address_wait);
  }
  // Counted now, taken back on success: parallel guesses all see each other.
  if (!trusted) {
    ++acc.count;
    acc.last_ms = now_ms;
  }
  if (addr) {
    ++addr->count;
    addr->last_ms = now_ms;
  }
  if (last_free) {
    *last_free = (!trusted && acc.count == settings_.password_failures_per_account) ||
                 (addr && addr->count == settings_.password_failures_per_address);
  }
  return 0;
}

void Guard::password_succeeded(const std::string& account, const std::string& ip) {
  std::lock_guard lock(mu_);
  const std::string key = base::address_key(ip);
  Failures& acc = accounts_.at(account);
  acc.count = 0;
  if (std::find(acc.trusted.begin(), acc.trusted.end(), key) == acc.trusted.end()) {
    // The most recent good addresses, newest first.
    std::rotate(acc.trusted.rbegin(), acc.trusted.rbegin() + 1, acc.trusted.rend());
    acc.trusted[0] = key;
  }
  // The address's own count keeps its failures at other accounts; only this attempt goes.
  if (Failures* addr = addresses_.find(key); addr && addr->count > 0) --addr->count;
}

void Guard::password_unanswered(const std::string& account, const std::string& ip) {
  std::lock_guard lock(mu_);
  if (Failures* acc = accounts_.find(account); acc && acc->count > 0) --acc->count;
  if (Failures* addr = addresses_.find(base::address_key(ip)); addr && addr->count > 0) {
    --addr->count;
  }
}

bool Guard::take_room(PlayerId player, const std::string& ip, Limit* which) {
  std::lock_guard lock(mu_);
  const bool by_address = settings_.rooms_per_address > 0 && !exempt(ip);
  const std::string key = base::address_key(ip);
  if (settings_.rooms_per_player > 0 && rooms_by_player_[player] >= settings_.rooms_per_player) {
    count(Limit::rooms_per_player);
    if (which) *which = Limit::rooms_per_player;
    return false;
  }
  if (by_address && rooms_by_address_[key] >= settings_.rooms_per_address) {
    count(Limit::rooms_per_address);
    if (which) *which = Limit::rooms_per_address;
    return false;
  }
  ++rooms_by_player_[player];
  ++rooms_by_address_[key];
  return true;
}

void Guard::room_gone(PlayerId player, const std::string& ip) {
  std::lock_guard lock(mu_);
  if (auto it = rooms_by_player_.find(player); it != rooms_by_player_.end() && --it->second == 0) {
    rooms_by_player_.erase(it);
  }
  const std::string key = base::address_key(ip);
  if (auto it = rooms_by_address_.find(key); it != rooms_by_address_.end() && --it->second == 0) {
    rooms_by_address_.erase(it);
  }
}

std::array<uint64_t, kLimitCount> Guard::refusals() const {
  std::array<uint64_t, kLimitCount> out{};
  for (size_t i = 0; i < kLimitCount; ++i) out[i] = refusals_[i].load();
  return out;
}

}  // namespace rookery::core
