// The side-port under hostile load: idle and slow connections, event streams and file
// descriptor exhaustion must not lock out health checks and metrics or spin a core; static
// files (on the side-port and the WebSocket port) are streamed, not held in memory.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/buffers_iterator.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "http_support.hpp"
#include "test_support.hpp"

namespace rookery::itest {
namespace {

using tcp = boost::asio::ip::tcp;

class SidePortTest : public IntegrationTest {
 protected:
  // Opens `count` connections to the side-port, sending `bytes` on each (nothing if empty).
  std::vector<std::unique_ptr<tcp::socket>> open_connections(const ServerProcess& server, int count,
                                                             const std::string& bytes = "") {
    std::vector<std::unique_ptr<tcp::socket>> out;
    for (int i = 0; i < count; ++i) {
      auto s = std::make_unique<tcp::socket>(io_);
      s->connect({boost::asio::ip::make_address("127.0.0.1"), server.http_port()});
      if (!bytes.empty()) boost::asio::write(*s, boost::asio::buffer(bytes));
      out.push_back(std::move(s));
    }
    return out;
  }

  int status_of(const ServerProcess& server, const std::string& target) {
    return http("127.0.0.1", server.http_port(), bhttp::verb::get, target).status;
  }

  boost::asio::io_context io_;
};

// CPU seconds (user + system) the process has used so far.
double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(field);  // utime, stime
  }
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

TEST_F(SidePortTest, IdleConnectionsCannotLockOutHealthChecksOrTheConsole) {
  auto& server = start_server();
  // Bare sockets that never send a byte, past the cap of 256.
  auto bare = open_connections(server, 300);
  EXPECT_EQ(status_of(server, "/healthz"), 200);
  EXPECT_EQ(status_of(server, "/metrics"), 200);
  // Keep-alive connections left idle after one request each: the oldest make room.
  auto kept = open_connections(server, 300, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(status_of(server, "/healthz"), 200);
  EXPECT_EQ(status_of(server, "/api/v1/auth/session"), 401);  // the admin API answers too
}

TEST_F(SidePortTest, SlowRequestsLeaveHealthChecksAndMetricsReachable) {
  auto& server = start_server();
  // 256 requests whose headers never finish hold every normal connection.
  auto slow = open_connections(server, 256, "GET /api/v1/overview HTTP/1.1\r\nHost: x\r\n");
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(status_of(server, "/healthz"), 200);
  EXPECT_EQ(status_of(server, "/readyz"), 200);
  EXPECT_EQ(status_of(server, "/metrics"), 200);
  const auto busy = http("127.0.0.1", server.http_port(), bhttp::verb::get, "/api/v1/overview");
  EXPECT_EQ(busy.status, 503);
  EXPECT_NE(busy.body.find("connection limit"), std::string::npos) << busy.body;
  slow.clear();  // the slow clients leave: everything is served again
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(status_of(server, "/api/v1/auth/session"), 401);
}

TEST_F(SidePortTest, EventStreamsAreCappedPerAdminSession) {
  auto& server = start_server();
  const auto [cookie, csrf] =
      admin_session("127.0.0.1", server.http_port(), server.database(), "streamer");
  const std::string request =
      "GET /api/v1/stream HTTP/1.1\r\nHost: x\r\nCookie: " + cookie + "\r\n\r\n";
  auto read_head = [&](tcp::socket& s) {
    boost::asio::streambuf buf;
    boost::asio::read_until(s, buf, "\r\n\r\n");
    std::string head(boost::asio::buffers_begin(buf.data()), boost::asio::buffers_end(buf.data()));
    return head.substr(0, head.find("\r\n"));
  };
  auto streams = open_connections(server, 4, request);
  for (auto& s : streams) EXPECT_EQ(read_head(*s), "HTTP/1.1 200 OK");
  auto fifth = open_connections(server, 1, request);
  EXPECT_EQ(read_head(*fifth[0]), "HTTP/1.1 429 Too Many Requests");
  // A closed tab gives its slot back.
  streams.pop_back();
  std::string head;
  for (int i = 0; i < 50 && head != "HTTP/1.1 200 OK"; ++i) {
    std::this_thread::sleep_for(100ms);  // the server notices the close at its next event
    auto again = open_connections(server, 1, request);
    head = read_head(*again[0]);
  }
  EXPECT_EQ(head, "HTTP/1.1 200 OK");
}

TEST_F(SidePortTest, AcceptBacksOffWhenFileDescriptorsRunOut) {
  // A hard limit of 160 open files, so the side-port runs out long before its cap.
  auto& server = start_server({"--max-connections", "50"}, {"prlimit", "--nofile=160:160", "--"});
  auto flood = open_connections(server, 220);
  std::this_thread::sleep_for(500ms);  // the server has hit EMFILE by now
  const double before = cpu_seconds(server.pid());
  std::this_thread::sleep_for(2s);
  const double used = cpu_seconds(server.pid()) - before;
  EXPECT_LT(used, 0.4) << "the server used " << used << " s of CPU in 2 s while out of files";
  EXPECT_TRUE(server.find_log_line({"side-port accept failed, backing off"}).has_value());
  flood.clear();
  bool healthy = false;
  for (int i = 0; i < 100 && !healthy; ++i) {
    std::this_thread::sleep_for(100ms);
    try {
      healthy = status_of(server, "/healthz") == 200;
    } catch (const std::exception&) {
    }
  }
  EXPECT_TRUE(healthy) << "the side-port did not recover after the flood";
}

// Resident memory of the process, in bytes.
uint64_t rss_bytes(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

TEST_F(SidePortTest, LargeFilesAreStreamedNotReadIntoMemory) {
  const fs::path www = dir_ / "www";
  fs::create_directories(www);
  constexpr size_t kBig = 20u << 20;
  std::ofstream(www / "big.bin", std::ios::binary) << std::string(kBig, 'x');
  std::ofstream(www / "index.html") << "<h1>x</h1>";
  auto& server = start_server({"--web-root", www.string(), "--admin-ui-root", www.string()});
  const uint64_t before = rss_bytes(server.pid());
  // 30 slow readers on each port: they ask for the big file and never read the answer.
  std::vector<std::unique_ptr<tcp::socket>> readers;
  for (int i = 0; i < 30; ++i) {
    for (const uint16_t port : {server.ws_port(), server.http_port()}) {
      auto s = std::make_unique<tcp::socket>(io_);
      s->connect({boost::asio::ip::make_address("127.0.0.1"), port});
      const std::string target = port == server.ws_port() ? "/big.bin" : "/admin/big.bin";
      boost::asio::write(*s, boost::asio::buffer("GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n"));
      readers.push_back(std::move(s));
    }
  }
  std::this_thread::sleep_for(1s);
  const double grew_mb = (static_cast<double>(rss_bytes(server.pid())) - before) / (1 << 20);
  std::cout << "resident memory grew by " << grew_mb << " MB for 60 slow GETs of 20 MB\n";
  EXPECT_LT(grew_mb, 40.0) << "60 slow GETs of a 20 MB file grew the server by " << grew_mb
                           << " MB";
  // HEAD on the WebSocket port tells the real size.
  tcp::socket head(io_);
  head.connect({boost::asio::ip::make_address("127.0.0.1"), server.ws_port()});
  boost::asio::write(head,
                     boost::asio::buffer(std::string("HEAD /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")));
  boost::asio::streambuf buf;
  boost::asio::read_until(head, buf, "\r\n\r\n");
  const std::string headers(boost::asio::buffers_begin(buf.data()),
                            boost::asio::buffers_end(buf.data()));
  EXPECT_NE(headers.find("Content-Length: " + std::to_string(kBig)), std::string::npos) << headers;
}

}  // namespace
}  // namespace rookery::itest
