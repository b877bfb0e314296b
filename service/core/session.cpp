#include "core/session.hpp"

#include <boost/asio/post.hpp>
#include <charconv>

#include "base/address.hpp"
#include "base/clock.hpp"
#include "base/log.hpp"
#include "core/lobby.hpp"
#include "core/player_directory.hpp"
#include "core/shard.hpp"
#include "proto/frame.hpp"
#include "rooms/room.hpp"

namespace rookery::core {
namespace asio = boost::asio;
using net::CloseReason;

namespace {

constexpr uint32_t kProtocolVersion = 1;
constexpr size_t kMaxClientName = 64;
// A closing connection that will not drain its last frames is cut after this.
constexpr int64_t kGracefulCloseMs = 2000;

int64_t steady_ms() {
  return std::chrono::duration_cast<Millis>(SteadyClock::now().time_since_epoch()).count();
}

// A refusal about the state of the world (a full room, a drain) is not the client's fault and
// does not spend its error budget; a malformed request does.
bool counts_as_error(proto::ErrorCode code) {
  switch (code) {
    case proto::ROOM_FULL:
    case proto::ROOM_LOCKED:
    case proto::ROOM_NOT_FOUND:
    case proto::SHUTTING_DOWN:
    case proto::STORE_UNAVAILABLE:
    case proto::ALREADY_IN_ROOM:
    case proto::NOT_IN_ROOM:
    case proto::CLUSTER_UNAVAILABLE:  // another node or Redis: retry later
      return false;
    default:
      return true;
  }
}

}  // namespace

Session::Session(Shard& shard, SessionId id, std::unique_ptr<net::Transport> transport,
                 Admission admission)
    : shard_(shard),
      settings_(shard.context().session_settings()),
      id_(id),
      transport_(std::move(transport)),
      connected_ms_(steady_ms()),
      last_activity_ms_(connected_ms_),
      bucket_(settings_.limits.msg_burst, static_cast<uint64_t>(connected_ms_)),
      admission_(admission),
      address_(base::ip_of_peer(transport_->peer())),
      transport_index_(static_cast<uint8_t>(transport_->kind())) {}

Session::~Session() = default;

Lobby& Session::lobby() {
  return shard_.context().lobby();
}

void Session::start() {
  ++shard_.stats().open[transport_index_];
  transport_->start(weak_from_this());
}

void Session::on_open() {
  // Counted here, not at accept: a page load or a failed handshake on the WebSocket port is
  // not a game connection (those count in ws_not_game).
  opened_ = true;
  ++shard_.stats().accepted[transport_index_];
  if (admission_ == Admission::server_full) {
    log::warn("connection refused: --max-connections reached",
              {{"peer", transport_->peer()},
               {"max_connections", std::to_string(settings_.max_connections)}});
    close(CloseReason::refused, proto::SERVER_FULL, "server is full, try again later");
  } else if (admission_ == Admission::address_full) {
    // Not logged per connection: a flood from one address would flood the log too; the
    // refusals are counted (rookery_limit_refusals_total).
    close(CloseReason::refused, proto::ADDRESS_LIMIT,
          "too many connections from your address (at most " +
              std::to_string(settings_.limits.max_connections_per_address) + ")");
  }
}

void Session::send(std::shared_ptr<const std::string> frames) {
  if (closed_ || !frames) return;
  const size_t bytes = frames->size();
  // The bound applies to what is still unsent from earlier turns, so one large tick alone
  // never cuts a client that keeps up.
  const size_t backlog = transport_->pending_bytes();
  transport_->queue(std::move(frames));
  ++shard_.stats().messages_out;
  shard_.stats().bytes_out += bytes;
  if (backlog > settings_.limits.outbound_queue_bytes) {
    // The client reads slower than the game produces: cut it rather than buffer without bound.
    close(CloseReason::slow_consumer, 0, "");
    return;
  }
  shard_.mark_dirty(*this);
}

void Session::flush() {
  if (!closed_) transport_->flush();
}

void Session::reply(uint32_t request_id, proto::Envelope& env) {
  env.set_request_id(request_id);
  send(proto::make_frame(env));
}

void Session::error(uint32_t request_id, proto::ErrorCode code, const std::string& message,
                    bool counts, uint32_t retry_after_ms) {
  if (counts && ++errors_ > settings_.limits.max_errors) {
    close(CloseReason::protocol_error, proto::TOO_MANY_ERRORS,
          "too many bad messages; last: " + message);
    return;
  }
  count_error(code);
  send(proto::make_error_frame(request_id, code, message, false, retry_after_ms));
}

void Session::count_error(proto::ErrorCode code) {
  ++shard_.stats().errors_sent[static_cast<size_t>(code) % kErrorCodeSlots];
}

void Session::count_login(LoginKind kind, int code) {
  ++shard_.stats().logins[static_cast<size_t>(kind)][static_cast<size_t>(code) % kErrorCodeSlots];
}

void Session::close(CloseReason reason, int code, const std::string& message, uint32_t request_id) {
  if (closed_) return;
  const bool graceful = reason != CloseReason::slow_consumer && reason != CloseReason::error;
  if (code != 0 && graceful) {
    count_error(static_cast<proto::ErrorCode>(code));
    transport_->queue(
        proto::make_error_frame(request_id, static_cast<proto::ErrorCode>(code), message, true));
  }
  closed_ = true;
  open_->store(false, std::memory_order_relaxed);
  close_started_ms_ = steady_ms();
  release_directory_state(reason, message);
  transport_->close(graceful);
  reap_soon();
}

void Session::on_transport_closed(CloseReason reason, std::string_view detail) {
  if (!closed_) {
    if (reason == CloseReason::protocol_error) {
      // Bad frame: tell the client why, then the transport closes after sending it.
      count_error(proto::BAD_FRAME);
      transport_->queue(proto::make_error_frame(0, proto::BAD_FRAME, std::string(detail), true));
    }
    closed_ = true;
    open_->store(false, std::memory_order_relaxed);
    close_started_ms_ = steady_ms();
    release_directory_state(reason, detail);
  }
  reap_soon();
}

void Session::reap_soon() {
  // After the transport's own close step has run (it calls us first, then closes).
  Shard* shard = &shard_;
  asio::post(shard_.io(), [shard, sid = id_] {
    if (Session* s = shard->find(sid)) s->reap(false);
  });
}

void Session::reap(bool force) {
  // One close rule: a session leaves its shard's table (and the connection count) only when
  // its socket is really closed, so a socket still flushing its last frames to a peer that
  // stopped reading stays under the sweep and --max-connections until it is cut.
  if (!closed_ || reaped_) return;
  if (!transport_->is_closed()) {
    if (!force) return;
    transport_->close(false);
  }
  reaped_ = true;
  --shard_.stats().open[transport_index_];
  shard_.context().connection_closed(address_, admission_ == Admission::admitted);
  shard_.remove(id_);
}

void Session::release_directory_state(CloseReason reason, std::string_view detail) {
  log::info("connection closed", {{"session", std::to_string(id_)},
                                  {"peer", transport_->peer()},
                                  {"transport", net::to_string(transport_->kind())},
                                  {"player", std::to_string(player_)},
                                  {"reason", net::to_string(reason)},
                                  {"detail", std::string(detail)}});
  auto& stats = shard_.stats();
  if (opened_) {
    ++stats.closed[static_cast<size_t>(reason)];
  } else {
    ++stats.ws_not_game[reason == CloseReason::http_served ? 0 : 1];
  }
  if (logged_in_counted_) {
    --stats.logged_in;
    logged_in_counted_ = false;
  }
  if (player_ != 0) lobby().session_closed(player_, id_);
  if (room_) {
    // The seat is held for the reconnect grace window.
    auto room = room_;
    const PlayerId player = player_;
    const SessionId sid = id_;
    shard_.context().post(room->shard(), [room, player, sid] { room->disconnected(player, sid); });
    room_.reset();
  }
}

void Session::sweep(int64_t now_ms) {
  if (closed_) {
    reap(now_ms - close_started_ms_ > kGracefulCloseMs);
    return;
  }
  const auto& limits = settings_.limits;
  if (phase_ != Phase::lobby && now_ms - connected_ms_ > limits.handshake_timeout_ms) {
    close(CloseReason::timeout, proto::TIMEOUT, "no login within handshake_timeout_ms");
  } else if (now_ms - last_activity_ms_ > limits.idle_timeout_ms) {
    close(CloseReason::timeout, proto::TIMEOUT, "no message within idle_timeout_ms");
  }
}

void Session::on_message(std::string_view bytes) {
  if (closed_ || admission_ != Admission::admitted) return;
  const int64_t now = steady_ms();
  last_activity_ms_ = now;
  auto& stats = shard_.stats();
  ++stats.messages_in;
  stats.bytes_in += bytes.size() + 4;
  if (!within_rate(now)) return;
  proto::Envelope& env = shard_.scratch_envelope();
  env.Clear();
  if (!env.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    error(0, proto::MALFORMED, "message is not a valid Envelope");
    return;
  }
  handle(env);
}

bool Session::within_rate(int64_t now) {
  const auto& limits = settings_.limits;
  if (bucket_.try_take(limits.msg_rate, limits.msg_burst, static_cast<uint64_t>(now))) return true;
  if (++rate_offences_ > limits.max_errors) {
    close(CloseReason::rate_limited, proto::RATE_LIMITED, "message rate limit exceeded");
  } else {
    send(proto::make_error_frame(0, proto::RATE_LIMITED,
                                 "message rate limit exceeded; message dropped", false));
  }
  return false;
}

void Session::on_extra_frames(uint64_t count) {
  if (closed_ || admission_ != Admission::admitted) return;
  const int64_t now = steady_ms();
  last_activity_ms_ = now;
  // Each such frame takes a token like a message; an empty bucket is an offence as for one.
  for (uint64_t i = 0; i < count && !closed_; ++i) within_rate(now);
}

void Session::handle(const proto::Envelope& env) {
  const uint32_t rid = env.request_id();
  using M = proto::Envelope;
  switch (env.msg_case()) {
    case M::kPing: {
      proto::Envelope out;
      out.mutable_pong()->set_client_time(env.ping().client_time());
      out.mutable_pong()->set_server_time_ms(static_cast<uint64_t>(unix_millis()));
      reply(rid, out);
      return;
    }
    case M::kHello:
      return on_hello(rid, env.hello());
    case M::kLogin:
      return on_login(rid, env.login());
    case M::kReconnect:
      return on_reconnect(rid, env.reconnect());
    default:
      break;
  }
  const bool request = env.msg_case() == M::kListRooms || env.msg_case() == M::kCreateRoom ||
                       env.msg_case() == M::kJoinRoom || env.msg_case() == M::kJoinOrCreate ||
                       env.msg_case() == M::kLeave || env.msg_case() == M::kInput ||
                       env.msg_case() == M::kGetLeaderboard;
  if (!request) {
    error(rid, proto::UNKNOWN_MESSAGE,
          env.msg_case() == M::MSG_NOT_SET ? "envelope carries no message"
                                           : "message is not accepted from clients");
    return;
  }
  if (phase_ != Phase::lobby) {
    error(rid, proto::NOT_AUTHENTICATED,
          phase_ == Phase::awaiting_hello ? "send Hello first" : "log in first");
    return;
  }
  switch (env.msg_case()) {
    case M::kListRooms:
      return on_list_rooms(rid, env.list_rooms());
    case M::kCreateRoom:
      return on_create_room(rid, env.create_room());
    case M::kJoinRoom:
      return on_join_room(rid, env.join_room());
    case M::kJoinOrCreate:
      return on_join_or_create(rid, env.join_or_create());
    case M::kLeave:
      return on_leave(rid);
    case M::kInput:
      return on_input(env.input());
    case M::kGetLeaderboard:
      return on_leaderboard(rid, env.get_leaderboard());
    default:
      return;
  }
}

void Session::on_leaderboard(uint32_t rid, const proto::GetLeaderboard& m) {
  Shard* shard = &shard_;
  const SessionId sid = id_;
  lobby().leaderboard(
      m.limit(), [shard, sid, rid](store::Status st, std::vector<store::Stats> top) {
        asio::post(shard->io(), [shard, sid, rid, st, top = std::move(top)] {
          Session* s = shard->find(sid);
          if (!s || s->closed()) return;
          if (st != store::Status::ok) {
            s->error(rid, proto::STORE_UNAVAILABLE, "leaderboard unavailable, retry later", false);
            return;
          }
          proto::Envelope out;
          auto* board = out.mutable_leaderboard();
          for (const auto& e : top) {
            auto* entry = board->add_entries();
            entry->set_player_id(static_cast<uint64_t>(e.player_id));
            entry->set_display_name(e.display_name);
            entry->set_total_score(e.total_score);
            entry->set_games_played(e.games_played);
            entry->set_best_score(e.best_score);
          }
          s->reply(rid, out);
        });
      });
}

void Session::on_hello(uint32_t rid, const proto::Hello& m) {
  if (phase_ != Phase::awaiting_hello) {
    error(rid, proto::INVALID_ARGUMENT, "hello already received");
    return;
  }
  if (m.protocol_version() != kProtocolVersion) {
    close(CloseReason::protocol_error, proto::PROTOCOL_VERSION,
          "unsupported protocol version " + std::to_string(m.protocol_version()) +
              "; this server speaks version " + std::to_string(kProtocolVersion),
          rid);
    return;
  }
  if (m.client().size() > kMaxClientName) {
    error(rid, proto::INVALID_ARGUMENT, "hello.client is longer than 64 bytes");
    return;
  }
  phase_ = Phase::awaiting_login;
  proto::Envelope out;
  auto* w = out.mutable_welcome();
  w->set_protocol_version(kProtocolVersion);
  w->set_server_name(settings_.server_name);
  w->set_server_version(ROOKERY_VERSION);
  w->set_max_frame_bytes(settings_.limits.max_frame_bytes);
  w->set_idle_timeout_ms(settings_.limits.idle_timeout_ms);
  w->set_reconnect_grace_ms(settings_.reconnect_grace_ms);
  reply(rid, out);
}

void Session::on_login(uint32_t rid, const proto::Login& m) {
  if (phase_ == Phase::awaiting_hello) {
    error(rid, proto::NOT_AUTHENTICATED, "send Hello first");
    return;
  }
  if (phase_ == Phase::lobby) {
    error(rid, proto::ALREADY_AUTHENTICATED, "already logged in");
    return;
  }
  if (phase_ == Phase::authenticating) {
    error(rid, proto::INVALID_ARGUMENT, "a login is already in progress");
    return;
  }
  Credentials c;
  switch (m.method_case()) {
    case proto::Login::kGuest:
      login_kind_ = LoginKind::guest;
      c.kind = Credentials::Kind::guest;
      c.device_id = m.guest().device_id();
      break;
    case proto::Login::kPassword:
      c.kind =
          m.password().create() ? Credentials::Kind::create_account : Credentials::Kind::password;
      login_kind_ = m.password().create() ? LoginKind::create_account : LoginKind::password;
      c.username = m.password().username();
      c.password = m.password().password();
      break;
    case proto::Login::kTicket:
      on_ticket(rid, m.ticket());
      return;
    default:
      error(rid, proto::INVALID_ARGUMENT, "login needs guest, password or ticket");
      return;
  }
  c.display_name = m.display_name();
  c.address = address_;
  c.still_wanted = [open = open_] { return open->load(std::memory_order_relaxed); };
  phase_ = Phase::authenticating;
  // The store answers on its own thread; hop back to this shard and find the session again
  // (it may have closed meanwhile).
  Shard* shard = &shard_;
  const SessionId sid = id_;
  lobby().authenticate(std::move(c), [shard, sid, rid](LoginAnswer answer) {
    asio::post(shard->io(), [shard, sid, rid, answer = std::move(answer)]() mutable {
      if (Session* s = shard->find(sid)) s->on_login_done(rid, std::move(answer));
    });
  });
}

void Session::on_login_done(uint32_t rid, LoginAnswer answer) {
  if (closed_) return;
  count_login(login_kind_, answer.refusal ? answer.refusal.code : 0);
  if (const Refusal& r = answer.refusal) {
    phase_ = Phase::awaiting_login;
    if (r.code == proto::BANNED) {
      close(CloseReason::kicked, r.code, r.message, rid);
      return;
    }
    // Failed logins count as errors, so password guessing on one connection is bounded; a
    // store that could not answer is not the client's fault.
    error(rid, r.code, r.message, r.code != proto::STORE_UNAVAILABLE, r.retry_after_ms);
    return;
  }
  const store::Player& player = answer.player;
  player_ = player.id;
  display_name_ = player.display_name;
  const Binding b = lobby().bind(player, SessionAddress{shard_.index(), id_});
  bound(rid, b, false, player.created);
}

void Session::on_ticket(uint32_t rid, const std::string& ticket) {
  phase_ = Phase::authenticating;
  Shard* shard = &shard_;
  const SessionId sid = id_;
  Lobby* lobby = &this->lobby();
  lobby->redeem(ticket, [shard, sid, rid, lobby](Redeemed r) {
    asio::post(shard->io(), [shard, sid, rid, lobby, r = std::move(r)]() mutable {
      if (Session* s = shard->find(sid)) {
        s->on_redeemed(rid, std::move(r));
      } else if (r.room) {
        lobby->release_seat(r.room->id());  // gone before it could sit: the seat goes back
      }
    });
  });
}

void Session::on_redeemed(uint32_t rid, Redeemed r) {
  if (closed_) {
    if (r.room) lobby().release_seat(r.room->id());
    return;
  }
  count_login(LoginKind::ticket, r.refusal ? r.refusal.code : 0);
  if (r.refusal) {
    phase_ = Phase::awaiting_login;
    if (r.refusal.code == proto::BANNED) {
      close(CloseReason::kicked, r.refusal.code, r.refusal.message, rid);
      return;
    }
    error(rid, r.refusal.code, r.refusal.message);
    return;
  }
  player_ = r.player.id;
  display_name_ = r.player.display_name;
  const Binding b = lobby().bind(r.player, SessionAddress{shard_.index(), id_});
  bound(rid, b, false, false);
  if (b.room) {
    // A seat held here from before wins (the reconnect path); the ticket's goes back.
    lobby().release_seat(r.room->id());
    return;
  }
  if (r.room) request_seat(rid, r.room);  // Joined follows LoginOk, same request id
}

void Session::on_routed(uint32_t rid, Redirection r) {
  join_pending_ = false;
  if (closed_) return;  // the seat there expires with its ticket
  if (r.refusal) {
    error(rid, r.refusal.code, r.refusal.message, counts_as_error(r.refusal.code));
    return;
  }
  proto::Envelope out;
  *out.mutable_redirect() = std::move(r.redirect);
  log::info("player redirected", {{"session", std::to_string(id_)},
                                  {"player", std::to_string(player_)},
                                  {"node", out.redirect().node()},
                                  {"room", std::to_string(out.redirect().room_id())}});
  reply(rid, out);
}

void Session::on_reconnect(uint32_t rid, const proto::Reconnect& m) {
  if (phase_ == Phase::authenticating) {
    error(rid, proto::INVALID_ARGUMENT, "a login is already in progress");
    return;
  }
  if (phase_ != Phase::awaiting_login) {
    error(rid,
          phase_ == Phase::awaiting_hello ? proto::NOT_AUTHENTICATED : proto::ALREADY_AUTHENTICATED,
          phase_ == Phase::awaiting_hello ? "send Hello first" : "already logged in");
    return;
  }
  const Resumed r = lobby().resume(m.session_token(), SessionAddress{shard_.index(), id_});
  if (!r.binding && r.refusal.code == proto::RECONNECT_EXPIRED) {
    // Unknown here: on a cluster, its session may live on another node (a Redirect there).
    phase_ = Phase::authenticating;
    Shard* shard = &shard_;
    const SessionId sid = id_;
    lobby().locate_session(m.session_token(), [shard, sid, rid](Redirection where) {
      asio::post(shard->io(), [shard, sid, rid, where = std::move(where)]() mutable {
        Session* s = shard->find(sid);
        if (!s || s->closed_) return;
        s->phase_ = Phase::awaiting_login;
        s->on_routed(rid, std::move(where));
      });
    });
    return;
  }
  count_login(LoginKind::reconnect, r.binding ? 0 : r.refusal.code);
  if (!r.binding) {
    error(rid, r.refusal.code, r.refusal.message);
    return;
  }
  player_ = r.binding->player;
  display_name_ = r.binding->display_name;
  bound(rid, *r.binding, true, false);
}

void Session::bound(uint32_t rid, const Binding& b, bool resumed, bool created) {
  phase_ = Phase::lobby;
  logged_in_counted_ = true;
  ++shard_.stats().logged_in;
  proto::Envelope out;
  auto* ok = out.mutable_login_ok();
  ok->set_player_id(static_cast<uint64_t>(player_));
  ok->set_display_name(display_name_);
  ok->set_session_token(b.token);
  ok->set_resumed(resumed);
  ok->set_created(created);
  if (b.room) ok->set_room_id(b.room->id());
  reply(rid, out);
  log::info("player logged in", {{"session", std::to_string(id_)},
                                 {"player", std::to_string(player_)},
                                 {"resumed", resumed ? "true" : "false"}});
  if (b.room) {
    // The seat was held: take it back (the room answers with Joined, or refuses if expired).
    join_pending_ = true;
    auto room = b.room;
    rooms::JoinRequest req{player_, display_name_, id_, shard_.index(), rid};
    shard_.context().post(
        room->shard(), [room, req = std::move(req)]() mutable { room->reattach(std::move(req)); });
  }
}

void Session::on_list_rooms(uint32_t rid, const proto::ListRooms& m) {
  rooms::RoomFilter f;
  f.type = m.type();
  f.include_full = m.include_full();
  f.include_locked = m.include_locked();
  f.limit = m.limit();
  // The cursor is the next page's offset as text; clients treat it as opaque.
  uint32_t offset = 0;
  if (!m.cursor().empty()) {
    const auto [end, ec] =
        std::from_chars(m.cursor().data(), m.cursor().data() + m.cursor().size(), offset);
    if (ec != std::errc() || end != m.cursor().data() + m.cursor().size()) {
      error(rid, proto::INVALID_ARGUMENT, "cursor is not one this server gave");
      return;
    }
  }
  const RoomPage page = lobby().list_room_page(f, offset);
  proto::Envelope out;
  auto* list = out.mutable_room_list();
  for (const auto& l : page.rooms) {
    auto* r = list->add_rooms();
    r->set_room_id(l.id);
    r->set_type(l.type);
    r->set_name(l.name);
    r->set_members(l.members);
    r->set_max_players(l.max_players);
    r->set_state(l.state == rooms::Room::State::locked ? proto::LOCKED : proto::OPEN);
    r->set_tick_hz(l.tick_hz);
  }
  list->set_total(page.total);
  if (page.next != 0) list->set_next_cursor(std::to_string(page.next));
  reply(rid, out);
}

bool Session::can_join(uint32_t rid) {
  if (lobby().draining()) {
    error(rid, proto::SHUTTING_DOWN, "server is shutting down", false);
    return false;
  }
  if (room_ || join_pending_) {
    error(rid, proto::ALREADY_IN_ROOM, "leave the current room first", false);
    return false;
  }
  return true;
}

void Session::request_seat(uint32_t rid, const std::shared_ptr<rooms::Room>& room) {
  join_pending_ = true;
  rooms::JoinRequest req{player_, display_name_, id_, shard_.index(), rid};
  shard_.context().post(room->shard(),
                        [room, req = std::move(req)]() mutable { room->join(std::move(req)); });
}

void Session::seat_in(uint32_t rid, const RoomOutcome& outcome) {
  if (outcome.remote) {
    // Another node serves it: ask there for a seat, answer with a Redirect.
    join_pending_ = true;
    Shard* shard = &shard_;
    const SessionId sid = id_;
    lobby().route(*outcome.remote, player_, [shard, sid, rid](Redirection r) {
      asio::post(shard->io(), [shard, sid, rid, r = std::move(r)]() mutable {
        if (Session* s = shard->find(sid)) s->on_routed(rid, std::move(r));
      });
    });
    return;
  }
  if (!outcome.room) {
    error(rid, outcome.refusal.code, outcome.refusal.message,
          counts_as_error(outcome.refusal.code));
    return;
  }
  request_seat(rid, outcome.room);
}

void Session::on_create_room(uint32_t rid, const proto::CreateRoom& m) {
  if (!can_join(rid)) return;
  seat_in(rid, lobby().create_and_reserve(
                   RoomSpec{m.type(), m.name(), m.max_players(), player_, address_}));
}

void Session::on_join_room(uint32_t rid, const proto::JoinRoom& m) {
  if (!can_join(rid)) return;
  seat_in(rid, lobby().reserve(m.room_id()));
}

void Session::on_join_or_create(uint32_t rid, const proto::JoinOrCreate& m) {
  if (!can_join(rid)) return;
  seat_in(rid, lobby().join_or_create(m.type()));
}

void Session::on_leave(uint32_t rid) {
  if (!room_) {
    error(rid, proto::NOT_IN_ROOM, "not in a room", false);
    return;
  }
  auto room = room_;
  const PlayerId player = player_;
  const SessionId sid = id_;
  const ShardIndex shard = shard_.index();
  shard_.context().post(room->shard(), [room, player, sid, shard, rid] {
    room->leave(player, sid, shard, rid, "left");
  });
}

void Session::on_input(const proto::Input& m) {
  if (!room_) {
    error(0, proto::NOT_IN_ROOM, "input outside a room", false);
    return;
  }
  if (room_->shard() == shard_.index()) {
    room_->push_input(seat_, id_, m.seq(), m.payload());  // same thread: no hop
    return;
  }
  shard_.context().post(room_->shard(), [room = room_, seat = seat_, sid = id_, seq = m.seq(),
                                         payload = m.payload()]() mutable {
    room->push_input(seat, sid, seq, std::move(payload));
  });
}

void Session::on_seat_update(rooms::SeatUpdate u) {
  using K = rooms::SeatUpdate::Kind;
  if (closed_) {
    // Gone while the room was seating us: hold the seat for a reconnect like any drop.
    if (u.kind == K::granted && u.room) {
      auto room = u.room;
      shard_.context().post(room->shard(),
                            [room, p = player_, sid = id_] { room->disconnected(p, sid); });
      lobby().seat_held(player_, room);
    }
    // As below: a refused reattach (RECONNECT_EXPIRED) holds no reservation to give back.
    if (u.kind == K::refused && u.error_code != proto::RECONNECT_EXPIRED) {
      lobby().release_seat(u.room_id);
    }
    return;
  }
  switch (u.kind) {
    case K::granted:
      join_pending_ = false;
      room_ = u.room;
      seat_ = u.seat;
      lobby().seat_held(player_, room_);
      break;
    case K::released:
      if (room_ && room_->id() == u.room_id) room_.reset();
      break;
    case K::refused:
      join_pending_ = false;
      count_error(static_cast<proto::ErrorCode>(u.error_code));  // the room's Error, sent below
      // Reattach refusals hold no reservation; join refusals do.
      if (u.error_code != proto::RECONNECT_EXPIRED) lobby().release_seat(u.room_id);
      break;
  }
  if (u.frames) send(std::move(u.frames));
}

void Session::notify_shutdown(uint32_t deadline_ms) {
  proto::Envelope ev;
  auto* s = ev.mutable_event()->mutable_server_shutdown();
  s->set_reason("server shutting down");
  s->set_deadline_ms(deadline_ms);
  send(proto::make_frame(ev));
}

}  // namespace rookery::core
