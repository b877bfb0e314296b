// HTTP helpers of the integration tests: one request to a server's side-port, and an admin
// session made the way an operator makes one (the CLI adds the user, the API logs in).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <cstdlib>
#include <string>
#include <utility>

#include "server_process.hpp"

namespace rookery::itest {

namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace json = boost::json;

/// One HTTP exchange's answer.
struct HttpReply {
  int status = 0;
  std::string body;
  std::string cookie;
};

/// One request on a new connection to `ip`:`port` (the side-port); throws if the connection
/// fails or closes without an answer.
inline HttpReply http(const std::string& ip, uint16_t port, bhttp::verb verb,
                      const std::string& target, const std::string& body = "",
                      const std::string& cookie = "", const std::string& csrf = "") {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket s(io);
  s.connect({boost::asio::ip::make_address(ip), port});
  bhttp::request<bhttp::string_body> req{verb, target, 11};
  req.set(bhttp::field::host, ip);
  if (!cookie.empty()) req.set(bhttp::field::cookie, cookie);
  if (!csrf.empty()) req.set("X-CSRF-Token", csrf);
  if (!body.empty()) {
    req.set(bhttp::field::content_type, "application/json");
    req.body() = body;
  }
  req.prepare_payload();
  bhttp::write(s, req);
  beast::flat_buffer buf;
  bhttp::response<bhttp::string_body> res;
  bhttp::read(s, buf, res);
  HttpReply r;
  r.status = static_cast<int>(res.result_int());
  r.body = res.body();
  if (auto c = res.find(bhttp::field::set_cookie); c != res.end()) {
    const std::string v(c->value());
    r.cookie = v.substr(0, v.find(';'));
  }
  return r;
}

/// The value of one series on the side-port's /metrics at `ip`:`port`, written as there
/// (`name{label="v",...}`); -1 if absent.
inline double metric_value(const std::string& ip, uint16_t port, const std::string& series) {
  const auto r = http(ip, port, bhttp::verb::get, "/metrics");
  for (size_t at = 0; (at = r.body.find(series + " ", at)) != std::string::npos; ++at) {
    if (at == 0 || r.body[at - 1] == '\n') return std::stod(r.body.substr(at + series.size()));
  }
  return -1;
}

/// An admin session (cookie, CSRF token) on the side-port at `ip`:`port`, for a user `name`
/// with `role` that the CLI adds to database `db` first.
inline std::pair<std::string, std::string> admin_session(const std::string& ip, uint16_t port,
                                                         const std::string& db,
                                                         const std::string& name,
                                                         const std::string& role = "admin") {
  const std::string password = name + "-password-" + std::to_string(::getpid());
  const std::string cmd = "printf '%s\\n' '" + password + "' | env -i '" + server_binary() +
                          "' admin add-user " + name + " --role " + role + " --db '" + db +
                          "' >/dev/null";
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("failed: " + cmd);
  json::object body{{"username", name}, {"password", password}};
  const auto r = http(ip, port, bhttp::verb::post, "/api/v1/auth/login", json::serialize(body));
  if (r.status != 200) throw std::runtime_error("admin login failed: " + r.body);
  const auto reply = json::parse(r.body).as_object();
  return {r.cookie, std::string(reply.at("csrf_token").as_string())};
}

}  // namespace rookery::itest
