#!/usr/bin/env bash
# Reproduce posemachines/weights/lifter_lite.pt (the lite lifter, `--weights lite`) from the shipped mocap, on CPU.
#   bash scripts/train_lifter_lite.sh [--set key=value ...]
# SHARED_DATA (default ../shared/data) is the data folder described in its README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
shared="${SHARED_DATA:-../shared/data}"
mkdir -p runs
posemachines data mocap "$shared/mocap" runs/mocap16.npz
sha256sum runs/mocap16.npz
posemachines train configs/lifter_lite.yaml "$@"
cp runs/lifter_lite/best.pt posemachines/weights/lifter_lite.pt
sha256sum posemachines/weights/lifter_lite.pt
