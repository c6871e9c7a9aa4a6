// qcalld with --tls-cert and --tls-key, certificates made at test time
// (TestCertificates): gRPC and the whole HTTP side (pages, JSON calls, SSE,
// /healthz) answer over TLS to a client that trusts the CA, and nothing
// answers a plaintext client or one that trusts another CA.
#include <chrono>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/integration/harness.h"
#include "tests/integration/http_client.h"
#include "tests/integration/qcalld_process.h"
#include "tests/integration/test_certificates.h"

#ifndef WEB_SOURCE_ROOT
#error "WEB_SOURCE_ROOT must name the source tree's clients/web"
#endif

namespace qcall::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class QcalldTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(certificates_.ok()) << certificates_.error();
    std::vector<std::string> args = {
        "--http",        "127.0.0.1:0",         "--web",
        WEB_SOURCE_ROOT, "--http-head-timeout", "1"};
    for (const std::string& arg : certificates_.QcalldArgs()) {
      args.push_back(arg);
    }
    server_ = std::make_unique<QcalldProcess>(
        QcalldOptions{.config_text = TestConfig(), .extra_args = args});
    ASSERT_TRUE(server_->Start());
    ASSERT_GT(server_->http_port(), 0);
  }

  // A channel of its own to the server, with these credentials.
  std::shared_ptr<grpc::Channel> Channel(
      std::shared_ptr<grpc::ChannelCredentials> credentials,
      const std::string& host = "127.0.0.1") const {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    return grpc::CreateCustomChannel(
        host + ":" + std::to_string(server_->port()), credentials, args);
  }

  HttpTls Trusted() const { return {.ca_path = certificates_.ca_path()}; }

  TestCertificates certificates_;
  std::unique_ptr<QcalldProcess> server_;
};

TEST_F(QcalldTlsTest, GrpcIssuesAndWatchesOverTls) {
  for (const std::string host : {"127.0.0.1", "localhost"}) {
    SCOPED_TRACE(host);
    Api api(Channel(certificates_.ChannelCredentials(), host));
    Watcher board(&api.display, kDisplayToken, WatchFrom(0));
    v1::WatchResponse first;
    ASSERT_TRUE(board.Read(&first)) << Describe(board.Finish());
    EXPECT_TRUE(first.has_snapshot());
    Api::Reply issued = api.Issue("BILL");
    ASSERT_OK(issued);
    v1::HallEvent event;
    ASSERT_TRUE(board.NextEvent(&event));
    EXPECT_EQ(EventTicket(event), issued->ticket().number());
  }
}

TEST_F(QcalldTlsTest, GrpcRefusesPlaintextAndUntrustedClients) {
  Api plain(Channel(grpc::InsecureChannelCredentials()));
  plain.deadline = seconds(3);
  EXPECT_CODE(plain.Issue("BILL"), grpc::StatusCode::UNAVAILABLE);

  Api untrusted(Channel(certificates_.ChannelCredentials(/*other_ca=*/true)));
  untrusted.deadline = seconds(3);
  EXPECT_CODE(untrusted.Issue("BILL"), grpc::StatusCode::UNAVAILABLE);

  // Neither issued a ticket: the first ticket over TLS is the day's first.
  Api api(Channel(certificates_.ChannelCredentials()));
  Api::Reply issued = api.Issue("BILL");
  ASSERT_OK(issued);
  EXPECT_EQ(issued->ticket().number(), "A0001");
}

TEST_F(QcalldTlsTest, PagesJsonAndEventsOverHttps) {
  HttpClient https(server_->http_port(), seconds(5), Trusted());
  HttpReply page = https.Get("/board?hall=it-hall");
  ASSERT_EQ(page.status, 200u) << page.error << page.body;
  EXPECT_NE(page.content_type.find("text/html"), std::string::npos);

  HttpReply health = https.Get("/healthz");
  EXPECT_EQ(health.status, 200u) << health.error << health.body;

  SseStream events(server_->http_port(), "/events?hall=it-hall",
                   {{"Authorization", std::string("Bearer ") + kDisplayToken}},
                   seconds(5), Trusted());
  ASSERT_EQ(events.status(), 200u) << events.error() << events.body();
  SseMessage message;
  ASSERT_TRUE(events.Next(&message)) << events.raw();
  EXPECT_EQ(message.event, "snapshot");

  // Keep-alive: the same TLS connection carries the JSON call.
  HttpReply issued = https.Post(
      "/qcall.v1.Kiosk/IssueTicket",
      R"({"hallId": "it-hall", "serviceCode": "BILL"})", kKioskToken);
  ASSERT_EQ(issued.status, 200u) << issued.error << issued.body;
  EXPECT_NE(issued.body.find(R"("number":"A0001")"), std::string::npos)
      << issued.body;
  ASSERT_TRUE(events.Next(&message)) << events.raw();
  EXPECT_EQ(message.event, "event") << message.data;
  EXPECT_NE(message.data.find("A0001"), std::string::npos) << message.data;
}

