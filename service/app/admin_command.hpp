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

/// If `store` has no admin user and both values are set (non-empty), creates `user_env` with role
/// admin and password `pass_env`, and audits it (actor "env"). Logs what it did or why not,
/// never the password. Blocks until the store answered; call it at start, not from a callback.
void ensure_first_admin(store::AdminStore& store,
                        const char* user_env = std::getenv("ROOKERY_ADMIN_USER"),
                        const char* pass_env = std::getenv("ROOKERY_ADMIN_PASSWORD"));

}  // namespace rookery::app
