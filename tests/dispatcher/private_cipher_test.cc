// PrivateCipher: a day key wraps and unwraps only under its master key and
// for its (hall, day); a sealed phone opens only with its day key and for its
// (hall, day, ticket); the key file is exactly 32 bytes, the server's alone.
#include "dispatcher/private_cipher.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"

namespace qcall {
namespace {

PrivateCipher Cipher(char fill) {
  absl::StatusOr<PrivateCipher> cipher =
      PrivateCipher::WithMasterKey(std::string(32, fill));
  EXPECT_TRUE(cipher.ok()) << cipher.status();
  return *std::move(cipher);
}

TEST(PrivateCipherTest, SealsAndOpensForItsTicketOnly) {
  const PrivateCipher cipher = Cipher('k');
  const PrivateCipher::DayKey day = cipher.NewDayKey("hall-1", 20261207);
  ASSERT_EQ(day.key.size(), PrivateCipher::kKeyBytes);
  const std::string sealed =
      PrivateCipher::Seal(day.key, "hall-1", 20261207, "A012", "13800138000");
  EXPECT_EQ(sealed.find("13800138000"), std::string::npos);
  absl::StatusOr<std::string> opened =
      PrivateCipher::Open(day.key, "hall-1", 20261207, "A012", sealed);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(*opened, "13800138000");
  // Moved to another ticket, day or hall, it does not open.
  EXPECT_EQ(PrivateCipher::Open(day.key, "hall-1", 20261207, "A013", sealed)
                .status()
                .code(),
            absl::StatusCode::kDataLoss);
  EXPECT_FALSE(
      PrivateCipher::Open(day.key, "hall-1", 20261208, "A012", sealed).ok());
  EXPECT_FALSE(
      PrivateCipher::Open(day.key, "hall-2", 20261207, "A012", sealed).ok());
  // Nor with another day's key, nor with a byte changed or cut.
  const PrivateCipher::DayKey other = cipher.NewDayKey("hall-1", 20261207);
  EXPECT_FALSE(
      PrivateCipher::Open(other.key, "hall-1", 20261207, "A012", sealed).ok());
  std::string changed = sealed;
  changed.back() ^= 1;
  EXPECT_FALSE(
      PrivateCipher::Open(day.key, "hall-1", 20261207, "A012", changed).ok());
  EXPECT_FALSE(PrivateCipher::Open(day.key, "hall-1", 20261207, "A012",
                                   sealed.substr(0, 10))
                   .ok());
  // A random nonce each time: the same phone never seals to the same bytes.
  EXPECT_NE(sealed, PrivateCipher::Seal(day.key, "hall-1", 20261207, "A012",
                                        "13800138000"));
}

TEST(PrivateCipherTest, ADayKeyUnwrapsUnderItsMasterKeyAndDayOnly) {
  const PrivateCipher cipher = Cipher('k');
  const PrivateCipher::DayKey day = cipher.NewDayKey("hall-1", 20261207);
  EXPECT_EQ(day.wrapped.find(day.key), std::string::npos);
  absl::StatusOr<std::string> key =
      cipher.UnwrapDayKey(day.wrapped, "hall-1", 20261207);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(*key, day.key);
  EXPECT_EQ(
      cipher.UnwrapDayKey(day.wrapped, "hall-1", 20261208).status().code(),
      absl::StatusCode::kDataLoss);
  absl::StatusOr<std::string> other =
      Cipher('x').UnwrapDayKey(day.wrapped, "hall-1", 20261207);
  EXPECT_EQ(other.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(other.status().message().find("--private-key-file"),
            std::string::npos)
      << other.status();
  // Two days never share a key.
  EXPECT_NE(cipher.NewDayKey("hall-1", 20261207).key, day.key);
}

TEST(PrivateCipherTest, TheMasterKeyIs32BytesOfTheServersOwn) {
  EXPECT_EQ(PrivateCipher::WithMasterKey(std::string(31, 'k')).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PrivateCipher::WithMasterKey(std::string(33, 'k')).status().code(),
            absl::StatusCode::kInvalidArgument);
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      ("qcall-cipher-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "private.key").string();
  std::ofstream(path, std::ios::binary) << std::string(32, 'k');
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  absl::StatusOr<PrivateCipher> shared = PrivateCipher::FromKeyFile(path);
  EXPECT_EQ(shared.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(shared.status().message().find("chmod 600"), std::string::npos)
      << shared.status();
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  EXPECT_TRUE(PrivateCipher::FromKeyFile(path).ok());
  std::ofstream(path, std::ios::binary) << std::string(16, 'k');
  absl::StatusOr<PrivateCipher> short_key = PrivateCipher::FromKeyFile(path);
  EXPECT_EQ(short_key.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(short_key.status().message().find("32 bytes"), std::string::npos)
      << short_key.status();
  EXPECT_EQ(PrivateCipher::FromKeyFile((dir / "none").string()).status().code(),
            absl::StatusCode::kUnavailable);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace qcall
