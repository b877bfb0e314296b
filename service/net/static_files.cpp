#include "net/static_files.hpp"

#include <algorithm>
#include <boost/beast/core/file_base.hpp>
#include <filesystem>
#include <tuple>

namespace rookery::net {
namespace beast = boost::beast;
namespace bhttp = beast::http;
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

void StaticResponse::keep_alive(bool on) {
  if (file) {
    file->keep_alive(on);
  } else {
    small.keep_alive(on);
  }
}

void StaticResponse::set(bhttp::field name, const std::string& value) {
  if (file) {
    file->set(name, value);
  } else {
    small.set(name, value);
  }
}

namespace {

StaticResponse small_response(const HttpRequest& req, bhttp::status status, std::string body) {
  return StaticResponse{make_response(req, status, "text/plain", std::move(body)), nullptr};
}

// True if a part of the relative path starts with '.': .env, .git/config, a/.htpasswd. Build
// folders have no such files to serve, and a stray one must not leak.
bool hidden(std::string_view rel) {
  for (size_t at = 0; at < rel.size();) {
    if (rel[at] == '.') return true;
    const size_t slash = rel.find('/', at);
    if (slash == std::string_view::npos) break;
    at = slash + 1;
  }
  return false;
}

// True if `path` (canonical) is `root` (canonical) or inside it.
bool inside(const fs::path& path, const fs::path& root) {
  const auto [r, p] = std::mismatch(root.begin(), root.end(), path.begin(), path.end());
  return r == root.end();
}

}  // namespace

StaticResponse serve_static(const HttpRequest& req, const std::string& root,
                            std::string_view prefix) {
  if (req.method() != bhttp::verb::get && req.method() != bhttp::verb::head) {
    return small_response(req, bhttp::status::method_not_allowed, "use GET\n");
  }
  if (root.empty()) {
    return small_response(req, bhttp::status::not_found,
                          "no static files configured for this port\n");
  }
  std::string_view target(req.target().data(), req.target().size());
  target = target.substr(0, target.find_first_of("?#"));
  if (target.substr(0, prefix.size()) == prefix) target.remove_prefix(prefix.size());
  std::string rel(target);
  // Reject anything that could climb out of the root; browsers never send these.
  if (rel.find("..") != std::string::npos || rel.find('\\') != std::string::npos ||
      rel.find('\0') != std::string::npos) {
    return small_response(req, bhttp::status::bad_request, "bad path\n");
  }
  while (!rel.empty() && rel.front() == '/') rel.erase(0, 1);
  if (hidden(rel)) return small_response(req, bhttp::status::not_found, "not found\n");
  std::error_code ec;
  const fs::path base = fs::canonical(root, ec);
  if (ec) return small_response(req, bhttp::status::not_found, "not found\n");
  fs::path file = base / rel;
  if (rel.empty() || fs::is_directory(file, ec)) file /= "index.html";
  // A symlink may point anywhere: serve what it resolves to only if that is inside the root.
  const fs::path real = fs::canonical(file, ec);
  if (ec || !inside(real, base) || !fs::is_regular_file(real, ec)) {
    return small_response(req, bhttp::status::not_found, "not found\n");
  }
  beast::error_code open_error;
  bhttp::file_body::value_type body;
  body.open(real.c_str(), beast::file_mode::scan, open_error);
  if (open_error) return small_response(req, bhttp::status::not_found, "not found\n");
  const uint64_t size = body.size();
  StaticResponse out;
  auto headers = [&](auto& res) {
    res.set(bhttp::field::server, "rookery");
    res.set(bhttp::field::content_type, content_type_for(real.string()));
    // Built assets are content-hashed or tiny; keep it simple and always revalidate.
    res.set(bhttp::field::cache_control, "no-cache");
    res.set("X-Content-Type-Options", "nosniff");
    res.set("X-Frame-Options", "DENY");
    res.keep_alive(req.keep_alive());
  };
  if (req.method() == bhttp::verb::head) {
    // The headers a GET would get, the size included, and no body.
    out.small = HttpResponse{bhttp::status::ok, req.version()};
    headers(out.small);
    out.small.content_length(size);
    return out;
  }
  out.file =
      std::make_shared<FileResponse>(std::piecewise_construct, std::make_tuple(std::move(body)),
                                     std::make_tuple(bhttp::status::ok, req.version()));
  headers(*out.file);
  out.file->content_length(size);
  return out;
}

}  // namespace rookery::net
