#include "p2psip/core/storage/kinds.h"

#include <gtest/gtest.h>

#include "p2psip/wire/byte_reader.h"
#include "p2psip/wire/constants.h"

namespace p2psip::core::storage {
namespace {

using wire::DataModel;

constexpr uint32_t kPrivateKind = 0xF0000001;

KindDefinition PrivateKind(uint32_t id = kPrivateKind) {
  return {.id = id,
          .name = "",
          .model = DataModel::kArray,
          .policy = AccessPolicy::kUserMatch,
          .max_count = 5,
          .max_size = 200,
          .max_node_multiple = 0};
}

TEST(KindsTest, PolicyNamesRoundTrip) {
  for (AccessPolicy p : {AccessPolicy::kUserMatch, AccessPolicy::kNodeMatch,
                         AccessPolicy::kUserNodeMatch, AccessPolicy::kNodeMultiple}) {
    std::optional<AccessPolicy> parsed = ParseAccessPolicy(AccessPolicyName(p));
    ASSERT_TRUE(parsed.has_value()) << AccessPolicyName(p);
    EXPECT_EQ(*parsed, p);
  }
  EXPECT_STREQ(AccessPolicyName(AccessPolicy::kUserMatch), "USER-MATCH");
  EXPECT_STREQ(AccessPolicyName(AccessPolicy::kNodeMatch), "NODE-MATCH");
  EXPECT_STREQ(AccessPolicyName(AccessPolicy::kUserNodeMatch), "USER-NODE-MATCH");
  EXPECT_STREQ(AccessPolicyName(AccessPolicy::kNodeMultiple), "NODE-MULTIPLE");
}

TEST(KindsTest, ParseRejectsUnknownPolicies) {
  EXPECT_FALSE(ParseAccessPolicy("").has_value());
  EXPECT_FALSE(ParseAccessPolicy("user-match").has_value());
  EXPECT_FALSE(ParseAccessPolicy("USER-CHAIN-ACL").has_value());
  EXPECT_FALSE(ParseAccessPolicy("NODE-ID-MATCH").has_value());
  EXPECT_FALSE(ParseAccessPolicy("USER-MATCH ").has_value());
}

TEST(KindsTest, BuiltinsHaveRegisteredModelsAndDefaults) {
  KindRegistry r = KindRegistry::WithBuiltins();
  EXPECT_EQ(r.size(), 4u);

  const KindDefinition* sip = r.Find(wire::kKindSipRegistration);
  ASSERT_NE(sip, nullptr);
  EXPECT_EQ(sip->name, "SIP-REGISTRATION");
  EXPECT_EQ(sip->model, DataModel::kDictionary);
  EXPECT_EQ(sip->policy, AccessPolicy::kUserNodeMatch);
  EXPECT_EQ(sip->max_count, 10u);
  EXPECT_EQ(sip->max_size, 1000u);

  const KindDefinition* turn = r.Find(wire::kKindTurnService);
  ASSERT_NE(turn, nullptr);
  EXPECT_EQ(turn->name, "TURN-SERVICE");
  EXPECT_EQ(turn->model, DataModel::kSingle);
  EXPECT_EQ(turn->policy, AccessPolicy::kNodeMultiple);
  EXPECT_EQ(turn->max_node_multiple, 20u);
  EXPECT_EQ(turn->max_count, 1u);
  EXPECT_EQ(turn->max_size, 100u);

  const KindDefinition* by_node = r.Find(wire::kKindCertificateByNode);
  ASSERT_NE(by_node, nullptr);
  EXPECT_EQ(by_node->name, "CERTIFICATE_BY_NODE");
  EXPECT_EQ(by_node->model, DataModel::kArray);
  EXPECT_EQ(by_node->policy, AccessPolicy::kNodeMatch);
  EXPECT_EQ(by_node->max_count, 2u);
  EXPECT_EQ(by_node->max_size, 3000u);

  const KindDefinition* by_user = r.Find(wire::kKindCertificateByUser);
  ASSERT_NE(by_user, nullptr);
  EXPECT_EQ(by_user->name, "CERTIFICATE_BY_USER");
  EXPECT_EQ(by_user->model, DataModel::kArray);
  EXPECT_EQ(by_user->policy, AccessPolicy::kUserMatch);
  EXPECT_EQ(by_user->max_count, 2u);
  EXPECT_EQ(by_user->max_size, 3000u);

  EXPECT_EQ(r.Find(wire::kKindAccessControlList), nullptr);
  EXPECT_EQ(r.Find(0), nullptr);
}

// §11.1: a configuration's model/policy for a registered kind are ignored (the RFC's own
// example shows SIP-REGISTRATION as SINGLE/USER-MATCH); only the limits are taken.
TEST(KindsTest, RegisteredKindTakesOnlyLimits) {
  KindRegistry r = KindRegistry::WithBuiltins();
  ASSERT_TRUE(r.Add({.id = wire::kKindSipRegistration,
                     .name = "SIP-REGISTRATION",
                     .model = DataModel::kSingle,
                     .policy = AccessPolicy::kUserMatch,
                     .max_count = 1,
                     .max_size = 500})
                  .ok());
  const KindDefinition* sip = r.Find(wire::kKindSipRegistration);
  ASSERT_NE(sip, nullptr);
  EXPECT_EQ(sip->model, DataModel::kDictionary);
  EXPECT_EQ(sip->policy, AccessPolicy::kUserNodeMatch);
  EXPECT_EQ(sip->name, "SIP-REGISTRATION");
  EXPECT_EQ(sip->max_count, 1u);
  EXPECT_EQ(sip->max_size, 500u);
  EXPECT_EQ(r.size(), 4u);

  ASSERT_TRUE(r.Add({.id = wire::kKindTurnService,
                     .model = DataModel::kArray,
                     .policy = AccessPolicy::kUserMatch,
                     .max_count = 1,
                     .max_size = 64,
                     .max_node_multiple = 5})
                  .ok());
  const KindDefinition* turn = r.Find(wire::kKindTurnService);
  ASSERT_NE(turn, nullptr);
  EXPECT_EQ(turn->model, DataModel::kSingle);
  EXPECT_EQ(turn->policy, AccessPolicy::kNodeMultiple);
  EXPECT_EQ(turn->max_node_multiple, 5u);
  EXPECT_EQ(turn->max_size, 64u);
}

TEST(KindsTest, RegisteredKindCanBeAddedToAnEmptyRegistry) {
  KindRegistry r;
  EXPECT_EQ(r.size(), 0u);
  ASSERT_TRUE(r.Add({.id = wire::kKindCertificateByUser, .max_count = 3, .max_size = 4000}).ok());
  const KindDefinition* k = r.Find(wire::kKindCertificateByUser);
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(k->model, DataModel::kArray);
  EXPECT_EQ(k->policy, AccessPolicy::kUserMatch);
  EXPECT_EQ(k->max_count, 3u);
  EXPECT_EQ(r.size(), 1u);
}

TEST(KindsTest, PrivateKindTakesEverything) {
  KindRegistry r = KindRegistry::WithBuiltins();
  KindDefinition k = PrivateKind();
  k.name = "MY-KIND";
  k.model = DataModel::kDictionary;
  k.policy = AccessPolicy::kUserNodeMatch;
  ASSERT_TRUE(r.Add(k).ok());
  const KindDefinition* got = r.Find(kPrivateKind);
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(got->name, "MY-KIND");
  EXPECT_EQ(got->model, DataModel::kDictionary);
  EXPECT_EQ(got->policy, AccessPolicy::kUserNodeMatch);
  EXPECT_EQ(got->max_count, 5u);
  EXPECT_EQ(got->max_size, 200u);
  EXPECT_EQ(r.size(), 5u);

  // Adding the same id again replaces it.
  k.model = DataModel::kSingle;
  k.policy = AccessPolicy::kNodeMatch;
  k.max_count = 1;
  ASSERT_TRUE(r.Add(k).ok());
  EXPECT_EQ(r.Find(kPrivateKind)->model, DataModel::kSingle);
  EXPECT_EQ(r.size(), 5u);

  EXPECT_TRUE(r.Add(PrivateKind(0xFFFFFFFD)).ok());
}

TEST(KindsTest, RejectsInvalidAndReservedIds) {
  KindRegistry r = KindRegistry::WithBuiltins();
  for (uint32_t id : {0u, 0x7FFFFFFFu, 0xFFFFFFFEu, 0xFFFFFFFFu}) {
    absl::Status s = r.Add(PrivateKind(id));
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << std::hex << id;
    EXPECT_EQ(r.Find(id), nullptr);
  }
  EXPECT_EQ(r.size(), 4u);
}

TEST(KindsTest, RejectsRegisteredKindsThisNodeDoesNotImplement) {
  KindRegistry r = KindRegistry::WithBuiltins();
  // ACCESS-CONTROL-LIST, REDIR, an unassigned standards id, the expert range and its top.
  for (uint32_t id :
       {wire::kKindAccessControlList, wire::kKindRedir, 0x5u, 0x80000000u, 0xF0000000u}) {
    absl::Status s = r.Add(PrivateKind(id));
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << std::hex << id;
    EXPECT_NE(s.message().find("unknown registered kind"), std::string_view::npos) << s.message();
    EXPECT_EQ(r.Find(id), nullptr);
  }
}

TEST(KindsTest, RejectsUserNodeMatchWithoutDictionary) {
  KindRegistry r;
  KindDefinition k = PrivateKind();
  k.policy = AccessPolicy::kUserNodeMatch;
  k.model = DataModel::kArray;
  EXPECT_EQ(r.Add(k).code(), absl::StatusCode::kInvalidArgument);
  k.model = DataModel::kSingle;
  k.max_count = 1;
  EXPECT_EQ(r.Add(k).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.size(), 0u);
}

TEST(KindsTest, RejectsNodeMultipleOutOfRange) {
  KindRegistry r;
  KindDefinition k = PrivateKind();
  k.policy = AccessPolicy::kNodeMultiple;
  k.max_node_multiple = 0;
  EXPECT_EQ(r.Add(k).code(), absl::StatusCode::kInvalidArgument);
  // i is hashed as one byte.
  k.max_node_multiple = 256;
  EXPECT_EQ(r.Add(k).code(), absl::StatusCode::kInvalidArgument);
  k.max_node_multiple = 255;
  EXPECT_TRUE(r.Add(k).ok());

  // The registered TURN-SERVICE takes its limit from the config, and 0 is refused there too.
  KindRegistry b = KindRegistry::WithBuiltins();
  EXPECT_EQ(
      b.Add({.id = wire::kKindTurnService, .max_count = 1, .max_size = 100, .max_node_multiple = 0})
          .code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(b.Find(wire::kKindTurnService)->max_node_multiple, 20u);
}

TEST(KindsTest, RejectsBadMaxCount) {
  KindRegistry r = KindRegistry::WithBuiltins();
  KindDefinition k = PrivateKind();
  k.max_count = 0;
  EXPECT_EQ(r.Add(k).code(), absl::StatusCode::kInvalidArgument);
  k.model = DataModel::kSingle;
  k.max_count = 2;
  EXPECT_EQ(r.Add(k).code(), absl::StatusCode::kInvalidArgument);
  k.max_count = 1;
  EXPECT_TRUE(r.Add(k).ok());

  // Registered kinds are held to the same limits; a failed Add leaves the old definition.
  EXPECT_EQ(r.Add({.id = wire::kKindSipRegistration, .max_count = 0, .max_size = 1}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.Find(wire::kKindSipRegistration)->max_count, 10u);
  EXPECT_EQ(
      r.Add(
           {.id = wire::kKindTurnService, .max_count = 3, .max_size = 100, .max_node_multiple = 20})
          .code(),
      absl::StatusCode::kInvalidArgument);
}

TEST(KindsTest, RejectsModelOrPolicyOutsideTheEnums) {
  KindRegistry r;
  KindDefinition k = PrivateKind();
  k.model = static_cast<DataModel>(9);
  EXPECT_EQ(r.Add(k).code(), absl::StatusCode::kInvalidArgument);
  k = PrivateKind();
  k.policy = static_cast<AccessPolicy>(9);
  EXPECT_EQ(r.Add(k).code(), absl::StatusCode::kInvalidArgument);
}

TEST(KindsTest, ContextLooksUpModelsInTheRegistry) {
  KindRegistry r = KindRegistry::WithBuiltins();
  KindDefinition k = PrivateKind();
  k.model = DataModel::kDictionary;
  k.policy = AccessPolicy::kUserNodeMatch;
  ASSERT_TRUE(r.Add(k).ok());

  wire::WireContext ctx = r.Context(20);
  EXPECT_EQ(ctx.node_id_length, 20);
  EXPECT_EQ(ctx.kind_table, &r);
  EXPECT_NE(ctx.kind_model, nullptr);
  EXPECT_EQ(ctx.ModelOf(wire::kKindSipRegistration), DataModel::kDictionary);
  EXPECT_EQ(ctx.ModelOf(wire::kKindTurnService), DataModel::kSingle);
  EXPECT_EQ(ctx.ModelOf(wire::kKindCertificateByNode), DataModel::kArray);
  EXPECT_EQ(ctx.ModelOf(kPrivateKind), DataModel::kDictionary);
  // Built into the wire layer but not configured here: unknown to this overlay.
  EXPECT_EQ(ctx.ModelOf(wire::kKindRedir), std::nullopt);
  EXPECT_EQ(ctx.ModelOf(0xF0000002), std::nullopt);

  EXPECT_EQ(KindRegistry().Context().node_id_length, 16);
  EXPECT_EQ(KindRegistry().Context().ModelOf(wire::kKindSipRegistration), std::nullopt);
}

}  // namespace
}  // namespace p2psip::core::storage
