// qcalld's HTTP side against a real qcalld (docs/http-api.md): gRPC methods
// as JSON with the gRPC refusals as HTTP statuses, keep-alive and the body
// limit, Server-Sent Events with Last-Event-ID resumption, the public ticket
// status, QR codes, speech, the static pages, Supervisor.GetLoadHistory,
// SIGTERM with a stream open, a flood of idle connections and a late head.
#include <arpa/inet.h>
#include <google/protobuf/util/json_util.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "qcall/v1/http.pb.h"
#include "tests/integration/harness.h"
#include "tests/integration/http_client.h"
#include "tests/integration/qcalld_process.h"

#ifndef WEB_SOURCE_ROOT
#error "WEB_SOURCE_ROOT must name the source tree's clients/web"
#endif

namespace qcall::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

QcalldOptions WithHttp(int min_open_windows = 0,
                       const std::string& web_root = WEB_SOURCE_ROOT) {
  return {.config_text = TestConfig(min_open_windows),
          .extra_args = {"--http", "127.0.0.1:0", "--web", web_root}};
}

HttpFields Bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

template <typename Message>
::testing::AssertionResult ParseJson(const std::string& json,
                                     Message* message) {
  const auto parsed =
      google::protobuf::util::JsonStringToMessage(json, message);
  if (!parsed.ok()) {
    return ::testing::AssertionFailure() << "not a " << message->GetTypeName()
                                         << ": " << parsed.ToString() << "\n"
                                         << json;
  }
  return ::testing::AssertionSuccess();
}

// A JSON error answer: the HTTP status, {"code": <code>, "message": ...}
// with a message saying what is wrong. `message` receives it.
::testing::AssertionResult IsError(const HttpReply& reply, unsigned status,
                                   const std::string& code,
                                   std::string* message = nullptr) {
  if (reply.status != status) {
    return ::testing::AssertionFailure()
           << "HTTP " << reply.status << " (want " << status << ") "
           << reply.error << reply.body;
  }
  if (reply.content_type != "application/json") {
    return ::testing::AssertionFailure()
           << "content type " << reply.content_type << ": " << reply.body;
  }
  // Read as the gateway's own HttpError, not a google.protobuf.Struct: a
  // map field's layout differs between a TSan build and Debian's
  // libprotobuf (docs/RELIABILITY.md). A field it lacks fails the parse.
  v1::HttpError body;
  if (auto parsed = ParseJson(reply.body, &body); !parsed) return parsed;
  if (body.code() != code) {
    return ::testing::AssertionFailure()
           << "want code " << code << ": " << reply.body;
  }
  if (body.message().empty()) {
    return ::testing::AssertionFailure() << "no message: " << reply.body;
  }
  if (message != nullptr) *message = body.message();
  return ::testing::AssertionSuccess() << reply.body;
}

::testing::AssertionResult IsOkJson(const HttpReply& reply) {
  if (reply.status != 200) {
    return ::testing::AssertionFailure()
           << "HTTP " << reply.status << " " << reply.error << reply.body;
  }
  if (reply.content_type != "application/json") {
    return ::testing::AssertionFailure()
           << "content type " << reply.content_type;
  }
  return ::testing::AssertionSuccess();
}

// A stream message that is a WatchResponse with `id` and `event` as the
// protocol says: a snapshot's id is its last_seq, an event's its seq.
::testing::AssertionResult IsWatchMessage(const SseMessage& message,
                                          v1::WatchResponse* response) {
  if (auto parsed = ParseJson(message.data, response); !parsed) return parsed;
  const bool snapshot = response->has_snapshot();
  if (message.event != (snapshot ? "snapshot" : "event")) {
    return ::testing::AssertionFailure()
           << "event: " << message.event << " for " << message.data;
  }
  const uint64_t seq =
      snapshot ? response->snapshot().last_seq() : response->event().seq();
  if (message.id != std::to_string(seq)) {
    return ::testing::AssertionFailure()
           << "id: " << message.id << " for seq " << seq;
  }
  return ::testing::AssertionSuccess();
}

// The next message, which must be an event.
::testing::AssertionResult NextEvent(SseStream& stream, v1::HallEvent* event) {
  SseMessage message;
  if (!stream.Next(&message)) {
    return ::testing::AssertionFailure()
           << (stream.ended() ? "the stream ended" : "no message in time")
           << "; it carried:\n"
           << stream.raw();
  }
  v1::WatchResponse response;
  if (auto ok = IsWatchMessage(message, &response); !ok) return ok;
  if (!response.has_event()) {
    return ::testing::AssertionFailure() << "not an event: " << message.data;
  }
  *event = response.event();
  return ::testing::AssertionSuccess();
}

