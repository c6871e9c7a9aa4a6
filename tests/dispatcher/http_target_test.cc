// HttpTarget::Parse: the request target split into a percent-decoded path
// and query, '+' a space only in the query, malformed escapes kept as sent.
// (HttpTarget lives in http_gateway.h.)
#include <string>

#include "dispatcher/http_gateway.h"
#include "gtest/gtest.h"

namespace qcall {
namespace {

using Query = absl::flat_hash_map<std::string, std::string>;

TEST(HttpTargetTest, PathWithoutQuery) {
  const HttpTarget target = HttpTarget::Parse("/board");
  EXPECT_EQ(target.path, "/board");
  EXPECT_TRUE(target.query.empty());
  EXPECT_EQ(target.Query("hall"), "");
}

TEST(HttpTargetTest, PathIsPercentDecoded) {
  EXPECT_EQ(HttpTarget::Parse("/ticket/it%2Dhall/A%30001").path,
            "/ticket/it-hall/A0001");
  // Decoded after the split: an encoded '?' belongs to the path.
  const HttpTarget target = HttpTarget::Parse("/a%3Fb?c=d");
  EXPECT_EQ(target.path, "/a?b");
  EXPECT_EQ(target.query, (Query{{"c", "d"}}));
  // UTF-8, upper and lower case hex digits.
  EXPECT_EQ(HttpTarget::Parse("/t/%E5%8F%B7/%e7%aa%97").path, "/t/号/窗");
}

TEST(HttpTargetTest, PlusIsASpaceOnlyInTheQuery) {
  const HttpTarget target = HttpTarget::Parse("/a+b?text=A0001+to+window+3");
  EXPECT_EQ(target.path, "/a+b");
  EXPECT_EQ(target.Query("text"), "A0001 to window 3");
  // An encoded '+' is a plus.
  EXPECT_EQ(HttpTarget::Parse("/x?text=1%2B1").Query("text"), "1+1");
  EXPECT_EQ(HttpTarget::Parse("/x?a+b=c").query, (Query{{"a b", "c"}}));
}

TEST(HttpTargetTest, QueryKeysAndValuesAreDecodedAfterSplitting) {
  const HttpTarget target =
      HttpTarget::Parse("/events?hall%5Fid=sh%2Dxujiahui&text=a%26b%3Dc");
  EXPECT_EQ(target.query,
            (Query{{"hall_id", "sh-xujiahui"}, {"text", "a&b=c"}}));
  // Only the first '=' splits a pair.
  EXPECT_EQ(HttpTarget::Parse("/x?t=a=b").Query("t"), "a=b");
  EXPECT_EQ(
      HttpTarget::Parse("/speech?lang=zh&text=%E8%AF%B7%20A0001").Query("text"),
      "请 A0001");
}

TEST(HttpTargetTest, BadEscapesAreKeptAsTheyAre) {
  EXPECT_EQ(HttpTarget::Parse("/x?t=100%").Query("t"), "100%");
  EXPECT_EQ(HttpTarget::Parse("/x?t=%4").Query("t"), "%4");
  EXPECT_EQ(HttpTarget::Parse("/x?t=%zz1").Query("t"), "%zz1");
  EXPECT_EQ(HttpTarget::Parse("/x?t=%4g").Query("t"), "%4g");
  EXPECT_EQ(HttpTarget::Parse("/x?t=%g4").Query("t"), "%g4");
  // The '%' that starts no escape is kept; the escape after it is decoded.
  EXPECT_EQ(HttpTarget::Parse("/x?t=%%41").Query("t"), "%A");
  EXPECT_EQ(HttpTarget::Parse("/100%/%zz/%41").path, "/100%/%zz/A");
  // An escape that ends the text exactly is decoded.
  EXPECT_EQ(HttpTarget::Parse("/x?t=%41").Query("t"), "A");
  EXPECT_EQ(HttpTarget::Parse("/%41").path, "/A");
}

TEST(HttpTargetTest, EmptyValuesAndEmptyPairs) {
  const HttpTarget target = HttpTarget::Parse("/events?hall=&detail&&windows=");
  EXPECT_EQ(target.query,
            (Query{{"hall", ""}, {"detail", ""}, {"windows", ""}}));
  EXPECT_TRUE(target.query.contains("detail"));
  EXPECT_FALSE(target.query.contains("token"));
  EXPECT_TRUE(HttpTarget::Parse("/x?").query.empty());
  EXPECT_TRUE(HttpTarget::Parse("/x?&&").query.empty());
  EXPECT_EQ(HttpTarget::Parse("/x?").path, "/x");
}

TEST(HttpTargetTest, RepeatedKeyKeepsTheLastValue) {
  const HttpTarget target = HttpTarget::Parse("/events?hall=a&hall=b&x=1");
  EXPECT_EQ(target.query, (Query{{"hall", "b"}, {"x", "1"}}));
  // Also when they differ only in their encoding.
  EXPECT_EQ(HttpTarget::Parse("/x?hall=a&h%61ll=b").Query("hall"), "b");
}

}  // namespace
}  // namespace qcall
