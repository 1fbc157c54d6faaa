//! The embedded FTP(S) server: libunftp over a local folder, in-process.
//!
//! [`InProcessServer`] is the server itself, shared by `ferry --demo` and the
//! integration tests (so both exercise the same code). [`DemoServer`] runs one
//! on its own thread over a temporary folder seeded with a sample tree, so a
//! newcomer without an FTP server can watch Ferry work.

use std::fs;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle as ThreadHandle;
use std::time::{Duration, SystemTime};

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

/// How long [`InProcessServer::start`] waits for the server's greeting.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// The certificate chain and private key (PEM files) for explicit FTPS.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert_pem: PathBuf,
    pub key_pem: PathBuf,
}

/// What an [`InProcessServer`] serves, to whom, and how.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The folder served as `/`.
    pub root: PathBuf,
    /// The only user name accepted.
    pub user: String,
    /// The only password accepted (for [`ServerConfig::user`]).
    pub password: String,
    /// Allow active mode (`PORT`/`EPRT`) besides passive mode.
    pub active: bool,
    /// Offer explicit FTPS (`AUTH TLS`) with this certificate; plain text keeps working.
    pub tls: Option<TlsFiles>,
    /// The text of the `220` greeting.
    pub greeting: &'static str,
    /// Sessions idle this long are closed by the server.
    pub idle_timeout: Duration,
}

impl ServerConfig {
    /// A passive-only, plain-text server over `root` accepting `user`/`password`.
    pub fn new(
        root: impl Into<PathBuf>,
        user: impl Into<String>,
        password: impl Into<String>,
    ) -> ServerConfig {
        ServerConfig {
            root: root.into(),
            user: user.into(),
            password: password.into(),
            active: false,
            tls: None,
            greeting: "Ferry embedded FTP server ready",
            idle_timeout: Duration::from_secs(300),
        }
    }
}

/// A running FTP(S) server on `127.0.0.1:<free port>`, its tasks on the tokio
/// runtime that started it. Dropping it stops the server and ends its sessions.
pub struct InProcessServer {
    addr: SocketAddr,
    /// The accept loop; it owns every session task, so aborting it ends them all.
    accept_task: JoinHandle<()>,
}

impl InProcessServer {
    /// Listen on `127.0.0.1:<free port>` and serve; return once the server
    /// has answered a probe connection with its `220` greeting (10 s limit).
    ///
    /// Must be called within a tokio runtime: the server's tasks are spawned on it.
    pub async fn start(config: ServerConfig) -> io::Result<InProcessServer> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        InProcessServer::start_on(listener, config).await
    }

    /// Serve on a listener bound earlier (clients that connected meanwhile
    /// wait in its backlog and are greeted now); return once the server has
    /// answered a probe connection (10 s limit).
    ///
    /// Must be called within a tokio runtime: the server's tasks are spawned on it.
    pub async fn start_on(
        listener: TcpListener,
        config: ServerConfig,
    ) -> io::Result<InProcessServer> {
        let builder = Arc::new(Builder {
            passive_ports: passive_port_range(),
            config,
        });
        // Build once up front so that a bad root, certificate or key is
        // reported here, not in each session.
        Filesystem::new(builder.config.root.clone()).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "could not open the folder to serve ({e}); check that it exists: {}",
                    builder.config.root.display()
                ),
            )
        })?;
        builder.build()?;

        let addr = listener.local_addr()?;
        let accept_task = tokio::spawn(accept_loop(listener, builder));
        let server = InProcessServer { addr, accept_task };
        match tokio::time::timeout(START_TIMEOUT, probe_greeting(addr)).await {
            Ok(()) => Ok(server),
            Err(_) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("the embedded FTP server sent no greeting within 10 s: {addr}"),
            )),
        }
    }

    /// The control-connection address, always `127.0.0.1:<port>`.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for InProcessServer {
    fn drop(&mut self) {
        // Aborting the accept loop drops its JoinSet, which aborts every
        // `Server::service` future; each owns its session's shutdown notifier,
        // and dropping that makes libunftp close the connection.
        self.accept_task.abort();
    }
}

/// Builds a libunftp `Server` per connection (`Server::service` consumes it).
struct Builder {
    config: ServerConfig,
    passive_ports: RangeInclusive<u16>,
}

