// The configuration subsystem: every source, their precedence, every error path the user can
// hit, and that help and dump cover the whole key table.
#include "config/config.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace rookery::config {
namespace {

namespace fs = std::filesystem;
using Env = std::map<std::string, std::string>;
using Args = std::vector<std::string>;

// Every key, in table order; a key added to the table without a line here fails DumpListsEveryKey.
const std::vector<std::string> kAllKeys = {
    "bind",
    "tcp_port",
    "ws_port",
    "backlog",
    "max_connections",
    "threads",
    "max_frame_bytes",
    "msg_rate",
    "msg_burst",
    "handshake_timeout_ms",
    "idle_timeout_ms",
    "outbound_queue_bytes",
    "max_errors",
    "max_connections_per_address",
    "accounts_per_address_per_minute",
    "password_failures_per_account",
    "password_failures_per_address",
    "limits_exempt",
    "empty_room_timeout_ms",
    "reconnect_grace_ms",
    "input_queue",
    "spelltraction_tick_hz",
    "spelltraction_hold_ms",
    "spelltraction_max_players",
    "relay_tick_hz",
    "relay_max_players",
    "checkpoint_ms",
    "max_rooms",
    "max_rooms_per_player",
    "max_rooms_per_address",
    "web_root",
    "db",
    "synchronous",
    "batch_max",
    "queue_max",
    "kdf_queue_max",
    "read_connections",
    "http_bind",
    "http_port",
    "admin_ui_root",
    "redis",
    "node_id",
    "advertise_host",
    "cluster_name",
    "lease_ms",
    "ticket_ttl_ms",
    "server_name",
    "shutdown_deadline_ms",
    "log_format",
    "log_level",
};

std::string flag_of(const std::string& key) {
  std::string flag = "--" + key;
  for (auto& c : flag) {
    if (c == '_') c = '-';
  }
  return flag;
}

std::string env_of(const std::string& key) {
  std::string env = "ROOKERY_" + key;
  for (auto& c : env) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return env;
}

// A file in the temp directory, unique per test and process, removed when the test ends.
class TempFile {
 public:
  explicit TempFile(std::string_view contents) {
    static std::atomic<int> counter{0};
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::temp_directory_path() / ("rookery_config_test_" + std::to_string(::getpid()) + "_" +
                                         test->name() + "_" + std::to_string(counter++) + ".conf");
    std::ofstream(path_) << contents;
  }
  ~TempFile() {
    std::error_code ec;
    fs::remove(path_, ec);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  std::string path() const { return path_.string(); }

 private:
  fs::path path_;
};

Invocation parse_args(Args args, const Env& env = {}) {
  args.insert(args.begin(), "rookery");
  return parse(args, env);
}

// The message of the ConfigError that parse throws; fails the test if it does not throw.
std::string error_of(Args args, const Env& env = {}) {
  try {
    parse_args(std::move(args), env);
  } catch (const ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "parse did not throw";
  return {};
}

// --- Defaults and the individual sources.

TEST(ConfigTest, DefaultsComeFromTheStructs) {
  const auto inv = parse_args({});
  EXPECT_EQ(inv.config, Config{});
  EXPECT_EQ(inv.command, "serve");
  EXPECT_TRUE(inv.args.empty());
  EXPECT_FALSE(inv.help);
  EXPECT_FALSE(inv.version);
  EXPECT_TRUE(inv.warnings.empty());
  EXPECT_EQ(inv.config.net.tcp_port, 12122);
  EXPECT_EQ(inv.config.store.db, "data/rookery.db");
  EXPECT_EQ(inv.config.server.log_format, "text");
}

TEST(ConfigTest, ConfigFileSetsValues) {
  TempFile file(
      "# game server\n"
      "\n"
      "tcp_port = 4000\n"
      "  ws_port=4001  \n"
      "db = \"my data/rookery.db\"   # quoted: contains a space\n"
      "server_name = 'single quoted'\n"
      "log_format = json # trailing comment\n"
      "http_bind = 0.0.0.0\r\n"
      "bind = \"a\\\"b\\\\c\"\n");
  const auto config = parse_args({"--config", file.path()}).config;
  EXPECT_EQ(config.net.tcp_port, 4000);
  EXPECT_EQ(config.net.ws_port, 4001);
  EXPECT_EQ(config.store.db, "my data/rookery.db");
  EXPECT_EQ(config.server.name, "single quoted");
  EXPECT_EQ(config.server.log_format, "json");
  EXPECT_EQ(config.http.bind, "0.0.0.0");
  EXPECT_EQ(config.net.bind, "a\"b\\c");
}

TEST(ConfigTest, UnquotedHashWithoutSpaceIsPartOfTheValue) {
  TempFile file("db = data/#1.db\n");
  EXPECT_EQ(parse_args({"--config", file.path()}).config.store.db, "data/#1.db");
}

TEST(ConfigTest, ConfigFileNamedByEnvironment) {
  TempFile file("threads = 3\n");
  EXPECT_EQ(parse_args({}, {{"ROOKERY_CONFIG", file.path()}}).config.net.threads, 3u);
}

TEST(ConfigTest, ConfigFlagOverridesConfigVariable) {
  TempFile from_env("threads = 3\n");
  TempFile from_flag("threads = 4\n");
  const auto inv =
      parse_args({"--config=" + from_flag.path()}, {{"ROOKERY_CONFIG", from_env.path()}});
  EXPECT_EQ(inv.config.net.threads, 4u);
}

TEST(ConfigTest, EnvironmentSetsValues) {
  const auto config = parse_args({}, {{"ROOKERY_TCP_PORT", "5000"},
                                      {"ROOKERY_DB", "/var/lib/rookery.db"},
                                      {"ROOKERY_LOG_LEVEL", "debug"},
                                      {"PATH", "/usr/bin"}})
                          .config;
  EXPECT_EQ(config.net.tcp_port, 5000);
  EXPECT_EQ(config.store.db, "/var/lib/rookery.db");
  EXPECT_EQ(config.server.log_level, "debug");
}

TEST(ConfigTest, UnknownEnvironmentVariableIsOnlyAWarning) {
  const auto inv = parse_args({}, {{"ROOKERY_TCP_PROT", "1"}});
  ASSERT_EQ(inv.warnings.size(), 1u);
  EXPECT_NE(inv.warnings[0].find("ROOKERY_TCP_PROT"), std::string::npos);
}

TEST(ConfigTest, FlagsSetValuesInBothForms) {
  const auto config = parse_args({"--tcp-port", "6000", "--ws-port=6001", "--bind", "127.0.0.1",
                                  "--db=x.db", "--log-format", "json", "--max-connections=7",
                                  "--threads", "2", "--http-port", "6002", "--http-bind=::1"})
                          .config;
  EXPECT_EQ(config.net.tcp_port, 6000);
  EXPECT_EQ(config.net.ws_port, 6001);
  EXPECT_EQ(config.net.bind, "127.0.0.1");
  EXPECT_EQ(config.store.db, "x.db");
  EXPECT_EQ(config.server.log_format, "json");
  EXPECT_EQ(config.net.max_connections, 7u);
  EXPECT_EQ(config.net.threads, 2u);
  EXPECT_EQ(config.http.port, 6002);
  EXPECT_EQ(config.http.bind, "::1");
}

TEST(ConfigTest, EqualsFormKeepsEqualsSignsInTheValue) {
  EXPECT_EQ(parse_args({"--db=a=b.db"}).config.store.db, "a=b.db");
}

TEST(ConfigTest, RepeatedFlagLastWins) {
  EXPECT_EQ(parse_args({"--threads", "1", "--threads=2"}).config.net.threads, 2u);
}

// --- Precedence: defaults < file < env < flag.

TEST(ConfigTest, EnvironmentBeatsFileAndFlagBeatsBoth) {
  TempFile file("tcp_port = 1001\nws_port = 1002\nhttp_port = 1003\n");
  const Env env = {{"ROOKERY_WS_PORT", "2002"}, {"ROOKERY_HTTP_PORT", "2003"}};
  const auto config = parse_args({"--config", file.path(), "--http-port", "3003"}, env).config;
  EXPECT_EQ(config.net.tcp_port, 1001);                // file only
  EXPECT_EQ(config.net.ws_port, 2002);                 // file < env
  EXPECT_EQ(config.http.port, 3003);                   // file < env < flag
  EXPECT_EQ(config.net.backlog, NetConfig{}.backlog);  // no source: default
}

// --- Commands, help, version.

TEST(ConfigTest, CommandAndArgsWithFlagsAnywhere) {
  const auto inv = parse_args({"--threads", "2", "admin", "add-user", "--db", "x.db", "bob"});
  EXPECT_EQ(inv.command, "admin");
  EXPECT_EQ(inv.args, (Args{"add-user", "bob"}));
  EXPECT_EQ(inv.config.net.threads, 2u);
  EXPECT_EQ(inv.config.store.db, "x.db");

  EXPECT_EQ(parse_args({"migrate"}).command, "migrate");
  EXPECT_EQ(parse_args({"check-config", "--log-format=json"}).command, "check-config");
}

TEST(ConfigTest, DoubleDashEndsFlags) {
  const auto inv = parse_args({"admin", "--", "--role", "x"});
  EXPECT_EQ(inv.command, "admin");
  EXPECT_EQ(inv.args, (Args{"--role", "x"}));
}

TEST(ConfigTest, AdminCommandKeepsItsOwnFlagsInOrder) {
  EXPECT_EQ(parse_args({"admin", "add-user", "alice", "--role", "operator"}).args,
            (Args{"add-user", "alice", "--role", "operator"}));
  EXPECT_EQ(parse_args({"admin", "add-user", "--role=admin", "alice"}).args,
            (Args{"add-user", "--role=admin", "alice"}));
  EXPECT_EQ(parse_args({"admin", "--role", "viewer", "add-user", "bob", "-x"}).args,
            (Args{"--role", "viewer", "add-user", "bob", "-x"}));
  // A separate value is taken as for a known flag: not when it starts with "--".
  EXPECT_EQ(parse_args({"admin", "add-user", "--role"}).args, (Args{"add-user", "--role"}));
  EXPECT_EQ(parse_args({"admin", "--role", "-"}).args, (Args{"--role", "-"}));

  // Configuration flags among them still configure, wherever they are.
  const auto inv = parse_args({"--threads", "2", "admin", "add-user", "--role", "viewer", "--db",
                               "x.db", "carol", "--force", "--log-level=warn"});
  EXPECT_EQ(inv.command, "admin");
  EXPECT_EQ(inv.args, (Args{"add-user", "--role", "viewer", "carol", "--force"}));
  EXPECT_EQ(inv.config.net.threads, 2u);
  EXPECT_EQ(inv.config.store.db, "x.db");
  EXPECT_EQ(inv.config.server.log_level, "warn");

  // General flags keep their meaning.
  EXPECT_TRUE(parse_args({"admin", "add-user", "--help"}).help);
  EXPECT_EQ(error_of({"admin", "--help=yes"}), "flag --help takes no value");
  EXPECT_EQ(error_of({"admin", "--config"}), "flag --config needs a value");
}

TEST(ConfigTest, UnknownFlagsPassOnlyAfterTheAdminWord) {
  EXPECT_EQ(error_of({"--role", "x", "admin"}), "unknown flag --role (see --help)");
  EXPECT_EQ(error_of({"-r", "admin"}), "unknown flag -r (see --help)");
  EXPECT_EQ(error_of({"--role=x"}), "unknown flag --role (see --help)");
  EXPECT_EQ(error_of({"migrate", "--role", "x"}), "unknown flag --role (see --help)");
  EXPECT_EQ(error_of({"serve", "-r"}), "unknown flag -r (see --help)");
  EXPECT_EQ(error_of({"check-config", "--role=x"}), "unknown flag --role (see --help)");
  // "admin" as an argument of another command is not the admin command.
  EXPECT_EQ(error_of({"migrate", "admin", "--role", "x"}), "unknown flag --role (see --help)");
  // Bad values of known flags are still errors after "admin".
  EXPECT_EQ(error_of({"admin", "list-users", "--threads", "x"}),
            "invalid value for threads (--threads): \"x\" is not a non-negative whole number");
}

TEST(ConfigTest, AdminEnvironmentVariablesAreNotWarnedAbout) {
  const auto inv =
      parse_args({}, {{"ROOKERY_ADMIN_USER", "root"}, {"ROOKERY_ADMIN_PASSWORD", "secret pw"}});
  EXPECT_TRUE(inv.warnings.empty());
  EXPECT_EQ(inv.config, Config{});
}

TEST(ConfigTest, HelpAndVersionWinOverBadInput) {
  EXPECT_TRUE(parse_args({"-h"}).help);
  EXPECT_TRUE(parse_args({"migrate", "--help"}).help);
  EXPECT_TRUE(parse_args({"--version"}).version);
  // --help must work even when the rest of the setup is broken.
  EXPECT_TRUE(parse_args({"--no-such-flag", "--help"}, {{"ROOKERY_TCP_PORT", "x"}}).help);
  EXPECT_TRUE(parse_args({"--help", "--config", "/nonexistent/rookery.conf"}).help);
}

// --- Errors.

TEST(ConfigTest, UnknownFlagIsNamed) {
  EXPECT_EQ(error_of({"--tcp-prot", "1"}), "unknown flag --tcp-prot (see --help)");
  EXPECT_EQ(error_of({"--tcp-prot=1"}), "unknown flag --tcp-prot (see --help)");
  EXPECT_EQ(error_of({"-x"}), "unknown flag -x (see --help)");
  EXPECT_EQ(error_of({"--help=yes"}), "flag --help takes no value");
}

TEST(ConfigTest, FlagWithoutValue) {
  EXPECT_EQ(error_of({"--db"}), "flag --db needs a value");
  EXPECT_EQ(error_of({"--db", "--threads", "1"}), "flag --db needs a value");
  EXPECT_EQ(error_of({"--config"}), "flag --config needs a value");
  EXPECT_EQ(error_of({"--config="}), "flag --config needs a value");
}

TEST(ConfigTest, UnknownKeyInFileNamesKeyAndLine) {
  TempFile file("tcp_port = 1\n# comment\ntcp-port = 2\n");
  EXPECT_EQ(error_of({"--config", file.path()}),
            "unknown key \"tcp-port\" (" + file.path() + ":3)");
}

TEST(ConfigTest, BadFileValueNamesKeyAndLine) {
  TempFile file("\nthreads = many\n");
  EXPECT_EQ(error_of({"--config", file.path()}), "invalid value for threads (" + file.path() +
                                                     ":2): \"many\" is not a non-negative "
                                                     "whole number");
}

TEST(ConfigTest, MalformedFileLines) {
  TempFile no_equals("tcp_port 1\n");
  EXPECT_EQ(error_of({"--config", no_equals.path()}),
            "expected \"key = value\" (" + no_equals.path() + ":1), got \"tcp_port 1\"");
  TempFile unterminated("db = \"x.db\n");
  EXPECT_EQ(error_of({"--config", unterminated.path()}),
            "invalid value for db (" + unterminated.path() + ":1): unterminated quote");
  TempFile junk("db = \"x.db\" y\n");
  EXPECT_NE(error_of({"--config", junk.path()}).find("after the closing quote"), std::string::npos);
}

TEST(ConfigTest, OutOfRangeStatesTheBounds) {
  EXPECT_EQ(error_of({"--tcp-port", "70000"}),
            "invalid value for tcp_port (--tcp-port): 70000 is out of range 0..65535");
  EXPECT_EQ(error_of({"--threads=257"}),
            "invalid value for threads (--threads): 257 is out of range 0..256");
  EXPECT_EQ(error_of({"--max-frame-bytes", "1023"}),
            "invalid value for max_frame_bytes (--max-frame-bytes): 1023 is out of range "
            "1024..16777216");
  EXPECT_EQ(error_of({"--idle-timeout-ms", "99"}),
            "invalid value for idle_timeout_ms (--idle-timeout-ms): 99 is out of range "
            "100..86400000");
  EXPECT_EQ(error_of({"--relay-tick-hz", "0"}),
            "invalid value for relay_tick_hz (--relay-tick-hz): 0 is out of range 1..60");
  EXPECT_EQ(error_of({"--msg-burst", "0"}),
            "invalid value for msg_burst (--msg-burst): 0 is out of range 1..1000000");
  // Larger than any integer type: still a range error, not a parse error.
  EXPECT_EQ(error_of({"--batch-max", "99999999999999999999999"}),
            "invalid value for batch_max (--batch-max): 99999999999999999999999 is out of range "
            "1..100000");
}

TEST(ConfigTest, NonNumericValuesAreRejectedStrictly) {
  for (const std::string bad : {"abc", "12x", "-1", "+1", " 1", "1 ", "0x10", "1.5", ""}) {
    EXPECT_EQ(error_of({"--tcp-port=" + bad}), "invalid value for tcp_port (--tcp-port): \"" + bad +
                                                   "\" is not a non-negative whole number")
        << bad;
  }
}

TEST(ConfigTest, EnvironmentErrorNamesTheVariable) {
  EXPECT_EQ(error_of({}, {{"ROOKERY_TCP_PORT", "http"}}),
            "invalid value for tcp_port (ROOKERY_TCP_PORT): \"http\" is not a non-negative whole "
            "number");
}

TEST(ConfigTest, BadEnumListsAllowedValues) {
  EXPECT_EQ(error_of({"--log-format", "xml"}),
            "invalid value for log_format (--log-format): \"xml\" is not one of text|json");
  EXPECT_EQ(error_of({}, {{"ROOKERY_LOG_LEVEL", "INFO"}}),
            "invalid value for log_level (ROOKERY_LOG_LEVEL): \"INFO\" is not one of "
            "debug|info|warn|error");
  EXPECT_EQ(error_of({"--synchronous=off"}),
            "invalid value for synchronous (--synchronous): \"off\" is not one of full|normal");
}

TEST(ConfigTest, StringBounds) {
  EXPECT_EQ(error_of({"--db="}),
            "invalid value for db (--db): \"\" must be 1..4096 characters long");
  EXPECT_EQ(error_of({"--server-name", "a\nb"}),
            "invalid value for server_name (--server-name): contains a control character");
}

TEST(ConfigTest, PortsMustDifferUnlessZero) {
  EXPECT_EQ(error_of({"--ws-port", "12122"}),
            "tcp_port and ws_port are both 12122; each port needs its own number (0 picks a free "
            "one)");
  EXPECT_EQ(error_of({"--http-port", "9000"}, {{"ROOKERY_WS_PORT", "9000"}}),
            "ws_port and http_port are both 9000; each port needs its own number (0 picks a free "
            "one)");
  const auto config = parse_args({"--tcp-port=0", "--ws-port=0", "--http-port=0"}).config;
  EXPECT_EQ(config.net.tcp_port, 0);
  EXPECT_EQ(config.http.port, 0);
}

TEST(ConfigTest, MissingConfigFileIsAnError) {
  const std::string path = (fs::temp_directory_path() / "rookery_no_such_file.conf").string();
  EXPECT_EQ(error_of({"--config", path}),
            "cannot read config file " + path + " (--config): No such file or directory");
  EXPECT_EQ(error_of({}, {{"ROOKERY_CONFIG", path}}),
            "cannot read config file " + path + " (ROOKERY_CONFIG): No such file or directory");
  const std::string dir = fs::temp_directory_path().string();
  EXPECT_EQ(error_of({"--config", dir}),
            "cannot read config file " + dir + " (--config): is a directory");
}

TEST(ConfigTest, FileCannotNameAnotherFile) {
  TempFile file("config = other.conf\n");
  EXPECT_EQ(error_of({"--config", file.path()}), "unknown key \"config\" (" + file.path() + ":1)");
}

// --- Help and dump.

TEST(ConfigTest, HelpMentionsEveryFlagAndVariable) {
  const std::string help = help_text();
  for (const std::string flag :
       {"--tcp-port", "--ws-port", "--http-port", "--http-bind", "--bind", "--db", "--threads",
        "--max-connections", "--config", "--log-format", "--help", "--version", "ROOKERY_CONFIG"}) {
    EXPECT_NE(help.find(flag), std::string::npos) << flag;
  }
  for (const auto& key : kAllKeys) {
    EXPECT_NE(help.find(flag_of(key) + " "), std::string::npos) << key;
    EXPECT_NE(help.find(env_of(key)), std::string::npos) << key;
  }
  for (const std::string command : {"serve", "migrate", "check-config"}) {
    EXPECT_NE(help.find("  " + command + " "), std::string::npos) << command;
  }
  EXPECT_NE(help.find("  admin add-user NAME --role viewer|operator|admin\n"), std::string::npos);
  EXPECT_NE(help.find("  admin list-users\n"), std::string::npos);
  EXPECT_NE(help.find("ROOKERY_ADMIN_USER"), std::string::npos);
  EXPECT_NE(help.find("ROOKERY_ADMIN_PASSWORD"), std::string::npos);
  EXPECT_NE(help.find("Default 12122; range 0..65535."), std::string::npos);
  EXPECT_NE(help.find("one of text, json"), std::string::npos);
}

TEST(ConfigTest, HelpFitsOneHundredColumns) {
  std::istringstream lines(help_text());
  for (std::string line; std::getline(lines, line);) {
    EXPECT_LE(line.size(), 100u) << line;
  }
}

TEST(ConfigTest, DumpListsEveryKeyInOrder) {
  std::istringstream lines(dump(Config{}));
  std::vector<std::string> names;
  for (std::string line; std::getline(lines, line);) {
    names.push_back(line.substr(0, line.find(" = ")));
  }
  EXPECT_EQ(names, kAllKeys);
  const std::string text = dump(Config{});
  EXPECT_NE(text.find("tcp_port = 12122\n"), std::string::npos);
  EXPECT_NE(text.find("bind = ::\n"), std::string::npos);
  EXPECT_NE(text.find("log_format = text\n"), std::string::npos);
}

// Every field differs from its default; strings need no quoting so they pass as flag values.
Config non_default() {
  Config config;
  config.net = {"0.0.0.0", 1, 2, 3, 4, 5, "web"};
  config.limits = {2048, 6, 7, 1000, 2000, 8192, 8, 16, 17, 18, 19, "10.0.0.0/8"};
  config.rooms = {3000, 4000, 9, 10, 500, 11, 12, 13, 2500, 20, 21, 22};
  config.store = {"/srv/rookery.db", "normal", 14, 99, 7, 3};
  config.http = {"::1", 15, "admin-ui"};
  config.server = {"test-server", 5000, "json", "warn"};
  config.cluster = {"redis://10.1.2.3:6380", "node-7", "game7.example.org", "blue", 5000, 20000};
  return config;
}

// The value part of `key`'s line in dump(config).
std::string dumped_value(const Config& config, const std::string& key) {
  std::istringstream lines(dump(config));
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with(key + " = ")) return line.substr(key.size() + 3);
  }
  ADD_FAILURE() << "no line for " << key;
  return {};
}

TEST(ConfigTest, EveryKeyIsSettableByFlagAndEnvironment) {
  const Config target = non_default();
  for (const auto& key : kAllKeys) {
    const std::string value = dumped_value(target, key);
    ASSERT_NE(value, dumped_value(Config{}, key)) << key;
    // A cluster node needs the shared PostgreSQL store.
    const std::string pg = "postgresql://db/rookery";
    std::vector<std::string> args{flag_of(key), value};
    std::map<std::string, std::string> env{{env_of(key), value}};
    if (key == "redis") {
      args.insert(args.end(), {"--db", pg});
      env["ROOKERY_DB"] = pg;
    }
    EXPECT_EQ(dumped_value(parse_args(args).config, key), value) << key;
    EXPECT_EQ(dumped_value(parse_args({}, env).config, key), value) << key;
  }
}

TEST(ConfigTest, ClusterKeysAreChecked) {
  EXPECT_THROW(parse_args({"--redis", "redis://r:6379"}), ConfigError);  // SQLite: not shared
  EXPECT_NO_THROW(parse_args({"--redis", "redis://r:6379", "--db", "postgresql://db/rookery"}));
  EXPECT_THROW(parse_args({"--node-id", "a b"}), ConfigError);
  EXPECT_THROW(parse_args({"--cluster-name", "x:y"}), ConfigError);
  EXPECT_THROW(parse_args({"--lease-ms", "10"}), ConfigError);
}

TEST(ConfigTest, ExemptAddressesMustParse) {
  EXPECT_NO_THROW(parse_args({"--limits-exempt", "10.0.0.0/8, 2001:db8::/32,192.0.2.7"}));
  EXPECT_NO_THROW(parse_args({"--limits-exempt", ""}));
  const std::string bad = error_of({"--limits-exempt", "10.0.0.0/33"});
  EXPECT_NE(bad.find("limits_exempt"), std::string::npos) << bad;
  EXPECT_NE(bad.find("10.0.0.0/33"), std::string::npos) << bad;
  EXPECT_THROW(parse_args({"--limits-exempt", "localhost"}), ConfigError);
}

TEST(ConfigTest, DumpRoundTripsThroughTheConfigFile) {
  Config config = non_default();
  // A cluster node's store is PostgreSQL (a URL that needs quoting, all the same).
  config.store.db = "postgresql://db/with space/# and \"quotes\" and \\.db";
  config.server.name = "it's rookery";

  TempFile file(dump(config));
  const auto reread = parse_args({"--config", file.path()}).config;
  EXPECT_EQ(reread, config);
  EXPECT_EQ(dump(reread), dump(config));
}

TEST(ConfigTest, ProcessEnvKeepsOnlyRookeryVariables) {
  ASSERT_EQ(::setenv("ROOKERY_CONFIG_TEST_PROBE", "a=b", 1), 0);
  const auto env = process_env();
  ::unsetenv("ROOKERY_CONFIG_TEST_PROBE");
  ASSERT_EQ(env.count("ROOKERY_CONFIG_TEST_PROBE"), 1u);
  EXPECT_EQ(env.at("ROOKERY_CONFIG_TEST_PROBE"), "a=b");
  for (const auto& [name, value] : env) EXPECT_TRUE(name.starts_with("ROOKERY_")) << name;
}

}  // namespace
}  // namespace rookery::config
