#include "dispatcher/sql_connection.h"

#include <cstdlib>
#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "dispatcher/journal_store.h"
#include "dispatcher/sqlite_open.h"
#include "engine/status_macros.h"
#include "spdlog/spdlog.h"

namespace qcall {

std::string SqlConnection::Schema(absl::string_view sqlite_ddl) const {
  if (dialect() == SqlDialect::kSqlite) return std::string(sqlite_ddl);
  return absl::StrReplaceAll(
      sqlite_ddl,
      {{" WITHOUT ROWID", ""}, {"INTEGER", "bigint"}, {"BLOB", "bytea"}});
}

namespace {

// What a failed statement was, for the message: its first words.
std::string Head(absl::string_view sql) {
  return std::string(sql.substr(0, 48));
}

class SqliteRow : public SqlRow {
 public:
  explicit SqliteRow(sqlite3_stmt* s) : s_(s) {}
  int size() const override { return sqlite3_column_count(s_); }
  int64_t Int(int i) const override { return sqlite3_column_int64(s_, i); }
  std::string Text(int i) const override {
    const unsigned char* text = sqlite3_column_text(s_, i);
    return text == nullptr ? std::string()
                           : std::string(reinterpret_cast<const char*>(text),
                                         sqlite3_column_bytes(s_, i));
  }
  std::string Bytes(int i) const override {
    const void* data = sqlite3_column_blob(s_, i);
    return data == nullptr ? std::string()
                           : std::string(static_cast<const char*>(data),
                                         sqlite3_column_bytes(s_, i));
  }

 private:
  sqlite3_stmt* s_;
};

// Statements are prepared once per SQL text and kept: a commit runs the
// same few again and again.
class SqliteConnection : public SqlConnection {
 public:
  SqliteConnection(sqlite3* db, bool owned) : db_(db), owned_(owned) {}
  ~SqliteConnection() override {
    for (auto& [sql, s] : statements_) sqlite3_finalize(s);
    if (owned_) sqlite3_close(db_);
  }
  SqlDialect dialect() const override { return SqlDialect::kSqlite; }

  absl::Status Run(absl::string_view sql, absl::Span<const SqlArg> args,
                   const SqlRowVisitor& row) override {
    auto it = statements_.find(sql);
    if (it == statements_.end()) {
      sqlite3_stmt* s = nullptr;
      if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &s,
                             nullptr) != SQLITE_OK) {
        return Error(sql);
      }
      it = statements_.emplace(std::string(sql), s).first;
    }
    sqlite3_stmt* s = it->second;
    sqlite3_reset(s);
    int i = 0;
    // SQLITE_STATIC: the values outlive the steps below, and every
    // parameter is bound afresh before the next.
    for (const SqlArg& arg : args) {
      ++i;
      switch (arg.kind()) {
        case SqlArg::Kind::kInt:
          sqlite3_bind_int64(s, i, arg.integer());
          break;
        case SqlArg::Kind::kText:
          sqlite3_bind_text(s, i, arg.view().data(),
                            static_cast<int>(arg.view().size()), SQLITE_STATIC);
          break;
        case SqlArg::Kind::kBytes:
          sqlite3_bind_blob(s, i, arg.view().data(),
                            static_cast<int>(arg.view().size()), SQLITE_STATIC);
          break;
      }
    }
    int rc;
    SqliteRow view(s);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      if (row) row(view);
    }
    absl::Status status = rc == SQLITE_DONE ? absl::OkStatus() : Error(sql);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return status;
  }
  absl::Status Exec(absl::string_view sql) override {
    const std::string text(sql);
    if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr) !=
        SQLITE_OK) {
      return Error(sql);
    }
    return absl::OkStatus();
  }
  absl::Status Begin() override { return Exec("BEGIN IMMEDIATE"); }
  absl::Status Commit() override { return Exec("COMMIT"); }
  absl::StatusOr<bool> HasTable(absl::string_view table) override {
    bool found = false;
    RETURN_IF_ERROR(
        Run("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
            {table}, [&](const SqlRow&) { found = true; }));
    return found;
  }
  absl::StatusOr<bool> HasColumn(absl::string_view table,
                                 absl::string_view column) override {
    bool found = false;
    RETURN_IF_ERROR(Run("SELECT 1 FROM pragma_table_info(?) WHERE name = ?",
                        {table, column}, [&](const SqlRow&) { found = true; }));
    return found;
  }

 private:
  absl::Status Error(absl::string_view sql) const {
    return absl::UnavailableError(
        absl::StrCat(Head(sql), ": ", sqlite3_errmsg(db_)));
  }

  sqlite3* const db_;
  const bool owned_;
  std::map<std::string, sqlite3_stmt*, std::less<>> statements_;
};

