// Bad input against a real qcalld: every kind is refused with the fitting
// status and a message, the server stays up, and the hall is exactly as it
// was (DESIGN.md invariant 7).
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/harness.h"
#include "tests/integration/qcalld_process.h"

namespace qcall::testing {
namespace {

using grpc::StatusCode;

const std::string k100K(100 * 1024, 'x');

TEST(QcalldBadInputTest, RefusedWithTheFittingStatusAndNothingChanges) {
  QcalldProcess server({.config_text = TestConfig(/*min_open_windows=*/1)});
  ASSERT_TRUE(server.Start());
  Api api(server.NewChannel());
  // A hall with something in it: A0001 called at window 1, A0002 waiting,
  // window 2 open and idle.
  ASSERT_OK(api.Issue("BILL"));
  ASSERT_OK(api.Issue("BILL"));
  ASSERT_OK(api.Open(1, "clerk-1"));
  ASSERT_OK(api.Open(2, "clerk-2"));
  ASSERT_OK(api.CallNext(1));
  auto before = api.GetHall();
  ASSERT_OK(before);

  // --- Empty hall_id: INVALID_ARGUMENT.
  EXPECT_CODE(api.ListServices(kKioskToken, ""), StatusCode::INVALID_ARGUMENT);
  EXPECT_CODE(api.GetHall(kSupervisorToken, ""), StatusCode::INVALID_ARGUMENT);
  {
    Api no_hall(server.NewChannel());
    no_hall.hall = "";
    EXPECT_CODE(
        no_hall.Issue("BILL", v1::CATEGORY_NORMAL, "", "", kSupervisorToken),
        StatusCode::INVALID_ARGUMENT);
    EXPECT_CODE(no_hall.CallNext(2, "", kSupervisorToken),
                StatusCode::INVALID_ARGUMENT);
    EXPECT_CODE(no_hall.Heartbeat(2, kSupervisorToken),
                StatusCode::INVALID_ARGUMENT);
    Watcher watcher(&api.display, kDisplayToken, WatchFrom(0, {}, ""));
    v1::WatchResponse response;
    EXPECT_FALSE(watcher.Read(&response));
    EXPECT_CODE(watcher.Finish(), StatusCode::INVALID_ARGUMENT);
  }

  // --- Unknown hall: NOT_FOUND for tokens of every hall (a token scoped to
  // some halls learns nothing about others: PERMISSION_DENIED).
  EXPECT_CODE(api.GetHall(kSupervisorToken, "no-such-hall"),
              StatusCode::NOT_FOUND);
  EXPECT_CODE(api.ListServices(kDisplayToken, "no-such-hall"),
              StatusCode::NOT_FOUND);
  EXPECT_CODE(api.ListServices(kKioskToken, "no-such-hall"),
              StatusCode::PERMISSION_DENIED);
  {
    auto huge_hall = api.GetHall(kSupervisorToken, k100K);
    EXPECT_CODE(huge_hall, StatusCode::NOT_FOUND);
    EXPECT_LT(huge_hall.status.error_message().size(), 1024u)
        << "the message must not echo 100 KB";
    Watcher watcher(&api.display, kDisplayToken, WatchFrom(0, {}, "nowhere"));
    v1::WatchResponse response;
    EXPECT_FALSE(watcher.Read(&response));
    EXPECT_CODE(watcher.Finish(), StatusCode::NOT_FOUND);
  }

  // --- Unknown service: NOT_FOUND.
  EXPECT_CODE(api.Issue("NOPE"), StatusCode::NOT_FOUND);
  EXPECT_CODE(api.Issue(""), StatusCode::NOT_FOUND);
  EXPECT_CODE(api.TransferToService(1, "NOPE"), StatusCode::NOT_FOUND);
  EXPECT_CODE(api.Issue(k100K), StatusCode::NOT_FOUND);
  EXPECT_CODE(api.TransferToService(1, k100K), StatusCode::NOT_FOUND);

  // --- Huge strings: INVALID_ARGUMENT.
  EXPECT_CODE(api.Open(3, k100K), StatusCode::INVALID_ARGUMENT);
  EXPECT_CODE(api.Open(3, ""), StatusCode::INVALID_ARGUMENT)
      << "clerk_id is required";
  EXPECT_CODE(api.Pause(2, k100K), StatusCode::INVALID_ARGUMENT);
  EXPECT_CODE(api.Close(2, k100K), StatusCode::INVALID_ARGUMENT);
  EXPECT_CODE(api.Issue("BILL", v1::CATEGORY_NORMAL, "", k100K),
              StatusCode::INVALID_ARGUMENT);
  EXPECT_CODE(api.Issue("BILL", v1::CATEGORY_NORMAL, k100K),
              StatusCode::INVALID_ARGUMENT);
  EXPECT_CODE(api.CallNext(2, k100K), StatusCode::INVALID_ARGUMENT);
  EXPECT_CODE(api.GetTicket(k100K), StatusCode::INVALID_ARGUMENT);
  EXPECT_CODE(api.Cancel(k100K), StatusCode::INVALID_ARGUMENT);
  EXPECT_CODE(api.CallTicket(2, k100K), StatusCode::INVALID_ARGUMENT);
  EXPECT_CODE(api.Void("A0002", k100K), StatusCode::INVALID_ARGUMENT);
  // An override's supervisor is the token's holder (whatever the request
  // says); its reason is checked like any text.
  EXPECT_CODE(
      api.Pause(2, "break", MakeOverride("boss", k100K), kSupervisorToken),
      StatusCode::INVALID_ARGUMENT);
  EXPECT_CODE(api.Close(2, "", MakeOverride("boss", k100K), kSupervisorToken),
              StatusCode::INVALID_ARGUMENT);
  // Beyond the server's 1 MB message limit.
  EXPECT_CODE(
      api.Issue("BILL", v1::CATEGORY_NORMAL, "", std::string(2 << 20, '1')),
      StatusCode::RESOURCE_EXHAUSTED);

  // --- Enums out of range: INVALID_ARGUMENT.
  EXPECT_CODE(api.Issue("BILL", static_cast<v1::Category>(99)),
              StatusCode::INVALID_ARGUMENT);
  EXPECT_CODE(api.Issue("BILL", static_cast<v1::Category>(-1)),
              StatusCode::INVALID_ARGUMENT);
  EXPECT_CODE(api.TransferToService(1, "SIM", static_cast<v1::Placement>(42)),
              StatusCode::INVALID_ARGUMENT);

  // --- Windows that do not exist: NOT_FOUND.
  EXPECT_CODE(api.Open(-1, "clerk-x"), StatusCode::NOT_FOUND);
  EXPECT_CODE(api.Open(0, "clerk-x"), StatusCode::NOT_FOUND);
  EXPECT_CODE(api.Open(7, "clerk-x"), StatusCode::NOT_FOUND);
  EXPECT_CODE(api.Open(2147483647, "clerk-x"), StatusCode::NOT_FOUND);
  EXPECT_CODE(api.CallNext(-3), StatusCode::NOT_FOUND);
  EXPECT_CODE(api.Complete(-1), StatusCode::NOT_FOUND);
  EXPECT_CODE(api.CallTicket(99, "A0002"), StatusCode::NOT_FOUND);
  EXPECT_CODE(api.TransferToWindow(1, -4), StatusCode::NOT_FOUND);
  EXPECT_CODE(api.TransferToWindow(1, 1), StatusCode::INVALID_ARGUMENT)
      << "to the window that holds it";
  EXPECT_CODE(api.Heartbeat(-1), StatusCode::NOT_FOUND);
  EXPECT_CODE(api.Heartbeat(99), StatusCode::NOT_FOUND);

  // --- Numbers out of range: INVALID_ARGUMENT.
  // Any rating on Complete: ratings come from the evaluator pad.
  EXPECT_CODE(api.Complete(2, 9), StatusCode::INVALID_ARGUMENT);
  EXPECT_CODE(api.Complete(2, -1), StatusCode::INVALID_ARGUMENT);
  EXPECT_CODE(api.Complete(2, 5), StatusCode::INVALID_ARGUMENT);
  EXPECT_CODE(api.SetMinOpenWindows(-1), StatusCode::INVALID_ARGUMENT);
  EXPECT_CODE(api.SetMinOpenWindows(7), StatusCode::INVALID_ARGUMENT);
  {
    v1::IssueTicketRequest r;
    r.set_hall_id(kHall);
    r.set_service_code("BILL");
    r.set_category(v1::CATEGORY_APPOINTMENT);
    EXPECT_CODE(
        api.Call(&api.kiosk, &v1::Kiosk::Stub::IssueTicket, kKioskToken, r),
        StatusCode::INVALID_ARGUMENT)
        << "an appointment needs its slot";
    r.set_category(v1::CATEGORY_NORMAL);
    r.set_appointment_unix_seconds(1'800'000'000);
    EXPECT_CODE(
        api.Call(&api.kiosk, &v1::Kiosk::Stub::IssueTicket, kKioskToken, r),
        StatusCode::INVALID_ARGUMENT)
        << "a slot without an appointment";
  }
  {
    v1::TransferRequest r;  // No target.
    r.set_hall_id(kHall);
    r.set_window(1);
    EXPECT_CODE(
        api.Call(&api.counter, &v1::Counter::Stub::Transfer, kCounterToken, r),
        StatusCode::INVALID_ARGUMENT);
  }

  // --- Ticket numbers that are not ticket numbers: INVALID_ARGUMENT;
  // well-formed ones never issued: NOT_FOUND.
  for (const char* bad : {"", "A", "0001", "Z0001", "A0000", "A-1", "A12x",
                          "a0001x", "A1234567890", "AAAAA1", "A 1"}) {
    EXPECT_CODE(api.GetTicket(bad), StatusCode::INVALID_ARGUMENT)
        << "'" << bad << "'";
  }
  EXPECT_CODE(api.GetTicket("A9999"), StatusCode::NOT_FOUND);
  EXPECT_CODE(api.GetTicket("B0001"), StatusCode::NOT_FOUND);
  EXPECT_CODE(api.Cancel("A0003"), StatusCode::NOT_FOUND);
  EXPECT_CODE(api.Void("C0001", "never issued"), StatusCode::NOT_FOUND);
  EXPECT_CODE(api.Requeue(1, "A12x"), StatusCode::INVALID_ARGUMENT);

  // --- Valid requests at the wrong moment: FAILED_PRECONDITION.
  EXPECT_CODE(api.Requeue(1, "A0002"), StatusCode::FAILED_PRECONDITION);
  EXPECT_CODE(api.Cancel("A0001"), StatusCode::FAILED_PRECONDITION);
  EXPECT_CODE(api.Void("A0001", "at a window"),
              StatusCode::FAILED_PRECONDITION);
  EXPECT_CODE(api.Close(1, "busy"), StatusCode::FAILED_PRECONDITION);
  EXPECT_CODE(api.Complete(2), StatusCode::FAILED_PRECONDITION);
  EXPECT_CODE(api.Resume(2), StatusCode::FAILED_PRECONDITION);
  EXPECT_CODE(api.Pause(2, ""), StatusCode::INVALID_ARGUMENT)
      << "a pause says why";
  EXPECT_CODE(api.Void("A0002", ""), StatusCode::INVALID_ARGUMENT)
      << "a void says why";

  // --- Bytes that do not parse: a WatchRequest with invalid UTF-8.
  {
    Watcher watcher(&api.display, kDisplayToken,
                    WatchFrom(0, {}, std::string("\xff\xfe", 2)));
    v1::WatchResponse response;
    EXPECT_FALSE(watcher.Read(&response));
    EXPECT_CODE(watcher.Finish(), StatusCode::INVALID_ARGUMENT);
  }
  {
    auto garbled = api.Issue(std::string("\xc3\x28", 2));
    EXPECT_FALSE(garbled.ok());
    std::printf("IssueTicket with invalid UTF-8: %s\n",
                Describe(garbled.status).c_str());
  }

  // --- After all that: the server is up and the hall is exactly as it was.
  EXPECT_TRUE(server.running());
  auto after = api.GetHall();
  ASSERT_OK(after);
  EXPECT_TRUE(SameView(*before, *after));
  EXPECT_EQ(after->last_seq(), before->last_seq());
  EXPECT_EQ(FindService(*after, "BILL")->issued_today(), 2);
  auto next = api.Issue("BILL");
  ASSERT_OK(next);
  EXPECT_EQ(next->ticket().number(), "A0003") << "no number was consumed";
}

TEST(QcalldBadInputTest, BytesThatAreNotTheRequestAreInvalidArgument) {
  QcalldProcess server({.config_text = TestConfig()});
  ASSERT_TRUE(server.Start());
  auto channel = server.NewChannel();
  // Field 1 (hall_id in each of these) as a string whose bytes are not
  // UTF-8.
  const std::string bad_utf8 = std::string("\x0a\x02\xff\xfe", 4);
  // A length prefix longer than what follows.
  const std::string truncated = std::string(
      "\x0a\x7f"
      "AB",
      4);
  for (const char* method :
       {"/qcall.v1.Kiosk/IssueTicket", "/qcall.v1.Kiosk/ListServices",
        "/qcall.v1.Counter/CallNext", "/qcall.v1.Supervisor/GetHall"}) {
    for (const std::string& bytes : {bad_utf8, truncated}) {
      const grpc::Status status =
          CallWithBytes(channel, method, bytes, kKioskToken);
      EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT) << method;
      EXPECT_THAT(status.error_message(),
                  ::testing::HasSubstr("Request does not parse"))
          << method;
    }
  }
  // A flood of them: libprotobuf complains of each string that is not
  // UTF-8, but the log gets one line a minute.
  for (int i = 0; i < 200; ++i) {
    ASSERT_EQ(CallWithBytes(channel, "/qcall.v1.Kiosk/IssueTicket", bad_utf8,
                            kKioskToken)
                  .error_code(),
              StatusCode::INVALID_ARGUMENT);
  }
  Api api(channel);
  auto first = api.Issue("BILL");
  ASSERT_OK(first);
  EXPECT_EQ(first->ticket().number(), "A0001") << "no number was consumed";
  const std::string log = server.Log();
  size_t lines = 0;
  for (size_t at = log.find("invalid UTF-8"); at != std::string::npos;
       at = log.find("invalid UTF-8", at + 1)) {
    ++lines;
  }
  EXPECT_EQ(lines, 1u) << log;
}

}  // namespace
}  // namespace qcall::testing
