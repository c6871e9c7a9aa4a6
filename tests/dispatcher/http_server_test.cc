// HttpServer's streams, through a plain socket: what Send queues reaches the
// peer whatever its size and whenever it is sent, EndStream ends the response
// after it, a peer that does not read is cut off when its queue is full or
// its write has waited past the stall timeout, and a
// connection over the limit is refused with 503, and running out of file
// descriptors does not stop the server accepting. Its defences against
// connections that send nothing or little: idle connections give way to new
// ones, one address gets at most its share, and a head that does not arrive
// in time closes the connection. A flood comes from 127.0.0.2 and up (also
// loopback on Linux), the good client from 127.0.0.1.
#include "dispatcher/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace qcall {
namespace {

using std::chrono::milliseconds;

// A server whose every request becomes an event stream, handed to the test.
class StreamingServer {
 public:
  explicit StreamingServer(HttpServer::Limits limits = {}) : server_(limits) {
    const absl::Status started =
        server_.Start("127.0.0.1:0", [this](std::shared_ptr<HttpExchange> x) {
          x->StartStream("text/event-stream", ": keep-alive\n\n");
          exchange_.set_value(std::move(x));
        });
    EXPECT_TRUE(started.ok()) << started;
  }
  int port() const { return server_.port(); }
  // The stream of the request the client sent.
  std::shared_ptr<HttpExchange> Exchange() {
    auto ready = exchange_.get_future();
    if (ready.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
      ADD_FAILURE() << "the request did not reach the handler";
      return nullptr;
    }
    return ready.get();
  }

 private:
  std::promise<std::shared_ptr<HttpExchange>> exchange_;
  HttpServer server_;
};

// A blocking client socket whose reads give up after a timeout.
class Client {
 public:
  // From `from` (an address of the loopback network) when set.
  explicit Client(int port, const char* from = nullptr)
      : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    if (from != nullptr) {
      sockaddr_in local{};
      local.sin_family = AF_INET;
      EXPECT_EQ(inet_pton(AF_INET, from, &local.sin_addr), 1);
      EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local),
                0);
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(
        connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  }
  ~Client() { close(fd_); }

  void Write(const std::string& bytes) {
    EXPECT_EQ(send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }
  // Sends without checking: the server may have closed the connection.
  bool TryWrite(const std::string& bytes) {
    return send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }
  // Whether the peer closed the connection within `wait` (what it sent
  // before is kept in `received`).
  bool ClosedWithin(milliseconds wait) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (!closed) {
      const auto left = std::chrono::duration_cast<milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd readable{fd_, POLLIN, 0};
      if (poll(&readable, 1, static_cast<int>(left.count())) != 1) continue;
      ReadSome();
    }
    return true;
  }
  // Reads until `received` contains `text`, the peer closes, or 5 s pass.
  bool ReadUntil(const std::string& text) {
    while (received.find(text) == std::string::npos) {
      if (!ReadSome()) return false;
    }
    return true;
  }
  // Reads until the peer closes; false when it did not within 5 s.
  bool ReadToEnd() {
    while (!closed) {
      if (!ReadSome() && !closed) return false;
    }
    return true;
  }

  std::string received;
  bool closed = false;

 private:
  bool ReadSome() {
    pollfd readable{fd_, POLLIN, 0};
    if (poll(&readable, 1, 5000) != 1) return false;
    char buffer[65536];
    const ssize_t n = read(fd_, buffer, sizeof buffer);
    if (n <= 0) {
      closed = true;
      return false;
    }
    received.append(buffer, static_cast<size_t>(n));
    return true;
  }

  int fd_;
};

constexpr char kRequest[] = "GET /events HTTP/1.1\r\nHost: test\r\n\r\n";

