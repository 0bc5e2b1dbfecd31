// Broken documents: each is refused, and the message says on which line and why.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "p2psip/config/overlay_document.h"
#include "test_files.h"

namespace p2psip::config {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using testing::ReadData;

std::string ErrorOf(std::string_view xml, const ParseOptions& options = {}) {
  absl::StatusOr<OverlayDocument> doc = ParseOverlayDocument(xml, options);
  EXPECT_FALSE(doc.ok()) << "accepted:\n" << xml;
  if (doc.ok()) return "";
  EXPECT_EQ(doc.status().code(), absl::StatusCode::kInvalidArgument) << doc.status();
  return std::string(doc.status().message());
}

// A document with one configuration whose parameters are `body`.
std::string WithBody(absl::string_view body) {
  return absl::StrCat(
      "<overlay xmlns=\"urn:ietf:params:xml:ns:p2p:config-base\"\n"
      "    xmlns:sip=\"urn:ietf:params:xml:ns:p2p:config-base:sip\">\n"
      "  <configuration instance-name=\"overlay.example.org\" sequence=\"1\">\n",
      body, "\n  </configuration>\n</overlay>\n");
}

// A private kind in its own <required-kinds> (in WithBody's document the <kind> is on line 5).
std::string PrivateKind(absl::string_view id, absl::string_view model, absl::string_view policy,
                        absl::string_view extra = "") {
  return absl::StrCat("<required-kinds><kind-block>\n<kind id=\"", id, "\"><data-model>", model,
                      "</data-model><access-control>", policy,
                      "</access-control><max-count>1</max-count><max-size>9</max-size>", extra,
                      "</kind></kind-block></required-kinds>");
}

TEST(RejectTest, MissingInstanceName) {
  EXPECT_THAT(ErrorOf(ReadData("invalid/missing-instance-name.xml")),
              HasSubstr("line 3: <configuration> lacks the required attribute instance-name"));
}

TEST(RejectTest, BadSequenceType) {
  // libxml2 places the error on the line where the start tag ends.
  EXPECT_THAT(ErrorOf(ReadData("invalid/bad-sequence-type.xml")),
              HasSubstr("line 4: Invalid attribute sequence for element configuration"));
}

TEST(RejectTest, UnknownElementInBaseNamespace) {
  EXPECT_THAT(ErrorOf(ReadData("invalid/unknown-base-element.xml")),
              HasSubstr("line 6: Element configuration has extra content: multicast-bootstrap"));
}

TEST(RejectTest, BadKindName) {
  EXPECT_THAT(ErrorOf(ReadData("invalid/bad-kind-name.xml")),
              HasSubstr("line 6: unknown kind name \"SIP-REGISTRATOIN\""));
}

TEST(RejectTest, UserNodeMatchOnAPrivateArrayKind) {
  EXPECT_THAT(ErrorOf(ReadData("invalid/user-node-match-not-dictionary.xml")),
              HasSubstr("line 6: kind 0xF0000001: USER-NODE-MATCH needs the DICTIONARY data "
                        "model, not ARRAY"));
}

TEST(RejectTest, BadBase64RootCert) {
  EXPECT_THAT(ErrorOf(ReadData("invalid/bad-root-cert.xml")),
              AllOf(HasSubstr("line 4: "), HasSubstr("base64Binary")));
}

TEST(RejectTest, MalformedXml) {
  EXPECT_THAT(ErrorOf(ReadData("invalid/malformed.xml")),
              HasSubstr("line 5: not well-formed XML: Opening and ending tag mismatch: "
                        "initial-ttl line 5 and initial-tt"));
}

TEST(RejectTest, BadBootstrapAddress) {
  EXPECT_THAT(ErrorOf(ReadData("invalid/bad-bootstrap-address.xml")),
              HasSubstr("line 5: bootstrap-node address \"bootstrap.example.org\" is not an IPv4 "
                        "or IPv6 address"));
}

TEST(RejectTest, ValuesOutOfRange) {
  EXPECT_THAT(ErrorOf(WithBody("<node-id-length>12</node-id-length>")),
              HasSubstr("line 4: <node-id-length> 12 is out of range (16..20)"));
  EXPECT_THAT(ErrorOf(WithBody("<overlay-reliability-timer>199</overlay-reliability-timer>")),
              HasSubstr("line 4: <overlay-reliability-timer> 199 is out of range (200.."));
  EXPECT_THAT(ErrorOf(WithBody("<initial-ttl>0</initial-ttl>")),
              HasSubstr("line 4: <initial-ttl> 0 is out of range (1..255)"));
  EXPECT_THAT(ErrorOf(WithBody("<bootstrap-node address=\"::1\" port=\"70000\"/>")),
              HasSubstr("line 4: bootstrap-node port 70000 is out of range (1..65535)"));
  EXPECT_THAT(ErrorOf("<overlay xmlns=\"urn:ietf:params:xml:ns:p2p:config-base\">\n"
                      "<configuration instance-name=\"o\" sequence=\"65535\"/></overlay>"),
              HasSubstr("line 2: sequence 65535 is out of range (0..65534)"));
  EXPECT_THAT(ErrorOf("<overlay xmlns=\"urn:ietf:params:xml:ns:p2p:config-base\">\n"
                      "<configuration instance-name=\"o\" sequence=\"-1\"/></overlay>"),
              HasSubstr("line 2: sequence -1 is out of range (0..65534)"));
}

TEST(RejectTest, BadKindDefinitions) {
  EXPECT_THAT(ErrorOf(WithBody(PrivateKind("4026531841", "EXP-DATA", "USER-MATCH"))),
              HasSubstr("line 5: kind 4026531841 (0xF0000001): unknown data-model \"EXP-DATA\""));
  EXPECT_THAT(ErrorOf(WithBody(PrivateKind("4026531841", "ARRAY", "USER-CHAIN-ACL"))),
              HasSubstr("line 5: kind 4026531841 (0xF0000001): unknown access-control "
                        "\"USER-CHAIN-ACL\""));
  EXPECT_THAT(ErrorOf(WithBody(PrivateKind("4026531841", "ARRAY", "NODE-MULTIPLE"))),
              HasSubstr("line 5: kind 0xF0000001: NODE-MULTIPLE needs max-node-multiple"));
  EXPECT_THAT(ErrorOf(WithBody(PrivateKind("4294967294", "ARRAY", "NODE-MATCH"))),
              HasSubstr("line 5: kind 0xFFFFFFFE is reserved"));
  EXPECT_THAT(ErrorOf(WithBody(PrivateKind("0", "ARRAY", "NODE-MATCH"))),
              HasSubstr("line 5: kind id 0 is out of range"));
  const std::string block =
      "<kind-block><kind id=\"4026531841\"><data-model>ARRAY</data-model><access-control>"
      "NODE-MATCH</access-control><max-count>1</max-count><max-size>9</max-size></kind>"
      "</kind-block>";
  EXPECT_THAT(ErrorOf(WithBody(
                  absl::StrCat("<required-kinds>\n", block, "\n", block, "</required-kinds>"))),
              HasSubstr("line 6: kind 4026531841 (0xF0000001) is defined twice"));
  // Both name= and id=: refused by the grammar, located by the parser.
  EXPECT_THAT(
      ErrorOf(WithBody(PrivateKind("4026531841\" name=\"TURN-SERVICE", "SINGLE", "NODE-MATCH"))),
      HasSubstr("line 5: <kind> needs exactly one of the attributes name and id"));
}

TEST(RejectTest, BadDomainRestrictionPattern) {
  EXPECT_THAT(ErrorOf(WithBody("<sip:domain-restriction enable=\"true\">\n"
                               "<sip:pattern>(unclosed</sip:pattern>"
                               "</sip:domain-restriction>")),
              HasSubstr("line 5: "));
}

TEST(RejectTest, SignatureMustFollowAConfiguration) {
  EXPECT_THAT(ErrorOf("<overlay xmlns=\"urn:ietf:params:xml:ns:p2p:config-base\">\n"
                      "<signature>AAAA</signature>\n"
                      "<configuration instance-name=\"o\"/></overlay>"),
              HasSubstr("line 2: <signature> does not follow a <configuration>"));
}

TEST(RejectTest, WrongRootOrNamespace) {
  EXPECT_THAT(ErrorOf("<overlay><configuration instance-name=\"o\"/></overlay>"),
              HasSubstr("RELAX NG"));
  EXPECT_THAT(ErrorOf("<?xml version=\"1.0\"?>\n<config xmlns=\"urn:ietf:params:xml:ns:p2p:"
                      "config-base\"/>"),
              HasSubstr("line 2: "));
}

TEST(RejectTest, HostileInput) {
  // XXE: the parser stops at the DOCTYPE; nothing is declared, read or expanded.
  EXPECT_THAT(ErrorOf("<?xml version=\"1.0\"?>\n<!DOCTYPE overlay [\n"
                      "<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n"
                      "<overlay xmlns=\"urn:ietf:params:xml:ns:p2p:config-base\">"
                      "<configuration instance-name=\"&xxe;\"/></overlay>"),
              HasSubstr("line 2: a DOCTYPE is not allowed"));
  EXPECT_THAT(ErrorOf("<!DOCTYPE overlay SYSTEM \"http://example.com/x.dtd\"><overlay/>"),
              HasSubstr("DOCTYPE is not allowed"));
  EXPECT_THAT(ErrorOf(""), HasSubstr("not well-formed XML"));
  EXPECT_THAT(ErrorOf(std::string("<overlay>\0</overlay>", 20)), HasSubstr("NUL"));
  EXPECT_THAT(ErrorOf("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<overlay/>"),
              HasSubstr("must be UTF-8"));
  EXPECT_THAT(ErrorOf("<overlay xmlns=\"urn:ietf:params:xml:ns:p2p:config-base\">\n"
                      "<configuration instance-name=\"o\"><x:y/></configuration></overlay>"),
              HasSubstr("line 2: not well-formed XML: Namespace prefix x on y is not defined"));
  // Deep nesting inside an extension element: libxml2's depth limit, not a stack overflow.
  std::string deep =
      "<overlay xmlns=\"urn:ietf:params:xml:ns:p2p:config-base\">"
      "<configuration instance-name=\"o\">";
  for (int i = 0; i < 1000; ++i) deep += "<e:a xmlns:e=\"urn:e\">";
  EXPECT_THAT(ErrorOf(deep), HasSubstr("not well-formed XML"));
}

TEST(RejectTest, SizeLimit) {
  const std::string xml = ReadData("rfc6940-example.xml");
  EXPECT_THAT(ErrorOf(xml, {.max_bytes = 1000}),
              HasSubstr(absl::StrCat("the document is ", xml.size(),
                                     " bytes, over the limit of 1000 bytes")));
  const std::string huge(size_t{1} << 20 | 1, ' ');
  EXPECT_THAT(ErrorOf(huge), HasSubstr("over the limit of 1048576 bytes"));
}

TEST(RejectTest, GrammarThatDoesNotCompile) {
  absl::StatusOr<OverlayDocument> doc =
      ParseOverlayDocument(ReadData("valid/minimal.xml"), {.grammar = "<grammar/>"});
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(doc.status().message(), HasSubstr("does not compile"));
}

}  // namespace
}  // namespace p2psip::config
