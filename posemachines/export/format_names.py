"""The names of the output formats `export.writer.write_outputs` writes, without the writers'
stack (scipy, pygltflib, the video writers), so that the CLI can list them at start-up."""

OUTPUT_FORMATS: tuple[str, ...] = ("json", "npz", "csv", "bvh", "glb", "overlay", "skeleton3d",
                                   "html")
