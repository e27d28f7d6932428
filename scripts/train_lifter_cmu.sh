#!/usr/bin/env bash
# Reproduce posemachines/weights/lifter_cmu.pt: the default lifter's recipe trained on the CMU
# motion capture database alone (terms allow commercial use; weights/README.md), on CPU.
#   bash scripts/train_lifter_cmu.sh [--set key=value ...]
# then: posemachines evaluate --protocol cmu-heldout --data runs/mocap16.npz --weights cmu
# SHARED_DATA (default ../shared/data) is the data folder described in its README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
shared="${SHARED_DATA:-../shared/data}"
mkdir -p runs
posemachines data mocap "$shared/mocap" runs/mocap16.npz
sha256sum runs/mocap16.npz
posemachines train configs/lifter_cmu.yaml "$@"
cp runs/lifter_cmu/best.pt posemachines/weights/lifter_cmu.pt
sha256sum posemachines/weights/lifter_cmu.pt
