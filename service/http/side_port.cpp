#include "http/side_port.hpp"

#include "base/clock.hpp"
#include "core/server.hpp"
#include "net/static_files.hpp"

namespace rookery::http {
namespace bhttp = boost::beast::http;

namespace {
// How long /metrics and /healthz wait for each game loop.
constexpr auto kShardWait = Millis(1000);
}  // namespace

SidePort::SidePort(const SidePortSettings& settings, core::Server& server,
                   store::PlayerStore& players, store::AdminStore& admin)
    : settings_(settings),
      server_(server),
      players_(players),
      metrics_(settings.build),
      // The handler runs only once the thread starts, after api_ exists.
      http_(std::make_unique<HttpServer>(
          settings_.http,
          [this](std::shared_ptr<const Request> req, const std::string& peer, Respond respond) {
            handle(std::move(req), peer, std::move(respond));
          })),
      api_(server, players, admin, metrics_, settings.build, http_->executor()) {}

SidePort::~SidePort() {
  stop();
}

void SidePort::start() {
  http_->start();
}
void SidePort::stop() {
  http_->stop();
}

void SidePort::handle(std::shared_ptr<const Request> request, const std::string& peer,
                      Respond respond) {
  const Request& req = *request;
  std::string_view target(req.target().data(), req.target().size());
  const std::string_view path = target.substr(0, target.find('?'));
  Reply reply;
  if (path == "/metrics") {
    // A shard that does not answer within a second leaves its counters out of this scrape
    // (rookery_scrape_complete says so) rather than stalling the scrape.
    server_.snapshot(
        http_->executor(), kShardWait,
        [this, request, respond](core::ServerSnapshot snap, bool complete) {
          respond(Reply{make_response(*request, bhttp::status::ok, "text/plain; version=0.0.4",
                                      metrics_.render(snap, complete, players_.metrics())),
                        {}});
        });
    return;
  }
  if (path == "/healthz") {
    // Alive means every shard's loop answers within a second.
    server_.healthy(http_->executor(), kShardWait, [request, respond](bool ok) {
      respond(
          Reply{make_response(*request, ok ? bhttp::status::ok : bhttp::status::service_unavailable,
                              "text/plain", ok ? "ok\n" : "a game loop is not answering\n"),
                {}});
    });
    return;
  }
  if (path == "/readyz") {
    // Not ready while starting, draining, or while the player store cannot be reached (the
    // rooms keep running; a load balancer sends new players elsewhere).
    // A cluster node that lost its directory keeps its rooms running but cannot route or
    // place players, so it is not ready for new ones either.
    const bool serving = server_.ready();
    const bool store_ok = players_.healthy();
    const auto cluster = server_.cluster_snapshot();
    const bool directory_ok = !cluster || cluster->directory_up;
    const bool ready = serving && store_ok && directory_ok;
    reply.response = make_response(
        req, ready ? bhttp::status::ok : bhttp::status::service_unavailable, "text/plain",
        ready       ? "ready\n"
        : !serving  ? (server_.draining() ? "draining\n" : "starting\n")
        : !store_ok ? "player store unavailable\n"
                    : "cluster directory (Redis) unavailable\n");
  } else if (path.substr(0, 8) == "/api/v1/" || path == "/api/v1") {
    // The admin API may answer later (store calls, password checks run off this thread).
    api_.handle(std::move(request), peer, std::move(respond));
    return;
  } else if (path == "/") {
    reply.response = make_response(req, bhttp::status::found, "text/plain", "see /admin/\n");
    reply.response.set(bhttp::field::location, "/admin/");
  } else if (path == "/admin") {
    // The console's asset paths are relative to /admin/.
    reply.response =
        make_response(req, bhttp::status::moved_permanently, "text/plain", "see /admin/\n");
    reply.response.set(bhttp::field::location, "/admin/");
  } else if (path.substr(0, 7) == "/admin/") {
    net::StaticResponse files = net::serve_static(req, settings_.admin_ui_root, "/admin");
    reply.response = std::move(files.small);
    reply.file = std::move(files.file);
  } else {
    reply.response = make_response(req, bhttp::status::not_found, "application/json",
                                   R"({"error":{"code":"not_found","message":"no such path"}})");
  }
  respond(std::move(reply));
}

}  // namespace rookery::http
