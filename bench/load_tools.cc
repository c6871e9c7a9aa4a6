#include "bench/load_tools.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace qcall::load {

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void Latencies::Add(int64_t micros) {
  std::lock_guard lock(mu_);
  values_.push_back(micros);
}

size_t Latencies::count() {
  std::lock_guard lock(mu_);
  return values_.size();
}

double Latencies::Percentile(double p) {
  std::lock_guard lock(mu_);
  if (values_.empty()) return 0;
  std::sort(values_.begin(), values_.end());
  const size_t i = std::min(values_.size() - 1,
                            static_cast<size_t>(p / 100.0 * values_.size()));
  return static_cast<double>(values_[i]) / 1000.0;
}

double Median(std::vector<double> figures) {
  std::sort(figures.begin(), figures.end());
  const size_t n = figures.size();
  return n % 2 == 1 ? figures[n / 2]
                    : (figures[n / 2 - 1] + figures[n / 2]) / 2;
}

std::shared_ptr<grpc::Channel> Connect(const std::string& target) {
  grpc::ChannelArguments args;
  args.SetInt("grpc.use_local_subchannel_pool", 1);  // Separate connections.
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(),
                                   args);
}

void Authorize(grpc::ClientContext* context, const char* token) {
  context->AddMetadata("authorization", absl::StrCat("Bearer ", token));
}

namespace {

std::vector<pid_t>& LiveChildren() {
  static auto* live = new std::vector<pid_t>;
  return *live;
}

void KillLiveChildren() {
  for (const pid_t pid : LiveChildren()) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  LiveChildren().clear();
}

}  // namespace

void ExecOrExit(std::vector<std::string> argv) {
  std::vector<char*> args;
  for (std::string& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  execv(args[0], args.data());
  _exit(127);
}

Child::Child(std::vector<std::string> argv, const std::string& port_file) {
  std::filesystem::remove(port_file);
  static const bool registered = std::atexit(KillLiveChildren) == 0;
  (void)registered;
  pid_ = fork();
  if (pid_ > 0) LiveChildren().push_back(pid_);
  if (pid_ == 0) {
    ExecOrExit(argv);
  }
  // A city's halls take a while to configure: up to a minute.
  for (int i = 0; i < 1200 && !std::filesystem::exists(port_file); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::ifstream(port_file) >> port_;
  if (port_ == 0) {
    std::fprintf(stderr, "qcall-load: %s did not start\n", argv[0].c_str());
    std::exit(1);
  }
}

Child::~Child() {
  kill(pid_, SIGTERM);
  waitpid(pid_, nullptr, 0);
  std::erase(LiveChildren(), pid_);
}

std::string Child::target() const { return absl::StrCat("127.0.0.1:", port_); }

int RunToEnd(std::vector<std::string> argv) {
  const pid_t pid = fork();
  if (pid == 0) {
    ExecOrExit(argv);
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::unique_ptr<Child> StartQcalld(const std::string& qcalld,
                                   const std::vector<std::string>& qcalld_args,
                                   const std::filesystem::path& work,
                                   const std::string& config) {
  std::ofstream(work / "load.textproto") << config;
  // A new installation's journal, made once as an operator makes it (with
  // the store flags qcalld is given, if any).
  std::vector<std::string> init_argv = {qcalld, "--init-store", "--data",
                                        (work / "data").string()};
  for (size_t i = 0; i < qcalld_args.size(); ++i) {
    const std::string& arg = qcalld_args[i];
    if (absl::StartsWith(arg, "--store=") ||
        absl::StartsWith(arg, "--journal-key-file=")) {
      init_argv.push_back(arg);
    } else if ((arg == "--store" || arg == "--journal-key-file") &&
               i + 1 < qcalld_args.size()) {
      init_argv.push_back(arg);
      init_argv.push_back(qcalld_args[i + 1]);
    }
  }
  if (RunToEnd(init_argv) != 0) {
    // A qcalld from before --init-store makes its journal at start.
    std::fprintf(stderr,
                 "qcall-load: qcalld --init-store failed (a qcalld older "
                 "than it?); starting qcalld anyway\n");
  }
  std::vector<std::string> argv = {qcalld,
                                   "--config",
                                   (work / "load.textproto").string(),
                                   "--data",
                                   (work / "data").string(),
                                   "--listen",
                                   "127.0.0.1:0",
                                   "--port-file",
                                   (work / "qcalld.port").string()};
  argv.insert(argv.end(), qcalld_args.begin(), qcalld_args.end());
  return std::make_unique<Child>(argv, (work / "qcalld.port").string());
}

int64_t RssKib(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atoll(line.c_str() + 6);
  }
  return 0;
}

RssPeak::RssPeak(pid_t pid) : pid_(pid) {
  thread_ = std::thread([this] {
    while (!stop_.load()) {
      peak_ = std::max(peak_.load(), RssKib(pid_));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
}

RssPeak::~RssPeak() { Stop(); }

int64_t RssPeak::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  return peak_;
}

}  // namespace qcall::load
