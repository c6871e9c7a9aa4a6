#include "dispatcher/sqlite_journal_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "engine/status_macros.h"

namespace qcall {
namespace {

// Resets a prepared statement however the caller leaves.
class StatementReset {
 public:
  explicit StatementReset(sqlite3_stmt* s) : s_(s) {}
  ~StatementReset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }

 private:
  sqlite3_stmt* s_;
};

void BindText(sqlite3_stmt* s, int i, absl::string_view text) {
  sqlite3_bind_text(s, i, text.data(), static_cast<int>(text.size()),
                    SQLITE_STATIC);
}

void BindBlob(sqlite3_stmt* s, int i, absl::string_view blob) {
  sqlite3_bind_blob(s, i, blob.data(), static_cast<int>(blob.size()),
                    SQLITE_STATIC);
}

std::string ColumnBytes(sqlite3_stmt* s, int i) {
  const void* data = sqlite3_column_blob(s, i);
  const int size = sqlite3_column_bytes(s, i);
  return data == nullptr ? std::string()
                         : std::string(static_cast<const char*>(data), size);
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteJournalStore>> SqliteJournalStore::Open(
    const std::string& path, const StoreOptions& options) {
  const std::string marker = path + ".created";
  struct stat file;
  const bool present = ::stat(path.c_str(), &file) == 0;
  if (::access(marker.c_str(), F_OK) == 0 && (!present || file.st_size == 0) &&
      !options.start_empty) {
    return absl::FailedPreconditionError(absl::StrCat(
        "journal ", path, " is ", present ? "empty" : "missing",
        ", but one was begun here (", marker,
        "): its tickets would be lost and their numbers given again. Put the "
        "journal back from a backup, or start qcalld with --start-empty to "
        "begin a new one"));
  }
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(
          path.c_str(), &db,
          SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
          nullptr) != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return absl::UnavailableError(
        absl::StrCat("cannot open journal ", path, ": ", message));
  }
  std::unique_ptr<SqliteJournalStore> store(new SqliteJournalStore(db, path));
  absl::MutexLock lock(&store->mu_);
  // A main file without the journal table (the -wal lost before a
  // checkpoint, a fresh file put in its place) is as lost as a missing one.
  if (::access(marker.c_str(), F_OK) == 0 && !options.start_empty) {
    sqlite3_stmt* probe = nullptr;
    bool has_journal = false;
    if (sqlite3_prepare_v2(db,
                           "SELECT 1 FROM sqlite_master WHERE type = 'table' "
                           "AND name = 'journal'",
                           -1, &probe, nullptr) == SQLITE_OK) {
      has_journal = sqlite3_step(probe) == SQLITE_ROW;
    }
    sqlite3_finalize(probe);
    if (!has_journal) {
      return absl::FailedPreconditionError(absl::StrCat(
          "journal ", path, " holds no journal, but one was begun here (",
          marker,
          "): its tickets would be lost and their numbers given again. Put "
          "the journal back from a backup, or start qcalld with "
          "--start-empty to begin a new one"));
    }
  }
  RETURN_IF_ERROR(store->Exec("PRAGMA journal_mode=WAL"));
  RETURN_IF_ERROR(store->Exec("PRAGMA synchronous=FULL"));
  RETURN_IF_ERROR(store->Exec(
      "CREATE TABLE IF NOT EXISTS journal ("
      " hall_id TEXT NOT NULL, idx INTEGER NOT NULL, at_ms INTEGER NOT NULL,"
      " request_id TEXT NOT NULL, command BLOB NOT NULL, reply BLOB NOT NULL,"
      " PRIMARY KEY (hall_id, idx)) WITHOUT ROWID"));
  RETURN_IF_ERROR(store->Exec(
      "CREATE TABLE IF NOT EXISTS snapshots ("
      " hall_id TEXT NOT NULL, idx INTEGER NOT NULL, state BLOB NOT NULL,"
      " PRIMARY KEY (hall_id, idx))"));
  // A write now, not a second after "listening": a journal on a read-only
  // file or disk is refused at start-up.
  if (absl::Status written = store->Exec(
          "CREATE TABLE IF NOT EXISTS opened (times INTEGER NOT NULL);"
          "BEGIN IMMEDIATE;"
          "DELETE FROM opened;"
          "INSERT INTO opened VALUES (1);"
          "COMMIT");
      !written.ok()) {
    return absl::UnavailableError(absl::StrCat(
        "journal ", path, " cannot be written: ", written.message()));
  }
  RETURN_IF_ERROR(store->Prepare());
  if (::stat(path.c_str(), &file) != 0) {
    return absl::UnavailableError(absl::StrCat("journal ", path, " vanished"));
  }
  store->device_ = file.st_dev;
  store->inode_ = file.st_ino;
  if (::access(marker.c_str(), F_OK) != 0) {
    std::ofstream out(marker);
    out << "A qcall journal was begun beside this file. While this file "
           "exists, qcalld refuses to start on a missing or empty journal.\n";
    if (!out.flush()) {
      return absl::UnavailableError(
          absl::StrCat("cannot write ", marker, " beside the journal"));
    }
  }
  return store;
}

SqliteJournalStore::~SqliteJournalStore() {
  absl::MutexLock lock(&mu_);
  sqlite3_finalize(insert_record_);
  sqlite3_finalize(insert_snapshot_);
  sqlite3_close(db_);
}

absl::Status SqliteJournalStore::CheckSameFile() const {
  // A stat a batch (a microsecond or two): acknowledging into a file that
  // was deleted would lose it all at the next start, and number again from 1.
  struct stat file;
  if (::stat(path_.c_str(), &file) != 0 || file.st_dev != device_ ||
      file.st_ino != inode_) {
    return absl::UnavailableError(absl::StrCat(
        "journal file ", path_,
        " was deleted or replaced while qcalld ran; nothing more is "
        "acknowledged"));
  }
  return absl::OkStatus();
}

absl::Status SqliteJournalStore::Error(absl::string_view what) const {
  return absl::UnavailableError(
      absl::StrCat("journal ", what, ": ", sqlite3_errmsg(db_)));
}

absl::Status SqliteJournalStore::Exec(const char* sql) {
  if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
    return Error(sql);
  }
  return absl::OkStatus();
}

absl::Status SqliteJournalStore::Prepare() {
  if (sqlite3_prepare_v2(
          db_,
          "INSERT INTO journal (hall_id, idx, at_ms, "
          "request_id, command, reply) VALUES (?, ?, ?, ?, ?, ?)",
          -1, &insert_record_, nullptr) != SQLITE_OK ||
      sqlite3_prepare_v2(
          db_, "INSERT INTO snapshots (hall_id, idx, state) VALUES (?, ?, ?)",
          -1, &insert_snapshot_, nullptr) != SQLITE_OK) {
    return Error("prepare");
  }
  return absl::OkStatus();
}

absl::Status SqliteJournalStore::Commit(
    absl::Span<const JournalRecord> records,
    absl::Span<const SnapshotRecord> snapshots) {
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(CheckSameFile());
  RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  auto fail = [&](absl::string_view what) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    absl::Status status = Error(what);
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return status;
  };
  for (const JournalRecord& r : records) {
    StatementReset reset(insert_record_);
    BindText(insert_record_, 1, r.hall_id);
    sqlite3_bind_int64(insert_record_, 2, static_cast<sqlite3_int64>(r.index));
    sqlite3_bind_int64(insert_record_, 3, r.at_unix_ms);
    BindText(insert_record_, 4, r.request_id);
    BindBlob(insert_record_, 5, r.command);
    BindBlob(insert_record_, 6, r.reply);
    if (sqlite3_step(insert_record_) != SQLITE_DONE) return fail("append");
  }
  for (const SnapshotRecord& s : snapshots) {
    StatementReset reset(insert_snapshot_);
    BindText(insert_snapshot_, 1, s.hall_id);
    sqlite3_bind_int64(insert_snapshot_, 2,
                       static_cast<sqlite3_int64>(s.index));
    BindBlob(insert_snapshot_, 3, s.state);
    if (sqlite3_step(insert_snapshot_) != SQLITE_DONE) return fail("snapshot");
  }
  if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return fail("commit");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<SnapshotRecord>>
