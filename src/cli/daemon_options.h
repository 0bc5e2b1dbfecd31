// p2psipd's options: every one a command-line flag and a key of the TOML file given with
// --config (CLI11 reads it: `listen = "127.0.0.2:6084"`; the flag wins over the file).
#ifndef P2PSIP_CLI_DAEMON_OPTIONS_H_
#define P2PSIP_CLI_DAEMON_OPTIONS_H_

#include <cstdint>
#include <string>

#include "CLI/CLI.hpp"

namespace p2psip::cli {

struct DaemonOptions {
  std::string state_dir = "./p2psip-state";
  // bootstrap | peer | super-peer | client; empty: bootstrap where STATE/overlay exists (a
  // standalone node), peer otherwise.
  std::string role;
  std::string listen = "127.0.0.1:6084";
  std::string join;  // HOST:PORT of a bootstrap node to enroll with, on the first run
  std::string root_cert;
  std::string user;
  std::string password_file;                  // empty: one line on stdin
  std::string overlay_name = "p2psip.local";  // for a new overlay
  uint32_t update_interval_s = 30;            // chord-update-interval of a new overlay
  unsigned cores = 1;
  std::string log_level = "info";
  std::string key_log;     // NSS key log of the DTLS sessions; default $SSLKEYLOGFILE
  std::string tls_listen;  // ADDR:PORT for RELOAD over TLS/TCP; empty: DTLS/UDP only
  bool prefer_tls = false;
  double join_timeout_s = 10;
  // The DPDK fast path (empty device: kernel sockets).
  std::string dpdk_device;     // ethdev name: "net_af_packet0", a PCI address, ...
  std::string eal;             // EAL arguments, space-separated
  std::string dpdk_exception;  // a net_tap vdev for the kernel's share of the traffic
  unsigned dpdk_prefix_length = 24;
  std::string dpdk_gateway;           // IPv4 next hop for peers outside the prefix
  unsigned poll_nap_us = 50;          // idle worker's nap between polls of a DPDK port; 0 spins
  bool dpdk_checksum_offload = true;  // the device computes and checks checksums if it can
};

void AddDaemonOptions(CLI::App& app, DaemonOptions* options);

}  // namespace p2psip::cli

#endif  // P2PSIP_CLI_DAEMON_OPTIONS_H_
