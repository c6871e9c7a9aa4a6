// Ratings from the evaluator pad, the follow-ups bad ratings open, and the
// complaint cases with their deadline alarms: every rule and every bad input.
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "engine/hall.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/engine/hall_invariants.h"
#include "tests/engine/test_hall.h"

namespace qcall {
namespace {

using ::qcall::testing::CallBack;
using ::qcall::testing::CallNext;
using ::qcall::testing::CloseFollowUp;
using ::qcall::testing::ComplaintHallConfig;
using ::qcall::testing::Complete;
using ::qcall::testing::Issue;
using ::qcall::testing::LoadZone;
using ::qcall::testing::OpenWindow;
using ::qcall::testing::Rate;
using ::qcall::testing::Resolve;
using ::qcall::testing::ShanghaiTime;
using ::qcall::testing::SmallHallConfig;
using ::qcall::testing::Start;
using ::qcall::testing::TestHall;
using ::qcall::testing::Tick;
using ::qcall::testing::TransferToService;
using ::testing::HasSubstr;
using Alarm = v1::HallEvent::Alarm;

constexpr char kLongWait[] = "等候时间长 Long wait";

void ExpectError(const absl::Status& status, absl::StatusCode code,
                 absl::string_view message) {
  EXPECT_EQ(status.code(), code) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr(std::string(message)));
}

// A hall whose window 1 has served and completed A001 (clerk "c1").
TestHall ServedHall(const v1::HallConfig& config = SmallHallConfig()) {
  TestHall h(config);
  h.Ok(OpenWindow(1, "c1"));
  h.Ok(OpenWindow(2, "c2"));
  h.Ok(Issue("BILL"));
  h.Ok(CallNext(1));
  h.Ok(Start(1));
  h.Advance(absl::Minutes(4));
  h.Ok(Complete(1));
  return h;
}

// The snapshot as the hall holds it, and restored, are the same bytes.
void ExpectSnapshotRoundTrip(Hall& hall) {
  const v1::HallState state = hall.Snapshot();
  absl::StatusOr<Hall> restored =
      Hall::Restore(state, LoadZone("Asia/Shanghai"));
  ASSERT_TRUE(restored.ok()) << restored.status();
  std::string a, b;
  state.SerializeToString(&a);
  restored->Snapshot().SerializeToString(&b);
  EXPECT_EQ(a, b);
}

// --- Ratings ---------------------------------------------------------------

TEST(RatingTest, AGoodRatingIsAnEventWithClerkWindowServiceAndDay) {
  TestHall h = ServedHall();
  h.Advance(absl::Seconds(20));
  const Hall::Outcome& out = h.Ok(Rate(1, "A001", 5));
  ASSERT_EQ(out.events().size(), 1u);
  const v1::HallEvent::TicketRated& r = out.events()[0].ticket_rated();
  EXPECT_EQ(r.ticket(), "A001");
  EXPECT_EQ(r.window(), 1);
  EXPECT_EQ(r.clerk_id(), "c1");
  EXPECT_EQ(r.service_code(), "BILL");
  EXPECT_EQ(r.business_day(), 20261127);
  EXPECT_EQ(r.level(), 5);
  EXPECT_EQ(r.handling_ms(), 4 * 60 * 1000);
  EXPECT_EQ(r.completed_at_unix_ms(),
            absl::ToUnixMillis(h.now() - absl::Seconds(20)));
  EXPECT_TRUE(h.hall().View(h.now()).follow_ups().empty());
}

TEST(RatingTest, LevelOutsideOneToFiveIsRefused) {
  TestHall h = ServedHall();
  for (int level : {0, 6, -1, 100}) {
    ExpectError(h.Try(Rate(1, "A001", level)),
                absl::StatusCode::kInvalidArgument, "level must be 1");
  }
  // None of them used up the ticket's one rating.
  h.Ok(Rate(1, "A001", 4));
}

TEST(RatingTest, OnlyTheTicketCompletedLastAtThatWindowIsRated) {
  TestHall h(SmallHallConfig());
  h.Ok(OpenWindow(1, "c1"));
  h.Ok(OpenWindow(2, "c2"));
  h.Ok(Issue("BILL"));
  h.Ok(Issue("BILL"));
  ExpectError(h.Try(Rate(1, "A001", 5)), absl::StatusCode::kFailedPrecondition,
              "completed no ticket");
  h.Ok(CallNext(1));
  h.Ok(Start(1));
  // Being served is not completed.
  ExpectError(h.Try(Rate(1, "A001", 5)), absl::StatusCode::kFailedPrecondition,
              "completed no ticket");
  h.Ok(Complete(1));
  // Another window's pad cannot rate it.
  ExpectError(h.Try(Rate(2, "A001", 5)), absl::StatusCode::kFailedPrecondition,
              "completed no ticket");
  ExpectError(h.Try(Rate(1, "A002", 5)), absl::StatusCode::kFailedPrecondition,
              "is not the one window 1 completed last (A001)");
  ExpectError(h.Try(Rate(9, "A001", 5)), absl::StatusCode::kNotFound, "9");
  // Once window 1 completed A002, A001 can no longer be rated there.
  h.Ok(CallNext(1));
  h.Ok(Start(1));
  h.Ok(Complete(1));
  ExpectError(h.Try(Rate(1, "A001", 5)), absl::StatusCode::kFailedPrecondition,
              "(A002)");
  h.Ok(Rate(1, "A002", 3));
}

TEST(RatingTest, ASecondRatingIsRefused) {
  TestHall h = ServedHall();
  h.Ok(Rate(1, "A001", 4));
  ExpectError(h.Try(Rate(1, "A001", 1, kLongWait)),
              absl::StatusCode::kFailedPrecondition, "rated already");
  EXPECT_TRUE(h.hall().View(h.now()).follow_ups().empty());
}

TEST(RatingTest, LateRatingIsRefusedAndTheTicketStaysUnrated) {
  TestHall h = ServedHall();
  h.Advance(absl::Seconds(180));
  h.Ok(Rate(1, "A001", 5));  // At the limit: still accepted.
  TestHall late = ServedHall();
  late.Advance(absl::Seconds(181));
  ExpectError(late.Try(Rate(1, "A001", 5)),
              absl::StatusCode::kFailedPrecondition, "within 180 seconds");
}

TEST(RatingTest, TheLimitIsTheHallsRatingSeconds) {
  v1::HallConfig config = SmallHallConfig();
  config.mutable_feedback()->set_rating_seconds(30);
  TestHall h = ServedHall(config);
  h.Advance(absl::Seconds(31));
  ExpectError(h.Try(Rate(1, "A001", 5)), absl::StatusCode::kFailedPrecondition,
              "within 30 seconds");
}

TEST(RatingTest, BadRatingNeedsAReasonFromTheHallsList) {
  TestHall h = ServedHall();
  ExpectError(h.Try(Rate(1, "A001", 2)), absl::StatusCode::kInvalidArgument,
              "needs a reason; one of: 服务态度差 Poor attitude");
  ExpectError(h.Try(Rate(1, "A001", 1, "rude")),
              absl::StatusCode::kInvalidArgument, "unknown reason");
  ExpectError(h.Try(Rate(1, "A001", 4, kLongWait)),
              absl::StatusCode::kInvalidArgument, "only with a rating of 1");
  EXPECT_TRUE(h.hall().View(h.now()).follow_ups().empty());

  v1::HallConfig config = SmallHallConfig();
  config.mutable_feedback()->add_bad_rating_reasons("排队太久");
  TestHall own = ServedHall(config);
  ExpectError(own.Try(Rate(1, "A001", 1, kLongWait)),
              absl::StatusCode::kInvalidArgument, "one of: 排队太久");
  own.Ok(Rate(1, "A001", 1, "排队太久"));
}

TEST(RatingTest, ConfigRefusesBadReasonListsAndLimits) {
  v1::HallConfig config = SmallHallConfig();
  config.mutable_feedback()->add_bad_rating_reasons("a");
  config.mutable_feedback()->add_bad_rating_reasons("a");
  EXPECT_THAT(std::string(HallRules::FromConfig(config).status().message()),
              HasSubstr("lists 'a' twice"));
  config.mutable_feedback()->clear_bad_rating_reasons();
  config.mutable_feedback()->add_bad_rating_reasons("");
  EXPECT_EQ(HallRules::FromConfig(config).status().code(),
            absl::StatusCode::kInvalidArgument);
  config.mutable_feedback()->clear_bad_rating_reasons();
  config.mutable_feedback()->set_rating_seconds(-1);
  EXPECT_EQ(HallRules::FromConfig(config).status().code(),
            absl::StatusCode::kInvalidArgument);
  config.mutable_feedback()->set_rating_seconds(0);
  config.mutable_feedback()->set_complaint_deadline_seconds(3600);
  EXPECT_THAT(std::string(HallRules::FromConfig(config).status().message()),
              HasSubstr("complaint_warning_seconds (7200) must be shorter"));
}

// --- Follow-ups ------------------------------------------------------------

TEST(FollowUpTest, BadRatingOpensOneThatASupervisorClosesWithAText) {
  TestHall h = ServedHall();
  const Hall::Outcome& rated = h.Ok(Rate(1, "A001", 2, kLongWait));
  ASSERT_EQ(rated.events().size(), 2u);
  const v1::FollowUp& opened =
      rated.events()[1].follow_up_changed().follow_up();
  EXPECT_EQ(opened.id(), 1u);
  EXPECT_EQ(opened.state(), v1::FollowUp::STATE_OPEN);
  EXPECT_EQ(opened.ticket(), "A001");
  EXPECT_EQ(opened.clerk_id(), "c1");
  EXPECT_EQ(opened.window(), 1);
  EXPECT_EQ(opened.level(), 2);
  EXPECT_EQ(opened.reason(), kLongWait);
  ASSERT_EQ(h.hall().View(h.now()).follow_ups_size(), 1);
  ExpectSnapshotRoundTrip(h.hall());

  ExpectError(h.Try(CloseFollowUp(1, "", "duty-1")),
              absl::StatusCode::kInvalidArgument, "text");
  ExpectError(h.Try(CloseFollowUp(1, "talked to c1", "")),
              absl::StatusCode::kInvalidArgument, "supervisor_id");
  ExpectError(h.Try(CloseFollowUp(7, "talked to c1", "duty-1")),
              absl::StatusCode::kNotFound, "no open follow-up 7");
  EXPECT_EQ(h.hall().View(h.now()).follow_ups_size(), 1);

  const Hall::Outcome& closed =
      h.Ok(CloseFollowUp(1, "talked to c1", "duty-1"));
  const v1::FollowUp& f = closed.events()[0].follow_up_changed().follow_up();
  EXPECT_EQ(f.state(), v1::FollowUp::STATE_CLOSED);
  EXPECT_EQ(f.closing_text(), "talked to c1");
  EXPECT_EQ(f.closed_by(), "duty-1");
  EXPECT_EQ(f.clerk_id(), "c1");
  EXPECT_TRUE(h.hall().View(h.now()).follow_ups().empty());
  ExpectError(h.Try(CloseFollowUp(1, "again", "duty-1")),
              absl::StatusCode::kNotFound, "closed already");
}

TEST(FollowUpTest, SurvivesTheDayRolloverAndIdsKeepCounting) {
  TestHall h = ServedHall();
  h.Ok(Rate(1, "A001", 1, kLongWait));
  h.set_now(ShanghaiTime(9, 0) + absl::Hours(24));
  h.Ok(Tick());
  EXPECT_EQ(h.hall().business_day(), 20261128);
  const v1::HallView view = h.hall().View(h.now());
  ASSERT_EQ(view.follow_ups_size(), 1);
  EXPECT_EQ(view.follow_ups(0).business_day(), 20261127);
  h.Ok(Issue("BILL"));
  h.Ok(CallNext(1));
  h.Ok(Start(1));
  h.Ok(Complete(1));
  EXPECT_EQ(h.Ok(Rate(1, "A001", 2, kLongWait))
                .events()[1]
                .follow_up_changed()
                .follow_up()
                .id(),
            2u);
  ExpectSnapshotRoundTrip(h.hall());
}

// --- Complaint cases -------------------------------------------------------

std::vector<v1::HallEvent::Alarm> AlarmsIn(const Hall::Outcome& out) {
  std::vector<v1::HallEvent::Alarm> alarms;
  for (const v1::HallEvent& e : out.events()) {
    if (e.has_alarm()) alarms.push_back(e.alarm());
  }
  return alarms;
}

TEST(ComplaintTest, FirstClerkWhoServesOwnsTheCase) {
  TestHall h(ComplaintHallConfig());
  h.Ok(OpenWindow(1, "c1"));
  h.Ok(OpenWindow(2, "c2"));
  h.Ok(Issue("CMPL"));
  h.Ok(CallNext(1));
  EXPECT_TRUE(h.hall().View(h.now()).complaints().empty());  // Called only.
  const Hall::Outcome& served = h.Ok(Start(1));
  ASSERT_EQ(served.events().size(), 2u);
  const v1::ComplaintCase& c =
      served.events()[1].complaint_changed().complaint();
  EXPECT_EQ(c.ticket(), "T001");
  EXPECT_EQ(c.business_day(), 20261127);
  EXPECT_EQ(c.owner_clerk_id(), "c1");
  EXPECT_EQ(c.window(), 1);
  EXPECT_EQ(c.state(), v1::ComplaintCase::STATE_OPEN);
  EXPECT_EQ(c.due_at_unix_ms() - c.opened_at_unix_ms(), 24 * 3600 * 1000);
  // Transferred and served again elsewhere: still c1's, no second case.
  h.Ok(TransferToService(1, "CMPL", v1::PLACEMENT_FIRST));
  const Hall::Outcome& again = h.Ok(CallNext(1));
  EXPECT_EQ(again.result().ticket().number(), "T001");
  h.Ok(Start(1));
  EXPECT_TRUE(h.last().events().size() == 1u);
  EXPECT_EQ(h.hall().View(h.now()).complaints_size(), 1);
  // Resolved, then served again: the case stays resolved, none opens.
  h.Ok(Resolve("T001", 1, "explained the bill"));
  h.Ok(TransferToService(1, "CMPL", v1::PLACEMENT_FIRST));
  h.Ok(CallNext(1));
  EXPECT_EQ(h.Ok(Start(1)).events().size(), 1u);
  EXPECT_TRUE(h.hall().View(h.now()).complaints().empty());
  ExpectSnapshotRoundTrip(h.hall());
  // A ticket of another service opens none.
  h.Ok(Complete(1));
  h.Ok(Issue("BILL"));
  h.Ok(CallNext(2));
  EXPECT_EQ(h.Ok(Start(2)).events().size(), 1u);
  EXPECT_TRUE(h.hall().View(h.now()).complaints().empty());
}

// Serves T001 at window 1 (clerk c1) at 09:00.
TestHall OpenCase(const v1::HallConfig& config = ComplaintHallConfig()) {
  TestHall h(config);
  h.Ok(OpenWindow(1, "c1"));
  h.Ok(OpenWindow(2, "c2"));
  h.Ok(Issue("CMPL"));
  h.Ok(CallNext(1));
  h.Ok(Start(1));
  h.Ok(Complete(1));
  return h;
}

TEST(ComplaintTest, OwnerCallsBackAndResolvesWithAText) {
  TestHall h = OpenCase();
  // Another clerk's window may not act on it; nor may a command naming no
  // window without a supervisor.
  ExpectError(h.Try(CallBack("T001", 2)), absl::StatusCode::kPermissionDenied,
              "belongs to clerk c1");
  ExpectError(h.Try(CallBack("T001", 0)), absl::StatusCode::kInvalidArgument,
              "name the window");
  ExpectError(h.Try(CallBack("T009", 1)), absl::StatusCode::kNotFound,
              "no unresolved complaint case of T009");
  const Hall::Outcome& called = h.Ok(CallBack("T001", 1));
  const v1::ComplaintCase& c =
      called.events()[0].complaint_changed().complaint();
  EXPECT_EQ(c.state(), v1::ComplaintCase::STATE_CALLED_BACK);
  EXPECT_EQ(c.called_back_by(), "c1");
  ExpectError(h.Try(CallBack("T001", 1)), absl::StatusCode::kFailedPrecondition,
              "called back already");
  ExpectSnapshotRoundTrip(h.hall());
  ExpectError(h.Try(Resolve("T001", 1, "")), absl::StatusCode::kInvalidArgument,
              "resolution");
  EXPECT_EQ(h.hall().View(h.now()).complaints_size(), 1);
  const Hall::Outcome& resolved = h.Ok(Resolve("T001", 1, "refunded 20 yuan"));
  const v1::ComplaintCase& r =
      resolved.events()[0].complaint_changed().complaint();
  EXPECT_EQ(r.state(), v1::ComplaintCase::STATE_RESOLVED);
  EXPECT_EQ(r.resolution(), "refunded 20 yuan");
  EXPECT_EQ(r.resolved_by(), "c1");
  EXPECT_TRUE(h.hall().View(h.now()).complaints().empty());
  ExpectError(h.Try(Resolve("T001", 1, "again")), absl::StatusCode::kNotFound,
              "no unresolved");
}

TEST(ComplaintTest, ASupervisorMayResolveWithoutAWindow) {
  TestHall h = OpenCase();
  const Hall::Outcome& out = h.Ok(Resolve("T001", 0, "apologised", "duty-1"));
  EXPECT_EQ(out.events()[0].complaint_changed().complaint().resolved_by(),
            "duty-1");
}

TEST(ComplaintTest, DueSoonThenOverdueOnTheTickAndClearedOnResolution) {
  TestHall h = OpenCase();
  h.Advance(absl::Hours(21) + absl::Minutes(59));
  EXPECT_TRUE(AlarmsIn(h.Ok(Tick())).empty());
  h.Advance(absl::Minutes(1));  // Two hours before the deadline.
  std::vector<Alarm> alarms = AlarmsIn(h.Ok(Tick()));
  ASSERT_EQ(alarms.size(), 1u);
  EXPECT_EQ(alarms[0].kind(), Alarm::KIND_COMPLAINT_DUE_SOON);
  EXPECT_TRUE(alarms[0].raised());
  EXPECT_EQ(alarms[0].ticket(), "T001");
  EXPECT_EQ(alarms[0].business_day(), 20261127);
  EXPECT_EQ(alarms[0].window(), 1);
  EXPECT_THAT(alarms[0].message(), HasSubstr("is due 2026-11-28 09:00"));
  EXPECT_TRUE(AlarmsIn(h.Ok(Tick())).empty());  // Raised once.
  // The case outlives the day rollover at midnight.
  EXPECT_EQ(h.hall().business_day(), 20261128);
  ExpectSnapshotRoundTrip(h.hall());
  h.Advance(absl::Hours(2));
  alarms = AlarmsIn(h.Ok(Tick()));
  ASSERT_EQ(alarms.size(), 2u);
  EXPECT_EQ(alarms[0].kind(), Alarm::KIND_COMPLAINT_DUE_SOON);
  EXPECT_FALSE(alarms[0].raised());
  EXPECT_EQ(alarms[1].kind(), Alarm::KIND_COMPLAINT_OVERDUE);
  EXPECT_TRUE(alarms[1].raised());
  const v1::HallView view = h.hall().View(h.now());
  ASSERT_EQ(view.complaints_size(), 1);
  EXPECT_TRUE(view.complaints(0).overdue());
  bool shown = false;
  for (const Alarm& a : view.alarms()) {
    shown |= a.kind() == Alarm::KIND_COMPLAINT_OVERDUE && a.ticket() == "T001";
  }
  EXPECT_TRUE(shown);
  // Yesterday's case is named with its day.
  ExpectError(h.Try(Resolve("T001", 1, "done")), absl::StatusCode::kNotFound,
              "business day 20261128");
  alarms = AlarmsIn(h.Ok(Resolve("T001", 1, "done", "", 20261127)));
  ASSERT_EQ(alarms.size(), 1u);
  EXPECT_EQ(alarms[0].kind(), Alarm::KIND_COMPLAINT_OVERDUE);
  EXPECT_FALSE(alarms[0].raised());
  EXPECT_TRUE(h.hall().View(h.now()).alarms().empty());
}

TEST(ComplaintTest, DeadlineAndWarningComeFromTheHall) {
  v1::HallConfig config = ComplaintHallConfig();
  config.mutable_feedback()->set_complaint_deadline_seconds(3600);
  config.mutable_feedback()->set_complaint_warning_seconds(600);
  TestHall h = OpenCase(config);
  h.Advance(absl::Minutes(49));
  EXPECT_TRUE(AlarmsIn(h.Ok(Tick())).empty());
  h.Advance(absl::Minutes(1));
  EXPECT_EQ(AlarmsIn(h.Ok(Tick())).size(), 1u);
  h.Advance(absl::Minutes(10));
  EXPECT_EQ(AlarmsIn(h.Ok(Tick())).size(), 2u);
}

TEST(ComplaintTest, ReconfigureKeepsCasesFollowUpsAndRatables) {
  TestHall h = OpenCase();
  h.Ok(Rate(1, "T001", 1, kLongWait));
  v1::Command configure;
  *configure.mutable_configure()->mutable_config() = ComplaintHallConfig();
  configure.mutable_configure()->mutable_config()->set_name("renamed");
  configure.mutable_configure()->set_supervisor_id("duty-1");
  h.Ok(configure);
  const v1::HallView view = h.hall().View(h.now());
  EXPECT_EQ(view.complaints_size(), 1);
  EXPECT_EQ(view.follow_ups_size(), 1);
  ExpectError(h.Try(Rate(1, "T001", 5)), absl::StatusCode::kFailedPrecondition,
              "rated already");
}

TEST(FeedbackSnapshotTest, RestoreRefusesWhatDoesNotHoldTogether) {
  TestHall h = OpenCase();
  h.Ok(Rate(1, "T001", 1, kLongWait));
  const v1::HallState good = h.hall().Snapshot();
  const absl::TimeZone tz = LoadZone("Asia/Shanghai");
  v1::HallState bad = good;
  bad.set_last_follow_up_id(0);
  EXPECT_EQ(Hall::Restore(bad, tz).status().code(),
            absl::StatusCode::kDataLoss);
  bad = good;
  *bad.add_complaints() = good.complaints(0);
  EXPECT_EQ(Hall::Restore(bad, tz).status().code(),
            absl::StatusCode::kDataLoss);
  bad = good;
  bad.mutable_ratables(0)->set_window(77);
  EXPECT_EQ(Hall::Restore(bad, tz).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_TRUE(Hall::Restore(good, tz).ok());
}

}  // namespace
}  // namespace qcall
