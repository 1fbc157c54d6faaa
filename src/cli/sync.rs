//! `ferry sync`: compare a local and a remote folder, print the plan
//! (`--dry-run`) or carry it out through the transfer queue. The plan comes
//! from `crate::sync`, the same code as the window's preview.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use chrono::TimeDelta;
use clap::Args;
use indicatif::ProgressBar;

use super::commands::open;
use super::{CliError, NetArgs};
use crate::engine::{AnyPath, Direction, OnExisting, Side};
use crate::ftp::Session;
use crate::sync::tree::{local_path, remote_path};
use crate::sync::{
    Action, CompareOptions, Node, Plan, PlanRow, Prepared, Rule, SyncDirection, SyncJob,
    SyncOptions, WalkOptions,
};

/// `ferry sync SOURCE TARGET`.
#[derive(Args, Debug, Clone)]
pub struct SyncArgs {
    /// The folder to copy from: an ftp:// URL (or site:NAME/path) or a local folder.
    source: String,
    /// The folder to make the same: a local folder or an ftp:// URL.
    target: String,
    /// Print the plan, one line per action, and change nothing.
    #[arg(short = 'n', long)]
    dry_run: bool,
    /// Delete files and folders in the target that the source does not have.
    #[arg(long)]
    delete: bool,
    /// Copy both ways: each side gets the other's new and newer files
    /// (SOURCE and TARGET are then just the two folders).
    #[arg(long, conflicts_with = "delete")]
    both: bool,
    /// Leave out names matching this pattern (`*`, `?`; with a `/`, matched
    /// against the path from the top). Repeat for more. Excluded files are never deleted.
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Compare files of the same size by checksum where the server offers
    /// one (HASH, XSHA256, XSHA1, XMD5, XCRC).
    #[arg(long)]
    checksum: bool,
    /// Compare by size only (ignore times).
    #[arg(long, conflicts_with = "time_only")]
    size_only: bool,
    /// Compare by modification time only (ignore sizes).
    #[arg(long)]
    time_only: bool,
    /// Times this many seconds apart count as the same (after cutting both
    /// to the precision the listing gives).
    #[arg(long, value_name = "SECONDS", default_value_t = 1)]
    time_tolerance: u32,
    /// The server's LIST times are this far from UTC, e.g. +2, -4, +5:45
    /// (default: found with MDTM when the server has no MLSD).
    #[arg(long, value_name = "HOURS", value_parser = crate::sync::timezone::parse_offset, allow_hyphen_values = true)]
    server_offset: Option<TimeDelta>,
    /// Transfers at once, each on its own connection (1-32).
    #[arg(short = 'j', long = "jobs", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=32))]
    jobs: u16,
    /// Neither read nor save the pair's sync state (what the last sync left
    /// the same): both ways, the newer time then decides.
    #[arg(long)]
    no_state: bool,
}

/// Run `ferry sync`.
pub(super) async fn run(args: &SyncArgs, net: &NetArgs) -> Result<(), CliError> {
    let is_url = super::url::is_remote;
    let (direction, url_text, local) = match (is_url(&args.source), is_url(&args.target)) {
        (true, false) => (
            SyncDirection::Download,
            &args.source,
            PathBuf::from(&args.target),
        ),
        (false, true) => (
            SyncDirection::Upload,
            &args.target,
            PathBuf::from(&args.source),
        ),
        _ => {
            return Err(CliError::usage(
                "sync needs one ftp:// URL (or site:NAME) and one local folder: ferry sync URL LOCAL (download) or ferry sync LOCAL URL (upload)",
            ));
        }
    };
    let direction = if args.both {
        SyncDirection::Both
    } else {
        direction
    };
    if direction != SyncDirection::Download && !local.is_dir() {
        return Err(CliError::usage(format!(
            "not a folder: {}",
            local.display()
        )));
    }
    let (url, mut session) = open(url_text, net).await?;
    let remote_root = trim_slash(&url.path);
    let state_file = (!args.no_state)
        .then(crate::sync::state::default_data_dir)
        .flatten()
        .map(|dir| {
            let local = std::path::absolute(&local).unwrap_or_else(|_| local.clone());
            let server = session.options().user_at();
            crate::sync::state::state_file(&dir, &server, &remote_root, &local)
        });
    let job = SyncJob {
        local_root: local.clone(),
        remote_root: remote_root.clone(),
        walk: WalkOptions {
            exclude: args.exclude.clone(),
            hide: Vec::new(),
            charset: session.options().charset,
            // The flag, else the saved site's setting, else found on the way.
            time_offset: args.server_offset.or_else(|| {
                session
                    .options()
                    .list_time_offset_minutes
                    .map(|m| TimeDelta::minutes(i64::from(m)))
            }),
        },
        options: SyncOptions {
            direction,
            compare: CompareOptions {
                rule: if args.size_only {
                    Rule::Size
                } else if args.time_only {
                    Rule::Time
                } else {
                    Rule::Both
                },
                tolerance: TimeDelta::seconds(i64::from(args.time_tolerance)),
            },
            delete: args.delete,
        },
        checksum: args.checksum,
        state_file,
    };
    let prepared = walk(&mut session, &job).await?;
    for note in &prepared.notes {
        eprintln!("ferry: {note}");
    }
    if net.verbose {
        eprintln!(
            "ferry: {}, {} compared by checksum",
            super::progress::count(
                prepared.remote.listings as u64,
                "remote listing",
                "remote listings"
            ),
            super::progress::count(prepared.checksummed as u64, "file", "files")
        );
    }
    let plan = &prepared.plan;
    let totals = plan.totals();
    if args.dry_run {
        print_plan(plan, net.verbose);
    }
    let conflicts: Vec<&PlanRow> = plan
        .rows
        .iter()
        .filter(|r| r.action == crate::sync::Action::Conflict)
        .collect();
    for row in &conflicts {
        eprintln!(
            "ferry: conflict, left as it is: {}: {}",
            row.display(),
            row.reason.label()
        );
    }
    eprintln!("ferry: {}", summary(&totals, conflicts.len()));
    if !args.dry_run {
        let ran = plan.to_run().next().is_some();
        let done = carry_out(
            session,
            &job,
            &prepared,
            args.jobs,
            net,
            url.site.as_deref(),
        )
        .await;
        // Even after a failure: what did get the same is worth keeping.
        if job.state_file.is_some() {
            save_state(url_text, net, &job, &prepared, ran).await;
        }
        done?;
    }
    if args.dry_run {
        return Ok(());
    }
    let unmatched = conflicts.len() + prepared.local.refused.len() + prepared.remote.refused.len();
    if unmatched > 0 {
        return Err(CliError::transfer(format!(
            "{} left different (conflicts or refused names, listed above); the folders do not match",
            super::progress::count(unmatched as u64, "item", "items")
        )));
    }
    Ok(())
}

