//! How many connections at once each server allows the queue, learned as
//! lftp learns it: a server that refuses one more connection with "too
//! many connections" while the queue already holds others is taken at its
//! word, and the queue keeps to that many. As lftp's
//! `net:connection-limit-timer` does, the limit then grows by one after
//! each [`RAISE_AFTER`] without a refusal: a server that counted a
//! connection we had just closed (proftpd does, until that session's
//! process has exited), or another client's that has gone since, does not
//! hold the queue down for the rest of its life. The site's login
//! changing forgets what was learned.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use super::SiteKey;
use crate::ftp::FtpError;

/// Whether a refused connect or login says the server allows no more
/// connections from us: a `421` (vsftpd's `max_per_ip`, pure-ftpd's
/// per-IP limit), or a permanent refusal whose text says so (proftpd's
/// "530 Sorry, the maximum number of clients (3) for this user are already
/// connected.").
pub(super) fn too_many_connections(e: &FtpError) -> bool {
    let (code, text) = match e {
        // The greeting or, for a server that refuses there, USER/PASS.
        FtpError::Reply {
            command,
            code,
            text,
        } if command == "connect" => (*code, text),
        FtpError::Login { code, text, .. } => (*code, text),
        _ => return false,
    };
    code == 421 || ((500..600).contains(&code) && says_too_many(text))
}

fn says_too_many(text: &str) -> bool {
    let text = text.to_ascii_lowercase();
    let who = ["connection", "client", "user", "session", "login"]
        .iter()
        .any(|w| text.contains(w));
    who && (text.contains("too many") || text.contains("maximum number"))
}

/// How long a learned limit holds before the queue tries one connection
/// more. A refused try costs one refused login and puts its job back in
/// the queue (not one of its tries); lftp waits 5 minutes, which at a
/// limit wrongly learned as 1 halves a long transfer's speed for that long.
pub(super) const RAISE_AFTER: Duration = Duration::from_secs(60);

/// One server's learned limit.
struct Cap {
    /// Connections allowed at the last refusal.
    allowed: usize,
    /// When that refusal came: one more is allowed per [`RAISE_AFTER`] since.
    since: Instant,
    /// The limit last said in the log (a refusal at the number already said
    /// after the limit grew is not said again).
    said: Option<usize>,
}

impl Cap {
    fn at(&self, now: Instant) -> usize {
        let grown = now.saturating_duration_since(self.since).as_secs() / RAISE_AFTER.as_secs();
        self.allowed
            .saturating_add(usize::try_from(grown).unwrap_or(usize::MAX))
    }
}

/// The learned limits, per server.
#[derive(Default)]
pub(super) struct Caps {
    caps: HashMap<SiteKey, Cap>,
    /// Limits learned (or lowered) but not yet said in the log: said once
    /// the connections being opened ahead have all answered, so that one
    /// line gives the settled number.
    unsaid: HashSet<SiteKey>,
}

impl Caps {
    /// The most connections the queue opens to `site` at once at `now`
    /// (None: no limit learned).
    pub(super) fn of(&self, site: &SiteKey, now: Instant) -> Option<usize> {
        self.caps.get(site).map(|cap| cap.at(now))
    }

    /// `site` refused a connection at `now` while `open` others were open
    /// (or being opened): keep to that many from now on (never more than
    /// the limit in force allowed), and wait [`RAISE_AFTER`] again before
    /// trying one more. False when nothing else is open: the refusal is
    /// then an ordinary failure.
    pub(super) fn refused(&mut self, site: &SiteKey, open: usize, now: Instant) -> bool {
        if open == 0 {
            return false;
        }
        let allowed = self.of(site, now).map_or(open, |cap| cap.min(open));
        let cap = self.caps.entry(site.clone()).or_insert(Cap {
            allowed,
            since: now,
            said: None,
        });
        cap.allowed = allowed;
        cap.since = now;
        if cap.said != Some(allowed) {
            self.unsaid.insert(site.clone());
        }
        true
    }

    /// The limit for `site` when it is to be said now.
    pub(super) fn take_unsaid(&mut self, site: &SiteKey) -> Option<usize> {
        if !self.unsaid.remove(site) {
            return None;
        }
        let cap = self.caps.get_mut(site)?;
        if cap.said == Some(cap.allowed) {
            return None;
        }
        cap.said = Some(cap.allowed);
        cap.said
    }

    /// The servers whose limit is still to be said.
    pub(super) fn unsaid(&self) -> Vec<SiteKey> {
        self.unsaid.iter().cloned().collect()
    }

    /// The site's login changed: what it allowed is learned afresh.
    pub(super) fn forget(&mut self, site: &SiteKey) {
        self.caps.remove(site);
        self.unsaid.remove(site);
    }
}

