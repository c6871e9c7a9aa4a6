// HttpServer is qcalld's plain-HTTP side for operators: GET /healthz (200 "ok"
// while the journal can write, 503 otherwise) and GET /metrics (Prometheus
// text). One thread, one short request per connection: it serves probes and
// scrapes, not customers.
//
//   HttpServer http(absl::Seconds(1));
//   RETURN_IF_ERROR(http.Start("127.0.0.1:8080", healthy, metrics));
#ifndef QCALL_DISPATCHER_HTTP_SERVER_H_
#define QCALL_DISPATCHER_HTTP_SERVER_H_

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"

namespace qcall {

class HttpServer {
 public:
  HttpServer() = default;
  ~HttpServer();

  // Listens on "host:port" (port 0 picks one) and serves until destroyed.
  absl::Status Start(const std::string& listen, std::function<bool()> healthy,
                     std::function<std::string()> metrics);
  int port() const { return port_; }

 private:
  void Accept();

  boost::asio::io_context io_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  std::function<bool()> healthy_;
  std::function<std::string()> metrics_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace qcall

#endif  // QCALL_DISPATCHER_HTTP_SERVER_H_
