// A hall takes a new configuration while it runs: services by code and
// windows by number keep their state; what would lose or renumber tickets is
// refused and changes nothing.
#include "engine/reconfigure.h"

#include <string>

#include "gtest/gtest.h"
#include "tests/engine/test_hall.h"

namespace qcall::testing {
namespace {

v1::Command Configure(const v1::HallConfig& config) {
  v1::Command c;
  *c.mutable_configure()->mutable_config() = config;
  c.mutable_configure()->set_supervisor_id("duty manager");
  return c;
}

std::string State(Hall& hall) {
  std::string bytes;
  google::protobuf::io::StringOutputStream stream(&bytes);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  hall.Snapshot().SerializeToCodedStream(&coded);
  coded.Trim();
  return bytes;
}

// A hall with A001, A002 and B001 issued, window 1 open holding A001.
class HallReconfigureTest : public ::testing::Test {
 protected:
  HallReconfigureTest() : h_(SmallHallConfig()) {
    h_.Ok(OpenWindow(1, "c1"));
    h_.Ok(OpenWindow(2, "c2"));
    h_.Ok(Issue("BILL"));
    h_.Ok(Issue("BILL"));
    h_.Ok(Issue("SIM"));
    h_.Ok(CallNext(1));
  }

  void ExpectRefused(const v1::HallConfig& config, absl::StatusCode code,
                     absl::string_view reason) {
    const std::string before = State(h_.hall());
    const absl::Status status = h_.Try(Configure(config));
    EXPECT_EQ(status.code(), code) << status;
    EXPECT_NE(status.message().find(reason), absl::string_view::npos) << status;
    EXPECT_EQ(State(h_.hall()), before) << "a refused config changed the hall";
  }

