//! How to reach and talk to a server: everything a session needs to connect.

use std::net::IpAddr;
use std::ops::RangeInclusive;
use std::time::Duration;

use super::ascii::TypeChoice;
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
    /// `AUTH TLS` before logging in, continuing in plain FTP only when the
    /// server does not offer TLS (it refuses AUTH); the session log says so.
    ExplicitIfAvailable,
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

/// How file names on the server are encoded. Names are kept as the server's
/// bytes for every command, so nothing is lost either way; the charset only
/// says how to show them, how to name local copies, and how to encode names
/// the user types or uploads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NameCharset {
    /// UTF-8 when the server announces it (FEAT), and read as UTF-8 anyway.
    #[default]
    Auto,
    /// UTF-8, announced with `OPTS UTF8 ON` even when FEAT does not list it.
    Utf8,
    /// A legacy encoding (ISO-8859-1, windows-1251, Shift_JIS, …).
    Legacy(&'static encoding_rs::Encoding),
}

impl NameCharset {
    /// The charset with this name ("auto", "utf-8", or an encoding label).
    pub fn from_label(label: &str) -> Option<NameCharset> {
        match label.trim().to_ascii_lowercase().as_str() {
            "" | "auto" => Some(NameCharset::Auto),
            "utf-8" | "utf8" => Some(NameCharset::Utf8),
            // FTP commands are ASCII: only encodings that keep ASCII as it
            // is (not UTF-16) can carry names in them.
            other => encoding_rs::Encoding::for_label(other.as_bytes())
                .filter(|e| e.is_ascii_compatible())
                .map(|e| {
                    if e == encoding_rs::UTF_8 {
                        NameCharset::Utf8
                    } else {
                        NameCharset::Legacy(e)
                    }
                }),
        }
    }

    /// A name from the server as text.
    pub fn decode<'a>(&self, bytes: &'a [u8]) -> std::borrow::Cow<'a, str> {
        match self {
            NameCharset::Auto | NameCharset::Utf8 => String::from_utf8_lossy(bytes),
            NameCharset::Legacy(e) => e.decode_without_bom_handling(bytes).0,
        }
    }

    /// A name as the server's bytes; fails when a character has no place in
    /// the server's encoding (it would be sent as something else).
    pub fn encode(&self, text: &str) -> Result<Vec<u8>, String> {
        match self {
            NameCharset::Auto | NameCharset::Utf8 => Ok(text.as_bytes().to_vec()),
            NameCharset::Legacy(e) => {
                let (bytes, _, unmappable) = e.encode(text);
                if unmappable {
                    Err(format!(
                        "{text:?} has characters that {} cannot encode",
                        e.name()
                    ))
                } else {
                    Ok(bytes.into_owned())
                }
            }
        }
    }
}

/// Everything needed to open and log in a session. Its `Debug` form masks
/// the password (options travel in engine commands and events, which are
/// logged and shown in panics).
#[derive(Clone, Default, PartialEq, Eq)]
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
    /// How the server encodes file names.
    pub charset: NameCharset,
    /// The transfer mode file transfers ask for (`MODE B/C/Z`; stream by
    /// default). Listings and resumed transfers go in stream mode; MODE Z is
    /// skipped for compressed files and where the server does not offer it;
    /// a refusal falls back to stream (see `Session::download`).
    pub transfer_mode: TransferMode,
    /// How far ahead of UTC the server's `LIST` times are, in minutes, when
    /// the user set it for the site. `None`: found when it matters (a
    /// comparison asks one file's `MDTM`, which is UTC). MLSD times are UTC
    /// and never shifted.
    pub list_time_offset_minutes: Option<i32>,
    /// Connect through this proxy (control and passive data connections;
    /// active mode is refused). `None`: connect directly.
    pub proxy: Option<super::proxy::Proxy>,
    /// Binary, ASCII, or ASCII for text files when line ends differ (see
    /// `ascii`). `None`: not chosen for this connection (binary, unless the
    /// transfer queue lays the Preferences' choice on it).
    pub transfer_type: Option<TypeChoice>,
    /// The endings `TypeChoice::Auto` treats as text, without dots; empty
    /// means `ascii::DEFAULT_TEXT_ENDINGS`.
    pub text_endings: Vec<String>,
    /// Split a large download into this many ranges on connections of their
    /// own (engine's `segments`; 1: one stream; 0: not chosen, so the
    /// transfer queue uses the Preferences'). Carried with the options so
    /// that a site's choice reaches the transfer queue.
    pub segments: u16,
    /// Never send a command before the previous one's reply, even to a
    /// server known to take one command at a time (a site remembered to
    /// have answered pipelined commands out of order; lftp's
    /// `ftp:sync-mode`).
    pub one_command_at_a_time: bool,
}

