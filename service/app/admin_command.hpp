// `rookery admin ...`: managing admin console users from the command line, and the first admin
// user created from environment variables at server start (for containers).
#pragma once

#include <cstdlib>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "store/admin_store.hpp"

namespace rookery::app {

/// Runs `rookery admin ARGS...` (`args` are the words after "admin") on the database
/// cfg.store.db: `add-user NAME --role ROLE` (password: first line of stdin, or asked twice
/// without echo on a terminal) or `list-users`. Prints to stdout/stderr and returns the exit
/// status: 0 done, 1 not done (name taken, database error), 2 bad usage or input.
int run_admin_command(const config::Config& cfg, const std::vector<std::string>& args);

/// Makes sure someone can log in to the admin console, and says how, for the banner. If `store`
/// has no admin user: with ROOKERY_ADMIN_USER and ROOKERY_ADMIN_PASSWORD both set, creates that
/// user; with neither set and a `password_file` path, creates `admin` with a random password
/// written to that file (owner-only; an existing file's password is reused). Audits what it
/// made, logs what it did or why not, never the password. Blocks until the store answered: call
/// it at start, not from a callback.
std::string ensure_first_admin(store::AdminStore& store, const std::string& password_file,
                               const char* user_env = std::getenv("ROOKERY_ADMIN_USER"),
                               const char* pass_env = std::getenv("ROOKERY_ADMIN_PASSWORD"));

}  // namespace rookery::app