impl Builder {
    fn build(&self) -> io::Result<Server<Filesystem, DefaultUser>> {
        let config = &self.config;
        let root = config.root.clone();
        let mut builder = ServerBuilder::with_authenticator(
            Box::new(move || {
                // `start` opened this folder, and the accept loop checks it
                // still exists before each session; only a removal in between
                // can fail here, and then only that session's task ends.
                Filesystem::new(root.clone()).expect("the served folder exists")
            }),
            Arc::new(PasswordAuthenticator {
                user: config.user.clone(),
                password: config.password.clone(),
            }),
        )
        .greeting(config.greeting)
        .logger(slog::Logger::root(slog::Discard, slog::o!()))
        .passive_ports(self.passive_ports.clone())
        .active_passive_mode(if config.active {
            ActivePassiveMode::ActiveAndPassive
        } else {
            ActivePassiveMode::PassiveOnly
        })
        .idle_session_timeout(config.idle_timeout.as_secs())
        .site_command(
            "CHMOD",
            SiteChmod {
                root: config.root.clone(),
            },
        );
        if let Some(tls) = &config.tls {
            builder = builder
                .ftps(tls.cert_pem.clone(), tls.key_pem.clone())
                .ftps_required(FtpsRequired::None, FtpsRequired::None);
        }
        builder.build().map_err(|e| {
            io::Error::other(format!(
                "the embedded FTP server's configuration was rejected: {e}"
            ))
        })
    }
}

/// Accepts control connections until aborted, serving each with a freshly
/// built libunftp server.
async fn accept_loop(listener: TcpListener, builder: Arc<Builder>) {
    let mut sessions = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    // libunftp writes each reply as soon as it is ready, and
                    // the "226" ending a transfer follows the unanswered
                    // "150" on the control connection. With Nagle's algorithm
                    // on, that small second write waits for the client's
                    // delayed ACK of the first: about 40 ms per file on Linux.
                    if let Err(e) = stream.set_nodelay(true) {
                        tracing::debug!("embedded FTP server: could not set TCP_NODELAY for {peer}: {e}");
                    }
                    if !builder.config.root.is_dir() {
                        tracing::warn!(root = %builder.config.root.display(), "served folder is gone; refusing {peer}");
                        continue;
                    }
                    let server = match builder.build() {
                        Ok(server) => server,
                        Err(e) => {
                            tracing::warn!("embedded FTP server: {e}");
                            continue;
                        }
                    };
                    sessions.spawn(async move {
                        if let Err(e) = server.service(stream).await {
                            tracing::debug!("embedded FTP server session with {peer} ended: {e}");
                        }
                    });
                }
                // Transient (e.g. out of file descriptors): back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            // Reap finished sessions so the set does not grow without bound.
            Some(_) = sessions.join_next(), if !sessions.is_empty() => {}
        }
    }
}

/// Connects until a complete `220 ` greeting line arrives, then says `QUIT`.
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

/// The passive port range: the ports above the kernel's ephemeral range (so
/// passive listeners never collide with the ephemeral ports of client sockets
/// or other servers' control listeners), or below it if that gap is too small.
///
/// Servers running side by side share the range; libunftp picks a random port
/// and retries when one is taken, so collisions are harmless.
fn passive_port_range() -> RangeInclusive<u16> {
    let ephemeral = fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
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

/// Accepts exactly one user name and password; anything else gets `530`.
struct PasswordAuthenticator {
    user: String,
    password: String,
}

impl std::fmt::Debug for PasswordAuthenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordAuthenticator")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Authenticator for PasswordAuthenticator {
    async fn authenticate(
        &self,
        username: &str,
        creds: &Credentials,
    ) -> Result<Principal, AuthenticationError> {
        if username != self.user {
            return Err(AuthenticationError::BadUser);
        }
        if creds.password.as_deref() != Some(self.password.as_str()) {
            return Err(AuthenticationError::BadPassword);
        }
        Ok(Principal {
            username: username.to_string(),
        })
    }
}