class PostgresRow : public SqlRow {
 public:
  PostgresRow(const PGresult* r, int row) : r_(r), row_(row) {}
  int size() const override { return PQnfields(r_); }
  int64_t Int(int i) const override {
    // Text results: a SUM is numeric, a COUNT bigint; both read the same.
    return std::strtoll(PQgetvalue(r_, row_, i), nullptr, 10);
  }
  std::string Text(int i) const override {
    return std::string(PQgetvalue(r_, row_, i),
                       static_cast<size_t>(PQgetlength(r_, row_, i)));
  }
  std::string Bytes(int i) const override {
    size_t size = 0;
    unsigned char* bytes = PQunescapeBytea(
        reinterpret_cast<const unsigned char*>(PQgetvalue(r_, row_, i)), &size);
    if (bytes == nullptr) return std::string();
    std::string out(reinterpret_cast<const char*>(bytes), size);
    PQfreemem(bytes);
    return out;
  }

 private:
  const PGresult* r_;
  int row_;
};

// PostgreSQL's NOTICEs (a table that already exists) go to the debug log.
void LogNotice(void*, const char* message) {
  spdlog::debug("postgresql: {}",
                std::string(absl::StripTrailingAsciiWhitespace(message)));
}

class PostgresConnection : public SqlConnection {
 public:
  PostgresConnection(PGconn* conn, bool owned) : conn_(conn), owned_(owned) {}
  ~PostgresConnection() override {
    if (owned_) PQfinish(conn_);
  }
  SqlDialect dialect() const override { return SqlDialect::kPostgres; }

  absl::Status Run(absl::string_view sql, absl::Span<const SqlArg> args,
                   const SqlRowVisitor& row) override {
    // A reader's own session, lost while idle, is made again.
    if (owned_ && PQstatus(conn_) == CONNECTION_BAD) PQreset(conn_);
    // Statements are prepared once a session (a new one after a reconnect
    // has none): PostgreSQL plans them once, not at every commit.
    if (const int session = PQbackendPID(conn_); session != session_) {
      prepared_.clear();
      session_ = session;
    }
    auto it = prepared_.find(sql);
    if (it == prepared_.end()) {
      // ? -> $1, $2, ...: qcall's SQL has no '?' in a literal.
      std::string text;
      int n = 0;
      for (char c : sql) {
        if (c == '?') {
          absl::StrAppend(&text, "$", ++n);
        } else {
          text += c;
        }
      }
      std::string name = absl::StrCat("qcall_", prepared_.size());
      std::unique_ptr<PGresult, decltype(&PQclear)> made(
          PQprepare(conn_, name.c_str(), text.c_str(), 0, nullptr), &PQclear);
      if (PQresultStatus(made.get()) != PGRES_COMMAND_OK) {
        return Error(sql, made.get());
      }
      it = prepared_.emplace(std::string(sql), std::move(name)).first;
    }
    std::vector<std::string> ints;
    ints.reserve(args.size());
    std::vector<const char*> values;
    std::vector<int> lengths;
    std::vector<int> formats;
    for (const SqlArg& arg : args) {
      if (arg.kind() == SqlArg::Kind::kInt) {
        ints.push_back(std::to_string(arg.integer()));
        values.push_back(ints.back().c_str());
        lengths.push_back(0);
        formats.push_back(0);
        continue;
      }
      // Text goes as binary too: its exact bytes, no terminator needed.
      values.push_back(arg.view().data() == nullptr ? "" : arg.view().data());
      lengths.push_back(static_cast<int>(arg.view().size()));
      formats.push_back(1);
    }
    std::unique_ptr<PGresult, decltype(&PQclear)> result(
        PQexecPrepared(conn_, it->second.c_str(), static_cast<int>(args.size()),
                       values.data(), lengths.data(), formats.data(),
                       /*resultFormat=*/0),
        &PQclear);
    const ExecStatusType status = PQresultStatus(result.get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      return Error(sql, result.get());
    }
    if (row) {
      for (int i = 0; i < PQntuples(result.get()); ++i) {
        row(PostgresRow(result.get(), i));
      }
    }
    return absl::OkStatus();
  }
  absl::Status Exec(absl::string_view sql) override {
    const std::string text(sql);
    std::unique_ptr<PGresult, decltype(&PQclear)> result(
        PQexec(conn_, text.c_str()), &PQclear);
    const ExecStatusType status = PQresultStatus(result.get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      return Error(sql, result.get());
    }
    // A COMMIT of a transaction that failed answers ROLLBACK.
    if (text == "COMMIT" &&
        std::string(PQcmdStatus(result.get())) != "COMMIT") {
      return absl::UnavailableError("COMMIT: the transaction was rolled back");
    }
    return absl::OkStatus();
  }
  absl::Status Begin() override { return Exec("BEGIN"); }
  absl::Status Commit() override { return Exec("COMMIT"); }
  absl::StatusOr<bool> HasTable(absl::string_view table) override {
    bool found = false;
    RETURN_IF_ERROR(Run("SELECT 1 WHERE to_regclass(?::text) IS NOT NULL",
                        {table}, [&](const SqlRow&) { found = true; }));
    return found;
  }
  absl::StatusOr<bool> HasColumn(absl::string_view table,
                                 absl::string_view column) override {
    bool found = false;
    RETURN_IF_ERROR(
        Run("SELECT 1 FROM information_schema.columns WHERE table_schema = "
            "current_schema() AND table_name = ?::text AND column_name = "
            "?::text",
            {table, column}, [&](const SqlRow&) { found = true; }));
    return found;
  }

