// Happens-before edges that ThreadSanitizer cannot see by itself: Debian's
// gRPC is not built with TSan, so a message handed to it on one thread and
// delivered on another (through its completion queues and lock-free
// atomics) looks unordered. Each hand-off of ours says so: the sending side
// releases the object it hands over just before giving it to gRPC, the
// receiving side acquires the same object first thing in the callback. Only
// what the sender did before its release is ordered before what the
// receiver does after its acquire; a write after the hand-off is still a
// race TSan reports (tests/sanitizers/tsan_annotations_check.cc). Without
// TSan every call is an empty inline function.
//
//   TsanReleaseBytes(out);           // the reply's bytes, written here
//   reactor->Finish(status);
//   ...                              // the client's callback, elsewhere:
//   TsanAcquireBytes(response);      // before reading the reply's bytes
#ifndef QCALL_DISPATCHER_TSAN_ANNOTATIONS_H_
#define QCALL_DISPATCHER_TSAN_ANNOTATIONS_H_

#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/slice.h>

#include <vector>

#if defined(__SANITIZE_THREAD__)
#define QCALL_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define QCALL_TSAN 1
#endif
#endif

#ifdef QCALL_TSAN
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
#endif

namespace qcall {

#ifdef QCALL_TSAN
inline void TsanRelease(const void* addr) {
  __tsan_release(const_cast<void*>(addr));
}
inline void TsanAcquire(const void* addr) {
  __tsan_acquire(const_cast<void*>(addr));
}
// The same for a message's bytes: each slice, by the address of its first
// byte (in-process calls hand the slices themselves over, not a copy).
inline void TsanReleaseBytes(const grpc::ByteBuffer& bytes) {
  std::vector<grpc::Slice> slices;
  if (!bytes.Dump(&slices).ok()) return;
  for (const grpc::Slice& slice : slices) TsanRelease(slice.begin());
}
inline void TsanAcquireBytes(const grpc::ByteBuffer& bytes) {
  std::vector<grpc::Slice> slices;
  if (!bytes.Dump(&slices).ok()) return;
  for (const grpc::Slice& slice : slices) TsanAcquire(slice.begin());
}
#else
inline void TsanRelease(const void*) {}
inline void TsanAcquire(const void*) {}
inline void TsanReleaseBytes(const grpc::ByteBuffer&) {}
inline void TsanAcquireBytes(const grpc::ByteBuffer&) {}
#endif

}  // namespace qcall

#endif  // QCALL_DISPATCHER_TSAN_ANNOTATIONS_H_
