// A supervisor acknowledges (确认) a raised alarm: it stays listed, marked by
// whom and when, until it clears; raised again it is a new alarm.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/engine/test_hall.h"

namespace qcall::testing {
namespace {

using Alarm = v1::HallEvent::Alarm;

v1::Command Acknowledge(Alarm::Kind kind, int window,
                        absl::string_view service = "",
                        absl::string_view supervisor = "duty-1") {
  v1::Command c;
  auto* m = c.mutable_acknowledge_alarm();
  m->set_kind(kind);
  m->set_window(window);
  m->set_service_code(std::string(service));
  m->set_supervisor_id(std::string(supervisor));
  return c;
}

// The view's alarm of `kind` at `window`, if raised.
std::optional<Alarm> Find(const v1::HallView& view, Alarm::Kind kind,
                          int window) {
  for (const Alarm& a : view.alarms()) {
    if (a.kind() == kind && a.window() == window) return a;
  }
  return std::nullopt;
}

class AlarmAcksTest : public ::testing::Test {
 protected:
  AlarmAcksTest() : h_(SmallHallConfig()) {
    h_.Ok(OpenWindow(1, "c1"));
    h_.Ok(OpenWindow(2, "c2"));
    h_.Ok(OpenWindow(3, "c3"));
    h_.Ok(WindowLost(3));  // Two stay open: the minimum, no standby.
  }
  v1::HallView View() { return h_.hall().View(h_.now()); }

