#include "dispatcher/sqlite_journal_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "dispatcher/sqlite_open.h"
#include "dispatcher/wal_check.h"
#include "engine/status_macros.h"
#include "spdlog/spdlog.h"

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

// A start where there is no journal: a new installation, or a lost journal.
// Only the operator can tell which, so neither is guessed.
absl::Status NoJournalError(const std::string& path, const std::string& marker,
                            bool begun) {
  const std::filesystem::path file(path);
  const std::string init =
      file.filename() == "journal.sqlite"
          ? absl::StrCat("qcalld --data ",
                         file.has_parent_path() ? file.parent_path().string()
                                                : std::string("."),
                         " --init-store")
          : absl::StrCat("qcalld --store sqlite:", path, " --init-store");
  return absl::FailedPreconditionError(absl::StrCat(
      "no journal at ", path,
      begun ? absl::StrCat(" (but one was begun here: ", marker, ")") : "",
      ". A new installation: run `", init,
      "` once. If the journal was lost: restore it from a backup; starting "
      "empty restarts today's numbers at 1"));
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteJournalStore>> SqliteJournalStore::Open(
    const std::string& path, const StoreOptions& options) {
  JournalChain chain;
  if (!options.chain_key.empty()) {
    ASSIGN_OR_RETURN(chain, JournalChain::WithKey(options.chain_key));
  }
  // SQLite drops a damaged log's frames without a word, and checkpoints
  // what is left: look at it first.
  const WalReport wal = CheckWal(path);
  if (wal.verdict == WalReport::kDamaged) {
    spdlog::error("journal {}: {}{}", path, wal.message,
                  options.accept_damage
                      ? "; starting anyway (--accept-journal-damage): the "
                        "transactions from there on are lost"
                      : "");
    if (!options.accept_damage) {
      return absl::DataLossError(absl::StrCat(
          wal.message,
          ". Acknowledged commands from there on would be lost. Keep a copy "
          "of the journal's files; to start with what precedes the damage, "
          "pass --accept-journal-damage"));
    }
  } else if (wal.verdict == WalReport::kTornTail) {
    spdlog::info("journal {}: {}", path, wal.message);
  }
  const std::string marker = path + ".created";
  struct stat file;
  const bool present = ::stat(path.c_str(), &file) == 0;
  if (options.read_only) {
    if (!present) {
      return absl::NotFoundError(absl::StrCat("no journal at ", path));
    }
    ASSIGN_OR_RETURN(sqlite3 * db,
                     OpenSqlite(path, SQLITE_OPEN_READONLY, "journal"));
    std::unique_ptr<SqliteJournalStore> store(
        new SqliteJournalStore(db, path, std::move(chain)));
    absl::MutexLock lock(&store->mu_);
    ASSIGN_OR_RETURN(const bool chained, store->HasColumn("journal", "chain"));
    if (!chained) {
      return absl::FailedPreconditionError(absl::StrCat(
          "journal ", path,
          " has no hash chain (written before qcall 0.12, or not a qcall "
          "journal); start qcalld on it once to chain it"));
    }
    return store;
  }
  const bool begun = ::access(marker.c_str(), F_OK) == 0;
  if (!options.create && (!present || file.st_size == 0)) {
    return NoJournalError(path, marker, begun);
  }
  ASSIGN_OR_RETURN(sqlite3 * db,
                   OpenSqlite(path,
                              SQLITE_OPEN_READWRITE |
                                  (options.create ? SQLITE_OPEN_CREATE : 0),
                              "journal"));
  std::unique_ptr<SqliteJournalStore> store(new SqliteJournalStore(
      db, path, std::move(chain), options.private_cipher));
  absl::MutexLock lock(&store->mu_);
  // A main file without the journal table (the -wal lost before a
  // checkpoint, a fresh file put in its place) is as lost as a missing one.
  sqlite3_stmt* probe = nullptr;
  bool has_journal = false;
  if (sqlite3_prepare_v2(db,
                         "SELECT 1 FROM sqlite_master WHERE type = 'table' "
                         "AND name = 'journal'",
                         -1, &probe, nullptr) == SQLITE_OK) {
    has_journal = sqlite3_step(probe) == SQLITE_ROW;
  }
  sqlite3_finalize(probe);
  if (options.create && has_journal) {
    return absl::AlreadyExistsError(absl::StrCat(
        "a journal already exists at ", path,
        "; --init-store only makes a new one where there is none. Start "
        "qcalld without --init-store to serve it"));
  }
  if (!options.create && !has_journal) {
    return NoJournalError(path, marker, begun);
  }
  if (options.create && begun) {
    spdlog::warn(
        "journal {}: one was begun here before ({}) and is gone; the new, "
        "empty journal restarts today's numbers at 1, and tickets already "
        "given out will be given again",
        path, marker);
  }
  RETURN_IF_ERROR(store->Exec("PRAGMA journal_mode=WAL"));
  RETURN_IF_ERROR(store->Exec("PRAGMA synchronous=FULL"));
  // What is deleted (a day's private data at its retention date) is
  // overwritten with zeros, not left in free pages.
  RETURN_IF_ERROR(store->Exec("PRAGMA secure_delete=ON"));
  RETURN_IF_ERROR(store->Exec(
      "CREATE TABLE IF NOT EXISTS journal ("
      " hall_id TEXT NOT NULL, idx INTEGER NOT NULL, at_ms INTEGER NOT NULL,"
      " request_id TEXT NOT NULL, command BLOB NOT NULL, reply BLOB NOT NULL,"
      " chain BLOB NOT NULL, PRIMARY KEY (hall_id, idx)) WITHOUT ROWID"));
  RETURN_IF_ERROR(store->Exec(
      "CREATE TABLE IF NOT EXISTS snapshots ("
      " hall_id TEXT NOT NULL, idx INTEGER NOT NULL, state BLOB NOT NULL,"
      " chain BLOB NOT NULL, checksum BLOB NOT NULL,"
      " PRIMARY KEY (hall_id, idx))"));
  bool migrated = false;
  if (absl::Status chained = store->Migrate(&migrated); !chained.ok()) {
    return absl::UnavailableError(
        absl::StrCat("journal ", path,
                     " cannot be given its hash chain: ", chained.message()));
  }
  {
    bool created = false;
    absl::StatusOr<std::unique_ptr<SqliteRecords>> projection =
        SqliteRecords::Create(db, &created);
    if (!projection.ok()) return projection.status();
    store->projection_ = *std::move(projection);
    if (created) {
      sqlite3_stmt* rows = nullptr;
      if (sqlite3_prepare_v2(db, "SELECT 1 FROM journal LIMIT 1", -1, &rows,
                             nullptr) == SQLITE_OK) {
        store->records_missing_ = sqlite3_step(rows) == SQLITE_ROW;
      }
      sqlite3_finalize(rows);
    }
  }
  RETURN_IF_ERROR(store->OpenPrivateTables());
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
  ASSIGN_OR_RETURN(store->reader_, SqliteRecordReader::Open(path));
  if (::access(marker.c_str(), F_OK) != 0) {
    std::ofstream out(marker);
    out << "A qcall journal was begun beside this file. qcalld --init-store "
           "warns before it makes a new one here.\n";
    if (!out.flush()) {
      return absl::UnavailableError(
          absl::StrCat("cannot write ", marker, " beside the journal"));
    }
  }
  return store;
}

SqliteJournalStore::~SqliteJournalStore() {
  absl::MutexLock lock(&mu_);
  projection_.reset();  // Its statements go before the connection.
  for (auto& [day, held] : day_keys_) WipeSecret(&held.key);
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
          "request_id, command, reply, chain) VALUES (?, ?, ?, ?, ?, ?, ?)",
          -1, &insert_record_, nullptr) != SQLITE_OK ||
      sqlite3_prepare_v2(db_,
                         "INSERT INTO snapshots (hall_id, idx, state, chain, "
                         "checksum) VALUES (?, ?, ?, ?, ?)",
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
  // The heads this batch moves, kept apart until it is committed.
  absl::flat_hash_map<std::string, Head> moved;
  for (const JournalRecord& r : records) {
    if (moved.contains(r.hall_id)) continue;
    if (auto it = heads_.find(r.hall_id); it != heads_.end()) {
      moved.emplace(r.hall_id, it->second);
    } else {
      ASSIGN_OR_RETURN(Head head, ReadHead(r.hall_id));
      moved.emplace(r.hall_id, std::move(head));
    }
  }
  RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  auto fail = [&](absl::string_view what) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    absl::Status status = Error(what);
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    SettleDayKeys(false);
    return status;
  };
  for (const JournalRecord& r : records) {
    Head& head = moved[r.hall_id];
    head.chain = chain_.Next(head.chain, r);
    head.index = r.index;
    StatementReset reset(insert_record_);
    BindText(insert_record_, 1, r.hall_id);
    sqlite3_bind_int64(insert_record_, 2, static_cast<sqlite3_int64>(r.index));
    sqlite3_bind_int64(insert_record_, 3, r.at_unix_ms);
    BindText(insert_record_, 4, r.request_id);
    BindBlob(insert_record_, 5, r.command);
    BindBlob(insert_record_, 6, r.reply);
    BindBlob(insert_record_, 7, head.chain);
    if (sqlite3_step(insert_record_) != SQLITE_DONE) return fail("append");
    if (absl::Status kept = WritePrivate(r); !kept.ok()) {
      fail("private data").IgnoreError();
      return kept;
    }
  }
  // The records' events, in the same transaction (records.h).
  if (absl::Status projected = projection_ == nullptr
                                  ? absl::OkStatus()
                                  : projection_->Project(records);
      !projected.ok()) {
    projection_->Discard();
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return projected;
  }
  for (const SnapshotRecord& given : snapshots) {
    SnapshotRecord s = given;
    absl::StatusOr<std::string> chain = ChainAt(s.hall_id, s.index);
    if (!chain.ok()) return fail("snapshot");
    s.chain = *std::move(chain);
    s.checksum = chain_.SnapshotChecksum(s);
    StatementReset reset(insert_snapshot_);
    BindText(insert_snapshot_, 1, s.hall_id);
    sqlite3_bind_int64(insert_snapshot_, 2,
                       static_cast<sqlite3_int64>(s.index));
    BindBlob(insert_snapshot_, 3, s.state);
    BindBlob(insert_snapshot_, 4, s.chain);
    BindBlob(insert_snapshot_, 5, s.checksum);
    if (sqlite3_step(insert_snapshot_) != SQLITE_DONE) return fail("snapshot");
  }
  if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    if (projection_ != nullptr) projection_->Discard();
    return fail("commit");
  }
  SettleDayKeys(true);
  for (auto& [hall_id, head] : moved) heads_[hall_id] = std::move(head);
  return absl::OkStatus();
}

absl::Status SqliteJournalStore::ProjectJournaled(
    absl::Span<const JournalRecord> records) {
  absl::MutexLock lock(&mu_);
  if (projection_ == nullptr) return JournalStore::ProjectJournaled(records);
  RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  absl::Status status = projection_->Project(records);
  if (status.ok()) status = Exec("COMMIT");
  if (!status.ok()) {
    projection_->Discard();
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return status;
  }
  records_missing_ = false;
  return absl::OkStatus();
}

absl::Status SqliteJournalStore::ClearRecords() {
  absl::MutexLock lock(&mu_);
  if (projection_ == nullptr) return JournalStore::ClearRecords();
  RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  absl::Status status = projection_->Clear();
  if (status.ok()) status = Exec("COMMIT");
  if (!status.ok()) {
    projection_->Discard();
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  return status;
}

absl::StatusOr<SqliteJournalStore::Head> SqliteJournalStore::ReadHead(
    absl::string_view hall_id) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db_,
                         "SELECT idx, chain FROM journal WHERE hall_id = ? "
                         "ORDER BY idx DESC LIMIT 1",
                         -1, &s, nullptr) != SQLITE_OK) {
    return Error("read journal head");
  }
  BindText(s, 1, hall_id);
  Head head{0, chain_.Genesis(hall_id)};
  const int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) {
    head.index = static_cast<uint64_t>(sqlite3_column_int64(s, 0));
    head.chain = ColumnBytes(s, 1);
  }
  sqlite3_finalize(s);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Error("read journal head");
  return head;
}

absl::StatusOr<std::string> SqliteJournalStore::ChainAt(
    absl::string_view hall_id, uint64_t index) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(
          db_, "SELECT chain FROM journal WHERE hall_id = ? AND idx = ?", -1,
          &s, nullptr) != SQLITE_OK) {
    return Error("read chain");
  }
  BindText(s, 1, hall_id);
  sqlite3_bind_int64(s, 2, static_cast<sqlite3_int64>(index));
  std::string chain;
  const int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) chain = ColumnBytes(s, 0);
  sqlite3_finalize(s);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Error("read chain");
  return chain;
}

absl::StatusOr<bool> SqliteJournalStore::HasColumn(const char* table,
                                                   const char* column) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db_,
                         "SELECT 1 FROM pragma_table_info(?) WHERE name = ?",
                         -1, &s, nullptr) != SQLITE_OK) {
    return Error("read schema");
  }
  sqlite3_bind_text(s, 1, table, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 2, column, -1, SQLITE_STATIC);
  const int rc = sqlite3_step(s);
  sqlite3_finalize(s);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Error("read schema");
  return rc == SQLITE_ROW;
}

absl::Status SqliteJournalStore::ChainAll(uint64_t* record_count,
                                          size_t* snapshot_count) {
  // Every record, hall by hall in index order, chained; then every
  // snapshot given the chain at its index.
  sqlite3_stmt* read = nullptr;
  sqlite3_stmt* write = nullptr;
  uint64_t count = 0;
  absl::Status status;
  if (sqlite3_prepare_v2(db_,
                         "SELECT hall_id, idx, at_ms, request_id, command, "
                         "reply FROM journal ORDER BY hall_id, idx",
                         -1, &read, nullptr) != SQLITE_OK ||
      sqlite3_prepare_v2(db_,
                         "UPDATE journal SET chain = ? WHERE hall_id = ? "
                         "AND idx = ?",
                         -1, &write, nullptr) != SQLITE_OK) {
    status = Error("chain the journal");
  }
  JournalRecord r;
  std::string chain;
  int rc = SQLITE_DONE;
  while (status.ok() && (rc = sqlite3_step(read)) == SQLITE_ROW) {
    std::string hall_id = ColumnBytes(read, 0);
    if (hall_id != r.hall_id || count == 0) chain = chain_.Genesis(hall_id);
    r.hall_id = std::move(hall_id);
    r.index = static_cast<uint64_t>(sqlite3_column_int64(read, 1));
    r.at_unix_ms = sqlite3_column_int64(read, 2);
    r.request_id = ColumnBytes(read, 3);
    r.command = ColumnBytes(read, 4);
    r.reply = ColumnBytes(read, 5);
    chain = chain_.Next(chain, r);
    BindBlob(write, 1, chain);
    BindText(write, 2, r.hall_id);
    sqlite3_bind_int64(write, 3, static_cast<sqlite3_int64>(r.index));
    if (sqlite3_step(write) != SQLITE_DONE) status = Error("chain a record");
    sqlite3_reset(write);
    ++count;
  }
  if (status.ok() && rc != SQLITE_DONE) status = Error("chain the journal");
  sqlite3_finalize(read);
  sqlite3_finalize(write);
  RETURN_IF_ERROR(status);
  std::vector<SnapshotRecord> snapshots;
  if (sqlite3_prepare_v2(db_, "SELECT hall_id, idx, state FROM snapshots", -1,
                         &read, nullptr) != SQLITE_OK) {
    return Error("read snapshots");
  }
  while ((rc = sqlite3_step(read)) == SQLITE_ROW) {
    snapshots.push_back({ColumnBytes(read, 0),
                         static_cast<uint64_t>(sqlite3_column_int64(read, 1)),
                         ColumnBytes(read, 2)});
  }
  sqlite3_finalize(read);
  if (rc != SQLITE_DONE) return Error("read snapshots");
  if (sqlite3_prepare_v2(db_,
                         "UPDATE snapshots SET chain = ?, checksum = ? "
                         "WHERE hall_id = ? AND idx = ?",
                         -1, &write, nullptr) != SQLITE_OK) {
    return Error("checksum snapshots");
  }
  for (SnapshotRecord& s : snapshots) {
    absl::StatusOr<std::string> at = ChainAt(s.hall_id, s.index);
    if (!at.ok()) {
      status = at.status();
      break;
    }
    s.chain = *std::move(at);
    s.checksum = chain_.SnapshotChecksum(s);
    BindBlob(write, 1, s.chain);
    BindBlob(write, 2, s.checksum);
    BindText(write, 3, s.hall_id);
    sqlite3_bind_int64(write, 4, static_cast<sqlite3_int64>(s.index));
    if (sqlite3_step(write) != SQLITE_DONE) {
      status = Error("checksum a snapshot");
      break;
    }
    sqlite3_reset(write);
  }
  sqlite3_finalize(write);
  RETURN_IF_ERROR(status);
  *record_count = count;
  *snapshot_count = snapshots.size();
  return absl::OkStatus();
}