std::string IssueJson(const std::string& service,
                      const std::string& request_id = "") {
  std::string json =
      R"({"hallId": "it-hall", "serviceCode": ")" + service + R"(")";
  if (!request_id.empty()) json += R"(, "requestId": ")" + request_id + R"(")";
  return json + "}";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// ---------------------------------------------------------------------------
// Unary calls

TEST(QcalldHttpGatewayTest, IssueTicketAsJsonAndItsRetry) {
  QcalldProcess server(WithHttp());
  ASSERT_TRUE(server.Start());
  ASSERT_GT(server.http_port(), 0);
  Api api(server.NewChannel());
  HttpClient http(server.http_port());

  HttpReply first = http.Post("/qcall.v1.Kiosk/IssueTicket",
                              IssueJson("BILL", "k1-000017"), kKioskToken);
  ASSERT_TRUE(IsOkJson(first)) << first.body;
  v1::CommandReply reply;
  ASSERT_TRUE(ParseJson(first.body, &reply));
  EXPECT_EQ(reply.ticket().number(), "A0001");
  EXPECT_EQ(reply.ticket().service_code(), "BILL");
  EXPECT_EQ(reply.ticket().state(), v1::TICKET_STATE_WAITING);
  EXPECT_GT(reply.ticket().issued_at_unix_ms(), 0);
  EXPECT_GT(reply.seq(), 0u);
  // The proto3 JSON mapping: 64-bit integers as strings, enums by name,
  // default values printed.
  EXPECT_NE(first.body.find(R"("issuedAtUnixMs":")"), std::string::npos)
      << first.body;
  EXPECT_NE(
      first.body.find(R"("estimatedWaitSeconds":")" +
                      std::to_string(reply.estimated_wait_seconds()) + R"(")"),
      std::string::npos)
      << first.body;
  EXPECT_NE(first.body.find(R"("appointmentUnixSeconds":"0")"),
            std::string::npos)
      << first.body;
  EXPECT_NE(
      first.body.find(R"("seq":")" + std::to_string(reply.seq()) + R"(")"),
      std::string::npos)
      << first.body;
  EXPECT_NE(first.body.find(R"("state":"TICKET_STATE_WAITING")"),
            std::string::npos)
      << first.body;
  EXPECT_NE(first.body.find(R"("peopleAhead":0)"), std::string::npos)
      << first.body;

  // The kiosk did not get the answer and asks again: the same ticket.
  HttpReply again = http.Post("/qcall.v1.Kiosk/IssueTicket",
                              IssueJson("BILL", "k1-000017"), kKioskToken);
  ASSERT_TRUE(IsOkJson(again)) << again.body;
  v1::CommandReply same;
  ASSERT_TRUE(ParseJson(again.body, &same));
  EXPECT_EQ(same.ticket().number(), "A0001");
  EXPECT_EQ(same.seq(), reply.seq());
  auto hall = api.GetHall();
  ASSERT_OK(hall);
  EXPECT_EQ(FindService(*hall, "BILL")->waiting(), 1) << "no second ticket";
  EXPECT_EQ(hall->last_seq(), reply.seq());

  // Another request id is another ticket; so is one without.
  HttpReply next = http.Post("/qcall.v1.Kiosk/IssueTicket",
                             IssueJson("BILL", "k1-000018"), kKioskToken);
  ASSERT_TRUE(ParseJson(next.body, &reply));
  EXPECT_EQ(reply.ticket().number(), "A0002");
  EXPECT_EQ(reply.people_ahead(), 1);
  EXPECT_NE(next.body.find(R"("estimatedWaitSeconds":")"), std::string::npos);
  HttpReply sim =
      http.Post("/qcall.v1.Kiosk/IssueTicket", IssueJson("SIM"), kKioskToken);
  ASSERT_TRUE(ParseJson(sim.body, &reply));
  EXPECT_EQ(reply.ticket().number(), "B0001");

  // Enum values are accepted by name in requests, and replies of other
  // services come the same way.
  HttpReply opened = http.Post(
      "/qcall.v1.Counter/OpenWindow",
      R"({"hallId": "it-hall", "window": 1, "clerkId": "c1"})", kCounterToken);
  ASSERT_TRUE(IsOkJson(opened)) << opened.body;
  HttpReply urgent = http.Post("/qcall.v1.Kiosk/IssueTicket",
                               R"({"hallId": "it-hall", "serviceCode": "BILL",)"
                               R"( "category": "CATEGORY_URGENT"})",
                               kKioskToken);
  ASSERT_TRUE(ParseJson(urgent.body, &reply)) << urgent.body;
  EXPECT_EQ(reply.ticket().category(), v1::CATEGORY_URGENT);
  HttpReply services = http.Post("/qcall.v1.Kiosk/ListServices",
                                 R"({"hallId": "it-hall"})", kKioskToken);
  v1::ListServicesResponse list;
  ASSERT_TRUE(ParseJson(services.body, &list)) << services.body;
  EXPECT_EQ(list.hall_name(), "Integration Hall");
  EXPECT_EQ(list.language(), v1::LANGUAGE_ZH);
  EXPECT_EQ(list.services_size(), 3);
}

TEST(QcalldHttpGatewayTest, RefusalsCarryTheGrpcCodeAndMessage) {
  QcalldProcess server(WithHttp(/*min_open_windows=*/1));
  ASSERT_TRUE(server.Start());
  Api api(server.NewChannel());
  HttpClient http(server.http_port());
  const std::string issue = "/qcall.v1.Kiosk/IssueTicket";

  EXPECT_TRUE(
      IsError(http.Post(issue, IssueJson("BILL")), 401, "unauthenticated"));
  EXPECT_TRUE(IsError(http.Post(issue, IssueJson("BILL"), "no-such-token"), 401,
                      "unauthenticated"));
  // Bytes gRPC metadata cannot carry (a tab, UTF-8) are refused at the
  // door; passed on, they used to abort the server inside the in-process
  // call.
  for (const char* header : {"Bearer a\tb", "Bearer tok\xc3\xa9n"}) {
    EXPECT_TRUE(IsError(
        http.Post(issue, IssueJson("BILL"), "", {{"Authorization", header}}),
        401, "unauthenticated"))
        << header;
  }
  EXPECT_TRUE(api.ListHalls().ok()) << "the server is still up";
  // A POST never takes the token from a cookie (another site could make
  // the browser send it).
  EXPECT_TRUE(IsError(http.Post(issue, IssueJson("BILL"), "",
                                {{"Cookie", "qcall_token=it-kiosk-token"}}),
                      401, "unauthenticated"));
  EXPECT_TRUE(IsError(
      http.Post("/qcall.v1.Counter/OpenWindow",
                R"({"hallId": "it-hall", "window": 1, "clerkId": "c1"})",
                kKioskToken),
      403, "permission_denied"));
  EXPECT_TRUE(IsError(http.Post(issue,
                                R"({"hallId": "it-hall", "serviceCode": )"
                                R"("BILL", "colour": "red"})",
                                kKioskToken),
                      400, "invalid_argument"));
  EXPECT_TRUE(IsError(http.Post(issue, "{\"hallId\": ", kKioskToken), 400,
                      "invalid_argument"));
  EXPECT_TRUE(IsError(http.Post(issue,
                                R"({"hallId": "it-hall",)"
                                R"( "serviceCode": "NOPE"})",
                                kKioskToken),
                      404, "not_found"))
      << "the hall's own refusal";
  EXPECT_TRUE(
      IsError(http.Post("/qcall.v1.Kiosk/PrintMoney", "{}", kKioskToken), 404,
              "not_found"));
  EXPECT_TRUE(
      IsError(http.Post("/qcall.v1.Bank/IssueTicket", "{}", kKioskToken), 404,
              "not_found"));
  EXPECT_TRUE(
      IsError(http.Post("/tickets", "{}", kKioskToken), 404, "not_found"));
  std::string message;
  EXPECT_TRUE(IsError(http.Post("/qcall.v1.Display/Watch",
                                R"({"hallId": "it-hall"})", kDisplayToken),
                      404, "not_found", &message));
  EXPECT_NE(message.find("/events"), std::string::npos) << message;
  // Nothing of the above issued a ticket.
  auto hall = api.GetHall();
  ASSERT_OK(hall);
  EXPECT_EQ(FindService(*hall, "BILL")->issued_today(), 0);

  // The hall needs one open window: closing the only one is refused, with
  // the message a gRPC client gets.
  ASSERT_OK(api.Open(1, "clerk-1"));
  HttpReply refused =
      http.Post("/qcall.v1.Counter/CloseWindow",
                R"({"hallId": "it-hall", "window": 1})", kCounterToken);
  ASSERT_TRUE(IsError(refused, 400, "failed_precondition", &message));
  auto grpc_refusal = api.Close(1);
  ASSERT_CODE(grpc_refusal, grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(message, grpc_refusal.status.error_message());
  hall = api.GetHall();
  ASSERT_OK(hall);
  EXPECT_EQ(hall->open_windows(), 1);
}

TEST(QcalldHttpGatewayTest, AnAddressThatIsNotUtf8IsRefusedWithoutALogLine) {
  QcalldProcess server(WithHttp());
  ASSERT_TRUE(server.Start());
  HttpClient http(server.http_port());
  for (int i = 0; i < 50; ++i) {
    for (const char* target :
         {"/ticket/it-%ff/A0001", "/t/it-hall/A%ff", "/events?hall=%c3%28",
          "/board?hall=it-hall&lang=%fe"}) {
      ASSERT_TRUE(IsError(http.Get(target), 400, "invalid_argument")) << target;
    }
  }
  EXPECT_EQ(server.Log().find("libprotobuf"), std::string::npos)
      << server.Log();
}

TEST(QcalldHttpGatewayTest, KeepsTheConnectionAliveUnlessAskedToClose) {
  QcalldProcess server(WithHttp());
  ASSERT_TRUE(server.Start());
  HttpClient http(server.http_port());
  HttpReply health = http.Get("/healthz");
  EXPECT_EQ(health.status, 200u) << health.error;
  EXPECT_EQ(health.body, "ok\n");
  EXPECT_TRUE(health.keep_alive);
  EXPECT_FALSE(http.ClosedByServer(milliseconds(100)));
  // The same connection serves the next requests.
  HttpReply issued =
      http.Post("/qcall.v1.Kiosk/IssueTicket", IssueJson("BILL"), kKioskToken);
  EXPECT_TRUE(IsOkJson(issued)) << issued.body;
  EXPECT_TRUE(issued.keep_alive);
  HttpReply refused =
      http.Post("/qcall.v1.Kiosk/IssueTicket", IssueJson("BILL"));
  EXPECT_TRUE(IsError(refused, 401, "unauthenticated"));
  EXPECT_TRUE(refused.keep_alive) << "a refusal keeps the connection too";
  HttpReply metrics = http.Get("/metrics");
  EXPECT_EQ(metrics.status, 200u) << metrics.error;
  EXPECT_NE(metrics.body.find("qcall_waiting_tickets{hall=\"it-hall\"} 1"),
            std::string::npos)
      << metrics.body;

  HttpReply last = http.Get("/healthz", {{"Connection", "close"}});
  EXPECT_EQ(last.status, 200u) << last.error;
  EXPECT_FALSE(last.keep_alive);
  EXPECT_TRUE(http.ClosedByServer(seconds(2)));
}

// A connection from `from` (an address of the loopback network) to
// 127.0.0.1:<port> that sends nothing; -1 when it cannot be made.
int IdleConnection(int port, const char* from) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  inet_pton(AF_INET, from, &local.sin_addr);
  sockaddr_in server{};
  server.sin_family = AF_INET;
  server.sin_port = htons(static_cast<uint16_t>(port));
  server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
      connect(fd, reinterpret_cast<sockaddr*>(&server), sizeof server) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Whether the server closes `fd` within `within` (whatever it sent first:
// a gRPC server sends its HTTP/2 settings at once).
bool ClosedWithin(int fd, milliseconds within) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd readable{fd, POLLIN, 0};
    if (poll(&readable, 1, 100) != 1) continue;
    char buffer[4096];
    if (read(fd, buffer, sizeof buffer) <= 0) return true;
  }
  return false;
}

// --grpc-handshake-timeout: a TCP connection to the gRPC port that never
// sends the HTTP/2 preface is closed at the deadline (gRPC's default is two
// minutes, so a flood of them would hold the server's sockets that long),
// while a client that connected properly before it keeps working after it.
TEST(QcalldGrpcPortTest, ASilentConnectionIsClosedAtTheHandshakeDeadline) {
  QcalldOptions options = WithHttp();
  options.extra_args.insert(options.extra_args.end(),
                            {"--grpc-handshake-timeout", "1"});
  QcalldProcess server(options);
  ASSERT_TRUE(server.Start());
  Api api(server.NewChannel());
  ASSERT_OK(api.Issue("BILL"));
  const int silent = IdleConnection(server.port(), "127.0.0.2");
  ASSERT_GE(silent, 0);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(ClosedWithin(silent, milliseconds(4000)));
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(800));
  close(silent);
  EXPECT_OK(api.Issue("BILL"));
}

// Whether the server answered `fd` with a 503 and closed it within 3 s.
bool Refused(int fd) {
  std::string received;
  const auto deadline = std::chrono::steady_clock::now() + seconds(3);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd readable{fd, POLLIN, 0};
    if (poll(&readable, 1, 100) != 1) continue;
    char buffer[4096];
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n <= 0) return received.rfind("HTTP/1.1 503 ", 0) == 0;
    received.append(buffer, static_cast<size_t>(n));
  }
  return false;
}