  TestHall h_;
};

TEST_F(AlarmAcksTest, AnAcknowledgedAlarmStaysListedWithWhoAndWhen) {
  ASSERT_TRUE(Find(View(), Alarm::KIND_WINDOW_LOST, 3).has_value());
  EXPECT_TRUE(
      Find(View(), Alarm::KIND_WINDOW_LOST, 3)->acknowledged_by().empty());
  h_.Advance(absl::Seconds(30));
  const Hall::Outcome& out = h_.Ok(Acknowledge(Alarm::KIND_WINDOW_LOST, 3));
  ASSERT_EQ(out.events().size(), 1u);
  const Alarm& told = out.events()[0].alarm_acknowledged().alarm();
  EXPECT_EQ(told.kind(), Alarm::KIND_WINDOW_LOST);
  EXPECT_EQ(told.window(), 3);
  EXPECT_TRUE(told.raised());
  EXPECT_FALSE(told.message().empty());
  EXPECT_EQ(told.acknowledged_by(), "duty-1");
  EXPECT_EQ(told.acknowledged_at_unix_ms(), absl::ToUnixMillis(h_.now()));

  const std::optional<Alarm> shown = Find(View(), Alarm::KIND_WINDOW_LOST, 3);
  ASSERT_TRUE(shown.has_value());
  EXPECT_TRUE(shown->raised());
  EXPECT_EQ(shown->acknowledged_by(), "duty-1");
  EXPECT_EQ(shown->acknowledged_at_unix_ms(), absl::ToUnixMillis(h_.now()));
}

TEST_F(AlarmAcksTest, AClearedAlarmRaisedAgainIsNewAndUnacknowledged) {
  h_.Ok(Acknowledge(Alarm::KIND_WINDOW_LOST, 3));
  h_.Ok(OpenWindow(3, "c3"));  // Back: the alarm clears.
  EXPECT_FALSE(Find(View(), Alarm::KIND_WINDOW_LOST, 3).has_value());
  EXPECT_EQ(h_.hall().Snapshot().acknowledged_alarms_size(), 0);
  h_.Ok(WindowLost(3));
  const std::optional<Alarm> again = Find(View(), Alarm::KIND_WINDOW_LOST, 3);
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->acknowledged_by().empty());
  EXPECT_EQ(again->acknowledged_at_unix_ms(), 0);
  // So it can be acknowledged again.
  h_.Ok(Acknowledge(Alarm::KIND_WINDOW_LOST, 3, "", "duty-2"));
  EXPECT_EQ(Find(View(), Alarm::KIND_WINDOW_LOST, 3)->acknowledged_by(),
            "duty-2");
}

TEST_F(AlarmAcksTest, RefusalsSayWhyAndChangeNothing) {
  h_.Ok(Acknowledge(Alarm::KIND_WINDOW_LOST, 3));
  const uint64_t seq = h_.hall().last_seq();
  const std::string before = h_.hall().Snapshot().SerializeAsString();

  const absl::Status again =
      h_.Try(Acknowledge(Alarm::KIND_WINDOW_LOST, 3, "", "duty-2"));
  EXPECT_EQ(again.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(again.message().find("duty-1"), std::string::npos)
      << again.message();
  // Not raised: another window, another kind, a service's alarm not raised.
  EXPECT_EQ(h_.Try(Acknowledge(Alarm::KIND_WINDOW_LOST, 2)).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(h_.Try(Acknowledge(Alarm::KIND_WINDOW_IDLE, 3)).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(h_.Try(Acknowledge(Alarm::KIND_WAIT_OVER_TARGET, 0, "BILL")).code(),
            absl::StatusCode::kNotFound);
  // No alarm at all, or nobody acknowledging.
  EXPECT_EQ(h_.Try(Acknowledge(Alarm::KIND_UNSPECIFIED, 3)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(h_.Try(Acknowledge(static_cast<Alarm::Kind>(99), 3)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(h_.Try(Acknowledge(Alarm::KIND_WINDOW_LOST, 3, "", "")).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(h_.hall().last_seq(), seq);
  EXPECT_EQ(h_.hall().Snapshot().SerializeAsString(), before);
}

TEST_F(AlarmAcksTest, TheAcknowledgementIsInTheSnapshot) {
  h_.Ok(Acknowledge(Alarm::KIND_WINDOW_LOST, 3));
  const v1::HallState state = h_.hall().Snapshot();
  ASSERT_EQ(state.acknowledged_alarms_size(), 1);
  absl::StatusOr<Hall> restored =
      Hall::Restore(state, LoadZone("Asia/Shanghai"));
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ(restored->Snapshot().SerializeAsString(),
            state.SerializeAsString());
  const std::optional<Alarm> shown =
      Find(restored->View(h_.now()), Alarm::KIND_WINDOW_LOST, 3);
  ASSERT_TRUE(shown.has_value());
  EXPECT_EQ(shown->acknowledged_by(), "duty-1");
}

TEST_F(AlarmAcksTest, ASnapshotAcknowledgingNoRaisedAlarmIsRefused) {
  h_.Ok(Acknowledge(Alarm::KIND_WINDOW_LOST, 3));
  for (const auto& corrupt : std::vector<std::function<void(v1::HallState*)>>{
           [](v1::HallState* s) {
             s->mutable_acknowledged_alarms(0)->set_window(2);
           },
           [](v1::HallState* s) {
             *s->add_acknowledged_alarms() = s->acknowledged_alarms(0);
           },
           [](v1::HallState* s) {
             s->mutable_acknowledged_alarms(0)->clear_acknowledged_by();
           },
       }) {
    v1::HallState state = h_.hall().Snapshot();
    corrupt(&state);
    EXPECT_EQ(Hall::Restore(state, LoadZone("Asia/Shanghai")).status().code(),
              absl::StatusCode::kDataLoss)
        << state.ShortDebugString();
  }
}

TEST_F(AlarmAcksTest, AHallAlarmIsAcknowledgedAndANewDayClearsWindowAlarms) {
  // Below the minimum: a close with an override takes window 2 away.
  v1::Command close = CloseWindow(2, "duty-1");
  h_.Ok(close);
  ASSERT_TRUE(Find(View(), Alarm::KIND_BELOW_MIN_OPEN, 0).has_value());
  h_.Ok(Acknowledge(Alarm::KIND_BELOW_MIN_OPEN, 0));
  EXPECT_EQ(Find(View(), Alarm::KIND_BELOW_MIN_OPEN, 0)->acknowledged_by(),
            "duty-1");
  h_.Ok(Acknowledge(Alarm::KIND_WINDOW_LOST, 3));
  // The next day's start clears the lost window's alarm; its acknowledgement
  // goes with it.
  h_.set_now(ShanghaiTime(9, 0) + absl::Hours(24));
  h_.Ok(Tick());
  EXPECT_FALSE(Find(View(), Alarm::KIND_WINDOW_LOST, 3).has_value());
  const v1::HallState state = h_.hall().Snapshot();
  for (const Alarm& a : state.acknowledged_alarms()) {
    EXPECT_NE(a.kind(), Alarm::KIND_WINDOW_LOST);
  }
}

// A new day clears the window alarms before its first command; when that
// command is a Configure (qcalld applies --config before its first tick),
// the cleared alarms' acknowledgements must not reach its snapshot, which
// a restore would refuse as acknowledging an alarm not raised.
TEST_F(AlarmAcksTest, TheNewDaysFirstCommandMayBeAConfiguration) {
  h_.Ok(Acknowledge(Alarm::KIND_WINDOW_LOST, 3));
  h_.set_now(ShanghaiTime(9, 0) + absl::Hours(24));
  v1::Command configure;
  *configure.mutable_configure()->mutable_config() = SmallHallConfig();
  configure.mutable_configure()->set_supervisor_id("qcalld --config");
  h_.Ok(configure);
  EXPECT_FALSE(Find(View(), Alarm::KIND_WINDOW_LOST, 3).has_value());
  EXPECT_EQ(h_.hall().Snapshot().acknowledged_alarms_size(), 0);
}

}  // namespace
}  // namespace qcall::testing
