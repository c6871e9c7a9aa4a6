// Clock is qcalld's one source of wall time and of timers, as Envoy's
// TimeSource: production code asks it instead of absl::Now(), so tests of
// ticks, heartbeats and day starts run on a SimulatedClock that moves only
// when the test says, and never sleep.
//
//   Clock* clock = RealClock::Get();
//   std::unique_ptr<Timer> timer = clock->NewTimer(strand);
//   timer->Arm(absl::Seconds(1), [] { /* on the strand, a second later */ });
//
//   SimulatedClock clock(absl::FromCivil(...));
//   clock.Advance(absl::Seconds(31));  // Fires the timers that fall due.
#ifndef QCALL_DISPATCHER_CLOCK_H_
#define QCALL_DISPATCHER_CLOCK_H_

#include <boost/asio/any_io_executor.hpp>
#include <functional>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace qcall {

// A one-shot timer; arming it again replaces what was armed.
class Timer {
 public:
  virtual ~Timer() = default;
  // Posts `fire` to the timer's executor once `delay` of its clock's time
  // has passed, unless cancelled first.
  virtual void Arm(absl::Duration delay, std::function<void()> fire) = 0;
  virtual void Cancel() = 0;
};

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
  // A timer whose callbacks run on `executor` (a hall's strand, say). It
  // must not outlive the clock.
  virtual std::unique_ptr<Timer> NewTimer(
      boost::asio::any_io_executor executor) = 0;
};

// The machine's time; timers are Asio steady timers.
class RealClock final : public Clock {
 public:
  // The process's one real clock.
  static RealClock* Get();

  absl::Time Now() const override { return absl::Now(); }
  std::unique_ptr<Timer> NewTimer(
      boost::asio::any_io_executor executor) override;
};

// Time that moves only by Advance. Thread-safe.
class SimulatedClock final : public Clock {
 public:
  explicit SimulatedClock(absl::Time start) : now_(start) {}
  ~SimulatedClock() override;

  absl::Time Now() const override;
  std::unique_ptr<Timer> NewTimer(
      boost::asio::any_io_executor executor) override;

  // Moves time forward by `by`, stopping at each armed deadline on the way,
  // earliest first: it runs that timer's callback on its executor and waits
  // for it, so a callback that re-arms its timer (a tick every second) fires
  // again within the same advance. Returns how many callbacks ran. Work the
  // callbacks post elsewhere (a journal commit, say) is not waited for.
  // Never call it on one of the timers' executors: it would wait for itself.
  int Advance(absl::Duration by);

 private:
  class SimulatedTimer;
  friend class SimulatedTimer;

  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
  std::vector<SimulatedTimer*> timers_ ABSL_GUARDED_BY(mu_);
  // Callbacks posted by Advance that have not finished.
  int running_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace qcall

#endif  // QCALL_DISPATCHER_CLOCK_H_
