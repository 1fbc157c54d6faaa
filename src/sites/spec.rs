//! One way to build [`ConnectOptions`]: the connection form, a saved site and
//! a URL each fill a [`ConnectSpec`], in the words the user chose (protocol,
//! logon, connection mode), and [`ConnectSpec::options`] turns it into what
//! the protocol engine needs. The command line lays its flags on the spec.

use std::net::IpAddr;
use std::ops::RangeInclusive;
use std::time::Duration;

use super::profile::{ConnectionMode, LogonType, Protocol, TransferMode};
use crate::ftp::ascii::TypeChoice;
use crate::ftp::url::FtpUrl;
use crate::ftp::{ConnectOptions, DataMode, NameCharset, Proxy, Security, Timeouts, TrustPolicy};

/// The user name and password sent for anonymous logon.
pub const ANONYMOUS_USER: &str = "anonymous";
pub const ANONYMOUS_PASSWORD: &str = "ferry@";

/// A connection as the user described it. Every field has the default a new
/// connection starts with.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConnectSpec {
    pub protocol: Protocol,
    pub host: String,
    /// `None`: the protocol's usual port (21, or 990 for implicit TLS).
    pub port: Option<u16>,
    pub logon: LogonType,
    /// Unused for anonymous logon.
    pub user: String,
    /// Unused for anonymous logon.
    pub password: String,
    /// Sent with ACCT if the server asks for an account after the password.
    pub account: Option<String>,
    pub mode: ConnectionMode,
    /// Auto mode starts with the mode that last worked (passive if none).
    pub last_working_mode: Option<ConnectionMode>,
    pub transfer_mode: TransferMode,
    /// One deadline for every network wait; `None` keeps Ferry's defaults.
    pub timeout: Option<Duration>,
    pub keepalive: Option<Duration>,
    pub external_ip: Option<IpAddr>,
    pub port_range: Option<RangeInclusive<u16>>,
    pub trust_pasv_host: bool,
    pub list_hidden: bool,
    pub charset: NameCharset,
    pub trust: TrustPolicy,
    /// The server's `LIST` times are this many minutes ahead of UTC
    /// (`None`: found when a comparison needs it).
    pub list_time_offset_minutes: Option<i32>,
    /// Connect through this proxy (its password included); `None`: directly.
    pub proxy: Option<Proxy>,
    /// Binary, ASCII, or ASCII for text files when line ends differ
    /// (`None`: not chosen here; the Preferences' in the window's queue).
    pub transfer_type: Option<TypeChoice>,
    /// Endings `TypeChoice::Auto` treats as text (empty: the defaults).
    pub text_endings: Vec<String>,
    /// Ranges a large download is split into (1: one stream; 0: not chosen
    /// here, the Preferences' in the window's queue).
    pub segments: u16,
}

impl ConnectSpec {
    /// A URL's server, login and security (`ftp://` plain, `ftps://`
    /// implicit TLS); no user means anonymous. Data connections are passive.
    pub fn from_url(url: &FtpUrl) -> ConnectSpec {
        let host = url
            .host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(&url.host);
        ConnectSpec {
            protocol: match url.security {
                Security::Implicit => Protocol::ImplicitTls,
                Security::Explicit => Protocol::ExplicitTls,
                Security::ExplicitIfAvailable => Protocol::ExplicitTlsIfAvailable,
                Security::None => Protocol::Ftp,
            },
            host: host.to_string(),
            port: Some(url.port),
            logon: if url.user.is_some() {
                LogonType::Normal
            } else {
                LogonType::Anonymous
            },
            user: url.user.clone().unwrap_or_default(),
            password: url.password.clone().unwrap_or_default(),
            mode: ConnectionMode::Passive,
            ..ConnectSpec::default()
        }
    }

    /// The port to connect to: the given one, or the protocol's usual port.
    pub fn effective_port(&self) -> u16 {
        self.port
            .unwrap_or_else(|| self.protocol.security().default_port())
    }

    /// The user name and password sent at login.
    pub fn login(&self) -> (String, String) {
        match self.logon {
            LogonType::Anonymous => (ANONYMOUS_USER.into(), ANONYMOUS_PASSWORD.into()),
            LogonType::Normal | LogonType::Ask => (self.user.clone(), self.password.clone()),
        }
    }

