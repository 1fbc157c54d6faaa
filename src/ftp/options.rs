//! How to reach and talk to a server: everything a session needs to connect.

use std::net::IpAddr;
use std::ops::RangeInclusive;
use std::time::Duration;

pub use super::error::DataMode;
use super::modes::TransferMode;
use super::tls::TrustPolicy;

/// Whether and how the session is encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Security {
    /// Plain FTP: everything, the password included, crosses the network readable.
    #[default]
    None,
    /// Explicit FTPS: connect in plain, then `AUTH TLS` before logging in.
    Explicit,
    /// Implicit FTPS: TLS from the first byte (usually port 990).
    Implicit,
}

impl Security {
    /// The usual port for this security mode.
    pub fn default_port(self) -> u16 {
        match self {
            Security::Implicit => 990,
            _ => 21,
        }
    }
}

/// Deadlines for every kind of network wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Opening the control connection (DNS + TCP + implicit TLS).
    pub connect: Duration,
    /// Each reply on the control connection.
    pub reply: Duration,
    /// Opening a data connection (connect in passive, accept in active, and its TLS handshake).
    pub data_connect: Duration,
    /// A data connection on which no byte moves for this long has failed.
    pub data_idle: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(15),
            reply: Duration::from_secs(30),
            data_connect: Duration::from_secs(15),
            data_idle: Duration::from_secs(30),
        }
    }
}

impl Timeouts {
    /// The same deadline for every wait (the CLI's `--timeout`).
    pub fn uniform(d: Duration) -> Timeouts {
        Timeouts {
            connect: d,
            reply: d,
            data_connect: d,
            data_idle: d,
        }
    }
}

/// Everything needed to open and log in a session.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectOptions {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: String,
    /// Sent with ACCT if the server asks for an account after the password.
    pub account: Option<String>,
    pub security: Security,
    pub trust: TrustPolicy,
    pub mode: DataMode,
    pub timeouts: Timeouts,
    /// Active mode: the address to tell the server (behind NAT), instead of
    /// the control connection's local address.
    pub external_ip: Option<IpAddr>,
    /// Active mode: the local ports to listen on (a firewall may allow only these).
    pub port_range: Option<RangeInclusive<u16>>,
    /// Passive mode: connect to the host the PASV reply names instead of the
    /// control connection's peer. Off by default: servers behind NAT often
    /// name a private address.
    pub trust_pasv_host: bool,
    /// Use `LIST -a` (show hidden files) when the server has no MLSD.
    pub list_hidden: bool,
    /// Auto mode: when a data connection cannot be opened in `mode`, try the
    /// other mode once and keep it if it works.
    pub auto_fallback: bool,
    /// Send NOOP after this long without a command, so an idle connection
    /// stays open through NAT and firewalls and a dead one is noticed while
    /// idle. `None` (the default) sends nothing.
    pub keepalive: Option<Duration>,
    /// The transfer mode file transfers ask for (`MODE B/C/Z`; stream by
    /// default). Listings and resumed transfers go in stream mode; MODE Z is
    /// skipped for compressed files and where the server does not offer it;
    /// a refusal falls back to stream (see `Session::download`).
    pub transfer_mode: TransferMode,
}

impl ConnectOptions {
    /// Options with defaults for everything but where and who.
    pub fn new(
        host: impl Into<String>,
        port: u16,
        user: impl Into<String>,
        password: impl Into<String>,
    ) -> ConnectOptions {
        ConnectOptions {
            host: host.into(),
            port,
            user: user.into(),
            password: password.into(),
            ..ConnectOptions::default()
        }
    }

    /// `host:port`, bracketing IPv6 literals, for messages.
    pub fn addr_text(&self) -> String {
        if self.host.contains(':') && !self.host.starts_with('[') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}
