//! `ferry get -r`, `ferry put -r` and `ferry mirror`: whole folders through
//! the engine's transfer queue (the window's queue, the same code), with
//! parallel connections and one total progress bar.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use super::commands::{name_for_local, open, upload_name};
use super::{CliError, CopyArgs, NetArgs};
use crate::engine::queue::{self, QueueConfig};
use crate::engine::rate_limit::RateLimit;
use crate::engine::{AnyPath, Direction, Event, JobState, OnExisting, Outbox};
use crate::filters::TransferExclusions;
use crate::ftp::log::terminal_line;
use crate::ftp::{ConnectOptions, Session};
use crate::sites::Site;

/// `ferry get -r URL [LOCAL]`.
pub(super) async fn get(
    text: &str,
    local: Option<PathBuf>,
    copy: &CopyArgs,
    net: &NetArgs,
) -> Result<(), CliError> {
    let (url, mut session) = open(text, net).await?;
    let source = trim_slash(&url.path);
    let name = Some(AnyPath::Remote(source.clone()).file_name()).filter(|n| !n.is_empty());
    let is_dir = url.path.ends_with(b"/") || is_dir(&mut session, &source).await?;
    let charset = session.options().charset;
    let target = match (local, &name) {
        (Some(p), Some(n)) if p.is_dir() => p.join(name_for_local(n, &charset)?),
        (Some(p), _) => p,
        (None, Some(n)) => PathBuf::from(name_for_local(n, &charset)?),
        (None, None) => {
            return Err(CliError::usage(
                "the URL names the login folder; say where to put it: ferry get -r URL LOCAL",
            ));
        }
    };
    let exclude = exclusions(&copy.exclude, AnyPath::Remote(source.clone()));
    run(
        session,
        Direction::Download,
        AnyPath::Remote(source),
        is_dir,
        AnyPath::Local(target),
        copy.jobs,
        copy.on_existing(),
        net.verbose,
        url.site.as_deref(),
        copy.limit_rate.clone(),
        exclude,
    )
    .await
}

/// `ferry put -r LOCAL URL`.
pub(super) async fn put(
    local: &Path,
    text: &str,
    copy: &CopyArgs,
    net: &NetArgs,
) -> Result<(), CliError> {
    let meta = std::fs::metadata(local).map_err(|e| {
        CliError::usage(format!(
            "cannot read what to upload: {e}: {}",
            local.display()
        ))
    })?;
    let (url, session) = open(text, net).await?;
    let target = if url.path.ends_with(b"/") || url.path.is_empty() {
        let name = local
            .file_name()
            .ok_or_else(|| CliError::usage(format!("{} has no name", local.display())))?;
        let name = upload_name(name, &session.options().charset)?;
        [url.path.as_slice(), &name].concat()
    } else {
        url.path.clone()
    };
    let exclude = exclusions(&copy.exclude, AnyPath::Local(local.to_path_buf()));
    run(
        session,
        Direction::Upload,
        AnyPath::Local(local.to_path_buf()),
        meta.is_dir(),
        AnyPath::Remote(target),
        copy.jobs,
        copy.on_existing(),
        net.verbose,
        url.site.as_deref(),
        copy.limit_rate.clone(),
        exclude,
    )
    .await
}

/// `ferry mirror URL LOCAL` or `ferry mirror LOCAL URL`: the target folder
/// gets the source folder's new and changed files.
pub(super) async fn mirror(
    source: &str,
    target: &str,
    jobs: u16,
    exclude: Vec<String>,
    net: &NetArgs,
) -> Result<(), CliError> {
    let is_url = super::url::is_remote;
    let (direction, url_text, local) = match (is_url(source), is_url(target)) {
        (true, false) => (Direction::Download, source, PathBuf::from(target)),
        (false, true) => (Direction::Upload, target, PathBuf::from(source)),
        _ => {
            return Err(CliError::usage(
                "mirror needs one ftp:// URL (or site:NAME) and one local folder: ferry mirror URL LOCAL (download) or ferry mirror LOCAL URL (upload)",
            ));
        }
    };
    if direction == Direction::Upload && !local.is_dir() {
        return Err(CliError::usage(format!(
            "not a folder: {}",
            local.display()
        )));
    }
    let (url, session) = open(url_text, net).await?;
    let remote = AnyPath::Remote(trim_slash(&url.path));
    let local = AnyPath::Local(local);
    let (from, to) = match direction {
        Direction::Download => (remote, local),
        Direction::Upload => (local, remote),
    };
    let exclude = exclusions(&exclude, from.clone());
    run(
        session,
        direction,
        from,
        true,
        to,
        jobs,
        OnExisting::IfChanged,
        net.verbose,
        url.site.as_deref(),
        None,
        exclude,
    )
    .await
}