// A flood of connections that send nothing, from 127.0.0.2 (also loopback),
// gets that address's share of connections and no more, and a second flood
// from 127.0.0.3 that fills every slot only pushes out idle connections: a
// board's event stream from 127.0.0.1 keeps receiving calls, and a kiosk
// there issues tickets and gets /healthz 200.
TEST(QcalldHttpGatewayTest, AFloodOfIdleConnectionsLeavesOthersServed) {
  QcalldOptions options = WithHttp();
  options.extra_args.insert(options.extra_args.end(),
                            {"--http-max-connections", "24",
                             "--http-max-connections-per-client", "16"});
  QcalldProcess server(options);
  ASSERT_TRUE(server.Start());
  SseStream board(server.http_port(), "/events?hall=it-hall",
                  Bearer(kDisplayToken));
  ASSERT_EQ(board.status(), 200u) << board.error() << board.body();
  SseMessage snapshot;
  ASSERT_TRUE(board.Next(&snapshot)) << board.raw();

  std::vector<int> flood;
  for (int i = 0; i < 40; ++i) {
    flood.push_back(IdleConnection(server.http_port(), "127.0.0.2"));
    ASSERT_GE(flood.back(), 0) << i;
  }
  // The first 16 are held; the other 24 are answered 503 and closed.
  for (int i = 16; i < 40; ++i) EXPECT_TRUE(Refused(flood[i])) << i;
  for (int i = 0; i < 40; ++i) {
    flood.push_back(IdleConnection(server.http_port(), "127.0.0.3"));
    ASSERT_GE(flood.back(), 0) << i;
  }

  HttpClient kiosk(server.http_port());
  HttpReply health = kiosk.Get("/healthz");
  EXPECT_EQ(health.status, 200u) << health.error << health.body;
  EXPECT_EQ(health.body, "ok\n");
  HttpReply issued =
      kiosk.Post("/qcall.v1.Kiosk/IssueTicket", IssueJson("BILL"), kKioskToken);
  EXPECT_TRUE(IsOkJson(issued)) << issued.body;
  v1::HallEvent event;
  ASSERT_TRUE(NextEvent(board, &event)) << board.raw();
  EXPECT_TRUE(event.has_ticket_issued()) << event.ShortDebugString();
  for (int fd : flood) close(fd);
}

