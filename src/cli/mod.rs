//! `ferry` on the command line: scripts and benchmarks over the same
//! protocol engine as the window.

mod chmod;
mod commands;
mod edit;
mod find;
mod progress;
mod proxy;
mod recursive;
mod serve_demo;
mod sites;
mod sync;
pub mod url;

use std::io::IsTerminal;
use std::net::IpAddr;
use std::ops::RangeInclusive;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::ftp::{ConnectOptions, DataMode, ErrorClass, FtpError, NameCharset, TrustPolicy, tls};
use crate::sites::{ConnectSpec, ConnectionMode, Protocol, Site, TrustStore};
use url::RemoteArg;

/// Exit codes, so scripts can tell failures apart.
pub mod exit {
    /// Wrong arguments (clap uses 2 as well).
    pub const USAGE: u8 = 2;
    /// Could not connect, log in, or trust the server.
    pub const CONNECTION: u8 = 3;
    /// Connected, but the transfer or file operation failed.
    pub const TRANSFER: u8 = 4;
    /// Interrupted by Ctrl-C.
    pub const INTERRUPTED: u8 = 130;
}

#[derive(Parser, Debug)]
#[command(
    name = "ferry",
    version,
    about = "Ferry: a fast, safe FTP/FTPS client. Without a subcommand it opens the window.",
    long_about = None
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Open the window connected to an embedded demo server (no FTP server needed).
    #[arg(long)]
    demo: bool,
    #[command(flatten)]
    net: NetArgs,
}

#[derive(Args, Debug, Clone)]
struct NetArgs {
    /// Explicit TLS (AUTH TLS) on an ftp:// URL. ftps:// means implicit TLS.
    #[arg(long, global = true)]
    tls: bool,
    /// Passive data connections: the client connects to the server (default).
    #[arg(long, global = true, conflicts_with_all = ["active", "auto"])]
    passive: bool,
    /// Active data connections: the server connects back to the client.
    #[arg(long, global = true, conflicts_with = "auto")]
    active: bool,
    /// Passive data connections, switching to active when one cannot be
    /// opened (a firewall or NAT blocks it); the switch is printed to stderr.
    #[arg(long, global = true)]
    auto: bool,
    /// Active mode: the address to tell the server (when behind NAT).
    #[arg(long, global = true, value_name = "IP")]
    external_ip: Option<IpAddr>,
    /// Active mode: local ports to listen on, e.g. 50000-50100.
    #[arg(long, global = true, value_name = "A-B", value_parser = parse_port_range)]
    port_range: Option<RangeInclusive<u16>>,
    /// Passive mode: connect to the address the PASV reply names instead of the control connection's.
    #[arg(long, global = true)]
    trust_pasv_host: bool,
    /// How the server encodes file names: utf-8, or a legacy encoding such
    /// as iso-8859-1, windows-1251 or shift_jis (default: utf-8 when the
    /// server says so). Names stay byte-exact in commands either way.
    #[arg(long, global = true, value_name = "NAME", value_parser = parse_charset)]
    charset: Option<NameCharset>,
    /// Deadline in seconds for every network wait (connect, reply, data connection, stalled data).
    #[arg(long, global = true, value_name = "SECONDS", value_parser = parse_timeout)]
    timeout: Option<Duration>,
    /// Trust exactly the certificate with this SHA-256 fingerprint (hex, colons optional).
    #[arg(long, global = true, value_name = "SHA256", value_parser = parse_fingerprint_arg)]
    fingerprint: Vec<[u8; 32]>,
    /// Do not verify the server's certificate (anyone on the path can read and change the session).
    #[arg(long, global = true, conflicts_with = "fingerprint")]
    insecure: bool,
    /// Transfer mode for files (listings and resumed transfers always use stream).
    /// A server that refuses the mode gets stream, with a note in the -v log.
    #[arg(long, global = true, value_enum, value_name = "MODE")]
    mode: Option<ModeArg>,
    /// Print the protocol log (commands and replies, password masked) to stderr.
    #[arg(short, long, global = true)]
    verbose: bool,
    /// Connect through a proxy: socks5://[user[:password]@]host[:port]
    /// (Ferry resolves names), socks5h://… (the proxy resolves them) or
    /// http://… (HTTP CONNECT); port 1080 when none is given. Without it,
    /// ftp_proxy (ftps_proxy for ftps://), all_proxy and no_proxy are read
    /// as curl reads them; `--proxy ''` ignores them. Passive mode only.
    #[arg(long, global = true, value_name = "URL")]
    proxy: Option<String>,
    /// `--type` of get, put and mirror (not global: `find --type` is
    /// find(1)'s), laid on the connection options.
    #[arg(skip)]
    transfer_type: Option<TypeArg>,
    /// `get --segments N`, laid on the connection options so that `get -r`'s
    /// queue splits its large files too.
    #[arg(skip)]
    segments: Option<u16>,
}

