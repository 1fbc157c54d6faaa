//! What each `ferry` subcommand does.

use std::path::{Path, PathBuf};

use tokio::io::AsyncSeekExt;

use super::progress::Progress;
use super::url::FtpUrl;
use super::{CliError, Command, NetArgs, connect_options};
use crate::ftp::log::{null_log, stderr_log};
use crate::ftp::{EntryKind, FtpError, RemoteEntry, Session};

pub(super) async fn run(command: Command, net: NetArgs) -> Result<(), CliError> {
    match command {
        Command::Ls { url, all } => ls(&url, all, &net).await,
        Command::Get { url, local, resume } => get(&url, local, resume, &net).await,
        Command::Put { local, url, resume } => put(&local, &url, resume, &net).await,
        Command::Mkdir { url } => {
            let (url, mut s) = open(&url, &net).await?;
            s.mkdir(&url.path).await?;
            s.quit().await?;
            Ok(())
        }
        Command::Rm { url, dir } => {
            let (url, mut s) = open(&url, &net).await?;
            if dir {
                s.rmdir(&url.path).await?;
            } else {
                s.delete(&url.path).await?;
            }
            s.quit().await?;
            Ok(())
        }
        Command::Mv { url, new_name } => {
            let (url, mut s) = open(&url, &net).await?;
            let target = if new_name.starts_with('/') || new_name.contains('/') {
                new_name.into_bytes()
            } else {
                [url.dir(), new_name.as_bytes()].concat()
            };
            s.rename(&url.path, &target).await?;
            s.quit().await?;
            Ok(())
        }
    }
}

async fn open(text: &str, net: &NetArgs) -> Result<(FtpUrl, Session), CliError> {
    let url = FtpUrl::parse(text).map_err(CliError::usage)?;
    let opts = connect_options(&url, net)?;
    let log = if net.verbose {
        stderr_log()
    } else {
        null_log()
    };
    let session = Session::connect(opts, log).await?;
    Ok((url, session))
}

async fn ls(text: &str, all: bool, net: &NetArgs) -> Result<(), CliError> {
    let url = FtpUrl::parse(text).map_err(CliError::usage)?;
    let mut opts = connect_options(&url, net)?;
    opts.list_hidden = all;
    let log = if net.verbose {
        stderr_log()
    } else {
        null_log()
    };
    let mut s = Session::connect(opts, log).await?;
    let path = (!url.path.is_empty()).then_some(url.path.as_slice());
    let mut entries = s.list(path).await?;
    s.quit().await?;
    entries.sort_by(|a, b| (!a.is_dir(), &a.name).cmp(&(!b.is_dir(), &b.name)));
    let mut out = String::new();
    for e in &entries {
        out.push_str(&format_entry(e));
        out.push('\n');
    }
    print!("{out}");
    Ok(())
}

/// One `ls -l`-like line: type and permissions, size, time, name.
fn format_entry(e: &RemoteEntry) -> String {
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
    let mut name = e.display_name().replace(['\r', '\n'], "?");
    if e.kind == EntryKind::Dir {
        name.push('/');
    }
    if let Some(target) = &e.link_target {
        name.push_str(" -> ");
        name.push_str(&String::from_utf8_lossy(target));
    }
    format!("{kind}{perms:<10} {size:>14} {time:16} {name}")
}

/// A file name from the server that is safe to create locally: no path
/// separators, not `.`/`..`, no NUL.
fn safe_local_name(name: &[u8]) -> Result<String, CliError> {
    let text = String::from_utf8_lossy(name);
    if text.is_empty() || text == "." || text == ".." || text.contains(['/', '\\', '\0']) {
        return Err(CliError::usage(format!(
            "refusing to use {text:?} as a local file name; give the local name explicitly"
        )));
    }
    Ok(text.into_owned())
}

fn local_err<'a>(
    what: &'static str,
    path: &'a Path,
) -> impl FnOnce(std::io::Error) -> CliError + 'a {
    move |source| {
        CliError::transfer(
            FtpError::Local {
                what,
                source,
                path: path.display().to_string(),
            }
            .to_string(),
        )
    }
}

/// `NAME.part` beside `NAME`: where a download grows until it is complete.
fn part_path(target: &Path) -> PathBuf {
    let mut name = target.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    target.with_file_name(name)
}