// --http-head-timeout: a request head trickling in a byte every 200 ms is
// cut at the deadline, without an answer; a prompt request is served.
TEST(QcalldHttpGatewayTest, AHeadThatIsLateIsCut) {
  QcalldOptions options = WithHttp();
  options.extra_args.insert(options.extra_args.end(),
                            {"--http-head-timeout", "1.2"});
  QcalldProcess server(options);
  ASSERT_TRUE(server.Start());
  const int slow = IdleConnection(server.http_port(), "127.0.0.2");
  ASSERT_GE(slow, 0);
  const auto start = std::chrono::steady_clock::now();
  const std::string head = "GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n";
  std::string received;
  bool closed = false;
  for (size_t sent = 0; !closed && sent < head.size(); ++sent) {
    if (send(slow, head.data() + sent, 1, MSG_NOSIGNAL) != 1) {
      closed = true;  // Reset by the server.
      break;
    }
    pollfd readable{slow, POLLIN, 0};
    if (poll(&readable, 1, 200) == 1) {
      char buffer[4096];
      const ssize_t n = read(slow, buffer, sizeof buffer);
      if (n <= 0) closed = true;
      if (n > 0) received.append(buffer, static_cast<size_t>(n));
    }
  }
  const auto took = std::chrono::steady_clock::now() - start;
  close(slow);
  EXPECT_TRUE(closed) << "the whole head went out";
  EXPECT_EQ(received, "");
  EXPECT_GE(took, milliseconds(1000));
  EXPECT_LT(took, milliseconds(3000));

  HttpClient http(server.http_port());
  HttpReply health = http.Get("/healthz");
  EXPECT_EQ(health.status, 200u) << health.error;
  EXPECT_EQ(health.Header("Keep-Alive"), "timeout=1");
}

TEST(QcalldHttpGatewayTest, BodiesOverOneMebibyteAreRefused) {
  QcalldProcess server(WithHttp());
  ASSERT_TRUE(server.Start());
  constexpr size_t kLimit = 1 << 20;
  // Exactly the limit (the JSON padded with spaces) is a request.
  std::string body = IssueJson("BILL");
  body.resize(kLimit, ' ');
  {
    HttpClient http(server.http_port());
    HttpReply issued =
        http.Post("/qcall.v1.Kiosk/IssueTicket", body, kKioskToken);
    EXPECT_TRUE(IsOkJson(issued)) << issued.body;
  }
  body.push_back(' ');
  HttpClient http(server.http_port());
  HttpReply refused =
      http.Post("/qcall.v1.Kiosk/IssueTicket", body, kKioskToken);
  EXPECT_EQ(refused.status, 413u) << refused.error << refused.body;
  EXPECT_FALSE(refused.keep_alive);
  EXPECT_TRUE(http.ClosedByServer(seconds(2)));
  Api api(server.NewChannel());
  auto hall = api.GetHall();
  ASSERT_OK(hall);
  EXPECT_EQ(FindService(*hall, "BILL")->issued_today(), 1);
}

