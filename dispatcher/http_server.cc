#include "dispatcher/http_server.h"

#include <array>
#include <atomic>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <deque>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace qcall {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr size_t kMaxBodyBytes = 1 << 20;
constexpr size_t kMaxQueuedBytes = 1 << 20;
constexpr auto kIdleRequestTimeout = std::chrono::seconds(60);
constexpr auto kStreamIdleInterval = std::chrono::seconds(15);
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);

// One TCP connection: requests one after another, or one stream at the end.
// Its state is touched only on the server's thread; the HttpExchange methods
// post there.
class Connection final : public HttpExchange,
                         public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, const HttpHandler& handler,
             std::shared_ptr<std::atomic<int>> open_connections)
      : stream_(std::move(socket)),
        handler_(handler),
        idle_timer_(stream_.get_executor()),
        open_connections_(std::move(open_connections)) {
    ++*open_connections_;
  }
  ~Connection() override { --*open_connections_; }

  void ReadNext() {
    parser_.emplace();
    parser_->body_limit(kMaxBodyBytes);
    stream_.expires_after(kIdleRequestTimeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code error, size_t) {
          self->OnRead(error);
        });
  }

  const HttpRequest& request() const override { return request_; }

  void Respond(unsigned status, absl::string_view content_type,
               std::string body, HttpHeaders headers) override {
    asio::post(
        stream_.get_executor(),
        [self = shared_from_this(), status, type = std::string(content_type),
         body = std::move(body), headers = std::move(headers)]() mutable {
          self->WriteResponse(status, type, std::move(body),
                              std::move(headers));
        });
  }

  void StartStream(absl::string_view content_type,
                   std::string idle_bytes) override {
    asio::post(stream_.get_executor(), [self = shared_from_this(),
                                        type = std::string(content_type),
                                        idle = std::move(idle_bytes)] {
      self->idle_bytes_ = idle;
      self->stream_.expires_never();
      std::string head = absl::StrCat(
          "HTTP/1.1 200 OK\r\nServer: qcalld\r\nContent-Type: ", type,
          "\r\nCache-Control: no-cache\r\nX-Accel-Buffering: no\r\n"
          "Connection: close\r\n\r\n");
      // WriteNext uncounts every buffer it sends: count the head as Send
      // counts what it queues.
      self->queued_bytes_ += head.size();
      self->Enqueue(std::move(head));
      self->WatchPeer();
      self->ArmIdleTimer();
    });
  }

  bool Send(std::string bytes) override {
    if (closed_.load()) return false;
    if (queued_bytes_.fetch_add(bytes.size()) + bytes.size() >
        kMaxQueuedBytes) {
      asio::post(stream_.get_executor(),
                 [self = shared_from_this()] { self->Close(); });
      return false;
    }
    asio::post(stream_.get_executor(),
               [self = shared_from_this(), bytes = std::move(bytes)]() mutable {
                 self->Enqueue(std::move(bytes));
               });
    return true;
  }

  void EndStream() override {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      self->ending_ = true;
      if (!self->writing_) self->Close();
    });
  }

  void OnStreamClosed(std::function<void()> on_close) override {
    asio::post(stream_.get_executor(),
               [self = shared_from_this(), on_close = std::move(on_close)] {
                 if (self->closed_.load()) {
                   on_close();
                 } else {
                   self->on_close_ = on_close;
                 }
               });
  }

 private:
  void OnRead(beast::error_code error) {
    if (error == http::error::body_limit) {
      request_ = {};
      request_.keep_alive(false);
      WriteResponse(413, "text/plain", "request body over 1 MiB\n", {});
      return;
    }
    if (error) {
      Close();
      return;
    }
    request_ = parser_->release();
    handler_(shared_from_this());
  }

  void WriteResponse(unsigned status, const std::string& type, std::string body,
                     HttpHeaders headers) {
    if (closed_.load()) return;
    response_ = {};
    response_.version(request_.version() ? request_.version() : 11);
    response_.result(status);
    response_.set(http::field::server, "qcalld");
    response_.set(http::field::content_type, type);
    for (auto& [name, value] : headers) response_.set(name, value);
    response_.keep_alive(request_.keep_alive());
    response_.body() = std::move(body);
    response_.prepare_payload();
    // The read's timer may be nearly spent if the answer took long.
    stream_.expires_after(kIdleRequestTimeout);
    http::async_write(
        stream_, response_,
        [self = shared_from_this()](beast::error_code error, size_t) {
          if (error || !self->response_.keep_alive()) {
            self->Close();
          } else {
            self->ReadNext();
          }
        });
  }

  void Enqueue(std::string bytes) {
    if (closed_.load()) return;
    out_.push_back(std::move(bytes));
    WriteNext();
  }

  void WriteNext() {
    if (writing_ || out_.empty()) return;
    writing_ = true;
    asio::async_write(
        stream_, asio::buffer(out_.front()),
        [self = shared_from_this()](beast::error_code error, size_t) {
          self->writing_ = false;
          self->queued_bytes_ -= self->out_.front().size();
          self->out_.pop_front();
          self->sent_since_timer_ = true;
          if (error || (self->ending_ && self->out_.empty())) {
            self->Close();
          } else {
            self->WriteNext();
          }
        });
  }

  // A stream's peer sends nothing; a read that ends means it has gone.
  void WatchPeer() {
    stream_.async_read_some(
        asio::buffer(peer_bytes_),
        [self = shared_from_this()](beast::error_code error, size_t) {
          if (error) {
            self->Close();
          } else {
            self->WatchPeer();
          }
        });
  }

  void ArmIdleTimer() {
    idle_timer_.expires_after(kStreamIdleInterval);
    idle_timer_.async_wait([self = shared_from_this()](beast::error_code) {
      if (self->closed_.load()) return;
      if (!self->sent_since_timer_ && self->out_.empty()) {
        self->queued_bytes_ += self->idle_bytes_.size();
        self->Enqueue(self->idle_bytes_);
      }
      self->sent_since_timer_ = false;
      self->ArmIdleTimer();
    });
  }

  void Close() {
    if (closed_.exchange(true)) return;
    idle_timer_.cancel();
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
    // Run and drop it: it may hold this connection.
    if (auto on_close = std::move(on_close_)) on_close();
    on_close_ = nullptr;
  }

  beast::tcp_stream stream_;
  const HttpHandler& handler_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  HttpRequest request_;
  http::response<http::string_body> response_;

  // Streaming.
  bool writing_ = false;
  bool ending_ = false;
  bool sent_since_timer_ = false;
  std::string idle_bytes_;
  std::deque<std::string> out_;
  std::atomic<size_t> queued_bytes_{0};
  std::atomic<bool> closed_{false};
  std::function<void()> on_close_;
  asio::steady_timer idle_timer_;
  std::array<char, 64> peer_bytes_;
  std::shared_ptr<std::atomic<int>> open_connections_;
};

}  // namespace

