// The key table and the four sources (defaults, config file, ROOKERY_* environment, flags).
// Everything about a key lives in one row of kKeys, so help, dump, parsing and bounds cannot
// drift apart (the Redis `static_configs[]` idea).
#include "config/config.hpp"

#include "base/address.hpp"

#include <unistd.h>  // environ

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <span>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace rookery::config {
namespace {

enum class Type { uint, string, enumeration };

// Where a key's value lives inside Config; a variant so one table row serves every field type.
using Slot = std::variant<uint16_t*, uint32_t*, std::string*>;
using ConstSlot = std::variant<const uint16_t*, const uint32_t*, const std::string*>;

struct Accessor {
  Slot (*get)(Config&);
  ConstSlot (*get_const)(const Config&);
};

// Binds a row to Config.<Section>.<Member> with plain function pointers, so the table stays
// constexpr and a wrong member type fails to compile instead of failing at run time.
template <auto Section, auto Member>
constexpr Accessor field = {
    [](Config& c) -> Slot { return &(c.*Section.*Member); },
    [](const Config& c) -> ConstSlot { return &(c.*Section.*Member); },
};

struct Key {
  std::string_view section;  // heading in help_text()
  std::string_view name;     // config file key
  std::string_view flag;
  std::string_view env;
  Type type = Type::uint;
  uint32_t min = 0;  // numbers: smallest value; strings: shortest length
  uint32_t max = 0;  // numbers: largest value; strings: longest length
  std::span<const std::string_view> allowed = {};  // enumerations only
  std::string_view help;
  Accessor access;
};

constexpr std::array<std::string_view, 2> kSynchronous = {"full", "normal"};
constexpr std::array<std::string_view, 2> kLogFormats = {"text", "json"};
constexpr std::array<std::string_view, 4> kLogLevels = {"debug", "info", "warn", "error"};

constexpr uint32_t kPortMax = 65535;
constexpr uint32_t kHour = 3'600'000;  // ms
constexpr uint32_t kDay = 24 * kHour;  // ms
constexpr uint32_t kAddressMax = 255;  // longest host name (RFC 1035)

constexpr std::array kKeys = {
    // Game network (net/).
    Key{.section = "Game network",
        .name = "bind",
        .flag = "--bind",
        .env = "ROOKERY_BIND",
        .type = Type::string,
        .min = 1,
        .max = kAddressMax,
        .help = "Address the game ports listen on; \"::\" listens on IPv4 and IPv6",
        .access = field<&Config::net, &NetConfig::bind>},
    Key{.section = "Game network",
        .name = "tcp_port",
        .flag = "--tcp-port",
        .env = "ROOKERY_TCP_PORT",
        .min = 0,
        .max = kPortMax,
        .help = "Raw TCP game port; 0 picks a free port",
        .access = field<&Config::net, &NetConfig::tcp_port>},
    Key{.section = "Game network",
        .name = "ws_port",
        .flag = "--ws-port",
        .env = "ROOKERY_WS_PORT",
        .min = 0,
        .max = kPortMax,
        .help = "WebSocket game port; 0 picks a free port",
        .access = field<&Config::net, &NetConfig::ws_port>},
    Key{.section = "Game network",
        .name = "backlog",
        .flag = "--backlog",
        .env = "ROOKERY_BACKLOG",
        .min = 1,
        .max = 1'048'576,
        .help = "listen(2) backlog of each game port (the kernel caps it at somaxconn)",
        .access = field<&Config::net, &NetConfig::backlog>},
    Key{.section = "Game network",
        .name = "max_connections",
        .flag = "--max-connections",
        .env = "ROOKERY_MAX_CONNECTIONS",
        .min = 1,
        .max = 10'000'000,
        .help = "Game connections past this many are refused with SERVER_FULL",
        .access = field<&Config::net, &NetConfig::max_connections>},
    Key{.section = "Game network",
        .name = "threads",
        .flag = "--threads",
        .env = "ROOKERY_THREADS",
        .min = 0,
        .max = 256,
        .help = "Network shards (one io_context and thread each); 0 uses one per CPU core",
        .access = field<&Config::net, &NetConfig::threads>},

    // Per-connection limits (net/ and the session layer).
    Key{.section = "Per-connection limits",
        .name = "max_frame_bytes",
        .flag = "--max-frame-bytes",
        .env = "ROOKERY_MAX_FRAME_BYTES",
        .min = 1024,
        .max = 16 * 1024 * 1024,
        .help = "Largest message (Envelope) a client may send; a bigger one closes the connection",
        .access = field<&Config::limits, &LimitsConfig::max_frame_bytes>},
    Key{.section = "Per-connection limits",
        .name = "msg_rate",
        .flag = "--msg-rate",
        .env = "ROOKERY_MSG_RATE",
        .min = 1,
        .max = 100'000,
        .help = "Sustained messages per second a client may send (token bucket refill rate)",
        .access = field<&Config::limits, &LimitsConfig::msg_rate>},
    Key{.section = "Per-connection limits",
        .name = "msg_burst",
        .flag = "--msg-burst",
        .env = "ROOKERY_MSG_BURST",
        .min = 1,  // an empty bucket would refuse every message
        .max = 1'000'000,
        .help = "Messages a client may send in a burst above msg_rate (token bucket size)",
        .access = field<&Config::limits, &LimitsConfig::msg_burst>},
    Key{.section = "Per-connection limits",
        .name = "handshake_timeout_ms",
        .flag = "--handshake-timeout-ms",
        .env = "ROOKERY_HANDSHAKE_TIMEOUT_MS",
        .min = 100,
        .max = kHour,
        .help = "A connection that has not logged in within this many milliseconds is closed",
        .access = field<&Config::limits, &LimitsConfig::handshake_timeout_ms>},
    Key{.section = "Per-connection limits",
        .name = "idle_timeout_ms",
        .flag = "--idle-timeout-ms",
        .env = "ROOKERY_IDLE_TIMEOUT_MS",
        .min = 100,
        .max = kDay,
        .help = "A connection that sends nothing for this many milliseconds is closed",
        .access = field<&Config::limits, &LimitsConfig::idle_timeout_ms>},
    Key{.section = "Per-connection limits",
        .name = "outbound_queue_bytes",
        .flag = "--outbound-queue-bytes",
        .env = "ROOKERY_OUTBOUND_QUEUE_BYTES",
        .min = 4096,
        .max = 1024 * 1024 * 1024,
        .help = "Queued-but-unsent bytes past this mark the client a slow consumer: it is "
                "disconnected",
        .access = field<&Config::limits, &LimitsConfig::outbound_queue_bytes>},
    Key{.section = "Per-connection limits",
        .name = "max_errors",
        .flag = "--max-errors",
        .env = "ROOKERY_MAX_ERRORS",
        .min = 1,
        .max = 1'000'000,
        .help = "Invalid messages tolerated before the connection is closed",
        .access = field<&Config::limits, &LimitsConfig::max_errors>},
    Key{.section = "Per-address limits",
        .name = "max_connections_per_address",
        .flag = "--max-connections-per-address",
        .env = "ROOKERY_MAX_CONNECTIONS_PER_ADDRESS",
        .min = 0,
        .max = 10'000'000,
        .help = "Game connections one client address may hold at once (an IPv6 client counts "
                "per /64); more are refused with ADDRESS_LIMIT; 0: no cap",
        .access = field<&Config::limits, &LimitsConfig::max_connections_per_address>},
    Key{.section = "Per-address limits",
        .name = "accounts_per_address_per_minute",
        .flag = "--accounts-per-address-per-minute",
        .env = "ROOKERY_ACCOUNTS_PER_ADDRESS_PER_MINUTE",
        .min = 0,
        .max = 1'000'000,
        .help = "New accounts (guest or registered) one address may create a minute (a burst "
                "of as many); past it a new device or registration gets ADDRESS_LIMIT, known "
                "devices still log in; 0: no cap",
        .access = field<&Config::limits, &LimitsConfig::accounts_per_address_per_minute>},
    Key{.section = "Per-address limits",
        .name = "password_failures_per_account",
        .flag = "--password-failures-per-account",
        .env = "ROOKERY_PASSWORD_FAILURES_PER_ACCOUNT",
        .min = 0,
        .max = 1000,
        .help = "Wrong passwords for one account before each further attempt waits (1 s, "
                "doubling to 30 s; addresses that logged in to it before are spared); 0: off",
        .access = field<&Config::limits, &LimitsConfig::password_failures_per_account>},
    Key{.section = "Per-address limits",
        .name = "password_failures_per_address",
        .flag = "--password-failures-per-address",
        .env = "ROOKERY_PASSWORD_FAILURES_PER_ADDRESS",
        .min = 0,
        .max = 100'000,
        .help = "Wrong passwords from one address before each further attempt waits (1 s, "
                "doubling to 10 min); 0: off",
        .access = field<&Config::limits, &LimitsConfig::password_failures_per_address>},
    Key{.section = "Per-address limits",
        .name = "limits_exempt",
        .flag = "--limits-exempt",
        .env = "ROOKERY_LIMITS_EXEMPT",
        .type = Type::string,
        .min = 0,
        .max = 4096,
        .help = "Comma-separated addresses and ranges (CIDR) the per-address limits do not "
                "apply to (load generators, a trusted proxy); empty: none",
        .access = field<&Config::limits, &LimitsConfig::limits_exempt>},

    // Rooms and games (rooms/, games/).
    Key{.section = "Rooms",
        .name = "empty_room_timeout_ms",
        .flag = "--empty-room-timeout-ms",
        .env = "ROOKERY_EMPTY_ROOM_TIMEOUT_MS",
        .min = 100,
        .max = kDay,
        .help = "A room with no members is disposed after this many milliseconds",
        .access = field<&Config::rooms, &RoomsConfig::empty_room_timeout_ms>},
    Key{.section = "Rooms",
        .name = "reconnect_grace_ms",
        .flag = "--reconnect-grace-ms",
        .env = "ROOKERY_RECONNECT_GRACE_MS",
        .min = 100,
        .max = kDay,
        .help = "A dropped player's seat is held this many milliseconds for a reconnect",
        .access = field<&Config::rooms, &RoomsConfig::reconnect_grace_ms>},
    Key{.section = "Rooms",
        .name = "input_queue",
        .flag = "--input-queue",
        .env = "ROOKERY_INPUT_QUEUE",
        .min = 1,
        .max = 4096,
        .help = "Inputs buffered per member between two ticks; more are dropped",
        .access = field<&Config::rooms, &RoomsConfig::input_queue>},
    Key{.section = "Rooms",
        .name = "spelltraction_tick_hz",
        .flag = "--spelltraction-tick-hz",
        .env = "ROOKERY_SPELLTRACTION_TICK_HZ",
        .min = 1,
        .max = 60,
        .help = "Spelltraction simulation and broadcast rate, ticks per second",
        .access = field<&Config::rooms, &RoomsConfig::spelltraction_tick_hz>},
    Key{.section = "Rooms",
        .name = "spelltraction_hold_ms",
        .flag = "--spelltraction-hold-ms",
        .env = "ROOKERY_SPELLTRACTION_HOLD_MS",
        .min = 100,
        .max = 60'000,
        .help = "Spelltraction: how long attractors must hold a letter to score it, milliseconds",
        .access = field<&Config::rooms, &RoomsConfig::spelltraction_hold_ms>},
    Key{.section = "Rooms",
        .name = "spelltraction_max_players",
        .flag = "--spelltraction-max-players",
        .env = "ROOKERY_SPELLTRACTION_MAX_PLAYERS",
        .min = 1,
        .max = 10'000,
        .help = "Players per Spelltraction room at most",
        .access = field<&Config::rooms, &RoomsConfig::spelltraction_max_players>},
    Key{.section = "Rooms",
        .name = "relay_tick_hz",
        .flag = "--relay-tick-hz",
        .env = "ROOKERY_RELAY_TICK_HZ",
        .min = 1,
        .max = 60,
        .help = "Relay room broadcast rate, ticks per second",
        .access = field<&Config::rooms, &RoomsConfig::relay_tick_hz>},
    Key{.section = "Rooms",
        .name = "relay_max_players",
        .flag = "--relay-max-players",
        .env = "ROOKERY_RELAY_MAX_PLAYERS",
        .min = 1,
        .max = 10'000,
        .help = "Players per relay room at most",
        .access = field<&Config::rooms, &RoomsConfig::relay_max_players>},
    Key{.section = "Rooms",
        .name = "checkpoint_ms",
        .flag = "--checkpoint-ms",
        .env = "ROOKERY_CHECKPOINT_MS",
        .min = 0,
        .max = kDay,
        .help = "Each running game's scores are saved this often, so a crash loses at most this "
                "much play; 0: only when a player leaves",
        .access = field<&Config::rooms, &RoomsConfig::checkpoint_ms>},
    Key{.section = "Rooms",
        .name = "max_rooms",
        .flag = "--max-rooms",
        .env = "ROOKERY_MAX_ROOMS",
        .min = 1,
        .max = 10'000'000,
        .help = "Rooms this node runs at once; past it new rooms are refused with ROOM_LIMIT",
        .access = field<&Config::rooms, &RoomsConfig::max_rooms>},
    Key{.section = "Rooms",
        .name = "max_rooms_per_player",
        .flag = "--max-rooms-per-player",
        .env = "ROOKERY_MAX_ROOMS_PER_PLAYER",
        .min = 0,
        .max = 1'000'000,
        .help = "Open rooms one player may have created with CreateRoom; 0: no cap",
        .access = field<&Config::rooms, &RoomsConfig::max_rooms_per_player>},
    Key{.section = "Rooms",
        .name = "max_rooms_per_address",
        .flag = "--max-rooms-per-address",
        .env = "ROOKERY_MAX_ROOMS_PER_ADDRESS",
        .min = 0,
        .max = 1'000'000,
        .help = "Open rooms the players of one client address may have created; 0: no cap",
        .access = field<&Config::rooms, &RoomsConfig::max_rooms_per_address>},

    // Player store (store/).
    Key{.section = "Game ports",
        .name = "web_root",
        .flag = "--web-root",
        .env = "ROOKERY_WEB_ROOT",
        .type = Type::string,
        .min = 0,
        .max = 4096,
        .help = "Folder of the built web game client, served to plain HTTP GETs on the "
                "WebSocket port; empty: share/rookery/web/ beside the executable; none: not "
                "served",
        .access = field<&Config::net, &NetConfig::web_root>},
    Key{.section = "Player store",
        .name = "db",
        .flag = "--db",
        .env = "ROOKERY_DB",
        .type = Type::string,
        .min = 1,
        .max = 4096,  // PATH_MAX
        .help = "Player store: a SQLite database file (its folder is created if missing), or a "
                "postgresql:// URL for PostgreSQL (keep the password in PGPASSFILE or PGPASSWORD)",
        .access = field<&Config::store, &StoreConfig::db>},
    Key{.section = "Player store",
        .name = "synchronous",
        .flag = "--synchronous",
        .env = "ROOKERY_SYNCHRONOUS",
        .type = Type::enumeration,
        .allowed = kSynchronous,
        .help = "SQLite PRAGMA synchronous; \"normal\" is faster but may lose the last commits on "
                "power loss",
        .access = field<&Config::store, &StoreConfig::synchronous>},
    Key{.section = "Player store",
        .name = "batch_max",
        .flag = "--batch-max",
        .env = "ROOKERY_BATCH_MAX",
        .min = 1,
        .max = 100'000,
        .help = "Store requests committed in one transaction at most",
        .access = field<&Config::store, &StoreConfig::batch_max>},
    Key{.section = "Player store",
        .name = "queue_max",
        .flag = "--queue-max",
        .env = "ROOKERY_QUEUE_MAX",
        .min = 1,
        .max = 10'000'000,
        .help = "Store requests waiting for the database at most; past it requests fail at once "
                "with a retry-later error",
        .access = field<&Config::store, &StoreConfig::queue_max>},
    Key{.section = "Player store",
        .name = "kdf_queue_max",
        .flag = "--kdf-queue-max",
        .env = "ROOKERY_KDF_QUEUE_MAX",
        .min = 1,
        .max = 100'000,
        .help = "Passwords waiting for Argon2id hashing at most (each takes ~50 ms of a core); "
                "past it logins and registrations fail at once with a retry-later error",
        .access = field<&Config::store, &StoreConfig::kdf_queue_max>},
    Key{.section = "Player store",
        .name = "read_connections",
        .flag = "--read-connections",
        .env = "ROOKERY_READ_CONNECTIONS",
        .min = 0,
        .max = 64,
        .help = "PostgreSQL only: reader connections beside the one writer (0: reads queue on the "
                "writer)",
        .access = field<&Config::store, &StoreConfig::read_connections>},

    // HTTP side-port (http/).
    Key{.section = "HTTP side-port",
        .name = "http_bind",
        .flag = "--http-bind",
        .env = "ROOKERY_HTTP_BIND",
        .type = Type::string,
        .min = 1,
        .max = kAddressMax,
        .help = "Address the HTTP side-port listens on; internal by default",
        .access = field<&Config::http, &HttpConfig::bind>},
    Key{.section = "HTTP side-port",
        .name = "http_port",
        .flag = "--http-port",
        .env = "ROOKERY_HTTP_PORT",
        .min = 0,
        .max = kPortMax,
        .help = "HTTP side-port; 0 picks a free port",
        .access = field<&Config::http, &HttpConfig::port>},
    Key{.section = "HTTP side-port",
        .name = "admin_ui_root",
        .flag = "--admin-ui-root",
        .env = "ROOKERY_ADMIN_UI_ROOT",
        .type = Type::string,
        .min = 0,
        .max = 4096,
        .help = "Folder of the built admin console, served at /admin/; empty: "
                "share/rookery/admin-ui/ beside the executable; none: not served",
        .access = field<&Config::http, &HttpConfig::admin_ui_root>},

    // Cluster membership (cluster/).
    Key{.section = "Cluster",
        .name = "redis",
        .flag = "--redis",
        .env = "ROOKERY_REDIS",
        .type = Type::string,
        .min = 0,
        .max = kAddressMax + 16,
        .help = "Redis of the cluster directory, redis://host:port; every node of a cluster names "
                "the same one (and the same PostgreSQL --db); empty: a standalone node",
        .access = field<&Config::cluster, &ClusterConfig::redis>},
    Key{.section = "Cluster",
        .name = "node_id",
        .flag = "--node-id",
        .env = "ROOKERY_NODE_ID",
        .type = Type::string,
        .min = 0,
        .max = 64,
        .help = "This node's name in the cluster, unique, of [A-Za-z0-9_.-]; empty: the host name",
        .access = field<&Config::cluster, &ClusterConfig::node_id>},
    Key{.section = "Cluster",
        .name = "advertise_host",
        .flag = "--advertise-host",
        .env = "ROOKERY_ADVERTISE_HOST",
        .type = Type::string,
        .min = 0,
        .max = kAddressMax,
        .help = "Host name or address clients use to reach this node's game ports when another "
                "node redirects them here; empty: the host name",
        .access = field<&Config::cluster, &ClusterConfig::advertise_host>},
    Key{.section = "Cluster",
        .name = "cluster_name",
        .flag = "--cluster-name",
        .env = "ROOKERY_CLUSTER_NAME",
        .type = Type::string,
        .min = 1,
        .max = 64,
        .help = "Name of the cluster, of [A-Za-z0-9_.-]: its keys in Redis start with it, so "
                "several clusters can share one Redis",
        .access = field<&Config::cluster, &ClusterConfig::cluster_name>},
    Key{.section = "Cluster",
        .name = "lease_ms",
        .flag = "--lease-ms",
        .env = "ROOKERY_LEASE_MS",
        .min = 1000,
        .max = 60'000,
        .help = "A node that has not renewed its lease (every second) for this long leaves the "
                "directory, and its rooms with it",
        .access = field<&Config::cluster, &ClusterConfig::lease_ms>},
    Key{.section = "Cluster",
        .name = "ticket_ttl_ms",
        .flag = "--ticket-ttl-ms",
        .env = "ROOKERY_TICKET_TTL_MS",
        .min = 1000,
        .max = 120'000,
        .help = "A redirected player's seat is held this long for it to arrive with its ticket",
        .access = field<&Config::cluster, &ClusterConfig::ticket_ttl_ms>},

    // Process-wide settings (app/).
    Key{.section = "Server",
        .name = "server_name",
        .flag = "--server-name",
        .env = "ROOKERY_SERVER_NAME",
        .type = Type::string,
        .min = 1,
        .max = 64,
        .help = "Name sent to clients in Welcome.server_name",
        .access = field<&Config::server, &ServerConfig::name>},
    Key{.section = "Server",
        .name = "shutdown_deadline_ms",
        .flag = "--shutdown-deadline-ms",
        .env = "ROOKERY_SHUTDOWN_DEADLINE_MS",
        .min = 100,
        .max = kHour,
        .help = "After SIGTERM the process exits within this many milliseconds",
        .access = field<&Config::server, &ServerConfig::shutdown_deadline_ms>},
    Key{.section = "Server",
        .name = "log_format",
        .flag = "--log-format",
        .env = "ROOKERY_LOG_FORMAT",
        .type = Type::enumeration,
        .allowed = kLogFormats,
        .help = "Log line format on stderr",
        .access = field<&Config::server, &ServerConfig::log_format>},
    Key{.section = "Server",
        .name = "log_level",
        .flag = "--log-level",
        .env = "ROOKERY_LOG_LEVEL",
        .type = Type::enumeration,
        .allowed = kLogLevels,
        .help = "Least severe level that is logged",
        .access = field<&Config::server, &ServerConfig::log_level>},
};

// The flag and the variable that name the config file; they are not keys (a file cannot name
// another file).
constexpr std::string_view kConfigFlag = "--config";
constexpr std::string_view kConfigEnv = "ROOKERY_CONFIG";
constexpr std::string_view kEnvPrefix = "ROOKERY_";
// ROOKERY_* variables that are not configuration keys but are read by a command (app/admin_command:
// the first admin user for containers); parse() must not warn about them.
constexpr std::array<std::string_view, 2> kCommandEnv = {"ROOKERY_ADMIN_USER",
                                                         "ROOKERY_ADMIN_PASSWORD"};
// The command whose own flags (--role) pass through to Invocation::args.
constexpr std::string_view kFlagPassingCommand = "admin";

// --- Compile-time checks of the table: a new row that breaks the naming scheme or has
// --- inverted bounds does not build.

constexpr char to_upper(char c) {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

// True if `flag` is "--" + name with '-' for '_', and `env` is "ROOKERY_" + NAME.
constexpr bool names_agree(const Key& key) {
  if (key.flag.size() != key.name.size() + 2 || !key.flag.starts_with("--")) return false;
  if (key.env.size() != key.name.size() + kEnvPrefix.size() || !key.env.starts_with(kEnvPrefix)) {
    return false;
  }
  for (std::size_t i = 0; i < key.name.size(); ++i) {
    const char c = key.name[i];
    const bool snake = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!snake) return false;
    if (key.flag[i + 2] != (c == '_' ? '-' : c)) return false;
    if (key.env[i + kEnvPrefix.size()] != to_upper(c)) return false;
  }
  return true;
}

constexpr bool table_is_consistent() {
  for (std::size_t i = 0; i < kKeys.size(); ++i) {
    const Key& key = kKeys[i];
    if (!names_agree(key) || key.help.empty() || key.section.empty()) return false;
    if ((key.type == Type::enumeration) == key.allowed.empty()) return false;
    if (key.type != Type::enumeration && key.min > key.max) return false;
    for (std::size_t j = 0; j < i; ++j) {
      if (kKeys[j].name == key.name) return false;
    }
  }
  return true;
}
static_assert(table_is_consistent(), "kKeys: check names, bounds, allowed values, duplicates");

// --- Lookup.

const Key* find_key(std::string_view Key::*column, std::string_view wanted) {
  const auto* it = std::find_if(kKeys.begin(), kKeys.end(),
                                [&](const Key& key) { return key.*column == wanted; });
  return it == kKeys.end() ? nullptr : &*it;
}

// --- Values.

std::string in_quotes(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

// A value the config-file reader would not read back verbatim unquoted.
bool needs_quotes(std::string_view text) {
  return text.empty() || text.find_first_of(" \t#\"'\\") != std::string_view::npos;
}

std::string file_syntax(std::string_view text) {
  return needs_quotes(text) ? in_quotes(text) : std::string(text);
}

std::string read_value(const Key& key, const Config& config) {
  return std::visit(
      [](const auto* value) -> std::string {
        if constexpr (std::is_same_v<std::remove_cvref_t<decltype(*value)>, std::string>) {
          return *value;
        } else {
          return std::to_string(*value);
        }
      },
      key.access.get_const(config));
}

std::string join(std::span<const std::string_view> words, std::string_view separator) {
  std::string out;
  for (const auto word : words) {
    if (!out.empty()) out += separator;
    out += word;
  }
  return out;
}

ConfigError invalid(const Key& key, std::string_view source, const std::string& detail) {
  return ConfigError("invalid value for " + std::string(key.name) + " (" + std::string(source) +
                     "): " + detail);
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Strict: digits only, so "-1", "+1", " 1", "1k" and "0x10" are all rejected rather than
// half-read the way strtoul would.
template <typename T>
T parse_number(const Key& key, std::string_view text, std::string_view source) {
  if (text.empty() || !std::all_of(text.begin(), text.end(), is_digit)) {
    throw invalid(key, source, in_quotes(text) + " is not a non-negative whole number");
  }
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  const uint64_t max = std::min<uint64_t>(key.max, std::numeric_limits<T>::max());
  if (ec != std::errc{} || end != text.data() + text.size() || value < key.min || value > max) {
    throw invalid(key, source,
                  std::string(text) + " is out of range " + std::to_string(key.min) + ".." +
                      std::to_string(max));
  }
  return static_cast<T>(value);
}

std::string parse_string(const Key& key, std::string_view text, std::string_view source) {
  if (key.type == Type::enumeration) {
    if (std::find(key.allowed.begin(), key.allowed.end(), text) == key.allowed.end()) {
      throw invalid(key, source, in_quotes(text) + " is not one of " + join(key.allowed, "|"));
    }
    return std::string(text);
  }
  if (text.size() < key.min || text.size() > key.max) {
    throw invalid(key, source,
                  in_quotes(text) + " must be " + std::to_string(key.min) + ".." +
                      std::to_string(key.max) + " characters long");
  }
  // A control character cannot be written back to a config file and is never intended.
  if (std::any_of(text.begin(), text.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
    throw invalid(key, source, "contains a control character");
  }
  return std::string(text);
}

// Parses `text` as the value of `key` and stores it; `source` (flag, variable or FILE:LINE)
// goes into the error so the user knows which input to fix.
void assign(const Key& key, std::string_view text, std::string_view source, Config& config) {
  std::visit(
      [&](auto* slot) {
        using T = std::remove_cvref_t<decltype(*slot)>;
        if constexpr (std::is_same_v<T, std::string>) {
          *slot = parse_string(key, text, source);
        } else {
          *slot = parse_number<T>(key, text, source);
        }
      },
      key.access.get(config));
}

// --- Config file.

std::string_view trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n\f\v";
  const auto first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(kSpace);
  return text.substr(first, last - first + 1);
}

// Takes the raw text right of '='. Quotes are optional; "..." knows \" and \\, '...' is
// literal. Unquoted, a '#' after whitespace starts a comment, so "data/#1.db" needs no quotes.
std::string file_value(const Key& key, std::string_view raw, std::string_view where) {
  if (raw.empty() || (raw.front() != '"' && raw.front() != '\'')) {
    std::size_t comment = std::string_view::npos;
    for (std::size_t i = 0; i < raw.size() && comment == std::string_view::npos; ++i) {
      if (raw[i] == '#' && (i == 0 || raw[i - 1] == ' ' || raw[i - 1] == '\t')) comment = i;
    }
    return std::string(trim(raw.substr(0, comment)));
  }
  const char quote = raw.front();
  std::string value;
  std::size_t i = 1;
  for (; i < raw.size() && raw[i] != quote; ++i) {
    if (quote == '"' && raw[i] == '\\') {
      if (i + 1 == raw.size() || (raw[i + 1] != '"' && raw[i + 1] != '\\')) {
        throw invalid(key, where, "only \\\" and \\\\ may follow a backslash in quotes");
      }
      ++i;
    }
    value += raw[i];
  }
  if (i == raw.size()) throw invalid(key, where, "unterminated quote");
  const auto rest = trim(raw.substr(i + 1));
  if (!rest.empty() && rest.front() != '#') {
    throw invalid(key, where, "unexpected text after the closing quote");
  }
  return value;
}

// Reads `path`; `named_by` (--config or ROOKERY_CONFIG) tells the user where the path came from.
void apply_file(const std::string& path, std::string_view named_by, Config& config) {
  const std::string what = "config file " + path + " (" + std::string(named_by) + ")";
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw ConfigError("cannot read " + what + ": is a directory");
  }
  std::ifstream in(path);
  if (!in) {
    throw ConfigError("cannot read " + what + ": " +
                      std::error_code(errno, std::generic_category()).message());
  }
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const auto text = trim(line);
    if (text.empty() || text.front() == '#') continue;
    const std::string where = path + ":" + std::to_string(number);
    const auto equals = text.find('=');
    if (equals == std::string_view::npos) {
      throw ConfigError("expected \"key = value\" (" + where + "), got " + in_quotes(text));
    }
    const auto name = trim(text.substr(0, equals));
    const Key* key = find_key(&Key::name, name);
    if (key == nullptr) throw ConfigError("unknown key " + in_quotes(name) + " (" + where + ")");
    assign(*key, file_value(*key, trim(text.substr(equals + 1)), where), where, config);
  }
  if (in.bad()) throw ConfigError("cannot read " + what + ": read error");
}

// --- Command line.

struct FlagValue {
  const Key* key;
  std::string value;
};

// The command line split into its parts before any value is applied: the config file must be
// known first, and flags must win over it.
struct CommandLine {
  std::vector<FlagValue> flags;  // in order, so a repeated flag's last value wins
  std::optional<std::string> config_file;
  std::optional<std::string> first_error;  // thrown after --help had its chance
};

CommandLine scan(const std::vector<std::string>& argv, Invocation& invocation) {
  CommandLine line;
  bool have_command = false;
  bool only_words = false;  // after "--"
  const auto fail = [&](std::string message) {
    if (!line.first_error) line.first_error = std::move(message);
  };
  for (std::size_t i = 1; i < argv.size(); ++i) {
    const std::string_view word = argv[i];
    // After the word "admin", flags that are not configuration keys are the command's own: they
    // go to args, in order, with their value (a separate word is taken as for a known flag).
    const bool pass_unknown = have_command && invocation.command == kFlagPassingCommand;
    if (!only_words && word == "--") {
      only_words = true;
    } else if (only_words || word == "-" || !word.starts_with('-')) {
      if (have_command) {
        invocation.args.emplace_back(word);
      } else {
        invocation.command = word;
        have_command = true;
      }
    } else if (word == "-h" || word == "--help") {
      invocation.help = true;
    } else if (word == "--version") {
      invocation.version = true;
    } else if (!word.starts_with("--")) {
      if (pass_unknown) {
        invocation.args.emplace_back(word);
      } else {
        fail("unknown flag " + std::string(word) + " (see --help)");
      }
    } else {
      const auto equals = word.find('=');
      const auto flag = word.substr(0, equals);
      const Key* key = find_key(&Key::flag, flag);
      const bool general = flag == "--help" || flag == "--version";
      if (key == nullptr && flag != kConfigFlag && !general && pass_unknown) {
        invocation.args.emplace_back(word);
        if (equals == std::string_view::npos && i + 1 < argv.size() &&
            !argv[i + 1].starts_with("--")) {
          invocation.args.push_back(argv[++i]);
        }
        continue;
      }
      if (key == nullptr && flag != kConfigFlag) {
        fail(general ? "flag " + std::string(flag) + " takes no value"
                     : "unknown flag " + std::string(flag) + " (see --help)");
        continue;
      }
      std::string value;
      if (equals != std::string_view::npos) {
        value = word.substr(equals + 1);
      } else if (i + 1 < argv.size() && !argv[i + 1].starts_with("--")) {
        value = argv[++i];
      } else {
        fail("flag " + std::string(flag) + " needs a value");
        continue;
      }
      if (key != nullptr) {
        line.flags.push_back({key, std::move(value)});
      } else if (value.empty()) {
        fail("flag " + std::string(kConfigFlag) + " needs a value");
      } else {
        line.config_file = std::move(value);
      }
    }
  }
  return line;
}

// Checks that need more than one key, after all sources are merged.
void validate(const Config& config) {
  const std::array<std::pair<std::string_view, uint16_t>, 3> ports = {{
      {"tcp_port", config.net.tcp_port},
      {"ws_port", config.net.ws_port},
      {"http_port", config.http.port},
  }};
  for (std::size_t i = 0; i < ports.size(); ++i) {
    for (std::size_t j = i + 1; j < ports.size(); ++j) {
      if (ports[i].second != 0 && ports[i].second == ports[j].second) {
        throw ConfigError(std::string(ports[i].first) + " and " + std::string(ports[j].first) +
                          " are both " + std::to_string(ports[i].second) +
                          "; each port needs its own number (0 picks a free one)");
      }
    }
  }
  for (const auto& [key, value] :
       {std::pair<std::string_view, const std::string&>{"node_id", config.cluster.node_id},
        {"cluster_name", config.cluster.cluster_name}}) {
    for (const char c : value) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '.' || c == '-';
      if (!ok) {
        throw ConfigError(std::string(key) + " may hold only A-Z a-z 0-9 _ . - (got " +
                          in_quotes(value) + ")");
      }
    }
  }
  if (!config.cluster.redis.empty() && !config.store.db.starts_with("postgresql://") &&
      !config.store.db.starts_with("postgres://")) {
    throw ConfigError(
        "a cluster node (redis is set) needs the shared PostgreSQL store: db must "
        "be a postgresql:// URL, not " +
        in_quotes(config.store.db));
  }
  try {
    (void)base::AddressRanges::parse(config.limits.limits_exempt);
  } catch (const std::invalid_argument& e) {
    throw ConfigError(std::string("limits_exempt: ") + e.what());
  }
  // Also guaranteed by its bound; restated because an empty bucket would refuse every message.
  if (config.limits.msg_burst < 1) throw ConfigError("msg_burst must be at least 1");
}

// --- Help.

constexpr std::size_t kWidth = 100;

// Appends `text` word-wrapped to kWidth columns, every line indented by `indent` spaces.
void append_wrapped(std::string& out, std::string_view text, std::size_t indent) {
  std::size_t column = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find(' ', start);
    if (end == std::string_view::npos) end = text.size();
    const auto word = text.substr(start, end - start);
    start = end + 1;
    if (word.empty()) continue;
    if (column > indent && column + 1 + word.size() > kWidth) {
      out += '\n';
      column = 0;
    }
    if (column == 0) {
      out.append(indent, ' ');
      column = indent;
    } else {
      out += ' ';
      ++column;
    }
    out += word;
    column += word.size();
  }
  out += '\n';
}

