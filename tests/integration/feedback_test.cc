// Ratings, follow-ups and complaint cases through a real qcalld with the demo
// config: the evaluator pad's token rates the ticket its window completed
// last, a clerk's Complete may not rate, a bad rating's follow-up is closed by
// a supervisor, a complaint case by its owner; and an evaluator token that is
// not bound to one hall and one window stops start-up.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "qcall/v1/api.grpc.pb.h"
#include "tests/integration/harness.h"
#include "tests/integration/qcalld_process.h"

#ifndef DEMO_CONFIG
#error "DEMO_CONFIG must name demo/halls.textproto"
#endif

namespace qcall::testing {
namespace {

using grpc::StatusCode;
using ::testing::HasSubstr;

constexpr char kXujiahui[] = "sh-xujiahui";
constexpr char kKiosk[] = "demo-kiosk-token";
constexpr char kCounter[] = "demo-counter-token";
constexpr char kCounter3[] = "demo-counter3-token";
constexpr char kPad3[] = "demo-evaluator3-token";  // Xujiahui, window 3.
constexpr char kSupervisor[] = "demo-supervisor-token";
constexpr char kLongWait[] = "等候时间长 Long wait";

// The demo hall's calls, by token.
class Hall {
 public:
  explicit Hall(const std::shared_ptr<grpc::Channel>& channel)
      : api_(channel), evaluator_(v1::Evaluator::NewStub(channel)) {}

  Api::Reply Open(int window, const std::string& clerk) {
    v1::OpenWindowRequest r;
    r.set_hall_id(kXujiahui);
    r.set_window(window);
    r.set_clerk_id(clerk);
    return api_.Call(&api_.counter, &v1::Counter::Stub::OpenWindow, kCounter,
                     r);
  }
  Api::Reply Issue(const std::string& service) {
    v1::IssueTicketRequest r;
    r.set_hall_id(kXujiahui);
    r.set_service_code(service);
    return api_.Call(&api_.kiosk, &v1::Kiosk::Stub::IssueTicket, kKiosk, r);
  }
  Api::Reply OnWindow(grpc::Status (v1::Counter::Stub::*method)(
                          grpc::ClientContext*, const v1::WindowRequest&,
                          v1::CommandReply*),
                      int window) {
    v1::WindowRequest r;
    r.set_hall_id(kXujiahui);
    r.set_window(window);
    return api_.Call(&api_.counter, method, kCounter, r);
  }
  // Calls, serves and completes the next ticket at `window`.
  std::string Serve(int window) {
    Api::Reply called = OnWindow(&v1::Counter::Stub::CallNext, window);
    EXPECT_TRUE(called.ok()) << called.status.error_message();
    EXPECT_TRUE(OnWindow(&v1::Counter::Stub::StartServing, window).ok());
    EXPECT_CODE(Complete(window, 5), StatusCode::INVALID_ARGUMENT);
    EXPECT_TRUE(Complete(window, 0).ok());
    return called->ticket().number();
  }
  Api::Reply Complete(int window, int rating) {
    v1::CompleteRequest r;
    r.set_hall_id(kXujiahui);
    r.set_window(window);
    r.set_rating(rating);
    return api_.Call(&api_.counter, &v1::Counter::Stub::Complete, kCounter, r);
  }
  Api::Reply Rate(int window, const std::string& ticket, int level,
                  const std::string& reason = "",
                  const std::string& token = kPad3) {
    v1::RateTicketRequest r;
    r.set_hall_id(kXujiahui);
    r.set_window(window);
    r.set_ticket(ticket);
    r.set_level(level);
    r.set_reason(reason);
    return api_.Call(evaluator_.get(), &v1::Evaluator::Stub::RateTicket, token,
                     r);
  }
  Api::Reply CloseFollowUp(uint32_t id, const std::string& text,
                           const std::string& token = kSupervisor) {
    v1::CloseFollowUpRequest r;
    r.set_hall_id(kXujiahui);
    r.set_id(id);
    r.set_text(text);
    return api_.Call(&api_.supervisor, &v1::Supervisor::Stub::CloseFollowUp,
                     token, r);
  }
  Api::Reply CallBack(const std::string& ticket, int window,
                      const std::string& token) {
    v1::CallBackComplaintRequest r;
    r.set_hall_id(kXujiahui);
    r.set_ticket(ticket);
    r.set_window(window);
    r.set_note("reached the customer");
    return api_.Call(&api_.counter, &v1::Counter::Stub::CallBackComplaint,
                     token, r);
  }
  Api::Reply Resolve(const std::string& ticket, int window,
                     const std::string& resolution, const std::string& token) {
    v1::ResolveComplaintRequest r;
    r.set_hall_id(kXujiahui);
    r.set_ticket(ticket);
    r.set_window(window);
    r.set_resolution(resolution);
    return api_.Call(&api_.counter, &v1::Counter::Stub::ResolveComplaint, token,
                     r);
  }
  v1::HallView View() {
    v1::GetHallRequest r;
    r.set_hall_id(kXujiahui);
    Result<v1::HallView> view = api_.Call(
        &api_.supervisor, &v1::Supervisor::Stub::GetHall, kSupervisor, r);
    EXPECT_TRUE(view.ok()) << view.status.error_message();
    return view.value;
  }
  Api& api() { return api_; }

