// Spawns the real `rookery` binary for black-box tests: free ports (port 0, read back from the
// stdout banner), a database of the test's own (a SQLite file in its directory, or a PostgreSQL
// schema when $ROOKERY_TEST_PG names a server), stdout and stderr captured to files, and a stop
// that never leaves a process behind (SIGTERM, bounded wait, then SIGKILL).
#pragma once

#include <fcntl.h>
#include <libpq-fe.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

extern char** environ;

namespace rookery::itest {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

/// The server executable: $ROOKERY_BIN if set, else the path CMake compiled in.
inline std::string server_binary() {
  if (const char* env = std::getenv("ROOKERY_BIN"); env != nullptr && *env != '\0') return env;
  return ROOKERY_BIN;
}

/// The PostgreSQL server the tests use ($ROOKERY_TEST_PG), or "" for SQLite files.
inline std::string postgres_base_url() {
  const char* env = std::getenv("ROOKERY_TEST_PG");
  return env != nullptr ? env : "";
}

/// The PostgreSQL schema of the test whose directory is `dir` (unique, as the directory is).
inline std::string postgres_schema(const fs::path& dir) {
  std::string name = "it_";
  for (const char c : dir.filename().string()) {
    name += (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ? c
            : c >= 'A' && c <= 'Z'                           ? c + 32
                                                             : '_';
  }
  return name;
}

/// Runs one SQL command on the base server; false (and a message on stderr) if it failed.
inline bool postgres_command(const std::string& sql) {
  PGconn* conn = PQconnectdb(postgres_base_url().c_str());
  // NOTICEs ("drop cascades to ...") would clutter the test output.
  if (PQstatus(conn) == CONNECTION_OK) PQclear(PQexec(conn, "SET client_min_messages TO warning"));
  PGresult* r = PQstatus(conn) == CONNECTION_OK ? PQexec(conn, sql.c_str()) : nullptr;
  const bool ok = r != nullptr && PQresultStatus(r) == PGRES_COMMAND_OK;
  if (!ok) std::fprintf(stderr, "%s: %s\n", sql.c_str(), PQerrorMessage(conn));
  PQclear(r);
  PQfinish(conn);
  return ok;
}

/// The --db value for servers of the test in `dir`; creates its PostgreSQL schema if needed.
inline std::string test_database(const fs::path& dir) {
  const std::string base = postgres_base_url();
  if (base.empty()) return (dir / "rookery.db").string();
  const std::string schema = postgres_schema(dir);
  postgres_command("CREATE SCHEMA IF NOT EXISTS " + schema);
  return base + (base.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" +
         schema;
}

/// Drops the PostgreSQL schema of the test in `dir` (nothing for SQLite: the folder goes).
inline void drop_test_database(const fs::path& dir) {
  if (!postgres_base_url().empty()) {
    postgres_command("DROP SCHEMA IF EXISTS " + postgres_schema(dir) + " CASCADE");
  }
}

/// Reads a whole file; empty if it does not exist.
inline std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

/// One rookery process. Not copyable; the destructor kills it if it is still running.
class ServerProcess {
 public:
  /// `dir` holds the database and the captured output; `run` numbers the output files so a
  /// restarted server on the same database keeps its predecessor's logs.
  ServerProcess(fs::path dir, int run) : dir_(std::move(dir)), run_(run) {}
  ~ServerProcess() { kill_now(); }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  /// Runs the server under `prefix` (e.g. {"ip", "netns", "exec", "ns-a"}: a node in its own
  /// network namespace). The prefix must exec the server, so pid() stays the server's.
  void set_prefix(std::vector<std::string> prefix) { prefix_ = std::move(prefix); }

  /// Starts `rookery` with the test defaults plus `flags` and waits for the banner; throws
  /// std::runtime_error (with the server's stderr) if it does not come up within `timeout`.
  void start(const std::vector<std::string>& flags, std::chrono::milliseconds timeout = 30s) {
    // The command is named explicitly; every port is 0 (free ports, read back from the banner).
    std::vector<std::string> args = {server_binary(), "serve", "--tcp-port",  "0",
                                     "--ws-port",     "0",     "--http-port", "0",
                                     "--threads",     "2",     "--db",        database()};
    args.insert(args.end(), flags.begin(), flags.end());
    args.insert(args.begin(), prefix_.begin(), prefix_.end());
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) {
      if (std::string_view(*e).starts_with("ROOKERY_")) continue;  // hermetic configuration
      env.emplace_back(*e);
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);

    const int out = ::open(stdout_path().c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    const int err = ::open(stderr_path().c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0 || err < 0) throw std::runtime_error("cannot create the server's output files");
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid == 0) {
      // Child: async-signal-safe calls only. Dies with the test process, never outlives it.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
      ::dup2(out, STDOUT_FILENO);
      ::dup2(err, STDERR_FILENO);
      const int devnull = ::open("/dev/null", O_RDONLY);
      if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
      // No inherited client sockets: a test's dropped connection must really close.
      ::syscall(SYS_close_range, 3u, ~0u, 0u);
      if (argv[0][0] == '/') {
        ::execve(argv[0], argv.data(), envp.data());
      } else {
        ::execvpe(argv[0], argv.data(), envp.data());  // a prefix found on the PATH
      }
      ::_exit(127);
    }
    ::close(out);
    ::close(err);
    if (pid < 0) throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
    pid_ = pid;
    wait_for_banner(timeout);
  }

  uint16_t tcp_port() const { return tcp_port_; }
  uint16_t ws_port() const { return ws_port_; }
  /// The side-port's port (from the banner's "Metrics, health:" line).
  uint16_t http_port() const { return http_port_; }
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }
  /// What --db says: a SQLite path (db_path()) or a postgresql:// URL.
  std::string database() const { return test_database(dir_); }
  fs::path db_path() const { return dir_ / "rookery.db"; }
  fs::path stdout_path() const { return dir_ / ("stdout." + std::to_string(run_) + ".log"); }
  fs::path stderr_path() const { return dir_ / ("stderr." + std::to_string(run_) + ".log"); }
  std::string stderr_text() const { return read_file(stderr_path()); }

  /// True once stderr holds a line containing every one of `needles`, within `timeout`.
  bool wait_for_log(const std::vector<std::string>& needles, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      if (find_log_line(needles)) return true;
      if (Clock::now() >= deadline) return false;
      std::this_thread::sleep_for(20ms);
    }
  }

