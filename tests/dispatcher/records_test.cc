// The record tables, over each store (SQLite and PostgreSQL): a scripted day
// projected through a real store, checked figure by figure; the tables
// rebuilt from the journal alone equal the live ones row by row; a journal
// from before the tables gets them at open; the load history; bad report
// periods.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "dispatcher/records_rebuild.h"
#include "dispatcher/records_sql.h"
#include "dispatcher/sql_connection.h"
#include "gtest/gtest.h"
#include "tests/dispatcher/store_kinds.h"
#include "tests/engine/test_hall.h"

namespace qcall {
namespace {

using ::qcall::testing::ShanghaiTime;
using ::qcall::testing::SmallHallConfig;
using ::qcall::testing::StoreKind;
namespace t = ::qcall::testing;

constexpr int32_t kDay = 20261127;

class RecordsTest : public ::testing::TestWithParam<StoreKind> {
 protected:
  void SetUp() override {
    absl::StatusOr<testing::StorePlace> place =
        testing::NewStorePlace(GetParam());
    if (absl::IsNotFound(place.status())) {
      GTEST_SKIP() << place.status().message();
    }
    ASSERT_TRUE(place.ok()) << place.status();
    place_ = *std::move(place);
    Reopen({.create = true});
  }
  void TearDown() override { store_.reset(); }
  void Reopen(const StoreOptions& options = {}) {
    store_.reset();
    auto store = testing::OpenStoreAt(place_, options, {"test-hall"});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }
  // Runs the test's own `sql` on the store's database.
  void Exec(const std::string& sql) {
    absl::StatusOr<std::unique_ptr<SqlConnection>> db =
        OpenSqlConnection(place_.url, /*read_only=*/false);
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE((*db)->Exec(sql).ok()) << sql;
  }

  // Runs the hall from its Configure, committing each command with its
  // events as HallRuntime does (`with_events` false: as a journal written
  // before the records).
  void Begin(bool with_events = true,
             const v1::HallConfig& config = SmallHallConfig()) {
    with_events_ = with_events;
    absl::StatusOr<Hall> hall =
        Hall::Create(config, t::LoadZone(config.time_zone()));
    ASSERT_TRUE(hall.ok()) << hall.status();
    hall_ = std::make_unique<Hall>(*std::move(hall));
    config_ = std::make_shared<const v1::HallConfig>(hall_->rules().config());
    v1::Command configure;
    *configure.mutable_configure()->mutable_config() = config;
    configure.mutable_configure()->set_supervisor_id("qcalld --config");
    Run(configure, ShanghaiTime(8, 59));
  }
  void Run(const v1::Command& command, absl::Time at) {
    const absl::Status status = hall_->Apply(command, at, &out_);
    ASSERT_TRUE(status.ok()) << status << " for " << command.ShortDebugString();
    ASSERT_FALSE(out_.events().empty()) << command.ShortDebugString();
    for (const v1::HallEvent& e : out_.events()) {
      if (e.has_hall_configured()) {
        config_ =
            std::make_shared<const v1::HallConfig>(hall_->rules().config());
      }
      events_.push_back(e);
    }
    JournalRecord record{"test-hall",
                         ++index_,
                         absl::ToUnixMillis(at),
                         "",
                         command.SerializeAsString(),
                         ""};
    if (with_events_) {
      record.events = std::make_shared<const RecordEvents>(
          RecordEvents{{out_.events().begin(), out_.events().end()}, config_});
    }
    const absl::Status committed = store_->Commit({record}, {});
    ASSERT_TRUE(committed.ok()) << committed;
    if (index_ == interrupt_at_) Interrupt();
  }
  v1::Report DayReport(absl::Time now = absl::InfinitePast()) {
    ReportQuery query;
    query.now = now;
    query.kind = v1::REPORT_KIND_DAY;
    query.first_day = query.last_day = kDay;
    query.hall_ids = {"test-hall"};
    absl::StatusOr<v1::Report> report = store_->records()->Report(query);
    EXPECT_TRUE(report.ok()) << report.status();
    return report.ok() ? *report : v1::Report();
  }

