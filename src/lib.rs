//! privacyd: handles data-subject requests (GDPR Art. 15 export, Art. 17 erasure) across the
//! many services that hold an organisation's personal data.
//!
//! Layers, outside in: [`grpc`] and [`http`] parse the wire into [`domain`] values and call the
//! [`workflow`]; the workflow runs domain rules inside [`store`] transactions and queues jobs
//! that the [`executor`] runs ([`export`] and [`erasure`] across data sources, sending
//! [`mail`] through [`notifications`]). [`startup`] wires it all from a [`config`]. [`ctl`] is
//! privacyctl, the operators' command line, and [`conformance`] its kit that checks data
//! sources against the plugin protocol.

pub mod admin_tokens;
pub mod byte_ranges;
pub mod config;
pub mod conformance;
pub mod console;
pub mod ctl;
pub mod domain;
pub mod erasure;
pub mod executor;
pub mod export;
pub mod fanout;
pub mod grpc;
pub mod http;
pub mod keys;
pub mod mail;
pub mod metrics;
pub mod notifications;
pub mod objects;
pub mod page_token;
pub mod private_files;
pub mod proto;
pub mod public;
pub mod registry;
pub mod shutdown;
pub mod source_client;
pub mod sql_source;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod templates;
pub mod testing;
pub mod traces;
pub mod workflow;
pub mod write_behind;