/// `--type`: binary, ASCII or auto.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum TypeArg {
    /// Image (binary): every byte as it is.
    I,
    /// ASCII: text with line ends converted (CRLF on the wire).
    A,
    /// ASCII for text endings when line ends differ, else binary.
    Auto,
}

/// `--mode`: the FTP transfer modes.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum ModeArg {
    /// Stream (MODE S, the default): the file as it is; every server speaks it.
    S,
    /// Block (MODE B, RFC 959): blocks with an explicit end of file; few servers offer it.
    B,
    /// Compressed (MODE C, RFC 959): run-length encoding; few servers offer it.
    C,
    /// Deflate (MODE Z): zlib compression where the server offers it (proftpd, vsftpd does
    /// not). Not used for compressed files (zip, gz, jpg, mp4…), nor for uploads whose first
    /// 64 KiB deflate by less than 10 %. Helps text on slow links; costs CPU on fast ones.
    Z,
}

impl From<ModeArg> for crate::ftp::TransferMode {
    fn from(m: ModeArg) -> Self {
        use crate::ftp::TransferMode;
        match m {
            ModeArg::S => TransferMode::Stream,
            ModeArg::B => TransferMode::Block,
            ModeArg::C => TransferMode::Compressed,
            ModeArg::Z => TransferMode::Deflate,
        }
    }
}

