"""The names of the test-time correction methods, without the correctors' stack (torch), so
that the CLI can list them at start-up."""

#: Every correction method, the default first: 'geometric' (perspective, one skeleton per
#: video, temporal prior), 'paper' (the paper's Psi_C / Psi_P self-supervision), 'none'.
CORRECTION_METHODS: tuple[str, ...] = ("geometric", "paper", "none")
