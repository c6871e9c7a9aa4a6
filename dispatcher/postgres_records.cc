// PostgresJournalStore's record tables and private data: the SQLite store's
// own code (records_sql.h, private_data_sql.h) over this store's connection,
// inside its Commit's transaction.
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "dispatcher/postgres_journal_store.h"
#include "engine/status_macros.h"

namespace qcall {
namespace {

// The transaction-level advisory lock under which a node makes the tables,
// so nodes starting together on a new database make them one at a time.
constexpr int64_t kSchemaLock = 7430356;

}  // namespace

absl::Status PostgresJournalStore::OpenRecords(const std::string& url,
                                               const StoreOptions& options) {
  sql_ = BorrowPostgres(conn_);
  RETURN_IF_ERROR(sql_->Begin());
  auto make = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> absl::Status {
    RETURN_IF_ERROR(
        sql_->Run("SELECT pg_advisory_xact_lock(?)", {kSchemaLock}));
    bool created = false;
    ASSIGN_OR_RETURN(projection_, SqlRecords::Create(sql_.get(), &created));
    RETURN_IF_ERROR(SqlPrivateData::CreateTables(sql_.get()));
    if (created) {
      // A journal written before the record tables: qcalld rebuilds them.
      RETURN_IF_ERROR(
          sql_->Run("SELECT 1 FROM journal LIMIT 1", {},
                    [&](const SqlRow&) { records_missing_ = true; }));
    }
    return sql_->Commit();
  };
  if (absl::Status made = make(); !made.ok()) {
    sql_->Rollback();
    return absl::UnavailableError(absl::StrCat(
        "cannot make the record tables in ", name_, ": ", made.message()));
  }
  private_ = std::make_unique<SqlPrivateData>(sql_.get(), &mu_,
                                              options.private_cipher);
  ASSIGN_OR_RETURN(std::unique_ptr<SqlConnection> reader,
                   OpenSqlConnection(url, /*read_only=*/true));
  reader_ = std::make_unique<SqlRecordReader>(std::move(reader));
  return absl::OkStatus();
}

absl::Status PostgresJournalStore::WriteRecords(
    absl::Span<const JournalRecord> records) {
  if (projection_ == nullptr) return absl::OkStatus();
  // A hall whose head is not known was taken (again) since this node last
  // wrote it: another node may have moved its windows and day meanwhile.
  absl::flat_hash_set<absl::string_view> forgotten;
  for (const JournalRecord& r : records) {
    if (!heads_.contains(r.hall_id) && forgotten.insert(r.hall_id).second) {
      projection_->Forget(r.hall_id);
    }
    RETURN_IF_ERROR(private_->Write(r));
  }
  return projection_->Project(records);
}

void PostgresJournalStore::SettleRecords(bool committed) {
  if (projection_ != nullptr && !committed) projection_->Discard();
  if (private_ != nullptr) private_->Settle(committed);
}

absl::Status PostgresJournalStore::ProjectJournaled(
    absl::Span<const JournalRecord> records) {
  absl::MutexLock lock(&mu_);
  if (projection_ == nullptr) return JournalStore::ProjectJournaled(records);
  RETURN_IF_ERROR(projection_->ProjectAlone(records));
  records_missing_ = false;
  return absl::OkStatus();
}

absl::Status PostgresJournalStore::ClearRecords() {
  absl::MutexLock lock(&mu_);
  if (projection_ == nullptr) return JournalStore::ClearRecords();
  return projection_->ClearAlone();
}

}  // namespace qcall
