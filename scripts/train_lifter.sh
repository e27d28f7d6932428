#!/usr/bin/env bash
# Reproduce a shipped lifter, posemachines/weights/lifter_<name>.pt, from the shipped mocap on
# CPU (recipes, numbers and terms: posemachines/weights/README.md):
#   bash scripts/train_lifter.sh mocap [--set key=value ...]   # the default, three stages:
#       configs/lifter_default.yaml, then configs/lifter_default_finetune.yaml from its best.pt,
#       then configs/lifter_default_finetune2.yaml from that one's
#   bash scripts/train_lifter.sh lite  [--set key=value ...]   # configs/lifter_lite.yaml
#   bash scripts/train_lifter.sh cmu   [--set key=value ...]   # configs/lifter_cmu.yaml (CMU alone)
# then e.g.: posemachines evaluate --protocol cmu-heldout --data runs/mocap16.npz --weights cmu
# SHARED_DATA (default ../shared/data) is the data folder described in its README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
name="${1:-}"
case "$name" in
    mocap) config=lifter_default ;;
    lite | cmu) config="lifter_$name" ;;
    *) echo "usage: bash scripts/train_lifter.sh mocap|lite|cmu [--set key=value ...]" >&2; exit 2 ;;
esac
shift
shared="${SHARED_DATA:-../shared/data}"
mkdir -p runs
posemachines data mocap "$shared/mocap" runs/mocap16.npz
sha256sum runs/mocap16.npz
posemachines train "configs/$config.yaml" "$@"
if [ "$name" = mocap ]; then  # stages 2 and 3, each from the previous stage's best.pt
    posemachines train configs/lifter_default_finetune.yaml "$@"   # -> runs/lifter_default_stage2
    posemachines train configs/lifter_default_finetune2.yaml "$@"  # -> runs/lifter_default
fi
cp "runs/$config/best.pt" "posemachines/weights/lifter_$name.pt"
sha256sum "posemachines/weights/lifter_$name.pt"
