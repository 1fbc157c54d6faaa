//! `ftp://user:pass@host:port/path` addresses as the command line takes them.

use percent_encoding::percent_decode_str;

use crate::ftp::Security;
use crate::sites::{Site, SiteList, SiteStore};

/// A parsed FTP URL, or a saved site with a path (`site:NAME/path`).
#[derive(Debug, Clone, PartialEq)]
pub struct FtpUrl {
    pub security: Security,
    pub host: String,
    pub port: u16,
    /// None: anonymous.
    pub user: Option<String>,
    pub password: Option<String>,
    /// The path as bytes (percent-decoded). Following RFC 1738 and curl, a
    /// path is relative to the login folder: `ftp://h/a/b` is `a/b`; an
    /// absolute path is written `ftp://h//tmp/x` or `ftp://h/%2Ftmp/x`.
    pub path: Vec<u8>,
    /// For `site:NAME/path`: the saved site (its options are used to connect).
    pub site: Option<Box<Site>>,
}

/// Whether `text` addresses the server side: an FTP URL or a saved site.
pub fn is_remote(text: &str) -> bool {
    ["ftp://", "ftps://", "site:"]
        .iter()
        .any(|p| text.starts_with(p))
}

impl FtpUrl {
    /// Parse `ftp://` (plain, or explicit TLS with `--tls`) and `ftps://`
    /// (implicit TLS) URLs.
    pub fn parse(text: &str) -> Result<FtpUrl, String> {
        if let Some(rest) = text.strip_prefix("site:") {
            let store = SiteStore::open_default().map_err(|e| e.to_string())?;
            let loaded = store.load().map_err(|e| e.to_string())?;
            return FtpUrl::from_site(rest, &loaded.sites);
        }
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
            site: None,
        })
    }

    /// `NAME/path` against the saved sites: the longest leading part of the
    /// text that names exactly one site (`Folder/Sub/Name`, a bare name, or
    /// an id) is the site; the rest is the path, relative to the login
    /// folder as in URLs (`NAME//tmp/x` is the absolute `/tmp/x`).
    pub fn from_site(text: &str, sites: &SiteList) -> Result<FtpUrl, String> {
        let parts: Vec<&str> = text.split('/').collect();
        for k in (1..=parts.len()).rev() {
            let query = parts[..k].join("/");
            match sites.find(&query).as_slice() {
                [] => continue,
                [site] => {
                    return Ok(FtpUrl {
                        security: site.protocol.security(),
                        host: site.host.clone(),
                        port: site.effective_port(),
                        user: site.needs_password().then(|| site.user.clone()),
                        password: None,
                        path: parts[k..].join("/").into_bytes(),
                        site: Some(Box::new((*site).clone())),
                    });
                }
                many => {
                    return Err(format!(
                        "{} saved sites are called {query:?}; name it with its folder (Folder/Name) — `ferry sites list` shows them",
                        many.len()
                    ));
                }
            }
        }
        Err(format!(
            "no saved site is called {text:?}; `ferry sites list` shows them"
        ))
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

    /// `ftp://user@host:port/path` without the password, for messages.
    pub fn display(&self) -> String {
        let scheme = if self.security == Security::Implicit {
            "ftps"
        } else {
            "ftp"
        };
        let user = self
            .user
            .as_deref()
            .map(|u| format!("{u}@"))
            .unwrap_or_default();
        format!(
            "{scheme}://{user}{}:{}/{}",
            self.host,
            self.port,
            String::from_utf8_lossy(&self.path)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_sites_take_the_longest_name_and_the_rest_is_the_path() {
        let mut a = Site::new("Box", "a.example.org");
        a.folder = vec!["Lab".into()];
        a.user = "alice".into();
        let mut b = Site::new("Box", "b.example.org");
        b.folder = vec!["Home".into()];
        let mut c = Site::new("Lab", "c.example.org");
        c.logon = crate::sites::LogonType::Anonymous;
        let sites = SiteList {
            sites: vec![a, b, c],
            ..SiteList::default()
        };
        let u = FtpUrl::from_site("Lab/Box/pub/x.txt", &sites).unwrap();
        assert_eq!(u.host, "a.example.org");
        assert_eq!(u.user.as_deref(), Some("alice"));
        assert_eq!(u.path, b"pub/x.txt");
        // Absolute paths as in URLs: a second slash.
        let u = FtpUrl::from_site("Home/Box//tmp/x", &sites).unwrap();
        assert_eq!(
            (u.host.as_str(), u.path.as_slice()),
            ("b.example.org", &b"/tmp/x"[..])
        );
        // "Lab" alone is the anonymous site, not the folder.
        let u = FtpUrl::from_site("Lab", &sites).unwrap();
        assert_eq!((u.host.as_str(), u.user.clone()), ("c.example.org", None));
        let e = FtpUrl::from_site("Box/x", &sites).unwrap_err();
        assert!(e.contains("2 saved sites"), "{e}");
        let e = FtpUrl::from_site("Nope", &sites).unwrap_err();
        assert!(e.contains("no saved site"), "{e}");
    }

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
    }
}
