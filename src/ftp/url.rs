//! `ftp://user:pass@host:port/path` and `ftps://` addresses: parsed for the
//! command line and the connection form, and written for messages and the
//! clipboard. The one place both read and write them.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use super::options::{ConnectOptions, Security};

/// A parsed FTP URL.
/// Its `Debug` form masks the password.
#[derive(Clone, PartialEq, Eq)]
pub struct FtpUrl {
    /// `ftp://` is plain FTP (or explicit TLS when the caller asks for it),
    /// `ftps://` implicit TLS.
    pub security: Security,
    /// As written in the URL: IPv6 literals keep their brackets.
    pub host: String,
    pub port: u16,
    /// None: anonymous.
    pub user: Option<String>,
    pub password: Option<String>,
    /// The path as bytes (percent-decoded). Following RFC 1738 and curl, a
    /// path is relative to the login folder: `ftp://h/a/b` is `a/b`; an
    /// absolute path is written `ftp://h//tmp/x` or `ftp://h/%2Ftmp/x`.
    pub path: Vec<u8>,
}

impl std::fmt::Debug for FtpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FtpUrl")
            .field("security", &self.security)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field(
                "password",
                &self.password.as_deref().map(crate::ftp::options::masked),
            )
            .field("path", &String::from_utf8_lossy(&self.path))
            .finish()
    }
}

/// What a path segment keeps unencoded: letters, digits, `/ . - _ ~`.
const PATH_KEEPS: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'.')
    .remove(b'-')
    .remove(b'_')
    .remove(b'~');

/// What a user name keeps unencoded.
const USER_KEEPS: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'.')
    .remove(b'-')
    .remove(b'_')
    .remove(b'~');

/// Whether the text is an `ftp://` or `ftps://` address rather than a host name.
pub fn looks_like_url(text: &str) -> bool {
    let t = text.trim_start().to_ascii_lowercase();
    t.starts_with("ftp://") || t.starts_with("ftps://")
}

impl FtpUrl {
    /// Parse `ftp://` (plain, or explicit TLS if the caller says so) and
    /// `ftps://` (implicit TLS) URLs.
    pub fn parse(text: &str) -> Result<FtpUrl, String> {
        let url = url::Url::parse(text).map_err(|e| format!("not a valid URL ({e}): {text}"))?;
        let security = match url.scheme() {
            "ftp" => Security::None,
            "ftps" => Security::Implicit,
            other => {
                return Err(format!(
                    "unsupported scheme {other:?}; use ftp:// or ftps://: {text}"
                ));
            }
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| format!("the URL names no host: {text}"))?
            .to_string();
        let port = url.port().unwrap_or(security.default_port());
        let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
        let user = Some(decode(url.username())).filter(|u| !u.is_empty());
        let password = url.password().map(decode);
        // The raw path after "ftp://host[:port]", minus any ";type=" suffix.
        let raw = url.path();
        let raw = raw.split(";type=").next().unwrap_or(raw);
        let mut path: Vec<u8> = percent_decode_str(raw).collect();
        if path.first() == Some(&b'/') {
            path.remove(0);
        }
        Ok(FtpUrl {
            security,
            host,
            port,
            user,
            password,
            path,
        })
    }

    /// The address of `path` (absolute, as the server names it) on the
    /// server `opts` logs in to; no password, and no user for anonymous.
    pub fn of(opts: &ConnectOptions, path: &[u8]) -> FtpUrl {
        let host = if opts.host.contains(':') && !opts.host.starts_with('[') {
            format!("[{}]", opts.host)
        } else {
            opts.host.clone()
        };
        let anonymous = opts.user.is_empty() || opts.user == "anonymous";
        FtpUrl {
            security: opts.security,
            host,
            port: opts.port,
            user: (!anonymous).then(|| opts.user.clone()),
            password: None,
            path: path.to_vec(),
        }
    }

    /// The last path segment (a file name), if the path does not end in `/`.
    pub fn file_name(&self) -> Option<&[u8]> {
        let name = self.path.rsplit(|&b| b == b'/').next()?;
        (!name.is_empty()).then_some(name)
    }

    /// The folder part of the path, with a trailing `/` (empty for the login folder).
    pub fn dir(&self) -> &[u8] {
        match self.path.iter().rposition(|&b| b == b'/') {
            Some(i) => &self.path[..=i],
            None => &[],
        }
    }

