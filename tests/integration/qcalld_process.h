// QcalldProcess runs a real qcalld for one integration test: a fresh temp
// folder (mkdtemp) with the config and the data folder, fork/exec of the
// binary on 127.0.0.1:0, and the bound ports read from --port-file (the
// HTTP port too, with extra_args {"--http", "127.0.0.1:0"}). The server
// can be killed (kill -9 by default) and restarted on the same data folder;
// each start listens on a new port, so take a new channel after Restart().
//
//   QcalldProcess server({.config_text = TestConfig()});
//   ASSERT_TRUE(server.Start());      // qcalld --init-store first, once
//   auto channel = server.NewChannel();
//   ...
//   server.Kill();                    // kill -9
//   ASSERT_TRUE(server.Restart());    // same data folder, new port
//
// The binary is the qcalld target of this build (QCALLD_PATH); the
// environment variable QCALLD_BINARY overrides it.
//
// Start and Restart must be called from a thread that outlives the server
// (the test's own thread): the child gets SIGKILL when its forking thread
// ends, so no qcalld outlives a crashed test binary.
#ifndef QCALL_TESTS_INTEGRATION_QCALLD_PROCESS_H_
#define QCALL_TESTS_INTEGRATION_QCALLD_PROCESS_H_

#include <grpcpp/grpcpp.h>
#include <sys/types.h>

#include <csignal>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace qcall::testing {

struct QcalldOptions {
  // Written to <temp>/config.textproto when set; otherwise config_path is
  // used as it is.
  std::string config_text = {};
  std::string config_path = {};
  // 0 keeps qcalld's default.
  int snapshot_every = 0;
  int heartbeat_timeout_seconds = 0;
  std::vector<std::string> extra_args = {};
  // "NAME=VALUE" entries added to the server's environment
  // ("LD_PRELOAD=..."), each replacing the variable of that name.
  std::vector<std::string> env = {};
  // The first Start runs `qcalld --init-store` (with the --config, --data
  // and the --store and --journal-key-file of extra_args, without `env`)
  // before it, as an installation does; false starts on the data folder as
  // it is.
  bool init_store = true;
  // Start with --private-key-file <temp>/private.key (32 random bytes, made
  // once, outside the data folder), so the server keeps phones.
  bool private_key = true;
};

class QcalldProcess {
 public:
  explicit QcalldProcess(QcalldOptions options);
  // Stops the server (SIGTERM, then SIGKILL) and removes the temp folder,
  // which is kept and printed when the test failed.
  ~QcalldProcess();
  QcalldProcess(const QcalldProcess&) = delete;
  QcalldProcess& operator=(const QcalldProcess&) = delete;

  // Starts qcalld and waits (up to 20 s) until it listens. The first start
  // runs InitStore() before, unless options.init_store is false.
  ::testing::AssertionResult Start();
  // Runs `qcalld --init-store` on the data folder (or extra_args' --store)
  // and waits for it; success means exit code 0. Its output goes to Log().
  ::testing::AssertionResult InitStore();
  // Sends `signal` and waits for the process to end.
  void Kill(int signal = SIGKILL);
  // kill -9 (when running), then Start on the same data folder.
  ::testing::AssertionResult Restart();
  // SIGTERM and wait up to `timeout_seconds`; success means exit code 0.
  ::testing::AssertionResult Stop(int timeout_seconds = 10);

  bool running() const { return pid_ > 0; }
  // The running server's process id (-1 when none), for signals that do
  // not end it (SIGSTOP, SIGCONT).
  pid_t pid() const { return pid_; }
  int port() const { return port_; }
  // The port of --http; 0 when the server has no HTTP side.
  int http_port() const { return http_port_; }
  int starts() const { return starts_; }
  std::string address() const;
  const std::string& dir() const { return dir_; }
  std::string data_dir() const { return dir_ + "/data"; }
  std::string private_key_path() const { return dir_ + "/private.key"; }
  // The server's stdout and stderr of every start so far.
  std::string Log() const;

  // A channel of its own (own subchannel pool, hence its own TCP
  // connection) to the current server.
  std::shared_ptr<grpc::Channel> NewChannel(
      grpc::ChannelArguments args = grpc::ChannelArguments()) const;

 private:
  // Forks and execs `args` (with options.env when `with_env`), its output
  // appended to the log; the child's pid, or -1.
  pid_t Spawn(std::vector<std::string> args, bool with_env);
  static std::string Binary();

  QcalldOptions options_;
  std::string dir_;
  std::string config_path_;
  pid_t pid_ = -1;
  int port_ = 0;
  int http_port_ = 0;
  int starts_ = 0;
  bool initialized_ = false;
};

}  // namespace qcall::testing

#endif  // QCALL_TESTS_INTEGRATION_QCALLD_PROCESS_H_
