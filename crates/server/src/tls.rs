//! HTTPS: the certificate and key (PEM), and the TLS handshake of each connection.
//!
//! [`handshake`] runs in the task of its connection (see [`crate::listen`]): a client that
//! opens a TCP connection and sends nothing holds that task until [`HANDSHAKE_TIMEOUT`],
//! never the accept loop. ALPN offers `h2` and `http/1.1`. A client speaking plain HTTP
//! to the TLS port gets a short `400` saying so instead of a silent close.

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::server::TlsStream;

/// Longest a client may take from connecting to finishing the TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the certificate or the key cannot be used. Each message is one line naming the file.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The file cannot be read.
    #[error("{setting} {path:?}: cannot read it ({source})")]
    Read {
        /// `certPath` or `keyPath`.
        setting: &'static str,
        /// The file.
        path: String,
        /// What the system said.
        source: io::Error,
    },
    /// The certificate file holds no PEM certificate, or a damaged one.
    #[error("certPath {path:?}: {why}")]
    Certificate {
        /// The file.
        path: String,
        /// What is wrong with it.
        why: String,
    },
    /// The key file holds no PEM private key, or a damaged one.
    #[error("keyPath {path:?}: {why}")]
    Key {
        /// The file.
        path: String,
        /// What is wrong with it.
        why: String,
    },
    /// rustls refused the pair (e.g. the key does not belong to the certificate).
    #[error("certPath {cert:?} and keyPath {key:?}: {why}")]
    Pair {
        /// The certificate file.
        cert: String,
        /// The key file.
        key: String,
        /// What rustls said.
        why: String,
    },
}

/// A loaded certificate chain and private key, ready to serve HTTPS (HTTP/2 and HTTP/1.1).
#[derive(Clone)]
pub struct TlsConfig {
    server: Arc<rustls::ServerConfig>,
    cert_path: PathBuf,
}

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConfig")
            .field("cert_path", &self.cert_path)
            .field("key", &"<redacted>")
            .finish()
    }
}

fn shown(path: &Path) -> String {
    path.display().to_string()
}

impl TlsConfig {
    /// Reads a PEM certificate chain (leaf first) and a PEM private key (PKCS#8, PKCS#1
    /// or SEC1), and checks that they belong together.
    pub fn from_pem_files(cert_path: &Path, key_path: &Path) -> Result<TlsConfig, TlsError> {
        let read = |setting, path: &Path| {
            std::fs::read(path).map_err(|source| TlsError::Read {
                setting,
                path: shown(path),
                source,
            })
        };
        let cert_pem = read("certPath", cert_path)?;
        let key_pem = read("keyPath", key_path)?;
        let certs = CertificateDer::pem_slice_iter(&cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| TlsError::Certificate {
                path: shown(cert_path),
                why: format!("not a valid PEM certificate ({e})"),
            })?;
        if certs.is_empty() {
            return Err(TlsError::Certificate {
                path: shown(cert_path),
                why: "no PEM certificate (-----BEGIN CERTIFICATE-----) in it".into(),
            });
        }
        let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| TlsError::Key {
            path: shown(key_path),
            why: match e {
                rustls::pki_types::pem::Error::NoItemsFound => {
                    "no PEM private key (-----BEGIN PRIVATE KEY-----) in it".into()
                }
                e => format!("not a valid PEM private key ({e})"),
            },
        })?;
        let pair_error = |why: String| TlsError::Pair {
            cert: shown(cert_path),
            key: shown(key_path),
            why,
        };
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut server = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| pair_error(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| pair_error(format!("not usable together ({e})")))?;
        server.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(TlsConfig {
            server: Arc::new(server),
            cert_path: cert_path.to_owned(),
        })
    }
}

impl TlsConfig {
    /// What does the TLS handshakes with this certificate.
    pub(crate) fn acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::from(self.server.clone())
    }
}

/// The server side of the TLS handshake on a freshly accepted connection, bounded by
/// [`HANDSHAKE_TIMEOUT`]; `None` (the connection is dropped) if it fails, times out or
/// the client speaks plain HTTP.
pub(crate) async fn handshake(
    acceptor: &TlsAcceptor,
    mut stream: TcpStream,
    peer: SocketAddr,
) -> Option<TlsStream<TcpStream>> {
    let handshake = async move {
        if !refuse_plain_http(&mut stream).await {
            return None;
        }
        match acceptor.accept(stream).await {
            Ok(tls) => Some(tls),
            Err(e) => {
                tracing::debug!("TLS handshake with {peer} failed: {e}");
                None
            }
        }
    };
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake).await {
        Ok(tls) => tls,
        Err(_) => {
            tracing::debug!("TLS handshake with {peer} timed out");
            None
        }
    }
}

/// Peeks at the first byte: a TLS connection starts with a handshake record (0x16).
/// What looks like a plain HTTP request gets a `400` telling to use https, and is closed.
/// Returns whether the handshake should go on.
async fn refuse_plain_http(stream: &mut TcpStream) -> bool {
    let mut first = [0u8; 1];
    match stream.peek(&mut first).await {
        Ok(1) if first[0] == 0x16 => true,
        Ok(1) if first[0].is_ascii_uppercase() => {
            const BODY: &str = "This server speaks HTTPS only: use an https:// address.\n";
            let answer = format!(
                "HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain; charset=utf-8\r\n\
                 content-length: {}\r\nconnection: close\r\n\r\n{BODY}",
                BODY.len()
            );
            let _ = stream.write_all(answer.as_bytes()).await;
            let _ = stream.shutdown().await;
            // Read what the client sent before closing, so that the close does not reset
            // the connection under the answer.
            let mut sink = [0u8; 4096];
            let drain = async {
                let mut total = 0;
                while let Ok(n @ 1..) = stream.read(&mut sink).await {
                    total += n;
                    if total > 64 * 1024 {
                        break;
                    }
                }
            };
            let _ = tokio::time::timeout(Duration::from_secs(1), drain).await;
            false
        }
        _ => false,
    }
}
