#!/usr/bin/env bash
# Reproduce posemachines/weights/lifter_mocap.pt from the shipped mocap, on CPU.
#   bash scripts/train_lifter_mocap.sh [--set key=value ...]
# SHARED_DATA (default ../shared/data) is the data folder described in its README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
shared="${SHARED_DATA:-../shared/data}"
mkdir -p runs
posemachines data mocap "$shared/mocap" runs/mocap16.npz
sha256sum runs/mocap16.npz
posemachines train configs/lifter_default.yaml "$@"
cp runs/lifter_default/best.pt posemachines/weights/lifter_mocap.pt
sha256sum posemachines/weights/lifter_mocap.pt
