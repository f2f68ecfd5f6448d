"""Deprecated alias of :mod:`csa_report.source_schema` (the reporting schema's models), kept only until the
indicator extraction and the hand-counted fixture import the new name; import ``csa_report.source_schema``."""

from csa_report.source_schema import *  # noqa: F403