#[derive(Subcommand, Debug)]
enum Command {
    /// List a remote folder.
    Ls {
        /// ftp://[user[:password]@]host[:port]/path, or site:NAME/path for a saved site
        url: String,
        /// Include hidden files (LIST -a) on servers without MLSD.
        #[arg(short = 'a', long)]
        all: bool,
    },
    /// Download a file, or a folder with -r.
    Get {
        url: String,
        /// Local file or folder (default: the remote name, in the current
        /// folder). With -r: an existing folder receives the copy inside it;
        /// otherwise this is the copy's name.
        local: Option<std::path::PathBuf>,
        #[command(flatten)]
        copy: CopyArgs,
    },
    /// Upload a file, or a folder with -r.
    Put {
        local: std::path::PathBuf,
        /// Remote file, or folder ending in `/` to put it inside.
        url: String,
        #[command(flatten)]
        copy: CopyArgs,
    },
    /// Make a folder the same as another: only new or changed files (by size
    /// and time) are copied. `ferry mirror URL LOCAL` downloads,
    /// `ferry mirror LOCAL URL` uploads.
    Mirror {
        /// The folder to copy from (an ftp:// URL or a local folder).
        source: String,
        /// The folder to make the same (a local folder or an ftp:// URL).
        target: String,
        /// Transfers at once, each on its own connection (1-32).
        #[arg(short = 'j', long = "jobs", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=32))]
        jobs: u16,
        /// Leave out names matching this pattern (`*`, `?`; with a `/`, matched
        /// against the path from the top), as `ferry sync --exclude`. Repeat for more.
        #[arg(long, value_name = "GLOB")]
        exclude: Vec<String>,
        /// Transfer type: i (binary, the default), a (ASCII text: TYPE A, line
        /// ends converted; never resumed), or auto (ASCII for text endings such
        /// as .txt .html .php .css .js .sh .conf, only when the server's line
        /// ends differ from this machine's, as a Windows server's do).
        #[arg(long = "type", value_enum, value_name = "TYPE")]
        transfer_type: Option<TypeArg>,
    },
    /// Compare a local and a remote folder and make the target the same:
    /// `ferry sync LOCAL URL` uploads, `ferry sync URL LOCAL` downloads,
    /// `--both` goes both ways. `--dry-run` prints the plan and changes nothing.
    Sync(sync::SyncArgs),
    /// Test a connection step by step (connect, greeting, login, FEAT, a
    /// listing through EPSV, PASV, EPRT and PORT, STAT) and say what works
    /// and which data mode to use. Exits 0 when a listing works.
    Diagnose {
        /// ftp://[user[:password]@]host[:port]/path, or site:NAME/path
        url: String,
    },
    /// Saved sites: list them, import FileZilla's, export them.
    Sites {
        #[command(subcommand)]
        action: sites::SitesAction,
    },
    /// Create a remote folder.
    Mkdir { url: String },
    /// Delete a remote file (or, with -d, an empty folder).
    Rm {
        url: String,
        /// Remove a folder (RMD) instead of a file.
        #[arg(short = 'd', long)]
        dir: bool,
    },
    /// Run the demo server without the window: prints its URL, user and
    /// password, and serves until Ctrl+C.
    ServeDemo(serve_demo::ServeDemoArgs),
    /// Edit a remote file: download it to a private temporary folder, run
    /// $VISUAL or $EDITOR (else the editor in Preferences) and wait, then
    /// upload it if it changed, unless the server's copy changed meanwhile
    /// (then your copy is kept and its path printed).
    Edit {
        /// ftp://[user[:password]@]host[:port]/path/file, or site:NAME/path
        url: String,
    },
    /// Change a remote file's permissions (SITE CHMOD), e.g. `ferry chmod
    /// 644 URL`; with -r a folder and everything inside it.
    Chmod {
        /// Three octal digits: 644, 755, 600…
        #[arg(value_name = "MODE")]
        octal: String,
        url: String,
        /// A folder and everything inside it (links are not followed).
        #[arg(short = 'r', long)]
        recursive: bool,
    },
    /// Search a remote folder and everything inside it (links are not
    /// followed) and print the matching paths, one a line, e.g.
    /// `ferry find URL --name '*.log' --newer 2024-01-01 --larger 10M`.
    Find(find::FindArgs),
    /// Rename or move a remote file or folder.
    Mv {
        url: String,
        /// New name: relative to the source's folder, or an absolute path.
        new_name: String,
    },
}

/// Flags shared by `get` and `put`.
#[derive(Args, Debug, Clone)]
struct CopyArgs {
    /// Copy a folder with everything in it.
    #[arg(short = 'r', long)]
    recursive: bool,
    /// Transfers at once with -r, each on its own connection (1-32).
    #[arg(short = 'j', long = "jobs", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=32))]
    jobs: u16,
    /// Resume partial files (REST) instead of starting over; the same as --if-exists resume.
    #[arg(short = 'c', long = "continue", conflicts_with = "if_exists")]
    resume: bool,
    /// What to do when a target file exists.
    #[arg(long, value_enum, value_name = "WHAT", default_value_t = IfExists::Overwrite)]
    if_exists: IfExists,
    /// Speed limit in bytes per second, as curl writes it: 500K, 2M, 1G, or
    /// plain bytes (K/M/G are powers of 1024). With -r -j N it is the total
    /// of all N connections together, not a limit per connection.
    #[arg(long, value_name = "RATE", value_parser = parse_limit_rate)]
    limit_rate: Option<crate::engine::rate_limit::RateLimit>,
    /// With -r: leave out names matching this pattern (`*`, `?`; with a `/`,
    /// matched against the path from the top), as `ferry sync --exclude`.
    /// Repeat for more. A folder left out is left out with all inside it.
    #[arg(long, value_name = "GLOB", requires = "recursive")]
    exclude: Vec<String>,
    /// Download a large file in N ranges at once, each on a connection of
    /// its own (REST), as lftp's `pget -n` does: faster when the server caps
    /// each connection. Files under 16 MiB, and servers without REST
    /// STREAM, go in one stream (1-16; downloads only).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=16))]
    segments: Option<u16>,
    /// Transfer type: i (binary, the default), a (ASCII text: TYPE A, line
    /// ends converted; never resumed), or auto (ASCII for text endings such
    /// as .txt .html .php .css .js .sh .conf, only when the server's line
    /// ends differ from this machine's, as a Windows server's do).
    #[arg(long = "type", value_enum, value_name = "TYPE")]
    transfer_type: Option<TypeArg>,
}

