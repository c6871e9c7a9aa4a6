#include "dispatcher/postgres_journal_store.h"

#include <endian.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "engine/status_macros.h"
#include "spdlog/spdlog.h"

namespace qcall {
namespace {

// The seed of the hash that turns a hall id into its advisory lock's key,
// so qcall's locks are unlikely to meet another program's in one database.
constexpr char kLockKey[] = "hashtextextended($1, 7430355)";

// Records per INSERT: 7 parameters each, far below PostgreSQL's 65,535.
constexpr size_t kRecordsPerInsert = 500;

}  // namespace

// The parameters of one statement. Values travel apart from the SQL text,
// never spliced into it: text (NUL-terminated copies) or binary bytes
// (bytea, whatever they hold).
class PgParams {
 public:
  PgParams& Text(absl::string_view text) {
    owned_.emplace_back(text);
    return Add(owned_.back(), 0);
  }
  PgParams& Int(int64_t value) {
    owned_.push_back(std::to_string(value));
    return Add(owned_.back(), 0);
  }
  // `bytes` must outlive the statement.
  PgParams& Bytes(absl::string_view bytes) {
    return Add(bytes.data() == nullptr ? absl::string_view("") : bytes, 1);
  }
  int size() const { return static_cast<int>(values_.size()); }
  const char* const* values() const { return values_.data(); }
  const int* lengths() const { return lengths_.data(); }
  const int* formats() const { return formats_.data(); }

