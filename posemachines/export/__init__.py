"""Writers that take poses or models out of posemachines (files for other tools, ONNX)."""
