#include "rooms/room.hpp"

#include <algorithm>

#include "base/log.hpp"
#include "proto/frame.hpp"

namespace rookery::rooms {
namespace {

int64_t micros(SteadyClock::duration d) {
  return std::chrono::duration_cast<std::chrono::microseconds>(d).count();
}

}  // namespace

const char* to_string(Room::State state) {
  switch (state) {
    case Room::State::open:
      return "open";
    case Room::State::locked:
      return "locked";
    case Room::State::closing:
      return "closing";
    case Room::State::disposed:
      return "disposed";
  }
  return "open";
}

Room::Room(RoomId id, std::string type, std::string name, std::unique_ptr<Game> game,
           RoomSettings settings, boost::asio::io_context& io, ShardIndex shard, RoomHub& hub)
    : id_(id),
      type_(std::move(type)),
      name_(std::move(name)),
      game_(std::move(game)),
      settings_(settings),
      timer_(io),
      shard_(shard),
      hub_(hub) {
  settings_.tick_hz = std::clamp<uint32_t>(settings_.tick_hz, 1, 60);
  members_.reserve(std::min<uint32_t>(settings_.max_players, 128));
}

void Room::start() {
  const auto now = SteadyClock::now();
  empty_since_ = now;
  next_tick_ = now;
  last_checkpoint_ = now;
  if (settings_.tick_stats) ++settings_.tick_stats->created;
  game_->step(now);
  schedule_tick();
}

void Room::schedule_tick() {
  const auto period = std::chrono::nanoseconds(1'000'000'000 / settings_.tick_hz);
  next_tick_ += period;
  const auto now = SteadyClock::now();
  if (next_tick_ + period < now) next_tick_ = now + period;  // fell far behind: skip, not burst
  timer_.expires_at(next_tick_);
  timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec) self->on_tick();
  });
}

void Room::on_tick() {
  if (state_ == State::disposed) return;
  const auto started = SteadyClock::now();
  stats_.last_lag_us = micros(started - next_tick_);
  ++tick_;
  ++stats_.ticks;

  expire_held_seats(started);

  // Apply the inputs queued since the previous tick, in arrival order.
  applied_at_.clear();
  for (auto& in : inputs_) {
    Member& m = members_[in.seat];
    if (m.player == 0 || m.player != in.player) continue;
    m.queued_inputs = 0;
    if (game_->apply_input(in.seat, in.seq, in.payload)) {
      m.last_seq = in.seq;
      m.acked = true;
      if (settings_.tick_stats) applied_at_.push_back(in.received);
    } else {
      ++stats_.inputs_invalid;
      if (settings_.tick_stats) ++settings_.tick_stats->inputs_invalid;
      if (m.session != 0) {
        hub_.send(m.shard, m.session,
                  proto::make_error_frame(0, proto::INVALID_INPUT,
                                          "input payload rejected by room type " + type_, false));
      }
    }
  }
  inputs_.clear();
  if (inputs_.capacity() > 1024) inputs_.shrink_to_fit();

  game_->step(started);
  if (settings_.checkpoint_interval.count() > 0 &&
      started - last_checkpoint_ >= settings_.checkpoint_interval) {
    checkpoint(started);
  }

  // One State frame per tick, shared by every member on every shard.
  state_env_.Clear();
  auto* st = state_env_.mutable_state();
  st->set_room_id(id_);
  st->set_tick(tick_);
  payload_.clear();
  game_->encode_delta(payload_);
  st->set_payload(payload_);
  for (Seat seat = 0; seat < members_.size(); ++seat) {
    Member& m = members_[seat];
    if (!m.acked) continue;
    m.acked = false;
    auto* ack = st->add_acks();
    ack->set_seat(seat);
    ack->set_seq(m.last_seq);
  }
  const bool quiet = payload_.empty() && pending_events_.empty() && st->acks_size() == 0;
  if (quiet && started - last_broadcast_ < settings_.quiet_state_interval) {
    finish_tick(started);
    return;
  }
  last_broadcast_ = started;
  broadcast_with_events(state_env_);
  if (settings_.tick_stats && !applied_at_.empty()) {
    const auto sent = SteadyClock::now();
    for (const TimePoint at : applied_at_) {
      settings_.tick_stats->input_to_state.observe(
          std::chrono::duration<double>(sent - at).count());
    }
  }

  finish_tick(started);
}