/// Keep what this sync left the same on both sides, for the next one. When
/// something ran, both folders are walked again to see what they hold now
/// (times the server gave the uploads included). A failure is a warning.
async fn save_state(url_text: &str, net: &NetArgs, job: &SyncJob, prepared: &Prepared, ran: bool) {
    let Some(file) = &job.state_file else {
        return;
    };
    let mut state = prepared.state.clone();
    if ran {
        let again = SyncJob {
            checksum: false,
            state_file: None,
            ..job.clone()
        };
        let after = match open(url_text, net).await {
            Ok((_, mut session)) => {
                let walked = crate::sync::prepare(
                    &mut session,
                    &again,
                    Arc::new(|_, _| {}),
                    Arc::new(AtomicBool::new(false)),
                )
                .await;
                // The walk's answer is what counts; a failed QUIT changes nothing.
                let _ = session.quit().await;
                walked.map_err(|e| e.to_string())
            }
            Err(e) => Err(e.message),
        };
        match after {
            Ok(after) => state.record(
                &prepared.plan,
                &after.local,
                &after.remote,
                &job.options.compare,
            ),
            Err(e) => {
                eprintln!(
                    "ferry: warning: the sync state was not saved: walking the folders again failed: {e}"
                );
                return;
            }
        }
    } else {
        state.record(
            &prepared.plan,
            &prepared.local,
            &prepared.remote,
            &job.options.compare,
        );
    }
    let remote = String::from_utf8_lossy(&job.remote_root).into_owned();
    if let Err(e) = state.save(file, &job.local_root, &remote) {
        eprintln!(
            "ferry: warning: could not save the sync state: {e}: {}",
            file.display()
        );
    }
}

/// Walk both sides with a spinner on a terminal.
async fn walk(session: &mut Session, job: &SyncJob) -> Result<Prepared, CliError> {
    let spinner = std::io::stderr().is_terminal().then(|| {
        let s = ProgressBar::new_spinner();
        s.enable_steady_tick(std::time::Duration::from_millis(120));
        s
    });
    let shown = spinner.clone();
    let counts = Arc::new(std::sync::Mutex::new([(0u64, 0u64); 2]));
    let progress: crate::sync::ProgressFn = Arc::new(move |side, p| {
        let Some(bar) = &shown else {
            return;
        };
        let Ok(mut c) = counts.lock() else {
            return;
        };
        c[usize::from(side == Side::Remote)] = (p.folders, p.files);
        bar.set_message(format!(
            "comparing: local {} folders, {} files; remote {} folders, {} files",
            c[0].0, c[0].1, c[1].0, c[1].1
        ));
    });
    // Ctrl+C ends the whole command (see `cli::main`); nothing else cancels.
    let cancel = Arc::new(AtomicBool::new(false));
    let result = crate::sync::prepare(session, job, progress, cancel).await;
    if let Some(s) = spinner {
        s.finish_and_clear();
    }
    result.map_err(|e| match e {
        crate::sync::SyncError::Ftp(e) => e.into(),
        other => CliError::transfer(other.to_string()),
    })
}

fn summary(t: &crate::sync::Totals, conflicts: usize) -> String {
    format!(
        "plan: {} to upload ({} bytes), {} to download ({} bytes), {} to delete locally, {} to delete remotely, {}, {} identical",
        t.upload_files,
        t.upload_bytes,
        t.download_files,
        t.download_bytes,
        t.delete_local,
        t.delete_remote,
        super::progress::count(conflicts as u64, "conflict", "conflicts"),
        t.identical
    )
}