TEST(QcalldHttpGatewayTest, GetLoadHistoryHasASampleAMinute) {
  QcalldProcess server(WithHttp());
  ASSERT_TRUE(server.Start());
  HttpClient http(server.http_port());
  EXPECT_TRUE(IsError(http.Post("/qcall.v1.Supervisor/GetLoadHistory",
                                R"({"hallId": "it-hall"})", kKioskToken),
                      403, "permission_denied"));
  // The first sample is taken at the hall's first tick after start.
  v1::LoadHistory history;
  HttpReply reply;
  const auto deadline = std::chrono::steady_clock::now() + seconds(5);
  while (history.samples().empty() &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(100));
    reply = http.Post("/qcall.v1.Supervisor/GetLoadHistory",
                      R"({"hallId": "it-hall"})", kSupervisorToken);
    ASSERT_TRUE(IsOkJson(reply)) << reply.body;
    ASSERT_TRUE(ParseJson(reply.body, &history));
  }
  ASSERT_EQ(history.samples_size(), 1) << reply.body;
  const v1::LoadSample& sample = history.samples(0);
  EXPECT_GT(sample.at_unix_ms(), 0);
  EXPECT_NE(reply.body.find(R"("atUnixMs":")"), std::string::npos);
  EXPECT_EQ(sample.open_windows(), 0);
  ASSERT_EQ(sample.services_size(), 3) << reply.body;
  EXPECT_EQ(sample.services(0).code(), "BILL");
  EXPECT_EQ(sample.services(1).code(), "SIM");
  EXPECT_EQ(sample.services(2).code(), "PLAN");
  EXPECT_TRUE(IsError(http.Post("/qcall.v1.Supervisor/GetLoadHistory",
                                R"({"hallId": "nowhere"})", kSupervisorToken),
                      404, "not_found"));
}

// ---------------------------------------------------------------------------
// Events

TEST(QcalldHttpEventsTest, SnapshotLiveEventsAndExactResume) {
  QcalldProcess server(WithHttp());
  ASSERT_TRUE(server.Start());
  Api api(server.NewChannel());
  ASSERT_OK(api.Issue("BILL"));  // A0001
  ASSERT_OK(api.Issue("BILL"));  // A0002
  ASSERT_OK(api.Open(1, "clerk-1"));
  auto hall = api.GetHall();
  ASSERT_OK(hall);
  const uint64_t l = hall->last_seq();

  uint64_t n = 0;
  {
    SseStream live(server.http_port(), "/events?hall=it-hall",
                   Bearer(kDisplayToken));
    ASSERT_EQ(live.status(), 200u) << live.error() << live.body();
    EXPECT_EQ(live.content_type(), "text/event-stream; charset=utf-8");
    SseMessage message;
    ASSERT_TRUE(live.Next(&message)) << live.raw();
    v1::WatchResponse first;
    ASSERT_TRUE(IsWatchMessage(message, &first));
    ASSERT_TRUE(first.has_snapshot()) << message.data;
    EXPECT_EQ(message.id, std::to_string(l));
    EXPECT_TRUE(SameView(first.snapshot(), *hall));

    // A call made over gRPC arrives as an event with its seq as id.
    auto called = api.CallNext(1);
    ASSERT_OK(called);
    v1::HallEvent event;
    ASSERT_TRUE(NextEvent(live, &event));
    EXPECT_EQ(event.seq(), called->seq());
    ASSERT_TRUE(event.has_ticket_called()) << event.ShortDebugString();
    EXPECT_EQ(event.ticket_called().ticket().number(), "A0001");
    EXPECT_EQ(event.ticket_called().announcement(),
              "请 A0001 号到 1 号窗口办理");
    n = event.seq();
  }

  // The browser is gone; the hall carries on.
  ASSERT_OK(api.StartServing(1));
  ASSERT_OK(api.Complete(1));
  ASSERT_OK(api.Issue("SIM"));
  auto last = api.CallNext(1);
  ASSERT_OK(last);
  const uint64_t m = last->seq();
  ASSERT_GE(m, n + 4);

  // EventSource reconnects with Last-Event-ID: exactly the events after it,
  // in order, each once, and no snapshot.
  SseStream resumed(server.http_port(), "/events?hall=it-hall",
                    {{"Authorization", std::string("Bearer ") + kDisplayToken},
                     {"Last-Event-ID", std::to_string(n)}});
  ASSERT_EQ(resumed.status(), 200u) << resumed.error() << resumed.body();
  for (uint64_t seq = n + 1; seq <= m; ++seq) {
    v1::HallEvent event;
    ASSERT_TRUE(NextEvent(resumed, &event)) << "want seq " << seq;
    EXPECT_EQ(event.seq(), seq);
  }
  auto more = api.Issue("PLAN");
  ASSERT_OK(more);
  v1::HallEvent event;
  ASSERT_TRUE(NextEvent(resumed, &event));
  EXPECT_EQ(event.seq(), m + 1) << "nothing replayed twice";
  EXPECT_EQ(EventTicket(event), "C0001");

  // after= in the query does the same for a first connection; the
  // Last-Event-ID header wins over it.
  SseStream after(server.http_port(),
                  "/events?hall=it-hall&after=" + std::to_string(m),
                  Bearer(kDisplayToken));
  ASSERT_TRUE(NextEvent(after, &event));
  EXPECT_EQ(event.seq(), m + 1);
  SseStream both(server.http_port(),
                 "/events?hall=it-hall&after=" + std::to_string(n),
                 {{"Authorization", std::string("Bearer ") + kDisplayToken},
                  {"Last-Event-ID", std::to_string(m)}});
  ASSERT_TRUE(NextEvent(both, &event));
  EXPECT_EQ(event.seq(), m + 1);
}

