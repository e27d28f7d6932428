# syntax=docker/dockerfile:1.7
# posemachines on CPU, with its shipped weights and assets: `posemachines batch` on one machine,
# or the image of every node of a Ray cluster (docs/batch.md).
#
#   docker build -t posemachines:cpu .
#   docker run --rm -v /data:/data posemachines:cpu batch /data/videos --out /data/out --workers 4
#   docker run --rm posemachines:cpu infer --help
#
# The entrypoint runs `posemachines ARGS` unless ARGS start with a command the image has (bash,
# ray, python): Ray's cluster launcher and KubeRay start their own commands in this image.
FROM python:3.11-slim

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MPLBACKEND=Agg

# The CPU build of torch, pinned, from PyTorch's own index: PyPI's torch wheel would pull CUDA.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0

WORKDIR /opt/posemachines
# The package alone (weights and assets are package data); the rest of the checkout stays out
# (.dockerignore).
COPY pyproject.toml README.md ./
COPY posemachines ./posemachines
# ray[default] adds what a Ray cluster node runs beside the workers (dashboard, autoscaler
# agents); torch is already satisfied and stays the pinned CPU build. The demo checks that the
# weights, the detector models and the decoder work in the image.
RUN pip install '.[ray,torch]' 'ray[default]>=2.9' \
    && python -c "import torch; assert torch.__version__.startswith('2.13.0'), torch.__version__" \
    && posemachines demo --format json --out /tmp/demo && rm -rf /tmp/demo

COPY --chmod=755 <<'EOF' /usr/local/bin/posemachines-entrypoint
#!/bin/sh
set -e
if [ "$#" -eq 0 ] || ! command -v "$1" >/dev/null 2>&1; then
  set -- posemachines "$@"
fi
exec "$@"
EOF

RUN useradd --create-home --uid 1000 posemachines
USER posemachines
WORKDIR /home/posemachines
ENTRYPOINT ["posemachines-entrypoint"]
CMD ["batch", "--help"]
