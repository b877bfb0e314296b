// Admin authentication for the side-port: logins checked against the admin users in the store
// (same Argon2id KDF as players), sessions held in memory on the side-port thread, a session
// cookie (HttpOnly, SameSite=Strict) with a CSRF token for browser mutations, and the same
// token as a bearer credential for scripts. Failed logins back off per user and per address.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/guard.hpp"
#include "http/http_server.hpp"
#include "store/admin_store.hpp"

namespace rookery::http {

/// Admin roles, weakest first: a role may do everything the ones before it may.
enum class Role { viewer = 0, operator_ = 1, admin = 2 };

/// Parses "viewer" | "operator" | "admin".
std::optional<Role> parse_role(std::string_view text);
/// The role's name.
const char* to_string(Role role);

/// A logged-in admin.
struct AdminSession {
  std::string token;  // cookie value and bearer token
  std::string csrf;   // must accompany cookie-authenticated mutations (X-CSRF-Token)
  std::string username;
  Role role = Role::viewer;
  std::chrono::steady_clock::time_point expires;
};

/// Who is asking, after authentication.
struct Caller {
  const AdminSession* session = nullptr;  // null: not authenticated
  bool via_cookie = false;
};

/// Login, sessions and CSRF. Single-threaded: used only on the side-port thread; the password
/// check runs on the store's KDF pool and the result comes back through `post`.
class Auth {
 public:
  /// Runs a function on the side-port thread, later.
  using Post = std::function<void(std::function<void()>)>;
  Auth(store::AdminStore& store, std::chrono::seconds session_ttl, Post post);

  /// Outcome of a login attempt.
  struct LoginResult {
    int status = 401;  // 200, 400, 401, 429 or 503
    std::string message;
    const AdminSession* session = nullptr;
    uint32_t retry_after_s = 0;  // 429: when to try again
  };
  /// Verifies a username and password without blocking this thread: `done` runs later on the
  /// side-port thread with the result (a session on success).
  void login(std::string username, std::string password, std::string peer,
             std::function<void(LoginResult)> done);
  /// True while the session with this token exists and has not expired.
  bool valid(const std::string& token) const;
  /// Ends the session with this token.
  void logout(const std::string& token);
  /// Finds the caller's session from the Authorization bearer token or the session cookie.
  Caller authenticate(const Request& req);
  /// True if a mutation by this caller carries a valid CSRF token (always true for bearer).
  bool csrf_ok(const Request& req, const Caller& caller) const;
  /// Set-Cookie header value for a session (or an expired one to clear it).
  std::string cookie_for(const AdminSession* session) const;

  static constexpr const char* kCookieName = "rookery_session";

 private:
  LoginResult finish_login(store::Status status, const store::AdminUser& user,
                           const std::string& key, const std::string& peer);

  store::AdminStore& store_;
  std::chrono::seconds ttl_;
  Post post_;
  std::unordered_map<std::string, AdminSession> sessions_;
  core::Guard limits_;  // failed logins per user and per address (bounded, with backoff)
};

/// 32 hex characters from the kernel's CSPRNG.
std::string random_token();

}  // namespace rookery::http
