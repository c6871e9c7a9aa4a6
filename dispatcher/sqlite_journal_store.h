// The embedded journal: one SQLite file in WAL mode with synchronous=FULL, so
// a committed transaction has been fsynced. One connection, whose calls a
// mutex takes in turn. Commit chains each record to the one before it of its
// hall (journal_chain.h) on the caller's thread (the journal's writer), and
// gives each snapshot the chain at its index and a checksum. With a
// PrivateCipher it also keeps customers' private data, encrypted, in tables
// of its own (sqlite_private_data.cc), written in the transaction of the
// command that brought it.
#ifndef QCALL_DISPATCHER_SQLITE_JOURNAL_STORE_H_
#define QCALL_DISPATCHER_SQLITE_JOURNAL_STORE_H_

#include <sqlite3.h>
#include <sys/types.h>

#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "dispatcher/journal_chain.h"
#include "dispatcher/journal_store.h"
#include "dispatcher/records_sqlite.h"
#include "dispatcher/private_cipher.h"
#include "dispatcher/private_data_store.h"

namespace qcall {

class SqliteJournalStore : public JournalStore, public PrivateDataStore {
 public:
  // Opens the journal at `path` and proves it can write there: UNAVAILABLE
  // when it cannot (a read-only file or disk). No journal there (no file, an
  // empty one, one without the journal table) is FAILED_PRECONDITION naming
  // both cases, a new installation and a lost journal: only
  // `options.create` (qcalld --init-store) makes one, and it refuses with
  // ALREADY_EXISTS where a journal is. Beside it, `<path>.created` marks that
  // a journal was begun here: creating one again then logs a WARNING that
  // numbers restart. Before SQLite reads it, its write-ahead
  // log is checked (wal_check.h): damage is DATA_LOSS naming the file and
  // byte, unless `options.accept_damage`, and an ERROR in the log either way.
  // A journal written before the hash chain existed is chained from its
  // first record, once, here (a WARNING says so). A journal written before
  // private data was kept apart has its phones moved out of its command rows
  // and snapshots into the encrypted tables, once, here (a WARNING says so,
  // and the chain is computed again over the rows without them); without
  // `options.private_cipher` such a journal is refused (FAILED_PRECONDITION).
  static absl::StatusOr<std::unique_ptr<SqliteJournalStore>> Open(
      const std::string& path, const StoreOptions& options = {});
  ~SqliteJournalStore() override;

  absl::Status Commit(absl::Span<const JournalRecord> records,
                      absl::Span<const SnapshotRecord> snapshots) override;
  absl::StatusOr<std::optional<SnapshotRecord>> LatestSnapshot(
      absl::string_view hall_id) override;
  absl::StatusOr<uint64_t> LastIndex(absl::string_view hall_id) override;
  absl::StatusOr<std::vector<std::string>> HallIds() override;
  absl::Status ReadJournal(
      absl::string_view hall_id, uint64_t after_index, uint64_t through_index,
      const std::function<absl::Status(const JournalRecord&)>& visit) override;
  absl::Status ReadSnapshots(
      absl::string_view hall_id,
      const std::function<absl::Status(const SnapshotRecord&)>& visit) override;
  const JournalChain& chain() const override { return chain_; }
  RecordReader* records() override { return reader_.get(); }
  bool records_missing() const override { return records_missing_; }
  absl::Status ProjectJournaled(
      absl::Span<const JournalRecord> records) override;
  absl::Status ClearRecords() override;
  PrivateDataStore* private_data() override {
    return cipher_ == nullptr ? nullptr : this;
  }

  // PrivateDataStore (sqlite_private_data.cc).
  absl::StatusOr<std::string> Read(const PrivateRead& read) override;
  absl::StatusOr<std::vector<v1::PrivateDataRead>> ListReads(
      absl::string_view hall_id, int64_t since_unix_ms, int limit) override;
  absl::StatusOr<int> Purge(absl::string_view hall_id, int32_t first_kept_day,
                            int32_t days, int64_t now_unix_ms) override;
  absl::StatusOr<std::vector<int32_t>> DaysHeld(
      absl::string_view hall_id) override;

 private:
  // A hall's newest record as committed.
  struct Head {
    uint64_t index = 0;
    std::string chain;
  };
  SqliteJournalStore(sqlite3* db, std::string path, JournalChain chain,
                     std::shared_ptr<const PrivateCipher> cipher = nullptr)
      : db_(db),
        path_(std::move(path)),
        chain_(std::move(chain)),
        cipher_(std::move(cipher)) {}
  // Adds the chain columns to a journal written before them and chains its
  // records; false in `*migrated` when it had them.
  absl::Status Migrate(bool* migrated) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Chains every record of every hall from its genesis and gives every
  // snapshot its chain and checksum again; counts what it chained.
  absl::Status ChainAll(uint64_t* record_count, size_t* snapshot_count)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The private tables, made at open; a journal that had none yet may hold
  // phones in its commands and snapshots, which are moved into them.
  absl::Status OpenPrivateTables() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status MoveLegacyPhones(int64_t* moved, int64_t* dropped)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Inside Commit's transaction: the record's private data, encrypted with
  // its day's key (made, wrapped and inserted when the day has none).
  absl::Status WritePrivate(const JournalRecord& record)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // After Commit's transaction: day keys it made are kept (committed) or
  // forgotten (rolled back).
  void SettleDayKeys(bool committed) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The (hall, day) key, from memory or unwrapped from the file; made when
  // `make` and the day has none; NOT_FOUND when it has none.
  absl::StatusOr<std::string> DayKey(absl::string_view hall_id,
                                     int32_t business_day, bool make)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status InsertPrivate(absl::string_view hall_id, int32_t business_day,
                             absl::string_view ticket, absl::string_view phone)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<bool> HasColumn(const char* table, const char* column)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The hall's head as the file holds it (index 0 and the genesis when it
  // has no record).
  absl::StatusOr<Head> ReadHead(absl::string_view hall_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The chain of the hall's record `index`, empty when there is none.
  absl::StatusOr<std::string> ChainAt(absl::string_view hall_id, uint64_t index)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The file at path_ is still the one opened: not deleted, not replaced.
  absl::Status CheckSameFile() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Exec(const char* sql) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Error(absl::string_view what) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Prepare() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  sqlite3* const db_ ABSL_PT_GUARDED_BY(mu_);
  sqlite3_stmt* insert_record_ ABSL_GUARDED_BY(mu_) = nullptr;
  sqlite3_stmt* insert_snapshot_ ABSL_GUARDED_BY(mu_) = nullptr;
  const std::string path_;
  const JournalChain chain_;
  const std::shared_ptr<const PrivateCipher> cipher_;
  // Unwrapped day keys by (hall, day), and whether the open transaction
  // made them (not durable yet). Wiped at destruction and purge.
  struct HeldKey {
    std::string key;
    bool uncommitted = false;
  };
  absl::flat_hash_map<std::pair<std::string, int32_t>, HeldKey> day_keys_
      ABSL_GUARDED_BY(mu_);
  // Each hall's newest committed record, read from the file at its first
  // commit.
  absl::flat_hash_map<std::string, Head> heads_ ABSL_GUARDED_BY(mu_);
  // The record tables, projected inside each commit (records_sqlite.h), and
  // their reader on a connection of its own. Null in a read-only store.
  std::unique_ptr<SqliteRecords> projection_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<SqliteRecordReader> reader_;
  bool records_missing_ = false;
  // The device and inode of the file opened.
  dev_t device_ ABSL_GUARDED_BY(mu_) = 0;
  ino_t inode_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace qcall

#endif  // QCALL_DISPATCHER_SQLITE_JOURNAL_STORE_H_
