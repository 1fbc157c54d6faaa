//! A real FTP(S) server running in-process (libunftp + unftp-sbe-fs), serving a fresh temporary
//! directory, for end-to-end tests of the client.
//!
//! The server accepts connections on its own `127.0.0.1:0` listener (bound before [`TestServer::start`]
//! returns, so there is no port race) and hands each connection to libunftp's `Server::service`.
//! Everything runs on the calling test's tokio runtime and is torn down when the [`TestServer`] is
//! dropped.

use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use libunftp::options::{
    ActivePassiveMode, FtpsRequired, Reply, ReplyCode, SiteCommandContext, SiteCommandHandler,
};
use libunftp::{Server, ServerBuilder};
use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};
use unftp_core::auth::{
    AuthenticationError, Authenticator, Credentials, DefaultUser, Principal, UserDetail,
};
use unftp_core::storage::{Metadata, StorageBackend};
use unftp_sbe_fs::Filesystem;

/// The only user name the test server accepts.
pub const USER: &str = "alice";
/// The only password the test server accepts (for [`USER`]).
pub const PASSWORD: &str = "s3cret-pw";

/// How long [`TestServer::start`] waits for the server's greeting before giving up.
const START_TIMEOUT: Duration = Duration::from_secs(10);

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
    /// The accept loop; it owns every session task, so aborting it ends them all.
    accept_task: JoinHandle<()>,
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

        let config = Arc::new(Config {
            root: root.path().to_path_buf(),
            active: opts.active,
            tls_files: tls
                .as_ref()
                .map(|t| (t.cert_path.clone(), t.key_path.clone())),
            passive_ports: passive_port_range(),
        });
        // Build once up front so that configuration errors surface here, not in a session task.
        drop(config.build());

        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the test server's control listener on 127.0.0.1:0");
        let addr = listener.local_addr().expect("control listener address");
        let accept_task = tokio::spawn(accept_loop(listener, config));

        tokio::time::timeout(START_TIMEOUT, probe_greeting(addr))
            .await
            .expect("test FTP server did not send its greeting within 10 s");

        let (cert_der, cert_sha256_hex, tls_dir) = match tls {
            Some(t) => {
                let hex = super::sha256_hex(&t.cert_der);
                (Some(t.cert_der), Some(hex), Some(t.dir))
            }
            None => (None, None, None),
        };
        TestServer {
            addr,
            root,
            cert_der,
            cert_sha256_hex,
            _tls_dir: tls_dir,
            accept_task,
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

impl Drop for TestServer {
    fn drop(&mut self) {
        // Aborting the accept loop drops its JoinSet, which aborts every `Server::service` future;
        // each of those owns its session's shutdown notifier, and dropping it makes libunftp's
        // control loop close the connection.
        self.accept_task.abort();
    }
}

/// Everything needed to build a libunftp `Server` (one is built per connection, since
/// `Server::service` consumes the server).
struct Config {
    root: PathBuf,
    active: bool,
    tls_files: Option<(PathBuf, PathBuf)>,
    passive_ports: RangeInclusive<u16>,
}

impl Config {
    fn build(&self) -> Server<Filesystem, DefaultUser> {
        let root = self.root.clone();
        let mut builder = ServerBuilder::with_authenticator(
            Box::new(move || Filesystem::new(root.clone()).expect("open the FTP root directory")),
            Arc::new(TestAuthenticator),
        )
        .greeting("Ferry test server ready")
        .logger(slog::Logger::root(slog::Discard, slog::o!()))
        .passive_ports(self.passive_ports.clone())
        .active_passive_mode(if self.active {
            ActivePassiveMode::ActiveAndPassive
        } else {
            ActivePassiveMode::PassiveOnly
        })
        .idle_session_timeout(120)
        .site_command(
            "CHMOD",
            SiteChmod {
                root: self.root.clone(),
            },
        );
        if let Some((cert, key)) = &self.tls_files {
            builder = builder
                .ftps(cert.clone(), key.clone())
                .ftps_required(FtpsRequired::None, FtpsRequired::None);
        }
        builder
            .build()
            .expect("libunftp rejected the test server configuration")
    }
}

/// Accepts control connections forever, serving each with a freshly built libunftp server.
async fn accept_loop(listener: TcpListener, config: Arc<Config>) {
    let mut sessions = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    let server = config.build();
                    sessions.spawn(async move {
                        // Errors here are the session's own business (e.g. the client vanished).
                        let _ = server.service(stream).await;
                    });
                }
                // Transient (e.g. EMFILE); back off a little instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            // Reap finished sessions so the set does not grow without bound.
            Some(_) = sessions.join_next(), if !sessions.is_empty() => {}
        }
    }
}

