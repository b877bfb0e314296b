#include "store/store.hpp"

#include <memory>

#include "store/postgres_store.hpp"
#include "store/sqlite_store.hpp"

namespace rookery::store {

bool is_postgres_url(std::string_view db) {
  return db.starts_with("postgresql://") || db.starts_with("postgres://");
}

std::string redact_db(std::string_view db) {
  if (!is_postgres_url(db)) return std::string(db);
  // postgresql://user:secret@host/db -> postgresql://user:***@host/db
  const size_t scheme_end = db.find("://") + 3;
  const size_t at = db.find('@', scheme_end);
  const size_t slash = db.find('/', scheme_end);
  if (at == std::string_view::npos || (slash != std::string_view::npos && slash < at)) {
    return std::string(db);
  }
  const size_t colon = db.find(':', scheme_end);
  if (colon == std::string_view::npos || colon > at) return std::string(db);
  return std::string(db.substr(0, colon + 1)) + "***" + std::string(db.substr(at));
}

std::unique_ptr<Store> open_store(const StoreOptions& options) {
  if (is_postgres_url(options.path)) return std::make_unique<PostgresStore>(options);
  return std::make_unique<SqliteStore>(options);
}

}  // namespace rookery::store