/// What `Debug` shows instead of a password: whether there is one, never it.
pub fn masked(secret: &str) -> &'static str {
    if secret.is_empty() { "" } else { "***" }
}

impl std::fmt::Debug for ConnectOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Destructured, so a new field cannot be left out by accident.
        let ConnectOptions {
            host,
            port,
            user,
            password,
            account,
            security,
            trust,
            mode,
            timeouts,
            external_ip,
            port_range,
            trust_pasv_host,
            list_hidden,
            auto_fallback,
            keepalive,
            charset,
            transfer_mode,
            list_time_offset_minutes,
            proxy,
            transfer_type,
            text_endings,
            segments,
            one_command_at_a_time,
        } = self;
        f.debug_struct("ConnectOptions")
            .field("host", host)
            .field("port", port)
            .field("user", user)
            .field("password", &format_args!("{:?}", masked(password)))
            .field("account", account)
            .field("security", security)
            .field("trust", trust)
            .field("mode", mode)
            .field("timeouts", timeouts)
            .field("external_ip", external_ip)
            .field("port_range", port_range)
            .field("trust_pasv_host", trust_pasv_host)
            .field("list_hidden", list_hidden)
            .field("auto_fallback", auto_fallback)
            .field("keepalive", keepalive)
            .field("charset", charset)
            .field("transfer_mode", transfer_mode)
            .field("list_time_offset_minutes", list_time_offset_minutes)
            .field("proxy", proxy)
            .field("transfer_type", transfer_type)
            .field("text_endings", text_endings)
            .field("segments", segments)
            .field("one_command_at_a_time", one_command_at_a_time)
            .finish()
    }
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

    /// `user@host:port`: which login on which server, for messages and to
    /// match events to a connection.
    pub fn user_at(&self) -> String {
        format!("{}@{}", self.user, self.addr_text())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_masks_the_password() {
        let secret = "hunter2-Sekr1t";
        let options = ConnectOptions::new("ftp.example.com", 21, "alice", secret);
        for text in [format!("{options:?}"), format!("{options:#?}")] {
            assert!(!text.contains(secret), "{text}");
            assert!(text.contains("password: \"***\""), "{text}");
            assert!(text.contains("alice") && text.contains("ftp.example.com"));
        }
        let anonymous = ConnectOptions::new("ftp.example.com", 21, "anonymous", "");
        assert!(format!("{anonymous:?}").contains("password: \"\""));
    }

    #[test]
    fn charsets_by_label_decode_and_encode_names() {
        assert_eq!(NameCharset::from_label(""), Some(NameCharset::Auto));
        assert_eq!(NameCharset::from_label("UTF-8"), Some(NameCharset::Utf8));
        assert_eq!(
            NameCharset::from_label("unicode-1-1-utf-8"),
            Some(NameCharset::Utf8)
        );
        assert_eq!(NameCharset::from_label("no such charset"), None);
        assert_eq!(
            NameCharset::from_label("utf-16le"),
            None,
            "not ASCII-compatible"
        );
        let latin1 = NameCharset::from_label("ISO-8859-1").unwrap();
        assert_eq!(latin1.decode(b"caf\xe9.txt"), "café.txt");
        assert_eq!(latin1.encode("café.txt").unwrap(), b"caf\xe9.txt");
        assert!(latin1.encode("日本.txt").is_err(), "not silently replaced");
        assert_eq!(NameCharset::Auto.decode(b"caf\xc3\xa9"), "café");
        assert_eq!(NameCharset::Auto.decode(b"caf\xe9"), "caf\u{fffd}");
        let cyrillic = NameCharset::from_label("windows-1251").unwrap();
        assert_eq!(cyrillic.decode(b"\xf4\xe0\xe9\xeb"), "файл");
    }
}