 private:
  absl::Status Error(absl::string_view sql, const PGresult* result) const {
    const char* message = result != nullptr ? PQresultErrorMessage(result) : "";
    if (message == nullptr || *message == '\0') message = PQerrorMessage(conn_);
    return absl::UnavailableError(absl::StrCat(
        Head(sql), ": ", absl::StripTrailingAsciiWhitespace(message)));
  }

  PGconn* const conn_;
  const bool owned_;
  // Prepared statements' names by their SQL, in session `session_`.
  std::map<std::string, std::string, std::less<>> prepared_;
  int session_ = 0;
};

}  // namespace

std::unique_ptr<SqlConnection> BorrowSqlite(sqlite3* db) {
  return std::make_unique<SqliteConnection>(db, false);
}

std::unique_ptr<SqlConnection> BorrowPostgres(PGconn* conn) {
  return std::make_unique<PostgresConnection>(conn, false);
}

absl::StatusOr<std::unique_ptr<SqlConnection>> OpenSqlConnection(
    const std::string& url, bool read_only) {
  absl::string_view path = url;
  if (absl::ConsumePrefix(&path, "sqlite:")) {
    ASSIGN_OR_RETURN(
        sqlite3 * db,
        OpenSqlite(std::string(path),
                   read_only ? SQLITE_OPEN_READONLY
                             : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                   "the records of"));
    // A commit holds the file for a moment; a reader waits for it.
    sqlite3_busy_timeout(db, 5000);
    return std::make_unique<SqliteConnection>(db, true);
  }
  const char* keywords[] = {"application_name", "dbname", nullptr};
  const char* values[] = {"qcalld records", url.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (conn == nullptr) {
    return absl::ResourceExhaustedError("no memory for a connection");
  }
  auto sql = std::make_unique<PostgresConnection>(conn, true);
  if (PQstatus(conn) != CONNECTION_OK) {
    return absl::UnavailableError(
        absl::StrCat("cannot connect to ", RedactedStoreUrl(url), ": ",
                     absl::StripTrailingAsciiWhitespace(PQerrorMessage(conn))));
  }
  PQsetNoticeProcessor(conn, LogNotice, nullptr);
  if (read_only) {
    RETURN_IF_ERROR(sql->Exec("SET default_transaction_read_only = on"));
  }
  return sql;
}

}  // namespace qcall
