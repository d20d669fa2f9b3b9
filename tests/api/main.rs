//! privacyd's API, specified as tests. One binary (faster to link), one module per
//! capability; behaviours that touch storage run on SQLite and on PostgreSQL.

mod helpers;
#[path = "../support/pki.rs"]
mod pki;

mod admin_access;
mod archive_memory;
mod archive_names;
mod archive_shape;
mod audit;
mod auth;
mod bad_input;
mod browser;
mod call_deadline;
mod cancel_processing;
mod certified;
mod conformance;
mod connections;
mod deadline;
mod download_ranges;
mod durability;
mod email;
mod erasing_source;
mod erasure;
mod export;
mod export_quota;
mod failed_spools;
mod fake_source;
mod files_on_disk;
mod idempotency;
mod job_panics;
mod late_watch;
mod lifecycle;
mod listing;
mod mailable_addresses;
mod metrics;
mod next_step_page;
mod page_headers;
mod privacyctl;
mod privacyctl_json;
mod progress;
mod rate_limit;
mod receipt_signing;
mod registry_audit;
mod retention;
mod secrets_at_rest;
mod smtp_tls;
mod source_calls;
mod source_credentials;
mod source_limits;
mod sources;
mod subject_links;
mod tls;
mod traces;
mod watch;
mod watch_bounds;
