// The game core's cluster rules: where a seat is served (here, or which node), what a node
// asks of another (a seat behind a ticket), what a ticket redeems, and what every node does
// when a player logs in, is kicked or is banned elsewhere. The transport is cluster::Link.
#include <algorithm>
#include <boost/json.hpp>

#include <sodium.h>

#include "base/clock.hpp"
#include "base/log.hpp"
#include "base/random.hpp"
#include "core/game_core.hpp"
#include "rooms/room.hpp"

namespace rookery::core {
namespace json = boost::json;

namespace {

const char* op_name(RemoteRoute::Op op) {
  switch (op) {
    case RemoteRoute::Op::reserve:
      return "reserve";
    case RemoteRoute::Op::join_or_create:
      return "join_or_create";
    case RemoteRoute::Op::create:
      return "create";
  }
  return "?";
}

}  // namespace

bool GameCore::serving_node(const cluster::ClusterView& view, const std::string& id) const {
  for (const auto& n : view.nodes) {
    if (n.id == id) return !n.draining && !suspect(id);
  }
  return false;
}

bool GameCore::suspect(const std::string& node) const {
  std::lock_guard lock(suspects_mu_);
  auto it = suspects_.find(node);
  return it != suspects_.end() && it->second > unix_millis();
}

void GameCore::suspect_node(const std::string& node) {
  // It did not answer: the directory may not know yet (its lease runs for a few seconds), so
  // this node stops sending players there meanwhile.
  std::lock_guard lock(suspects_mu_);
  suspects_[node] = unix_millis() + kSuspectMs;
}

cluster::RoomRecord to_record(const rooms::RoomListing& l) {
  cluster::RoomRecord r;
  r.id = l.id;
  r.node = l.node;
  r.type = l.type;
  r.name = l.name;
  r.members = l.members;
  r.max_players = l.max_players;
  r.state = rooms::to_string(l.state);
  r.tick_hz = l.tick_hz;
  r.created_ms = l.created_ms;
  return r;
}

rooms::RoomListing to_listing(const cluster::RoomRecord& r) {
  rooms::RoomListing l;
  l.id = r.id;
  l.type = r.type;
  l.name = r.name;
  l.members = r.members;
  l.max_players = r.max_players;
  l.state = r.state == "locked"    ? rooms::Room::State::locked
            : r.state == "closing" ? rooms::Room::State::closing
                                   : rooms::Room::State::open;
  l.tick_hz = r.tick_hz;
  l.created_ms = r.created_ms;
  l.node = r.node;
  return l;
}

void GameCore::join_cluster(cluster::Link& link, uint32_t node_number, uint32_t ticket_ttl_ms) {
  cluster_ = &link;
  node_number_ = node_number;
  next_room_id_.store((static_cast<uint64_t>(node_number) << cluster::kRoomIdBits) + 1);
  tickets_ = std::make_unique<TicketBook>(link.node_id());
  ticket_ttl_ms_ = ticket_ttl_ms;
  link.serve(
      [this](const json::object& request, std::function<void(json::object)> respond) {
        serve_request(request, std::move(respond));
      },
      [this](const json::object& message) { on_cluster_broadcast(message); });
}

// --- where a seat is served --------------------------------------------------------------

std::optional<RemoteRoute> GameCore::route_reserve(RoomId id, Refusal* refusal) const {
  if (!cluster_) return std::nullopt;
  const uint32_t number = cluster::node_number_of(id);
  if (number == node_number_) return std::nullopt;
  const auto view = cluster_->view();
  if (cluster_->available()) {
    for (const auto& r : view->rooms) {
      if (r.id == id && r.node != cluster_->node_id()) {
        return RemoteRoute{RemoteRoute::Op::reserve, r.node, id, {}};
      }
    }
    *refusal = {proto::ROOM_NOT_FOUND, "no such room"};
  } else {
    *refusal = {proto::CLUSTER_UNAVAILABLE,
                "room is on another node and the cluster directory is unreachable; retry later"};
  }
  return std::nullopt;
}

std::optional<RemoteRoute> GameCore::route_join_or_create(const std::string& type) const {
  // Without the directory, a new room here keeps players playing (it is published once Redis
  // is back).
  if (!cluster_ || !cluster_->available()) return std::nullopt;
  const auto view = cluster_->view();
  const cluster::RoomRecord* best = nullptr;
  for (const auto& r : view->rooms) {
    if (r.node == cluster_->node_id() || r.type != type || r.state != "open" ||
        r.members >= r.max_players || !serving_node(*view, r.node)) {
      continue;
    }
    // The fullest open room first (players meet), then the oldest.
    if (!best || r.members > best->members ||
        (r.members == best->members && r.created_ms < best->created_ms)) {
      best = &r;
    }
  }
  if (best)
    return RemoteRoute{RemoteRoute::Op::join_or_create, best->node, best->id, {type, "", 0}};
  const std::string node = least_loaded_node();
  if (node.empty()) return std::nullopt;
  return RemoteRoute{RemoteRoute::Op::join_or_create, node, 0, {type, "", 0}};
}

std::optional<RemoteRoute> GameCore::route_create(const RoomSpec& spec) const {
  if (!cluster_ || !cluster_->available()) return std::nullopt;
  const rooms::GameType* type = nullptr;
  if (check_room_spec(spec, type)) return std::nullopt;  // refused here, with the reason
  const std::string node = least_loaded_node();
  if (node.empty()) return std::nullopt;
  return RemoteRoute{RemoteRoute::Op::create, node, 0, spec};
}

std::string GameCore::least_loaded_node() const {
  // Load is connections. Another node wins only by a clear margin (10, or a tenth of ours), so
  // a quiet cluster does not bounce every new room around on counts a second old.
  const auto view = cluster_->view();
  const cluster::NodeRecord* self = nullptr;
  const cluster::NodeRecord* best = nullptr;
  for (const auto& n : view->nodes) {
    if (n.id == cluster_->node_id()) {
      self = &n;
      continue;
    }
    if (n.draining || suspect(n.id)) continue;
    if (!best || n.connections < best->connections ||
        (n.connections == best->connections && n.id < best->id)) {
      best = &n;
    }
  }
  if (!best) return {};
  if (host_.draining() || !self) return best->id;
  const uint32_t margin = std::max<uint32_t>(10, self->connections / 10);
  return best->connections + margin <= self->connections ? best->id : std::string();
}

void GameCore::list_remote_rooms(const rooms::RoomFilter& filter,
                                 std::vector<rooms::RoomListing>& out) const {
  if (!cluster_->available()) return;  // a stale view would list rooms that may be gone
  const auto view = cluster_->view();
  for (const auto& r : view->rooms) {
    if (r.node == cluster_->node_id() || !serving_node(*view, r.node)) continue;
    if (!filter.type.empty() && r.type != filter.type) continue;
    if (r.state == "closing") continue;
    if (!filter.include_locked && r.state == "locked") continue;
    if (!filter.include_full && r.members >= r.max_players) continue;
    out.push_back(to_listing(r));
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    if (a.members != b.members) return a.members > b.members;
    return a.created_ms < b.created_ms;
  });
  if (out.size() > filter.limit) out.resize(filter.limit);
}

