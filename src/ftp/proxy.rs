//! Opening a TCP connection through a proxy: SOCKS5 (RFC 1928, with the
//! user name and password login of RFC 1929; `socks5h` lets the proxy
//! resolve names) or an HTTP proxy's `CONNECT` tunnel (with Basic login).
//! Control and passive data connections both come through here when a
//! proxy is set; active mode cannot work through one (the server would have
//! to reach the client) and is refused by the session.
//!
//! The SOCKS5 handshake is tokio-socks'; the HTTP `CONNECT` exchange is a
//! dozen lines, written here because the reply must be read byte by byte:
//! whatever follows its blank line already belongs to the FTP server (its
//! greeting), and a buffered reader would swallow it.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use base64::Engine as _;
use percent_encoding::percent_decode_str;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::error::{Channel, FtpError, Result};
use super::log::Logger;

/// The kinds of proxy Ferry speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyKind {
    /// SOCKS5; Ferry resolves the server's name itself.
    Socks5,
    /// SOCKS5; the proxy resolves the server's name (`socks5h://`).
    Socks5h,
    /// An HTTP proxy, through a `CONNECT` tunnel.
    Http,
}

impl ProxyKind {
    /// The URL scheme: `socks5`, `socks5h` or `http`.
    pub fn scheme(self) -> &'static str {
        match self {
            ProxyKind::Socks5 => "socks5",
            ProxyKind::Socks5h => "socks5h",
            ProxyKind::Http => "http",
        }
    }

    /// How messages name it: "SOCKS5" or "HTTP".
    pub fn label(self) -> &'static str {
        match self {
            ProxyKind::Socks5 | ProxyKind::Socks5h => "SOCKS5",
            ProxyKind::Http => "HTTP",
        }
    }
}

/// The port a proxy URL without one means (curl's choice, for all kinds).
pub const DEFAULT_PROXY_PORT: u16 = 1080;

/// A proxy to connect through. Its `Debug` form masks the password, and
/// [`Proxy::url`] leaves it out.
#[derive(Clone, PartialEq, Eq)]
pub struct Proxy {
    pub kind: ProxyKind,
    /// Host name or IP address (IPv6 without brackets).
    pub host: String,
    pub port: u16,
    /// Empty: no login.
    pub user: String,
    pub password: String,
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Proxy")
            .field("kind", &self.kind)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field(
                "password",
                &format_args!("{:?}", super::options::masked(&self.password)),
            )
            .finish()
    }
}

impl Proxy {
    /// Parse `socks5://[user[:password]@]host[:port]`, `socks5h://…` or
    /// `http://…`; no scheme means `http://`, as curl reads it. The user
    /// name and password are percent-decoded.
    pub fn parse(text: &str) -> std::result::Result<Proxy, String> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err("the proxy address is empty".into());
        }
        if trimmed.contains(char::is_whitespace) {
            return Err(format!(
                "a proxy address has no spaces; write it as socks5://host:port or http://host:port: {trimmed}"
            ));
        }
        let with_scheme = if trimmed.contains("://") {
            trimmed.to_string()
        } else {
            format!("http://{trimmed}")
        };
        let url = url::Url::parse(&with_scheme).map_err(|e| {
            format!("not a proxy address ({e}); write it as socks5://host:port or http://host:port: {trimmed}")
        })?;
        let kind = match url.scheme() {
            "socks5" => ProxyKind::Socks5,
            "socks5h" => ProxyKind::Socks5h,
            "http" => ProxyKind::Http,
            other => {
                return Err(format!(
                    "Ferry speaks SOCKS5 and HTTP CONNECT proxies, not {other:?}; use socks5://, socks5h:// or http://: {trimmed}"
                ));
            }
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| format!("the proxy address names no host: {trimmed}"))?;
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host)
            .to_string();
        if !matches!(url.path(), "" | "/") || url.query().is_some() {
            return Err(format!(
                "a proxy address has no path; write it as {}://host:port: {trimmed}",
                kind.scheme()
            ));
        }
        let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
        Ok(Proxy {
            kind,
            host,
            port: url.port().unwrap_or(DEFAULT_PROXY_PORT),
            user: decode(url.username()),
            password: url.password().map(decode).unwrap_or_default(),
        })
    }

    /// `host:port`, bracketing IPv6 literals.
    pub fn addr_text(&self) -> String {
        host_port(&self.host, self.port)
    }

    /// The proxy as a URL, with the user but never the password: for
    /// settings files and messages.
    pub fn url(&self) -> String {
        let user = if self.user.is_empty() {
            String::new()
        } else {
            let encoded =
                percent_encoding::utf8_percent_encode(&self.user, USERINFO_ENCODE).to_string();
            format!("{encoded}@")
        };
        format!("{}://{user}{}", self.kind.scheme(), self.addr_text())
    }

    /// "the SOCKS5 proxy 127.0.0.1:1080", for messages.
    pub fn describe(&self) -> String {
        format!("the {} proxy {}", self.kind.label(), self.addr_text())
    }
}

