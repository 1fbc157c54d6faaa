//! What each `ferry` subcommand does.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use super::progress::LazyProgress;
use super::url::RemoteArg;
use super::{CliError, Command, CopyArgs, IfExists, NetArgs, connect_options};
use crate::engine::OnExisting;
use crate::engine::existing::{self, Found, Verdict};
use crate::engine::segments::{SegmentPlan, download_segmented};
use crate::engine::transfer::{
    Existing, Known, download_into, safe_local_name, safe_remote_name, upload_file, upload_from,
};
use crate::ftp::log::cli_log;
use crate::ftp::{EntryKind, NameCharset, RemoteEntry, Session};

pub(super) async fn run(command: Command, mut net: NetArgs) -> Result<(), CliError> {
    refuse_segments(&command)?;
    match &command {
        Command::Get { copy, .. } => {
            net.segments = copy.segments;
            net.transfer_type = copy.transfer_type;
        }
        Command::Put { copy, .. } => net.transfer_type = copy.transfer_type,
        Command::Mirror { transfer_type, .. } => net.transfer_type = *transfer_type,
        _ => {}
    }
    match command {
        Command::Ls { url, all } => ls(&url, all, &net).await,
        Command::Get {
            url,
            local: Some(local),
            copy,
        } if is_standard_stream(&local) => get_to_stdout(&url, &copy, &net).await,
        Command::Put { local, url, copy } if is_standard_stream(&local) => {
            put_from_stdin(&url, &copy, &net).await
        }
        Command::Get { url, local, copy } if copy.recursive || needs_queue(&copy) => {
            super::recursive::get(&url, local, &copy, &net).await
        }
        Command::Put { local, url, copy } if copy.recursive || needs_queue(&copy) => {
            super::recursive::put(&local, &url, &copy, &net).await
        }
        Command::Get { url, local, copy } => get(&url, local, &copy, &net).await,
        Command::Put { local, url, copy } => put(&local, &url, &copy, &net).await,
        Command::Mirror {
            source,
            target,
            jobs,
            exclude,
            ..
        } => super::recursive::mirror(&source, &target, jobs, exclude, &net).await,
        Command::Sync(args) => super::sync::run(&args, &net).await,
        Command::Sites { action } => super::sites::run(action),
        // `main` starts it before this point: it ends with Ctrl+C, not a result.
        Command::ServeDemo(_) => Err(CliError::usage(
            "serve-demo cannot run from here; run `ferry serve-demo` on its own",
        )),
        Command::Diagnose { url } => diagnose(&url, &net).await,
        Command::Edit { url } => super::edit::run(&url, &net).await,
        Command::Chmod {
            octal,
            url,
            recursive,
        } => super::chmod::run(&octal, &url, recursive, &net).await,
        Command::Find(args) => super::find::run(&args, &net).await,
        Command::Mkdir { url } => {
            let (url, mut s) = open(&url, &net).await?;
            s.mkdir(&url.path).await?;
            finish(&url, s).await
        }
        Command::Rm { url, dir } => {
            let (url, mut s) = open(&url, &net).await?;
            if dir {
                s.rmdir(&url.path).await?;
            } else {
                s.delete(&url.path).await?;
            }
            finish(&url, s).await
        }
        Command::Mv { url, new_name } => {
            let (url, mut s) = open(&url, &net).await?;
            let target = if new_name.starts_with('/') || new_name.contains('/') {
                new_name.into_bytes()
            } else {
                [url.dir(), new_name.as_bytes()].concat()
            };
            s.rename(&url.path, &target).await?;
            finish(&url, s).await
        }
    }
}

pub(super) async fn open(text: &str, net: &NetArgs) -> Result<(RemoteArg, Session), CliError> {
    let url = RemoteArg::parse(text).map_err(CliError::usage)?;
    let opts = connect_options(&url, net)?;
    let log = cli_log(net.verbose);
    let session = Session::connect(opts, log).await?;
    Ok((url, session))
}

/// Quit, first saving the data mode auto mode switched to into the saved
/// site the URL named, so the next connection starts with it.
async fn finish(url: &RemoteArg, mut s: Session) -> Result<(), CliError> {
    if let (Some(switch), Some(site)) = (s.take_mode_switch(), &url.site) {
        super::remember_working_mode(site, switch.to);
    }
    s.quit().await.map_err(CliError::from)
}

