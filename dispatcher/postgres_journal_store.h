// The journal on PostgreSQL, for halls served by several nodes: the tables
// journal (hall_id, idx, ..., chain) and snapshots (hall_id, idx, state,
// chain, checksum) as the SQLite store has them, a one-row store_info that
// marks the database as a qcall journal (qcalld --init-store makes it), and
// hall_owner (hall_id, epoch, owner, taken_at) for HallOwnership.
//
// One connection, whose calls a mutex takes in turn. Commit is one
// transaction for the whole batch (group commit); it chains each record to
// the one before it of its hall (journal_chain.h) and gives each snapshot the
// chain at its index and a checksum, as the SQLite store does. A node takes a
// hall with a session-level advisory lock (pg_try_advisory_lock on a 64-bit
// hash of the hall id, held by this connection) and a new epoch; every
// Commit locks the owner rows of its halls FOR SHARE and checks their epochs
// in the same transaction, so a take by another node (whose UPDATE of the
// epoch waits for the commit, or is seen by it) fences this one.
//
// The record tables (records_sql.h) and customers' private data
// (private_data_sql.h) are kept here as in the SQLite store, the same code
// over this store's connection (postgres_records.cc): written inside each
// Commit's transaction, so a kill -9 never leaves them and the journal
// apart; reports read on a connection of their own. A connection
// found lost at the start of a call (a read, or a commit's BEGIN) is made
// again and its halls locked again, or lost to the node that holds them
// now; the epoch check then tells whether anyone took one meanwhile. One
// lost inside a commit (the primary killed) fails that commit as UNAVAILABLE
// with its outcome unknown, and CanResume says so: GroupCommitJournal then
// calls Resume until a server takes writes again (libpq tries the hosts of
// a multi-host URL in order; target_session_attrs=read-write finds the
// promoted standby), which takes each hall again at a new epoch.
#ifndef QCALL_DISPATCHER_POSTGRES_JOURNAL_STORE_H_
#define QCALL_DISPATCHER_POSTGRES_JOURNAL_STORE_H_

#include <libpq-fe.h>

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "dispatcher/cluster_store.h"
#include "dispatcher/hall_ownership.h"
#include "dispatcher/journal_chain.h"
#include "dispatcher/journal_store.h"
#include "dispatcher/private_data_sql.h"
#include "dispatcher/records_sql.h"
#include "dispatcher/sql_connection.h"

