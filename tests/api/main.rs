//! privacyd's API, specified as tests. One binary (faster to link), one module per
//! capability; behaviours that touch storage run on SQLite and on PostgreSQL.

mod helpers;

mod admin_access;
mod audit;
mod auth;
mod bad_input;
mod browser;
mod conformance;
mod connections;
mod deadline;
mod durability;
mod email;
mod erasing_source;
mod erasure;
mod export;
mod export_quota;
mod fake_source;
mod files_on_disk;
mod idempotency;
mod lifecycle;
mod listing;
mod mailable_addresses;
mod page_headers;
mod privacyctl;
mod progress;
mod rate_limit;
mod registry_audit;
mod sources;
mod subject_links;
mod watch;
mod watch_bounds;
