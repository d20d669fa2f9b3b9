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
mod job_panics;
mod lifecycle;
mod listing;
mod mailable_addresses;
mod page_headers;
mod privacyctl;
mod progress;
mod rate_limit;
mod receipt_signing;
mod registry_audit;
mod secrets_at_rest;
mod smtp_tls;
mod source_calls;
mod source_credentials;
mod sources;
mod subject_links;
mod watch;
mod watch_bounds;
