//! The protocol layer's error type: every message names what failed, why, and
//! what to try, with the host or path last.

use std::fmt;
use std::io;

use super::modes::TransferMode;
use super::tls::CertificateInfo;

/// Which of FTP's two connections a failure happened on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Control,
    Data,
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Channel::Control => "control",
            Channel::Data => "data",
        })
    }
}

/// How data connections are opened: the client connects (passive) or the
/// server connects back (active).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DataMode {
    #[default]
    Passive,
    Active,
}

impl DataMode {
    /// The other mode: what to suggest when this one is blocked.
    pub fn other(self) -> DataMode {
        match self {
            DataMode::Passive => DataMode::Active,
            DataMode::Active => DataMode::Passive,
        }
    }
}

impl fmt::Display for DataMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DataMode::Passive => "passive",
            DataMode::Active => "active",
        })
    }
}

/// A broad class of failure, for callers that pick exit codes or retry policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Could not reach the server, log in, or trust it.
    Connection,
    /// Connected, but a command or transfer failed.
    Operation,
    /// The caller asked for something invalid before anything was sent.
    Usage,
}

/// Everything that can go wrong talking to an FTP server.
#[derive(Debug, thiserror::Error)]
pub enum FtpError {
    #[error("could not resolve the server's name: {source}; check the host name: {host}")]
    Resolve { host: String, source: io::Error },

    #[error("{channel} connection failed{mode}: {source}; {hint}: {addr}")]
    Io {
        channel: Channel,
        /// `" (passive)"`, `" (active)"` or empty for the control channel.
        mode: ModeNote,
        source: io::Error,
        hint: &'static str,
        addr: String,
    },

    #[error("{channel} connection timed out after {secs} s {what}{mode}; {hint}: {addr}")]
    Timeout {
        channel: Channel,
        what: String,
        secs: u64,
        mode: ModeNote,
        hint: &'static str,
        addr: String,
    },

    #[error("the server closed the control connection; reconnect and try again: {addr}")]
    ControlClosed { addr: String },

    #[error(
        "the server sent a malformed reply ({detail}); this server may not speak FTP correctly: {addr}"
    )]
    Protocol { detail: String, addr: String },

    #[error("{command} refused by the server: {code} {text}")]
    Reply {
        command: String,
        code: u16,
        text: String,
    },

    #[error(
        "login failed: {code} {reason} — check the user name and password ({user}@{host})",
        reason = .text.trim_end_matches(['.', ' '])
    )]
    Login {
        code: u16,
        text: String,
        user: String,
        host: String,
    },

    #[error(
        "refusing to send a command argument containing CR, LF or NUL (it would inject FTP commands): {arg:?}"
    )]
    InvalidArgument { arg: String },

    #[error("TLS handshake failed on the {channel} connection: {detail}: {addr}")]
    Tls {
        channel: Channel,
        detail: String,
        addr: String,
    },

    #[error(
        "{reason}, so it is not trusted; compare its SHA-256 fingerprint {} with the one your administrator gives you, then trust exactly it: {addr}",
        cert.fingerprint_colon()
    )]
    UntrustedCertificate {
        cert: Box<CertificateInfo>,
        /// Why, in words: "the server's certificate is self-signed".
        reason: String,
        addr: String,
    },

    #[error("transfer incomplete: received {got} of {expected} bytes; try again to resume: {path}")]
    Incomplete {
        got: u64,
        expected: u64,
        path: String,
    },

    #[error(
        "the {mode} data from the server is malformed: {detail}; try again, or choose Stream transfer mode: {addr}"
    )]
    DataFormat {
        mode: TransferMode,
        detail: String,
        addr: String,
    },

    #[error("a transfer is still open on this connection; finish or abort it first")]
    Busy,

    #[error("cancelled")]
    Cancelled,

    #[error(
        "lost track of the server's replies after an interrupted command; the connection must be reopened: {addr}"
    )]
    OutOfStep { addr: String },

    #[error(
        "data connections fail in both modes — {first_mode}: {first}; {second_mode}: {second}. Check the server's firewall (passive ports) and yours (active), or run `ferry diagnose`"
    )]
    DataBlocked {
        first_mode: DataMode,
        first: Box<FtpError>,
        second_mode: DataMode,
        second: Box<FtpError>,
    },

    /// Connecting through a proxy failed; `proxy` reads "the SOCKS5 proxy
    /// 127.0.0.1:1080" and `problem` says what went wrong and what to do.
    /// Also active mode through a proxy, which cannot work.
    #[error("{proxy} {problem}")]
    Proxy {
        channel: Channel,
        proxy: String,
        problem: String,
    },

    #[error("{what} failed locally: {source}: {path}")]
    Local {
        what: &'static str,
        source: io::Error,
        path: String,
    },
}