/// The log line for a learned limit of `cap` connections at `server`.
pub(super) fn line(server: &str, cap: usize) -> String {
    let connections = if cap == 1 {
        "connection"
    } else {
        "connections"
    };
    format!("{server} allows {cap} {connections} at once; using {cap}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> SiteKey {
        SiteKey {
            host: "ftp.example.com".into(),
            port: 21,
            user: "u".into(),
        }
    }

    #[test]
    fn the_servers_words_for_too_many_connections_are_recognised() {
        let connect = |code, text: &str| FtpError::Reply {
            command: "connect".into(),
            code,
            text: text.into(),
        };
        let login = |code, text: &str| FtpError::Login {
            code,
            text: text.into(),
            user: "u".into(),
            host: "h:21".into(),
        };
        assert!(too_many_connections(&connect(
            421,
            "There are too many connections from your internet address."
        )));
        assert!(too_many_connections(&connect(
            421,
            "Too many connections (2) from this IP"
        )));
        assert!(too_many_connections(&login(
            530,
            "Sorry, the maximum number of clients (3) for this user are already connected."
        )));
        assert!(too_many_connections(&login(421, "Too many users")));
        // A wrong password, a refusal of another kind, or a 421 after the
        // login (the server closing an idle session) are not limits.
        assert!(!too_many_connections(&login(530, "Login incorrect.")));
        assert!(!too_many_connections(&connect(
            550,
            "Permission denied: too many dots"
        )));
        assert!(!too_many_connections(&FtpError::Reply {
            command: "RETR x".into(),
            code: 421,
            text: "Timeout.".into(),
        }));
    }

    #[test]
    fn the_cap_is_the_connections_open_at_the_lowest_refusal() {
        let t = Instant::now();
        let mut caps = Caps::default();
        assert!(!caps.refused(&site(), 0, t), "alone: an ordinary failure");
        assert_eq!(caps.of(&site(), t), None);
        // Connections opened together answer in any order: the cap settles
        // at what was open when the last of them was refused.
        assert!(caps.refused(&site(), 4, t));
        assert!(caps.refused(&site(), 2, t));
        assert!(caps.refused(&site(), 3, t));
        assert_eq!(caps.of(&site(), t), Some(2));
        assert_eq!(caps.take_unsaid(&site()), Some(2));
        assert_eq!(caps.take_unsaid(&site()), None, "said once");
        // Refused at the cap again: nothing new to say. Below it (another
        // client took a connection): lower, and said.
        assert!(caps.refused(&site(), 2, t));
        assert_eq!(caps.take_unsaid(&site()), None);
        assert!(caps.refused(&site(), 1, t));
        assert_eq!(caps.of(&site(), t), Some(1));
        assert_eq!(caps.take_unsaid(&site()), Some(1));
        caps.forget(&site());
        assert_eq!(caps.of(&site(), t), None);
        assert_eq!(
            line("ftp.example.com", 3),
            "ftp.example.com allows 3 connections at once; using 3"
        );
        assert_eq!(line("h", 1), "h allows 1 connection at once; using 1");
    }

    #[test]
    fn the_cap_grows_by_one_per_quiet_interval_and_a_refusal_restarts_the_wait() {
        let t = Instant::now();
        let mut caps = Caps::default();
        assert!(caps.refused(&site(), 1, t));
        assert_eq!(caps.take_unsaid(&site()), Some(1));
        assert_eq!(caps.of(&site(), t + RAISE_AFTER / 2), Some(1));
        assert_eq!(caps.of(&site(), t + RAISE_AFTER), Some(2), "one more");
        assert_eq!(caps.of(&site(), t + RAISE_AFTER * 3), Some(4));
        // Grown to 3, refused with 2 open: back to 2, said, and the next
        // try at 3 waits a whole interval from this refusal.
        let r = t + RAISE_AFTER * 2;
        assert!(caps.refused(&site(), 2, r));
        assert_eq!(caps.of(&site(), r + RAISE_AFTER / 2), Some(2));
        assert_eq!(caps.take_unsaid(&site()), Some(2));
        assert_eq!(caps.of(&site(), r + RAISE_AFTER), Some(3));
        // The same server refusing the third again is not said again.
        let r2 = r + RAISE_AFTER;
        assert!(caps.refused(&site(), 2, r2));
        assert_eq!(caps.take_unsaid(&site()), None);
        assert_eq!(caps.of(&site(), r2), Some(2));
        // A refusal with more open than the cap in force (connections that
        // were open before it grew) does not raise it.
        assert!(caps.refused(&site(), 5, r2));
        assert_eq!(caps.of(&site(), r2), Some(2));
    }
}