  // The scripted day (times in Shanghai, Friday 2026-11-27).
  void ScriptedDay() {
    Begin(with_events_);
    Run(t::OpenWindow(1, "alice"), ShanghaiTime(9, 0));
    Run(t::OpenWindow(2, "bob"), ShanghaiTime(9, 0));
    Run(t::OpenWindow(3, "carol"), ShanghaiTime(9, 0));
    Run(t::Issue("BILL"), ShanghaiTime(9, 0));  // A001
    Run(t::Issue("BILL", v1::CATEGORY_GREEN_CHANNEL),
        ShanghaiTime(9, 1));                             // A002
    Run(t::Issue("SIM"), ShanghaiTime(9, 2));            // B001
    Run(t::CallTicket(1, "A001"), ShanghaiTime(9, 10));  // waited 600 s
    Run(t::Start(1), ShanghaiTime(9, 11));
    Run(t::Complete(1, 5), ShanghaiTime(9, 15));
    Run(t::CallTicket(2, "B001"), ShanghaiTime(9, 20));  // waited 1,080 s
    Run(t::NoShow(2), ShanghaiTime(9, 21));
    Run(t::PauseWindow(2, "lunch"), ShanghaiTime(9, 30));
    Run(t::ResumeWindow(2), ShanghaiTime(10, 30));
    Run(t::CallTicket(1, "A002"), ShanghaiTime(10, 40));  // waited 5,940 s
    Run(t::Recall(1), ShanghaiTime(10, 41));
    Run(t::Start(1), ShanghaiTime(10, 42));
    Run(t::Complete(1, 2), ShanghaiTime(11, 0));
    Run(t::Issue("SIM"), ShanghaiTime(11, 0));  // B002
    Run(t::Cancel("B002"), ShanghaiTime(11, 5));
    Run(t::CloseWindow(2), ShanghaiTime(11, 10));
  }

  // The hall's records rebuilt from its journal alone, in a fresh
  // database of the same kind, equal the live ones row by row (which hold
  // `expect_row`).
  void ExpectRebuiltEqualsLive(const std::string& expect_row) {
    absl::StatusOr<std::unique_ptr<SqlConnection>> live =
        OpenSqlConnection(place_.url, /*read_only=*/true);
    ASSERT_TRUE(live.ok()) << live.status();
    const std::string live_rows = Dump(live->get());
    ASSERT_NE(live_rows.find(expect_row), std::string::npos) << live_rows;

    std::string fresh_url = "sqlite::memory:";
    if (GetParam() == StoreKind::kPostgres) {
      absl::StatusOr<std::string> url = testing::NewPostgresDatabase();
      ASSERT_TRUE(url.ok()) << url.status();
      fresh_url = *url;
    }
    absl::StatusOr<std::unique_ptr<SqlConnection>> fresh =
        OpenSqlConnection(fresh_url, /*read_only=*/false);
    ASSERT_TRUE(fresh.ok()) << fresh.status();
    bool created = false;
    auto records = SqlRecords::Create(fresh->get(), &created);
    ASSERT_TRUE(records.ok()) << records.status();
    EXPECT_TRUE(created);
    ASSERT_TRUE(RebuildRecords(store_.get(), "test-hall", nullptr,
                               [&](absl::Span<const JournalRecord> batch) {
                                 return (*records)->ProjectAlone(batch);
                               })
                    .ok());
    EXPECT_EQ(Dump(fresh->get()), live_rows);
  }

  // Every row of every record table, as text, sorted.
  static std::string Dump(SqlConnection* db) {
    std::string text;
    for (const char* table :
         {"rec_tickets", "rec_service_days", "rec_hours", "rec_clerk_days",
          "rec_pauses", "rec_load", "rec_windows", "rec_halls", "rec_services",
          "rec_complaints", "rec_follow_ups"}) {
      std::vector<std::string> rows;
      EXPECT_TRUE(db->Run(absl::StrCat("SELECT * FROM ", table), {},
                          [&](const SqlRow& row) {
                            std::string line = absl::StrCat(table, ":");
                            for (int i = 0; i < row.size(); ++i) {
                              absl::StrAppend(&line, " ", row.Text(i));
                            }
                            rows.push_back(std::move(line));
                          })
                      .ok())
          << table;
      std::sort(rows.begin(), rows.end());
      for (const std::string& row : rows) absl::StrAppend(&text, row, "\n");
    }
    return text;
  }

