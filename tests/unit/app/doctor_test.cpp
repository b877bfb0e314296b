// `rookery doctor` tests: the judgement is a pure function of readings, so each host is a map of
// sysctl values; read_host() is run against a fake /proc/sys folder.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <string>

#include "app/doctor.hpp"
#include "config/config.hpp"

namespace rookery::app {
namespace {

namespace fs = std::filesystem;

// The defaults of a stock Debian 12 / kernel 6.x host with 24 GiB and a 20000 fd hard limit.
HostReadings stock_host() {
  HostReadings h;
  h.sysctl = {
      {"fs.file-max", "2466177"},
      {"fs.nr_open", "1048576"},
      {"net.core.somaxconn", "4096"},
      {"net.ipv4.tcp_max_syn_backlog", "2048"},
      {"net.core.netdev_max_backlog", "1000"},
      {"net.ipv4.ip_local_port_range", "32768 60999"},
      {"net.ipv4.ip_local_reserved_ports", ""},
      {"net.core.rmem_max", "212992"},
      {"net.core.wmem_max", "212992"},
      {"net.ipv4.tcp_rmem", "4096 131072 6291456"},
      {"net.ipv4.tcp_wmem", "4096 16384 4194304"},
      {"net.ipv4.tcp_mem", "287901 383868 575802"},
      {"net.ipv4.tcp_fin_timeout", "60"},
      {"net.ipv4.tcp_tw_reuse", "2"},
      {"net.ipv4.tcp_max_tw_buckets", "131072"},
  };
  h.nofile_soft = 1024;
  h.nofile_hard = 20000;
  h.page_size = 4096;
  return h;
}

DoctorNeeds default_needs() {
  return needs_for(config::Config{});
}

// By value: callers pass the temporary result of diagnose().
DoctorCheck find(const std::vector<DoctorCheck>& checks, const std::string& prefix) {
  const auto it = std::find_if(checks.begin(), checks.end(), [&](const DoctorCheck& c) {
    return c.setting.rfind(prefix, 0) == 0;
  });
  if (it == checks.end()) throw std::runtime_error("no check named " + prefix);
  return *it;
}

std::vector<std::string> gap_names(const std::vector<DoctorCheck>& checks) {
  std::vector<std::string> out;
  for (const auto& c : checks) {
    if (c.verdict == Verdict::gap) out.push_back(c.setting);
  }
  return out;
}

// The repository's ops/host/sysctl.d/60-rookery.conf, found from this file's path.
fs::path repo_file(const std::string& rel) {
  // tests/unit/app/doctor_test.cpp -> the repository root.
  return fs::path(__FILE__).parent_path().parent_path().parent_path().parent_path() / rel;
}

TEST(Doctor, NeedsComeFromTheConfiguration) {
  config::Config cfg;
  cfg.net.max_connections = 5000;
  cfg.net.backlog = 1024;
  cfg.net.ws_port = 0;  // picked at start: nothing to reserve
  const DoctorNeeds n = needs_for(cfg);
  EXPECT_EQ(n.max_connections, 5000u);
  EXPECT_EQ(n.backlog, 1024u);
  EXPECT_EQ(n.listen_ports, (std::vector<uint16_t>{12122, 8080}));
}

TEST(Doctor, StockHostHasTheTalksGaps) {
  const auto checks = diagnose(stock_host(), default_needs());
  EXPECT_EQ(gap_names(checks),
            (std::vector<std::string>{"RLIMIT_NOFILE hard", "net.ipv4.tcp_max_syn_backlog",
                                      "net.core.netdev_max_backlog", "net.ipv4.tcp_fin_timeout"}));
  EXPECT_EQ(count_gaps(checks), 4u);

  const DoctorCheck nofile = find(checks, "RLIMIT_NOFILE hard");
  EXPECT_EQ(nofile.current, "20000");
  EXPECT_EQ(nofile.wanted, ">= 100064");  // max_connections + the reserve
  ASSERT_FALSE(nofile.fix.empty());
  EXPECT_NE(nofile.fix[0].find("LimitNOFILE=1048576"), std::string::npos);

  const DoctorCheck syn = find(checks, "net.ipv4.tcp_max_syn_backlog");
  EXPECT_EQ(syn.fix,
            (std::vector<std::string>{"sudo sysctl -w net.ipv4.tcp_max_syn_backlog=8192",
                                      "echo 'net.ipv4.tcp_max_syn_backlog = 8192' | sudo tee -a "
                                      "/etc/sysctl.d/60-rookery.conf"}));

  // A soft limit below the need is fine: serve raises it to the hard limit.
  EXPECT_EQ(find(checks, "RLIMIT_NOFILE soft").verdict, Verdict::ok);
  EXPECT_EQ(find(checks, "net.core.somaxconn").verdict, Verdict::ok);  // 4096 >= 4096
  EXPECT_EQ(find(checks, "net.core.rmem_max").verdict, Verdict::info);
}

TEST(Doctor, ShippedSysctlFileFitsTheDefaultConfiguration) {
  const fs::path file = repo_file("ops/host/sysctl.d/60-rookery.conf");
  std::ifstream in(file);
  ASSERT_TRUE(in) << file;
  HostReadings h = stock_host();
  std::string line;
  int keys = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto eq = line.find('=');
    ASSERT_NE(eq, std::string::npos) << line;
    std::string key = line.substr(0, eq);
    key.erase(key.find_last_not_of(' ') + 1);
    std::istringstream words(line.substr(eq + 1));
    std::string value;
    std::string word;
    while (words >> word) value += (value.empty() ? "" : " ") + word;
    h.sysctl[key] = value;
    ++keys;
  }
  EXPECT_GE(keys, 15);
  // What the unit (LimitNOFILE) and the limits.d file give the server.
  h.nofile_soft = h.nofile_hard = 1048576;
  const auto checks = diagnose(h, default_needs());
  EXPECT_EQ(gap_names(checks), std::vector<std::string>{}) << format_report(checks, {});

  // It also carries the largest --max-connections the limits allow.
  DoctorNeeds big = default_needs();
  big.max_connections = 262144;
  EXPECT_EQ(count_gaps(diagnose(h, big)), 0u);
}

TEST(Doctor, BacklogAboveSomaxconnIsAGap) {
  DoctorNeeds needs = default_needs();
  needs.backlog = 16384;
  const DoctorCheck c = find(diagnose(stock_host(), needs), "net.core.somaxconn");
  EXPECT_EQ(c.verdict, Verdict::gap);
  EXPECT_EQ(c.wanted, ">= 16384");
  // The fix proposes the need when it is above the shipped value.
  EXPECT_EQ(c.fix.front(), "sudo sysctl -w net.core.somaxconn=16384");
}

TEST(Doctor, ListenPortInsideTheEphemeralRangeMustBeReserved) {
  HostReadings h = stock_host();
  h.sysctl["net.ipv4.ip_local_port_range"] = "1024 65535";
  h.sysctl["net.ipv4.ip_local_reserved_ports"] = "9000-9001";
  const DoctorCheck c = find(diagnose(h, default_needs()), "net.ipv4.ip_local_port_range");
  EXPECT_EQ(c.verdict, Verdict::gap);
  EXPECT_EQ(c.wanted, "ports 12122, 12123, 8080 reserved");
  // Existing reservations are kept.
  EXPECT_EQ(c.fix.front(),
            "sudo sysctl -w net.ipv4.ip_local_reserved_ports=9000-9001,12122,12123,8080");

  h.sysctl["net.ipv4.ip_local_reserved_ports"] = "8080,12122-12123";
  EXPECT_EQ(find(diagnose(h, default_needs()), "net.ipv4.ip_local_port_range").verdict,
            Verdict::ok);
}

TEST(Doctor, TcpMemMustHoldEveryConnectionsMinimumBuffers) {
  HostReadings h = stock_host();
  h.sysctl["net.ipv4.tcp_mem"] = "50000 75000 100000";
  DoctorNeeds needs = default_needs();
  needs.max_connections = 1000000;  // x (4096 + 4096) bytes = 2,000,000 pages
  const DoctorCheck c = find(diagnose(h, needs), "net.ipv4.tcp_mem");
  EXPECT_EQ(c.verdict, Verdict::gap);
  EXPECT_EQ(c.wanted, "hard >= 2000000 pages");
  EXPECT_EQ(c.fix.front(), "sudo sysctl -w net.ipv4.tcp_mem=\"1000000 1500000 2000000\"");

  needs.max_connections = 50000;  // exactly 100000 pages
  EXPECT_EQ(find(diagnose(h, needs), "net.ipv4.tcp_mem").verdict, Verdict::ok);
}

TEST(Doctor, LargeBufferMinimumIsAGap) {
  HostReadings h = stock_host();
  h.sysctl["net.ipv4.tcp_wmem"] = "65536 65536 4194304";
  const DoctorCheck c = find(diagnose(h, default_needs()), "net.ipv4.tcp_wmem");
  EXPECT_EQ(c.verdict, Verdict::gap);
  EXPECT_EQ(c.fix.front(), "sudo sysctl -w net.ipv4.tcp_wmem=\"4096 65536 4194304\"");
}

TEST(Doctor, UnreadableKeysAreUnknownNotGaps) {
  // Inside a container's network namespace the host-wide keys are not visible.
  HostReadings h = stock_host();
  h.sysctl.erase("net.core.netdev_max_backlog");
  h.sysctl.erase("net.ipv4.tcp_mem");
  h.sysctl["net.ipv4.tcp_max_syn_backlog"] = "not a number";
  h.sysctl["net.ipv4.tcp_fin_timeout"] = "15";
  h.sysctl["net.ipv4.tcp_max_tw_buckets"] = "262144";
  h.nofile_hard = std::numeric_limits<uint64_t>::max();  // unlimited
  const auto checks = diagnose(h, default_needs());
  EXPECT_EQ(find(checks, "net.core.netdev_max_backlog").verdict, Verdict::unknown);
  EXPECT_EQ(find(checks, "net.ipv4.tcp_mem").verdict, Verdict::unknown);
  EXPECT_EQ(find(checks, "net.ipv4.tcp_max_syn_backlog").verdict, Verdict::unknown);
  EXPECT_EQ(find(checks, "RLIMIT_NOFILE hard").current, "unlimited");
  EXPECT_EQ(count_gaps(checks), 0u);
}

TEST(Doctor, ReportListsEveryCheckWithFixesAndASummary) {
  const auto checks = diagnose(stock_host(), default_needs());
  const std::string report = format_report(checks, default_needs());
  EXPECT_NE(report.find("--max-connections 100000 --backlog 4096"), std::string::npos);
  EXPECT_NE(report.find("listen ports 12122, 12123, 8080"), std::string::npos);
  for (const auto& c : checks) EXPECT_NE(report.find(c.setting), std::string::npos) << c.setting;
  EXPECT_NE(report.find("fix: sudo sysctl -w net.ipv4.tcp_fin_timeout=15"), std::string::npos);
  EXPECT_NE(report.find("4 gaps."), std::string::npos);

  HostReadings good = stock_host();
  good.nofile_hard = 1048576;
  good.sysctl["net.ipv4.tcp_max_syn_backlog"] = "8192";
  good.sysctl["net.core.netdev_max_backlog"] = "16384";
  good.sysctl["net.ipv4.tcp_fin_timeout"] = "15";
  good.sysctl["net.ipv4.tcp_max_tw_buckets"] = "262144";
  const std::string clean = format_report(diagnose(good, default_needs()), default_needs());
  EXPECT_NE(clean.find("No gaps"), std::string::npos);
  EXPECT_EQ(clean.find("fix:"), std::string::npos);
}

TEST(Doctor, ReadsAProcSysTree) {
  std::random_device rd;
  const fs::path root =
      fs::temp_directory_path() /
      ("rookery-doctor-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  fs::create_directories(root / "net" / "core");
  fs::create_directories(root / "net" / "ipv4");
  std::ofstream(root / "net" / "core" / "somaxconn") << "4096\n";
  std::ofstream(root / "net" / "ipv4" / "ip_local_port_range") << "32768\t60999\n";
  std::ofstream(root / "net" / "ipv4" / "ip_local_reserved_ports") << "\n";
  const HostReadings h = read_host(root.string());
  fs::remove_all(root);

  EXPECT_EQ(h.sysctl.at("net.core.somaxconn"), "4096");
  EXPECT_EQ(h.sysctl.at("net.ipv4.ip_local_port_range"), "32768 60999");
  EXPECT_EQ(h.sysctl.at("net.ipv4.ip_local_reserved_ports"), "");
  EXPECT_EQ(h.sysctl.count("fs.file-max"), 0u);  // missing file: left out
  EXPECT_GT(h.nofile_hard, 0u);                  // getrlimit of this process
  EXPECT_GE(h.nofile_hard, h.nofile_soft);
  EXPECT_GT(h.page_size, 0u);
}

TEST(Doctor, EveryKeyItReadsExistsOnThisKernel) {
  // A typo in a key would silently read as "unreadable" forever.
  const HostReadings h = read_host();
  for (const std::string& key : doctor_sysctl_keys()) {
    if (key == "net.core.netdev_max_backlog" || key == "net.ipv4.tcp_mem") {
      continue;  // host-wide: invisible when the tests run inside a container
    }
    EXPECT_EQ(h.sysctl.count(key), 1u) << key;
  }
}

}  // namespace
}  // namespace rookery::app
