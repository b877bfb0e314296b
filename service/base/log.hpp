// Process-wide logger: text or JSON lines on stderr, with levels. Thread-safe; one write(2)
// per line so lines from different shards never interleave.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace rookery::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3 };
enum class Format { text, json };

/// Sets the minimum level and the output format; call once at start-up, before threads run.
void configure(Level min_level, Format format);

/// Parses "debug|info|warn|error"; returns false on anything else.
bool parse_level(std::string_view text, Level& out);

/// True if a message at `level` would be written (lets callers skip building fields).
bool enabled(Level level);

/// One structured field of a log line, e.g. {"peer", "127.0.0.1:5000"}.
using Field = std::pair<std::string_view, std::string>;

/// Writes one line: text "2026-11-24T23:00:00.123Z INFO msg key=value ..." or a JSON object.
void write(Level level, std::string_view message, std::initializer_list<Field> fields = {});

inline void debug(std::string_view m, std::initializer_list<Field> f = {}) {
  if (enabled(Level::debug)) write(Level::debug, m, f);
}
inline void info(std::string_view m, std::initializer_list<Field> f = {}) {
  write(Level::info, m, f);
}
inline void warn(std::string_view m, std::initializer_list<Field> f = {}) {
  write(Level::warn, m, f);
}
inline void error(std::string_view m, std::initializer_list<Field> f = {}) {
  write(Level::error, m, f);
}

}  // namespace rookery::log