/// Connects, waits for a complete `220` greeting line, then says `QUIT`.
async fn probe_greeting(addr: SocketAddr) {
    loop {
        if let Ok(stream) = TcpStream::connect(addr).await {
            let mut reader = BufReader::new(stream);
            let mut line = String::new();
            if reader.read_line(&mut line).await.is_ok() && line.starts_with("220 ") {
                let _ = reader.get_mut().write_all(b"QUIT\r\n").await;
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Picks the passive port range: the ports above the kernel's ephemeral range (so that passive
/// listeners never collide with the ephemeral ports of client sockets or of other test servers'
/// control listeners), or below it if that gap is too small.
///
/// Parallel servers share the range; libunftp picks a random port and retries up to 9 times when
/// a port is already taken, so collisions between concurrently running servers are harmless.
fn passive_port_range() -> RangeInclusive<u16> {
    let ephemeral = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| {
            let mut it = s.split_whitespace().map(|n| n.parse::<u16>().ok());
            Some((it.next()??, it.next()??))
        });
    match ephemeral {
        Some((_, hi)) if hi <= 65535 - 1000 => hi + 1..=65535,
        Some((lo, _)) if lo >= 11000 => 10000..=lo - 1,
        _ => 49152..=65535,
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

/// Accepts exactly [`USER`] / [`PASSWORD`]; anything else gets `530`.
#[derive(Debug)]
struct TestAuthenticator;

#[async_trait]
impl Authenticator for TestAuthenticator {
    async fn authenticate(
        &self,
        username: &str,
        creds: &Credentials,
    ) -> Result<Principal, AuthenticationError> {
        if username != USER {
            return Err(AuthenticationError::BadUser);
        }
        if creds.password.as_deref() != Some(PASSWORD) {
            return Err(AuthenticationError::BadPassword);
        }
        Ok(Principal {
            username: username.to_string(),
        })
    }
}

/// `SITE CHMOD <octal-mode> <path>` (libunftp has no built-in CHMOD). The path is resolved
/// against the served root, not the session's working directory (libunftp does not tell SITE
/// handlers the cwd), so clients should send absolute paths.
#[derive(Debug)]
struct SiteChmod {
    root: PathBuf,
}

#[async_trait]
impl<S, U> SiteCommandHandler<S, U> for SiteChmod
where
    S: StorageBackend<U> + 'static,
    S::Metadata: Metadata,
    U: UserDetail + 'static,
{
    async fn handle(&self, ctx: &SiteCommandContext<S, U>) -> Reply {
        use std::os::unix::fs::PermissionsExt;

        let Some((mode, path)) = ctx.arguments.trim().split_once(' ') else {
            return Reply::new(
                ReplyCode::ParameterSyntaxError,
                "Usage: SITE CHMOD <mode> <path>",
            );
        };
        let Ok(mode) = u32::from_str_radix(mode, 8) else {
            return Reply::new(ReplyCode::ParameterSyntaxError, "Mode must be octal");
        };
        let rel = Path::new(path.trim().trim_start_matches('/'));
        if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
            return Reply::new(ReplyCode::FileError, "Bad path");
        }
        match std::fs::set_permissions(self.root.join(rel), std::fs::Permissions::from_mode(mode)) {
            Ok(()) => Reply::new(ReplyCode::CommandOkay, "SITE CHMOD command successful"),
            Err(e) => Reply::new(ReplyCode::FileError, &format!("CHMOD failed: {e}")),
        }
    }
}