  /// The first stderr line containing every one of `needles`.
  std::optional<std::string> find_log_line(const std::vector<std::string>& needles) const {
    std::istringstream in(stderr_text());
    for (std::string line; std::getline(in, line);) {
      bool all = true;
      for (const auto& n : needles) all = all && line.find(n) != std::string::npos;
      if (all) return line;
    }
    return std::nullopt;
  }

  /// Sends `sig` and returns at once (see wait_exit).
  void send_signal(int sig) {
    if (pid_ > 0) ::kill(pid_, sig);
  }

  /// Waits up to `grace` for the process to exit, then SIGKILLs it. Returns the exit code, or
  /// -N if it died of signal N; nullopt if it had to be killed.
  std::optional<int> wait_exit(std::chrono::milliseconds grace) {
    if (pid_ <= 0) return exit_code_;
    const auto deadline = Clock::now() + grace;
    while (Clock::now() < deadline) {
      if (reap(WNOHANG)) return exit_code_;
      std::this_thread::sleep_for(10ms);
    }
    kill_now();
    return std::nullopt;
  }

  /// SIGTERM (a graceful drain), then wait_exit(grace).
  std::optional<int> stop(std::chrono::milliseconds grace = 30s) {
    send_signal(SIGTERM);
    return wait_exit(grace);
  }

  /// SIGKILL and reap: the crash case (and the cleanup of last resort).
  void kill_now() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    reap(0);
  }

 private:
  // Collects the child's status; true once it has exited.
  bool reap(int options) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, options);
    if (r == 0) return false;
    if (r == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    }
    pid_ = -1;
    return true;
  }

  void wait_for_banner(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      const std::string out = read_file(stdout_path());
      tcp_port_ = port_after(out, "Game, raw TCP:");
      ws_port_ = port_after(out, "Game, WebSocket:");
      http_port_ = url_port_after(out, "Metrics, health:");
      if (tcp_port_ != 0 && ws_port_ != 0) return;
      const bool exited = reap(WNOHANG);
      if (exited || Clock::now() >= deadline) {
        if (!exited) kill_now();
        throw std::runtime_error(
            std::string(exited ? "rookery exited during start-up" : "no banner from rookery") +
            "\n--- stdout ---\n" + out + "\n--- stderr ---\n" + stderr_text());
      }
      std::this_thread::sleep_for(20ms);
    }
  }

  // "  Game, raw TCP:    tcp://localhost:12345" -> 12345 (0 if the line is not there yet).
  static uint16_t port_after(const std::string& text, std::string_view label) {
    const auto at = text.find(label);
    if (at == std::string::npos) return 0;
    const auto eol = text.find('\n', at);
    if (eol == std::string::npos) return 0;  // line not complete yet
    std::string line = text.substr(at, eol - at);
    while (!line.empty() && (line.back() == '/' || line.back() == '\r')) line.pop_back();
    const auto colon = line.rfind(':');
    if (colon == std::string::npos) return 0;
    try {
      const int port = std::stoi(line.substr(colon + 1));
      return port > 0 && port < 65536 ? static_cast<uint16_t>(port) : 0;
    } catch (const std::exception&) {
      return 0;
    }
  }

  // "  Metrics, health:  http://127.0.0.1:8080/metrics ..." -> 8080 (0 if not there yet).
  static uint16_t url_port_after(const std::string& text, std::string_view label) {
    const auto at = text.find(label);
    if (at == std::string::npos) return 0;
    const auto scheme = text.find("://", at);
    const auto eol = text.find('\n', at);
    if (scheme == std::string::npos || eol == std::string::npos || scheme > eol) return 0;
    const auto slash = text.find('/', scheme + 3);
    const auto colon = text.rfind(':', slash);
    if (slash == std::string::npos || colon == std::string::npos || colon < scheme + 3) return 0;
    try {
      const int port = std::stoi(text.substr(colon + 1, slash - colon - 1));
      return port > 0 && port < 65536 ? static_cast<uint16_t>(port) : 0;
    } catch (const std::exception&) {
      return 0;
    }
  }

  fs::path dir_;
  int run_;
  std::vector<std::string> prefix_;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  uint16_t tcp_port_ = 0;
  uint16_t ws_port_ = 0;
  uint16_t http_port_ = 0;
};

}  // namespace rookery::itest
