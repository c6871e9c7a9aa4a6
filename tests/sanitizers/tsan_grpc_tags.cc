// Linked into every program of a TSan build (scripts/test --tsan) only, and
// built WITH -fsanitize=thread (CMakeLists.txt), unlike the other shims: it
// names gRPC's inline CallbackWithSuccessTag::StaticRun, and the copy of that
// inline code this file emits must be as instrumented as every other.
//
// A callback API operation is handed to gRPC with a tag
// (grpc::internal::CallbackWithSuccessTag: the std::function to run when the
// operation completes) and the tag comes back on one of gRPC's threads,
// through completion queues inside Debian's uninstrumented libgrpc, which TSan
// cannot see. So gRPC's inline code reading the tag there (its std::function,
// set by the thread that started the operation: a unary reactor's Finish on
// the journal's thread) looked unordered with the write, before any code of
// ours could acquire anything. This file orders that hand-off, and only it:
// grpc_call_start_batch, the C function every batch of the C++ API goes
// through (libgrpc++ calls it through the dynamic linker, which prefers the
// program's definition), releases the tag before the library's own, and
// gives the tag a run function that acquires it before gRPC's own StaticRun.
// What the starting thread does after its release is still reported.
#include <grpc/grpc.h>
#include <grpcpp/support/callback_common.h>
#include <sanitizer/tsan_interface.h>

#include "tests/sanitizers/real_symbol.h"

namespace qcall::tsan {
namespace {

using RunFunction = void (*)(grpc_completion_queue_functor*, int);

// gRPC's private CallbackWithSuccessTag::StaticRun: the names in an explicit
// instantiation's arguments are not access-checked (C++20 [temp.spec] p6).
RunFunction GrpcStaticRun();
template <RunFunction kRun>
struct NameStaticRun {
  friend RunFunction GrpcStaticRun() { return kRun; }
};
template struct NameStaticRun<
    &grpc::internal::CallbackWithSuccessTag::StaticRun>;

void AcquireThenRun(grpc_completion_queue_functor* tag, int ok) {
  __tsan_acquire(tag);
  GrpcStaticRun()(tag, ok);
}

// Reads and writes the tag's run function uninstrumented: it is gRPC's,
// read only inside libgrpc.
__attribute__((no_sanitize("thread"))) bool MarkCallbackTag(void* tag) {
  // Every tag the C++ API passes is an object: a callback tag (a
  // grpc_completion_queue_functor first) or a CallOpSet (its vtable first),
  // so its first word can be read.
  auto* functor = static_cast<grpc_completion_queue_functor*>(tag);
  if (functor->functor_run == GrpcStaticRun()) {
    functor->functor_run = &AcquireThenRun;
  }
  // A tag set once and used for many operations (a stream's write tag)
  // keeps AcquireThenRun.
  return functor->functor_run == &AcquireThenRun;
}

}  // namespace
}  // namespace qcall::tsan

extern "C" grpc_call_error grpc_call_start_batch(grpc_call* call,
                                                 const grpc_op* ops,
                                                 size_t nops, void* tag,
                                                 void* reserved) {
  static auto real = qcall::tsan::Real<grpc_call_error (*)(
      grpc_call*, const grpc_op*, size_t, void*, void*)>(
      "grpc_call_start_batch");
  if (tag != nullptr && qcall::tsan::MarkCallbackTag(tag)) {
    __tsan_release(tag);
  }
  return real(call, ops, nops, tag, reserved);
}
