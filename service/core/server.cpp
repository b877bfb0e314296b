#include "core/server.hpp"

#include <signal.h>
#include <unistd.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <future>
#include <stdexcept>
#include <thread>

#include "base/clock.hpp"
#include "base/log.hpp"
#include "core/session.hpp"
#include "net/static_files.hpp"
#include "rooms/room.hpp"

namespace rookery::core {
namespace asio = boost::asio;

namespace {

// Runs `fn` on `shard`'s thread and waits for it (control path only: start-up, shutdown).
template <class Fn>
void run_on(Shard& shard, Fn fn) {
  std::promise<void> done;
  auto f = done.get_future();
  asio::post(shard.io(), [&] {
    fn();
    done.set_value();
  });
  f.wait();
}

}  // namespace

Server::Server(const config::Config& config, store::PlayerStore& store,
               std::vector<rooms::GameType> game_types)
    : config_(config),
      session_settings_{config.limits, config.server.name, config.rooms.reconnect_grace_ms,
                        config.net.max_connections},
      store_(store),
      core_(config.rooms, store, std::move(game_types), *this,
            guard_settings(config.limits, config.rooms)),
      matches_(store, [this](store::Status st, size_t lost) {
        // The store counts and logs its own failures (StoreMetrics::errors).
        if (st != store::Status::failed) store_failures_.fetch_add(1, std::memory_order_relaxed);
        log::error("match results not saved", {{"status", std::to_string(static_cast<int>(st))},
                                               {"results", std::to_string(lost)}});
      }) {
  uint32_t n = config_.net.threads;
  if (n == 0) n = std::max(1u, std::thread::hardware_concurrency());
  for (ShardIndex i = 0; i < n; ++i) {
    shards_.push_back(std::make_unique<Shard>(*this, i));
    for (const auto& t : core_.game_types()) shards_.back()->tick_stats(t.name);
  }
  started_unix_ms_ = unix_millis();
  if (!config_.net.web_root.empty()) {
    // Browsers load the game page from the same port they then open the WebSocket on.
    web_fallback_ = [root = config_.net.web_root](const net::HttpRequest& req) {
      return net::serve_static(req, root, "");
    };
  }
}

Server::~Server() {
  if (cluster_) cluster_->stop();
  for (auto& s : shards_) s->stop_and_join();
}

namespace {

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

}  // namespace

void Server::join_cluster() {
  const auto& c = config_.cluster;
  cluster::ClusterOptions o;
  try {
    o.redis = cluster::parse_redis_url(c.redis);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(std::string("redis: ") + e.what());
  }
  o.prefix = c.cluster_name + ":";
  o.node_id = c.node_id.empty() ? host_name() : c.node_id;
  o.advertise_host = c.advertise_host.empty() ? host_name() : c.advertise_host;
  o.tcp_port = tcp_port();
  o.ws_port = ws_port();
  o.version = ROOKERY_VERSION;
  o.lease = std::chrono::milliseconds(c.lease_ms);
  o.heartbeat = std::min(std::chrono::milliseconds(1000), o.lease / 3);
  o.request_timeout = std::chrono::milliseconds(2000);
  cluster_ = std::make_unique<cluster::Cluster>(o, [this] {
    cluster::LocalState s;
    s.connections = static_cast<uint32_t>(std::max<int64_t>(0, connections_.load()));
    s.draining = draining();
    for (const auto& l : core_.local_rooms()) s.rooms.push_back(to_record(l));
    return s;
  });
  const uint32_t number = cluster_->start(std::chrono::seconds(10));
  core_.join_cluster(*cluster_, number, c.ticket_ttl_ms);
  log::info("joined the cluster", {{"cluster", c.cluster_name},
                                   {"node", o.node_id},
                                   {"number", std::to_string(number)},
                                   {"advertise", o.advertise_host}});
}

std::optional<ClusterSnapshot> Server::cluster_snapshot() const {
  if (!cluster_) return std::nullopt;
  const auto st = cluster_->status();
  ClusterSnapshot c;
  c.node_id = cluster_->node_id();
  c.node_number = cluster_->node_number();
  c.directory_up = st.directory_up;
  c.lease_age_seconds =
      st.last_renewal_ms == 0 ? -1 : static_cast<double>(unix_millis() - st.last_renewal_ms) / 1000;
  c.nodes = st.nodes;
  c.rooms = st.rooms;
  c.redis_errors = st.redis_errors;
  c.redis_connects = st.redis_connects;
  c.requests_sent = st.requests_sent;
  c.requests_failed = st.requests_failed;
  c.requests_served = st.requests_served;
  c.broadcasts = st.broadcasts;
  c.tickets_outstanding = core_.tickets_outstanding();
  return c;
}

void Server::start() {
  boost::system::error_code ec;
  const auto addr = asio::ip::make_address(config_.net.bind, ec);
  if (ec) throw std::runtime_error("invalid bind address '" + config_.net.bind + "'");
  uint16_t tcp_port = config_.net.tcp_port;
  uint16_t ws_port = config_.net.ws_port;
  for (auto& shard : shards_) {
    // The first shard resolves port 0 to a real port; the others share it via SO_REUSEPORT.
    shard->listen({addr, tcp_port}, {addr, ws_port}, static_cast<int>(config_.net.backlog));
    tcp_port = shard->tcp_port();
    ws_port = shard->ws_port();
  }
  // Room ids carry the node number, so the cluster is joined before any session can start.
  if (!config_.cluster.redis.empty()) join_cluster();
  for (auto& shard : shards_) shard->start();
  started_ = true;
  started_unix_ms_ = unix_millis();
}

uint16_t Server::tcp_port() const {
  return shards_.front()->tcp_port();
}
uint16_t Server::ws_port() const {
  return shards_.front()->ws_port();
}

RoomPlacement Server::place_room(const std::string& type) {
  const ShardIndex shard = next_room_shard_.fetch_add(1, std::memory_order_relaxed) %
                           static_cast<uint32_t>(shards_.size());
  return RoomPlacement{shard, &shards_[shard]->io(), &shards_[shard]->tick_stats(type)};
}

void Server::request_drain() {
  log::info("drain requested", {});
  ::kill(::getpid(), SIGTERM);
}

void Server::post(ShardIndex shard, std::function<void()> fn) {
  asio::post(shards_.at(shard)->io(), std::move(fn));
}

Admission Server::admit_connection(const std::string& ip) {
  const int64_t now = connections_.fetch_add(1, std::memory_order_relaxed) + 1;
  if (now > static_cast<int64_t>(config_.net.max_connections) || draining()) {
    connections_.fetch_sub(1, std::memory_order_relaxed);
    return Admission::server_full;
  }
  if (!core_.guard().open_connection(ip)) {
    connections_.fetch_sub(1, std::memory_order_relaxed);
    return Admission::address_full;
  }
  return Admission::admitted;
}

void Server::connection_closed(const std::string& ip, bool admitted) {
  if (!admitted) return;
  connections_.fetch_sub(1, std::memory_order_relaxed);
  core_.guard().close_connection(ip);
}

void Server::close_session(SessionAddress address, int code, std::string reason) {
  Shard& shard = *shards_.at(address.shard);
  asio::post(shard.io(), [&shard, address, code, reason = std::move(reason)] {
    if (Session* s = shard.find(address.session)) {
      s->close(net::CloseReason::kicked, code, reason);
    }
  });
}

void Server::deliver(ShardIndex shard, std::shared_ptr<const std::vector<SessionId>> sessions,
                     std::shared_ptr<const std::string> frames) {
  Shard& s = *shards_[shard];
  asio::post(s.io(), [&s, sessions = std::move(sessions), frames = std::move(frames)] {
    s.deliver(*sessions, frames);
  });
}

void Server::send(ShardIndex shard, SessionId session, std::shared_ptr<const std::string> frames) {
  Shard& s = *shards_[shard];
  asio::post(s.io(), [&s, session, frames = std::move(frames)] {
    if (Session* ses = s.find(session)) ses->send(frames);
  });
}

void Server::update_seat(ShardIndex shard, SessionId session, rooms::SeatUpdate update) {
  Shard& s = *shards_[shard];
  asio::post(s.io(), [this, &s, session, update = std::move(update)]() mutable {
    if (Session* ses = s.find(session)) {
      ses->on_seat_update(std::move(update));
    } else if (update.kind == rooms::SeatUpdate::Kind::granted && update.room) {
      // The session vanished while being seated: hold the seat for a reconnect.
      auto room = update.room;
      const PlayerId player = update.player;
      asio::post(shards_[room->shard()]->io(),
                 [room, player, session] { room->disconnected(player, session); });
      core_.seat_held(player, room);
    } else if (update.kind == rooms::SeatUpdate::Kind::refused &&
               update.error_code != proto::RECONNECT_EXPIRED) {
      core_.release_seat(update.room_id);
    }
  });
}

void Server::record_matches(std::vector<store::MatchResult> results) {
  matches_.add(std::move(results));
}

void Server::seat_gone(PlayerId player, RoomId room) {
  core_.seat_gone(player, room);
}

void Server::room_disposed(RoomId room) {
  core_.room_disposed(room);
}

bool Server::shutdown(const std::string& reason) {
  if (stopped_) return true;
  stopped_ = true;
  const auto deadline = SteadyClock::now() + Millis(config_.server.shutdown_deadline_ms);
  draining_.store(true);
  log::info("draining", {{"reason", reason},
                         {"deadline_ms", std::to_string(config_.server.shutdown_deadline_ms)}});
  if (!started_) return true;

  // 1. No new connections; every client hears why.
  for (auto& shard : shards_) {
    shard->stop_accepting();
    run_on(*shard, [&] {
      shard->for_each_session(
          [&](Session& s) { s.notify_shutdown(config_.server.shutdown_deadline_ms); });
    });
  }
  // 2. Close every room on its shard: members get RoomClosing and Left, results are queued to
  //    the store.
  for (const auto& room : core_.all_rooms()) {
    asio::post(shards_[room->shard()]->io(), [room] { room->close("shutdown"); });
  }
  bool in_time = true;
  while (core_.room_count() > 0) {
    if (SteadyClock::now() > deadline) {
      in_time = false;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // 3. Close sessions gracefully so the last frames (Left, shutdown) reach the clients.
  for (auto& shard : shards_) {
    run_on(*shard, [&] {
      shard->for_each_session(
          [](Session& s) { s.close(net::CloseReason::shutdown, 0, "server shutting down"); });
    });
  }
  const auto flush_deadline = std::min(deadline, SteadyClock::now() + std::chrono::seconds(3));
  for (auto& shard : shards_) {
    while (SteadyClock::now() < flush_deadline) {
      size_t left = 0;
      run_on(*shard, [&] { left = shard->session_count(); });
      if (left == 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  // 4. Everything the rooms queued is committed before the process exits.
  if (!matches_.flush(std::max(deadline, SteadyClock::now() + std::chrono::seconds(5)))) {
    log::error("match results still unsaved at exit",
               {{"results", std::to_string(matches_.pending())}});
  }
  store_.flush();
  for (auto& shard : shards_) shard->stop_and_join();
  if (cluster_) cluster_->stop();  // leaves the directory at once (else the lease would)
  log::info("drained", {{"in_time", in_time ? "true" : "false"}});
  return in_time;
}

}  // namespace rookery::core
