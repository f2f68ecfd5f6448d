"""Spark SQL as a source engine, through Spark Connect (optional extra ``spark``; docs/spark.md).

``url`` reads ``sc://`` URLs, ``compiler`` turns SQLAlchemy statements into Spark SQL with named parameters,
``dialect`` holds Spark's forms of the shared expressions, ``source`` runs statements in a Spark session,
``tables`` registers Parquet folders as Spark tables, ``connection`` is the glue that gives a source the shape
of a SQLAlchemy connection. Nothing here imports pyspark at import time: only opening a source does.
"""
