//! A logged-in FTP session: the client API over the control connection and
//! its data connections. No app state; the engine and the command line both
//! drive it.

use std::net::{IpAddr, SocketAddr, SocketAddrV4};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio_rustls::TlsConnector;

use super::ascii::{
    LineEnds, TextDecoder, TextEncoder, TypeChoice, default_text_endings, has_text_ending,
    is_text_transfer,
};
use super::control::{Control, check_argument, refused, tls_error};
use super::data::{DataStream, eprt_argument, parse_epsv, parse_pasv, port_argument};
use super::error::{Channel, DataMode, FtpError, ModeNote, Result, data_hint};
use super::features::Features;
use super::listing::{ListingFormat, RemoteEntry, parse_listing};
use super::log::{Logger, SharedLog};
use super::modes::{
    CodecError, DEFLATE_LEVEL, Decoder, Encoder, PROBE_LEN, RestartMarker, TransferMode,
    already_compressed, deflate_saves_enough, extension,
};
use super::options::{ConnectOptions, NameCharset, Security};
use super::proxy::{self, Target};
use super::reply::Reply;
use super::stream::Stream;
use super::tls::{CertificateInfo, TlsContext};

static NEXT_SESSION: AtomicU64 = AtomicU64::new(1);

/// Size of the buffer used to move file data.
const CHUNK: usize = 1024 * 1024;
/// The first read buffer of a download; it grows to `CHUNK` when reads fill it.
const FIRST_CHUNK: usize = 64 * 1024;

/// `TYPE I` (binary, byte for byte) or `TYPE A` (text, line ends converted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferType {
    Binary,
    Ascii,
}

/// How [`Session::end_transfer_early`] stops a RETR before the end of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EarlyEnd {
    /// Close the data connection, then read the transfer's reply; ABOR only
    /// when none comes (one round trip fewer than ABOR on most servers).
    #[default]
    Close,
    /// Close the data connection and send ABOR at once.
    Abor,
}

/// How long [`EarlyEnd::Close`] waits for the transfer's reply before ABOR.
const EARLY_END_REPLY_WAIT: Duration = Duration::from_secs(3);

/// How long a passive port asked for ahead of its transfer is used; an
/// older one is replaced by a new EPSV (the server may have closed it).
const PORT_AHEAD_FRESH: Duration = Duration::from_secs(10);

/// Greetings of servers known to read one command only after answering
/// the one before and to answer a download's `226` only after the client
/// closed the data connection (vsftpd): pipelining and the early close of
/// a download's data connection are used with them alone, as lftp keeps
/// `ftp:sync-mode` on unless told otherwise.
const ONE_AT_A_TIME_SERVERS: &[&str] = &["vsFTPd"];

/// Servers (`host:port`) that answered pipelined commands out of order:
/// their sessions send one command at a time from the start, as lftp turns
/// `ftp:sync-mode` on for a host once it misbehaves. Learnt in this run, or
/// told by [`remember_one_at_a_time`] (what earlier runs learnt).
static OUT_OF_ORDER: std::sync::LazyLock<std::sync::Mutex<std::collections::HashSet<String>>> =
    std::sync::LazyLock::new(Default::default);

/// Told of each server (`host:port`) newly found answering out of order,
/// so the application can keep it for later runs (this layer keeps no files).
static ON_OUT_OF_ORDER: std::sync::OnceLock<OutOfOrderHook> = std::sync::OnceLock::new();

/// See [`on_out_of_order`].
type OutOfOrderHook = Box<dyn Fn(&ConnectOptions) + Send + Sync>;

fn remembered_out_of_order(server: &str) -> bool {
    OUT_OF_ORDER
        .lock()
        .map(|set| set.contains(&server.to_ascii_lowercase()))
        .unwrap_or(true)
}

/// Send one command at a time to the server at `host_port` (`host:port`,
/// IPv6 literals in brackets) from now on in this run: it answered
/// pipelined commands out of order before.
pub fn remember_one_at_a_time(host_port: &str) {
    if let Ok(mut set) = OUT_OF_ORDER.lock() {
        set.insert(host_port.to_ascii_lowercase());
    }
}

/// Call `hook` (once per server and run, on the session's task) when a
/// server is found answering pipelined commands out of order, with the
/// options of the session that found it. Only the first hook set counts.
pub fn on_out_of_order(hook: impl Fn(&ConnectOptions) + Send + Sync + 'static) {
    let _ = ON_OUT_OF_ORDER.set(Box::new(hook));
}

/// Commands sent with a transfer command, ahead of their turn, whose
/// replies follow the transfer's verdict.
#[derive(Debug, Default)]
struct Ahead {
    /// MDTM of the file being transferred (its answer is wanted after it).
    mdtm: Option<Vec<u8>>,
    /// The command of [`Session::after_transfer`] (its answer is kept).
    after: bool,
    /// EPSV for the next transfer.
    epsv: bool,
}

impl Ahead {
    /// The commands still owed a reply, in the order they went out (after
    /// the transfer command): MDTM, the command after the transfer, EPSV.
    fn owed(&self) -> impl Iterator<Item = Owed> + use<> {
        [
            self.mdtm.is_some().then_some(Owed::Mdtm),
            self.after.then_some(Owed::After),
            self.epsv.then_some(Owed::Epsv),
        ]
        .into_iter()
        .flatten()
    }
}

/// One of the commands of [`Ahead`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owed {
    Mdtm,
    After,
    Epsv,
}

impl Owed {
    /// Whether `r` can be this command's reply: MDTM is answered 213 or
    /// refused, EPSV 229 or refused; the command after the transfer (MFMT,
    /// SITE UTIME) anything but EPSV's 229.
    fn fits(self, r: &Reply) -> bool {
        match self {
            Owed::Mdtm => r.code == 213 || r.code >= 400,
            Owed::After => r.code != 229,
            Owed::Epsv => r.code == 229 || r.code >= 400,
        }
    }
}

/// A passive connect under way (bounded by the data-connect deadline),
/// which the transfer command overtakes.
type Connecting = std::pin::Pin<Box<dyn std::future::Future<Output = Result<TcpStream>> + Send>>;

/// A data connection being set up, before the transfer command is sent.
enum Prepared {
    /// Passive: already connected to the server's data port (or, through
    /// a proxy, to the proxy, which is connected to it).
    Connected(TcpStream, SocketAddr),
    /// Passive: the connect to the server's data port has started (its SYN
    /// is out) and completes while the transfer command is on its way.
    Connecting(Connecting, SocketAddr),
    /// Active: listening for the server to connect back.
    Listening(TcpListener, SocketAddr),
}

/// Auto mode switched the data connection mode: what failed and why, in
/// one line for the user ("Passive data connection to … timed out after
/// 10 s; switched to active mode").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModeSwitch {
    pub from: DataMode,
    pub to: DataMode,
    pub notice: String,
}

/// One way of opening a data connection, for the connection test, which
/// tries each on its own instead of falling back from one to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataCommand {
    Epsv,
    Pasv,
    Eprt,
    Port,
}

impl DataCommand {
    pub const ALL: [DataCommand; 4] = [
        DataCommand::Epsv,
        DataCommand::Pasv,
        DataCommand::Eprt,
        DataCommand::Port,
    ];

    pub fn mode(self) -> DataMode {
        match self {
            DataCommand::Epsv | DataCommand::Pasv => DataMode::Passive,
            DataCommand::Eprt | DataCommand::Port => DataMode::Active,
        }
    }

    pub fn verb(self) -> &'static str {
        match self {
            DataCommand::Epsv => "EPSV",
            DataCommand::Pasv => "PASV",
            DataCommand::Eprt => "EPRT",
            DataCommand::Port => "PORT",
        }
    }
}

/// Why opening a data connection failed, and what that leaves behind.
struct OpenFailure {
    error: FtpError,
    /// The failure is the mode's (blocked port, refused EPSV/PASV/PORT,
    /// 425): the other mode may work.
    mode_failure: bool,
    /// The transfer command went out and its final reply is still owed.
    owes_reply: bool,
}

impl From<FtpError> for OpenFailure {
    fn from(error: FtpError) -> OpenFailure {
        OpenFailure {
            error,
            mode_failure: false,
            owes_reply: false,
        }
    }
}

/// A logged-in session with one FTP server.
pub struct Session {
    control: Control,
    opts: ConnectOptions,
    sink: SharedLog,
    tls: Option<TlsContext>,
    features: Features,
    certificate: Option<CertificateInfo>,
    system: Option<String>,
    transfer_type: Option<TransferType>,
    epsv_refused: bool,
    eprt_refused: bool,
    in_transfer: Option<String>,
    /// When set and it turns true, a running download or upload stops with
    /// ABOR and [`FtpError::Cancelled`], leaving the session usable.
    cancel: Option<watch::Receiver<bool>>,
    /// Set when auto mode switched modes; taken by [`Session::take_mode_switch`].
    switched: Option<ModeSwitch>,
    /// The connection test's choice of EPSV/PASV/EPRT/PORT, used alone.
    force: Option<DataCommand>,
    /// The transfer mode the server is in (stream after login).
    server_mode: TransferMode,
    /// Transfer modes the server refused; not asked for again.
    refused_modes: Vec<TransferMode>,
    /// A MODE Z upload stalled: later uploads go in stream mode.
    deflate_upload_stalled: bool,
    /// `OPTS MODE Z LEVEL` was sent.
    deflate_level_asked: bool,
    /// File endings whose MODE Z downloads saved less than 10 %: later
    /// downloads of such files go in stream mode.
    incompressible_endings: Vec<String>,
    /// The last restart marker of a block or compressed download.
    restart_marker: Option<RestartMarker>,
    /// A path whose MDTM goes out in the same write as the next data
    /// command (EPSV, PASV, EPRT, PORT or REST), so it costs no round trip.
    mdtm_ahead: Option<Vec<u8>>,
    /// The reply to [`Session::mdtm_ahead`]'s MDTM, and its path.
    mdtm_answer: Option<(Vec<u8>, Reply)>,
    /// The server answered pipelined commands out of order: no more
    /// pipelining on this session.
    replies_out_of_order: bool,
    /// The greeting names a server that takes one command at a time
    /// ([`ONE_AT_A_TIME_SERVERS`]).
    one_at_a_time_server: bool,
    /// Replies owed, after the running transfer's, to commands sent with it.
    ahead: Ahead,
    /// A command to send with the next upload, after it (the uploaded
    /// file's time: MFMT or SITE UTIME), see [`Session::after_transfer`].
    after_transfer: Option<(&'static str, Vec<u8>)>,
    /// The reply to [`Session::after_transfer`]'s command.
    after_answer: Option<Reply>,
    /// A passive port the server named in answer to an EPSV sent ahead,
    /// and when: the next passive transfer uses it instead of asking.
    port_ahead: Option<(u16, tokio::time::Instant)>,
    /// A download whose data connection was closed early failed: this
    /// session closes them at the end again.
    early_close_failed: bool,
    /// The running upload's data went before the server's 150.
    sent_before_150: bool,
    /// A passive data connection worked on this session: the next ones
    /// connect while the transfer command is on its way (see
    /// [`Session::open_transfer_in`]). Cleared when one of those fails.
    passive_worked: bool,
    /// The transfer being opened sent its command with the passive connect
    /// still under way.
    connect_overlapped: bool,
    /// Through a proxy: the host the proxy connected the control
    /// connection to; passive data connections go to its data ports.
    proxy_target: Option<Target>,
    /// Bytes the last download or upload moved over its data connection
    /// (what a text transfer's SIZE may count instead of the local bytes).
    last_wire_bytes: u64,
    /// The last finished transfer's data connection closed cleanly: the
    /// server read to our end of stream and closed in turn (no reset).
    data_closed_cleanly: bool,
}

impl Session {
    /// Connect, log in, and learn the server's features, each step under its deadline.
    pub async fn connect(opts: ConnectOptions, sink: SharedLog) -> Result<Session> {
        let mut session = Session::open(opts, sink).await?;
        session.greeting().await?;
        session.log_in().await?;
        Ok(session)
    }

