#include "app/admin_command.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <exception>
#include <future>
#include <iterator>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>

#include "base/log.hpp"
#include "base/random.hpp"
#include "store/store.hpp"

namespace rookery::app {
namespace {

using store::AdminStore;
using store::Status;

// Exit statuses of `rookery admin`.
constexpr int kDone = 0;
constexpr int kNotDone = 1;   // the request was fine but could not be carried out
constexpr int kBadInput = 2;  // usage, name, role or password is wrong: nothing was tried

constexpr const char* kUsage =
    "Usage:\n"
    "  rookery admin add-user NAME --role viewer|operator|admin   (password: first line of "
    "stdin)\n"
    "  rookery admin list-users\n"
    "Configuration flags such as --db FILE or --config FILE apply as for every command.\n";

int bad_input(const std::string& message, bool with_usage = false) {
  std::fprintf(stderr, "rookery admin: %s\n%s", message.c_str(), with_usage ? kUsage : "");
  return kBadInput;
}

int not_done(const std::string& message) {
  std::fprintf(stderr, "rookery admin: %s\n", message.c_str());
  return kNotDone;
}

// ---------------------------------------------------------------------------------------------
// Waiting for the store (the store always answers, so no timeout is needed).

template <class Start>
Status wait_status(Start start) {
  std::promise<Status> done;
  auto answer = done.get_future();
  start([&done](Status s) { done.set_value(s); });
  return answer.get();
}

template <class T, class Start>
std::pair<Status, T> wait_value(Start start) {
  std::promise<std::pair<Status, T>> done;
  auto answer = done.get_future();
  start([&done](Status s, T value) { done.set_value({s, std::move(value)}); });
  return answer.get();
}

// ---------------------------------------------------------------------------------------------
// The password, from a pipe or typed without echo.

enum class Line { ok, eof, too_long };

// Reads one line of stdin into `out` without its "\n" or "\r\n". Stops reading past
// kPasswordMax bytes (too_long); eof when stdin ends (or fails) before the first byte.
Line read_line(std::string& out) {
  out.clear();
  bool any = false;
  for (;;) {
    const int c = std::fgetc(stdin);
    if (c == EOF) break;
    any = true;
    if (c == '\n') break;
    if (out.size() > AdminStore::kPasswordMax) return Line::too_long;  // "\r" may follow 256
    out += static_cast<char>(c);
  }
  if (!any) return Line::eof;
  if (!out.empty() && out.back() == '\r') out.pop_back();
  return out.size() > AdminStore::kPasswordMax ? Line::too_long : Line::ok;
}

// Terminal state to put back if a signal ends the process while echo is off.
termios g_saved_termios{};
volatile std::sig_atomic_t g_echo_off = 0;
constexpr int kRestoreSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

void restore_echo_and_reraise(int sig) {
  if (g_echo_off != 0) tcsetattr(STDIN_FILENO, TCSANOW, &g_saved_termios);
  const char newline = '\n';
  if (write(STDERR_FILENO, &newline, 1) < 0) {
    // Nothing to do: the process is ending anyway.
  }
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

// Turns off echo on the stdin terminal for its lifetime, also if Ctrl-C ends the process.
class EchoOff {
 public:
  EchoOff() {
    if (tcgetattr(STDIN_FILENO, &g_saved_termios) != 0) return;
    struct sigaction action {};
    action.sa_handler = restore_echo_and_reraise;
    sigemptyset(&action.sa_mask);
    for (size_t i = 0; i < std::size(kRestoreSignals); ++i) {
      sigaction(kRestoreSignals[i], &action, &previous_[i]);
    }
    termios quiet = g_saved_termios;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    g_echo_off = 1;
    ok_ = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
  }
  ~EchoOff() {
    if (g_echo_off == 0) return;
    tcsetattr(STDIN_FILENO, TCSANOW, &g_saved_termios);
    g_echo_off = 0;
    for (size_t i = 0; i < std::size(kRestoreSignals); ++i) {
      sigaction(kRestoreSignals[i], &previous_[i], nullptr);
    }
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

  bool ok() const { return ok_; }

 private:
  bool ok_ = false;
  struct sigaction previous_[std::size(kRestoreSignals)]{};
};

// Checks a password read by read_line(); returns kDone or the exit status of the error.
int check_password(Line line, const std::string& password) {
  switch (line) {
    case Line::eof:
      return bad_input(
          "no password on stdin: type it at a terminal, or pipe it in, e.g. "
          "printf '%s\\n' \"$PASSWORD\" | rookery admin add-user NAME --role ROLE");
    case Line::too_long:
      return bad_input("password too long: at most " + std::to_string(AdminStore::kPasswordMax) +
                       " bytes");
    case Line::ok:
      break;
  }
  if (password.size() < AdminStore::kPasswordMin) {
    return bad_input("password too weak: use at least " + std::to_string(AdminStore::kPasswordMin) +
                     " characters");
  }
  return kDone;
}

// Gets the new user's password into `out`: asked twice without echo when stdin is a terminal,
// else the first line of stdin. Returns kDone or the exit status of the error.
int read_password(const std::string& name, std::string& out) {
  if (isatty(STDIN_FILENO) == 0) return check_password(read_line(out), out);

  EchoOff echo_off;
  if (!echo_off.ok()) {
    return bad_input("cannot hide the password on this terminal; pipe it in on stdin instead");
  }
  std::fprintf(stderr, "Password for %s: ", name.c_str());
  std::fflush(stderr);
  const Line first = read_line(out);
  std::fputc('\n', stderr);
  if (const int rc = check_password(first, out); rc != kDone) return rc;
  std::fprintf(stderr, "Repeat the password: ");
  std::fflush(stderr);
  std::string again;
  const Line second = read_line(again);
  std::fputc('\n', stderr);
  if (second != Line::ok || again != out) {
    return bad_input("the passwords do not match; nothing was created");
  }
  return kDone;
}

// ---------------------------------------------------------------------------------------------

std::unique_ptr<store::Store> open_store(const config::Config& cfg) {
  store::StoreOptions options;
  options.path = cfg.store.db;
  options.synchronous = cfg.store.synchronous;
  options.batch_max = cfg.store.batch_max;
  try {
    return store::open_store(options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rookery admin: cannot open the database: %s\n", e.what());
    return nullptr;
  }
}

// Who ran the command, for the audit log: the effective unix user.
std::string unix_user() {
  if (const passwd* pw = getpwuid(geteuid()); pw != nullptr && pw->pw_name != nullptr) {
    return pw->pw_name;
  }
  return "uid " + std::to_string(geteuid());
}

// "2026-01-31 12:00:00" (UTC), or "never" for 0.
std::string utc_time(int64_t unix_ms) {
  if (unix_ms <= 0) return "never";
  const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  char text[32] = "?";
  if (gmtime_r(&seconds, &tm) != nullptr) std::strftime(text, sizeof text, "%F %T", &tm);
  return text;
}

// The command line after "admin": positional words and --role. Only words starting with "--"
// are flags, so a username may start with "-".
struct AdminArgs {
  std::vector<std::string> words;
  std::optional<std::string> role;
  std::string error;  // the first problem found
};

AdminArgs split_args(const std::vector<std::string>& args) {
  AdminArgs out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& word = args[i];
    if (word == "--role") {
      if (i + 1 < args.size()) {
        out.role = args[++i];
      } else if (out.error.empty()) {
        out.error = "--role needs a value: viewer, operator or admin";
      }
    } else if (word.starts_with("--role=")) {
      out.role = word.substr(7);
    } else if (word.starts_with("--")) {
      if (out.error.empty()) out.error = "unknown flag " + word;
    } else {
      out.words.push_back(word);
    }
  }
  return out;
}

int add_user(const config::Config& cfg, const AdminArgs& a) {
  if (a.words.size() < 2) return bad_input("add-user needs the NAME of the new user", true);
  if (a.words.size() > 2) return bad_input("unexpected argument '" + a.words[2] + "'", true);
  const std::string& name = a.words[1];
  if (!a.role) return bad_input("add-user needs --role viewer|operator|admin", true);
  if (!store::valid_admin_username(name)) {
    return bad_input("invalid username '" + name +
                     "': use 3 to 32 characters from A-Z, a-z, 0-9, '_', '.' and '-'");
  }
  if (store::admin_role_rank(*a.role) == 0) {
    return bad_input("invalid role '" + *a.role + "': use viewer, operator or admin");
  }
  std::string password;
  if (const int rc = read_password(name, password); rc != kDone) return rc;

  const auto db = open_store(cfg);
  if (!db) return kNotDone;
  const Status status = wait_status(
      [&](auto done) { db->create_admin(name, std::move(password), *a.role, std::move(done)); });
  if (status == Status::ok || status == Status::username_taken) {
    store::AuditEntry entry;
    entry.actor = "cli";
    entry.action = "admin_user.create";
    entry.target = "admin:" + name;
    entry.detail = "role " + *a.role + "; rookery admin add-user run by unix user " + unix_user();
    entry.ok = status == Status::ok;
    if (wait_status([&](auto done) { db->append_audit(std::move(entry), std::move(done)); }) !=
        Status::ok) {
      std::fprintf(stderr, "rookery admin: warning: could not write the audit log entry\n");
    }
  }
  switch (status) {
    case Status::ok:
      std::printf("Created admin user '%s' with role %s in %s.\n", name.c_str(), a.role->c_str(),
                  cfg.store.db.c_str());
      return kDone;
    case Status::username_taken:
      return not_done("admin user '" + name + "' already exists (names ignore case)");
    case Status::invalid:
      return bad_input("the store refused the username, role or password");
    default:
      return not_done("database error; see the log above");
  }
}

int list_users(const config::Config& cfg, const AdminArgs& a) {
  if (a.words.size() > 1) return bad_input("unexpected argument '" + a.words[1] + "'", true);
  if (a.role) return bad_input("list-users takes no --role", true);
  const auto db = open_store(cfg);
  if (!db) return kNotDone;
  auto [status, users] = wait_value<std::vector<store::AdminUser>>(
      [&](auto done) { db->list_admins(std::move(done)); });
  if (status != Status::ok) return not_done("database error; see the log above");
  if (users.empty()) {
    std::printf(
        "No admin users in %s.\nCreate one with: rookery admin add-user NAME --role admin\n",
        cfg.store.db.c_str());
    return kDone;
  }
  std::vector<std::vector<std::string>> rows = {
      {"ID", "USERNAME", "ROLE", "CREATED (UTC)", "LAST LOGIN (UTC)"}};
  for (const store::AdminUser& u : users) {
    rows.push_back({std::to_string(u.id), u.username, u.role, utc_time(u.created_ms),
                    utc_time(u.last_login_ms)});
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) line.append(width[c] - row[c].size() + 2, ' ');
    }
    std::printf("%s\n", line.c_str());
  }
  return kDone;
}

}  // namespace

int run_admin_command(const config::Config& cfg, const std::vector<std::string>& args) {
  const AdminArgs a = split_args(args);
  if (!a.error.empty()) return bad_input(a.error, true);
  if (a.words.empty()) return bad_input("which admin command?", true);
  const std::string& command = a.words[0];
  if (command == "add-user") return add_user(cfg, a);
  if (command == "list-users") return list_users(cfg, a);
  if (command == "help") {
    std::printf("%s", kUsage);
    return kDone;
  }
  return bad_input("unknown admin command '" + command + "'", true);
}

namespace {

// The first line of a password file, or "" if it cannot be read.
std::string read_password_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "re");
  if (f == nullptr) return "";
  char buf[AdminStore::kPasswordMax + 2] = {};
  const bool got = std::fgets(buf, sizeof buf, f) != nullptr;
  std::fclose(f);
  if (!got) return "";
  std::string line(buf);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return line;
}

