// HallStream follows one hall's Watch stream for as long as it is wanted: a
// dropped stream (qcalld restarted, the network went away, the server ended
// a watcher that fell behind) is opened again with after_seq = the last seq
// seen, so nothing is missed and nothing is shown twice. Between attempts it
// waits 0.5 s, 1 s, 2 s ... up to 10 s (back to 0.5 s once a message
// arrives); a wait for an unreachable server ends as soon as it is back. A
// stream that ends naming the hall's owner (the hall moved to another node)
// is opened there at once, after the same seq; when that owner cannot be
// reached, the stream goes back to --server, which names the owner now.
//
//   HallStream stream(&client, {.supervisor = false});
//   grpc::Status end = stream.Run([](const v1::WatchResponse& message) {
//     PrintLine(ToJson(message));
//   });
//   return end.ok() ? 0 : client.Fail(end);
//
// Run returns only when the server refuses the stream for a reason a retry
// cannot fix (an unknown token, no such hall) or after Stop().
#ifndef QCALL_CLIENTS_CLI_HALL_STREAM_H_
#define QCALL_CLIENTS_CLI_HALL_STREAM_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "clients/cli/client.h"

namespace qcall::cli {

struct HallStreamOptions {
  // Supervisor.Watch (any token of a supervisor) or Display.Watch.
  bool supervisor = false;
  // Start after this event; 0 starts with a snapshot.
  uint64_t after_seq = 0;
  // Only these windows' events (and hall-wide ones); empty means all.
  std::vector<int32_t> windows = {};
  // Told why the stream dropped and how long until it is opened again;
  // unset, a line on stderr says so.
  std::function<void(const std::string& why, absl::Duration wait)> on_retry =
      nullptr;
};

class HallStream {
 public:
  HallStream(Client* client, HallStreamOptions options);
  HallStream(const HallStream&) = delete;
  HallStream& operator=(const HallStream&) = delete;

  // Calls `on_message` for every snapshot and every event not seen before,
  // in order, on the calling thread. Returns OK after Stop(), else the
  // status that ended the stream for good.
  grpc::Status Run(
      const std::function<void(const v1::WatchResponse&)>& on_message);

  // Ends Run from any thread (a signal thread, a test).
  void Stop();

  // The seq of the last event seen (or the snapshot's last_seq).
  uint64_t last_seq() const;

 private:
  // Waits up to `backoff` before the next attempt; true once stopped.
  bool Pause(absl::Duration backoff);
  // Reads one stream until it ends; returns its status. `*moved`: it
  // ended naming the hall's owner, whom the client now asks.
  grpc::Status Follow(
      const std::function<void(const v1::WatchResponse&)>& on_message,
      bool* received, bool* moved);

  Client* client_;
  HallStreamOptions options_;
  mutable absl::Mutex mu_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* context_ ABSL_GUARDED_BY(mu_) = nullptr;
  uint64_t last_seq_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace qcall::cli

#endif  // QCALL_CLIENTS_CLI_HALL_STREAM_H_