namespace qcall {

class PgParams;  // postgres_journal_store.cc

class PostgresJournalStore : public JournalStore,
                             public HallOwnership,
                             public ClusterStore {
 public:
  // Connects to the database `url` names (a libpq URL; its password never
  // appears in a message: RedactedStoreUrl): UNAVAILABLE when it cannot, or
  // when the server takes no writes (a standby). A database without the journal
  // is FAILED_PRECONDITION naming both cases, a new installation and a lost
  // journal: only `options.create` (qcalld --init-store) makes one, and it
  // refuses with ALREADY_EXISTS where a journal is. `options.read_only`
  // writes nothing (NOT_FOUND without a journal).
  static absl::StatusOr<std::unique_ptr<PostgresJournalStore>> Open(
      const std::string& url, const StoreOptions& options = {});
  ~PostgresJournalStore() override;

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
  HallOwnership* ownership() override { return read_only_ ? nullptr : this; }
  ClusterStore* cluster() override { return read_only_ ? nullptr : this; }
  // True after a commit or a reconnection failed because no server could be
  // reached.
  bool CanResume() override;
  // A session again (when the old one is gone), each hall held taken again
  // at a new epoch (lost when another node took it meanwhile), and the heads
  // read afresh at the next commit. UNAVAILABLE while no server takes writes.
  absl::Status Resume() override;
  // The record tables and private data (postgres_records.cc).
  RecordReader* records() override { return reader_.get(); }
  bool records_missing() const override { return records_missing_; }
  absl::Status ProjectJournaled(
      absl::Span<const JournalRecord> records) override;
  absl::Status ClearRecords() override;
  PrivateDataStore* private_data() override {
    return private_ != nullptr && private_->keeps() ? private_.get() : nullptr;
  }

  // HallOwnership.
  absl::StatusOr<uint64_t> Take(absl::string_view hall_id) override;
  absl::Status Release(absl::string_view hall_id) override;
  uint64_t HeldEpoch(absl::string_view hall_id) override;

  // ClusterStore: the table `nodes` (name, grpc, http, backend_pid,
  // backend_start, heartbeat). A session is told by its pid and start time
  // together (pids are reused).
  absl::Status Heartbeat(const NodeAddress& self) override;
  absl::StatusOr<ClusterView> View() override;
  absl::Status Terminate(const std::string& name,
                         absl::Duration lease) override;

 private:
  using Result = std::unique_ptr<PGresult, decltype(&PQclear)>;
  // A hall's newest record as committed.
  struct Head {
    uint64_t index = 0;
    std::string chain;
  };
  PostgresJournalStore(PGconn* conn, std::string name, JournalChain chain,
                       std::string node_name, bool read_only)
      : conn_(conn),
        name_(std::move(name)),
        chain_(std::move(chain)),
        node_name_(std::move(node_name)),
        read_only_(read_only) {}
  // Runs one statement (`multi`: a list of them, without parameters) and
  // asks for binary results; UNAVAILABLE with the server's message.
  absl::StatusOr<Result> Exec(const char* sql, const PgParams& params,
                              bool multi = false)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Exec of a statement that may run twice (a read, a lock): once more on a
  // new connection when the old one was found lost.
  absl::StatusOr<Result> Read(const char* sql, const PgParams& params)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A new session for a lost one; the halls it held are locked again, or
  // lost when another node holds them.
  absl::Status Reconnect() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Reconnect's second half, on the new session: its settings, and the
  // halls held locked again (or lost to the node that holds them now).
  absl::Status RestoreSession() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<Head> ReadHead(absl::string_view hall_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The chain of the hall's record `index`, empty when there is none.
  absl::StatusOr<std::string> ChainAt(absl::string_view hall_id, uint64_t index)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Inside Commit's transaction, in one query: every hall of the batch is
  // held at the epoch its owner row still has. ABORTED (fenced) naming the
  // others (RefuseHalls) otherwise; the fenced halls are no longer held.
  absl::Status CheckEpochs(const std::vector<std::string>& hall_ids)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Rollback(absl::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Makes the table `nodes` where a journal made before it lacks it.
  absl::Status EnsureNodesTable() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // OK means durable: a commit waits for its WAL flush and a synchronous
  // standby's, whatever the database's default says (off or local: set on
  // for this session, at every connection).
  absl::Status RequireSynchronousCommit() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Inside Commit, after `status` failed it: when the connection is gone,
  // the commit's outcome is unknown (UNAVAILABLE saying so) and the store
  // waits for Resume; otherwise `status`.
  absl::Status LostInCommit(absl::Status status)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Resume: each hall held goes to a new epoch, unless its epoch moved on
  // (another node took it while this one was away): then it is lost.
  absl::Status RetakeHeld() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // postgres_records.cc: the tables made (once, whichever node comes
  // first) and the reader's connection opened, at Open.
  absl::Status OpenRecords(const std::string& url, const StoreOptions& options)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Inside Commit's transaction, before its heads move: each record's
  // private data and the records' events.
  absl::Status WriteRecords(absl::Span<const JournalRecord> records)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Once Commit's transaction ended, committed or not.
  void SettleRecords(bool committed) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  PGconn* const conn_ ABSL_PT_GUARDED_BY(mu_);
  const std::string name_;  // The redacted URL.
  const JournalChain chain_;
  // The owner its takes write: the name given at open, then the name this
  // node heartbeats under (ClusterStore).
  std::string node_name_ ABSL_GUARDED_BY(mu_);
  const bool read_only_;
  // Each hall's newest committed record, read at its first commit.
  absl::flat_hash_map<std::string, Head> heads_ ABSL_GUARDED_BY(mu_);
  // The halls this node holds, by the epoch it took them at.
  absl::flat_hash_map<std::string, uint64_t> held_ ABSL_GUARDED_BY(mu_);
  // No server could be reached at a commit: Resume is due.
  bool lost_ ABSL_GUARDED_BY(mu_) = false;
  // conn_ for the record tables and the private data; all null in a
  // read-only store.
  std::unique_ptr<SqlConnection> sql_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<SqlRecords> projection_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<SqlRecordReader> reader_;
  std::unique_ptr<SqlPrivateData> private_;
  bool records_missing_ = false;
};

}  // namespace qcall

#endif  // QCALL_DISPATCHER_POSTGRES_JOURNAL_STORE_H_