/// `SITE CHMOD <octal-mode> <path>` (libunftp has no built-in CHMOD). The
/// path is resolved against the served root, not the session's working
/// directory (libunftp does not tell SITE handlers the cwd), so clients
/// should send absolute paths.
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
        match set_mode(&self.root.join(rel), mode) {
            Ok(()) => Reply::new(ReplyCode::CommandOkay, "SITE CHMOD command successful"),
            Err(e) => Reply::new(ReplyCode::FileError, &format!("CHMOD failed: {e}")),
        }
    }
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
}

/// Without Unix permission bits, only the owner's write bit means anything.
#[cfg(not(unix))]
fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    let mut perms = fs::metadata(path)?.permissions();
    perms.set_readonly(mode & 0o200 == 0);
    fs::set_permissions(path, perms)
}

// ---------------------------------------------------------------------------
// The demo

/// The demo server's user name.
pub const DEMO_USER: &str = "demo";
/// The demo server's password.
pub const DEMO_PASSWORD: &str = "demo";
/// The seeded folder holding [`MANY_FILES_COUNT`] small files.
pub const MANY_FILES_FOLDER: &str = "Many files";
/// How many files [`MANY_FILES_FOLDER`] holds.
pub const MANY_FILES_COUNT: usize = 5_000;

/// How long [`DemoServer::start_background`] waits for the sample tree and
/// the server before returning anyway (the window then opens at once and
/// its first connection waits in the listener's backlog until the server
/// greets it).
const DEMO_START_WAIT: Duration = Duration::from_millis(500);

/// A running demo server over a seeded temporary folder, on its own thread
/// and tokio runtime. Dropping it stops the server and deletes the folder.
pub struct DemoServer {
    pub addr: SocketAddr,
    pub user: String,
    pub password: String,
    /// Tells the server thread to stop (sent, or dropped, on drop).
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    /// Tells the seeding to give up (set on drop).
    cancel: Arc<AtomicBool>,
    thread: Option<ThreadHandle<()>>,
    ready: Mutex<Readiness>,
    /// Declared last: removed only after the server thread has finished.
    root: DemoRoot,
}

/// Where a [`DemoServer`] listens and what it serves.
#[derive(Debug, Clone, Default)]
pub struct DemoOptions {
    /// The port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Serve this folder (created if missing, seeded with the sample tree
    /// when empty, kept on exit) instead of a temporary one.
    pub dir: Option<PathBuf>,
}

/// The served folder: temporary (deleted on drop) or the user's (kept).
enum DemoRoot {
    Temporary(TempDir),
    Kept(PathBuf),
}

impl DemoRoot {
    fn path(&self) -> &Path {
        match self {
            DemoRoot::Temporary(dir) => dir.path(),
            DemoRoot::Kept(dir) => dir,
        }
    }
}

/// Whether the server thread has reported that it serves (or failed).
enum Readiness {
    Waiting(std::sync::mpsc::Receiver<io::Result<()>>),
    Ready,
    Failed(io::ErrorKind, String),
}

impl DemoServer {
    /// Start the demo: bind `127.0.0.1:<free port>`, then on a background
    /// thread seed a temporary folder with the sample tree and serve it
    /// (active and passive mode, user and password [`DEMO_USER`]/[`DEMO_PASSWORD`]).
    ///
    /// Returns once the server greets clients, or after half a second if
    /// seeding is slower (a slow disk): the port already accepts connections,
    /// which are greeted as soon as the tree is ready. Errors found in that
    /// half second are returned; later ones make the server close its port.
    pub fn start_background() -> io::Result<DemoServer> {
        DemoServer::start(DemoOptions::default())
    }

