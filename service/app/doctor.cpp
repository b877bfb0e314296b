#include "app/doctor.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <limits>
#include <optional>
#include <set>
#include <sstream>
#include <utility>

#include "config/config.hpp"

namespace rookery::app {
namespace {

// The values ops/host/sysctl.d/60-rookery.conf ships. A fix never proposes less than these, so
// following the doctor converges on the shipped file (tests/unit/app/doctor_test.cpp checks that
// the file passes with the default configuration).
constexpr uint64_t kRecommendedFileMax = 2097152;
constexpr uint64_t kRecommendedNrOpen = 1048576;
constexpr uint64_t kRecommendedSomaxconn = 8192;
constexpr uint64_t kRecommendedSynBacklog = 8192;
constexpr uint64_t kRecommendedNetdevBacklog = 16384;
constexpr uint64_t kRecommendedTwBuckets = 262144;
constexpr uint64_t kMaxFinTimeout = 30;       // seconds; the shipped file uses 15
constexpr uint64_t kMaxBufferMin = 16384;     // tcp_rmem/tcp_wmem floor per connection
constexpr uint64_t kFileMaxHeadroom = 65536;  // descriptors left for the rest of the host
constexpr const char* kSysctlFile = "/etc/sysctl.d/60-rookery.conf";

std::optional<std::vector<uint64_t>> numbers(const HostReadings& host, const std::string& key) {
  const auto it = host.sysctl.find(key);
  if (it == host.sysctl.end()) return std::nullopt;
  std::vector<uint64_t> out;
  std::istringstream in(it->second);
  std::string word;
  while (in >> word) {
    uint64_t v = 0;
    const auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), v);
    if (ec != std::errc() || end != word.data() + word.size()) return std::nullopt;
    out.push_back(v);
  }
  if (out.empty()) return std::nullopt;
  return out;
}

std::string raw(const HostReadings& host, const std::string& key) {
  const auto it = host.sysctl.find(key);
  if (it == host.sysctl.end()) return "unreadable";
  return it->second.empty() ? "(empty)" : it->second;
}

std::string limit_text(uint64_t v) {
  return v == std::numeric_limits<uint64_t>::max() ? "unlimited" : std::to_string(v);
}

// The two commands that fix a sysctl now and at every boot.
std::vector<std::string> sysctl_fix(const std::string& key, const std::string& value) {
  const bool spaced = value.find(' ') != std::string::npos;
  const std::string arg = spaced ? key + "=\"" + value + "\"" : key + "=" + value;
  return {"sudo sysctl -w " + arg,
          "echo '" + key + " = " + value + "' | sudo tee -a " + kSysctlFile};
}

DoctorCheck unreadable(const std::string& key, const std::string& why) {
  return {key,
          raw({}, key),
          "",
          Verdict::unknown,
          why +
              " Not visible here (inside a container only namespaced keys are): check it on "
              "the host.",
          {}};
}

// A sysctl that must be at least `need`; the fix proposes max(need, recommended).
DoctorCheck at_least(const HostReadings& host, const std::string& key, uint64_t need,
                     uint64_t recommended, const std::string& why) {
  const auto v = numbers(host, key);
  if (!v) return unreadable(key, why);
  DoctorCheck c{key, raw(host, key), ">= " + std::to_string(need), Verdict::ok, why, {}};
  if ((*v)[0] < need) {
    c.verdict = Verdict::gap;
    c.fix = sysctl_fix(key, std::to_string(std::max(need, recommended)));
  }
  return c;
}

// Parses ip_local_reserved_ports ("8080,12122-12123") into a set of ports.
std::set<uint32_t> reserved_ports(const std::string& text) {
  std::set<uint32_t> out;
  std::istringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    item.erase(std::remove(item.begin(), item.end(), ' '), item.end());
    if (item.empty()) continue;
    const auto dash = item.find('-');
    uint32_t lo = 0;
    uint32_t hi = 0;
    const std::string a = item.substr(0, dash);
    const std::string b = dash == std::string::npos ? a : item.substr(dash + 1);
    if (std::from_chars(a.data(), a.data() + a.size(), lo).ec != std::errc() ||
        std::from_chars(b.data(), b.data() + b.size(), hi).ec != std::errc() || hi > 65535) {
      continue;
    }
    for (uint32_t p = lo; p <= hi; ++p) out.insert(p);
  }
  return out;
}

DoctorCheck port_range_check(const HostReadings& host, const DoctorNeeds& needs) {
  const std::string key = "net.ipv4.ip_local_port_range";
  const std::string why =
      "Source ports for outgoing connections. A listen port inside this range and not in "
      "ip_local_reserved_ports can be taken by an outgoing connection, and rookery then fails "
      "to bind it at the next start.";
  const auto range = numbers(host, key);
  if (!range || range->size() != 2) return unreadable(key, why);
  const auto reserved_it = host.sysctl.find("net.ipv4.ip_local_reserved_ports");
  const std::string reserved_text =
      reserved_it == host.sysctl.end() ? std::string() : reserved_it->second;
  const std::set<uint32_t> reserved = reserved_ports(reserved_text);
  std::vector<uint16_t> exposed;
  for (uint16_t p : needs.listen_ports) {
    if (p >= (*range)[0] && p <= (*range)[1] && reserved.count(p) == 0) exposed.push_back(p);
  }
  DoctorCheck c{key + " / ip_local_reserved_ports",
                raw(host, key) + " / " + (reserved_text.empty() ? "(none)" : reserved_text),
                "listen ports outside the range or reserved",
                Verdict::ok,
                why,
                {}};
  if (!exposed.empty()) {
    std::string list = reserved_text;
    list.erase(std::remove(list.begin(), list.end(), ' '), list.end());
    std::string ports;
    for (uint16_t p : exposed) {
      if (!list.empty()) list += ",";
      list += std::to_string(p);
      ports += (ports.empty() ? "" : ", ") + std::to_string(p);
    }
    c.wanted = "ports " + ports + " reserved";
    c.verdict = Verdict::gap;
    c.fix = sysctl_fix("net.ipv4.ip_local_reserved_ports", list);
  }
  return c;
}

DoctorCheck nofile_hard_check(const HostReadings& host, uint64_t need) {
  DoctorCheck c{"RLIMIT_NOFILE hard",
                limit_text(host.nofile_hard),
                ">= " + std::to_string(need),
                Verdict::ok,
                "Open files per process: one per connection plus " +
                    std::to_string(kDoctorReservedFds) +
                    " for listeners, the database and logs. Read from this process: run the "
                    "doctor as the server runs (same user, unit or container); under systemd the "
                    "unit's LimitNOFILE counts (systemctl show rookery -p LimitNOFILE).",
                {}};
  if (host.nofile_hard < need) {
    const std::string n = std::to_string(std::max<uint64_t>(need, 1048576));
    c.verdict = Verdict::gap;
    c.fix = {
        "sudo mkdir -p /etc/systemd/system/rookery.service.d && printf '[Service]\\nLimitNOFILE=" +
            n +
            "\\n' | sudo tee /etc/systemd/system/rookery.service.d/nofile.conf && sudo "
            "systemctl daemon-reload && sudo systemctl restart rookery",
        "printf 'rookery soft nofile " + n + "\\nrookery hard nofile " + n +
            "\\n' | sudo tee /etc/security/limits.d/60-rookery.conf   # login sessions of user "
            "rookery (not systemd services)",
        "podman/docker run --ulimit nofile=" + n + ":" + n + " ...   # containers"};
  }
  return c;
}

DoctorCheck tcp_mem_check(const HostReadings& host, const DoctorNeeds& needs) {
  const std::string key = "net.ipv4.tcp_mem";
  const std::string why =
      "Pages of memory all TCP sockets may use (low, pressure, hard). Under pressure each "
      "socket is squeezed towards the tcp_rmem/tcp_wmem minimum; past the hard limit sends "
      "fail, so it must hold every connection's minimum.";
  const auto mem = numbers(host, key);
  const auto rmem = numbers(host, "net.ipv4.tcp_rmem");
  const auto wmem = numbers(host, "net.ipv4.tcp_wmem");
  if (!mem || mem->size() != 3 || !rmem || rmem->size() != 3 || !wmem || wmem->size() != 3) {
    return unreadable(key, why);
  }
  const uint64_t page = host.page_size == 0 ? 4096 : host.page_size;
  const uint64_t per_conn = (*rmem)[0] + (*wmem)[0];
  const uint64_t need = (needs.max_connections * per_conn + page - 1) / page;
  DoctorCheck c{key, raw(host, key), "hard >= " + std::to_string(need) + " pages", Verdict::ok, why,
                {}};
  if ((*mem)[2] < need) {
    c.verdict = Verdict::gap;
    std::string value;
    for (uint64_t v : *mem) {
      const uint64_t scaled = (v * need + (*mem)[2] - 1) / std::max<uint64_t>((*mem)[2], 1);
      value += (value.empty() ? "" : " ") + std::to_string(scaled);
    }
    c.fix = sysctl_fix(key, value);
  }
  return c;
}