SqliteJournalStore::LatestSnapshot(absl::string_view hall_id) {
  absl::MutexLock lock(&mu_);
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db_,
                         "SELECT idx, state FROM snapshots WHERE hall_id = ? "
                         "ORDER BY idx DESC LIMIT 1",
                         -1, &s, nullptr) != SQLITE_OK) {
    return Error("read snapshot");
  }
  BindText(s, 1, hall_id);
  std::optional<SnapshotRecord> latest;
  const int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) {
    latest = SnapshotRecord{std::string(hall_id),
                            static_cast<uint64_t>(sqlite3_column_int64(s, 0)),
                            ColumnBytes(s, 1)};
  }
  sqlite3_finalize(s);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Error("read snapshot");
  return latest;
}

absl::StatusOr<uint64_t> SqliteJournalStore::LastIndex(
    absl::string_view hall_id) {
  absl::MutexLock lock(&mu_);
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db_,
                         "SELECT COALESCE(MAX(idx), 0) FROM journal WHERE "
                         "hall_id = ?",
                         -1, &s, nullptr) != SQLITE_OK) {
    return Error("read journal");
  }
  BindText(s, 1, hall_id);
  const int rc = sqlite3_step(s);
  const uint64_t last =
      rc == SQLITE_ROW ? static_cast<uint64_t>(sqlite3_column_int64(s, 0)) : 0;
  sqlite3_finalize(s);
  if (rc != SQLITE_ROW) return Error("read journal");
  return last;
}

absl::StatusOr<std::vector<std::string>> SqliteJournalStore::HallIds() {
  absl::MutexLock lock(&mu_);
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db_,
                         "SELECT DISTINCT hall_id FROM journal UNION SELECT "
                         "DISTINCT hall_id FROM snapshots ORDER BY 1",
                         -1, &s, nullptr) != SQLITE_OK) {
    return Error("read journal");
  }
  std::vector<std::string> ids;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    ids.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)),
                     static_cast<size_t>(sqlite3_column_bytes(s, 0)));
  }
  sqlite3_finalize(s);
  if (rc != SQLITE_DONE) return Error("read journal");
  return ids;
}

absl::Status SqliteJournalStore::ReadJournal(
    absl::string_view hall_id, uint64_t after_index, uint64_t through_index,
    const std::function<absl::Status(const JournalRecord&)>& visit) {
  absl::MutexLock lock(&mu_);
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db_,
                         "SELECT idx, at_ms, request_id, command, reply FROM "
                         "journal WHERE hall_id = ? AND idx > ? AND idx <= ? "
                         "ORDER BY idx",
                         -1, &s, nullptr) != SQLITE_OK) {
    return Error("read journal");
  }
  BindText(s, 1, hall_id);
  sqlite3_bind_int64(s, 2, static_cast<sqlite3_int64>(after_index));
  sqlite3_bind_int64(
      s, 3,
      static_cast<sqlite3_int64>(std::min<uint64_t>(through_index, INT64_MAX)));
  JournalRecord record;
  record.hall_id = std::string(hall_id);
  int rc;
  absl::Status status;
  while (status.ok() && (rc = sqlite3_step(s)) == SQLITE_ROW) {
    record.index = static_cast<uint64_t>(sqlite3_column_int64(s, 0));
    record.at_unix_ms = sqlite3_column_int64(s, 1);
    record.request_id = ColumnBytes(s, 2);
    record.command = ColumnBytes(s, 3);
    record.reply = ColumnBytes(s, 4);
    status = visit(record);
  }
  sqlite3_finalize(s);
  if (!status.ok()) return status;
  if (rc != SQLITE_DONE) return Error("read journal");
  return absl::OkStatus();
}

}  // namespace qcall
