// The record tables' speed:
//   BM_MonthReport    a month's report across 200 halls of 1,000 tickets a
//                     day (about 6 M tickets), from the aggregate rows such
//                     a month leaves (written straight into the tables: 200
//                     halls x 30 days x (3 services x 2 categories of
//                     rec_service_days + 12 hours of rec_hours), 10 clerks a
//                     hall and day);
//   BM_DayReport      one hall's day from the same tables;
//   BM_ProjectIssue   the projection's cost per IssueTicket record (its
//                     events projected and committed, 64 records a
//                     transaction as the group commit batches them), against
//                     BM_CommitIssueOnly, the same commits without events.
//
//   build/bench/records_bench --benchmark_min_time=2
#include <sqlite3.h>
#include <unistd.h>

#include <array>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "dispatcher/records_sql.h"
#include "dispatcher/sqlite_journal_store.h"
#include "engine/hall.h"

namespace qcall {
namespace {

constexpr int kHalls = 200;
constexpr int kDays = 30;
constexpr int kClerks = 10;
const char* const kServices[] = {"BILL", "SIM", "PLAN"};

std::string TempPath(const char* name) {
  const auto dir = std::filesystem::temp_directory_path() /
                   absl::StrCat("qcall-records-bench-", getpid());
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

std::string HallId(int h) { return absl::StrCat("hall-", h); }

// A month of aggregate rows, as 200 halls of 1,000 tickets a day leave them.
const std::string& MonthFile() {
  static const std::string* path = [] {
    auto* p = new std::string(TempPath("month.sqlite"));
    std::filesystem::remove(*p);
    sqlite3* db = nullptr;
    sqlite3_open(p->c_str(), &db);
    bool created = false;
    std::unique_ptr<SqlConnection> sql = BorrowSqlite(db);
    auto records = SqlRecords::Create(sql.get(), &created);
    if (!records.ok()) std::abort();
    std::mt19937 random(7);
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    auto insert = [&](const char* table, int keys) {
      std::string marks = "?";
      for (int i = 1; i < keys + SqlRecords::kServiceColumns; ++i) {
        marks += ", ?";
      }
      sqlite3_stmt* s = nullptr;
      sqlite3_prepare_v2(
          db,
          absl::StrCat("INSERT INTO ", table, " VALUES (", marks, ")").c_str(),
          -1, &s, nullptr);
      return s;
    };
    sqlite3_stmt* service = insert("rec_service_days", 4);
    sqlite3_stmt* hourly = insert("rec_hours", 3);
    using Sums = std::array<int64_t, SqlRecords::kServiceColumns>;
    std::string clerk_marks = "?, ?, ?, ?";
    for (int i = 0; i < SqlRecords::kClerkColumns; ++i) clerk_marks += ", ?";
    sqlite3_stmt* clerk = nullptr;
    sqlite3_prepare_v2(
        db,
        absl::StrCat("INSERT INTO rec_clerk_days VALUES (", clerk_marks, ")")
            .c_str(),
        -1, &clerk, nullptr);
    for (int h = 0; h < kHalls; ++h) {
      const std::string hall = HallId(h);
      for (int d = 1; d <= kDays; ++d) {
        const int day = 20261100 + d;
        // 1,000 tickets a day over 72 (service, category, hour) cells:
        // about 14 a cell, summed by service and category, and by hour.
        std::array<Sums, 6> by_service{};
        std::array<Sums, 12> by_hour{};
        for (int cell = 0; cell < 72; ++cell) {
          const int issued = 10 + static_cast<int>(random() % 9);
          for (int c = 0; c < SqlRecords::kServiceColumns; ++c) {
            const int64_t v = c == 0 ? issued : random() % issued;
            by_service[cell % 6][c] += v;
            by_hour[cell / 6][c] += v;
          }
        }
        for (int cell = 0; cell < 6; ++cell) {
          sqlite3_reset(service);
          sqlite3_bind_text(service, 1, hall.c_str(), -1, SQLITE_STATIC);
          sqlite3_bind_int(service, 2, day);
          sqlite3_bind_text(service, 3, kServices[cell / 2], -1, SQLITE_STATIC);
          sqlite3_bind_int(service, 4, 1 + cell % 2);
          for (int c = 0; c < SqlRecords::kServiceColumns; ++c) {
            sqlite3_bind_int64(service, 5 + c, by_service[cell][c]);
          }
          sqlite3_step(service);
        }
        for (int hour = 0; hour < 12; ++hour) {
          sqlite3_reset(hourly);
          sqlite3_bind_text(hourly, 1, hall.c_str(), -1, SQLITE_STATIC);
          sqlite3_bind_int(hourly, 2, day);
          sqlite3_bind_int(hourly, 3, 8 + hour);
          for (int c = 0; c < SqlRecords::kServiceColumns; ++c) {
            sqlite3_bind_int64(hourly, 4 + c, by_hour[hour][c]);
          }
          sqlite3_step(hourly);
        }
        for (int c = 0; c < kClerks; ++c) {
          const std::string name = absl::StrCat("clerk-", c);
          sqlite3_reset(clerk);
          sqlite3_bind_text(clerk, 1, hall.c_str(), -1, SQLITE_STATIC);
          sqlite3_bind_int(clerk, 2, day);
          sqlite3_bind_text(clerk, 3, name.c_str(), -1, SQLITE_TRANSIENT);
          sqlite3_bind_int(clerk, 4, c + 1);
          for (int i = 0; i < SqlRecords::kClerkColumns; ++i) {
            sqlite3_bind_int64(clerk, 5 + i, random() % 1000);
          }
          sqlite3_step(clerk);
        }
      }
    }
    sqlite3_finalize(service);
    sqlite3_finalize(hourly);
    sqlite3_finalize(clerk);
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    records->reset();
    sql.reset();
    sqlite3_close(db);
    return p;
  }();
  return *path;
}

void BM_MonthReport(benchmark::State& state) {
  auto sql = OpenSqlConnection("sqlite:" + MonthFile(), true);
  if (!sql.ok()) std::abort();
  auto reader = std::make_unique<SqlRecordReader>(*std::move(sql));
  ReportQuery query;
  query.kind = v1::REPORT_KIND_MONTH;
  query.first_day = 20261101;
  query.last_day = 20261130;
  for (int h = 0; h < kHalls; ++h) query.hall_ids.push_back(HallId(h));
  int64_t issued = 0;
  for (auto _ : state) {
    absl::StatusOr<v1::Report> report = reader->Report(query);
    if (!report.ok()) std::abort();
    issued = report->total().issued();
    benchmark::DoNotOptimize(issued);
  }
  state.counters["tickets"] = static_cast<double>(issued);
}
BENCHMARK(BM_MonthReport)->Unit(benchmark::kMillisecond);

void BM_DayReport(benchmark::State& state) {
  auto sql = OpenSqlConnection("sqlite:" + MonthFile(), true);
  if (!sql.ok()) std::abort();
  auto reader = std::make_unique<SqlRecordReader>(*std::move(sql));
  ReportQuery query;
  query.kind = v1::REPORT_KIND_DAY;
  query.first_day = query.last_day = 20261115;
  query.hall_ids = {HallId(42)};
  for (auto _ : state) {
    absl::StatusOr<v1::Report> report = reader->Report(query);
    if (!report.ok()) std::abort();
    benchmark::DoNotOptimize(report->total().issued());
  }
}
BENCHMARK(BM_DayReport)->Unit(benchmark::kMillisecond);

v1::HallConfig BenchHall() {
  v1::HallConfig c;
  c.set_hall_id("bench");
  c.set_name("bench");
  c.set_time_zone("Asia/Shanghai");
  for (int s = 0; s < 3; ++s) {
    v1::ServiceConfig* service = c.add_services();
    service->set_code(kServices[s]);
    service->set_name(kServices[s]);
    service->set_ticket_prefix(std::string(1, static_cast<char>('A' + s)));
    service->set_number_width(6);
    service->set_target_wait_seconds(900);
  }
  for (int w = 1; w <= 4; ++w) {
    v1::WindowConfig* window = c.add_windows();
    window->set_number(w);
    for (const char* s : kServices) window->add_serves()->set_service_code(s);
  }
  for (int d = 1; d <= 7; ++d) {
    v1::OpeningHours* h = c.add_hours();
    h->set_weekday(d);
    h->set_open_minute(0);
    h->set_close_minute(1440);
  }
  c.set_business_day_start_minute(0);
  return c;
}

// IssueTicket records committed 64 a transaction, with their events for the
// projection or without.
void CommitIssues(benchmark::State& state, bool project) {
  const std::string path =
      TempPath(project ? "issue-rec.sqlite" : "issue.sqlite");
  std::filesystem::remove(path);
  std::filesystem::remove(path + ".created");
  auto store = SqliteJournalStore::Open(path, {.create = true});
  if (!store.ok()) std::abort();
  absl::TimeZone tz;
  absl::LoadTimeZone("Asia/Shanghai", &tz);
  auto hall = Hall::Create(BenchHall(), tz);
  if (!hall.ok()) std::abort();
  auto config = std::make_shared<const v1::HallConfig>(hall->rules().config());
  Hall::Outcome out;
  absl::Time now =
      absl::FromCivil(absl::CivilSecond(2026, 11, 27, 9, 0, 0), tz);
  uint64_t index = 0;
  int issued = 0;
  std::vector<JournalRecord> batch;
  for (auto _ : state) {
    state.PauseTiming();
    batch.clear();
    for (int i = 0; i < 64; ++i) {
      v1::Command command;
      command.mutable_issue_ticket()->set_service_code(kServices[issued % 3]);
      if (++issued % 300'000 == 0) now += absl::Hours(24);  // Under the cap.
      now += absl::Milliseconds(10);
      (void)hall->Apply(command, now, &out);
      JournalRecord& r = batch.emplace_back();
      r.hall_id = "bench";
      r.index = ++index;
      r.at_unix_ms = absl::ToUnixMillis(now);
      r.command = command.SerializeAsString();
      if (project) {
        r.events = std::make_shared<const RecordEvents>(
            RecordEvents{{out.events().begin(), out.events().end()}, config});
      }
    }
    state.ResumeTiming();
    if (!(*store)->Commit(batch, {}).ok()) std::abort();
  }
  state.SetItemsProcessed(state.iterations() * 64);
  store->reset();
  std::filesystem::remove(path);
}

void BM_CommitIssueOnly(benchmark::State& state) { CommitIssues(state, false); }
BENCHMARK(BM_CommitIssueOnly)->Unit(benchmark::kMicrosecond);
void BM_ProjectIssue(benchmark::State& state) { CommitIssues(state, true); }
BENCHMARK(BM_ProjectIssue)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace qcall

BENCHMARK_MAIN();
