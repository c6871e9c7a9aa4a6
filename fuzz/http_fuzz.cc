// libFuzzer target: raw bytes sent to qcalld's HTTP side. One QcallServer
// (the demo halls and tokens, a journal on tmpfs) runs in the fuzzer's
// process for the whole run; each input is written to a new loopback
// connection, the write side is shut, and the answer is read until the
// server closes or is silent for 200 ms (an event stream). So every byte goes
// through the request parser and connection handling (http_server.cc), the
// routing, JSON and SSE of http_gateway.cc, the gRPC services and the engine,
// with the process's sanitizers watching every thread.
//
// There is no socket-free seam: the parser runs inside the connection that
// owns the socket, and the gateway answers through that connection; so the
// sockets stay and the target measures the real path.
//
//   scripts/fuzz http 600
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "absl/status/statusor.h"
#include "dispatcher/server.h"
#include "fuzz/quiet_log.h"
#include "spdlog/spdlog.h"

namespace qcall {
namespace {

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "http_fuzz: %s\n", what.c_str());
  std::abort();
}

int http_port = 0;
// The server runs until the process ends.
QcallServer* server_for_run = nullptr;

void StartServer() {
  spdlog::set_level(spdlog::level::off);
  std::ifstream file(QCALL_SOURCE_DIR "/demo/halls.textproto");
  std::stringstream text;
  text << file.rdbuf();
  absl::StatusOr<v1::ServerConfig> config =
      ParseServerConfig(text.str(), "demo/halls.textproto");
  if (!config.ok()) Fail(config.status().ToString());
  char dir[] = "/dev/shm/qcall-http-fuzz-XXXXXX";
  if (mkdtemp(dir) == nullptr) Fail("mkdtemp in /dev/shm");
  ServerOptions options;
  options.store = std::string("sqlite:") + dir + "/journal.sqlite";
  if (absl::Status made =
          OpenJournalStore(options.store, {.create = true}).status();
      !made.ok()) {
    Fail(made.ToString());
  }
  options.listen = "127.0.0.1:0";
  options.http_listen = "127.0.0.1:0";
  options.web_root = QCALL_SOURCE_DIR "/clients/web";
  options.kiosk_issues_per_minute = 0;
  absl::StatusOr<std::unique_ptr<QcallServer>> server =
      QcallServer::Start(*config, options);
  if (!server.ok()) Fail(server.status().ToString());
  http_port = (*server)->http_port();
  server_for_run = server->release();
}

void Exchange(const uint8_t* data, size_t size) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) Fail("socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(http_port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    // A signal (the speech cache's espeak-ng ending: SIGCHLD) may cut the
    // wait short; the connection then completes on its own.
    int error = errno;
    if (error == EINTR) {
      pollfd w{.fd = fd, .events = POLLOUT, .revents = 0};
      while (poll(&w, 1, 1000) < 0 && errno == EINTR) {
      }
      socklen_t length = sizeof error;
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
    }
    if (error != 0) Fail(std::string("connect: ") + std::strerror(error));
  }
  // Closed with a reset, so the thousands of connections a second leave no
  // TIME_WAIT behind to use up the loopback's ports.
  const linger reset{.l_onoff = 1, .l_linger = 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  size_t sent = 0;
  while (sent < size) {
    const ssize_t n = send(fd, data + sent, size - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // The server closed early (a bad head).
    sent += static_cast<size_t>(n);
  }
  shutdown(fd, SHUT_WR);
  char buffer[65536];
  pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
  while (poll(&p, 1, 200) > 0) {
    if (recv(fd, buffer, sizeof buffer, 0) <= 0) break;
  }
  close(fd);
}

}  // namespace
}  // namespace qcall

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  qcall::fuzz::QuietProtobufLog();
  qcall::StartServer();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  qcall::Exchange(data, size);
  return 0;
}