std::string placeholder(const Key& key) {
  switch (key.type) {
    case Type::uint:
      return "N";
    case Type::string:
      return "TEXT";
    case Type::enumeration:
      return join(key.allowed, "|");
  }
  return {};
}

std::string describe_bounds(const Key& key, const std::string& default_value) {
  switch (key.type) {
    case Type::uint:
      return "Default " + default_value + "; range " + std::to_string(key.min) + ".." +
             std::to_string(key.max) + ".";
    case Type::string:
      return "Default " + in_quotes(default_value) + "; " + std::to_string(key.min) + ".." +
             std::to_string(key.max) + " characters.";
    case Type::enumeration:
      return "Default " + default_value + "; one of " + join(key.allowed, ", ") + ".";
  }
  return {};
}

}  // namespace

Invocation parse(const std::vector<std::string>& argv,
                 const std::map<std::string, std::string>& env) {
  Invocation invocation;
  CommandLine line = scan(argv, invocation);
  if (invocation.help || invocation.version) return invocation;
  if (line.first_error) throw ConfigError(*line.first_error);

  Config& config = invocation.config;
  if (line.config_file) {
    apply_file(*line.config_file, kConfigFlag, config);
  } else if (const auto it = env.find(std::string(kConfigEnv));
             it != env.end() && !it->second.empty()) {
    apply_file(it->second, kConfigEnv, config);
  }

  for (const auto& [name, value] : env) {
    if (!name.starts_with(kEnvPrefix) || name == kConfigEnv) continue;
    if (std::find(kCommandEnv.begin(), kCommandEnv.end(), name) != kCommandEnv.end()) continue;
    if (const Key* key = find_key(&Key::env, name)) {
      assign(*key, value, name, config);
    } else {
      // A warning, not an error: deployment tooling may set ROOKERY_* variables of its own.
      invocation.warnings.push_back("ignoring unknown environment variable " + name);
    }
  }

  for (const auto& flag : line.flags) assign(*flag.key, flag.value, flag.key->flag, config);

  validate(config);
  return invocation;
}

std::map<std::string, std::string> process_env() {
  std::map<std::string, std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text = *entry;
    const auto equals = text.find('=');
    if (!text.starts_with(kEnvPrefix) || equals == std::string_view::npos) continue;
    env.emplace(text.substr(0, equals), text.substr(equals + 1));
  }
  return env;
}

std::string help_text() {
  std::string out;
  out += "Usage: rookery [COMMAND [ARGS...]] [FLAGS...]\n\n";
  out += "Commands:\n";
  out += "  serve         run the server (the default)\n";
  out += "  migrate       apply database migrations and exit\n";
  out += "  check-config  validate configuration, print the effective values and exit\n";
  out += "  doctor        compare the host's limits and kernel settings with what the\n";
  out += "                configuration needs; print each gap with its fix\n";
  out += "  backup FILE   copy the database (online, consistent) to a new FILE and verify it\n";
  out += "  admin add-user NAME --role viewer|operator|admin\n";
  out += "                create an admin console user; the password is read from stdin\n";
  out += "  admin list-users\n";
  out += "                list the admin console users\n\n";
  append_wrapped(out,
                 "If no admin user exists, serve creates one with role admin from "
                 "ROOKERY_ADMIN_USER and ROOKERY_ADMIN_PASSWORD (for containers).",
                 0);
  out += "\n";
  append_wrapped(out,
                 "Every setting below is taken from, lowest to highest precedence: its default, "
                 "the config file, its ROOKERY_* environment variable, its command-line flag. "
                 "Flags may come before or after the command, as --flag VALUE or --flag=VALUE. "
                 "The config file has one \"key = value\" per line, where the key is the flag "
                 "without \"--\" and with \"_\" for \"-\" (tcp_port = 12122); \"#\" starts a "
                 "comment; quotes around a value are optional.",
                 0);
  out += "\nGeneral flags:\n";
  out += "  -h, --help\n";
  append_wrapped(out, "Print this help and exit.", 6);
  out += "  --version\n";
  append_wrapped(out, "Print the version and exit.", 6);
  out += "  --config FILE  (" + std::string(kConfigEnv) + ")\n";
  append_wrapped(out, "Read settings from FILE. Default: no file.", 6);

  const Config defaults;
  std::string_view section;
  for (const Key& key : kKeys) {
    if (key.section != section) {
      section = key.section;
      out += "\n" + std::string(section) + ":\n";
    }
    out += "  " + std::string(key.flag) + " " + placeholder(key) + "  (" + std::string(key.env) +
           ")\n";
    append_wrapped(
        out, std::string(key.help) + ". " + describe_bounds(key, read_value(key, defaults)), 6);
  }
  return out;
}

std::string dump(const Config& config) {
  std::string out;
  for (const Key& key : kKeys) {
    out += std::string(key.name) + " = " + file_syntax(read_value(key, config)) + "\n";
  }
  return out;
}

}  // namespace rookery::config