/// One line per row that does something (with -v, the skipped ones too).
fn print_plan(plan: &Plan, verbose: bool) {
    let mut out = std::io::stdout().lock();
    for row in &plan.rows {
        let shown = row.will_run() || (verbose && row.action == Action::Skip);
        if !shown {
            continue;
        }
        let slash = if row.is_dir { "/" } else { "" };
        let size = if row.bytes() > 0 {
            format!(" ({} bytes)", row.bytes())
        } else {
            String::new()
        };
        // A closed stdout (ferry sync -n | head) is not an error worth a message.
        let _ = writeln!(
            out,
            "{:<13} {:<18} {}{slash}{size}",
            row.action.label(),
            row.reason.label(),
            row.display()
        );
    }
}

/// Make the target folders, delete what is to go, then copy through the queue.
async fn carry_out(
    mut session: Session,
    job: &SyncJob,
    prepared: &Prepared,
    jobs: u16,
    net: &NetArgs,
    site: Option<&crate::sites::Site>,
) -> Result<(), CliError> {
    let charset = session.options().charset;
    let local_of =
        |rel: &[u8]| local_path(&job.local_root, rel, &charset).map_err(CliError::transfer);
    let mut copies = Vec::new();
    let mut failures = 0u64;
    if job.options.direction != SyncDirection::Upload {
        std::fs::create_dir_all(&job.local_root).map_err(|e| {
            CliError::transfer(format!(
                "could not create the local folder: {e}: {}",
                job.local_root.display()
            ))
        })?;
    }
    let copies_up = prepared.plan.to_run().any(|r| r.action == Action::Upload);
    if prepared.remote.root_missing && copies_up {
        session.mkdir(&job.remote_root).await?;
    }
    for row in prepared.plan.to_run() {
        let remote = remote_path(&job.remote_root, &row.path);
        let local = local_of(&row.path)?;
        match (row.action, row.is_dir) {
            (Action::Upload, true) => session.mkdir(&remote).await.map(drop)?,
            (Action::Download, true) => std::fs::create_dir_all(&local).map_err(|e| {
                CliError::transfer(format!(
                    "could not create the folder: {e}: {}",
                    local.display()
                ))
            })?,
            (Action::Upload, false) => copies.push((
                Direction::Upload,
                AnyPath::Local(local),
                false,
                AnyPath::Remote(remote),
            )),
            (Action::Download, false) => copies.push((
                Direction::Download,
                AnyPath::Remote(remote),
                false,
                AnyPath::Local(local),
            )),
            (Action::DeleteLocal, _) => {
                if let Err(e) = delete_local(&local, row.is_dir) {
                    failures += 1;
                    eprintln!("ferry: failed: could not delete: {e}: {}", local.display());
                }
            }
            (Action::DeleteRemote, _) => {
                if let Err(e) =
                    delete_remote(&mut session, &job.remote_root, &row.path, &prepared.remote).await
                {
                    if e.is_fatal_to_session() {
                        return Err(e.into());
                    }
                    failures += 1;
                    eprintln!("ferry: failed: {e}");
                }
            }
            (Action::Skip | Action::Conflict, _) => {}
        }
    }
    let copied = super::recursive::run_items(
        session,
        copies,
        jobs,
        OnExisting::Overwrite,
        net.verbose,
        site,
    )
    .await;
    if failures > 0 {
        return Err(CliError::transfer(format!(
            "{} failed (listed above)",
            super::progress::count(failures, "delete", "deletes")
        )));
    }
    copied
}

fn delete_local(path: &Path, is_dir: bool) -> std::io::Result<()> {
    if is_dir {
        // Does not follow links: a link inside is removed, not what it points to.
        std::fs::remove_dir_all(path)
    } else {
        std::fs::remove_file(path)
    }
}

/// Delete `rel` on the server: a file, or a folder with everything the walk
/// found in it (files first, then folders, deepest first).
async fn delete_remote(
    session: &mut Session,
    root: &[u8],
    rel: &[u8],
    tree: &crate::sync::Tree,
) -> crate::ftp::Result<()> {
    let Some(Node::Dir) = tree.nodes.get(rel) else {
        return session.delete(remote_path(root, rel)).await;
    };
    let prefix = [rel, b"/"].concat();
    let inside: Vec<(&Vec<u8>, &Node)> = tree
        .nodes
        .range(prefix.clone()..)
        .take_while(|(p, _)| p.starts_with(&prefix))
        .collect();
    for (path, node) in &inside {
        if let Node::File(_) = node {
            session.delete(remote_path(root, path)).await?;
        }
    }
    for (path, node) in inside.iter().rev() {
        if let Node::Dir = node {
            session.rmdir(remote_path(root, path)).await?;
        }
    }
    session.rmdir(remote_path(root, rel)).await
}

fn trim_slash(path: &[u8]) -> Vec<u8> {
    match path {
        [rest @ .., b'/'] if !rest.is_empty() => rest.to_vec(),
        other => other.to_vec(),
    }
}
