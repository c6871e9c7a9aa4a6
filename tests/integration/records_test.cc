// Records against a real qcalld: a scripted day's report checked total by
// total against an independent count of the event stream; reports and the
// load history across a kill -9 and restart, on SQLite and on PostgreSQL
// (with a customer's phone); bad report requests.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "tests/common/postgres_server.h"
#include "tests/integration/harness.h"
#include "tests/integration/qcalld_process.h"

namespace qcall::testing {
namespace {

Result<v1::Report> GetReport(Api& api, const v1::ReportRequest& request,
                             const std::string& token = kSupervisorToken) {
  return api.Call(&api.supervisor, &v1::Supervisor::Stub::GetReport, token,
                  request);
}

v1::ReportRequest DayOf(int32_t business_day, const std::string& hall = kHall) {
  v1::ReportRequest r;
  r.set_hall_id(hall);
  r.set_kind(v1::REPORT_KIND_DAY);
  r.set_year(business_day / 10000);
  r.set_month(business_day / 100 % 100);
  r.set_day(business_day % 100);
  return r;
}

// What the event stream says happened, counted apart from the records.
struct Counted {
  int64_t issued = 0;
  int64_t called = 0;
  int64_t completed = 0;
  int64_t no_shows = 0;
  int64_t cancelled = 0;
  int64_t voided = 0;
  int64_t recalls = 0;
  int64_t transfers = 0;
  int64_t rated = 0;
  int64_t satisfied = 0;
  int64_t bad = 0;
  std::map<std::string, int64_t> issued_by_service;
  std::map<int32_t, int64_t> served_by_window;
  // Complaint cases and follow-ups by their last state, as a report counts
  // them; each clerk's cases and bad ratings.
  int64_t complaints = 0;
  int64_t called_back = 0;
  int64_t resolved = 0;
  int64_t follow_ups = 0;
  int64_t follow_ups_closed = 0;
  std::map<std::string, int64_t> complaints_by_clerk;
  std::map<std::string, int64_t> complaints_by_service;
  std::map<std::string, int64_t> bad_by_clerk;
};

Counted Count(const std::vector<v1::HallEvent>& events) {
  Counted c;
  std::set<std::string> called;
  for (const v1::HallEvent& e : events) {
    switch (e.kind_case()) {
      case v1::HallEvent::kTicketIssued:
        ++c.issued;
        ++c.issued_by_service[e.ticket_issued().ticket().service_code()];
        break;
      case v1::HallEvent::kTicketCalled:
        if (called.insert(e.ticket_called().ticket().number()).second) {
          ++c.called;
        }
        if (e.ticket_called().recall() > 0) ++c.recalls;
        break;
      case v1::HallEvent::kTicketTransferred:
        ++c.transfers;
        break;
      case v1::HallEvent::kTicketRated: {
        const int32_t level = e.ticket_rated().level();
        ++c.rated;
        if (level >= 4) ++c.satisfied;
        if (level <= 2) {
          ++c.bad;
          ++c.bad_by_clerk[e.ticket_rated().clerk_id()];
        }
        break;
      }
      case v1::HallEvent::kComplaintChanged: {
        const v1::ComplaintCase& k = e.complaint_changed().complaint();
        if (k.state() == v1::ComplaintCase::STATE_OPEN) {
          ++c.complaints;
          ++c.complaints_by_clerk[k.owner_clerk_id()];
          ++c.complaints_by_service[k.service_code()];
        }
        if (k.state() == v1::ComplaintCase::STATE_CALLED_BACK) ++c.called_back;
        if (k.state() == v1::ComplaintCase::STATE_RESOLVED) ++c.resolved;
        break;
      }
      case v1::HallEvent::kFollowUpChanged:
        if (e.follow_up_changed().follow_up().state() ==
            v1::FollowUp::STATE_OPEN) {
          ++c.follow_ups;
        } else {
          ++c.follow_ups_closed;
        }
        break;
      case v1::HallEvent::kTicketStateChanged: {
        const auto& s = e.ticket_state_changed();
        switch (s.ticket().state()) {
          case v1::TICKET_STATE_COMPLETED:
            ++c.completed;
            ++c.served_by_window[s.window() ? s.window() : s.ticket().window()];
            break;
          case v1::TICKET_STATE_NO_SHOW:
            ++c.no_shows;
            break;
          case v1::TICKET_STATE_CANCELLED:
            ++c.cancelled;
            break;
          case v1::TICKET_STATE_VOIDED:
            ++c.voided;
            break;
          default:
            break;
        }
        break;
      }
      default:
        break;
    }
  }
  return c;
}

TEST(QcalldRecordsTest, EveryReportTotalMatchesTheEventStream) {
  // Window 3 has the customer's pad; SIM takes complaints.
  QcalldProcess server(
      {.config_text = absl::StrCat(
           absl::StrReplaceAll(TestConfig(), {{"ticket_prefix: \"B\"",
                                               "ticket_prefix: \"B\" "
                                               "complaint: true"}}),
           "\ntokens { token: \"it-pad3-token\" role: "
           "ROLE_EVALUATOR name: \"pad 3\" halls: "
           "[\"it-hall\"] windows: [3] }\n")});
  ASSERT_TRUE(server.Start());
  Api api(server.NewChannel());
  std::unique_ptr<v1::Evaluator::Stub> evaluator =
      v1::Evaluator::NewStub(server.NewChannel());
  Watcher watch(&api.supervisor, kSupervisorToken, WatchFrom(0));
  v1::WatchResponse first;
  ASSERT_TRUE(watch.Read(&first));
  ASSERT_TRUE(first.has_snapshot());
  const uint64_t start_seq = first.snapshot().last_seq();

  // A scripted day: four windows, 40 tickets of three services and two
  // categories, served, rated, missed, recalled, moved and given up.
  for (int w = 1; w <= 4; ++w) {
    ASSERT_OK(api.Open(w, "clerk-" + std::to_string(w)));
  }
  const char* services[] = {"BILL", "SIM", "PLAN"};
  for (int i = 0; i < 40; ++i) {
    ASSERT_OK(api.Issue(services[i % 3], i % 7 == 0 ? v1::CATEGORY_GREEN_CHANNEL
                                                    : v1::CATEGORY_NORMAL));
  }
  uint64_t last_seq = 0;
  for (int round = 0; round < 6; ++round) {  // Some are left waiting.
    for (int w = 1; w <= 4; ++w) {
      auto called = api.CallNext(w);
      ASSERT_OK(called);
      if (!called->has_ticket()) continue;
      last_seq = called->seq();
      const int pick = (round * 4 + w) % 6;
      if (pick == 0) {
        ASSERT_OK(api.Recall(w));
        ASSERT_OK(api.NoShow(w));
        continue;
      }
      if (pick == 1 && w != 3) {
        auto moved = api.TransferToService(w, "SIM");
        ASSERT_OK(moved);
        continue;
      }
      ASSERT_OK(api.StartServing(w));
      auto done = api.Complete(w);
      ASSERT_OK(done);
      // The customer rates at window 3's pad (the hall's one pad),
      // sometimes not at all, sometimes badly.
      if (w == 3 && pick != 2) {
        v1::RateTicketRequest rate;
        rate.set_hall_id(kHall);
        rate.set_window(3);
        rate.set_ticket(done->ticket().number());
        rate.set_level((round + w) % 5 + 1);
        if (rate.level() <= 2) rate.set_reason("服务态度差 Poor attitude");
        ASSERT_OK(api.Call(evaluator.get(), &v1::Evaluator::Stub::RateTicket,
                           "it-pad3-token", rate));
      }
    }
  }
  auto hall = api.GetHall();
  ASSERT_OK(hall);
  // Give up whoever still waits in PLAN; void one in BILL.
  bool voided = false;
  for (int n = 1; n <= 40; ++n) {
    for (const char* prefix : {"A", "C"}) {
      const std::string number =
          prefix + std::string(4 - std::to_string(n).size(), '0') +
          std::to_string(n);
      auto ticket = api.GetTicket(number);
      if (!ticket.ok() ||
          ticket->ticket().state() != v1::TICKET_STATE_WAITING) {
        continue;
      }
      if (prefix[0] == 'C') {
        ASSERT_OK(api.Cancel(number));
      } else if (!voided) {
        ASSERT_OK(api.Void(number, "printed twice"));
        voided = true;
      }
    }
  }
  // The first complaint case called back and resolved, the second
  // resolved, the rest left open; the first follow-up closed.
  hall = api.GetHall();
  ASSERT_OK(hall);
  ASSERT_GE(hall->complaints_size(), 3);
  for (int i = 0; i < 2; ++i) {
    const v1::ComplaintCase& k = hall->complaints(i);
    if (i == 0) {
      v1::CallBackComplaintRequest r;
      r.set_hall_id(kHall);
      r.set_ticket(k.ticket());
      r.set_note("reached the customer");
      ASSERT_OK(api.Call(&api.counter, &v1::Counter::Stub::CallBackComplaint,
                         kSupervisorToken, r));
    }
    v1::ResolveComplaintRequest r;
    r.set_hall_id(kHall);
    r.set_ticket(k.ticket());
    r.set_resolution("explained and apologised");
    ASSERT_OK(api.Call(&api.counter, &v1::Counter::Stub::ResolveComplaint,
                       kSupervisorToken, r));
  }
  ASSERT_GE(hall->follow_ups_size(), 1);
  v1::CloseFollowUpRequest close;
  close.set_hall_id(kHall);
  close.set_id(hall->follow_ups(0).id());
  close.set_text("coached the clerk");
  ASSERT_OK(api.Call(&api.supervisor, &v1::Supervisor::Stub::CloseFollowUp,
                     kSupervisorToken, close));
  auto last = api.Close(4);
  ASSERT_OK(last);
  last_seq = last->seq();

  std::vector<v1::HallEvent> events;
  ASSERT_TRUE(watch.EventsThrough(last_seq, &events));
  ASSERT_GT(last_seq, start_seq);
  const Counted counted = Count(events);
  ASSERT_GT(counted.completed, 5);
  ASSERT_GT(counted.no_shows, 0);
  ASSERT_GT(counted.transfers, 0);
  ASSERT_GT(counted.cancelled, 0);
  ASSERT_GT(counted.rated, 0);
  ASSERT_GT(counted.bad, 0);
  ASSERT_EQ(counted.voided, 1);

  auto report = GetReport(api, DayOf(hall->business_day()));
  ASSERT_OK(report);
  const v1::ReportFigures& total = report->total();
  EXPECT_EQ(total.issued(), counted.issued);
  EXPECT_EQ(total.called(), counted.called);
  EXPECT_EQ(total.completed(), counted.completed);
  EXPECT_EQ(total.no_shows(), counted.no_shows);
  EXPECT_EQ(total.cancelled(), counted.cancelled);
  EXPECT_EQ(total.voided(), counted.voided);
  EXPECT_EQ(total.recalls(), counted.recalls);
  EXPECT_EQ(total.transfers(), counted.transfers);
  EXPECT_EQ(total.rated(), counted.rated);
  EXPECT_EQ(total.satisfied(), counted.satisfied);
  EXPECT_EQ(total.bad_ratings(), counted.bad);
  std::map<std::string, int64_t> issued_by_service;
  for (const auto& s : report->services()) {
    issued_by_service[s.service_code()] = s.figures().issued();
  }
  EXPECT_EQ(issued_by_service, counted.issued_by_service);
  int64_t by_hours = 0;
  for (const auto& h : report->hours()) by_hours += h.figures().issued();
  EXPECT_EQ(by_hours, counted.issued);
  std::map<int32_t, int64_t> served_by_window;
  for (const auto& c : report->clerks()) {
    EXPECT_EQ(c.clerk_id(), "clerk-" + std::to_string(c.window()));
    if (c.served() > 0) served_by_window[c.window()] += c.served();
  }
  EXPECT_EQ(served_by_window, counted.served_by_window);
  // Complaint cases and follow-ups, in all and by clerk and service.
  ASSERT_EQ(counted.resolved, 2);
  EXPECT_EQ(report->complaints().opened(), counted.complaints);
  EXPECT_EQ(report->complaints().called_back(), counted.called_back);
  EXPECT_EQ(report->complaints().resolved(), counted.resolved);
  EXPECT_EQ(report->complaints().open(), counted.complaints - counted.resolved);
  EXPECT_EQ(report->complaints().overdue(), 0) << "24 hours to go";
  EXPECT_EQ(total.complaints(), counted.complaints);
  EXPECT_EQ(report->follow_ups().opened(), counted.follow_ups);
  EXPECT_EQ(report->follow_ups().closed(), counted.follow_ups_closed);
  EXPECT_EQ(report->follow_ups().open(),
            counted.follow_ups - counted.follow_ups_closed);
  std::map<std::string, int64_t> complaints_by_clerk;
  std::map<std::string, int64_t> bad_by_clerk;
  for (const auto& c : report->clerks()) {
    if (c.complaints() > 0) complaints_by_clerk[c.clerk_id()] += c.complaints();
    if (c.bad_ratings() > 0) bad_by_clerk[c.clerk_id()] += c.bad_ratings();
  }
  EXPECT_EQ(complaints_by_clerk, counted.complaints_by_clerk);
  EXPECT_EQ(bad_by_clerk, counted.bad_by_clerk);
  std::map<std::string, int64_t> complaints_by_service;
  for (const auto& s : report->services()) {
    if (s.figures().complaints() > 0) {
      complaints_by_service[s.service_code()] = s.figures().complaints();
    }
  }
  EXPECT_EQ(complaints_by_service, counted.complaints_by_service);
  int64_t complaints_by_hours = 0;
  for (const auto& h : report->hours()) {
    complaints_by_hours += h.figures().complaints();
  }
  EXPECT_EQ(complaints_by_hours, counted.complaints);
  bool complaint_spot = false;
  for (const auto& spot : report->hot_spots()) {
    if (spot.kind() == v1::Report::HotSpot::KIND_COMPLAINTS &&
        spot.service_code() == "SIM") {
      complaint_spot = true;
      EXPECT_EQ(spot.value(), counted.complaints);
    }
  }
  EXPECT_TRUE(complaint_spot);
  // Window 4 closed: its time open is counted.
  bool window_4 = false;
  for (const auto& w : report->windows()) {
    if (w.window() == 4) window_4 = true;
  }
  EXPECT_TRUE(window_4);

  // Every hall the token sees, in one report: the same figures here.
  v1::ReportRequest all = DayOf(hall->business_day(), "");
  auto everywhere = GetReport(api, all);
  ASSERT_OK(everywhere);
  EXPECT_EQ(everywhere->hall_ids_size(), 2);
  EXPECT_EQ(everywhere->total().issued(), counted.issued);
}

TEST(QcalldRecordsTest, ReportsAndTheLoadHistorySurviveARestart) {
  QcalldProcess server({.config_text = TestConfig()});
  ASSERT_TRUE(server.Start());
  int32_t day = 0;
  v1::LoadHistory before;
  v1::Report report_before;
  {
    Api api(server.NewChannel());
    ASSERT_OK(api.Open(1, "c1"));
    for (int i = 0; i < 5; ++i) ASSERT_OK(api.Issue("BILL"));
    ASSERT_OK(api.CallNext(1));
    auto hall = api.GetHall();
    ASSERT_OK(hall);
    day = hall->business_day();
    v1::GetLoadHistoryRequest r;
    r.set_hall_id(kHall);
    auto history =
        api.Call(&api.supervisor, &v1::Supervisor::Stub::GetLoadHistory,
                 kSupervisorToken, r);
    ASSERT_OK(history);
    before = *history;
    auto report = GetReport(api, DayOf(day));
    ASSERT_OK(report);
    report_before = *report;
  }
  ASSERT_GE(before.samples_size(), 1);
  const v1::LoadSample& last_before = before.samples(before.samples_size() - 1);
  EXPECT_EQ(last_before.open_windows(), 1);
  ASSERT_GE(last_before.services_size(), 1);
  EXPECT_EQ(last_before.services(0).code(), "BILL");
  EXPECT_EQ(last_before.services(0).waiting(), 4);
  EXPECT_EQ(report_before.total().issued(), 5);

  ASSERT_TRUE(server.Restart());
  Api api(server.NewChannel());
  v1::GetLoadHistoryRequest r;
  r.set_hall_id(kHall);
  auto after = api.Call(&api.supervisor, &v1::Supervisor::Stub::GetLoadHistory,
                        kSupervisorToken, r);
  ASSERT_OK(after);
  ASSERT_GE(after->samples_size(), before.samples_size());
  // The minutes before the restart are as they were; the last of them
  // holds what the hall held when it went down.
  for (int i = 0; i + 1 < before.samples_size(); ++i) {
    EXPECT_EQ(after->samples(i).DebugString(), before.samples(i).DebugString())
        << "sample " << i;
  }
  const v1::LoadSample& now = after->samples(after->samples_size() - 1);
  EXPECT_EQ(now.open_windows(), 1);
  EXPECT_EQ(now.services(0).waiting(), 4);
  auto report = GetReport(api, DayOf(day));
  ASSERT_OK(report);
  EXPECT_EQ(report->total().DebugString(), report_before.total().DebugString());
  EXPECT_EQ(report->clerks_size(), report_before.clerks_size());
}

// On PostgreSQL (qcalld --store postgresql://...): the report, the load
// history and a customer's phone are the database's, and a kill -9 loses
// none of them; the records go on from where they were.
TEST(QcalldRecordsTest, OnPostgresAReportAndAPhoneSurviveKill9) {
  absl::StatusOr<std::string> url = NewPostgresDatabase();
  if (absl::IsNotFound(url.status())) GTEST_SKIP() << url.status().message();
  ASSERT_TRUE(url.ok()) << url.status();
  constexpr char kPhone[] = "13800138000";
  QcalldProcess server({.config_text = TestConfig(),
                        .extra_args = {"--store", *url},
                        .private_key = true});
  ASSERT_TRUE(server.Start());
  EXPECT_EQ(server.Log().find("no record tables"), std::string::npos);
  auto read_phone = [&](Api& api, int32_t day) {
    v1::ReadPrivateDataRequest r;
    r.set_hall_id(kHall);
    r.set_ticket("A0001");
    r.set_business_day(day);
    r.set_reason("call back");
    return api.Call(&api.supervisor, &v1::Supervisor::Stub::ReadPrivateData,
                    kSupervisorToken, r);
  };
  auto reads = [&](Api& api) {
    v1::ListPrivateDataReadsRequest r;
    r.set_hall_id(kHall);
    return api.Call(&api.supervisor,
                    &v1::Supervisor::Stub::ListPrivateDataReads,
                    kSupervisorToken, r);
  };
  int32_t day = 0;
  v1::Report before;
  {
    Api api(server.NewChannel());
    Api::Reply first = api.Issue("BILL", v1::CATEGORY_NORMAL, "k-1", kPhone);
    ASSERT_OK(first);
    day = first->ticket().business_day();
    for (int i = 0; i < 4; ++i) ASSERT_OK(api.Issue("BILL"));
    ASSERT_OK(api.Open(1, "c1"));
    ASSERT_OK(api.CallNext(1));
    ASSERT_OK(api.StartServing(1));
    ASSERT_OK(api.Complete(1));
    auto report = GetReport(api, DayOf(day));
    ASSERT_OK(report);
    before = *report;
    auto phone = read_phone(api, day);
    ASSERT_OK(phone);
    EXPECT_EQ(phone->phone(), kPhone);
  }
  EXPECT_EQ(before.total().issued(), 5);
  EXPECT_EQ(before.total().completed(), 1);
  ASSERT_EQ(before.clerks_size(), 1);
  EXPECT_EQ(before.clerks(0).served(), 1);
  // The records are rows of the database; the phone is in none in plain
  // text, neither a journal row nor a private one.
  EXPECT_EQ(*PostgresServer::Query(*url, "SELECT count(*) FROM rec_tickets"),
            "5");
  for (const char* table : {"journal", "snapshots", "private_data"}) {
    const std::string column = std::string(table) == "journal"     ? "command"
                               : std::string(table) == "snapshots" ? "state"
                                                                   : "sealed";
    EXPECT_EQ(*PostgresServer::Query(
                  *url, absl::StrCat("SELECT count(*) FROM ", table,
                                     " WHERE position(convert_to('", kPhone,
                                     "', 'UTF8') in ", column, ") > 0")),
              "0")
        << table;
  }

  ASSERT_TRUE(server.Restart());  // kill -9, then a start on the database.
  Api api(server.NewChannel());
  auto report = GetReport(api, DayOf(day));
  ASSERT_OK(report);
  EXPECT_EQ(report->total().DebugString(), before.total().DebugString());
  EXPECT_EQ(report->clerks_size(), 1);
  auto phone = read_phone(api, day);
  ASSERT_OK(phone);
  EXPECT_EQ(phone->phone(), kPhone);
  auto listed = reads(api);
  ASSERT_OK(listed);
  ASSERT_EQ(listed->reads_size(), 2) << "both reads, the first before kill";
  EXPECT_EQ(listed->reads(1).outcome(), "returned");
  // The projection goes on from the tables: the open window, the day.
  ASSERT_OK(api.Issue("BILL"));
  ASSERT_OK(api.CallNext(1));
  auto later = GetReport(api, DayOf(day));
  ASSERT_OK(later);
  EXPECT_EQ(later->total().issued(), 6);
  EXPECT_EQ(later->total().called(), 2);
  ASSERT_EQ(later->clerks_size(), 1);
  EXPECT_EQ(later->clerks(0).called(), 2);
  v1::GetLoadHistoryRequest r;
  r.set_hall_id(kHall);
  auto history =
      api.Call(&api.supervisor, &v1::Supervisor::Stub::GetLoadHistory,
               kSupervisorToken, r);
  ASSERT_OK(history);
  ASSERT_GE(history->samples_size(), 1);
  EXPECT_EQ(history->samples(history->samples_size() - 1).open_windows(), 1);
}

TEST(QcalldRecordsTest, BadReportRequestsAreRefusedWithAReason) {
  QcalldProcess server({.config_text = TestConfig()});
  ASSERT_TRUE(server.Start());
  Api api(server.NewChannel());
  v1::ReportRequest r;
  r.set_hall_id(kHall);
  r.set_kind(v1::REPORT_KIND_PERIOD);
  r.set_year(2026);
  r.set_month(12);
  r.set_period(4);
  auto refused = GetReport(api, r);
  EXPECT_CODE(refused, grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(refused.status.error_message().find("10-day period 4"),
            std::string::npos)
      << refused.status.error_message();
  r.set_kind(v1::REPORT_KIND_DAY);
  r.set_period(0);
  r.set_month(2);
  r.set_day(30);
  refused = GetReport(api, r);
  EXPECT_CODE(refused, grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(refused.status.error_message().find("no day 30"),
            std::string::npos);

  v1::ReportRequest month;
  month.set_hall_id(kHall);
  month.set_kind(v1::REPORT_KIND_MONTH);
  month.set_year(2026);
  month.set_month(12);
  EXPECT_CODE(GetReport(api, month, kOtherSupervisorToken),
              grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_CODE(GetReport(api, month, kKioskToken),
              grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_CODE(GetReport(api, month, ""), grpc::StatusCode::UNAUTHENTICATED);
  month.set_hall_id("nowhere");
  EXPECT_CODE(GetReport(api, month), grpc::StatusCode::NOT_FOUND);
  // Every hall the token may see: the other supervisor sees one.
  month.set_hall_id("");
  auto other = GetReport(api, month, kOtherSupervisorToken);
  ASSERT_OK(other);
  ASSERT_EQ(other->hall_ids_size(), 1);
  EXPECT_EQ(other->hall_ids(0), kOtherHall);
  EXPECT_CODE(GetReport(api, month, kDisplayToken),
              grpc::StatusCode::PERMISSION_DENIED);
}

}  // namespace
}  // namespace qcall::testing
