#include "cli/daemon_options.h"

namespace p2psip::cli {

void AddDaemonOptions(CLI::App& app, DaemonOptions* o) {
  app.set_config("--config", "", "Read options from this TOML file (key = value per option)");
  app.add_option("--state-dir", o->state_dir,
                 "Where the node keeps its identity (and a bootstrap node its overlay)")
      ->capture_default_str();
  app.add_option("--role", o->role,
                 "bootstrap (serves the configuration and enrollment over HTTPS), peer, "
                 "super-peer (a peer serving RELOAD clients; every peer does so today), or "
                 "client (attaches, never joins the ring). Default: bootstrap for a node that "
                 "holds its overlay, peer otherwise")
      ->check(CLI::IsMember({"bootstrap", "peer", "super-peer", "client"}));
  app.add_option("--listen", o->listen,
                 "ADDR:PORT for RELOAD over DTLS/UDP (and HTTPS/TCP for a bootstrap node); "
                 "an IP literal, not a wildcard: other nodes are told this address")
      ->capture_default_str();
  app.add_option("--join", o->join,
                 "First run: enroll with the bootstrap node at HOST:PORT and join its overlay");
  app.add_option("--root-cert", o->root_cert,
                 "With --join: the overlay's root certificate (DER or PEM) to trust its HTTPS");
  app.add_option("--user", o->user, "With --join: the user name to enroll as (user@domain)");
  app.add_option("--password-file", o->password_file,
                 "With --join: file whose first line is the password (default: stdin)");
  app.add_option("--overlay-name", o->overlay_name, "Instance-name of a new overlay")
      ->capture_default_str();
  app.add_option("--update-interval", o->update_interval_s,
                 "chord-update-interval (seconds) written into a new overlay's configuration")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  app.add_option("--cores", o->cores,
                 "Worker threads, one per core: each owns a UDP socket (SO_REUSEPORT, steered "
                 "by the peer's address), its links and a storage shard; the overlay's control "
                 "work runs on one more thread")
      ->check(CLI::Range(1u, 63u))
      ->capture_default_str();
  app.add_option("--log-level", o->log_level, "trace, debug, info, warn, error or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->capture_default_str();
  app.add_option("--key-log", o->key_log,
                 "Write DTLS session keys here (NSS key log, for Wireshark); default "
                 "$SSLKEYLOGFILE, off when unset");
  app.add_option("--tls-listen", o->tls_listen,
                 "Also accept RELOAD over TLS/TCP at ADDR:PORT (offered as a second candidate "
                 "in Attach; TLS/TCP links are served by the slow-path thread). Must differ from "
                 "--listen's port on a bootstrap node, whose HTTPS uses that TCP port");
  app.add_flag("--prefer-tls", o->prefer_tls,
               "With --tls-listen: link over TLS/TCP to peers that offer it too (default: DTLS)");
  app.add_option("--join-timeout", o->join_timeout_s, "Seconds for each HTTPS step of --join")
      ->check(CLI::Range(1.0, 300.0))
      ->capture_default_str();
  auto* dpdk = app.add_option_group("DPDK fast path",
                                    "Run the workers' RELOAD/UDP on a DPDK ethdev (kernel bypass) "
                                    "instead of kernel sockets; needs root");
  dpdk->add_option("--dpdk-device", o->dpdk_device,
                   "The ethdev the node owns, one RX/TX queue pair per --cores: a bound NIC "
                   "(PCI address) or a vdev named in --eal (net_af_packet0, net_af_xdp0, ...). "
                   "--listen is then the node's address on that wire");
  dpdk->add_option("--eal", o->eal,
                   "DPDK EAL arguments as one value, e.g. --eal=\"--no-huge --no-pci --no-shconf "
                   "--vdev=net_af_packet0,iface=eth1 --vdev=net_tap0,iface=p2psip0\"");
  dpdk->add_option("--dpdk-exception", o->dpdk_exception,
                   "A net_tap vdev for everything that is not the node's UDP (TCP for HTTPS and "
                   "TLS, SSH, IPv6, ...): p2psipd gives its kernel interface the node's MAC and "
                   "address, so the host stays reachable");
  dpdk->add_option("--dpdk-prefix-length", o->dpdk_prefix_length,
                   "The on-link IPv4 prefix of --listen's address")
      ->check(CLI::Range(0u, 32u))
      ->capture_default_str();
  dpdk->add_option("--dpdk-gateway", o->dpdk_gateway,
                   "IPv4 next hop for peers outside the prefix (default: none, on-link only)");
  dpdk->add_flag_callback(
      "--no-dpdk-checksum-offload", [o] { o->dpdk_checksum_offload = false; },
      "Compute and check the IPv4/UDP checksums in software even where the device "
      "could (by default a device with checksum offload does them, as most NICs "
      "can; net_ring, net_af_xdp and net_af_packet cannot)");
  dpdk->add_option("--poll-nap-us", o->poll_nap_us,
                   "Microseconds an idle worker waits between polls of its DPDK queue; 0 spins "
                   "(a core of its own, lowest latency)")
      ->check(CLI::Range(0u, 100000u))
      ->capture_default_str();
}

}  // namespace p2psip::cli
