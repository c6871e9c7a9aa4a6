#include "tests/integration/http_client.h"

#include <algorithm>
#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/version.hpp>
#include <cctype>
#include <optional>

namespace qcall::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
namespace ssl = asio::ssl;
using Clock = std::chrono::steady_clock;

bool SameName(const std::string& a, const std::string& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

// Runs `io` until the operation started on `socket` sets `done`, or until
// `deadline`; then cancels it (its handler runs with operation_aborted) and
// returns false. A cancelled read loses no bytes: they stay in the socket.
bool RunUntil(asio::io_context& io, tcp::socket& socket, const bool& done,
              Clock::time_point deadline) {
  io.restart();
  io.run_until(deadline);
  if (done) return true;
  beast::error_code ignored;
  socket.cancel(ignored);
  io.restart();
  io.run();
  return false;
}

// One connection to the server, plain or TLS.
struct Connection {
  asio::io_context io;
  tcp::socket socket{io};
  std::optional<ssl::context> context;
  std::optional<ssl::stream<tcp::socket&>> tls;

  // Runs `io(stream)` on the TLS stream when there is one, else the socket.
  template <typename Io>
  void With(Io io_on) {
    if (tls) {
      io_on(*tls);
    } else {
      io_on(socket);
    }
  }
};

// Connects to 127.0.0.1:<port> and, with `tls`, shakes hands (within
// `deadline`) checking the server's certificate.
bool Connect(Connection& connection, int port,
             const std::optional<HttpTls>& tls, Clock::time_point deadline,
             std::string* error) {
  beast::error_code ec;
  connection.socket.connect(
      tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"),
                    static_cast<uint16_t>(port)),
      ec);
  if (ec) {
    *error = "connect: " + ec.message();
    return false;
  }
  if (!tls) return true;
  connection.context.emplace(ssl::context::tls_client);
  connection.context->load_verify_file(tls->ca_path, ec);
  if (ec) {
    *error = "CA file " + tls->ca_path + ": " + ec.message();
    return false;
  }
  connection.context->set_verify_mode(ssl::verify_peer);
  connection.tls.emplace(connection.socket, *connection.context);
  SSL_set_tlsext_host_name(connection.tls->native_handle(), tls->host.c_str());
  connection.tls->set_verify_callback(ssl::host_name_verification(tls->host));
  bool done = false;
  connection.tls->async_handshake(ssl::stream_base::client,
                                  [&](beast::error_code handshake) {
                                    ec = handshake;
                                    done = true;
                                  });
  connection.io.restart();
  connection.io.run_until(deadline);
  if (!done) {
    beast::error_code ignored;
    connection.socket.cancel(ignored);
    connection.io.restart();
    connection.io.run();
    *error = "TLS handshake: no answer in time";
    return false;
  }
  if (ec) {
    *error = "TLS handshake: " + ec.message();
    return false;
  }
  return true;
}

http::request<http::string_body> MakeRequest(const std::string& method,
                                             const std::string& target,
                                             const std::string& body,
                                             const HttpFields& fields) {
  http::request<http::string_body> request;
  request.method_string(method);
  request.target(target);
  request.version(11);
  request.set(http::field::host, "127.0.0.1");
  request.set(http::field::user_agent, "qcall-http-test");
  for (const auto& [name, value] : fields) request.set(name, value);
  if (!body.empty() || method == "POST") {
    request.body() = body;
    request.prepare_payload();
  }
  return request;
}

template <typename Body>
void CopyHead(const http::response<Body>& response, HttpFields* headers,
              std::string* content_type) {
  for (const auto& field : response) {
    headers->emplace_back(std::string(field.name_string()),
                          std::string(field.value()));
  }
  if (auto it = response.find(http::field::content_type);
      it != response.end()) {
    *content_type = std::string(it->value());
  }
}

}  // namespace

std::string HttpReply::Header(const std::string& name) const {
  for (const auto& [key, value] : headers) {
    if (SameName(key, name)) return value;
  }
  return "";
}

// ---------------------------------------------------------------------------
// HttpClient

struct HttpClient::Impl : Connection {
  beast::flat_buffer buffer;
  std::chrono::milliseconds deadline;
  std::string connect_error;
  bool connected = false;
};

