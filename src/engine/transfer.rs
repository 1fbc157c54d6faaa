//! Moving files: one download or upload done safely (a download grows in
//! `NAME.part` and takes its name only when complete), and batches of them
//! for the window, folders included. The command line uses the same code.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tokio::io::AsyncSeekExt;
use tokio::sync::watch;

use super::Outbox;
use super::protocol::{AnyPath, Direction, Event, Side};
use super::read_ahead::ReadAhead;
use super::remote::{is_plain_name, join};
use crate::ftp::{ConnectOptions, EntryKind, FtpError, Session};

/// How a transfer treats what is already at the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    /// Start over.
    Overwrite,
    /// Continue from what is there (REST).
    Resume,
}

/// `NAME.part` beside `NAME`: where a download grows until it is complete.
pub fn part_path(target: &Path) -> PathBuf {
    let mut name = target.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    target.with_file_name(name)
}

/// A local file name for a name from the server: refused when it could
/// escape the target folder (`/`, `\`, `..`, NUL) or is empty.
pub fn safe_local_name(name: &[u8]) -> Result<String, String> {
    let text = String::from_utf8_lossy(name);
    if !is_plain_name(name) || text.contains('\\') {
        return Err(format!(
            "refusing the server's file name {text:?}: it could write outside the target folder"
        ));
    }
    Ok(text.into_owned())
}

fn local_error<'a>(
    what: &'static str,
    path: &'a Path,
) -> impl FnOnce(std::io::Error) -> FtpError + 'a {
    move |source| FtpError::Local {
        what,
        source,
        path: path.display().to_string(),
    }
}

/// Download `remote` to `target`. The data grows in `target.part`, is
/// flushed to disk, checked against the server's SIZE, and only then renamed
/// to `target`; the modification time is copied from MDTM. With
/// [`Existing::Resume`] a `.part` (or an existing `target`) is continued.
pub async fn download_file(
    session: &mut Session,
    remote: &[u8],
    target: &Path,
    existing: Existing,
    progress: &mut (dyn FnMut(u64, Option<u64>) + Send),
) -> Result<u64, FtpError> {
    let size = session.size(remote).await.ok();
    let mtime = session.mdtm(remote).await.ok();
    let part = part_path(target);
    let mut offset = 0;
    if existing == Existing::Resume {
        if !part.exists() && target.exists() {
            tokio::fs::rename(target, &part)
                .await
                .map_err(local_error("moving the partial file aside", target))?;
        }
        offset = tokio::fs::metadata(&part)
            .await
            .map(|m| m.len())
            .unwrap_or(0);
        if let Some(size) = size
            && offset > size
        {
            return Err(FtpError::Local {
                what: "resuming",
                source: std::io::Error::other(format!(
                    "the local file is larger ({offset} bytes) than the remote one ({size}); remove it to download again"
                )),
                path: part.display().to_string(),
            });
        }
    }
    let mut file = tokio::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(offset == 0)
        .open(&part)
        .await
        .map_err(local_error("creating the download file", &part))?;
    file.seek(std::io::SeekFrom::Start(offset))
        .await
        .map_err(local_error("seeking in the download file", &part))?;
    progress(offset, size);
    let received = if Some(offset) == size {
        0
    } else {
        session
            .download(remote, offset, &mut file, &mut |n| {
                progress(offset + n, size)
            })
            .await?
    };
    file.sync_all()
        .await
        .map_err(local_error("writing the download file", &part))?;
    drop(file);
    let got = offset + received;
    if let Some(size) = size
        && got != size
    {
        return Err(FtpError::Incomplete {
            got,
            expected: size,
            path: part.display().to_string(),
        });
    }
    tokio::fs::rename(&part, target)
        .await
        .map_err(local_error("renaming the finished download", target))?;
    if let Some(t) = mtime {
        let time: std::time::SystemTime = t.and_utc().into();
        if let Ok(f) = std::fs::File::options().write(true).open(target) {
            // The time is a courtesy; the data is already safe.
            let _ = f.set_modified(time);
        }
    }
    Ok(got)
}