 private:
  PgParams& Add(absl::string_view value, int format) {
    values_.push_back(value.data());
    lengths_.push_back(static_cast<int>(value.size()));
    formats_.push_back(format);
    return *this;
  }
  std::deque<std::string> owned_;  // A deque keeps their addresses.
  std::vector<const char*> values_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
};

namespace {

// Columns of a binary result.
std::string Bytes(const PGresult* r, int row, int column) {
  return std::string(PQgetvalue(r, row, column),
                     static_cast<size_t>(PQgetlength(r, row, column)));
}

int64_t Int64(const PGresult* r, int row, int column) {
  uint64_t big_endian = 0;
  if (PQgetlength(r, row, column) == sizeof(big_endian)) {
    std::memcpy(&big_endian, PQgetvalue(r, row, column), sizeof(big_endian));
  }
  return static_cast<int64_t>(be64toh(big_endian));
}

bool Bool(const PGresult* r, int row, int column) {
  return PQgetlength(r, row, column) == 1 && *PQgetvalue(r, row, column) == 1;
}

// PostgreSQL's NOTICEs (a table that already exists, say) go to the debug
// log, not to stderr.
void LogNotice(void*, const char* message) {
  spdlog::debug("postgresql: {}",
                std::string(absl::StripTrailingAsciiWhitespace(message)));
}

// A PostgreSQL text[] literal of `items`, each quoted.
std::string TextArray(const std::vector<std::string>& items) {
  std::string literal = "{";
  for (const std::string& item : items) {
    if (literal.size() > 1) literal += ',';
    literal += '"';
    for (char ch : item) {
      if (ch == '"' || ch == '\\') literal += '\\';
      literal += ch;
    }
    literal += '"';
  }
  return literal + "}";
}

// The halls of `hall_ids` this node does not hold.
std::vector<std::string> NotHeld(
    const std::vector<std::string>& hall_ids,
    const absl::flat_hash_map<std::string, uint64_t>& held) {
  std::vector<std::string> missing;
  for (const std::string& hall_id : hall_ids) {
    if (!held.contains(hall_id)) missing.push_back(hall_id);
  }
  return missing;
}

absl::Status NoJournalError(const std::string& url, const std::string& name) {
  return absl::FailedPreconditionError(absl::StrCat(
      "no journal in ", name, ". A new installation: run `qcalld --store ",
      RedactedStoreUrl(url),
      " --init-store` once. If the journal was lost: restore the database "
      "from a backup; starting empty restarts today's numbers at 1"));
}

}  // namespace

absl::StatusOr<std::unique_ptr<PostgresJournalStore>>
PostgresJournalStore::Open(const std::string& url,
                           const StoreOptions& options) {
  JournalChain chain;
  if (!options.chain_key.empty()) {
    ASSIGN_OR_RETURN(chain, JournalChain::WithKey(options.chain_key));
  }
  const std::string name = RedactedStoreUrl(url);
  // Listed in pg_stat_activity by its node's name.
  const std::string application =
      absl::StrCat("qcalld", options.node_name.empty() ? "" : " ",
                   options.node_name)
          .substr(0, 63);
  // Defaults the URL may override: a server that vanished with its machine
  // (no reset, no answer) is given up within seconds, not the kernel's
  // minutes, so the next host of a multi-host URL is tried.
  const char* keywords[] = {"connect_timeout",
                            "keepalives_idle",
                            "keepalives_interval",
                            "keepalives_count",
                            "tcp_user_timeout",
                            "application_name",
                            "dbname",
                            nullptr};
  const char* values[] = {
      "5", "10", "3", "3", "15000", application.c_str(), url.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (conn == nullptr) {
    return absl::ResourceExhaustedError("no memory for a connection");
  }
  if (PQstatus(conn) != CONNECTION_OK) {
    const std::string error =
        std::string(absl::StripTrailingAsciiWhitespace(PQerrorMessage(conn)));
    PQfinish(conn);
    return absl::UnavailableError(
        absl::StrCat("cannot connect to ", name, ": ", error));
  }
  PQsetNoticeProcessor(conn, LogNotice, nullptr);
  std::unique_ptr<PostgresJournalStore> store(new PostgresJournalStore(
      conn, name, std::move(chain), options.node_name, options.read_only));
  absl::MutexLock lock(&store->mu_);
  ASSIGN_OR_RETURN(
      Result found,
      store->Exec("SELECT to_regclass('journal') IS NOT NULL", PgParams()));
  const bool has_journal = Bool(found.get(), 0, 0);
  if (options.read_only) {
    if (!has_journal) {
      return absl::NotFoundError(absl::StrCat("no journal in ", name));
    }
    RETURN_IF_ERROR(
        store->Exec("SET default_transaction_read_only = on", PgParams())
            .status());
    return store;
  }
  if (options.create && has_journal) {
    return absl::AlreadyExistsError(absl::StrCat(
        "a journal already exists in ", name,
        "; --init-store only makes a new one where there is none. Start "
        "qcalld without --init-store to serve it"));
  }
  if (!options.create && !has_journal) return NoJournalError(url, name);
  if (options.create) {
    // One statement list, one transaction: all of it or none.
    if (absl::Status made =
            store
                ->Exec("CREATE TABLE journal ("
                       " hall_id text NOT NULL, idx bigint NOT NULL,"
                       " at_ms bigint NOT NULL, request_id bytea NOT NULL,"
                       " command bytea NOT NULL, reply bytea NOT NULL,"
                       " chain bytea NOT NULL, PRIMARY KEY (hall_id, idx));"
                       "CREATE TABLE snapshots ("
                       " hall_id text NOT NULL, idx bigint NOT NULL,"
                       " state bytea NOT NULL, chain bytea NOT NULL,"
                       " checksum bytea NOT NULL, PRIMARY KEY (hall_id, idx));"
                       "CREATE TABLE hall_owner ("
                       " hall_id text PRIMARY KEY, epoch bigint NOT NULL,"
                       " owner text NOT NULL, taken_at timestamptz NOT NULL);"
                       "CREATE TABLE nodes ("
                       " name text PRIMARY KEY, grpc text NOT NULL,"
                       " http text NOT NULL, backend_pid integer NOT NULL,"
                       " backend_start timestamptz NOT NULL,"
                       " heartbeat timestamptz NOT NULL);"
                       "CREATE TABLE store_info ("
                       " created_at timestamptz NOT NULL,"
                       " opened_at timestamptz NOT NULL);"
                       "INSERT INTO store_info VALUES (now(), now())",
                       PgParams(), /*multi=*/true)
                .status();
        !made.ok()) {
      return absl::UnavailableError(absl::StrCat("cannot make the journal in ",
                                                 name, ": ", made.message()));
    }
  }
  // A write now, not a second after "listening": a standby, or a role
  // that may only read, is refused at start-up.
  if (absl::Status written =
          store->Exec("UPDATE store_info SET opened_at = now()", PgParams())
              .status();
      !written.ok()) {
    return absl::UnavailableError(absl::StrCat(
        "journal in ", name, " cannot be written: ", written.message()));
  }
  RETURN_IF_ERROR(store->EnsureNodesTable());
  RETURN_IF_ERROR(store->RequireSynchronousCommit());
  RETURN_IF_ERROR(store->OpenRecords(url, options));
  return store;
}

PostgresJournalStore::~PostgresJournalStore() {
  absl::MutexLock lock(&mu_);
  // Closing the session would release its advisory locks too, but only
  // once the server has seen it go: unlocked first, the halls are free for
  // another node when this returns.
  if (!read_only_ && !held_.empty() && PQstatus(conn_) == CONNECTION_OK) {
    Exec("SELECT pg_advisory_unlock_all()", PgParams()).IgnoreError();
  }
  PQfinish(conn_);
}

absl::StatusOr<PostgresJournalStore::Result> PostgresJournalStore::Exec(
    const char* sql, const PgParams& params, bool multi) {
  PGresult* raw = multi ? PQexec(conn_, sql)
                        : PQexecParams(conn_, sql, params.size(), nullptr,
                                       params.values(), params.lengths(),
                                       params.formats(), /*resultFormat=*/1);
  Result result(raw, &PQclear);
  const ExecStatusType status =
      raw == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(raw);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
  const std::string message(absl::StripTrailingAsciiWhitespace(
      raw != nullptr ? PQresultErrorMessage(raw) : PQerrorMessage(conn_)));
  return absl::UnavailableError(
      absl::StrCat("journal in ", name_, ": ",
                   message.empty() ? "the connection failed" : message));
}

absl::StatusOr<PostgresJournalStore::Result> PostgresJournalStore::Read(
    const char* sql, const PgParams& params) {
  absl::StatusOr<Result> result = Exec(sql, params);
  if (result.ok() || PQstatus(conn_) != CONNECTION_BAD) return result;
  // The connection went while idle (the server restarted): a read can be
  // sent again on a new one.
  RETURN_IF_ERROR(Reconnect());
  return Exec(sql, params);
}

absl::Status PostgresJournalStore::Reconnect() {
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK) {
    lost_ = true;
    return absl::UnavailableError(absl::StrCat(
        "journal in ", name_,
        ": the connection was lost and cannot be made "
        "again: ",
        absl::StripTrailingAsciiWhitespace(PQerrorMessage(conn_))));
  }
  spdlog::warn("journal in {}: the connection was lost; connected again",
               name_);
  // A session made again but not set up (its settings, its halls' locks)
  // is as good as lost: Resume makes it again from the start.
  absl::Status restored = RestoreSession();
  if (!restored.ok()) lost_ = true;
  return restored;
}

absl::Status PostgresJournalStore::RestoreSession() {
  if (read_only_) {
    RETURN_IF_ERROR(
        Exec("SET default_transaction_read_only = on", PgParams()).status());
  } else {
    // A session's settings went with it too.
    RETURN_IF_ERROR(RequireSynchronousCommit());
  }
  // Its advisory locks went with the old session. A hall whose lock
  // another node holds now is lost; one still free is locked again, and
  // Commit's epoch check tells whether someone took and let it go
  // meanwhile.
  for (auto it = held_.begin(); it != held_.end();) {
    ASSIGN_OR_RETURN(
        Result locked,
        Exec(
            absl::StrCat("SELECT pg_try_advisory_lock(", kLockKey, ")").c_str(),
            PgParams().Text(it->first)));
    if (Bool(locked.get(), 0, 0)) {
      ++it;
      continue;
    }
    spdlog::error("hall {}: another node holds it now; this node lost it",
                  it->first);
    heads_.erase(it->first);
    held_.erase(it++);
  }
  return absl::OkStatus();
}

absl::Status PostgresJournalStore::RequireSynchronousCommit() {
  ASSIGN_OR_RETURN(Result sync, Exec("SHOW synchronous_commit", PgParams()));
  const std::string value = Bytes(sync.get(), 0, 0);
  if (value != "off" && value != "local") return absl::OkStatus();
  spdlog::warn(
      "journal in {}: synchronous_commit is {} there; qcalld sets it on for "
      "its own connection, so what it acknowledges is on disk (and on a "
      "synchronous standby's)",
      name_, value);
  return Exec("SET synchronous_commit = on", PgParams()).status();
}

absl::Status PostgresJournalStore::Rollback(absl::Status status) {
  SettleRecords(false);
  if (PQstatus(conn_) == CONNECTION_BAD) return LostInCommit(status);
  Exec("ROLLBACK", PgParams()).IgnoreError();
  return status;
}

absl::Status PostgresJournalStore::LostInCommit(absl::Status status) {
  if (PQstatus(conn_) != CONNECTION_BAD) return status;
  lost_ = true;
  // Whether the commit landed is unknown: every head is read afresh.
  heads_.clear();
  return absl::UnavailableError(absl::StrCat(
      "journal in ", name_, ": the connection was lost during a commit (",
      status.message(),
      "); whether it was written is unknown until a server "
      "takes writes again"));
}

bool PostgresJournalStore::CanResume() {
  absl::MutexLock lock(&mu_);
  return lost_;
}

absl::Status PostgresJournalStore::Resume() {
  absl::MutexLock lock(&mu_);
  if (PQstatus(conn_) != CONNECTION_OK || lost_) RETURN_IF_ERROR(Reconnect());
  heads_.clear();
  RETURN_IF_ERROR(RetakeHeld());
  lost_ = false;
  return absl::OkStatus();
}

absl::Status PostgresJournalStore::RetakeHeld() {
  const std::string owner =
      node_name_.empty() ? std::string("qcalld") : node_name_;
  for (auto it = held_.begin(); it != held_.end();) {
    ASSIGN_OR_RETURN(
        Result taken,
        Exec("UPDATE hall_owner SET epoch = epoch + 1, owner = $3, "
             "taken_at = now() WHERE hall_id = $1 AND epoch = $2 "
             "RETURNING epoch",
             PgParams()
                 .Text(it->first)
                 .Int(static_cast<int64_t>(it->second))
                 .Text(owner)));
    if (PQntuples(taken.get()) == 1) {
      it->second = static_cast<uint64_t>(Int64(taken.get(), 0, 0));
      spdlog::info("hall {}: taken again at epoch {}", it->first, it->second);
      ++it;
      continue;
    }
    spdlog::error(
        "hall {}: another node took it while the store was away; this node "
        "lost it",
        it->first);
    Exec(absl::StrCat("SELECT pg_advisory_unlock(", kLockKey, ")").c_str(),
         PgParams().Text(it->first))
        .IgnoreError();
    held_.erase(it++);
  }
  return absl::OkStatus();
}

absl::Status PostgresJournalStore::CheckEpochs(
    const std::vector<std::string>& hall_ids) {
  // FOR SHARE: a take's UPDATE of a row waits until this transaction ends,
  // and this one reads the epoch a take committed before it. The rows are
  // locked in hall order, as every commit locks them.
  ASSIGN_OR_RETURN(Result rows,
                   Exec("SELECT hall_id, epoch FROM hall_owner WHERE hall_id "
                        "= ANY($1::text[]) ORDER BY hall_id FOR SHARE",
                        PgParams().Text(TextArray(hall_ids))));
  absl::flat_hash_map<std::string, uint64_t> epochs;
  for (int row = 0; row < PQntuples(rows.get()); ++row) {
    epochs[Bytes(rows.get(), row, 0)] =
        static_cast<uint64_t>(Int64(rows.get(), row, 1));
  }
  std::vector<std::string> fenced;
  std::string detail;
  for (const std::string& hall_id : hall_ids) {
    const uint64_t held = held_.at(hall_id);
    const auto it = epochs.find(hall_id);
    const uint64_t now = it == epochs.end() ? 0 : it->second;
    if (now == held) continue;
    absl::StrAppend(&detail, fenced.empty() ? "" : "; ", "hall ", hall_id,
                    " is owned by epoch ", now, ", this node held epoch ",
                    held);
    fenced.push_back(hall_id);
    held_.erase(hall_id);
    heads_.erase(hall_id);
    // The session-level lock outlives this transaction's rollback: held,
    // it would keep the hall from every other node, and a take again here
    // would stack it.
    Exec(absl::StrCat("SELECT pg_advisory_unlock(", kLockKey, ")").c_str(),
         PgParams().Text(hall_id))
        .IgnoreError();
  }
  if (fenced.empty()) return absl::OkStatus();
  return RefuseHalls(
      absl::AbortedError(absl::StrCat("fenced: ", detail,
                                      "; nothing of this commit was written")),
      fenced);
}

absl::Status PostgresJournalStore::Commit(
    absl::Span<const JournalRecord> records,
    absl::Span<const SnapshotRecord> snapshots) {
  absl::MutexLock lock(&mu_);
  if (read_only_) {
    return absl::FailedPreconditionError("this store was opened read only");
  }
  std::vector<std::string> hall_ids;
  {
    absl::flat_hash_set<absl::string_view> seen;
    for (const JournalRecord& r : records) {
      if (seen.insert(r.hall_id).second) hall_ids.push_back(r.hall_id);
    }
    for (const SnapshotRecord& s : snapshots) {
      if (seen.insert(s.hall_id).second) hall_ids.push_back(s.hall_id);
    }
  }
  // Sorted: two commits lock owner rows in one order.
  std::sort(hall_ids.begin(), hall_ids.end());
  if (lost_) {
    // A session made again but not set up (a read found it lost): nothing
    // is written until Resume has made it whole.
    return absl::UnavailableError(absl::StrCat(
        "journal in ", name_,
        ": the connection is being made again: nothing of this commit was "
        "written"));
  }
  if (std::vector<std::string> not_held = NotHeld(hall_ids, held_);
      !not_held.empty()) {
    return RefuseHalls(
        absl::FailedPreconditionError(absl::StrCat(
            "hall ", absl::StrJoin(not_held, ", "),
            " is not held by this node (not taken, or lost to another): "
            "nothing of this commit was written")),
        not_held);
  }
  // BEGIN is where a connection lost while idle shows: nothing was sent,
  // so it is sent again on a new one.
  if (absl::Status begun = Exec("BEGIN", PgParams()).status(); !begun.ok()) {
    if (PQstatus(conn_) != CONNECTION_BAD) return begun;
    RETURN_IF_ERROR(Reconnect());
    if (absl::Status again = Exec("BEGIN", PgParams()).status(); !again.ok()) {
      // Lost again at once (a server still going away): nothing was sent,
      // and the store waits for Resume.
      if (PQstatus(conn_) == CONNECTION_BAD) lost_ = true;
      return again;
    }
    // The halls lost with the old session are not written.
    if (std::vector<std::string> lost = NotHeld(hall_ids, held_);
        !lost.empty()) {
      return Rollback(RefuseHalls(
          absl::FailedPreconditionError(absl::StrCat(
              "hall ", absl::StrJoin(lost, ", "),
              " was lost with the connection to another node: nothing of this "
              "commit was written")),
          lost));
    }
  }
  if (absl::Status fenced = CheckEpochs(hall_ids); !fenced.ok()) {
    return Rollback(fenced);
  }
  // The heads this batch moves, kept apart until it is committed, and the
  // chain of each record it writes (for its snapshots).
  absl::flat_hash_map<std::string, Head> moved;
  absl::flat_hash_map<std::pair<std::string, uint64_t>, std::string> chains;
  for (const std::string& hall_id : hall_ids) {
    if (auto it = heads_.find(hall_id); it != heads_.end()) {
      moved.emplace(hall_id, it->second);
    } else {
      absl::StatusOr<Head> head = ReadHead(hall_id);
      if (!head.ok()) return Rollback(head.status());
      moved.emplace(hall_id, *std::move(head));
    }
  }
  for (size_t first = 0; first < records.size(); first += kRecordsPerInsert) {
    const size_t end = std::min(records.size(), first + kRecordsPerInsert);
    std::string sql =
        "INSERT INTO journal (hall_id, idx, at_ms, request_id, command, "
        "reply, chain) VALUES ";
    PgParams params;
    for (size_t i = first; i < end; ++i) {
      const JournalRecord& r = records[i];
      Head& head = moved[r.hall_id];
      head.chain = chain_.Next(head.chain, r);
      head.index = r.index;
      std::string& kept = chains[{r.hall_id, r.index}];
      kept = head.chain;
      // Placeholders only: the values go as parameters.
      const int n = params.size();
      absl::StrAppend(&sql, i == first ? "" : ",", "($", n + 1, ",$", n + 2,
                      ",$", n + 3, ",$", n + 4, ",$", n + 5, ",$", n + 6, ",$",
                      n + 7, ")");
      params.Text(r.hall_id)
          .Int(static_cast<int64_t>(r.index))
          .Int(r.at_unix_ms)
          .Bytes(r.request_id)
          .Bytes(r.command)
          .Bytes(r.reply)
          .Bytes(kept);
    }
    if (absl::Status appended = Exec(sql.c_str(), params).status();
        !appended.ok()) {
      return Rollback(appended);
    }
  }
  if (absl::Status written = WriteRecords(records); !written.ok()) {
    return Rollback(written);
  }
  for (const SnapshotRecord& given : snapshots) {
    SnapshotRecord s = given;
    if (auto it = chains.find({s.hall_id, s.index}); it != chains.end()) {
      s.chain = it->second;
    } else {
      absl::StatusOr<std::string> chain = ChainAt(s.hall_id, s.index);
      if (!chain.ok()) return Rollback(chain.status());
      s.chain = *std::move(chain);
    }
    s.checksum = chain_.SnapshotChecksum(s);
    if (absl::Status kept =
            Exec("INSERT INTO snapshots (hall_id, idx, state, chain, "
                 "checksum) VALUES ($1, $2, $3, $4, $5)",
                 PgParams()
                     .Text(s.hall_id)
                     .Int(static_cast<int64_t>(s.index))
                     .Bytes(s.state)
                     .Bytes(s.chain)
                     .Bytes(s.checksum))
                .status();
        !kept.ok()) {
      return Rollback(kept);
    }
  }
  absl::StatusOr<Result> committed = Exec("COMMIT", PgParams());
  // A COMMIT of a transaction that failed answers ROLLBACK.
  const bool done =
      committed.ok() && std::string(PQcmdStatus(committed->get())) == "COMMIT";
  SettleRecords(done);
  if (!committed.ok()) return LostInCommit(committed.status());
  if (!done) {
    return absl::UnavailableError(
        absl::StrCat("journal in ", name_, ": the commit was rolled back"));
  }
  for (auto& [hall_id, head] : moved) heads_[hall_id] = std::move(head);
  return absl::OkStatus();
}

absl::StatusOr<PostgresJournalStore::Head> PostgresJournalStore::ReadHead(
    absl::string_view hall_id) {
  ASSIGN_OR_RETURN(Result r,
                   Exec("SELECT idx, chain FROM journal WHERE hall_id = $1 "
                        "ORDER BY idx DESC LIMIT 1",
                        PgParams().Text(hall_id)));
  if (PQntuples(r.get()) == 0) return Head{0, chain_.Genesis(hall_id)};
  return Head{static_cast<uint64_t>(Int64(r.get(), 0, 0)),
              Bytes(r.get(), 0, 1)};
}

absl::StatusOr<std::string> PostgresJournalStore::ChainAt(
    absl::string_view hall_id, uint64_t index) {
  ASSIGN_OR_RETURN(
      Result r,
      Exec("SELECT chain FROM journal WHERE hall_id = $1 AND idx = $2",
           PgParams().Text(hall_id).Int(static_cast<int64_t>(index))));
  return PQntuples(r.get()) == 0 ? std::string() : Bytes(r.get(), 0, 0);
}

absl::StatusOr<std::optional<SnapshotRecord>>
PostgresJournalStore::LatestSnapshot(absl::string_view hall_id) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(Result r, Read("SELECT idx, state, chain, checksum FROM "
                                  "snapshots WHERE hall_id = $1 ORDER BY "
                                  "idx DESC LIMIT 1",
                                  PgParams().Text(hall_id)));
  if (PQntuples(r.get()) == 0) return std::nullopt;
  return SnapshotRecord{
      std::string(hall_id), static_cast<uint64_t>(Int64(r.get(), 0, 0)),
      Bytes(r.get(), 0, 1), Bytes(r.get(), 0, 2), Bytes(r.get(), 0, 3)};
}