    /// The options a session connects with.
    pub fn options(&self) -> ConnectOptions {
        let (user, password) = self.login();
        let mut o = ConnectOptions::new(&self.host, self.effective_port(), user, password);
        o.account = self.account.clone();
        o.security = self.protocol.security();
        o.trust = self.trust.clone();
        (o.mode, o.auto_fallback) = match self.mode.fixed() {
            Some(mode) => (mode, false),
            // Through a proxy auto mode stays passive: active cannot work.
            None if self.proxy.is_some() => (DataMode::Passive, false),
            None => match self.last_working_mode {
                Some(ConnectionMode::Active) => (DataMode::Active, true),
                _ => (DataMode::Passive, true),
            },
        };
        o.timeouts = self.timeout.map(Timeouts::uniform).unwrap_or_default();
        o.keepalive = self.keepalive;
        o.external_ip = self.external_ip;
        o.port_range = self.port_range.clone();
        o.trust_pasv_host = self.trust_pasv_host;
        o.list_hidden = self.list_hidden;
        o.charset = self.charset;
        o.transfer_mode = self.transfer_mode;
        o.list_time_offset_minutes = self.list_time_offset_minutes;
        o.proxy = self.proxy.clone();
        o.transfer_type = self.transfer_type;
        o.text_endings = self.text_endings.clone();
        o.segments = self.segments;
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> ConnectSpec {
        ConnectSpec {
            host: "ftp.example.org".into(),
            user: "alice".into(),
            password: "pw".into(),
            ..ConnectSpec::default()
        }
    }

    #[test]
    fn a_new_spec_is_plain_ftp_auto_mode_and_default_deadlines() {
        let o = spec().options();
        assert_eq!((o.host.as_str(), o.port), ("ftp.example.org", 21));
        assert_eq!((o.user.as_str(), o.password.as_str()), ("alice", "pw"));
        assert_eq!(o.security, Security::None);
        assert_eq!((o.mode, o.auto_fallback), (DataMode::Passive, true));
        assert_eq!(o.timeouts, Timeouts::default());
        assert_eq!(o.trust, TrustPolicy::SystemRoots);
    }

    #[test]
    fn modes_map_to_data_mode_and_fallback() {
        let table = [
            (ConnectionMode::Passive, None, DataMode::Passive, false),
            (ConnectionMode::Active, None, DataMode::Active, false),
            (ConnectionMode::Auto, None, DataMode::Passive, true),
            (
                ConnectionMode::Auto,
                Some(ConnectionMode::Active),
                DataMode::Active,
                true,
            ),
            (
                ConnectionMode::Passive,
                Some(ConnectionMode::Active),
                DataMode::Passive,
                false,
            ),
        ];
        for (mode, last, want, fallback) in table {
            let o = ConnectSpec {
                mode,
                last_working_mode: last,
                ..spec()
            }
            .options();
            assert_eq!(
                (o.mode, o.auto_fallback),
                (want, fallback),
                "{mode:?} {last:?}"
            );
        }
    }

    #[test]
    fn anonymous_logon_ignores_the_user_and_password() {
        let o = ConnectSpec {
            logon: LogonType::Anonymous,
            ..spec()
        }
        .options();
        assert_eq!(
            (o.user.as_str(), o.password.as_str()),
            (ANONYMOUS_USER, ANONYMOUS_PASSWORD)
        );
    }

    #[test]
    fn protocols_choose_security_and_the_usual_port() {
        for (protocol, security, port) in [
            (Protocol::Ftp, Security::None, 21),
            (Protocol::ExplicitTls, Security::Explicit, 21),
            (
                Protocol::ExplicitTlsIfAvailable,
                Security::ExplicitIfAvailable,
                21,
            ),
            (Protocol::ImplicitTls, Security::Implicit, 990),
        ] {
            let o = ConnectSpec { protocol, ..spec() }.options();
            assert_eq!((o.security, o.port), (security, port), "{protocol:?}");
        }
        let o = ConnectSpec {
            port: Some(2121),
            protocol: Protocol::ImplicitTls,
            ..spec()
        }
        .options();
        assert_eq!(o.port, 2121);
    }

    #[test]
    fn urls_give_server_login_and_scheme_security() {
        let url = FtpUrl::parse("ftps://bob:s%40cret@[2001:db8::1]:2990/pub").unwrap();
        let o = ConnectSpec::from_url(&url).options();
        assert_eq!((o.host.as_str(), o.port), ("2001:db8::1", 2990));
        assert_eq!((o.user.as_str(), o.password.as_str()), ("bob", "s@cret"));
        assert_eq!(o.security, Security::Implicit);
        assert_eq!((o.mode, o.auto_fallback), (DataMode::Passive, false));
        let o = ConnectSpec::from_url(&FtpUrl::parse("ftp://h").unwrap()).options();
        assert_eq!(o.security, Security::None);
        assert_eq!(o.user, ANONYMOUS_USER);
    }
}
