// The library's own definition of a function the TSan shims (tsan_*.cc)
// define again in the program: the next definition of the mangled `name`
// after the program's (dlsym RTLD_NEXT), cast to F. Aborts, naming the
// symbol, when the library has none (its version or inline namespace
// changed).
#ifndef QCALL_TESTS_SANITIZERS_REAL_SYMBOL_H_
#define QCALL_TESTS_SANITIZERS_REAL_SYMBOL_H_

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>

namespace qcall::tsan {

template <typename F>
F Real(const char* name) {
  void* f = dlsym(RTLD_NEXT, name);
  if (f == nullptr) {
    std::fprintf(stderr,
                 "TSan shim: %s not found in its Debian library (version or "
                 "inline namespace changed?): update tests/sanitizers/\n",
                 name);
    std::abort();
  }
  return reinterpret_cast<F>(f);
}

}  // namespace qcall::tsan

#endif  // QCALL_TESTS_SANITIZERS_REAL_SYMBOL_H_
