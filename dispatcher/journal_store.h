// JournalStore is where a hall's journal and snapshots live: an embedded
// SQLite file by default, or a PostgreSQL database (postgres_journal_store.h);
// either keeps the record tables and customers' private data beside the
// journal. It is the one
// seam between qcalld and its storage; OpenJournalStore picks the store a
// URL names. A store is thread-safe: recovery reads from the starting thread
// and the journal's writer commits from its own (a store may run calls one
// at a time).
//
//   // Once, at installation (qcalld --init-store):
//   RETURN_IF_ERROR(OpenJournalStore(url, {.create = true}).status());
//   // Every start:
//   ASSIGN_OR_RETURN(std::unique_ptr<JournalStore> store,
//                    OpenJournalStore("sqlite:data/journal.sqlite"));
//   RETURN_IF_ERROR(store->Commit(records, snapshots));  // One fsync.
//   store->ReadJournal("hall-1", after_index, UINT64_MAX,
//                      [](const JournalRecord& r) { ... });
#ifndef QCALL_DISPATCHER_JOURNAL_STORE_H_
#define QCALL_DISPATCHER_JOURNAL_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "dispatcher/private_data_store.h"

namespace qcall {

struct RecordEvents;  // records.h
class RecordReader;   // records.h

// One command of one hall, as it was applied.
struct JournalRecord {
  std::string hall_id;
  uint64_t index = 0;  // 1, 2, 3, ... per hall.
  int64_t at_unix_ms = 0;
  std::string request_id;
  std::string command;  // Serialized v1::Command.
  // Serialized v1::CommandReply when request_id is set and the command
  // succeeded: a retry after a restart gets it back.
  std::string reply;
  // The hash chain up to this record (journal_chain.h), as the store holds
  // it: filled in by ReadJournal; Commit computes it and ignores this one.
  std::string chain = {};
  // Not stored: the events the command produced, for the record tables
  // (records.h), which Commit projects in the same transaction. Null for a
  // record read back, or one whose events nobody projects.
  std::shared_ptr<const RecordEvents> events = {};
  // The issued ticket's private data (a phone), never part of `command`:
  // Commit encrypts it into the private tables in the same transaction.
  // Transient: never read back with the record, not in the chain.
  PrivateEntry private_data = {};
};

// The hall's state after the record `index`.
struct SnapshotRecord {
  std::string hall_id;
  uint64_t index = 0;
  std::string state;  // Serialized v1::HallState.
  // The chain of record `index` and the checksum over (hall_id, index,
  // chain, state): filled in by LatestSnapshot; Commit computes both.
  std::string chain = {};
  std::string checksum = {};
};

class ClusterStore;   // cluster_store.h
class HallOwnership;  // hall_ownership.h
class JournalChain;
class PrivateCipher;

class JournalStore {
 public:
  virtual ~JournalStore() = default;

  // Makes records and snapshots durable together; OK means on disk. A
  // commit refused for some halls only (fenced, or not held by this node:
  // hall_ownership.h) writes nothing and names them (RefusedHalls): the rest
  // may be committed again without them.
  virtual absl::Status Commit(absl::Span<const JournalRecord> records,
                              absl::Span<const SnapshotRecord> snapshots) = 0;
  virtual absl::StatusOr<std::optional<SnapshotRecord>> LatestSnapshot(
      absl::string_view hall_id) = 0;
  // The index of the hall's newest record, 0 when it has none.
  virtual absl::StatusOr<uint64_t> LastIndex(absl::string_view hall_id) = 0;
  // Every hall with a record or a snapshot, by id.
  virtual absl::StatusOr<std::vector<std::string>> HallIds() = 0;
  // Calls `visit` for each record of the hall after `after_index` and up to
  // `through_index`, in order. `visit` must not call the store.
  virtual absl::Status ReadJournal(
      absl::string_view hall_id, uint64_t after_index, uint64_t through_index,
      const std::function<absl::Status(const JournalRecord&)>& visit) = 0;
  // Calls `visit` for each snapshot of the hall, oldest first (as
  // ReadJournal, `visit` must not call the store).
  virtual absl::Status ReadSnapshots(
      absl::string_view hall_id,
      const std::function<absl::Status(const SnapshotRecord&)>& visit) = 0;
  // How this store chains its records (keyed or not).
  virtual const JournalChain& chain() const = 0;

