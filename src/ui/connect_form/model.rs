//! The connection form as typed, shared by the connection dialog, the
//! quick-connect bar and the Site Manager: every field as text, validation
//! that names the field at fault, URL and `host:port` parsing, and the
//! conversion into a [`ConnectSpec`] (and so into `ConnectOptions`). No egui
//! here; `widget.rs` draws it.

use std::net::{IpAddr, Ipv6Addr};
use std::ops::RangeInclusive;
use std::time::Duration;

use crate::engine::segments::MAX_SEGMENTS;
use crate::ftp::ConnectOptions;
use crate::ftp::Security;
use crate::ftp::ascii::TypeChoice;
use crate::ftp::url::FtpUrl;
pub use crate::ftp::url::looks_like_url;
pub use crate::sites::{
    ANONYMOUS_PASSWORD, ANONYMOUS_USER, ConnectSpec, ConnectionMode, LogonType, PortRange,
    Protocol, Site, SiteProxy, TransferMode,
};

/// The labels of the form's fields: shown next to each input, used as its
/// accessible name, and named by [`ConnectForm::validate`] errors.
pub mod field {
    pub const PROTOCOL: &str = "Protocol";
    pub const HOST: &str = "Host";
    pub const PORT: &str = "Port";
    pub const LOGON: &str = "Logon type";
    pub const USER: &str = "User";
    pub const PASSWORD: &str = "Password";
    pub const MODE: &str = "Connection mode";
    pub const TRANSFER_MODE: &str = "Transfer mode";
    pub const TRANSFER_TYPE: &str = "Transfer type";
    pub const SEGMENTS: &str = "Segments";
    pub const TIMEOUT: &str = "Timeout";
    pub const KEEPALIVE: &str = "Keep-alive";
    pub const TIME_ZONE: &str = "Server time zone";
    pub const PROXY: &str = "Proxy";
    pub const EXTERNAL_IP: &str = "External address";
    pub const PORT_RANGE: &str = "Port range";
    pub const TRUST_PASV_HOST: &str = "Trust PASV host";
    pub const SHOW_HIDDEN: &str = "Show hidden files";
    pub const REMOTE_PATH: &str = "Remote folder";
}

// The form's choices are the saved sites' own types; what the window needs
// on top of them (labels, the order of the lists) is here.

/// What Preferences hold for the choices a connection can leave to them,
/// so that "As in Preferences" can say what that is (the app sets it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefsChoices {
    pub transfer_type: TypeChoice,
    /// Segments per large download (1: one stream).
    pub segments: u16,
    /// The proxy, as a URL without its password; empty: none.
    pub proxy: String,
}

impl Default for PrefsChoices {
    fn default() -> Self {
        PrefsChoices::of(&crate::prefs::Preferences::default())
    }
}

impl PrefsChoices {
    pub fn of(prefs: &crate::prefs::Preferences) -> PrefsChoices {
        PrefsChoices {
            transfer_type: prefs.text.transfer_type,
            segments: prefs.transfers.segments,
            // Shown as a URL, never with a password (a hand-edited file
            // may hold one, even in an address that does not parse).
            proxy: match crate::ftp::Proxy::parse(&prefs.network.proxy) {
                Ok(proxy) => proxy.url(),
                Err(_) if prefs.network.proxy.trim().is_empty() => String::new(),
                Err(_) => "an address that is not valid".into(),
            },
        }
    }

    /// The proxy field's hint: what an empty field uses.
    pub fn proxy_hint(&self) -> String {
        let proxy = if self.proxy.is_empty() {
            "none"
        } else {
            &self.proxy
        };
        format!("As in Preferences ({proxy})")
    }
}

/// The transfer type choices of a connection: the Preferences', or one.
pub const TRANSFER_TYPES: [Option<TypeChoice>; 4] = [
    None,
    Some(TypeChoice::Binary),
    Some(TypeChoice::Ascii),
    Some(TypeChoice::Auto),
];

/// A transfer type choice's name in the list (the Preferences' one says
/// what they hold), and one line saying what it does.
pub fn describe_transfer_type(
    t: Option<TypeChoice>,
    prefs: &PrefsChoices,
) -> (String, &'static str) {
    match t {
        None => (
            format!(
                "As in Preferences ({})",
                transfer_type_name(prefs.transfer_type).0
            ),
            "The transfer type chosen in Preferences, now and after a change there.",
        ),
        Some(t) => {
            let (name, what) = transfer_type_name(t);
            (name.to_string(), what)
        }
    }
}

fn transfer_type_name(t: TypeChoice) -> (&'static str, &'static str) {
    match t {
        TypeChoice::Binary => ("Binary", "Every byte as it is: right for every file."),
        TypeChoice::Ascii => (
            "ASCII",
            "Line ends converted between the server's and this computer's (TYPE A); text only, never resumed.",
        ),
        TypeChoice::Auto => (
            "Auto",
            "ASCII for the text endings in Preferences (.txt, .html, …) when the server's line ends differ from this computer's; Binary otherwise.",
        ),
    }
}

/// The segment counts the list offers, after "As in Preferences".
const SEGMENT_COUNTS: [u16; 8] = [1, 2, 3, 4, 6, 8, 12, 16];

/// The segment choices of a connection: the Preferences', then the usual
/// counts, with `current` among them when a site's file holds another.
pub fn segment_choices(current: Option<u16>) -> Vec<Option<u16>> {
    let mut choices: Vec<Option<u16>> = std::iter::once(None)
        .chain(SEGMENT_COUNTS.iter().map(|&n| Some(n)))
        .collect();
    if let Some(n) = current.filter(|n| !SEGMENT_COUNTS.contains(n) && *n != 0) {
        let at = choices.iter().position(|c| c.is_some_and(|c| c > n));
        choices.insert(at.unwrap_or(choices.len()), Some(n));
    }
    choices
}

/// A segment choice's name in the list (the Preferences' one says what
/// they hold), and one line saying what it does. 0 (as a site's file may
/// say) means the Preferences', as it does when connecting.
pub fn describe_segments(n: Option<u16>, prefs: &PrefsChoices) -> (String, &'static str) {
    match n {
        None | Some(0) => {
            let held = match prefs.segments {
                0 | 1 => "one stream".to_string(),
                n => format!("{} segments", usize::from(n).min(MAX_SEGMENTS)),
            };
            (
                format!("As in Preferences ({held})"),
                "The segments set in Preferences, now and after a change there.",
            )
        }
        Some(1) => ("1 (one stream)".into(), "Every download in one stream."),
        Some(n) if usize::from(n) > MAX_SEGMENTS => (
            format!("{n}, used as {MAX_SEGMENTS}"),
            "More segments than Ferry opens: downloads use the most it does.",
        ),
        Some(n) => (
            n.to_string(),
            "Binary downloads of 16 MiB and more in this many ranges at once, each on its own connection: faster when the server limits each connection.",
        ),
    }
}

impl Protocol {
    pub const ALL: [Protocol; 4] = [
        Protocol::Ftp,
        Protocol::ExplicitTlsIfAvailable,
        Protocol::ExplicitTls,
        Protocol::ImplicitTls,
    ];

