// RtoEstimator against RFC 6298 §2 worked by hand (alpha 1/8, beta 1/4, K = 4), with RELOAD's
// millisecond rounding (RFC 6940 §6.6.3.2), clamping and backoff.
#include "p2psip/link/rto_estimator.h"

#include <gtest/gtest.h>

namespace p2psip::link {
namespace {

constexpr uint64_t kMs = 1000;

RtoEstimator Make(RtoOptions o = {}) {
  auto r = RtoEstimator::Create(o);
  EXPECT_TRUE(r.ok()) << r.status();
  return *r;
}

TEST(RtoEstimatorTest, InitialRtoIsFiveHundredMilliseconds) {
  RtoEstimator r = Make();
  EXPECT_EQ(r.rto_us(), 500 * kMs);
  EXPECT_FALSE(r.has_sample());
  EXPECT_EQ(Make({.initial_ms = 1000, .min_ms = 1000}).rto_us(), 1000 * kMs);
}

TEST(RtoEstimatorTest, FirstSampleSetsSrttAndHalfVariance) {
  RtoEstimator r = Make();
  r.AddSample(100 * kMs);  // R = 100 ms
  EXPECT_DOUBLE_EQ(r.srtt_us(), 100 * kMs);
  EXPECT_DOUBLE_EQ(r.rttvar_us(), 50 * kMs);
  // RTO = 100 + max(1, 4 * 50) = 300 ms.
  EXPECT_EQ(r.rto_us(), 300 * kMs);
}

TEST(RtoEstimatorTest, SecondSampleUsesOldSrttAndRoundsUpToMilliseconds) {
  RtoEstimator r = Make();
  r.AddSample(100 * kMs);
  r.AddSample(200 * kMs);
  // RTTVAR = 3/4 * 50 + 1/4 * |100 - 200| = 62.5; SRTT = 7/8 * 100 + 1/8 * 200 = 112.5.
  EXPECT_DOUBLE_EQ(r.rttvar_us(), 62.5 * kMs);
  EXPECT_DOUBLE_EQ(r.srtt_us(), 112.5 * kMs);
  // 112.5 + 4 * 62.5 = 362.5 ms, rounded up to 363 ms.
  EXPECT_EQ(r.rto_us(), 363 * kMs);
}

TEST(RtoEstimatorTest, GranularityBoundsTheVarianceTerm) {
  // Constant samples: RTTVAR decays towards 0 and G takes over.
  RtoEstimator r = Make({.initial_ms = 500, .min_ms = 1, .granularity_us = 50 * kMs});
  for (int i = 0; i < 200; ++i) r.AddSample(100 * kMs);
  EXPECT_DOUBLE_EQ(r.srtt_us(), 100 * kMs);
  EXPECT_LT(r.rttvar_us(), 1.0);
  EXPECT_EQ(r.rto_us(), 150 * kMs);  // 100 + max(50, ~0)
}

TEST(RtoEstimatorTest, ClampsToMinimumAndMaximum) {
  RtoEstimator low = Make();
  low.AddSample(10 * kMs);  // 10 + 20 = 30 ms, below the 200 ms floor
  EXPECT_EQ(low.rto_us(), 200 * kMs);
  RtoEstimator high = Make();
  high.AddSample(30'000 * kMs);  // 30 s + 60 s = 90 s, above 60 s
  EXPECT_EQ(high.rto_us(), 60'000 * kMs);
  RtoEstimator strict = Make({.initial_ms = 1000, .min_ms = 1000});
  strict.AddSample(10 * kMs);
  EXPECT_EQ(strict.rto_us(), 1000 * kMs);  // RFC 6298 §2.4's 1 s floor when asked for
}

TEST(RtoEstimatorTest, BackoffDoublesUpToMaximumAndSampleResetsIt) {
  RtoEstimator r = Make();
  r.Backoff();
  EXPECT_EQ(r.rto_us(), 1000 * kMs);
  r.Backoff();
  EXPECT_EQ(r.rto_us(), 2000 * kMs);
  for (int i = 0; i < 10; ++i) r.Backoff();
  EXPECT_EQ(r.rto_us(), 60'000 * kMs);
  r.AddSample(100 * kMs);
  EXPECT_EQ(r.rto_us(), 300 * kMs);
}

TEST(RtoEstimatorTest, StaticModeIgnoresSamplesButSampleClearsBackoff) {
  RtoEstimator r = Make({.dynamic = false});
  r.AddSample(10 * kMs);
  EXPECT_EQ(r.rto_us(), 500 * kMs);
  r.Backoff();
  EXPECT_EQ(r.rto_us(), 1000 * kMs);
  r.AddSample(10 * kMs);
  EXPECT_EQ(r.rto_us(), 500 * kMs);
}

TEST(RtoEstimatorTest, RejectsInconsistentBounds) {
  EXPECT_FALSE(RtoEstimator::Create({.min_ms = 0}).ok());
  EXPECT_FALSE(RtoEstimator::Create({.initial_ms = 100, .min_ms = 200}).ok());
  EXPECT_FALSE(RtoEstimator::Create({.initial_ms = 70'000}).ok());
}

}  // namespace
}  // namespace p2psip::link