/// `--exclude` globs for copying the folder `top` (None without any).
fn exclusions(globs: &[String], top: AnyPath) -> Option<TransferExclusions> {
    (!globs.is_empty()).then(|| TransferExclusions::globs(globs.to_vec(), top))
}

fn trim_slash(path: &[u8]) -> Vec<u8> {
    match path {
        [rest @ .., b'/'] if !rest.is_empty() => rest.to_vec(),
        other => other.to_vec(),
    }
}

/// Whether `path` is a folder: CWD into it succeeds (then back, so relative
/// paths keep their meaning). SIZE is no test: some servers size folders.
async fn is_dir(session: &mut Session, path: &[u8]) -> Result<bool, CliError> {
    if path.is_empty() {
        return Ok(true);
    }
    let home = session.pwd().await?;
    match session.cwd(path).await {
        Ok(()) => {
            session.cwd(&home).await?;
            Ok(true)
        }
        Err(e) if e.is_fatal_to_session() => Err(e.into()),
        Err(_) => Ok(false),
    }
}

/// Run one copy through the queue until nothing is left; errors of single
/// files are printed as they happen and make the exit code 4.
#[allow(clippy::too_many_arguments)]
async fn run(
    session: Session,
    direction: Direction,
    source: AnyPath,
    is_dir: bool,
    target: AnyPath,
    jobs: u16,
    on_existing: OnExisting,
    verbose: bool,
    site: Option<&Site>,
    rate_limit: Option<RateLimit>,
    exclude: Option<TransferExclusions>,
) -> Result<(), CliError> {
    let items = vec![(direction, source, is_dir, target)];
    run_items_limited(
        session,
        items,
        jobs,
        on_existing,
        verbose,
        site,
        rate_limit,
        exclude,
    )
    .await
}

/// Run copies (each: direction, source, is it a folder, target) through one
/// queue until nothing is left, as [`run`] does for one.
pub(super) async fn run_items(
    session: Session,
    items: Vec<(Direction, AnyPath, bool, AnyPath)>,
    jobs: u16,
    on_existing: OnExisting,
    verbose: bool,
    site: Option<&Site>,
) -> Result<(), CliError> {
    run_items_limited(session, items, jobs, on_existing, verbose, site, None, None).await
}

/// [`run_items`] with a speed limit shared by all the queue's connections,
/// and names left out of the folders copied.
#[allow(clippy::too_many_arguments)]
async fn run_items_limited(
    session: Session,
    items: Vec<(Direction, AnyPath, bool, AnyPath)>,
    jobs: u16,
    on_existing: OnExisting,
    verbose: bool,
    site: Option<&Site>,
    rate_limit: Option<RateLimit>,
    exclude: Option<TransferExclusions>,
) -> Result<(), CliError> {
    if items.is_empty() {
        return Ok(());
    }
    let (tx, rx) = std_mpsc::channel();
    let wake = Arc::new(tokio::sync::Notify::new());
    let waker = wake.clone();
    let out = Outbox::new(tx, Arc::new(move || waker.notify_one()));
    let options: ConnectOptions = session.options().clone();
    let handle = queue::spawn(
        QueueConfig {
            concurrency: usize::from(jobs),
            on_existing,
            retries: 3,
            backoff: Duration::from_secs(2),
            save_path: None,
            restore_later: false,
            protocol_log: verbose,
            rate_limit,
            exclude,
        },
        out,
    );
    // The session that looked at the source takes the first job (the
    // folder's listing): the queue must know the login and hold the session
    // before the jobs arrive, or it opens a second connection for them.
    handle.login(options.clone());
    handle.give_session(session);
    for (direction, source, is_dir, target) in items {
        handle.enqueue_as(options.clone(), direction, source, is_dir, target);
    }
    let mut bar = TotalBar::new();
    loop {
        wake.notified().await;
        while let Ok(event) = rx.try_recv() {
            match event {
                Event::Log(line) if verbose => bar.println(&terminal_line(&line)),
                Event::DataModeSwitched { notice, mode, .. } => {
                    if !verbose {
                        bar.println(&format!("ferry: {notice}"));
                    }
                    if let Some(site) = site {
                        super::remember_working_mode(site, mode);
                    }
                }
                Event::JobsChanged(views) => {
                    for v in views {
                        match v.state {
                            JobState::Failed => bar.println(&format!(
                                "ferry: failed: {}: {}",
                                v.source.display(),
                                v.error.unwrap_or_default()
                            )),
                            JobState::Skipped if verbose => bar.println(&format!(
                                "ferry: skipped: {}: {}",
                                v.source.display(),
                                v.error.unwrap_or_default()
                            )),
                            _ => {}
                        }
                        bar.job(v.id, v.size, v.bytes, v.is_dir, &v.state);
                    }
                }
                Event::JobsProgress(progress) => {
                    for (id, bytes) in progress {
                        bar.progress(id, bytes);
                    }
                }
                Event::QueueNotice(message) => bar.println(&format!("ferry: {message}")),
                Event::QueueIdle {
                    done,
                    skipped,
                    failed,
                } => {
                    bar.finish();
                    if verbose || skipped > 0 {
                        eprintln!(
                            "ferry: {} copied, {skipped} skipped, {failed} failed",
                            super::progress::count(done as u64, "file", "files")
                        );
                    }
                    return if failed == 0 {
                        Ok(())
                    } else {
                        Err(CliError::transfer(format!(
                            "{} failed (listed above); run the same command with --continue to resume",
                            super::progress::count(failed as u64, "item", "items")
                        )))
                    };
                }
                _ => {}
            }
        }
    }
}