    /// The first stage of [`Session::connect`], for the connection test,
    /// which times each: the TCP connection (and implicit TLS), not yet
    /// greeted or logged in.
    pub async fn open(opts: ConnectOptions, sink: SharedLog) -> Result<Session> {
        let id = NEXT_SESSION.fetch_add(1, Ordering::Relaxed);
        let log = Logger::new(id, sink.clone());
        let addr_text = opts.addr_text();
        let tls = match opts.security {
            Security::None => None,
            _ => Some(
                TlsContext::new(opts.trust.clone(), &opts.host).map_err(|detail| {
                    FtpError::Tls {
                        channel: Channel::Control,
                        detail,
                        addr: addr_text.clone(),
                    }
                })?,
            ),
        };
        let mut opts = opts;
        if let Some(proxy) = &opts.proxy
            && opts.mode == DataMode::Active
        {
            if !opts.auto_fallback {
                return Err(active_through_proxy(proxy));
            }
            // Auto mode stays passive: active cannot work through a proxy.
            opts.mode = DataMode::Passive;
        }
        let (mut control, proxy_target) = match &opts.proxy {
            None => (
                Control::connect(
                    &opts.host,
                    opts.port,
                    addr_text,
                    opts.timeouts.connect,
                    opts.timeouts.reply,
                    log,
                )
                .await?,
                None,
            ),
            Some(proxy) => {
                let (control, target) = Control::connect_through(
                    proxy,
                    &opts.host,
                    opts.port,
                    addr_text,
                    opts.timeouts.connect,
                    opts.timeouts.reply,
                    log,
                )
                .await?;
                (control, Some(target))
            }
        };
        if let (Security::Implicit, Some(tls)) = (opts.security, &tls) {
            control.start_tls(tls, opts.timeouts.connect).await?;
        }
        let session = Session {
            control,
            opts,
            sink,
            tls,
            features: Features::default(),
            certificate: None,
            system: None,
            transfer_type: None,
            epsv_refused: false,
            eprt_refused: false,
            in_transfer: None,
            data_closed_cleanly: false,
            cancel: None,
            switched: None,
            force: None,
            server_mode: TransferMode::Stream,
            refused_modes: Vec::new(),
            deflate_upload_stalled: false,
            deflate_level_asked: false,
            incompressible_endings: Vec::new(),
            restart_marker: None,
            mdtm_ahead: None,
            mdtm_answer: None,
            replies_out_of_order: false,
            one_at_a_time_server: false,
            ahead: Ahead::default(),
            port_ahead: None,
            after_transfer: None,
            after_answer: None,
            early_close_failed: false,
            sent_before_150: false,
            passive_worked: false,
            connect_overlapped: false,
            proxy_target,
            last_wire_bytes: 0,
        };
        Ok(session)
    }

    /// The second stage: the server's `220` greeting; returns its text.
    pub async fn greeting(&mut self) -> Result<String> {
        // The greeting counts as the reply owed to "connecting".
        self.control.mark_in_step();
        let greeting = loop {
            let r = self.control.read_reply().await?;
            if r.code != 120 {
                break r;
            }
        };
        if greeting.code != 220 {
            return Err(FtpError::Reply {
                command: "connect".into(),
                code: greeting.code,
                text: greeting.text(),
            });
        }
        let text = greeting.text();
        self.one_at_a_time_server = ONE_AT_A_TIME_SERVERS.iter().any(|name| text.contains(name));
        self.replies_out_of_order |= remembered_out_of_order(&self.opts.addr_text());
        Ok(text)
    }

    /// The last stage: explicit TLS when asked for, USER/PASS, the data
    /// channel's protection, and FEAT.
    pub async fn log_in(&mut self) -> Result<()> {
        let optional = self.opts.security == Security::ExplicitIfAvailable;
        if self.opts.security == Security::Explicit || optional {
            let r = self.control.command("AUTH", Some(b"TLS")).await?;
            if optional && r.code >= 500 {
                // The server does not offer TLS: the one case where "if
                // available" continues unencrypted (a 4xx is a failure).
                self.tls = None;
                self.control.log().status(format!(
                    "The server does not offer TLS (AUTH TLS: {} {}); continuing in plain FTP, unencrypted",
                    r.code,
                    r.text()
                ));
            } else if r.code != 234 {
                return Err(FtpError::Tls {
                    channel: Channel::Control,
                    detail: format!(
                        "the server does not offer explicit TLS (AUTH TLS: {} {}); try implicit TLS, or plain FTP if you accept an unencrypted connection",
                        r.code,
                        r.text()
                    ),
                    addr: self.control.addr_text().to_string(),
                });
            }
            if let Some(tls) = self.tls.clone() {
                self.control
                    .start_tls(&tls, self.opts.timeouts.connect)
                    .await?;
            }
        }
        self.certificate = self
            .control
            .peer_certificate()
            .map(|der| CertificateInfo::from_der(&der));
        self.login().await?;
        if self.tls.is_some() {
            self.control.expect_ok("PBSZ", Some(b"0")).await?;
            self.control.expect_ok("PROT", Some(b"P")).await?;
        }
        let feat = if self.batches_commands() {
            // TYPE I goes with FEAT (every transfer and listing wants it),
            // and in passive mode the first data port is asked for too:
            // the first listing or transfer then needs no round trip of
            // its own before it.
            let epsv = self.may_pipeline(self.opts.mode, "LIST");
            let mut batch: Vec<(&str, Option<&[u8]>)> = vec![("FEAT", None), ("TYPE", Some(b"I"))];
            if epsv {
                batch.push(("EPSV", None));
            }
            self.control.send_batch(&batch).await?;
            let mut replies = Vec::with_capacity(batch.len());
            for _ in 0..batch.len() {
                replies.push(self.control.final_reply().await?);
            }
            // Answered in order, each with its own codes (or a refusal);
            // otherwise the server does not take one command at a time
            // after all, and the answers are told apart by their codes.
            let fits = [211, 200, 229]
                .iter()
                .zip(&replies)
                .all(|(&code, r)| r.code == code || r.code >= 400);
            let by_code = |code| replies.iter().find(|r| r.code == code).cloned();
            if !fits {
                self.note_out_of_order();
            }
            if by_code(200).is_some() {
                self.transfer_type = Some(TransferType::Binary);
            }
            if fits && let Some(r) = replies.get(2).filter(|r| r.code == 229) {
                self.port_ahead = parse_epsv(&r.text()).map(|p| (p, tokio::time::Instant::now()));
            }
            if fits {
                replies.swap_remove(0)
            } else {
                by_code(211).unwrap_or_else(|| replies.swap_remove(0))
            }
        } else {
            self.control.command("FEAT", None).await?
        };
        if feat.code == 211 {
            self.features = Features::parse(&feat);
        }
        let utf8 = match self.opts.charset {
            NameCharset::Auto => self.features.utf8(),
            NameCharset::Utf8 => true,
            // The user says the server's names are in another encoding.
            NameCharset::Legacy(_) => false,
        };
        if utf8 {
            // Failure is harmless: names are kept as bytes either way.
            let _ = self.control.command("OPTS", Some(b"UTF8 ON")).await?;
        }
        Ok(())
    }

    /// Whether the control and data connections are encrypted (false after
    /// "explicit TLS if available" found no TLS on the server).
    pub fn is_encrypted(&self) -> bool {
        self.tls.is_some()
    }

    /// Whether commands that start no transfer may go several in one write
    /// (login, FEAT and TYPE): only to a server known to take one command at
    /// a time, never for a site or server marked "one command at a time".
    fn batches_commands(&self) -> bool {
        self.one_at_a_time_server && !self.opts.one_command_at_a_time && !self.replies_out_of_order
    }

    /// Whether PASS may go out before the server has answered USER: only
    /// when the control connection is encrypted, or the login is anonymous.
    /// A server can refuse a user at USER precisely so that the password
    /// never crosses the network in clear (vsftpd's `force_local_logins_ssl`
    /// and `userlist_deny`), and a batch would send it anyway.
    fn password_may_go_with_user(&self) -> bool {
        self.tls.is_some()
            || ["anonymous", "ftp"]
                .iter()
                .any(|a| self.opts.user.eq_ignore_ascii_case(a))
    }

    async fn login(&mut self) -> Result<()> {
        let user = self.opts.user.clone();
        let mut r = if self.batches_commands() && self.password_may_go_with_user() {
            // USER and PASS in one write: a round trip less per connection.
            let pass = self.opts.password.clone();
            self.control
                .send_batch(&[
                    ("USER", Some(user.as_bytes())),
                    ("PASS", Some(pass.as_bytes())),
                ])
                .await?;
            let to_user = self.control.final_reply().await?;
            let to_pass = self.control.final_reply().await;
            if to_user.code == 331 {
                to_pass?
            } else {
                // USER's answer decides (230: no password needed; or a
                // refusal); what PASS got ("already logged in", "log in
                // with USER first", a closed connection) says nothing more.
                to_user
            }
        } else {
            let mut r = self.control.command("USER", Some(user.as_bytes())).await?;
            if r.code == 331 {
                let pass = self.opts.password.clone();
                r = self.control.command("PASS", Some(pass.as_bytes())).await?;
            }
            r
        };
        if r.code == 332 {
            let Some(acct) = self.opts.account.clone() else {
                return Err(
                    self.login_error(&r, " (the server asks for an account; none was given)")
                );
            };
            r = self.control.command("ACCT", Some(acct.as_bytes())).await?;
        }
        if r.is_success() {
            self.control.log().status(format!("Logged in as {user}"));
            Ok(())
        } else {
            Err(self.login_error(&r, ""))
        }
    }

    fn login_error(&self, r: &Reply, extra: &str) -> FtpError {
        FtpError::Login {
            code: r.code,
            text: format!("{}{extra}", r.text()),
            user: self.opts.user.clone(),
            host: self.opts.addr_text(),
        }
    }

    /// Close and open the session again with the same options (after a
    /// connection loss or when the control connection got out of step).
    pub async fn reconnect(&mut self) -> Result<()> {
        self.control.log().status("Reconnecting…");
        self.control.close().await;
        let mut fresh = Session::connect(self.opts.clone(), self.sink.clone()).await?;
        fresh.cancel = self.cancel.take();
        // What the server refused or stalled on stays true after reconnecting.
        fresh.refused_modes = std::mem::take(&mut self.refused_modes);
        fresh.deflate_upload_stalled = self.deflate_upload_stalled;
        fresh.incompressible_endings = std::mem::take(&mut self.incompressible_endings);
        fresh.replies_out_of_order = self.replies_out_of_order;
        fresh.early_close_failed = self.early_close_failed;
        *self = fresh;
        Ok(())
    }

    pub fn options(&self) -> &ConnectOptions {
        &self.opts
    }

    /// The server's address on the control connection.
    pub fn peer(&self) -> SocketAddr {
        self.control.peer()
    }

    /// Watch `cancel`: when it turns true, a running [`Session::download`] or
    /// [`Session::upload`] sends ABOR, gets back in step with the server and
    /// returns [`FtpError::Cancelled`]. `None` stops watching.
    pub fn set_cancel(&mut self, cancel: Option<watch::Receiver<bool>>) {
        self.cancel = cancel;
    }

    /// Use `LIST -a` (show hidden files) on servers without MLSD.
    pub fn set_list_hidden(&mut self, on: bool) {
        self.opts.list_hidden = on;
    }

    /// Change the data connection mode for the following transfers.
    pub fn set_mode(&mut self, mode: DataMode) {
        self.opts.mode = mode;
    }

    /// Open data connections with exactly this command, without falling
    /// back to another (the connection test). `None` restores the usual way.
    pub fn force_data_command(&mut self, command: Option<DataCommand>) {
        self.force = command;
        if let Some(c) = command {
            self.opts.mode = c.mode();
        }
    }

    /// The mode switch auto mode made since the last call, if any: the
    /// caller tells the user and remembers the mode that works.
    pub fn take_mode_switch(&mut self) -> Option<ModeSwitch> {
        self.switched.take()
    }

    /// The transfer mode the server is in now (after the last `MODE`).
    pub fn server_transfer_mode(&self) -> TransferMode {
        self.server_mode
    }

