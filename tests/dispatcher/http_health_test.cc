// GET /healthz names what failed: "ok" while the journal writes, 503 with a
// body starting "journal: " and the journal's error once it does not, so a
// probe cannot take a failed journal for a full HTTP side (whose 503 says it
// serves at most so many connections) or the other way round.
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "dispatcher/http_gateway.h"
#include "gtest/gtest.h"

namespace qcall {
namespace {

// An exchange that keeps the answer.
class RecordedExchange final : public HttpExchange {
 public:
  explicit RecordedExchange(const std::string& target) {
    request_.method(boost::beast::http::verb::get);
    request_.target(target);
    request_.version(11);
  }
  const HttpRequest& request() const override { return request_; }
  void Respond(unsigned answer_status, absl::string_view answer_type,
               std::string answer_body, HttpHeaders) override {
    status = answer_status;
    content_type = std::string(answer_type);
    body = std::move(answer_body);
  }
  void StartStream(absl::string_view, std::string) override {}
  bool Send(std::string) override { return false; }
  void EndStream() override {}
  void OnStreamClosed(std::function<void()>) override {}

  unsigned status = 0;
  std::string content_type;
  std::string body;

 private:
  HttpRequest request_;
};

// A gateway whose health is `*health`; /healthz needs nothing else (the
// channel goes nowhere and is never used).
class HealthTest : public ::testing::Test {
 protected:
  HttpGateway gateway_{
      grpc::CreateChannel("127.0.0.1:1", grpc::InsecureChannelCredentials()),
      nullptr,
      nullptr,
      {},
      [this] { return health_; },
      [] { return std::string(); }};
  absl::Status health_;
};

TEST_F(HealthTest, OkWhileTheJournalWrites) {
  auto exchange = std::make_shared<RecordedExchange>("/healthz");
  gateway_.Handle(exchange);
  EXPECT_EQ(exchange->status, 200u);
  EXPECT_EQ(exchange->body, "ok\n");
}

TEST_F(HealthTest, AJournalFailureNamesTheJournalAndItsError) {
  health_ = absl::InternalError("disk full");
  auto exchange = std::make_shared<RecordedExchange>("/healthz");
  gateway_.Handle(exchange);
  EXPECT_EQ(exchange->status, 503u);
  EXPECT_EQ(exchange->content_type, "text/plain");
  EXPECT_EQ(exchange->body, "journal: disk full\n");
}

}  // namespace
}  // namespace qcall
