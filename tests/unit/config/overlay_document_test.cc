// ParseOverlayDocument on valid documents: the RFC 6940 §11.1.3 example (which needs the
// overlay-reliability-timer fix), defaults, exact byte ranges and signatures.
#include "p2psip/config/overlay_document.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_files.h"

namespace p2psip::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::LineOf;
using testing::ReadData;

std::vector<uint8_t> Bytes(std::string_view s) { return {s.begin(), s.end()}; }

TEST(RfcExampleTest, FailsTheRfcGrammarAndValidatesWithTheFix) {
  const std::string xml = ReadData("rfc6940-example.xml");
  const std::string original = ReadData("rfc6940-original.rng");
  absl::StatusOr<OverlayDocument> unfixed = ParseOverlayDocument(xml, {.grammar = original});
  ASSERT_FALSE(unfixed.ok());
  EXPECT_THAT(unfixed.status().message(),
              HasSubstr(absl::StrCat("line ", LineOf(xml, "<overlay-reliability-timer"),
                                     ": Element configuration has extra content: "
                                     "overlay-reliability-timer")));
  EXPECT_TRUE(ParseOverlayDocument(xml).ok());
}

TEST(RfcExampleTest, AllValues) {
  const std::string xml = ReadData("rfc6940-example.xml");
  absl::StatusOr<OverlayDocument> doc = ParseOverlayDocument(xml);
  ASSERT_TRUE(doc.ok()) << doc.status();
  ASSERT_EQ(doc->configurations.size(), 2u);
  const OverlayConfiguration& c = doc->configurations[0];
  EXPECT_EQ(c.instance_name, "overlay.example.org");
  EXPECT_EQ(c.sequence, 22);
  EXPECT_EQ(c.expiration, 1034233200);  // 2002-10-10T07:00:00Z
  EXPECT_EQ(c.topology_plugin, "CHORD-RELOAD");
  EXPECT_EQ(c.node_id_length, 16);
  ASSERT_EQ(c.root_certs.size(), 2u);
  EXPECT_EQ(c.root_certs[0].size(), 808u);  // the sipit test CA, DER
  EXPECT_EQ(c.root_certs[0][0], 0x30);
  EXPECT_EQ(c.root_certs[0][1], 0x82);
  EXPECT_EQ(c.root_certs[1], Bytes("bad cert\n"));
  EXPECT_THAT(c.enrollment_servers, ElementsAre("https://example.org", "https://example.net"));
  EXPECT_FALSE(c.self_signed_permitted);
  EXPECT_EQ(c.self_signed_digest, "sha1");
  ASSERT_EQ(c.bootstrap_nodes.size(), 3u);
  EXPECT_EQ(c.bootstrap_nodes[0].address, "192.0.0.1");
  EXPECT_EQ(c.bootstrap_nodes[0].endpoint.ToString(), "192.0.0.1:6084");
  EXPECT_EQ(c.bootstrap_nodes[1].endpoint.ToString(), "192.0.2.2:6084");
  EXPECT_EQ(c.bootstrap_nodes[2].address, "2001:DB8::1");
  EXPECT_EQ(c.bootstrap_nodes[2].endpoint.ToString(), "[2001:db8::1]:6084");
  EXPECT_EQ(c.turn_density, 20);
  EXPECT_FALSE(c.clients_permitted);
  EXPECT_FALSE(c.no_ice);
  EXPECT_EQ(c.chord_update_interval_s, 400u);
  EXPECT_EQ(c.chord_ping_interval_s, 30u);
  EXPECT_TRUE(c.chord_reactive);
  EXPECT_EQ(c.shared_secret, "password");
  EXPECT_EQ(c.max_message_size, 4000u);
  EXPECT_EQ(c.initial_ttl, 30);
  EXPECT_EQ(c.overlay_reliability_timer_ms, 3000u);
  EXPECT_THAT(c.overlay_link_protocols, ElementsAre("TLS"));
  EXPECT_THAT(c.configuration_signers, ElementsAre("47112162e84c69ba"));
  EXPECT_THAT(c.kind_signers, ElementsAre("47112162e84c69ba", "6eba45d31a900c06"));
  EXPECT_THAT(c.bad_nodes, ElementsAre("6ebc45d31a900c06", "6ebc45d31a900ca6"));
  EXPECT_THAT(c.mandatory_extensions, ElementsAre("urn:ietf:params:xml:ns:p2p:config-ext1"));
  EXPECT_FALSE(c.sip_domain_restriction.has_value());
  EXPECT_EQ(c.line, LineOf(xml, "<configuration"));
  ASSERT_TRUE(c.signature.has_value());
  EXPECT_EQ(c.signature->value, Bytes("This is not right!\n"));
  EXPECT_EQ(c.signature->algorithm, "");

  ASSERT_EQ(c.required_kinds.size(), 2u);
  const RequiredKind& sip = c.required_kinds[0];
  EXPECT_TRUE(sip.registered);
  EXPECT_EQ(sip.definition.id, 1u);
  EXPECT_EQ(sip.definition.name, "SIP-REGISTRATION");
  // The example says SINGLE / USER-MATCH; the registered DICTIONARY / USER-NODE-MATCH apply.
  EXPECT_EQ(sip.data_model, "SINGLE");
  EXPECT_EQ(sip.access_control, "USER-MATCH");
  EXPECT_EQ(sip.definition.model, wire::DataModel::kDictionary);
  EXPECT_EQ(sip.definition.policy, core::storage::AccessPolicy::kUserNodeMatch);
  EXPECT_EQ(sip.definition.max_count, 1u);
  EXPECT_EQ(sip.definition.max_size, 100u);
  EXPECT_EQ(sip.line, LineOf(xml, "<kind name=\"SIP-REGISTRATION\""));
  ASSERT_TRUE(sip.signature.has_value());
  EXPECT_EQ(sip.signature->value, Bytes("This is not right!\n"));

  const RequiredKind& k2000 = c.required_kinds[1];
  EXPECT_FALSE(k2000.registered);
  EXPECT_EQ(k2000.definition.id, 2000u);
  EXPECT_EQ(k2000.definition.name, "");
  EXPECT_EQ(k2000.definition.model, wire::DataModel::kArray);
  EXPECT_EQ(k2000.definition.policy, core::storage::AccessPolicy::kNodeMultiple);
  EXPECT_EQ(k2000.definition.max_node_multiple, 3u);
  EXPECT_EQ(k2000.definition.max_count, 22u);
  EXPECT_EQ(k2000.definition.max_size, 4u);
  ASSERT_TRUE(k2000.signature.has_value());
  const std::string_view kind_text = k2000.bytes.Of(xml);
  EXPECT_TRUE(kind_text.starts_with("<kind id=\"2000\">"));
  EXPECT_TRUE(kind_text.ends_with("</ext:example-kind-extension>\n                </kind>"));

  ASSERT_EQ(c.warnings.size(), 2u);
  EXPECT_THAT(c.warnings[0], HasSubstr("data-model SINGLE / access-control USER-MATCH ignored"));
  EXPECT_THAT(c.warnings[1], HasSubstr("2000 (0x7D0) is neither private nor"));

  const OverlayConfiguration& other = doc->configurations[1];
  EXPECT_EQ(other.instance_name, "other.example.net");
  EXPECT_FALSE(other.sequence.has_value());
  EXPECT_TRUE(other.signature.has_value());
  EXPECT_EQ(other.bytes.Of(xml),
            "<configuration instance-name=\"other.example.net\" >\n    </configuration>");
  EXPECT_EQ(doc->Find("other.example.net"), &other);
  EXPECT_EQ(doc->Find("nope.example"), nullptr);
}