// --- a seat at another node --------------------------------------------------------------

void GameCore::route(const RemoteRoute& route, PlayerId player,
                     std::function<void(Redirection)> done) {
  if (!cluster_) {
    done({{proto::CLUSTER_UNAVAILABLE, "this node is not part of a cluster"}, {}});
    return;
  }
  json::object request{{"op", "seat"},
                       {"kind", op_name(route.op)},
                       {"player", player},
                       {"room", route.room},
                       {"type", route.spec.type},
                       {"name", route.spec.name},
                       {"max", route.spec.max_players}};
  const std::string node = route.node;
  cluster_->request(
      node, std::move(request), [node, done = std::move(done)](std::optional<json::object> reply) {
        Redirection out;
        if (!reply) {
          out.refusal = {proto::CLUSTER_UNAVAILABLE, "node " + node + " did not answer; retry"};
          done(std::move(out));
          return;
        }
        if (const uint64_t code = cluster::message_uint(*reply, "code"); code != 0) {
          out.refusal.code = proto::ErrorCode_IsValid(static_cast<int>(code))
                                 ? static_cast<proto::ErrorCode>(code)
                                 : proto::INTERNAL;
          out.refusal.message = cluster::message_string(*reply, "message");
          done(std::move(out));
          return;
        }
        auto& r = out.redirect;
        r.set_node(node);
        r.set_host(cluster::message_string(*reply, "host"));
        r.set_tcp_port(static_cast<uint32_t>(cluster::message_uint(*reply, "tcp")));
        r.set_ws_port(static_cast<uint32_t>(cluster::message_uint(*reply, "ws")));
        r.set_ticket(cluster::message_string(*reply, "ticket"));
        r.set_room_id(cluster::message_uint(*reply, "room"));
        r.set_ttl_ms(static_cast<uint32_t>(cluster::message_uint(*reply, "ttl")));
        if (r.host().empty() || r.ticket().empty() || r.room_id() == 0) {
          out.refusal = {proto::INTERNAL, "node " + node + " sent a bad reply"};
        }
        done(std::move(out));
      });
}

