// `rookery doctor`: reads the host's kernel and process limits and says, setting by setting,
// whether they can carry the configured --max-connections and --backlog, with the exact command
// that fixes each gap. The judgement (diagnose) is a pure function of the readings, so it is unit
// tested without touching the host.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace rookery::config {
struct Config;
}

namespace rookery::app {

/// Descriptors the server needs besides game connections (listeners, database, logs, epoll,
/// timers, side-port clients); the same reserve `serve` warns about at start.
constexpr uint64_t kDoctorReservedFds = 64;

/// What the host said. Pure data, filled by read_host() or by a test.
struct HostReadings {
  /// sysctl key ("net.core.somaxconn") -> value as read, runs of whitespace folded to one space.
  /// A key that could not be read is absent (e.g. global net.* keys are invisible from inside a
  /// container's network namespace).
  std::map<std::string, std::string> sysctl;
  uint64_t nofile_soft = 0;  // RLIMIT_NOFILE of this process; RLIM_INFINITY reads as UINT64_MAX
  uint64_t nofile_hard = 0;
  uint64_t page_size = 4096;  // tcp_mem counts pages
};

/// What the configuration asks of the host.
struct DoctorNeeds {
  uint64_t max_connections = 0;
  uint64_t backlog = 0;
  std::vector<uint16_t> listen_ports;  // game and side ports (0 = picked at start: skipped)
};

enum class Verdict {
  ok,       // fits
  gap,      // does not fit: `fix` says what to run
  info,     // shown for completeness, rookery does not depend on it
  unknown,  // could not be read here; not counted as a gap
};

/// One line of the report.
struct DoctorCheck {
  std::string setting;  // "net.core.somaxconn", "RLIMIT_NOFILE hard"
  std::string current;  // the value read, or "unreadable"
  std::string wanted;   // e.g. ">= 4096"
  Verdict verdict = Verdict::ok;
  std::string why;               // one sentence: what the setting limits
  std::vector<std::string> fix;  // exact shell commands; empty unless verdict == gap
};

/// The sysctl keys read_host() reads (and diagnose() looks at).
const std::vector<std::string>& doctor_sysctl_keys();

/// Reads doctor_sysctl_keys() under `proc_sys` (normally /proc/sys) and this process's
/// RLIMIT_NOFILE. Never throws; unreadable keys are left out.
HostReadings read_host(const std::string& proc_sys = "/proc/sys");

/// max_connections, backlog and the non-zero listen ports of `cfg`.
DoctorNeeds needs_for(const config::Config& cfg);

/// Compares the readings with the needs; one DoctorCheck per setting, in report order.
std::vector<DoctorCheck> diagnose(const HostReadings& host, const DoctorNeeds& needs);

/// The human report: one line per check, then why/fix under each gap, then a summary line.
std::string format_report(const std::vector<DoctorCheck>& checks, const DoctorNeeds& needs);

/// Number of checks with Verdict::gap.
size_t count_gaps(const std::vector<DoctorCheck>& checks);

/// The `rookery doctor` command: reads this host, prints the report to stdout. Returns the exit
/// status: 0 when every setting fits, 1 when there is at least one gap.
int run_doctor(const config::Config& cfg);

}  // namespace rookery::app