    /// The last restart marker a block or compressed download carried, with
    /// the file offset it marks.
    pub fn last_restart_marker(&self) -> Option<&RestartMarker> {
        self.restart_marker.as_ref()
    }

    pub fn features(&self) -> &Features {
        &self.features
    }

    /// The certificate the server presented (FTPS only).
    pub fn certificate(&self) -> Option<&CertificateInfo> {
        self.certificate.as_ref()
    }

    pub fn log(&self) -> &Logger {
        self.control.log()
    }

    /// Wait while idle until the server closes the control connection or
    /// sends something unasked (servers send `421` before dropping an idle
    /// session). Returns the error describing the loss. Cancel-safe: drop
    /// the future to send a command instead.
    pub async fn closed_while_idle(&mut self) -> FtpError {
        if self.in_transfer.is_some() {
            return std::future::pending().await;
        }
        match self.control.read_reply_untimed().await {
            Ok(r) => {
                let addr = self.control.addr_text().to_string();
                self.control.close().await;
                if r.code == 421 {
                    FtpError::Reply {
                        command: "the idle connection".into(),
                        code: r.code,
                        text: format!("{}; the server closed it — reconnect", r.text()),
                    }
                } else {
                    FtpError::Protocol {
                        detail: format!("unexpected reply while idle: {r}"),
                        addr,
                    }
                }
            }
            Err(e) => e,
        }
    }

    /// Whether the control connection is still open.
    pub fn is_connected(&self) -> bool {
        self.control.is_open()
    }

    fn ensure_idle(&self) -> Result<()> {
        if self.in_transfer.is_some() {
            return Err(FtpError::Busy);
        }
        Ok(())
    }

    async fn ok(&mut self, verb: &str, arg: Option<&[u8]>) -> Result<Reply> {
        self.ensure_idle()?;
        self.control.expect_ok(verb, arg).await
    }

    // ----- simple commands -----

    /// The server's current directory (PWD), as bytes.
    pub async fn pwd(&mut self) -> Result<Vec<u8>> {
        let r = self.ok("PWD", None).await?;
        parse_quoted_path(r.text_bytes()).ok_or_else(|| FtpError::Protocol {
            detail: format!("PWD reply has no quoted path: {}", r.text()),
            addr: self.control.addr_text().to_string(),
        })
    }

    pub async fn cwd(&mut self, path: impl AsRef<[u8]>) -> Result<()> {
        self.ok("CWD", Some(path.as_ref())).await.map(drop)
    }

    pub async fn cdup(&mut self) -> Result<()> {
        self.ok("CDUP", None).await.map(drop)
    }

    /// Create a directory; returns the path the server reports (or the one asked for).
    pub async fn mkdir(&mut self, path: impl AsRef<[u8]>) -> Result<Vec<u8>> {
        let r = self.ok("MKD", Some(path.as_ref())).await?;
        Ok(parse_quoted_path(r.text_bytes()).unwrap_or_else(|| path.as_ref().to_vec()))
    }

    pub async fn rmdir(&mut self, path: impl AsRef<[u8]>) -> Result<()> {
        self.ok("RMD", Some(path.as_ref())).await.map(drop)
    }

    pub async fn delete(&mut self, path: impl AsRef<[u8]>) -> Result<()> {
        self.ok("DELE", Some(path.as_ref())).await.map(drop)
    }

    /// Rename (RNFR + RNTO).
    pub async fn rename(&mut self, from: impl AsRef<[u8]>, to: impl AsRef<[u8]>) -> Result<()> {
        self.ensure_idle()?;
        check_argument(to.as_ref())?;
        let r = self.control.command("RNFR", Some(from.as_ref())).await?;
        if r.code != 350 {
            return Err(refused("RNFR", Some(from.as_ref()), &r));
        }
        self.control
            .expect_ok("RNTO", Some(to.as_ref()))
            .await
            .map(drop)
    }

    /// `SITE CHMOD mode path`, mode as octal text (e.g. "644").
    pub async fn chmod(&mut self, mode: &str, path: impl AsRef<[u8]>) -> Result<()> {
        let mut arg = format!("CHMOD {mode} ").into_bytes();
        arg.extend_from_slice(path.as_ref());
        self.ok("SITE", Some(&arg)).await.map(drop)
    }

    /// File size in bytes (SIZE, in binary type so the answer is exact).
    pub async fn size(&mut self, path: impl AsRef<[u8]>) -> Result<u64> {
        check_argument(path.as_ref())?;
        self.set_type(TransferType::Binary).await?;
        let r = self.ok("SIZE", Some(path.as_ref())).await?;
        r.text().trim().parse().map_err(|_| FtpError::Protocol {
            detail: format!("SIZE reply is not a number: {}", r.text()),
            addr: self.control.addr_text().to_string(),
        })
    }

    /// Modification time (MDTM), UTC.
    /// Ask for `path`'s modification time together with the next data
    /// command, instead of a round trip of its own; read the answer with
    /// [`Session::mdtm_answer`] after the transfer.
    pub fn mdtm_ahead(&mut self, path: impl AsRef<[u8]>) {
        self.mdtm_ahead = Some(path.as_ref().to_vec());
        self.mdtm_answer = None;
    }

    /// The modification time asked for with [`Session::mdtm_ahead`]: the
    /// answer that came with the transfer, or (when no data command went out
    /// meanwhile) asked now. None when the server does not say.
    pub async fn mdtm_answer(&mut self, path: impl AsRef<[u8]>) -> Option<chrono::NaiveDateTime> {
        let path = path.as_ref();
        self.mdtm_ahead = None;
        match self.mdtm_answer.take() {
            Some((asked, r)) if asked == path => (r.code == 213)
                .then(|| parse_mdtm(r.text().trim()))
                .flatten(),
            _ => self.mdtm(path).await.ok(),
        }
    }

    /// `command` on the control connection, carrying a pending
    /// [`Session::mdtm_ahead`] in the same write.
    async fn command_with_ahead(&mut self, verb: &str, arg: Option<&[u8]>) -> Result<Reply> {
        if self.replies_out_of_order || self.mdtm_ahead.is_none() {
            return self.control.command(verb, arg).await;
        }
        let Some(path) = self.mdtm_ahead.take() else {
            return self.control.command(verb, arg).await;
        };
        if check_argument(&path).is_err() {
            return self.control.command(verb, arg).await;
        }
        let (mut mdtm, mut r) = self
            .control
            .command_pair(("MDTM", Some(&path)), (verb, arg))
            .await?;
        // Some servers (libunftp) work on commands concurrently and answer
        // the quicker one first. The codes tell the replies apart: MDTM's is
        // 213 or a refusal, the data command's never 213. Such a server gets
        // one command at a time from here on.
        let mdtm_like = |r: &Reply| r.code == 213 || r.code >= 400;
        if !mdtm_like(&mdtm) && mdtm_like(&r) {
            std::mem::swap(&mut mdtm, &mut r);
            self.replies_out_of_order = true;
            self.log().status(
                "The server answered two commands out of order; sending one at a time from now on",
            );
        }
        self.mdtm_answer = Some((path, mdtm));
        Ok(r)
    }

    pub async fn mdtm(&mut self, path: impl AsRef<[u8]>) -> Result<chrono::NaiveDateTime> {
        let r = self.ok("MDTM", Some(path.as_ref())).await?;
        parse_mdtm(r.text().trim()).ok_or_else(|| FtpError::Protocol {
            detail: format!("MDTM reply is not a time: {}", r.text()),
            addr: self.control.addr_text().to_string(),
        })
    }

    /// Set the modification time (MFMT), UTC.
    pub async fn mfmt(
        &mut self,
        path: impl AsRef<[u8]>,
        time: chrono::NaiveDateTime,
    ) -> Result<()> {
        let mut arg = time.format("%Y%m%d%H%M%S ").to_string().into_bytes();
        arg.extend_from_slice(path.as_ref());
        self.ok("MFMT", Some(&arg)).await.map(drop)
    }

    pub async fn noop(&mut self) -> Result<()> {
        self.ok("NOOP", None).await.map(drop)
    }

    /// The operating system the server reports (SYST), cached.
    pub async fn syst(&mut self) -> Result<String> {
        if let Some(s) = &self.system {
            return Ok(s.clone());
        }
        let r = self.ok("SYST", None).await?;
        self.system = Some(r.text());
        Ok(r.text())
    }

    /// STAT over the control connection: the server's status, or a listing
    /// of `path` without a data connection.
    pub async fn stat(&mut self, path: Option<&[u8]>) -> Result<Reply> {
        self.ok("STAT", path).await
    }

    /// Send a raw command and return its final reply (for `quote`-style use).
    pub async fn raw(&mut self, verb: &str, arg: Option<&[u8]>) -> Result<Reply> {
        self.ensure_idle()?;
        // The user's command may open or replace a data port.
        if ["PASV", "EPSV", "PORT", "EPRT", "LPSV", "LPRT"]
            .iter()
            .any(|v| v.eq_ignore_ascii_case(verb))
        {
            self.port_ahead = None;
        }
        self.control.command(verb, arg).await
    }

    pub async fn set_type(&mut self, t: TransferType) -> Result<()> {
        if self.transfer_type == Some(t) {
            return Ok(());
        }
        let arg: &[u8] = match t {
            TransferType::Binary => b"I",
            TransferType::Ascii => b"A",
        };
        self.ok("TYPE", Some(arg)).await?;
        self.transfer_type = Some(t);
        Ok(())
    }

    /// Log out and close.
    pub async fn quit(mut self) -> Result<()> {
        if self.in_transfer.is_none() && self.control.is_open() {
            let limit = self.opts.timeouts.reply.min(Duration::from_secs(5));
            self.control.set_reply_timeout(limit);
            let _ = self.control.command("QUIT", None).await;
        }
        self.control.close().await;
        Ok(())
    }

    // ----- data connections -----

    /// Ask the server for a passive data port (EPSV, then PASV when refused)
    /// and decide which address to connect to.
    async fn passive_address(&mut self) -> Result<Target> {
        let peer = self.control.peer();
        // Through a proxy the control peer is the proxy: the server is the
        // host the proxy was asked to connect to.
        let server = self.proxy_target.clone().unwrap_or(Target::Addr(peer));
        if let Some((port, at)) = self.port_ahead.take()
            && at.elapsed() < PORT_AHEAD_FRESH
            && self.force.is_none()
        {
            return Ok(server.with_port(port));
        }
        let epsv = match self.force {
            Some(DataCommand::Epsv) => true,
            Some(DataCommand::Pasv) => false,
            _ => !self.epsv_refused,
        };
        if epsv {
            let r = self.command_with_ahead("EPSV", None).await?;
            if r.code == 229 {
                let port = parse_epsv(&r.text()).ok_or_else(|| FtpError::Protocol {
                    detail: format!("EPSV reply names no port: {}", r.text()),
                    addr: self.control.addr_text().to_string(),
                })?;
                return Ok(server.with_port(port));
            }
            let server_is_v6 = match &server {
                Target::Addr(a) => a.is_ipv6(),
                Target::Name(..) => false,
            };
            if server_is_v6 || self.force.is_some() {
                return Err(refused("EPSV", None, &r));
            }
            self.log()
                .status(format!("EPSV refused ({}); using PASV", r.code));
            self.epsv_refused = true;
        }
        let r = self.command_with_ahead("PASV", None).await?;
        if r.code != 227 {
            return Err(refused("PASV", None, &r));
        }
        let named = parse_pasv(&r.text()).ok_or_else(|| FtpError::Protocol {
            detail: format!("PASV reply names no address: {}", r.text()),
            addr: self.control.addr_text().to_string(),
        })?;
        let named_ip = IpAddr::V4(*named.ip());
        if self.opts.trust_pasv_host && !named.ip().is_unspecified() {
            return Ok(Target::Addr(SocketAddr::V4(named)));
        }
        if let Target::Name(host, _) = &server {
            self.log().status(format!(
                "The server named {named_ip} for the data connection; asking the proxy for the same host as the control connection, {host}, instead"
            ));
        } else if Target::Addr(SocketAddr::new(named_ip, 0)) != server.with_port(0) {
            let kind = if named.ip().is_private() || named.ip().is_link_local() {
                " (a private address: the server is probably behind NAT and does not know its public one)"
            } else if named.ip().is_unspecified() {
                " (no address at all)"
            } else {
                ", not the address it answers on"
            };
            self.log().status(format!(
                "The server named {named_ip} for the data connection{kind}; connecting to the control connection's address {} instead",
                server.host_text()
            ));
        }
        Ok(server.with_port(named.port()))
    }

