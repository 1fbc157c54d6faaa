//! Which proxy a command connects through: `--proxy`, else a saved site's
//! own setting, else the environment as curl reads it (`ftp_proxy` or
//! `ftps_proxy`, then `all_proxy`, each in lower then upper case, unless
//! `no_proxy` lists the host), else the proxy in Preferences.

use std::io::IsTerminal;

use crate::ftp::Proxy;
use crate::sites::{OsKeyring, SecretStore, SiteProxy, proxy_secret_id};

use super::CliError;

/// Where the chosen proxy came from: says whether its password may be in
/// the keyring (the window stores it there for sites and Preferences).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Source {
    Flag,
    Site,
    Env(&'static str),
    Preferences,
}

/// The proxy URL to use and where it came from; `None`: connect directly.
/// `env` reads an environment variable (a closure, so tests need not set
/// the process's own).
pub(super) fn choose(
    flag: Option<&str>,
    site: Option<&SiteProxy>,
    preferences: &str,
    secure: bool,
    host: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<(String, Source)> {
    let listed = || {
        var(env, "no_proxy").is_some_and(|list| crate::ftp::proxy::no_proxy_matches(&list, host))
    };
    if let Some(flag) = flag {
        // `--proxy ''` connects directly, whatever the environment says.
        return (!flag.trim().is_empty() && !listed()).then(|| (flag.trim().into(), Source::Flag));
    }
    match site {
        Some(SiteProxy::Direct) => return None,
        Some(SiteProxy::Url(url)) => return Some((url.clone(), Source::Site)),
        Some(SiteProxy::Preferences) | None => {}
    }
    let names: [&'static str; 2] = if secure {
        ["ftps_proxy", "all_proxy"]
    } else {
        ["ftp_proxy", "all_proxy"]
    };
    for name in names {
        if let Some(url) = var(env, name) {
            return (!listed()).then_some((url, Source::Env(name)));
        }
    }
    let preferences = preferences.trim();
    (!preferences.is_empty()).then(|| (preferences.to_string(), Source::Preferences))
}

/// A variable in lower case, else in upper case; empty counts as unset.
fn var(env: &dyn Fn(&str) -> Option<String>, lower: &str) -> Option<String> {
    [lower.to_string(), lower.to_ascii_uppercase()]
        .iter()
        .filter_map(|name| env(name))
        .map(|v| v.trim().to_string())
        .find(|v| !v.is_empty())
}

/// Parse the chosen proxy and find its password when it has a user but the
/// URL gave none: `FERRY_PROXY_PASSWORD`, the keyring (for a site's or
/// Preferences' proxy), else asked for on a terminal.
pub(super) fn resolve(url: &str, source: &Source) -> Result<Proxy, CliError> {
    let what = match source {
        Source::Flag => "--proxy".to_string(),
        Source::Site => "the site's proxy".to_string(),
        Source::Env(name) => format!("the proxy in {}", name.to_ascii_uppercase()),
        Source::Preferences => "the proxy in Preferences".to_string(),
    };
    let mut proxy = Proxy::parse(url).map_err(|e| CliError::usage(format!("{what}: {e}")))?;
    if proxy.user.is_empty() || !proxy.password.is_empty() {
        return Ok(proxy);
    }
    if let Ok(p) = std::env::var("FERRY_PROXY_PASSWORD") {
        proxy.password = p;
        return Ok(proxy);
    }
    if matches!(source, Source::Site | Source::Preferences)
        && let Ok(Some(p)) = OsKeyring::new().get(&proxy_secret_id(&proxy.url()))
    {
        proxy.password = p;
        return Ok(proxy);
    }
    if std::io::stdin().is_terminal() {
        proxy.password = rpassword::prompt_password(format!(
            "Password for {} on {}: ",
            proxy.user,
            proxy.describe()
        ))
        .map_err(|e| CliError::usage(format!("could not read the proxy password: {e}")))?;
        return Ok(proxy);
    }
    Err(CliError::usage(format!(
        "no password for the proxy user {}: put it in the proxy URL or in FERRY_PROXY_PASSWORD, or run from a terminal to be asked: {}",
        proxy.user,
        proxy.addr_text()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        }
    }

    fn pick(
        flag: Option<&str>,
        site: Option<&SiteProxy>,
        secure: bool,
        host: &str,
        vars: &'static [(&'static str, &'static str)],
    ) -> Option<(String, Source)> {
        choose(flag, site, "http://prefs:3128", secure, host, &env_of(vars))
    }

    #[test]
    fn the_environment_is_read_as_curl_reads_it() {
        let both = &[
            ("ALL_PROXY", "socks5://all:1080"),
            ("FTP_PROXY", "socks5://ftp:1080"),
        ];
        assert_eq!(
            pick(None, None, false, "h", both),
            Some(("socks5://ftp:1080".into(), Source::Env("ftp_proxy")))
        );
        assert_eq!(
            pick(None, None, true, "h", both),
            Some(("socks5://all:1080".into(), Source::Env("all_proxy"))),
            "ftps:// reads ftps_proxy, not ftp_proxy"
        );
        let cases = &[
            ("ftp_proxy", "http://lower:1"),
            ("FTP_PROXY", "http://upper:1"),
        ];
        assert_eq!(
            pick(None, None, false, "h", cases).unwrap().0,
            "http://lower:1"
        );
        let empty = &[("ftp_proxy", ""), ("ALL_PROXY", "socks5h://all:1")];
        assert_eq!(
            pick(None, None, false, "h", empty).unwrap().0,
            "socks5h://all:1"
        );
    }

    #[test]
    fn no_proxy_sends_listed_hosts_direct() {
        let vars = &[
            ("ALL_PROXY", "socks5://p:1080"),
            ("NO_PROXY", "localhost,.internal.example"),
        ];
        assert_eq!(pick(None, None, false, "ftp.internal.example", vars), None);
        assert_eq!(pick(None, None, false, "localhost", vars), None);
        assert!(pick(None, None, false, "ftp.example.org", vars).is_some());
        let all = &[("all_proxy", "socks5://p:1080"), ("no_proxy", "*")];
        assert_eq!(pick(None, None, false, "anything", all), None);
        // curl applies no_proxy to --proxy as well.
        assert_eq!(
            pick(Some("socks5://p:1"), None, false, "anything", all),
            None
        );
    }

    #[test]
    fn the_flag_then_the_site_then_the_environment_then_preferences() {
        let vars = &[("all_proxy", "socks5://env:1080")];
        assert_eq!(
            pick(Some("http://flag:1"), None, false, "h", vars),
            Some(("http://flag:1".into(), Source::Flag))
        );
        assert_eq!(pick(Some(""), None, false, "h", vars), None, "--proxy ''");
        let own = SiteProxy::Url("socks5://site:1".into());
        assert_eq!(
            pick(None, Some(&own), false, "h", vars),
            Some(("socks5://site:1".into(), Source::Site))
        );
        assert_eq!(pick(None, Some(&SiteProxy::Direct), false, "h", vars), None);
        assert_eq!(
            pick(None, Some(&SiteProxy::Preferences), false, "h", vars)
                .unwrap()
                .1,
            Source::Env("all_proxy")
        );
        assert_eq!(
            pick(None, None, false, "h", &[]),
            Some(("http://prefs:3128".into(), Source::Preferences))
        );
    }
}