/// One progress bar for the whole copy: bytes of the files found so far,
/// and how many files are done. Nothing when stderr is not a terminal.
///
/// The totals are kept as running sums, so an event costs the same with
/// 100,000 files as with ten.
struct TotalBar {
    bar: Option<ProgressBar>,
    /// Per file job: (size, bytes moved, finished).
    files: std::collections::HashMap<u64, (u64, u64, bool)>,
    total: u64,
    moved: u64,
    finished: usize,
}

impl TotalBar {
    fn new() -> TotalBar {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(0);
            if let Ok(style) = ProgressStyle::with_template(
                "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar
        });
        TotalBar {
            bar,
            files: std::collections::HashMap::new(),
            total: 0,
            moved: 0,
            finished: 0,
        }
    }

    fn job(&mut self, id: u64, size: Option<u64>, bytes: u64, is_dir: bool, state: &JobState) {
        if is_dir {
            return;
        }
        let old = self.files.get(&id).copied().unwrap_or((0, 0, false));
        let size = size.unwrap_or(old.0);
        let moved = if *state == JobState::Done {
            size
        } else {
            bytes
        };
        self.update(id, (size, moved, !state.is_pending()));
    }

    fn progress(&mut self, id: u64, bytes: u64) {
        if let Some(&(size, _, done)) = self.files.get(&id) {
            self.update(id, (size, bytes, done));
        }
    }

    /// Replaces one file's figures, adjusting the running sums, and redraws.
    fn update(&mut self, id: u64, new: (u64, u64, bool)) {
        let old = self.files.insert(id, new).unwrap_or((0, 0, false));
        self.total = self.total - old.0 + new.0;
        self.moved = self.moved - old.1.min(old.0) + new.1.min(new.0);
        self.finished = self.finished - usize::from(old.2) + usize::from(new.2);
        if let Some(bar) = &self.bar {
            bar.set_length(self.total);
            bar.set_position(self.moved);
            bar.set_message(format!("{}/{} files", self.finished, self.files.len()));
        }
    }

    fn println(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_running_totals_match_a_recount() {
        let mut bar = TotalBar::new();
        bar.job(1, Some(100), 0, false, &JobState::Queued);
        bar.job(2, Some(50), 0, false, &JobState::Queued);
        bar.job(3, None, 0, true, &JobState::Queued);
        bar.progress(1, 40);
        bar.progress(2, 70); // more than its size: counts as its size
        bar.job(2, Some(60), 60, false, &JobState::Done);
        bar.progress(9, 5); // unknown job: ignored
        bar.job(1, Some(100), 40, false, &JobState::Running);
        assert_eq!((bar.total, bar.moved, bar.finished), (160, 100, 1));
        let recount = |b: &TotalBar| {
            let total: u64 = b.files.values().map(|f| f.0).sum();
            let moved: u64 = b.files.values().map(|f| f.1.min(f.0)).sum();
            let done = b.files.values().filter(|f| f.2).count();
            (total, moved, done)
        };
        assert_eq!(recount(&bar), (bar.total, bar.moved, bar.finished));
    }

    #[test]
    fn a_trailing_slash_is_not_part_of_the_name() {
        assert_eq!(trim_slash(b"tree/"), b"tree");
        assert_eq!(trim_slash(b"/a/b"), b"/a/b");
        assert_eq!(trim_slash(b"/"), b"/");
        assert_eq!(trim_slash(b""), b"");
    }
}