/// Upload `local` to `remote`, or continue a partial upload (REST + STOR)
/// with [`Existing::Resume`]. The result is checked with SIZE where the
/// server has it, and the local modification time is kept with MFMT where
/// offered.
pub async fn upload_file(
    session: &mut Session,
    local: &Path,
    remote: &[u8],
    existing: Existing,
    progress: &mut (dyn FnMut(u64, Option<u64>) + Send),
) -> Result<u64, FtpError> {
    let mut file = tokio::fs::File::open(local)
        .await
        .map_err(local_error("opening the file to upload", local))?;
    let meta = file
        .metadata()
        .await
        .map_err(local_error("reading the file to upload", local))?;
    let len = meta.len();
    let mut offset = 0;
    if existing == Existing::Resume {
        offset = session.size(remote).await.unwrap_or(0);
        if offset > len {
            return Err(FtpError::Local {
                what: "resuming",
                source: std::io::Error::other(format!(
                    "the remote file is larger ({offset} bytes) than the local one ({len}); delete it to upload again"
                )),
                path: local.display().to_string(),
            });
        }
        file.seek(std::io::SeekFrom::Start(offset))
            .await
            .map_err(local_error("seeking in the file to upload", local))?;
    }
    progress(offset, Some(len));
    if offset < len || len == 0 {
        let mut reader = ReadAhead::new(file.into_std().await);
        session
            .upload(&mut reader, remote, offset, false, &mut |n| {
                progress(offset + n, Some(len))
            })
            .await?;
    }
    if let Ok(remote_size) = session.size(remote).await
        && remote_size != len
    {
        return Err(FtpError::Incomplete {
            got: remote_size,
            expected: len,
            path: String::from_utf8_lossy(remote).into_owned(),
        });
    }
    if session.features().mfmt()
        && let Ok(modified) = meta.modified()
    {
        let t: chrono::DateTime<chrono::Utc> = modified.into();
        // Keeping the local time is a courtesy; a refusal is not a failure.
        let _ = session.mfmt(remote, t.naive_utc()).await;
    }
    Ok(len)
}

/// One file of a batch.
struct Job {
    source: AnyPath,
    target: AnyPath,
    name: String,
}

static NEXT_JOB: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// Run a `Command::Transfer` on a connection of its own: expand folders,
/// then move each file, reporting progress (throttled) and results.
pub(super) async fn run_batch(
    options: ConnectOptions,
    direction: Direction,
    sources: Vec<(AnyPath, bool)>,
    target_dir: AnyPath,
    out: Outbox,
    mut cancel: watch::Receiver<u64>,
) {
    let generation = *cancel.borrow_and_update();
    let mut session = match Session::connect(options, out.log_sink(Side::Remote)).await {
        Ok(s) => s,
        Err(e) => {
            out.send(Event::TransferFailed {
                id: 0,
                message: format!("could not open a transfer connection: {e}"),
            });
            return;
        }
    };
    let mut jobs = Vec::new();
    for (source, is_dir) in sources {
        if let Err(message) = expand(&mut session, source, is_dir, &target_dir, &mut jobs).await {
            out.send(Event::TransferFailed { id: 0, message });
        }
    }
    for job in jobs {
        if *cancel.borrow() != generation {
            break;
        }
        let id = NEXT_JOB.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        out.send(Event::TransferStarted {
            id,
            direction,
            name: job.name.clone(),
            size: None,
        });
        let mut last = Instant::now() - Duration::from_secs(1);
        let progress_out = out.clone();
        let mut progress = move |bytes: u64, _total: Option<u64>| {
            if last.elapsed() >= Duration::from_millis(100) {
                last = Instant::now();
                progress_out.send(Event::TransferProgress { id, bytes });
            }
        };
        let work = async {
            match (&job.source, &job.target) {
                (AnyPath::Remote(r), AnyPath::Local(l)) => {
                    download_file(&mut session, r, l, Existing::Overwrite, &mut progress).await
                }
                (AnyPath::Local(l), AnyPath::Remote(r)) => {
                    upload_file(&mut session, l, r, Existing::Overwrite, &mut progress).await
                }
                _ => Err(FtpError::Busy),
            }
        };
        let cancelled = async {
            let _ = cancel.changed().await;
        };
        let result = tokio::select! {
            r = work => Some(r),
            _ = cancelled => None,
        };
        let refresh = match &job.target {
            AnyPath::Local(p) => {
                AnyPath::Local(p.parent().map(Path::to_path_buf).unwrap_or_default())
            }
            AnyPath::Remote(p) => AnyPath::Remote(super::remote::parent(p)),
        };
        match result {
            Some(Ok(_)) => out.send(Event::TransferDone { id, refresh }),
            Some(Err(e)) => out.send(Event::TransferFailed {
                id,
                message: e.to_string(),
            }),
            None => {
                out.send(Event::TransferFailed {
                    id,
                    message: "cancelled; a partial download is kept as .part".into(),
                });
                // The transfer was dropped mid-way: start clean next time.
                let _ = session.reconnect().await;
                break;
            }
        }
    }
    let _ = session.quit().await;
}