    /// Ask for the passive port and start the data connection to it: with
    /// `overlap`, return as soon as the connect has started (its SYN is
    /// out), for the transfer command to go out beside it; otherwise once
    /// it is connected. Through a proxy always connected first: the
    /// proxy's own handshake comes before the server's port is reached.
    async fn prepare_passive(&mut self, overlap: bool) -> Result<Prepared> {
        let target = self.passive_address().await?;
        let limit = self.opts.timeouts.data_connect;
        let addr = match (&self.opts.proxy, target) {
            (Some(proxy), target) => {
                self.log().status(format!(
                    "Opening data connection (passive) to {target} through {}…",
                    proxy.describe()
                ));
                let (tcp, _) =
                    proxy::connect(proxy, &target, Channel::Data, limit, self.log()).await?;
                // Messages about this data connection name the proxy's
                // address: that is the socket's other end.
                let via = tcp.peer_addr().map_err(|source| FtpError::Io {
                    channel: Channel::Data,
                    mode: ModeNote(Some(DataMode::Passive)),
                    source,
                    hint: data_hint(DataMode::Passive),
                    addr: proxy.addr_text(),
                })?;
                return Ok(Prepared::Connected(tcp, via));
            }
            (None, Target::Addr(addr)) => addr,
            (None, Target::Name(..)) => {
                // Without a proxy the target is always the control peer's
                // address or the address the PASV reply named.
                return Err(FtpError::Protocol {
                    detail: "no address for the data connection".into(),
                    addr: self.control.addr_text().to_string(),
                });
            }
        };
        self.log()
            .status(format!("Opening data connection (passive) to {addr}…"));
        let mut connecting: Connecting = Box::pin(connect_passive(addr, limit));
        if !overlap {
            return Ok(Prepared::Connected(connecting.await?, addr));
        }
        // Poll once, so that the SYN leaves before the transfer command
        // (a connect on loopback may even complete here).
        let first =
            std::future::poll_fn(|cx| std::task::Poll::Ready(connecting.as_mut().poll(cx))).await;
        Ok(match first {
            std::task::Poll::Ready(Ok(tcp)) => Prepared::Connected(tcp, addr),
            std::task::Poll::Ready(Err(e)) => return Err(e),
            std::task::Poll::Pending => Prepared::Connecting(connecting, addr),
        })
    }

    async fn bind_active(&self) -> Result<TcpListener> {
        let local_ip = self.control.local().ip();
        let bind_err = |source: std::io::Error| FtpError::Io {
            channel: Channel::Data,
            mode: ModeNote(Some(DataMode::Active)),
            source,
            hint: "could not listen for the server's data connection — check the port range, or try Passive mode",
            addr: local_ip.to_string(),
        };
        match &self.opts.port_range {
            None => TcpListener::bind((local_ip, 0)).await.map_err(bind_err),
            Some(range) => {
                let mut last = None;
                // Start at a varying port so parallel sessions do not all collide on the first.
                let span = u32::from(range.end().saturating_sub(*range.start())) + 1;
                let offset =
                    (std::process::id() ^ NEXT_SESSION.load(Ordering::Relaxed) as u32) % span;
                for i in 0..span {
                    let port = *range.start() as u32 + (offset + i) % span;
                    match TcpListener::bind((local_ip, port as u16)).await {
                        Ok(l) => return Ok(l),
                        Err(e) => last = Some(e),
                    }
                }
                Err(bind_err(last.unwrap_or_else(|| {
                    std::io::Error::other("the port range is empty")
                })))
            }
        }
    }

    /// Listen first, then tell the server where (EPRT, or PORT for IPv4 when
    /// EPRT is not offered or refused).
    async fn prepare_active(&mut self) -> Result<Prepared> {
        if let Some(proxy) = &self.opts.proxy {
            return Err(active_through_proxy(proxy));
        }
        // PORT/EPRT replaces the passive port asked for ahead.
        self.port_ahead = None;
        let listener = self.bind_active().await?;
        let local = listener.local_addr().map_err(|source| FtpError::Io {
            channel: Channel::Data,
            mode: ModeNote(Some(DataMode::Active)),
            source,
            hint: "try Passive mode",
            addr: self.control.local().to_string(),
        })?;
        let advertised = SocketAddr::new(self.opts.external_ip.unwrap_or(local.ip()), local.port());
        let use_eprt = match self.force {
            Some(DataCommand::Eprt) => true,
            Some(DataCommand::Port) => false,
            _ => advertised.is_ipv6() || (self.features.eprt() && !self.eprt_refused),
        };
        if use_eprt {
            let arg = eprt_argument(advertised);
            let r = self
                .command_with_ahead("EPRT", Some(arg.as_bytes()))
                .await?;
            if r.is_success() {
                return Ok(Prepared::Listening(listener, advertised));
            }
            if advertised.is_ipv6() || self.force.is_some() {
                return Err(refused("EPRT", Some(arg.as_bytes()), &r));
            }
            self.log()
                .status(format!("EPRT refused ({}); using PORT", r.code));
            self.eprt_refused = true;
        }
        let SocketAddr::V4(v4) = advertised else {
            // Only a forced PORT gets here (the connection test): PORT
            // cannot carry an IPv6 address.
            return Err(FtpError::InvalidArgument {
                arg: format!("PORT cannot name the IPv6 address {advertised}; EPRT can"),
            });
        };
        let arg = port_argument(SocketAddrV4::new(*v4.ip(), v4.port()));
        let r = self
            .command_with_ahead("PORT", Some(arg.as_bytes()))
            .await?;
        if !r.is_success() {
            return Err(refused("PORT", Some(arg.as_bytes()), &r));
        }
        Ok(Prepared::Listening(listener, advertised))
    }

    /// Open a data connection for `verb`, send it, and return the stream once
    /// the connection (and its TLS handshake) is up. The server's refusal
    /// (550 and the like) ends the wait at once instead of at the deadline.
    ///
    /// In auto mode, a data connection that cannot be opened in the current
    /// mode (blocked port, refused EPSV/PASV/EPRT/PORT, 425) is tried once
    /// in the other; when that works the session keeps it and records a
    /// [`ModeSwitch`].
    async fn open_transfer(
        &mut self,
        verb: &str,
        arg: Option<&[u8]>,
        rest: u64,
    ) -> Result<DataStream> {
        let first = self.opts.mode;
        let failed = match self.open_transfer_in(first, verb, arg, rest).await {
            Ok(data) => return Ok(data),
            Err(f) => f,
        };
        // Through a proxy there is no other mode to fall back to.
        if !(failed.mode_failure
            && self.opts.auto_fallback
            && self.force.is_none()
            && self.opts.proxy.is_none())
        {
            // The command went out beside a connect that failed, or was
            // cancelled: the server owes its reply, perhaps only after its
            // own wait for our data connection (425 after a minute).
            // ABOR now (or reconnect), so the session is usable at once.
            if failed.owes_reply
                && (self.connect_overlapped || matches!(failed.error, FtpError::Cancelled))
            {
                if self.connect_overlapped {
                    self.log().error(format!("{}", failed.error));
                }
                self.back_in_step().await?;
            }
            return Err(failed.error);
        }
        let other = first.other();
        let notice = fallback_notice(&failed.error, first, other);
        self.log().error(format!("{}", failed.error));
        if failed.owes_reply {
            let (transfer_type, mode) = (self.transfer_type, self.server_mode);
            self.back_in_step().await?;
            // A reconnect starts over in the server's default type and
            // stream mode; the caller already chose both for this transfer.
            if let Some(t) = transfer_type {
                self.set_type(t).await?;
            }
            if self.use_mode(mode).await? != mode {
                return Err(failed.error);
            }
        }
        match self.open_transfer_in(other, verb, arg, rest).await {
            // The server answered without opening a data connection: that
            // proves nothing about the other mode, so nothing is switched.
            Ok(data) if !data.is_open() => Ok(data),
            Ok(data) => {
                self.log().notice(notice.clone());
                self.opts.mode = other;
                self.switched = Some(ModeSwitch {
                    from: first,
                    to: other,
                    notice,
                });
                Ok(data)
            }
            Err(second) => {
                if second.owes_reply && second.mode_failure {
                    self.back_in_step().await?;
                }
                if !second.mode_failure {
                    return Err(second.error);
                }
                Err(FtpError::DataBlocked {
                    first_mode: first,
                    first: Box::new(failed.error),
                    second_mode: other,
                    second: Box::new(second.error),
                })
            }
        }
    }

    /// When an interrupted command still owes its reply (a data connection
    /// that failed after the command went out): ABOR now, so the next
    /// command does not wait out the reply deadline.
    pub async fn get_in_step(&mut self) -> Result<()> {
        if self.control.owed() > 0 && self.in_transfer.is_none() {
            self.back_in_step().await
        } else {
            Ok(())
        }
    }

    /// After a data connection failed with the transfer command sent: ABOR,
    /// so the server gives up too and its replies are read now (reconnect
    /// when it will not answer).
    async fn back_in_step(&mut self) -> Result<()> {
        // ABOR's tally counts the replies owed to commands sent ahead too.
        self.forget_ahead();
        match self.resync_after_abort().await {
            Ok(()) => Ok(()),
            Err(e) => {
                self.log().error(format!(
                    "Could not get back in step after ABOR ({e}); reconnecting"
                ));
                self.reconnect().await
            }
        }
    }

