// Who may do what, against a real qcalld: the role matrix of the demo
// config's tokens (demo/halls.textproto), and hall scopes of the test
// config. None of these calls depends on the demo halls' opening hours.
#include <string>

#include "gtest/gtest.h"
#include "tests/integration/harness.h"
#include "tests/integration/qcalld_process.h"

#ifndef DEMO_CONFIG
#error "DEMO_CONFIG must name demo/halls.textproto"
#endif

namespace qcall::testing {
namespace {

using grpc::StatusCode;

constexpr char kXujiahui[] = "sh-xujiahui";
constexpr char kXidan[] = "bj-xidan";
constexpr char kDemoKiosk[] = "demo-kiosk-token";
constexpr char kDemoCounter[] = "demo-counter-token";
constexpr char kDemoCounter3[] = "demo-counter3-token";  // Xujiahui window 3.
constexpr char kDemoDisplay[] = "demo-display-token";
constexpr char kDemoSupervisor[] = "demo-supervisor-token";

grpc::Status ListServicesWithHeader(Api& api, const std::string& value) {
  grpc::ClientContext context;
  context.AddMetadata("authorization", value);
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  v1::ListServicesRequest request;
  request.set_hall_id(kXujiahui);
  v1::ListServicesResponse response;
  return api.kiosk.ListServices(&context, request, &response);
}

TEST(QcalldAuthTest, RoleMatrixOfTheDemoTokens) {
  QcalldProcess server({.config_path = DEMO_CONFIG});
  ASSERT_TRUE(server.Start());
  Api api(server.NewChannel());
  api.hall = kXujiahui;
  auto before = api.GetHall(kDemoSupervisor, kXujiahui);
  ASSERT_OK(before);

  // --- Missing or unknown token: UNAUTHENTICATED, whatever the call.
  EXPECT_CODE(api.ListServices("", kXujiahui), StatusCode::UNAUTHENTICATED);
  EXPECT_CODE(api.ListServices("no-such-token", kXujiahui),
              StatusCode::UNAUTHENTICATED);
  EXPECT_CODE(ListServicesWithHeader(api, "Basic ZGVtbzpkZW1v"),
              StatusCode::UNAUTHENTICATED);
  EXPECT_CODE(ListServicesWithHeader(api, "Bearer"),
              StatusCode::UNAUTHENTICATED);
  EXPECT_CODE(ListServicesWithHeader(api, "Bearer demo-kiosk-token-x"),
              StatusCode::UNAUTHENTICATED);
  EXPECT_CODE(api.Issue("BILL", v1::CATEGORY_NORMAL, "", "", ""),
              StatusCode::UNAUTHENTICATED);
  EXPECT_CODE(api.Open(3, "clerk-3", "", ""), StatusCode::UNAUTHENTICATED);
  EXPECT_CODE(api.Heartbeat(3, ""), StatusCode::UNAUTHENTICATED);
  EXPECT_CODE(api.GetHall("", kXujiahui), StatusCode::UNAUTHENTICATED);
  EXPECT_CODE(api.ListHalls(""), StatusCode::UNAUTHENTICATED);
  EXPECT_CODE(api.SetMinOpenWindows(0, ""), StatusCode::UNAUTHENTICATED);
  EXPECT_CODE(api.Void("A001", "x", "bad-token"), StatusCode::UNAUTHENTICATED);
  {
    Watcher anonymous(&api.display, "", WatchFrom(0, {}, kXujiahui));
    v1::WatchResponse response;
    EXPECT_FALSE(anonymous.Read(&response));
    EXPECT_CODE(anonymous.Finish(), StatusCode::UNAUTHENTICATED);
  }
  {
    v1::ConfigureHallRequest request;
    EXPECT_CODE(api.Call(&api.supervisor, &v1::Supervisor::Stub::ConfigureHall,
                         "", request),
                StatusCode::UNAUTHENTICATED);
  }
  // The scheme is case-insensitive (RFC 7235).
  EXPECT_OK(ListServicesWithHeader(api, "bearer demo-kiosk-token"));

  // --- Kiosk: issues and looks up tickets; no window, no supervision.
  auto issued = api.Issue("BILL", v1::CATEGORY_NORMAL, "", "", kDemoKiosk);
  ASSERT_OK(issued);
  EXPECT_EQ(issued->ticket().number(), "A001");
  EXPECT_OK(api.GetTicket("A001", kDemoKiosk));
  EXPECT_OK(api.ListServices(kDemoKiosk, kXujiahui));
  EXPECT_CODE(api.Open(3, "clerk-3", "", kDemoKiosk),
              StatusCode::PERMISSION_DENIED);
  EXPECT_CODE(api.CallNext(3, "", kDemoKiosk), StatusCode::PERMISSION_DENIED);
  EXPECT_CODE(api.Heartbeat(3, kDemoKiosk), StatusCode::PERMISSION_DENIED);
  EXPECT_CODE(api.GetHall(kDemoKiosk, kXujiahui),
              StatusCode::PERMISSION_DENIED);
  EXPECT_CODE(api.ListHalls(kDemoKiosk), StatusCode::PERMISSION_DENIED);
  EXPECT_CODE(api.SetMinOpenWindows(0, kDemoKiosk),
              StatusCode::PERMISSION_DENIED);
  EXPECT_CODE(api.Void("A001", "duplicate", kDemoKiosk),
              StatusCode::PERMISSION_DENIED);
  EXPECT_CODE(api.Requeue(3, "A001", kDemoKiosk),
              StatusCode::PERMISSION_DENIED);
  {
    Watcher dashboard(&api.supervisor, kDemoKiosk, WatchFrom(0, {}, kXujiahui));
    v1::WatchResponse response;
    EXPECT_FALSE(dashboard.Read(&response));
    EXPECT_CODE(dashboard.Finish(), StatusCode::PERMISSION_DENIED);
  }

  // --- Display: reads and watches; issues and works nothing.
  EXPECT_CODE(api.Issue("BILL", v1::CATEGORY_NORMAL, "", "", kDemoDisplay),
              StatusCode::PERMISSION_DENIED);
  EXPECT_CODE(api.Cancel("A001", "", kDemoDisplay),
              StatusCode::PERMISSION_DENIED);
  EXPECT_CODE(api.Open(3, "clerk-3", "", kDemoDisplay),
              StatusCode::PERMISSION_DENIED);
  EXPECT_CODE(api.Requeue(3, "A001", kDemoDisplay),
              StatusCode::PERMISSION_DENIED);
  EXPECT_CODE(api.GetHall(kDemoDisplay, kXujiahui),
              StatusCode::PERMISSION_DENIED);
  EXPECT_OK(api.ListServices(kDemoDisplay, kXujiahui));
  EXPECT_OK(api.GetTicket("A001", kDemoDisplay));
  {
    Watcher board(&api.display, kDemoDisplay, WatchFrom(0, {}, kXidan));
    v1::WatchResponse response;
    ASSERT_TRUE(board.Read(&response)) << Describe(board.Finish());
    EXPECT_TRUE(response.has_snapshot());
    EXPECT_EQ(response.snapshot().hall_id(), kXidan);
  }

  // --- Counter bound to window 3 of Xujiahui.
  EXPECT_OK(api.Open(3, "clerk-3", "", kDemoCounter3));
  EXPECT_OK(api.Heartbeat(3, kDemoCounter3));
  EXPECT_CODE(api.Open(4, "clerk-4", "", kDemoCounter3),
              StatusCode::PERMISSION_DENIED);
  EXPECT_CODE(api.CallNext(4, "", kDemoCounter3),
              StatusCode::PERMISSION_DENIED);
  EXPECT_CODE(api.Heartbeat(4, kDemoCounter3), StatusCode::PERMISSION_DENIED);
  EXPECT_CODE(api.Close(4, "", std::nullopt, kDemoCounter3),
              StatusCode::PERMISSION_DENIED);
  EXPECT_CODE(api.Issue("BILL", v1::CATEGORY_NORMAL, "", "", kDemoCounter3),
              StatusCode::PERMISSION_DENIED);
  // A clerk ends a called ticket; a waiting one is the customer's to cancel.
  EXPECT_CODE(api.Cancel("A001", "", kDemoCounter),
              StatusCode::PERMISSION_DENIED);
  EXPECT_CODE(api.Requeue(4, "A001", kDemoCounter3),
              StatusCode::PERMISSION_DENIED);
  EXPECT_CODE(api.Requeue(0, "A001", kDemoCounter3),
              StatusCode::PERMISSION_DENIED);
  EXPECT_CODE(api.GetHall(kDemoCounter, kXujiahui),
              StatusCode::PERMISSION_DENIED);
  EXPECT_CODE(api.SetMinOpenWindows(0, kDemoCounter),
              StatusCode::PERMISSION_DENIED);
  auto call = api.CallNext(3, "", kDemoCounter3);
  ASSERT_OK(call);
  EXPECT_EQ(call->ticket().number(), "A001");

  // --- A token scoped to another hall: the window-3 token is Xujiahui's.
  api.hall = kXidan;
  EXPECT_CODE(api.Open(3, "clerk-x3", "", kDemoCounter3),
              StatusCode::PERMISSION_DENIED);
  EXPECT_CODE(api.ListServices(kDemoCounter3, kXidan),
              StatusCode::PERMISSION_DENIED);
  EXPECT_OK(api.Open(1, "clerk-x1", "", kDemoCounter));
  api.hall = kXujiahui;

  // --- Overrides of the minimum of open windows: supervisors only.
  ASSERT_OK(api.Open(4, "clerk-4", "", kDemoCounter));
  const v1::Override override = MakeOverride("duty manager", "staff meeting");
  EXPECT_CODE(api.Close(4, "meeting", override, kDemoCounter),
              StatusCode::PERMISSION_DENIED);
  EXPECT_CODE(api.Pause(4, "meeting", override, kDemoCounter),
              StatusCode::PERMISSION_DENIED);
  auto after_refusals = api.GetHall(kDemoSupervisor, kXujiahui);
  ASSERT_OK(after_refusals);
  EXPECT_EQ(FindWindow(*after_refusals, 4)->state(), v1::WINDOW_STATE_IDLE);
  EXPECT_OK(api.Close(4, "meeting", override, kDemoSupervisor));

  // --- Supervisor: everything.
  EXPECT_OK(api.ListHalls(kDemoSupervisor));
  EXPECT_OK(api.Issue("PLAN", v1::CATEGORY_NORMAL, "", "", kDemoSupervisor));
  EXPECT_OK(api.Void("B001", "test ticket", kDemoSupervisor));
  {
    // Let in; refused only for the empty config it sends.
    v1::ConfigureHallRequest request;
    EXPECT_CODE(api.Call(&api.supervisor, &v1::Supervisor::Stub::ConfigureHall,
                         kDemoSupervisor, request),
                StatusCode::INVALID_ARGUMENT);
  }

  // The refused calls left no trace: only the allowed ones changed the hall.
  auto after = api.GetHall(kDemoSupervisor, kXujiahui);
  ASSERT_OK(after);
  EXPECT_EQ(FindService(*after, "BILL")->issued_today(), 1);
  EXPECT_EQ(FindService(*after, "PLAN")->issued_today(), 1);
  EXPECT_EQ(FindWindow(*after, 3)->state(), v1::WINDOW_STATE_CALLING);
  EXPECT_EQ(FindWindow(*after, 3)->clerk_id(), "clerk-3");
  EXPECT_EQ(FindWindow(*after, 4)->state(), v1::WINDOW_STATE_CLOSED);
  for (int w : {1, 2, 5, 6, 7, 8, 9, 10, 11, 12}) {
    EXPECT_EQ(FindWindow(*after, w)->state(), v1::WINDOW_STATE_CLOSED) << w;
  }
  EXPECT_EQ(after->open_windows(), 1);
}

TEST(QcalldAuthTest, HallScopes) {
  QcalldProcess server({.config_text = TestConfig()});
  ASSERT_TRUE(server.Start());
  Api api(server.NewChannel());

  // A kiosk of another hall: PERMISSION_DENIED here, fine at home.
  EXPECT_CODE(api.Issue("BILL", v1::CATEGORY_NORMAL, "", "", kOtherKioskToken),
              StatusCode::PERMISSION_DENIED);
  EXPECT_CODE(api.ListServices(kOtherKioskToken),
              StatusCode::PERMISSION_DENIED);
  api.hall = kOtherHall;
  auto home = api.Issue("BILL", v1::CATEGORY_NORMAL, "", "", kOtherKioskToken);
  ASSERT_OK(home);
  EXPECT_EQ(home->ticket().number(), "A001");
  EXPECT_CODE(api.Issue("BILL"), StatusCode::PERMISSION_DENIED)
      << "it-hall's kiosk token in other-hall";
  api.hall = kHall;

  // A supervisor of another hall supervises nothing here and sees only its
  // own hall.
  EXPECT_CODE(api.GetHall(kOtherSupervisorToken),
              StatusCode::PERMISSION_DENIED);
  EXPECT_CODE(api.SetMinOpenWindows(1, kOtherSupervisorToken),
              StatusCode::PERMISSION_DENIED);
  EXPECT_CODE(api.Close(1, "", MakeOverride("x", "y"), kOtherSupervisorToken),
              StatusCode::PERMISSION_DENIED);
  {
    Watcher watcher(&api.supervisor, kOtherSupervisorToken, WatchFrom(0));
    v1::WatchResponse response;
    EXPECT_FALSE(watcher.Read(&response));
    EXPECT_CODE(watcher.Finish(), StatusCode::PERMISSION_DENIED);
  }
  auto own = api.ListHalls(kOtherSupervisorToken);
  ASSERT_OK(own);
  ASSERT_EQ(own->halls_size(), 1);
  EXPECT_EQ(own->halls(0).hall_id(), kOtherHall);
  EXPECT_EQ(own->halls(0).waiting(), 1);
  auto all = api.ListHalls(kSupervisorToken);
  ASSERT_OK(all);
  EXPECT_EQ(all->halls_size(), 2);

  // A "*" display token reads every hall.
  EXPECT_OK(api.ListServices(kDisplayToken, kOtherHall));
  EXPECT_OK(api.ListServices(kDisplayToken, kHall));
}

TEST(QcalldAuthTest, AKioskTokenIssuesItsTicketsAMinuteAndNoMore) {
  std::string config = TestConfig();
  config += R"pb(
    tokens {
      token: "stuck-kiosk-token"
      role: ROLE_KIOSK
      halls: [ "it-hall" ]
      name: "kiosk 7"
      issues_per_minute: 2
    }
    tokens {
      token: "default-kiosk-token"
      role: ROLE_KIOSK
      halls: [ "it-hall" ]
      name: "kiosk 8"
    }
  )pb";
  QcalldProcess server({.config_text = config,
                        .extra_args = {"--kiosk-issues-per-minute", "3"}});
  ASSERT_TRUE(server.Start());
  Api api(server.NewChannel());
  auto issue = [&](const char* token) {
    return api.Issue("BILL", v1::CATEGORY_NORMAL, "", "", token);
  };
  EXPECT_OK(issue("stuck-kiosk-token"));
  auto second = api.Issue("BILL", v1::CATEGORY_NORMAL, "kiosk7-2", "",
                          "stuck-kiosk-token");
  ASSERT_OK(second);
  // A retry of an acknowledged ticket (its answer was lost) gets that
  // ticket, not a refusal that would make the customer press again.
  auto retry = api.Issue("BILL", v1::CATEGORY_NORMAL, "kiosk7-2", "",
                         "stuck-kiosk-token");
  ASSERT_OK(retry);
  EXPECT_EQ(retry->ticket().number(), second->ticket().number());
  auto refused = issue("stuck-kiosk-token");
  EXPECT_CODE(refused, StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(refused.status.error_message().find(
                "kiosk 'kiosk 7' has issued its 2 tickets a minute"),
            std::string::npos)
      << refused.status.error_message();
  for (int i = 0; i < 3; ++i) EXPECT_OK(issue("default-kiosk-token")) << i;
  EXPECT_CODE(issue("default-kiosk-token"), StatusCode::RESOURCE_EXHAUSTED)
      << "--kiosk-issues-per-minute 3";
  EXPECT_OK(api.Issue("BILL", v1::CATEGORY_NORMAL, "", "", kSupervisorToken))
      << "a duty manager is not a kiosk";
  auto hall = api.GetHall();
  ASSERT_OK(hall);
  EXPECT_EQ(FindService(*hall, "BILL")->issued_today(), 6)
      << "the refusals consumed no number";
}

}  // namespace
}  // namespace qcall::testing
