"""Create or migrate a database with Alembic, configured in code (no alembic.ini to find)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

from alembic import command
from alembic.config import Config

from csa_report.db import connect, describe, make_engine, normalise_url
from csa_report.sources import backend_for

log = logging.getLogger(__name__)

SchemaName = Literal["source", "audit"]
_MIGRATIONS = Path(__file__).parent / "migrations"


def upgrade(raw_url: str, schema: SchemaName = "source", revision: str = "head") -> None:
    """Bring ``schema`` (reporting schema or audit DB) in the database at ``raw_url`` up to ``revision``."""
    url = normalise_url(raw_url)
    backend_for(raw_url).prepare_location(url)
    engine = make_engine(raw_url)
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS / schema))
    cfg.attributes["version_table"] = f"alembic_version_{schema}"
    with connect(engine, f"database {describe(url)}") as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        conn.commit()
    engine.dispose()
    log.info("database %s: %s schema at %s", describe(url), schema, revision)
