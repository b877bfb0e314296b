#include "core/shard.hpp"

#include "base/address.hpp"

#include <boost/asio/post.hpp>

#include "base/clock.hpp"
#include "base/log.hpp"
#include "core/lobby.hpp"
#include "core/session.hpp"
#include "net/tcp_transport.hpp"
#include "net/ws_transport.hpp"

namespace rookery::core {

const char* to_string(LoginKind kind) {
  switch (kind) {
    case LoginKind::guest:
      return "guest";
    case LoginKind::password:
      return "password";
    case LoginKind::create_account:
      return "create_account";
    case LoginKind::ticket:
      return "ticket";
    case LoginKind::reconnect:
      return "reconnect";
  }
  return "guest";
}

void ShardStats::add(const ShardStats& o) {
  for (size_t k = 0; k < accepted.size(); ++k) {
    accepted[k] += o.accepted[k];
    open[k] += o.open[k];
  }
  for (size_t k = 0; k < closed.size(); ++k) closed[k] += o.closed[k];
  messages_in += o.messages_in;
  messages_out += o.messages_out;
  bytes_in += o.bytes_in;
  bytes_out += o.bytes_out;
  logged_in += o.logged_in;
  for (size_t k = 0; k < ws_not_game.size(); ++k) ws_not_game[k] += o.ws_not_game[k];
  for (size_t k = 0; k < errors_sent.size(); ++k) errors_sent[k] += o.errors_sent[k];
  for (size_t kind = 0; kind < logins.size(); ++kind) {
    for (size_t r = 0; r < logins[kind].size(); ++r) logins[kind][r] += o.logins[kind][r];
  }
}
namespace asio = boost::asio;

Shard::Shard(ShardContext& context, ShardIndex index)
    : context_(context), index_(index), io_(1), sweep_timer_(io_) {}

Shard::~Shard() {
  stop_and_join();
}

void Shard::listen(const asio::ip::tcp::endpoint& tcp, const asio::ip::tcp::endpoint& ws,
                   int backlog) {
  tcp_ = std::make_unique<net::Listener>(
      io_, tcp, backlog, [this](asio::ip::tcp::socket s) { on_accept(std::move(s), false); });
  ws_ = std::make_unique<net::Listener>(
      io_, ws, backlog, [this](asio::ip::tcp::socket s) { on_accept(std::move(s), true); });
}

void Shard::start() {
  asio::post(io_, [this] {
    if (tcp_) tcp_->start();
    if (ws_) ws_->start();
    schedule_sweep();
  });
  thread_ = std::thread([this] {
    // The work guard keeps the loop alive while no connection or room exists yet.
    auto guard = asio::make_work_guard(io_);
    io_.run();
  });
}

void Shard::stop_accepting() {
  asio::post(io_, [this] {
    if (tcp_) tcp_->stop();
    if (ws_) ws_->stop();
  });
}

void Shard::stop_and_join() {
  if (!thread_.joinable()) return;
  io_.stop();
  thread_.join();
}

void Shard::on_accept(asio::ip::tcp::socket socket, bool websocket) {
  const auto& limits = context_.session_settings().limits;
  std::unique_ptr<net::Transport> transport;
  if (websocket) {
    transport = std::make_unique<net::WsTransport>(
        std::move(socket), limits.max_frame_bytes,
        std::chrono::milliseconds(limits.handshake_timeout_ms), &context_.web_fallback());
  } else {
    transport = std::make_unique<net::TcpTransport>(std::move(socket), limits.max_frame_bytes);
  }
  const Admission admission = context_.admit_connection(base::ip_of_peer(transport->peer()));
  adopt(std::move(transport), admission);
}

std::shared_ptr<Session> Shard::adopt(std::unique_ptr<net::Transport> transport,
                                      Admission admission) {
  const SessionId id = context_.next_session_id();
  auto session = std::make_shared<Session>(*this, id, std::move(transport), admission);
  sessions_.emplace(id, session);
  session->start();
  return session;
}

Session* Shard::find(SessionId id) {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : it->second.get();
}

void Shard::deliver(const std::vector<SessionId>& sessions,
                    const std::shared_ptr<const std::string>& frames) {
  for (const SessionId id : sessions) {
    if (Session* s = find(id)) s->send(frames);
  }
}

void Shard::mark_dirty(Session& session) {
  if (session.dirty) return;
  session.dirty = true;
  dirty_.push_back(std::static_pointer_cast<Session>(session.shared_from_this()));
  if (!flush_posted_) {
    // Everything queued during this loop turn (events and the tick's state from every room)
    // goes out in one write per session when the turn ends.
    flush_posted_ = true;
    asio::post(io_, [this] { flush_dirty(); });
  }
}

void Shard::flush_dirty() {
  flush_posted_ = false;
  // Swap with a kept buffer: both lists keep their capacity, so a turn allocates nothing.
  flushing_.swap(dirty_);
  for (auto& s : flushing_) {
    s->dirty = false;
    s->flush();
  }
  flushing_.clear();
}

void Shard::remove(SessionId id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  // Never destroy a session inside its own callback: park it until the turn ends.
  if (graveyard_.empty()) asio::post(io_, [this] { graveyard_.clear(); });
  graveyard_.push_back(std::move(it->second));
  sessions_.erase(it);
}

void Shard::schedule_sweep() {
  sweep_timer_.expires_after(std::chrono::seconds(1));
  sweep_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    sweep();
    schedule_sweep();
  });
}

void Shard::sweep() {
  const int64_t now_ms =
      std::chrono::duration_cast<Millis>(SteadyClock::now().time_since_epoch()).count();
  std::vector<Session*> all;
  all.reserve(sessions_.size());
  for (auto& [id, s] : sessions_) all.push_back(s.get());
  for (Session* s : all) s->sweep(now_ms);  // may remove sessions: iterate a copy
  if (index_ == 0) {
    context_.housekeeping();
  }
}

}  // namespace rookery::core
