#include "dispatcher/http_server.h"

#include <boost/asio/ip/address.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace qcall {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

// Reads one request from `socket`, answers it, and closes.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const std::function<bool()>& healthy,
          const std::function<std::string()>& metrics)
      : stream_(std::move(socket)), healthy_(healthy), metrics_(metrics) {}

  void Run() {
    stream_.expires_after(std::chrono::seconds(10));
    http::async_read(
        stream_, buffer_, request_,
        [self = shared_from_this()](beast::error_code error, size_t) {
          if (!error) self->Answer();
        });
  }

 private:
  void Answer() {
    response_.version(request_.version());
    response_.keep_alive(false);
    response_.set(http::field::server, "qcalld");
    const std::string target(request_.target());
    if (request_.method() != http::verb::get) {
      Reply(http::status::method_not_allowed, "text/plain", "GET only\n");
    } else if (target == "/healthz") {
      const bool ok = healthy_();
      Reply(ok ? http::status::ok : http::status::service_unavailable,
            "text/plain", ok ? "ok\n" : "journal failed; refusing writes\n");
    } else if (target == "/metrics") {
      Reply(http::status::ok, "text/plain; version=0.0.4", metrics_());
    } else {
      Reply(http::status::not_found, "text/plain",
            "qcalld serves /healthz and /metrics\n");
    }
  }

  void Reply(http::status status, const char* type, std::string body) {
    response_.result(status);
    response_.set(http::field::content_type, type);
    response_.body() = std::move(body);
    response_.prepare_payload();
    http::async_write(stream_, response_,
                      [self = shared_from_this()](beast::error_code, size_t) {
                        beast::error_code ignored;
                        self->stream_.socket().shutdown(
                            tcp::socket::shutdown_send, ignored);
                      });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
  const std::function<bool()>& healthy_;
  const std::function<std::string()>& metrics_;
};

}  // namespace

absl::Status HttpServer::Start(const std::string& listen,
                               std::function<bool()> healthy,
                               std::function<std::string()> metrics) {
  healthy_ = std::move(healthy);
  metrics_ = std::move(metrics);
  const size_t colon = listen.rfind(':');
  int port = 0;
  beast::error_code error;
  const auto address = boost::asio::ip::make_address(
      colon == std::string::npos ? "" : listen.substr(0, colon), error);
  if (colon == std::string::npos || error ||
      !absl::SimpleAtoi(listen.substr(colon + 1), &port)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--http wants host:port, got '", listen, "'"));
  }
  try {
    acceptor_ = std::make_unique<tcp::acceptor>(
        io_, tcp::endpoint(address, static_cast<uint16_t>(port)));
  } catch (const boost::system::system_error& e) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", listen, ": ", e.what()));
  }
  port_ = acceptor_->local_endpoint().port();
  Accept();
  thread_ = std::thread([this] { io_.run(); });
  return absl::OkStatus();
}

void HttpServer::Accept() {
  acceptor_->async_accept([this](beast::error_code error, tcp::socket socket) {
    if (error) return;  // Stopped.
    std::make_shared<Session>(std::move(socket), healthy_, metrics_)->Run();
    Accept();
  });
}

HttpServer::~HttpServer() {
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace qcall
