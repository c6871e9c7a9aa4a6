// Supervisor.ConfigureHall: a hall added or changed while qcalld runs is
// journaled like any command, so it survives kill -9; the --config file's
// entry for a hall is applied when it changed since the last start.
#include <fstream>
#include <string>

#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "qcall/v1/server_config.pb.h"
#include "tests/integration/harness.h"
#include "tests/integration/qcalld_process.h"

namespace qcall::testing {
namespace {

v1::HallConfig NewHallConfig() {
  v1::HallConfig config;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(
      R"pb(hall_id: "new-hall"
           name: "新开营业厅"
           time_zone: "Asia/Shanghai"
           services { code: "BILL" name: "缴费" ticket_prefix: "A" }
           windows {
             number: 1
             name: "1号窗口"
             serves { service_code: "BILL" }
           }
           hours { weekday: 1 open_minute: 0 close_minute: 1440 })pb",
      &config));
  return config;
}

// "it-hall" as the test config file declares it.
v1::HallConfig TestHall() {
  v1::ServerConfig file;
  EXPECT_TRUE(
      google::protobuf::TextFormat::ParseFromString(TestConfig(), &file));
  return file.halls(0);
}

Result<v1::ConfigureHallResponse> Configure(
    Api& api, const v1::HallConfig& config, const std::string& request_id,
    const std::string& token = kSupervisorToken) {
  v1::ConfigureHallRequest request;
  *request.mutable_config() = config;
  request.set_request_id(request_id);
  return api.Call(&api.supervisor, &v1::Supervisor::Stub::ConfigureHall, token,
                  request);
}

Result<v1::CommandReply> IssueIn(Api& api, const std::string& hall_id) {
  v1::IssueTicketRequest request;
  request.set_hall_id(hall_id);
  request.set_service_code("BILL");
  return api.Call(&api.kiosk, &v1::Kiosk::Stub::IssueTicket, kSupervisorToken,
                  request);
}

TEST(QcalldConfigureHallTest, AddedHallServesAndSurvivesKill) {
  QcalldProcess server({.config_text = TestConfig()});
  ASSERT_TRUE(server.Start());
  {
    Api api(server.NewChannel());
    auto created = Configure(api, NewHallConfig(), "create-1");
    ASSERT_OK(created);
    EXPECT_TRUE(created->created());
    auto retried = Configure(api, NewHallConfig(), "create-1");
    ASSERT_OK(retried);
    EXPECT_FALSE(retried->created()) << "the hall exists by now";
    auto ticket = IssueIn(api, "new-hall");
    ASSERT_OK(ticket);
    EXPECT_EQ(ticket->ticket().number(), "A001");
  }
  ASSERT_TRUE(server.Restart());  // kill -9 first.
  Api api(server.NewChannel());
  auto halls = api.ListHalls();
  ASSERT_OK(halls);
  ASSERT_EQ(halls->halls_size(), 3);
  auto view = api.GetHall(kSupervisorToken, "new-hall");
  ASSERT_OK(view);
  EXPECT_EQ(view->name(), "新开营业厅");
  EXPECT_EQ(view->services(0).waiting(), 1);
  auto next = IssueIn(api, "new-hall");
  ASSERT_OK(next);
  EXPECT_EQ(next->ticket().number(), "A002");
}

TEST(QcalldConfigureHallTest, RunningHallTakesANewWindowAndKeepsItsQueue) {
  QcalldProcess server({.config_text = TestConfig()});
  ASSERT_TRUE(server.Start());
  Api api(server.NewChannel());
  ASSERT_OK(api.Issue("BILL"));
  auto view = api.GetHall();
  ASSERT_OK(view);
  const uint64_t seq = view->last_seq();
  v1::HallConfig config = TestHall();
  v1::WindowConfig* seven = config.add_windows();
  seven->set_number(7);
  seven->set_name("7号窗口");
  seven->add_serves()->set_service_code("BILL");
  auto changed = Configure(api, config, "add-7");
  ASSERT_OK(changed);
  EXPECT_FALSE(changed->created());
  ASSERT_OK(Configure(api, config, "add-7"));  // A retry applies nothing.
  view = api.GetHall();
  ASSERT_OK(view);
  EXPECT_EQ(view->last_seq(), seq + 1) << "one HallConfigured event";
  EXPECT_EQ(view->windows_size(), 7);
  EXPECT_EQ(view->services(0).waiting(), 1);
  ASSERT_OK(api.Open(7, "clerk-7", "", kSupervisorToken));
  auto called = api.CallNext(7, "", kSupervisorToken);
  ASSERT_OK(called);
  EXPECT_EQ(called->ticket().number(), "A0001");
}