absl::StatusOr<uint64_t> PostgresJournalStore::LastIndex(
    absl::string_view hall_id) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(Result r, Read("SELECT COALESCE(MAX(idx), 0) FROM journal "
                                  "WHERE hall_id = $1",
                                  PgParams().Text(hall_id)));
  return static_cast<uint64_t>(Int64(r.get(), 0, 0));
}

absl::StatusOr<std::vector<std::string>> PostgresJournalStore::HallIds() {
  absl::MutexLock lock(&mu_);
  // The journal's halls by walking its primary key from one hall to the
  // next (a skip scan): a lookup per hall, not a read of every record.
  ASSIGN_OR_RETURN(Result r,
                   Read("WITH RECURSIVE h AS ("
                        " SELECT min(hall_id) AS id FROM journal"
                        " UNION ALL SELECT (SELECT min(hall_id) FROM journal"
                        "  WHERE hall_id > h.id) FROM h WHERE h.id IS NOT NULL)"
                        " SELECT id FROM h WHERE id IS NOT NULL"
                        " UNION SELECT DISTINCT hall_id FROM snapshots",
                        PgParams()));
  std::vector<std::string> ids;
  for (int row = 0; row < PQntuples(r.get()); ++row) {
    ids.push_back(Bytes(r.get(), row, 0));
  }
  // By bytes, as the SQLite store orders them, whatever the collation.
  std::sort(ids.begin(), ids.end());
  return ids;
}