    /// The name shown in the protocol list.
    pub fn label(self) -> &'static str {
        match self {
            Protocol::Ftp => "FTP",
            Protocol::ExplicitTlsIfAvailable => "FTP, explicit TLS if available",
            Protocol::ExplicitTls => "FTP over explicit TLS",
            Protocol::ImplicitTls => "FTP over implicit TLS",
        }
    }

    /// A short name for the quick-connect bar.
    pub fn short_label(self) -> &'static str {
        match self {
            Protocol::Ftp => "FTP",
            Protocol::ExplicitTlsIfAvailable => "TLS if available",
            Protocol::ExplicitTls => "Explicit TLS",
            Protocol::ImplicitTls => "Implicit TLS",
        }
    }

    /// One line saying what the choice does.
    pub fn explanation(self) -> &'static str {
        match self {
            Protocol::Ftp => "Plain FTP: the password and files cross the network unencrypted.",
            Protocol::ExplicitTlsIfAvailable => {
                "Encrypts with AUTH TLS when the server offers it, and continues unencrypted (saying so) when it does not."
            }
            Protocol::ExplicitTls => {
                "Encrypts with AUTH TLS; fails if the server does not offer it."
            }
            Protocol::ImplicitTls => "Encrypted from the first byte (ftps://, usually port 990).",
        }
    }

    /// The usual port: 990 for implicit TLS, 21 otherwise.
    pub fn default_port(self) -> u16 {
        self.security().default_port()
    }
}

impl LogonType {
    pub const ALL: [LogonType; 3] = [LogonType::Anonymous, LogonType::Normal, LogonType::Ask];

    pub fn label(self) -> &'static str {
        match self {
            LogonType::Anonymous => "Anonymous",
            LogonType::Normal => "Normal",
            LogonType::Ask => "Ask for password",
        }
    }
}

impl ConnectionMode {
    pub const ALL: [ConnectionMode; 3] = [
        ConnectionMode::Passive,
        ConnectionMode::Active,
        ConnectionMode::Auto,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ConnectionMode::Passive => "Passive",
            ConnectionMode::Active => "Active",
            ConnectionMode::Auto => "Auto",
        }
    }

    /// One line saying what the choice does, shown under the choice.
    pub fn explanation(self) -> &'static str {
        match self {
            ConnectionMode::Passive => {
                "This computer opens the data connections; works behind most firewalls and NAT."
            }
            ConnectionMode::Active => {
                "The server connects back to this computer; needs a port reachable from the server."
            }
            ConnectionMode::Auto => {
                "Tries passive and falls back to active if the data connection is blocked."
            }
        }
    }
}

impl TransferMode {
    pub fn label(self) -> &'static str {
        match self {
            TransferMode::Stream => "Stream",
            TransferMode::Block => "Block",
            TransferMode::Compressed => "Compressed",
            TransferMode::Deflate => "Deflate",
        }
    }

    /// One line saying what the choice does, shown under the choice.
    pub fn explanation(self) -> &'static str {
        match self {
            TransferMode::Stream => "The file as it is (MODE S); every server speaks it.",
            TransferMode::Block => {
                "RFC 959 blocks with an end-of-file mark (MODE B); few servers offer it."
            }
            TransferMode::Compressed => {
                "RFC 959 run-length compression (MODE C); few servers offer it."
            }
            TransferMode::Deflate => {
                "Compresses with deflate (MODE Z) where the server offers it; helps text on slow links, skipped for compressed files."
            }
        }
    }
}

/// The connection form's fields, as typed (text fields stay text so
/// validation can point at what is wrong). The password is never saved,
/// and its `Debug` form masks it.
#[derive(Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ConnectForm {
    pub protocol: Protocol,
    pub host: String,
    pub port: String,
    pub logon: LogonType,
    pub user: String,
    #[serde(skip)]
    pub password: String,
    pub mode: ConnectionMode,
    pub transfer_mode: TransferMode,
    /// Binary / ASCII / Auto; `None` follows the Preferences.
    pub transfer_type: Option<TypeChoice>,
    /// Ranges per large download; `None` follows the Preferences.
    pub segments: Option<u16>,
    /// Seconds for every network wait; empty for Ferry's defaults.
    pub timeout_secs: String,
    /// Seconds between NOOPs while idle; empty for none.
    pub keepalive_secs: String,
    /// The server's LIST time zone as hours from UTC (`+2`, `-4`, `+5:45`);
    /// empty: found when comparing folders.
    pub time_zone: String,
    /// Empty: the proxy in Preferences; `none`: directly; else the proxy's
    /// URL. A password typed into the URL is used and put in the keyring,
    /// and never saved with the form (see [`strip_proxy_password`]).
    #[serde(serialize_with = "serialize_proxy_field")]
    pub proxy: String,
    pub external_ip: String,
    pub port_range: String,
    pub trust_pasv_host: bool,
    pub show_hidden: bool,
    /// The folder to open after logging in (empty: the login folder).
    pub remote_path: String,
}

impl std::fmt::Debug for ConnectForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectForm")
            .field("protocol", &self.protocol)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("logon", &self.logon)
            .field("user", &self.user)
            .field("password", &crate::ftp::options::masked(&self.password))
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl Default for ConnectForm {
    fn default() -> Self {
        ConnectForm {
            protocol: Protocol::Ftp,
            host: String::new(),
            port: "21".into(),
            logon: LogonType::Normal,
            user: String::new(),
            password: String::new(),
            mode: ConnectionMode::Auto,
            transfer_mode: TransferMode::Stream,
            transfer_type: None,
            segments: None,
            timeout_secs: String::new(),
            keepalive_secs: String::new(),
            time_zone: String::new(),
            proxy: String::new(),
            external_ip: String::new(),
            port_range: String::new(),
            trust_pasv_host: false,
            show_hidden: false,
            remote_path: String::new(),
        }
    }
}

/// A validated request to connect.
#[derive(Debug, Clone)]
pub struct ConnectRequest {
    pub options: ConnectOptions,
    pub initial_path: Option<Vec<u8>>,
    pub show_hidden: bool,
    /// The proxy setting behind `options.proxy`: with
    /// [`SiteProxy::Preferences`] and no proxy in the options, the app uses
    /// the one in Preferences.
    pub proxy: SiteProxy,
}