  // The record tables (records.h), read apart from commits; null for a
  // store that keeps none.
  virtual RecordReader* records() { return nullptr; }
  // True when the store opened a journal with records but no record tables
  // (one written before them): RebuildRecords fills them.
  virtual bool records_missing() const { return false; }
  // Projects records already in the journal (with their events) into the
  // record tables, in one transaction: the rebuild's way in.
  virtual absl::Status ProjectJournaled(
      absl::Span<const JournalRecord> records);
  // Empties the record tables, in one transaction, before a rebuild.
  virtual absl::Status ClearRecords();
  // Where customers' private data is kept; nullptr when this store keeps
  // none (no --private-key-file).
  virtual PrivateDataStore* private_data() { return nullptr; }
  // Which halls this node may write, for a store several nodes share; null
  // for one only this process writes (SQLite). Where it is not null, Commit
  // refuses the records of a hall this node has not taken.
  virtual HallOwnership* ownership() { return nullptr; }
  // The table of the nodes that share the store (cluster_store.h); null
  // where one process writes it.
  virtual ClusterStore* cluster() { return nullptr; }
  // After a Commit failed: true when the failure was that the store could not
  // be reached (a lost connection to a database server, which a restart or a
  // promoted standby brings back), so Resume may make it writable again;
  // false when the failure is final (a disk that failed).
  virtual bool CanResume() { return false; }
  // Makes the store writable again after such a failure: UNAVAILABLE while it
  // cannot be reached. Once it is OK, what the failed commit did is unknown
  // (it may have landed): each hall's state must be read back from the store
  // before it writes again.
  virtual absl::Status Resume() {
    return absl::FailedPreconditionError(
        "this store cannot resume writing after a failed write");
  }
};

// A commit's refusal that concerns only `hall_ids` (their ids go in the
// status's payload), and the halls a status names that way (none for any
// other failure).
absl::Status RefuseHalls(absl::Status status,
                         const std::vector<std::string>& hall_ids);
std::vector<std::string> RefusedHalls(const absl::Status& status);

struct StoreOptions {
  // Make a new, empty journal, the operator's one-off act (qcalld
  // --init-store): refused where a journal already is. Without it, a store
  // with no journal refuses to open, so a lost one never silently restarts
  // the numbers.
  bool create = false;
  // The journal's chain is keyed with these bytes (16 to 64; empty:
  // unkeyed), qcalld --journal-key-file.
  std::string chain_key = {};
  // Start although the SQLite write-ahead log is damaged (wal_check.h), the
  // operator's decision after the ERROR it logs: qcalld
  // --accept-journal-damage. Otherwise such a journal refuses to open.
  bool accept_damage = false;
  // Read only, for an audit: nothing is written, created or migrated.
  bool read_only = false;
  // Encrypts customers' private data (qcalld --private-key-file); without
  // it the store keeps none, and refuses to open a journal that still holds
  // phones in plain text (written before they were kept apart).
  std::shared_ptr<const PrivateCipher> private_cipher = nullptr;
  // Who takes halls, as a shared store's owner table names it (qcalld:
  // host and pid); for the operator's eyes only.
  std::string node_name = {};
};

// The store `url` names:
//   sqlite:PATH       the embedded SQLite file at PATH (with `create`, its
//                     folder is made, 0700)
//   postgresql://... or postgres://...
//                     a PostgreSQL database, as libpq reads the URL
// INVALID_ARGUMENT for anything else; UNAVAILABLE when it cannot be opened.
absl::StatusOr<std::unique_ptr<JournalStore>> OpenJournalStore(
    absl::string_view url, const StoreOptions& options = {});

// The store's URL with its password (user:PASSWORD@, ?password=) replaced
// by ***, for messages and logs.
std::string RedactedStoreUrl(absl::string_view url);

}  // namespace qcall

#endif  // QCALL_DISPATCHER_JOURNAL_STORE_H_
