// The qcall binary against a real qcalld: every test starts a server
// (QcalldProcess) and runs `qcall` as a child process, checking what it
// prints and how it exits, as a script would.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "dispatcher/token_hash.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/common/elsewhere_node.h"
#include "tests/integration/harness.h"
#include "tests/integration/qcalld_process.h"
#include "tests/integration/test_certificates.h"

#ifndef QCALL_PATH
#error "QCALL_PATH must name the qcall binary"
#endif

extern char** environ;

namespace qcall::testing {
namespace {

using ::testing::AllOf;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using Env = std::map<std::string, std::string>;
using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

// ---------------------------------------------------------------------------
// Running qcall

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

// A qcall child process with its stdout and stderr in files. The child
// gets SIGKILL if the test's thread ends first (no qcall board outlives a
// crashed test).
class QcallProcess {
 public:
  // `env` is added to this process's environment without its QCALL_*
  // variables, so the developer's own settings never leak into a test.
  // `input` is its stdin (else this process's).
  QcallProcess(const std::string& dir, std::vector<std::string> args,
               const Env& env = {},
               const std::optional<std::string>& input = std::nullopt) {
    static std::atomic<int> next = 0;
    const std::string name = dir + "/qcall-" + std::to_string(next++);
    out_path_ = name + ".out";
    err_path_ = name + ".err";
    if (input) std::ofstream(name + ".in") << *input;
    std::vector<std::string> argv_text = {QCALL_PATH};
    argv_text.insert(argv_text.end(), args.begin(), args.end());
    std::vector<std::string> env_text;
    for (char** e = environ; *e != nullptr; ++e) {
      if (!absl::StartsWith(*e, "QCALL_")) env_text.push_back(*e);
    }
    for (const auto& [key, value] : env) env_text.push_back(key + "=" + value);
    // Everything the child needs exists before fork: only async-signal-safe
    // calls between fork and exec.
    std::vector<char*> argv, envp;
    for (std::string& a : argv_text) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (std::string& e : env_text) envp.push_back(e.data());
    envp.push_back(nullptr);
    const int out =
        open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    const int err =
        open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    const int in =
        input ? open((name + ".in").c_str(), O_RDONLY | O_CLOEXEC) : -1;
    const pid_t parent = getpid();
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(126);
      dup2(out, STDOUT_FILENO);
      dup2(err, STDERR_FILENO);
      if (in >= 0) dup2(in, STDIN_FILENO);
      execve(argv[0], argv.data(), envp.data());
      _exit(127);
    }
    close(out);
    close(err);
    if (in >= 0) close(in);
  }
  ~QcallProcess() {
    if (pid_ > 0) Signal(SIGKILL);
  }

  std::string out() const { return ReadFile(out_path_); }
  std::string err() const { return ReadFile(err_path_); }

  // Waits for the exit; its code, or 128 + signal, or -1 on timeout (the
  // child is then killed).
  int Wait(steady_clock::duration timeout = seconds(30)) {
    const auto deadline = steady_clock::now() + timeout;
    int status = 0;
    while (waitpid(pid_, &status, WNOHANG) != pid_) {
      if (steady_clock::now() > deadline) {
        Signal(SIGKILL);
        return -1;
      }
      std::this_thread::sleep_for(milliseconds(5));
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  int Signal(int signal) {
    kill(pid_, signal);
    return Wait();
  }

  // Waits until stdout holds `text` (or `count` of them).
  ::testing::AssertionResult WaitForOutput(const std::string& text,
                                           int count = 1) const {
    const auto deadline = steady_clock::now() + seconds(20);
    while (steady_clock::now() < deadline) {
      const std::string o = out();
      int found = 0;
      for (size_t at = o.find(text); at != std::string::npos;
           at = o.find(text, at + 1)) {
        ++found;
      }
      if (found >= count) return ::testing::AssertionSuccess();
      std::this_thread::sleep_for(milliseconds(10));
    }
    return ::testing::AssertionFailure()
           << "no '" << text << "' in qcall's output within 20 s:\n"
           << out() << "\nstderr:\n"
           << err();
  }

 private:
  pid_t pid_ = -1;
  std::string out_path_;
  std::string err_path_;
};

struct Ran {
  int code;
  std::string out;
  std::string err;
};

std::ostream& operator<<(std::ostream& os, const Ran& r) {
  return os << "exit " << r.code << "\nstdout:\n"
            << r.out << "stderr:\n"
            << r.err;
}

// A TCP port on which nothing listens.
int ClosedPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

// A listening socket that never accepts: connections are made by the
// kernel but nothing ever answers.
class SilentServer {
 public:
  SilentServer() : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    listen(fd_, 16);
    socklen_t length = sizeof address;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ~SilentServer() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_;
  int port_ = 0;
};

// A TCP relay from a port of its own to qcalld's, so that a test can cut
// every connection (as a network failure would) and point the same address
// at a restarted qcalld, which listens on a new port.
class TcpRelay {
 public:
  explicit TcpRelay(int target_port) : target_port_(target_port) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    listen(listener_, 64);
    socklen_t length = sizeof address;
    getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { Accept(); });
  }
  ~TcpRelay() {
    stop_ = true;
    acceptor_.join();
    Cut();
    for (std::thread& pump : pumps_) pump.join();
    close(listener_);
  }

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  void SetTarget(int port) { target_port_ = port; }
  // Closes every relayed connection; new ones are refused while `refuse`.
  void Cut(bool refuse = false) {
    refuse_ = refuse;
    std::lock_guard lock(mu_);
    for (int fd : open_) shutdown(fd, SHUT_RDWR);
  }
  void Accept(bool accept) { refuse_ = !accept; }

 private:
  void Accept() {
    while (!stop_) {
      pollfd ready{.fd = listener_, .events = POLLIN, .revents = 0};
      if (poll(&ready, 1, 20) <= 0) continue;
      const int client = accept(listener_, nullptr, nullptr);
      if (client < 0) continue;
      if (refuse_) {
        close(client);
        continue;
      }
      const int server = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      address.sin_port = htons(static_cast<uint16_t>(target_port_.load()));
      if (connect(server, reinterpret_cast<sockaddr*>(&address),
                  sizeof address) != 0) {
        close(server);
        close(client);
        continue;
      }
      std::lock_guard lock(mu_);
      open_.insert(client);
      open_.insert(server);
      pumps_.emplace_back([this, client, server] { Pump(client, server); });
    }
  }

  void Pump(int a, int b) {
    char buffer[16384];
    pollfd fds[2] = {{.fd = a, .events = POLLIN, .revents = 0},
                     {.fd = b, .events = POLLIN, .revents = 0}};
    bool open = true;
    while (open && poll(fds, 2, -1) > 0) {
      for (int i = 0; i < 2 && open; ++i) {
        if (fds[i].revents == 0) continue;
        const ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
        // MSG_NOSIGNAL: after a Cut the other side may be shut down, and a
        // plain write would kill the test with SIGPIPE.
        open = n > 0 && send(fds[1 - i].fd, buffer, static_cast<size_t>(n),
                             MSG_NOSIGNAL) == n;
      }
    }
    std::lock_guard lock(mu_);
    open_.erase(a);
    open_.erase(b);
    close(a);
    close(b);
  }

