"""A reference privacyd data source: a small shop's customers, orders and reviews in SQLite.

It implements privacy.datasource.v1.DataSourceService as the protocol's contract asks:
honest GDPR Art. 15(1) information in Describe, Export streamed and stopped when the caller
gives up, Erase idempotent per privacy request in one transaction that never commits after
the caller's deadline, invoices kept for tax law and reported as retained, grpc.health.v1,
and an optional bearer token. Copy this package to start your own source.
"""

__version__ = "0.1.0"