  TestHall h_;
};

TEST_F(HallReconfigureTest,
       NewServiceAndWindowJoinWhileTicketsKeepTheirPlaces) {
  v1::HallConfig config = SmallHallConfig();
  v1::ServiceConfig* repair = config.add_services();
  repair->set_code("REPAIR");
  repair->set_name("手机维修");
  repair->set_ticket_prefix("D");
  repair->set_prior_handling_seconds(900);
  v1::WindowConfig* five = config.add_windows();
  five->set_number(5);
  five->set_name("5号窗口");
  five->add_serves()->set_service_code("REPAIR");
  five->add_serves()->set_service_code("BILL");
  config.mutable_windows(1)->set_name("二号窗口");

  const v1::HallEvent& e = h_.Ok(Configure(config)).events().back();
  ASSERT_TRUE(e.has_hall_configured());
  EXPECT_EQ(e.hall_configured().supervisor_id(), "duty manager");
  EXPECT_EQ(e.hall_configured().services(), 3);
  EXPECT_EQ(e.hall_configured().windows(), 5);

  const v1::HallView view = h_.hall().View(h_.now());
  ASSERT_EQ(view.windows_size(), 5);
  EXPECT_EQ(view.windows(0).ticket().number(), "A001") << "window 1 kept it";
  EXPECT_EQ(view.windows(1).name(), "二号窗口");
  EXPECT_EQ(view.windows(4).state(), v1::WINDOW_STATE_CLOSED);
  // The new service numbers from 1; the waiting BILL ticket is next.
  EXPECT_EQ(h_.Ok(Issue("REPAIR")).result().ticket().number(), "D001");
  h_.Ok(OpenWindow(5, "c5"));
  EXPECT_EQ(h_.Ok(CallNext(5)).result().ticket().number(), "D001");
  EXPECT_EQ(h_.Ok(CallNext(2)).result().ticket().number(), "A002");
  EXPECT_EQ(h_.Ok(Issue("BILL")).result().ticket().number(), "A003");
}

TEST_F(HallReconfigureTest, ReorderedServicesAndWindowsKeepTheirState) {
  v1::HallConfig config = SmallHallConfig();
  config.mutable_services()->SwapElements(0, 1);
  config.mutable_windows()->SwapElements(0, 3);
  h_.Ok(Configure(config));
  const v1::HallView view = h_.hall().View(h_.now());
  EXPECT_EQ(view.windows(3).number(), 1);
  EXPECT_EQ(view.windows(3).ticket().number(), "A001");
  EXPECT_EQ(h_.Ok(CallNext(2)).result().ticket().number(), "A002");
  EXPECT_EQ(h_.Ok(Issue("SIM")).result().ticket().number(), "B002");
}

TEST_F(HallReconfigureTest, UnusedServiceAndClosedWindowMayGo) {
  v1::HallConfig start = SmallHallConfig();
  v1::ServiceConfig* extra = start.add_services();
  extra->set_code("EXTRA");
  extra->set_ticket_prefix("X");
  start.mutable_windows(2)->add_serves()->set_service_code("EXTRA");
  TestHall h(start);
  h.Ok(Issue("BILL"));
  v1::HallConfig config = SmallHallConfig();
  config.mutable_windows()->DeleteSubrange(2, 1);  // Window 3, closed.
  config.mutable_standby_clerks(0)->mutable_windows()->Set(0, 4);
  h.Ok(Configure(config));
  EXPECT_EQ(h.hall().View(h.now()).services_size(), 2);
  EXPECT_EQ(h.Try(OpenWindow(3, "c3")).code(), absl::StatusCode::kNotFound);
}

TEST_F(HallReconfigureTest, ARemovedLostWindowTakesItsAlarmAlong) {
  // Window 2 loses its counter (it is closed and its alarm raised); a
  // config without window 2 ends the alarm with an event, so boards and
  // dashboards that follow events do not keep it for ever.
  h_.Ok(WindowLost(2));
  v1::HallConfig config = SmallHallConfig();
  config.mutable_windows()->DeleteSubrange(1, 1);  // Window 2.
  const Hall::Outcome& out = h_.Ok(Configure(config));
  bool cleared = false;
  for (const v1::HallEvent& e : out.events()) {
    cleared |= e.has_alarm() &&
               e.alarm().kind() == v1::HallEvent::Alarm::KIND_WINDOW_LOST &&
               !e.alarm().raised() && e.alarm().window() == 2;
  }
  EXPECT_TRUE(cleared);
  const v1::HallView view = h_.hall().View(h_.now());
  for (const auto& alarm : view.alarms()) {
    EXPECT_NE(alarm.kind(), v1::HallEvent::Alarm::KIND_WINDOW_LOST);
  }
}

TEST_F(HallReconfigureTest, ServiceWithTicketsTodayStays) {
  v1::HallConfig config = SmallHallConfig();
  config.mutable_services()->DeleteSubrange(1, 1);  // SIM has B001.
  for (v1::WindowConfig& w : *config.mutable_windows()) {
    for (int i = w.serves_size() - 1; i >= 0; --i) {
      if (w.serves(i).service_code() == "SIM") {
        w.mutable_serves()->DeleteSubrange(i, 1);
      }
    }
  }
  config.mutable_windows()->DeleteSubrange(3, 1);  // Window 4 served SIM only.
  config.mutable_standby_clerks(0)->mutable_windows()->Set(1, 3);
  ExpectRefused(config, absl::StatusCode::kFailedPrecondition,
                "service SIM has 1 tickets today");
}

TEST_F(HallReconfigureTest, IssuedNumbersAreNotRenamed) {
  v1::HallConfig config = SmallHallConfig();
  config.mutable_services(0)->set_ticket_prefix("Z");
  ExpectRefused(config, absl::StatusCode::kFailedPrecondition,
                "prefix and number width");
}

TEST_F(HallReconfigureTest, OpenWindowStays) {
  v1::HallConfig config = SmallHallConfig();
  config.mutable_windows()->DeleteSubrange(0, 1);
  ExpectRefused(config, absl::StatusCode::kFailedPrecondition,
                "window 1 is not closed");
}

TEST_F(HallReconfigureTest, TimeZoneAndHallIdCannotChange) {
  v1::HallConfig zone = SmallHallConfig();
  zone.set_time_zone("Europe/Berlin");
  ExpectRefused(zone, absl::StatusCode::kFailedPrecondition, "time zone");
  v1::HallConfig other = SmallHallConfig();
  other.set_hall_id("other-hall");
  ExpectRefused(other, absl::StatusCode::kInvalidArgument, "other-hall");
}

TEST_F(HallReconfigureTest, InvalidConfigIsRefusedByTheSameRulesAsAtStart) {
  v1::HallConfig config = SmallHallConfig();
  config.mutable_windows(0)->add_serves()->set_service_code("NOPE");
  ExpectRefused(config, absl::StatusCode::kInvalidArgument, "NOPE");
}

TEST_F(HallReconfigureTest, MinimumFollowsTheConfigOnlyWhenTheConfigChangesIt) {
  h_.Ok(SetMin(1, "duty manager"));
  v1::HallConfig same_min = SmallHallConfig();
  same_min.set_name("新名字");
  h_.Ok(Configure(same_min));
  EXPECT_EQ(h_.hall().min_open_windows(), 1) << "the live minimum stays";
  v1::HallConfig new_min = SmallHallConfig();
  new_min.set_min_open_windows(3);
  const Hall::Outcome& out = h_.Ok(Configure(new_min));
  EXPECT_EQ(h_.hall().min_open_windows(), 3);
  bool alarm = false;
  for (const v1::HallEvent& e : out.events()) {
    alarm |= e.has_alarm() && e.alarm().raised() &&
             e.alarm().kind() == v1::HallEvent::Alarm::KIND_BELOW_MIN_OPEN;
  }
  EXPECT_TRUE(alarm) << "2 open windows are below the new minimum of 3";
}

TEST_F(HallReconfigureTest, ReplayedConfigureGivesTheSameState) {
  v1::HallConfig config = SmallHallConfig();
  config.mutable_services(1)->set_target_wait_seconds(60);
  const v1::HallState before = h_.hall().Snapshot();
  h_.Ok(Configure(config));
  Hall replica = *Hall::Restore(before, LoadZone("Asia/Shanghai"));
  Hall::Outcome out;
  ASSERT_TRUE(replica.Apply(Configure(config), h_.now(), &out).ok());
  EXPECT_EQ(State(replica), State(h_.hall()));
}

}  // namespace
}  // namespace qcall::testing