absl::Status SqliteJournalStore::Migrate(bool* migrated) {
  ASSIGN_OR_RETURN(const bool journal_chained, HasColumn("journal", "chain"));
  ASSIGN_OR_RETURN(const bool snapshots_chained,
                   HasColumn("snapshots", "checksum"));
  *migrated = !journal_chained || !snapshots_chained;
  if (!*migrated) return absl::OkStatus();
  RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  auto body = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> absl::Status {
    if (!journal_chained) {
      RETURN_IF_ERROR(Exec(
          "ALTER TABLE journal ADD COLUMN chain BLOB NOT NULL DEFAULT x''"));
    }
    if (!snapshots_chained) {
      RETURN_IF_ERROR(Exec(
          "ALTER TABLE snapshots ADD COLUMN chain BLOB NOT NULL DEFAULT x'';"
          "ALTER TABLE snapshots ADD COLUMN checksum BLOB NOT NULL "
          "DEFAULT x''"));
    }
    uint64_t count = 0;
    size_t snapshot_count = 0;
    RETURN_IF_ERROR(ChainAll(&count, &snapshot_count));
    spdlog::warn(
        "journal {} was written before the hash chain: its {} records and {} "
        "snapshots are chained from their first record now{}; changes made "
        "to it before today cannot be detected",
        path_, count, snapshot_count, chain_.keyed() ? ", keyed" : "");
    return absl::OkStatus();
  };
  if (absl::Status status = body(); !status.ok()) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return status;
  }
  return Exec("COMMIT");
}

