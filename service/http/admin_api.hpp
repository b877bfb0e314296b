// The admin JSON API under /api/v1 (Boost.JSON). Thin: it authenticates, validates and
// translates; the work is done by core::Server (game state) and the stores (players, audit).
// Every mutating call is written to the audit log and counted in rookery_admin_actions_total.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/snapshot.hpp"
#include "http/auth.hpp"
#include "http/http_server.hpp"
#include "http/metrics.hpp"
#include "http/tick_window.hpp"
#include "store/admin_store.hpp"
#include "store/player_store.hpp"

namespace rookery::core {
class Server;
}

namespace rookery::http {

/// Handles /api/v1/*. Its state (sessions, rate samples) lives on the side-port thread; store
/// calls answer on store threads and reply from there without touching that state.
class AdminApi {
 public:
  /// `side_port` runs the side-port thread's work (store answers and shard gathers come back
  /// to it).
  AdminApi(core::Server& server, store::PlayerStore& players, store::AdminStore& admin,
           Metrics& metrics, BuildInfo build, boost::asio::any_io_executor side_port);

  /// Answers one /api/v1 request (path already known to start with /api/v1/), now or later
  /// through `respond`; never blocks the side-port thread on the store.
  void handle(std::shared_ptr<const Request> req, const std::string& peer, Respond respond);

  /// The overview object (also used by the live stream), gathered from the shards; `done`
  /// runs on the side-port thread.
  void overview_json(std::function<void(std::string)> done);

  /// Live event streams one admin session may hold open at once (tabs of the console).
  static constexpr uint32_t kMaxStreamsPerSession = 4;

 private:
  struct Ctx;
  /// A reply now, or nullopt when the handler answers later through the request's Respond.
  using Answer = std::optional<Reply>;
  // The overview of one snapshot (updates the shared rate samples: side-port thread only).
  std::string overview_json(const core::ServerSnapshot& s, bool complete);
  Answer login(Ctx& ctx);
  Answer route(Ctx& ctx);
  Answer rooms_list(Ctx& ctx);
  Answer room_detail(Ctx& ctx, uint64_t id);
  Answer room_action(Ctx& ctx, uint64_t id, const std::string& action);
  Answer room_create(Ctx& ctx);
  Answer players_search(Ctx& ctx);
  Answer player_detail(Ctx& ctx, int64_t id);
  Answer player_action(Ctx& ctx, int64_t id, const std::string& action);
  Answer audit_list(Ctx& ctx);
  Answer admin_users(Ctx& ctx);
  Answer config_view(Ctx& ctx);
  Answer drain(Ctx& ctx);
  Answer cluster_view(Ctx& ctx);
  Answer cluster_drain(Ctx& ctx, const std::string& node);
  // Audits and counts an admin action. Thread-safe (store callbacks call it).
  void audit(const std::string& actor, const std::string& action, const std::string& target,
             const std::string& detail, bool ok);
  void audit(const Ctx& ctx, const std::string& action, const std::string& target,
             const std::string& detail, bool ok);

  std::shared_ptr<void> take_stream_slot(const std::string& token);

  core::Server& server_;
  boost::asio::any_io_executor side_port_;
  store::PlayerStore& players_;
  store::AdminStore& admin_;
  Metrics& metrics_;
  BuildInfo build_;
  Auth auth_;
  struct StreamSlots {
    std::mutex mu;
    std::map<std::string, uint32_t> open;  // session token -> open event streams
  };
  std::shared_ptr<StreamSlots> streams_ = std::make_shared<StreamSlots>();
  // Previous overview sample, for per-second rates.
  std::chrono::steady_clock::time_point last_sample_at_{};
  uint64_t last_in_ = 0;
  uint64_t last_out_ = 0;
  double in_rate_ = 0;
  double out_rate_ = 0;
  TickWindow tick_window_;  // the overview's tick figures over the last minute
};

}  // namespace rookery::http