// The head of the stream's response goes out first; messages sent after it
// has gone, even ones shorter than the head, are delivered.
TEST(HttpServerStreamTest, SmallMessagesAfterTheHeadAreDelivered) {
  StreamingServer server;
  Client client(server.port());
  client.Write(kRequest);
  std::shared_ptr<HttpExchange> stream = server.Exchange();
  ASSERT_NE(stream, nullptr);
  ASSERT_TRUE(client.ReadUntil("\r\n\r\n")) << client.received;
  EXPECT_EQ(client.received.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  // Let the server's thread finish with the head's write.
  std::this_thread::sleep_for(milliseconds(100));
  EXPECT_TRUE(stream->Send("data: 1\n\n"));
  ASSERT_TRUE(client.ReadUntil("data: 1\n\n")) << client.received;
  std::this_thread::sleep_for(milliseconds(100));
  EXPECT_TRUE(stream->Send("data: 2\n\n"));
  stream->EndStream();
  ASSERT_TRUE(client.ReadToEnd());
  const std::string body =
      client.received.substr(client.received.find("\r\n\r\n") + 4);
  EXPECT_EQ(body, "data: 1\n\ndata: 2\n\n");
}

TEST(HttpServerStreamTest, EndStreamSendsEverythingQueuedFirst) {
  StreamingServer server({.stream_queue_bytes = 1 << 20});
  Client client(server.port());
  client.Write(kRequest);
  std::shared_ptr<HttpExchange> stream = server.Exchange();
  ASSERT_NE(stream, nullptr);
  std::string expected;
  for (int i = 0; i < 100; ++i) {
    std::string message =
        "data: " + std::to_string(i) + std::string(i * 50, 'x') + "\n\n";
    expected += message;
    ASSERT_TRUE(stream->Send(std::move(message))) << "message " << i;
  }
  stream->EndStream();
  ASSERT_TRUE(client.ReadToEnd());
  const std::string body =
      client.received.substr(client.received.find("\r\n\r\n") + 4);
  EXPECT_EQ(body.size(), expected.size());
  EXPECT_TRUE(body == expected);
}

TEST(HttpServerStreamTest, APeerThatDoesNotReadIsCutOff) {
  StreamingServer server;
  Client client(server.port());
  client.Write(kRequest);
  std::shared_ptr<HttpExchange> stream = server.Exchange();
  ASSERT_NE(stream, nullptr);
  auto closed = std::make_shared<std::promise<void>>();
  stream->OnStreamClosed([closed] { closed->set_value(); });
  // The client reads nothing: the socket buffers fill, then the queue.
  bool refused = false;
  for (int i = 0; i < 64 * 1024 && !refused; ++i) {
    refused = !stream->Send(std::string(1 << 10, 'x'));
  }
  EXPECT_TRUE(refused) << "64 MiB queued for a peer that reads nothing";
  EXPECT_EQ(closed->get_future().wait_for(std::chrono::seconds(5)),
            std::future_status::ready);
  EXPECT_FALSE(stream->Send("data: late\n\n"));
}

// A stream whose write waits past the stall timeout (the peer stopped
// reading) is closed even though its queue has room.
TEST(HttpServerStreamTest, AWriteStuckPastTheStallTimeoutClosesTheStream) {
  StreamingServer server({.stream_queue_bytes = 64 << 20,
                          .stream_stall_timeout = milliseconds(300)});
  Client client(server.port());
  client.Write(kRequest);
  std::shared_ptr<HttpExchange> stream = server.Exchange();
  ASSERT_NE(stream, nullptr);
  auto closed = std::make_shared<std::promise<void>>();
  stream->OnStreamClosed([closed] { closed->set_value(); });
  auto ended = closed->get_future();
  // A reader that reads now and then keeps the stream.
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(stream->Send("data: " + std::to_string(i) + "\n\n"));
    ASSERT_TRUE(client.ReadUntil("data: " + std::to_string(i) + "\n\n"));
    std::this_thread::sleep_for(milliseconds(100));
  }
  EXPECT_EQ(ended.wait_for(milliseconds(0)), std::future_status::timeout);
  // Then it stops: more than the socket buffers hold, far less than the
  // queue. The write that sticks starts during these sends (slow under a
  // sanitizer), so the timeout counts from before them.
  const auto stopped = std::chrono::steady_clock::now();
  for (int i = 0; i < 32; ++i) {
    ASSERT_TRUE(stream->Send(std::string(1 << 20, 'x'))) << i;
  }
  ASSERT_EQ(ended.wait_for(std::chrono::seconds(5)), std::future_status::ready)
      << "a stuck stream stays open";
  EXPECT_GE(std::chrono::steady_clock::now() - stopped, milliseconds(200));
  EXPECT_FALSE(stream->Send("data: late\n\n"));
}

constexpr char kGet[] = "GET / HTTP/1.1\r\nHost: test\r\n\r\n";
constexpr char kHold[] = "GET /hold HTTP/1.1\r\nHost: test\r\n\r\n";

