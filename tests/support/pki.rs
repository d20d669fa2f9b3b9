//! Certificates for TLS tests, made with `openssl` in a temporary folder, and a rustls client
//! that shows which certificate and protocol a server chose. Shared by the API tests and the
//! binary's tests (each uses a part, hence the allowance for unused items).
#![allow(dead_code)]

use std::{path::PathBuf, process::Command, sync::Arc};

use privacyd::config::Config;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, pem::PemObject};
use sha2::{Digest, Sha256};
use tokio::net::TcpStream;
use tokio_rustls::{TlsConnector, client::TlsStream};
use tonic::transport::{Certificate, ClientTlsConfig, Identity};

/// A CA and the certificates it issues, made with `openssl` in a temporary folder.
pub struct Pki {
    pub dir: tempfile::TempDir,
}

/// What a leaf certificate is for (its extendedKeyUsage).
#[derive(Clone, Copy)]
pub enum Usage {
    Server,
    Client,
}

impl Pki {
    pub fn new() -> Self {
        Pki { dir: tempfile::tempdir().unwrap() }
    }

    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.path().join(file)
    }

    fn openssl(&self, args: &[&str]) {
        let output = Command::new("openssl").current_dir(self.dir.path()).args(args).output().expect("openssl runs");
        assert!(output.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    }

    /// A self-signed CA: `<name>.pem` and `<name>.key`.
    pub fn ca(&self, name: &str) {
        self.openssl(&[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.pem"),
            "-days",
            "2",
            "-subj",
            &format!("/CN={name}"),
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]);
    }

    /// A certificate for `127.0.0.1` and `localhost` issued by `ca`: `<name>.pem`, `<name>.key`.
    pub fn leaf(&self, name: &str, ca: &str, usage: Usage) {
        let eku = match usage {
            Usage::Server => "serverAuth",
            Usage::Client => "clientAuth",
        };
        std::fs::write(
            self.path(&format!("{name}.ext")),
            format!(
                "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage={eku}\n\
                 basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
            ),
        )
        .unwrap();
        self.openssl(&[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.csr"),
            "-subj",
            &format!("/CN={name}"),
        ]);
        self.openssl(&[
            "x509",
            "-req",
            "-in",
            &format!("{name}.csr"),
            "-CA",
            &format!("{ca}.pem"),
            "-CAkey",
            &format!("{ca}.key"),
            "-CAcreateserial",
            "-days",
            "2",
            "-out",
            &format!("{name}.pem"),
            "-extfile",
            &format!("{name}.ext"),
        ]);
    }

    pub fn read(&self, file: &str) -> Vec<u8> {
        std::fs::read(self.path(file)).unwrap()
    }

    /// SHA-256 (hex) of the DER certificate in `<name>.pem`.
    pub fn fingerprint(&self, name: &str) -> String {
        let der = CertificateDer::from_pem_slice(&self.read(&format!("{name}.pem"))).unwrap();
        hex::encode(Sha256::digest(der.as_ref()))
    }

    /// tonic's client configuration trusting `ca`, with `<client>.pem` as client certificate.
    pub fn client_config(&self, ca: &str, client: Option<&str>) -> ClientTlsConfig {
        let config = ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(self.read(&format!("{ca}.pem"))))
            .domain_name("localhost");
        match client {
            None => config,
            Some(name) => config
                .identity(Identity::from_pem(self.read(&format!("{name}.pem")), self.read(&format!("{name}.key")))),
        }
    }

    /// A CA `ca` and a server certificate `server` from it, as privacyd's flags.
    pub fn server(&self, config: &mut Config) {
        config.tls_cert = Some(self.path("server.pem"));
        config.tls_key = Some(self.path("server.key"));
    }
}

/// Sets up `ca` and `server` (issued by `ca`).
pub fn pki() -> Pki {
    let pki = Pki::new();
    pki.ca("ca");
    pki.leaf("server", "ca", Usage::Server);
    pki
}

/// A TLS connection made with rustls directly, trusting `ca`, offering `alpn`, presenting
/// `client` if given: to see which certificate and protocol privacyd chose.
pub async fn connect(
    pki: &Pki,
    addr: std::net::SocketAddr,
    ca: &str,
    alpn: &[&[u8]],
    client: Option<&str>,
) -> std::io::Result<TlsStream<TcpStream>> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from_pem_slice(&pki.read(&format!("{ca}.pem"))).unwrap()).unwrap();
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    let mut config = match client {
        None => builder.with_no_client_auth(),
        Some(name) => builder
            .with_client_auth_cert(
                vec![CertificateDer::from_pem_slice(&pki.read(&format!("{name}.pem"))).unwrap()],
                PrivateKeyDer::from_pem_slice(&pki.read(&format!("{name}.key"))).unwrap(),
            )
            .unwrap(),
    };
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let tcp = TcpStream::connect(addr).await?;
    TlsConnector::from(Arc::new(config)).connect(ServerName::try_from("localhost").unwrap(), tcp).await
}

pub fn peer_fingerprint(stream: &TlsStream<TcpStream>) -> String {
    hex::encode(Sha256::digest(stream.get_ref().1.peer_certificates().unwrap()[0].as_ref()))
}
