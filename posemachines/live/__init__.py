"""Live operation: recording takes from the causal pipeline, a session loop, a local page."""