    /// [`DemoServer::start_background`] on the port and folder `options` name.
    /// A folder that is not empty is served as it is, without the sample tree.
    pub fn start(options: DemoOptions) -> io::Result<DemoServer> {
        let (root, seed) = match options.dir {
            None => (
                DemoRoot::Temporary(tempfile::Builder::new().prefix("ferry-demo-").tempdir()?),
                true,
            ),
            Some(dir) => {
                fs::create_dir_all(&dir).map_err(|e| {
                    io::Error::new(
                        e.kind(),
                        format!(
                            "could not create the folder to serve ({e}); choose another with --dir: {}",
                            dir.display()
                        ),
                    )
                })?;
                let empty = fs::read_dir(&dir)?.next().is_none();
                (DemoRoot::Kept(dir), empty)
            }
        };
        let listener = std::net::TcpListener::bind(("127.0.0.1", options.port)).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "could not listen on port {} ({e}); choose another with --port, or 0 for any free port",
                    options.port
                ),
            )
        })?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;

        let mut config = ServerConfig::new(root.path(), DEMO_USER, DEMO_PASSWORD);
        config.active = true;
        config.greeting = "Ferry demo server ready (user demo, password demo)";

        let cancel = Arc::new(AtomicBool::new(false));
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread_cancel = cancel.clone();
        let thread = std::thread::Builder::new()
            .name("ferry-demo-server".into())
            .spawn(move || {
                let result = serve_demo(listener, config, seed, &thread_cancel, stop_rx, &ready_tx);
                if let Err(e) = result {
                    if e.kind() != io::ErrorKind::Interrupted {
                        tracing::error!("the demo server stopped: {e}");
                    }
                    let _ = ready_tx.send(Err(e));
                }
            })?;

        let mut demo = DemoServer {
            addr,
            user: DEMO_USER.to_string(),
            password: DEMO_PASSWORD.to_string(),
            stop: Some(stop_tx),
            cancel,
            thread: Some(thread),
            ready: Mutex::new(Readiness::Waiting(ready_rx)),
            root,
        };
        match demo.wait_ready(DEMO_START_WAIT) {
            Err(e) if e.kind() != io::ErrorKind::TimedOut => {
                demo.stop_thread();
                Err(e)
            }
            _ => Ok(demo),
        }
    }

    /// Wait (at most `timeout`) until the sample tree is seeded and the
    /// server greets clients. A `TimedOut` error means it is still seeding.
    pub fn wait_ready(&self, timeout: Duration) -> io::Result<()> {
        // A poisoned lock only means another waiter panicked; the state is still valid.
        let mut ready = self.ready.lock().unwrap_or_else(|e| e.into_inner());
        let outcome = match &*ready {
            Readiness::Ready => return Ok(()),
            Readiness::Failed(kind, message) => return Err(io::Error::new(*kind, message.clone())),
            Readiness::Waiting(rx) => rx.recv_timeout(timeout),
        };
        match outcome {
            Ok(Ok(())) => {
                *ready = Readiness::Ready;
                Ok(())
            }
            Ok(Err(e)) => {
                *ready = Readiness::Failed(e.kind(), e.to_string());
                Err(e)
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the demo server is still preparing its sample folder",
            )),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                let message = "the demo server's thread ended before the server started";
                *ready = Readiness::Failed(io::ErrorKind::Other, message.to_string());
                Err(io::Error::other(message))
            }
        }
    }

    /// The local folder served as `/`.
    pub fn root(&self) -> &Path {
        self.root.path()
    }

    /// Whether the served folder is deleted when the server stops.
    pub fn is_temporary(&self) -> bool {
        matches!(self.root, DemoRoot::Temporary(_))
    }

    fn stop_thread(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        self.stop_thread();
    }
}

/// The demo server thread: seed the folder (if `seed`), then serve on `listener` until
/// told to stop. Reports readiness on `ready` once serving.
fn serve_demo(
    listener: std::net::TcpListener,
    config: ServerConfig,
    seed: bool,
    cancel: &AtomicBool,
    stop: tokio::sync::oneshot::Receiver<()>,
    ready: &std::sync::mpsc::Sender<io::Result<()>>,
) -> io::Result<()> {
    if seed {
        let started = std::time::Instant::now();
        seed_tree(&config.root, cancel)?;
        tracing::info!("demo folder seeded in {:?}", started.elapsed());
    }

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = TcpListener::from_std(listener)?;
        let server = InProcessServer::start_on(listener, config).await?;
        let _ = ready.send(Ok(()));
        // Sent or dropped: either way, stop.
        let _ = stop.await;
        drop(server);
        Ok(())
    })
}

/// Fill `root` with the demo's sample tree: nested folders, a folder of
/// [`MANY_FILES_COUNT`] small files, files of a few MB, names with spaces
/// and non-ASCII letters, a hidden file and an empty folder. Modification
/// times are spread over the past year, the same on every run.
#[cfg(test)]
fn seed_sample_tree(root: &Path) -> io::Result<()> {
    seed_tree(root, &AtomicBool::new(false))
}