TEST(RfcExampleTest, ConfigurationBytesAreExact) {
  const std::string xml = ReadData("rfc6940-example.xml");
  absl::StatusOr<OverlayDocument> doc = ParseOverlayDocument(xml);
  ASSERT_TRUE(doc.ok()) << doc.status();
  const ByteRange r = doc->configurations[0].bytes;
  const size_t begin = xml.find("<configuration");
  const std::string end_tag = "</configuration>";
  const size_t end = xml.find(end_tag) + end_tag.size();
  EXPECT_EQ(r.begin, begin);
  EXPECT_EQ(r.end, end);
  EXPECT_EQ(r.Of(xml), std::string_view(xml).substr(begin, end - begin));
}

TEST(DefaultsTest, AbsentElementsTakeTheDigestDefaults) {
  absl::StatusOr<OverlayDocument> doc = ParseOverlayDocument(ReadData("valid/minimal.xml"));
  ASSERT_TRUE(doc.ok()) << doc.status();
  ASSERT_EQ(doc->configurations.size(), 1u);
  const OverlayConfiguration& c = doc->configurations[0];
  EXPECT_EQ(c.instance_name, "minimal.example.org");
  EXPECT_EQ(c.sequence, 0);
  EXPECT_FALSE(c.expiration.has_value());
  EXPECT_EQ(c.topology_plugin, "CHORD-RELOAD");
  EXPECT_EQ(c.node_id_length, 16);
  EXPECT_TRUE(c.root_certs.empty());
  EXPECT_TRUE(c.enrollment_servers.empty());
  EXPECT_FALSE(c.self_signed_permitted);
  EXPECT_EQ(c.self_signed_digest, "");
  EXPECT_TRUE(c.bootstrap_nodes.empty());
  EXPECT_EQ(c.turn_density, 1);
  EXPECT_TRUE(c.clients_permitted);
  EXPECT_FALSE(c.no_ice);
  EXPECT_EQ(c.chord_update_interval_s, 600u);
  EXPECT_EQ(c.chord_ping_interval_s, 3600u);
  EXPECT_TRUE(c.chord_reactive);
  EXPECT_FALSE(c.shared_secret.has_value());
  EXPECT_EQ(c.max_message_size, 5000u);
  EXPECT_EQ(c.initial_ttl, 100);
  EXPECT_EQ(c.overlay_reliability_timer_ms, 3000u);
  EXPECT_THAT(c.overlay_link_protocols, ElementsAre("TLS"));
  EXPECT_TRUE(c.required_kinds.empty());
  EXPECT_FALSE(c.sip_domain_restriction.has_value());
  EXPECT_FALSE(c.signature.has_value());
  EXPECT_TRUE(c.warnings.empty());
}

