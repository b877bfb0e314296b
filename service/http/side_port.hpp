// The side-port as a whole: routes /metrics, /healthz, /readyz, /api/v1 and the admin console
// to their handlers, on the side-port's own thread.
#pragma once

#include <memory>
#include <string>

#include "http/admin_api.hpp"
#include "http/http_server.hpp"
#include "http/metrics.hpp"

namespace rookery::core {
class Server;
}

namespace rookery::http {

/// Side-port settings beyond the HTTP limits.
struct SidePortSettings {
  HttpSettings http;
  std::string admin_ui_root;  // built admin console; empty: console not served
  BuildInfo build;
};

/// Owns the side-port server and its handlers.
class SidePort {
 public:
  /// Binds the port (throws std::runtime_error naming the address on failure).
  SidePort(const SidePortSettings& settings, core::Server& server, store::PlayerStore& players,
           store::AdminStore& admin);
  ~SidePort();

  void start();
  void stop();
  uint16_t port() const { return http_->port(); }

 private:
  void handle(std::shared_ptr<const Request> req, const std::string& peer, Respond respond);

  SidePortSettings settings_;
  core::Server& server_;
  store::PlayerStore& players_;
  Metrics metrics_;
  std::unique_ptr<HttpServer> http_;  // before api_, which runs its work on http_'s thread
  AdminApi api_;
};

}  // namespace rookery::http