HttpClient::HttpClient(int port, std::chrono::milliseconds deadline,
                       std::optional<HttpTls> tls)
    : impl_(std::make_unique<Impl>()) {
  impl_->deadline = deadline;
  impl_->connected = Connect(*impl_, port, tls, Clock::now() + deadline,
                             &impl_->connect_error);
}

HttpClient::~HttpClient() = default;

HttpReply HttpClient::Get(const std::string& target, const HttpFields& fields) {
  return Send("GET", target, "", fields);
}

HttpReply HttpClient::Post(const std::string& target, const std::string& body,
                           const std::string& token, const HttpFields& fields) {
  HttpFields all = {{"Content-Type", "application/json"}};
  if (!token.empty()) all.emplace_back("Authorization", "Bearer " + token);
  all.insert(all.end(), fields.begin(), fields.end());
  return Send("POST", target, body, all);
}

HttpReply HttpClient::Send(const std::string& method, const std::string& target,
                           const std::string& body, const HttpFields& fields) {
  HttpReply reply;
  if (!impl_->connected) {
    reply.error = impl_->connect_error;
    return reply;
  }
  const Clock::time_point deadline = Clock::now() + impl_->deadline;
  http::request<http::string_body> request =
      MakeRequest(method, target, body, fields);
  bool written = false;
  beast::error_code write_error;
  impl_->With([&](auto& stream) {
    http::async_write(stream, request, [&](beast::error_code ec, size_t) {
      write_error = ec;
      written = true;
    });
  });
  if (!RunUntil(impl_->io, impl_->socket, written, deadline)) {
    reply.error = "the request was not sent in time";
    return reply;
  }
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 << 20);
  bool read = false;
  beast::error_code read_error;
  impl_->With([&](auto& stream) {
    http::async_read(stream, impl_->buffer, parser,
                     [&](beast::error_code ec, size_t) {
                       read_error = ec;
                       read = true;
                     });
  });
  if (!RunUntil(impl_->io, impl_->socket, read, deadline)) {
    reply.error = "no answer in time";
    return reply;
  }
  if (read_error) {
    reply.error = "read: " + read_error.message();
    if (write_error) reply.error += "; write: " + write_error.message();
    return reply;
  }
  http::response<http::string_body> response = parser.release();
  reply.status = response.result_int();
  reply.keep_alive = response.keep_alive();
  CopyHead(response, &reply.headers, &reply.content_type);
  reply.body = std::move(response.body());
  return reply;
}

bool HttpClient::ClosedByServer(std::chrono::milliseconds wait) {
  if (!impl_->connected) return true;
  if (impl_->buffer.size() > 0) return false;  // The server sent more.
  std::array<char, 1> byte;
  bool done = false;
  beast::error_code error;
  size_t got = 0;
  impl_->With([&](auto& stream) {
    stream.async_read_some(asio::buffer(byte),
                           [&](beast::error_code ec, size_t n) {
                             error = ec;
                             got = n;
                             done = true;
                           });
  });
  if (!RunUntil(impl_->io, impl_->socket, done, Clock::now() + wait)) {
    return false;
  }
  return got == 0 && error;
}

// ---------------------------------------------------------------------------
// SseStream

struct SseStream::Impl : Connection {
  beast::flat_buffer buffer;
};

