// Linked into every program of a TSan build (scripts/test --tsan) only.
//
// Debian's Abseil is not built with -fsanitize=thread, so TSan cannot see
// absl::Mutex, absl::CondVar or absl::Notification synchronize anything: each
// lock is atomics and futexes inside an uninstrumented library. Every member
// that a mutex guards would look like a race. This file defines those
// methods in the program itself, which the dynamic linker then prefers to the
// library's for every caller (our code, gRPC's, Abseil's own calls through
// the PLT). Each calls the library's method (dlsym RTLD_NEXT) and tells TSan
// what it did: __tsan_release on the object before it lets go (unlock,
// notify, the unlock inside a wait), __tsan_acquire after it takes hold
// (lock, the relock after a wait, a notification seen). So TSan sees the
// happens-before edges the primitives give. Conditions (LockWhen, Await) are
// evaluated inside the library with the mutex held, by the waiter or by
// whoever unlocks: each is wrapped in one that first acquires the mutex,
// and a waiter releases the mutex before it starts to wait, so its Condition
// (built on its stack) is seen by whoever evaluates it.
#include <sanitizer/tsan_interface.h>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "tests/sanitizers/real_symbol.h"

namespace {

using qcall::tsan::Real;

#define QCALL_ABSL(name) "_ZN4absl7debian3" name
#define QCALL_ABSL_CONST(name) "_ZNK4absl7debian3" name

using absl::Condition;
using absl::CondVar;
using absl::Duration;
using absl::Mutex;
using absl::Notification;
using absl::Time;

// A waiter's Condition, evaluated only after acquiring its mutex.
struct Guarded {
  const Condition* condition;
  Mutex* mu;
};

// This file is built without -fsanitize=thread (CMakeLists.txt): the
// evaluator reads the Guarded and its Condition, built on the waiter's
// stack, before the acquire that orders them.
bool EvalGuarded(Guarded* guarded) {
  // The evaluation is a critical section of its own: the mutex is held, and
  // whoever takes it next must see the reads (the waiter may then sleep
  // without another release).
  __tsan_acquire(guarded->mu);
  const bool met = guarded->condition->Eval();
  __tsan_release(guarded->mu);
  return met;
}

}  // namespace

void Mutex::Lock() {
  static auto real = Real<void (*)(Mutex*)>(QCALL_ABSL("5Mutex4LockEv"));
  real(this);
  __tsan_acquire(this);
}

void Mutex::Unlock() {
  static auto real = Real<void (*)(Mutex*)>(QCALL_ABSL("5Mutex6UnlockEv"));
  __tsan_release(this);
  real(this);
}

bool Mutex::TryLock() {
  static auto real = Real<bool (*)(Mutex*)>(QCALL_ABSL("5Mutex7TryLockEv"));
  const bool locked = real(this);
  if (locked) __tsan_acquire(this);
  return locked;
}

void Mutex::ReaderLock() {
  static auto real = Real<void (*)(Mutex*)>(QCALL_ABSL("5Mutex10ReaderLockEv"));
  real(this);
  __tsan_acquire(this);
}

void Mutex::ReaderUnlock() {
  static auto real =
      Real<void (*)(Mutex*)>(QCALL_ABSL("5Mutex12ReaderUnlockEv"));
  __tsan_release(this);
  real(this);
}

bool Mutex::ReaderTryLock() {
  static auto real =
      Real<bool (*)(Mutex*)>(QCALL_ABSL("5Mutex13ReaderTryLockEv"));
  const bool locked = real(this);
  if (locked) __tsan_acquire(this);
  return locked;
}

void Mutex::LockWhen(const Condition& cond) {
  static auto real = Real<void (*)(Mutex*, const Condition&)>(
      QCALL_ABSL("5Mutex8LockWhenERKNS0_9ConditionE"));
  __tsan_release(this);  // Unlockers evaluate its Condition.
  Guarded guarded{&cond, this};
  real(this, Condition(&EvalGuarded, &guarded));
  __tsan_acquire(this);
}

void Mutex::ReaderLockWhen(const Condition& cond) {
  static auto real = Real<void (*)(Mutex*, const Condition&)>(
      QCALL_ABSL("5Mutex14ReaderLockWhenERKNS0_9ConditionE"));
  __tsan_release(this);  // Unlockers evaluate its Condition.
  Guarded guarded{&cond, this};
  real(this, Condition(&EvalGuarded, &guarded));
  __tsan_acquire(this);
}

bool Mutex::LockWhenWithTimeout(const Condition& cond, Duration timeout) {
  static auto real =
      Real<bool (*)(Mutex*, const Condition&, Duration)>(QCALL_ABSL(
          "5Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE"));
  __tsan_release(this);  // Unlockers evaluate its Condition.
  Guarded guarded{&cond, this};
  const bool met = real(this, Condition(&EvalGuarded, &guarded), timeout);
  __tsan_acquire(this);  // Held either way.
  return met;
}

bool Mutex::LockWhenWithDeadline(const Condition& cond, Time deadline) {
  static auto real = Real<bool (*)(Mutex*, const Condition&, Time)>(
      QCALL_ABSL("5Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE"));
  __tsan_release(this);  // Unlockers evaluate its Condition.
  Guarded guarded{&cond, this};
  const bool met = real(this, Condition(&EvalGuarded, &guarded), deadline);
  __tsan_acquire(this);
  return met;
}

