#include "dispatcher/records_sql.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/business_calendar.h"
#include "engine/status_macros.h"

namespace qcall {
namespace {

// rec_service_days' and rec_hours' sums, in this order (then w0..w15,
// h0..h15).
constexpr const char* kServiceNames[] = {
    "issued",     "called",          "completed",
    "no_shows",   "cancelled",       "voided",
    "expired",    "transfers",       "recalls",
    "wait_n",     "wait_sum_ms",     "wait_in_target",
    "handling_n", "handling_sum_ms", "sla_met",
    "rated",      "satisfied",       "bad"};
enum ServiceColumn {
  kIssued,
  kCalled,
  kCompleted,
  kNoShows,
  kCancelled,
  kVoided,
  kExpired,
  kTransfers,
  kRecalls,
  kWaitN,
  kWaitSumMs,
  kWaitInTarget,
  kHandlingN,
  kHandlingSumMs,
  kSlaMet,
  kRated,
  kSatisfied,
  kBad,
  kWaitBucket0,
  kHandlingBucket0 = kWaitBucket0 + 16
};
// rec_clerk_days' sums, in this order (then h0..h15).
// waits_n / waits_in_target: the tickets the clerk called first, and of
// those the ones whose wait was within their service's target.
constexpr const char* kClerkNames[] = {
    "served",          "no_shows", "transfers", "recalls",        "handling_n",
    "handling_sum_ms", "open_ms",  "idle_ms",   "paused_ms",      "rated",
    "satisfied",       "bad",      "waits_n",   "waits_in_target"};
enum ClerkColumn {
  kCServed,
  kCNoShows,
  kCTransfers,
  kCRecalls,
  kCHandlingN,
  kCHandlingSumMs,
  kCOpenMs,
  kCIdleMs,
  kCPausedMs,
  kCRated,
  kCSatisfied,
  kCBad,
  kCWaitsN,
  kCWaitsInTarget,
  kCHandlingBucket0
};

std::vector<std::string> ServiceColumns() {
  std::vector<std::string> columns(std::begin(kServiceNames),
                                   std::end(kServiceNames));
  for (int i = 0; i < 16; ++i) columns.push_back(absl::StrCat("w", i));
  for (int i = 0; i < 16; ++i) columns.push_back(absl::StrCat("h", i));
  return columns;
}

std::vector<std::string> ClerkColumns() {
  std::vector<std::string> columns(std::begin(kClerkNames),
                                   std::end(kClerkNames));
  for (int i = 0; i < 16; ++i) columns.push_back(absl::StrCat("h", i));
  return columns;
}

int Bucket(int64_t ms) {
  for (size_t i = 0; i < kRecordBucketSeconds.size(); ++i) {
    if (ms <= kRecordBucketSeconds[i] * 1000) return static_cast<int>(i);
  }
  return static_cast<int>(kRecordBucketSeconds.size());
}

const v1::ServiceConfig* ServiceOf(const v1::HallConfig& config,
                                   absl::string_view code) {
  for (const v1::ServiceConfig& s : config.services()) {
    if (s.code() == code) return &s;
  }
  return nullptr;
}

constexpr const char* kSchema[] = {
    "CREATE TABLE IF NOT EXISTS rec_tickets ("
    " hall_id TEXT NOT NULL, day INTEGER NOT NULL, number TEXT NOT NULL,"
    " service TEXT NOT NULL, queue_service TEXT NOT NULL,"
    " category INTEGER NOT NULL, hour INTEGER NOT NULL,"
    " issued_ms INTEGER NOT NULL, called_ms INTEGER NOT NULL,"
    " serving_ms INTEGER NOT NULL, ended_ms INTEGER NOT NULL,"
    " state INTEGER NOT NULL, \"window\" INTEGER NOT NULL, clerk TEXT NOT NULL,"
    " wait_ms INTEGER NOT NULL, handling_ms INTEGER NOT NULL,"
    " recalls INTEGER NOT NULL, transfers INTEGER NOT NULL,"
    " requeues INTEGER NOT NULL, rating INTEGER NOT NULL,"
    " PRIMARY KEY (hall_id, day, number)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS rec_windows ("
    " hall_id TEXT NOT NULL, \"window\" INTEGER NOT NULL, state INTEGER NOT "
    "NULL,"
    " clerk TEXT NOT NULL, reason TEXT NOT NULL, since_ms INTEGER NOT NULL,"
    " day INTEGER NOT NULL, PRIMARY KEY (hall_id, \"window\")) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS rec_halls ("
    " hall_id TEXT NOT NULL PRIMARY KEY, day INTEGER NOT NULL,"
    " open_windows INTEGER NOT NULL) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS rec_services ("
    " hall_id TEXT NOT NULL, code TEXT NOT NULL, name TEXT NOT NULL,"
    " position INTEGER NOT NULL, PRIMARY KEY (hall_id, code)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS rec_pauses ("
    " hall_id TEXT NOT NULL, day INTEGER NOT NULL, clerk TEXT NOT NULL,"
    " \"window\" INTEGER NOT NULL, reason TEXT NOT NULL,"
    " paused_ms INTEGER NOT NULL,"
    " PRIMARY KEY (hall_id, day, clerk, \"window\", reason)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS rec_load ("
    " hall_id TEXT NOT NULL, day INTEGER NOT NULL, minute_ms INTEGER NOT NULL,"
    " service TEXT NOT NULL, waiting INTEGER NOT NULL,"
    " estimated_s INTEGER NOT NULL,"
    " PRIMARY KEY (hall_id, day, minute_ms, service)) WITHOUT ROWID",
    // A complaint case as it stands; category and hour are its ticket's.
    "CREATE TABLE IF NOT EXISTS rec_complaints ("
    " hall_id TEXT NOT NULL, day INTEGER NOT NULL, number TEXT NOT NULL,"
    " service TEXT NOT NULL, category INTEGER NOT NULL, hour INTEGER NOT NULL,"
    " clerk TEXT NOT NULL, \"window\" INTEGER NOT NULL, state INTEGER NOT NULL,"
    " opened_ms INTEGER NOT NULL, due_ms INTEGER NOT NULL,"
    " called_back_ms INTEGER NOT NULL, resolved_ms INTEGER NOT NULL,"
    " PRIMARY KEY (hall_id, day, number)) WITHOUT ROWID",
    // A follow-up item as it stands; day is its rated ticket's.
    "CREATE TABLE IF NOT EXISTS rec_follow_ups ("
    " hall_id TEXT NOT NULL, id INTEGER NOT NULL, day INTEGER NOT NULL,"
    " number TEXT NOT NULL, service TEXT NOT NULL, clerk TEXT NOT NULL,"
    " \"window\" INTEGER NOT NULL, level INTEGER NOT NULL,"
    " opened_ms INTEGER NOT NULL, closed_ms INTEGER NOT NULL,"
    " PRIMARY KEY (hall_id, id)) WITHOUT ROWID",
};

const char* const kTables[] = {
    "rec_tickets",    "rec_windows",    "rec_halls",        "rec_services",
    "rec_pauses",     "rec_load",       "rec_service_days", "rec_hours",
    "rec_clerk_days", "rec_complaints", "rec_follow_ups"};

std::string AggregateSchema(const char* table, const char* key,
                            const std::vector<std::string>& columns) {
  std::string sql =
      absl::StrCat("CREATE TABLE IF NOT EXISTS ", table, " (", key);
  for (const std::string& c : columns) {
    absl::StrAppend(&sql, ", ", c, " INTEGER NOT NULL");
  }
  return sql;
}

}  // namespace

// The SQL of the statements Project runs.
struct SqlRecords::Statements {
  // insert_tickets[n - 1] writes n rows.
  std::vector<std::string> insert_tickets;
  std::string load_ticket;
  std::string load_windows;
  std::string save_window;
  std::string load_hall;
  std::string save_hall;
  std::string save_service;
  std::string add_pause;
  std::string set_load;
  std::string save_complaint;
  std::string save_follow_up;
  std::string expiring;
  std::string expire;
  std::string add_service;
  std::string add_hour;
  std::string add_clerk;
};

namespace {

// INSERT of a whole row, or, where its key is, the row's other columns
// `set` (by default, replaced with the new row's).
std::string Upsert(
    const char* table, const std::vector<std::string>& keys,
    const std::vector<std::string>& others,
    const std::function<std::string(const std::string&)>& set = nullptr,
    size_t rows = 1) {
  std::string sql = absl::StrCat("INSERT INTO ", table, " VALUES ");
  for (size_t row = 0; row < rows; ++row) {
    absl::StrAppend(&sql, row ? ", (?" : "(?");
    for (size_t i = 1; i < keys.size() + others.size(); ++i) {
      absl::StrAppend(&sql, ", ?");
    }
    absl::StrAppend(&sql, ")");
  }
  absl::StrAppend(&sql, " ON CONFLICT (", absl::StrJoin(keys, ", "),
                  ") DO UPDATE SET ");
  for (size_t i = 0; i < others.size(); ++i) {
    absl::StrAppend(&sql, i ? ", " : "", others[i], " = ",
                    set ? set(others[i]) : "excluded." + others[i]);
  }
  return sql;
}

// Upserts of 1 to `most` rows (of distinct keys) at once.
std::vector<std::string> Upserts(size_t most, const char* table,
                                 const std::vector<std::string>& keys,
                                 const std::vector<std::string>& others) {
  std::vector<std::string> all;
  for (size_t rows = 1; rows <= most; ++rows) {
    all.push_back(Upsert(table, keys, others, nullptr, rows));
  }
  return all;
}

// Each column `c` of an aggregate's `table` adds the new row's to it.
std::function<std::string(const std::string&)> Adds(const char* table) {
  return [table](const std::string& c) {
    return absl::StrCat(table, ".", c, " + excluded.", c);
  };
}

}  // namespace

const SqlRecords::Statements& SqlRecords::statements() {
  static const Statements* const kStatements = [] {
    auto* s = new Statements;
    s->insert_tickets =
        Upserts(64, "rec_tickets", {"hall_id", "day", "number"},
                {"service", "queue_service", "category", "hour", "issued_ms",
                 "called_ms", "serving_ms", "ended_ms", "state", "\"window\"",
                 "clerk", "wait_ms", "handling_ms", "recalls", "transfers",
                 "requeues", "rating"});
    s->load_ticket =
        "SELECT service, queue_service, category, hour, issued_ms, called_ms, "
        "serving_ms, ended_ms, state, \"window\", clerk, wait_ms, handling_ms, "
        "recalls, transfers, requeues, rating FROM rec_tickets WHERE hall_id = "
        "? AND day = ? AND number = ?";
    s->load_windows =
        "SELECT \"window\", state, clerk, reason, since_ms, day FROM "
        "rec_windows WHERE hall_id = ?";
    s->save_window = Upsert("rec_windows", {"hall_id", "\"window\""},
                            {"state", "clerk", "reason", "since_ms", "day"});
    s->load_hall = "SELECT day, open_windows FROM rec_halls WHERE hall_id = ?";
    s->save_hall = Upsert("rec_halls", {"hall_id"}, {"day", "open_windows"});
    s->save_service =
        Upsert("rec_services", {"hall_id", "code"}, {"name", "position"});
    s->add_pause = Upsert("rec_pauses",
                          {"hall_id", "day", "clerk", "\"window\"", "reason"},
                          {"paused_ms"}, Adds("rec_pauses"));
    s->set_load = Upsert("rec_load", {"hall_id", "day", "minute_ms", "service"},
                         {"waiting", "estimated_s"}, [](const std::string& c) {
                           return absl::StrCat("CASE WHEN excluded.", c,
                                               " >= 0 THEN excluded.", c,
                                               " ELSE rec_load.", c, " END");
                         });
    s->save_complaint =
        Upsert("rec_complaints", {"hall_id", "day", "number"},
               {"service", "category", "hour", "clerk", "\"window\"", "state",
                "opened_ms", "due_ms", "called_back_ms", "resolved_ms"});
    s->save_follow_up =
        Upsert("rec_follow_ups", {"hall_id", "id"},
               {"day", "number", "service", "clerk", "\"window\"", "level",
                "opened_ms", "closed_ms"});
    s->expiring =
        "SELECT day, service, category, hour, COUNT(*) FROM rec_tickets WHERE "
        "hall_id = ? AND day < ? AND state = 1 GROUP BY day, service, "
        "category, hour";
    s->expire =
        "UPDATE rec_tickets SET state = 8, ended_ms = ? WHERE hall_id = ? AND "
        "day < ? AND state = 1";
    s->add_service =
        Upsert("rec_service_days", {"hall_id", "day", "service", "category"},
               ServiceColumns(), Adds("rec_service_days"));
    s->add_hour = Upsert("rec_hours", {"hall_id", "day", "hour"},
                         ServiceColumns(), Adds("rec_hours"));
    s->add_clerk =
        Upsert("rec_clerk_days", {"hall_id", "day", "clerk", "\"window\""},
               ClerkColumns(), Adds("rec_clerk_days"));
    return s;
  }();
  return *kStatements;
}

absl::StatusOr<std::unique_ptr<SqlRecords>> SqlRecords::Create(
    SqlConnection* sql, bool* created) {
  std::unique_ptr<SqlRecords> records(new SqlRecords(sql));
  // The newest table: a database without it has records from before it (or
  // none), so all are rebuilt. The newest column: clerks' days from before
  // it lack their calls' waits, so that table is made anew and all records
  // are rebuilt.
  ASSIGN_OR_RETURN(const bool table, sql->HasTable("rec_follow_ups"));
  ASSIGN_OR_RETURN(const bool column,
                   sql->HasColumn("rec_clerk_days", "waits_in_target"));
  *created = !table || !column;
  if (table && !column) {
    RETURN_IF_ERROR(sql->Exec("DROP TABLE IF EXISTS rec_clerk_days"));
  }
  std::vector<std::string> schema(std::begin(kSchema), std::end(kSchema));
  // The same sums two ways, so that a report reads few rows: by service and
  // category, and by local hour of issue.
  schema.push_back(absl::StrCat(
      AggregateSchema("rec_service_days",
                      "hall_id TEXT NOT NULL, day INTEGER NOT NULL, service "
                      "TEXT NOT NULL, category INTEGER NOT NULL",
                      ServiceColumns()),
      ", PRIMARY KEY (hall_id, day, service, category)) WITHOUT ROWID"));
  schema.push_back(absl::StrCat(
      AggregateSchema("rec_hours",
                      "hall_id TEXT NOT NULL, day INTEGER NOT NULL, hour "
                      "INTEGER NOT NULL",
                      ServiceColumns()),
      ", PRIMARY KEY (hall_id, day, hour)) WITHOUT ROWID"));
  schema.push_back(absl::StrCat(
      AggregateSchema("rec_clerk_days",
                      "hall_id TEXT NOT NULL, day INTEGER NOT NULL, clerk "
                      "TEXT NOT NULL, \"window\" INTEGER NOT NULL",
                      ClerkColumns()),
      ", PRIMARY KEY (hall_id, day, clerk, \"window\")) WITHOUT ROWID"));
  for (const std::string& ddl : schema) {
    RETURN_IF_ERROR(sql->Exec(sql->Schema(ddl)));
  }
  return records;
}

absl::Status SqlRecords::Clear() {
  for (const char* table : kTables) {
    RETURN_IF_ERROR(sql_->Exec(absl::StrCat("DELETE FROM ", table)));
  }
  Discard();
  return absl::OkStatus();
}

absl::Status SqlRecords::ProjectAlone(absl::Span<const JournalRecord> records) {
  RETURN_IF_ERROR(sql_->Begin());
  absl::Status status = Project(records);
  if (status.ok()) status = sql_->Commit();
  if (!status.ok()) {
    Discard();
    sql_->Rollback();
  }
  return status;
}

absl::Status SqlRecords::ClearAlone() {
  RETURN_IF_ERROR(sql_->Begin());
  absl::Status status = Clear();
  if (status.ok()) status = sql_->Commit();
  if (!status.ok()) {
    Discard();
    sql_->Rollback();
  }
  return status;
}

void SqlRecords::Discard() {
  halls_.clear();
  tickets_.clear();
  service_.clear();
  clerk_.clear();
  pauses_.clear();
  load_.clear();
}

absl::StatusOr<SqlRecords::HallState*> SqlRecords::HallOf(
    const std::string& hall_id) {
  HallState& hall = halls_[hall_id];
  if (hall.loaded) return &hall;
  RETURN_IF_ERROR(
      sql_->Run(statements().load_hall, {hall_id}, [&](const SqlRow& row) {
        hall.day = static_cast<int32_t>(row.Int(0));
        hall.open_windows = static_cast<int32_t>(row.Int(1));
      }));
  RETURN_IF_ERROR(
      sql_->Run(statements().load_windows, {hall_id}, [&](const SqlRow& row) {
        Window& w = hall.windows[static_cast<int32_t>(row.Int(0))];
        w.state = static_cast<int32_t>(row.Int(1));
        w.clerk = row.Text(2);
        w.reason = row.Text(3);
        w.since_ms = row.Int(4);
        w.day = static_cast<int32_t>(row.Int(5));
      }));
  hall.loaded = true;
  return &hall;
}

absl::StatusOr<bool> SqlRecords::LoadTicket(const std::string& hall_id,
                                            int32_t day,
                                            const std::string& number,
                                            Ticket* t) {
  if (auto it = tickets_.find(TicketKey{hall_id, day, number});
      it != tickets_.end()) {
    *t = it->second;
    return true;
  }
  bool found = false;
  RETURN_IF_ERROR(sql_->Run(
      statements().load_ticket, {hall_id, day, number}, [&](const SqlRow& row) {
        found = true;
        auto int32 = [&](int i) { return static_cast<int32_t>(row.Int(i)); };
        t->day = day;
        t->number = number;
        t->service = row.Text(0);
        t->queue_service = row.Text(1);
        t->category = int32(2);
        t->hour = int32(3);
        t->issued_ms = row.Int(4);
        t->called_ms = row.Int(5);
        t->serving_ms = row.Int(6);
        t->ended_ms = row.Int(7);
        t->state = int32(8);
        t->window = int32(9);
        t->clerk = row.Text(10);
        t->wait_ms = row.Int(11);
        t->handling_ms = row.Int(12);
        t->recalls = int32(13);
        t->transfers = int32(14);
        t->requeues = int32(15);
        t->rating = int32(16);
      }));
  return found;
}

void SqlRecords::SaveTicket(const std::string& hall_id, const Ticket& t) {
  tickets_.insert_or_assign(TicketKey{hall_id, t.day, t.number}, t);
}

absl::Status SqlRecords::FlushTickets() {
  // Up to kRows a statement: 20 parameters a row.
  constexpr size_t kRows = 64;
  std::vector<SqlArg> args;
  std::vector<const std::pair<const TicketKey, Ticket>*> rows;
  rows.reserve(tickets_.size());
  for (const auto& row : tickets_) rows.push_back(&row);
  for (size_t first = 0; first < rows.size(); first += kRows) {
    const size_t n = std::min(kRows, rows.size() - first);
    args.clear();
    for (size_t i = first; i < first + n; ++i) {
      const std::string& hall_id = std::get<0>(rows[i]->first);
      const Ticket& t = rows[i]->second;
      args.insert(
          args.end(),
          {hall_id,       t.day,     t.number,    t.service,   t.queue_service,
           t.category,    t.hour,    t.issued_ms, t.called_ms, t.serving_ms,
           t.ended_ms,    t.state,   t.window,    t.clerk,     t.wait_ms,
           t.handling_ms, t.recalls, t.transfers, t.requeues,  t.rating});
    }
    RETURN_IF_ERROR(sql_->Run(statements().insert_tickets[n - 1], args));
  }
  tickets_.clear();
  return absl::OkStatus();
}

absl::Status SqlRecords::ExpireBefore(const std::string& hall_id, int32_t day,
                                      int64_t at_ms) {
  RETURN_IF_ERROR(FlushTickets());  // The query below reads them.
  RETURN_IF_ERROR(
      sql_->Run(statements().expiring, {hall_id, day}, [&](const SqlRow& row) {
        service_[{hall_id, static_cast<int32_t>(row.Int(0)), row.Text(1),
                  static_cast<int32_t>(row.Int(2)),
                  static_cast<int32_t>(row.Int(3))}][kExpired] += row.Int(4);
      }));
  return sql_->Run(statements().expire, {at_ms, hall_id, day});
}

void SqlRecords::ProjectRating(const std::string& hall_id, const Ticket& t,
                               int32_t window_day, const std::string& clerk,
                               int32_t window, int32_t rating) {
  if (rating < 1 || rating > 5) return;
  auto& service = service_[{hall_id, t.day, t.service, t.category, t.hour}];
  auto& person = clerk_[{hall_id, window_day, clerk, window}];
  ++service[kRated];
  ++person[kCRated];
  if (rating >= 4) {
    ++service[kSatisfied];
    ++person[kCSatisfied];
  }
  if (rating <= 2) {
    ++service[kBad];
    ++person[kCBad];
  }
}

void SqlRecords::MoveWindow(const std::string& hall_id, HallState& hall,
                            int32_t number, int32_t state,
                            const std::string* clerk, const std::string& reason,
                            int64_t at_ms) {
  Window& w = hall.windows[number];
  if (w.state != v1::WINDOW_STATE_CLOSED &&
      w.state != v1::WINDOW_STATE_UNSPECIFIED && at_ms > w.since_ms &&
      w.since_ms > 0) {
    const int64_t ms = at_ms - w.since_ms;
    auto& person = clerk_[{hall_id, w.day, w.clerk, number}];
    if (w.state == v1::WINDOW_STATE_PAUSED) {
      person[kCPausedMs] += ms;
      pauses_[{hall_id, w.day, w.clerk, number, w.reason}] += ms;
    } else {
      person[kCOpenMs] += ms;
      if (w.state == v1::WINDOW_STATE_IDLE) person[kCIdleMs] += ms;
    }
  }
  w.state = state;
  if (clerk != nullptr) w.clerk = *clerk;
  w.reason = reason;
  w.since_ms = at_ms;
  w.day = hall.day;
  w.dirty = true;
}

absl::Status SqlRecords::OnConfig(const std::string& hall_id,
                                  std::shared_ptr<const v1::HallConfig> config,
                                  HallState& hall) {
  if (hall.config == nullptr ||
      hall.config->time_zone() != config->time_zone()) {
    absl::LoadTimeZone(config->time_zone(), &hall.tz);
  }
  hall.config = std::move(config);
  int32_t position = 0;
  for (const v1::ServiceConfig& service : hall.config->services()) {
    RETURN_IF_ERROR(
        sql_->Run(statements().save_service,
                  {hall_id, service.code(), service.name(), position++}));
  }
  return absl::OkStatus();
}

absl::Status SqlRecords::Project(absl::Span<const JournalRecord> records) {
  for (const JournalRecord& record : records) {
    if (record.events == nullptr) continue;
    ASSIGN_OR_RETURN(HallState * hall, HallOf(record.hall_id));
    RETURN_IF_ERROR(ProjectOne(record, *hall));
  }
  return Flush();
}

absl::Status SqlRecords::ProjectOne(const JournalRecord& record,
                                    HallState& hall) {
  const std::string& hall_id = record.hall_id;
  const v1::HallConfig& config = *record.events->config;
  // A new configuration: the runtime passes the same one until the hall is
  // configured again.
  if (hall.config != record.events->config) {
    RETURN_IF_ERROR(OnConfig(hall_id, record.events->config, hall));
  }
  auto target_ms = [&](absl::string_view service, bool handling) -> int64_t {
    const v1::ServiceConfig* s = ServiceOf(config, service);
    if (s == nullptr) return 0;
    return (handling ? s->target_handling_seconds()
                     : s->target_wait_seconds()) *
           1000;
  };
  auto window_of = [&](int32_t number) -> Window& {
    return hall.windows[number];
  };
  Ticket t;
  for (const v1::HallEvent& event : record.events->events) {
    const int64_t at = event.at_unix_ms();
    switch (event.kind_case()) {
      case v1::HallEvent::kDayStarted: {
        const int32_t day = event.day_started().business_day();
        hall.day = day;
        hall.dirty = true;
        // The day's load begins with the windows open then.
        load_[{hall_id, day, at / 60000 * 60000, ""}].waiting =
            hall.open_windows;
        RETURN_IF_ERROR(ExpireBefore(hall_id, day, at));
        // Each open window's time is split at the day's start.
        for (auto& [number, w] : hall.windows) {
          if (w.state == v1::WINDOW_STATE_CLOSED) continue;
          const int32_t state = w.state;
          const std::string reason = w.reason;
          MoveWindow(hall_id, hall, number, state, nullptr, reason, at);
        }
        break;
      }
      case v1::HallEvent::kTicketIssued: {
        const v1::Ticket& ticket = event.ticket_issued().ticket();
        t = Ticket();
        t.day = ticket.business_day();
        t.number = ticket.number();
        t.service = ticket.service_code();
        t.queue_service = ticket.service_code();
        t.category = ticket.category();
        t.hour = absl::ToCivilHour(
                     absl::FromUnixMillis(ticket.issued_at_unix_ms()), hall.tz)
                     .hour();
        t.issued_ms = ticket.issued_at_unix_ms();
        t.state = v1::TICKET_STATE_WAITING;
        SaveTicket(hall_id, t);
        ++service_[{hall_id, t.day, t.service, t.category, t.hour}][kIssued];
        if (hall.day == 0) {
          hall.day = t.day;
          hall.dirty = true;
        }
        load_[{hall_id, t.day, at / 60000 * 60000, t.service}].estimated_s =
            event.ticket_issued().estimated_wait_seconds();
        break;
      }
      case v1::HallEvent::kTicketCalled: {
        const v1::HallEvent::TicketCalled& called = event.ticket_called();
        ASSIGN_OR_RETURN(const bool found,
                         LoadTicket(hall_id, called.ticket().business_day(),
                                    called.ticket().number(), &t));
        Window& w = window_of(called.window());
        if (found) {
          auto& service =
              service_[{hall_id, t.day, t.service, t.category, t.hour}];
          if (t.called_ms == 0) {
            t.called_ms = at;
            t.wait_ms = std::max<int64_t>(0, at - t.issued_ms);
            ++service[kCalled];
            ++service[kWaitN];
            service[kWaitSumMs] += t.wait_ms;
            ++service[kWaitBucket0 + Bucket(t.wait_ms)];
            const int64_t target = target_ms(t.service, false);
            const bool in_target = target == 0 || t.wait_ms <= target;
            if (in_target) ++service[kWaitInTarget];
            // The share within target of the clerk who called it.
            auto& person = clerk_[{hall_id, w.day ? w.day : hall.day, w.clerk,
                                   called.window()}];
            ++person[kCWaitsN];
            if (in_target) ++person[kCWaitsInTarget];
          }
          if (called.recall() > 0) {
            ++service[kRecalls];
            ++clerk_[{hall_id, w.day ? w.day : hall.day, w.clerk,
                      called.window()}][kCRecalls];
            ++t.recalls;
          }
          t.state = v1::TICKET_STATE_CALLED;
          t.window = called.window();
          t.clerk = w.clerk;
          SaveTicket(hall_id, t);
        }
        MoveWindow(hall_id, hall, called.window(), v1::WINDOW_STATE_CALLING,
                   nullptr, "", at);
        break;
      }
      case v1::HallEvent::kTicketStateChanged: {
        const v1::HallEvent::TicketStateChanged& changed =
            event.ticket_state_changed();
        ASSIGN_OR_RETURN(const bool found,
                         LoadTicket(hall_id, changed.ticket().business_day(),
                                    changed.ticket().number(), &t));
        const int32_t state = changed.ticket().state();
        const int32_t number = changed.window() != 0
                                   ? changed.window()
                                   : changed.ticket().window();
        if (!found) break;
        auto& service =
            service_[{hall_id, t.day, t.service, t.category, t.hour}];
        Window& w = window_of(number);
        const int32_t day = w.day ? w.day : hall.day;
        t.state = state;
        switch (state) {
          case v1::TICKET_STATE_SERVING:
            t.serving_ms = at;
            MoveWindow(hall_id, hall, number, v1::WINDOW_STATE_SERVING, nullptr,
                       "", at);
            break;
          case v1::TICKET_STATE_COMPLETED: {
            t.ended_ms = at;
            t.handling_ms = changed.handling_ms();
            t.window = number;
            t.clerk = w.clerk;
            ++service[kCompleted];
            ++service[kHandlingN];
            service[kHandlingSumMs] += t.handling_ms;
            ++service[kHandlingBucket0 + Bucket(t.handling_ms)];
            const int64_t wait_target = target_ms(t.service, false);
            const int64_t handling_target = target_ms(t.service, true);
            if ((wait_target == 0 ||
                 (t.wait_ms >= 0 && t.wait_ms <= wait_target)) &&
                (handling_target == 0 || t.handling_ms <= handling_target)) {
              ++service[kSlaMet];
            }
            auto& person = clerk_[{hall_id, day, w.clerk, number}];
            ++person[kCServed];
            ++person[kCHandlingN];
            person[kCHandlingSumMs] += t.handling_ms;
            ++person[kCHandlingBucket0 + Bucket(t.handling_ms)];
            if (changed.rating() != 0) {
              t.rating = changed.rating();
              ProjectRating(hall_id, t, day, w.clerk, number, t.rating);
            }
            MoveWindow(hall_id, hall, number, v1::WINDOW_STATE_IDLE, nullptr,
                       "", at);
            break;
          }
          case v1::TICKET_STATE_NO_SHOW:
            t.ended_ms = at;
            ++service[kNoShows];
            ++clerk_[{hall_id, day, w.clerk, number}][kCNoShows];
            MoveWindow(hall_id, hall, number, v1::WINDOW_STATE_IDLE, nullptr,
                       "", at);
            break;
          case v1::TICKET_STATE_CANCELLED:
            t.ended_ms = at;
            ++service[kCancelled];
            break;
          case v1::TICKET_STATE_VOIDED:
            t.ended_ms = at;
            ++service[kVoided];
            break;
          case v1::TICKET_STATE_EXPIRED:
            t.ended_ms = at;
            ++service[kExpired];
            break;
          case v1::TICKET_STATE_WAITING:
            // Back after a no-show.
            ++t.requeues;
            t.ended_ms = 0;
            break;
          default:
            break;
        }
        SaveTicket(hall_id, t);
        break;
      }
      case v1::HallEvent::kTicketTransferred: {
        const v1::HallEvent::TicketTransferred& moved =
            event.ticket_transferred();
        ASSIGN_OR_RETURN(const bool found,
                         LoadTicket(hall_id, moved.ticket().business_day(),
                                    moved.ticket().number(), &t));
        Window& w = window_of(moved.from_window());
        if (found) {
          ++service_[{hall_id, t.day, t.service, t.category, t.hour}]
                    [kTransfers];
          ++t.transfers;
          t.state = v1::TICKET_STATE_WAITING;
          t.queue_service = moved.ticket().service_code();
          SaveTicket(hall_id, t);
        }
        if (moved.from_window() != 0) {
          ++clerk_[{hall_id, w.day ? w.day : hall.day, w.clerk,
                    moved.from_window()}][kCTransfers];
          MoveWindow(hall_id, hall, moved.from_window(), v1::WINDOW_STATE_IDLE,
                     nullptr, "", at);
        }
        break;
      }
      case v1::HallEvent::kTicketRated: {
        // The customer's rating from the window's pad, after the
        // completion (a Complete's own rating, from journals before the
        // pad, is projected with the completion).
        const v1::HallEvent::TicketRated& rated = event.ticket_rated();
        ASSIGN_OR_RETURN(
            const bool found,
            LoadTicket(hall_id, rated.business_day(), rated.ticket(), &t));
        if (!found || t.rating != 0) break;
        const Window& w = window_of(rated.window());
        t.rating = rated.level();
        SaveTicket(hall_id, t);
        ProjectRating(hall_id, t, w.day ? w.day : hall.day, rated.clerk_id(),
                      rated.window(), t.rating);
        break;
      }
      case v1::HallEvent::kComplaintChanged: {
        const v1::ComplaintCase& c = event.complaint_changed().complaint();
        Ticket of;
        ASSIGN_OR_RETURN(const bool found, LoadTicket(hall_id, c.business_day(),
                                                      c.ticket(), &of));
        RETURN_IF_ERROR(sql_->Run(
            statements().save_complaint,
            {hall_id, c.business_day(), c.ticket(), c.service_code(),
             found ? of.category : 0, found ? of.hour : -1, c.owner_clerk_id(),
             c.window(), static_cast<int32_t>(c.state()), c.opened_at_unix_ms(),
             c.due_at_unix_ms(), c.called_back_at_unix_ms(),
             c.resolved_at_unix_ms()}));
        break;
      }
      case v1::HallEvent::kFollowUpChanged: {
        const v1::FollowUp& f = event.follow_up_changed().follow_up();
        RETURN_IF_ERROR(sql_->Run(
            statements().save_follow_up,
            {hall_id, static_cast<int64_t>(f.id()), f.business_day(),
             f.ticket(), f.service_code(), f.clerk_id(), f.window(), f.level(),
             f.opened_at_unix_ms(), f.closed_at_unix_ms()}));
        break;
      }
      case v1::HallEvent::kWindowChanged: {
        const v1::HallEvent::WindowChanged& changed = event.window_changed();
        if (hall.day == 0) {
          hall.day = BusinessCalendar(hall.tz, config.hours(),
                                      config.business_day_start_minute())
                         .BusinessDay(absl::FromUnixMillis(at));
          hall.dirty = true;
        }
        const std::string clerk = changed.clerk_id();
        MoveWindow(hall_id, hall, changed.window(), changed.state(),
                   clerk.empty() ? nullptr : &clerk, changed.reason(), at);
        load_[{hall_id, hall.day, at / 60000 * 60000, ""}].waiting =
            changed.open_windows();
        hall.open_windows = changed.open_windows();
        hall.dirty = true;
        break;
      }
      default:
        break;
    }
    for (const v1::HallEvent::ServiceWaiting& waiting : event.waiting()) {
      load_[{hall_id, hall.day, at / 60000 * 60000, waiting.service_code()}]
          .waiting = waiting.waiting();
    }
  }
  return absl::OkStatus();
}

absl::Status SqlRecords::Flush() {
  RETURN_IF_ERROR(FlushTickets());
  // The batch's deltas summed by (hall, day, service, category) and by
  // (hall, day, hour).
  using DayKey = std::tuple<std::string, int32_t, std::string, int32_t>;
  using HourKey = std::tuple<std::string, int32_t, int32_t>;
  std::map<DayKey, std::array<int64_t, kServiceColumns>> days;
  std::map<HourKey, std::array<int64_t, kServiceColumns>> hours;
  for (const auto& [key, sums] : service_) {
    const auto& [hall_id, day, service, category, hour] = key;
    auto& by_day = days[{hall_id, day, service, category}];
    auto& by_hour = hours[{hall_id, day, hour}];
    for (int i = 0; i < kServiceColumns; ++i) {
      by_day[i] += sums[i];
      by_hour[i] += sums[i];
    }
  }
  // A row's key and sums, as parameters.
  std::vector<SqlArg> args;
  auto run = [&](const std::string& sql, const auto& sums) {
    for (const int64_t v : sums) args.emplace_back(v);
    absl::Status status = sql_->Run(sql, args);
    args.clear();
    return status;
  };
  for (const auto& [key, sums] : days) {
    const auto& [hall_id, day, service, category] = key;
    args = {hall_id, day, service, category};
    RETURN_IF_ERROR(run(statements().add_service, sums));
  }
  for (const auto& [key, sums] : hours) {
    const auto& [hall_id, day, hour] = key;
    args = {hall_id, day, hour};
    RETURN_IF_ERROR(run(statements().add_hour, sums));
  }
  service_.clear();
  for (const auto& [key, sums] : clerk_) {
    const auto& [hall_id, day, clerk, window] = key;
    args = {hall_id, day, clerk, window};
    RETURN_IF_ERROR(run(statements().add_clerk, sums));
  }
  clerk_.clear();
  for (const auto& [key, ms] : pauses_) {
    const auto& [hall_id, day, clerk, window, reason] = key;
    RETURN_IF_ERROR(sql_->Run(statements().add_pause,
                              {hall_id, day, clerk, window, reason, ms}));
  }
  pauses_.clear();
  for (const auto& [key, load] : load_) {
    const auto& [hall_id, day, minute, service] = key;
    RETURN_IF_ERROR(sql_->Run(
        statements().set_load,
        {hall_id, day, minute, service, load.waiting, load.estimated_s}));
  }
  load_.clear();
  for (auto& [hall_id, hall] : halls_) {
    if (hall.dirty) {
      RETURN_IF_ERROR(sql_->Run(statements().save_hall,
                                {hall_id, hall.day, hall.open_windows}));
      hall.dirty = false;
    }
    for (auto& [number, w] : hall.windows) {
      if (!w.dirty) continue;
      RETURN_IF_ERROR(sql_->Run(
          statements().save_window,
          {hall_id, number, w.state, w.clerk, w.reason, w.since_ms, w.day}));
      w.dirty = false;
    }
  }
  return absl::OkStatus();
}

}  // namespace qcall

