#!/usr/bin/env bash
# The cross-dataset lifter of record: the lite recipe (configs/lifter_lite.yaml)
# trained on Bandai Namco only, so that every LAFAN1 take and the real lab frames stay unseen,
# with 30 % of the clips' legs bent (sitting, kneeling, crouching) and 30 % tilted off upright
# (Bandai Namco has no floor poses; docs/generalisation.md), twice as wide (embed and LSTM 512,
# Psi_C 1024; 4.9 M parameters) and 16,000 steps (about 80 minutes on one CPU core).
#   bash scripts/train_lifter_cross.sh [--set key=value ...]
# then: posemachines evaluate --protocol cross-mocap --data runs/mocap16.npz \
#           --weights runs/lifter_cross/best.pt
# SHARED_DATA (default ../shared/data) is the data folder described in its README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
shared="${SHARED_DATA:-../shared/data}"
mkdir -p runs
[ -f runs/mocap16.npz ] || posemachines data mocap "$shared/mocap" runs/mocap16.npz
posemachines train configs/lifter_lite.yaml \
    --set options.sources=bandai-namco-1,bandai-namco-2 --set options.orientation.probability=0.3 \
    --set options.articulation.probability=0.3 --set model.overrides.embed_dim=512 \
    --set model.overrides.lstm_hidden=512 --set model.overrides.refiner_hidden=1024 \
    --set optim.steps=16000 --set checkpoint.dir=runs/lifter_cross "$@"