/// `ferry diagnose URL`: the connection test's table as it runs, then the verdict.
async fn diagnose(text: &str, net: &NetArgs) -> Result<(), CliError> {
    let url = RemoteArg::parse(text).map_err(CliError::usage)?;
    let opts = connect_options(&url, net)?;
    let path = (!url.path.is_empty()).then(|| url.path.clone());
    println!("Testing {} as {}…", opts.addr_text(), opts.user);
    let report = crate::engine::diagnose::run(opts, path, cli_log(net.verbose), |step| {
        println!(
            "{:<32} {:<9} {:>7}  {}",
            step.kind.label(),
            step.outcome.label(),
            format!("{} ms", step.elapsed.as_millis()),
            step.detail
        );
    })
    .await;
    println!();
    println!("{}", report.verdict);
    if report.works() {
        Ok(())
    } else {
        Err(CliError {
            code: super::exit::CONNECTION,
            message: "the connection test found a problem (see above)".into(),
        })
    }
}

async fn ls(text: &str, all: bool, net: &NetArgs) -> Result<(), CliError> {
    let url = RemoteArg::parse(text).map_err(CliError::usage)?;
    let mut opts = connect_options(&url, net)?;
    opts.list_hidden = all;
    let log = cli_log(net.verbose);
    let mut s = Session::connect(opts, log).await?;
    let path = (!url.path.is_empty()).then_some(url.path.as_slice());
    let mut entries = s.list(path).await?;
    let charset = s.options().charset;
    finish(&url, s).await?;
    entries.sort_by(|a, b| (!a.is_dir(), &a.name).cmp(&(!b.is_dir(), &b.name)));
    let mut out = String::new();
    for e in &entries {
        out.push_str(&format_entry(e, &charset));
        out.push('\n');
    }
    print!("{out}");
    Ok(())
}

/// One `ls -l`-like line: type and permissions, size, time, name.
fn format_entry(e: &RemoteEntry, charset: &NameCharset) -> String {
    let kind = match e.kind {
        EntryKind::Dir => 'd',
        EntryKind::Symlink => 'l',
        EntryKind::File => '-',
        EntryKind::Unknown => '?',
    };
    let perms = e.permissions.as_deref().unwrap_or("");
    let size = e.size.map(|s| s.to_string()).unwrap_or_default();
    let time = e
        .modified
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default();
    let mut name = charset.decode(&e.name).replace(['\r', '\n'], "?");
    if e.kind == EntryKind::Dir {
        name.push('/');
    }
    if let Some(target) = &e.link_target {
        name.push_str(" -> ");
        name.push_str(&charset.decode(target));
    }
    format!("{kind}{perms:<10} {size:>14} {time:16} {name}")
}

pub(super) fn name_for_local(name: &[u8], charset: &NameCharset) -> Result<String, CliError> {
    safe_local_name(name, charset)
        .map_err(|m| CliError::usage(format!("{m}; give the local name explicitly")))
}

async fn get(
    text: &str,
    local: Option<PathBuf>,
    copy: &CopyArgs,
    net: &NetArgs,
) -> Result<(), CliError> {
    let url = RemoteArg::parse(text).map_err(CliError::usage)?;
    let remote_name = url.file_name().ok_or_else(|| {
        CliError::usage(format!(
            "the URL names a folder, not a file: {}",
            url.display()
        ))
    })?;
    let remote_name = remote_name.to_vec();
    let (url, mut s) = open(text, net).await?;
    let charset = s.options().charset;
    let target = match local {
        Some(p) if p.is_dir() => p.join(name_for_local(&remote_name, &charset)?),
        Some(p) => p,
        None => PathBuf::from(name_for_local(&remote_name, &charset)?),
    };
    let found = existing::look_local(&target).await;
    let Some(existing) = existing_for(copy, found, &target.display().to_string())? else {
        eprintln!("ferry: skipped, the target exists: {}", target.display());
        return finish(&url, s).await;
    };
    let progress = LazyProgress::new(target.display().to_string());
    let plan = SegmentPlan::new(s.options().segments.max(1).into());
    download_segmented(
        &mut s,
        plan,
        &url.path,
        &target,
        existing,
        Known::default(),
        copy.limit_rate.as_ref(),
        &mut |n, total| progress.report(n, total),
    )
    .await?;
    finish(&url, s).await
}

