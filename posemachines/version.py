"""The package version, at the bottom so that any layer may stamp it into what it writes."""

__version__ = "0.1.0"
