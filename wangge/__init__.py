"""wangge (网格): case management for grid-based local governance."""

__version__ = "0.1.0"
