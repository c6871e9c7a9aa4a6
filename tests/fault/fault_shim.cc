// An LD_PRELOAD shim (libqcall_fault_shim.so) that makes writes and syncs of
// chosen files fail, so a test can give a running qcalld a failing disk and
// take it away again.
//
//   LD_PRELOAD=.../libqcall_fault_shim.so
//   QCALL_FAULT_PATH=journal.sqlite-wal  # files whose path contains this
//   QCALL_FAULT_OPS=fdatasync,fsync      # of fsync, fdatasync, write (write,
//                                        # pwrite, pwrite64, writev, pwritev)
//   QCALL_FAULT_ERRNO=EIO                # or ENOSPC
//   QCALL_FAULT_CONTROL=/tmp/x/fail      # fail while this file exists, or
//   QCALL_FAULT_AFTER=100                # fail after 100 matching calls
//
// A call fails when the path of its file descriptor (/proc/self/fd/N)
// contains QCALL_FAULT_PATH, its operation is in QCALL_FAULT_OPS (default
// fsync,fdatasync) and the fault is on: QCALL_FAULT_CONTROL exists, or more
// than QCALL_FAULT_AFTER matching calls came before it; with neither set,
// every matching call fails. A failed call does nothing and returns -1 with
// errno set; the first five are written to stderr
// ("qcall-fault-shim: fdatasync(/.../journal.sqlite-wal) fails with EIO").
// Without QCALL_FAULT_PATH every call passes through.
#include <dlfcn.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

// The next definition of `name` (libc's), looked up once.
#define REAL(name)            \
  static const auto real_fn = \
      reinterpret_cast<decltype(&::name)>(dlsym(RTLD_NEXT, #name))

namespace {

enum Op { kFsync = 1, kFdatasync = 2, kWrite = 4 };

bool Selected(Op op) {
  static std::atomic<int> ops{-1};
  if (ops < 0) {
    const char* text = std::getenv("QCALL_FAULT_OPS");
    if (text == nullptr) text = "fsync,fdatasync";
    int parsed = 0;
    if (std::strstr(text, "fdatasync") != nullptr) parsed |= kFdatasync;
    // "fsync" as a name of its own, not the tail of "fdatasync".
    for (const char* p = text; (p = std::strstr(p, "fsync")) != nullptr; ++p) {
      if (p == text || p[-1] == ',') parsed |= kFsync;
    }
    if (std::strstr(text, "write") != nullptr) parsed |= kWrite;
    ops = parsed;
  }
  return (ops & op) != 0;
}

const char* OpName(Op op) {
  return op == kFsync ? "fsync" : op == kFdatasync ? "fdatasync" : "write";
}

ssize_t RealWrite(int fd, const void* data, size_t size) {
  REAL(write);
  return real_fn(fd, data, size);
}

// Whether this call fails; sets errno when it does.
bool Decide(int fd, Op op) {
  const char* match = std::getenv("QCALL_FAULT_PATH");
  if (match == nullptr || *match == '\0' || !Selected(op)) return false;
  char link[64];
  char path[4096];
  std::snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
  const ssize_t n = readlink(link, path, sizeof(path) - 1);
  if (n <= 0) return false;
  path[n] = '\0';
  if (std::strstr(path, match) == nullptr) return false;

  static std::atomic<long> calls{0};
  const long call = ++calls;
  const char* control = std::getenv("QCALL_FAULT_CONTROL");
  const char* after = std::getenv("QCALL_FAULT_AFTER");
  bool on = true;
  if (control != nullptr && *control != '\0') {
    on = access(control, F_OK) == 0;
  } else if (after != nullptr && *after != '\0') {
    on = call > std::atol(after);
  }
  if (!on) return false;

  const char* name = std::getenv("QCALL_FAULT_ERRNO");
  const int error =
      name != nullptr && std::strcmp(name, "ENOSPC") == 0 ? ENOSPC : EIO;
  static std::atomic<long> reported{0};
  if (++reported <= 5) {
    char line[4200];
    const int length = std::snprintf(
        line, sizeof(line), "qcall-fault-shim: %s(%s) fails with %s\n",
        OpName(op), path, error == ENOSPC ? "ENOSPC" : "EIO");
    if (length > 0) {
      const size_t size = static_cast<size_t>(length);
      RealWrite(STDERR_FILENO, line, size < sizeof(line) ? size : sizeof(line));
    }
  }
  errno = error;
  return true;
}

// Decide, with errno kept when the call goes through.
bool Fails(int fd, Op op) {
  const int saved = errno;
  const bool fails = Decide(fd, op);
  if (!fails) errno = saved;
  return fails;
}

}  // namespace

extern "C" {

ssize_t write(int fd, const void* data, size_t size) {
  if (Fails(fd, kWrite)) return -1;
  return RealWrite(fd, data, size);
}

ssize_t pwrite(int fd, const void* data, size_t size, off_t offset) {
  REAL(pwrite);
  if (Fails(fd, kWrite)) return -1;
  return real_fn(fd, data, size, offset);
}

ssize_t pwrite64(int fd, const void* data, size_t size, off64_t offset) {
  REAL(pwrite64);
  if (Fails(fd, kWrite)) return -1;
  return real_fn(fd, data, size, offset);
}

ssize_t writev(int fd, const struct iovec* iov, int count) {
  REAL(writev);
  if (Fails(fd, kWrite)) return -1;
  return real_fn(fd, iov, count);
}

ssize_t pwritev(int fd, const struct iovec* iov, int count, off_t offset) {
  REAL(pwritev);
  if (Fails(fd, kWrite)) return -1;
  return real_fn(fd, iov, count, offset);
}

int fsync(int fd) {
  REAL(fsync);
  if (Fails(fd, kFsync)) return -1;
  return real_fn(fd);
}

int fdatasync(int fd) {
  REAL(fdatasync);
  if (Fails(fd, kFdatasync)) return -1;
  return real_fn(fd);
}

}  // extern "C"
