// Acknowledging an alarm (Supervisor.AcknowledgeAlarm) against a real
// qcalld: the supervisor's name and the time are in the view; a second
// acknowledgement and an alarm not raised are refused; a retry with the same
// request id gets the first reply; all of it survives kill -9.
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/integration/harness.h"
#include "tests/integration/qcalld_process.h"

namespace qcall::testing {
namespace {

using Alarm = v1::HallEvent::Alarm;
using grpc::StatusCode;
using ::testing::HasSubstr;

Api::Reply Acknowledge(Api& api, Alarm::Kind kind, const std::string& service,
                       const std::string& request_id,
                       const std::string& token = kSupervisorToken) {
  v1::AcknowledgeAlarmRequest r;
  r.set_hall_id(kHall);
  r.set_kind(kind);
  r.set_service_code(service);
  r.set_request_id(request_id);
  return api.Call(&api.supervisor, &v1::Supervisor::Stub::AcknowledgeAlarm,
                  token, r);
}

// The hall's alarm of `kind` for `service`, waited for (ticks raise it).
std::optional<Alarm> AlarmOf(Api& api, Alarm::Kind kind,
                             const std::string& service) {
  for (int i = 0; i < 100; ++i) {
    auto view = api.GetHall();
    if (!view.ok()) return std::nullopt;
    for (const Alarm& a : view->alarms()) {
      if (a.kind() == kind && a.service_code() == service) return a;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return std::nullopt;
}

TEST(QcalldAlarmAckTest, AcknowledgedOnceByName_RetriedAlike_KeptAfterKill9) {
  QcalldProcess server({.config_text = TestConfig()});
  ASSERT_TRUE(server.Start());
  auto api = std::make_unique<Api>(server.NewChannel());
  // Nobody serves BILL: the next tick raises the alarm.
  ASSERT_OK(api->Issue("BILL"));
  ASSERT_TRUE(AlarmOf(*api, Alarm::KIND_NO_WINDOW_SERVES, "BILL").has_value());
  EXPECT_TRUE(AlarmOf(*api, Alarm::KIND_NO_WINDOW_SERVES, "BILL")
                  ->acknowledged_by()
                  .empty());

  // Only a supervisor acknowledges; an alarm not raised is not found.
  EXPECT_CODE(Acknowledge(*api, Alarm::KIND_NO_WINDOW_SERVES, "BILL", "",
                          kCounterToken),
              StatusCode::PERMISSION_DENIED);
  EXPECT_CODE(Acknowledge(*api, Alarm::KIND_NO_WINDOW_SERVES, "SIM", ""),
              StatusCode::NOT_FOUND);
  EXPECT_CODE(Acknowledge(*api, Alarm::KIND_UNSPECIFIED, "BILL", ""),
              StatusCode::INVALID_ARGUMENT);

  auto first =
      Acknowledge(*api, Alarm::KIND_NO_WINDOW_SERVES, "BILL", "dash-1:ack");
  ASSERT_OK(first);
  auto retry =
      Acknowledge(*api, Alarm::KIND_NO_WINDOW_SERVES, "BILL", "dash-1:ack");
  ASSERT_OK(retry);
  EXPECT_TRUE(
      google::protobuf::util::MessageDifferencer::Equals(*first, *retry));
  auto again =
      Acknowledge(*api, Alarm::KIND_NO_WINDOW_SERVES, "BILL", "dash-2:ack");
  ASSERT_CODE(again, StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(again.status.error_message(), HasSubstr(kSupervisorName));

  const std::optional<Alarm> acked =
      AlarmOf(*api, Alarm::KIND_NO_WINDOW_SERVES, "BILL");
  ASSERT_TRUE(acked.has_value());
  EXPECT_TRUE(acked->raised());
  EXPECT_EQ(acked->acknowledged_by(), kSupervisorName);
  EXPECT_GT(acked->acknowledged_at_unix_ms(), 0);

  // kill -9: the acknowledgement was journaled, and the retry is known.
  api.reset();
  server.Kill();
  ASSERT_TRUE(server.Restart());
  api = std::make_unique<Api>(server.NewChannel());
  const std::optional<Alarm> after =
      AlarmOf(*api, Alarm::KIND_NO_WINDOW_SERVES, "BILL");
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->acknowledged_by(), kSupervisorName);
  EXPECT_EQ(after->acknowledged_at_unix_ms(), acked->acknowledged_at_unix_ms());
  auto retry_after =
      Acknowledge(*api, Alarm::KIND_NO_WINDOW_SERVES, "BILL", "dash-1:ack");
  ASSERT_OK(retry_after);
  EXPECT_TRUE(
      google::protobuf::util::MessageDifferencer::Equals(*first, *retry_after));

  // A window that serves BILL opens: the alarm clears, and with it the
  // acknowledgement. Closed again, the alarm comes back new.
  ASSERT_OK(api->Open(3, "clerk-3"));
  ASSERT_OK(api->Close(3));
  const std::optional<Alarm> back =
      AlarmOf(*api, Alarm::KIND_NO_WINDOW_SERVES, "BILL");
  ASSERT_TRUE(back.has_value());
  EXPECT_TRUE(back->acknowledged_by().empty());
}

}  // namespace
}  // namespace qcall::testing
