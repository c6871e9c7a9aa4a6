// The proof that a secret left the disk: the names of the files under `dir`
// (searched recursively, bytes as they are on disk) that still hold `bytes`.
//
//   EXPECT_TRUE(FilesHolding(data_dir, "13800138000").empty());
#ifndef QCALL_TESTS_COMMON_FILES_HOLDING_H_
#define QCALL_TESTS_COMMON_FILES_HOLDING_H_

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace qcall::testing {

inline std::vector<std::string> FilesHolding(const std::filesystem::path& dir,
                                             const std::string& bytes) {
  std::vector<std::string> found;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string content((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
    if (content.find(bytes) != std::string::npos) {
      found.push_back(entry.path().filename().string());
    }
  }
  return found;
}

}  // namespace qcall::testing

#endif  // QCALL_TESTS_COMMON_FILES_HOLDING_H_
