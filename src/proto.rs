//! Code generated from `proto/` by build.rs.

#![allow(clippy::all, missing_docs)]

pub mod privacy {
    pub mod v1 {
        tonic::include_proto!("privacy.v1");
    }
    pub mod datasource {
        pub mod v1 {
            tonic::include_proto!("privacy.datasource.v1");
        }
    }
}

/// Descriptors of every privacyd proto, served by reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("privacy_descriptor");
