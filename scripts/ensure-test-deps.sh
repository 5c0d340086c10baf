#!/usr/bin/env bash
# Installs what the tests need that npm does not: Prometheus' tools, the
# Alertmanager, docker-compose (to validate the compose file), Chromium
# (status page) and nsd (a real DNS server for the dns checks). Uses Debian packages when running as root with apt-get;
# otherwise fails naming exactly what is missing and how to install it.
set -uo pipefail

# command -> Debian package that provides it
declare -A need=(
  [promtool]=prometheus
  [prometheus]=prometheus
  [prometheus-alertmanager]=prometheus-alertmanager
  [amtool]=prometheus-alertmanager
  [docker-compose]=docker-compose
  [chromium]=chromium
  [setpriv]=util-linux
  [prlimit]=util-linux
  [tmux]=tmux
  [gcc]=gcc
  [g++]=g++
  [make]=make
  [python3]=python3
  [ss]=iproute2
  [openssl]=openssl
  [git]=git
  [nsd]=nsd
  [htpasswd]=apache2-utils
)

missing_pkgs=()
missing_cmds=()
for cmd in "${!need[@]}"; do
  if ! command -v "$cmd" >/dev/null 2>&1; then
    missing_cmds+=("$cmd")
    pkg=${need[$cmd]}
    [[ " ${missing_pkgs[*]-} " == *" $pkg "* ]] || missing_pkgs+=("$pkg")
  fi
done

[ ${#missing_pkgs[@]} -eq 0 ] && exit 0

echo "ensure-test-deps: missing ${missing_cmds[*]}; installing Debian packages: ${missing_pkgs[*]}" >&2
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  if apt-get update -qq >/dev/null && apt-get install -y -qq "${missing_pkgs[@]}" >/dev/null; then
    exit 0
  fi
  echo "ensure-test-deps: apt-get install failed" >&2
fi
echo "ensure-test-deps: cannot run the tests without: ${missing_cmds[*]}" >&2
echo "  install them with: sudo apt-get install ${missing_pkgs[*]}" >&2
exit 1
