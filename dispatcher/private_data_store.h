// PrivateDataStore keeps customers' private data (the phone given at the
// kiosk) apart from the hall's journal: encrypted with a key per (hall,
// business day) that only the master key of --private-key-file unwraps
// (private_cipher.h), read only with a reason that is recorded first, and
// erased at the retention date by destroying the day's key and deleting its
// rows. The journal's store implements it, so that a ticket's private record
// is written in the same transaction as the command that issued it
// (JournalRecord::private_data).
//
//   PrivateDataStore* vault = store->private_data();  // nullptr: none kept.
//   ASSIGN_OR_RETURN(std::string phone, vault->Read({.at_unix_ms = now,
//       .reader = "duty-manager", .hall_id = "hall-1",
//       .business_day = 20261207, .ticket = "A012",
//       .reason = "call back about complaint 17"}));
//   vault->Purge("hall-1", /*first_kept_day=*/20261108, /*days=*/30, now);
#ifndef QCALL_DISPATCHER_PRIVATE_DATA_STORE_H_
#define QCALL_DISPATCHER_PRIVATE_DATA_STORE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "qcall/v1/api.pb.h"

namespace qcall {

// What one issued ticket leaves to keep apart. In memory only: the store
// encrypts it as it commits the ticket's journal record.
struct PrivateEntry {
  int32_t business_day = 0;
  std::string ticket;  // "A012"
  std::string phone;
  bool empty() const { return phone.empty(); }
};

// One read, as it is recorded.
struct PrivateRead {
  int64_t at_unix_ms = 0;
  std::string reader;  // The token's name.
  std::string hall_id;
  int32_t business_day = 0;
  std::string ticket;
  std::string reason;
};

class PrivateDataStore {
 public:
  virtual ~PrivateDataStore() = default;

  // Records `read` durably (with what it found), then returns the phone.
  // NOT_FOUND when the day was erased ("erased after N days") or the ticket
  // has no private data; the attempt is recorded either way.
  virtual absl::StatusOr<std::string> Read(const PrivateRead& read) = 0;
  // The recorded reads of `hall_id` at or after `since_unix_ms`, newest
  // first, at most `limit`.
  virtual absl::StatusOr<std::vector<v1::PrivateDataRead>> ListReads(
      absl::string_view hall_id, int64_t since_unix_ms, int limit) = 0;
  // Erases the hall's business days before `first_kept_day` (YYYYMMDD):
  // their keys destroyed, their rows deleted, and a note kept that the day
  // was erased after `days` days. Returns how many days it erased.
  virtual absl::StatusOr<int> Purge(absl::string_view hall_id,
                                    int32_t first_kept_day, int32_t days,
                                    int64_t now_unix_ms) = 0;
  // The business days of `hall_id` whose key is still held, oldest first.
  virtual absl::StatusOr<std::vector<int32_t>> DaysHeld(
      absl::string_view hall_id) = 0;
};

}  // namespace qcall

#endif  // QCALL_DISPATCHER_PRIVATE_DATA_STORE_H_