/// Field label → what is wrong with it.
pub type FieldErrors = Vec<(&'static str, String)>;

impl ConnectForm {
    /// Turn the form into connection options, or say what is wrong with
    /// which field (field label → message), listing every invalid field.
    pub fn validate(&self) -> Result<ConnectRequest, FieldErrors> {
        let spec = self.spec()?;
        Ok(ConnectRequest {
            options: spec.options(),
            initial_path: initial_path(&self.remote_path),
            show_hidden: self.show_hidden,
            proxy: parse_proxy_field(&self.proxy)
                .map(|(setting, _)| setting)
                .unwrap_or_default(),
        })
    }

    /// Like [`ConnectForm::validate`], for a view that shows only the fields
    /// in `shown`: a field it does not show never blocks it. An invalid
    /// hidden field connects with its default, since it cannot be fixed there.
    pub fn validate_shown(&self, shown: &[&'static str]) -> Result<ConnectRequest, FieldErrors> {
        let Err(errors) = self.validate() else {
            return self.validate();
        };
        let mut form = self.clone();
        let defaults = ConnectForm::default();
        for (label, _) in &errors {
            if !shown.contains(label) {
                form.reset_field(label, &defaults);
            }
        }
        form.validate()
    }

    /// Put the field labelled `label` back to its value in `defaults`.
    fn reset_field(&mut self, label: &str, defaults: &ConnectForm) {
        let d = defaults.clone();
        match label {
            field::HOST => self.host = d.host,
            field::PORT => self.port = d.port,
            field::USER => self.user = d.user,
            field::TIMEOUT => self.timeout_secs = d.timeout_secs,
            field::KEEPALIVE => self.keepalive_secs = d.keepalive_secs,
            field::TIME_ZONE => self.time_zone = d.time_zone,
            field::PROXY => self.proxy = d.proxy,
            field::EXTERNAL_IP => self.external_ip = d.external_ip,
            field::PORT_RANGE => self.port_range = d.port_range,
            _ => {}
        }
    }

    /// The form as a [`ConnectSpec`], or every invalid field.
    pub fn spec(&self) -> Result<ConnectSpec, FieldErrors> {
        let mut errors = Vec::new();
        let host = check(&mut errors, field::HOST, parse_host(&self.host));
        let port = check(
            &mut errors,
            field::PORT,
            parse_port(&self.port, self.protocol),
        );
        let user = check(&mut errors, field::USER, self.checked_user());
        let timeout = check(
            &mut errors,
            field::TIMEOUT,
            parse_timeout(&self.timeout_secs),
        );
        let keepalive = check(
            &mut errors,
            field::KEEPALIVE,
            parse_keepalive(&self.keepalive_secs),
        );
        let time_zone = check(
            &mut errors,
            field::TIME_ZONE,
            parse_time_zone(&self.time_zone),
        );
        let external_ip = check(
            &mut errors,
            field::EXTERNAL_IP,
            parse_external_ip(&self.external_ip),
        );
        let proxy = check(&mut errors, field::PROXY, parse_proxy_field(&self.proxy));
        let port_range = check(
            &mut errors,
            field::PORT_RANGE,
            parse_port_range(&self.port_range),
        );
        let (
            Some(host),
            Some(port),
            Some(user),
            Some(timeout),
            Some(keepalive),
            Some(time_zone),
            Some(external_ip),
            Some(port_range),
            Some((_, proxy)),
        ) = (
            host,
            port,
            user,
            timeout,
            keepalive,
            time_zone,
            external_ip,
            port_range,
            proxy,
        )
        else {
            return Err(errors);
        };
        Ok(ConnectSpec {
            protocol: self.protocol,
            host,
            port: Some(port),
            logon: self.logon,
            user,
            password: self.password.clone(),
            mode: self.mode,
            transfer_mode: self.transfer_mode,
            transfer_type: self.transfer_type,
            segments: self.segments.unwrap_or(0),
            timeout,
            keepalive,
            list_time_offset_minutes: time_zone,
            external_ip,
            port_range,
            trust_pasv_host: self.trust_pasv_host,
            list_hidden: self.show_hidden,
            proxy,
            ..ConnectSpec::default()
        })
    }

    /// The user name, checked: needed unless the logon is anonymous.
    fn checked_user(&self) -> Result<String, String> {
        let user = self.user.trim();
        if self.logon != LogonType::Anonymous && user.is_empty() {
            return Err("Enter a user name, or choose Anonymous logon".into());
        }
        Ok(user.to_string())
    }

    /// The form showing `site` (no password: that is in the keyring).
    pub fn from_site(site: &Site) -> ConnectForm {
        ConnectForm {
            protocol: site.protocol,
            host: site.host.clone(),
            port: site.effective_port().to_string(),
            logon: site.logon,
            user: site.user.clone(),
            password: String::new(),
            mode: site.mode,
            transfer_mode: site.transfer_mode,
            transfer_type: site.transfer_type,
            segments: site.segments,
            timeout_secs: site.timeout_secs.map(|s| s.to_string()).unwrap_or_default(),
            keepalive_secs: site
                .keepalive_secs
                .map(|s| s.to_string())
                .unwrap_or_default(),
            time_zone: site
                .time_offset_minutes
                .map(format_time_zone)
                .unwrap_or_default(),
            proxy: match &site.proxy {
                SiteProxy::Preferences => String::new(),
                other => String::from(other.clone()),
            },
            external_ip: site.external_ip.map(|i| i.to_string()).unwrap_or_default(),
            port_range: site
                .active_port_range
                .map(|r| r.to_string())
                .unwrap_or_default(),
            trust_pasv_host: site.trust_pasv_host,
            show_hidden: site.show_hidden,
            remote_path: site.remote_folder.clone().unwrap_or_default(),
        }
    }

    /// Write the fields that parse into `site`, leaving fields that do not
    /// (shown as errors) and values that mean the same (port 21 for a site
    /// on the default port) as they are. The password is not part of a site.
    pub fn apply_to(&self, site: &mut Site) {
        site.protocol = self.protocol;
        site.host = self.host.trim().to_string();
        if self.port.trim().is_empty() {
            site.port = None;
        } else if let Ok(p) = parse_port(&self.port, self.protocol)
            && p != site.effective_port()
        {
            site.port = Some(p);
        }
        site.logon = self.logon;
        site.user = self.user.trim().to_string();
        site.mode = self.mode;
        site.transfer_mode = self.transfer_mode;
        site.transfer_type = self.transfer_type;
        site.segments = self.segments;
        if let Ok(timeout) = parse_timeout(&self.timeout_secs) {
            site.timeout_secs = timeout.map(|d| d.as_secs());
        }
        if let Ok(keepalive) = parse_keepalive(&self.keepalive_secs) {
            site.keepalive_secs = keepalive.map(|d| d.as_secs());
        }
        if let Ok(offset) = parse_time_zone(&self.time_zone) {
            site.time_offset_minutes = offset;
        }
        if let Ok((setting, _)) = parse_proxy_field(&self.proxy) {
            site.proxy = setting;
        }
        if let Ok(ip) = parse_external_ip(&self.external_ip) {
            site.external_ip = ip;
        }
        if let Ok(range) = parse_port_range(&self.port_range) {
            site.active_port_range = range.map(|r| PortRange {
                first: *r.start(),
                last: *r.end(),
            });
        }
        site.trust_pasv_host = self.trust_pasv_host;
        site.show_hidden = self.show_hidden;
        let remote = self.remote_path.trim();
        site.remote_folder = (!remote.is_empty()).then(|| remote.to_string());
        if site.logon != LogonType::Normal {
            site.remember_password = false;
        }
    }

    /// A new site from the form ("Save as site"), named after its host.
    pub fn to_new_site(&self) -> Site {
        let host = self.host.trim();
        let name = if host.is_empty() { "New site" } else { host };
        let mut site = Site::new(name, "");
        self.apply_to(&mut site);
        site
    }

    /// Change the protocol; the port follows (21 ↔ 990) only while it
    /// still holds the old protocol's default, so a typed port stays.
    pub fn set_protocol(&mut self, protocol: Protocol) {
        let old_default = self.protocol.default_port();
        if self.port.trim() == old_default.to_string() || self.port.trim().is_empty() {
            self.port = protocol.default_port().to_string();
        }
        self.protocol = protocol;
    }

    /// Move a port typed after the host (`example.org:2121`) into the Port
    /// field; true if it did. IPv6 addresses are left alone.
    pub fn split_host_port(&mut self) -> bool {
        let host = self.host.trim();
        let Some((name, port)) = host.rsplit_once(':') else {
            return false;
        };
        let name = name.trim_end();
        if name.is_empty() || name.contains(':') && !(name.starts_with('[') && name.ends_with(']'))
        {
            return false;
        }
        match port.trim().parse::<u16>() {
            Ok(p) if p > 0 => {
                self.port = p.to_string();
                self.host = bare_host(name).to_string();
                true
            }
            _ => false,
        }
    }

    /// Fill the form from an `ftp://user:pass@host:port/path` (plain FTP) or
    /// `ftps://` (implicit TLS) address. A path becomes the folder to open,
    /// taken from the server's root. On error the form is unchanged.
    pub fn apply_url(&mut self, text: &str) -> Result<(), String> {
        let url = FtpUrl::parse(text.trim())
            .map_err(|_| "Not a valid ftp:// or ftps:// address".to_string())?;
        // The scheme says it: ftps:// is implicit TLS, ftp:// plain FTP.
        self.protocol = match url.security {
            Security::Implicit => Protocol::ImplicitTls,
            _ => Protocol::Ftp,
        };
        self.host = bare_host(&url.host).to_string();
        self.port = url.port.to_string();
        match url.user {
            Some(user) => {
                self.user = user;
                if self.logon == LogonType::Anonymous {
                    self.logon = LogonType::Normal;
                }
            }
            None => {
                self.user.clear();
                self.logon = LogonType::Anonymous;
            }
        }
        self.password = url.password.unwrap_or_default();
        self.remote_path = if url.path.is_empty() {
            String::new()
        } else {
            // The URL's path is relative to the login folder (RFC 1738), but
            // in a GUI people mean the path from the root.
            let path = String::from_utf8_lossy(&url.path);
            if path.starts_with('/') {
                path.into_owned()
            } else {
                format!("/{path}")
            }
        };
        Ok(())
    }
}

/// The value, or `None` after adding the error to the list.
fn check<T>(
    errors: &mut Vec<(&'static str, String)>,
    label: &'static str,
    result: Result<T, String>,
) -> Option<T> {
    result.map_err(|e| errors.push((label, e))).ok()
}

/// A host name or IP address (IPv6 with or without brackets).
pub fn parse_host(text: &str) -> Result<String, String> {
    let host = text.trim();
    if host.is_empty() {
        return Err("Enter the server's host name or address".into());
    }
    if host.contains("://") {
        return Err("Not a valid ftp:// or ftps:// address".into());
    }
    let host = bare_host(host);
    if host
        .chars()
        .any(|c| c.is_whitespace() || "/@\\".contains(c))
    {
        return Err("A host name cannot contain spaces, /, \\ or @".into());
    }
    if host.contains(':') {
        if host.parse::<Ipv6Addr>().is_ok() {
            return Ok(host.to_string());
        }
        if host.matches(':').count() == 1 {
            return Err("Put the port in the Port field".into());
        }
        return Err("Not a valid IPv6 address".into());
    }
    let valid_name = host
        .chars()
        .all(|c| c.is_alphanumeric() || c == '-' || c == '.' || c == '_');
    if !valid_name || host.starts_with('.') || host.contains("..") {
        return Err("Not a valid host name or address".into());
    }
    Ok(host.to_string())
}

/// The Proxy field: empty for the proxy in Preferences, `none` for a
/// direct connection, else a proxy URL (`socks5://`, `socks5h://`,
/// `http://`). Returns the setting to save (its URL without password) and
/// the proxy to connect through when the field names one.
pub fn parse_proxy_field(text: &str) -> Result<(SiteProxy, Option<crate::ftp::Proxy>), String> {
    match SiteProxy::from(text.to_string()) {
        SiteProxy::Url(url) => {
            let proxy = crate::ftp::Proxy::parse(&url)
                .map_err(|e| format!("{e}; or leave it empty to use Preferences, or write none"))?;
            Ok((SiteProxy::Url(proxy.url()), Some(proxy)))
        }
        other => Ok((other, None)),
    }
}

/// The proxy password typed into a Proxy field's URL, with the keyring key
/// it is kept under; `None` when the field holds none.
pub fn proxy_field_password(text: &str) -> Option<(String, String)> {
    let (_, proxy) = parse_proxy_field(text).ok()?;
    let proxy = proxy?;
    (!proxy.user.is_empty() && !proxy.password.is_empty())
        .then(|| (crate::sites::proxy_secret_id(&proxy.url()), proxy.password))
}

/// The Proxy field without a password typed into its URL: what the form
/// keeps in the window's saved state.
pub fn strip_proxy_password(text: &str) -> String {
    match parse_proxy_field(text) {
        Ok((SiteProxy::Url(url), _)) => url,
        // Text that is not a proxy URL is kept as typed, unless it could
        // hold a password (`user:secret@`).
        _ if text.contains('@') => String::new(),
        _ => text.to_string(),
    }
}

// serde's `serialize_with` hands over the field as it is: `&String`.
#[allow(clippy::ptr_arg)]
fn serialize_proxy_field<S: serde::Serializer>(text: &String, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&strip_proxy_password(text))
}

/// `[::1]` → `::1`; anything else unchanged.
fn bare_host(host: &str) -> &str {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

/// A TCP port; empty means the protocol's usual one.
pub fn parse_port(text: &str, protocol: Protocol) -> Result<u16, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(protocol.default_port());
    }
    match text.parse::<u16>() {
        Ok(p) if p > 0 => Ok(p),
        _ => Err("Enter a port from 1 to 65535".into()),
    }
}

/// Whole seconds, 1 to 600; empty for Ferry's defaults.
pub fn parse_timeout(text: &str) -> Result<Option<Duration>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<u64>() {
        Ok(s) if (1..=600).contains(&s) => Ok(Some(Duration::from_secs(s))),
        _ => Err("Enter a timeout from 1 to 600 seconds, or leave it empty for the default".into()),
    }
}

