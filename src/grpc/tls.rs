//! TLS on privacyd's own port: one certificate that reloads without a restart, ALPN for both
//! HTTP/2 (gRPC) and HTTP/1.1 (the emailed links, opened by browsers and HTTP/1.1-only
//! clients), and optional client certificates (mTLS) for admin calls.
//!
//! tonic's own `tls_config` offers only `h2` and reads its certificate once, so connections
//! are accepted with `tokio-rustls` in [`super::connections`] and handed to the same HTTP
//! stack as plaintext ones.
//!
//! Reloading: [`Certificate`] is a rustls `ResolvesServerCert` holding an
//! `Arc<CertifiedKey>` that [`Certificate::reload`] swaps. A handshake takes the key in force
//! when it starts, so new connections get a new certificate while open ones keep theirs. The
//! files are re-read on SIGHUP (the binary) and polled for a change of content every
//! `--tls-reload-interval` ([`watch`]): content, not mtime, because Kubernetes updates a
//! mounted secret by swapping a symlink, and cert-manager or an ACME client may rewrite a file
//! within the mtime's resolution. A pair that does not load (unreadable, not PEM, key not
//! matching the certificate, or half written: a certificate renewed before its key) is
//! logged and the certificate in force is kept.

use std::{
    path::{Path, PathBuf},
    sync::{Arc, RwLock},
    time::Duration,
};

use anyhow::Context;
use rustls::{
    RootCertStore, ServerConfig,
    crypto::CryptoProvider,
    server::{ClientHello, ResolvesServerCert, WebPkiClientVerifier},
    sign::CertifiedKey,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};
use sha2::{Digest, Sha256};
use tokio_rustls::TlsAcceptor;

use crate::shutdown::Shutdown;

/// ALPN protocols offered, in order of preference (RFC 7301): gRPC needs `h2`; browsers and
/// HTTP/1.1-only clients (curl --http1.1, Python `requests`) open the emailed links with
/// `http/1.1`.
const ALPN: [&[u8]; 2] = [b"h2", b"http/1.1"];

/// Where the certificate, its key and the optional client CA are.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// PEM certificate chain, the server's own certificate first.
    pub cert: PathBuf,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1) of the chain's first certificate.
    pub key: PathBuf,
    /// PEM CA certificate(s) that client certificates must chain to; none turns mTLS off.
    pub client_ca: Option<PathBuf>,
}

/// The SHA-256 of the DER client certificate a connection presented and rustls verified
/// against `--tls-client-ca`, as lowercase hex. Put in every request's extensions by the
/// accept loop; absent when the connection presented none (or is not TLS).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCertificate {
    pub sha256: String,
}

impl ClientCertificate {
    pub fn of(der: &[u8]) -> Self {
        ClientCertificate { sha256: hex::encode(Sha256::digest(der)) }
    }
}

/// What the accept loop needs for TLS: the acceptor (certificate resolver, ALPN, client
/// verifier) and whether admin calls need a client certificate.
#[derive(Clone)]
pub struct Tls {
    pub acceptor: TlsAcceptor,
    pub certificate: Arc<Certificate>,
    /// `--tls-client-ca` is set: admin calls must come over a connection that presented a
    /// client certificate from it.
    pub client_certificates_required: bool,
}

impl Tls {
    /// Loads the certificate pair and the client CA. Errors name the file and what is wrong
    /// with it, for the start-up message.
    pub fn load(files: &TlsFiles) -> anyhow::Result<Tls> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let certificate = Arc::new(Certificate::load(&files.cert, &files.key, &provider)?);
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .context("configuring TLS")?;
        let config = match &files.client_ca {
            Some(ca) => {
                let mut roots = RootCertStore::empty();
                for cert in read_certificates(ca, "--tls-client-ca")? {
                    roots
                        .add(cert)
                        .with_context(|| format!("--tls-client-ca {}: a certificate is invalid", ca.display()))?;
                }
                // Unauthenticated connections are allowed so subjects' browsers and public
                // calls work without a certificate; a certificate that is presented must chain
                // to the CA, or the handshake fails. Admin calls then check for one (auth.rs).
                let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                    .allow_unauthenticated()
                    .build()
                    .with_context(|| format!("--tls-client-ca {}", ca.display()))?;
                builder.with_client_cert_verifier(verifier)
            }
            None => builder.with_no_client_auth(),
        };
        let mut config = config.with_cert_resolver(certificate.clone());
        config.alpn_protocols = ALPN.iter().map(|p| p.to_vec()).collect();
        Ok(Tls {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            certificate,
            client_certificates_required: files.client_ca.is_some(),
        })
    }
}

/// The server's certificate and key, swapped whole on reload.
#[derive(Debug)]
pub struct Certificate {
    cert: PathBuf,
    key: PathBuf,
    provider: Arc<CryptoProvider>,
    current: RwLock<Loaded>,
}

#[derive(Debug)]
struct Loaded {
    key: Arc<CertifiedKey>,
    /// SHA-256 of the two files' bytes when `key` was loaded, or of a pair that failed to
    /// load since: an unchanged pair is neither parsed again nor complained about again.
    seen: [u8; 32],
}

