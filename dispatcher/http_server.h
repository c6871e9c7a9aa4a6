// HttpServer is qcalld's HTTP/1.1 transport: it accepts connections, reads
// requests (keep-alive, bodies up to 1 MiB) on one thread, and hands each to
// a handler as an HttpExchange. The handler answers once, now or later from
// any thread, or turns the exchange into a stream (Server-Sent Events).
// What each path means is HttpGateway's business, not this file's.
//
// A connection cannot hold the server by sending nothing or little
// (Limits): its request head (request line and headers) must arrive within
// head_timeout of its start or of the end of the previous answer, else it is
// closed; a body gets a deadline of its own, longer for a longer body. At
// most max_connections are held at once and at most max_per_client from one
// address (an IPv6 /64); over the latter, or over the former when every
// connection has a request in flight or a stream, a new connection is
// answered 503 and closed. A connection with no request in flight (idle
// between requests, or still reading a head) is cheap and is the first to
// go: when all slots are taken, the one idle longest is closed for the new
// one. When the process is out of file descriptors the server tries again
// every 100 ms.
//
// With UseTls, every connection speaks TLS (1.2 or 1.3): its handshake
// counts against the first head's deadline, a client that does not speak
// TLS or does not finish the handshake is closed, and a connection over a
// limit is closed without the 503 (plain text means nothing to it).
//
//   HttpServer http;
//   RETURN_IF_ERROR(http.Start("127.0.0.1:8080",
//       [](std::shared_ptr<HttpExchange> exchange) {
//         exchange->Respond(200, "text/plain", "ok\n");
//       }));
#ifndef QCALL_DISPATCHER_HTTP_SERVER_H_
#define QCALL_DISPATCHER_HTTP_SERVER_H_

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace boost::asio::ssl {
class context;
}  // namespace boost::asio::ssl

namespace qcall {

using HttpRequest =
    boost::beast::http::request<boost::beast::http::string_body>;
using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// One request and its answer. Every method may be called from any thread.
class HttpExchange {
 public:
  virtual ~HttpExchange() = default;

  virtual const HttpRequest& request() const = 0;
  // Sends the whole answer; the connection then reads its next request.
  virtual void Respond(unsigned status, absl::string_view content_type,
                       std::string body, HttpHeaders headers = {}) = 0;
  // Answers 200 with `content_type` and no length, then sends what Send
  // queues until EndStream or until the peer goes; the connection closes
  // after it. `idle_bytes` go out whenever nothing was sent for 15 s (an SSE
  // comment keeps proxies from dropping the connection).
  virtual void StartStream(absl::string_view content_type,
                           std::string idle_bytes) = 0;
  // Queues bytes on a started stream. Returns false, and ends the stream,
  // when the peer is gone or more than the stream queue (Limits) waits to be
  // sent. A stream whose write waits longer than the stall timeout (the
  // peer reads nothing) is closed too.
  virtual bool Send(std::string bytes) = 0;
  virtual void EndStream() = 0;
  // Runs `on_close` once when a stream ends, for whatever reason.
  virtual void OnStreamClosed(std::function<void()> on_close) = 0;
};

using HttpHandler = std::function<void(std::shared_ptr<HttpExchange>)>;

class ConnectionRegistry;

class HttpServer {
 public:
  struct Limits {
    // Connections held at once (pages, JSON calls, event streams).
    int max_connections = 1024;
    // Connections held at once from one client address.
    int max_per_client = 64;
    // Time to read a request's head, from the connection's start or from
    // the end of the previous answer (keep-alive).
    std::chrono::milliseconds head_timeout = std::chrono::seconds(10);
    // Bytes a stream may have waiting to be sent, the write in flight
    // included; more closes it.
    size_t stream_queue_bytes = 64 << 10;
    // A stream's write not completed for this long closes it; zero: never.
    std::chrono::milliseconds stream_stall_timeout = std::chrono::seconds(10);
  };

  HttpServer() : HttpServer(Limits{}) {}
  explicit HttpServer(int max_connections)
      : HttpServer(Limits{.max_connections = max_connections}) {}
  explicit HttpServer(Limits limits);
  ~HttpServer();

  // Serves HTTPS with this context (tls.h's MakeTlsServerContext); call
  // before Start.
  absl::Status UseTls(std::unique_ptr<boost::asio::ssl::context> context);
  // Listens on "host:port" (port 0 picks one) and serves until destroyed.
  absl::Status Start(const std::string& listen, HttpHandler handler);
  int port() const { return port_; }
  // Connections held (not yet destroyed), refusals not included.
  int open_connections() const;

 private:
  void Accept();
  // Answers 503 on a connection over a limit, and closes it.
  void Refuse(boost::asio::ip::tcp::socket socket, const std::string& why);

  boost::asio::io_context io_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  boost::asio::steady_timer accept_retry_{io_};
  HttpHandler handler_;
  std::thread thread_;
  int port_ = 0;
  const Limits limits_;
  // Set by UseTls: the connections' TLS settings and certificate.
  std::unique_ptr<boost::asio::ssl::context> tls_;
  // Shared with the connections: each holds it until it is destroyed.
  std::shared_ptr<ConnectionRegistry> registry_;
  // Refusals still sending their 503 (server thread only).
  std::shared_ptr<int> refusing_ = std::make_shared<int>(0);
};

}  // namespace qcall

#endif  // QCALL_DISPATCHER_HTTP_SERVER_H_
