//! A real FTP(S) server running in-process, serving a fresh temporary directory, for end-to-end
//! tests of the client: a thin wrapper over [`ferry::demo::InProcessServer`] (the same server
//! `ferry --demo` runs) that adds fixed test credentials and a generated self-signed certificate.
//!
//! The server listens on its own `127.0.0.1:0` listener, bound before [`TestServer::start`]
//! returns. Everything runs on the calling test's tokio runtime and is torn down when the
//! [`TestServer`] is dropped.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use ferry::demo::{InProcessServer, ServerConfig, TlsFiles};
use tempfile::TempDir;

/// The only user name the test server accepts.
pub const USER: &str = "alice";
/// The only password the test server accepts (for [`USER`]).
pub const PASSWORD: &str = "s3cret-pw";

/// What kind of server [`TestServer::start`] runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct ServerOptions {
    /// Offer explicit FTPS (`AUTH TLS`) with a fresh self-signed certificate. TLS is optional:
    /// plain-text logins and transfers keep working.
    pub tls: bool,
    /// Allow active mode (`PORT`) besides passive mode (`ActivePassiveMode::ActiveAndPassive`);
    /// otherwise the server is passive only.
    pub active: bool,
}

/// A running in-process FTP server. Dropping it stops the server and closes its sessions.
pub struct TestServer {
    /// The server (declared first so it stops before its folder is removed).
    _server: InProcessServer,
    /// The control-connection address, always `127.0.0.1:<port>`.
    pub addr: SocketAddr,
    /// The directory served as `/`; files can be created/inspected directly (see [`TestServer::path`]).
    pub root: TempDir,
    /// The server certificate in DER form (only with `tls`).
    pub cert_der: Option<Vec<u8>>,
    /// Lowercase hex SHA-256 of [`TestServer::cert_der`], no separators (only with `tls`).
    pub cert_sha256_hex: Option<String>,
    /// Holds the certificate and key PEM files for as long as the server runs.
    _tls_dir: Option<TempDir>,
}

impl TestServer {
    /// Starts a server on `127.0.0.1:<free port>` serving a fresh temporary directory, and returns
    /// once it has answered a probe connection with its `220` greeting (10 s limit).
    ///
    /// Must be called from within a tokio runtime (the server's tasks are spawned on it).
    ///
    /// # Panics
    /// If the listener cannot be bound, the libunftp configuration is rejected, or no greeting
    /// arrives in time.
    pub async fn start(opts: ServerOptions) -> TestServer {
        let root = tempfile::Builder::new()
            .prefix("ferry-test-root-")
            .tempdir()
            .expect("create temp dir for the FTP root");
        let tls = opts.tls.then(make_tls_material);

        let mut config = ServerConfig::new(root.path(), USER, PASSWORD);
        config.active = opts.active;
        config.greeting = "Ferry test server ready";
        config.idle_timeout = Duration::from_secs(120);
        config.tls = tls.as_ref().map(|t| TlsFiles {
            cert_pem: t.cert_path.clone(),
            key_pem: t.key_path.clone(),
        });
        let server = InProcessServer::start(config)
            .await
            .expect("start the in-process test FTP server");
        let addr = server.addr();

        let (cert_der, cert_sha256_hex, tls_dir) = match tls {
            Some(t) => {
                let hex = super::sha256_hex(&t.cert_der);
                (Some(t.cert_der), Some(hex), Some(t.dir))
            }
            None => (None, None, None),
        };
        TestServer {
            _server: server,
            addr,
            root,
            cert_der,
            cert_sha256_hex,
            _tls_dir: tls_dir,
        }
    }

    /// The local filesystem path of `rel` (a path relative to the served root; a leading `/` is
    /// ignored, so FTP-style absolute paths work too).
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.path().join(rel.trim_start_matches('/'))
    }

    /// `ftp://alice@127.0.0.1:PORT/<path>` (no password; `path` is used verbatim, without
    /// percent-encoding, and may start with `/` or not).
    pub fn url(&self, path: &str) -> String {
        format!(
            "ftp://{USER}@{}/{}",
            self.addr,
            path.trim_start_matches('/')
        )
    }
}

/// The self-signed certificate and where its PEM files live.
struct TlsMaterial {
    dir: TempDir,
    cert_path: PathBuf,
    key_path: PathBuf,
    cert_der: Vec<u8>,
}

/// Generates a self-signed certificate for `localhost` and `127.0.0.1` and writes it and its key
/// as PEM files into a new temporary directory.
fn make_tls_material() -> TlsMaterial {
    let mut params =
        rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .expect("certificate parameters for localhost/127.0.0.1");
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "localhost");
    let key = rcgen::KeyPair::generate().expect("generate a certificate key pair");
    let cert = params
        .self_signed(&key)
        .expect("self-sign the test certificate");

    let dir = tempfile::Builder::new()
        .prefix("ferry-test-tls-")
        .tempdir()
        .expect("create temp dir for TLS files");
    let cert_path = dir.path().join("cert.pem");
    let key_path = dir.path().join("key.pem");
    std::fs::write(&cert_path, cert.pem()).expect("write cert.pem");
    std::fs::write(&key_path, key.serialize_pem()).expect("write key.pem");
    TlsMaterial {
        dir,
        cert_path,
        key_path,
        cert_der: cert.der().to_vec(),
    }
}