TEST(QcalldHttpEventsTest, WindowsFilterKeepsTheirEventsAndHallWideOnes) {
  QcalldProcess server(WithHttp());
  ASSERT_TRUE(server.Start());
  Api api(server.NewChannel());
  ASSERT_OK(api.Issue("BILL"));  // A0001
  ASSERT_OK(api.Issue("BILL"));  // A0002
  ASSERT_OK(api.Open(1, "clerk-1"));
  auto opened = api.Open(3, "clerk-3");
  ASSERT_OK(opened);

  SseStream only3(
      server.http_port(),
      "/events?hall=it-hall&windows=3&after=" + std::to_string(opened->seq()),
      Bearer(kDisplayToken));
  ASSERT_EQ(only3.status(), 200u) << only3.error() << only3.body();
  auto call1 = api.CallNext(1);  // A0001 at window 1
  ASSERT_OK(call1);
  ASSERT_OK(api.CallNext(3));      // A0002 at window 3
  auto issued = api.Issue("SIM");  // Hall-wide.
  ASSERT_OK(issued);
  bool saw_window_3 = false;
  bool saw_hall_wide = false;
  bool saw_counts = false;
  for (v1::HallEvent event; !saw_hall_wide;) {
    ASSERT_TRUE(NextEvent(only3, &event));
    // Window 1's call comes as its counts alone; window 3's call and the
    // issue come whole.
    EXPECT_EQ(event.kind_case() == v1::HallEvent::KIND_NOT_SET,
              event.seq() <= call1->seq())
        << event.ShortDebugString();
    if (event.kind_case() == v1::HallEvent::KIND_NOT_SET) {
      // Window 1's call, filtered out, still tells how many wait.
      EXPECT_EQ(event.seq(), call1->seq());
      ASSERT_EQ(event.waiting_size(), 1) << event.ShortDebugString();
      EXPECT_EQ(event.waiting(0).service_code(), "BILL");
      EXPECT_EQ(event.waiting(0).waiting(), 1);
      saw_counts = true;
    }
    if (event.has_ticket_called()) {
      EXPECT_EQ(event.ticket_called().window(), 3);
      EXPECT_EQ(event.ticket_called().ticket().number(), "A0002");
      saw_window_3 = true;
    }
    saw_hall_wide = event.seq() == issued->seq();
  }
  EXPECT_TRUE(saw_window_3);
  EXPECT_TRUE(saw_counts);

  SseStream bad(server.http_port(), "/events?hall=it-hall&windows=3,x",
                Bearer(kDisplayToken));
  EXPECT_EQ(bad.status(), 400u) << bad.body();
}

TEST(QcalldHttpEventsTest, TokensAndRefusalsBeforeTheStream) {
  QcalldProcess server(WithHttp());
  ASSERT_TRUE(server.Start());
  const int port = server.http_port();
  auto first_is_snapshot = [](SseStream& stream) {
    SseMessage message;
    v1::WatchResponse response;
    if (!stream.Next(&message)) {
      return ::testing::AssertionFailure() << stream.raw();
    }
    if (auto ok = IsWatchMessage(message, &response); !ok) return ok;
    return ::testing::AssertionResult(response.has_snapshot()) << message.data;
  };
  // EventSource cannot set headers: the cookie or the query carries it.
  {
    SseStream cookie(port, "/events?hall=it-hall",
                     {{"Cookie", "lang=zh; qcall_token=it-display-token"}});
    ASSERT_EQ(cookie.status(), 200u) << cookie.body();
    EXPECT_TRUE(first_is_snapshot(cookie));
    SseStream query(port, "/events?hall=it-hall&token=it-display-token");
    ASSERT_EQ(query.status(), 200u) << query.body();
    EXPECT_TRUE(first_is_snapshot(query));
  }
  SseStream bad_cookie(port, "/events?hall=it-hall",
                       {{"Cookie", "qcall_token=not-a-token"}});
  EXPECT_EQ(bad_cookie.status(), 401u);
  EXPECT_NE(bad_cookie.body().find(R"("code":"unauthenticated")"),
            std::string::npos)
      << bad_cookie.body();
  SseStream none(port, "/events?hall=it-hall");
  EXPECT_EQ(none.status(), 401u) << none.body();
  SseStream other_hall(port, "/events?hall=it-hall", Bearer(kOtherKioskToken));
  EXPECT_EQ(other_hall.status(), 403u) << other_hall.body();

  // detail=1 is Supervisor.Watch: a display token is refused before any
  // stream starts; a supervisor's gets one.
  SseStream display_detail(port, "/events?hall=it-hall&detail=1",
                           Bearer(kDisplayToken));
  EXPECT_EQ(display_detail.status(), 403u) << display_detail.raw();
  EXPECT_EQ(display_detail.content_type(), "application/json");
  EXPECT_NE(display_detail.body().find(R"("code":"permission_denied")"),
            std::string::npos)
      << display_detail.body();
  SseStream supervisor_detail(port, "/events?hall=it-hall&detail=1",
                              Bearer(kSupervisorToken));
  ASSERT_EQ(supervisor_detail.status(), 200u) << supervisor_detail.body();
  EXPECT_TRUE(first_is_snapshot(supervisor_detail));

  SseStream no_hall(port, "/events", Bearer(kDisplayToken));
  EXPECT_EQ(no_hall.status(), 400u) << no_hall.body();
  SseStream bad_id(port, "/events?hall=it-hall",
                   {{"Authorization", std::string("Bearer ") + kDisplayToken},
                    {"Last-Event-ID", "forty-one"}});
  EXPECT_EQ(bad_id.status(), 400u) << bad_id.body();
}