void GameCore::serve_request(const json::object& request,
                             std::function<void(json::object)> respond) {
  const std::string op = cluster::message_string(request, "op");
  if (op == "seat") {
    serve_seat_request(request, std::move(respond));
  } else if (op == "drain") {
    // An operator asked from another node's console (Redis is the trust boundary: whoever
    // can publish there is inside the cluster).
    log::info("drain requested by the cluster", {{"from", cluster::message_string(request, "by")}});
    respond({{"ok", true}});
    host_.request_drain();
  } else {
    respond({{"code", static_cast<int>(proto::INTERNAL)}, {"message", "unknown request"}});
  }
}

void GameCore::drain_node(const std::string& node, std::function<void(Refusal)> done) {
  if (!cluster_ || node == cluster_->node_id()) {
    if (cluster_ || node.empty()) {
      done({});
      host_.request_drain();
    } else {
      done({proto::INVALID_ARGUMENT, "this node is not part of a cluster"});
    }
    return;
  }
  cluster_->request(node, {{"op", "drain"}, {"by", cluster_->node_id()}},
                    [node, done = std::move(done)](std::optional<json::object> reply) {
                      if (reply && reply->if_contains("ok")) {
                        done({});
                      } else {
                        done({proto::CLUSTER_UNAVAILABLE, "node " + node + " did not answer"});
                      }
                    });
}

void GameCore::serve_seat_request(const json::object& request,
                                  std::function<void(json::object)> respond) {
  auto refuse = [&](proto::ErrorCode code, const std::string& message) {
    respond({{"code", static_cast<int>(code)}, {"message", message}});
  };
  const std::string kind = cluster::message_string(request, "kind");
  const auto player = static_cast<PlayerId>(cluster::message_uint(request, "player"));
  const RoomId room = cluster::message_uint(request, "room");
  RoomSpec spec{cluster::message_string(request, "type"), cluster::message_string(request, "name"),
                static_cast<uint32_t>(cluster::message_uint(request, "max"))};
  if (player <= 0) {
    refuse(proto::INVALID_ARGUMENT, "no player");
    return;
  }
  // Only this node's own rooms: a routed request is never routed on (no ping-pong).
  RoomOutcome o = kind == "reserve"  ? reserve_here(room)
                  : kind == "create" ? create_and_reserve_here(spec)
                  : kind == "join_or_create"
                      ? join_or_create_here(spec.type, room)
                      : RoomOutcome{nullptr, {proto::INTERNAL, "unknown kind"}, std::nullopt};
  if (!o.room) {
    refuse(o.refusal.code, o.refusal.message);
    return;
  }
  const std::string ticket =
      tickets_->issue(player, o.room, unix_millis(), static_cast<int64_t>(ticket_ttl_ms_));
  const auto ep = cluster_->endpoint();
  log::info("seat held for a redirected player",
            {{"player", std::to_string(player)}, {"room", std::to_string(o.room->id())}});
  respond({{"ticket", ticket},
           {"room", o.room->id()},
           {"host", ep.host},
           {"tcp", ep.tcp_port},
           {"ws", ep.ws_port},
           {"ttl", ticket_ttl_ms_}});
}

