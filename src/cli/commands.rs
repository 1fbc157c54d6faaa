//! What each `ferry` subcommand does.

use std::path::{Path, PathBuf};

use super::progress::LazyProgress;
use super::url::FtpUrl;
use super::{CliError, Command, CopyArgs, IfExists, NetArgs, connect_options};
use crate::engine::OnExisting;
use crate::engine::transfer::{Existing, Known, download_file, safe_local_name, upload_file};
use crate::ftp::log::cli_log;
use crate::ftp::{EntryKind, NameCharset, RemoteEntry, Session};

pub(super) async fn run(command: Command, net: NetArgs) -> Result<(), CliError> {
    match command {
        Command::Ls { url, all } => ls(&url, all, &net).await,
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
        } => super::recursive::mirror(&source, &target, jobs, &net).await,
        Command::Sites { action } => super::sites::run(action),
        // `main` starts it before this point: it ends with Ctrl+C, not a result.
        Command::ServeDemo(_) => Err(CliError::usage(
            "serve-demo cannot run from here; run `ferry serve-demo` on its own",
        )),
        Command::Diagnose { url } => diagnose(&url, &net).await,
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

pub(super) async fn open(text: &str, net: &NetArgs) -> Result<(FtpUrl, Session), CliError> {
    let url = FtpUrl::parse(text).map_err(CliError::usage)?;
    let opts = connect_options(&url, net)?;
    let log = cli_log(net.verbose);
    let session = Session::connect(opts, log).await?;
    Ok((url, session))
}

/// Quit, first saving the data mode auto mode switched to into the saved
/// site the URL named, so the next connection starts with it.
async fn finish(url: &FtpUrl, mut s: Session) -> Result<(), CliError> {
    if let (Some(switch), Some(site)) = (s.take_mode_switch(), &url.site) {
        super::remember_working_mode(site, switch.to);
    }
    s.quit().await.map_err(CliError::from)
}

/// `ferry diagnose URL`: the connection test's table as it runs, then the verdict.
async fn diagnose(text: &str, net: &NetArgs) -> Result<(), CliError> {
    let url = FtpUrl::parse(text).map_err(CliError::usage)?;
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
    let url = FtpUrl::parse(text).map_err(CliError::usage)?;
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
    let url = FtpUrl::parse(text).map_err(CliError::usage)?;
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
    let Some(existing) = existing_for(copy, target.exists()) else {
        eprintln!("ferry: skipped, the target exists: {}", target.display());
        return finish(&url, s).await;
    };
    let progress = LazyProgress::new(target.display().to_string());
    download_file(
        &mut s,
        &url.path,
        &target,
        existing,
        Known::default(),
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
        [url.path.as_slice(), name.to_string_lossy().as_bytes()].concat()
    } else {
        url.path.clone()
    };
    let exists = copy.if_exists != IfExists::Overwrite && s.size(&remote).await.is_ok();
    let Some(existing) = existing_for(copy, exists) else {
        eprintln!(
            "ferry: skipped, the target exists: {}",
            String::from_utf8_lossy(&remote)
        );
        return finish(&url, s).await;
    };
    let progress = LazyProgress::new(local.display().to_string());
    upload_file(&mut s, local, &remote, existing, &mut |n, total| {
        progress.report(n, total)
    })
    .await?;
    finish(&url, s).await
}

/// "newer" and "rename" compare and pick names the way the queue does: a
/// single file then goes through the queue too.
fn needs_queue(copy: &CopyArgs) -> bool {
    matches!(copy.if_exists, IfExists::Newer | IfExists::Rename) && !copy.resume
}

/// How a single-file get/put treats an existing target; None to skip it.
fn existing_for(copy: &CopyArgs, exists: bool) -> Option<Existing> {
    match (copy.on_existing(), exists) {
        (OnExisting::Resume, _) => Some(Existing::Resume),
        (OnExisting::Skip, true) => None,
        _ => Some(Existing::Overwrite),
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