DoctorCheck buffer_check(const HostReadings& host, const std::string& key) {
  const std::string why =
      "TCP buffer autotuning (min, default, max bytes per socket). The minimum is what every "
      "connection keeps under memory pressure: keep it small when holding many connections.";
  const auto v = numbers(host, key);
  if (!v || v->size() != 3) return unreadable(key, why);
  DoctorCheck c{key, raw(host, key), "min <= " + std::to_string(kMaxBufferMin), Verdict::ok, why,
                {}};
  if ((*v)[0] > kMaxBufferMin) {
    c.verdict = Verdict::gap;
    c.fix = sysctl_fix(key, "4096 " + std::to_string((*v)[1]) + " " + std::to_string((*v)[2]));
  }
  return c;
}

DoctorCheck info(const HostReadings& host, const std::string& key, const std::string& why) {
  if (host.sysctl.count(key) == 0) return unreadable(key, why);
  return {key, raw(host, key), "", Verdict::info, why, {}};
}

const char* verdict_label(Verdict v) {
  switch (v) {
    case Verdict::ok:
      return "ok";
    case Verdict::gap:
      return "GAP";
    case Verdict::info:
      return "info";
    case Verdict::unknown:
      return "??";
  }
  return "?";
}

std::string read_value(const std::string& path) {
  std::ifstream in(path);
  if (!in) return {};
  std::string word;
  std::string out;
  while (in >> word) out += (out.empty() ? "" : " ") + word;
  return out;
}

}  // namespace

const std::vector<std::string>& doctor_sysctl_keys() {
  static const std::vector<std::string> keys = {
      "fs.file-max",
      "fs.nr_open",
      "net.core.somaxconn",
      "net.ipv4.tcp_max_syn_backlog",
      "net.core.netdev_max_backlog",
      "net.ipv4.ip_local_port_range",
      "net.ipv4.ip_local_reserved_ports",
      "net.core.rmem_max",
      "net.core.wmem_max",
      "net.ipv4.tcp_rmem",
      "net.ipv4.tcp_wmem",
      "net.ipv4.tcp_mem",
      "net.ipv4.tcp_fin_timeout",
      "net.ipv4.tcp_tw_reuse",
      "net.ipv4.tcp_max_tw_buckets",
  };
  return keys;
}

HostReadings read_host(const std::string& proc_sys) {
  HostReadings host;
  for (const std::string& key : doctor_sysctl_keys()) {
    std::string rel = key;
    std::replace(rel.begin(), rel.end(), '.', '/');
    const std::string path = proc_sys + "/" + rel;
    std::ifstream probe(path);
    if (!probe) continue;
    host.sysctl[key] = read_value(path);
  }
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0) {
    const auto conv = [](rlim_t v) {
      return v == RLIM_INFINITY ? std::numeric_limits<uint64_t>::max() : static_cast<uint64_t>(v);
    };
    host.nofile_soft = conv(lim.rlim_cur);
    host.nofile_hard = conv(lim.rlim_max);
  }
  const long page = sysconf(_SC_PAGESIZE);
  if (page > 0) host.page_size = static_cast<uint64_t>(page);
  return host;
}

DoctorNeeds needs_for(const config::Config& cfg) {
  DoctorNeeds needs;
  needs.max_connections = cfg.net.max_connections;
  needs.backlog = cfg.net.backlog;
  for (uint16_t p : {cfg.net.tcp_port, cfg.net.ws_port, cfg.http.port}) {
    if (p != 0) needs.listen_ports.push_back(p);
  }
  return needs;
}

