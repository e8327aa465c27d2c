#!/usr/bin/env bash
# A Python virtual environment for the project's Python tools (fixture generators, the PyTorch
# peer benchmark, wheel downloads), so nothing is installed into the system Python (which
# Debian refuses, PEP 668) and a minimal Debian without pip works. Installs python3-venv with
# apt when missing (the environment then brings its own pip), creates the environment once
# (again if an earlier attempt left it without pip), pip-installs the packages given that are
# missing (torch and torchvision as PyTorch's CPU-only wheels), and prints the environment's python
# on standard output.
#   PY=$(bash scripts/python-env.sh numpy safetensors)
# The environment is $TRANSFERSCOPE_VENV (default ~/.cache/transferscope/venv).
set -euo pipefail
venv="${TRANSFERSCOPE_VENV:-$HOME/.cache/transferscope/venv}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
    if ! python3 -c "import venv, ensurepip" >/dev/null 2>&1; then
        echo "installing python3-venv" >&2
        SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
        $SUDO apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv >&2
    fi
    rm -rf "$venv"
    mkdir -p "$(dirname "$venv")"
    python3 -m venv "$venv" >&2
fi
missing=()
for package in "$@"; do
    module="${package%%[=<>]*}"
    case "$module" in pillow) module=PIL ;; esac
    "$venv/bin/python" -c "import ${module//-/_}" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "pip-installing ${missing[*]} into $venv" >&2
    # PyTorch's CPU-only wheels (about 200 MB) come from its own index; PyPI's torch carries CUDA
    # (about 5 GB) for the same CPU kernels. Only where that index cannot be reached is PyPI's used.
    torch_packages=(); other_packages=()
    for package in "${missing[@]}"; do
        case "${package%%[=<>]*}" in
            torch | torchvision) torch_packages+=("$package") ;;
            *) other_packages+=("$package") ;;
        esac
    done
    if [ ${#torch_packages[@]} -gt 0 ]; then
        "$venv/bin/python" -m pip install --quiet --retries 0 --timeout 15 \
            --index-url https://download.pytorch.org/whl/cpu "${torch_packages[@]}" >&2 ||
            "$venv/bin/python" -m pip install --quiet "${torch_packages[@]}" >&2
    fi
    if [ ${#other_packages[@]} -gt 0 ]; then
        "$venv/bin/python" -m pip install --quiet "${other_packages[@]}" >&2
    fi
fi
echo "$venv/bin/python"