/// [`seed_sample_tree`], giving up with `Interrupted` once `cancel` is set.
fn seed_tree(root: &Path, cancel: &AtomicBool) -> io::Result<()> {
    let now = SystemTime::now();
    let day = Duration::from_secs(86_400);
    let mut seed = Seeder { root, now, day };

    seed.text("Read me.txt", 1, README)?;
    seed.text(
        "Ünïcödé – naïve café.txt",
        3,
        "Names are UTF-8: Ünïcödé, naïve, café, Zoë, 東京, Ελληνικά.\n",
    )?;
    seed.text(".hidden", 40, "Hidden files start with a dot.\n")?;
    seed.folder("Empty folder")?;

    seed.text(
        "Documents/Reports/2024/Q1 report.txt",
        300,
        &report("Q1 2024", 42),
    )?;
    seed.text(
        "Documents/Reports/2024/Q2 report.txt",
        210,
        &report("Q2 2024", 57),
    )?;
    seed.text(
        "Documents/Reports/2024/Q3 report.txt",
        120,
        &report("Q3 2024", 61),
    )?;
    seed.text("Documents/Reports/2023/Annual summary.csv", 360, &csv(365))?;
    seed.text(
        "Documents/Letters/Lettre à Zoë.txt",
        90,
        "Chère Zoë,\n\nMerci pour le café.\n",
    )?;
    seed.text(
        "Documents/Notes/todo.md",
        2,
        "# To do\n\n- [x] Try Ferry\n- [ ] Drag a file to the other pane\n",
    )?;

    seed.binary(
        "Photos/Holiday 2024/beach.jpg",
        150,
        3 * 1024 * 1024 + 123,
        1,
    )?;
    seed.binary(
        "Photos/Holiday 2024/mountains.jpg",
        149,
        2 * 1024 * 1024 + 77,
        2,
    )?;
    seed.binary("Photos/family portrait.png", 200, 4 * 1024 * 1024 + 5, 3)?;
    seed.binary("Photos/Thumbnails/beach-small.jpg", 150, 48 * 1024, 4)?;

    seed.binary("Music/Ambient/Morning light.mp3", 30, 1536 * 1024, 5)?;
    seed.binary("Music/Ambient/Night drive.flac", 31, 1024 * 1024 + 9, 6)?;

    seed.text(
        "Projects/website/index.html",
        12,
        "<!doctype html>\n<title>Hello</title>\n<h1>Hello from Ferry</h1>\n",
    )?;
    seed.text(
        "Projects/website/css/style.css",
        12,
        "body { font-family: sans-serif; }\n",
    )?;
    seed.text(
        "Projects/scripts/backup.sh",
        64,
        "#!/bin/sh\nferry mirror ftp://demo@localhost/Documents ./backup\n",
    )?;

    let many = root.join(MANY_FILES_FOLDER);
    fs::create_dir_all(&many)?;
    let mut text = String::new();
    for i in 1..=MANY_FILES_COUNT {
        use std::fmt::Write as _;
        if i.is_multiple_of(256) && cancel.load(Ordering::Relaxed) {
            return Err(io::Error::new(
                io::ErrorKind::Interrupted,
                "the demo server was stopped while seeding",
            ));
        }
        text.clear();
        let _ = writeln!(text, "This is file {i} of {MANY_FILES_COUNT}.");
        let age = day * (i % 365) as u32 + Duration::from_secs(i as u64 * 61 % 86_400);
        write_file(
            &many.join(format!("file {i:04}.txt")),
            text.as_bytes(),
            now - age,
        )?;
    }
    Ok(())
}

const README: &str = "\
Welcome to Ferry's demo server.

This folder lives in a temporary directory on your computer and is deleted
when Ferry closes. Try things out:

  * Drag files between the two panes to upload and download.
  * Open \"Many files\" to see a folder of 5,000 files.
  * Photos and Music hold files of a few megabytes, to watch progress.
  * Rename, delete and create folders: nothing here is precious.
  * The message log at the bottom shows every command and reply.