void Room::finish_tick(TimePoint started) {
  stats_.last_tick_us = micros(SteadyClock::now() - started);
  if (settings_.tick_stats) {
    settings_.tick_stats->duration.observe(static_cast<double>(stats_.last_tick_us) / 1e6);
    const int64_t late_us = std::max<int64_t>(0, stats_.last_lag_us);
    settings_.tick_stats->lag.observe(static_cast<double>(late_us) / 1e6);
    // Late start plus the work itself past one period: the room could not keep its rate.
    const int64_t period_us = 1'000'000 / settings_.tick_hz;
    if (late_us + stats_.last_tick_us > period_us) {
      ++settings_.tick_stats->overruns;
    }
  }

  if (member_count_ == 0 && (state_ == State::open || state_ == State::locked) &&
      started - empty_since_ >= settings_.empty_room_timeout) {
    log::info("room empty, disposing", {{"room", std::to_string(id_)}, {"type", type_}});
    close("empty");
    return;
  }
  schedule_tick();
}

void Room::expire_held_seats(TimePoint now) {
  for (Seat seat = 0; seat < members_.size(); ++seat) {
    const Member& m = members_[seat];
    if (m.player != 0 && m.session == 0 && now - m.disconnected_at >= settings_.reconnect_grace) {
      release_seat(seat, "timeout", 0, false);
    }
  }
}

int Room::find_seat(PlayerId player) const {
  for (size_t i = 0; i < members_.size(); ++i) {
    if (members_[i].player == player) return static_cast<int>(i);
  }
  return -1;
}

void Room::refuse(const JoinRequest& request, int error_code, const std::string& message) {
  SeatUpdate u;
  u.kind = SeatUpdate::Kind::refused;
  u.room_id = id_;
  u.error_code = error_code;
  u.frames = proto::make_error_frame(request.request_id, static_cast<proto::ErrorCode>(error_code),
                                     message, false);
  hub_.update_seat(request.shard, request.session, std::move(u));
}

void Room::join(JoinRequest request) {
  if (state_ == State::closing || state_ == State::disposed) {
    refuse(request, proto::ROOM_NOT_FOUND, "room is closing");
    return;
  }
  if (find_seat(request.player) >= 0) {
    refuse(request, proto::ALREADY_IN_ROOM, "already seated in this room");
    return;
  }
  if (member_count_ >= settings_.max_players) {
    refuse(request, proto::ROOM_FULL, "room is full");
    return;
  }
  Seat seat = 0;
  while (seat < members_.size() && members_[seat].player != 0) ++seat;
  if (seat == members_.size()) members_.emplace_back();
  Member& m = members_[seat];
  m = Member{};
  m.player = request.player;
  m.display_name = std::move(request.display_name);
  m.session = request.session;
  m.shard = request.shard;
  m.joined_ms = unix_millis();
  ++member_count_;
  recipients_dirty_ = true;
  game_->add_player(seat, m.display_name);

  proto::Envelope ev;
  auto* e = ev.mutable_event();
  e->set_room_id(id_);
  fill_member(seat, e->mutable_player_joined()->mutable_member());
  queue_event(ev);
  grant(seat, request.request_id);
}

void Room::reattach(JoinRequest request) {
  const int found = find_seat(request.player);
  if (found < 0 || state_ == State::closing || state_ == State::disposed) {
    refuse(request, proto::RECONNECT_EXPIRED, "seat no longer held");
    return;
  }
  const Seat seat = static_cast<Seat>(found);
  Member& m = members_[seat];
  if (m.session != 0 && m.session != request.session) {
    // A newer login replaces a still-connected session: the old one loses the seat silently
    // (it is being kicked by the core).
    SeatUpdate u;
    u.kind = SeatUpdate::Kind::released;
    u.room_id = id_;
    u.seat = seat;
    hub_.update_seat(m.shard, m.session, std::move(u));
  }
  const bool was_disconnected = m.session == 0;
  m.session = request.session;
  m.shard = request.shard;
  recipients_dirty_ = true;
  if (was_disconnected) game_->set_connected(seat, true);
  proto::Envelope ev;
  auto* e = ev.mutable_event();
  e->set_room_id(id_);
  auto* r = e->mutable_player_reconnected();
  r->set_player_id(m.player);
  r->set_seat(seat);
  queue_event(ev);
  grant(seat, request.request_id);
}