 private:
  Api api_;
  std::unique_ptr<v1::Evaluator::Stub> evaluator_;
};

TEST(QcalldFeedbackTest, ThePadRatesABadRatingOpensAFollowUpASupervisorCloses) {
  QcalldProcess server({.config_path = DEMO_CONFIG});
  ASSERT_TRUE(server.Start());
  Hall hall(server.NewChannel());
  ASSERT_OK(hall.Open(3, "li"));
  ASSERT_OK(hall.Open(4, "zhang"));
  ASSERT_OK(hall.Issue("BILL"));
  ASSERT_OK(hall.Issue("BILL"));
  const std::string first = hall.Serve(3);
  EXPECT_EQ(hall.View().bad_rating_reasons_size(), 6);

  // The pad of window 3 rates at window 3 only, what window 3 completed.
  EXPECT_CODE(hall.Rate(4, first, 5), StatusCode::PERMISSION_DENIED);
  EXPECT_CODE(hall.Rate(0, first, 5), StatusCode::PERMISSION_DENIED);
  EXPECT_CODE(hall.Rate(3, first, 5, "", kCounter3),
              StatusCode::PERMISSION_DENIED);
  EXPECT_CODE(hall.Rate(3, first, 9), StatusCode::INVALID_ARGUMENT);
  EXPECT_CODE(hall.Rate(3, first, 2), StatusCode::INVALID_ARGUMENT);
  EXPECT_CODE(hall.Rate(3, "A999", 5), StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(hall.View().follow_ups().empty());
  // A supervisor may rate for a pad that broke down, at any window.
  const std::string other = hall.Serve(4);
  ASSERT_OK(hall.Rate(4, other, 4, "", kSupervisor));

  Api::Reply rated = hall.Rate(3, first, 2, kLongWait);
  ASSERT_OK(rated);
  EXPECT_CODE(hall.Rate(3, first, 1, kLongWait),
              StatusCode::FAILED_PRECONDITION);
  v1::HallView view = hall.View();
  ASSERT_EQ(view.follow_ups_size(), 1);
  const v1::FollowUp& f = view.follow_ups(0);
  EXPECT_EQ(f.ticket(), first);
  EXPECT_EQ(f.window(), 3);
  EXPECT_EQ(f.clerk_id(), "li");
  EXPECT_EQ(f.service_code(), "BILL");
  EXPECT_EQ(f.level(), 2);
  EXPECT_EQ(f.reason(), kLongWait);

  EXPECT_CODE(hall.CloseFollowUp(f.id(), "coached li", kCounter),
              StatusCode::PERMISSION_DENIED);
  EXPECT_CODE(hall.CloseFollowUp(f.id(), ""), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(hall.View().follow_ups_size(), 1);
  ASSERT_OK(hall.CloseFollowUp(f.id(), "coached li"));
  EXPECT_TRUE(hall.View().follow_ups().empty());
  EXPECT_CODE(hall.CloseFollowUp(f.id(), "again"), StatusCode::NOT_FOUND);

  // The events say it all, closed by the supervisor token's name.
  Watcher board(&hall.api().supervisor, kSupervisor,
                WatchFrom(rated->seq() - 2, {}, kXujiahui));
  bool saw_rating = false, saw_closed = false;
  v1::HallEvent event;
  while (!saw_closed && board.NextEvent(&event)) {
    if (event.has_ticket_rated() && event.ticket_rated().level() == 2) {
      saw_rating = true;
      EXPECT_EQ(event.ticket_rated().clerk_id(), "li");
      EXPECT_EQ(event.ticket_rated().window(), 3);
      EXPECT_EQ(event.ticket_rated().service_code(), "BILL");
      EXPECT_GT(event.ticket_rated().business_day(), 20260000);
    }
    if (event.has_follow_up_changed() &&
        event.follow_up_changed().follow_up().state() ==
            v1::FollowUp::STATE_CLOSED) {
      saw_closed = true;
      EXPECT_EQ(event.follow_up_changed().follow_up().closed_by(),
                "duty manager");
    }
  }
  EXPECT_TRUE(saw_rating);
  EXPECT_TRUE(saw_closed);
}

TEST(QcalldFeedbackTest, TheClerkWhoFirstServesAComplaintOwnsItsCase) {
  QcalldProcess server({.config_path = DEMO_CONFIG});
  ASSERT_TRUE(server.Start());
  Hall hall(server.NewChannel());
  ASSERT_OK(hall.Open(3, "li"));
  ASSERT_OK(hall.Open(10, "wang"));
  ASSERT_OK(hall.Issue("COMPLAINT"));
  const std::string ticket = hall.Serve(10);
  v1::HallView view = hall.View();
  ASSERT_EQ(view.complaints_size(), 1);
  EXPECT_EQ(view.complaints(0).ticket(), ticket);
  EXPECT_EQ(view.complaints(0).owner_clerk_id(), "wang");
  EXPECT_EQ(view.complaints(0).due_at_unix_ms() -
                view.complaints(0).opened_at_unix_ms(),
            24 * 3600 * 1000);

  // Li at window 3 is not the owner; window 3's counter token may not name
  // window 10; a counter naming no window is no owner either.
  EXPECT_CODE(hall.CallBack(ticket, 3, kCounter3),
              StatusCode::PERMISSION_DENIED);
  EXPECT_CODE(hall.CallBack(ticket, 10, kCounter3),
              StatusCode::PERMISSION_DENIED);
  EXPECT_CODE(hall.CallBack(ticket, 0, kCounter), StatusCode::INVALID_ARGUMENT);
  EXPECT_CODE(hall.CallBack("E999", 10, kCounter), StatusCode::NOT_FOUND);
  ASSERT_OK(hall.CallBack(ticket, 10, kCounter));
  EXPECT_EQ(hall.View().complaints(0).state(),
            v1::ComplaintCase::STATE_CALLED_BACK);
  EXPECT_CODE(hall.Resolve(ticket, 10, "", kCounter),
              StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(hall.View().complaints_size(), 1);
  // A supervisor resolves it from anywhere.
  ASSERT_OK(hall.Resolve(ticket, 0, "refunded the fee", kSupervisor));
  EXPECT_TRUE(hall.View().complaints().empty());
}

TEST(QcalldFeedbackTest, AnEvaluatorTokenNamesOneHallAndOneWindow) {
  for (const char* scope :
       {"halls: [\"it-hall\"] windows: [1, 2]", "halls: [\"it-hall\"]",
        "halls: [\"*\"] windows: [1]",
        "halls: [\"it-hall\", \"other-hall\"] windows: [1]"}) {
    QcalldProcess server(
        {.config_text = absl::StrCat(TestConfig(),
                                     "\ntokens { token: \"it-pad-token\" "
                                     "role: ROLE_EVALUATOR name: \"pad\" ",
                                     scope, " }\n")});
    EXPECT_FALSE(server.Start()) << scope;
    EXPECT_THAT(server.Log(), HasSubstr("exactly one hall")) << scope;
  }
  QcalldProcess server(
      {.config_text = absl::StrCat(TestConfig(),
                                   "\ntokens { token: \"it-pad-token\" role: "
                                   "ROLE_EVALUATOR name: \"pad\" halls: "
                                   "[\"it-hall\"] windows: [1] }\n")});
  EXPECT_TRUE(server.Start());
}

}  // namespace
}  // namespace qcall::testing
