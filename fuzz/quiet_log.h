// The fuzz targets' libprotobuf log goes nowhere: fuzzed bytes make it write
// a line per bad string or text, which would drown libFuzzer's own output
// and slow it down.
//
//   extern "C" int LLVMFuzzerInitialize(int*, char***) {
//     qcall::fuzz::QuietProtobufLog();
//     return 0;
//   }
#ifndef QCALL_FUZZ_QUIET_LOG_H_
#define QCALL_FUZZ_QUIET_LOG_H_

#include <string>

#include "google/protobuf/stubs/logging.h"

namespace qcall::fuzz {

inline void QuietProtobufLog() {
  google::protobuf::SetLogHandler(
      [](google::protobuf::LogLevel, const char*, int, const std::string&) {});
}

}  // namespace qcall::fuzz

#endif  // QCALL_FUZZ_QUIET_LOG_H_