// Writes a new random password to `path`, readable by the owner only; "" if it cannot.
std::string write_new_password_file(const std::string& path) {
  const std::string password = random_hex_token().substr(0, 24);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return "";
  const std::string line = password + "\n";
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!written || !synced) {
    ::unlink(path.c_str());
    return "";
  }
  return password;
}

// Creates admin `user` with `pass` and audits it as done by `actor`; true if it exists now.
bool create_first_admin(store::AdminStore& store, const std::string& user, const std::string& pass,
                        const std::string& actor, const std::string& source) {
  const Status created =
      wait_status([&](auto done) { store.create_admin(user, pass, "admin", std::move(done)); });
  if (created == Status::ok) {
    store::AuditEntry entry;
    entry.actor = actor;
    entry.action = "admin_user.create";
    entry.target = "admin:" + user;
    entry.detail = "role admin; first admin user, " + source;
    entry.ok = true;
    if (wait_status([&](auto done) { store.append_audit(std::move(entry), std::move(done)); }) !=
        Status::ok) {
      log::warn("could not write the audit log entry for the first admin user");
    }
    log::info("created the first admin user", {{"username", user}, {"from", source}});
    return true;
  }
  if (created == Status::username_taken) {
    // Another process (a second replica, the CLI) made it between the count and the insert.
    log::info("first admin user already exists", {{"username", user}});
    return true;
  }
  log::error("could not create the first admin user",
             {{"username", user},
              {"from", source},
              {"status", created == Status::invalid ? "invalid" : "failed"}});
  return false;
}