/// The keep-alive interval: empty or 0 for none, else 10–600 seconds.
/// The Server time zone field: empty for "find it", else hours from UTC as
/// `+2`, `-4` or `+5:45` (a leading `UTC` is allowed), in minutes.
pub fn parse_time_zone(text: &str) -> Result<Option<i32>, String> {
    let text = text.trim();
    let bare = text
        .strip_prefix("UTC")
        .or_else(|| text.strip_prefix("utc"))
        .unwrap_or(text)
        .trim();
    if bare.is_empty() {
        return Ok(None);
    }
    match crate::sync::timezone::parse_offset(bare) {
        // Within ±14 h (checked by the parser), so it fits.
        Ok(offset) => Ok(Some(offset.num_minutes() as i32)),
        Err(_) => Err(format!(
            "Enter hours from UTC like +2, -4 or +5:45, or leave it empty to find it (not {text:?})"
        )),
    }
}

/// Minutes from UTC as the Server time zone field shows them: `+2`, `-4:30`.
pub fn format_time_zone(minutes: i32) -> String {
    let sign = if minutes < 0 { '-' } else { '+' };
    let (h, m) = (minutes.abs() / 60, minutes.abs() % 60);
    if m == 0 {
        format!("{sign}{h}")
    } else {
        format!("{sign}{h}:{m:02}")
    }
}

pub fn parse_keepalive(text: &str) -> Result<Option<Duration>, String> {
    let text = text.trim();
    if text.is_empty() || text == "0" {
        return Ok(None);
    }
    match text.parse::<u64>() {
        Ok(n @ 10..=600) => Ok(Some(Duration::from_secs(n))),
        _ => Err("Enter 10–600 seconds (30–60 suits most servers), or leave empty for none".into()),
    }
}

/// An optional IPv4 or IPv6 address to announce in active mode.
pub fn parse_external_ip(text: &str) -> Result<Option<IpAddr>, String> {
    let text = bare_host(text.trim());
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<IpAddr>() {
        Ok(ip) if ip.is_unspecified() || ip.is_multicast() => {
            Err("Enter this computer's public address, not a wildcard or multicast one".into())
        }
        Ok(ip) => Ok(Some(ip)),
        Err(_) => Err("Enter an IPv4 or IPv6 address, e.g. 203.0.113.5".into()),
    }
}

