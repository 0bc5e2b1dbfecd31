// p2psip: the client and admin tool. Today it has one subcommand, `sim`, the overlay
// simulator; the client commands arrive with the node (DESIGN.md §7).
//
//   p2psip sim --nodes N --lookups M --seed S [--churn-median-session SECONDS --duration
//              SECONDS] [--kill-fraction P] [--values K [--kill-consecutive C |
//              --join-leave J]] [--json]
//
// Exit status 0 on success; 2 with a one-line reason on stderr for bad arguments.
#include <cstdio>
#include <string>

#include "CLI/CLI.hpp"
#include "sim/simulator.h"

int main(int argc, char** argv) {
  CLI::App app{"p2psip: client, admin and simulation tool for RELOAD (RFC 6940) overlays"};
  app.require_subcommand(1);
  p2psip::sim::SimConfig cfg;
  bool json = false;
  double update_s = cfg.update_interval_ms / 1000.0;
  double finger_s = cfg.finger_refresh_ms / 1000.0;
  CLI::App* sim = app.add_subcommand(
      "sim", "Simulate an overlay of N nodes running the real core on a virtual clock");
  sim->add_option("--nodes", cfg.nodes, "Number of nodes that join, one at a time")
      ->check(CLI::Range(1, 2000000));
  sim->add_option("--lookups", cfg.lookups, "RouteQuery lookups to random Resource-IDs")
      ->check(CLI::NonNegativeNumber);
  sim->add_option("--seed", cfg.seed, "Seed: the same seed gives the same run, bit for bit");
  sim->add_option("--churn-median-session", cfg.churn_median_session_s,
                  "Churn: median session time in seconds (Poisson arrivals and departures)")
      ->check(CLI::PositiveNumber);
  sim->add_option("--duration", cfg.duration_s, "Churn: seconds of virtual time to run it")
      ->check(CLI::PositiveNumber);
  sim->add_option("--clients", cfg.clients,
                  "Clients that attach to the ring (not joining it); lookups start from them too")
      ->check(CLI::Range(0, 1000000));
  sim->add_flag("--partition", cfg.partition,
                "Build two rings apart and let partition detection merge them");
  double partition_s = cfg.partition_check_ms / 1000.0;
  sim->add_option("--partition-check", partition_s,
                  "Seconds between partition checks through a bootstrap node (0: never)")
      ->check(CLI::NonNegativeNumber);
  sim->add_option("--kill-fraction", cfg.kill_fraction,
                  "Kill this fraction of the nodes at once after the ring settles")
      ->check(CLI::Range(0.0, 0.99));
  sim->add_option("--latency-ms", cfg.latency_ms, "One-way link latency");
  sim->add_option("--jitter-ms", cfg.latency_jitter_ms, "Uniform extra latency");
  sim->add_option("--loss", cfg.loss, "Message loss probability")->check(CLI::Range(0.0, 0.5));
  sim->add_option("--update-interval", update_s, "chord-update-interval in seconds")
      ->check(CLI::PositiveNumber);
  sim->add_option("--finger-refresh", finger_s, "chord-ping-interval in seconds")
      ->check(CLI::PositiveNumber);
  sim->add_option("--successors", cfg.successors, "Predecessors and successors kept (>= 3)")
      ->check(CLI::Range(3, 64));
  sim->add_option("--fingers", cfg.fingers, "Finger table size")->check(CLI::Range(1, 128));
  sim->add_option("--measure-after", cfg.measure_after_intervals,
                  "With --kill-fraction: update intervals after the kill before success counts");
  sim->add_option("--progress", cfg.progress_every_s,
                  "Seconds between progress lines on stderr (0: none)");
  sim->add_option("--values", cfg.values,
                  "Store K TURN-SERVICE values through random peers before any failure and fetch "
                  "them all back at the end (at most 20 per node)")
      ->check(CLI::NonNegativeNumber);
  sim->add_option("--kill-consecutive", cfg.kill_consecutive,
                  "With --values: kill C (1 or 2) of 3 consecutive peers at once, round after "
                  "round around the ring, and time the return to 3 copies")
      ->check(CLI::Range(1, 2));
  sim->add_option("--kill-rounds", cfg.kill_rounds, "With --kill-consecutive: how many rounds")
      ->check(CLI::PositiveNumber);
  sim->add_option("--join-leave", cfg.join_leave,
                  "With --values: J peers join and J peers leave gracefully, one at a time")
      ->check(CLI::NonNegativeNumber);
  sim->add_flag("--json", json, "Print one JSON object instead of text");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "p2psip: %s (see --help)\n", e.what());
    return 2;
  }

  if (sim->parsed()) {
    cfg.update_interval_ms = static_cast<uint64_t>(update_s * 1000);
    cfg.finger_refresh_ms = static_cast<uint64_t>(finger_s * 1000);
    cfg.partition_check_ms = static_cast<uint64_t>(partition_s * 1000);
    auto result = p2psip::sim::RunSimulation(cfg);
    if (!result.ok()) {
      std::fprintf(stderr, "p2psip sim: %s\n", std::string(result.status().message()).c_str());
      return 2;
    }
    std::printf("%s\n", json ? result->ToJson().c_str() : result->ToText().c_str());
    return 0;
  }
  return 0;
}
