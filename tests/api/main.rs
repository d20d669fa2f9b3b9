//! privacyd's API, specified as tests. One binary (faster to link), one module per
//! capability; behaviours that touch storage run on SQLite and on PostgreSQL.

mod helpers;

mod audit;
mod auth;
mod bad_input;
mod browser;
mod conformance;
mod deadline;
mod durability;
mod email;
mod erasing_source;
mod erasure;
mod export;
mod fake_source;
mod idempotency;
mod lifecycle;
mod listing;
mod privacyctl;
mod progress;
mod receipt_signing;
mod secrets_at_rest;
mod smtp_tls;
mod source_credentials;
mod sources;
mod watch;
