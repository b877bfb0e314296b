// The rookery executable: parses the configuration and runs one command (serve by default).
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <exception>
#include <iostream>
#include <thread>

#include "app/admin_command.hpp"
#include "app/assets.hpp"
#include "app/doctor.hpp"
#include "base/log.hpp"
#include "config/config.hpp"
#include "core/server.hpp"
#include "games/game_types.hpp"
#include "http/side_port.hpp"
#include "store/backup.hpp"
#include "store/migrations.hpp"
#include "store/store.hpp"

namespace {

using namespace rookery;

// Descriptors the process needs besides game connections: listeners, the database, logs,
// epoll and timers, with room to spare.
constexpr rlim_t kReservedFds = 64;

/// Raises the soft open-file limit to the hard limit; warns, with the fix, if
/// --max-connections cannot fit under it.
void raise_fd_limit(uint32_t max_connections) {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
  if (lim.rlim_cur < lim.rlim_max) {
    const rlim_t before = lim.rlim_cur;
    lim.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &lim) == 0) {
      log::info("raised open-file limit",
                {{"from", std::to_string(before)}, {"to", std::to_string(lim.rlim_cur)}});
    }
  }
  getrlimit(RLIMIT_NOFILE, &lim);
  const rlim_t needed = static_cast<rlim_t>(max_connections) + kReservedFds;
  if (lim.rlim_cur < needed) {
    log::warn("max_connections cannot fit under the open-file limit",
              {{"max_connections", std::to_string(max_connections)},
               {"open_file_limit", std::to_string(lim.rlim_cur)},
               {"can_hold",
                std::to_string(lim.rlim_cur > kReservedFds ? lim.rlim_cur - kReservedFds : 0)},
               {"fix", "raise the hard limit (systemd LimitNOFILE=" + std::to_string(needed) +
                           ", or nofile in /etc/security/limits.d, see ops/) or lower "
                           "--max-connections"}});
  }
}

games::GameSettings game_settings(const config::RoomsConfig& r) {
  games::GameSettings g;
  g.spelltraction_tick_hz = r.spelltraction_tick_hz;
  g.spelltraction_hold_ms = r.spelltraction_hold_ms;
  g.spelltraction_max_players = r.spelltraction_max_players;
  g.relay_tick_hz = r.relay_tick_hz;
  g.relay_max_players = r.relay_max_players;
  return g;
}

std::string display_host(const std::string& bind) {
  if (bind == "::" || bind == "0.0.0.0" || bind.empty()) return "localhost";
  if (bind.find(':') != std::string::npos) return "[" + bind + "]";
  return bind;
}

// The folder of the SQLite file, where a generated first admin password is kept; empty for an
// in-memory database.
std::string admin_password_file(const std::string& db) {
  if (db.empty() || db == ":memory:" || db.starts_with("file:") || store::is_postgres_url(db)) {
    return "";
  }
  const auto slash = db.find_last_of('/');
  return (slash == std::string::npos ? std::string() : db.substr(0, slash + 1)) + "admin-password";
}

