#include "dispatcher/http_server.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <deque>
#include <map>
#include <optional>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "spdlog/spdlog.h"

namespace qcall {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
namespace ssl = asio::ssl;

constexpr size_t kMaxBodyBytes = 1 << 20;
// A body's deadline: the head's again, and a second more for every 32 KiB
// it declares (a chunked body counts as the largest), so 1 MiB has 32 s more.
constexpr size_t kBodyBytesPerSecond = 32 << 10;
// Writing one answer (not a stream) to a peer that reads.
constexpr auto kWriteTimeout = std::chrono::seconds(60);
constexpr auto kStreamIdleInterval = std::chrono::seconds(15);
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);
// Refusals answering their 503 at once; a connection over this is closed
// without one, so a flood of refused connections costs nothing either.
constexpr int kMaxRefusals = 64;

// The address a client's connections are counted under: IPv4 as it is,
// IPv6 by its /64 (one host's usual share, which it can fill with
// addresses at will).
std::string ClientKey(const asio::ip::address& address) {
  if (address.is_v6()) {
    const asio::ip::address_v6 v6 = address.to_v6();
    if (v6.is_v4_mapped()) {
      return asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_string();
    }
    asio::ip::address_v6::bytes_type bytes = v6.to_bytes();
    std::fill(bytes.begin() + 8, bytes.end(), 0);
    return absl::StrCat(asio::ip::address_v6(bytes).to_string(), "/64");
  }
  return address.to_string();
}

}  // namespace

// Who holds the server's slots: the connections per client address, and
// the connections with no request in flight, oldest first (the ones to
// close when every slot is taken). A connection counts from its admission
// to its destruction, which can happen on any thread.
class ConnectionRegistry {
 public:
  enum class Admission { kAdmitted, kOverClientLimit, kFull };

  // Counts a new connection from `client` if the limits allow it. When all
  // of `max_connections` are taken, takes the connection idle longest out
  // of the idle ones and hands it back in `evict` to be closed; the new one
  // takes its place.
  Admission Admit(const std::string& client, const HttpServer::Limits& limits,
                  std::shared_ptr<HttpExchange>* evict)
      ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    auto count = per_client_.find(client);
    if (count != per_client_.end() && count->second >= limits.max_per_client) {
      return Admission::kOverClientLimit;
    }
    if (open_ >= limits.max_connections) {
      while (!idle_.empty() && *evict == nullptr) {
        *evict = idle_.begin()->second.lock();
        idle_.erase(idle_.begin());
      }
      if (*evict == nullptr) return Admission::kFull;
    }
    ++open_;
    ++per_client_[client];
    return Admission::kAdmitted;
  }
  // The connection admitted for `client` is gone.
  void Release(const std::string& client, uint64_t idle_key)
      ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    idle_.erase(idle_key);
    --open_;
    if (auto count = per_client_.find(client);
        count != per_client_.end() && --count->second == 0) {
      per_client_.erase(count);
    }
  }
  // The connection waits for a request: it may be closed for a new one.
  // Returns the key to pass to Busy.
  uint64_t Idle(std::weak_ptr<HttpExchange> connection)
      ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    const uint64_t key = ++last_key_;
    idle_.emplace(key, std::move(connection));
    return key;
  }
  // The connection has a request in flight.
  void Busy(uint64_t idle_key) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    idle_.erase(idle_key);
  }
  int open() const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return open_;
  }

 private:
  mutable absl::Mutex mu_;
  int open_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, int> per_client_ ABSL_GUARDED_BY(mu_);
  // By the time each became idle.
  std::map<uint64_t, std::weak_ptr<HttpExchange>> idle_ ABSL_GUARDED_BY(mu_);
  uint64_t last_key_ ABSL_GUARDED_BY(mu_) = 0;
};

