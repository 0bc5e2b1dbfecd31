// `p2psip sim`: the overlay simulator (src/sim) on the command line.
//
//   p2psip sim --nodes N --lookups M --seed S [--churn-median-session SECONDS --duration
//              SECONDS] [--kill-fraction P] [--values K [--kill-consecutive C |
//              --join-leave J]] [--json]
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "sim/simulator.h"

namespace p2psip::cli {

void AddSimCommand(CLI::App& app, Action* action) {
  // The options write into state that outlives this function: the action runs after parsing.
  struct State {
    sim::SimConfig cfg;
    bool json = false;
    double update_s = 0, finger_s = 0, partition_s = 0;
  };
  auto state = std::make_shared<State>();
  sim::SimConfig& cfg = state->cfg;
  bool& json = state->json;
  double& update_s = state->update_s;
  double& finger_s = state->finger_s;
  double& partition_s = state->partition_s;
  update_s = cfg.update_interval_ms / 1000.0;
  finger_s = cfg.finger_refresh_ms / 1000.0;
  CLI::App* cmd = app.add_subcommand(
      "sim", "Simulate an overlay of N nodes running the real core on a virtual clock");
  cmd->add_option("--nodes", cfg.nodes, "Number of nodes that join, one at a time")
      ->check(CLI::Range(1, 2000000));
  cmd->add_option("--lookups", cfg.lookups, "RouteQuery lookups to random Resource-IDs")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--seed", cfg.seed, "Seed: the same seed gives the same run, bit for bit");
  cmd->add_option("--churn-median-session", cfg.churn_median_session_s,
                  "Churn: median session time in seconds (Poisson arrivals and departures)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--duration", cfg.duration_s, "Churn: seconds of virtual time to run it")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--clients", cfg.clients,
                  "Clients that attach to the ring (not joining it); lookups start from them too")
      ->check(CLI::Range(0, 1000000));
  cmd->add_flag("--partition", cfg.partition,
                "Build two rings apart and let partition detection merge them");
  partition_s = cfg.partition_check_ms / 1000.0;
  cmd->add_option("--partition-check", partition_s,
                  "Seconds between partition checks through a bootstrap node (0: never)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--kill-fraction", cfg.kill_fraction,
                  "Kill this fraction of the nodes at once after the ring settles")
      ->check(CLI::Range(0.0, 0.99));
  cmd->add_option("--latency-ms", cfg.latency_ms, "One-way link latency");
  cmd->add_option("--jitter-ms", cfg.latency_jitter_ms, "Uniform extra latency");
  cmd->add_option("--loss", cfg.loss, "Message loss probability")->check(CLI::Range(0.0, 0.5));
  cmd->add_option("--update-interval", update_s, "chord-update-interval in seconds")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--finger-refresh", finger_s, "chord-ping-interval in seconds")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--successors", cfg.successors, "Predecessors and successors kept (>= 3)")
      ->check(CLI::Range(3, 64));
  cmd->add_option("--fingers", cfg.fingers, "Finger table size")->check(CLI::Range(1, 128));
  cmd->add_option("--measure-after", cfg.measure_after_intervals,
                  "With --kill-fraction: update intervals after the kill before success counts");
  cmd->add_option("--progress", cfg.progress_every_s,
                  "Seconds between progress lines on stderr (0: none)");
  cmd->add_option("--values", cfg.values,
                  "Store K TURN-SERVICE values through random peers before any failure and fetch "
                  "them all back at the end (at most 20 per node)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--kill-consecutive", cfg.kill_consecutive,
                  "With --values: kill C (1 or 2) of 3 consecutive peers at once, round after "
                  "round around the ring, and time the return to 3 copies")
      ->check(CLI::Range(1, 2));
  cmd->add_option("--kill-rounds", cfg.kill_rounds, "With --kill-consecutive: how many rounds")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--join-leave", cfg.join_leave,
                  "With --values: J peers join and J peers leave gracefully, one at a time")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--json", json, "Print one JSON object instead of text");
  cmd->callback([state, action] {
    *action = [state] {
      sim::SimConfig run = state->cfg;
      run.update_interval_ms = static_cast<uint64_t>(state->update_s * 1000);
      run.finger_refresh_ms = static_cast<uint64_t>(state->finger_s * 1000);
      run.partition_check_ms = static_cast<uint64_t>(state->partition_s * 1000);
      auto result = sim::RunSimulation(run);
      if (!result.ok()) {
        std::fprintf(stderr, "p2psip sim: %s\n", std::string(result.status().message()).c_str());
        return kExitBadUsage;
      }
      std::printf("%s\n", state->json ? result->ToJson().c_str() : result->ToText().c_str());
      return kExitOk;
    };
  });
}

}  // namespace p2psip::cli