// Answers every request "ok\n" but those to /hold, which it keeps
// unanswered (in flight) until Release.
class HoldingServer {
 public:
  explicit HoldingServer(HttpServer::Limits limits) : server_(limits) {
    const absl::Status started =
        server_.Start("127.0.0.1:0", [this](std::shared_ptr<HttpExchange> x) {
          if (x->request().target() == "/hold") {
            std::lock_guard lock(mu_);
            held_.push_back(std::move(x));
          } else {
            x->Respond(200, "text/plain", "ok\n");
          }
        });
    EXPECT_TRUE(started.ok()) << started;
  }
  int port() const { return server_.port(); }
  int open_connections() const { return server_.open_connections(); }
  // Waits until `n` requests are held.
  bool Holding(size_t n) {
    for (int i = 0; i < 500; ++i) {
      {
        std::lock_guard lock(mu_);
        if (held_.size() >= n) return true;
      }
      std::this_thread::sleep_for(milliseconds(10));
    }
    return false;
  }
  // Answers the oldest held request.
  void Release() {
    std::lock_guard lock(mu_);
    held_.front()->Respond(200, "text/plain", "ok\n");
    held_.erase(held_.begin());
  }

 private:
  HttpServer server_;
  // Destroyed first, while the server still runs.
  std::mutex mu_;
  std::vector<std::shared_ptr<HttpExchange>> held_;
};