void Room::grant(Seat seat, uint32_t request_id) {
  const Member& m = members_[seat];
  proto::Envelope env;
  env.set_request_id(request_id);
  auto* j = env.mutable_joined();
  auto* info = j->mutable_room();
  info->set_room_id(id_);
  info->set_type(type_);
  info->set_name(name_);
  info->set_members(member_count_);
  info->set_max_players(settings_.max_players);
  info->set_state(state_ == State::locked ? proto::LOCKED : proto::OPEN);
  info->set_tick_hz(settings_.tick_hz);
  j->set_seat(seat);
  for (Seat s = 0; s < members_.size(); ++s) {
    if (members_[s].player != 0) fill_member(s, j->add_members());
  }
  std::string snapshot;
  game_->encode_snapshot(snapshot);
  j->set_snapshot(std::move(snapshot));
  j->set_tick(tick_);

  SeatUpdate u;
  u.kind = SeatUpdate::Kind::granted;
  u.room = shared_from_this();
  u.room_id = id_;
  u.player = m.player;
  u.seat = seat;
  u.frames = proto::make_frame(env);
  hub_.update_seat(m.shard, m.session, std::move(u));
}

void Room::fill_member(Seat seat, proto::Member* out) const {
  const Member& m = members_[seat];
  out->set_player_id(static_cast<uint64_t>(m.player));
  out->set_display_name(m.display_name);
  out->set_seat(seat);
  out->set_connected(m.session != 0);
}

void Room::leave(PlayerId player, SessionId session, ShardIndex shard, uint32_t request_id,
                 const std::string& reason) {
  const int found = find_seat(player);
  if (found >= 0 && (session == 0 || members_[found].session == session)) {
    release_seat(static_cast<Seat>(found), reason, request_id, true);
    return;
  }
  // No longer seated through this session (released meanwhile): still answer, so the client
  // is not left waiting and its session forgets the room.
  if (session == 0) return;
  hub_.update_seat(shard, session, left_update(0, request_id, reason));
}

SeatUpdate Room::left_update(Seat seat, uint32_t request_id, const std::string& reason) const {
  proto::Envelope env;
  env.set_request_id(request_id);
  env.mutable_left()->set_room_id(id_);
  env.mutable_left()->set_reason(reason);
  SeatUpdate u;
  u.kind = SeatUpdate::Kind::released;
  u.room_id = id_;
  u.seat = seat;
  u.frames = proto::make_frame(env);
  return u;
}

store::MatchResult Room::stint(Seat seat, int64_t now_ms) {
  Member& m = members_[seat];
  store::MatchResult r;
  r.player_id = m.player;
  r.room_type = type_;
  r.room_id = id_;
  r.score = game_->score(seat);
  r.started_ms = m.joined_ms;
  r.ended_ms = now_ms;
  r.continues = m.recorded;
  r.recorded_score = m.recorded_score;
  m.recorded = true;
  m.recorded_score = r.score;
  return r;
}

// Writes every stint whose score changed since its last checkpoint (and every new one), in one
// store request: a kill -9 then loses at most checkpoint_interval of each game.
void Room::checkpoint(TimePoint now) {
  last_checkpoint_ = now;
  std::vector<store::MatchResult> batch;
  const int64_t now_ms = unix_millis();
  for (Seat seat = 0; seat < members_.size(); ++seat) {
    const Member& m = members_[seat];
    if (m.player == 0 || (m.recorded && m.recorded_score == game_->score(seat))) continue;
    batch.push_back(stint(seat, now_ms));
  }
  if (!batch.empty()) hub_.record_matches(std::move(batch));
}

void Room::release_seat(Seat seat, const std::string& reason, uint32_t request_id,
                        bool tell_session) {
  Member& m = members_[seat];
  if (m.player == 0) return;
  // Persist the stint before the seat's score is forgotten.
  hub_.record_matches({stint(seat, unix_millis())});
  // Free the seat in the catalogs before the session hears Left, so a client that got Left can
  // rely on it (list the room as not full, join it again).
  hub_.seat_gone(m.player, id_);

  if (tell_session && m.session != 0) {
    hub_.update_seat(m.shard, m.session, left_update(seat, request_id, reason));
  }
  proto::Envelope ev;
  auto* e = ev.mutable_event();
  e->set_room_id(id_);
  auto* left = e->mutable_player_left();
  left->set_player_id(static_cast<uint64_t>(m.player));
  left->set_seat(seat);
  left->set_reason(reason);

  game_->remove_player(seat);
  m = Member{};
  --member_count_;
  recipients_dirty_ = true;
  if (member_count_ == 0) empty_since_ = SteadyClock::now();
  queue_event(ev);
}

