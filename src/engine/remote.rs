//! The browsing connection: one task owns the session and runs one remote
//! operation at a time (FTP allows one command in flight per connection).

use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use super::Outbox;
use super::listing_order::{SortColumn, sort_listing};
use super::protocol::{AnyPath, Entry, Event, Interner, Kind, Side};
use super::remote_path::{is_plain_name, join, parent};
use crate::ftp::listing::parse_listing_mapped;
use crate::ftp::{
    ConnectOptions, DataMode, EntryKind, FtpError, NameCharset, RemoteEntry, Session,
};

/// How often a listing that streams in reports its count.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// Operations the remote task runs, in order.
#[derive(Debug)]
pub(super) enum RemoteOp {
    /// A folder, `LIST -a`, and the listing's number (see [`RemoteHandle::list`]).
    List(Vec<u8>, bool, u64),
    MakeDir(Vec<u8>),
    Rename(Vec<u8>, Vec<u8>),
    Delete(Vec<(Vec<u8>, bool)>),
    SetMode(DataMode),
    Quit,
}

pub(super) struct RemoteHandle {
    tx: mpsc::UnboundedSender<RemoteOp>,
    /// The number of the last listing asked for.
    listings: Cell<u64>,
    /// Listings up to this number are cancelled. A watch, not a flag the
    /// task resets: a cancel that comes just as one listing ends can never
    /// stop the next one.
    cancel: watch::Sender<u64>,
    /// Set by [`RemoteHandle::retire`]: the task's outbox stops sending state.
    retired: Arc<AtomicBool>,
}

impl RemoteHandle {
    pub(super) fn send(&self, op: RemoteOp) {
        let _ = self.tx.send(op);
    }

    /// List a folder (`hidden`: `LIST -a`).
    pub(super) fn list(&self, path: Vec<u8>, hidden: bool) {
        let number = self.listings.get() + 1;
        self.listings.set(number);
        self.send(RemoteOp::List(path, hidden, number));
    }

    /// Stop every listing asked for so far, running or waiting.
    pub(super) fn cancel_listings(&self) {
        self.cancel.send_replace(self.listings.get());
    }

    /// Quit without speaking for the connection any more: a new session has
    /// replaced this one, and whatever this one still reports (busy, a
    /// listing, "disconnected") would be about the wrong server. Its log
    /// lines (the QUIT) still show.
    pub(super) fn retire(self) {
        self.retired.store(true, Ordering::Release);
        self.send(RemoteOp::Quit);
    }

    pub(super) fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }
}

pub(super) fn spawn(
    options: ConnectOptions,
    initial: Option<Vec<u8>>,
    out: Outbox,
) -> RemoteHandle {
    let (tx, rx) = mpsc::unbounded_channel();
    let (cancel, cancelled) = watch::channel(0);
    let retired = Arc::new(AtomicBool::new(false));
    let out = out.retirable(retired.clone());
    tokio::spawn(run(options, initial, rx, cancelled, out));
    // The first listing (the home folder, or `initial`) is number 1.
    RemoteHandle {
        tx,
        listings: Cell::new(1),
        cancel,
        retired,
    }
}