// Waits until the server holds `n` connections.
template <typename Server>
bool Holds(const Server& server, int n) {
  for (int i = 0; i < 500; ++i) {
    if (server.open_connections() == n) return true;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return false;
}

TEST(HttpServerLimitTest, AConnectionOverTheLimitIsAnswered503AndClosed) {
  // Both slots have a request in flight, so neither can give way.
  HoldingServer server({.max_connections = 2});
  Client first(server.port());
  Client second(server.port());
  first.Write(kHold);
  second.Write(kHold);
  ASSERT_TRUE(server.Holding(2));
  EXPECT_EQ(server.open_connections(), 2);

  // A browser sends its request at once; the 503 must still arrive.
  Client third(server.port());
  third.Write(kGet);
  EXPECT_TRUE(third.ReadToEnd()) << "closed after the answer";
  EXPECT_EQ(third.received.rfind("HTTP/1.1 503 ", 0), 0u) << third.received;
  EXPECT_NE(third.received.find("Retry-After: 5"), std::string::npos);
  EXPECT_NE(third.received.find("at most 2 HTTP connections at once"),
            std::string::npos)
      << third.received;

  // One of the two is answered, so it is idle: a new connection is served
  // in its place.
  server.Release();
  ASSERT_TRUE(first.ReadUntil("ok\n"));
  Client fourth(server.port());
  fourth.Write(kGet);
  EXPECT_TRUE(fourth.ReadUntil("ok\n")) << fourth.received;
  EXPECT_TRUE(first.ClosedWithin(milliseconds(2000)))
      << "the idle one made room";
  EXPECT_FALSE(second.ClosedWithin(milliseconds(100))) << "in flight";
}

// Connections that send nothing, from many addresses, fill every slot; each
// new connection takes the place of the one idle longest, so a real client
// is served and the flood only churns.
TEST(HttpServerLimitTest, IdleConnectionsGiveWayToNewOnes) {
  HoldingServer server({.max_connections = 8});
  std::vector<std::unique_ptr<Client>> flood;
  for (int i = 0; i < 16; ++i) {
    const std::string from = "127.0.0." + std::to_string(2 + i % 4);
    flood.push_back(std::make_unique<Client>(server.port(), from.c_str()));
  }
  ASSERT_TRUE(Holds(server, 8));
  for (int round = 0; round < 3; ++round) {
    Client good(server.port(), "127.0.0.1");
    good.Write(kGet);
    EXPECT_TRUE(good.ReadUntil("ok\n")) << good.received;
  }
  // The first eight were closed for the next eight, without an answer.
  for (int i = 0; i < 8; ++i) {
    EXPECT_TRUE(flood[i]->ClosedWithin(milliseconds(2000))) << i;
    EXPECT_EQ(flood[i]->received, "") << i;
  }
  EXPECT_LE(server.open_connections(), 9);
}

// One address gets at most max_per_client connections; others are served.
TEST(HttpServerLimitTest, OneAddressGetsAtMostItsShare) {
  HoldingServer server({.max_connections = 100, .max_per_client = 4});
  std::vector<std::unique_ptr<Client>> flood;
  for (int i = 0; i < 4; ++i) {
    flood.push_back(std::make_unique<Client>(server.port(), "127.0.0.2"));
  }
  ASSERT_TRUE(Holds(server, 4));
  Client over(server.port(), "127.0.0.2");
  over.Write(kGet);
  EXPECT_TRUE(over.ReadToEnd());
  EXPECT_EQ(over.received.rfind("HTTP/1.1 503 ", 0), 0u) << over.received;
  EXPECT_NE(over.received.find("Retry-After: 5"), std::string::npos);
  EXPECT_NE(over.received.find("at most 4 HTTP connections from one address"),
            std::string::npos)
      << over.received;

  Client good(server.port(), "127.0.0.1");
  good.Write(kGet);
  EXPECT_TRUE(good.ReadUntil("ok\n")) << good.received;

  // When one of its connections goes, the address may open another.
  flood.pop_back();
  ASSERT_TRUE(Holds(server, 4));  // Three of the flood and the good one.
  Client again(server.port(), "127.0.0.2");
  again.Write(kGet);
  EXPECT_TRUE(again.ReadUntil("ok\n")) << again.received;
}

// A head that trickles in a byte every 200 ms is cut at the head deadline,
// however long the client would go on.
TEST(HttpServerTimeoutTest, ASlowHeadIsCutAtTheDeadline) {
  HoldingServer server({.head_timeout = milliseconds(1000)});
  Client slow(server.port());
  const std::string head =
      "GET / HTTP/1.1\r\nHost: test\r\nX-Padding: "
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
  const auto start = std::chrono::steady_clock::now();
  size_t sent = 0;
  while (sent < head.size() && !slow.ClosedWithin(milliseconds(200))) {
    if (!slow.TryWrite(head.substr(sent++, 1))) break;
  }
  EXPECT_TRUE(slow.ClosedWithin(milliseconds(2000)));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(sent, head.size()) << "closed before the head was complete";
  EXPECT_GE(took, milliseconds(900));
  EXPECT_LT(took, milliseconds(2500));
  EXPECT_EQ(slow.received, "") << "closed without an answer";
}

// Between requests a keep-alive connection waits the head deadline for the
// next one (and says so), then it is closed.
TEST(HttpServerTimeoutTest, AnIdleKeepAliveConnectionIsClosedAtTheDeadline) {
  HoldingServer server({.head_timeout = milliseconds(1000)});
  Client client(server.port());
  client.Write(kGet);
  ASSERT_TRUE(client.ReadUntil("ok\n"));
  EXPECT_NE(client.received.find("Keep-Alive: timeout=1\r\n"),
            std::string::npos)
      << client.received;
  const auto answered = std::chrono::steady_clock::now();
  // A second request in time is served on the same connection.
  std::this_thread::sleep_for(milliseconds(500));
  client.received.clear();
  client.Write(kGet);
  ASSERT_TRUE(client.ReadUntil("ok\n"));
  EXPECT_FALSE(client.ClosedWithin(milliseconds(700)))
      << "the deadline starts again after each answer";
  EXPECT_TRUE(client.ClosedWithin(milliseconds(2000)));
  EXPECT_GE(std::chrono::steady_clock::now() - answered, milliseconds(1400));
  EXPECT_TRUE(Holds(server, 0));
}

// A flood of connections can take every file descriptor the process may
// open, and accepting then fails. Once they close, the server accepts again.
TEST(HttpServerLimitTest, RunningOutOfFileDescriptorsDoesNotStopAccepting) {
  HttpServer server(/*max_connections=*/1000);
  ASSERT_TRUE(server
                  .Start("127.0.0.1:0",
                         [](std::shared_ptr<HttpExchange> x) {
                           x->Respond(200, "text/plain", "ok\n");
                         })
                  .ok());
  rlimit before{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &before), 0);
  const auto open_now = static_cast<rlim_t>(
      std::distance(std::filesystem::directory_iterator("/proc/self/fd"),
                    std::filesystem::directory_iterator()));
  rlimit tight = before;
  tight.rlim_cur = open_now + 16;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &tight), 0);

  // Connect until no descriptor is left; the server's accepts, which need one
  // too, fail meanwhile.
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(server.port()));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::vector<int> flood;
  while (flood.size() < 64) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) break;
    flood.push_back(fd);
    connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  }
  ASSERT_LT(flood.size(), 64u) << "the descriptor limit was never reached";
  std::this_thread::sleep_for(milliseconds(300));  // Accepts fail now.
  for (int fd : flood) close(fd);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &before), 0);

  Client after(server.port());
  after.Write("GET / HTTP/1.1\r\nHost: test\r\n\r\n");
  EXPECT_TRUE(after.ReadUntil("ok\n")) << after.received;
}

}  // namespace
}  // namespace qcall