TEST(QcalldHttpEventsTest, LastEventIdBeyondTheHallGetsASnapshot) {
  QcalldProcess server(WithHttp());
  ASSERT_TRUE(server.Start());
  Api api(server.NewChannel());
  ASSERT_OK(api.Issue("BILL"));
  auto hall = api.GetHall();
  ASSERT_OK(hall);
  const uint64_t l = hall->last_seq();

  // The browser remembers an id of a journal that was reset.
  SseStream stream(server.http_port(), "/events?hall=it-hall",
                   {{"Authorization", std::string("Bearer ") + kDisplayToken},
                    {"Last-Event-ID", std::to_string(l + 100)}});
  ASSERT_EQ(stream.status(), 200u) << stream.body();
  SseMessage message;
  ASSERT_TRUE(stream.Next(&message)) << stream.raw();
  v1::WatchResponse response;
  ASSERT_TRUE(IsWatchMessage(message, &response));
  ASSERT_TRUE(response.has_snapshot()) << message.data;
  EXPECT_EQ(message.id, std::to_string(l));
  // And the stream goes on from there.
  auto issued = api.Issue("SIM");
  ASSERT_OK(issued);
  v1::HallEvent event;
  ASSERT_TRUE(NextEvent(stream, &event));
  EXPECT_EQ(event.seq(), l + 1);
  EXPECT_EQ(EventTicket(event), "B0001");
}

TEST(QcalldHttpEventsTest, UnknownHallIsAFailureEventThatEndsTheStream) {
  QcalldProcess server(WithHttp());
  ASSERT_TRUE(server.Start());
  SseStream stream(server.http_port(), "/events?hall=nowhere",
                   Bearer(kDisplayToken));
  ASSERT_EQ(stream.status(), 200u) << stream.body();
  SseMessage message;
  ASSERT_TRUE(stream.Next(&message)) << stream.raw();
  EXPECT_EQ(message.event, "failure");
  EXPECT_EQ(message.id, "") << "a failure is not a place to resume from";
  v1::HttpError body;
  ASSERT_TRUE(ParseJson(message.data, &body));
  EXPECT_EQ(body.code(), "not_found") << message.data;
  EXPECT_TRUE(stream.EndsWithin(seconds(2)));
}

TEST(QcalldHttpEventsTest, AFailureMessageIsEscapedJsonOnOneDataLine) {
  QcalldProcess server(WithHttp());
  ASSERT_TRUE(server.Start());
  // The hall id, and so the message, holds a quote, a backslash, a newline,
  // a tab, '<' and Chinese.
  SseStream stream(server.http_port(),
                   "/events?hall=a%22b%5Cc%0Ad%09%3C%E5%8E%85",
                   Bearer(kDisplayToken));
  ASSERT_EQ(stream.status(), 200u) << stream.body();
  SseMessage message;
  ASSERT_TRUE(stream.Next(&message)) << stream.raw();
  EXPECT_EQ(message.event, "failure");
  EXPECT_EQ(message.data.find('\n'), std::string::npos) << message.data;
  v1::HttpError body;
  ASSERT_TRUE(ParseJson(message.data, &body));
  EXPECT_EQ(body.code(), "not_found");
  const std::string& text = body.message();
  EXPECT_NE(text.find("'a\"b\\c\nd\t<厅'"), std::string::npos) << message.data;
}

TEST(QcalldHttpEventsTest, SigtermEndsOpenStreamsAndExitsCleanly) {
  QcalldProcess server(WithHttp());
  ASSERT_TRUE(server.Start());
  SseStream stream(server.http_port(), "/events?hall=it-hall",
                   Bearer(kDisplayToken));
  ASSERT_EQ(stream.status(), 200u) << stream.body();
  SseMessage message;
  ASSERT_TRUE(stream.Next(&message)) << stream.raw();
  EXPECT_EQ(message.event, "snapshot");
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(server.Stop(/*timeout_seconds=*/5)) << server.Log();
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(4));
  EXPECT_TRUE(stream.EndsWithin(seconds(2)));
}

// Pages keep asking while qcalld stops (boards reconnect, ticket pages
// poll): a call started on the in-process channel while the gRPC server
// shut down crashed qcalld inside libgrpc (SIGSEGV on every such SIGTERM in
// the Release build; found by the ASan run).
TEST(QcalldHttpEventsTest, SigtermWhileRequestsKeepComingExitsCleanly) {
  QcalldProcess server(WithHttp());
  ASSERT_TRUE(server.Start());
  const int port = server.http_port();
  std::atomic<bool> done{false};
  std::atomic<int> answered{0};
  std::vector<std::thread> pages;
  for (int i = 0; i < 8; ++i) {
    pages.emplace_back([&, i] {
      while (!done) {
        HttpClient http(port, seconds(2));
        const HttpReply reply = i % 2 == 0 ? http.Get("/ticket/it-hall/A0001")
                                           : http.Get("/events?hall=it-hall",
                                                      Bearer(kDisplayToken));
        if (reply.status != 0) ++answered;
      }
    });
  }
  while (answered < 50) std::this_thread::sleep_for(milliseconds(5));
  EXPECT_TRUE(server.Stop(/*timeout_seconds=*/10)) << server.Log();
  done = true;
  for (std::thread& page : pages) page.join();
}

// ---------------------------------------------------------------------------
// Public helpers and pages

