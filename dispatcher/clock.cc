#include "dispatcher/clock.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <optional>
#include <utility>

namespace qcall {
namespace {

class AsioTimer final : public Timer {
 public:
  explicit AsioTimer(boost::asio::any_io_executor executor)
      : timer_(std::move(executor)) {}

  void Arm(absl::Duration delay, std::function<void()> fire) override {
    timer_.expires_after(absl::ToChronoNanoseconds(delay));
    timer_.async_wait(
        [fire = std::move(fire)](const boost::system::error_code& error) {
          if (!error) fire();
        });
  }
  void Cancel() override { timer_.cancel(); }

 private:
  boost::asio::steady_timer timer_;
};

}  // namespace

RealClock* RealClock::Get() {
  static RealClock* const clock = new RealClock;
  return clock;
}

std::unique_ptr<Timer> RealClock::NewTimer(
    boost::asio::any_io_executor executor) {
  return std::make_unique<AsioTimer>(std::move(executor));
}

class SimulatedClock::SimulatedTimer final : public Timer {
 public:
  SimulatedTimer(SimulatedClock* clock, boost::asio::any_io_executor executor)
      : clock_(clock), executor_(std::move(executor)) {
    absl::MutexLock lock(&clock_->mu_);
    clock_->timers_.push_back(this);
  }
  ~SimulatedTimer() override {
    absl::MutexLock lock(&clock_->mu_);
    auto& timers = clock_->timers_;
    timers.erase(std::find(timers.begin(), timers.end(), this));
  }

  void Arm(absl::Duration delay, std::function<void()> fire) override {
    absl::MutexLock lock(&clock_->mu_);
    deadline_ = clock_->now_ + std::max(delay, absl::ZeroDuration());
    fire_ = std::move(fire);
  }
  void Cancel() override {
    absl::MutexLock lock(&clock_->mu_);
    deadline_.reset();
    fire_ = nullptr;
  }

 private:
  friend class SimulatedClock;
  SimulatedClock* const clock_;
  const boost::asio::any_io_executor executor_;
  // Guarded by clock_->mu_.
  std::optional<absl::Time> deadline_;
  std::function<void()> fire_;
};

SimulatedClock::~SimulatedClock() {
  absl::MutexLock lock(&mu_);
  // A timer that outlives its clock would touch freed memory.
  if (!timers_.empty()) std::abort();
}

absl::Time SimulatedClock::Now() const {
  absl::MutexLock lock(&mu_);
  return now_;
}

std::unique_ptr<Timer> SimulatedClock::NewTimer(
    boost::asio::any_io_executor executor) {
  return std::make_unique<SimulatedTimer>(this, std::move(executor));
}

int SimulatedClock::Advance(absl::Duration by) {
  int ran = 0;
  absl::MutexLock lock(&mu_);
  const absl::Time target = now_ + std::max(by, absl::ZeroDuration());
  while (true) {
    SimulatedTimer* next = nullptr;
    for (SimulatedTimer* timer : timers_) {
      if (timer->deadline_ && *timer->deadline_ <= target &&
          (next == nullptr || *timer->deadline_ < *next->deadline_)) {
        next = timer;
      }
    }
    if (next == nullptr) break;
    now_ = *next->deadline_;
    next->deadline_.reset();
    ++running_;
    boost::asio::post(next->executor_, [this, fire = std::move(next->fire_)] {
      fire();
      absl::MutexLock done(&mu_);
      --running_;
    });
    next->fire_ = nullptr;
    mu_.Await(absl::Condition(
        +[](int* running) { return *running == 0; }, &running_));
    ++ran;
  }
  now_ = target;
  return ran;
}

}  // namespace qcall
