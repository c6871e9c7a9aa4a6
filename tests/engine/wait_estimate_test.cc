// Estimated waits: the dispatch replayed forward (Hall::Projection), and the
// queue-length formula for long lines.

#include <string>

#include "absl/time/time.h"
#include "engine/hall.h"
#include "gtest/gtest.h"
#include "tests/engine/test_hall.h"

namespace qcall {
namespace {

using ::qcall::testing::CallNext;
using ::qcall::testing::Cancel;
using ::qcall::testing::CloseWindow;
using ::qcall::testing::Complete;
using ::qcall::testing::Issue;
using ::qcall::testing::LoadZone;
using ::qcall::testing::OpenWindow;
using ::qcall::testing::ShanghaiTime;
using ::qcall::testing::SmallHallConfig;
using ::qcall::testing::Start;
using ::qcall::testing::TestHall;
using ::qcall::testing::Tick;
using ::qcall::testing::TransferToService;

int64_t Estimate(const Hall::Outcome& issued) {
  return issued.result().estimated_wait_seconds();
}

// BILL (A, 240 s) and SIM (B, 480 s); windows 1 and 2 serve both, 3 only
// BILL, 4 only SIM.
TEST(HallWaitEstimateTest, ReplayTheDispatchWithMeanHandlingTimes) {
  TestHall h(SmallHallConfig());
  // No window open: assume one will, never negative, never absurd.
  const Hall::Outcome& first = h.Ok(Issue("BILL"));
  EXPECT_EQ(first.result().people_ahead(), 0);
  EXPECT_EQ(Estimate(first), 240);  // One prior mean.
  h.Ok(OpenWindow(3, "c3"));        // A whole window for BILL.
  h.Ok(OpenWindow(1, "c1"));        // BILL and SIM share it.
  // Two idle windows and one person ahead: served at once.
  EXPECT_EQ(Estimate(h.Ok(Issue("BILL"))), 0);
  // The idle windows call A001 and A002 now and free up one after another
  // at their joint rate: the first in 240 s / 2.
  const Hall::Outcome& third = h.Ok(Issue("BILL"));
  EXPECT_EQ(third.result().people_ahead(), 2);
  EXPECT_EQ(Estimate(third), 120);
  // B001 waits on window 1 too. At 120 s window 1 takes A003, who waited
  // a second longer than B001; at 240 s window 3, which serves only BILL,
  // takes A004.
  h.Advance(absl::Seconds(1));
  h.Ok(Issue("SIM"));
  const Hall::Outcome& fourth = h.Ok(Issue("BILL"));
  EXPECT_EQ(fourth.result().people_ahead(), 3);
  EXPECT_EQ(Estimate(fourth), 240);
  // Observed handling times move the mean from the prior.
  h.Ok(CallNext(3));
  h.Ok(Start(3));
  h.Advance(absl::Seconds(1040));
  h.Ok(Complete(3));  // (8 x 240 + 1040) / 9 = 328 s.
  EXPECT_EQ(h.hall().View(h.now()).services(0).mean_handling_seconds(), 328);
  h.Ok(CallNext(3));
  h.Ok(Start(3));
  h.Advance(absl::Seconds(120));
  h.Ok(Complete(3));  // (8 x 240 + 1040 + 120) / 10 = 308 s.
  EXPECT_EQ(h.hall().View(h.now()).services(0).mean_handling_seconds(), 308);
}

TEST(HallWaitEstimateTest, OneLineAtBusyWindowsIsTheQueueLengthEstimate) {
  // Five windows for one service, all busy, k waiting: the next customer is
  // called after k + 1 departures, which come at 5 per mean handling time.
  v1::HallConfig config = SmallHallConfig();
  config.clear_windows();
  config.clear_standby_clerks();
  for (int number = 1; number <= 5; ++number) {
    v1::WindowConfig* w = config.add_windows();
    w->set_number(number);
    w->add_serves()->set_service_code("BILL");
  }
  TestHall h(config);
  for (int w = 1; w <= 5; ++w) {
    h.Ok(OpenWindow(w, "c" + std::to_string(w)));
    h.Ok(Issue("BILL"));
    h.Ok(CallNext(w));
  }
  for (int k = 0; k < 7; ++k) {
    const Hall::Outcome& issued = h.Ok(Issue("BILL"));
    EXPECT_EQ(issued.result().people_ahead(), k);
    EXPECT_EQ(Estimate(issued), (k + 1) * 240 / 5) << k << " ahead";
  }
}

TEST(HallWaitEstimateTest,
     ACustomerLongAtTheWindowIsNearlyDoneWhenHandlingIsRegular) {
  TestHall h(SmallHallConfig());
  h.Ok(OpenWindow(3, "c3"));  // Serves only BILL (prior 240 s).
  // Before the day has shown how handling times spread, they count as
  // exponential: memoryless, a customer 200 s in still needs the mean.
  h.Ok(Issue("BILL"));
  h.Ok(CallNext(3));
  h.Ok(Start(3));
  h.Advance(absl::Seconds(200));
  EXPECT_EQ(Estimate(h.Ok(Issue("BILL"))), 240);
  h.Advance(absl::Seconds(40));
  h.Ok(Complete(3));
  h.Ok(CallNext(3));  // The ticket just estimated.
  h.Ok(Start(3));
  h.Advance(absl::Seconds(240));
  h.Ok(Complete(3));
  // The day's customers each take exactly 240 s: with the prior's spread
  // (c² = 1, weight 8) c² = 8 / 24 = 1/3 after 16, so Erlang(3) at 80 s a
  // phase. 200 s in, E[rest] = 80 s × (3 + 2 × 2.5 + 2.5² / 2) /
  // (1 + 2.5 + 2.5² / 2) = 134.3 s.
  for (int i = 0; i < 14; ++i) {
    h.Ok(Issue("BILL"));
    h.Ok(CallNext(3));
    h.Ok(Start(3));
    h.Advance(absl::Seconds(240));
    h.Ok(Complete(3));
  }
  ASSERT_EQ(h.hall().View(h.now()).services(0).mean_handling_seconds(), 240);
  h.Ok(Issue("BILL"));
  h.Ok(CallNext(3));
  h.Ok(Start(3));
  h.Advance(absl::Seconds(200));
  EXPECT_EQ(Estimate(h.Ok(Issue("BILL"))), 134);
  {
    // A snapshot from before the spread was kept takes the day so far as
    // exponential; a spread that cannot be is refused.
    v1::HallState state = h.hall().Snapshot();
    state.mutable_services(0)->clear_handling_square_total_s2();
    absl::StatusOr<Hall> old =
        Hall::Restore(state, LoadZone(SmallHallConfig().time_zone()));
    ASSERT_TRUE(old.ok()) << old.status();
    Hall::Outcome out;
    ASSERT_TRUE(old->Apply(Issue("BILL"), h.now(), &out).ok());
    // The customer at window 3 and the one ahead: 240 s each, nobody
    // counted as nearly done (with the spread kept: 134 + 240).
    EXPECT_EQ(Estimate(out), 240 + 240);
    state.mutable_services(0)->set_handling_square_total_s2(-1);
    EXPECT_EQ(Hall::Restore(state, LoadZone(SmallHallConfig().time_zone()))
                  .status()
                  .code(),
              absl::StatusCode::kDataLoss);
  }
  // Window 1 opens and calls that ticket: it needs 240 s. The next ticket
  // is called when the first of the two frees up, at their joint rate:
  // 1 / (1/134.3 + 1/240) = 86.1 s. The one after it waits for window 1
  // or for window 3's next customer, each 240 s from then: half that,
  // 86.1 + 120 s. (Window 3 does not count as free again soon.)
  h.Ok(OpenWindow(1, "c1"));
  h.Ok(CallNext(1));
  EXPECT_EQ(Estimate(h.Ok(Issue("BILL"))), 86);
  EXPECT_EQ(Estimate(h.Ok(Issue("BILL"))), 206);
}

// The advice to open window `window` announced by a tick, if any.
bool AdvisesToOpen(const Hall::Outcome& tick, int window) {
  for (const v1::HallEvent& e : tick.events()) {
    if (e.has_staffing_advised() &&
        e.staffing_advised().open_window() == window) {
      return true;
    }
  }
  return false;
}

TEST(HallWaitEstimateTest, WhereClerksFollowTheAdviceTheWindowItOpensCounts) {
  // Windows 1 and 2 serve only BILL (240 s), at least 1 open. Forty an
  // hour come and nobody has been called: the advice is to open window 2.
  v1::HallConfig config = SmallHallConfig();
  config.clear_windows();
  config.clear_standby_clerks();
  config.set_min_open_windows(1);
  for (const int number : {1, 2}) {
    v1::WindowConfig* w = config.add_windows();
    w->set_number(number);
    w->add_serves()->set_service_code("BILL");
  }
  TestHall h(config, ShanghaiTime(10, 0));
  h.Ok(OpenWindow(1, "c1"));
  for (int i = 0; i < 20; ++i) {
    h.Ok(Issue("BILL"));
    h.Advance(absl::Seconds(90));
  }
  // Twice the advice is followed, 40 s and 20 s after it: 30 s on average.
  for (const int delay_s : {40, 20}) {
    ASSERT_TRUE(AdvisesToOpen(h.Ok(Tick()), 2));
    h.Advance(absl::Seconds(delay_s));
    h.Ok(OpenWindow(2, "c2"));
    h.Ok(Tick());
    h.Ok(CloseWindow(2));
  }
  ASSERT_TRUE(AdvisesToOpen(h.Ok(Tick()), 2));  // Advised again, now.
  const v1::HallState::AdviceFollowing following =
      h.hall().Snapshot().advice_following();
  EXPECT_EQ(following.opens_advised(), 3);
  EXPECT_EQ(following.opens_followed(), 2);
  EXPECT_EQ(following.follow_delay_total_ms(), 60'000);
  EXPECT_EQ(following.open_advised_at_ms(), absl::ToUnixMillis(h.now()));
  h.Ok(CallNext(1));
  h.Ok(Start(1));
  // 19 wait; window 1 frees up every 240 s. Window 2 is expected to open in
  // 30 s and call the first; the two then free up at their joint rate, one
  // every 120 s: the next ticket, twentieth in line, is called at
  // 30 + 19 × 120 s. Without window 2: 20 × 240 s.
  const Hall::Outcome& issued = h.Ok(Issue("BILL"));
  ASSERT_EQ(issued.result().people_ahead(), 19);
  EXPECT_EQ(Estimate(issued), 30 + 19 * 120);
  // The board tells the next walk-in the same.
  EXPECT_EQ(h.hall().View(h.now()).services(0).estimated_wait_seconds(),
            30 + 20 * 120);

  // The same hall where the advice was followed less: its estimate does not
  // count on window 2.
  const auto estimate_if = [&](int advised, int followed, int64_t delay_ms,
                               absl::Duration advised_ago =
                                   absl::ZeroDuration()) {
    v1::HallState state = h.hall().Snapshot();
    v1::HallState::AdviceFollowing* f = state.mutable_advice_following();
    f->set_opens_advised(advised);
    f->set_opens_followed(followed);
    f->set_follow_delay_total_ms(delay_ms * followed);
    f->set_open_advised_at_ms(absl::ToUnixMillis(h.now() - advised_ago));
    absl::StatusOr<Hall> hall = Hall::Restore(state, LoadZone("Asia/Shanghai"));
    EXPECT_TRUE(hall.ok()) << hall.status();
    Hall::Outcome out;
    EXPECT_TRUE(hall->Apply(Issue("BILL"), h.now(), &out).ok());
    return Estimate(out);
  };
  EXPECT_EQ(estimate_if(3, 2, 30'000), 30 + 20 * 120);  // As above.
  EXPECT_EQ(estimate_if(3, 1, 30'000), 21 * 240);       // Once is not a habit.
  EXPECT_EQ(estimate_if(5, 2, 30'000), 21 * 240);       // Less than half.
  // Followed after 10 minutes: window 1 calls twice (240, 480 s) before
  // window 2 opens at 600 s and calls the third; then one every 120 s.
  EXPECT_EQ(estimate_if(3, 2, 600'000), 600 + 18 * 120);
  // Advised 10 s ago: window 2 opens in 20 s. 5 minutes ago: any moment.
  EXPECT_EQ(estimate_if(3, 2, 30'000, absl::Seconds(10)), 20 + 20 * 120);
  EXPECT_EQ(estimate_if(3, 2, 30'000, absl::Minutes(5)), 20 * 120);
  // Unanswered for 16 minutes: nobody is coming.
  EXPECT_EQ(estimate_if(3, 2, 30'000, absl::Minutes(16)), 21 * 240);
  // Followed more often than advised cannot be.
  v1::HallState corrupt = h.hall().Snapshot();
  corrupt.mutable_advice_following()->set_opens_followed(4);
  EXPECT_EQ(Hall::Restore(corrupt, LoadZone("Asia/Shanghai")).status().code(),
            absl::StatusCode::kDataLoss);

  // An answer that comes too late (16 minutes) does not count, and a new
  // day starts afresh.
  h.Advance(absl::Minutes(16));
  h.Ok(OpenWindow(2, "c2"));
  EXPECT_EQ(h.hall().Snapshot().advice_following().opens_followed(), 2);
  EXPECT_EQ(h.hall().Snapshot().advice_following().open_advised_at_ms(), 0);
  h.set_now(ShanghaiTime(10, 0) + absl::Hours(24));
  h.Ok(Tick());
  EXPECT_EQ(h.hall().Snapshot().advice_following().opens_followed(), 0);
}

TEST(HallWaitEstimateTest, WindowsThatCannotCallTheTicketSayNothingAboutIt) {
  // Only window 4 (SIM alone) is open, busy, with SIM customers coming.
  // Replaying its calls would run on for hours without ever reaching a
  // BILL ticket; as with no window open, one BILL window is assumed.
  TestHall h(SmallHallConfig());
  h.Ok(OpenWindow(4, "c4"));
  for (int i = 0; i < 3; ++i) h.Ok(Issue("SIM"));
  h.Ok(CallNext(4));
  h.Ok(Start(4));
  h.Advance(absl::Minutes(1));
  EXPECT_EQ(Estimate(h.Ok(Issue("BILL"))), 240);
}

TEST(HallWaitEstimateTest, ASharedWindowGoesToWhoeverWaitedLongest) {
  // Window 1 alone serves BILL and SIM with equal weights. It is busy with
  // A001; B001 has waited a minute when A002 comes. Nobody is ahead of A002
  // in BILL, but window 1 will take B001 first and hold it 480 s: A002 is
  // called at 240 + 480 s. Giving BILL half the window's time instead
  // would say 480 s.
  TestHall h(SmallHallConfig());
  h.Ok(OpenWindow(1, "c1"));
  h.Ok(Issue("BILL"));
  h.Ok(CallNext(1));
  h.Ok(Issue("SIM"));
  h.Advance(absl::Minutes(1));
  const Hall::Outcome& issued = h.Ok(Issue("BILL"));
  EXPECT_EQ(issued.result().people_ahead(), 0);
  EXPECT_EQ(Estimate(issued), 240 + 480);
}

// Window 1 alone, BILL weighted 3 and SIM 1, busy with B001 (480 s); B002
// and then B003 wait.
v1::HallConfig HeavyBillConfig() {
  v1::HallConfig config = SmallHallConfig();
  for (v1::WindowConfig& w : *config.mutable_windows()) {
    for (auto& served : *w.mutable_serves()) {
      served.set_weight(served.service_code() == "BILL" ? 300 : 100);
    }
  }
  return config;
}

TEST(HallWaitEstimateTest, LaterCustomersOfAHeavierServiceGoFirst) {
  // A quiet hall: B003 follows B002 when window 1 frees at 480 s, at 960 s.
  TestHall quiet(HeavyBillConfig());
  quiet.Ok(OpenWindow(1, "c1"));
  quiet.Ok(Issue("SIM"));
  quiet.Ok(CallNext(1));
  quiet.Ok(Issue("SIM"));
  EXPECT_EQ(Estimate(quiet.Ok(Issue("SIM"))), 960);

  // Three BILL customers in the last 30 minutes (each left at once): one is
  // expected every 600 s. The one of 600 s has waited 360 s at 960 s, and
  // 3 x 360 > 960: it goes first, for 240 s. At 1200 s the next has just
  // come: B003.
  TestHall busy(HeavyBillConfig());
  for (const char* number : {"A001", "A002", "A003"}) {
    busy.Ok(Issue("BILL"));
    busy.Ok(Cancel(number));
    busy.Advance(absl::Minutes(10));
  }
  busy.Ok(OpenWindow(1, "c1"));
  busy.Ok(Issue("SIM"));
  busy.Ok(CallNext(1));
  busy.Ok(Issue("SIM"));
  const Hall::Outcome& issued = busy.Ok(Issue("SIM"));
  EXPECT_EQ(issued.result().people_ahead(), 1);
  EXPECT_EQ(Estimate(issued), 1200);
}

TEST(HallWaitEstimateTest, TransfersIntoAServiceGoAheadOfItsLine) {
  // Windows 3 (BILL) and 4 (SIM). Three BILL customers were sent on to SIM
  // today and served there in 480 s each: with 5 tickets issued in the last
  // 30 minutes, a transfer into SIM is expected every 600 s.
  TestHall h(SmallHallConfig());
  h.Ok(OpenWindow(3, "c3"));
  h.Ok(OpenWindow(4, "c4"));
  for (int i = 0; i < 3; ++i) {
    h.Ok(Issue("BILL"));
    h.Ok(CallNext(3));
    h.Ok(TransferToService(3, "SIM", v1::PLACEMENT_FIRST));
    h.Ok(CallNext(4));
    h.Ok(Start(4));
    h.Advance(absl::Seconds(480));
    h.Ok(Complete(4));
  }
  h.Ok(Issue("SIM"));
  h.Ok(CallNext(4));  // B001, free at 480 s.
  h.Ok(Issue("SIM"));
  const Hall::Outcome& issued = h.Ok(Issue("SIM"));
  EXPECT_EQ(issued.result().people_ahead(), 1);
  // B002 at 480 s; then the transfers of 600, 1200, 1800 and 2400 s go
  // first, each 480 s: B003 at 960 + 4 x 480 s. Without them, 960 s. (The
  // last transfer comes the very millisecond the window frees: a transfer
  // that has come by then goes first.)
  EXPECT_EQ(Estimate(issued), 960 + 4 * 480);
}

TEST(HallWaitEstimateTest, AWalkInIsToldWhatTheBoardSays) {
  // The per-service estimate a kiosk or board shows before issuing is the
  // one the ticket then gets, transfers and all.
  TestHall h(HeavyBillConfig());
  // Customers of the morning, long gone: today's count and the last half
  // hour's differ, which the transfer rate depends on.
  for (const char* number : {"A001", "A002", "A003", "A004", "A005"}) {
    h.Ok(Issue("BILL"));
    h.Ok(Cancel(number));
  }
  h.Advance(absl::Minutes(40));
  h.Ok(OpenWindow(1, "c1"));
  h.Ok(OpenWindow(3, "c3"));
  bool serving[4] = {};
  for (int step = 0; step < 12; ++step) {
    for (const char* service : {"BILL", "SIM"}) {
      const int index = std::string(service) == "BILL" ? 0 : 1;
      const int64_t shown =
          h.hall().View(h.now()).services(index).estimated_wait_seconds();
      EXPECT_EQ(Estimate(h.Ok(Issue(service))), shown)
          << service << " at step " << step;
    }
    if (step % 3 == 0) {  // Windows 1 and 3 take turns.
      const int w = step % 2 == 0 ? 1 : 3;
      if (serving[w]) {
        h.Ok(w == 1 ? TransferToService(1, "SIM", v1::PLACEMENT_FIRST)
                    : Complete(w));
      }
      h.Ok(CallNext(w));
      h.Ok(Start(w));
      serving[w] = true;
    }
    h.Advance(absl::Seconds(50));
  }
}

TEST(HallWaitEstimateTest, AReplayThatRunsOutSaysAtLeastHowFarItWent) {
  // Window 1 alone. A001 was sent on to SIM ten times today: with two
  // tickets issued, a transfer into SIM is expected every 180 s, and each
  // takes the window 480 s. Transfers go first, so the replay never reaches
  // B001 in its 400 calls (53 hours): the estimate is the 24-hour cap, not
  // the line-over-rate formula's 480 s.
  TestHall h(SmallHallConfig());
  h.Ok(OpenWindow(1, "c1"));
  h.Ok(Issue("BILL"));
  for (int i = 0; i < 10; ++i) {
    h.Ok(CallNext(1));
    h.Ok(TransferToService(1, "SIM", v1::PLACEMENT_FIRST));
  }
  const Hall::Outcome& issued = h.Ok(Issue("SIM"));
  EXPECT_EQ(issued.result().people_ahead(), 1);
  EXPECT_EQ(Estimate(issued), 24 * 3600);
}

TEST(HallWaitEstimateTest, ALongLineIsItsLengthOverTheRate) {
  // Past 100 people ahead the calls are not replayed one by one: (ahead -
  // idle + 1) x mean / the window time BILL gets (windows 3 and 1 whole,
  // nobody waits for SIM).
  TestHall h(SmallHallConfig());
  h.Ok(OpenWindow(3, "c3"));
  h.Ok(OpenWindow(1, "c1"));
  for (int i = 0; i < 150; ++i) h.Ok(Issue("BILL"));
  const Hall::Outcome& issued = h.Ok(Issue("BILL"));
  EXPECT_EQ(issued.result().people_ahead(), 150);
  EXPECT_EQ(Estimate(issued), (150 - 2 + 1) * 240 / 2);
}

}  // namespace
}  // namespace qcall
