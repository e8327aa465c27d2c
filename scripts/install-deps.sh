#!/usr/bin/env bash
# Installs the C libraries Transferscope needs: OpenBLAS (loaded at run time), libpng, libjpeg-turbo, zlib
# (idempotent; Debian/Ubuntu). With --for-tests also Open MPI's mpirun and library (openmpi-bin), which the MPI
# tests start; Transferscope itself builds and runs without it, and loads it only under mpirun/srun.
set -euo pipefail
packages=(libopenblas-dev libpng-dev libjpeg-dev zlib1g-dev pkg-config)
[ "${1:-}" = "--for-tests" ] && packages+=(openmpi-bin)
need=()
for pkg in "${packages[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
    echo "installing ${need[*]}"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi
