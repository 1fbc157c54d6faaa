//! The window's proxies: which proxy a connection goes through (the form's
//! or the site's own, none, or the one in Preferences), and their
//! passwords, read from the password store once per run and kept in memory.

use std::collections::BTreeSet;

use super::*;
use crate::ftp::Proxy;
use crate::sites::{SiteProxy, proxy_secret_id};

impl FerryApp {
    /// Put the proxy the request's setting means into its options, with its
    /// password from the store when the URL names a user but no password.
    /// Through a proxy, auto mode stays passive (active cannot work).
    pub(super) fn apply_proxy(&self, request: &mut ConnectRequest) {
        let o = &mut request.options;
        if o.proxy.is_none() {
            o.proxy = request
                .proxy
                .url(&self.preferences.network.proxy)
                .and_then(|url| Proxy::parse(url).ok());
        }
        if let Some(proxy) = o.proxy.as_mut()
            && !proxy.user.is_empty()
            && proxy.password.is_empty()
            && let Some(password) = self.proxy_passwords.get(&proxy_secret_id(&proxy.url()))
        {
            proxy.password = password.clone();
        }
        if o.proxy.is_some() && o.auto_fallback {
            o.mode = DataMode::Passive;
            o.auto_fallback = false;
        }
    }

    /// Ask the password store for the passwords of the proxies in use (in
    /// Preferences and in saved sites) that log in, once per run each.
    pub(super) fn load_proxy_passwords(&mut self) {
        let mut urls: BTreeSet<String> = self
            .sites
            .sites
            .iter()
            .filter_map(|s| match &s.proxy {
                SiteProxy::Url(url) => Some(url.clone()),
                _ => None,
            })
            .collect();
        urls.insert(self.preferences.network.proxy.clone());
        let keys: Vec<String> = urls
            .iter()
            .filter_map(|url| Proxy::parse(url).ok())
            .filter(|p| !p.user.is_empty())
            .map(|p| proxy_secret_id(&p.url()))
            .filter(|key| !self.proxy_passwords_asked.contains(key))
            .collect();
        let Some(worker) = self.saved.as_ref().and_then(|s| s.keyring.as_ref()) else {
            return;
        };
        for key in keys {
            if worker.send(KeyringJob::GetSecret { key: key.clone() }) {
                self.proxy_passwords_asked.insert(key);
            }
        }
    }

    /// Whether the password of the proxy kept under `key` has been read
    /// from the password store (or typed) this run.
    pub fn proxy_password_known(&self, key: &str) -> bool {
        self.proxy_passwords.contains_key(key)
    }

    /// Use `password` for the proxy kept under `key` from now on, and keep
    /// it in the password store.
    pub(super) fn remember_proxy_password(&mut self, key: String, password: String) {
        self.proxy_passwords.insert(key.clone(), password.clone());
        self.proxy_passwords_asked.insert(key.clone());
        match self.saved.as_ref().and_then(|s| s.keyring.as_ref()) {
            Some(worker)
                if worker.send(KeyringJob::Set {
                    site_id: key,
                    password,
                }) => {}
            _ => {
                self.notice = Some(
                    "The proxy password is used until Ferry closes: it could not be remembered"
                        .into(),
                );
            }
        }
    }
}