async fn run(
    options: ConnectOptions,
    initial: Option<Vec<u8>>,
    mut rx: mpsc::UnboundedReceiver<RemoteOp>,
    cancelled: watch::Receiver<u64>,
    out: Outbox,
) {
    let host = options.addr_text();
    out.send(Event::Connecting { host: host.clone() });
    let mut session = match Session::connect(options.clone(), out.log_sink(Side::Remote)).await {
        Ok(s) => s,
        Err(FtpError::UntrustedCertificate { cert, reason, .. }) => {
            out.idle(Side::Remote);
            out.send(Event::CertificateUntrusted {
                certificate: cert,
                reason,
                options: Box::new(options),
                initial_path: initial,
            });
            return;
        }
        Err(e) => {
            out.idle(Side::Remote);
            out.send(Event::ConnectFailed {
                login: matches!(e, FtpError::Login { .. }),
                message: e.to_string(),
            });
            return;
        }
    };
    let home = session.pwd().await.unwrap_or_else(|_| b"/".to_vec());
    out.send(Event::Connected {
        host,
        home: home.clone(),
        certificate: session.certificate().cloned().map(Box::new),
    });
    let first = initial.unwrap_or(home);
    let result = list(&mut session, first, false, (1, &cancelled), &out).await;
    if let Err(e) = recover(&mut session, result).await {
        return lost(e, &out);
    }
    loop {
        // While idle, also watch the control connection, so a server that
        // drops the session is noticed now, not on the next click.
        let keepalive = session.options().keepalive;
        let op = tokio::select! {
            op = rx.recv() => op,
            e = session.closed_while_idle() => {
                session.log().error(format!("Connection lost: {e}"));
                return lost(e, &out);
            }
            () = idle_for(keepalive) => {
                if let Err(e) = session.noop().await {
                    session
                        .log()
                        .error(format!("Keep-alive NOOP failed; the connection is dead: {e}"));
                    return lost(e, &out);
                }
                out.idle(Side::Remote);
                continue;
            }
        };
        let Some(op) = op else { break };
        let result = match op {
            RemoteOp::Quit => break,
            RemoteOp::SetMode(mode) => {
                session.set_mode(mode);
                session
                    .log()
                    .status(format!("Data connections now use {mode} mode"));
                Ok(())
            }
            RemoteOp::List(path, hidden, number) => {
                list(&mut session, path, hidden, (number, &cancelled), &out).await
            }
            RemoteOp::MakeDir(path) => {
                let r = session.mkdir(&path).await.map(|_| ());
                done(r, &out, format!("Created {}", lossy(&path)), parent(&path))
            }
            RemoteOp::Rename(from, to) => {
                let r = session.rename(&from, &to).await;
                done(
                    r,
                    &out,
                    format!("Renamed {} to {}", lossy(&from), lossy(&to)),
                    parent(&to),
                )
            }
            RemoteOp::Delete(paths) => {
                let refresh = paths
                    .first()
                    .map(|(p, _)| parent(p))
                    .unwrap_or_else(|| b"/".to_vec());
                let r = delete(&mut session, paths, &out).await;
                done(r, &out, "Deleted".to_string(), refresh)
            }
        };
        report_mode_switch(&mut session, &out);
        if let Err(e) = recover(&mut session, result).await {
            return lost(e, &out);
        }
        out.idle(Side::Remote);
    }
    let _ = session.quit().await;
    out.idle(Side::Remote);
    out.send(Event::Disconnected { reason: None });
}

/// After an operation: the error that ends the session, if any. A failed
/// data connection may leave the command's reply owed; it is read now
/// (ABOR), or it would arrive while idle and look like the server talking
/// out of turn.
async fn recover(session: &mut Session, result: Result<(), FtpError>) -> Result<(), FtpError> {
    match result {
        Err(e) if e.is_fatal_to_session() => Err(e),
        Err(_) => session.get_in_step().await,
        Ok(()) => Ok(()),
    }
}

/// Resolves after `interval`, or never when keep-alive is off.
async fn idle_for(interval: Option<std::time::Duration>) {
    match interval {
        Some(d) => tokio::time::sleep(d).await,
        None => std::future::pending().await,
    }
}

fn lost(e: FtpError, out: &Outbox) {
    out.idle(Side::Remote);
    out.send(Event::Disconnected {
        reason: Some(e.to_string()),
    });
}

/// Report a finished operation; hands the error back so the caller can
/// tell whether the connection survived.
fn done(
    r: Result<(), FtpError>,
    out: &Outbox,
    what: String,
    refresh: Vec<u8>,
) -> Result<(), FtpError> {
    match &r {
        Ok(()) => out.send(Event::OperationDone {
            side: Side::Remote,
            what,
            refresh: AnyPath::Remote(refresh),
        }),
        // An error that ends the session is reported once, by `lost`, as
        // the connection being lost; not also as a failed operation.
        Err(e) if e.is_fatal_to_session() => {}
        Err(e) => out.send(Event::OperationFailed {
            side: Side::Remote,
            message: e.to_string(),
        }),
    }
    r
}

/// List `path` for the pane, as listing number `number`: stopped when
/// `cancelled` reaches that number, with the lines received so far
/// reported about ten times a second while it streams in.
async fn list(
    session: &mut Session,
    path: Vec<u8>,
    hidden: bool,
    (number, cancelled): (u64, &watch::Receiver<u64>),
    out: &Outbox,
) -> Result<(), FtpError> {
    let mut cancelled = cancelled.clone();
    if *cancelled.borrow_and_update() >= number {
        out.send(Event::ListingCancelled {
            path: AnyPath::Remote(path),
        });
        return Ok(());
    }
    out.busy(Side::Remote, format!("Listing {}…", lossy(&path)));
    session.set_list_hidden(hidden);
    // The session counts lines as they arrive; a ticker beside it reports
    // the count when it changed, so a server that sends in bursts and then
    // pauses still shows how far it got.
    let lines = AtomicU64::new(0);
    let mut progress = |n: u64| lines.store(n, Ordering::Relaxed);
    let cancel = async move {
        // Err: the handle is gone (disconnecting); the Quit op ends the task.
        if cancelled.wait_for(|&up_to| up_to >= number).await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    // Auto mode's fallback to the other data mode happens inside the session.
    let result = {
        let listing = session.list_raw_watched(Some(&path), &mut progress, cancel);
        let mut listing = std::pin::pin!(listing);
        let mut tick = tokio::time::interval(PROGRESS_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut shown = 0;
        loop {
            tokio::select! {
                result = &mut listing => break result,
                _ = tick.tick() => {
                    let n = lines.load(Ordering::Relaxed);
                    if n != shown {
                        shown = n;
                        out.send(Event::ListingProgress {
                            path: AnyPath::Remote(path.clone()),
                            entries: n,
                        });
                    }
                }
            }
        }
    };
    report_mode_switch(session, out);
    let result = match result {
        Ok((format, bytes)) => {
            let charset = session.options().charset;
            let now = chrono::Local::now().naive_local();
            // A folder of a million entries takes a while to parse: on
            // blocking threads (all cores), not on the engine's.
            // Sent in name order (the pane's usual column), so the window
            // only checks the order instead of sorting.
            let parsed = tokio::task::spawn_blocking(move || {
                let mut entries = parse_listing_mapped(&bytes, format, now, || {
                    let mut shared = Interner::default();
                    move |e| remote_entry(e, &charset, &mut shared)
                });
                sort_listing(&mut entries, SortColumn::Name, true);
                entries
            })
            .await;
            match parsed {
                Ok(entries) => Ok(entries),
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                // The runtime is shutting down: nobody waits for the answer.
                Err(_) => return Ok(()),
            }
        }
        Err(e) => Err(e),
    };
    match result {
        Err(FtpError::Cancelled) => {
            session
                .log()
                .status(format!("Listing of {} cancelled", lossy(&path)));
            out.idle(Side::Remote);
            out.send(Event::ListingCancelled {
                path: AnyPath::Remote(path),
            });
            Ok(())
        }
        Ok(entries) => {
            // The wait ends before the listing shows, so a window that shows
            // the listing never still says it waits for it.
            out.idle(Side::Remote);
            out.send(Event::Listing {
                path: AnyPath::Remote(path),
                entries,
            });
            Ok(())
        }
        // Reported once, by `lost`, when it ends the session.
        Err(e) if e.is_fatal_to_session() => {
            out.idle(Side::Remote);
            Err(e)
        }
        Err(e) => {
            out.send(Event::ListingFailed {
                path: AnyPath::Remote(path),
                message: e.to_string(),
                data_mode: e.failed_data_mode(),
            });
            out.idle(Side::Remote);
            Err(e)
        }
    }
}

/// Tell the UI when auto mode switched the data mode, so it can say so
/// and remember the mode that works for the site.
pub(super) fn report_mode_switch(session: &mut Session, out: &Outbox) {
    if let Some(switch) = session.take_mode_switch() {
        let o = session.options();
        out.send(Event::DataModeSwitched {
            server: o.user_at(),
            mode: switch.to,
            notice: switch.notice,
        });
    }
}

/// Convert a parsed listing entry into a pane row, its name read in the
/// server's `charset` (the raw name is kept for commands).
pub fn remote_entry(e: RemoteEntry, charset: &NameCharset, shared: &mut Interner) -> Entry {
    let kind = match e.kind {
        EntryKind::File => Kind::File,
        EntryKind::Dir => Kind::Dir,
        // A listing cannot say where a link points; guess "folder" when the
        // target looks like one, and let opening it find out.
        EntryKind::Symlink => Kind::Symlink {
            target_is_dir: e
                .link_target
                .as_ref()
                .is_none_or(|t| t.ends_with(b"/") || !t.contains(&b'.')),
        },
        EntryKind::Unknown => Kind::Unknown,
    };
    Entry {
        display_name: charset.decode(&e.name).into(),
        link_target: e.link_target.as_ref().map(|t| charset.decode(t).into()),
        name: e.name.into_boxed_slice(),
        kind,
        size: e.size,
        modified: e.modified,
        permissions: e.permissions.as_deref().map(|p| shared.intern(p)),
        // The Owner/Group column, as FileZilla shows it.
        owner: match (e.owner, e.group) {
            (Some(mut owner), Some(group)) => {
                owner.push(' ');
                owner.push_str(&group);
                Some(shared.intern(&owner))
            }
            (owner, group) => owner.or(group).map(|o| shared.intern(&o)),
        },
    }
}

/// Delete files, and folders with everything in them (deepest first).
async fn delete(
    session: &mut Session,
    paths: Vec<(Vec<u8>, bool)>,
    out: &Outbox,
) -> Result<(), FtpError> {
    // First expand folders into the full list, so progress has a total.
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    for (path, is_dir) in paths {
        if is_dir {
            collect_tree(session, path, &mut files, &mut dirs, out).await?;
        } else {
            files.push(path);
        }
    }
    let total = (files.len() + dirs.len()) as u64;
    let mut done = 0u64;
    for f in files {
        out.busy(Side::Remote, format!("Deleting {}…", lossy(&f)));
        session.delete(&f).await?;
        done += 1;
        out.send(Event::DeleteProgress {
            side: Side::Remote,
            done,
            total,
        });
    }
    // Deepest folders first: `collect_tree` pushes parents before children.
    for d in dirs.into_iter().rev() {
        session.rmdir(&d).await?;
        done += 1;
        out.send(Event::DeleteProgress {
            side: Side::Remote,
            done,
            total,
        });
    }
    Ok(())
}

async fn collect_tree(
    session: &mut Session,
    root: Vec<u8>,
    files: &mut Vec<Vec<u8>>,
    dirs: &mut Vec<Vec<u8>>,
    out: &Outbox,
) -> Result<(), FtpError> {
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        out.busy(Side::Remote, format!("Reading {}…", lossy(&dir)));
        let entries = session.list(Some(&dir)).await?;
        dirs.push(dir.clone());
        for e in entries {
            if !is_plain_name(&e.name) {
                // A name with a slash or "..": never follow it anywhere.
                continue;
            }
            let child = join(&dir, &e.name);
            match e.kind {
                EntryKind::Dir => stack.push(child),
                _ => files.push(child),
            }
        }
    }
    Ok(())
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[cfg(test)]
mod entry_tests {
    use super::*;
    use crate::ftp::listing::ListingFormat;

    #[test]
    fn a_listing_shares_owner_and_mode_texts_between_its_entries() {
        let listing = b"-rw-r--r-- 1 alice staff 5 Mar  5 12:34 a.txt\r\n\
drwxr-xr-x 2 bob staff 4096 Mar  5 12:34 docs\r\n\
-rw-r--r-- 1 alice staff 7 Mar  5 12:34 b.txt\r\n";
        let now = chrono::NaiveDate::from_ymd_opt(2024, 6, 30)
            .and_then(|d| d.and_hms_opt(12, 0, 0))
            .expect("valid date");
        let entries = parse_listing_mapped(listing, ListingFormat::List, now, || {
            let mut shared = Interner::default();
            move |e| remote_entry(e, &NameCharset::Auto, &mut shared)
        });
        let [a, docs, b] = entries.as_slice() else {
            panic!("three entries, got {entries:?}");
        };
        assert_eq!(a.owner.as_deref(), Some("alice staff"));
        assert_eq!(docs.owner.as_deref(), Some("bob staff"));
        assert_eq!(a.permissions.as_deref(), Some("rw-r--r--"));
        assert_eq!(docs.permissions.as_deref(), Some("rwxr-xr-x"));
        let (Some(a_owner), Some(b_owner)) = (&a.owner, &b.owner) else {
            panic!("owners listed");
        };
        assert!(Arc::ptr_eq(a_owner, b_owner), "one copy of alice staff");
        let (Some(a_mode), Some(b_mode)) = (&a.permissions, &b.permissions) else {
            panic!("modes listed");
        };
        assert!(Arc::ptr_eq(a_mode, b_mode), "one copy of rw-r--r--");
        assert_eq!(&*b.display_name, "b.txt");
        assert_eq!(&*b.name, b"b.txt");
    }
}