void GameCore::redeem(const std::string& ticket, std::function<void(Redeemed)> done) {
  if (!tickets_) {
    done({{proto::TICKET_INVALID, "this node is not part of a cluster"}, {}, nullptr});
    return;
  }
  TicketProblem problem = TicketProblem::none;
  auto seat = tickets_->redeem(ticket, unix_millis(), &problem);
  if (!seat) {
    done({{proto::TICKET_INVALID, to_string(problem)}, {}, nullptr});
    return;
  }
  // The callback runs on a store thread and must not be a Room's last owner there (a Room dies
  // on a shard: its timer belongs to that shard's loop), so it hands its reference on.
  store_.find_player(seat->player, [this, seat = std::move(*seat), done = std::move(done)](
                                       store::Status st, store::Player player) mutable {
    Redeemed out;
    if (st == store::Status::ok && player.banned_until_ms > unix_millis())
      st = store::Status::banned;
    if (st != store::Status::ok) {
      // The seat was held for this player only: give it back.
      if (seat.room) {
        rooms_.release(seat.room->id());
        const ShardIndex shard = seat.room->shard();
        host_.post(shard, [room = std::move(seat.room)] {});
      }
      out.refusal = st == store::Status::not_found
                        ? Refusal{proto::TICKET_INVALID, "the ticket's player does not exist"}
                        : login_refusal(st, player);
      done(std::move(out));
      return;
    }
    out.player = std::move(player);
    out.room = std::move(seat.room);
    done(std::move(out));
  });
}

// --- one player, one session, cluster-wide -----------------------------------------------

namespace {

// The directory keeps a hash of each session token, never the token (a Redis reader cannot
// resume anyone's session).
std::string token_hash(const std::string& token) {
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, reinterpret_cast<const unsigned char*>(token.data()), token.size());
  return to_hex(h, sizeof h);
}

}  // namespace

void GameCore::announce_login(PlayerId player, const std::string& token) {
  if (!cluster_) return;
  cluster_->broadcast({{"op", "login"}, {"player", player}});
  cluster_->remember_session(token_hash(token));
  cluster_->remember_player(player);
}

void GameCore::where_online(std::vector<PlayerId> players,
                            std::function<void(std::vector<std::string>)> done) {
  std::vector<std::string> here(players.size());
  for (size_t i = 0; i < players.size(); ++i) {
    const auto on = players_.get(players[i]);
    if (on && on->address.session != 0) here[i] = cluster_ ? cluster_->node_id() : "this";
  }
  if (!cluster_ || !cluster_->available()) {
    done(std::move(here));
    return;
  }
  cluster_->find_players(players, [this, here = std::move(here),
                                   done = std::move(done)](std::vector<std::string> there) mutable {
    const auto view = cluster_->view();
    auto live = [&](const std::string& node) {
      for (const auto& n : view->nodes) {
        if (n.id == node) return true;
      }
      return false;
    };
    for (size_t i = 0; i < here.size() && i < there.size(); ++i) {
      // Presence of a node that left the directory is stale: its players went with it.
      if (here[i].empty() && !there[i].empty() && there[i] != cluster_->node_id() &&
          live(there[i])) {
        here[i] = there[i];
      }
    }
    done(std::move(here));
  });
}

void GameCore::locate_session(const std::string& token, std::function<void(Redirection)> done) {
  const Refusal expired{proto::RECONNECT_EXPIRED, "session token unknown or expired; log in again"};
  if (!cluster_ || token.empty() || token.size() > kMaxToken) {
    done({expired, {}});
    return;
  }
  if (!cluster_->available()) {
    done({{proto::CLUSTER_UNAVAILABLE,
           "session unknown here and the cluster directory is unreachable; retry later"},
          {}});
    return;
  }
  cluster_->find_session(
      token_hash(token), [this, expired, done = std::move(done)](std::string node) {
        const auto view = cluster_->view();
        for (const auto& n : view->nodes) {
          if (n.id != node || node == cluster_->node_id() || suspect(node)) continue;
          Redirection out;
          out.redirect.set_node(n.id);
          out.redirect.set_host(n.host);
          out.redirect.set_tcp_port(n.tcp_port);
          out.redirect.set_ws_port(n.ws_port);
          out.redirect.set_reconnect(true);
          done(std::move(out));
          return;
        }
        done({expired, {}});  // unknown, or its node is gone: the seat went with it
      });
}

void GameCore::on_cluster_broadcast(const json::object& message) {
  const std::string op = cluster::message_string(message, "op");
  const auto player = static_cast<PlayerId>(cluster::message_uint(message, "player"));
  if (player <= 0) return;
  if (op == "login") {
    // Logged in on another node: the session here (or a seat held for it) goes.
    if (players_.get(player)) remove_player(player, proto::KICKED, "logged in on another node");
  } else if (op == "kick") {
    remove_player(player, proto::KICKED, cluster::message_string(message, "reason"));
  } else if (op == "ban") {
    remove_player(player, proto::BANNED, cluster::message_string(message, "reason"));
  }
}

}  // namespace rookery::core