bool Mutex::ReaderLockWhenWithTimeout(const Condition& cond, Duration timeout) {
  static auto real = Real<bool (*)(Mutex*, const Condition&, Duration)>(
      QCALL_ABSL("5Mutex25ReaderLockWhenWithTimeoutERKNS0_9ConditionENS0_"
                 "8DurationE"));
  __tsan_release(this);  // Unlockers evaluate its Condition.
  Guarded guarded{&cond, this};
  const bool met = real(this, Condition(&EvalGuarded, &guarded), timeout);
  __tsan_acquire(this);
  return met;
}

bool Mutex::ReaderLockWhenWithDeadline(const Condition& cond, Time deadline) {
  static auto real = Real<bool (*)(Mutex*, const Condition&, Time)>(
      QCALL_ABSL("5Mutex26ReaderLockWhenWithDeadlineERKNS0_9ConditionENS0_"
                 "4TimeE"));
  __tsan_release(this);  // Unlockers evaluate its Condition.
  Guarded guarded{&cond, this};
  const bool met = real(this, Condition(&EvalGuarded, &guarded), deadline);
  __tsan_acquire(this);
  return met;
}

void Mutex::Await(const Condition& cond) {
  static auto real = Real<void (*)(Mutex*, const Condition&)>(
      QCALL_ABSL("5Mutex5AwaitERKNS0_9ConditionE"));
  Guarded guarded{&cond, this};
  const Condition guarded_condition(&EvalGuarded, &guarded);
  __tsan_release(this);
  real(this, guarded_condition);
  __tsan_acquire(this);
}

bool Mutex::AwaitWithTimeout(const Condition& cond, Duration timeout) {
  static auto real = Real<bool (*)(Mutex*, const Condition&, Duration)>(
      QCALL_ABSL("5Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE"));
  Guarded guarded{&cond, this};
  const Condition guarded_condition(&EvalGuarded, &guarded);
  __tsan_release(this);
  const bool met = real(this, guarded_condition, timeout);
  __tsan_acquire(this);
  return met;
}

bool Mutex::AwaitWithDeadline(const Condition& cond, Time deadline) {
  static auto real = Real<bool (*)(Mutex*, const Condition&, Time)>(
      QCALL_ABSL("5Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE"));
  Guarded guarded{&cond, this};
  const Condition guarded_condition(&EvalGuarded, &guarded);
  __tsan_release(this);
  const bool met = real(this, guarded_condition, deadline);
  __tsan_acquire(this);
  return met;
}

void CondVar::Wait(Mutex* mu) {
  static auto real = Real<void (*)(CondVar*, Mutex*)>(
      QCALL_ABSL("7CondVar4WaitEPNS0_5MutexE"));
  __tsan_release(mu);
  real(this, mu);
  __tsan_acquire(mu);
}

bool CondVar::WaitWithTimeout(Mutex* mu, Duration timeout) {
  static auto real = Real<bool (*)(CondVar*, Mutex*, Duration)>(
      QCALL_ABSL("7CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE"));
  __tsan_release(mu);
  const bool timed_out = real(this, mu, timeout);
  __tsan_acquire(mu);
  return timed_out;
}

bool CondVar::WaitWithDeadline(Mutex* mu, Time deadline) {
  static auto real = Real<bool (*)(CondVar*, Mutex*, Time)>(
      QCALL_ABSL("7CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE"));
  __tsan_release(mu);
  const bool timed_out = real(this, mu, deadline);
  __tsan_acquire(mu);
  return timed_out;
}

void Notification::Notify() {
  static auto real =
      Real<void (*)(Notification*)>(QCALL_ABSL("12Notification6NotifyEv"));
  __tsan_release(this);
  real(this);
}

void Notification::WaitForNotification() const {
  static auto real = Real<void (*)(const Notification*)>(
      QCALL_ABSL_CONST("12Notification19WaitForNotificationEv"));
  real(this);
  __tsan_acquire(const_cast<Notification*>(this));
}

bool Notification::WaitForNotificationWithTimeout(Duration timeout) const {
  static auto real =
      Real<bool (*)(const Notification*, Duration)>(QCALL_ABSL_CONST(
          "12Notification30WaitForNotificationWithTimeoutENS0_8DurationE"));
  const bool notified = real(this, timeout);
  if (notified) __tsan_acquire(const_cast<Notification*>(this));
  return notified;
}

bool Notification::WaitForNotificationWithDeadline(Time deadline) const {
  static auto real = Real<bool (*)(const Notification*, Time)>(QCALL_ABSL_CONST(
      "12Notification31WaitForNotificationWithDeadlineENS0_4TimeE"));
  const bool notified = real(this, deadline);
  if (notified) __tsan_acquire(const_cast<Notification*>(this));
  return notified;
}

void absl::ReleasableMutexLock::Release() {
  static auto real = Real<void (*)(ReleasableMutexLock*)>(
      QCALL_ABSL("19ReleasableMutexLock7ReleaseEv"));
  __tsan_release(mu_);
  real(this);
}