constexpr const char* kNoAdminHint = "no admin user yet: rookery admin add-user NAME --role admin";

}  // namespace

std::string ensure_first_admin(store::AdminStore& store, const std::string& password_file,
                               const char* user_env, const char* pass_env) {
  const std::string user = user_env != nullptr ? user_env : "";
  const std::string pass = pass_env != nullptr ? pass_env : "";
  const auto [status, admins] =
      wait_value<int64_t>([&](auto done) { store.count_admins(std::move(done)); });
  if (status != Status::ok) {
    log::error("cannot count admin users; no first admin user was made");
    return "admin users could not be read: see the log";
  }
  const bool from_file = !password_file.empty() && ::access(password_file.c_str(), F_OK) == 0;
  const std::string file_hint = "user admin, password in " + password_file;
  if (admins > 0) {
    if (!user.empty() || !pass.empty()) {
      log::info("admin users exist; ROOKERY_ADMIN_USER and ROOKERY_ADMIN_PASSWORD are ignored",
                {{"admin_users", std::to_string(admins)}});
    }
    return from_file ? file_hint : "log in with an admin user (rookery admin list-users)";
  }
  if (!user.empty() || !pass.empty()) {
    if (user.empty() || pass.empty()) {
      log::error(
          "set both ROOKERY_ADMIN_USER and ROOKERY_ADMIN_PASSWORD to create the first admin "
          "user; none was created",
          {{"missing", user.empty() ? "ROOKERY_ADMIN_USER" : "ROOKERY_ADMIN_PASSWORD"}});
      return kNoAdminHint;
    }
    if (!store::valid_admin_username(user)) {
      log::error(
          "ROOKERY_ADMIN_USER is not a valid username (3 to 32 of A-Z a-z 0-9 _ . -); no "
          "admin user was created",
          {{"username", user}});
      return kNoAdminHint;
    }
    if (pass.size() < AdminStore::kPasswordMin || pass.size() > AdminStore::kPasswordMax) {
      log::error("ROOKERY_ADMIN_PASSWORD must be 8 to 256 bytes long; no admin user was created",
                 {{"username", user}});
      return kNoAdminHint;
    }
    return create_first_admin(store, user, pass, "env", "from ROOKERY_ADMIN_USER")
               ? "user " + user + ", password from ROOKERY_ADMIN_PASSWORD"
               : kNoAdminHint;
  }
  if (password_file.empty()) {
    log::warn(
        "no admin users: nobody can log in to the admin console; create one with 'rookery admin "
        "add-user NAME --role admin' or set ROOKERY_ADMIN_USER and ROOKERY_ADMIN_PASSWORD");
    return kNoAdminHint;
  }
  // A first start with nothing configured: make `admin` with a random password kept beside the
  // database (owner-only), so a newcomer can open the console at once. A file left from an
  // earlier database is reused.
  std::string generated = from_file ? read_password_file(password_file) : "";
  if (generated.size() < AdminStore::kPasswordMin) {
    if (from_file) ::unlink(password_file.c_str());
    generated = write_new_password_file(password_file);
  }
  if (generated.empty()) {
    log::error("cannot write the first admin password file; no admin user was created",
               {{"file", password_file}});
    return kNoAdminHint;
  }
  return create_first_admin(store, "admin", generated, "server", "password in " + password_file)
             ? file_hint
             : kNoAdminHint;
}

}  // namespace rookery::app
