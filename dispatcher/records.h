// Records: the SQL tables a hall is judged by (tickets, per-hour aggregates,
// each clerk's day, load samples), a projection of the journal's durable
// events. The events of a command travel with its JournalRecord (`events`, not
// stored in the journal); the store's Commit hands the batch to its
// RecordProjection inside the same transaction, so the records are exactly as
// durable as the journal and never ahead of it. RecordReader answers reports
// and the load history from those tables. Both are interfaces, implemented
// once for both stores over SqlConnection (records_sql.h).
//
//   // In HallRuntime::ApplyNow:
//   record.events = std::make_shared<RecordEvents>(
//       RecordEvents{{events.begin(), events.end()}, config});
//   // In the store's Commit, inside its transaction:
//   RETURN_IF_ERROR(projection->Project(records));
//   // Reading:
//   ASSIGN_OR_RETURN(v1::Report report, reader->Report(query));
#ifndef QCALL_DISPATCHER_RECORDS_H_
#define QCALL_DISPATCHER_RECORDS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "dispatcher/journal_store.h"
#include "qcall/v1/api.pb.h"
#include "qcall/v1/engine.pb.h"

namespace qcall {

// What one journaled command produced, for the projection.
struct RecordEvents {
  std::vector<v1::HallEvent> events;
  // The hall's configuration once the command ran (targets, time zone).
  std::shared_ptr<const v1::HallConfig> config;
};

class RecordProjection {
 public:
  virtual ~RecordProjection() = default;
  // Projects the events of `records` (those that carry them), in order.
  // Called inside the transaction that writes the records; an error rolls
  // it back.
  virtual absl::Status Project(absl::Span<const JournalRecord> records) = 0;
  // The transaction was rolled back: forget what Project cached of it.
  virtual void Discard() = 0;
};

// A report's days and halls, checked (ReportQuery::From).
struct ReportQuery {
  v1::ReportKind kind = v1::REPORT_KIND_UNSPECIFIED;
  int32_t first_day = 0;  // YYYYMMDD, inclusive.
  int32_t last_day = 0;
  std::vector<std::string> hall_ids;  // Filled in by the caller.
  // When set, each window's interval still running (open, idle or paused
  // since its last change) counts up to this time, for the days it began
  // in; otherwise only intervals that ended count.
  absl::Time now = absl::InfinitePast();

  // The days of `request`: INVALID_ARGUMENT naming what is wrong (a period
  // 4, February 30th, a month 13) with what is allowed.
  static absl::StatusOr<ReportQuery> From(const v1::ReportRequest& request);
};

class RecordReader {
 public:
  virtual ~RecordReader() = default;
  virtual absl::StatusOr<v1::Report> Report(const ReportQuery& query) = 0;
  // The hall's load a minute apart through business day `day`, from its
  // first record of the day to `now`.
  virtual absl::StatusOr<v1::LoadHistory> LoadHistory(
      const std::string& hall_id, int32_t day, absl::Time now) = 0;
};

}  // namespace qcall

#endif  // QCALL_DISPATCHER_RECORDS_H_
