"""Readers, writers and converters for data files (BVH mocap, dataset layouts)."""