    async fn open_transfer_in(
        &mut self,
        mode: DataMode,
        verb: &str,
        arg: Option<&[u8]>,
        rest: u64,
    ) -> std::result::Result<DataStream, OpenFailure> {
        // Goes with this transfer or not at all.
        let after = self.after_transfer.take().filter(|_| verb == "STOR");
        // Replies owed to commands sent ahead with a transfer that ended
        // without reading them (its data connection failed) are discarded
        // by the next command's settle, with what they said.
        self.ahead = Ahead::default();
        self.sent_before_150 = false;
        self.connect_overlapped = false;
        self.ensure_idle()?;
        if let Some(a) = arg {
            check_argument(a)?;
        }
        self.control.settle().await?;
        if rest > 0 {
            let r = self
                .command_with_ahead("REST", Some(rest.to_string().as_bytes()))
                .await?;
            if r.code != 350 {
                return Err(refused("REST", Some(rest.to_string().as_bytes()), &r).into());
            }
        }
        // Once a passive data connection has worked on this session, the
        // next ones connect while the command is on its way: a server that
        // answers 150 without waiting for the connection (libunftp, and
        // most that take one command at a time for uploads) lets the data
        // go a round trip sooner. The first one connects before the
        // command, as auto mode's test of the passive path; and so does
        // the connection test, which checks one step at a time.
        let overlap = self.passive_worked && self.opts.proxy.is_none() && self.force.is_none();
        let prepared = match mode {
            DataMode::Passive => self.prepare_passive(overlap).await,
            DataMode::Active => self.prepare_active().await,
        };
        let prepared = prepared.map_err(|error| OpenFailure {
            mode_failure: !error.is_fatal_to_session()
                && (error.failed_data_mode().is_some() || error.reply_code().is_some()),
            error,
            owes_reply: false,
        })?;
        if self.may_pipeline(mode, verb) {
            let mdtm = self.mdtm_ahead.take().filter(|p| check_argument(p).is_ok());
            let mut batch: Vec<(&str, Option<&[u8]>)> = vec![(verb, arg)];
            if let Some(p) = &mdtm {
                batch.push(("MDTM", Some(p)));
            }
            if let Some((after_verb, after_arg)) = &after {
                batch.push((after_verb, Some(after_arg)));
            }
            batch.push(("EPSV", None));
            self.control.send_batch(&batch).await?;
            self.ahead = Ahead {
                mdtm,
                after: after.is_some(),
                epsv: true,
            };
        } else {
            self.control.send(verb, arg).await?;
        }
        let limit = self.opts.timeouts.data_connect;
        let peer_ip = self.control.peer().ip();
        let tls = self.tls.clone();
        let log = self.log().clone();
        self.connect_overlapped = matches!(prepared, Prepared::Connecting(..));
        let (addr_text, waiting) = match &prepared {
            Prepared::Connected(_, a) | Prepared::Connecting(_, a) => (a.to_string(), None),
            Prepared::Listening(_, a) => (a.to_string(), Some(*a)),
        };
        if let Some(a) = waiting {
            log.status(format!(
                "Waiting for the server to connect (active) to {a}…"
            ));
        }
        let close_early = self.one_at_a_time_server
            && !self.early_close_failed
            && matches!(verb, "RETR" | "LIST" | "NLST" | "MLSD");
        let establish = async move {
            let (tcp, peer) = match prepared {
                Prepared::Connected(tcp, addr) => (tcp, addr),
                // Bounded by its own deadline, `limit`.
                Prepared::Connecting(connecting, addr) => (connecting.await?, addr),
                Prepared::Listening(listener, _) => accept_from(&listener, peer_ip, &log).await?,
            };
            let stream = match tls {
                Some(tls) => {
                    let connector = TlsConnector::from(tls.config.clone());
                    match connector.connect(tls.server_name.clone(), tcp).await {
                        Ok(s) => {
                            let resumed = s.get_ref().1.handshake_kind()
                                == Some(rustls::HandshakeKind::Resumed);
                            log.status(format!(
                                "Data connection encrypted ({})",
                                if resumed {
                                    "TLS session resumed"
                                } else {
                                    "new TLS session"
                                }
                            ));
                            Stream::Tls(Box::new(s))
                        }
                        Err(e) => return Err(tls_error(e, &tls, Channel::Data, &peer.to_string())),
                    }
                }
                None if close_early => {
                    // A download never writes: our FIN goes now, so that a
                    // server that waits for it before its 226 (vsftpd) has it
                    // when the data is sent, a round trip sooner.
                    let mut tcp = tcp;
                    let closed = tcp.shutdown().await.is_ok();
                    return Ok::<_, FtpError>((Stream::Plain(tcp), peer, closed));
                }
                None => Stream::Plain(tcp),
            };
            Ok::<_, FtpError>((stream, peer, false))
        };
        tokio::pin!(establish);
        // A connect still under way has `limit` of its own, and the TLS
        // handshake after it gets `limit` as when connected first.
        let deadline = tokio::time::sleep(if self.connect_overlapped {
            limit * 2
        } else {
            limit
        });
        tokio::pin!(deadline);
        let mut started = false;
        let watch_cancel = matches!(verb, "RETR" | "STOR" | "APPE");
        // A connect that failed with the command already out, kept while
        // the server's verdict may still come (see below).
        let mut connect_failed: Option<FtpError> = None;
        let opened = loop {
            tokio::select! {
                r = &mut establish, if connect_failed.is_none() => match r {
                    // A server that refuses the command closes the port the
                    // connect was reaching, so the refusal and the failed
                    // connect arrive together: the refusal is the error
                    // that says why. Wait a moment for it before ABOR.
                    Err(e) if self.connect_overlapped && !started => {
                        connect_failed = Some(e);
                        deadline
                            .as_mut()
                            .reset(tokio::time::Instant::now() + REFUSAL_GRACE);
                    }
                    r => break r,
                },
                r = self.control.read_reply_untimed(), if !started => {
                    let r = r?;
                    if self.took_ahead_early(&r) {
                        continue;
                    }
                    if r.is_preliminary() {
                        started = true;
                        if let Some(e) = connect_failed.take() {
                            break Err(e);
                        }
                    } else if r.is_success() {
                        // Finished without data (an empty listing on some servers).
                        self.collect_ahead_or_resync().await?;
                        return Ok(DataStream::empty(mode, self.control.peer()));
                    } else {
                        self.collect_ahead_or_resync().await?;
                        // 425: the server could not open the data connection.
                        return Err(OpenFailure {
                            mode_failure: r.code == 425,
                            error: refused(verb, arg, &r),
                            owes_reply: false,
                        });
                    }
                }
                // Only a download or upload watches the session's cancel
                // (a listing has its own); the signal may still be set
                // from the transfer before.
                () = cancelled(&mut self.cancel), if watch_cancel => {
                    // The command is out and its reply owed: the caller
                    // sends ABOR (see [`Session::open_transfer`]).
                    self.log().status("Cancelled while the data connection opened");
                    return Err(OpenFailure {
                        error: FtpError::Cancelled,
                        mode_failure: false,
                        owes_reply: true,
                    });
                }
                _ = &mut deadline => {
                    if let Some(e) = connect_failed.take() {
                        break Err(e);
                    }
                    let what = match mode {
                        DataMode::Passive => "during the TLS handshake",
                        DataMode::Active => "waiting for the server to connect",
                    };
                    self.log().error(format!("Data connection ({mode}) to {addr_text} timed out"));
                    // The server still owes a reply to the command; the next
                    // command settles it, or the caller reconnects.
                    return Err(OpenFailure {
                        error: data_timeout(mode, what, limit, addr_text),
                        mode_failure: true,
                        owes_reply: true,
                    });
                }
            }
        };
        if opened.is_err() && self.connect_overlapped {
            // Connect first again until a passive connection works.
            self.passive_worked = false;
        }
        let (stream, peer, closed_early) = opened.map_err(|error| OpenFailure {
            mode_failure: error.failed_data_mode().is_some(),
            error,
            owes_reply: true,
        })?;
        // An upload to a server that takes one command at a time, with the
        // next EPSV sent ahead: the data goes now instead of after the 150,
        // which comes only once the data connection reached the server (a
        // round trip saved per file). A refusal (553) still ends it: the
        // server then runs the EPSV, which closes the port our connection
        // waits on, so the data connection fails at once and
        // [`Session::finish_transfer`] reads the refusal.
        let send_before_150 = verb == "STOR" && self.ahead.epsv && self.one_at_a_time_server;
        self.sent_before_150 = send_before_150 && !started;
        if !started && !send_before_150 {
            let mut r = self.control.read_reply().await?;
            while self.took_ahead_early(&r) {
                r = self.control.read_reply().await?;
            }
            if !r.is_preliminary() {
                self.collect_ahead_or_resync().await?;
                if r.is_success() {
                    return Ok(DataStream::empty(mode, peer));
                }
                return Err(OpenFailure {
                    mode_failure: r.code == 425,
                    error: refused(verb, arg, &r),
                    owes_reply: false,
                });
            }
        }
        if mode == DataMode::Passive {
            self.passive_worked = true;
        }
        self.in_transfer = Some(describe(verb, arg));
        let mut data = DataStream::new(stream, self.opts.timeouts.data_idle, mode, peer);
        if closed_early {
            data.mark_write_closed();
        }
        Ok(data)
    }

    /// Whether the transfer or listing command about to go out may carry
    /// the next transfer's EPSV (and this file's pending MDTM) in the same
    /// write:
    /// only to a server known to take one command at a time, in passive
    /// mode with EPSV, and never for a site or session that saw replies out
    /// of order. Each saves a round trip per file: the server answers them
    /// right after the transfer's `226`, in the same packet.
    fn may_pipeline(&self, mode: DataMode, verb: &str) -> bool {
        self.one_at_a_time_server
            && !self.opts.one_command_at_a_time
            && !self.replies_out_of_order
            && mode == DataMode::Passive
            && self.force.is_none()
            && !self.epsv_refused
            && matches!(verb, "RETR" | "STOR" | "LIST" | "MLSD" | "NLST")
    }

    /// Whether pipelining is in use on this session now (for tests and the
    /// log): false after replies came out of order.
    pub fn pipelines(&self) -> bool {
        self.may_pipeline(DataMode::Passive, "RETR")
    }

    /// The server answered pipelined commands out of order (a reply to a
    /// command sent ahead came before the transfer's): one command at a
    /// time from now on.
    fn note_out_of_order(&mut self) {
        if !self.replies_out_of_order {
            self.replies_out_of_order = true;
            let new = OUT_OF_ORDER
                .lock()
                .is_ok_and(|mut set| set.insert(self.opts.addr_text().to_ascii_lowercase()));
            if new && let Some(hook) = ON_OUT_OF_ORDER.get() {
                hook(&self.opts);
            }
            self.log().status(
                "The server answered two commands out of order; sending one at a time from now on",
            );
        }
    }

    /// Whether `r`, read where the running transfer's reply was expected,
    /// is the answer to a command sent ahead of it (their codes tell them
    /// apart: a transfer is never answered 213 or 229). Keeps what it says,
    /// except a port the server opened while the transfer ran.
    fn took_ahead_early(&mut self, r: &Reply) -> bool {
        let taken = if r.code == 229 && self.ahead.epsv {
            self.ahead.epsv = false;
            true
        } else if r.code == 213
            && let Some(path) = self.ahead.mdtm.take()
        {
            self.mdtm_answer = Some((path, r.clone()));
            true
        } else {
            false
        };
        if taken {
            self.note_out_of_order();
        }
        taken
    }

    /// Read the replies to the commands sent ahead with the transfer, which
    /// a server that takes one command at a time sends right after its
    /// verdict, in the order the commands went out: each reply is the first
    /// owed command's (MDTM's answer is kept for [`Session::mdtm_answer`],
    /// the command after the transfer's for [`Session::after_answer`],
    /// EPSV's port for the next passive transfer), never told apart by its
    /// code alone (an MDTM and an MFMT are both answered 213). Only a server
    /// already seen answering out of order may answer them in any order. A
    /// reply that does not fit means the server is not in step with us:
    /// [`FtpError::OutOfStep`], and pipelining ends for this session.
    async fn collect_ahead(&mut self) -> Result<()> {
        while let Some(first) = self.ahead.owed().next() {
            let r = self.control.final_reply().await?;
            let owed = if first.fits(&r) {
                Some(first)
            } else if self.replies_out_of_order {
                self.ahead.owed().find(|o| o.fits(&r))
            } else {
                None
            };
            match owed {
                Some(Owed::Mdtm) => {
                    if let Some(path) = self.ahead.mdtm.take() {
                        self.mdtm_answer = Some((path, r));
                    }
                }
                Some(Owed::After) => {
                    self.ahead.after = false;
                    self.after_answer = Some(r);
                }
                Some(Owed::Epsv) => {
                    self.ahead.epsv = false;
                    if r.code == 229 {
                        self.port_ahead = parse_epsv(&r.text())
                            .filter(|_| !self.replies_out_of_order)
                            .map(|p| (p, tokio::time::Instant::now()));
                    } else {
                        self.log().status(format!(
                            "EPSV sent ahead was refused ({}); asking for each data port in turn",
                            r.code
                        ));
                        self.epsv_refused |= r.code == 500 || r.code == 502;
                    }
                }
                None => {
                    self.forget_ahead();
                    self.note_out_of_order();
                    return Err(FtpError::OutOfStep {
                        addr: self.control.addr_text().to_string(),
                    });
                }
            }
        }
        Ok(())
    }

    /// [`Session::collect_ahead`], getting back in step (ABOR, or a
    /// reconnect) when the replies do not fit.
    async fn collect_ahead_or_resync(&mut self) -> Result<()> {
        match self.collect_ahead().await {
            Err(FtpError::OutOfStep { .. }) => self.back_in_step().await,
            other => other,
        }
    }

    /// Drop what was sent ahead (after ABOR counted its replies, or a
    /// reconnect).
    fn forget_ahead(&mut self) {
        self.ahead = Ahead::default();
        self.port_ahead = None;
        self.after_transfer = None;
    }