/// An optional `first-last` range of local ports for active mode (a single
/// port is a range of one).
pub fn parse_port_range(text: &str) -> Result<Option<RangeInclusive<u16>>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let (a, b) = text
        .split_once(['-', '–'])
        .map_or((text, text), |(a, b)| (a.trim(), b.trim()));
    let port = |s: &str| -> Result<u16, String> {
        if s.is_empty() || !s.chars().all(|c| c.is_ascii_digit()) {
            return Err("Write the range as first-last, e.g. 50000-50100".into());
        }
        match s.parse::<u16>() {
            Ok(p) if p > 0 => Ok(p),
            _ => Err("Ports go from 1 to 65535".into()),
        }
    };
    let (a, b) = (port(a)?, port(b)?);
    if a > b {
        return Err(format!(
            "The first port ({a}) must not be above the last ({b})"
        ));
    }
    Ok(Some(a..=b))
}

/// The folder to open after login: from the root ("/" added) or none.
fn initial_path(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    if text.is_empty() {
        None
    } else if text.starts_with('/') {
        Some(text.as_bytes().to_vec())
    } else {
        Some(format!("/{text}").into_bytes())
    }
}

/// The message for `label` in a validation error list.
pub fn error_for<'a>(errors: &'a [(&'static str, String)], label: &str) -> Option<&'a str> {
    errors
        .iter()
        .find(|(l, _)| *l == label)
        .map(|(_, m)| m.as_str())
}

/// Which of a form's errors are shown: an empty required field is not an
/// error until the user has been there or tried to connect or save; a wrong
/// value always is. So a brand-new form shows no red.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ErrorGate {
    /// Fields the user has edited or left.
    pub touched: Vec<&'static str>,
    /// The user tried to connect or save: every error shows.
    pub attempted: bool,
}

impl ErrorGate {
    /// Note that the user edited or left the field.
    pub fn touch(&mut self, label: &'static str) {
        if !self.touched.contains(&label) {
            self.touched.push(label);
        }
    }

    /// The error to show for the field, holding `value`.
    pub fn shown<'a>(
        &self,
        errors: &'a [(&'static str, String)],
        label: &str,
        value: &str,
    ) -> Option<&'a str> {
        let e = error_for(errors, label)?;
        (self.attempted || self.touched.contains(&label) || !value.trim().is_empty()).then_some(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ftp::{DataMode, Timeouts};

    fn form(host: &str) -> ConnectForm {
        ConnectForm {
            host: host.into(),
            user: "alice".into(),
            password: "secret".into(),
            ..ConnectForm::default()
        }
    }

    #[test]
    fn debug_output_masks_the_password() {
        let text = format!("{:#?}", form("ftp.example.org"));
        assert!(!text.contains("secret"), "{text}");
        assert!(
            text.contains("***") && text.contains("ftp.example.org"),
            "{text}"
        );
    }

    fn labels(errors: &[(&'static str, String)]) -> Vec<&'static str> {
        errors.iter().map(|(l, _)| *l).collect()
    }

    #[test]
    fn a_valid_form_maps_every_field_into_the_options() {
        let f = ConnectForm {
            protocol: Protocol::ExplicitTls,
            port: " 2121 ".into(),
            mode: ConnectionMode::Active,
            timeout_secs: "45".into(),
            external_ip: "203.0.113.5".into(),
            port_range: "50000-50100".into(),
            trust_pasv_host: true,
            show_hidden: true,
            remote_path: "pub/files".into(),
            ..form(" ftp.example.org ")
        };
        let r = f.validate().unwrap();
        let o = &r.options;
        assert_eq!(o.host, "ftp.example.org");
        assert_eq!(o.port, 2121);
        assert_eq!((o.user.as_str(), o.password.as_str()), ("alice", "secret"));
        assert_eq!(o.security, Security::Explicit);
        assert_eq!(o.mode, DataMode::Active);
        assert!(!o.auto_fallback);
        assert_eq!(o.timeouts, Timeouts::uniform(Duration::from_secs(45)));
        assert_eq!(o.external_ip, Some("203.0.113.5".parse().unwrap()));
        assert_eq!(o.port_range, Some(50000..=50100));
        assert!(o.trust_pasv_host);
        assert!(o.list_hidden);
        assert!(r.show_hidden);
        assert_eq!(r.initial_path.as_deref(), Some(b"/pub/files".as_slice()));
    }

    #[test]
    fn every_transfer_mode_choice_is_live() {
        for mode in TransferMode::ALL {
            let f = ConnectForm {
                transfer_mode: mode,
                ..form("ftp.example.org")
            };
            assert_eq!(f.validate().unwrap().options.transfer_mode, mode);
        }
    }

    #[test]
    fn every_invalid_field_is_reported_with_its_label() {
        let f = ConnectForm {
            host: " ".into(),
            port: "70000".into(),
            user: String::new(),
            transfer_mode: TransferMode::Block,
            timeout_secs: "0".into(),
            external_ip: "300.1.1.1".into(),
            port_range: "50100-50000".into(),
            ..ConnectForm::default()
        };
        let errors = f.validate().unwrap_err();
        assert_eq!(
            labels(&errors),
            [
                field::HOST,
                field::PORT,
                field::USER,
                field::TIMEOUT,
                field::EXTERNAL_IP,
                field::PORT_RANGE
            ]
        );
        assert!(
            error_for(&errors, field::HOST)
                .unwrap()
                .contains("host name")
        );
        assert!(
            error_for(&errors, field::PORT)
                .unwrap()
                .contains("1 to 65535")
        );
        assert!(
            error_for(&errors, field::PORT_RANGE)
                .unwrap()
                .contains("must not be above")
        );
    }

    #[test]
    fn hosts_are_checked() {
        let table: &[(&str, Result<&str, &str>)] = &[
            ("ftp.example.org", Ok("ftp.example.org")),
            ("  localhost ", Ok("localhost")),
            ("192.0.2.1", Ok("192.0.2.1")),
            ("::1", Ok("::1")),
            ("[2001:db8::1]", Ok("2001:db8::1")),
            ("my_host-2", Ok("my_host-2")),
            ("", Err("host name")),
            ("ftp.example.org:2121", Err("Port field")),
            ("ftp://", Err("ftp://")),
            ("ftp.example.org/pub", Err("cannot contain")),
            ("two words", Err("cannot contain")),
            ("user@host", Err("cannot contain")),
            ("example.org:99999", Err("Port field")),
            ("1:2:3", Err("IPv6")),
            ("a..b", Err("Not a valid host")),
            ("a;b", Err("Not a valid host")),
        ];
        for (input, want) in table {
            match (parse_host(input), want) {
                (Ok(h), Ok(w)) => assert_eq!(h, *w, "{input:?}"),
                (Err(e), Err(w)) => assert!(e.contains(w), "{input:?}: {e}"),
                (got, want) => panic!("{input:?}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn ports_and_timeouts_are_bounded() {
        assert_eq!(parse_port("21", Protocol::Ftp), Ok(21));
        assert_eq!(parse_port("65535", Protocol::Ftp), Ok(65535));
        assert_eq!(parse_port("", Protocol::ImplicitTls), Ok(990));
        assert_eq!(parse_port("", Protocol::ExplicitTls), Ok(21));
        for bad in ["0", "65536", "-1", "2 1", "abc"] {
            assert!(parse_port(bad, Protocol::Ftp).is_err(), "{bad}");
        }
        assert_eq!(parse_timeout("1"), Ok(Some(Duration::from_secs(1))));
        assert_eq!(parse_timeout(" 600 "), Ok(Some(Duration::from_secs(600))));
        // Empty is Ferry's default, as for a saved site.
        assert_eq!(parse_timeout(" "), Ok(None));
        for bad in ["0", "601", "1.5", "ten"] {
            assert!(parse_timeout(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_keepalive(""), Ok(None));
        assert_eq!(parse_keepalive("0"), Ok(None));
        assert_eq!(parse_keepalive(" 45 "), Ok(Some(Duration::from_secs(45))));
        for bad in ["5", "601", "1.5", "often"] {
            assert!(parse_keepalive(bad).is_err(), "{bad}");
        }
        let mut f = form("ftp.example.com");
        f.keepalive_secs = "30".into();
        assert_eq!(
            f.validate().unwrap().options.keepalive,
            Some(Duration::from_secs(30))
        );
        f.keepalive_secs = "3".into();
        assert_eq!(labels(&f.validate().unwrap_err()), [field::KEEPALIVE]);
    }

    #[test]
    fn port_ranges_parse() {
        type Want = Result<Option<RangeInclusive<u16>>, &'static str>;
        let table: &[(&str, Want)] = &[
            ("", Ok(None)),
            ("50000-50100", Ok(Some(50000..=50100))),
            (" 50000 - 50100 ", Ok(Some(50000..=50100))),
            ("50000–50100", Ok(Some(50000..=50100))),
            ("6000", Ok(Some(6000..=6000))),
            ("1-65535", Ok(Some(1..=65535))),
            ("7-7", Ok(Some(7..=7))),
            ("50100-50000", Err("must not be above")),
            ("0-10", Err("1 to 65535")),
            ("1-70000", Err("1 to 65535")),
            ("50000-", Err("first-last")),
            ("-5", Err("first-last")),
            ("a-b", Err("first-last")),
            ("1-2-3", Err("first-last")),
        ];
        for (input, want) in table {
            match (parse_port_range(input), want) {
                (Ok(r), Ok(w)) => assert_eq!(&r, w, "{input:?}"),
                (Err(e), Err(w)) => assert!(e.contains(w), "{input:?}: {e}"),
                (got, want) => panic!("{input:?}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn external_addresses_take_ipv4_and_ipv6() {
        assert_eq!(parse_external_ip(""), Ok(None));
        assert_eq!(
            parse_external_ip("203.0.113.5"),
            Ok(Some("203.0.113.5".parse().unwrap()))
        );
        assert_eq!(
            parse_external_ip("2001:db8::7"),
            Ok(Some("2001:db8::7".parse().unwrap()))
        );
        assert_eq!(
            parse_external_ip("[2001:db8::7]"),
            Ok(Some("2001:db8::7".parse().unwrap()))
        );
        for bad in [
            "0.0.0.0",
            "::",
            "224.0.0.1",
            "host.example",
            "1.2.3",
            "1.2.3.4:5",
        ] {
            assert!(parse_external_ip(bad).is_err(), "{bad}");
        }
        let f = ConnectForm {
            external_ip: "2001:db8::7".into(),
            mode: ConnectionMode::Active,
            ..form("h")
        };
        assert!(f.validate().unwrap().options.external_ip.unwrap().is_ipv6());
    }

    #[test]
    fn anonymous_logon_uses_the_anonymous_login() {
        let f = ConnectForm {
            logon: LogonType::Anonymous,
            user: String::new(),
            password: String::new(),
            ..form("h")
        };
        let o = f.validate().unwrap().options;
        assert_eq!(
            (o.user.as_str(), o.password.as_str()),
            ("anonymous", "ferry@")
        );
        // A typed user does not leak into an anonymous login.
        let f = ConnectForm {
            logon: LogonType::Anonymous,
            ..form("h")
        };
        assert_eq!(f.validate().unwrap().options.user, "anonymous");
    }

    #[test]
    fn normal_and_ask_logon_need_a_user() {
        for logon in [LogonType::Normal, LogonType::Ask] {
            let f = ConnectForm {
                logon,
                user: "  ".into(),
                ..form("h")
            };
            assert_eq!(labels(&f.validate().unwrap_err()), [field::USER]);
        }
        // An empty password is allowed (some servers take any).
        let f = ConnectForm {
            password: String::new(),
            ..form("h")
        };
        assert_eq!(f.validate().unwrap().options.password, "");
    }

    #[test]
    fn protocols_set_the_security() {
        for (p, s, port) in [
            (Protocol::Ftp, Security::None, 21),
            (Protocol::ExplicitTls, Security::Explicit, 21),
            (Protocol::ImplicitTls, Security::Implicit, 990),
        ] {
            let mut f = form("h");
            f.set_protocol(p);
            let o = f.validate().unwrap().options;
            assert_eq!((o.security, o.port), (s, port), "{p:?}");
        }
    }

    #[test]
    fn modes_map_to_data_mode_and_fallback() {
        for (m, mode, fallback) in [
            (ConnectionMode::Passive, DataMode::Passive, false),
            (ConnectionMode::Active, DataMode::Active, false),
            (ConnectionMode::Auto, DataMode::Passive, true),
        ] {
            let f = ConnectForm {
                mode: m,
                ..form("h")
            };
            let o = f.validate().unwrap().options;
            assert_eq!((o.mode, o.auto_fallback), (mode, fallback), "{m:?}");
        }
    }

    #[test]
    fn switching_protocol_moves_only_a_default_port() {
        let mut f = form("h");
        f.set_protocol(Protocol::ImplicitTls);
        assert_eq!(f.port, "990");
        f.set_protocol(Protocol::ExplicitTls);
        assert_eq!(f.port, "21");
        f.set_protocol(Protocol::Ftp);
        assert_eq!(f.port, "21");
        f.port = "2121".into();
        f.set_protocol(Protocol::ImplicitTls);
        assert_eq!(f.port, "2121");
        f.set_protocol(Protocol::Ftp);
        assert_eq!(f.port, "2121");
        // 990 typed for plain FTP is the user's choice, not a default.
        f.port = "990".into();
        f.set_protocol(Protocol::ExplicitTls);
        assert_eq!(f.port, "990");
        f.port = String::new();
        f.set_protocol(Protocol::ImplicitTls);
        assert_eq!(f.port, "990");
    }

    #[test]
    fn a_port_typed_after_the_host_moves_to_the_port_field() {
        let table = [
            ("example.org:2121", true, "example.org", "2121"),
            (" example.org : 990 ", true, "example.org", "990"),
            ("[2001:db8::1]:2121", true, "2001:db8::1", "2121"),
            ("2001:db8::1", false, "2001:db8::1", "21"),
            ("example.org", false, "example.org", "21"),
            ("example.org:0", false, "example.org:0", "21"),
            ("example.org:x", false, "example.org:x", "21"),
            (":21", false, ":21", "21"),
        ];
        for (input, moved, host, port) in table {
            let mut f = form(input);
            assert_eq!(f.split_host_port(), moved, "{input:?}");
            assert_eq!(
                (f.host.as_str(), f.port.as_str()),
                (host, port),
                "{input:?}"
            );
        }
    }

    #[test]
    fn initial_paths_start_at_the_root() {
        assert_eq!(initial_path(""), None);
        assert_eq!(initial_path("  "), None);
        assert_eq!(initial_path("/a/b"), Some(b"/a/b".to_vec()));
        assert_eq!(initial_path("a/b"), Some(b"/a/b".to_vec()));
    }

    #[test]
    fn pasted_urls_fill_the_form() {
        struct Case {
            url: &'static str,
            protocol: Protocol,
            host: &'static str,
            port: &'static str,
            logon: LogonType,
            user: &'static str,
            password: &'static str,
            path: &'static str,
        }
        let cases = [
            Case {
                url: "ftp://alice@ftp.example.org:2121/pub/files",
                protocol: Protocol::Ftp,
                host: "ftp.example.org",
                port: "2121",
                logon: LogonType::Normal,
                user: "alice",
                password: "",
                path: "/pub/files",
            },
            Case {
                url: "ftps://bob:s3cret@secure.example.org",
                protocol: Protocol::ImplicitTls,
                host: "secure.example.org",
                port: "990",
                logon: LogonType::Normal,
                user: "bob",
                password: "s3cret",
                path: "",
            },
            Case {
                url: "ftp://example.org/",
                protocol: Protocol::Ftp,
                host: "example.org",
                port: "21",
                logon: LogonType::Anonymous,
                user: "",
                password: "",
                path: "",
            },
            Case {
                url: "  FTP://j%C3%B6rg:p%40ss%3Aword@h:99//tmp/my%20dir/ ",
                protocol: Protocol::Ftp,
                host: "h",
                port: "99",
                logon: LogonType::Normal,
                user: "jörg",
                password: "p@ss:word",
                path: "/tmp/my dir/",
            },
            Case {
                url: "ftps://[2001:db8::1]:2990/%2Fetc",
                protocol: Protocol::ImplicitTls,
                host: "2001:db8::1",
                port: "2990",
                logon: LogonType::Anonymous,
                user: "",
                password: "",
                path: "/etc",
            },
        ];
        for c in cases {
            let mut f = ConnectForm {
                user: "old".into(),
                password: "old".into(),
                remote_path: "/old".into(),
                ..ConnectForm::default()
            };
            f.apply_url(c.url).unwrap();
            assert_eq!(f.protocol, c.protocol, "{}", c.url);
            assert_eq!(f.host, c.host, "{}", c.url);
            assert_eq!(f.port, c.port, "{}", c.url);
            assert_eq!(f.logon, c.logon, "{}", c.url);
            assert_eq!(f.user, c.user, "{}", c.url);
            assert_eq!(f.password, c.password, "{}", c.url);
            assert_eq!(f.remote_path, c.path, "{}", c.url);
            let r = f.validate().unwrap();
            let want_path = (!c.path.is_empty()).then(|| c.path.as_bytes().to_vec());
            assert_eq!(r.initial_path, want_path, "{}", c.url);
        }
    }

    #[test]
    fn a_pasted_url_sets_the_protocol_by_its_scheme() {
        for before in Protocol::ALL {
            let mut f = ConnectForm::default();
            f.set_protocol(before);
            f.apply_url("ftp://h").unwrap();
            assert_eq!(
                (f.protocol, f.port.as_str()),
                (Protocol::Ftp, "21"),
                "{before:?}"
            );
            f.apply_url("ftps://h").unwrap();
            assert_eq!(
                (f.protocol, f.port.as_str()),
                (Protocol::ImplicitTls, "990"),
                "{before:?}"
            );
        }
    }

    #[test]
    fn an_empty_timeout_means_the_default_deadlines() {
        let f = form("h");
        assert_eq!(f.timeout_secs, "");
        assert_eq!(f.validate().unwrap().options.timeouts, Timeouts::default());
    }

    #[test]
    fn the_server_time_zone_goes_from_the_form_to_the_options_and_the_site() {
        assert_eq!(parse_time_zone(""), Ok(None));
        assert_eq!(parse_time_zone(" +2 "), Ok(Some(120)));
        assert_eq!(parse_time_zone("UTC-4:30"), Ok(Some(-270)));
        for bad in ["+15", "two", "+2:75", "UTC+"] {
            assert!(parse_time_zone(bad).is_err(), "{bad}");
        }
        for minutes in [120, -270, 345, 0] {
            assert_eq!(
                parse_time_zone(&format_time_zone(minutes)),
                Ok(Some(minutes))
            );
        }
        let f = ConnectForm {
            time_zone: "+5:45".into(),
            ..form("h")
        };
        assert_eq!(
            f.validate().unwrap().options.list_time_offset_minutes,
            Some(345)
        );
        let mut site = Site::new("s", "h");
        f.apply_to(&mut site);
        assert_eq!(site.time_offset_minutes, Some(345));
        assert_eq!(ConnectForm::from_site(&site).time_zone, "+5:45");
        assert_eq!(
            site.connect_spec("").options().list_time_offset_minutes,
            Some(345)
        );
        let bad = ConnectForm {
            time_zone: "soon".into(),
            ..form("h")
        };
        assert_eq!(labels(&bad.validate().unwrap_err()), [field::TIME_ZONE]);
        // A bad value is not written over the site's.
        bad.apply_to(&mut site);
        assert_eq!(site.time_offset_minutes, Some(345));
    }

    #[test]
    fn a_hidden_invalid_field_never_blocks_a_view_that_does_not_show_it() {
        let f = ConnectForm {
            timeout_secs: "0".into(),
            keepalive_secs: "3".into(),
            ..form("h")
        };
        assert_eq!(
            labels(&f.validate().unwrap_err()),
            [field::TIMEOUT, field::KEEPALIVE]
        );
        let shown = [field::HOST, field::PORT, field::USER, field::PASSWORD];
        let o = f.validate_shown(&shown).unwrap().options;
        assert_eq!((o.timeouts, o.keepalive), (Timeouts::default(), None));
        // A shown field still blocks, and only shown fields are named.
        let f = ConnectForm {
            port: "0".into(),
            ..f
        };
        assert_eq!(
            labels(&f.validate_shown(&shown).unwrap_err()),
            [field::PORT]
        );
    }

    #[test]
    fn a_new_form_shows_no_errors_until_touched_or_attempted() {
        let f = ConnectForm::default();
        let errors = f.validate().unwrap_err();
        let mut gate = ErrorGate::default();
        assert_eq!(gate.shown(&errors, field::HOST, &f.host), None);
        gate.touch(field::HOST);
        assert!(gate.shown(&errors, field::HOST, &f.host).is_some());
        assert_eq!(gate.shown(&errors, field::USER, &f.user), None);
        gate.attempted = true;
        assert!(gate.shown(&errors, field::USER, &f.user).is_some());
        // A wrong value shows at once.
        let f = ConnectForm {
            port: "x".into(),
            ..form("h")
        };
        let errors = f.validate().unwrap_err();
        assert!(
            ErrorGate::default()
                .shown(&errors, field::PORT, &f.port)
                .is_some()
        );
    }

    #[test]
    fn a_site_survives_the_round_trip_through_the_form() {
        let mut site = Site::new("s", "ftp.example.org");
        site.protocol = Protocol::ExplicitTlsIfAvailable;
        site.user = "alice".into();
        site.timeout_secs = Some(7);
        site.keepalive_secs = Some(30);
        site.active_port_range = Some(PortRange {
            first: 50000,
            last: 50010,
        });
        site.transfer_type = Some(TypeChoice::Ascii);
        site.segments = Some(5);
        let mut copy = site.clone();
        ConnectForm::from_site(&site).apply_to(&mut copy);
        assert_eq!(copy, site);
        let new = ConnectForm::default().to_new_site();
        assert_eq!((new.name.as_str(), new.timeout_secs), ("New site", None));
    }

    #[test]
    fn the_segment_list_follows_preferences_first_and_keeps_a_sites_own_count() {
        let usual = segment_choices(None);
        assert_eq!(usual[0], None);
        assert_eq!(usual.len(), 1 + SEGMENT_COUNTS.len());
        // A count typed into sites.toml stays choosable, in order.
        let odd = segment_choices(Some(5));
        let at = odd.iter().position(|c| *c == Some(5)).unwrap();
        assert_eq!((odd[at - 1], odd[at + 1]), (Some(4), Some(6)));
        assert_eq!(segment_choices(Some(4)), usual);
        assert_eq!(segment_choices(Some(0)), usual);
        // 0 is the Preferences' (as when connecting); above the cap says so.
        let prefs = PrefsChoices::default();
        assert_eq!(
            describe_segments(Some(0), &prefs).0,
            describe_segments(None, &prefs).0
        );
        assert_eq!(describe_segments(Some(40), &prefs).0, "40, used as 16");
        assert_eq!(describe_segments(Some(1), &prefs).0, "1 (one stream)");
        for t in TRANSFER_TYPES {
            assert!(!describe_transfer_type(t, &prefs).1.is_empty());
        }
    }

    #[test]
    fn as_in_preferences_says_what_preferences_hold() {
        let mut prefs = PrefsChoices::default();
        assert_eq!(
            describe_transfer_type(None, &prefs).0,
            "As in Preferences (Binary)"
        );
        assert_eq!(
            describe_segments(None, &prefs).0,
            "As in Preferences (one stream)"
        );
        assert_eq!(prefs.proxy_hint(), "As in Preferences (none)");
        prefs.transfer_type = TypeChoice::Auto;
        prefs.segments = 40;
        let mut full = crate::prefs::Preferences::default();
        full.network.proxy = "socks5://me:secret@proxy.example:1080".into();
        prefs.proxy = PrefsChoices::of(&full).proxy;
        assert_eq!(prefs.proxy, "socks5://me@proxy.example:1080", "no password");
        assert_eq!(
            describe_transfer_type(None, &prefs).0,
            "As in Preferences (Auto)"
        );
        assert_eq!(
            describe_segments(Some(0), &prefs).0,
            "As in Preferences (16 segments)",
            "at most what Ferry opens"
        );
        assert_eq!(
            prefs.proxy_hint(),
            "As in Preferences (socks5://me@proxy.example:1080)"
        );
        // A choice of its own names only itself.
        assert_eq!(
            describe_transfer_type(Some(TypeChoice::Ascii), &prefs).0,
            "ASCII"
        );
    }

    #[test]
    fn a_bad_url_leaves_the_form_alone() {
        let mut f = form("h");
        let before = f.clone();
        assert!(f.apply_url("ftp://").is_err());
        assert!(f.apply_url("http://example.org").is_err());
        assert_eq!(f, before);
    }

    /// eframe's storage, in memory: the form is persisted through it.
    #[derive(Default)]
    struct MemoryStorage(std::collections::HashMap<String, String>);

    impl eframe::Storage for MemoryStorage {
        fn get_string(&self, key: &str) -> Option<String> {
            self.0.get(key).cloned()
        }
        fn set_string(&mut self, key: &str, value: String) {
            self.0.insert(key.into(), value);
        }
        fn remove_string(&mut self, key: &str) {
            self.0.remove(key);
        }
        fn flush(&mut self) {}
    }

    #[test]
    fn the_password_is_never_persisted() {
        use eframe::Storage as _;
        let f = ConnectForm {
            remote_path: "/pub".into(),
            ..form("h")
        };
        let mut storage = MemoryStorage::default();
        eframe::set_value(&mut storage, "form", &f);
        let saved = storage.get_string("form").unwrap();
        assert!(
            saved.contains("alice") && !saved.contains("secret"),
            "{saved}"
        );
        let back: ConnectForm = eframe::get_value(&storage, "form").unwrap();
        assert_eq!(
            back,
            ConnectForm {
                password: String::new(),
                ..f
            }
        );
        // Forms saved before a field existed still load.
        storage.set_string("old", "(host: \"h\")".into());
        let old: ConnectForm = eframe::get_value(&storage, "old").unwrap();
        assert_eq!((old.host.as_str(), old.port.as_str()), ("h", "21"));
    }

    #[test]
    fn forms_saved_with_the_old_choice_names_still_load() {
        use eframe::Storage as _;
        let mut storage = MemoryStorage::default();
        storage.set_string(
            "old",
            "(protocol: ExplicitTls, host: \"h\", logon: Ask, mode: Auto, transfer_mode: Stream)"
                .into(),
        );
        let old: ConnectForm = eframe::get_value(&storage, "old").unwrap();
        assert_eq!(old.protocol, Protocol::ExplicitTls);
        assert_eq!(old.logon, LogonType::Ask);
        assert_eq!(old.mode, ConnectionMode::Auto);
        assert_eq!(old.transfer_mode, TransferMode::Stream);
    }

    #[test]
    fn the_proxy_field_goes_to_the_options_and_the_site_without_its_password() {
        let f = ConnectForm {
            host: "ftp.example.org".into(),
            user: "alice".into(),
            proxy: "socks5://bob:pr0xy-pw@127.0.0.1:1080".into(),
            ..ConnectForm::default()
        };
        let request = f.validate().unwrap();
        let proxy = request.options.proxy.clone().unwrap();
        assert_eq!(
            (proxy.user.as_str(), proxy.password.as_str()),
            ("bob", "pr0xy-pw")
        );
        assert_eq!(
            request.proxy,
            SiteProxy::Url("socks5://bob@127.0.0.1:1080".into())
        );
        // Auto mode stays passive through a proxy.
        assert_eq!(
            (request.options.mode, request.options.auto_fallback),
            (crate::ftp::DataMode::Passive, false)
        );
        let site = f.to_new_site();
        assert_eq!(
            site.proxy,
            SiteProxy::Url("socks5://bob@127.0.0.1:1080".into())
        );
        assert_eq!(
            proxy_field_password(&f.proxy),
            Some((
                crate::sites::proxy_secret_id("socks5://bob@127.0.0.1:1080"),
                "pr0xy-pw".to_string()
            ))
        );
        assert_eq!(
            ConnectForm::from_site(&site).proxy,
            "socks5://bob@127.0.0.1:1080"
        );
        // The window's saved state never holds the proxy password.
        use eframe::Storage as _;
        let mut storage = MemoryStorage::default();
        eframe::set_value(&mut storage, "form", &f);
        assert!(!storage.get_string("form").unwrap().contains("pr0xy-pw"));
        let back: ConnectForm = eframe::get_value(&storage, "form").unwrap();
        assert_eq!(back.proxy, "socks5://bob@127.0.0.1:1080");
    }

    #[test]
    fn an_empty_proxy_field_means_preferences_and_none_means_direct() {
        let form = |proxy: &str| ConnectForm {
            host: "h".into(),
            user: "u".into(),
            proxy: proxy.into(),
            ..ConnectForm::default()
        };
        let r = form("").validate().unwrap();
        assert_eq!((r.proxy, r.options.proxy), (SiteProxy::Preferences, None));
        let r = form(" none ").validate().unwrap();
        assert_eq!((r.proxy, r.options.proxy), (SiteProxy::Direct, None));
        assert_eq!(
            ConnectForm::from_site(&form("none").to_new_site()).proxy,
            "none"
        );
        assert_eq!(ConnectForm::from_site(&form("").to_new_site()).proxy, "");
        let bad = form("socks4://h:1");
        assert_eq!(labels(&bad.validate().unwrap_err()), [field::PROXY]);
        assert_eq!(strip_proxy_password("not a url user:pw@h"), "");
    }
}
