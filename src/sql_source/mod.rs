//! The SQL connector: a `privacy.datasource.v1.DataSourceService` for any PostgreSQL, MariaDB/
//! MySQL or SQLite database, driven by a declarative dataset file instead of code. The
//! `sql-datasource` binary is a thin shell over it. It speaks the plugin protocol only and
//! reads nothing of privacyd's state: a team could have written it themselves.
//!
//! Modules, one concern each: [`dataset`] (the file, parsed into types that cannot hold an
//! invalid dataset), [`schema_check`] (the dataset against the live schema, at start),
//! [`query`] (SQL per dialect: identifiers quoted, values bound), [`export`] (keyset pages
//! into items and files), [`erase`] (strategies in one transaction under the call's deadline),
//! [`masks`] (keyed hash, IP anonymisation), [`idempotency`] (the erasure log), [`decode`]
//! (PHP-serialized values), [`service`] (the tonic service and start-up).

pub mod dataset;
pub mod decode;
pub mod erase;
pub mod export;
pub mod idempotency;
pub mod masks;
pub mod query;
pub mod schema_check;
pub mod service;

pub use service::{Settings, SqlSource};