absl::Status HttpServer::Start(const std::string& listen, HttpHandler handler) {
  handler_ = std::move(handler);
  const size_t colon = listen.rfind(':');
  int port = 0;
  beast::error_code error;
  const auto address = asio::ip::make_address(
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
    if (error == asio::error::operation_aborted) return;  // Stopped.
    if (error) {
      // Out of file descriptors or memory, or a connection reset before it
      // was taken: none of these ends the HTTP side. Try again once some
      // connections may have closed.
      spdlog::warn("http: cannot accept a connection: {}", error.message());
      accept_retry_.expires_after(kAcceptRetryDelay);
      accept_retry_.async_wait([this](beast::error_code stopped) {
        if (!stopped) Accept();
      });
      return;
    }
    socket.set_option(tcp::no_delay(true), error);
    if (open_connections_->load() >= max_connections_) {
      Refuse(std::move(socket));
    } else {
      std::make_shared<Connection>(std::move(socket), handler_,
                                   open_connections_)
          ->ReadNext();
    }
    Accept();
  });
}

namespace {

// A refused connection: the 503, then what the client sent is read and
// dropped until it closes or a second passes. Closing with its request still
// unread would make the kernel reset the connection, and a reset can throw
// the 503 away before the client reads it.
class Refusal : public std::enable_shared_from_this<Refusal> {
 public:
  Refusal(tcp::socket socket, std::string answer)
      : socket_(std::move(socket)),
        answer_(std::move(answer)),
        deadline_(socket_.get_executor()) {}

  void Start() {
    asio::async_write(
        socket_, asio::buffer(answer_),
        [self = shared_from_this()](beast::error_code error, size_t) {
          if (error) return self->Close();
          beast::error_code ignored;
          self->socket_.shutdown(tcp::socket::shutdown_send, ignored);
          self->deadline_.expires_after(std::chrono::seconds(1));
          self->deadline_.async_wait(
              [self](beast::error_code) { self->Close(); });
          self->Drain();
        });
  }

 private:
  void Drain() {
    socket_.async_read_some(
        asio::buffer(scratch_),
        [self = shared_from_this()](beast::error_code error, size_t) {
          if (error) return self->Close();
          self->Drain();
        });
  }
  void Close() {
    beast::error_code ignored;
    deadline_.cancel();
    socket_.close(ignored);
  }

  tcp::socket socket_;
  std::string answer_;
  asio::steady_timer deadline_;
  std::array<char, 4096> scratch_;
};

}  // namespace

void HttpServer::Refuse(tcp::socket socket) {
  const std::string body =
      absl::StrCat("qcalld serves at most ", max_connections_,
                   " HTTP connections at once; try again in a moment\n");
  std::make_shared<Refusal>(
      std::move(socket),
      absl::StrCat("HTTP/1.1 503 Service Unavailable\r\nServer: qcalld\r\n"
                   "Content-Type: text/plain; charset=utf-8\r\n"
                   "Retry-After: 5\r\nConnection: close\r\n"
                   "Content-Length: ",
                   body.size(), "\r\n\r\n", body))
      ->Start();
}

HttpServer::~HttpServer() {
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace qcall