/// Turn one selected item into file jobs, creating folders on the target
/// side. Remote names that could escape the target are refused.
async fn expand(
    session: &mut Session,
    source: AnyPath,
    is_dir: bool,
    target_dir: &AnyPath,
    jobs: &mut Vec<Job>,
) -> Result<(), String> {
    let mut stack = vec![(source, is_dir, target_dir.clone())];
    while let Some((source, is_dir, target_dir)) = stack.pop() {
        let name = match &source {
            AnyPath::Remote(p) => p.rsplit(|&b| b == b'/').next().unwrap_or_default().to_vec(),
            AnyPath::Local(p) => p
                .file_name()
                .map(|n| n.as_encoded_bytes().to_vec())
                .unwrap_or_default(),
        };
        let target = match &target_dir {
            AnyPath::Local(dir) => AnyPath::Local(dir.join(safe_local_name(&name)?)),
            AnyPath::Remote(dir) => {
                if !is_plain_name(&name) {
                    return Err(format!(
                        "refusing to upload {:?}: not a plain file name",
                        String::from_utf8_lossy(&name)
                    ));
                }
                AnyPath::Remote(join(dir, &name))
            }
        };
        if !is_dir {
            jobs.push(Job {
                name: String::from_utf8_lossy(&name).into_owned(),
                source,
                target,
            });
            continue;
        }
        match (&source, &target) {
            (AnyPath::Remote(src), AnyPath::Local(dst)) => {
                std::fs::create_dir_all(dst)
                    .map_err(|e| format!("could not create the folder: {e}: {}", dst.display()))?;
                let entries = session.list(Some(src)).await.map_err(|e| e.to_string())?;
                for e in entries {
                    if !is_plain_name(&e.name) {
                        return Err(format!(
                            "refusing the server's entry {:?} in {}: it could write outside the target folder",
                            e.display_name(),
                            String::from_utf8_lossy(src)
                        ));
                    }
                    match e.kind {
                        EntryKind::Dir => {
                            stack.push((AnyPath::Remote(join(src, &e.name)), true, target.clone()))
                        }
                        EntryKind::File => {
                            stack.push((AnyPath::Remote(join(src, &e.name)), false, target.clone()))
                        }
                        // Links and unknown lines are not followed: they could loop.
                        EntryKind::Symlink | EntryKind::Unknown => {}
                    }
                }
            }
            (AnyPath::Local(src), AnyPath::Remote(dst)) => {
                // An existing folder is fine; other failures show on the first upload.
                let _ = session.mkdir(dst).await;
                let read = std::fs::read_dir(src)
                    .map_err(|e| format!("could not read the folder: {e}: {}", src.display()))?;
                for item in read.flatten() {
                    let Ok(ft) = item.file_type() else { continue };
                    // Symlinks are not followed: a link loop must not recurse forever.
                    if ft.is_symlink() {
                        continue;
                    }
                    stack.push((AnyPath::Local(item.path()), ft.is_dir(), target.clone()));
                }
            }
            _ => return Err("a transfer must go between the local and remote sides".into()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_remote_names_are_refused_as_local_names() {
        for bad in [&b""[..], b".", b"..", b"a/b", b"a\\b", b"nul\0", b"/abs"] {
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
