"""Local services for the demo and the tests: SeaweedFS, a Prefect server, and the process-group and free-port
helpers both use. Not for production: see each module."""