async fn get(
    text: &str,
    local: Option<PathBuf>,
    resume: bool,
    net: &NetArgs,
) -> Result<(), CliError> {
    let url = FtpUrl::parse(text).map_err(CliError::usage)?;
    let remote_name = url.file_name().ok_or_else(|| {
        CliError::usage(format!(
            "the URL names a folder, not a file: {}",
            url.display()
        ))
    })?;
    let target = match local {
        Some(p) if p.is_dir() => p.join(safe_local_name(remote_name)?),
        Some(p) => p,
        None => PathBuf::from(safe_local_name(remote_name)?),
    };
    let (url, mut s) = open(text, net).await?;
    let size = s.size(&url.path).await.ok();
    let mtime = s.mdtm(&url.path).await.ok();
    let part = part_path(&target);

    let mut offset = 0;
    if resume {
        if !part.exists() && target.exists() {
            tokio::fs::rename(&target, &part)
                .await
                .map_err(local_err("moving the partial file aside", &target))?;
        }
        offset = tokio::fs::metadata(&part)
            .await
            .map(|m| m.len())
            .unwrap_or(0);
        if let Some(size) = size
            && offset > size
        {
            return Err(CliError::transfer(format!(
                "the local file is larger ({offset} bytes) than the remote one ({size}); remove it to download again: {}",
                part.display()
            )));
        }
    }
    let mut file = tokio::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(offset == 0)
        .open(&part)
        .await
        .map_err(local_err("creating the download file", &part))?;
    file.seek(std::io::SeekFrom::Start(offset))
        .await
        .map_err(local_err("seeking in the download file", &part))?;

    let received = if Some(offset) == size {
        0
    } else {
        let progress = Progress::new(&target.display().to_string(), size, offset);
        let r = s
            .download(&url.path, offset, &mut file, &mut |n| progress.update(n))
            .await;
        progress.finish();
        r?
    };
    file.sync_all()
        .await
        .map_err(local_err("writing the download file", &part))?;
    drop(file);
    let got = offset + received;
    if let Some(size) = size
        && got != size
    {
        return Err(FtpError::Incomplete {
            got,
            expected: size,
            path: part.display().to_string(),
        }
        .into());
    }
    tokio::fs::rename(&part, &target)
        .await
        .map_err(local_err("renaming the finished download", &target))?;
    if let Some(t) = mtime {
        let time: std::time::SystemTime = t.and_utc().into();
        if let Ok(f) = std::fs::File::options().write(true).open(&target) {
            let _ = f.set_modified(time);
        }
    }
    s.quit().await?;
    Ok(())
}

async fn put(local: &Path, text: &str, resume: bool, net: &NetArgs) -> Result<(), CliError> {
    let mut file = tokio::fs::File::open(local)
        .await
        .map_err(local_err("opening the file to upload", local))?;
    let meta = file
        .metadata()
        .await
        .map_err(local_err("reading the file to upload", local))?;
    if meta.is_dir() {
        return Err(CliError::usage(format!(
            "{} is a folder; ferry put uploads one file",
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
    let len = meta.len();
    let mut offset = 0;
    if resume {
        offset = s.size(&remote).await.unwrap_or(0);
        if offset > len {
            return Err(CliError::transfer(format!(
                "the remote file is larger ({offset} bytes) than the local one ({len}); delete it to upload again: {}",
                url.display()
            )));
        }
        file.seek(std::io::SeekFrom::Start(offset))
            .await
            .map_err(local_err("seeking in the file to upload", local))?;
    }
    if offset < len || len == 0 {
        let progress = Progress::new(&local.display().to_string(), Some(len), offset);
        let r = s
            .upload(&mut file, &remote, offset, false, &mut |n| {
                progress.update(n)
            })
            .await;
        progress.finish();
        r?;
    }
    if let Ok(remote_size) = s.size(&remote).await
        && remote_size != len
    {
        return Err(FtpError::Incomplete {
            got: remote_size,
            expected: len,
            path: url.display(),
        }
        .into());
    }
    if s.features().mfmt()
        && let Ok(modified) = meta.modified()
    {
        let t: chrono::DateTime<chrono::Utc> = modified.into();
        // Keeping the local time is a courtesy; a refusal is not a failure.
        let _ = s.mfmt(&remote, t.naive_utc()).await;
    }
    s.quit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_remote_names_are_refused_as_local_names() {
        for bad in [&b""[..], b".", b"..", b"a/b", b"a\\b", b"nul\0"] {
            assert!(safe_local_name(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            safe_local_name(b"report 2024.pdf").unwrap(),
            "report 2024.pdf"
        );
    }

    #[test]
    fn part_file_sits_beside_the_target() {
        assert_eq!(
            part_path(Path::new("/tmp/x/a.bin")),
            PathBuf::from("/tmp/x/a.bin.part")
        );
        assert_eq!(part_path(Path::new("a")), PathBuf::from("a.part"));
    }
}
