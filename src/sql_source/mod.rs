//! The SQL connector: a `privacy.datasource.v1.DataSourceService` for any PostgreSQL, MariaDB/
//! MySQL or SQLite database, driven by a declarative dataset file instead of code. The
//! `sql-datasource` binary is a thin shell over it. It depends on the plugin protocol only,
//! never on privacyd's internals: a team could have written it themselves.
//!
//! Modules, one concern each: [`dataset`] (the file, parsed into types that cannot hold an
//! invalid dataset).

pub mod dataset;
