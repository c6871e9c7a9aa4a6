// The embedded journal: one SQLite file in WAL mode with synchronous=FULL, so
// a committed transaction has been fsynced. One connection, whose calls a
// mutex takes in turn.
#ifndef QCALL_DISPATCHER_SQLITE_JOURNAL_STORE_H_
#define QCALL_DISPATCHER_SQLITE_JOURNAL_STORE_H_

#include <sqlite3.h>
#include <sys/types.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "dispatcher/journal_store.h"

namespace qcall {

class SqliteJournalStore : public JournalStore {
 public:
  // Opens (or creates) the journal at `path` and proves it can write there:
  // UNAVAILABLE when it cannot (a read-only file or disk). Beside it,
  // `<path>.created` marks that a journal was begun here; while it exists, a
  // missing or empty journal is lost data, refused with FAILED_PRECONDITION
  // unless `options.start_empty`.
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

 private:
  SqliteJournalStore(sqlite3* db, std::string path)
      : db_(db), path_(std::move(path)) {}
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
  // The device and inode of the file opened.
  dev_t device_ ABSL_GUARDED_BY(mu_) = 0;
  ino_t inode_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace qcall

#endif  // QCALL_DISPATCHER_SQLITE_JOURNAL_STORE_H_
