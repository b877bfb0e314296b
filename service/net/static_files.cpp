#include "net/static_files.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace rookery::net {
namespace bhttp = boost::beast::http;
namespace fs = std::filesystem;

namespace {

HttpResponse make_response(const HttpRequest& req, bhttp::status status, std::string type,
                           std::string body) {
  HttpResponse res{status, req.version()};
  res.set(bhttp::field::server, "rookery");
  res.set(bhttp::field::content_type, std::move(type));
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

}  // namespace

std::string content_type_for(std::string_view path) {
  const auto dot = path.rfind('.');
  const std::string_view ext = dot == std::string_view::npos ? "" : path.substr(dot + 1);
  if (ext == "html") return "text/html; charset=utf-8";
  if (ext == "js" || ext == "mjs") return "text/javascript; charset=utf-8";
  if (ext == "css") return "text/css; charset=utf-8";
  if (ext == "json" || ext == "map") return "application/json";
  if (ext == "svg") return "image/svg+xml";
  if (ext == "png") return "image/png";
  if (ext == "ico") return "image/x-icon";
  if (ext == "woff2") return "font/woff2";
  if (ext == "txt") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

HttpResponse serve_static(const HttpRequest& req, const std::string& root,
                          std::string_view prefix) {
  if (req.method() != bhttp::verb::get && req.method() != bhttp::verb::head) {
    return make_response(req, bhttp::status::method_not_allowed, "text/plain", "use GET\n");
  }
  if (root.empty()) {
    return make_response(req, bhttp::status::not_found, "text/plain",
                         "no static files configured for this port\n");
  }
  std::string_view target(req.target().data(), req.target().size());
  target = target.substr(0, target.find_first_of("?#"));
  if (target.substr(0, prefix.size()) == prefix) target.remove_prefix(prefix.size());
  std::string rel(target);
  // Reject anything that could climb out of the root; browsers never send these.
  if (rel.find("..") != std::string::npos || rel.find('\\') != std::string::npos ||
      rel.find('\0') != std::string::npos) {
    return make_response(req, bhttp::status::bad_request, "text/plain", "bad path\n");
  }
  while (!rel.empty() && rel.front() == '/') rel.erase(0, 1);
  fs::path file = fs::path(root) / rel;
  std::error_code ec;
  if (rel.empty() || fs::is_directory(file, ec)) file /= "index.html";
  if (!fs::is_regular_file(file, ec)) {
    return make_response(req, bhttp::status::not_found, "text/plain", "not found\n");
  }
  std::ifstream in(file, std::ios::binary);
  std::ostringstream body;
  body << in.rdbuf();
  auto res = make_response(req, bhttp::status::ok, content_type_for(file.string()), body.str());
  // Built assets are content-hashed or tiny; keep it simple and always revalidate.
  res.set(bhttp::field::cache_control, "no-cache");
  res.set("X-Content-Type-Options", "nosniff");
  res.set("X-Frame-Options", "DENY");
  if (req.method() == bhttp::verb::head) res.body().clear();
  return res;
}

}  // namespace rookery::net