namespace {

// One TCP connection: requests one after another, or one stream at the end.
// Its state is touched only on the server's thread; the HttpExchange methods
// post there.
class Connection final : public HttpExchange,
                         public std::enable_shared_from_this<Connection> {
 public:
  // `registry` has admitted it for `client`.
  // With `tls`, the connection speaks TLS: its handshake must end within
  // the first head's deadline.
  Connection(tcp::socket socket, const HttpHandler& handler,
             std::shared_ptr<ConnectionRegistry> registry, std::string client,
             const HttpServer::Limits& limits, ssl::context* tls)
      : stream_(std::move(socket)),
        handler_(handler),
        idle_timer_(stream_.get_executor()),
        stall_timer_(stream_.get_executor()),
        head_deadline_(stream_.get_executor()),
        registry_(std::move(registry)),
        client_(std::move(client)),
        head_timeout_(limits.head_timeout),
        stream_queue_bytes_(limits.stream_queue_bytes),
        stream_stall_timeout_(limits.stream_stall_timeout) {
    if (tls != nullptr) tls_.emplace(stream_, *tls);
  }
  ~Connection() override { registry_->Release(client_, idle_key_); }

  // Waits for the next request; its head must be read within the head
  // timeout. Until the head is in, the connection is idle: it holds no
  // request or answer, and may be closed for a new connection.
  void ReadNext() {
    request_ = {};
    response_ = {};
    if (buffer_.size() == 0) buffer_.shrink_to_fit();
    idle_key_ = registry_->Idle(weak_from_this());
    head_deadline_.expires_after(head_timeout_);
    head_deadline_.async_wait(
        [self = shared_from_this(), head = ++heads_](beast::error_code error) {
          // Whether or not bytes trickle in: the head is late.
          if (!error && head == self->heads_ && !self->head_read_) {
            self->Close();
          }
        });
    head_read_ = false;
    stream_.expires_never();
    if (tls_ && !handshaken_) {
      tls_->async_handshake(
          ssl::stream_base::server,
          [self = shared_from_this()](beast::error_code error) {
            if (error) return self->Close();  // Not TLS, or not trusted.
            self->handshaken_ = true;
            self->ReadHead();
          });
      return;
    }
    // Over TLS the next request may wait decrypted inside the TLS layer,
    // where the socket's readiness cannot see it.
    if (buffer_.size() > 0 || tls_) {
      ReadHead();  // The client sent its next request already.
      return;
    }
    // No parser or buffer is needed before the first byte comes.
    stream_.socket().async_wait(
        tcp::socket::wait_read,
        [self = shared_from_this()](beast::error_code error) {
          if (error) return self->Close();
          self->ReadHead();
        });
  }

  // Closes an idle connection to make room for a new one.
  void Evict() { Close(); }

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
        stream_queue_bytes_) {
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
  void ReadHead() {
    if (closed_.load()) return;
    parser_.emplace();
    parser_->body_limit(kMaxBodyBytes);
    WithStream([&](auto& stream) {
      http::async_read_header(
          stream, buffer_, *parser_,
          [self = shared_from_this()](beast::error_code error, size_t) {
            self->OnHead(error);
          });
    });
  }

  void OnHead(beast::error_code error) {
    if (closed_.load()) return;  // Late or evicted.
    if (error && error != http::error::body_limit) return Close();
    head_read_ = true;
    head_deadline_.cancel();
    registry_->Busy(idle_key_);
    if (error) return TooLarge();  // Its Content-Length says so.
    if (parser_->is_done()) return Dispatch();
    const size_t length = static_cast<size_t>(std::min<uint64_t>(
        parser_->content_length().value_or(kMaxBodyBytes), kMaxBodyBytes));
    stream_.expires_after(head_timeout_ +
                          std::chrono::seconds(length / kBodyBytesPerSecond));
    WithStream([&](auto& stream) {
      http::async_read(
          stream, buffer_, *parser_,
          [self = shared_from_this()](beast::error_code body_error, size_t) {
            if (body_error == http::error::body_limit) return self->TooLarge();
            if (body_error) return self->Close();
            self->Dispatch();
          });
    });
  }

  void TooLarge() {
    request_ = {};
    request_.keep_alive(false);
    WriteResponse(413, "text/plain", "request body over 1 MiB\n", {});
  }

  void Dispatch() {
    stream_.expires_never();
    request_ = parser_->release();
    parser_.reset();
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
    if (response_.keep_alive()) {
      // How long the connection waits for the next request, so that a
      // client does not send one on a connection about to close.
      response_.set(
          http::field::keep_alive,
          absl::StrCat("timeout=",
                       std::max<int64_t>(
                           1, std::chrono::duration_cast<std::chrono::seconds>(
                                  head_timeout_)
                                  .count())));
    }
    response_.body() = std::move(body);
    response_.prepare_payload();
    stream_.expires_after(kWriteTimeout);
    WithStream([&](auto& stream) {
      http::async_write(
          stream, response_,
          [self = shared_from_this()](beast::error_code error, size_t) {
            if (error || !self->response_.keep_alive()) {
              self->Close();
            } else {
              self->ReadNext();
            }
          });
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
    write_started_ = std::chrono::steady_clock::now();
    if (!stall_timer_armed_ && stream_stall_timeout_.count() > 0) {
      ArmStallTimer(stream_stall_timeout_);
    }
    WithStream([&](auto& stream) {
      asio::async_write(
          stream, asio::buffer(out_.front()),
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
    });
  }

  // A stream's peer sends nothing; a read that ends means it has gone.
  void WatchPeer() {
    WithStream([&](auto& stream) {
      stream.async_read_some(
          asio::buffer(peer_bytes_),
          [self = shared_from_this()](beast::error_code error, size_t) {
            if (error) {
              self->Close();
            } else {
              self->WatchPeer();
            }
          });
    });
  }

  // Runs `io(stream)` on the TLS stream when the connection has one, else
  // on the TCP stream. (Timeouts stay on the TCP stream, under both.)
  template <typename Io>
  void WithStream(Io io) {
    if (tls_) {
      io(*tls_);
    } else {
      io(stream_);
    }
  }

  // A write that waits longer than the stall timeout (the peer reads
  // nothing) closes the stream: a Finish-like end cannot pass the bytes
  // stuck before it. The browser reconnects with Last-Event-ID.
  void ArmStallTimer(std::chrono::steady_clock::duration after) {
    stall_timer_armed_ = true;
    stall_timer_.expires_after(after);
    stall_timer_.async_wait([self = shared_from_this()](beast::error_code) {
      self->stall_timer_armed_ = false;
      if (self->closed_.load() || !self->writing_) return;
      const auto waited = std::chrono::steady_clock::now() -
                          self->write_started_;
      if (waited >= self->stream_stall_timeout_) {
        spdlog::info("http: an event stream to {} read nothing for {} ms; "
                     "closed",
                     self->client_,
                     std::chrono::duration_cast<std::chrono::milliseconds>(
                         waited)
                         .count());
        self->Close();
      } else {
        self->ArmStallTimer(self->stream_stall_timeout_ - waited);
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
    stall_timer_.cancel();
    head_deadline_.cancel();
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
    // Run and drop it: it may hold this connection.
    if (auto on_close = std::move(on_close_)) on_close();
    on_close_ = nullptr;
  }

  beast::tcp_stream stream_;
  // Over TLS: the TLS layer on stream_, and whether its handshake is done.
  std::optional<beast::ssl_stream<beast::tcp_stream&>> tls_;
  bool handshaken_ = false;
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
  asio::steady_timer stall_timer_;
  bool stall_timer_armed_ = false;
  std::chrono::steady_clock::time_point write_started_;

  // The head's deadline; heads_ numbers the heads waited for, so a timer
  // of an earlier one does nothing.
  asio::steady_timer head_deadline_;
  uint64_t heads_ = 0;
  bool head_read_ = false;
  const std::shared_ptr<ConnectionRegistry> registry_;
  const std::string client_;
  const std::chrono::milliseconds head_timeout_;
  const size_t stream_queue_bytes_;
  const std::chrono::milliseconds stream_stall_timeout_;
  // While idle, its place in the registry's idle connections.
  uint64_t idle_key_ = 0;
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
    const tcp::endpoint peer = socket.remote_endpoint(error);
    if (error) {
      Accept();  // Gone already.
      return;
    }
    std::string client = ClientKey(peer.address());
    std::shared_ptr<HttpExchange> evict;
    switch (registry_->Admit(client, limits_, &evict)) {
      case ConnectionRegistry::Admission::kOverClientLimit:
        Refuse(std::move(socket),
               absl::StrCat("qcalld serves at most ", limits_.max_per_client,
                            " HTTP connections from one address at once; "
                            "try again in a moment\n"));
        break;
      case ConnectionRegistry::Admission::kFull:
        Refuse(std::move(socket),
               absl::StrCat("qcalld serves at most ", limits_.max_connections,
                            " HTTP connections at once; try again in a "
                            "moment\n"));
        break;
      case ConnectionRegistry::Admission::kAdmitted:
        if (evict != nullptr) {
          // It has no request in flight; the new one takes its slot.
          std::static_pointer_cast<Connection>(evict)->Evict();
        }
        std::make_shared<Connection>(std::move(socket), handler_, registry_,
                                     std::move(client), limits_, tls_.get())
            ->ReadNext();
        break;
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
  Refusal(tcp::socket socket, std::string answer, std::shared_ptr<int> refusing)
      : socket_(std::move(socket)),
        answer_(std::move(answer)),
        deadline_(socket_.get_executor()),
        refusing_(std::move(refusing)) {
    ++*refusing_;
  }
  ~Refusal() { --*refusing_; }

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
  // Refusals under way; touched only on the server's thread.
  std::shared_ptr<int> refusing_;
};

}  // namespace

void HttpServer::Refuse(tcp::socket socket, const std::string& why) {
  // A 503 in plain text means nothing to a TLS client, and a TLS handshake
  // for a refusal would cost what the refusal saves: closed at once.
  if (*refusing_ >= kMaxRefusals || tls_ != nullptr) {
    beast::error_code ignored;
    socket.close(ignored);
    return;
  }
  std::make_shared<Refusal>(
      std::move(socket),
      absl::StrCat("HTTP/1.1 503 Service Unavailable\r\nServer: qcalld\r\n"
                   "Content-Type: text/plain; charset=utf-8\r\n"
                   "Retry-After: 5\r\nConnection: close\r\n"
                   "Content-Length: ",
                   why.size(), "\r\n\r\n", why),
      refusing_)
      ->Start();
}

absl::Status HttpServer::UseTls(std::unique_ptr<ssl::context> context) {
  if (context == nullptr) return absl::InvalidArgumentError("no TLS context");
  tls_ = std::move(context);
  return absl::OkStatus();
}

HttpServer::HttpServer(Limits limits)
    : limits_(limits), registry_(std::make_shared<ConnectionRegistry>()) {}

int HttpServer::open_connections() const { return registry_->open(); }

HttpServer::~HttpServer() {
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace qcall
