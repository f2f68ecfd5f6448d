"""csa-report: the annual transparency report under Regulation (EU) 2021/1232 and 2026/1881."""

__version__ = "0.1.0"
