// qcalld's --config as a file: tokens given as their SHA-256 (token_sha256)
// authenticate like plain ones, a malformed one stops start-up with a
// message naming the file's line and the token, and each plain-text token
// is warned about once at start-up unless the config says it is a demo.
#include <algorithm>
#include <cctype>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/harness.h"
#include "tests/integration/qcalld_process.h"

namespace qcall::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kHashedKioskToken[] = "it-hashed-kiosk-token-2f9c1e";
// printf %s it-hashed-kiosk-token-2f9c1e | sha256sum
constexpr char kHashedKioskSha256[] =
    "e47fc17861481b4a56cbe499768281cf2d2220a5cf4c8266a8ae4636de1fb6f5";

// The test config with one more kiosk token, given by `token_field`.
std::string WithKiosk(const std::string& token_field) {
  return absl::StrCat(TestConfig(), "\ntokens { ", token_field,
                      " role: ROLE_KIOSK halls: [\"it-hall\"] "
                      "name: \"hashed kiosk\" }\n");
}

// The 1-based line of `text` on which `needle` first appears.
int LineOf(const std::string& text, const std::string& needle) {
  const size_t at = text.find(needle);
  if (at == std::string::npos) return 0;
  return 1 +
         static_cast<int>(std::count(text.begin(), text.begin() + at, '\n'));
}

int Count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

TEST(QcalldConfigTest, HashedTokenAuthenticatesAndOthersDoNot) {
  QcalldProcess server({.config_text = WithKiosk(absl::StrCat(
                            "token_sha256: \"", kHashedKioskSha256, "\""))});
  ASSERT_TRUE(server.Start());
  Api api(server.NewChannel());
  Api::Reply issued =
      api.Issue("BILL", v1::CATEGORY_NORMAL, "", "", kHashedKioskToken);
  ASSERT_OK(issued);
  EXPECT_EQ(issued->ticket().number(), "A0001");
  // A kiosk token, with a kiosk's rights only.
  EXPECT_CODE(api.Open(1, "zhang", "", kHashedKioskToken),
              grpc::StatusCode::PERMISSION_DENIED);
  // The hash itself is no token, nor is the token with a byte changed.
  EXPECT_CODE(
      api.Issue("BILL", v1::CATEGORY_NORMAL, "", "", kHashedKioskSha256),
      grpc::StatusCode::UNAUTHENTICATED);
  std::string wrong = kHashedKioskToken;
  wrong.back() = 'f';
  EXPECT_CODE(api.Issue("BILL", v1::CATEGORY_NORMAL, "", "", wrong),
              grpc::StatusCode::UNAUTHENTICATED);
  // Plain tokens beside it keep working.
  EXPECT_OK(api.Issue("BILL"));
}

TEST(QcalldConfigTest, UpperCaseHexIsTheSameHash) {
  std::string upper = kHashedKioskSha256;
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  QcalldProcess server({.config_text = WithKiosk(
                            absl::StrCat("token_sha256: \"", upper, "\""))});
  ASSERT_TRUE(server.Start());
  Api api(server.NewChannel());
  EXPECT_OK(api.Issue("BILL", v1::CATEGORY_NORMAL, "", "", kHashedKioskToken));
}

TEST(QcalldConfigTest, MalformedHashStopsStartUpNamingLineAndToken) {
  const std::string bad_hashes[] = {
      // 63 digits, a non-hex digit, the token itself.
      std::string(kHashedKioskSha256).substr(1),
      std::string(kHashedKioskSha256).substr(1) + "g",
      kHashedKioskToken,
  };
  for (const std::string& bad : bad_hashes) {
    SCOPED_TRACE(bad);
    const std::string config =
        WithKiosk(absl::StrCat("token_sha256: \"", bad, "\""));
    QcalldProcess server({.config_text = config});
    EXPECT_FALSE(server.Start());
    const std::string line =
        absl::StrCat("config.textproto:", LineOf(config, "token_sha256"),
                     ": token 'hashed kiosk': token_sha256 is not a SHA-256");
    EXPECT_THAT(server.Log(), HasSubstr(line));
    EXPECT_THAT(server.Log(), Not(HasSubstr("listening")));
  }
}

TEST(QcalldConfigTest, TokenAndItsHashTogetherAreRefused) {
  const std::string config =
      WithKiosk(absl::StrCat("token: \"", kHashedKioskToken,
                             "\" token_sha256: \"", kHashedKioskSha256, "\""));
  QcalldProcess server({.config_text = config});
  EXPECT_FALSE(server.Start());
  EXPECT_THAT(server.Log(),
              HasSubstr(absl::StrCat(
                  "config.textproto:", LineOf(config, "token_sha256"),
                  ": token 'hashed kiosk' gives both token and "
                  "token_sha256")));
}

// The same token given plain in one entry and hashed in another is one
// token twice.
TEST(QcalldConfigTest, PlainAndHashedSameTokenIsNotUnique) {
  const std::string config = absl::StrCat(
      WithKiosk(absl::StrCat("token_sha256: \"", kHashedKioskSha256, "\"")),
      "tokens { token: \"", kHashedKioskToken,
      "\" role: ROLE_DISPLAY halls: [\"*\"] name: \"twin\" }\n");
  QcalldProcess server({.config_text = config});
  EXPECT_FALSE(server.Start());
  EXPECT_THAT(server.Log(), HasSubstr("token of 'twin' is not unique"));
}

TEST(QcalldConfigTest, EachPlainTokenIsWarnedAboutOnceUnlessADemo) {
  {
    QcalldProcess server({.config_text = WithKiosk(absl::StrCat(
                              "token_sha256: \"", kHashedKioskSha256, "\""))});
    ASSERT_TRUE(server.Start());
    const std::string log = server.Log();
    // The test config's seven tokens are plain; the hashed one is not.
    EXPECT_EQ(Count(log, "is in the config in plain text"), 7) << log;
    EXPECT_EQ(Count(log, "token 'it kiosks' is in the config in plain text"), 1)
        << log;
    EXPECT_THAT(log, Not(HasSubstr("'hashed kiosk' is in the config")));
    // Never the token itself.
    EXPECT_THAT(log, Not(HasSubstr(kKioskToken)));
    EXPECT_THAT(log, Not(HasSubstr("a demo config")));
  }
  {
    QcalldProcess server({.config_text = "demo: true\n" + TestConfig()});
    ASSERT_TRUE(server.Start());
    const std::string log = server.Log();
    EXPECT_EQ(Count(log, "is in the config in plain text"), 0) << log;
    EXPECT_EQ(Count(log, "a demo config"), 1) << log;
  }
}

TEST(QcalldConfigTest, ParseErrorNamesItsLine) {
  const std::string config = TestConfig() + "\ntokens { tokn: \"x\" }\n";
  QcalldProcess server({.config_text = config});
  EXPECT_FALSE(server.Start());
  EXPECT_THAT(server.Log(),
              HasSubstr(absl::StrCat(
                  "config.textproto:", LineOf(config, "tokn"), ":")));
  EXPECT_THAT(server.Log(), HasSubstr("tokn"));
}

}  // namespace
}  // namespace qcall::testing