  // The store's connection goes away between two commands: reopened
  // (SQLite), or its session ended by the server (PostgreSQL, which the
  // store finds at its next commit and makes again).
  void Interrupt() {
    if (GetParam() == StoreKind::kSqlite) {
      Reopen();
      return;
    }
    const std::string sessions =
        "FROM pg_stat_activity WHERE datname = current_database() AND "
        "application_name = 'qcalld'";
    ASSERT_EQ(
        *testing::PostgresServer::Query(
            place_.url, "SELECT count(pg_terminate_backend(pid)) " + sessions),
        "1");
    // Gone, and its advisory locks with it, before the next commit.
    for (int i = 0; i < 200; ++i) {
      if (*testing::PostgresServer::Query(
              place_.url, "SELECT count(*) " + sessions) == "0") {
        return;
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
    FAIL() << "the store's session did not end";
  }

  testing::StorePlace place_;
  std::unique_ptr<JournalStore> store_;
  uint64_t interrupt_at_ = 0;
  std::unique_ptr<Hall> hall_;
  std::shared_ptr<const v1::HallConfig> config_;
  Hall::Outcome out_;
  std::vector<v1::HallEvent> events_;
  uint64_t index_ = 0;
  bool with_events_ = true;
};

TEST_P(RecordsTest, AScriptedDayAddsUp) {
  ScriptedDay();
  const v1::Report report = DayReport();
  const v1::ReportFigures& total = report.total();
  EXPECT_EQ(total.issued(), 4);
  EXPECT_EQ(total.called(), 3);
  EXPECT_EQ(total.completed(), 2);
  EXPECT_EQ(total.no_shows(), 1);
  EXPECT_EQ(total.cancelled(), 1);
  EXPECT_EQ(total.recalls(), 1);
  EXPECT_DOUBLE_EQ(total.mean_wait_seconds(), (600 + 1080 + 5940) / 3.0);
  // 600 and 1,080 s within their targets (900, 1,200), 5,940 s not.
  EXPECT_DOUBLE_EQ(total.wait_within_target(), 2.0 / 3);
  EXPECT_EQ(total.p90_wait_seconds(), 7200) << "5,940 s is in (5400, 7200]";
  // A001 within both targets; A002 waited and was handled too long.
  EXPECT_DOUBLE_EQ(total.sla_attainment(), 0.5);
  EXPECT_DOUBLE_EQ(total.no_show_rate(), 1.0 / 3);
  EXPECT_EQ(total.rated(), 2);
  EXPECT_EQ(total.satisfied(), 1);
  EXPECT_EQ(total.bad_ratings(), 1);
  EXPECT_DOUBLE_EQ(total.satisfaction_rate(), 0.5);

  ASSERT_EQ(report.services_size(), 2);
  EXPECT_EQ(report.services(0).service_code(), "BILL");
  EXPECT_EQ(report.services(0).figures().issued(), 2);
  EXPECT_EQ(report.services(0).figures().completed(), 2);
  EXPECT_EQ(report.services(1).service_code(), "SIM");
  EXPECT_EQ(report.services(1).figures().issued(), 2);
  EXPECT_EQ(report.services(1).figures().no_shows(), 1);
  ASSERT_EQ(report.categories_size(), 2);
  EXPECT_EQ(report.categories(0).category(), v1::CATEGORY_NORMAL);
  EXPECT_EQ(report.categories(0).figures().issued(), 3);
  EXPECT_EQ(report.categories(1).category(), v1::CATEGORY_GREEN_CHANNEL);
  EXPECT_EQ(report.categories(1).figures().issued(), 1);
  ASSERT_EQ(report.hours_size(), 2);
  EXPECT_EQ(report.hours(0).hour(), 9);
  EXPECT_EQ(report.hours(0).figures().issued(), 3);
  EXPECT_EQ(report.hours(1).hour(), 11);
  EXPECT_EQ(report.hours(1).figures().issued(), 1);

  // Each clerk's day.
  const v1::Report::ClerkRow* alice = nullptr;
  const v1::Report::ClerkRow* bob = nullptr;
  for (const auto& c : report.clerks()) {
    if (c.clerk_id() == "alice") alice = &c;
    if (c.clerk_id() == "bob") bob = &c;
  }
  ASSERT_NE(alice, nullptr);
  ASSERT_NE(bob, nullptr);
  EXPECT_EQ(alice->window(), 1);
  EXPECT_EQ(alice->served(), 2);
  EXPECT_EQ(alice->recalls(), 1);
  EXPECT_EQ(alice->rated(), 2);
  EXPECT_EQ(alice->bad_ratings(), 1);
  // Alice called A001 (600 s, target 900) and A002 (5,940 s): half within.
  EXPECT_EQ(alice->called(), 2);
  EXPECT_DOUBLE_EQ(alice->wait_within_target(), 0.5);
  EXPECT_EQ(bob->window(), 2);
  EXPECT_EQ(bob->served(), 0);
  EXPECT_EQ(bob->no_shows(), 1);
  // Bob called B001 (1,080 s, target 1,200), a no-show: called all the same.
  EXPECT_EQ(bob->called(), 1);
  EXPECT_DOUBLE_EQ(bob->wait_within_target(), 1.0);
  // Open 09:00-09:30 and 10:30-11:10 (70 min), of which idle all but the
  // minute B001 was being called; paused an hour for lunch.
  EXPECT_EQ(bob->open_seconds(), 70 * 60);
  EXPECT_EQ(bob->idle_seconds(), 69 * 60);
  EXPECT_EQ(bob->paused_seconds(), 3600);
  ASSERT_EQ(bob->paused_by_reason_size(), 1);
  EXPECT_EQ(bob->paused_by_reason(0).reason(), "lunch");
  EXPECT_EQ(bob->paused_by_reason(0).seconds(), 3600);
  bool window_2 = false;
  for (const auto& w : report.windows()) {
    if (w.window() != 2) continue;
    window_2 = true;
    EXPECT_NEAR(w.utilization(), 1.0 / 70, 1e-9);
  }
  EXPECT_TRUE(window_2);
  // Carol's window has been open since 09:00 with nobody called: it counts
  // once the report is given a time to count it to.
  for (const auto& c : report.clerks()) EXPECT_NE(c.clerk_id(), "carol");
  const v1::Report at_1130 = DayReport(ShanghaiTime(11, 30));
  const v1::Report::ClerkRow* carol = nullptr;
  for (const auto& c : at_1130.clerks()) {
    if (c.clerk_id() == "carol") carol = &c;
    if (c.clerk_id() == "bob") {
      EXPECT_EQ(c.open_seconds(), 70 * 60) << "closed at 11:10: no more";
    }
  }
  ASSERT_NE(carol, nullptr);
  EXPECT_EQ(carol->open_seconds(), 150 * 60);
  EXPECT_EQ(carol->idle_seconds(), 150 * 60);
  // The hot spots: most demand first.
  ASSERT_GT(report.hot_spots_size(), 0);
  EXPECT_EQ(report.hot_spots(0).kind(), v1::Report::HotSpot::KIND_DEMAND);
}

// What the projection carries between commands (each window's state since
// when, the hall's day) is read back from the tables when the connection
// was lost between two commands: the day adds up as if it had not been.
TEST_P(RecordsTest, TheRecordsGoOnAfterTheConnectionWasLost) {
  interrupt_at_ = 11;  // After B001 is called, before its no-show.
  ScriptedDay();
  const v1::Report report = DayReport();
  EXPECT_EQ(report.total().issued(), 4);
  EXPECT_EQ(report.total().completed(), 2);
  EXPECT_EQ(report.total().no_shows(), 1);
  bool bob = false;
  for (const auto& c : report.clerks()) {
    if (c.clerk_id() != "bob") continue;
    bob = true;
    EXPECT_EQ(c.open_seconds(), 70 * 60);
    EXPECT_EQ(c.idle_seconds(), 69 * 60);
    EXPECT_EQ(c.paused_seconds(), 3600);
  }
  EXPECT_TRUE(bob);
  ExpectRebuiltEqualsLive("rec_tickets: test-hall 20261127 A001");
}

TEST_P(RecordsTest, TheRecordsRebuiltFromTheJournalEqualTheLiveOnes) {
  ScriptedDay();
  ExpectRebuiltEqualsLive("rec_tickets: test-hall 20261127 A001");
}

TEST_P(RecordsTest, ComplaintCasesAndFollowUpsAreCountedAsTheyStand) {
  v1::HallConfig config = t::ComplaintHallConfig();
  config.mutable_feedback()->set_complaint_deadline_seconds(3600);
  config.mutable_feedback()->set_complaint_warning_seconds(600);
  Begin(true, config);
  Run(t::OpenWindow(1, "alice"), ShanghaiTime(9, 0));
  Run(t::OpenWindow(2, "bob"), ShanghaiTime(9, 0));
  Run(t::Issue("CMPL"), ShanghaiTime(9, 0));  // T001
  Run(t::Issue("CMPL"), ShanghaiTime(9, 1));  // T002
  Run(t::Issue("BILL"), ShanghaiTime(9, 2));  // A001
  // Alice owns each case she first serves, due an hour after.
  auto serve = [&](int window, const char* ticket, int hour, int minute) {
    Run(t::CallTicket(window, ticket), ShanghaiTime(hour, minute));
    Run(t::Start(window), ShanghaiTime(hour, minute + 1));
    Run(t::Complete(window), ShanghaiTime(hour, minute + 5));
  };
  serve(1, "T001", 9, 10);
  serve(1, "T002", 9, 20);
  // Bob's customer rates badly: a follow-up.
  serve(2, "A001", 9, 30);
  Run(t::Rate(2, "A001", 1, "等候时间长 Long wait"), ShanghaiTime(9, 36));
  // T001 called back and resolved in time; T002 (due 10:21) resolved late;
  // T003 (due 11:31) never.
  Run(t::CallBack("T001", 1), ShanghaiTime(9, 50));
  Run(t::Resolve("T001", 1, "explained the bill"), ShanghaiTime(10, 0));
  Run(t::Issue("CMPL"), ShanghaiTime(10, 5));  // T003
  serve(1, "T003", 10, 30);
  Run(t::Resolve("T002", 1, "refunded the fee"), ShanghaiTime(10, 40));

  const v1::Report before = DayReport(ShanghaiTime(11, 0));
  EXPECT_EQ(before.complaints().opened(), 3);
  EXPECT_EQ(before.complaints().called_back(), 1);
  EXPECT_EQ(before.complaints().resolved(), 2);
  EXPECT_EQ(before.complaints().open(), 1);
  EXPECT_EQ(before.complaints().overdue(), 1) << "T002 only: T003 not yet";
  EXPECT_EQ(before.follow_ups().opened(), 1);
  EXPECT_EQ(before.follow_ups().open(), 1);
  EXPECT_EQ(before.follow_ups().closed(), 0);
  Run(t::CloseFollowUp(1, "coached bob", "boss"), ShanghaiTime(11, 5));

  const v1::Report report = DayReport(ShanghaiTime(12, 0));
  EXPECT_EQ(report.complaints().opened(), 3);
  EXPECT_EQ(report.complaints().overdue(), 2) << "T003 passed its deadline";
  EXPECT_EQ(report.follow_ups().opened(), 1);
  EXPECT_EQ(report.follow_ups().closed(), 1);
  EXPECT_EQ(report.follow_ups().open(), 0);
  EXPECT_EQ(report.total().complaints(), 3);
  for (const auto& s : report.services()) {
    EXPECT_EQ(s.figures().complaints(), s.service_code() == "CMPL" ? 3 : 0)
        << s.service_code();
  }
  for (const auto& h : report.hours()) {
    EXPECT_EQ(h.figures().complaints(), h.hour() == 9 ? 2 : 1) << h.hour();
  }
  for (const auto& c : report.clerks()) {
    EXPECT_EQ(c.complaints(), c.clerk_id() == "alice" ? 3 : 0);
    EXPECT_EQ(c.complaints_overdue(), c.clerk_id() == "alice" ? 2 : 0);
    EXPECT_EQ(c.bad_ratings(), c.clerk_id() == "bob" ? 1 : 0);
  }
  // The hot spots name the complaint service and the hour most complained
  // of, and the service and hour of the bad rating.
  std::vector<std::string> spots;
  for (const auto& spot : report.hot_spots()) {
    if (spot.kind() == v1::Report::HotSpot::KIND_COMPLAINTS ||
        spot.kind() == v1::Report::HotSpot::KIND_BAD_RATINGS) {
      spots.push_back(absl::StrCat(spot.kind(), " ", spot.service_code(), " ",
                                   spot.hour(), " ", spot.value()));
    }
  }
  EXPECT_EQ(spots,
            (std::vector<std::string>{"3 BILL -1 1", "3  9 1", "4 CMPL -1 3",
                                      "4  9 2", "4  10 1"}));
  // Without a time to count to, an unresolved case is not yet overdue.
  EXPECT_EQ(DayReport().complaints().overdue(), 1);
  ExpectRebuiltEqualsLive("rec_complaints: test-hall 20261127 T003");
}

TEST_P(RecordsTest, AJournalFromBeforeTheRecordsGetsThemAtOpen) {
  with_events_ = false;  // As qcalld wrote it before the records.
  ScriptedDay();
  store_.reset();
  for (const char* table :
       {"rec_tickets", "rec_service_days", "rec_hours", "rec_clerk_days",
        "rec_pauses", "rec_load", "rec_windows", "rec_halls", "rec_services",
        "rec_complaints", "rec_follow_ups"}) {
    Exec(absl::StrCat("DROP TABLE ", table));
  }
  Reopen();
  ASSERT_TRUE(store_->records_missing());
  EXPECT_EQ(DayReport().total().issued(), 0) << "nothing projected yet";
  ASSERT_TRUE(RebuildAllRecords(store_.get(), v1::ServerConfig()).ok());
  EXPECT_FALSE(store_->records_missing());
  const v1::Report report = DayReport();
  EXPECT_EQ(report.total().issued(), 4);
  EXPECT_EQ(report.total().completed(), 2);
  EXPECT_EQ(report.total().bad_ratings(), 1);
}

TEST_P(RecordsTest, ClerkDaysFromBeforeTheirWaitsAreRebuiltAtOpen) {
  ScriptedDay();
  store_.reset();
  // rec_clerk_days as it was before each clerk's calls and waits.
  for (const char* column : {"waits_in_target", "waits_n"}) {
    Exec(absl::StrCat("ALTER TABLE rec_clerk_days DROP COLUMN ", column));
  }
  Reopen();
  ASSERT_TRUE(store_->records_missing());
  ASSERT_TRUE(RebuildAllRecords(store_.get(), v1::ServerConfig()).ok());
  const v1::Report report = DayReport();
  EXPECT_EQ(report.total().issued(), 4);
  bool alice = false;
  for (const auto& c : report.clerks()) {
    if (c.clerk_id() != "alice") continue;
    alice = true;
    EXPECT_EQ(c.called(), 2);
    EXPECT_DOUBLE_EQ(c.wait_within_target(), 0.5);
  }
  EXPECT_TRUE(alice);
}

TEST_P(RecordsTest, TheLoadHistoryHasAMinuteASampleFromTheRecords) {
  Begin();
  Run(t::OpenWindow(1, "alice"), ShanghaiTime(9, 0));
  Run(t::OpenWindow(2, "bob"), ShanghaiTime(9, 0, 30));
  Run(t::Issue("BILL"), ShanghaiTime(9, 0, 40));
  Run(t::Issue("BILL"), ShanghaiTime(9, 1, 10));
  Run(t::Issue("SIM"), ShanghaiTime(9, 2, 0));
  Run(t::CallTicket(1, "A001"), ShanghaiTime(9, 3, 0));
  absl::StatusOr<v1::LoadHistory> history =
      store_->records()->LoadHistory("test-hall", kDay, ShanghaiTime(9, 4, 30));
  ASSERT_TRUE(history.ok()) << history.status();
  // 08:59 (the Configure) to 09:04.
  ASSERT_EQ(history->samples_size(), 6) << history->DebugString();
  const v1::LoadSample& at_0901 = history->samples(2);
  EXPECT_EQ(at_0901.at_unix_ms(), absl::ToUnixMillis(ShanghaiTime(9, 2)) - 1);
  EXPECT_EQ(at_0901.open_windows(), 2);
  ASSERT_EQ(at_0901.services_size(), 2);
  EXPECT_EQ(at_0901.services(0).code(), "BILL");
  EXPECT_EQ(at_0901.services(0).waiting(), 2);
  EXPECT_EQ(at_0901.services(0).oldest_wait_seconds(), 79);  // 09:00:40 on.
  EXPECT_EQ(at_0901.services(1).code(), "SIM");
  EXPECT_EQ(at_0901.services(1).waiting(), 0);
  const v1::LoadSample& last = history->samples(5);
  EXPECT_EQ(last.at_unix_ms(), absl::ToUnixMillis(ShanghaiTime(9, 4, 30)));
  EXPECT_EQ(last.services(0).waiting(), 1) << "A001 was called";
  EXPECT_EQ(last.services(0).oldest_wait_seconds(), 200);  // A002, 09:01:10.
  EXPECT_EQ(last.services(1).waiting(), 1);
}

INSTANTIATE_TEST_SUITE_P(Stores, RecordsTest,
                         ::testing::Values(StoreKind::kSqlite,
                                           StoreKind::kPostgres),
                         testing::StoreKindName);

TEST(ReportQueryTest, PeriodsAndDaysThatExist) {
  v1::ReportRequest r;
  r.set_kind(v1::REPORT_KIND_PERIOD);
  r.set_year(2026);
  r.set_month(2);
  r.set_period(3);
  absl::StatusOr<ReportQuery> q = ReportQuery::From(r);
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->first_day, 20260221);
  EXPECT_EQ(q->last_day, 20260228);
  r.set_period(2);
  EXPECT_EQ(ReportQuery::From(r)->last_day, 20260220);
  r.set_kind(v1::REPORT_KIND_MONTH);
  r.set_period(0);
  r.set_year(2028);  // A leap year.
  EXPECT_EQ(ReportQuery::From(r)->last_day, 20280229);
  r.set_kind(v1::REPORT_KIND_DAY);
  r.set_day(29);
  EXPECT_EQ(ReportQuery::From(r)->first_day, 20280229);
}

TEST(ReportQueryTest, PeriodsAndDaysThatDoNotExistAreRefused) {
  auto refused = [](v1::ReportKind kind, int year, int month, int day,
                    int period, absl::string_view says) {
    v1::ReportRequest r;
    r.set_kind(kind);
    r.set_year(year);
    r.set_month(month);
    r.set_day(day);
    r.set_period(period);
    absl::StatusOr<ReportQuery> q = ReportQuery::From(r);
    EXPECT_EQ(q.status().code(), absl::StatusCode::kInvalidArgument)
        << r.ShortDebugString();
    EXPECT_NE(q.status().message().find(says), absl::string_view::npos)
        << q.status();
  };
  refused(v1::REPORT_KIND_PERIOD, 2026, 12, 0, 4, "10-day period 4");
  refused(v1::REPORT_KIND_PERIOD, 2026, 12, 0, 0, "10-day period 0");
  refused(v1::REPORT_KIND_DAY, 2026, 2, 30, 0, "has no day 30: give 1 to 28");
  refused(v1::REPORT_KIND_DAY, 2026, 4, 31, 0, "give 1 to 30");
  refused(v1::REPORT_KIND_MONTH, 2026, 13, 0, 0, "month 13");
  refused(v1::REPORT_KIND_MONTH, 26, 1, 0, 0, "year 26");
  refused(v1::REPORT_KIND_UNSPECIFIED, 2026, 1, 1, 0, "kind is required");
  refused(v1::REPORT_KIND_MONTH, 2026, 1, 5, 0, "day is only for");
}

}  // namespace
}  // namespace qcall
