#!/usr/bin/env bash
# Installs the C libraries Transferscope needs: OpenBLAS (loaded at run time), libpng, libjpeg-turbo, zlib (idempotent; Debian/Ubuntu).
set -euo pipefail
need=()
for pkg in libopenblas-dev libpng-dev libjpeg-dev zlib1g-dev pkg-config; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
    echo "installing ${need[*]}"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi
