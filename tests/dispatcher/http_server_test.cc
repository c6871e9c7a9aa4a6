// HttpServer's streams, through a plain socket: what Send queues reaches the
// peer whatever its size and whenever it is sent, EndStream ends the response
// after it, a peer that does not read is cut off at 1 MiB queued, and a
// connection over the limit is refused with 503, and running out of file
// descriptors does not stop the server accepting.
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
  StreamingServer() {
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
  explicit Client(int port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(
        connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  }
  ~Client() { close(fd_); }

  void Write(const std::string& bytes) {
    EXPECT_EQ(write(fd_, bytes.data(), bytes.size()),
              static_cast<ssize_t>(bytes.size()));
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
  StreamingServer server;
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
  for (int i = 0; i < 1000 && !refused; ++i) {
    refused = !stream->Send(std::string(64 << 10, 'x'));
  }
  EXPECT_TRUE(refused) << "64 MiB queued for a peer that reads nothing";
  EXPECT_EQ(closed->get_future().wait_for(std::chrono::seconds(5)),
            std::future_status::ready);
  EXPECT_FALSE(stream->Send("data: late\n\n"));
}

TEST(HttpServerLimitTest, AConnectionOverTheLimitIsAnswered503AndClosed) {
  HttpServer server(/*max_connections=*/2);
  ASSERT_TRUE(server
                  .Start("127.0.0.1:0",
                         [](std::shared_ptr<HttpExchange> x) {
                           x->Respond(200, "text/plain", "ok\n");
                         })
                  .ok());
  auto held = std::make_unique<Client>(server.port());
  Client second(server.port());
  // Both are served (and so counted) before the third comes.
  held->Write("GET / HTTP/1.1\r\nHost: test\r\n\r\n");
  ASSERT_TRUE(held->ReadUntil("ok\n"));
  second.Write("GET / HTTP/1.1\r\nHost: test\r\n\r\n");
  ASSERT_TRUE(second.ReadUntil("ok\n"));
  EXPECT_EQ(server.open_connections(), 2);

  // A browser sends its request at once; the 503 must still arrive.
  Client third(server.port());
  third.Write("GET / HTTP/1.1\r\nHost: test\r\n\r\n");
  EXPECT_TRUE(third.ReadToEnd()) << "closed after the answer";
  EXPECT_EQ(third.received.rfind("HTTP/1.1 503 ", 0), 0u) << third.received;
  EXPECT_NE(third.received.find("Retry-After: 5"), std::string::npos);

  // One of the two goes: a new connection is served again.
  held.reset();
  for (int i = 0; i < 500 && server.open_connections() > 1; ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  Client fourth(server.port());
  fourth.Write("GET / HTTP/1.1\r\nHost: test\r\n\r\n");
  EXPECT_TRUE(fourth.ReadUntil("ok\n")) << fourth.received;
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
