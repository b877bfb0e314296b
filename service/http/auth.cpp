#include "http/auth.hpp"

#include <boost/beast/http/field.hpp>
#include <cerrno>
#include <stdexcept>

#include "base/clock.hpp"
#include "base/random.hpp"
#include "base/text.hpp"

namespace rookery::http {
namespace bhttp = boost::beast::http;
using Clock = std::chrono::steady_clock;

std::optional<Role> parse_role(std::string_view text) {
  if (text == "viewer") return Role::viewer;
  if (text == "operator") return Role::operator_;
  if (text == "admin") return Role::admin;
  return std::nullopt;
}

const char* to_string(Role role) {
  switch (role) {
    case Role::viewer:
      return "viewer";
    case Role::operator_:
      return "operator";
    case Role::admin:
      return "admin";
  }
  return "viewer";
}

std::string random_token() {
  return random_hex_token();
}

namespace {

// Constant-time comparison: a CSRF or session token must not leak through timing.
bool same_secret(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::string cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const size_t semi = header.find(';');
    std::string_view part = header.substr(0, semi);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.size() > name.size() && part.substr(0, name.size()) == name &&
        part[name.size()] == '=') {
      return std::string(part.substr(name.size() + 1));
    }
    if (semi == std::string_view::npos) break;
    header.remove_prefix(semi + 1);
  }
  return {};
}

// The console's login limits: the game's rule (core::Guard), with its own tables and a
// tighter budget. No address is exempt: the console is where an attacker wins most.
core::GuardSettings admin_login_limits() {
  core::GuardSettings s;
  s.password_failures_per_account = 5;
  s.password_failures_per_address = 10;
  s.exempt = {};
  return s;
}

}  // namespace

Auth::Auth(store::AdminStore& store, std::chrono::seconds session_ttl, Post post)
    : store_(store), ttl_(session_ttl), post_(std::move(post)), limits_(admin_login_limits()) {}

void Auth::login(std::string username, std::string password, std::string peer,
                 std::function<void(LoginResult)> done) {
  const std::string user = base::ascii_lower(username);
  core::Limit which = core::Limit::password_account;
  const int64_t wait = limits_.password_attempt(user, peer, steady_millis(), &which);
  if (wait > 0) {
    LoginResult r;
    r.status = 429;
    r.retry_after_s = static_cast<uint32_t>((wait + 999) / 1000);
    r.message = std::string(which == core::Limit::password_address
                                ? "too many failed logins from this address"
                                : "too many failed logins for this user") +
                "; try again in " + std::to_string(r.retry_after_s) + " s";
    done(std::move(r));
    return;
  }
  // The store verifies on its KDF pool and answers on a store thread; the session table lives
  // on the side-port thread, so the rest happens there.
  store_.verify_admin(
      std::move(username), std::move(password),
      [this, user, peer = std::move(peer), done = std::move(done)](store::Status st,
                                                                   store::AdminUser admin) mutable {
        post_([this, st, user = std::move(user), admin = std::move(admin), peer = std::move(peer),
               done = std::move(done)] { done(finish_login(st, admin, user, peer)); });
      });
}

Auth::LoginResult Auth::finish_login(store::Status status, const store::AdminUser& user,
                                     const std::string& key, const std::string& peer) {
  LoginResult r;
  const bool unavailable = status == store::Status::failed || status == store::Status::overloaded;
  // The attempt was counted as a failure when it began: only a wrong guess keeps it.
  if (status == store::Status::ok) {
    limits_.password_succeeded(key, peer);
  } else if (unavailable) {
    limits_.password_unanswered(key, peer);
  }
  if (unavailable) {
    r.status = 503;
    r.message = status == store::Status::overloaded ? "admin store busy; try again"
                                                    : "admin store unavailable";
    return r;
  }
  if (status != store::Status::ok) {
    r.status = status == store::Status::invalid ? 400 : 401;
    r.message = "wrong username or password";
    return r;
  }
  const auto role = parse_role(user.role);
  AdminSession s;
  s.token = random_token();
  s.csrf = random_token();
  s.username = user.username;
  s.role = role.value_or(Role::viewer);
  s.expires = Clock::now() + ttl_;
  // Drop expired sessions now and then so the table stays small.
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    it = it->second.expires < Clock::now() ? sessions_.erase(it) : std::next(it);
  }
  auto [it, inserted] = sessions_.emplace(s.token, std::move(s));
  (void)inserted;
  r.status = 200;
  r.session = &it->second;
  return r;
}

void Auth::logout(const std::string& token) {
  sessions_.erase(token);
}

bool Auth::valid(const std::string& token) const {
  const auto it = sessions_.find(token);
  return it != sessions_.end() && it->second.expires >= Clock::now();
}

Caller Auth::authenticate(const Request& req) {
  Caller c;
  std::string token;
  const auto authz = req[bhttp::field::authorization];
  if (authz.size() > 7 && authz.substr(0, 7) == "Bearer ") {
    token = std::string(authz.substr(7));
  } else {
    token = cookie_value(req[bhttp::field::cookie], kCookieName);
    c.via_cookie = true;
  }
  if (token.empty()) return c;
  auto it = sessions_.find(token);
  if (it == sessions_.end()) return c;
  if (it->second.expires < Clock::now()) {
    sessions_.erase(it);
    return c;
  }
  c.session = &it->second;
  return c;
}

bool Auth::csrf_ok(const Request& req, const Caller& caller) const {
  if (!caller.session) return false;
  if (!caller.via_cookie) return true;  // bearer tokens are never sent by a browser on its own
  return same_secret(req["X-CSRF-Token"], caller.session->csrf);
}

std::string Auth::cookie_for(const AdminSession* session) const {
  if (!session) {
    return std::string(kCookieName) + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0";
  }
  return std::string(kCookieName) + "=" + session->token +
         "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(ttl_.count());
}

}  // namespace rookery::http
