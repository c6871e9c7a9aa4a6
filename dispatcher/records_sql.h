// The record tables, in the journal's own database (SQLite or PostgreSQL,
// written once over sql_connection.h):
//   rec_tickets        one row per ticket (hall, business day, number)
//   rec_service_days   per (hall, day, service at issue, category), and
//   rec_hours          per (hall, day, local hour of issue): counts, sums
//                      and fixed-bucket histograms of waits and handling
//                      times
//   rec_clerk_days     per (hall, day, clerk, window): served, no-shows, ...,
//                      time open, idle and paused; rec_pauses by reason
//   rec_load           per (hall, day, minute, service): the waiting count
//                      and estimate last seen in the minute ('' = open
//                      windows)
//   rec_windows, rec_halls, rec_services: what the projection carries from
//                      one command to the next (each window's state since
//                      when, each hall's business day, service names)
// SqlRecords projects on the journal's connection, inside Commit's
// transaction (the caller holds the store's lock); SqlRecordReader reads on
// a connection of its own, so a month's report never holds up commits.
//
//   bool created = false;
//   ASSIGN_OR_RETURN(auto records, SqlRecords::Create(sql, &created));
//   RETURN_IF_ERROR(records->Project(batch));  // inside BEGIN ... COMMIT
//   ASSIGN_OR_RETURN(std::unique_ptr<SqlConnection> own,
//                    OpenSqlConnection(url, /*read_only=*/true));
//   SqlRecordReader reader(std::move(own));
#ifndef QCALL_DISPATCHER_RECORDS_SQL_H_
#define QCALL_DISPATCHER_RECORDS_SQL_H_

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <tuple>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "dispatcher/records.h"
#include "dispatcher/sql_connection.h"

namespace qcall {

// Upper bounds, in seconds, of the first 15 of the 16 buckets of the wait
// and handling histograms; the 16th holds everything from 2 hours on. A
// percentile is reported as the upper bound of the bucket it falls in (of
// the 16th: 7200, its lower bound).
inline constexpr std::array<int64_t, 15> kRecordBucketSeconds = {
    30,  60,   120,  180,  240,  300,  420, 600,
    900, 1200, 1800, 2700, 3600, 5400, 7200};

class SqlRecords : public RecordProjection {
 public:
  // Makes the tables on `sql` where they are missing; `*created` says they
  // were (a new database, or a journal written before the records).
  static absl::StatusOr<std::unique_ptr<SqlRecords>> Create(SqlConnection* sql,
                                                            bool* created);

  absl::Status Project(absl::Span<const JournalRecord> records) override;
  void Discard() override;
  // Deletes every row of every record table (inside the caller's
  // transaction).
  absl::Status Clear();
  // Project or Clear in a transaction of their own (a rebuild's way in),
  // the caller holding the store's lock.
  absl::Status ProjectAlone(absl::Span<const JournalRecord> records);
  absl::Status ClearAlone();
  // Forgets what it carries of the hall from one command to the next (its
  // windows, its day): read again from the tables at its next record, as
  // after another node wrote the hall.
  void Forget(const std::string& hall_id) { halls_.erase(hall_id); }

  // Column counts of the aggregates (records_sql.cc names them).
  static constexpr int kServiceColumns = 18 + 2 * 16;
  static constexpr int kClerkColumns = 14 + 16;

