#include "tests/integration/qcalld_process.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>
#include <thread>

#ifndef QCALLD_PATH
#error "QCALLD_PATH must name the qcalld binary"
#endif

namespace qcall::testing {
namespace {

std::string DescribeExit(int status) {
  std::ostringstream text;
  if (WIFEXITED(status)) {
    text << "exit code " << WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    text << "signal " << WTERMSIG(status);
  } else {
    text << "status " << status;
  }
  return text.str();
}

std::string MakeTempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern =
      std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
      "/qcalld-it-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) return "";
  return pattern;
}

}  // namespace

QcalldProcess::QcalldProcess(QcalldOptions options)
    : options_(std::move(options)), dir_(MakeTempDir()) {
  if (dir_.empty()) {
    ADD_FAILURE() << "mkdtemp failed";
    return;
  }
  if (!options_.config_text.empty()) {
    config_path_ = dir_ + "/config.textproto";
    std::ofstream(config_path_) << options_.config_text;
  } else {
    config_path_ = options_.config_path;
  }
}

QcalldProcess::~QcalldProcess() {
  if (running()) {
    EXPECT_TRUE(Stop()) << "qcalld did not shut down cleanly";
  }
  if (dir_.empty()) return;
  if (::testing::Test::HasFailure()) {
    std::fprintf(stderr, "qcalld folder kept for inspection: %s\n",
                 dir_.c_str());
  } else {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

std::string QcalldProcess::address() const {
  return "127.0.0.1:" + std::to_string(port_);
}

std::string QcalldProcess::Log() const {
  std::ifstream in(dir_ + "/qcalld.log");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

pid_t QcalldProcess::Spawn(std::vector<std::string> args, bool with_env) {
  // Everything the child needs is prepared before fork: between fork and
  // exec only async-signal-safe calls are allowed (gRPC threads exist).
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_entries;
  if (with_env) env_entries = options_.env;
  std::vector<char*> envp;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view variable(*e);
    const bool replaced = std::any_of(
        env_entries.begin(), env_entries.end(), [&](const std::string& entry) {
          const size_t name = entry.find('=');
          return variable.substr(0, variable.find('=')) ==
                 std::string_view(entry).substr(0, name);
        });
    if (!replaced) envp.push_back(*e);
  }
  for (std::string& entry : env_entries) envp.push_back(entry.data());
  envp.push_back(nullptr);
  const int log = open((dir_ + "/qcalld.log").c_str(),
                       O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log < 0) return -1;
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    close(log);
    return -1;
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(126);
    dup2(log, STDOUT_FILENO);
    dup2(log, STDERR_FILENO);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(log);
  return pid;
}

std::string QcalldProcess::Binary() {
  // QCALLD_BINARY runs the tests against another build of the server.
  const char* binary = std::getenv("QCALLD_BINARY");
  return binary != nullptr && *binary != '\0' ? binary : QCALLD_PATH;
}

::testing::AssertionResult QcalldProcess::InitStore() {
  if (dir_.empty()) return ::testing::AssertionFailure() << "no temp folder";
  std::vector<std::string> args = {Binary(), "--init-store", "--config",
                                   config_path_, "--data", data_dir()};
  // The store's own flags, as the server is started with them.
  for (size_t i = 0; i + 1 < options_.extra_args.size(); ++i) {
    const std::string& flag = options_.extra_args[i];
    if (flag == "--store" || flag == "--journal-key-file") {
      args.push_back(flag);
      args.push_back(options_.extra_args[i + 1]);
    }
  }
  // As an installation would: without the test's environment (a fault
  // shim is for the server).
  const pid_t pid = Spawn(std::move(args), /*with_env=*/false);
  if (pid < 0) {
    return ::testing::AssertionFailure() << "cannot run qcalld --init-store";
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  initialized_ = true;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "qcalld --init-store ended with " << DescribeExit(status)
         << "; its log:\n"
         << Log();
}

::testing::AssertionResult QcalldProcess::Start() {
  if (running()) return ::testing::AssertionFailure() << "already running";
  if (dir_.empty()) return ::testing::AssertionFailure() << "no temp folder";
  if (options_.init_store && !initialized_) {
    if (::testing::AssertionResult made = InitStore(); !made) return made;
  }
  const std::string port_file = dir_ + "/port";
  std::remove(port_file.c_str());
  port_ = 0;
  http_port_ = 0;

  std::vector<std::string> args = {Binary(),
                                   "--config",
                                   config_path_,
                                   "--data",
                                   data_dir(),
                                   "--listen",
                                   "127.0.0.1:0",
                                   "--port-file",
                                   port_file};
  if (options_.private_key) {
    if (!std::filesystem::exists(private_key_path())) {
      std::ifstream random("/dev/urandom", std::ios::binary);
      std::string key(32, '\0');
      random.read(key.data(), static_cast<std::streamsize>(key.size()));
      std::ofstream(private_key_path(), std::ios::binary) << key;
      std::filesystem::permissions(private_key_path(),
                                   std::filesystem::perms::owner_read |
                                       std::filesystem::perms::owner_write);
    }
    args.push_back("--private-key-file");
    args.push_back(private_key_path());
  }
  if (options_.snapshot_every > 0) {
    args.push_back("--snapshot-every");
    args.push_back(std::to_string(options_.snapshot_every));
  }
  if (options_.heartbeat_timeout_seconds > 0) {
    args.push_back("--heartbeat-timeout");
    args.push_back(std::to_string(options_.heartbeat_timeout_seconds));
  }
  args.insert(args.end(), options_.extra_args.begin(),
              options_.extra_args.end());
  const pid_t pid = Spawn(std::move(args), /*with_env=*/true);
  if (pid < 0) return ::testing::AssertionFailure() << "cannot run qcalld";
  pid_ = pid;
  ++starts_;

  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (true) {
    {
      // qcalld renames the file into place whole: the gRPC port on line 1,
      // the HTTP port (0 without --http) on line 2.
      std::ifstream in(port_file);
      int port = 0;
      int http_port = 0;
      if (in >> port && port > 0) {
        port_ = port;
        if (in >> http_port) http_port_ = http_port;
        return ::testing::AssertionSuccess();
      }
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return ::testing::AssertionFailure()
             << "qcalld ended (" << DescribeExit(status)
             << ") before listening; its log:\n"
             << Log();
    }
    if (std::chrono::steady_clock::now() > deadline) {
      Kill();
      return ::testing::AssertionFailure()
             << "qcalld did not write its port file within 20 s; its log:\n"
             << Log();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void QcalldProcess::Kill(int signal) {
  if (!running()) return;
  kill(pid_, signal);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

::testing::AssertionResult QcalldProcess::Restart() {
  Kill(SIGKILL);
  return Start();
}

::testing::AssertionResult QcalldProcess::Stop(int timeout_seconds) {
  if (!running()) return ::testing::AssertionSuccess();
  kill(pid_, SIGTERM);
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  int status = 0;
  while (waitpid(pid_, &status, WNOHANG) != pid_) {
    if (std::chrono::steady_clock::now() > deadline) {
      Kill(SIGKILL);
      return ::testing::AssertionFailure()
             << "qcalld did not end within " << timeout_seconds
             << " s of SIGTERM";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  pid_ = -1;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "qcalld ended with " << DescribeExit(status) << " after SIGTERM";
}

std::shared_ptr<grpc::Channel> QcalldProcess::NewChannel(
    grpc::ChannelArguments args) const {
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(address(),
                                   grpc::InsecureChannelCredentials(), args);
}

}  // namespace qcall::testing
