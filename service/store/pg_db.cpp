#include "store/pg_db.hpp"

#include <charconv>
#include <cstring>
#include <stdexcept>
#include <utility>
#include <variant>
#include <vector>

#include "store/store.hpp"

namespace rookery::store::pg {
namespace {

// SQLSTATE -> what the store's logic cares about. Class 08 is "connection exception"; 57P01-03
// are the server shutting down or starting up (a restart in progress).
sql::Error::Kind classify(const char* sqlstate) {
  const std::string_view code = sqlstate != nullptr ? sqlstate : "";
  if (code == "23505") return sql::Error::Kind::unique_violation;
  if (code == "23503") return sql::Error::Kind::foreign_key_violation;
  if (code.starts_with("08") || code == "57P01" || code == "57P02" || code == "57P03") {
    return sql::Error::Kind::connection;
  }
  return sql::Error::Kind::other;
}

// The parameters as NUL-terminated text, as libpq's text format wants them.
class TextParams {
 public:
  explicit TextParams(std::span<const sql::Param> params) {
    storage_.reserve(params.size());
    for (const sql::Param& p : params) {
      if (const auto* i = std::get_if<int64_t>(&p)) {
        storage_.push_back(std::to_string(*i));
      } else if (const auto* t = std::get_if<std::string_view>(&p)) {
        storage_.emplace_back(*t);
      } else {
        storage_.emplace_back();
      }
    }
    values_.reserve(params.size());
    for (size_t i = 0; i < params.size(); ++i) {
      values_.push_back(std::holds_alternative<std::nullptr_t>(params[i]) ? nullptr
                                                                          : storage_[i].c_str());
    }
  }
  int count() const { return static_cast<int>(values_.size()); }
  const char* const* values() const { return values_.data(); }

 private:
  std::vector<std::string> storage_;
  std::vector<const char*> values_;
};

}  // namespace

Result& Result::operator=(Result&& other) noexcept {
  if (this != &other) {
    PQclear(r_);
    r_ = std::exchange(other.r_, nullptr);
  }
  return *this;
}

std::string Result::text(int row, int column) const {
  if (is_null(row, column)) return {};
  return std::string(PQgetvalue(r_, row, column),
                     static_cast<size_t>(PQgetlength(r_, row, column)));
}

int64_t Result::int64(int row, int column) const {
  if (is_null(row, column)) return 0;
  const char* value = PQgetvalue(r_, row, column);
  const size_t length = static_cast<size_t>(PQgetlength(r_, row, column));
  if (length == 1 && (value[0] == 't' || value[0] == 'f')) return value[0] == 't' ? 1 : 0;
  int64_t out = 0;
  std::from_chars(value, value + length, out);
  return out;
}

Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    PQfinish(conn_);
    conn_ = std::exchange(other.conn_, nullptr);
  }
  return *this;
}

Connection Connection::open(const std::string& url) {
  // Keywords are applied in order: the defaults first, so the URL may override them, then what
  // the store relies on, which it may not.
  const char* keys[] = {"connect_timeout", "application_name", "dbname", "client_encoding",
                        nullptr};
  const char* values[] = {"5", "rookery", url.c_str(), "UTF8", nullptr};
  Connection conn(PQconnectdbParams(keys, values, 1));
  if (conn.conn_ == nullptr) throw std::runtime_error("libpq: out of memory");
  if (PQstatus(conn.conn_) != CONNECTION_OK) {
    std::string cause = PQerrorMessage(conn.conn_);
    while (!cause.empty() && (cause.back() == '\n' || cause.back() == ' ')) cause.pop_back();
    throw std::runtime_error("cannot connect to " + redact_db(url) + ": " + cause);
  }
  // "ok" must mean durable: a server configured with synchronous_commit off would otherwise
  // acknowledge commits it can still lose.
  conn.exec("SET synchronous_commit TO on");
  // NOTICEs (e.g. "already exists, skipping") would go to stderr unasked.
  conn.exec("SET client_min_messages TO warning");
  return conn;
}

bool Connection::in_transaction() const {
  const PGTransactionStatusType s = PQtransactionStatus(conn_);
  return s == PQTRANS_INTRANS || s == PQTRANS_INERROR || s == PQTRANS_ACTIVE;
}

Result Connection::check(PGresult* raw, std::string_view what) {
  Result r(raw);
  const ExecStatusType status = raw == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(raw);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return r;
  std::string message = raw != nullptr ? PQresultErrorMessage(raw) : PQerrorMessage(conn_);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  sql::Error::Kind kind =
      classify(raw != nullptr ? PQresultErrorField(raw, PG_DIAG_SQLSTATE) : nullptr);
  if (!ok()) kind = sql::Error::Kind::connection;
  throw sql::Error(kind, std::string(what) + ": " + message);
}

Result Connection::exec(const std::string& sql) {
  return check(PQexec(conn_, sql.c_str()), sql.size() > 60 ? sql.substr(0, 60) + "..." : sql);
}

Result Connection::exec_params(const std::string& sql, std::span<const sql::Param> params) {
  const TextParams text(params);
  return check(
      PQexecParams(conn_, sql.c_str(), text.count(), nullptr, text.values(), nullptr, nullptr, 0),
      sql);
}

void Connection::prepare(const std::string& name, const std::string& sql) {
  check(PQprepare(conn_, name.c_str(), sql.c_str(), 0, nullptr), "prepare " + name);
}

Result Connection::exec_prepared(const std::string& name, std::span<const sql::Param> params) {
  const TextParams text(params);
  return check(
      PQexecPrepared(conn_, name.c_str(), text.count(), text.values(), nullptr, nullptr, 0), name);
}

}  // namespace rookery::store::pg
