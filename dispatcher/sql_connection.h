// SqlConnection: the little of SQL that the record tables (records_sql.h)
// and the private data (private_data_sql.h) need, over SQLite and over
// PostgreSQL (libpq), so that both are written once for both stores. SQL is
// written with `?` placeholders (PostgreSQL's connection numbers them $1,
// $2, ...), every value travels as a parameter, and ON CONFLICT (keys) DO
// UPDATE is the upsert of both. Schema text is written for SQLite (INTEGER,
// BLOB, WITHOUT ROWID); Schema() turns it into PostgreSQL's (bigint, bytea).
// A column named `window` is written "window" (a reserved word of
// PostgreSQL). Not thread-safe: its owner's lock takes calls in turn.
//
//   std::unique_ptr<SqlConnection> sql = BorrowSqlite(db);  // Or:
//   ASSIGN_OR_RETURN(sql, OpenSqlConnection("sqlite:data/journal.sqlite",
//                                           /*read_only=*/true));
//   RETURN_IF_ERROR(sql->Run("INSERT INTO t VALUES (?, ?)", {hall_id, 42}));
//   RETURN_IF_ERROR(sql->Run("SELECT a, b FROM t WHERE hall_id = ?",
//                            {hall_id}, [&](const SqlRow& row) {
//                              Use(row.Text(0), row.Int(1));
//                            }));
#ifndef QCALL_DISPATCHER_SQL_CONNECTION_H_
#define QCALL_DISPATCHER_SQL_CONNECTION_H_

#include <libpq-fe.h>
#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace qcall {

enum class SqlDialect { kSqlite, kPostgres };

// One parameter: an integer, text, or bytes (a BLOB, a bytea). Text and
// bytes are views: the value must outlive the Run it is given to.
class SqlArg {
 public:
  enum class Kind { kInt, kText, kBytes };
  SqlArg(int64_t value) : kind_(Kind::kInt), int_(value) {}            // NOLINT
  SqlArg(int32_t value) : kind_(Kind::kInt), int_(value) {}            // NOLINT
  SqlArg(absl::string_view text) : kind_(Kind::kText), view_(text) {}  // NOLINT
  SqlArg(const std::string& text)                                      // NOLINT
      : kind_(Kind::kText), view_(text) {}
  SqlArg(const char* text) : kind_(Kind::kText), view_(text) {}  // NOLINT
  static SqlArg Bytes(absl::string_view bytes) {
    SqlArg arg(bytes);
    arg.kind_ = Kind::kBytes;
    return arg;
  }
  Kind kind() const { return kind_; }
  int64_t integer() const { return int_; }
  absl::string_view view() const { return view_; }

 private:
  Kind kind_;
  int64_t int_ = 0;
  absl::string_view view_;
};

// A row of a result, valid during the call it is handed to.
class SqlRow {
 public:
  virtual ~SqlRow() = default;
  virtual int size() const = 0;
  // 0 for NULL. SUM and COUNT read as integers on both.
  virtual int64_t Int(int column) const = 0;
  virtual std::string Text(int column) const = 0;
  // A BLOB or bytea column's bytes.
  virtual std::string Bytes(int column) const = 0;
};

using SqlRowVisitor = std::function<void(const SqlRow&)>;

class SqlConnection {
 public:
  virtual ~SqlConnection() = default;
  virtual SqlDialect dialect() const = 0;
  // Runs one statement with `args` bound to its `?`s, and `row` for each row
  // of its result. UNAVAILABLE with the database's message.
  virtual absl::Status Run(absl::string_view sql, absl::Span<const SqlArg> args,
                           const SqlRowVisitor& row = nullptr) = 0;
  // Runs statements without parameters (schema; ';' between them).
  virtual absl::Status Exec(absl::string_view sql) = 0;
  // A transaction that writes: SQLite takes the file's write lock at once.
  virtual absl::Status Begin() = 0;
  // UNAVAILABLE when the database rolled it back instead.
  virtual absl::Status Commit() = 0;
  void Rollback() { Exec("ROLLBACK").IgnoreError(); }
  virtual absl::StatusOr<bool> HasTable(absl::string_view table) = 0;
  virtual absl::StatusOr<bool> HasColumn(absl::string_view table,
                                         absl::string_view column) = 0;
  // `sqlite_ddl` as this database writes it.
  std::string Schema(absl::string_view sqlite_ddl) const;
};

// The store's own connection, not closed by the SqlConnection (SQLite's
// statements it prepared are finalized when it goes, so it goes first).
std::unique_ptr<SqlConnection> BorrowSqlite(sqlite3* db);
std::unique_ptr<SqlConnection> BorrowPostgres(PGconn* conn);
// A connection of its own to the database a store URL names (sqlite:PATH,
// postgresql://...), which writes nothing when `read_only` (a store's
// reports read on one; tests write on theirs). UNAVAILABLE when it cannot.
absl::StatusOr<std::unique_ptr<SqlConnection>> OpenSqlConnection(
    const std::string& url, bool read_only);

}  // namespace qcall

#endif  // QCALL_DISPATCHER_SQL_CONNECTION_H_
