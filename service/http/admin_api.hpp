// The admin JSON API under /api/v1 (Boost.JSON). Thin: it authenticates, validates and
// translates; the work is done by core::Server (game state) and the stores (players, audit).
// Every mutating call is written to the audit log and counted in rookery_admin_actions_total.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "core/snapshot.hpp"
#include "http/auth.hpp"
#include "http/http_server.hpp"
#include "http/metrics.hpp"
#include "store/admin_store.hpp"
#include "store/player_store.hpp"

namespace rookery::core {
class Server;
}

namespace rookery::http {

/// Handles /api/v1/*. Single-threaded: the side-port thread.
class AdminApi {
 public:
  AdminApi(core::Server& server, store::PlayerStore& players, store::AdminStore& admin,
           Metrics& metrics, BuildInfo build);

  /// Answers one /api/v1 request (path already known to start with /api/v1/).
  Reply handle(const Request& req, const std::string& peer);

  /// The overview object (also used by the live stream).
  std::string overview_json();

 private:
  struct Ctx;
  Reply route(Ctx& ctx);
  Reply rooms_list(Ctx& ctx);
  Reply room_detail(Ctx& ctx, uint64_t id);
  Reply room_action(Ctx& ctx, uint64_t id, const std::string& action);
  Reply room_create(Ctx& ctx);
  Reply players_search(Ctx& ctx);
  Reply player_detail(Ctx& ctx, int64_t id);
  Reply player_action(Ctx& ctx, int64_t id, const std::string& action);
  Reply audit_list(Ctx& ctx);
  Reply admin_users(Ctx& ctx);
  Reply config_view(Ctx& ctx);
  Reply drain(Ctx& ctx);
  void audit(const Ctx& ctx, const std::string& action, const std::string& target,
             const std::string& detail, bool ok);

  core::Server& server_;
  store::PlayerStore& players_;
  store::AdminStore& admin_;
  Metrics& metrics_;
  BuildInfo build_;
  Auth auth_;
  // Previous overview sample, for per-second rates.
  std::chrono::steady_clock::time_point last_sample_at_{};
  uint64_t last_in_ = 0;
  uint64_t last_out_ = 0;
  double in_rate_ = 0;
  double out_rate_ = 0;
};

}  // namespace rookery::http