/// `--limit-rate`: one bucket for the whole command, shared by its connections.
fn parse_limit_rate(text: &str) -> Result<crate::engine::rate_limit::RateLimit, String> {
    crate::engine::rate_limit::parse_rate(text).map(crate::engine::rate_limit::RateLimit::new)
}

/// `--if-exists`: the command line's answers to "the target exists".
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum IfExists {
    /// Replace it.
    Overwrite,
    /// Replace it only when the source is newer.
    Newer,
    /// Continue it from its size (REST).
    Resume,
    /// Keep it and write `NAME (1).ext`.
    Rename,
    /// Keep it and skip the file.
    Skip,
}

impl CopyArgs {
    fn on_existing(&self) -> crate::engine::OnExisting {
        use crate::engine::OnExisting;
        if self.resume {
            return OnExisting::Resume;
        }
        match self.if_exists {
            IfExists::Overwrite => OnExisting::Overwrite,
            IfExists::Newer => OnExisting::OverwriteIfNewer,
            IfExists::Resume => OnExisting::Resume,
            IfExists::Rename => OnExisting::Rename,
            IfExists::Skip => OnExisting::Skip,
        }
    }
}

fn parse_port_range(s: &str) -> Result<RangeInclusive<u16>, String> {
    let (a, b) = s.split_once('-').ok_or("expected A-B, e.g. 50000-50100")?;
    let a: u16 = a.trim().parse().map_err(|_| format!("not a port: {a}"))?;
    let b: u16 = b.trim().parse().map_err(|_| format!("not a port: {b}"))?;
    if a == 0 || a > b {
        return Err(format!("the range {a}-{b} is empty or starts at 0"));
    }
    Ok(a..=b)
}

fn parse_timeout(s: &str) -> Result<Duration, String> {
    let secs: u64 = s
        .parse()
        .map_err(|_| format!("not a number of seconds: {s}"))?;
    if secs == 0 {
        return Err("the timeout must be at least 1 second".into());
    }
    Ok(Duration::from_secs(secs))
}

fn parse_fingerprint_arg(s: &str) -> Result<[u8; 32], String> {
    tls::parse_fingerprint(s)
        .ok_or_else(|| "expected a SHA-256 fingerprint: 64 hex digits, colons optional".into())
}

/// A failure of a CLI command: a message and an exit code.
#[derive(Debug)]
pub struct CliError {
    pub code: u8,
    pub message: String,
}

impl CliError {
    pub fn usage(message: impl Into<String>) -> CliError {
        CliError {
            code: exit::USAGE,
            message: message.into(),
        }
    }

    pub fn transfer(message: impl Into<String>) -> CliError {
        CliError {
            code: exit::TRANSFER,
            message: message.into(),
        }
    }
}

impl From<FtpError> for CliError {
    fn from(e: FtpError) -> CliError {
        let code = match e.class() {
            ErrorClass::Connection => exit::CONNECTION,
            ErrorClass::Operation => exit::TRANSFER,
            ErrorClass::Usage => exit::USAGE,
        };
        let mut message = e.to_string();
        if let FtpError::UntrustedCertificate { cert, .. } = &e {
            message.push_str(&format!(
                "\n  subject:  {}\n  issuer:   {}\n  valid:    {} to {}\n  SHA-256:  {}\nTo trust exactly this certificate, run again with --fingerprint {}",
                cert.subject,
                cert.issuer,
                cert.not_before,
                cert.not_after,
                cert.fingerprint_colon(),
                cert.fingerprint_hex()
            ));
        }
        CliError { code, message }
    }
}

