"""Inference: frame reading, 2D detectors behind one interface, and (later) the Estimator API."""