";

/// Writes the sample tree's files under a root, with ages in days.
struct Seeder<'a> {
    root: &'a Path,
    now: SystemTime,
    day: Duration,
}

impl Seeder<'_> {
    fn path(&self, rel: &str) -> io::Result<PathBuf> {
        let path = self.root.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        Ok(path)
    }

    fn folder(&mut self, rel: &str) -> io::Result<()> {
        fs::create_dir_all(self.root.join(rel))
    }

    fn text(&mut self, rel: &str, age_days: u32, text: &str) -> io::Result<()> {
        let path = self.path(rel)?;
        write_file(&path, text.as_bytes(), self.now - self.day * age_days)
    }

    fn binary(&mut self, rel: &str, age_days: u32, len: usize, seed: u64) -> io::Result<()> {
        let path = self.path(rel)?;
        write_file(
            &path,
            &pseudo_random_bytes(len, seed),
            self.now - self.day * age_days,
        )
    }
}

fn write_file(path: &Path, bytes: &[u8], modified: SystemTime) -> io::Result<()> {
    let mut file = fs::File::create(path)?;
    file.write_all(bytes)?;
    file.set_modified(modified)
}

fn report(quarter: &str, growth: u32) -> String {
    format!(
        "Quarterly report — {quarter}\n\nRevenue grew {growth}% over the previous quarter.\n\
         Ferry uploads: {}\nFerry downloads: {}\n",
        growth * 1_000,
        growth * 2_345
    )
}

fn csv(rows: u32) -> String {
    let mut out = String::from("day,visitors,downloads\n");
    for d in 1..=rows {
        out.push_str(&format!("{d},{},{}\n", 100 + d * 7 % 53, d * 13 % 97));
    }
    out
}

/// `len` pseudo-random bytes, the same for the same `seed` (xorshift64*,
/// seeded through splitmix64; fast, not cryptographic).
fn pseudo_random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    let mut state = (z ^ (z >> 31)).max(1);
    let mut out = Vec::with_capacity(len.next_multiple_of(8));
    while out.len() < len {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        out.extend_from_slice(&state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(len);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudo_random_bytes_are_deterministic_and_sized() {
        let a = pseudo_random_bytes(1001, 7);
        assert_eq!(a.len(), 1001);
        assert_eq!(a, pseudo_random_bytes(1001, 7));
        assert_ne!(a, pseudo_random_bytes(1001, 8));
        assert!(pseudo_random_bytes(0, 1).is_empty());
    }

    #[test]
    fn sample_tree_has_what_the_demo_promises() {
        let dir = tempfile::tempdir().unwrap();
        let started = std::time::Instant::now();
        seed_sample_tree(dir.path()).unwrap();
        eprintln!("seeding took {:?}", started.elapsed());

        let many = fs::read_dir(dir.path().join(MANY_FILES_FOLDER))
            .unwrap()
            .count();
        assert_eq!(many, MANY_FILES_COUNT);
        assert!(dir.path().join("Read me.txt").is_file());
        assert!(dir.path().join("Ünïcödé – naïve café.txt").is_file());
        assert!(dir.path().join(".hidden").is_file());
        assert!(
            dir.path()
                .join("Documents/Reports/2024/Q1 report.txt")
                .is_file()
        );
        let empty = dir.path().join("Empty folder");
        assert!(empty.is_dir() && fs::read_dir(&empty).unwrap().next().is_none());
        let photo = fs::metadata(dir.path().join("Photos/family portrait.png")).unwrap();
        assert!(photo.len() > 3 * 1024 * 1024);
        assert!(photo.modified().unwrap() < SystemTime::now() - Duration::from_secs(86_400));
    }

    #[test]
    fn authenticator_accepts_only_the_configured_login() {
        let auth = PasswordAuthenticator {
            user: "u".into(),
            password: "p".into(),
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let creds = Credentials::from;
        rt.block_on(async {
            assert!(auth.authenticate("u", &creds("p")).await.is_ok());
            assert!(auth.authenticate("u", &creds("x")).await.is_err());
            assert!(auth.authenticate("x", &creds("p")).await.is_err());
        });
        assert!(!format!("{auth:?}").contains("\"p\""));
    }
}