  std::atomic<int> target_port_;
  std::atomic<bool> refuse_ = false;
  std::atomic<bool> stop_ = false;
  int listener_ = -1;
  int port_ = 0;
  std::thread acceptor_;
  std::mutex mu_;
  std::set<int> open_;
  std::vector<std::thread> pumps_;
};

// ---------------------------------------------------------------------------
// The fixture

class CliTest : public ::testing::Test {
 protected:
  // The hall has the customer's pad at window 1 (kPad1Token).
  explicit CliTest(int min_open_windows = 0)
      : CliTest(QcalldOptions{.config_text =
                                  TestConfig(min_open_windows) +
                                  "\ntokens { token: \"it-pad1-token\" role: "
                                  "ROLE_EVALUATOR name: \"pad 1\" halls: "
                                  "[\"it-hall\"] windows: [1] }\n"}) {}
  explicit CliTest(QcalldOptions options) : server_(std::move(options)) {}

  void SetUp() override {
    ASSERT_TRUE(server_.Start());
    api_ = std::make_unique<Api>(server_.NewChannel());
  }

  // The global options for `token` on this server's it-hall.
  std::vector<std::string> As(const std::string& token,
                              std::vector<std::string> args) const {
    std::vector<std::string> all = {"--server", server_.address(), "--hall",
                                    kHall,      "--token",         token};
    all.insert(all.end(), args.begin(), args.end());
    return all;
  }

  Ran Run(std::vector<std::string> args, const Env& env = {},
          const std::optional<std::string>& input = std::nullopt) const {
    QcallProcess qcall(server_.dir(), std::move(args), env, input);
    const int code = qcall.Wait();
    return {code, qcall.out(), qcall.err()};
  }
  Ran Kiosk(std::vector<std::string> args) const {
    return Run(As(kKioskToken, std::move(args)));
  }
  Ran Counter(std::vector<std::string> args) const {
    std::vector<std::string> all = {"counter"};
    all.insert(all.end(), args.begin(), args.end());
    return Run(As(kCounterToken, std::move(all)));
  }
  Ran Supervisor(std::vector<std::string> args) const {
    return Run(As(kSupervisorToken, std::move(args)));
  }
  std::unique_ptr<QcallProcess> Start(std::vector<std::string> args) const {
    return std::make_unique<QcallProcess>(server_.dir(), std::move(args));
  }

  QcalldProcess server_;
  std::unique_ptr<Api> api_;
};

// One line on stderr, starting "qcall: ".
MATCHER(IsOneErrorLine, "") {
  return absl::StartsWith(arg, "qcall: ") && absl::EndsWith(arg, "\n") &&
         arg.find('\n') == arg.size() - 1;
}

template <typename Message>
::testing::AssertionResult ParsesAs(const std::string& json, Message* message) {
  const auto status =
      google::protobuf::util::JsonStringToMessage(json, message);
  if (status.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "not a " << Message::descriptor()->name() << ": " << json << " ("
         << status.ToString() << ")";
}

// ---------------------------------------------------------------------------
// Kiosk and tickets

// RFC 4180 fields of CSV text (quotes, doubled quotes, CRLF lines).
std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().push_back(field);
      field.clear();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      rows.back().push_back(field);
      field.clear();
      rows.emplace_back();
      ++i;
    } else {
      field += c;
    }
  }
  if (!field.empty()) rows.back().push_back(field);
  if (rows.back().empty()) rows.pop_back();
  return rows;
}

TEST_F(CliTest, ReportDayAsCsvParsesBack) {
  ASSERT_OK(api_->Open(1, "alice"));
  ASSERT_OK(api_->Issue("BILL"));
  ASSERT_OK(api_->Issue("BILL"));
  ASSERT_OK(api_->Issue("SIM"));
  ASSERT_OK(api_->CallNext(1));
  ASSERT_OK(api_->StartServing(1));
  auto done = api_->Complete(1);
  ASSERT_OK(done);
  // The customer rates at the pad: 5, very satisfied.
  v1::RateTicketRequest rate;
  rate.set_hall_id(kHall);
  rate.set_window(1);
  rate.set_ticket(done->ticket().number());
  rate.set_level(5);
  auto evaluator = v1::Evaluator::NewStub(server_.NewChannel());
  ASSERT_OK(api_->Call(evaluator.get(), &v1::Evaluator::Stub::RateTicket,
                       "it-pad1-token", rate));
  auto hall = api_->GetHall();
  ASSERT_OK(hall);
  const int32_t day = hall->business_day();
  const std::string date = absl::StrFormat("%04d-%02d-%02d", day / 10000,
                                           day / 100 % 100, day % 100);
  const Ran r = Supervisor({"report", "day", date, "--csv"});
  ASSERT_EQ(r.code, 0) << r;
  ASSERT_TRUE(absl::StartsWith(r.out, "\xEF\xBB\xBF")) << "a BOM first";
  const auto rows = ParseCsv(r.out.substr(3));
  ASSERT_GE(rows.size(), 4u) << r.out;
  const std::vector<std::string>& header = rows[0];
  ASSERT_EQ(header[0], "section");
  auto column = [&](const std::string& name) {
    for (size_t i = 0; i < header.size(); ++i) {
      if (header[i] == name) return i;
    }
    ADD_FAILURE() << "no column " << name;
    return size_t{0};
  };
  std::map<std::string, std::vector<std::string>> by_key;
  for (const auto& row : rows) {
    if (row.size() == header.size() && row[0] != "section") {
      by_key[row[0] + "/" + row[1]] = row;
    }
  }
  ASSERT_TRUE(by_key.contains("service/BILL")) << r.out;
  EXPECT_EQ(by_key["service/BILL"][column("issued")], "2");
  EXPECT_EQ(by_key["service/BILL"][column("completed")], "1");
  EXPECT_THAT(by_key["service/BILL"][column("name")], HasSubstr("话费缴纳"));
  EXPECT_EQ(by_key["service/SIM"][column("issued")], "1");
  bool total = false;
  for (const auto& [key, row] : by_key) {
    if (!absl::StartsWith(key, "total/")) continue;
    total = true;
    EXPECT_EQ(row[column("issued")], "3");
    EXPECT_EQ(row[column("rated")], "1");
    EXPECT_EQ(row[column("satisfaction_rate")], "1.000");
  }
  EXPECT_TRUE(total) << r.out;
  // The clerks' table after a blank line.
  bool alice = false;
  for (const auto& row : rows) {
    if (row.size() > 3 && row[1] == "alice") {
      alice = true;
      EXPECT_EQ(row[2], "1");
      EXPECT_EQ(row[3], "1") << "served";
    }
  }
  EXPECT_TRUE(alice) << r.out;
  // The complaint cases and follow-ups, then the hot spots, each after a
  // blank line.
  std::map<std::string, std::vector<std::string>> cases;
  for (const auto& row : rows) {
    if (row.size() == 7) cases[row[0]] = row;
  }
  ASSERT_TRUE(cases.contains("cases")) << r.out;
  EXPECT_EQ(
      cases["complaints"],
      (std::vector<std::string>{"complaints", "0", "0", "0", "0", "", "0"}));
  EXPECT_EQ(cases["follow_ups"], (std::vector<std::string>{
                                     "follow_ups", "0", "", "", "", "0", "0"}));
  bool demand = false;
  for (const auto& row : rows) {
    if (row.size() == 4 && row[0] == "demand" && row[1] == "BILL") {
      demand = true;
      EXPECT_EQ(row[3], "2.000");
    }
  }
  EXPECT_TRUE(demand) << r.out;

  const Ran json = Supervisor({"--json", "report", "day", date});
  ASSERT_EQ(json.code, 0) << json;
  v1::Report report;
  ASSERT_TRUE(ParsesAs(json.out, &report));
  EXPECT_EQ(report.total().issued(), 3);
}

