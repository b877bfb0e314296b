// Serves a folder of built static files (the admin console, the web game client) safely: no
// path escapes (symlinks included), no dotfiles, known content types, index.html for folders,
// and files streamed from disk in small chunks, never read whole into memory.
#pragma once

#include <boost/beast/http/file_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <memory>
#include <string>

namespace rookery::net {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;
/// A file's response: the body is the open file, read a few KiB at a time as it is written.
using FileResponse = boost::beast::http::response<boost::beast::http::file_body>;

/// What serve_static answers: a file to stream, or a small response (an error, a redirect, a
/// HEAD reply whose Content-Length is the file's size). Write `file` when set, else `small`
/// as it is (it is complete: do not prepare_payload it again).
struct StaticResponse {
  HttpResponse small;
  std::shared_ptr<FileResponse> file;
  /// The response's keep-alive (either kind).
  void keep_alive(bool on);
  /// Sets a header on the response (either kind).
  void set(boost::beast::http::field name, const std::string& value);
};

/// Answers GET/HEAD for files under `root`; 404 for anything missing, outside the root
/// (through a symlink) or hidden (a path part starting with '.'), 405 for other methods.
/// `prefix` is stripped from the request path first (e.g. "/admin").
StaticResponse serve_static(const HttpRequest& req, const std::string& root,
                            std::string_view prefix);

/// The content type for a file name, by extension.
std::string content_type_for(std::string_view path);

}  // namespace rookery::net