    /// Send `verb arg` (a command that needs the uploaded file, such as
    /// MFMT) in the same write as the next STOR, right after it, when this
    /// session pipelines: a server that takes one command at a time runs it
    /// once the upload is complete and answers it with the upload's verdict.
    /// Returns false, sending nothing, when it does not pipeline: then send
    /// the command after the upload. Its reply: [`Session::after_answer`].
    pub fn after_transfer(&mut self, verb: &'static str, arg: Vec<u8>) -> bool {
        self.after_answer = None;
        if !self.pipelines() || check_argument(&arg).is_err() {
            self.after_transfer = None;
            return false;
        }
        self.after_transfer = Some((verb, arg));
        true
    }

    /// The reply to the command of [`Session::after_transfer`], once the
    /// upload it went with has finished; None when it did not go out (the
    /// upload failed before it, or the session stopped pipelining).
    pub fn after_answer(&mut self) -> Option<Reply> {
        self.after_transfer = None;
        self.after_answer.take()
    }

    /// Close a finished data connection and read the server's verdict. A
    /// transfer only counts as complete on a 2xx reply.
    pub async fn finish_transfer(&mut self, mut data: DataStream) -> Result<()> {
        let close = data.close().await;
        self.data_closed_cleanly = close.is_ok();
        let Some(what) = self.in_transfer.take() else {
            return Ok(());
        };
        let mut r = self.control.final_reply().await?;
        while self.took_ahead_early(&r) {
            r = self.control.final_reply().await?;
        }
        self.collect_ahead_or_resync().await?;
        if let Err(e) = close
            && r.is_success()
        {
            self.log()
                .status(format!("Closing the data connection: {e}"));
        }
        if r.is_success() {
            Ok(())
        } else {
            let (verb, arg) = what.split_once(' ').unwrap_or((&what, ""));
            Err(FtpError::Reply {
                command: if arg.is_empty() {
                    verb.to_string()
                } else {
                    format!("{verb} {arg}")
                },
                code: r.code,
                text: r.text(),
            })
        }
    }

    /// Whether the last transfer ended by [`Session::finish_transfer`] closed
    /// its data connection cleanly: after an upload, the server read every
    /// byte up to our end of stream before it closed (a reset, e.g. from a
    /// server or link that dropped the connection with bytes unread, does
    /// not count). With the server's success reply it confirms the upload.
    pub fn data_closed_cleanly(&self) -> bool {
        self.data_closed_cleanly
    }

    /// Cancel a running transfer: drop the data connection, ABOR, and get
    /// back in step with the server whatever order and timing its replies
    /// come in (426 then 226, 226 then 426, an extra reply, ABOR answered
    /// only once the data connection is closed, the transfer's verdict after
    /// ABOR's). Reconnects when the replies do not add up in time.
    pub async fn abort_transfer(&mut self, data: DataStream) -> Result<()> {
        // Closed first: some servers (libunftp) answer ABOR only once the
        // data connection is gone.
        drop(data);
        if self.in_transfer.take().is_none() {
            return Ok(());
        }
        self.back_in_step().await
    }

    /// End a RETR whose remaining data is not wanted (a segment of a
    /// segmented download that reached its range's end), and get back in
    /// step with the server. [`EarlyEnd::Close`] drops the data connection
    /// and reads the transfer's own verdict (426, 451, or 226 when the
    /// server had already sent everything), sending ABOR only when no reply
    /// comes within a few seconds; [`EarlyEnd::Abor`] sends ABOR at once, as
    /// a cancel does. Either way the replies are counted exactly as
    /// [`Session::abort_transfer`] counts them, and a server that does not
    /// add up in time gets a reconnect.
    pub async fn end_transfer_early(&mut self, data: DataStream, how: EarlyEnd) -> Result<()> {
        if how == EarlyEnd::Abor {
            return self.abort_transfer(data).await;
        }
        drop(data);
        if self.in_transfer.take().is_none() {
            return Ok(());
        }
        let wait = self.opts.timeouts.reply.min(EARLY_END_REPLY_WAIT);
        // `final_reply` is cancellation-safe: a reply half read when the
        // wait ends stays in the decoder for the ABOR tally.
        match tokio::time::timeout(wait, self.control.final_reply()).await {
            Ok(Ok(r)) => {
                self.log().status(format!(
                    "Stopped the transfer at the end of its range (the server answered {})",
                    r.code
                ));
                self.collect_ahead_or_resync().await
            }
            Ok(Err(e)) => Err(e),
            Err(_) => {
                self.log().status(format!(
                    "No reply {} s after closing the data connection; sending ABOR",
                    wait.as_secs()
                ));
                self.back_in_step().await
            }
        }
    }

    /// The signal that cancels this session's transfers, for work that
    /// runs transfers of its own on other sessions (segmented downloads).
    pub fn cancel_signal(&self) -> Option<watch::Receiver<bool>> {
        self.cancel.clone()
    }

    /// Where this session's protocol lines go, so that sessions opened
    /// alongside it (segmented downloads) log to the same place.
    pub fn log_sink(&self) -> SharedLog {
        self.sink.clone()
    }

    async fn resync_after_abort(&mut self) -> Result<()> {
        let limit = self.opts.timeouts.reply;
        self.control.abort_and_resync(limit).await
    }

    /// Retrieve a file from `offset` (REST) as a stream, in stream mode.
    /// Call [`Session::finish_transfer`] after reading it to the end.
    pub async fn retrieve(&mut self, path: impl AsRef<[u8]>, offset: u64) -> Result<DataStream> {
        check_argument(path.as_ref())?;
        self.set_type(TransferType::Binary).await?;
        self.use_mode(TransferMode::Stream).await?;
        self.open_transfer("RETR", Some(path.as_ref()), offset)
            .await
    }

    /// Store a file, overwriting it, or from `offset` (REST + STOR) to
    /// resume, in stream mode.
    pub async fn store(&mut self, path: impl AsRef<[u8]>, offset: u64) -> Result<DataStream> {
        check_argument(path.as_ref())?;
        self.set_type(TransferType::Binary).await?;
        self.use_mode(TransferMode::Stream).await?;
        self.open_transfer("STOR", Some(path.as_ref()), offset)
            .await
    }

    /// Append to a file (APPE), in stream mode: another way to resume an upload.
    pub async fn append(&mut self, path: impl AsRef<[u8]>) -> Result<DataStream> {
        check_argument(path.as_ref())?;
        self.set_type(TransferType::Binary).await?;
        self.use_mode(TransferMode::Stream).await?;
        self.open_transfer("APPE", Some(path.as_ref()), 0).await
    }

    /// The raw bytes of a directory listing and the format they are in
    /// (MLSD when the server offers it, else LIST or `LIST -a`).
    pub async fn list_raw(&mut self, path: Option<&[u8]>) -> Result<(ListingFormat, Vec<u8>)> {
        self.list_raw_watched(path, &mut |_| {}, std::future::pending())
            .await
    }

    /// [`Session::list_raw`], calling `progress` with the number of lines
    /// received so far after each read (a big folder streams in for a
    /// while), and stopping when `cancel` resolves: the data connection is
    /// closed, ABOR brings the control connection back in step, and the
    /// result is [`FtpError::Cancelled`] with the session still usable.
    pub async fn list_raw_watched(
        &mut self,
        path: Option<&[u8]>,
        progress: &mut (dyn FnMut(u64) + Send),
        cancel: impl std::future::Future<Output = ()>,
    ) -> Result<(ListingFormat, Vec<u8>)> {
        let mut cancel = std::pin::pin!(cancel);
        if let Some(p) = path {
            check_argument(p)?;
        }
        self.set_type(TransferType::Binary).await?;
        // Listings always go in stream mode: they are small, and buffered
        // whole, so a framed mode would save little.
        self.use_mode(TransferMode::Stream).await?;
        let (format, verb, arg): (ListingFormat, &str, Option<Vec<u8>>) = if self.features.mlsd() {
            (ListingFormat::Mlsd, "MLSD", path.map(<[u8]>::to_vec))
        } else if self.opts.list_hidden {
            let arg = match path {
                Some(p) => [b"-a ".as_slice(), p].concat(),
                None => b"-a".to_vec(),
            };
            (ListingFormat::List, "LIST", Some(arg))
        } else {
            (ListingFormat::List, "LIST", path.map(<[u8]>::to_vec))
        };
        let mut data = self.open_transfer(verb, arg.as_deref(), 0).await?;
        let mut out = Vec::new();
        let mut buf = vec![0u8; FIRST_CHUNK];
        let mut lines = 0u64;
        let failure = loop {
            let read = tokio::select! {
                r = data.read(&mut buf) => r,
                () = &mut cancel => break Some(FtpError::Cancelled),
            };
            match read {
                Ok(0) => break None,
                Ok(n) => {
                    let chunk = &buf[..n];
                    lines += memchr::memchr_iter(b'\n', chunk).count() as u64;
                    out.extend_from_slice(chunk);
                    progress(lines);
                    if n == buf.len() && buf.len() < CHUNK {
                        buf.resize(CHUNK, 0);
                    }
                }
                Err(e) => break Some(data.error(e)),
            }
        };
        if let Some(err) = failure {
            self.abort_transfer(data).await?;
            return Err(err);
        }
        self.finish_transfer(data).await?;
        Ok((format, out))
    }

    /// List a directory (the current one when `path` is None).
    pub async fn list(&mut self, path: Option<&[u8]>) -> Result<Vec<RemoteEntry>> {
        let (format, bytes) = self.list_raw(path).await?;
        Ok(parse_listing(
            &bytes,
            format,
            chrono::Local::now().naive_local(),
        ))
    }

