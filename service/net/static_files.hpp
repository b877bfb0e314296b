// Serves a folder of built static files (the admin console, the web game client) safely:
// no path escapes, known content types, index.html for folders.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <string>

namespace rookery::net {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;

/// Answers GET/HEAD for files under `root`; 404 for anything missing, 405 for other methods.
/// `prefix` is stripped from the request path first (e.g. "/admin").
HttpResponse serve_static(const HttpRequest& req, const std::string& root, std::string_view prefix);

/// The content type for a file name, by extension.
std::string content_type_for(std::string_view path);

}  // namespace rookery::net