/// Run the command line; returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // Before the window opens too: RUST_LOG traces its start-up.
    if std::env::var_os("RUST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .try_init();
    }
    // Servers earlier runs found taking one command at a time, and keeping
    // what this run finds (the window's start never waits on the disk).
    let server_notes = || {
        if let Ok(dir) = crate::sites::default_config_dir() {
            crate::sites::server_notes::install(&dir);
        }
    };
    let command = match cli.command {
        None => {
            std::thread::spawn(server_notes);
            return crate::ui::run(cli.demo);
        }
        // Runs until Ctrl+C, which is its normal end, not an interruption.
        Some(Command::ServeDemo(args)) => return serve_demo::main(args),
        Some(command) => {
            server_notes();
            command
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ferry: could not start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        tokio::select! {
            r = commands::run(command, cli.net) => r,
            _ = tokio::signal::ctrl_c() => Err(CliError {
                code: exit::INTERRUPTED,
                message: "interrupted; a partial download is kept as NAME.part — run again with --continue to resume".into(),
            }),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ferry: {}", e.message);
            ExitCode::from(e.code)
        }
    }
}

/// Build connection options from a URL (or a saved site) and the network
/// flags; asks for the password when neither the URL, `FERRY_PASSWORD` nor
/// the keyring has one.
fn connect_options(url: &RemoteArg, net: &NetArgs) -> Result<ConnectOptions, CliError> {
    let mut spec = match &url.site {
        Some(site) => {
            let password = if site.needs_password() {
                // The keyring, or the encrypted password file without one.
                let saved = sites::saved_password(site)?;
                ask_password(&site.user, &site.host, saved)?
            } else {
                String::new()
            };
            let mut spec = site.connect_spec(&password);
            // A certificate the user trusted for the site is pinned.
            spec.trust = crate::sites::default_config_dir()
                .and_then(|dir| TrustStore::load(&dir))
                .map(|(store, _)| store.policy_for(&site.host_port()))
                .unwrap_or(TrustPolicy::SystemRoots);
            spec
        }
        None => {
            let mut spec = ConnectSpec::from_url(&url.url);
            if let (Some(user), None) = (&url.user, &url.password) {
                spec.password = ask_password(user, &url.host, None)?;
            }
            spec
        }
    };
    lay_flags(&mut spec, net);
    let preferences = crate::sites::default_config_dir()
        .ok()
        .and_then(|dir| std::fs::read_to_string(dir.join(crate::prefs::PREFS_FILE)).ok())
        .and_then(|text| toml::from_str::<crate::prefs::Preferences>(&text).ok())
        .map(|p| p.network.proxy)
        .unwrap_or_default();
    let chosen = proxy::choose(
        net.proxy.as_deref(),
        url.site.as_ref().map(|s| &s.proxy),
        &preferences,
        spec.protocol == Protocol::ImplicitTls,
        &spec.host,
        &|name| std::env::var(name).ok(),
    );
    if let Some((proxy_url, source)) = chosen {
        spec.proxy = Some(proxy::resolve(&proxy_url, &source)?);
    }
    Ok(spec.options())
}

