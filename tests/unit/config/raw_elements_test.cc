#include "config/raw_elements.h"

#include "gtest/gtest.h"

namespace p2psip::config::internal {
namespace {

TEST(RawElementsTest, DocumentOrderAndRanges) {
  const std::string_view xml =
      "<?xml version=\"1.0\"?><!-- <x> --><a q='>'><b/><c:d x=\"/>\">"
      "<![CDATA[<e>]]></c:d ></a>";
  std::optional<std::vector<RawElement>> e = ScanElements(xml);
  ASSERT_TRUE(e.has_value());
  ASSERT_EQ(e->size(), 3u);
  EXPECT_EQ((*e)[0].qname, "a");
  EXPECT_EQ(xml.substr((*e)[0].begin, (*e)[0].end - (*e)[0].begin), xml.substr(xml.find("<a ")));
  EXPECT_EQ((*e)[1].qname, "b");
  EXPECT_EQ((*e)[1].end - (*e)[1].begin, 4u);
  EXPECT_EQ((*e)[2].qname, "c:d");
  EXPECT_EQ(xml.substr((*e)[2].begin, (*e)[2].start_tag_end - (*e)[2].begin), "<c:d x=\"/>\">");
}

TEST(RawElementsTest, RefusesWhatIsNotWellFormed) {
  EXPECT_FALSE(ScanElements("<a><b></a></b>").has_value());
  EXPECT_FALSE(ScanElements("<a>").has_value());
  EXPECT_FALSE(ScanElements("<a x='>").has_value());
  EXPECT_FALSE(ScanElements("<!DOCTYPE a><a/>").has_value());
  EXPECT_FALSE(ScanElements("<a><!-- </a>").has_value());
}

TEST(RawElementsTest, Lines) {
  const LineIndex lines("a\nb\r\nc");
  EXPECT_EQ(lines.LineAt(0), 1);
  EXPECT_EQ(lines.LineAt(1), 1);
  EXPECT_EQ(lines.LineAt(2), 2);
  EXPECT_EQ(lines.LineAt(5), 3);
}

}  // namespace
}  // namespace p2psip::config::internal