TEST_F(QcalldTlsTest, HttpsRefusesPlaintextAndUntrustedClients) {
  HttpClient plain(server_->http_port());
  HttpReply reply = plain.Get("/healthz");
  EXPECT_EQ(reply.status, 0u) << reply.body;
  EXPECT_FALSE(reply.error.empty());

  HttpClient untrusted(server_->http_port(), seconds(5),
                       HttpTls{.ca_path = certificates_.other_ca_path()});
  reply = untrusted.Get("/healthz");
  EXPECT_EQ(reply.status, 0u) << reply.body;
  EXPECT_NE(reply.error.find("TLS handshake"), std::string::npos)
      << reply.error;

  // A certificate for localhost and 127.0.0.1 only: another name is refused.
  HttpClient wrong_name(
      server_->http_port(), seconds(5),
      HttpTls{.ca_path = certificates_.ca_path(), .host = "qcall.example"});
  reply = wrong_name.Get("/healthz");
  EXPECT_EQ(reply.status, 0u) << reply.body;
  EXPECT_NE(reply.error.find("TLS handshake"), std::string::npos)
      << reply.error;

  // Refusals cost nothing lasting: a trusted client still gets through.
  HttpClient https(server_->http_port(), seconds(5), Trusted());
  EXPECT_EQ(https.Get("/healthz").status, 200u);
}

// A connection that never starts its handshake holds nothing: it is closed
// at the head's deadline (1 s here), like a plaintext one that sends no head.
TEST_F(QcalldTlsTest, SilentConnectionIsClosedAtTheHeadDeadline) {
  HttpClient silent(server_->http_port());
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(silent.ClosedByServer(seconds(5)));
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(800));
}

// Every client that does not speak TLS makes gRPC log a failed handshake;
// a flood of them writes a line of each kind a minute, not one each.
TEST_F(QcalldTlsTest, FailedHandshakesDoNotFloodTheLog) {
  constexpr int kAttempts = 30;
  for (int i = 0; i < kAttempts; ++i) {
    HttpClient plain(server_->port(), seconds(2));
    EXPECT_EQ(plain.Get("/").status, 0u);
  }
  // The server logs as it notices; a trusted call afterwards has been served
  // after every one of them.
  Api api(Channel(certificates_.ChannelCredentials()));
  ASSERT_OK(api.ListServices());
  const std::string log = server_->Log();
  int lines = 0;
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    lines += absl::StrContains(line, "andshake");
  }
  EXPECT_GE(lines, 1) << log;  // gRPC does say it.
  EXPECT_LE(lines, 3) << log;
}

// A certificate with another's key, or without a key, stops start-up with
// a message before anything listens.
TEST(QcalldTlsStartTest, KeyThatIsNotTheCertificatesStopsStartUp) {
  TestCertificates certificates;
  ASSERT_TRUE(certificates.ok()) << certificates.error();
  const std::string other_key =
      certificates.other_ca_path().substr(
          0, certificates.other_ca_path().size() - 4) +
      ".key";
  QcalldProcess mismatched(
      {.config_text = TestConfig(),
       .extra_args = {"--http", "127.0.0.1:0", "--tls-cert",
                      certificates.cert_path(), "--tls-key", other_key}});
  EXPECT_FALSE(mismatched.Start());
  EXPECT_TRUE(absl::StrContains(mismatched.Log(),
                                "TLS key " + other_key + " is not the key of "))
      << mismatched.Log();
  EXPECT_FALSE(absl::StrContains(mismatched.Log(), "listening"));

  QcalldProcess no_key(
      {.config_text = TestConfig(),
       .extra_args = {"--tls-cert", certificates.cert_path()}});
  EXPECT_FALSE(no_key.Start());
  EXPECT_TRUE(absl::StrContains(no_key.Log(),
                                "TLS needs both --tls-cert and --tls-key"))
      << no_key.Log();
}

}  // namespace
}  // namespace qcall::testing
