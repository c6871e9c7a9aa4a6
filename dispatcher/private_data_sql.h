// SqlPrivateData: customers' private data in the journal's own database
// (SQLite or PostgreSQL, written once over sql_connection.h), in the tables
//   private_keys   (hall_id, business_day, wrapped)  a day's key, wrapped
//   private_data   (hall_id, business_day, ticket, sealed)  nonce+ciphertext
//   private_erased (hall_id, business_day, days, erased_at_ms)
//   private_reads  (at_ms, reader, hall_id, business_day, ticket, reason,
//                   outcome)
// The store writes a ticket's phone inside its Commit's transaction (Write,
// then Settle once the transaction ended); reads, lists and purges run
// their own statements under the store's lock.
//
//   RETURN_IF_ERROR(SqlPrivateData::CreateTables(sql));
//   private_ = std::make_unique<SqlPrivateData>(sql, &mu_, cipher);
//   // In Commit, its lock held, inside BEGIN ... COMMIT:
//   RETURN_IF_ERROR(private_->Write(record));
//   private_->Settle(committed);
#ifndef QCALL_DISPATCHER_PRIVATE_DATA_SQL_H_
#define QCALL_DISPATCHER_PRIVATE_DATA_SQL_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "dispatcher/journal_store.h"
#include "dispatcher/private_cipher.h"
#include "dispatcher/private_data_store.h"
#include "dispatcher/sql_connection.h"

namespace qcall {

class SqlPrivateData : public PrivateDataStore {
 public:
  // Makes the tables where they are missing.
  static absl::Status CreateTables(SqlConnection* sql);

  // `sql` is the store's connection, used only with `*store_mu` held (the
  // PrivateDataStore calls take it). Without a cipher nothing is kept, and
  // a record with private data is refused.
  SqlPrivateData(SqlConnection* sql, absl::Mutex* store_mu,
                 std::shared_ptr<const PrivateCipher> cipher)
      : sql_(sql), mu_(store_mu), cipher_(std::move(cipher)) {}
  ~SqlPrivateData() override;

  bool keeps() const { return cipher_ != nullptr; }

  // Inside the store's transaction, its lock held: the record's private
  // data encrypted with its day's key (made, wrapped and inserted when the
  // day has none). FAILED_PRECONDITION without a cipher.
  absl::Status Write(const JournalRecord& record);
  absl::Status Insert(absl::string_view hall_id, int32_t business_day,
                      absl::string_view ticket, absl::string_view phone);
  // After the transaction, its lock held: day keys it made are kept
  // (committed) or forgotten (rolled back).
  void Settle(bool committed);

  // PrivateDataStore (each takes the store's lock).
  absl::StatusOr<std::string> Read(const PrivateRead& read) override;
  absl::StatusOr<std::vector<v1::PrivateDataRead>> ListReads(
      absl::string_view hall_id, int64_t since_unix_ms, int limit) override;
  absl::StatusOr<int> Purge(absl::string_view hall_id, int32_t first_kept_day,
                            int32_t days, int64_t now_unix_ms) override;
  absl::StatusOr<std::vector<int32_t>> DaysHeld(
      absl::string_view hall_id) override;

 private:
  // The (hall, day) key, from memory or unwrapped from the database; made
  // when `make` and the day has none; NOT_FOUND when it has none.
  absl::StatusOr<std::string> DayKey(absl::string_view hall_id,
                                     int32_t business_day, bool make);

  SqlConnection* const sql_;
  absl::Mutex* const mu_;
  const std::shared_ptr<const PrivateCipher> cipher_;
  // Unwrapped day keys by (hall, day), and whether the open transaction
  // made them (not durable yet). Wiped at destruction and purge.
  struct HeldKey {
    std::string key;
    bool uncommitted = false;
  };
  absl::flat_hash_map<std::pair<std::string, int32_t>, HeldKey> day_keys_;
};

}  // namespace qcall

#endif  // QCALL_DISPATCHER_PRIVATE_DATA_SQL_H_
