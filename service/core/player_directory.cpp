#include "core/player_directory.hpp"

#include <stdexcept>

#include "base/random.hpp"
#include "rooms/room.hpp"

namespace rookery::core {

std::string PlayerDirectory::new_token() {
  // A token is a bearer credential for the seat: 128 bits from the kernel's CSPRNG.
  return random_hex_token();
}

Binding PlayerDirectory::bind(PlayerId player, const std::string& display_name,
                              SessionAddress address) {
  std::lock_guard lock(mu_);
  Entry& e = players_[player];
  Binding b;
  if (e.address.session != 0 && e.address.session != address.session) b.evicted = e.address;
  if (!e.token.empty()) tokens_.erase(e.token);
  e.token = new_token();
  tokens_[e.token] = player;
  e.display_name = display_name;
  e.address = address;
  e.disconnected_ms = 0;
  b.token = e.token;
  b.room = e.room;
  b.player = player;
  b.display_name = display_name;
  return b;
}

std::optional<Binding> PlayerDirectory::bind_token(const std::string& token, SessionAddress address,
                                                   int64_t now_ms, int64_t grace_ms) {
  std::lock_guard lock(mu_);
  auto t = tokens_.find(token);
  if (t == tokens_.end()) return std::nullopt;
  auto p = players_.find(t->second);
  if (p == players_.end()) return std::nullopt;
  Entry& e = p->second;
  if (e.address.session == 0 && now_ms - e.disconnected_ms > grace_ms) return std::nullopt;
  Binding b;
  if (e.address.session != 0 && e.address.session != address.session) b.evicted = e.address;
  // A token is single-use: the reconnected session gets a fresh one.
  tokens_.erase(t);
  e.token = new_token();
  tokens_[e.token] = p->first;
  e.address = address;
  e.disconnected_ms = 0;
  b.token = e.token;
  b.room = e.room;
  b.player = p->first;
  b.display_name = e.display_name;
  return b;
}

void PlayerDirectory::unbind(PlayerId player, SessionId session, int64_t now_ms) {
  std::lock_guard lock(mu_);
  auto it = players_.find(player);
  if (it == players_.end() || it->second.address.session != session) return;
  it->second.address = {};
  it->second.disconnected_ms = now_ms;
}

void PlayerDirectory::set_room(PlayerId player, const std::shared_ptr<rooms::Room>& room) {
  std::lock_guard lock(mu_);
  auto it = players_.find(player);
  if (it == players_.end()) return;
  it->second.room = room;
  it->second.room_id = room ? room->id() : 0;
}

void PlayerDirectory::clear_room(PlayerId player, RoomId room) {
  std::lock_guard lock(mu_);
  auto it = players_.find(player);
  if (it == players_.end() || it->second.room_id != room) return;
  it->second.room.reset();
  it->second.room_id = 0;
}

std::optional<OnlinePlayer> PlayerDirectory::forget(PlayerId player) {
  std::lock_guard lock(mu_);
  auto it = players_.find(player);
  if (it == players_.end()) return std::nullopt;
  const Entry& e = it->second;
  OnlinePlayer was{player, e.display_name, e.address, e.room_id};
  tokens_.erase(e.token);
  players_.erase(it);
  return was;
}

std::vector<PlayerId> PlayerDirectory::expire(int64_t now_ms, int64_t grace_ms) {
  std::lock_guard lock(mu_);
  std::vector<PlayerId> gone;
  for (auto it = players_.begin(); it != players_.end();) {
    const Entry& e = it->second;
    if (e.address.session == 0 && now_ms - e.disconnected_ms > grace_ms) {
      tokens_.erase(e.token);
      gone.push_back(it->first);
      it = players_.erase(it);
    } else {
      ++it;
    }
  }
  return gone;
}

std::optional<SessionAddress> PlayerDirectory::find(PlayerId player) const {
  std::lock_guard lock(mu_);
  auto it = players_.find(player);
  if (it == players_.end() || it->second.address.session == 0) return std::nullopt;
  return it->second.address;
}

std::optional<OnlinePlayer> PlayerDirectory::get(PlayerId player) const {
  std::lock_guard lock(mu_);
  auto it = players_.find(player);
  if (it == players_.end()) return std::nullopt;
  const Entry& e = it->second;
  return OnlinePlayer{player, e.display_name, e.address, e.room_id};
}

std::vector<OnlinePlayer> PlayerDirectory::list() const {
  std::lock_guard lock(mu_);
  std::vector<OnlinePlayer> out;
  out.reserve(players_.size());
  for (const auto& [id, e] : players_) {
    out.push_back(OnlinePlayer{id, e.display_name, e.address, e.room_id});
  }
  return out;
}

size_t PlayerDirectory::connected() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& [id, e] : players_) n += e.address.session != 0 ? 1 : 0;
  return n;
}

}  // namespace rookery::core