/// The network flags, over what the URL or the saved site says.
fn lay_flags(spec: &mut ConnectSpec, net: &NetArgs) {
    if net.tls
        && matches!(
            spec.protocol,
            Protocol::Ftp | Protocol::ExplicitTlsIfAvailable
        )
    {
        spec.protocol = Protocol::ExplicitTls;
    }
    if net.active {
        spec.mode = ConnectionMode::Active;
    } else if net.passive {
        spec.mode = ConnectionMode::Passive;
    }
    if net.auto && spec.mode != ConnectionMode::Auto {
        // Start in the mode asked for (passive unless --active), then fall back.
        spec.last_working_mode = Some(spec.mode);
        spec.mode = ConnectionMode::Auto;
    }
    if let Some(charset) = net.charset {
        spec.charset = charset;
    }
    if let Some(t) = net.timeout {
        spec.timeout = Some(t);
    }
    if net.external_ip.is_some() {
        spec.external_ip = net.external_ip;
    }
    if net.port_range.is_some() {
        spec.port_range = net.port_range.clone();
    }
    spec.trust_pasv_host |= net.trust_pasv_host;
    if let Some(mode) = net.mode {
        spec.transfer_mode = mode.into();
    }
    if let Some(n) = net.segments {
        spec.segments = n;
    }
    if let Some(t) = net.transfer_type {
        use crate::ftp::ascii::TypeChoice;
        spec.transfer_type = Some(match t {
            TypeArg::I => TypeChoice::Binary,
            TypeArg::A => TypeChoice::Ascii,
            TypeArg::Auto => TypeChoice::Auto,
        });
    }
    if let Some(policy) = trust_policy(net) {
        spec.trust = policy;
    }
}

fn parse_charset(text: &str) -> Result<NameCharset, String> {
    NameCharset::from_label(text).ok_or_else(|| {
        format!("unknown charset {text:?}; try utf-8, iso-8859-1, windows-1252 or shift_jis")
    })
}

/// Save `mode` as the one that works for `site` (an Auto site starts with
/// it next time). Says so, or why it could not.
fn remember_working_mode(site: &Site, mode: DataMode) {
    if site.mode != crate::sites::ConnectionMode::Auto {
        return;
    }
    let saved = crate::sites::SiteStore::open_default()
        .and_then(|store| store.remember_working_mode(&site.id, mode.into()));
    match saved {
        Ok(true) => eprintln!(
            "ferry: site {}: {mode} mode saved as the one that works",
            site.name
        ),
        Ok(false) => {}
        Err(e) => eprintln!(
            "ferry: could not save the working mode for site {}: {e}",
            site.name
        ),
    }
}

/// The password: `FERRY_PASSWORD`, else `saved` (the keyring), else asked
/// for without echo on a terminal.
fn ask_password(user: &str, host: &str, saved: Option<String>) -> Result<String, CliError> {
    if let Ok(p) = std::env::var("FERRY_PASSWORD") {
        return Ok(p);
    }
    if let Some(p) = saved {
        return Ok(p);
    }
    if std::io::stdin().is_terminal() {
        return rpassword::prompt_password(format!("Password for {user}@{host}: "))
            .map_err(|e| CliError::usage(format!("could not read the password: {e}")));
    }
    Err(CliError::usage(format!(
        "no password for {user}: put it in the URL or in FERRY_PASSWORD, or run from a terminal to be asked"
    )))
}

/// The trust policy the flags ask for, if any (`--insecure`, `--fingerprint`).
fn trust_policy(net: &NetArgs) -> Option<TrustPolicy> {
    if net.insecure {
        eprintln!(
            "ferry: warning: --insecure: the server's certificate is not checked; anyone on the network path can read and change this session"
        );
        Some(TrustPolicy::Insecure)
    } else if !net.fingerprint.is_empty() {
        Some(TrustPolicy::Pinned(net.fingerprint.clone()))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// clap checks the whole command tree only when asked: two arguments
    /// sharing a name (a global `--type` and `find --type`) would otherwise
    /// surface only when that subcommand runs.
    #[test]
    fn the_command_line_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
        let get = Cli::try_parse_from(["ferry", "get", "--type", "a", "ftp://h/f", "f"])
            .expect("get --type parses");
        assert!(matches!(
            get.command,
            Some(Command::Get { copy, .. }) if copy.transfer_type == Some(TypeArg::A)
        ));
        Cli::try_parse_from(["ferry", "find", "ftp://h/", "--type", "f"])
            .expect("find --type parses");
    }
}