 private:
  struct Window {
    int32_t state = 1;  // v1::WindowState; CLOSED.
    std::string clerk;
    std::string reason;
    int64_t since_ms = 0;
    int32_t day = 0;
    bool dirty = false;
  };
  // A ticket's row of rec_tickets.
  struct Ticket {
    int32_t day = 0;
    std::string number;
    std::string service;
    std::string queue_service;
    int32_t category = 0;
    int32_t hour = 0;
    int64_t issued_ms = 0;
    int64_t called_ms = 0;
    int64_t serving_ms = 0;
    int64_t ended_ms = 0;
    int32_t state = 0;
    int32_t window = 0;
    std::string clerk;
    int64_t wait_ms = -1;
    int64_t handling_ms = 0;
    int32_t recalls = 0;
    int32_t transfers = 0;
    int32_t requeues = 0;
    int32_t rating = 0;
  };
  using ServiceKey = std::tuple<std::string, int32_t, std::string, int32_t,
                                int32_t>;  // hall, day, service, category, hour
  using ClerkKey = std::tuple<std::string, int32_t, std::string, int32_t>;
  using PauseKey =
      std::tuple<std::string, int32_t, std::string, int32_t, std::string>;
  using LoadKey = std::tuple<std::string, int32_t, int64_t, std::string>;
  struct Load {
    int64_t waiting = -1;
    int64_t estimated_s = -1;
  };
  struct HallState {
    int32_t day = 0;
    int32_t open_windows = 0;
    bool dirty = false;  // day or open_windows to write.
    // The configuration whose service names were written last.
    std::shared_ptr<const v1::HallConfig> config;
    absl::TimeZone tz;
    absl::flat_hash_map<int32_t, Window> windows;
    bool loaded = false;
  };

  explicit SqlRecords(SqlConnection* sql) : sql_(sql) {}
  absl::StatusOr<HallState*> HallOf(const std::string& hall_id);
  absl::Status ProjectOne(const JournalRecord& record, HallState& hall);
  absl::Status OnConfig(const std::string& hall_id,
                        std::shared_ptr<const v1::HallConfig> config,
                        HallState& hall);
  absl::StatusOr<bool> LoadTicket(const std::string& hall_id, int32_t day,
                                  const std::string& number, Ticket* out);
  // The ticket's row, kept with the batch's others until Flush writes them
  // together (a statement for many rows: one round trip to PostgreSQL).
  void SaveTicket(const std::string& hall_id, const Ticket& t);
  absl::Status FlushTickets();
  absl::Status ExpireBefore(const std::string& hall_id, int32_t day,
                            int64_t at_ms);
  // The one place a rating is projected: Complete's rating today, the
  // TicketRated event once it exists.
  void ProjectRating(const std::string& hall_id, const Ticket& t,
                     int32_t window_day, const std::string& clerk,
                     int32_t window, int32_t rating);
  // Closes the window's running interval at `at_ms` (time open, idle or
  // paused, to its clerk's day) and starts the next in `state`.
  void MoveWindow(const std::string& hall_id, HallState& hall, int32_t window,
                  int32_t state, const std::string* clerk,
                  const std::string& reason, int64_t at_ms);
  absl::Status Flush();

  SqlConnection* const sql_;
  // The SQL of the statements Project runs, made once (records_sql.cc).
  struct Statements;
  static const Statements& statements();
  absl::flat_hash_map<std::string, HallState> halls_;
  // This batch's deltas, written by Flush (hashed: each event finds its
  // row without comparing strings down a tree).
  absl::flat_hash_map<ServiceKey, std::array<int64_t, kServiceColumns>>
      service_;
  absl::flat_hash_map<ClerkKey, std::array<int64_t, kClerkColumns>> clerk_;
  absl::flat_hash_map<PauseKey, int64_t> pauses_;
  absl::flat_hash_map<LoadKey, Load> load_;
  // This batch's ticket rows as they stand, by (hall, day, number).
  using TicketKey = std::tuple<std::string, int32_t, std::string>;
  absl::flat_hash_map<TicketKey, Ticket> tickets_;
};

class SqlRecordReader : public RecordReader {
 public:
  // Reads on `sql`, a connection of its own (OpenSqlConnection).
  explicit SqlRecordReader(std::unique_ptr<SqlConnection> sql)
      : sql_(std::move(sql)) {}

  absl::StatusOr<v1::Report> Report(const ReportQuery& query) override;
  absl::StatusOr<v1::LoadHistory> LoadHistory(const std::string& hall_id,
                                              int32_t day,
                                              absl::Time now) override;

 private:
  absl::Mutex mu_;
  const std::unique_ptr<SqlConnection> sql_ ABSL_PT_GUARDED_BY(mu_);
};

}  // namespace qcall

#endif  // QCALL_DISPATCHER_RECORDS_SQL_H_
