// Retries by request_id against a real qcalld: a retry returns the first
// result and acts no second time, a reused id with a different request is
// refused, and both hold after kill -9 and a restart.
#include <string>

#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/integration/harness.h"
#include "tests/integration/qcalld_process.h"

namespace qcall::testing {
namespace {

using google::protobuf::util::MessageDifferencer;
using grpc::StatusCode;

::testing::AssertionResult SameReply(const v1::CommandReply& a,
                                     const v1::CommandReply& b) {
  if (MessageDifferencer::Equals(a, b)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "replies differ:\n  " << a.ShortDebugString() << "\n  "
         << b.ShortDebugString();
}

TEST(QcalldRetriesTest, SameRequestIdReturnsTheFirstResultAlsoAfterKill9) {
  QcalldProcess server({.config_text = TestConfig()});
  ASSERT_TRUE(server.Start());
  auto api = std::make_unique<Api>(server.NewChannel());

  auto first = api->Issue("BILL", v1::CATEGORY_NORMAL, "kiosk-7:0001");
  ASSERT_OK(first);
  EXPECT_EQ(first->ticket().number(), "A0001");
  auto retry = api->Issue("BILL", v1::CATEGORY_NORMAL, "kiosk-7:0001");
  ASSERT_OK(retry);
  EXPECT_TRUE(SameReply(*first, *retry));
  auto next = api->Issue("BILL", v1::CATEGORY_NORMAL, "kiosk-7:0002");
  ASSERT_OK(next);
  EXPECT_EQ(next->ticket().number(), "A0002")
      << "the retry must not have consumed a number";
  {
    auto hall = api->GetHall();
    ASSERT_OK(hall);
    EXPECT_EQ(FindService(*hall, "BILL")->issued_today(), 2);
    EXPECT_EQ(FindService(*hall, "BILL")->waiting(), 2);
  }

  // The same id for anything else is refused and changes nothing.
  auto before = api->GetHall();
  ASSERT_OK(before);
  EXPECT_CODE(api->Issue("SIM", v1::CATEGORY_NORMAL, "kiosk-7:0001"),
              StatusCode::INVALID_ARGUMENT);
  EXPECT_CODE(api->Issue("BILL", v1::CATEGORY_VIP, "kiosk-7:0001"),
              StatusCode::INVALID_ARGUMENT);
  // The phone is no part of the command (it is kept apart, and a journal
  // holds none to compare after a restart): a retry that adds one gets the
  // first ticket.
  EXPECT_OK(
      api->Issue("BILL", v1::CATEGORY_NORMAL, "kiosk-7:0001", "13900000000"));
  EXPECT_CODE(api->Cancel("A0001", "kiosk-7:0001"),
              StatusCode::INVALID_ARGUMENT);
  auto after = api->GetHall();
  ASSERT_OK(after);
  EXPECT_TRUE(SameView(*before, *after));

  // Counter commands: a retried open is not "already open", a retried call
  // does not call the next customer.
  auto open = api->Open(1, "clerk-1", "window-1:open");
  ASSERT_OK(open);
  auto open_again = api->Open(1, "clerk-1", "window-1:open");
  ASSERT_OK(open_again);
  EXPECT_TRUE(SameReply(*open, *open_again));
  auto call = api->CallNext(1, "window-1:call-1");
  ASSERT_OK(call);
  EXPECT_EQ(call->ticket().number(), "A0001");
  auto call_again = api->CallNext(1, "window-1:call-1");
  ASSERT_OK(call_again);
  EXPECT_TRUE(SameReply(*call, *call_again));
  {
    auto hall = api->GetHall();
    ASSERT_OK(hall);
    EXPECT_EQ(FindService(*hall, "BILL")->waiting(), 1) << "A0002 waits";
    EXPECT_EQ(FindWindow(*hall, 1)->ticket().number(), "A0001");
  }

  // kill -9: the restarted server has the same hall and the same memory of
  // request ids.
  auto view_before_kill = api->GetHall();
  ASSERT_OK(view_before_kill);
  api.reset();
  ASSERT_TRUE(server.Restart());
  api = std::make_unique<Api>(server.NewChannel());
  auto view_after_restart = api->GetHall();
  ASSERT_OK(view_after_restart);
  EXPECT_TRUE(SameView(*view_before_kill, *view_after_restart));

  auto retry_after_crash =
      api->Issue("BILL", v1::CATEGORY_NORMAL, "kiosk-7:0001");
  ASSERT_OK(retry_after_crash);
  EXPECT_TRUE(SameReply(*first, *retry_after_crash));
  auto call_after_crash = api->CallNext(1, "window-1:call-1");
  ASSERT_OK(call_after_crash);
  EXPECT_TRUE(SameReply(*call, *call_after_crash));
  EXPECT_CODE(api->Issue("SIM", v1::CATEGORY_NORMAL, "kiosk-7:0001"),
              StatusCode::INVALID_ARGUMENT);
  auto third = api->Issue("BILL", v1::CATEGORY_NORMAL, "kiosk-7:0003");
  ASSERT_OK(third);
  EXPECT_EQ(third->ticket().number(), "A0003");
  auto hall = api->GetHall();
  ASSERT_OK(hall);
  EXPECT_EQ(FindService(*hall, "BILL")->issued_today(), 3);
}

// The journal is snapshotted every few commands; a retry of a command that
// lies before the latest snapshot must still be recognised after a restart.
//
// (Recovery used to forget every request id before the latest snapshot, so
// such a retry printed a second ticket. The journal now keeps each reply with
// its request id, and recovery remembers those the snapshot covers.)
TEST(QcalldRetriesTest, RequestIdsSurviveASnapshotAndKill9) {
  QcalldProcess server({.config_text = TestConfig(), .snapshot_every = 3});
  ASSERT_TRUE(server.Start());
  auto api = std::make_unique<Api>(server.NewChannel());
  auto first = api->Issue("BILL", v1::CATEGORY_NORMAL, "kiosk-1:0001");
  ASSERT_OK(first);
  EXPECT_EQ(first->ticket().number(), "A0001");
  for (int i = 2; i <= 8; ++i) {
    ASSERT_OK(api->Issue("BILL", v1::CATEGORY_NORMAL,
                         "kiosk-1:000" + std::to_string(i)));
  }
  api.reset();
  ASSERT_TRUE(server.Restart());
  api = std::make_unique<Api>(server.NewChannel());
  auto retry = api->Issue("BILL", v1::CATEGORY_NORMAL, "kiosk-1:0001");
  ASSERT_OK(retry);
  EXPECT_TRUE(SameReply(*first, *retry));
  auto hall = api->GetHall();
  ASSERT_OK(hall);
  EXPECT_EQ(FindService(*hall, "BILL")->issued_today(), 8)
      << "the retry issued a second ticket";
}

}  // namespace
}  // namespace qcall::testing
