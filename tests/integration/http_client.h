// Small HTTP/1.1 clients for the tests of qcalld's HTTP side, on Boost.Beast.
// Every wait has a deadline (the operation is cancelled when it passes), so
// a server that does not answer fails a test instead of hanging it.
//
//   HttpClient http(server.http_port());
//   HttpReply reply = http.Post("/qcall.v1.Kiosk/IssueTicket",
//                               R"({"hallId": "it-hall"})", kKioskToken);
//   EXPECT_EQ(reply.status, 200) << reply.body;
//
//   HttpClient https(server.http_port(), std::chrono::seconds(5),
//                    HttpTls{.ca_path = certificates.ca_path()});
//
//   SseStream events(server.http_port(), "/events?hall=it-hall",
//                    {{"Authorization", "Bearer it-display-token"}});
//   ASSERT_EQ(events.status(), 200) << events.body();
//   SseMessage message;
//   ASSERT_TRUE(events.Next(&message)) << events.raw();
//   EXPECT_EQ(message.event, "snapshot");
#ifndef QCALL_TESTS_INTEGRATION_HTTP_CLIENT_H_
#define QCALL_TESTS_INTEGRATION_HTTP_CLIENT_H_

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace qcall::testing {

using HttpFields = std::vector<std::pair<std::string, std::string>>;

// HTTPS: the server's certificate must be signed by a CA of `ca_path` (PEM)
// and name `host`, which is also sent as the TLS server name (SNI).
struct HttpTls {
  std::string ca_path;
  std::string host = "localhost";
};

struct HttpReply {
  // 0 when no answer came; `error` then says why.
  unsigned status = 0;
  std::string error;
  std::string content_type;
  std::string body;
  // Whether the server keeps the connection open after this answer.
  bool keep_alive = false;
  HttpFields headers;

  // A header's value, "" when absent (names compare case-insensitively).
  std::string Header(const std::string& name) const;
};

// One connection to 127.0.0.1:<port>. It never reconnects, so a second
// request succeeds only when the server kept the connection alive.
class HttpClient {
 public:
  // With `tls`, over HTTPS; a failed handshake leaves every request failed
  // with `error` saying why.
  explicit HttpClient(
      int port, std::chrono::milliseconds deadline = std::chrono::seconds(5),
      std::optional<HttpTls> tls = std::nullopt);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  HttpReply Get(const std::string& target, const HttpFields& fields = {});
  // With "Content-Type: application/json", and "Authorization: Bearer
  // <token>" when `token` is set.
  HttpReply Post(const std::string& target, const std::string& body,
                 const std::string& token = "", const HttpFields& fields = {});
  // Any method ("PUT"). The answer is read even when writing the request
  // failed: a server may answer (413) before it has read the whole body.
  HttpReply Send(const std::string& method, const std::string& target,
                 const std::string& body, const HttpFields& fields);
  // Whether the server closes the connection within `wait` without sending
  // anything more.
  bool ClosedByServer(std::chrono::milliseconds wait);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One message of a Server-Sent Events stream.
struct SseMessage {
  std::string id;     // "" when the message has no id line.
  std::string event;  // "message" when it has no event line.
  std::string data;   // Its data lines joined with '\n'.
};

// A GET whose answer is read as Server-Sent Events once it is a 200.
class SseStream {
 public:
  // Connects, sends GET `target` with `fields` and reads the answer's head
  // (for an answer other than 200, the whole answer).
  SseStream(int port, const std::string& target, const HttpFields& fields = {},
            std::chrono::milliseconds deadline = std::chrono::seconds(5),
            std::optional<HttpTls> tls = std::nullopt);
  ~SseStream();
  SseStream(const SseStream&) = delete;
  SseStream& operator=(const SseStream&) = delete;

  // 0 when no answer came; error() then says why.
  unsigned status() const { return status_; }
  const std::string& error() const { return error_; }
  const std::string& content_type() const { return content_type_; }
  // The body of an answer other than 200.
  const std::string& body() const { return body_; }
  // Everything the stream carried so far (for failure messages).
  const std::string& raw() const { return raw_; }

  // The next message with data (comments, "retry:" and empty blocks are
  // skipped). False when the stream ended (ended()) or nothing came within
  // `timeout`; the stream stays usable after a timeout.
  bool Next(SseMessage* message,
            std::chrono::milliseconds timeout = std::chrono::seconds(5));
  bool ended() const { return ended_; }
  // Succeeds when the server ends the stream within `timeout` and sends no
  // further message before.
  ::testing::AssertionResult EndsWithin(std::chrono::milliseconds timeout);
  // Closes the connection from this side.
  void Close();

 private:
  // Reads more bytes into pending_; false on timeout or the end.
  bool ReadMore(std::chrono::steady_clock::time_point deadline);

  struct Impl;
  std::unique_ptr<Impl> impl_;
  unsigned status_ = 0;
  std::string error_;
  std::string content_type_;
  std::string body_;
  std::string raw_;
  std::string pending_;
  bool ended_ = false;
};

}  // namespace qcall::testing

#endif  // QCALL_TESTS_INTEGRATION_HTTP_CLIENT_H_
