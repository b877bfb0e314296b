// One typed configuration tree. Every key has a default, bounds and a help line (see the key
// table in config.cpp); values come from defaults < config file < ROOKERY_* environment <
// command-line flags. Each component receives only its own sub-struct.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace rookery::config {

/// Game ports and connection admission (net/).
struct NetConfig {
  std::string bind = "::";            // bind address; "::" listens on IPv4 and IPv6
  uint16_t tcp_port = 12122;          // raw TCP game port; 0 picks a free port
  uint16_t ws_port = 12123;           // WebSocket game port; 0 picks a free port
  uint32_t backlog = 4096;            // listen(2) backlog (the kernel caps it at somaxconn)
  uint32_t max_connections = 100000;  // game connections past this are refused (SERVER_FULL)
  uint32_t threads = 0;               // shards (one io_context + thread each); 0 = CPU cores
  std::string web_root;  // built web game, served on the WebSocket port; "" = beside the binary

  bool operator==(const NetConfig&) const = default;
};

/// Per-connection protection (net/ and the session layer).
struct LimitsConfig {
  uint32_t max_frame_bytes = 65536;        // largest Envelope accepted
  uint32_t msg_rate = 60;                  // sustained messages per second (token bucket)
  uint32_t msg_burst = 120;                // bucket size
  uint32_t handshake_timeout_ms = 10000;   // no successful login within this: close
  uint32_t idle_timeout_ms = 60000;        // no message within this: close
  uint32_t outbound_queue_bytes = 262144;  // queued-but-unsent bytes past this: slow consumer
  uint32_t max_errors = 10;                // bad messages before the connection is closed
  // Per client address (an IPv6 client counts per /64) and per account; 0 turns one off.
  uint32_t max_connections_per_address = 64;      // game connections at once
  uint32_t accounts_per_address_per_minute = 10;  // new accounts, guest or not (a burst of as many)
  uint32_t password_failures_per_account = 5;     // free failures before the backoff (1 s..30 s)
  uint32_t password_failures_per_address = 20;    // the same per address (1 s..10 min)
  std::string limits_exempt = "127.0.0.0/8,::1";  // addresses the per-address limits spare

  bool operator==(const LimitsConfig&) const = default;
};

/// Rooms and reconnection (rooms/).
struct RoomsConfig {
  uint32_t empty_room_timeout_ms = 30000;  // a room with no members is disposed after this
  uint32_t reconnect_grace_ms = 30000;     // a dropped player's seat is held this long
  uint32_t input_queue = 32;               // inputs buffered per member between two ticks
  uint32_t spelltraction_tick_hz = 20;
  uint32_t spelltraction_hold_ms = 2000;  // attractor hold time that scores a letter
  uint32_t spelltraction_max_players = 100;
  uint32_t relay_tick_hz = 20;
  uint32_t relay_max_players = 64;
  uint32_t checkpoint_ms = 5000;        // running games are saved this often (0: at the end)
  uint32_t max_rooms = 10000;           // rooms on this node at once
  uint32_t max_rooms_per_player = 3;    // open rooms a player created (CreateRoom); 0: no cap
  uint32_t max_rooms_per_address = 10;  // the same per client address; 0: no cap

  bool operator==(const RoomsConfig&) const = default;
};

/// The player store (store/).
struct StoreConfig {
  std::string db = "data/rookery.db";  // SQLite file (folder created if missing) or postgresql://
  std::string synchronous = "full";    // SQLite PRAGMA synchronous: "full" or "normal"
  uint32_t batch_max = 512;            // requests per transaction at most
  uint32_t queue_max = 10000;          // requests waiting for the database; more: overloaded
  uint32_t kdf_queue_max = 256;        // passwords waiting for hashing; more: overloaded
  uint32_t read_connections = 2;       // PostgreSQL reader connections beside the writer

  bool operator==(const StoreConfig&) const = default;
};

/// The HTTP side-port (http/).
struct HttpConfig {
  std::string bind = "127.0.0.1";  // side-port bind address; internal by default
  uint16_t port = 8080;            // 0 picks a free port
  std::string admin_ui_root;       // built admin console; "" = beside the binary, "none" = off

  bool operator==(const HttpConfig&) const = default;
};

/// Process-wide settings (app/).
struct ServerConfig {
  std::string name = "rookery";           // sent in Welcome.server_name
  uint32_t shutdown_deadline_ms = 30000;  // SIGTERM: exit within this
  std::string log_format = "text";        // "text" or "json"
  std::string log_level = "info";         // "debug", "info", "warn", "error"

  bool operator==(const ServerConfig&) const = default;
};

/// Cluster membership (cluster/): empty `redis` means a standalone node.
struct ClusterConfig {
  std::string redis;           // redis://host:port of the cluster directory; "" = standalone
  std::string node_id;         // unique per node; "" = the host name
  std::string advertise_host;  // where clients reach this node's game ports; "" = host name
  std::string cluster_name = "rookery";  // key prefix in Redis: several clusters can share one
  uint32_t lease_ms = 3000;              // a node that has not renewed for this long is gone
  uint32_t ticket_ttl_ms = 10000;        // a redirect's seat is held this long for the player

  bool operator==(const ClusterConfig&) const = default;
};

/// The whole configuration.
struct Config {
  NetConfig net;
  LimitsConfig limits;
  RoomsConfig rooms;
  StoreConfig store;
  HttpConfig http;
  ServerConfig server;
  ClusterConfig cluster;

  bool operator==(const Config&) const = default;
};

/// A bad value or unknown key; what() names the key and the source (flag, env, file:line).
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Result of reading the command line, environment and config file.
struct Invocation {
  Config config;
  std::string command = "serve";      // first non-flag word: serve, migrate, check-config, ...
  std::vector<std::string> args;      // words after the command; for "admin" also its own flags
  bool help = false;                  // --help / -h
  bool version = false;               // --version
  std::vector<std::string> warnings;  // non-fatal findings (unknown ROOKERY_* variable): log them
};

/// Parses argv (argv[0] skipped) and `env` (pass the process environment; injectable for tests).
/// `--config FILE` (or ROOKERY_CONFIG) names the file. Throws ConfigError on any bad input.
/// With --help or --version nothing else is read or checked, so help works with a broken setup.
Invocation parse(const std::vector<std::string>& argv,
                 const std::map<std::string, std::string>& env);

/// Builds the env map from the process environment (only ROOKERY_* entries).
std::map<std::string, std::string> process_env();

/// The `rookery --help` text: commands, then every key with flag, env var, default, bounds, help.
std::string help_text();

/// The effective configuration, one "key = value" line per key (the config file format).
std::string dump(const Config& config);

}  // namespace rookery::config