TEST_F(CliTest, ReportOfAPeriodThatDoesNotExistSaysWhy) {
  Ran r = Supervisor({"report", "period", "2026-12", "4"});
  EXPECT_EQ(r.code, 4) << r;
  EXPECT_THAT(r.err, AllOf(IsOneErrorLine(), HasSubstr("10-day period 4")));
  r = Supervisor({"report", "day", "2026-12"});
  EXPECT_EQ(r.code, 2) << r;
  EXPECT_THAT(r.err, AllOf(IsOneErrorLine(), HasSubstr("YYYY-MM-DD")));
  r = Run(As(kKioskToken, {"report", "month", "2026-12"}));
  EXPECT_EQ(r.code, 6) << r;
}

TEST_F(CliTest, IssuePrintsTheNumberAndTheWait) {
  const Ran r = Kiosk({"kiosk", "issue", "BILL"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_THAT(r.out,
              ContainsRegex("^A0001  话费缴纳 Bill payment  nobody ahead, "
                            "about [0-9]+ min\n$"));
  EXPECT_EQ(r.err, "");
  const Ran second = Kiosk({"kiosk", "issue", "BILL"});
  EXPECT_THAT(second.out, StartsWith("A0002  话费缴纳 Bill payment  1 ahead"));
}

TEST_F(CliTest, IssueWithCategoryStatusPageAndAppointment) {
  Ran r = Kiosk({"kiosk", "issue", "SIM", "--category", "VIP", "--status-base",
                 "http://hall.example:8080"});
  ASSERT_EQ(r.code, 0) << r;
  const std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 2u) << r.out;
  EXPECT_THAT(lines[0], StartsWith("B0001  新卡办理 New SIM (vip)  nobody "
                                   "ahead, about "));
  EXPECT_EQ(lines[1], "http://hall.example:8080/t/it-hall/B0001");

  const int64_t slot = std::time(nullptr) + 300;
  r = Kiosk({"--json", "kiosk", "issue", "BILL", "--appointment",
             std::to_string(slot)});
  ASSERT_EQ(r.code, 0) << r;
  v1::CommandReply reply;
  ASSERT_TRUE(ParsesAs(r.out, &reply));
  EXPECT_EQ(reply.ticket().category(), v1::CATEGORY_APPOINTMENT);
  EXPECT_EQ(reply.ticket().appointment_unix_seconds(), slot);

  r = Kiosk({"kiosk", "issue", "BILL", "--appointment", "soon"});
  EXPECT_EQ(r.code, 2) << r;
  EXPECT_THAT(r.err, IsOneErrorLine());
  r = Kiosk({"kiosk", "issue", "BILL", "--category", "gold"});
  EXPECT_EQ(r.code, 2) << r;
  EXPECT_THAT(r.err, IsOneErrorLine());
}

TEST_F(CliTest, IssueWritesTheTicketAsEscPos) {
  const std::string file = server_.dir() + "/ticket.bin";
  const Ran r = Kiosk({"kiosk", "issue", "BILL", "--escpos", file,
                       "--status-base", "http://hall.example:8080"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_THAT(r.out, StartsWith("A0001  "));
  const std::string bytes = ReadFile(file);
  EXPECT_THAT(bytes, StartsWith("\x1b@"));  // ESC @: reset the printer.
  EXPECT_THAT(bytes, HasSubstr("A0001"));
  // The status page, in the QR code.
  EXPECT_THAT(bytes, HasSubstr("http://hall.example:8080/t/it-hall/A0001"));
  // The hall's name from ListServices, all ASCII in this hall.
  EXPECT_THAT(bytes, HasSubstr("Integration Hall"));
}

// 取号时间 is the hall's local time, not the zone the kiosk machine is set to
// (UTC+14 here, which no test hall has).
TEST_F(CliTest, TheEscPosTicketPrintsTheHallsTime) {
  Ran r = Kiosk({"--json", "kiosk", "services"});
  ASSERT_EQ(r.code, 0) << r;
  v1::ListServicesResponse services;
  ASSERT_TRUE(ParsesAs(r.out, &services));
  absl::TimeZone hall_zone;
  ASSERT_TRUE(absl::LoadTimeZone(services.time_zone(), &hall_zone))
      << services.time_zone();
  const std::string file = server_.dir() + "/zoned.bin";
  r = Run(
      As(kKioskToken, {"--json", "kiosk", "issue", "BILL", "--escpos", file}),
      {{"TZ", "Etc/GMT-14"}});
  ASSERT_EQ(r.code, 0) << r;
  v1::CommandReply reply;
  ASSERT_TRUE(ParsesAs(r.out, &reply));
  const absl::Time issued =
      absl::FromUnixMillis(reply.ticket().issued_at_unix_ms());
  const std::string bytes = ReadFile(file);
  EXPECT_THAT(bytes,
              HasSubstr(absl::FormatTime("%Y-%m-%d %H:%M", issued, hall_zone)));
  EXPECT_THAT(bytes,
              Not(HasSubstr(absl::FormatTime("%Y-%m-%d %H:%M", issued,
                                             absl::FixedTimeZone(14 * 3600)))));
}

TEST_F(CliTest, UnwritablePrinterStillShowsTheIssuedNumber) {
  const Ran r = Kiosk(
      {"kiosk", "issue", "BILL", "--print", server_.dir() + "/no/such/lp0"});
  EXPECT_EQ(r.code, 1) << r;
  EXPECT_THAT(r.out, StartsWith("A0001  "));
  EXPECT_THAT(r.err, AllOf(IsOneErrorLine(), HasSubstr("/no/such/lp0")));
}

TEST_F(CliTest, JsonRepliesParseAsTheirMessages) {
  Ran r = Kiosk({"--json", "kiosk", "issue", "SIM"});
  ASSERT_EQ(r.code, 0) << r;
  ASSERT_EQ(Lines(r.out).size(), 1u) << r.out;
  v1::CommandReply reply;
  ASSERT_TRUE(ParsesAs(r.out, &reply));
  EXPECT_EQ(reply.ticket().number(), "B0001");
  EXPECT_EQ(reply.ticket().state(), v1::TICKET_STATE_WAITING);

  // Global options may also follow the subcommand.
  r = Kiosk({"kiosk", "services", "--json"});
  ASSERT_EQ(r.code, 0) << r;
  v1::ListServicesResponse services;
  ASSERT_TRUE(ParsesAs(r.out, &services));
  EXPECT_EQ(services.hall_name(), "Integration Hall");
  ASSERT_EQ(services.services_size(), 3);
  EXPECT_EQ(services.services(1).waiting(), 1);
}

TEST_F(CliTest, ServicesShowWaitingPeoplePerService) {
  ASSERT_OK(api_->Issue("SIM"));
  ASSERT_OK(api_->Issue("SIM"));
  const Ran r = Kiosk({"kiosk", "services"});
  ASSERT_EQ(r.code, 0) << r;
  const std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 4u) << r.out;
  EXPECT_EQ(lines[0], "Integration Hall");
  EXPECT_THAT(lines[2], AllOf(StartsWith("SIM"), HasSubstr("新卡办理 New SIM"),
                              HasSubstr("2 waiting")));
}

TEST_F(CliTest, RequestIdMakesARetryReturnTheFirstTicket) {
  const Ran first = Kiosk({"kiosk", "issue", "BILL", "--request-id", "k-7"});
  const Ran retry = Kiosk({"kiosk", "issue", "BILL", "--request-id", "k-7"});
  const Ran fresh = Kiosk({"kiosk", "issue", "BILL"});
  EXPECT_THAT(first.out, StartsWith("A0001 "));
  EXPECT_THAT(retry.out, StartsWith("A0001 "));
  EXPECT_THAT(fresh.out, StartsWith("A0002 "));
}

TEST_F(CliTest, TicketStatusSaysWhereTheTicketIs) {
  ASSERT_OK(api_->Issue("BILL"));
  ASSERT_OK(api_->Issue("BILL"));
  Ran r = Kiosk({"ticket", "status", "A0002"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_THAT(r.out,
              StartsWith("A0002  话费缴纳 Bill payment  1 ahead, about"));
  ASSERT_OK(api_->Open(2, "c2"));
  ASSERT_OK(api_->CallNext(2));
  r = Kiosk({"ticket", "status", "A0001"});
  EXPECT_EQ(r.out, "A0001  话费缴纳 Bill payment  called to window 2\n");

  r = Kiosk({"ticket", "status", "A0099"});
  EXPECT_EQ(r.code, 5) << r;
  EXPECT_EQ(r.err, "qcall: NOT_FOUND: no ticket A0099 was issued today\n");
  EXPECT_EQ(r.out, "");
}

// ---------------------------------------------------------------------------
// Counter

TEST_F(CliTest, OpenCallStartCompleteCycle) {
  Ran r = Counter({"open", "1", "--clerk", "li"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.out, "window 1 open, clerk li\n");
  ASSERT_OK(api_->Issue("BILL"));

  r = Counter({"call", "1"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.out, "window 1 calls A0001  话费缴纳 Bill payment\n");
  r = Counter({"recall", "-w", "1"});
  EXPECT_EQ(r.out, "window 1 calls A0001 again (recall 1)\n") << r;
  r = Counter({"start", "--window", "1"});
  EXPECT_EQ(r.out, "window 1 serves A0001\n") << r;
  r = Counter({"complete", "1"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.out, "window 1 completed A0001\n");

  Api::Reply ticket = api_->GetTicket("A0001");
  ASSERT_OK(ticket);
  EXPECT_EQ(ticket->ticket().state(), v1::TICKET_STATE_COMPLETED);
  EXPECT_EQ(Kiosk({"ticket", "status", "A0001"}).out,
            "A0001  话费缴纳 Bill payment  completed at window 1\n");

  // Ratings come from the evaluator pad: the clerk's command has none.
  r = Counter({"complete", "1", "--rating", "5"});
  EXPECT_EQ(r.code, 2) << r;
}

TEST_F(CliTest, CallWithNobodyWaitingExitsThree) {
  ASSERT_OK(api_->Open(1, "li"));
  Ran r = Counter({"call", "1"});
  EXPECT_EQ(r.code, 3) << r;
  EXPECT_EQ(r.out, "nobody waiting\n");
  EXPECT_EQ(r.err, "");

  r = Counter({"call", "1", "--json"});
  EXPECT_EQ(r.code, 3) << r;
  v1::CommandReply reply;
  ASSERT_TRUE(ParsesAs(r.out, &reply));
  EXPECT_FALSE(reply.has_ticket());
}

TEST_F(CliTest, CallTicketNoShowRequeueTransferPauseResume) {
  ASSERT_OK(api_->Issue("BILL"));
  ASSERT_OK(api_->Issue("BILL"));
  ASSERT_OK(api_->Open(1, "li"));
  Ran r = Counter({"call", "1", "--ticket", "A0002"});
  EXPECT_EQ(r.out, "window 1 calls A0002  话费缴纳 Bill payment\n") << r;
  r = Counter({"noshow", "1"});
  EXPECT_EQ(r.out, "A0002 did not come to window 1\n") << r;
  r = Counter({"requeue", "1", "A0002"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_THAT(r.out, StartsWith("A0002  话费缴纳 Bill payment  1 ahead"));

  ASSERT_EQ(Counter({"call", "1"}).out,
            "window 1 calls A0001  话费缴纳 Bill payment\n");
  r = Counter(
      {"transfer", "1", "--to-service", "PLAN", "--placement", "first"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.out, "A0001 transferred to PLAN, 0 ahead\n");
  EXPECT_EQ(api_->GetTicket("A0001")->ticket().service_code(), "PLAN");
  r = Counter({"transfer", "1", "--to-service", "PLAN", "--to-window", "2"});
  EXPECT_EQ(r.code, 2) << r;
  r = Counter({"transfer", "1"});
  EXPECT_EQ(r.code, 2) << r;
  EXPECT_EQ(r.err, "qcall: transfer needs --to-service or --to-window\n");

  r = Counter({"pause", "1", "--reason", "lunch"});
  EXPECT_EQ(r.out, "window 1 paused\n") << r;
  Result<v1::HallView> view = api_->GetHall();
  ASSERT_OK(view);
  EXPECT_EQ(FindWindow(*view, 1)->state(), v1::WINDOW_STATE_PAUSED);
  EXPECT_EQ(FindWindow(*view, 1)->reason(), "lunch");
  r = Counter({"resume", "1"});
  EXPECT_EQ(r.out, "window 1 open again\n") << r;
  r = Counter({"close", "1"});
  EXPECT_EQ(r.out, "window 1 closed\n") << r;
}

class CliMinimumTest : public CliTest {
 protected:
  CliMinimumTest() : CliTest(/*min_open_windows=*/1) {}
};

TEST_F(CliMinimumTest, CloseBelowMinimumExplainsInOneLine) {
  ASSERT_EQ(Counter({"open", "1", "--clerk", "li"}).code, 0);
  Ran r = Counter({"close", "1", "--reason", "home"});
  EXPECT_EQ(r.code, 4) << r;
  EXPECT_EQ(r.err,
            "qcall: FAILED_PRECONDITION: hall needs 1 open windows, 1 are "
            "open; closing window 1 needs a supervisor override\n");
  EXPECT_EQ(r.out, "");

  // Only a supervisor may override the minimum.
  r = Counter({"close", "1", "--override-reason", "power cut"});
  EXPECT_EQ(r.code, 6) << r;
  EXPECT_THAT(r.err, IsOneErrorLine());
  r = Supervisor({"counter", "pause", "1", "--reason", "power cut",
                  "--override-reason", "power cut", "--supervisor", "boss"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.out, "window 1 paused\n");
  Result<v1::HallView> view = api_->GetHall();
  ASSERT_OK(view);
  EXPECT_EQ(FindWindow(*view, 1)->state(), v1::WINDOW_STATE_PAUSED);
}

// ---------------------------------------------------------------------------
// Errors and options

TEST_F(CliTest, WrongTokenExitsSixWithOneLine) {
  Ran r = Run(As("no-such-token", {"kiosk", "issue", "BILL"}));
  EXPECT_EQ(r.code, 6) << r;
  EXPECT_EQ(r.err, "qcall: UNAUTHENTICATED: unknown token\n");
  EXPECT_EQ(r.out, "");

  // A token of the wrong window.
  r = Run(As(kCounter3Token, {"counter", "open", "4", "--clerk", "li"}));
  EXPECT_EQ(r.code, 6) << r;
  EXPECT_THAT(
      r.err, AllOf(IsOneErrorLine(), StartsWith("qcall: PERMISSION_DENIED: ")));
}

TEST_F(CliTest, UnreachableServerExitsSevenQuickly) {
  const auto start = steady_clock::now();
  const std::string address = "127.0.0.1:" + std::to_string(ClosedPort());
  Ran r =
      Run({"--server", address, "--token", kKioskToken, "--hall", kHall,
           "--timeout", "1", "kiosk", "issue", "BILL", "--request-id", "k-9"});
  EXPECT_LT(steady_clock::now() - start, seconds(5));
  EXPECT_EQ(r.code, 7) << r;
  EXPECT_EQ(r.err, "qcall: UNAVAILABLE: cannot reach qcalld at " + address +
                       " (is it running? see --server; if it uses TLS, --tls "
                       "or --tls-ca); to retry without acting twice add "
                       "--request-id k-9\n");
}

TEST_F(CliTest, SilentServerRunsIntoTheTimeout) {
  SilentServer silent;
  const std::string address = "127.0.0.1:" + std::to_string(silent.port());
  const auto start = steady_clock::now();
  Ran r = Run({"--server", address, "--token", kKioskToken, "--hall", kHall,
               "--timeout", "0.5", "kiosk", "services"});
  EXPECT_LT(steady_clock::now() - start, seconds(5));
  EXPECT_EQ(r.code, 7) << r;
  EXPECT_EQ(r.err, "qcall: DEADLINE_EXCEEDED: no answer from qcalld at " +
                       address + " within 0.5 s (see --timeout)\n");
}

TEST_F(CliTest, EnvironmentGivesDefaultsAndFlagsWin) {
  const Env env = {{"QCALL_SERVER", server_.address()},
                   {"QCALL_TOKEN", kKioskToken},
                   {"QCALL_HALL", kHall}};
  Ran r = Run({"kiosk", "issue", "BILL"}, env);
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_THAT(r.out, StartsWith("A0001 "));

  Env wrong_token = env;
  wrong_token["QCALL_TOKEN"] = "stale-token";
  EXPECT_EQ(Run({"kiosk", "issue", "BILL"}, wrong_token).code, 6);
  EXPECT_EQ(
      Run({"--token", kKioskToken, "kiosk", "issue", "BILL"}, wrong_token).code,
      0);

  Env counter = env;
  counter["QCALL_TOKEN"] = kCounterToken;
  counter["QCALL_WINDOW"] = "2";
  counter["QCALL_CLERK"] = "wang";
  r = Run({"counter", "open"}, counter);
  EXPECT_EQ(r.out, "window 2 open, clerk wang\n") << r;
}

TEST_F(CliTest, UsageErrorsExitTwoInOneLine) {
  Ran r = Run(As(kCounterToken, {"counter", "call"}));
  EXPECT_EQ(r.code, 2) << r;
  EXPECT_THAT(r.err, AllOf(IsOneErrorLine(), HasSubstr("window")));
  r = Run({"--server", server_.address(), "--token", kKioskToken, "kiosk",
           "issue", "BILL"});
  EXPECT_EQ(r.code, 2) << r;
  EXPECT_EQ(r.err, "qcall: --hall (or QCALL_HALL) is required\n");
  r = Run({"kiosk"});
  EXPECT_EQ(r.code, 2) << r;
  EXPECT_THAT(r.err, IsOneErrorLine());
  r = Run({"fly"});
  EXPECT_EQ(r.code, 2) << r;
}

TEST_F(CliTest, HelpListsCommandsAndExitCodes) {
  Ran r = Run({"--help"});
  EXPECT_EQ(r.code, 0) << r;
  EXPECT_THAT(
      r.out,
      AllOf(HasSubstr("kiosk"), HasSubstr("counter"), HasSubstr("board"),
            HasSubstr("top"), HasSubstr("admin"), HasSubstr("QCALL_SERVER"),
            HasSubstr("Exit codes:"), HasSubstr("3  nothing to do"),
            HasSubstr("7  qcalld unreachable")));
  r = Run({"counter", "transfer", "--help"});
  EXPECT_EQ(r.code, 0) << r;
  EXPECT_THAT(r.out, AllOf(HasSubstr("--to-service"), HasSubstr("--placement"),
                           HasSubstr("--request-id")));
}

// ---------------------------------------------------------------------------
// Admin and top

TEST_F(CliTest, AdminListsHallsSetsMinimumAndVoids) {
  Ran r = Supervisor({"admin", "halls"});
  ASSERT_EQ(r.code, 0) << r;
  ASSERT_EQ(Lines(r.out).size(), 2u) << r.out;
  EXPECT_THAT(r.out, HasSubstr("it-hall"));
  EXPECT_THAT(r.out, HasSubstr("other-hall"));

  r = Supervisor({"admin", "set-min", "2"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.out,
            "it-hall keeps at least 2 windows open during business hours\n");
  EXPECT_EQ(api_->GetHall()->min_open_windows(), 2);

  ASSERT_OK(api_->Issue("BILL"));
  r = Supervisor({"admin", "void", "A0001", "--reason", "printed twice"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.out, "A0001 voided\n");
  EXPECT_EQ(api_->GetTicket("A0001")->ticket().state(),
            v1::TICKET_STATE_VOIDED);

  // A bad rating's follow-up, closed with what was done.
  ASSERT_OK(api_->Open(1, "li"));
  ASSERT_OK(api_->Issue("BILL"));
  ASSERT_OK(api_->CallNext(1));
  ASSERT_OK(api_->StartServing(1));
  ASSERT_OK(api_->Complete(1));
  v1::RateTicketRequest rate;
  rate.set_hall_id(kHall);
  rate.set_window(1);
  rate.set_ticket("A0002");
  rate.set_level(1);
  rate.set_reason("服务态度差 Poor attitude");
  ASSERT_TRUE(CallWithBytes(server_.NewChannel(),
                            "/qcall.v1.Evaluator/RateTicket",
                            rate.SerializeAsString(), kSupervisorToken)
                  .ok());
  ASSERT_EQ(api_->GetHall()->follow_ups_size(), 1);
  r = Supervisor({"admin", "close-follow-up", "1"});
  EXPECT_EQ(r.code, 2) << r << " (the text is required)";
  r = Supervisor({"admin", "close-follow-up", "1", "--text", "coached li"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.out, "follow-up 1 closed\n");
  EXPECT_EQ(api_->GetHall()->follow_ups_size(), 0);
  r = Supervisor({"admin", "close-follow-up", "1", "--text", "again"});
  EXPECT_NE(r.code, 0) << r;

  r = Kiosk({"admin", "set-min", "1"});
  EXPECT_EQ(r.code, 6) << r;
  r = Supervisor({"admin", "set-min", "99"});
  EXPECT_EQ(r.code, 4) << r;
  EXPECT_THAT(r.err, IsOneErrorLine());
}

TEST_F(CliTest, TopOnceShowsWindowStatesAndWaiting) {
  ASSERT_OK(api_->Open(1, "li"));
  ASSERT_OK(api_->Open(2, "wang"));
  ASSERT_OK(api_->Issue("BILL"));
  ASSERT_OK(api_->Issue("SIM"));
  ASSERT_OK(api_->Issue("SIM", v1::CATEGORY_VIP));
  ASSERT_OK(api_->Issue("SIM", v1::CATEGORY_VIP));
  ASSERT_OK(api_->CallNext(2));
  const Ran r = Supervisor({"top", "--once"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_THAT(r.out, Not(HasSubstr("\x1b[")));  // Not a terminal.
  std::map<std::string, std::string> line_of;
  for (const std::string& line : Lines(r.out)) {
    line_of[line.substr(0, line.find("  "))] = line;
  }
  EXPECT_THAT(r.out, HasSubstr("Integration Hall (it-hall)"));
  EXPECT_THAT(r.out, HasSubstr("open windows 2 / min 0"));
  EXPECT_THAT(line_of["1 1号窗口"], AllOf(HasSubstr("idle"), HasSubstr("li")));
  EXPECT_THAT(line_of["2 2号窗口"],
              AllOf(HasSubstr("calling"), HasSubstr("wang")));
  EXPECT_THAT(line_of["3 3号窗口"], HasSubstr("closed"));
  EXPECT_THAT(line_of["SIM"], ContainsRegex("新卡办理 New SIM +2 "));
  EXPECT_THAT(r.out, ContainsRegex("· vip +1 "));
  // Window 2 called the VIP ticket (priority first).
  EXPECT_THAT(line_of["2 2号窗口"], HasSubstr("B0002"));

  // admin hall is the same frame.
  const Ran hall = Supervisor({"admin", "hall"});
  EXPECT_THAT(hall.out, HasSubstr("open windows 2 / min 0"));
  const Ran json = Supervisor({"top", "--once", "--json"});
  v1::HallView view;
  ASSERT_TRUE(ParsesAs(json.out, &view));
  EXPECT_EQ(view.open_windows(), 2);
}

TEST_F(CliTest, TopRedrawsOnEventsAndEndsCleanlyOnSigterm) {
  auto top = Start(As(kSupervisorToken, {"top"}));
  ASSERT_TRUE(top->WaitForOutput("WINDOW"));
  EXPECT_THAT(top->out(), Not(HasSubstr("idle")));
  ASSERT_OK(api_->Open(4, "zhao"));
  ASSERT_TRUE(top->WaitForOutput("idle"));
  ASSERT_TRUE(top->WaitForOutput("WINDOW", 2));
  EXPECT_EQ(top->Signal(SIGTERM), 0) << top->err();
}

TEST_F(CliTest, TopEndsOnTheKeyQ) {
  QcallProcess top(server_.dir(), As(kSupervisorToken, {"top"}), {}, "q");
  EXPECT_EQ(top.Wait(seconds(10)), 0) << top.err();
  EXPECT_THAT(top.out(), HasSubstr("Integration Hall (it-hall)"));
}

// ---------------------------------------------------------------------------
// Board

std::vector<v1::WatchResponse> Messages(const std::string& out) {
  std::vector<v1::WatchResponse> messages;
  for (const std::string& line : Lines(out)) {
    v1::WatchResponse message;
    EXPECT_TRUE(ParsesAs(line, &message));
    messages.push_back(message);
  }
  return messages;
}

// Every event follows the one before it (or the snapshot) by one.
::testing::AssertionResult Consecutive(
    const std::vector<v1::WatchResponse>& messages) {
  uint64_t last = 0;
  for (const v1::WatchResponse& m : messages) {
    if (m.has_snapshot()) {
      last = m.snapshot().last_seq();
      continue;
    }
    if (m.event().seq() != last + 1) {
      return ::testing::AssertionFailure()
             << "event " << m.event().seq() << " follows " << last;
    }
    last = m.event().seq();
  }
  return ::testing::AssertionSuccess();
}

int CallsOf(const std::vector<v1::WatchResponse>& messages,
            const std::string& number) {
  int calls = 0;
  for (const v1::WatchResponse& m : messages) {
    calls += m.event().ticket_called().ticket().number() == number;
  }
  return calls;
}

TEST_F(CliTest, BoardPrintsCallsAsTheyHappen) {
  auto board = Start(As(kDisplayToken, {"board"}));
  ASSERT_TRUE(board->WaitForOutput("Integration Hall: 0 windows open"));
  ASSERT_OK(api_->Open(3, "li"));
  ASSERT_OK(api_->Issue("BILL"));
  ASSERT_OK(api_->CallNext(3));
  ASSERT_TRUE(
      board->WaitForOutput("A0001 → 3号窗口  请 A0001 号到 3 号窗口办理"));
  // Only calls, without --all.
  EXPECT_THAT(board->out(), Not(HasSubstr("issued")));
  board->Signal(SIGTERM);
}

TEST_F(CliTest, BoardJsonPrintsOneMessagePerLine) {
  auto board = Start(As(kDisplayToken, {"board", "--json", "--windows", "3"}));
  ASSERT_TRUE(board->WaitForOutput("\"snapshot\""));
  ASSERT_OK(api_->Open(1, "wang"));
  ASSERT_OK(api_->Open(3, "li"));
  ASSERT_OK(api_->Issue("BILL"));
  ASSERT_OK(api_->CallNext(3));
  ASSERT_TRUE(board->WaitForOutput("\"ticketCalled\""));
  board->Signal(SIGTERM);
  const std::vector<v1::WatchResponse> messages = Messages(board->out());
  EXPECT_EQ(CallsOf(messages, "A0001"), 1);
  for (const v1::WatchResponse& m : messages) {
    EXPECT_NE(m.event().window_changed().window(), 1) << "not one of --windows";
  }
}

TEST_F(CliTest, BoardResumesAfterTheSeqItSawWhenTheStreamDrops) {
  TcpRelay relay(server_.port());
  auto board = Start({"--server", relay.address(), "--hall", kHall, "--token",
                      kDisplayToken, "board", "--json"});
  ASSERT_TRUE(board->WaitForOutput("\"snapshot\""));
  ASSERT_OK(api_->Open(1, "li"));
  ASSERT_OK(api_->Issue("BILL"));
  ASSERT_OK(api_->CallNext(1));
  ASSERT_TRUE(board->WaitForOutput("\"A0001\"", 2));  // Issued, called.

  // The network drops; what happens meanwhile must reach the board later.
  relay.Cut(/*refuse=*/true);
  ASSERT_OK(api_->StartServing(1));
  ASSERT_OK(api_->Complete(1));
  ASSERT_OK(api_->Issue("BILL"));
  Api::Reply called = api_->CallNext(1);
  ASSERT_OK(called);
  relay.Accept(true);
  ASSERT_TRUE(board->WaitForOutput("\"ticketCalled\"", 2));
  std::vector<v1::WatchResponse> messages = Messages(board->out());
  EXPECT_TRUE(Consecutive(messages));
  EXPECT_EQ(CallsOf(messages, "A0002"), 1);
  EXPECT_TRUE(messages.front().has_snapshot());
  for (size_t i = 1; i < messages.size(); ++i) {
    EXPECT_FALSE(messages[i].has_snapshot()) << "resumed without a snapshot";
  }
  EXPECT_THAT(board->err(), HasSubstr("watching again after seq "));

  // qcalld restarts (on a new port, which the relay then leads to). The
  // relay refuses meanwhile: the old port is free for another test's qcalld
  // (ctest runs them side by side), and the board must not reach that one.
  relay.Cut(/*refuse=*/true);
  server_.Kill();
  ASSERT_TRUE(server_.Restart());
  relay.SetTarget(server_.port());
  relay.Accept(true);
  Api restarted(server_.NewChannel());
  ASSERT_OK(restarted.Issue("BILL"));
  ASSERT_OK(restarted.Open(2, "wang"));
  ASSERT_OK(restarted.CallNext(2));
  ASSERT_TRUE(board->WaitForOutput("\"ticketCalled\"", 3));
  board->Signal(SIGTERM);
  messages = Messages(board->out());
  EXPECT_TRUE(Consecutive(messages));
  EXPECT_EQ(CallsOf(messages, "A0003"), 1);
  EXPECT_EQ(CallsOf(messages, "A0002"), 1);
}

// ---------------------------------------------------------------------------
// Following the hall's owner

TEST_F(CliTest, ACommandAskedOfANodeWithoutTheHallIsMadeAtItsOwner) {
  ElsewhereNode elsewhere(server_.address());
  const Ran r = Run({"--server", elsewhere.address(), "--hall", kHall,
                     "--token", kKioskToken, "kiosk", "issue", "BILL"});
  EXPECT_EQ(r.code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("A0001")) << r;
  EXPECT_EQ(elsewhere.asked(), 1);
}

TEST_F(CliTest, ACommandFollowsAtMostThreeOwnersThenSaysWhomItAsked) {
  // Each node names the next: placement moving faster than qcall follows.
  ElsewhereNode fifth(server_.address());
  ElsewhereNode fourth(fifth.address());
  ElsewhereNode third(fourth.address());
  ElsewhereNode second(third.address());
  ElsewhereNode first(second.address());
  const Ran r = Run({"--server", first.address(), "--hall", kHall, "--token",
                     kKioskToken, "kiosk", "issue", "BILL"});
  EXPECT_EQ(r.code, 7) << r;  // Unreachable: worth retrying.
  EXPECT_THAT(r.err, IsOneErrorLine());
  EXPECT_THAT(r.err, HasSubstr(absl::StrCat(
                         "UNAVAILABLE: hall it-hall is served by node "
                         "owner at ",
                         fifth.address(), "; ask there (asked ",
                         first.address(), ", ", second.address(), ", ",
                         third.address(), ", ", fourth.address())))
      << r;
  EXPECT_THAT(r.err, HasSubstr("--request-id")) << r;
  EXPECT_EQ(fifth.asked(), 0);
  EXPECT_EQ(fourth.asked(), 1);
}

TEST_F(CliTest, ABoardFollowsItsHallToTheNewOwnerAndMissesNothing) {
  ElsewhereNode old_owner(server_.address());
  old_owner.relay_until_call = true;
  // The hall moves: a call while no node's stream reaches the board.
  old_owner.on_move = [&] {
    ASSERT_OK(api_->Issue("BILL"));
    ASSERT_OK(api_->CallNext(2));
  };
  for (int window : {1, 2, 3}) {
    ASSERT_OK(api_->Open(window, absl::StrCat("clerk-", window)));
  }
  auto board = Start({"--server", old_owner.address(), "--hall", kHall,
                      "--token", kDisplayToken, "board", "--json"});
  ASSERT_TRUE(board->WaitForOutput("\"snapshot\""));
  ASSERT_OK(api_->Issue("BILL"));
  ASSERT_OK(api_->CallNext(1));
  ASSERT_TRUE(board->WaitForOutput("\"ticketCalled\"", 2));
  ASSERT_OK(api_->Issue("BILL"));
  ASSERT_OK(api_->CallNext(3));
  ASSERT_TRUE(board->WaitForOutput("\"ticketCalled\"", 3));
  board->Signal(SIGTERM);
  const std::vector<v1::WatchResponse> messages = Messages(board->out());
  EXPECT_TRUE(Consecutive(messages));
  for (const char* number : {"A0001", "A0002", "A0003"}) {
    EXPECT_EQ(CallsOf(messages, number), 1) << number;
  }
  ASSERT_FALSE(messages.empty());
  EXPECT_TRUE(messages.front().has_snapshot());
  for (size_t i = 1; i < messages.size(); ++i) {
    EXPECT_FALSE(messages[i].has_snapshot()) << "resumed without a snapshot";
  }
  EXPECT_EQ(old_owner.asked(), 1);
}

TEST_F(CliTest, ABoardWhoseOwnerDiesAsksItsServerWhereTheHallIsNow) {
  // --server names the owner behind a relay; that node then dies, and
  // --server names the owner as it is reached now.
  TcpRelay doomed(server_.port());
  ElsewhereNode entry(doomed.address());
  ASSERT_OK(api_->Open(1, "li"));
  auto board = Start({"--server", entry.address(), "--hall", kHall, "--token",
                      kDisplayToken, "board", "--json"});
  ASSERT_TRUE(board->WaitForOutput("\"snapshot\""));
  ASSERT_OK(api_->Issue("BILL"));
  ASSERT_OK(api_->CallNext(1));
  ASSERT_TRUE(board->WaitForOutput("\"ticketCalled\""));

  entry.set_owner(server_.address());
  doomed.Cut(/*refuse=*/true);
  ASSERT_OK(api_->StartServing(1));
  ASSERT_OK(api_->Complete(1));
  ASSERT_OK(api_->Issue("BILL"));
  ASSERT_OK(api_->CallNext(1));
  ASSERT_TRUE(board->WaitForOutput("\"ticketCalled\"", 2));
  board->Signal(SIGTERM);
  const std::vector<v1::WatchResponse> messages = Messages(board->out());
  EXPECT_TRUE(Consecutive(messages));
  EXPECT_EQ(CallsOf(messages, "A0001"), 1);
  EXPECT_EQ(CallsOf(messages, "A0002"), 1);
  EXPECT_EQ(entry.asked(), 2);  // At the start, and once its owner died.
}

TEST_F(CliTest, BoardWithAnUnknownTokenStopsWithExitSix) {
  auto board = Start(As("no-such-token", {"board"}));
  EXPECT_EQ(board->Wait(seconds(10)), 6);
  EXPECT_EQ(board->err(), "qcall: UNAUTHENTICATED: unknown token\n");
}

// ---------------------------------------------------------------------------
// admin hash-token

// The lines of `qcall admin hash-token --new`: the token, then its config
// line.
TEST_F(CliTest, HashTokenNewMakesATokenQcalldAccepts) {
  Ran made = Run({"admin", "hash-token", "--new"});
  ASSERT_EQ(made.code, 0) << made;
  const std::vector<std::string> lines = Lines(made.out);
  ASSERT_EQ(lines.size(), 2u) << made;
  const std::string& token = lines[0];
  EXPECT_THAT(token, ContainsRegex("^[A-Za-z0-9_-]{43}$"));
  // Never a leading '-', which a command line would take for an option: one
  // random token in 64 began with it, so 200 of them show it (96 %).
  for (int i = 0; i < 200; ++i) {
    const std::string another =
        Lines(Run({"admin", "hash-token", "--new"}).out).at(0);
    ASSERT_NE(another.front(), '-') << another;
  }
  EXPECT_THAT(lines[1], ContainsRegex("^token_sha256: \"[0-9a-f]{64}\"$"));
  // Another run, another token.
  EXPECT_NE(Lines(Run({"admin", "hash-token", "--new"}).out)[0], token);

  // The same token from stdin, or as the argument, gives the same line.
  Ran piped = Run({"admin", "hash-token"}, {}, token + "\n");
  ASSERT_EQ(piped.code, 0) << piped;
  EXPECT_EQ(piped.out, lines[1] + "\n");
  EXPECT_EQ(Run({"admin", "hash-token", token}).out, lines[1] + "\n");

  // qcalld takes the line as it is, and the token then works.
  QcalldProcess hashed({.config_text = TestConfig() + "\ntokens { " + lines[1] +
                                       " role: ROLE_KIOSK halls: [\"*\"] "
                                       "name: \"new kiosk\" }\n"});
  ASSERT_TRUE(hashed.Start());
  auto as = [&](const std::string& t) {
    return Run({"--server", hashed.address(), "--hall", kHall, "--token", t,
                "kiosk", "issue", "BILL"});
  };
  Ran issued = as(token);
  EXPECT_EQ(issued.code, 0) << issued;
  EXPECT_THAT(issued.out, StartsWith("A0001 "));
  std::string wrong = token;
  wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
  EXPECT_EQ(as(wrong).code, 6);
  EXPECT_EQ(as(lines[1]).code, 6);
}

// A guide PIN's line: qcalld takes it, and the kiosk's VIP then needs the
// PIN.
TEST_F(CliTest, HashPinGivesTheLineOfAGuidePin) {
  Ran r = Run({"admin", "hash-pin"}, {}, "4821\n");
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.out, absl::StrCat("pin_sha256: \"",
                                Sha256Hex(TokenSha256("4821")), "\"\n"));
  for (const char* bad : {"482\n", "48a1\n", "\n", "1234567890123\n"}) {
    r = Run({"admin", "hash-pin"}, {}, bad);
    EXPECT_EQ(r.code, 2) << bad << r;
    EXPECT_THAT(r.err, AllOf(IsOneErrorLine(), HasSubstr("4 to 12 digits")));
  }
  const std::string line =
      Lines(Run({"admin", "hash-pin"}, {}, "4821\n").out).at(0);
  QcalldProcess pinned({.config_text = TestConfig() +
                                       "\nguide_pins { hall: \"" + kHall +
                                       "\" " + line + " }\n"});
  ASSERT_TRUE(pinned.Start());
  auto vip = [&]() {
    return Run({"--server", pinned.address(), "--hall", kHall, "--token",
                kKioskToken, "kiosk", "issue", "BILL", "--category", "vip"});
  };
  r = vip();
  EXPECT_EQ(r.code, 6) << r;
  EXPECT_THAT(r.err, HasSubstr("wrong guide PIN"));
}

TEST_F(CliTest, HashTokenRefusesShortOrOddTokens) {
  Ran r = Run({"admin", "hash-token", "short-token"});
  EXPECT_EQ(r.code, 2) << r;
  EXPECT_THAT(r.err, AllOf(IsOneErrorLine(), HasSubstr("at least 16")));
  r = Run({"admin", "hash-token"}, {}, "");
  EXPECT_EQ(r.code, 2) << r;
  r = Run({"admin", "hash-token"}, {}, "a token with spaces in it\n");
  EXPECT_EQ(r.code, 2) << r;
  EXPECT_THAT(r.err, AllOf(IsOneErrorLine(), HasSubstr("without spaces")));
  r = Run({"admin", "hash-token", "--new", "some-token-0123456789"});
  EXPECT_EQ(r.code, 2) << r;
  EXPECT_EQ(r.out, "");
}

TEST_F(CliTest, HashTokenJson) {
  Ran r =
      Run({"--json", "admin", "hash-token", "it-hashed-kiosk-token-2f9c1e"});
  ASSERT_EQ(r.code, 0) << r;
  // printf %s it-hashed-kiosk-token-2f9c1e | sha256sum
  EXPECT_EQ(r.out,
            "{\"tokenSha256\":\"e47fc17861481b4a56cbe499768281cf2d2220a5cf4c82"
            "66a8ae4636de1fb6f5\"}\n");
}

// ---------------------------------------------------------------------------
// TLS

// qcalld with a certificate for localhost, signed by a CA made for the run.
class CliTlsTest : public CliTest {
 protected:
  static void SetUpTestSuite() { certificates_ = new TestCertificates(); }
  static void TearDownTestSuite() {
    delete certificates_;
    certificates_ = nullptr;
  }

  CliTlsTest()
      : CliTest(QcalldOptions{.config_text = TestConfig(),
                              .extra_args = certificates_->QcalldArgs()}) {}

  void SetUp() override {
    ASSERT_TRUE(certificates_->ok()) << certificates_->error();
    ASSERT_TRUE(server_.Start());
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    api_ = std::make_unique<Api>(grpc::CreateCustomChannel(
        server_.address(), certificates_->ChannelCredentials(), args));
  }

  // By host name, as a hall's machines would name it.
  std::string Server() const {
    return "localhost:" + std::to_string(server_.port());
  }
  std::vector<std::string> OverTls(const std::string& token,
                                   std::vector<std::string> args,
                                   const std::string& ca = "") const {
    std::vector<std::string> all = {
        "--server", Server(),
        "--hall",   kHall,
        "--token",  token,
        "--tls-ca", ca.empty() ? certificates_->ca_path() : ca};
    all.insert(all.end(), args.begin(), args.end());
    return all;
  }

  static TestCertificates* certificates_;
};

TestCertificates* CliTlsTest::certificates_ = nullptr;

TEST_F(CliTlsTest, KioskIssuesAndBoardWatchesOverTls) {
  auto board = Start(OverTls(kDisplayToken, {"board"}));
  ASSERT_TRUE(board->WaitForOutput("Integration Hall: 0 windows open"));
  Ran issued = Run(OverTls(kKioskToken, {"kiosk", "issue", "BILL"}));
  ASSERT_EQ(issued.code, 0) << issued;
  EXPECT_THAT(issued.out, StartsWith("A0001 "));
  // QCALL_TLS_CA does the same as --tls-ca.
  Ran opened = Run({"--server", Server(), "--hall", kHall, "--token",
                    kCounterToken, "counter", "open", "3", "--clerk", "li"},
                   {{"QCALL_TLS_CA", certificates_->ca_path()}});
  ASSERT_EQ(opened.code, 0) << opened;
  ASSERT_EQ(Run(OverTls(kCounterToken, {"counter", "call", "3"})).code, 0);
  ASSERT_TRUE(
      board->WaitForOutput("A0001 → 3号窗口  请 A0001 号到 3 号窗口办理"));
  board->Signal(SIGTERM);
}

TEST_F(CliTlsTest, PlaintextOrUntrustedClientIsRefused) {
  Ran plain =
      Run({"--server", Server(), "--hall", kHall, "--token", kKioskToken,
           "--timeout", "3", "kiosk", "issue", "BILL", "--request-id", "k-1"});
  EXPECT_EQ(plain.code, 7) << plain;
  EXPECT_EQ(plain.err, "qcall: UNAVAILABLE: cannot reach qcalld at " +
                           Server() +
                           " (is it running? see --server; if it uses TLS, "
                           "--tls or --tls-ca); to retry without acting twice "
                           "add --request-id k-1\n");

  // The system's CAs do not know the hall's CA, nor does another CA.
  for (const std::vector<std::string>& trust :
       {std::vector<std::string>{"--tls"},
        std::vector<std::string>{"--tls-ca", certificates_->other_ca_path()}}) {
    std::vector<std::string> args = {"--server",  Server(),  "--hall",
                                     kHall,       "--token", kKioskToken,
                                     "--timeout", "3"};
    args.insert(args.end(), trust.begin(), trust.end());
    args.insert(args.end(), {"kiosk", "services"});
    Ran r = Run(args);
    EXPECT_EQ(r.code, 7) << r;
    EXPECT_THAT(r.err,
                AllOf(IsOneErrorLine(), HasSubstr("cannot reach qcalld at " +
                                                  Server() + " over TLS")));
  }
  // Nothing was issued by the refused calls.
  Api::Reply issued = api_->Issue("BILL");
  ASSERT_OK(issued);
  EXPECT_EQ(issued->ticket().number(), "A0001");
}

TEST_F(CliTlsTest, UnreadableCaFileIsAUsageError) {
  Ran r = Run(OverTls(kKioskToken, {"kiosk", "services"},
                      server_.dir() + "/no-such-ca.pem"));
  EXPECT_EQ(r.code, 2) << r;
  EXPECT_THAT(r.err, AllOf(IsOneErrorLine(), HasSubstr("--tls-ca")));
}

}  // namespace
}  // namespace qcall::testing
