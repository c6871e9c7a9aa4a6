// The PostgreSQL server qcalld writes to goes away and comes back (a primary
// killed with no standby promoted, then started again), qcalld running all
// along: the write that meets the lost connection and every write after it
// are refused with UNAVAILABLE saying the store cannot be reached; reads
// show only what is durable; /healthz answers 503; once the server is back
// writes resume without a restart, the refused requests retried with their
// request ids get the next numbers, and nothing acknowledged is lost.
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/postgres_server.h"
#include "tests/integration/harness.h"
#include "tests/integration/http_client.h"
#include "tests/integration/qcalld_process.h"

namespace qcall::testing {
namespace {

using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

std::string Number(int n) {
  char name[16];
  std::snprintf(name, sizeof(name), "A%04d", n);
  return name;
}

TEST(StoreOutageTest, WritesAreRefusedWhileThePrimaryIsDownAndResumeWhenBack) {
  absl::StatusOr<std::unique_ptr<PostgresServer>> pg = PostgresServer::Start();
  if (absl::IsNotFound(pg.status())) GTEST_SKIP() << pg.status().message();
  ASSERT_TRUE(pg.ok()) << pg.status();
  absl::StatusOr<std::string> url = (*pg)->NewDatabase();
  ASSERT_TRUE(url.ok()) << url.status();
  QcalldProcess server(
      {.config_text = TestConfig(),
       .extra_args = {"--store", *url, "--http", "127.0.0.1:0"},
       .private_key = false});
  ASSERT_TRUE(server.Start());
  Api api(server.NewChannel());
  ASSERT_OK(api.Open(1, "clerk-1"));
  constexpr int kAcknowledged = 5;
  for (int n = 1; n <= kAcknowledged; ++n) {
    auto issued =
        api.Issue("BILL", v1::CATEGORY_NORMAL, "kiosk:" + std::to_string(n));
    ASSERT_OK(issued);
    ASSERT_EQ(issued->ticket().number(), Number(n));
  }
  HttpClient http(server.http_port());
  EXPECT_EQ(http.Get("/healthz").status, 200u);

  (*pg)->Kill();
  // The first write meets the lost connection; it was never written, but
  // qcalld cannot know that: the client is told to retry.
  auto refused = api.Issue("BILL", v1::CATEGORY_NORMAL, "refused:1");
  ASSERT_EQ(refused.status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << Describe(refused.status);
  EXPECT_THAT(refused.status.error_message(), HasSubstr("cannot be reached"));
  EXPECT_THAT(refused.status.error_message(), HasSubstr("same request id"));
  std::printf("refused: %s\n", refused.status.error_message().c_str());
  auto later = api.Issue("BILL", v1::CATEGORY_NORMAL, "refused:2");
  EXPECT_EQ(later.status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << Describe(later.status);
  EXPECT_CODE(api.CallNext(1, "call:1"), grpc::StatusCode::UNAVAILABLE);
  // Reads: never the ticket whose write failed. The hall holds it in
  // memory, and whether the store does is unknown until it is back: its
  // reads are refused rather than guessed.
  auto ticket = api.GetTicket(Number(kAcknowledged + 1));
  EXPECT_FALSE(ticket.ok());
  EXPECT_CODE(api.GetHall(), grpc::StatusCode::UNAVAILABLE);
  HttpReply health = http.Get("/healthz");
  EXPECT_EQ(health.status, 503u) << health.body;
  EXPECT_THAT(health.body, HasSubstr("cannot be reached"));
  // Still so a moment later: qcalld keeps trying, in vain.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_CODE(api.Issue("BILL", v1::CATEGORY_NORMAL, "refused:2"),
              grpc::StatusCode::UNAVAILABLE);

  ASSERT_TRUE((*pg)->Restart().ok());
  const auto back = Clock::now();
  // Writes resume: the first refused request, retried, gets the next number.
  while (true) {
    auto retried = api.Issue("BILL", v1::CATEGORY_NORMAL, "refused:1");
    if (retried.ok()) {
      EXPECT_EQ(retried->ticket().number(), Number(kAcknowledged + 1));
      break;
    }
    ASSERT_EQ(retried.status.error_code(), grpc::StatusCode::UNAVAILABLE)
        << Describe(retried.status);
    ASSERT_LT(Clock::now() - back, std::chrono::seconds(20))
        << "writes did not resume: " << Describe(retried.status);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::printf("writes resumed %.2f s after the server was back\n",
              std::chrono::duration<double>(Clock::now() - back).count());
  auto second = api.Issue("BILL", v1::CATEGORY_NORMAL, "refused:2");
  ASSERT_OK(second);
  EXPECT_EQ(second->ticket().number(), Number(kAcknowledged + 2));
  // The first reply again, not a third ticket.
  auto again = api.Issue("BILL", v1::CATEGORY_NORMAL, "refused:1");
  ASSERT_OK(again);
  EXPECT_EQ(again->ticket().number(), Number(kAcknowledged + 1));
  auto called = api.CallNext(1, "call:1");
  ASSERT_OK(called);
  EXPECT_EQ(called->ticket().number(), Number(1));
  auto hall = api.GetHall();
  ASSERT_OK(hall);
  EXPECT_EQ(FindService(*hall, "BILL")->issued_today(), kAcknowledged + 2);
  for (int n = 1; n <= kAcknowledged + 2; ++n)
    EXPECT_OK(api.GetTicket(Number(n)));
  EXPECT_CODE(api.GetTicket(Number(kAcknowledged + 3)),
              grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(http.Get("/healthz").status, 200u);
  EXPECT_EQ(server.starts(), 1) << "no restart of qcalld";
  // The hall was taken again at a new epoch when the store came back.
  absl::StatusOr<std::string> epoch =
      PostgresServer::Query(*url, "SELECT epoch FROM hall_owner");
  ASSERT_TRUE(epoch.ok()) << epoch.status();
  EXPECT_EQ(*epoch, "2");
  // And a restart replays the very same hall from the store.
  ASSERT_TRUE(server.Restart());
  Api after(server.NewChannel());
  auto replayed = after.GetHall();
  ASSERT_OK(replayed);
  EXPECT_TRUE(SameView(*hall, *replayed));
}

}  // namespace
}  // namespace qcall::testing