TEST(QcalldHttpPublicTest, TicketStatusNeedsNoToken) {
  QcalldProcess server(WithHttp());
  ASSERT_TRUE(server.Start());
  Api api(server.NewChannel());
  ASSERT_OK(api.Issue("BILL", v1::CATEGORY_NORMAL, "", "13800138000"));
  ASSERT_OK(api.Issue("BILL"));
  HttpClient http(server.http_port());

  HttpReply status = http.Get("/ticket/it-hall/A0002");
  ASSERT_TRUE(IsOkJson(status)) << status.body;
  v1::CommandReply reply;
  ASSERT_TRUE(ParseJson(status.body, &reply));
  EXPECT_EQ(reply.ticket().number(), "A0002");
  EXPECT_EQ(reply.ticket().state(), v1::TICKET_STATE_WAITING);
  EXPECT_EQ(reply.people_ahead(), 1);
  status = http.Get("/ticket/it-hall/A0001");
  ASSERT_TRUE(IsOkJson(status)) << status.body;
  EXPECT_EQ(status.body.find("13800138000"), std::string::npos)
      << "no phone number on the public page: " << status.body;

  EXPECT_TRUE(IsError(http.Get("/ticket/it-hall/A0999"), 404, "not_found"));
  EXPECT_TRUE(IsError(http.Get("/ticket/nowhere/A0001"), 404, "not_found"));
  // Read-only: nothing changed.
  auto hall = api.GetHall();
  ASSERT_OK(hall);
  EXPECT_EQ(FindService(*hall, "BILL")->waiting(), 2);
}

TEST(QcalldHttpPublicTest, QrCodesAndSpeech) {
  QcalldProcess server(WithHttp());
  ASSERT_TRUE(server.Start());
  HttpClient http(server.http_port());

  HttpReply qr =
      http.Get("/qr.svg?text=http%3A%2F%2F127.0.0.1%2Ft%2Fit-hall%2FA0001");
  EXPECT_EQ(qr.status, 200u) << qr.body;
  EXPECT_EQ(qr.content_type, "image/svg+xml");
  EXPECT_EQ(qr.body.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u)
      << qr.body.substr(0, 200);
  EXPECT_TRUE(IsError(http.Get("/qr.svg"), 400, "invalid_argument"));
  EXPECT_TRUE(IsError(http.Get("/qr.svg?text=" + std::string(513, 'x')), 400,
                      "invalid_argument"));

  HttpReply wav =
      http.Get("/speech?lang=en&text=A0001+window+3&token=it-display-token");
  EXPECT_EQ(wav.status, 200u) << wav.body;
  EXPECT_EQ(wav.content_type, "audio/wav");
  EXPECT_EQ(wav.body.rfind("RIFF", 0), 0u);
  EXPECT_TRUE(
      IsError(http.Get("/speech?lang=en&text=A0001"), 401, "unauthenticated"));
  EXPECT_TRUE(
      IsError(http.Get("/speech?lang=fr&text=A0001", Bearer(kDisplayToken)),
              400, "invalid_argument"));
  EXPECT_TRUE(IsError(http.Get("/speech?lang=zh&text=" + std::string(201, 'a'),
                               Bearer(kDisplayToken)),
                      400, "invalid_argument"));
}

TEST(QcalldHttpPagesTest, PagesComeFromTheWebFolder) {
  QcalldProcess server(WithHttp());
  ASSERT_TRUE(server.Start());
  HttpClient http(server.http_port());
  HttpReply board = http.Get("/board?hall=it-hall");
  EXPECT_EQ(board.status, 200u) << board.body;
  EXPECT_EQ(board.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(board.body, ReadFile(std::string(WEB_SOURCE_ROOT) + "/board.html"));
  HttpReply reports = http.Get("/reports?hall=it-hall");
  EXPECT_EQ(reports.status, 200u) << reports.body;
  EXPECT_EQ(reports.body,
            ReadFile(std::string(WEB_SOURCE_ROOT) + "/reports.html"));
  HttpReply ticket = http.Get("/t/it-hall/A0001");
  EXPECT_EQ(ticket.status, 200u);
  EXPECT_EQ(ticket.body,
            ReadFile(std::string(WEB_SOURCE_ROOT) + "/ticket.html"));
  HttpReply css = http.Get("/web/board.css");
  EXPECT_EQ(css.status, 200u);
  EXPECT_EQ(css.content_type, "text/css; charset=utf-8");
  EXPECT_EQ(http.Get("/nothing-here").status, 404u);
}

TEST(QcalldHttpPagesTest, NothingOutsideTheWebFolderAndNoHiddenFiles) {
  // A web folder of our own, with a hidden file in it and a secret next to
  // it.
  std::string root = ::testing::TempDir() + "qcall-web-XXXXXX";
  ASSERT_NE(mkdtemp(root.data()), nullptr);
  std::filesystem::create_directory(root + "/web");
  std::ofstream(root + "/web/app.js") << "let shown = true;\n";
  std::ofstream(root + "/web/.hidden") << "hidden\n";
  std::ofstream(root + "/secret.txt") << "secret\n";
  {
    QcalldProcess server(WithHttp(0, root + "/web"));
    ASSERT_TRUE(server.Start());
    HttpClient http(server.http_port());
    HttpReply shown = http.Get("/web/app.js");
    EXPECT_EQ(shown.status, 200u);
    EXPECT_EQ(shown.content_type, "text/javascript; charset=utf-8");
    EXPECT_EQ(shown.body, "let shown = true;\n");
    for (const char* target :
         {"/web/.hidden", "/web/%2Ehidden", "/web/../secret.txt",
          "/web/..%2Fsecret.txt", "/web/%2E%2E%2Fsecret.txt",
          "/web/../../etc/passwd", "/web/%2Fetc%2Fpasswd", "/web/sub/../app.js",
          "/web/"}) {
      HttpReply reply = http.Get(target);
      EXPECT_EQ(reply.status, 404u) << target;
      EXPECT_EQ(reply.body.find("secret"), std::string::npos) << target;
      EXPECT_EQ(reply.body.find("hidden\n"), std::string::npos) << target;
      EXPECT_EQ(reply.body.find("root:"), std::string::npos) << target;
    }
    EXPECT_EQ(http.Get("/board").status, 404u) << "this folder has no board";
  }
  std::error_code ignored;
  std::filesystem::remove_all(root, ignored);
}

}  // namespace
}  // namespace qcall::testing
