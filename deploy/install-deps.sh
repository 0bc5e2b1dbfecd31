#!/usr/bin/env bash
# Installs every Debian 12 package that p2psip's build, tests and tools need.
# Idempotent: safe to run again; it only asks apt for what is missing.
set -euo pipefail

PACKAGES=(
  # build
  build-essential pkg-config meson ninja-build clang lld libclang-rt-14-dev python3
  # DPDK (static archives are linked; see meson.build) and what its PMDs link against
  dpdk-dev libdpdk-dev libnuma-dev libpcap-dev libbsd-dev libelf-dev zlib1g-dev
  libxdp-dev libbpf-dev libarchive-dev libjansson-dev
  # the only TLS / crypto library
  android-libboringssl-dev
  # core libraries
  libabsl-dev libtbb-dev libcli11-dev
  # p2psipd's log (levels, one line per notable event)
  libspdlog-dev
  # JSON for `stats` documents and every --json output
  nlohmann-json3-dev
  # overlay configuration document: libxml2 (RELAX NG); xmllint cross-checks it in tests
  libxml2-dev libxml2-utils
  # tests and benchmarks
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  # conformance oracles: tshark decodes (and decrypts) our traffic; the openssl command-line
  # tool (a separate process, never linked) completes DTLS/TLS handshakes with our links
  tshark openssl
  # process inspection in tests; namespaces, veth pairs and ping for the dpdk suite
  procps iproute2 iputils-ping ethtool
)

if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${#missing[@]} packages: ${missing[*]}" >&2
  # wireshark-common asks whether non-root users may capture; answer no, non-interactively.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all ${#PACKAGES[@]} packages present" >&2
fi