async fn put(local: &Path, text: &str, copy: &CopyArgs, net: &NetArgs) -> Result<(), CliError> {
    if local.is_dir() {
        return Err(CliError::usage(format!(
            "{} is a folder; use ferry put -r to upload a folder",
            local.display()
        )));
    }
    let (url, mut s) = open(text, net).await?;
    let remote: Vec<u8> = if url.file_name().is_none() {
        let name = local
            .file_name()
            .ok_or_else(|| CliError::usage(format!("{} has no file name", local.display())))?;
        let name = upload_name(name, &s.options().charset)?;
        [url.path.as_slice(), &name].concat()
    } else {
        url.path.clone()
    };
    let Some(existing) = remote_existing(&mut s, &remote, copy).await? else {
        return finish(&url, s).await;
    };
    let progress = LazyProgress::new(local.display().to_string());
    upload_file(
        &mut s,
        local,
        &remote,
        existing,
        copy.limit_rate.as_ref(),
        &mut |n, total| progress.report(n, total),
    )
    .await?;
    finish(&url, s).await
}

/// What `put` sends a local file's name as: encoded for the server the
/// way the window's queue does it (one rule, [`safe_remote_name`]).
pub(super) fn upload_name(name: &OsStr, charset: &NameCharset) -> Result<Vec<u8>, CliError> {
    safe_remote_name(name.as_encoded_bytes(), charset)
        .map_err(|m| CliError::usage(format!("{m}; name the remote file at the end of the URL")))
}

/// How an upload to `remote` treats a file already there; None when it is
/// skipped (said on stderr).
async fn remote_existing(
    s: &mut Session,
    remote: &[u8],
    copy: &CopyArgs,
) -> Result<Option<Existing>, CliError> {
    // Overwriting and resuming need no look first.
    let look = !matches!(
        copy.on_existing(),
        OnExisting::Overwrite | OnExisting::Resume
    );
    let found = if look {
        match s.size(remote).await {
            Ok(size) => Found::File {
                size: Some(size),
                modified: None,
            },
            Err(e) if e.is_fatal_to_session() => return Err(e.into()),
            // 550 (no such file) or a server without SIZE.
            Err(_) => Found::Nothing,
        }
    } else {
        Found::Nothing
    };
    let shown = String::from_utf8_lossy(remote).into_owned();
    let existing = existing_for(copy, found, &shown)?;
    if existing.is_none() {
        eprintln!("ferry: skipped, the target exists: {shown}");
    }
    Ok(existing)
}

/// `-` for the local file: standard output (`get`) or input (`put`).
fn is_standard_stream(local: &Path) -> bool {
    local.as_os_str() == "-"
}

/// `ferry get URL -`: the file to standard output, as it arrives (progress
/// and messages go to stderr), so it can be piped: `ferry get URL - | tar x`.
async fn get_to_stdout(text: &str, copy: &CopyArgs, net: &NetArgs) -> Result<(), CliError> {
    if copy.recursive {
        return Err(CliError::usage(
            "a folder cannot go to standard output; give a local folder instead of -",
        ));
    }
    if copy.on_existing() != OnExisting::Overwrite {
        return Err(CliError::usage(
            "--continue and --if-exists do not apply to standard output; drop them, or give a local file instead of -",
        ));
    }
    let url = RemoteArg::parse(text).map_err(CliError::usage)?;
    if url.file_name().is_none() {
        return Err(CliError::usage(format!(
            "the URL names a folder, not a file: {}",
            url.display()
        )));
    }
    let (url, mut s) = open(text, net).await?;
    let progress = LazyProgress::new(String::from_utf8_lossy(url.file_name().unwrap_or(b"-")));
    let stdout = standard_stream(std::io::stdout())
        .map_err(|e| CliError::transfer(format!("could not write to standard output: {e}")))?;
    let mut out = tokio::fs::File::from_std(stdout);
    download_into(
        &mut s,
        &url.path,
        &mut out,
        Known::default(),
        copy.limit_rate.as_ref(),
        &mut |n, total| progress.report(n, total),
    )
    .await?;
    drop(progress);
    finish(&url, s).await
}