    fn scheme(&self) -> &'static str {
        if self.security == Security::Implicit {
            "ftps"
        } else {
            "ftp"
        }
    }

    /// `ftp://user@host:port/path` without the password, for messages.
    pub fn display(&self) -> String {
        let user = self
            .user
            .as_deref()
            .map(|u| format!("{u}@"))
            .unwrap_or_default();
        format!(
            "{}://{user}{}:{}/{}",
            self.scheme(),
            self.host,
            self.port,
            String::from_utf8_lossy(&self.path)
        )
    }

    /// The URL percent-encoded, as browsers and curl take it (no password):
    /// [`FtpUrl::parse`] reads it back to the same host, user and path.
    pub fn encoded(&self) -> String {
        let user = self
            .user
            .as_deref()
            .map(|u| format!("{}@", utf8_percent_encode(u, USER_KEEPS)))
            .unwrap_or_default();
        let path = percent_encoding::percent_encode(&self.path, PATH_KEEPS);
        format!(
            "{}://{user}{}:{}/{path}",
            self.scheme(),
            self.host,
            self.port
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_into_their_parts() {
        let u = FtpUrl::parse("ftp://alice:p%40ss@example.org:2121/dir/my%20file.txt").unwrap();
        assert_eq!(u.security, Security::None);
        assert_eq!(u.host, "example.org");
        assert_eq!(u.port, 2121);
        assert_eq!(u.user.as_deref(), Some("alice"));
        assert_eq!(u.password.as_deref(), Some("p@ss"));
        assert_eq!(u.path, b"dir/my file.txt");
        assert_eq!(u.file_name(), Some(b"my file.txt".as_slice()));
        assert_eq!(u.dir(), b"dir/");
        assert!(!u.display().contains("p@ss"));
        for text in [format!("{u:?}"), format!("{u:#?}")] {
            assert!(!text.contains("p@ss"), "{text}");
            assert!(text.contains("***") && text.contains("alice"), "{text}");
        }
    }

    #[test]
    fn defaults_and_special_forms() {
        let u = FtpUrl::parse("ftps://h").unwrap();
        assert_eq!(
            (u.security, u.port, u.user.clone(), u.path.clone()),
            (Security::Implicit, 990, None, vec![])
        );
        assert_eq!(u.file_name(), None);
        assert_eq!(FtpUrl::parse("ftp://h/").unwrap().port, 21);
        assert_eq!(FtpUrl::parse("ftp://h//tmp/x").unwrap().path, b"/tmp/x");
        assert_eq!(FtpUrl::parse("ftp://h/%2Ftmp/x").unwrap().path, b"/tmp/x");
        assert_eq!(FtpUrl::parse("ftp://h/a;type=i").unwrap().path, b"a");
        assert_eq!(FtpUrl::parse("ftp://[::1]:21/a").unwrap().host, "[::1]");
        assert_eq!(FtpUrl::parse("ftp://h/caf%E9").unwrap().path, b"caf\xe9");
        assert_eq!(FtpUrl::parse("ftp://h/dir/").unwrap().file_name(), None);
    }

    #[test]
    fn bad_urls_say_what_is_wrong() {
        assert!(
            FtpUrl::parse("http://h/x")
                .unwrap_err()
                .contains("unsupported scheme")
        );
        assert!(
            FtpUrl::parse("not a url")
                .unwrap_err()
                .contains("not a valid URL")
        );
        assert!(looks_like_url(" ftps://x"));
        assert!(looks_like_url("FTP://x"));
        assert!(!looks_like_url("ftp.example.org"));
    }

    #[test]
    fn written_urls_read_back_to_the_same_place() {
        let mut o = ConnectOptions::new("::1", 2121, "jörg w", "secret");
        o.security = Security::Implicit;
        let path = b"/pub/my file #1/caf\xe9.txt";
        let text = FtpUrl::of(&o, path).encoded();
        assert!(text.starts_with("ftps://j%C3%B6rg%20w@[::1]:2121//pub/my%20file%20%231/"));
        assert!(!text.contains("secret"));
        let back = FtpUrl::parse(&text).unwrap();
        assert_eq!(back.path, path);
        assert_eq!(back.user.as_deref(), Some("jörg w"));
        assert_eq!((back.host.as_str(), back.port), ("[::1]", 2121));
        let anonymous = ConnectOptions::new("h", 21, "anonymous", "x");
        assert_eq!(FtpUrl::of(&anonymous, b"/a").encoded(), "ftp://h:21//a");
    }
}
