//! `ferry find URL [--name GLOB] [--type f|d] [--newer DATE] [--larger SIZE]`:
//! walk a remote folder on one session (the same walk as sync: hostile
//! names refused, links not followed) and print the matching paths, one a
//! line.

use std::sync::atomic::AtomicBool;

use chrono::{NaiveDate, NaiveDateTime, TimeZone};
use clap::Args;

use super::commands::open;
use super::{CliError, NetArgs};
use crate::sync::tree::{Node, WalkOptions, remote_path, walk_remote};

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

/// `YYYY-MM-DD` as the start of that day in local time, in UTC (the walk's
/// times are UTC).
fn parse_date(s: &str) -> Result<NaiveDateTime, String> {
    let day = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| format!("expected a date as YYYY-MM-DD, e.g. 2024-03-31: {s}"))?;
    let midnight = day.and_time(chrono::NaiveTime::MIN);
    Ok(chrono::Local
        .from_local_datetime(&midnight)
        .earliest()
        .map_or(midnight, |t| t.naive_utc()))
}

/// Bytes, or a number with K, M, G or T (powers of 1024, as curl takes them).
fn parse_size(s: &str) -> Result<u64, String> {
    let bad = || format!("expected a size in bytes, or with K, M, G or T, e.g. 10K or 5M: {s}");
    let t = s.trim();
    let (digits, shift) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let shift = match c.to_ascii_uppercase() {
                'K' => 10,
                'M' => 20,
                'G' => 30,
                'T' => 40,
                _ => return Err(bad()),
            };
            (&t[..i], shift)
        }
        _ => (t, 0),
    };
    let n: u64 = digits.parse().map_err(|_| bad())?;
    n.checked_mul(1u64 << shift)
        .ok_or_else(|| format!("the size is too large: {s}"))
}

impl FindArgs {
    /// Whether an entry (its name, what it is) passes every condition.
    fn matches(&self, name: &str, node: &Node) -> bool {
        if let Some(p) = &self.name
            && !p.matches(name)
        {
            return false;
        }
        match (self.kind, node) {
            (Some(KindArg::F), Node::Dir) | (Some(KindArg::D), Node::File(_)) => return false,
            _ => {}
        }
        if self.newer.is_none() && self.larger.is_none() {
            return true;
        }
        // Size and time conditions are about files: a folder's listing
        // gives neither reliably.
        let Node::File(info) = node else {
            return false;
        };
        // A file whose time or size the listing did not give cannot be
        // shown to match, so it does not.
        if let Some(after) = self.newer
            && info.modified.is_none_or(|t| t < after)
        {
            return false;
        }
        if let Some(min) = self.larger
            && info.size.is_none_or(|s| s <= min)
        {
            return false;
        }
        true
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
    let options = WalkOptions {
        charset,
        // A saved site's server time zone, else found on the way (MDTM),
        // so --newer compares LIST times in UTC as sync does.
        time_offset: session
            .options()
            .list_time_offset_minutes
            .map(|m| chrono::TimeDelta::minutes(i64::from(m))),
        ..WalkOptions::default()
    };
    // Ctrl+C ends the whole command (see `cli::main`); nothing else cancels.
    let cancel = AtomicBool::new(false);
    let tree = walk_remote(&mut session, &root, &options, &mut |_| {}, &cancel)
        .await
        .map_err(|e| match e {
            crate::sync::SyncError::Ftp(e) => e.into(),
            other => CliError::transfer(other.to_string()),
        })?;
    let _ = session.quit().await;
    for why in &tree.refused {
        eprintln!("ferry: skipped: {why}");
    }
    let mut out = String::new();
    for (rel, node) in &tree.nodes {
        let name = rel.rsplit(|&b| b == b'/').next().unwrap_or(rel);
        if !args.matches(&charset.decode(name), node) {
            continue;
        }
        // The walk refused names with line breaks, so one path is one line.
        out.push_str(&charset.decode(&remote_path(&root, rel)));
        out.push('\n');
    }
    print!("{out}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_curl_suffixes() {
        assert_eq!(parse_size("0"), Ok(0));
        assert_eq!(parse_size("1500"), Ok(1500));
        assert_eq!(parse_size("10K"), Ok(10 * 1024));
        assert_eq!(parse_size("5m"), Ok(5 * 1024 * 1024));
        assert_eq!(parse_size("2G"), Ok(2 << 30));
        assert!(parse_size("5X").is_err());
        assert!(parse_size("K").is_err());
        assert!(parse_size("-1").is_err());
        assert!(parse_size("99999999999T").is_err());
    }

    #[test]
    fn dates_are_days() {
        assert!(parse_date("2024-03-31").is_ok());
        assert!(parse_date("2024-02-30").is_err());
        assert!(parse_date("31/03/2024").is_err());
    }
}