/// `ferry put - URL`: standard input to the file the URL names.
async fn put_from_stdin(text: &str, copy: &CopyArgs, net: &NetArgs) -> Result<(), CliError> {
    if copy.recursive {
        return Err(CliError::usage(
            "standard input is not a folder; give a local folder instead of - to use -r",
        ));
    }
    if !matches!(copy.on_existing(), OnExisting::Overwrite | OnExisting::Skip) {
        return Err(CliError::usage(
            "standard input can only replace a remote file or skip it (--if-exists overwrite or skip); it cannot resume, compare or rename",
        ));
    }
    let url = RemoteArg::parse(text).map_err(CliError::usage)?;
    if url.file_name().is_none() {
        return Err(CliError::usage(format!(
            "standard input has no name; end the URL with the remote file's name: {}",
            url.display()
        )));
    }
    let (url, mut s) = open(text, net).await?;
    if remote_existing(&mut s, &url.path, copy).await?.is_none() {
        return finish(&url, s).await;
    }
    let progress = LazyProgress::new("standard input");
    let stdin = standard_stream(std::io::stdin())
        .map_err(|e| CliError::usage(format!("could not read standard input: {e}")))?;
    upload_from(
        &mut s,
        stdin,
        &url.path,
        copy.limit_rate.as_ref(),
        &mut |n, total| progress.report(n, total),
    )
    .await?;
    drop(progress);
    finish(&url, s).await
}

/// Standard input or output as a file of its own (a duplicate of the
/// descriptor), for the engine's file readers and writers.
#[cfg(unix)]
fn standard_stream(stream: impl std::os::fd::AsFd) -> std::io::Result<std::fs::File> {
    Ok(stream.as_fd().try_clone_to_owned()?.into())
}

#[cfg(windows)]
fn standard_stream(stream: impl std::os::windows::io::AsHandle) -> std::io::Result<std::fs::File> {
    Ok(stream.as_handle().try_clone_to_owned()?.into())
}

/// "newer" and "rename" compare and pick names the way the queue does: a
/// single file then goes through the queue too.
/// `--segments` splits one download into a file: an upload cannot be
/// split (FTP writes a remote file only at its end), nor can standard
/// output take ranges out of order.
fn refuse_segments(command: &Command) -> Result<(), CliError> {
    match command {
        Command::Put { copy, .. } if copy.segments.is_some_and(|n| n > 1) => Err(CliError::usage(
            "--segments splits downloads only; upload without it",
        )),
        Command::Get {
            local: Some(local),
            copy,
            ..
        } if copy.segments.is_some_and(|n| n > 1) && is_standard_stream(local) => {
            Err(CliError::usage(
                "--segments writes ranges into a file, not standard output; name a file or drop --segments",
            ))
        }
        _ => Ok(()),
    }
}

fn needs_queue(copy: &CopyArgs) -> bool {
    matches!(copy.if_exists, IfExists::Newer | IfExists::Rename) && !copy.resume
}

/// How a single-file get/put treats what was `found` at its target (shown
/// as `shown`), by the rule the queue follows; None to skip it.
fn existing_for(copy: &CopyArgs, found: Found, shown: &str) -> Result<Option<Existing>, CliError> {
    match existing::decide(copy.on_existing(), found, existing::Source::default()) {
        Verdict::Go(existing) => Ok(Some(existing)),
        Verdict::Skip(_) => Ok(None),
        Verdict::Refuse(why) => Err(CliError::transfer(format!(
            "{why}; move it or give another local name: {shown}"
        ))),
        // `needs_queue` sends "newer" and "rename" through the queue, and
        // the command line never asks: neither answer reaches here.
        Verdict::Rename | Verdict::Ask => Err(CliError::usage(
            "this --if-exists answer needs the transfer queue; add -r to use it",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_print_like_ls() {
        let e = RemoteEntry {
            name: b"docs".to_vec(),
            kind: EntryKind::Dir,
            size: Some(4096),
            modified: chrono::NaiveDate::from_ymd_opt(2024, 3, 5)
                .and_then(|d| d.and_hms_opt(12, 34, 0)),
            permissions: Some("rwxr-xr-x".into()),
            owner: None,
            group: None,
            link_target: None,
            raw: None,
        };
        let line = format_entry(&e, &NameCharset::Auto);
        assert!(line.starts_with("drwxr-xr-x"), "{line}");
        assert!(line.ends_with("2024-03-05 12:34 docs/"), "{line}");
    }
}
