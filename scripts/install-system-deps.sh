#!/usr/bin/env bash
# Installs what the GPU tests need on a machine without a GPU (Debian 12, as root):
#  - a software Vulkan driver that Dawn accepts: Mesa's lavapipe from bookworm-backports
#    (Debian 12's own Mesa 22.3 is rejected by Dawn), plus the Vulkan loader;
#  - Debian's Chromium, for the browser end-to-end test.
# Idempotent: does nothing when everything is already there.
set -euo pipefail

need_mesa=1
need_chromium=1
if ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1 \
  && dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null | grep -qv '^22\.'; then
  need_mesa=0
fi
command -v chromium >/dev/null 2>&1 && need_chromium=0

if [ "$need_mesa" = 0 ] && [ "$need_chromium" = 0 ]; then
  echo "system deps: lavapipe and chromium already installed"
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  echo "system deps: missing (lavapipe: $need_mesa, chromium: $need_chromium) and not root;" >&2
  echo "  run this script as root, or install mesa-vulkan-drivers (Mesa >= 23, e.g. from bookworm-backports)," >&2
  echo "  libvulkan1 and chromium yourself." >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
src=/etc/apt/sources.list.d/descent-backports.sources
if [ "$need_mesa" = 1 ] && ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  # Reuse the mirror this machine is already configured with, so no registry host is written here.
  uris=$(awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  if [ -z "$uris" ]; then
    uris=$(awk '/^deb / && $0 !~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  fi
  if [ -z "$uris" ]; then
    echo "system deps: cannot find the Debian mirror in /etc/apt to add bookworm-backports" >&2
    exit 1
  fi
  printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$uris" >"$src"
fi

apt-get update -qq
pkgs=()
if [ "$need_mesa" = 1 ]; then
  apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers libvulkan1 >/dev/null
fi
if [ "$need_chromium" = 1 ]; then
  apt-get install -y -qq chromium >/dev/null
fi
echo "system deps: installed (lavapipe: $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers), chromium: $(chromium --version 2>/dev/null || echo none))"