namespace qcall {
namespace {

using ServiceSums = std::array<int64_t, SqlRecords::kServiceColumns>;
using ClerkSums = std::array<int64_t, SqlRecords::kClerkColumns>;

template <size_t N>
void Add(std::array<int64_t, N>& to, const std::array<int64_t, N>& from) {
  for (size_t i = 0; i < N; ++i) to[i] += from[i];
}

double Ratio(int64_t part, int64_t whole) {
  return whole == 0 ? 0.0
                    : static_cast<double>(part) / static_cast<double>(whole);
}

// The upper bound of the bucket that holds the q-quantile of `buckets`.
int64_t Quantile(const int64_t* buckets, double q) {
  int64_t n = 0;
  for (int i = 0; i < 16; ++i) n += buckets[i];
  if (n == 0) return 0;
  const auto rank = static_cast<int64_t>(std::ceil(q * static_cast<double>(n)));
  int64_t seen = 0;
  for (int i = 0; i < 16; ++i) {
    seen += buckets[i];
    if (seen >= rank) {
      return kRecordBucketSeconds[std::min<size_t>(
          i, kRecordBucketSeconds.size() - 1)];
    }
  }
  return kRecordBucketSeconds.back();
}

v1::ReportFigures Figures(const ServiceSums& s) {
  v1::ReportFigures f;
  f.set_issued(s[kIssued]);
  f.set_called(s[kCalled]);
  f.set_completed(s[kCompleted]);
  f.set_no_shows(s[kNoShows]);
  f.set_cancelled(s[kCancelled]);
  f.set_voided(s[kVoided]);
  f.set_expired(s[kExpired]);
  f.set_transfers(s[kTransfers]);
  f.set_recalls(s[kRecalls]);
  f.set_mean_wait_seconds(Ratio(s[kWaitSumMs], s[kWaitN]) / 1000.0);
  f.set_p90_wait_seconds(Quantile(&s[kWaitBucket0], 0.9));
  f.set_wait_within_target(Ratio(s[kWaitInTarget], s[kWaitN]));
  f.set_mean_handling_seconds(Ratio(s[kHandlingSumMs], s[kHandlingN]) / 1000.0);
  f.set_p90_handling_seconds(Quantile(&s[kHandlingBucket0], 0.9));
  f.set_sla_attainment(Ratio(s[kSlaMet], s[kCompleted]));
  f.set_no_show_rate(Ratio(s[kNoShows], s[kCalled]));
  f.set_rated(s[kRated]);
  f.set_satisfied(s[kSatisfied]);
  f.set_bad_ratings(s[kBad]);
  f.set_satisfaction_rate(Ratio(s[kSatisfied], s[kRated]));
  return f;
}

std::string SumsOf(const std::vector<std::string>& columns) {
  std::string sql;
  for (const std::string& c : columns) {
    absl::StrAppend(&sql, ", SUM(", c, ")");
  }
  return sql;
}

}  // namespace

absl::StatusOr<v1::Report> SqlRecordReader::Report(const ReportQuery& query) {
  v1::Report report;
  report.set_kind(query.kind);
  report.set_first_day(query.first_day);
  report.set_last_day(query.last_day);
  for (const std::string& id : query.hall_ids) report.add_hall_ids(id);
  if (query.hall_ids.empty()) return report;
  absl::MutexLock lock(&mu_);
  std::vector<std::string> marks(query.hall_ids.size(), "?");
  const std::string halls =
      absl::StrCat(" hall_id IN (", absl::StrJoin(marks, ", "), ")");
  // Runs `sql` with the days and the halls bound, a row at a time.
  auto each_row =
      [&](const std::string& sql, bool days, const SqlRowVisitor& row)
          ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> absl::Status {
    std::vector<SqlArg> args;
    if (days) {
      args.emplace_back(query.first_day);
      args.emplace_back(query.last_day);
    }
    for (const std::string& id : query.hall_ids) args.emplace_back(id);
    return sql_->Run(sql, args, row);
  };

  ServiceSums total{};
  std::map<std::string, ServiceSums> by_service;
  std::map<int32_t, ServiceSums> by_category;
  std::map<int32_t, ServiceSums> by_hour;
  auto sums_of = [](const SqlRow& s, int first) {
    ServiceSums sums;
    for (int i = 0; i < SqlRecords::kServiceColumns; ++i) {
      sums[i] = s.Int(first + i);
    }
    return sums;
  };
  RETURN_IF_ERROR(each_row(
      absl::StrCat("SELECT service, category", SumsOf(ServiceColumns()),
                   " FROM rec_service_days WHERE day BETWEEN ? AND ? AND",
                   halls, " GROUP BY service, category"),
      true, [&](const SqlRow& s) {
        const ServiceSums sums = sums_of(s, 2);
        Add(total, sums);
        Add(by_service.try_emplace(s.Text(0), ServiceSums{}).first->second,
            sums);
        Add(by_category
                .try_emplace(static_cast<int32_t>(s.Int(1)), ServiceSums{})
                .first->second,
            sums);
      }));
  RETURN_IF_ERROR(
      each_row(absl::StrCat("SELECT hour", SumsOf(ServiceColumns()),
                            " FROM rec_hours WHERE day BETWEEN ? AND ? AND",
                            halls, " GROUP BY hour"),
               true, [&](const SqlRow& s) {
                 by_hour[static_cast<int32_t>(s.Int(0))] = sums_of(s, 1);
               }));
  std::map<std::string, std::string> names;
  RETURN_IF_ERROR(each_row(
      absl::StrCat("SELECT code, name FROM rec_services WHERE", halls,
                   " ORDER BY hall_id"),
      false,
      [&](const SqlRow& s) { names.try_emplace(s.Text(0), s.Text(1)); }));
  // Complaint cases and follow-up items, as they stand now.
  using ClerkKey = std::tuple<std::string, std::string, int32_t>;
  std::map<std::string, int64_t> complaints_by_service;
  std::map<int32_t, int64_t> complaints_by_category;
  std::map<int32_t, int64_t> complaints_by_hour;
  std::map<ClerkKey, std::pair<int64_t, int64_t>> complaints_by_clerk;
  v1::Report::CaseCounts& cases = *report.mutable_complaints();
  const int64_t report_ms =
      query.now == absl::InfinitePast() ? 0 : absl::ToUnixMillis(query.now);
  RETURN_IF_ERROR(each_row(
      absl::StrCat(
          "SELECT hall_id, clerk, \"window\", service, category, hour, "
          "due_ms, called_back_ms, resolved_ms FROM rec_complaints "
          "WHERE day BETWEEN ? AND ? AND",
          halls),
      true, [&](const SqlRow& s) {
        const int64_t due = s.Int(6);
        const int64_t resolved = s.Int(8);
        // As the engine's alarm has it: overdue from the deadline on.
        const bool overdue = resolved != 0 ? resolved >= due
                                           : report_ms != 0 && report_ms >= due;
        cases.set_opened(cases.opened() + 1);
        if (s.Int(7) != 0) {
          cases.set_called_back(cases.called_back() + 1);
        }
        if (resolved != 0) {
          cases.set_resolved(cases.resolved() + 1);
        } else {
          cases.set_open(cases.open() + 1);
        }
        if (overdue) cases.set_overdue(cases.overdue() + 1);
        ++complaints_by_service[s.Text(3)];
        ++complaints_by_category[static_cast<int32_t>(s.Int(4))];
        ++complaints_by_hour[static_cast<int32_t>(s.Int(5))];
        auto& [owned, late] = complaints_by_clerk[{
            s.Text(0), s.Text(1), static_cast<int32_t>(s.Int(2))}];
        ++owned;
        if (overdue) ++late;
      }));
  v1::Report::FollowUpCounts& follow_ups = *report.mutable_follow_ups();
  RETURN_IF_ERROR(
      each_row(absl::StrCat("SELECT COUNT(*), COALESCE(SUM(CASE WHEN closed_ms "
                            "<> 0 THEN 1 ELSE 0 END), 0) FROM "
                            "rec_follow_ups WHERE day BETWEEN ? AND ? AND",
                            halls),
               true, [&](const SqlRow& s) {
                 follow_ups.set_opened(s.Int(0));
                 follow_ups.set_closed(s.Int(1));
                 follow_ups.set_open(follow_ups.opened() - follow_ups.closed());
               }));
  auto complaints_of = [](const auto& counts, const auto& key) -> int64_t {
    auto it = counts.find(key);
    return it == counts.end() ? 0 : it->second;
  };

  *report.mutable_total() = Figures(total);
  report.mutable_total()->set_complaints(cases.opened());
  for (const auto& [code, sums] : by_service) {
    v1::Report::ServiceRow* row = report.add_services();
    row->set_service_code(code);
    if (auto it = names.find(code); it != names.end()) {
      row->set_service_name(it->second);
    }
    *row->mutable_figures() = Figures(sums);
    row->mutable_figures()->set_complaints(
        complaints_of(complaints_by_service, code));
  }
  for (const auto& [category, sums] : by_category) {
    v1::Report::CategoryRow* row = report.add_categories();
    row->set_category(static_cast<v1::Category>(category));
    *row->mutable_figures() = Figures(sums);
    row->mutable_figures()->set_complaints(
        complaints_of(complaints_by_category, category));
  }
  for (const auto& [hour, sums] : by_hour) {
    v1::Report::HourRow* row = report.add_hours();
    row->set_hour(hour);
    *row->mutable_figures() = Figures(sums);
    row->mutable_figures()->set_complaints(
        complaints_of(complaints_by_hour, hour));
  }

  // Each clerk at each window, and the windows.
  std::map<ClerkKey, ClerkSums> clerks;
  RETURN_IF_ERROR(each_row(
      absl::StrCat("SELECT hall_id, clerk, \"window\"", SumsOf(ClerkColumns()),
                   " FROM rec_clerk_days WHERE day BETWEEN ? AND ? AND", halls,
                   " GROUP BY hall_id, clerk, \"window\""),
      true, [&](const SqlRow& s) {
        ClerkSums& sums =
            clerks[{s.Text(0), s.Text(1), static_cast<int32_t>(s.Int(2))}];
        for (int i = 0; i < SqlRecords::kClerkColumns; ++i) {
          sums[i] = s.Int(3 + i);
        }
      }));
  std::map<ClerkKey, std::vector<std::pair<std::string, int64_t>>> pauses;
  RETURN_IF_ERROR(each_row(
      absl::StrCat("SELECT hall_id, clerk, \"window\", reason, SUM(paused_ms) "
                   "FROM rec_pauses WHERE day BETWEEN ? AND ? AND",
                   halls, " GROUP BY hall_id, clerk, \"window\", reason"),
      true, [&](const SqlRow& s) {
        pauses[{s.Text(0), s.Text(1), static_cast<int32_t>(s.Int(2))}]
            .emplace_back(s.Text(3), s.Int(4));
      }));
  // The intervals still running, up to `now`.
  if (query.now != absl::InfinitePast()) {
    const int64_t now_ms = absl::ToUnixMillis(query.now);
    RETURN_IF_ERROR(each_row(
        absl::StrCat(
            "SELECT hall_id, clerk, \"window\", state, reason, since_ms "
            "FROM rec_windows WHERE day BETWEEN ? AND ? AND",
            halls, " AND state NOT IN (0, 1)"),
        true, [&](const SqlRow& s) {
          const int64_t ms = now_ms - s.Int(5);
          if (ms <= 0) return;
          const ClerkKey key{s.Text(0), s.Text(1),
                             static_cast<int32_t>(s.Int(2))};
          ClerkSums& sums = clerks.try_emplace(key, ClerkSums{}).first->second;
          const int state = static_cast<int32_t>(s.Int(3));
          if (state == v1::WINDOW_STATE_PAUSED) {
            sums[kCPausedMs] += ms;
            const std::string reason = s.Text(4);
            auto& list = pauses[key];
            auto it =
                std::find_if(list.begin(), list.end(),
                             [&](const auto& p) { return p.first == reason; });
            if (it == list.end()) {
              list.emplace_back(reason, ms);
            } else {
              it->second += ms;
            }
          } else {
            sums[kCOpenMs] += ms;
            if (state == v1::WINDOW_STATE_IDLE) sums[kCIdleMs] += ms;
          }
        }));
  }
  for (const auto& [key, counts] : complaints_by_clerk) {
    clerks.try_emplace(key, ClerkSums{});
  }
  std::map<std::pair<std::string, int32_t>, std::array<int64_t, 3>> windows;
  for (const auto& [key, s] : clerks) {
    const auto& [hall_id, clerk, window] = key;
    v1::Report::ClerkRow* row = report.add_clerks();
    row->set_hall_id(hall_id);
    row->set_clerk_id(clerk);
    row->set_window(window);
    row->set_served(s[kCServed]);
    row->set_no_shows(s[kCNoShows]);
    row->set_transfers(s[kCTransfers]);
    row->set_recalls(s[kCRecalls]);
    row->set_mean_handling_seconds(Ratio(s[kCHandlingSumMs], s[kCHandlingN]) /
                                   1000.0);
    row->set_p90_handling_seconds(Quantile(&s[kCHandlingBucket0], 0.9));
    row->set_called(s[kCWaitsN]);
    row->set_wait_within_target(Ratio(s[kCWaitsInTarget], s[kCWaitsN]));
    row->set_open_seconds(s[kCOpenMs] / 1000);
    row->set_idle_seconds(s[kCIdleMs] / 1000);
    row->set_paused_seconds(s[kCPausedMs] / 1000);
    if (auto it = pauses.find(key); it != pauses.end()) {
      for (const auto& [reason, ms] : it->second) {
        v1::Report::PauseTime* pause = row->add_paused_by_reason();
        pause->set_reason(reason);
        pause->set_seconds(ms / 1000);
      }
    }
    row->set_rated(s[kCRated]);
    row->set_satisfied(s[kCSatisfied]);
    row->set_bad_ratings(s[kCBad]);
    row->set_satisfaction_rate(Ratio(s[kCSatisfied], s[kCRated]));
    if (auto it = complaints_by_clerk.find(key);
        it != complaints_by_clerk.end()) {
      row->set_complaints(it->second.first);
      row->set_complaints_overdue(it->second.second);
    }
    auto& w = windows[{hall_id, window}];
    w[0] += s[kCOpenMs];
    w[1] += s[kCIdleMs];
    w[2] += s[kCPausedMs];
  }
  for (const auto& [key, w] : windows) {
    v1::Report::WindowRow* row = report.add_windows();
    row->set_hall_id(key.first);
    row->set_window(key.second);
    row->set_open_seconds(w[0] / 1000);
    row->set_idle_seconds(w[1] / 1000);
    row->set_paused_seconds(w[2] / 1000);
    row->set_utilization(Ratio(w[0] - w[1], w[0]));
  }

  // Hot spots: the three services and three hours that stand out most.
  auto spots = [&](v1::Report::HotSpot::Kind kind, auto value) {
    std::vector<std::pair<double, v1::Report::HotSpot>> found;
    for (const v1::Report::ServiceRow& row : report.services()) {
      v1::Report::HotSpot spot;
      spot.set_kind(kind);
      spot.set_service_code(row.service_code());
      spot.set_hour(-1);
      spot.set_value(value(row.figures()));
      found.emplace_back(spot.value(), spot);
    }
    for (const v1::Report::HourRow& row : report.hours()) {
      v1::Report::HotSpot spot;
      spot.set_kind(kind);
      spot.set_hour(row.hour());
      spot.set_value(value(row.figures()));
      found.emplace_back(spot.value(), spot);
    }
    std::stable_sort(
        found.begin(), found.end(),
        [](const auto& a, const auto& b) { return a.first > b.first; });
    int services = 0;
    int hours = 0;
    for (const auto& [v, spot] : found) {
      if (v <= 0) break;
      int& taken = spot.hour() < 0 ? services : hours;
      if (taken == 3) continue;
      ++taken;
      *report.add_hot_spots() = spot;
    }
  };
  spots(v1::Report::HotSpot::KIND_DEMAND, [](const v1::ReportFigures& f) {
    return static_cast<double>(f.issued());
  });
  spots(v1::Report::HotSpot::KIND_LONGEST_WAIT,
        [](const v1::ReportFigures& f) { return f.mean_wait_seconds(); });
  spots(v1::Report::HotSpot::KIND_BAD_RATINGS, [](const v1::ReportFigures& f) {
    return static_cast<double>(f.bad_ratings());
  });
  spots(v1::Report::HotSpot::KIND_COMPLAINTS, [](const v1::ReportFigures& f) {
    return static_cast<double>(f.complaints());
  });
  return report;
}

absl::StatusOr<v1::LoadHistory> SqlRecordReader::LoadHistory(
    const std::string& hall_id, int32_t day, absl::Time now) {
  absl::MutexLock lock(&mu_);
  v1::LoadHistory history;
  // The values last seen by minute; '' is the open windows.
  struct Row {
    int64_t minute;
    std::string service;
    int64_t waiting;
    int64_t estimated_s;
  };
  std::vector<Row> rows;
  RETURN_IF_ERROR(sql_->Run(
      "SELECT minute_ms, service, waiting, estimated_s FROM rec_load WHERE "
      "hall_id = ? AND day = ? ORDER BY minute_ms, service",
      {hall_id, day}, [&](const SqlRow& s) {
        rows.push_back({s.Int(0), s.Text(1), s.Int(2), s.Int(3)});
      }));
  // Every service of the hall, in its config's order.
  std::vector<std::string> codes;
  RETURN_IF_ERROR(sql_->Run(
      "SELECT code FROM rec_services WHERE hall_id = ? ORDER BY position",
      {hall_id}, [&](const SqlRow& s) { codes.push_back(s.Text(0)); }));
  int64_t open_windows = 0;
  RETURN_IF_ERROR(
      sql_->Run("SELECT open_windows FROM rec_halls WHERE hall_id = ?",
                {hall_id}, [&](const SqlRow& s) { open_windows = s.Int(0); }));
  if (codes.empty()) return history;  // Nothing of the hall is recorded.
  // When each ticket waited: from issue to its first call or its end.
  struct Waited {
    std::string service;
    int64_t from;
    int64_t to;  // 0: still waiting.
  };
  std::vector<Waited> waited;
  RETURN_IF_ERROR(sql_->Run(
      "SELECT service, issued_ms, called_ms, ended_ms FROM rec_tickets WHERE "
      "hall_id = ? AND day = ? ORDER BY issued_ms",
      {hall_id, day}, [&](const SqlRow& s) {
        const int64_t called = s.Int(2);
        const int64_t ended = s.Int(3);
        waited.push_back({s.Text(0), s.Int(1), called != 0 ? called : ended});
      }));

  constexpr int64_t kMinute = 60'000;
  constexpr size_t kSamplesPerDay = 24 * 60;
  const int64_t now_ms = absl::ToUnixMillis(now);
  std::map<std::string, std::pair<int64_t, int64_t>> services;  // waiting, est
  for (const std::string& code : codes) services[code] = {0, 0};
  size_t next = 0;
  std::vector<v1::LoadSample> samples;
  // Nothing recorded today yet: the hall as it stands, once.
  const int64_t from =
      rows.empty() ? now_ms / kMinute * kMinute : rows.front().minute;
  for (int64_t minute = from; minute <= now_ms; minute += kMinute) {
    for (; next < rows.size() && rows[next].minute <= minute; ++next) {
      const Row& r = rows[next];
      if (r.service.empty()) {
        if (r.waiting >= 0) open_windows = r.waiting;
        continue;
      }
      auto& [waiting, estimated] =
          services.try_emplace(r.service, 0, 0).first->second;
      if (r.waiting >= 0) waiting = r.waiting;
      if (r.estimated_s >= 0) estimated = r.estimated_s;
    }
    const int64_t at = std::min(minute + kMinute - 1, now_ms);
    v1::LoadSample sample;
    sample.set_at_unix_ms(at);
    sample.set_open_windows(static_cast<int32_t>(open_windows));
    for (const std::string& code : codes) {
      const auto& values = services[code];
      v1::LoadSample::ServiceLoad* load = sample.add_services();
      load->set_code(code);
      load->set_waiting(static_cast<int32_t>(values.first));
      load->set_estimated_wait_seconds(values.first > 0 ? values.second : 0);
      if (values.first > 0) {
        for (const Waited& w : waited) {
          if (w.from > at) break;
          if (w.service == code && (w.to == 0 || w.to > at)) {
            load->set_oldest_wait_seconds((at - w.from) / 1000);
            break;
          }
        }
      }
    }
    samples.push_back(std::move(sample));
  }
  const size_t skip =
      samples.size() > kSamplesPerDay ? samples.size() - kSamplesPerDay : 0;
  for (size_t i = skip; i < samples.size(); ++i) {
    *history.add_samples() = std::move(samples[i]);
  }
  return history;
}

}  // namespace qcall