/// What a user name in a proxy URL keeps unencoded.
const USERINFO_ENCODE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'.')
    .remove(b'-')
    .remove(b'_')
    .remove(b'~');

fn host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Where the proxy is asked to connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Addr(SocketAddr),
    /// A host name, resolved by the proxy (socks5h, HTTP) or by Ferry just
    /// before asking (socks5).
    Name(String, u16),
}

impl Target {
    /// A host as the user wrote it: an IP literal becomes an address.
    pub fn host(host: &str, port: u16) -> Target {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        match bare.parse::<IpAddr>() {
            Ok(ip) => Target::Addr(SocketAddr::new(ip, port)),
            Err(_) => Target::Name(bare.to_string(), port),
        }
    }

    /// The same host on another port (a passive data port).
    pub fn with_port(&self, port: u16) -> Target {
        match self {
            Target::Addr(a) => Target::Addr(SocketAddr::new(a.ip(), port)),
            Target::Name(h, _) => Target::Name(h.clone(), port),
        }
    }

    /// The host part alone, for messages.
    pub fn host_text(&self) -> String {
        match self {
            Target::Addr(a) => a.ip().to_string(),
            Target::Name(h, _) => h.clone(),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Addr(a) => write!(f, "{a}"),
            Target::Name(h, p) => f.write_str(&host_port(h, *p)),
        }
    }
}

/// Whether `NO_PROXY`'s list says to connect to `host` directly, as curl
/// reads it: entries separated by commas (or spaces); `*` alone matches
/// every host; a name matches itself and every name under it (`example.com`
/// and `.example.com` both match `ftp.example.com`); an IP address matches
/// itself, and `address/bits` a whole network. Case does not matter.
pub fn no_proxy_matches(list: &str, host: &str) -> bool {
    let host = host
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.')
        .to_ascii_lowercase();
    let host_ip = host.parse::<IpAddr>().ok();
    list.split([',', ' ', '\t'])
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .any(|entry| {
            if entry == "*" {
                return true;
            }
            let entry = entry.to_ascii_lowercase();
            let entry = entry.trim_start_matches('[');
            let entry = entry.split(']').next().unwrap_or(entry);
            if let Some(ip) = host_ip {
                return ip_matches(entry, ip);
            }
            let name = entry.trim_start_matches('.').trim_end_matches('.');
            !name.is_empty()
                && (host == name
                    || (host.len() > name.len()
                        && host.ends_with(name)
                        && host.as_bytes()[host.len() - name.len() - 1] == b'.'))
        })
}

fn ip_matches(entry: &str, ip: IpAddr) -> bool {
    let (addr, bits) = match entry.split_once('/') {
        Some((a, b)) => match b.parse::<u32>() {
            Ok(bits) => (a, Some(bits)),
            Err(_) => return false,
        },
        None => (entry, None),
    };
    let Ok(net) = addr.parse::<IpAddr>() else {
        return false;
    };
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(h)) => prefix_eq(&n.octets(), &h.octets(), bits.unwrap_or(32)),
        (IpAddr::V6(n), IpAddr::V6(h)) => prefix_eq(&n.octets(), &h.octets(), bits.unwrap_or(128)),
        _ => false,
    }
}