/// What [`Certificate::reload`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reload {
    /// The files hold what was last seen.
    Unchanged,
    /// A new pair is in force; its certificate's SHA-256 fingerprint (hex).
    Replaced(String),
}

impl Certificate {
    fn load(cert: &Path, key: &Path, provider: &Arc<CryptoProvider>) -> anyhow::Result<Self> {
        let (bytes, seen) = read_pair(cert, key)?;
        let certified = parse_pair(cert, key, &bytes, provider)?;
        Ok(Certificate {
            cert: cert.to_owned(),
            key: key.to_owned(),
            provider: provider.clone(),
            current: RwLock::new(Loaded { key: Arc::new(certified), seen }),
        })
    }

    /// Reads the files again and, if they changed and load, puts the new pair in force for
    /// new connections. On an error the pair in force stays, and the same bad content is not
    /// reported again.
    pub fn reload(&self) -> anyhow::Result<Reload> {
        let (bytes, seen) = read_pair(&self.cert, &self.key)?;
        if self.current.read().unwrap_or_else(|e| e.into_inner()).seen == seen {
            return Ok(Reload::Unchanged);
        }
        let parsed = parse_pair(&self.cert, &self.key, &bytes, &self.provider);
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        current.seen = seen;
        let certified = parsed?;
        let fingerprint = hex::encode(Sha256::digest(certified.cert[0].as_ref()));
        current.key = Arc::new(certified);
        Ok(Reload::Replaced(fingerprint))
    }

    /// Reloads and logs the outcome: what SIGHUP and the file watcher do.
    pub fn reload_and_log(&self) {
        match self.reload() {
            Ok(Reload::Unchanged) => {}
            Ok(Reload::Replaced(sha256)) => {
                tracing::info!(certificate_sha256 = %sha256, "loaded a new TLS certificate for new connections")
            }
            Err(err) => tracing::warn!(
                error = format!("{err:#}"),
                "the TLS certificate files do not load; keeping the certificate in force"
            ),
        }
    }

    /// The SHA-256 fingerprint (hex) of the certificate new connections get.
    pub fn fingerprint(&self) -> String {
        hex::encode(Sha256::digest(self.current.read().unwrap_or_else(|e| e.into_inner()).key.cert[0].as_ref()))
    }
}

impl ResolvesServerCert for Certificate {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.read().unwrap_or_else(|e| e.into_inner()).key.clone())
    }
}

/// Polls the certificate files every `every` until `shutdown`; see the module documentation
/// for why content rather than mtime.
pub async fn watch(certificate: Arc<Certificate>, every: Duration, mut shutdown: Shutdown) {
    if every.is_zero() {
        return;
    }
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.wait() => return,
        }
        let certificate = certificate.clone();
        // File reads and key parsing block; keep them off the runtime's workers.
        let _ = tokio::task::spawn_blocking(move || certificate.reload_and_log()).await;
    }
}

/// A certificate chain's and a private key's file contents (PEM), as read.
type PemPair = (Vec<u8>, Vec<u8>);

/// Reads both files; returns their contents and a SHA-256 over both, to tell a change.
fn read_pair(cert: &Path, key: &Path) -> anyhow::Result<(PemPair, [u8; 32])> {
    let cert_bytes = std::fs::read(cert).with_context(|| format!("reading --tls-cert {}", cert.display()))?;
    let key_bytes = std::fs::read(key).with_context(|| format!("reading --tls-key {}", key.display()))?;
    let mut digest = Sha256::new();
    digest.update((cert_bytes.len() as u64).to_be_bytes());
    digest.update(&cert_bytes);
    digest.update(&key_bytes);
    let seen = digest.finalize().into();
    Ok(((cert_bytes, key_bytes), seen))
}

fn parse_pair(
    cert: &Path,
    key: &Path,
    (cert_bytes, key_bytes): &PemPair,
    provider: &CryptoProvider,
) -> anyhow::Result<CertifiedKey> {
    let chain = CertificateDer::pem_slice_iter(cert_bytes)
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("--tls-cert {} is not a PEM certificate chain", cert.display()))?;
    anyhow::ensure!(!chain.is_empty(), "--tls-cert {} holds no PEM certificate", cert.display());
    // The error names the file only: a key's bytes never reach a log.
    let private = PrivateKeyDer::from_pem_slice(key_bytes).map_err(|_| {
        anyhow::anyhow!("--tls-key {} holds no PEM private key (PKCS#8, PKCS#1 or SEC1)", key.display())
    })?;
    CertifiedKey::from_der(chain, private, provider).with_context(|| {
        format!("--tls-key {} does not load or does not belong to --tls-cert {}", key.display(), cert.display())
    })
}

fn read_certificates(path: &Path, flag: &str) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {flag} {}", path.display()))?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("{flag} {} is not PEM", path.display()))?;
    anyhow::ensure!(!certs.is_empty(), "{flag} {} holds no PEM certificate", path.display());
    Ok(certs)
}
