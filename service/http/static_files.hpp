// Serves a folder of built static files (the admin console, the web game client) safely:
// no path escapes, known content types, index.html for folders.
#pragma once

#include <string>

#include "http/http_server.hpp"

namespace rookery::http {

/// Answers GET/HEAD for files under `root`; 404 for anything missing, 405 for other methods.
/// `prefix` is stripped from the request path first (e.g. "/admin").
Response serve_static(const Request& req, const std::string& root, std::string_view prefix);

/// The content type for a file name, by extension.
std::string content_type_for(std::string_view path);

}  // namespace rookery::http
