// HttpServer is qcalld's HTTP/1.1 transport: it accepts connections (at most
// max_connections at once; one more is answered 503 and closed, so a flood
// of idle connections cannot hold the memory of many bodies and streams;
// when the process is out of file descriptors it tries again every 100 ms),
// reads requests (keep-alive, bodies up to 1 MiB) on one thread, and hands each
// to a handler as an HttpExchange. The handler answers once, now or later from
// any thread, or turns the exchange into a stream (Server-Sent Events).
// What each path means is HttpGateway's business, not this file's.
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
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

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
  // when the peer is gone or more than 1 MiB waits to be sent.
  virtual bool Send(std::string bytes) = 0;
  virtual void EndStream() = 0;
  // Runs `on_close` once when a stream ends, for whatever reason.
  virtual void OnStreamClosed(std::function<void()> on_close) = 0;
};

using HttpHandler = std::function<void(std::shared_ptr<HttpExchange>)>;

class HttpServer {
 public:
  explicit HttpServer(int max_connections = 1024)
      : max_connections_(max_connections) {}
  ~HttpServer();

  // Listens on "host:port" (port 0 picks one) and serves until destroyed.
  absl::Status Start(const std::string& listen, HttpHandler handler);
  int port() const { return port_; }
  int open_connections() const { return open_connections_->load(); }

 private:
  void Accept();
  // Answers 503 on a connection over the limit, and closes it.
  void Refuse(boost::asio::ip::tcp::socket socket);

  boost::asio::io_context io_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  boost::asio::steady_timer accept_retry_{io_};
  HttpHandler handler_;
  std::thread thread_;
  int port_ = 0;
  const int max_connections_;
  // Shared with the connections: each holds it until it is destroyed.
  std::shared_ptr<std::atomic<int>> open_connections_ =
      std::make_shared<std::atomic<int>>(0);
};

}  // namespace qcall

#endif  // QCALL_DISPATCHER_HTTP_SERVER_H_