fn prefix_eq(a: &[u8], b: &[u8], bits: u32) -> bool {
    let bits = (bits as usize).min(a.len() * 8);
    let (whole, rest) = (bits / 8, bits % 8);
    if a[..whole] != b[..whole] {
        return false;
    }
    rest == 0 || {
        let mask = 0xffu8 << (8 - rest);
        a[whole] & mask == b[whole] & mask
    }
}

/// Open a TCP connection to `target` through `proxy` within `limit`: the
/// connection to the proxy, its login and the tunnel all count. Returns the
/// stream (carrying the server's bytes from then on) and the target as it
/// was asked for (after Ferry's own resolution for `socks5://`).
pub async fn connect(
    proxy: &Proxy,
    target: &Target,
    channel: Channel,
    limit: Duration,
    log: &Logger,
) -> Result<(TcpStream, Target)> {
    let deadline = Instant::now() + limit;
    let timed_out = || FtpError::Proxy {
        channel,
        proxy: proxy.describe(),
        problem: format!(
            "did not connect to {target} within {} s — check that the proxy runs and can reach the server, or raise the timeout",
            limit.as_secs().max(1)
        ),
    };
    let work = async {
        // socks5:// means Ferry resolves the name; the proxy gets addresses.
        let targets: Vec<Target> = match (proxy.kind, target) {
            (ProxyKind::Socks5, Target::Name(host, port)) => {
                log.status(format!("Resolving {host}…"));
                let addrs = tokio::net::lookup_host((host.as_str(), *port))
                    .await
                    .map_err(|source| FtpError::Resolve {
                        host: host.clone(),
                        source,
                    })?;
                addrs.map(Target::Addr).collect()
            }
            _ => vec![target.clone()],
        };
        let mut last = None;
        for t in &targets {
            match connect_once(proxy, t, channel, log).await {
                Ok(tcp) => return Ok((tcp, t.clone())),
                // The proxy could not reach this address: try the next one.
                Err(e @ FtpError::Proxy { .. }) if targets.len() > 1 => {
                    log.error(e.to_string());
                    last = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| FtpError::Resolve {
            host: target.host_text(),
            source: std::io::Error::other("the name resolved to no address"),
        }))
    };
    match tokio::time::timeout_at(deadline, work).await {
        Ok(r) => r,
        Err(_) => {
            log.error(format!("Connecting through {} timed out", proxy.describe()));
            Err(timed_out())
        }
    }
}

async fn connect_once(
    proxy: &Proxy,
    target: &Target,
    channel: Channel,
    log: &Logger,
) -> Result<TcpStream> {
    let fail = |problem: String| FtpError::Proxy {
        channel,
        proxy: proxy.describe(),
        problem,
    };
    log.status(format!(
        "Connecting to {target} through {}…",
        proxy.describe()
    ));
    let tcp = TcpStream::connect((proxy.host.as_str(), proxy.port))
        .await
        .map_err(|e| {
            fail(format!(
                "cannot be reached ({e}) — check the proxy's address and port, and that it runs"
            ))
        })?;
    let _ = tcp.set_nodelay(true);
    let tcp = match proxy.kind {
        ProxyKind::Socks5 | ProxyKind::Socks5h => socks5(proxy, target, tcp)
            .await
            .map_err(|e| fail(socks_problem(proxy, target, e)))?,
        ProxyKind::Http => http_connect(proxy, target, tcp).await.map_err(fail)?,
    };
    log.status(format!(
        "Connected to {target} through {}",
        proxy.describe()
    ));
    Ok(tcp)
}

async fn socks5(
    proxy: &Proxy,
    target: &Target,
    tcp: TcpStream,
) -> std::result::Result<TcpStream, tokio_socks::Error> {
    use tokio_socks::tcp::Socks5Stream;
    let stream = match (target, proxy.user.is_empty()) {
        (Target::Addr(a), true) => Socks5Stream::connect_with_socket(tcp, *a).await?,
        (Target::Name(h, p), true) => {
            Socks5Stream::connect_with_socket(tcp, (h.as_str(), *p)).await?
        }
        (Target::Addr(a), false) => {
            Socks5Stream::connect_with_password_and_socket(tcp, *a, &proxy.user, &proxy.password)
                .await?
        }
        (Target::Name(h, p), false) => {
            Socks5Stream::connect_with_password_and_socket(
                tcp,
                (h.as_str(), *p),
                &proxy.user,
                &proxy.password,
            )
            .await?
        }
    };
    Ok(stream.into_inner())
}

/// A SOCKS5 failure in words: what went wrong, then what to do.
fn socks_problem(proxy: &Proxy, target: &Target, e: tokio_socks::Error) -> String {
    use tokio_socks::Error as E;
    match e {
        E::PasswordAuthFailure(_) => {
            "refused the login — check the proxy user name and password".into()
        }
        E::NoAcceptableAuthMethods | E::AuthorizationRequired if proxy.user.is_empty() => {
            "asks for a login — give the proxy a user name and password".into()
        }
        E::NoAcceptableAuthMethods => "accepts none of the logins Ferry offers (none, or user name and password) — check the proxy's settings".into(),
        E::InvalidAuthValues(what) => format!(
            "cannot take this login ({what}) — the proxy user name and password must each be 1 to 255 bytes"
        ),
        E::AddressTypeNotSupported if matches!(target, Target::Name(..)) => {
            "cannot resolve names — use socks5:// instead of socks5h:// so that Ferry resolves them".into()
        }
        E::ConnectionRefused
        | E::HostUnreachable
        | E::NetworkUnreachable
        | E::TtlExpired
        | E::ConnectionNotAllowedByRuleset
        | E::GeneralSocksServerFailure => format!(
            "could not connect to {target} ({e}) — check the server's address, and that the proxy may reach it"
        ),
        E::Io(io) => format!(
            "failed during the SOCKS5 handshake ({io}) — check that this is a SOCKS5 proxy"
        ),
        other => format!(
            "answered in a way Ferry does not understand ({other}) — check that this is a SOCKS5 proxy"
        ),
    }
}

/// The longest `CONNECT` reply header Ferry reads.
const MAX_HTTP_HEADER: usize = 16 * 1024;

async fn http_connect(
    proxy: &Proxy,
    target: &Target,
    mut tcp: TcpStream,
) -> std::result::Result<TcpStream, String> {
    let authority = target.to_string();
    let mut request = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
    if !proxy.user.is_empty() {
        let token = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", proxy.user, proxy.password));
        request.push_str(&format!("Proxy-Authorization: Basic {token}\r\n"));
    }
    request.push_str("\r\n");
    let lost = |e: std::io::Error| {
        format!("closed the connection ({e}) — check that this is an HTTP proxy")
    };
    tcp.write_all(request.as_bytes()).await.map_err(lost)?;
    // Byte by byte: what follows the blank line is the server's, not ours.
    let mut header = Vec::with_capacity(256);
    let mut byte = [0u8; 1];
    while !header.ends_with(b"\r\n\r\n") && !header.ends_with(b"\n\n") {
        if header.len() >= MAX_HTTP_HEADER {
            return Err("sent an endless reply header — check that this is an HTTP proxy".into());
        }
        match tcp.read(&mut byte).await.map_err(lost)? {
            0 if header.is_empty() => {
                return Err(
                    "closed the connection without answering — check that this is an HTTP proxy"
                        .into(),
                );
            }
            0 => break,
            _ => header.push(byte[0]),
        }
    }
    let text = String::from_utf8_lossy(&header);
    let status_line = text.lines().next().unwrap_or("").trim();
    let mut parts = status_line.splitn(3, ' ');
    let (version, code) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let reason = parts.next().unwrap_or("").trim();
    let Some(code) = version
        .starts_with("HTTP/")
        .then(|| code.parse::<u16>().ok())
        .flatten()
    else {
        return Err(format!(
            "did not answer as an HTTP proxy ({status_line:?}) — check the proxy's kind and port"
        ));
    };
    match code {
        200..=299 => Ok(tcp),
        // 407 is the standard answer; tinyproxy says 401 to CONNECT.
        401 | 407 if proxy.user.is_empty() => Err(format!(
            "asks for a login ({code} {reason}) — give the proxy a user name and password"
        )),
        401 | 407 => Err(format!(
            "refused the login ({code} {reason}) — check the proxy user name and password"
        )),
        _ => Err(format!(
            "could not connect to {target} ({code} {reason}) — check the server's address, and that the proxy allows connections to this port"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_urls_parse_as_curl_reads_them() {
        let p = Proxy::parse("socks5://alice:s%40cret@127.0.0.1:1081").unwrap();
        assert_eq!(p.kind, ProxyKind::Socks5);
        assert_eq!((p.host.as_str(), p.port), ("127.0.0.1", 1081));
        assert_eq!((p.user.as_str(), p.password.as_str()), ("alice", "s@cret"));
        let p = Proxy::parse("socks5h://proxy.example.org").unwrap();
        assert_eq!((p.kind, p.port), (ProxyKind::Socks5h, DEFAULT_PROXY_PORT));
        let p = Proxy::parse("proxy.example.org:3128").unwrap();
        assert_eq!((p.kind, p.port), (ProxyKind::Http, 3128));
        let p = Proxy::parse("http://[::1]:8080/").unwrap();
        assert_eq!(
            (p.host.as_str(), p.addr_text()),
            ("::1", "[::1]:8080".into())
        );
        for bad in [
            "",
            "socks4://h:1",
            "https://h:1",
            "http://h:1/path",
            "socks5://:1",
        ] {
            assert!(Proxy::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_password_stays_out_of_debug_and_the_url() {
        let p = Proxy::parse("socks5://bob:hunter2-Sekr1t@h:1").unwrap();
        for text in [format!("{p:?}"), p.url(), p.describe()] {
            assert!(!text.contains("hunter2"), "{text}");
        }
        assert_eq!(p.url(), "socks5://bob@h:1");
        assert_eq!(p.describe(), "the SOCKS5 proxy h:1");
    }

    #[test]
    fn no_proxy_lists_match_as_curl_matches_them() {
        let cases: &[(&str, &str, bool)] = &[
            ("*", "anything.example", true),
            ("example.com", "example.com", true),
            ("example.com", "ftp.example.com", true),
            (".example.com", "ftp.example.com", true),
            (".example.com", "example.com", true),
            ("example.com", "badexample.com", false),
            ("example.com", "example.com.evil.org", false),
            ("localhost, 127.0.0.1", "127.0.0.1", true),
            ("localhost,127.0.0.1", "LOCALHOST", true),
            ("10.0.0.0/8", "10.1.2.3", true),
            ("10.0.0.0/8", "11.1.2.3", false),
            ("::1", "[::1]", true),
            ("[::1]", "::1", true),
            ("192.168.1.1", "192.168.1.10", false),
            ("", "example.com", false),
            ("other.org example.com", "ftp.example.com", true),
            ("*.example.com", "ftp.example.com", false),
        ];
        for (list, host, want) in cases {
            assert_eq!(no_proxy_matches(list, host), *want, "{list:?} vs {host:?}");
        }
    }

    #[test]
    fn targets_keep_names_and_take_literals_as_addresses() {
        assert_eq!(
            Target::host("[::1]", 21),
            Target::Addr("[::1]:21".parse().unwrap())
        );
        let t = Target::host("ftp.example.org", 21);
        assert_eq!(t.with_port(50000).to_string(), "ftp.example.org:50000");
        assert_eq!(
            Target::host("10.0.0.1", 21).with_port(2).to_string(),
            "10.0.0.1:2"
        );
    }
}
