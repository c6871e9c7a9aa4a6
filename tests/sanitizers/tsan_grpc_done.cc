// Linked into every program of a TSan build (scripts/test --tsan) only, and
// built without -fsanitize=thread (CMakeLists.txt).
//
// gRPC runs a server reactor's OnDone on one of its executor threads once
// the call's last operation has completed: the thread that completes it
// drops the call's last reference and hands the call over through a queue
// inside Debian's uninstrumented libgrpc, which TSan cannot see. So what
// gRPC's callbacks did on the call before its last reference went (reading
// their tags) looked unordered with gRPC freeing the call after OnDone. This
// file defines ServerCallbackCall::ScheduleOnDone, the point of that
// hand-off, in the program (the dynamic linker prefers it for every caller,
// gRPC's headers in our code and libgrpc++ itself): it acquires the call's
// reference count (which every reference dropped in our instrumented code
// released), releases the call's reactor, then calls the library's own. Every
// reactor of ours acquires itself first thing in OnDone
// (dispatcher/tsan_annotations.h), so the hand-off is ordered, and only it:
// what a reaction does after its own release is still reported.
#include <grpcpp/support/server_callback.h>
#include <sanitizer/tsan_interface.h>

#include "tests/sanitizers/real_symbol.h"

void grpc::internal::ServerCallbackCall::ScheduleOnDone(bool inline_ondone) {
  static auto real = qcall::tsan::Real<void (*)(ServerCallbackCall*, bool)>(
      "_ZN4grpc8internal18ServerCallbackCall14ScheduleOnDoneEb");
  // Every reference dropped by our code's (instrumented) Unref released
  // this counter; the last one may have been dropped inside libgrpc++.
  __tsan_acquire(&callbacks_outstanding_);
  __tsan_release(reactor());
  real(this, inline_ondone);
}