int serve(const config::Config& configured) {
  // The browser bundles: from the configuration, else beside the executable (app/assets.hpp).
  config::Config cfg = configured;
  const std::string exe = app::executable_path();
  const app::AssetRoot web = app::resolve_asset_root(configured.net.web_root, "web", exe);
  const app::AssetRoot console =
      app::resolve_asset_root(configured.http.admin_ui_root, "admin-ui", exe);
  cfg.net.web_root = web.problem.empty() ? web.path : "";
  cfg.http.admin_ui_root = console.problem.empty() ? console.path : "";
  if (!web.problem.empty()) log::warn("web game not served", {{"why", web.problem}});
  if (!console.problem.empty()) log::warn("admin console not served", {{"why", console.problem}});

  // Block the stop signals in every thread (threads inherit the mask); one thread waits for
  // them with sigwait, so no handler ever runs inside the event loops.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  raise_fd_limit(cfg.net.max_connections);

  std::unique_ptr<store::Store> store;
  try {
    store::StoreOptions opts;
    opts.path = cfg.store.db;
    opts.synchronous = cfg.store.synchronous;
    opts.batch_max = cfg.store.batch_max;
    opts.queue_max = cfg.store.queue_max;
    opts.kdf_queue_max = cfg.store.kdf_queue_max;
    opts.read_connections = cfg.store.read_connections;
    store = store::open_store(opts);
  } catch (const std::exception& e) {
    log::error("cannot open the player store",
               {{"db", store::redact_db(cfg.store.db)}, {"error", e.what()}});
    return 1;
  }

  const std::string console_login =
      app::ensure_first_admin(*store, admin_password_file(cfg.store.db));

  core::Server server(cfg, *store, games::builtin_game_types(game_settings(cfg.rooms)));
  try {
    server.start();
  } catch (const std::exception& e) {
    log::error("cannot start", {{"error", e.what()}});
    return 1;
  }
  std::unique_ptr<http::SidePort> side_port;
  try {
    http::SidePortSettings sp;
    sp.http.bind = cfg.http.bind;
    sp.http.port = cfg.http.port;
    sp.admin_ui_root = cfg.http.admin_ui_root;
    sp.build = http::BuildInfo{ROOKERY_VERSION, ROOKERY_GIT_COMMIT};
    side_port = std::make_unique<http::SidePort>(sp, server, *store, *store);
    side_port->start();
    // Other nodes' consoles link to this one's.
    if (auto* cluster = server.cluster()) cluster->set_http_port(side_port->port());
  } catch (const std::exception& e) {
    log::error("cannot start the side-port", {{"error", e.what()}});
    server.shutdown("start-up failed");
    return 1;
  }
  log::info("listening", {{"tcp_port", std::to_string(server.tcp_port())},
                          {"http_port", std::to_string(side_port->port())},
                          {"ws_port", std::to_string(server.ws_port())},
                          {"threads", std::to_string(server.shard_count())},
                          {"db", store::redact_db(cfg.store.db)}});
  const std::string host = display_host(cfg.net.bind);
  const std::string http_host = display_host(cfg.http.bind);
  const std::string side = "http://" + http_host + ":" + std::to_string(side_port->port());
  const std::string play = web.problem.empty()
                               ? "http://" + host + ":" + std::to_string(server.ws_port()) + "/"
                               : "(not served: " + web.problem + ")";
  const std::string admin = console.problem.empty()
                                ? side + "/admin/  (" + console_login + ")"
                                : side + "/admin/ is not served: " + console.problem;
  std::printf(
      "Rookery %s is ready (%zu threads).\n"
      "  Play in a browser: %s\n"
      "  Game, raw TCP:    tcp://%s:%u\n"
      "  Game, WebSocket:  ws://%s:%u/\n"
      "  Admin console:    %s\n"
      "  Metrics, health:  %s/metrics  /healthz  /readyz\n"
      "  Player store:     %s (%s)\n"
      "Stop with Ctrl-C: clients are told, games are saved, then it exits.\n",
      ROOKERY_VERSION, server.shard_count(), play.c_str(), host.c_str(), server.tcp_port(),
      host.c_str(), server.ws_port(), admin.c_str(), side.c_str(),
      store::redact_db(cfg.store.db).c_str(),
      store::is_postgres_url(cfg.store.db) ? "PostgreSQL" : "SQLite");
  std::fflush(stdout);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  log::info("signal received, draining; a second signal exits at once",
            {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
  std::thread second([stop_signals] {
    int s = 0;
    sigwait(&stop_signals, &s);
    log::warn("second signal: exiting at once");
    std::_Exit(130);
  });
  second.detach();
  // A watchdog in case draining itself hangs past the deadline.
  const uint32_t deadline_ms = cfg.server.shutdown_deadline_ms;
  std::thread watchdog([deadline_ms] {
    std::this_thread::sleep_for(std::chrono::milliseconds(deadline_ms + 5000));
    log::error("shutdown deadline exceeded; exiting");
    std::_Exit(1);
  });
  watchdog.detach();

  const bool in_time = server.shutdown(sig == SIGTERM ? "SIGTERM" : "SIGINT");
  side_port->stop();  // after the drain, so /readyz answers 503 while it runs
  store.reset();      // joins the store threads after the final commit
  log::info("stopped");
  return in_time ? 0 : 1;
}

int migrate(const config::Config& cfg) {
  try {
    const auto report = store::migrate(cfg.store.db);
    std::printf("database %s: schema version %d -> %d\n", cfg.store.db.c_str(), report.from_version,
                report.to_version);
    for (const auto& name : report.applied) std::printf("  applied %s\n", name.c_str());
    if (report.applied.empty()) std::printf("  nothing to apply\n");
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rookery migrate: %s\n", e.what());
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace rookery;
  config::Invocation inv;
  try {
    inv = config::parse(std::vector<std::string>(argv, argv + argc), config::process_env());
  } catch (const config::ConfigError& e) {
    std::fprintf(stderr, "rookery: %s\nRun 'rookery --help' for every option.\n", e.what());
    return 2;
  }
  if (inv.help) {
    std::cout << config::help_text();
    return 0;
  }
  if (inv.version) {
    std::printf("rookery %s (commit %s)\n", ROOKERY_VERSION, ROOKERY_GIT_COMMIT);
    return 0;
  }
  const auto& cfg = inv.config;
  log::Level level = log::Level::info;
  log::parse_level(cfg.server.log_level, level);
  log::configure(level, cfg.server.log_format == "json" ? log::Format::json : log::Format::text);
  for (const auto& w : inv.warnings) log::warn(w);

  if (inv.command == "serve") return serve(cfg);
  if (inv.command == "migrate") return migrate(cfg);
  if (inv.command == "admin") return app::run_admin_command(cfg, inv.args);
  if (inv.command == "doctor") return app::run_doctor(cfg);
  if (inv.command == "backup") return store::run_backup(cfg.store.db, inv.args);
  if (inv.command == "check-config") {
    std::cout << config::dump(cfg) << "configuration is valid\n";
    return 0;
  }
  std::fprintf(stderr, "rookery: unknown command '%s'\nRun 'rookery --help' for commands.\n",
               inv.command.c_str());
  return 2;
}