TEST(ValidDocumentTest, PrivateKindsSipRestrictionAndBootstrapDefaults) {
  const std::string xml = ReadData("valid/private-kinds.xml");
  absl::StatusOr<OverlayDocument> doc = ParseOverlayDocument(xml);
  ASSERT_TRUE(doc.ok()) << doc.status();
  const OverlayConfiguration& c = doc->configurations.at(0);
  EXPECT_EQ(c.sequence, 65534);
  EXPECT_EQ(c.expiration, 1767225600 - 3600);  // 2026-01-01T00:00:00+01:00
  EXPECT_TRUE(c.self_signed_permitted);
  EXPECT_EQ(c.self_signed_digest, "sha256");
  ASSERT_EQ(c.bootstrap_nodes.size(), 2u);
  EXPECT_EQ(c.bootstrap_nodes[0].port, 6084);  // no port attribute
  EXPECT_EQ(c.bootstrap_nodes[0].endpoint.ToString(), "127.0.0.1:6084");
  EXPECT_EQ(c.bootstrap_nodes[1].endpoint.ToString(), "[::1]:7000");
  EXPECT_EQ(c.node_id_length, 20);
  EXPECT_THAT(c.overlay_link_protocols, ElementsAre("TLS", "DTLS"));
  EXPECT_FALSE(c.chord_reactive);
  ASSERT_TRUE(c.sip_domain_restriction.has_value());
  EXPECT_TRUE(c.sip_domain_restriction->enable);
  EXPECT_THAT(c.sip_domain_restriction->patterns,
              ElementsAre("dht\\.example\\.com", ".*\\.my\\.example"));
  EXPECT_EQ(c.sip_domain_restriction->line, LineOf(xml, "<sip:domain-restriction"));

  ASSERT_EQ(c.required_kinds.size(), 4u);
  EXPECT_EQ(c.required_kinds[0].definition.name, "SIP-REGISTRATION");
  EXPECT_EQ(c.required_kinds[0].definition.max_count, 5u);
  const core::storage::KindDefinition& dict = c.required_kinds[1].definition;
  EXPECT_EQ(dict.id, 0xF0000001u);
  EXPECT_EQ(dict.model, wire::DataModel::kDictionary);
  EXPECT_EQ(dict.policy, core::storage::AccessPolicy::kUserNodeMatch);
  EXPECT_EQ(dict.max_count, 7u);
  EXPECT_EQ(dict.max_size, 512u);
  const core::storage::KindDefinition& multi = c.required_kinds[2].definition;
  EXPECT_EQ(multi.id, 0xF0000002u);
  EXPECT_EQ(multi.policy, core::storage::AccessPolicy::kNodeMultiple);
  EXPECT_EQ(multi.max_node_multiple, 4u);
  // Identified by id, a registered kind keeps its model and policy and default limits it lacks.
  const RequiredKind& turn = c.required_kinds[3];
  EXPECT_TRUE(turn.registered);
  EXPECT_EQ(turn.definition.name, "TURN-SERVICE");
  EXPECT_EQ(turn.definition.max_node_multiple, 20u);
  EXPECT_TRUE(c.warnings.empty()) << c.warnings.front();
}

