//! What the command line takes for the server side: an `ftp://`/`ftps://`
//! URL (parsed by [`crate::ftp::url`]) or a saved site with a path
//! (`site:NAME/path`).

use std::ops::Deref;

pub use crate::ftp::url::FtpUrl;
use crate::sites::{Site, SiteList, SiteStore};

/// A remote argument: where it is, and the saved site it names, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteArg {
    pub url: FtpUrl,
    /// For `site:NAME/path`: the saved site (its options are used to connect).
    pub site: Option<Box<Site>>,
}

impl Deref for RemoteArg {
    type Target = FtpUrl;
    fn deref(&self) -> &FtpUrl {
        &self.url
    }
}

/// Whether `text` addresses the server side: an FTP URL or a saved site.
pub fn is_remote(text: &str) -> bool {
    ["ftp://", "ftps://", "site:"]
        .iter()
        .any(|p| text.starts_with(p))
}

impl RemoteArg {
    /// An `ftp://` (plain, or explicit TLS with `--tls`) or `ftps://`
    /// (implicit TLS) URL, or `site:NAME/path`.
    pub fn parse(text: &str) -> Result<RemoteArg, String> {
        if let Some(rest) = text.strip_prefix("site:") {
            let store = SiteStore::open_default().map_err(|e| e.to_string())?;
            let loaded = store.load().map_err(|e| e.to_string())?;
            return RemoteArg::from_site(rest, &loaded.sites);
        }
        Ok(RemoteArg {
            url: FtpUrl::parse(text)?,
            site: None,
        })
    }

    /// `NAME/path` against the saved sites: the longest leading part of the
    /// text that names exactly one site (`Folder/Sub/Name`, a bare name, or
    /// an id) is the site; the rest is the path, relative to the login
    /// folder as in URLs (`NAME//tmp/x` is the absolute `/tmp/x`).
    pub fn from_site(text: &str, sites: &SiteList) -> Result<RemoteArg, String> {
        let parts: Vec<&str> = text.split('/').collect();
        for k in (1..=parts.len()).rev() {
            let query = parts[..k].join("/");
            match sites.find(&query).as_slice() {
                [] => continue,
                [site] => {
                    return Ok(RemoteArg {
                        url: FtpUrl {
                            security: site.protocol.security(),
                            host: site.host.clone(),
                            port: site.effective_port(),
                            user: site.needs_password().then(|| site.user.clone()),
                            password: None,
                            path: parts[k..].join("/").into_bytes(),
                        },
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
        let u = RemoteArg::from_site("Lab/Box/pub/x.txt", &sites).unwrap();
        assert_eq!(u.host, "a.example.org");
        assert_eq!(u.user.as_deref(), Some("alice"));
        assert_eq!(u.path, b"pub/x.txt");
        // Absolute paths as in URLs: a second slash.
        let u = RemoteArg::from_site("Home/Box//tmp/x", &sites).unwrap();
        assert_eq!(
            (u.host.as_str(), u.path.as_slice()),
            ("b.example.org", &b"/tmp/x"[..])
        );
        // "Lab" alone is the anonymous site, not the folder.
        let u = RemoteArg::from_site("Lab", &sites).unwrap();
        assert_eq!((u.host.as_str(), u.user.clone()), ("c.example.org", None));
        let e = RemoteArg::from_site("Box/x", &sites).unwrap_err();
        assert!(e.contains("2 saved sites"), "{e}");
        let e = RemoteArg::from_site("Nope", &sites).unwrap_err();
        assert!(e.contains("no saved site"), "{e}");
    }
}