TEST(QcalldConfigureHallTest, RefusalsChangeNothing) {
  QcalldProcess server({.config_text = TestConfig()});
  ASSERT_TRUE(server.Start());
  Api api(server.NewChannel());
  ASSERT_OK(api.Issue("SIM"));
  EXPECT_CODE(Configure(api, NewHallConfig(), "c1", kCounterToken),
              grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_CODE(Configure(api, NewHallConfig(), "c2", kOtherSupervisorToken),
              grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_CODE(Configure(api, v1::HallConfig(), "c3"),
              grpc::StatusCode::INVALID_ARGUMENT);
  v1::HallConfig broken = NewHallConfig();
  broken.mutable_windows(0)->add_serves()->set_service_code("NOPE");
  EXPECT_CODE(Configure(api, broken, "c4"), grpc::StatusCode::INVALID_ARGUMENT);
  // A time zone is a name from the zone database, never a file to open (a
  // FIFO there once hung every call of every hall).
  for (const char* path : {"/usr/share/zoneinfo/Asia/Shanghai",
                           "../../../../usr/share/zoneinfo/UTC"}) {
    v1::HallConfig by_path = NewHallConfig();
    by_path.set_time_zone(path);
    auto refused = Configure(api, by_path, std::string("tz-") + path);
    EXPECT_CODE(refused, grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(refused.status.error_message().find("IANA"), std::string::npos);
  }
  v1::HallConfig unknown_zone = NewHallConfig();
  unknown_zone.set_time_zone("Mars/Olympus_Mons");
  EXPECT_CODE(Configure(api, unknown_zone, "c4b"),
              grpc::StatusCode::INVALID_ARGUMENT);
  v1::HallConfig no_sim = TestHall();
  no_sim.mutable_services()->DeleteSubrange(1, 1);
  for (v1::WindowConfig& w : *no_sim.mutable_windows()) {
    for (int i = w.serves_size() - 1; i >= 0; --i) {
      if (w.serves(i).service_code() == "SIM") {
        w.mutable_serves()->DeleteSubrange(i, 1);
      }
    }
  }
  const auto before = api.GetHall();
  ASSERT_OK(before);
  auto refused = Configure(api, no_sim, "c5");
  EXPECT_CODE(refused, grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(refused.status.error_message().find("SIM"), std::string::npos);
  const auto after = api.GetHall();
  ASSERT_OK(after);
  EXPECT_EQ(after->last_seq(), before->last_seq());
  auto halls = api.ListHalls();
  ASSERT_OK(halls);
  EXPECT_EQ(halls->halls_size(), 2) << "no refused hall was added";
}

TEST(QcalldConfigureHallTest, ChangedConfigFileIsAppliedAtStart) {
  // A snapshot after every command holds the old configuration, so only
  // applying the file can rename the hall.
  QcalldProcess server({.config_text = TestConfig(), .snapshot_every = 1});
  ASSERT_TRUE(server.Start());
  {
    Api api(server.NewChannel());
    ASSERT_OK(api.Issue("BILL"));
  }
  std::string text = TestConfig();
  const std::string old_name = "name: \"Integration Hall\"";
  text.replace(text.find(old_name), old_name.size(), "name: \"Renamed Hall\"");
  ASSERT_TRUE(server.Stop());
  std::ofstream(server.dir() + "/config.textproto") << text;
  ASSERT_TRUE(server.Start());
  Api api(server.NewChannel());
  auto view = api.GetHall();
  ASSERT_OK(view);
  EXPECT_EQ(view->name(), "Renamed Hall");
  EXPECT_EQ(view->services(0).waiting(), 1) << "the queue survives";
}

}  // namespace
}  // namespace qcall::testing
