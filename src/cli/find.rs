//! `ferry find URL [--name GLOB] [--type f|d] [--newer DATE] [--larger SIZE]
//! [--max-depth N]`: walk a remote folder on one session (the window's Find
//! files walk: hostile names refused, links not followed, a folder that
//! cannot be listed reported and skipped) and print the matching paths, one
//! a line, as they are found.

use std::sync::atomic::AtomicBool;

use chrono::NaiveDateTime;
use clap::Args;

use std::io::Write;

use super::commands::open;
use super::{CliError, NetArgs};
use crate::engine::AnyPath;
use crate::engine::find::{
    Criteria, FindError, FindOptions, Found, KindFilter, NamePattern, find_remote,
};

/// `ferry find`'s arguments.
#[derive(Args, Debug, Clone)]
pub struct FindArgs {
    /// The folder to search: ftp://[user[:password]@]host[:port]/path, or site:NAME/path
    url: String,
    /// Names matching this shell pattern (`*`, `?`, `[a-z]`), e.g. '*.log'.
    /// Quote it so the shell leaves it alone. Default: every name.
    #[arg(long, value_name = "GLOB", value_parser = parse_glob)]
    name: Option<glob::Pattern>,
    /// Only files (f) or only folders (d).
    #[arg(long = "type", value_enum, value_name = "f|d")]
    kind: Option<KindArg>,
    /// Only files modified on or after this day (YYYY-MM-DD, local time).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    newer: Option<NaiveDateTime>,
    /// Only files larger than this: bytes, or with K, M, G, T (×1024), e.g. 10K, 5M.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    larger: Option<u64>,
    /// Look no more than N folder levels down (1: the folder's own entries).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    max_depth: Option<u32>,
}

/// `--type`.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum KindArg {
    /// Files.
    F,
    /// Folders.
    D,
}

fn parse_glob(s: &str) -> Result<glob::Pattern, String> {
    glob::Pattern::new(s).map_err(|e| format!("not a valid pattern ({}): {s}", e.msg))
}

fn parse_date(s: &str) -> Result<NaiveDateTime, String> {
    crate::engine::find::parse_day(s)
}

fn parse_size(s: &str) -> Result<u64, String> {
    crate::engine::find::parse_size(s)
}

impl FindArgs {
    /// The conditions, as the shared search takes them.
    fn criteria(&self) -> Criteria {
        Criteria {
            name: self
                .name
                .clone()
                .map_or(NamePattern::Any, |pattern| NamePattern::Glob {
                    pattern,
                    case_sensitive: true,
                }),
            kind: match self.kind {
                None => KindFilter::Both,
                Some(KindArg::F) => KindFilter::Files,
                Some(KindArg::D) => KindFilter::Folders,
            },
            // --larger is "more than", the criteria's minimum is inclusive.
            min_size: self.larger.map(|n| n.saturating_add(1)),
            max_size: None,
            modified_after: self.newer,
            modified_before: None,
        }
    }
}

/// Run `ferry find`.
pub(super) async fn run(args: &FindArgs, net: &NetArgs) -> Result<(), CliError> {
    let (url, mut session) = open(&args.url, net).await?;
    let root = url.path.clone();
    let charset = session.options().charset;
    // The walk needs a folder: CWD tells a folder from a file or nothing,
    // then back to where the session was, so relative paths keep their meaning.
    if !root.is_empty() {
        let home = session.pwd().await?;
        if let Err(e) = session.cwd(&root).await {
            if e.is_fatal_to_session() {
                return Err(e.into());
            }
            let _ = session.quit().await;
            return Err(CliError::transfer(format!(
                "cannot search there: no such folder, or it is a file; check the path: {}",
                url.display()
            )));
        }
        session.cwd(&home).await?;
    }
    let options = FindOptions {
        criteria: args.criteria(),
        max_depth: args.max_depth,
        charset,
        // A saved site's server time zone, else found on the way (MDTM),
        // so --newer compares LIST times in UTC as sync does.
        time_offset: session
            .options()
            .list_time_offset_minutes
            .map(|m| chrono::TimeDelta::minutes(i64::from(m))),
    };
    // Ctrl+C ends the whole command (see `cli::main`); nothing else cancels.
    let cancel = AtomicBool::new(false);
    let mut unlisted = 0usize;
    // Printed as found, like find(1): a big tree shows results at once.
    let mut report = |found: Found| match found {
        Found::Hit(hit) => {
            let AnyPath::Remote(path) = hit.path else {
                return;
            };
            // The walk refused names with line breaks, so one path is one line.
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{}", charset.decode(&path));
        }
        Found::Skipped(why) => {
            if why.starts_with("could not list") {
                unlisted += 1;
            }
            eprintln!("ferry: skipped: {why}");
        }
        Found::Progress(_) => {}
    };
    let walked = find_remote(&mut session, &root, &options, &mut report, &cancel).await;
    let _ = session.quit().await;
    let _ = std::io::stdout().flush();
    match walked {
        Ok(_) if unlisted > 0 => Err(CliError::transfer(format!(
            "{unlisted} folder(s) could not be listed (named above), so the list is incomplete: {}",
            url.display()
        ))),
        Ok(_) => Ok(()),
        Err(FindError::Ftp(e)) => Err(e.into()),
        Err(other) => Err(CliError::transfer(other.to_string())),
    }
}