absl::Status PostgresJournalStore::ReadJournal(
    absl::string_view hall_id, uint64_t after_index, uint64_t through_index,
    const std::function<absl::Status(const JournalRecord&)>& visit) {
  absl::MutexLock lock(&mu_);
  constexpr int kRowsPerRead = 1000;
  const int64_t through =
      static_cast<int64_t>(std::min<uint64_t>(through_index, INT64_MAX));
  JournalRecord record;
  record.hall_id = std::string(hall_id);
  // In pages, so a whole journal (an audit's read) is never in memory.
  uint64_t after = after_index;
  while (true) {
    ASSIGN_OR_RETURN(
        Result r,
        Read(
            "SELECT idx, at_ms, request_id, command, reply, chain FROM "
            "journal WHERE hall_id = $1 AND idx > $2 AND idx <= $3 ORDER "
            "BY idx LIMIT $4",
            PgParams()
                .Text(hall_id)
                .Int(static_cast<int64_t>(std::min<uint64_t>(after, INT64_MAX)))
                .Int(through)
                .Int(kRowsPerRead)));
    const int rows = PQntuples(r.get());
    for (int row = 0; row < rows; ++row) {
      record.index = static_cast<uint64_t>(Int64(r.get(), row, 0));
      record.at_unix_ms = Int64(r.get(), row, 1);
      record.request_id = Bytes(r.get(), row, 2);
      record.command = Bytes(r.get(), row, 3);
      record.reply = Bytes(r.get(), row, 4);
      record.chain = Bytes(r.get(), row, 5);
      RETURN_IF_ERROR(visit(record));
    }
    if (rows < kRowsPerRead) return absl::OkStatus();
    after = record.index;
  }
}