void Room::disconnected(PlayerId player, SessionId session) {
  const int found = find_seat(player);
  if (found < 0) return;
  Member& m = members_[found];
  if (m.session != session) return;  // already reattached elsewhere
  m.session = 0;
  m.disconnected_at = SteadyClock::now();
  recipients_dirty_ = true;
  game_->set_connected(static_cast<Seat>(found), false);
  proto::Envelope ev;
  auto* e = ev.mutable_event();
  e->set_room_id(id_);
  auto* left = e->mutable_player_left();
  left->set_player_id(static_cast<uint64_t>(player));
  left->set_seat(static_cast<Seat>(found));
  left->set_reason("disconnected");
  queue_event(ev);
}

void Room::push_input(Seat seat, SessionId session, uint32_t seq, std::string payload) {
  if (seat >= members_.size() || state_ == State::disposed) return;
  Member& m = members_[seat];
  if (m.session != session || m.player == 0) return;
  ++stats_.inputs;
  if (settings_.tick_stats) ++settings_.tick_stats->inputs;
  if (m.queued_inputs >= settings_.input_queue) {
    ++stats_.inputs_dropped;  // bounded: a flooding client cannot grow the room's memory
    if (settings_.tick_stats) ++settings_.tick_stats->inputs_dropped;
    return;
  }
  ++m.queued_inputs;
  inputs_.push_back(QueuedInput{seat, m.player, seq, std::move(payload), SteadyClock::now()});
}

void Room::queue_event(proto::Envelope& env) {
  proto::append_frame(pending_events_, env);
}

void Room::broadcast_notice(const std::string& text) {
  proto::Envelope ev;
  auto* e = ev.mutable_event();
  e->set_room_id(id_);
  e->mutable_notice()->set_text(text);
  queue_event(ev);
}

void Room::set_locked(bool locked) {
  if (state_ == State::open && locked) state_ = State::locked;
  if (state_ == State::locked && !locked) state_ = State::open;
}

void Room::broadcast_with_events(const proto::Envelope& last) {
  // The queued events and `last` travel in one buffer: one write per member, encoded once.
  auto frames = std::make_shared<std::string>();
  frames->swap(pending_events_);
  proto::append_frame(*frames, last);
  if (recipients_dirty_) rebuild_recipients();
  std::shared_ptr<const std::string> shared = std::move(frames);
  for (ShardIndex s = 0; s < recipients_.size(); ++s) {
    if (recipients_[s] && !recipients_[s]->empty()) hub_.deliver(s, recipients_[s], shared);
  }
}

const char* close_kind(const std::string& reason) {
  if (reason == "empty") return "empty";
  if (reason == "shutdown") return "shutdown";
  return "operator";
}

void Room::close(const std::string& reason) {
  if (state_ == State::closing || state_ == State::disposed) return;
  state_ = State::closing;
  if (settings_.tick_stats) ++settings_.tick_stats->closed[close_kind(reason)];
  proto::Envelope ev;
  auto* e = ev.mutable_event();
  e->set_room_id(id_);
  e->mutable_room_closing()->set_reason(reason);
  broadcast_with_events(ev);
  const std::string left_reason = reason == "shutdown" ? "shutdown" : "room_closed";
  for (Seat seat = 0; seat < members_.size(); ++seat) {
    if (members_[seat].player != 0) release_seat(seat, left_reason, 0, true);
  }
  pending_events_.clear();
  dispose();
}

void Room::dispose() {
  state_ = State::disposed;
  timer_.cancel();
  inputs_.clear();
  recipients_.clear();
  hub_.room_disposed(id_);
}

std::vector<MemberView> Room::members() const {
  std::vector<MemberView> out;
  out.reserve(member_count_);
  for (Seat seat = 0; seat < members_.size(); ++seat) {
    const Member& m = members_[seat];
    if (m.player == 0) continue;
    out.push_back(MemberView{m.player, m.display_name, seat, m.session != 0, m.joined_ms,
                             game_->score(seat)});
  }
  return out;
}

void Room::rebuild_recipients() {
  std::vector<std::shared_ptr<std::vector<SessionId>>> by_shard;
  for (const Member& m : members_) {
    if (m.player == 0 || m.session == 0) continue;
    if (by_shard.size() <= m.shard) by_shard.resize(m.shard + 1);
    if (!by_shard[m.shard]) by_shard[m.shard] = std::make_shared<std::vector<SessionId>>();
    by_shard[m.shard]->push_back(m.session);
  }
  recipients_.assign(by_shard.begin(), by_shard.end());
  recipients_dirty_ = false;
}

}  // namespace rookery::rooms
