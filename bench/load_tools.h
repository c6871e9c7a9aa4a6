// What qcall-load's benchmarks share: a latency recorder, child processes
// that listen on a port they write to a file, a qcalld started as an
// operator starts one, and its memory as the kernel counts it.
//
//   Child server = StartQcalld(qcalld, extra_args, work_dir, config_text);
//   auto channel = Connect(server.target());
//   Latencies latency;
//   latency.Add(NowMicros() - sent);
//   std::printf("p99 %.3f ms, RSS %lld KiB\n", latency.Percentile(99),
//               static_cast<long long>(RssKib(server.pid())));
#ifndef QCALL_BENCH_LOAD_TOOLS_H_
#define QCALL_BENCH_LOAD_TOOLS_H_

#include <grpcpp/grpcpp.h>
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace qcall::load {

// Microseconds on the steady clock.
int64_t NowMicros();

// Latencies in microseconds, appended from many threads.
class Latencies {
 public:
  void Add(int64_t micros);
  size_t count();
  // In milliseconds; 0 when there are none.
  double Percentile(double p);

 private:
  std::mutex mu_;
  std::vector<int64_t> values_;
};

double Median(std::vector<double> figures);

// A channel of its own (not a shared subchannel): a connection each.
std::shared_ptr<grpc::Channel> Connect(const std::string& target);

void Authorize(grpc::ClientContext* context, const char* token);

// A child process that listens and writes its port to a file; SIGTERM and
// reaped when destroyed, SIGKILL when qcall-load exits without destroying
// it (an orphan would keep the files its parent held open, under ctest the
// build lock's, for ever). Exits qcall-load when the child does not start.
class Child {
 public:
  Child(std::vector<std::string> argv, const std::string& port_file);
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  std::string target() const;
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

// In a forked child: becomes `argv`, or exits with 127.
[[noreturn]] void ExecOrExit(std::vector<std::string> argv);

// Runs `argv` to its end; its exit code (-1 when it did not exit).
int RunToEnd(std::vector<std::string> argv);

// Makes a new installation's journal in `work`/data (qcalld --init-store,
// with the store flags among `qcalld_args`), then starts qcalld on a
// loopback port with `config` as its configuration and `qcalld_args` after.
std::unique_ptr<Child> StartQcalld(const std::string& qcalld,
                                   const std::vector<std::string>& qcalld_args,
                                   const std::filesystem::path& work,
                                   const std::string& config);

// A process's resident memory, in KiB (0 if it cannot be read).
int64_t RssKib(pid_t pid);

// Samples a process's resident memory every 100 ms and keeps the peak.
class RssPeak {
 public:
  explicit RssPeak(pid_t pid);
  ~RssPeak();
  int64_t Stop();

 private:
  const pid_t pid_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> peak_{0};
  std::thread thread_;
};

}  // namespace qcall::load

#endif  // QCALL_BENCH_LOAD_TOOLS_H_