    /// Download `path` from `offset` into `out`, calling `progress` with the
    /// file bytes moved so far. Returns the file bytes received. On any
    /// failure the transfer is aborted and the session stays usable. The
    /// transfer goes in the mode [`ConnectOptions::transfer_mode`] asks for
    /// when that can pay and the server accepts it, and the log says which.
    pub async fn download<W: AsyncWrite + Unpin>(
        &mut self,
        path: impl AsRef<[u8]>,
        offset: u64,
        out: &mut W,
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<u64> {
        let path = path.as_ref();
        check_argument(path)?;
        let text = self.is_text_transfer(path).await;
        let mode = if text {
            self.prepare_text("Download", path, offset).await?
        } else {
            self.set_type(TransferType::Binary).await?;
            self.prepare_mode("Download", path, offset > 0, None)
                .await?
        };
        let mut data = self.open_transfer("RETR", Some(path), offset).await?;
        let closed_early = data.write_closed_early();
        let mut text_decoder = text.then(TextDecoder::for_local);
        let mut decoder = Decoder::new(mode);
        let mut decoded = Vec::new();
        // Start small and grow once reads fill the buffer: zeroing a 1 MiB
        // buffer for every 10 KiB file costs more than the file.
        let mut buf = vec![0u8; FIRST_CHUNK];
        let mut total = 0u64;
        let local_error = |source| FtpError::Local {
            what: "writing the downloaded data",
            source,
            path: String::from_utf8_lossy(path).into_owned(),
        };
        let failure = loop {
            let read = tokio::select! {
                r = data.read(&mut buf) => r,
                () = cancelled(&mut self.cancel) => break Some(FtpError::Cancelled),
            };
            let n = match read {
                Ok(0) => break None,
                Ok(n) => n,
                Err(e) => break Some(data.error(e)),
            };
            let written = match &mut decoder {
                None if text_decoder.is_some() => {
                    decoded.clear();
                    if let Some(t) = &mut text_decoder {
                        t.convert(&buf[..n], &mut decoded);
                    }
                    out.write_all(&decoded).await.map(|()| decoded.len() as u64)
                }
                None => out.write_all(&buf[..n]).await.map(|()| n as u64),
                Some(dec) => match write_decoded(dec, &buf[..n], &mut decoded, out).await {
                    Ok(written) => Ok(written),
                    Err(Failure::Write(e)) => Err(e),
                    Err(Failure::Codec(e)) => break Some(format_error(mode, e, &data)),
                },
            };
            match written {
                Ok(written) => total += written,
                Err(source) => break Some(local_error(source)),
            }
            progress(total);
            if let Some(dec) = &mut decoder {
                self.note_markers(dec, offset);
                if dec.is_done() {
                    // Block mode may keep the connection open after the
                    // end of the file: the data is complete, stop reading.
                    break None;
                }
            }
            if n == buf.len() && buf.len() < CHUNK {
                buf.resize(CHUNK, 0);
            }
        };
        if let Some(err) = failure {
            self.abort_transfer(data).await?;
            if closed_early && !matches!(err, FtpError::Cancelled) {
                self.stop_closing_early();
            }
            return Err(err);
        }
        if let Some(dec) = &decoder {
            self.note_mode_totals(mode, total, data.bytes(), dec.suspect_bytes());
            if mode == TransferMode::Deflate {
                self.learn_compressibility(path, total, data.bytes());
            }
            if let Err(e) = dec.finish() {
                let err = format_error(mode, e, &data);
                self.finish_transfer(data).await?;
                return Err(err);
            }
        }
        self.last_wire_bytes = data.bytes();
        if let Some(t) = &mut text_decoder {
            decoded.clear();
            t.finish(&mut decoded);
            if let Err(source) = out.write_all(&decoded).await {
                self.finish_transfer(data).await?;
                return Err(local_error(source));
            }
            total += decoded.len() as u64;
        }
        if let Err(source) = out.flush().await {
            self.finish_transfer(data).await?;
            return Err(local_error(source));
        }
        if let Err(e) = self.finish_transfer(data).await {
            if closed_early {
                self.stop_closing_early();
            }
            return Err(e);
        }
        Ok(total)
    }

    /// An upload whose data went before the 150 failed on the data
    /// connection: drop it and read the server's verdict (a server that
    /// takes one command at a time has sent it, or sends it now that the
    /// connection is gone). Its refusal, when it refused; None when it
    /// accepted, or gave no verdict in time (then the session is back in
    /// step after ABOR, and the data connection's error stands).
    async fn refusal_of_early_upload(&mut self, data: DataStream) -> Result<Option<FtpError>> {
        drop(data);
        self.sent_before_150 = false;
        let Some(what) = self.in_transfer.take() else {
            return Ok(None);
        };
        let wait = self.opts.timeouts.reply.min(EARLY_END_REPLY_WAIT);
        let r = match tokio::time::timeout(wait, self.control.final_reply()).await {
            Ok(r) => r?,
            Err(_) => {
                self.back_in_step().await?;
                return Ok(None);
            }
        };
        self.collect_ahead_or_resync().await?;
        if r.is_success() {
            return Ok(None);
        }
        Ok(Some(FtpError::Reply {
            command: what,
            code: r.code,
            text: r.text(),
        }))
    }

    /// A download whose data connection we closed on our side early
    /// failed: whatever the cause, this session stops doing that.
    fn stop_closing_early(&mut self) {
        if !self.early_close_failed {
            self.early_close_failed = true;
            self.log().status(
                "A download failed after closing our side of its data connection early; waiting for the data's end from now on",
            );
        }
    }

    /// Upload everything `input` yields to `path`, starting at `offset` on
    /// the server (REST + STOR; 0 overwrites), or appending (APPE). In stream
    /// mode data is written straight from the reader's buffer, without
    /// another copy; other modes encode each chunk first. The mode is chosen
    /// as for [`Session::download`], and MODE Z only when deflating the
    /// first 64 KiB saves at least 10 %.
    pub async fn upload<R: AsyncBufRead + Unpin>(
        &mut self,
        input: &mut R,
        path: impl AsRef<[u8]>,
        offset: u64,
        append: bool,
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<u64> {
        let path = path.as_ref();
        check_argument(path)?;
        let local_error = |source| FtpError::Local {
            what: "reading the file to upload",
            source,
            path: String::from_utf8_lossy(path).into_owned(),
        };
        let resuming = offset > 0 || append;
        let text = self.is_text_transfer(path).await;
        let probe = if self.opts.transfer_mode == TransferMode::Deflate && !resuming && !text {
            Some(deflate_saves_enough(
                input.fill_buf().await.map_err(local_error)?,
            ))
        } else {
            None
        };
        let mode = if text {
            self.prepare_text("Upload", path, offset).await?
        } else {
            self.set_type(TransferType::Binary).await?;
            self.prepare_mode("Upload", path, resuming, probe).await?
        };
        let (verb, rest) = if append {
            ("APPE", 0)
        } else {
            ("STOR", offset)
        };
        let mut data = self.open_transfer(verb, Some(path), rest).await?;
        let mut encoder = Encoder::new(mode);
        let mut text_encoder = text.then(TextEncoder::for_local);
        let mut wire = Vec::new();
        let mut total = 0u64;
        let failure = loop {
            if is_cancelled(&self.cancel) {
                break Some(FtpError::Cancelled);
            }
            let chunk = match input.fill_buf().await {
                Ok([]) => break None,
                Ok(chunk) => chunk,
                Err(source) => break Some(local_error(source)),
            };
            let n = chunk.len();
            let send: &[u8] = match &mut encoder {
                None if text_encoder.is_some() => {
                    wire.clear();
                    if let Some(t) = &mut text_encoder {
                        t.convert(chunk, &mut wire);
                    }
                    &wire
                }
                None => chunk,
                Some(enc) => {
                    wire.clear();
                    enc.encode(chunk, &mut wire);
                    &wire
                }
            };
            let written = tokio::select! {
                r = data.write_all(send) => r,
                () = cancelled(&mut self.cancel) => break Some(FtpError::Cancelled),
            };
            if let Err(e) = written {
                break Some(data.error(e));
            }
            input.consume(n);
            total += n as u64;
            progress(total);
        };
        let failure = match (failure, &mut encoder) {
            (None, Some(enc)) => {
                wire.clear();
                enc.finish(&mut wire);
                let written = tokio::select! {
                    r = data.write_all(&wire) => r,
                    () = cancelled(&mut self.cancel) => Err(std::io::Error::other("cancelled")),
                };
                match written {
                    Ok(()) => None,
                    Err(_) if is_cancelled(&self.cancel) => Some(FtpError::Cancelled),
                    Err(e) => Some(data.error(e)),
                }
            }
            (failure, _) => failure,
        };
        if let Some(err) = failure {
            // Sent before the 150: a refused upload shows as a reset data
            // connection; the server's own reply says why.
            if self.sent_before_150 && !matches!(err, FtpError::Cancelled) {
                return Err(match self.refusal_of_early_upload(data).await? {
                    Some(refusal) => refusal,
                    None => self.explain_upload_failure(mode, err),
                });
            }
            let err = self.explain_upload_failure(mode, err);
            self.abort_transfer(data).await?;
            return Err(err);
        }
        if encoder.is_some() {
            self.note_mode_totals(mode, total, data.bytes(), 0);
        }
        self.last_wire_bytes = data.bytes();
        if let Err(e) = self.finish_transfer(data).await {
            return Err(self.explain_upload_failure(mode, e));
        }
        Ok(total)
    }

    // ----- text (ASCII) transfers -----

    /// Bytes the last download or upload moved over the data connection:
    /// for a text transfer, its size with CRLF line ends.
    pub fn last_wire_bytes(&self) -> u64 {
        self.last_wire_bytes
    }

    /// Whether `path` goes as text (`TYPE A`) under the options'
    /// [`TypeChoice`]: always, never, or (Auto) for a text ending when the
    /// server's line ends (from SYST, asked once) differ from this
    /// machine's. A server that does not answer SYST is taken as LF.
    pub async fn is_text_transfer(&mut self, path: &[u8]) -> bool {
        let choice = self.opts.transfer_type.unwrap_or_default();
        if choice != TypeChoice::Auto {
            return choice == TypeChoice::Ascii;
        }
        let endings = if self.opts.text_endings.is_empty() {
            default_text_endings()
        } else {
            self.opts.text_endings.clone()
        };
        if !has_text_ending(path, &endings) {
            return false;
        }
        let syst = self.syst().await.ok();
        is_text_transfer(choice, path, &endings, LineEnds::of_server(syst.as_deref()))
    }

    /// `TYPE A` and stream mode for a text transfer, said in the log. A
    /// text transfer is never resumed: the two sides count different bytes
    /// (CRLF on the wire, LF here), so a REST offset would be wrong on
    /// most servers; the caller starts text files over instead.
    async fn prepare_text(&mut self, what: &str, path: &[u8], offset: u64) -> Result<TransferMode> {
        if offset > 0 {
            return Err(FtpError::InvalidArgument {
                arg: format!(
                    "a text (ASCII) transfer cannot resume at byte {offset}: line ends change its length; start it over"
                ),
            });
        }
        self.set_type(TransferType::Ascii).await?;
        let mode = self.use_mode(TransferMode::Stream).await?;
        self.log().status(format!(
            "{what} of {} as text (TYPE A, line ends converted), in {mode}",
            String::from_utf8_lossy(path)
        ));
        Ok(mode)
    }

    // ----- transfer modes -----

    /// Choose the transfer mode for one file transfer, put the server in it
    /// and say in the log which mode the transfer uses, and why when it is
    /// not the one asked for. `deflate_pays` is the upload probe's verdict.
    async fn prepare_mode(
        &mut self,
        what: &str,
        path: &[u8],
        resuming: bool,
        deflate_pays: Option<bool>,
    ) -> Result<TransferMode> {
        let wanted = self.opts.transfer_mode;
        let (mode, why) = self.plan_mode(path, resuming, deflate_pays);
        let mode = self.use_mode(mode).await?;
        let name = String::from_utf8_lossy(path);
        match why {
            Some(why) => self.log().status(format!(
                "{what} of {name} in {mode} instead of {wanted}: {why}"
            )),
            None if mode != wanted => self.log().status(format!(
                "{what} of {name} in {mode}: the server refused {wanted}"
            )),
            None => self.log().status(format!("{what} of {name} in {mode}")),
        }
        Ok(mode)
    }

    /// Which mode a file transfer should use, and why not the one asked for.
    fn plan_mode(
        &self,
        path: &[u8],
        resuming: bool,
        deflate_pays: Option<bool>,
    ) -> (TransferMode, Option<&'static str>) {
        use TransferMode::{Deflate, Stream};
        let wanted = self.opts.transfer_mode;
        let why = if wanted == Stream || self.refused_modes.contains(&wanted) {
            None
        } else if resuming {
            // REST counts bytes of the stream-mode file (RFC 3659 §5); in
            // block and compressed mode it takes a restart marker instead,
            // and MODE Z servers differ on what it means.
            Some("resuming, and REST offsets are defined for stream mode only")
        } else if wanted != Deflate {
            None
        } else if !self.features.modes().iter().any(|m| m == "Z") {
            Some("the server does not offer MODE Z (FEAT)")
        } else if already_compressed(path) {
            Some("the file is compressed already (by its name)")
        } else if deflate_pays == Some(false) {
            Some("deflating its first 64 KiB saves less than 10 %")
        } else if deflate_pays.is_none() && self.incompressible_endings.contains(&extension(path)) {
            Some("files with its ending did not deflate earlier in this session")
        } else if deflate_pays.is_some() && self.deflate_upload_stalled {
            Some("a MODE Z upload to this server stalled earlier")
        } else {
            None
        };
        let mode = if why.is_some() || self.refused_modes.contains(&wanted) {
            Stream
        } else {
            wanted
        };
        (mode, why)
    }

    /// Put the server in `mode` unless it is in it already, and return the
    /// mode it is in afterwards. A refusal of B, C or Z is remembered for
    /// the session and leaves stream mode, with a notice in the log; a
    /// refusal of `MODE S` is an error (nothing could be transferred).
    async fn use_mode(&mut self, mode: TransferMode) -> Result<TransferMode> {
        if self.server_mode == mode {
            return Ok(mode);
        }
        self.ensure_idle()?;
        let r = self
            .control
            .command("MODE", Some(mode.letter().as_bytes()))
            .await?;
        if r.is_success() {
            self.server_mode = mode;
            if mode == TransferMode::Deflate && !self.deflate_level_asked {
                // Servers deflate downloads at zlib's default level 6 or
                // higher, which caps them at tens of MB/s; ask for Ferry's
                // level (OPTS MODE Z LEVEL, as proftpd takes it). A refusal
                // changes nothing.
                self.deflate_level_asked = true;
                let arg = format!("MODE Z LEVEL {DEFLATE_LEVEL}");
                self.control.command("OPTS", Some(arg.as_bytes())).await?;
            }
            return Ok(mode);
        }
        if mode == TransferMode::Stream {
            return Err(refused("MODE", Some(b"S"), &r));
        }
        self.log().error(format!(
            "The server refused {mode} ({} {}); transferring in stream mode",
            r.code,
            r.text().trim()
        ));
        self.refused_modes.push(mode);
        if self.server_mode != TransferMode::Stream {
            self.control.expect_ok("MODE", Some(b"S")).await?;
            self.server_mode = TransferMode::Stream;
        }
        Ok(TransferMode::Stream)
    }

    /// A download cannot be probed before it starts: when one in MODE Z
    /// saved less than 10 %, later files with the same ending (or without
    /// one, like it) go in stream mode for the rest of the session.
    fn learn_compressibility(&mut self, path: &[u8], file: u64, wire: u64) {
        let ending = extension(path);
        if file < PROBE_LEN as u64
            || wire * 10 < file * 9
            || self.incompressible_endings.contains(&ending)
        {
            return;
        }
        let which = if ending.is_empty() {
            "files without an ending".to_string()
        } else {
            format!("files ending .{ending}")
        };
        self.log().status(format!(
            "MODE Z saved less than 10 % on {}; {which} go in stream mode from now on",
            String::from_utf8_lossy(path)
        ));
        self.incompressible_endings.push(ending);
    }

    /// Record the restart markers a download decoded and say so in the log.
    fn note_markers(&mut self, dec: &mut Decoder, start: u64) {
        for m in dec.take_markers() {
            let m = RestartMarker {
                offset: start + m.offset,
                ..m
            };
            self.log().status(format!(
                "Restart marker {:?} at byte {}",
                String::from_utf8_lossy(&m.marker),
                m.offset
            ));
            self.restart_marker = Some(m);
        }
    }

    /// Say in the log what a framed mode did: file bytes against bytes on
    /// the data connection, and any data the server flagged as suspect.
    fn note_mode_totals(&self, mode: TransferMode, file: u64, wire: u64, suspect: u64) {
        let percent = if file > 0 {
            format!(" ({:.0} %)", wire as f64 * 100.0 / file as f64)
        } else {
            String::new()
        };
        self.log().status(format!(
            "{mode}: {wire} bytes on the data connection for {file} bytes of file{percent}"
        ));
        if suspect > 0 {
            self.log().error(format!(
                "The server flagged {suspect} bytes of the file as suspect (read with errors on its side)"
            ));
        }
    }

    /// A stalled MODE Z upload says so, and this session's later uploads
    /// go in stream mode: proftpd 1.3.8 stops reading MODE Z uploads of
    /// data that does not compress (fixed upstream later).
    fn explain_upload_failure(&mut self, mode: TransferMode, err: FtpError) -> FtpError {
        match err {
            FtpError::Timeout {
                channel,
                what,
                secs,
                mode: data_mode,
                addr,
                ..
            } if mode == TransferMode::Deflate => {
                self.deflate_upload_stalled = true;
                self.log().error(
                    "The MODE Z upload stalled; this session's next uploads go in stream mode",
                );
                FtpError::Timeout {
                    channel,
                    what: format!("{what} during a MODE Z (deflate) upload"),
                    secs,
                    mode: data_mode,
                    hint: DEFLATE_STALL_HINT,
                    addr,
                }
            }
            other => other,
        }
    }
}

/// The hint of a stalled MODE Z upload.
const DEFLATE_STALL_HINT: &str = "the server stopped taking the compressed data in time (proftpd 1.3.8 stalls on MODE Z uploads, above all of data that does not compress); try again — Ferry now uploads to it in stream mode — or choose Stream transfer mode";

/// Why decoding and writing a chunk failed.
enum Failure {
    Codec(CodecError),
    Write(std::io::Error),
}

/// Decode one chunk from the data connection and write the file bytes to
/// `out`, in pieces of at most about [`super::modes::OUTPUT_LIMIT`].
/// Returns the file bytes written.
async fn write_decoded<W: AsyncWrite + Unpin>(
    dec: &mut Decoder,
    input: &[u8],
    scratch: &mut Vec<u8>,
    out: &mut W,
) -> std::result::Result<u64, Failure> {
    let mut pos = 0;
    let mut written = 0u64;
    loop {
        scratch.clear();
        let used = dec.decode(&input[pos..], scratch).map_err(Failure::Codec)?;
        pos += used;
        if scratch.is_empty() && pos >= input.len() {
            return Ok(written);
        }
        if scratch.is_empty() && used == 0 {
            return Err(Failure::Codec(CodecError(
                "the decoder could not make sense of the data".into(),
            )));
        }
        out.write_all(scratch).await.map_err(Failure::Write)?;
        written += scratch.len() as u64;
    }
}

/// Malformed data in a framed mode, as an error naming the mode and server.
fn format_error(mode: TransferMode, e: CodecError, data: &DataStream) -> FtpError {
    FtpError::DataFormat {
        mode,
        detail: e.0,
        addr: data.peer().to_string(),
    }
}

/// Resolves when `cancel` is set and true; never when it is unset.
async fn cancelled(cancel: &mut Option<watch::Receiver<bool>>) {
    match cancel {
        Some(rx) => {
            // A dropped sender can no longer cancel: wait forever.
            if rx.wait_for(|c| *c).await.is_err() {
                std::future::pending::<()>().await;
            }
        }
        None => std::future::pending().await,
    }
}

fn is_cancelled(cancel: &Option<watch::Receiver<bool>>) -> bool {
    cancel.as_ref().is_some_and(|rx| *rx.borrow())
}

/// Active mode through a proxy: the server would have to reach this
/// machine, which the proxy is there to keep it from.
fn active_through_proxy(proxy: &super::proxy::Proxy) -> FtpError {
    FtpError::Proxy {
        channel: Channel::Data,
        proxy: proxy.describe(),
        problem: "cannot carry active mode: active mode needs the server to reach you; through a proxy use passive".into(),
    }
}

/// How long a passive connect that failed after the transfer command went
/// out waits for the server's reply to that command, which explains the
/// failure when the server refused the command and closed its port.
const REFUSAL_GRACE: Duration = Duration::from_millis(250);

/// Connect to a passive data port within `limit`; errors name the data
/// channel and the address.
async fn connect_passive(addr: SocketAddr, limit: Duration) -> Result<TcpStream> {
    match tokio::time::timeout(limit, super::data::connect(addr)).await {
        Ok(Ok(tcp)) => {
            let _ = tcp.set_nodelay(true);
            Ok(tcp)
        }
        Ok(Err(source)) => Err(FtpError::Io {
            channel: Channel::Data,
            mode: ModeNote(Some(DataMode::Passive)),
            source,
            hint: data_hint(DataMode::Passive),
            addr: addr.to_string(),
        }),
        Err(_) => Err(data_timeout(
            DataMode::Passive,
            "while connecting",
            limit,
            addr.to_string(),
        )),
    }
}

/// Accept the server's data connection, refusing any peer other than the
/// control connection's (someone else could otherwise inject data).
async fn accept_from(
    listener: &TcpListener,
    want: IpAddr,
    log: &Logger,
) -> Result<(TcpStream, SocketAddr)> {
    loop {
        let (tcp, peer) = listener.accept().await.map_err(|source| FtpError::Io {
            channel: Channel::Data,
            mode: ModeNote(Some(DataMode::Active)),
            source,
            hint: data_hint(DataMode::Active),
            addr: listener
                .local_addr()
                .map(|a| a.to_string())
                .unwrap_or_default(),
        })?;
        if same_host(peer.ip(), want) {
            let _ = tcp.set_nodelay(true);
            return Ok((tcp, peer));
        }
        log.error(format!(
            "Refused a data connection from {peer}: only the server ({want}) may connect"
        ));
    }
}

fn same_host(a: IpAddr, b: IpAddr) -> bool {
    let canon = |ip: IpAddr| match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    };
    canon(a) == canon(b)
}

/// The one line auto mode shows when it leaves `from` for `to`.
fn fallback_notice(e: &FtpError, from: DataMode, to: DataMode) -> String {
    let mode = match from {
        DataMode::Passive => "Passive",
        DataMode::Active => "Active",
    };
    match e {
        FtpError::Timeout { secs, addr, .. } => match from {
            DataMode::Passive => format!(
                "Passive data connection to {addr} timed out after {secs} s; switched to {to} mode"
            ),
            DataMode::Active => format!(
                "The server did not connect back to {addr} (active) within {secs} s; switched to {to} mode"
            ),
        },
        FtpError::Io { source, addr, .. } => {
            format!("{mode} data connection to {addr} failed ({source}); switched to {to} mode")
        }
        FtpError::Reply {
            command,
            code,
            text,
        } => {
            let verb = command.split(' ').next().unwrap_or(command);
            format!("The server refused {verb} ({code} {text}); switched to {to} mode")
        }
        other => format!("{mode} data connection failed ({other}); switched to {to} mode"),
    }
}

fn data_timeout(mode: DataMode, what: &str, limit: Duration, addr: String) -> FtpError {
    FtpError::Timeout {
        channel: Channel::Data,
        what: what.to_string(),
        secs: limit.as_secs().max(1),
        mode: ModeNote(Some(mode)),
        hint: data_hint(mode),
        addr,
    }
}

fn describe(verb: &str, arg: Option<&[u8]>) -> String {
    match arg {
        Some(a) => format!("{verb} {}", String::from_utf8_lossy(a)),
        None => verb.to_string(),
    }
}

/// The path inside the first pair of double quotes, with `""` unescaped
/// (RFC 959's PWD/MKD reply form).
pub fn parse_quoted_path(text: &[u8]) -> Option<Vec<u8>> {
    let start = text.iter().position(|&b| b == b'"')? + 1;
    let mut out = Vec::new();
    let mut i = start;
    while i < text.len() {
        if text[i] == b'"' {
            if text.get(i + 1) == Some(&b'"') {
                out.push(b'"');
                i += 2;
                continue;
            }
            return Some(out);
        }
        out.push(text[i]);
        i += 1;
    }
    None
}

/// Parse an MDTM time, `YYYYMMDDHHMMSS` with optional `.fff`.
pub fn parse_mdtm(text: &str) -> Option<chrono::NaiveDateTime> {
    let main = text.get(..14)?;
    chrono::NaiveDateTime::parse_from_str(main, "%Y%m%d%H%M%S").ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_paths_unescape_doubled_quotes() {
        assert_eq!(
            parse_quoted_path(b"\"/home/a\" is cwd"),
            Some(b"/home/a".to_vec())
        );
        assert_eq!(
            parse_quoted_path(b"\"/a \"\"b\"\"\" created"),
            Some(b"/a \"b\"".to_vec())
        );
        assert_eq!(
            parse_quoted_path(b"\"/caf\xe9\""),
            Some(b"/caf\xe9".to_vec())
        );
        assert_eq!(parse_quoted_path(b"no quotes"), None);
        assert_eq!(parse_quoted_path(b"\"unterminated"), None);
    }

    #[test]
    fn mdtm_times_with_and_without_fractions() {
        let t = parse_mdtm("20240305123456").unwrap();
        assert_eq!(t.to_string(), "2024-03-05 12:34:56");
        assert_eq!(parse_mdtm("20240305123456.789"), Some(t));
        assert_eq!(parse_mdtm("2024"), None);
        assert_eq!(parse_mdtm("2024030512345x"), None);
    }

    #[test]
    fn mapped_ipv4_counts_as_the_same_host() {
        let v4: IpAddr = "127.0.0.1".parse().unwrap();
        let mapped: IpAddr = "::ffff:127.0.0.1".parse().unwrap();
        let other: IpAddr = "127.0.0.2".parse().unwrap();
        assert!(same_host(v4, mapped));
        assert!(!same_host(v4, other));
    }
}