absl::StatusOr<std::optional<SnapshotRecord>>
SqliteJournalStore::LatestSnapshot(absl::string_view hall_id) {
  absl::MutexLock lock(&mu_);
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db_,
                         "SELECT idx, state, chain, checksum FROM snapshots "
                         "WHERE hall_id = ? ORDER BY idx DESC LIMIT 1",
                         -1, &s, nullptr) != SQLITE_OK) {
    return Error("read snapshot");
  }
  BindText(s, 1, hall_id);
  std::optional<SnapshotRecord> latest;
  const int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) {
    latest = SnapshotRecord{
        std::string(hall_id), static_cast<uint64_t>(sqlite3_column_int64(s, 0)),
        ColumnBytes(s, 1), ColumnBytes(s, 2), ColumnBytes(s, 3)};
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
                         "SELECT idx, at_ms, request_id, command, reply, "
                         "chain FROM journal WHERE hall_id = ? AND idx > ? "
                         "AND idx <= ? ORDER BY idx",
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
    record.chain = ColumnBytes(s, 5);
    status = visit(record);
  }
  sqlite3_finalize(s);
  if (!status.ok()) return status;
  if (rc != SQLITE_DONE) return Error("read journal");
  return absl::OkStatus();
}

absl::Status SqliteJournalStore::ReadSnapshots(
    absl::string_view hall_id,
    const std::function<absl::Status(const SnapshotRecord&)>& visit) {
  absl::MutexLock lock(&mu_);
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db_,
                         "SELECT idx, state, chain, checksum FROM snapshots "
                         "WHERE hall_id = ? ORDER BY idx",
                         -1, &s, nullptr) != SQLITE_OK) {
    return Error("read snapshots");
  }
  BindText(s, 1, hall_id);
  int rc;
  absl::Status status;
  while (status.ok() && (rc = sqlite3_step(s)) == SQLITE_ROW) {
    status = visit({std::string(hall_id),
                    static_cast<uint64_t>(sqlite3_column_int64(s, 0)),
                    ColumnBytes(s, 1), ColumnBytes(s, 2), ColumnBytes(s, 3)});
  }
  sqlite3_finalize(s);
  if (!status.ok()) return status;
  if (rc != SQLITE_DONE) return Error("read snapshots");
  return absl::OkStatus();
}

}  // namespace qcall
