#include "core/game_core.hpp"

#include <algorithm>

#include "base/clock.hpp"
#include "base/log.hpp"
#include "base/text.hpp"
#include "rooms/room.hpp"

namespace rookery::core {

GameCore::GameCore(const config::RoomsConfig& config, store::PlayerStore& store,
                   std::vector<rooms::GameType> game_types, Host& host, GuardSettings guard)
    : config_(config),
      store_(store),
      game_types_(std::move(game_types)),
      host_(host),
      guard_(std::move(guard)) {}

// --- accounts --------------------------------------------------------------------------------

namespace {

Refusal new_account_refusal() {
  return {proto::ADDRESS_LIMIT,
          "too many new accounts from your address; log in with an existing account or try "
          "again in a minute"};
}

}  // namespace

void GameCore::authenticate(Credentials c, LoginCallback done) {
  if (c.kind != Credentials::Kind::guest)
    return authenticate_password(std::move(c), std::move(done));
  // A new device spends one of the address's new-account tokens; with none left only known
  // devices log in (the store refuses to create: not_found).
  const bool may_create = guard_.take_new_account(c.address, steady_millis());
  const auto create =
      may_create ? store::PlayerStore::NewGuest::allowed : store::PlayerStore::NewGuest::refused;
  store_.login_guest(std::move(c.device_id), std::move(c.display_name), create,
                     [this, may_create, address = std::move(c.address), done = std::move(done)](
                         store::Status st, store::Player p) {
                       if (may_create && !(st == store::Status::ok && p.created)) {
                         guard_.refund_new_account(address);
                       }
                       if (st == store::Status::not_found) {
                         guard_.refused(Limit::new_accounts_per_address);
                         return done({new_account_refusal(), {}});
                       }
                       done({login_refusal(st, p), std::move(p)});
                     });
}

// Password logins and registrations pass the per-account and per-address backoff first, so a
// guess that would wait costs no hash; a registration also spends a new-account token.
void GameCore::authenticate_password(Credentials c, LoginCallback done) {
  const int64_t now = steady_millis();
  const bool create = c.kind == Credentials::Kind::create_account;
  if (create && !guard_.take_new_account(c.address, now)) {
    guard_.refused(Limit::new_accounts_per_address);
    return done({new_account_refusal(), {}});
  }
  const std::string account = base::ascii_lower(c.username);
  Limit which = Limit::password_account;
  bool last_free = false;
  if (const int64_t wait = guard_.password_attempt(account, c.address, now, &which, &last_free)) {
    if (create) guard_.refund_new_account(c.address);
    const int64_t seconds = (wait + 999) / 1000;
    return done({{proto::LOGIN_THROTTLED,
                  std::string(which == Limit::password_address
                                  ? "too many failed logins from your address"
                                  : "too many failed logins for this account") +
                      "; try again in " + std::to_string(seconds) + " s",
                  static_cast<uint32_t>(wait)},
                 {}});
  }
  auto answer = [this, create, account, last_free, address = c.address, done = std::move(done)](
                    store::Status st, store::Player p) {
    if (st == store::Status::ok) {
      guard_.password_succeeded(account, address);
    } else if (st == store::Status::bad_credentials || st == store::Status::username_taken) {
      // Counted already; the failure that starts a backoff is worth a line for the operator.
      if (last_free) {
        log::warn("password logins throttled: repeated failures",
                  {{"account", base::clean_text(account, 32)}, {"address", address}});
      }
    } else {
      guard_.password_unanswered(account, address);
    }
    if (create && !(st == store::Status::ok && p.created)) guard_.refund_new_account(address);
    done({login_refusal(st, p), std::move(p)});
  };
  if (create) {
    store_.register_password(std::move(c.username), std::move(c.password),
                             std::move(c.display_name), std::move(answer),
                             std::move(c.still_wanted));
  } else {
    store_.login_password(std::move(c.username), std::move(c.password), std::move(answer),
                          std::move(c.still_wanted));
  }
}

Refusal GameCore::login_refusal(store::Status status, const store::Player& player) const {
  switch (status) {
    case store::Status::ok:
      return {};
    case store::Status::not_found:
    case store::Status::bad_credentials:
      return {proto::BAD_CREDENTIALS, "wrong username or password"};
    case store::Status::username_taken:
      return {proto::USERNAME_TAKEN, "username is taken"};
    case store::Status::banned:
      return {proto::BANNED,
              player.ban_reason.empty() ? "player is banned" : "banned: " + player.ban_reason};
    case store::Status::invalid:
      return {proto::INVALID_ARGUMENT,
              "invalid login: username 3-32 of [A-Za-z0-9_.-], password 8-256 bytes, device_id "
              "8-128 bytes, display_name 1-32 bytes of text without control or formatting "
              "characters and not staff-like (admin, moderator, GM, ...)"};
    case store::Status::failed:
      return {proto::STORE_UNAVAILABLE, "player store unavailable, retry later"};
    case store::Status::overloaded:
      return {proto::STORE_UNAVAILABLE, "server busy, retry later"};
    case store::Status::abandoned:  // nobody is left to tell
      return {proto::STORE_UNAVAILABLE, "the login was dropped: the client had gone"};
  }
  return {proto::INTERNAL, "internal error"};
}

Binding GameCore::bind(const store::Player& player, SessionAddress address) {
  Binding b = players_.bind(player.id, player.display_name, address);
  if (b.evicted) {
    host_.close_session(*b.evicted, proto::KICKED, "logged in from another connection");
  }
  announce_login(player.id, b.token);
  return b;
}

Resumed GameCore::resume(const std::string& token, SessionAddress address) {
  if (token.empty() || token.size() > kMaxToken) {
    return {std::nullopt, {proto::INVALID_ARGUMENT, "session_token must be 1-128 bytes"}};
  }
  auto b = players_.bind_token(token, address, unix_millis(), config_.reconnect_grace_ms);
  if (!b) {
    return {std::nullopt,
            {proto::RECONNECT_EXPIRED, "session token unknown or expired; log in again"}};
  }
  if (b->evicted) {
    host_.close_session(*b->evicted, proto::KICKED, "logged in from another connection");
  }
  announce_login(b->player, b->token);
  return {std::move(b), {}};
}

void GameCore::session_closed(PlayerId player, SessionId session) {
  players_.unbind(player, session, unix_millis());
}

bool GameCore::remove_player(PlayerId player, proto::ErrorCode code, const std::string& reason) {
  const auto was = players_.forget(player);
  if (!was) return false;
  if (cluster_) cluster_->forget_player(player);
  if (was->room != 0) {
    // The seat is released for good, not held for a reconnect: a removed player starts over.
    if (auto room = rooms_.find(was->room)) {
      host_.post(room->shard(), [room, player] { room->leave(player, 0, 0, 0, "kicked"); });
    }
  }
  const bool connected = was->address.session != 0;
  if (connected) host_.close_session(was->address, code, reason);
  log::info("player removed", {{"player", std::to_string(player)},
                               {"code", proto::ErrorCode_Name(code)},
                               {"reason", reason}});
  return connected;
}

bool GameCore::kick(PlayerId player, const std::string& reason) {
  // The player may be on another node (or hold a seat here and play there): every node acts.
  if (cluster_) cluster_->broadcast({{"op", "kick"}, {"player", player}, {"reason", reason}});
  return remove_player(player, proto::KICKED, reason);
}

void GameCore::ban(PlayerId player, int64_t until_ms, std::string reason,
                   store::PlayerStore::StatusCallback done) {
  const bool banning = until_ms > 0;
  const std::string told = "banned: " + reason;
  store_.ban(player, until_ms, std::move(reason),
             [this, player, banning, told, done = std::move(done)](store::Status st) {
               // Only a stored ban is enforced, so what the player is told and what a later
               // login finds always agree.
               if (st == store::Status::ok && banning) {
                 if (cluster_) {
                   cluster_->broadcast({{"op", "ban"}, {"player", player}, {"reason", told}});
                 }
                 remove_player(player, proto::BANNED, told);
               }
               done(st);
             });
}

void GameCore::leaderboard(uint32_t limit, store::PlayerStore::TopCallback done) {
  store_.top_players(limit == 0 ? kDefaultLeaderboard : std::min(limit, kMaxLeaderboard),
                     std::move(done));
}

std::optional<OnlinePlayer> GameCore::online(PlayerId player) const {
  return players_.get(player);
}

size_t GameCore::players_connected() const {
  return players_.connected();
}

void GameCore::expire_disconnected() {
  const int64_t now = unix_millis();
  for (PlayerId gone : players_.expire(now, config_.reconnect_grace_ms)) {
    if (cluster_) cluster_->forget_player(gone);
  }
  if (tickets_) {
    for (const auto& seat : tickets_->expire(now)) {
      if (seat.room) rooms_.release(seat.room->id());
    }
  }
}

// --- rooms -----------------------------------------------------------------------------------

const rooms::GameType* GameCore::game_type(const std::string& name) const {
  for (const auto& t : game_types_) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

Refusal GameCore::check_room_spec(const RoomSpec& spec, const rooms::GameType*& type) const {
  if (host_.draining()) return {proto::SHUTTING_DOWN, "server is shutting down"};
  type = game_type(spec.type);
  if (!type)
    return {proto::UNKNOWN_ROOM_TYPE,
            "unknown room type '" + base::clean_text(spec.type, 64) + "'"};
  if (spec.name.size() > kMaxRoomName) {
    return {proto::INVALID_ARGUMENT, "name is longer than 64 bytes"};
  }
  // Room names are shown in every lobby: no controls (an ESC or a newline in a listing) and
  // no invisible formatting characters.
  if (!base::valid_text(spec.name)) {
    return {proto::INVALID_ARGUMENT,
            "name must be UTF-8 text without control or formatting characters"};
  }
  if (spec.max_players > type->max_players_limit) {
    return {proto::INVALID_ARGUMENT,
            "max_players above the limit of " + std::to_string(type->max_players_limit)};
  }
  return {};
}

std::shared_ptr<rooms::Room> GameCore::start_room(const rooms::GameType& type,
                                                  const std::string& name, uint32_t max_players) {
  const RoomId id = next_room_id_.fetch_add(1, std::memory_order_relaxed);
  const RoomPlacement at = host_.place_room(type.name);
  const std::string room_name = name.empty() ? type.name + "-" + std::to_string(id) : name;
  rooms::RoomSettings settings;
  settings.max_players = max_players == 0 ? type.default_max_players : max_players;
  settings.tick_hz = type.tick_hz;
  settings.input_queue = config_.input_queue;
  settings.empty_room_timeout = Millis(config_.empty_room_timeout_ms);
  settings.reconnect_grace = Millis(config_.reconnect_grace_ms);
  settings.checkpoint_interval = Millis(config_.checkpoint_ms);
  settings.tick_stats = at.tick_stats;
  auto room = std::make_shared<rooms::Room>(id, type.name, room_name, type.make(id), settings,
                                            *at.io, at.shard, host_.room_hub());
  rooms::RoomListing listing;
  listing.id = id;
  listing.type = type.name;
  listing.name = room_name;
  listing.max_players = settings.max_players;
  listing.tick_hz = settings.tick_hz;
  listing.shard = at.shard;
  listing.created_ms = unix_millis();
  rooms_.add(room, listing);
  host_.post(at.shard, [room] { room->start(); });
  log::info(
      "room created",
      {{"room", std::to_string(id)}, {"type", type.name}, {"shard", std::to_string(at.shard)}});
  return room;
}

Refusal GameCore::check_room_count() const {
  if (rooms_.size() < config_.max_rooms) return {};
  guard_.refused(Limit::rooms_per_node);
  return {proto::ROOM_LIMIT,
          "this server runs its maximum of " + std::to_string(config_.max_rooms) + " rooms"};
}

RoomOutcome GameCore::create_room(const RoomSpec& spec) {
  const rooms::GameType* type = nullptr;
  if (Refusal r = check_room_spec(spec, type)) return {nullptr, std::move(r)};
  if (Refusal r = check_room_count()) return {nullptr, std::move(r)};
  Limit which = Limit::rooms_per_player;
  if (spec.creator != 0 && !guard_.take_room(spec.creator, spec.address, &which)) {
    return {nullptr,
            {proto::ROOM_LIMIT,
             which == Limit::rooms_per_player
                 ? "you have " + std::to_string(guard_.settings().rooms_per_player) +
                       " open rooms already; join one or wait until one closes"
                 : "your address has " + std::to_string(guard_.settings().rooms_per_address) +
                       " open rooms already"}};
  }
  auto room = start_room(*type, spec.name, spec.max_players);
  if (spec.creator != 0) {
    std::lock_guard lock(creators_mu_);
    creators_[room->id()] = RoomCreator{spec.creator, spec.address};
  }
  return {std::move(room), {}};
}

RoomOutcome GameCore::reserved(rooms::Reservation r) const {
  if (r.room) return {std::move(r.room), {}};
  const auto code = static_cast<proto::ErrorCode>(r.error_code);
  const char* why = code == proto::ROOM_FULL     ? "room is full"
                    : code == proto::ROOM_LOCKED ? "room is locked"
                                                 : "no such room";
  return {nullptr, {code, why}};
}

RoomOutcome GameCore::create_and_reserve(const RoomSpec& spec) {
  if (auto remote = route_create(spec)) return {nullptr, {}, std::move(remote)};
  return create_and_reserve_here(spec);
}

RoomOutcome GameCore::create_and_reserve_here(const RoomSpec& spec) {
  RoomOutcome made = create_room(spec);
  if (!made.room) return made;
  RoomOutcome seat = reserved(rooms_.reserve(made.room->id()));
  if (!seat.room) seat.refusal.message = "room is not joinable";
  return seat;
}

RoomOutcome GameCore::reserve(RoomId id) {
  Refusal refusal;
  if (auto remote = route_reserve(id, &refusal)) return {nullptr, {}, std::move(remote)};
  if (refusal) return {nullptr, std::move(refusal)};
  return reserve_here(id);
}

RoomOutcome GameCore::reserve_here(RoomId id) {
  if (host_.draining()) return {nullptr, {proto::SHUTTING_DOWN, "server is shutting down"}};
  return reserved(rooms_.reserve(id));
}

RoomOutcome GameCore::join_or_create(const std::string& type_name) {
  const rooms::GameType* type = nullptr;
  if (Refusal r = check_room_spec(RoomSpec{type_name, "", 0}, type)) return {nullptr, std::move(r)};
  // A seat here first (no hop for the player); then an open room elsewhere; then a new room on
  // the least-loaded node.
  auto r = rooms_.reserve_any(type_name);
  if (r.room) return {std::move(r.room), {}};
  if (auto remote = route_join_or_create(type_name)) return {nullptr, {}, std::move(remote)};
  return join_or_create_here(type_name, 0);
}

RoomOutcome GameCore::join_or_create_here(const std::string& type_name, RoomId preferred) {
  const rooms::GameType* type = nullptr;
  if (Refusal r = check_room_spec(RoomSpec{type_name, "", 0}, type)) return {nullptr, std::move(r)};
  rooms::Reservation r;
  if (preferred != 0) r = rooms_.reserve(preferred);
  if (!r.room) r = rooms_.reserve_any(type_name);
  if (!r.room) {
    if (Refusal full = check_room_count()) return {nullptr, std::move(full)};
    auto room = start_room(*type, "", 0);
    r = rooms_.reserve(room->id());
  }
  if (!r.room) return {nullptr, {proto::ROOM_FULL, "no room available"}};
  return {std::move(r.room), {}};
}

void GameCore::release_seat(RoomId id) {
  rooms_.release(id);
}

void GameCore::seat_held(PlayerId player, const std::shared_ptr<rooms::Room>& room) {
  players_.set_room(player, room);
}

void GameCore::seat_gone(PlayerId player, RoomId room) {
  rooms_.release(room);
  players_.clear_room(player, room);
}

void GameCore::room_disposed(RoomId room) {
  rooms_.remove(room);
  std::optional<RoomCreator> creator;
  {
    std::lock_guard lock(creators_mu_);
    if (auto it = creators_.find(room); it != creators_.end()) {
      creator = std::move(it->second);
      creators_.erase(it);
    }
  }
  if (creator) guard_.room_gone(creator->player, creator->address);
  log::info("room disposed", {{"room", std::to_string(room)}});
}

std::vector<rooms::RoomListing> GameCore::list_rooms(rooms::RoomFilter filter,
                                                     bool unbounded) const {
  if (!unbounded) {
    filter.limit = filter.limit == 0 ? kDefaultListLimit : std::min(filter.limit, kMaxListLimit);
  }
  auto rooms = rooms_.list(filter);
  if (cluster_) list_remote_rooms(filter, rooms);
  return rooms;
}

// Offsets rather than keys: the listing's order (fullest first) changes as rooms fill, so a
// client paging through it may see a room twice or miss one that moved; the total tells it.
RoomPage GameCore::list_room_page(rooms::RoomFilter filter, uint32_t offset) const {
  const uint32_t limit =
      filter.limit == 0 ? kDefaultListLimit : std::min(filter.limit, kMaxListLimit);
  filter.limit = UINT32_MAX;
  auto all = list_rooms(filter, true);
  RoomPage page;
  page.total = static_cast<uint32_t>(all.size());
  if (offset < all.size()) {
    const size_t end = std::min(all.size(), static_cast<size_t>(offset) + limit);
    page.rooms.assign(std::make_move_iterator(all.begin() + offset),
                      std::make_move_iterator(all.begin() + static_cast<std::ptrdiff_t>(end)));
    if (end < all.size()) page.next = static_cast<uint32_t>(end);
  }
  return page;
}

std::vector<rooms::RoomListing> GameCore::local_rooms() const {
  rooms::RoomFilter all;
  all.include_full = true;
  all.include_locked = true;
  all.limit = UINT32_MAX;
  return rooms_.list(all);
}

std::shared_ptr<rooms::Room> GameCore::find_room(RoomId id, rooms::RoomListing* listing) const {
  return rooms_.find(id, listing);
}

bool GameCore::lock_room(RoomId id, bool locked) {
  auto room = rooms_.find(id);
  if (!room) return false;
  rooms_.set_state(id, locked ? rooms::Room::State::locked : rooms::Room::State::open);
  host_.post(room->shard(), [room, locked] { room->set_locked(locked); });
  return true;
}

bool GameCore::close_room(RoomId id, const std::string& reason) {
  auto room = rooms_.find(id);
  if (!room) return false;
  rooms_.set_state(id, rooms::Room::State::closing);
  host_.post(room->shard(), [room, reason] { room->close(reason); });
  return true;
}

bool GameCore::broadcast_to_room(RoomId id, const std::string& text) {
  auto room = rooms_.find(id);
  if (!room) return false;
  host_.post(room->shard(), [room, text] { room->broadcast_notice(text); });
  return true;
}

}  // namespace rookery::core