/// Renders a data mode as `" (passive)"` inside a message, or nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModeNote(pub Option<DataMode>);

impl fmt::Display for ModeNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(m) => write!(f, " ({m})"),
            None => Ok(()),
        }
    }
}

impl FtpError {
    /// The broad class of this error.
    pub fn class(&self) -> ErrorClass {
        match self {
            FtpError::Resolve { .. }
            | FtpError::Login { .. }
            | FtpError::UntrustedCertificate { .. }
            | FtpError::ControlClosed { .. }
            | FtpError::OutOfStep { .. } => ErrorClass::Connection,
            FtpError::Io { channel, .. }
            | FtpError::Timeout { channel, .. }
            | FtpError::Tls { channel, .. }
            | FtpError::Proxy { channel, .. } => match channel {
                Channel::Control => ErrorClass::Connection,
                Channel::Data => ErrorClass::Operation,
            },
            FtpError::Protocol { .. } => ErrorClass::Connection,
            FtpError::InvalidArgument { .. } | FtpError::Busy => ErrorClass::Usage,
            FtpError::Reply { .. }
            | FtpError::Incomplete { .. }
            | FtpError::DataFormat { .. }
            | FtpError::Local { .. }
            | FtpError::DataBlocked { .. }
            | FtpError::Cancelled => ErrorClass::Operation,
        }
    }

    /// True when the control connection can no longer be used and the
    /// session has to be reopened.
    pub fn is_fatal_to_session(&self) -> bool {
        match self {
            FtpError::ControlClosed { .. }
            | FtpError::Protocol { .. }
            | FtpError::OutOfStep { .. } => true,
            FtpError::Io { channel, .. }
            | FtpError::Timeout { channel, .. }
            | FtpError::Tls { channel, .. }
            | FtpError::Proxy { channel, .. } => *channel == Channel::Control,
            _ => false,
        }
    }

    /// The reply code when the server refused something.
    pub fn reply_code(&self) -> Option<u16> {
        match self {
            FtpError::Reply { code, .. } | FtpError::Login { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// The data mode a data-channel failure happened in, so a caller can
    /// offer the other one.
    pub fn failed_data_mode(&self) -> Option<DataMode> {
        match self {
            FtpError::Io {
                channel: Channel::Data,
                mode,
                ..
            }
            | FtpError::Timeout {
                channel: Channel::Data,
                mode,
                ..
            } => mode.0,
            _ => None,
        }
    }
}

/// What to suggest when a data connection cannot be opened in `mode`.
pub(crate) fn data_hint(mode: DataMode) -> &'static str {
    match mode {
        DataMode::Passive => {
            "the server's data ports may be blocked by a firewall or NAT — try Active mode"
        }
        DataMode::Active => {
            "the server could not connect back, a firewall or NAT on your side may block it — try Passive mode"
        }
    }
}

pub(crate) const CONTROL_HINT: &str =
    "check the host and port, and whether a firewall blocks the connection";

pub type Result<T, E = FtpError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_error_reads_as_one_sentence() {
        let e = FtpError::Login {
            code: 530,
            text: "Login incorrect.".into(),
            user: "ftptest".into(),
            host: "host:2121".into(),
        };
        assert_eq!(
            e.to_string(),
            "login failed: 530 Login incorrect — check the user name and password (ftptest@host:2121)"
        );
    }
}
