//! Compiles the protocol in `proto/` into Rust and writes the file descriptor set that server
//! reflection serves, so `grpcurl list` works without the .proto files.
use std::{env, path::PathBuf};

const PROTOS: &[&str] = &[
    "proto/privacy/v1/privacy_request_service.proto",
    "proto/privacy/v1/data_source_registry_service.proto",
    "proto/privacy/datasource/v1/data_source_service.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A fresh machine has no protoc; the vendored one keeps `cargo run` a single command.
    if env::var_os("PROTOC").is_none() {
        // SAFETY: build scripts are single-threaded.
        unsafe { env::set_var("PROTOC", protoc_bin_vendored::protoc_bin_path()?) };
    }
    let out = PathBuf::from(env::var("OUT_DIR")?);
    tonic_prost_build::configure()
        .file_descriptor_set_path(out.join("privacy_descriptor.bin"))
        .compile_protos(PROTOS, &["proto"])?;
    println!("cargo:rerun-if-changed=proto");
    Ok(())
}