absl::Status PostgresJournalStore::ReadSnapshots(
    absl::string_view hall_id,
    const std::function<absl::Status(const SnapshotRecord&)>& visit) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(Result r, Read("SELECT idx, state, chain, checksum FROM "
                                  "snapshots WHERE hall_id = $1 ORDER BY idx",
                                  PgParams().Text(hall_id)));
  for (int row = 0; row < PQntuples(r.get()); ++row) {
    RETURN_IF_ERROR(visit({std::string(hall_id),
                           static_cast<uint64_t>(Int64(r.get(), row, 0)),
                           Bytes(r.get(), row, 1), Bytes(r.get(), row, 2),
                           Bytes(r.get(), row, 3)}));
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> PostgresJournalStore::Take(absl::string_view hall_id) {
  absl::MutexLock lock(&mu_);
  if (read_only_) {
    return absl::FailedPreconditionError("this store was opened read only");
  }
  if (auto it = held_.find(hall_id); it != held_.end()) return it->second;
  const std::string lock_sql =
      absl::StrCat("SELECT pg_try_advisory_lock(", kLockKey, ")");
  ASSIGN_OR_RETURN(Result locked,
                   Read(lock_sql.c_str(), PgParams().Text(hall_id)));
  if (!Bool(locked.get(), 0, 0)) {
    ASSIGN_OR_RETURN(Result owner,
                     Exec("SELECT epoch, owner FROM hall_owner WHERE "
                          "hall_id = $1",
                          PgParams().Text(hall_id)));
    return absl::FailedPreconditionError(absl::StrCat(
        "hall ", hall_id, " is held by another node",
        PQntuples(owner.get()) == 1
            ? absl::StrCat(" (", Bytes(owner.get(), 0, 1), ", epoch ",
                           Int64(owner.get(), 0, 0), ")")
            : std::string()));
  }
  // The new epoch, committed before this node writes: from here on a
  // commit of the node that held it before is refused.
  absl::StatusOr<Result> taken = Exec(
      "INSERT INTO hall_owner (hall_id, epoch, owner, taken_at) "
      "VALUES ($1, 1, $2, now()) ON CONFLICT (hall_id) DO UPDATE SET "
      "epoch = hall_owner.epoch + 1, owner = EXCLUDED.owner, "
      "taken_at = EXCLUDED.taken_at RETURNING epoch",
      PgParams().Text(hall_id).Text(node_name_.empty() ? std::string("qcalld")
                                                       : node_name_));
  if (!taken.ok()) {
    Exec(absl::StrCat("SELECT pg_advisory_unlock(", kLockKey, ")").c_str(),
         PgParams().Text(hall_id))
        .IgnoreError();
    return taken.status();
  }
  const uint64_t epoch = static_cast<uint64_t>(Int64(taken->get(), 0, 0));
  held_[hall_id] = epoch;
  // Another node may have written since this one last did.
  heads_.erase(hall_id);
  spdlog::info("hall {}: taken at epoch {}", std::string(hall_id), epoch);
  return epoch;
}

absl::Status PostgresJournalStore::Release(absl::string_view hall_id) {
  absl::MutexLock lock(&mu_);
  auto it = held_.find(hall_id);
  if (it == held_.end()) return absl::OkStatus();
  held_.erase(it);
  heads_.erase(hall_id);
  return Exec(absl::StrCat("SELECT pg_advisory_unlock(", kLockKey, ")").c_str(),
              PgParams().Text(hall_id))
      .status();
}

uint64_t PostgresJournalStore::HeldEpoch(absl::string_view hall_id) {
  absl::MutexLock lock(&mu_);
  auto it = held_.find(hall_id);
  return it == held_.end() ? 0 : it->second;
}

// ---------------------------------------------------------------------------
// ClusterStore: the nodes that share this store (cluster_store.h).

absl::Status PostgresJournalStore::EnsureNodesTable() {
  // A journal made before the table: the first node to start makes it,
  // under a transaction lock so that nodes starting together do not race.
  ASSIGN_OR_RETURN(Result found,
                   Exec("SELECT to_regclass('nodes') IS NOT NULL", PgParams()));
  if (Bool(found.get(), 0, 0)) return absl::OkStatus();
  return Exec(
             "BEGIN; SELECT pg_advisory_xact_lock(7430356);"
             "CREATE TABLE IF NOT EXISTS nodes ("
             " name text PRIMARY KEY, grpc text NOT NULL,"
             " http text NOT NULL, backend_pid integer NOT NULL,"
             " backend_start timestamptz NOT NULL,"
             " heartbeat timestamptz NOT NULL); COMMIT",
             PgParams(), /*multi=*/true)
      .status();
}

absl::Status PostgresJournalStore::Heartbeat(const NodeAddress& self) {
  absl::MutexLock lock(&mu_);
  if (read_only_) {
    return absl::FailedPreconditionError("this store was opened read only");
  }
  node_name_ = self.node;
  // The session is this connection's as it is now: after a reconnect, the
  // new one is the one whose locks count.
  return Read(
             "INSERT INTO nodes (name, grpc, http, backend_pid, "
             "backend_start, heartbeat) SELECT $1, $2, $3, pid, "
             "backend_start, clock_timestamp() FROM pg_stat_activity WHERE "
             "pid = pg_backend_pid() ON CONFLICT (name) DO UPDATE SET "
             "grpc = EXCLUDED.grpc, http = EXCLUDED.http, backend_pid = "
             "EXCLUDED.backend_pid, backend_start = EXCLUDED.backend_start, "
             "heartbeat = EXCLUDED.heartbeat",
             PgParams().Text(self.node).Text(self.grpc).Text(self.http))
      .status();
}

absl::StatusOr<ClusterView> PostgresJournalStore::View() {
  ClusterView view;
  {
    absl::MutexLock lock(&mu_);
    ASSIGN_OR_RETURN(
        Result nodes,
        Read("SELECT name, grpc, http, (extract(epoch FROM heartbeat) * "
             "1000)::bigint, EXISTS (SELECT 1 FROM pg_stat_activity a WHERE "
             "a.pid = n.backend_pid AND a.backend_start = n.backend_start), "
             "(extract(epoch FROM clock_timestamp()) * 1000)::bigint FROM "
             "nodes n",
             PgParams()));
    for (int row = 0; row < PQntuples(nodes.get()); ++row) {
      view.nodes.push_back(
          {{Bytes(nodes.get(), row, 0), Bytes(nodes.get(), row, 1),
            Bytes(nodes.get(), row, 2)},
           absl::FromUnixMillis(Int64(nodes.get(), row, 3)),
           Bool(nodes.get(), row, 4)});
      view.now = absl::FromUnixMillis(Int64(nodes.get(), row, 5));
    }
    ASSIGN_OR_RETURN(Result owners,
                     Read("SELECT hall_id, owner FROM hall_owner", PgParams()));
    for (int row = 0; row < PQntuples(owners.get()); ++row) {
      view.owners[Bytes(owners.get(), row, 0)] = Bytes(owners.get(), row, 1);
    }
  }
  ASSIGN_OR_RETURN(const std::vector<std::string> halls, HallIds());
  view.halls.insert(halls.begin(), halls.end());
  return view;
}

absl::Status PostgresJournalStore::Terminate(const std::string& name,
                                             absl::Duration lease) {
  absl::MutexLock lock(&mu_);
  // The stale heartbeat is checked again here, at the database's clock: a
  // node that came back since it was read keeps its session. The call waits
  // (up to a second, PostgreSQL 14 on) until the session is gone, so its
  // halls can be taken at once.
  ASSIGN_OR_RETURN(
      Result ended,
      Read("SELECT pg_terminate_backend(a.pid, 1000) FROM nodes n JOIN "
           "pg_stat_activity a ON a.pid = n.backend_pid AND a.backend_start "
           "= n.backend_start WHERE n.name = $1 AND n.heartbeat < "
           "clock_timestamp() - $2::bigint * interval '1 millisecond'",
           PgParams().Text(name).Int(absl::ToInt64Milliseconds(lease))));
  if (PQntuples(ended.get()) > 0) {
    spdlog::warn(
        "node {}: no heartbeat for {}; its store session was ended, so its "
        "halls can be taken and its writes are refused",
        name, absl::FormatDuration(lease));
  }
  return absl::OkStatus();
}

}  // namespace qcall