TEST(ByteRangeTest, WhitespaceCommentsCdataAndCrlfAreKept) {
  // Attribute values holding '>' and "/>", a comment and a CDATA section holding end tags, CRLF
  // line ends and a prefixed base namespace: the bytes come back exactly as written.
  const std::string configuration =
      "<p:configuration  instance-name=\"a>b/>.example\"\r\n"
      "      sequence='7' ext:note=\"a > b /> c\">\r\n"
      "  <!-- </p:configuration> -->\r\n"
      "  <p:shared-secret><![CDATA[</p:configuration>]]></p:shared-secret>\t\r\n"
      "  <p:kind-signer>  00ff </p:kind-signer>\r\n"
      "</p:configuration  >";
  const std::string xml =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n"
      "<p:overlay xmlns:p=\"urn:ietf:params:xml:ns:p2p:config-base\"\r\n"
      "    xmlns:ext=\"urn:example:ext\">\r\n  " +
      configuration +
      "\r\n  <p:signature algorithm=\"rsa-sha256\">AAEC</p:signature>\r\n"
      "  <p:configuration instance-name=\"second.example\"/>\r\n"
      "</p:overlay>\r\n";
  absl::StatusOr<OverlayDocument> doc = ParseOverlayDocument(xml);
  ASSERT_TRUE(doc.ok()) << doc.status();
  ASSERT_EQ(doc->configurations.size(), 2u);
  const OverlayConfiguration& c = doc->configurations[0];
  EXPECT_EQ(c.instance_name, "a>b/>.example");
  EXPECT_EQ(c.bytes.Of(xml), configuration);
  EXPECT_EQ(c.shared_secret, "</p:configuration>");
  EXPECT_THAT(c.kind_signers, ElementsAre("00ff"));
  EXPECT_EQ(c.line, 4);
  ASSERT_TRUE(c.signature.has_value());
  EXPECT_EQ(c.signature->algorithm, "rsa-sha256");
  EXPECT_EQ(c.signature->value, (std::vector<uint8_t>{0, 1, 2}));
  EXPECT_EQ(c.signature->line, 10);
  EXPECT_EQ(doc->configurations[1].bytes.Of(xml),
            "<p:configuration instance-name=\"second.example\"/>");
  EXPECT_FALSE(doc->configurations[1].signature.has_value());
}

TEST(ByteRangeTest, KindBytesAreExact) {
  const std::string kind =
      "<kind id=\"4026531843\">\n"
      "        <data-model> ARRAY </data-model>\n"
      "        <access-control>NODE-MATCH</access-control>\n"
      "        <max-count>3</max-count>  <max-size>10</max-size>\n"
      "      </kind>";
  const std::string xml =
      "<overlay xmlns=\"urn:ietf:params:xml:ns:p2p:config-base\">\n"
      "  <configuration instance-name=\"k.example\" sequence=\"1\">\n"
      "    <required-kinds><kind-block>\n"
      "      <kind-signature algorithm=\"x\"> AA== </kind-signature>\n      " +
      kind + "\n    </kind-block></required-kinds>\n  </configuration>\n</overlay>\n";
  absl::StatusOr<OverlayDocument> doc = ParseOverlayDocument(xml);
  ASSERT_TRUE(doc.ok()) << doc.status();
  const RequiredKind& k = doc->configurations.at(0).required_kinds.at(0);
  EXPECT_EQ(k.bytes.Of(xml), kind);
  EXPECT_EQ(k.line, 5);
  EXPECT_EQ(k.definition.model, wire::DataModel::kArray);
  ASSERT_TRUE(k.signature.has_value());
  EXPECT_EQ(k.signature->algorithm, "x");
  EXPECT_EQ(k.signature->value, (std::vector<uint8_t>{0}));
  EXPECT_EQ(k.signature->line, 4);
}

}  // namespace
}  // namespace p2psip::config