SseStream::SseStream(int port, const std::string& target,
                     const HttpFields& fields,
                     std::chrono::milliseconds deadline_after,
                     std::optional<HttpTls> tls)
    : impl_(std::make_unique<Impl>()) {
  const Clock::time_point deadline = Clock::now() + deadline_after;
  if (!Connect(*impl_, port, tls, deadline, &error_)) {
    ended_ = true;
    return;
  }
  http::request<http::string_body> request =
      MakeRequest("GET", target, "", fields);
  bool written = false;
  beast::error_code error;
  impl_->With([&](auto& stream) {
    http::async_write(stream, request, [&](beast::error_code ec, size_t) {
      error = ec;
      written = true;
    });
  });
  if (!RunUntil(impl_->io, impl_->socket, written, deadline) || error) {
    error_ = "the request was not sent: " + error.message();
    ended_ = true;
    return;
  }
  http::response_parser<http::string_body> parser;
  bool read = false;
  impl_->With([&](auto& stream) {
    http::async_read_header(stream, impl_->buffer, parser,
                            [&](beast::error_code ec, size_t) {
                              error = ec;
                              read = true;
                            });
  });
  if (!RunUntil(impl_->io, impl_->socket, read, deadline) || error) {
    error_ = "no answer: " + error.message();
    ended_ = true;
    return;
  }
  status_ = parser.get().result_int();
  HttpFields ignored;
  CopyHead(parser.get(), &ignored, &content_type_);
  if (status_ != 200) {
    // An ordinary answer with a length: read all of it.
    read = false;
    impl_->With([&](auto& stream) {
      http::async_read(stream, impl_->buffer, parser,
                       [&](beast::error_code ec, size_t) {
                         error = ec;
                         read = true;
                       });
    });
    if (!RunUntil(impl_->io, impl_->socket, read, deadline) || error) {
      error_ = "the answer's body did not come: " + error.message();
    }
    body_ = parser.get().body();
    ended_ = true;
    return;
  }
  // The stream's body runs until the server closes the connection: the
  // bytes after the head are read from the socket as they come.
  const auto rest = impl_->buffer.data();
  pending_.assign(static_cast<const char*>(rest.data()), rest.size());
  raw_ = pending_;
  impl_->buffer.consume(rest.size());
}

SseStream::~SseStream() = default;

bool SseStream::ReadMore(Clock::time_point deadline) {
  if (ended_) return false;
  std::array<char, 4096> bytes;
  bool done = false;
  beast::error_code error;
  size_t got = 0;
  impl_->With([&](auto& stream) {
    stream.async_read_some(asio::buffer(bytes),
                           [&](beast::error_code ec, size_t n) {
                             error = ec;
                             got = n;
                             done = true;
                           });
  });
  if (!RunUntil(impl_->io, impl_->socket, done, deadline)) return false;
  pending_.append(bytes.data(), got);
  raw_.append(bytes.data(), got);
  if (error) {
    ended_ = true;
    return got > 0;
  }
  return true;
}

bool SseStream::Next(SseMessage* message, std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  for (;;) {
    // One message per block; lines end in "\n" (qcalld never sends "\r").
    for (size_t end; (end = pending_.find("\n\n")) != std::string::npos;) {
      const std::string block = pending_.substr(0, end + 1);
      pending_.erase(0, end + 2);
      SseMessage parsed;
      parsed.event = "message";
      bool has_data = false;
      for (size_t at = 0; at < block.size();) {
        const size_t eol = block.find('\n', at);
        const std::string line = block.substr(at, eol - at);
        at = eol + 1;
        if (line.empty() || line[0] == ':') continue;
        const size_t colon = line.find(':');
        const std::string field = line.substr(0, colon);
        std::string value =
            colon == std::string::npos ? "" : line.substr(colon + 1);
        if (!value.empty() && value[0] == ' ') value.erase(0, 1);
        if (field == "id") {
          parsed.id = value;
        } else if (field == "event") {
          parsed.event = value;
        } else if (field == "data") {
          if (has_data) parsed.data += "\n";
          parsed.data += value;
          has_data = true;
        }
      }
      if (has_data) {
        *message = std::move(parsed);
        return true;
      }
    }
    if (!ReadMore(deadline)) return false;
  }
}

::testing::AssertionResult SseStream::EndsWithin(
    std::chrono::milliseconds timeout) {
  SseMessage message;
  if (Next(&message, timeout)) {
    return ::testing::AssertionFailure()
           << "another message came: event " << message.event << ", id "
           << message.id << ", data " << message.data;
  }
  if (!ended_) {
    return ::testing::AssertionFailure()
           << "the stream is still open after " << timeout.count() << " ms";
  }
  return ::testing::AssertionSuccess();
}

void SseStream::Close() {
  beast::error_code ignored;
  impl_->socket.shutdown(tcp::socket::shutdown_both, ignored);
  impl_->socket.close(ignored);
  ended_ = true;
}

}  // namespace qcall::testing
