// CHORD-RELOAD failure detection when the link layer says nothing: a peer that stops answering
// (a hung process, or a link whose failure nobody has noticed yet) is taken out of its
// neighbours' tables once an Update to it goes unanswered (every transmission timed out).
#include <cstdint>

#include "gtest/gtest.h"
#include "p2psip/core/chord_table.h"
#include "p2psip/core/node.h"
#include "ring_net.h"

namespace p2psip::core {
namespace {

using testing::kUpdateMs;
using testing::RingNet;

TEST(ChordFailureTest, ASilentNeighbourIsDroppedAfterAnUnansweredUpdate) {
  RingNet net(5);
  const int silent = 2;
  const RingId gone = RingId::Of(net.node(silent).id());
  int neighbours = 0;
  for (int i = 0; i < net.size(); ++i) {
    if (i != silent && net.node(i).chord_table()->IsNeighbor(gone)) ++neighbours;
  }
  ASSERT_GT(neighbours, 0);
  net.Silence(silent);
  // One update interval to send the Update, 5 transmissions 3 s apart (15 s) to give up on it.
  net.Advance(net.now + kUpdateMs * 2 + 16000);
  for (int i = 0; i < net.size(); ++i) {
    if (i == silent) continue;
    EXPECT_FALSE(net.node(i).chord_table()->Contains(gone)) << "node " << i;
    EXPECT_FALSE(net.Linked(i, silent)) << "node " << i;
  }
}

}  // namespace
}  // namespace p2psip::core