std::vector<DoctorCheck> diagnose(const HostReadings& host, const DoctorNeeds& needs) {
  const uint64_t fds = needs.max_connections + kDoctorReservedFds;
  std::vector<DoctorCheck> out;

  out.push_back(nofile_hard_check(host, fds));
  {
    DoctorCheck soft{"RLIMIT_NOFILE soft",
                     limit_text(host.nofile_soft),
                     "raised to the hard limit at start",
                     Verdict::ok,
                     "rookery raises its soft limit to the hard limit at start, so only the hard "
                     "limit has to fit.",
                     {}};
    out.push_back(soft);
  }
  out.push_back(at_least(host, "fs.nr_open", fds, kRecommendedNrOpen,
                         "Ceiling for any process's RLIMIT_NOFILE: LimitNOFILE above it fails."));
  out.push_back(at_least(
      host, "fs.file-max", fds + kFileMaxHeadroom, kRecommendedFileMax,
      "Open files on the whole host: rookery's descriptors plus headroom for everything else."));
  out.push_back(at_least(host, "net.core.somaxconn", needs.backlog, kRecommendedSomaxconn,
                         "The kernel silently caps every listen(2) backlog at this, so "
                         "--backlog above it is lost and a reconnect storm overflows."));
  out.push_back(at_least(host, "net.ipv4.tcp_max_syn_backlog", needs.backlog,
                         kRecommendedSynBacklog,
                         "Half-open connections (SYN received) queued per listener; below "
                         "--backlog, a burst of connects is cut by SYN cookies or drops."));
  out.push_back(at_least(host, "net.core.netdev_max_backlog", needs.backlog,
                         kRecommendedNetdevBacklog,
                         "Packets queued per CPU before the network stack takes them; a "
                         "reconnect storm of --backlog SYNs must fit."));
  out.push_back(port_range_check(host, needs));
  out.push_back(tcp_mem_check(host, needs));
  out.push_back(buffer_check(host, "net.ipv4.tcp_rmem"));
  out.push_back(buffer_check(host, "net.ipv4.tcp_wmem"));
  out.push_back(info(host, "net.core.rmem_max",
                     "Ceiling for SO_RCVBUF set by a program; rookery sets none (autotuning "
                     "uses tcp_rmem)."));
  out.push_back(info(host, "net.core.wmem_max",
                     "Ceiling for SO_SNDBUF set by a program; rookery sets none (autotuning "
                     "uses tcp_wmem)."));
  {
    const std::string key = "net.ipv4.tcp_fin_timeout";
    const std::string why =
        "Seconds a socket closed by rookery (kick, timeout, drain) may wait in FIN-WAIT-2 for a "
        "vanished client; shorter frees memory and descriptors sooner.";
    const auto v = numbers(host, key);
    if (!v) {
      out.push_back(unreadable(key, why));
    } else {
      DoctorCheck c{key, raw(host, key), "<= " + std::to_string(kMaxFinTimeout), Verdict::ok, why,
                    {}};
      if ((*v)[0] > kMaxFinTimeout) {
        c.verdict = Verdict::gap;
        c.fix = sysctl_fix(key, "15");
      }
      out.push_back(c);
    }
  }
  out.push_back(at_least(host, "net.ipv4.tcp_max_tw_buckets", needs.max_connections,
                         kRecommendedTwBuckets,
                         "TIME-WAIT sockets kept; a drain closes every connection from the "
                         "server side, and past this the kernel logs overflows and drops them "
                         "early."));
  out.push_back(info(host, "net.ipv4.tcp_tw_reuse",
                     "Reuse of TIME-WAIT ports for outgoing connections only (1 = on, 2 = "
                     "loopback only); helps load generators and proxies, not listeners."));
  return out;
}

size_t count_gaps(const std::vector<DoctorCheck>& checks) {
  return static_cast<size_t>(std::count_if(checks.begin(), checks.end(), [](const DoctorCheck& c) {
    return c.verdict == Verdict::gap;
  }));
}

std::string format_report(const std::vector<DoctorCheck>& checks, const DoctorNeeds& needs) {
  std::ostringstream out;
  std::string ports;
  for (uint16_t p : needs.listen_ports) ports += (ports.empty() ? "" : ", ") + std::to_string(p);
  out << "rookery doctor: can this host carry --max-connections " << needs.max_connections
      << " --backlog " << needs.backlog << " (listen ports " << (ports.empty() ? "-" : ports)
      << ")?\n\n";
  size_t width = 0;
  for (const auto& c : checks) width = std::max(width, c.setting.size());
  for (const auto& c : checks) {
    char label[8];
    std::snprintf(label, sizeof label, "%-4s", verdict_label(c.verdict));
    out << "  " << label << "  " << c.setting << std::string(width - c.setting.size() + 2, ' ')
        << c.current;
    if (!c.wanted.empty()) out << "   (want " << c.wanted << ")";
    out << "\n";
    if (c.verdict == Verdict::gap || c.verdict == Verdict::unknown) {
      out << "        why: " << c.why << "\n";
      for (size_t i = 0; i < c.fix.size(); ++i) {
        out << (i == 0 ? "        fix: " : "             ") << c.fix[i] << "\n";
      }
    }
  }
  const size_t gaps = count_gaps(checks);
  out << "\n";
  if (gaps == 0) {
    out << "No gaps: this host fits --max-connections " << needs.max_connections << ".\n";
  } else {
    out << gaps << (gaps == 1 ? " gap" : " gaps")
        << ". Run the fix lines above, or install the tuned files in one go: ops/host/ "
           "(sysctl.d, limits.d) and ops/systemd/rookery.service, see docs/operations.md.\n";
  }
  return out.str();
}

int run_doctor(const config::Config& cfg) {
  const DoctorNeeds needs = needs_for(cfg);
  const std::vector<DoctorCheck> checks = diagnose(read_host(), needs);
  std::fputs(format_report(checks, needs).c_str(), stdout);
  std::fflush(stdout);
  return count_gaps(checks) == 0 ? 0 : 1;
}

}  // namespace rookery::app
