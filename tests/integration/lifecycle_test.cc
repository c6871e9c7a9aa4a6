// One business day of one hall through every RPC of the API, against a real
// qcalld: kiosk, counter, board and supervisor, with the statuses and the
// payloads each call must return, and at the end the event stream a board
// received meanwhile.
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/integration/harness.h"
#include "tests/integration/qcalld_process.h"

namespace qcall::testing {
namespace {

using grpc::StatusCode;

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Ticket issue times are compared to the millisecond by dispatch: a pause
// keeps "issued earlier" unambiguous.
void NextMillisecond() {
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

// How long window 1 serves B0001 at least.
constexpr std::chrono::milliseconds kServedFor(50);

const v1::HallEvent* FindEvent(
    const std::vector<v1::HallEvent>& events,
    const std::function<bool(const v1::HallEvent&)>& match) {
  for (const v1::HallEvent& e : events) {
    if (match(e)) return &e;
  }
  return nullptr;
}

TEST(QcalldLifecycleTest, EveryRpcThroughOneHallsDay) {
  QcalldProcess server(
      {.config_text = TestConfig(), .heartbeat_timeout_seconds = 1});
  ASSERT_TRUE(server.Start());
  Api api(server.NewChannel());
  const std::string phone = "13800138000";

  // A board watching from the start: a snapshot first, then every change.
  Watcher board(&api.display, kDisplayToken, WatchFrom(0));
  v1::WatchResponse first;
  ASSERT_TRUE(board.Read(&first)) << Describe(board.Finish());
  ASSERT_TRUE(first.has_snapshot()) << first.ShortDebugString();
  EXPECT_EQ(first.snapshot().hall_id(), kHall);
  EXPECT_EQ(first.snapshot().windows_size(), 6);
  EXPECT_TRUE(first.snapshot().business_hours());
  const uint64_t start_seq = first.snapshot().last_seq();

  // --- ListServices: the kiosk's buttons.
  {
    auto services = api.ListServices();
    ASSERT_OK(services);
    EXPECT_EQ(services->hall_name(), "Integration Hall");
    ASSERT_EQ(services->services_size(), 3);
    EXPECT_EQ(services->services(0).code(), "BILL");
    EXPECT_EQ(services->services(0).name(), "话费缴纳 Bill payment");
    EXPECT_EQ(services->services(1).code(), "SIM");
    EXPECT_EQ(services->services(2).code(), "PLAN");
    for (const auto& s : services->services()) {
      EXPECT_EQ(s.waiting(), 0) << s.code();
      EXPECT_EQ(s.open_windows(), 0) << s.code();
    }
  }

  // --- IssueTicket: A0001-A0003, then a VIP for SIM with a phone number.
  // With no window open the estimate assumes one window at the prior
  // handling time (120 s for BILL): (people ahead + 1) x 120 s.
  const int64_t before_issue = NowMillis();
  for (int i = 1; i <= 3; ++i) {
    auto issued = api.Issue("BILL");
    ASSERT_OK(issued);
    const v1::Ticket& t = issued->ticket();
    EXPECT_EQ(t.number(), "A000" + std::to_string(i));
    EXPECT_EQ(t.service_code(), "BILL");
    EXPECT_EQ(t.service_name(), "话费缴纳 Bill payment");
    EXPECT_EQ(t.category(), v1::CATEGORY_NORMAL);
    EXPECT_EQ(t.state(), v1::TICKET_STATE_WAITING);
    EXPECT_EQ(t.window(), 0);
    EXPECT_GT(t.business_day(), 20000101);
    EXPECT_GE(t.issued_at_unix_ms(), before_issue - 1000);
    EXPECT_LE(t.issued_at_unix_ms(), NowMillis() + 1000);
    EXPECT_EQ(issued->people_ahead(), i - 1);
    EXPECT_EQ(issued->estimated_wait_seconds(), 120 * i);
    EXPECT_GT(issued->seq(), start_seq);
    NextMillisecond();
  }
  auto vip = api.Issue("SIM", v1::CATEGORY_VIP, "", phone);
  ASSERT_OK(vip);
  EXPECT_EQ(vip->ticket().number(), "B0001");
  EXPECT_EQ(vip->ticket().category(), v1::CATEGORY_VIP);
  EXPECT_EQ(vip->people_ahead(), 0);
  EXPECT_EQ(vip->estimated_wait_seconds(), 300);
  NextMillisecond();

  // --- GetTicket: place and estimate; readable by boards as well.
  {
    auto a2 = api.GetTicket("A0002");
    ASSERT_OK(a2);
    EXPECT_EQ(a2->ticket().number(), "A0002");
    EXPECT_EQ(a2->ticket().state(), v1::TICKET_STATE_WAITING);
    EXPECT_EQ(a2->people_ahead(), 1);
    EXPECT_EQ(a2->estimated_wait_seconds(), 240);
    EXPECT_OK(api.GetTicket("A0002", kDisplayToken));
    EXPECT_CODE(api.GetTicket("A0099"), StatusCode::NOT_FOUND);
    auto services = api.ListServices();
    ASSERT_OK(services);
    EXPECT_EQ(services->services(0).waiting(), 3);
    EXPECT_EQ(services->services(1).waiting(), 1);
    EXPECT_EQ(services->services(2).waiting(), 0);
  }

  // --- OpenWindow: windows 1 (BILL+SIM) and 3 (BILL).
  {
    auto open = api.Open(1, "clerk-1");
    ASSERT_OK(open);
    EXPECT_FALSE(open->has_ticket());
    EXPECT_CODE(api.Open(1, "clerk-9"), StatusCode::FAILED_PRECONDITION);
    EXPECT_CODE(api.Open(2, "clerk-1"), StatusCode::FAILED_PRECONDITION)
        << "one clerk, one window";
    ASSERT_OK(api.Open(3, "clerk-3"));
    // Two idle windows serve BILL and one person is ahead of A0002.
    auto a2 = api.GetTicket("A0002");
    ASSERT_OK(a2);
    EXPECT_EQ(a2->estimated_wait_seconds(), 0);
    auto services = api.ListServices();
    ASSERT_OK(services);
    EXPECT_EQ(services->services(0).open_windows(), 2);
    EXPECT_EQ(services->services(1).open_windows(), 1);
  }

  // --- CallNext: the VIP goes first at window 1.
  {
    auto called = api.CallNext(1);
    ASSERT_OK(called);
    EXPECT_EQ(called->ticket().number(), "B0001");
    EXPECT_EQ(called->ticket().state(), v1::TICKET_STATE_CALLED);
    EXPECT_EQ(called->ticket().window(), 1);
    EXPECT_CODE(api.CallNext(1), StatusCode::FAILED_PRECONDITION)
        << "a calling window cannot call again";
  }

  // --- Recall: twice, then the policy's limit (max_recalls 2).
  {
    auto recall = api.Recall(1);
    ASSERT_OK(recall);
    EXPECT_EQ(recall->ticket().number(), "B0001");
    EXPECT_EQ(recall->ticket().recalls(), 1);
    recall = api.Recall(1);
    ASSERT_OK(recall);
    EXPECT_EQ(recall->ticket().recalls(), 2);
    EXPECT_CODE(api.Recall(1), StatusCode::FAILED_PRECONDITION);
  }

  // --- StartServing and Complete (a rating is the evaluator pad's).
  {
    auto serving = api.StartServing(1);
    ASSERT_OK(serving);
    EXPECT_EQ(serving->ticket().number(), "B0001");
    EXPECT_EQ(serving->ticket().state(), v1::TICKET_STATE_SERVING);
    EXPECT_CODE(api.StartServing(1), StatusCode::FAILED_PRECONDITION);
    EXPECT_CODE(api.Recall(1), StatusCode::FAILED_PRECONDITION);
    // Served for a while: a handling time of 0 would be wrong.
    std::this_thread::sleep_for(kServedFor);
    auto rated = api.Complete(1, 5);
    EXPECT_CODE(rated, StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(rated.status.error_message().find(
                  "ratings come from the evaluator pad"),
              std::string::npos)
        << rated.status.error_message();
    auto done = api.Complete(1);
    ASSERT_OK(done);
    EXPECT_EQ(done->ticket().number(), "B0001");
    EXPECT_EQ(done->ticket().state(), v1::TICKET_STATE_COMPLETED);
    EXPECT_EQ(done->ticket().window(), 1);
    EXPECT_CODE(api.Complete(1), StatusCode::FAILED_PRECONDITION);
  }

  // --- NoShow and Requeue: A0001 misses its call at window 3 and comes
  // back behind the two still waiting (requeue offset 3, only two wait).
  {
    auto called = api.CallNext(3);
    ASSERT_OK(called);
    EXPECT_EQ(called->ticket().number(), "A0001");
    auto no_show = api.NoShow(3);
    ASSERT_OK(no_show);
    EXPECT_EQ(no_show->ticket().number(), "A0001");
    EXPECT_EQ(no_show->ticket().state(), v1::TICKET_STATE_NO_SHOW);
    EXPECT_CODE(api.NoShow(3), StatusCode::FAILED_PRECONDITION);
    EXPECT_CODE(api.Requeue(1, "A0001"), StatusCode::FAILED_PRECONDITION)
        << "only the window whose call was missed takes the customer back";
    EXPECT_CODE(api.Requeue(0, "A0001"), StatusCode::PERMISSION_DENIED)
        << "a counter token names its window";
    auto back = api.Requeue(3, "A0001");
    ASSERT_OK(back);
    EXPECT_EQ(back->ticket().state(), v1::TICKET_STATE_WAITING);
    EXPECT_EQ(back->ticket().requeues(), 1);
    EXPECT_EQ(back->people_ahead(), 2);
    EXPECT_CODE(api.Requeue(3, "A0001"), StatusCode::FAILED_PRECONDITION)
        << "a waiting ticket cannot be requeued";
  }

  // --- Transfer to a service: window 3 sends A0002 to SIM, first in line.
  {
    auto called = api.CallNext(3);
    ASSERT_OK(called);
    EXPECT_EQ(called->ticket().number(), "A0002");
    auto moved = api.TransferToService(3, "SIM", v1::PLACEMENT_FIRST);
    ASSERT_OK(moved);
    EXPECT_EQ(moved->ticket().number(), "A0002");
    EXPECT_EQ(moved->ticket().service_code(), "SIM");
    EXPECT_EQ(moved->ticket().state(), v1::TICKET_STATE_WAITING);
    auto status = api.GetTicket("A0002");
    ASSERT_OK(status);
    EXPECT_EQ(status->ticket().service_code(), "SIM");
    EXPECT_EQ(status->people_ahead(), 0);
    auto hall = api.GetHall();
    ASSERT_OK(hall);
    ASSERT_NE(FindWindow(*hall, 3), nullptr);
    EXPECT_EQ(FindWindow(*hall, 3)->state(), v1::WINDOW_STATE_IDLE);
    EXPECT_FALSE(FindWindow(*hall, 3)->has_ticket());
    EXPECT_CODE(api.TransferToService(3, "SIM"),
                StatusCode::FAILED_PRECONDITION)
        << "window 3 holds nothing now";
  }

  // --- Transfer to a window: window 1 takes A0002 (older than A0003) from
  // the SIM lane and sends it to window 4, which calls it first.
  {
    auto called = api.CallNext(1);
    ASSERT_OK(called);
    EXPECT_EQ(called->ticket().number(), "A0002");
    EXPECT_EQ(called->ticket().window(), 1);
    auto moved = api.TransferToWindow(1, 4);
    ASSERT_OK(moved);
    EXPECT_EQ(moved->ticket().number(), "A0002");
    EXPECT_EQ(moved->ticket().state(), v1::TICKET_STATE_WAITING);
    ASSERT_OK(api.Open(4, "clerk-4"));
    auto at4 = api.CallNext(4);
    ASSERT_OK(at4);
    EXPECT_EQ(at4->ticket().number(), "A0002");
    EXPECT_EQ(at4->ticket().window(), 4);
    ASSERT_OK(api.StartServing(4));
    auto done = api.Complete(4);
    ASSERT_OK(done);
    EXPECT_EQ(done->ticket().state(), v1::TICKET_STATE_COMPLETED);
  }

  // --- CallTicket: window 3 calls A0001 by its number, ahead of A0003.
  {
    EXPECT_CODE(api.CallTicket(4, "A0003"), StatusCode::FAILED_PRECONDITION)
        << "window 4 does not serve BILL";
    auto called = api.CallTicket(3, "A0001");
    ASSERT_OK(called);
    EXPECT_EQ(called->ticket().number(), "A0001");
    EXPECT_EQ(called->ticket().state(), v1::TICKET_STATE_CALLED);
    EXPECT_EQ(called->ticket().window(), 3);
    EXPECT_EQ(called->ticket().requeues(), 1);
    EXPECT_CODE(api.CallTicket(3, "A0003"), StatusCode::FAILED_PRECONDITION)
        << "window 3 is busy";
    ASSERT_OK(api.StartServing(3));
    ASSERT_OK(api.Complete(3));
  }

  // --- CancelTicket: A0003 gives up.
  {
    auto cancelled = api.Cancel("A0003");
    ASSERT_OK(cancelled);
    EXPECT_EQ(cancelled->ticket().number(), "A0003");
    EXPECT_EQ(cancelled->ticket().state(), v1::TICKET_STATE_CANCELLED);
    EXPECT_CODE(api.Cancel("A0003"), StatusCode::FAILED_PRECONDITION);
    EXPECT_CODE(api.CallTicket(3, "A0003"), StatusCode::FAILED_PRECONDITION);
  }

  // --- CallNext with nobody waiting: OK, no ticket, nothing changes.
  {
    auto hall = api.GetHall();
    ASSERT_OK(hall);
    auto nobody = api.CallNext(1);
    ASSERT_OK(nobody);
    EXPECT_FALSE(nobody->has_ticket()) << nobody->ShortDebugString();
    auto after = api.GetHall();
    ASSERT_OK(after);
    EXPECT_TRUE(SameView(*hall, *after));
    EXPECT_EQ(FindWindow(*after, 1)->state(), v1::WINDOW_STATE_IDLE);
  }

  // --- PauseWindow / ResumeWindow.
  {
    auto paused = api.Pause(1, "lunch");
    ASSERT_OK(paused);
    auto hall = api.GetHall();
    ASSERT_OK(hall);
    EXPECT_EQ(FindWindow(*hall, 1)->state(), v1::WINDOW_STATE_PAUSED);
    EXPECT_EQ(FindWindow(*hall, 1)->reason(), "lunch");
    EXPECT_EQ(hall->open_windows(), 2) << "a paused window is not open";
    EXPECT_CODE(api.CallNext(1), StatusCode::FAILED_PRECONDITION);
    EXPECT_CODE(api.Pause(1, "again"), StatusCode::FAILED_PRECONDITION);
    ASSERT_OK(api.Resume(1));
    EXPECT_CODE(api.Resume(1), StatusCode::FAILED_PRECONDITION);
    hall = api.GetHall();
    ASSERT_OK(hall);
    EXPECT_EQ(FindWindow(*hall, 1)->state(), v1::WINDOW_STATE_IDLE);
    EXPECT_EQ(hall->open_windows(), 3);
  }

  // --- SetMinOpenWindows and the minimum-open rule (business hours all
  // day): windows 1, 3 and 4 are open.
  {
    ASSERT_OK(api.SetMinOpenWindows(3));
    EXPECT_CODE(api.Close(4, "end of shift"), StatusCode::FAILED_PRECONDITION);
    EXPECT_CODE(api.Pause(4, "break"), StatusCode::FAILED_PRECONDITION);
    auto hall = api.GetHall();
    ASSERT_OK(hall);
    EXPECT_EQ(hall->min_open_windows(), 3);
    EXPECT_EQ(hall->open_windows(), 3);
    EXPECT_EQ(hall->alarms_size(), 0);
    // The request names someone else; the event must name the token's
    // holder.
    ASSERT_OK(
        api.Close(4, "end of shift",
                  MakeOverride("not the duty manager", "short-staffed day"),
                  kSupervisorToken));
    hall = api.GetHall();
    ASSERT_OK(hall);
    EXPECT_EQ(hall->open_windows(), 2);
    EXPECT_EQ(FindWindow(*hall, 4)->state(), v1::WINDOW_STATE_CLOSED);
    ASSERT_EQ(hall->alarms_size(), 1);
    EXPECT_EQ(hall->alarms(0).kind(),
              v1::HallEvent::Alarm::KIND_BELOW_MIN_OPEN);

    // ListHalls: both halls, with this one's numbers.
    auto halls = api.ListHalls();
    ASSERT_OK(halls);
    ASSERT_EQ(halls->halls_size(), 2);
    const v1::HallSummary* it = nullptr;
    for (const auto& h : halls->halls()) {
      if (h.hall_id() == kHall) it = &h;
    }
    ASSERT_NE(it, nullptr);
    EXPECT_EQ(it->name(), "Integration Hall");
    EXPECT_EQ(it->open_windows(), 2);
    EXPECT_EQ(it->min_open_windows(), 3);
    EXPECT_EQ(it->alarms(), 1);
    EXPECT_EQ(it->waiting(), 0);

    ASSERT_OK(api.SetMinOpenWindows(0));
    hall = api.GetHall();
    ASSERT_OK(hall);
    EXPECT_EQ(hall->alarms_size(), 0) << "the alarm clears";
    ASSERT_OK(api.Close(3, "end of shift"));
  }

  // --- VoidTicket.
  {
    auto plan = api.Issue("PLAN");
    ASSERT_OK(plan);
    EXPECT_EQ(plan->ticket().number(), "C0001");
    auto voided = api.Void("C0001", "printed twice");
    ASSERT_OK(voided);
    EXPECT_EQ(voided->ticket().state(), v1::TICKET_STATE_VOIDED);
    auto status = api.GetTicket("C0001");
    ASSERT_OK(status);
    EXPECT_EQ(status->ticket().state(), v1::TICKET_STATE_VOIDED);
    EXPECT_CODE(api.Void("C0001", "again"), StatusCode::FAILED_PRECONDITION);
  }

  // --- Heartbeat: window 6 beats once and then falls silent; after the 1 s
  // timeout the server declares it lost.
  {
    EXPECT_CODE(api.SignedHeartbeat(6, "clerk-6"),
                StatusCode::FAILED_PRECONDITION)
        << "a closed window has nobody signed in";
    ASSERT_OK(api.Open(6, "clerk-6"));
    EXPECT_CODE(api.SignedHeartbeat(6, "clerk-9"),
                StatusCode::FAILED_PRECONDITION)
        << "another clerk's screen does not keep the window";
    EXPECT_CODE(api.SignOut(6, ""), StatusCode::INVALID_ARGUMENT)
        << "a sign-out names the clerk signed in";
    EXPECT_CODE(api.SignOut(6, "clerk-9"), StatusCode::FAILED_PRECONDITION)
        << "another clerk's screen cannot stop the window's watch";
    auto beat = api.SignedHeartbeat(6, "clerk-6");
    ASSERT_OK(beat);
    EXPECT_EQ(beat->timeout_seconds(), 1);
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(10);
    v1::HallView hall;
    do {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      auto view = api.GetHall();
      ASSERT_OK(view);
      hall = *view;
    } while (FindWindow(hall, 6)->state() != v1::WINDOW_STATE_CLOSED &&
             std::chrono::steady_clock::now() < deadline);
    EXPECT_EQ(FindWindow(hall, 6)->state(), v1::WINDOW_STATE_CLOSED);
    ASSERT_EQ(hall.alarms_size(), 1);
    EXPECT_EQ(hall.alarms(0).kind(), v1::HallEvent::Alarm::KIND_WINDOW_LOST);
    EXPECT_EQ(hall.alarms(0).window(), 6);
  }

  // --- GetHall: the day in numbers.
  auto hall = api.GetHall();
  ASSERT_OK(hall);
  EXPECT_EQ(hall->hall_id(), kHall);
  EXPECT_EQ(hall->open_windows(), 1);
  EXPECT_EQ(FindWindow(*hall, 1)->state(), v1::WINDOW_STATE_IDLE);
  EXPECT_EQ(FindWindow(*hall, 1)->clerk_id(), "clerk-1");
  for (int w : {2, 3, 4, 5, 6}) {
    EXPECT_EQ(FindWindow(*hall, w)->state(), v1::WINDOW_STATE_CLOSED) << w;
  }
  EXPECT_EQ(FindService(*hall, "BILL")->issued_today(), 3);
  EXPECT_EQ(FindService(*hall, "SIM")->issued_today(), 1);
  EXPECT_EQ(FindService(*hall, "PLAN")->issued_today(), 1);
  for (const auto& s : hall->services()) EXPECT_EQ(s.waiting(), 0);
  EXPECT_EQ(hall->lanes_size(), 0);

  // --- The board saw every change once, in order, as it happened.
  std::vector<v1::HallEvent> events;
  ASSERT_TRUE(board.EventsThrough(hall->last_seq(), &events));
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front().seq(), start_seq + 1);
  auto called = [&](const std::string& ticket, int recall) {
    return FindEvent(events, [&](const v1::HallEvent& e) {
      return e.has_ticket_called() &&
             e.ticket_called().ticket().number() == ticket &&
             e.ticket_called().recall() == recall;
    });
  };
  for (int recall : {0, 1, 2}) {
    const v1::HallEvent* e = called("B0001", recall);
    ASSERT_NE(e, nullptr) << "call of B0001, recall " << recall;
    EXPECT_EQ(e->ticket_called().window(), 1);
    EXPECT_EQ(e->ticket_called().window_name(), "1号窗口");
    EXPECT_EQ(e->ticket_called().announcement(), "请 B0001 号到 1 号窗口办理");
  }
  ASSERT_NE(called("A0002", 0), nullptr);
  const v1::HallEvent* completed = FindEvent(events, [](const auto& e) {
    return e.has_ticket_state_changed() &&
           e.ticket_state_changed().ticket().number() == "B0001" &&
           e.ticket_state_changed().ticket().state() ==
               v1::TICKET_STATE_COMPLETED;
  });
  ASSERT_NE(completed, nullptr);
  EXPECT_EQ(completed->ticket_state_changed().rating(), 0);
  // Handling runs from StartServing to Complete, both events stamped with
  // the server's clock.
  const v1::HallEvent* serving = FindEvent(events, [](const auto& e) {
    return e.has_ticket_state_changed() &&
           e.ticket_state_changed().ticket().number() == "B0001" &&
           e.ticket_state_changed().ticket().state() ==
               v1::TICKET_STATE_SERVING;
  });
  ASSERT_NE(serving, nullptr);
  EXPECT_EQ(completed->ticket_state_changed().handling_ms(),
            completed->at_unix_ms() - serving->at_unix_ms());
  EXPECT_GE(completed->ticket_state_changed().handling_ms(),
            kServedFor.count());
  const v1::HallEvent* transferred = FindEvent(events, [](const auto& e) {
    return e.has_ticket_transferred() &&
           e.ticket_transferred().to_window() == 4;
  });
  ASSERT_NE(transferred, nullptr);
  EXPECT_EQ(transferred->ticket_transferred().from_window(), 1);
  const v1::HallEvent* overridden = FindEvent(events, [](const auto& e) {
    return e.has_window_changed() && e.window_changed().window() == 4 &&
           e.window_changed().has_override();
  });
  ASSERT_NE(overridden, nullptr);
  EXPECT_EQ(overridden->window_changed().override().supervisor_id(),
            kSupervisorName);
  EXPECT_EQ(overridden->window_changed().state(), v1::WINDOW_STATE_CLOSED);
  const v1::HallEvent* minimum = FindEvent(events, [](const auto& e) {
    return e.has_min_open_windows_changed() &&
           e.min_open_windows_changed().min_open_windows() == 3;
  });
  ASSERT_NE(minimum, nullptr);
  EXPECT_EQ(minimum->min_open_windows_changed().supervisor_id(),
            kSupervisorName);
  const v1::HallEvent* voided = FindEvent(events, [](const auto& e) {
    return e.has_ticket_state_changed() &&
           e.ticket_state_changed().ticket().state() == v1::TICKET_STATE_VOIDED;
  });
  ASSERT_NE(voided, nullptr);
  EXPECT_EQ(voided->ticket_state_changed().reason(), "printed twice");
  EXPECT_EQ(voided->ticket_state_changed().supervisor_id(), kSupervisorName);
  const v1::HallEvent* lost = FindEvent(events, [](const auto& e) {
    return e.has_window_changed() && e.window_changed().lost();
  });
  ASSERT_NE(lost, nullptr);
  EXPECT_EQ(lost->window_changed().window(), 6);

  // --- The phone number never leaves: not in an event, a view or a reply.
  for (const v1::HallEvent& e : events) {
    EXPECT_EQ(e.SerializeAsString().find(phone), std::string::npos)
        << e.ShortDebugString();
  }
  EXPECT_EQ(hall->SerializeAsString().find(phone), std::string::npos);
  auto b1 = api.GetTicket("B0001");
  ASSERT_OK(b1);
  EXPECT_EQ(b1->SerializeAsString().find(phone), std::string::npos);
  EXPECT_EQ(server.Log().find(phone), std::string::npos);
}

}  // namespace
}  // namespace qcall::testing
