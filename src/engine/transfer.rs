//! Moving one file safely: a download grows in `NAME.part` and takes its
//! name only when complete. The queue (`queue.rs`) and the command line
//! both use it.

use std::path::{Path, PathBuf};

use tokio::io::{AsyncSeekExt, AsyncWriteExt};

use super::rate_limit::{RateLimit, Throttled};
use super::read_ahead::ReadAhead;
use super::remote_path::is_plain_name;
use crate::ftp::{FtpError, NameCharset, Session};

/// How a transfer treats what is already at the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    /// Start over.
    Overwrite,
    /// Continue from what is there (REST).
    Resume,
}

/// What a listing already said about a remote file, so a download need
/// not ask again (SIZE, MDTM: a round trip each, per file).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Known {
    pub size: Option<u64>,
    /// Only when exact (an MLSD `modify` fact, UTC to the second).
    pub modified: Option<chrono::NaiveDateTime>,
}

/// `NAME.part` beside `NAME`: where a download grows until it is complete.
pub fn part_path(target: &Path) -> PathBuf {
    let mut name = target.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    target.with_file_name(name)
}

/// A local file name for a name from the server, read in the server's
/// `charset`: refused when it could escape the target folder (`/`, `\`,
/// `..`, NUL) or is empty.
pub fn safe_local_name(name: &[u8], charset: &NameCharset) -> Result<String, String> {
    let text = charset.decode(name);
    // Checked on the bytes and on the text they decode to.
    let plain_text =
        !text.is_empty() && text != "." && text != ".." && !text.contains(['/', '\\', '\0']);
    if !is_plain_name(name) || !plain_text {
        return Err(format!(
            "refusing the server's file name {text:?}: it could write outside the target folder"
        ));
    }
    Ok(text.into_owned())
}

/// The server's name for a local file `name` (its bytes as the OS gives
/// them), for every upload: the window's queue, `put` and `put -r`. A name
/// that is text is encoded in the server's `charset`, and refused when the
/// charset has no place for one of its characters; other names go as their
/// bytes. Refused too when FTP cannot carry it or it could leave the target
/// folder (`/`, `..`, NUL, CR, LF) or is empty.
pub fn safe_remote_name(name: &[u8], charset: &NameCharset) -> Result<Vec<u8>, String> {
    let remote = match std::str::from_utf8(name) {
        Ok(text) => charset
            .encode(text)
            .map_err(|why| format!("refusing to upload {why}"))?,
        Err(_) => name.to_vec(),
    };
    if !is_plain_name(&remote) || remote.iter().any(|&b| b == b'\r' || b == b'\n') {
        return Err(format!(
            "refusing to upload {:?}: FTP cannot send that name",
            String::from_utf8_lossy(name)
        ));
    }
    Ok(remote)
}

/// Words a local I/O failure as `FtpError::Local` naming what and where.
pub(super) fn local_error<'a>(
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
/// to `target`; the modification time is copied from MDTM. What `known`
/// holds (from a fresh listing) is not asked again. With
/// [`Existing::Resume`] a `.part` (or an existing `target`) is continued.
///
/// A `target` that is a symbolic link is written through: the download
/// grows beside the file the link points to and replaces that file, and
/// the link stays. A target that is a device, FIFO or socket is written
/// into directly (no `.part`, no rename), as curl does: a special file is
/// never replaced.
pub async fn download_file(
    session: &mut Session,
    remote: &[u8],
    target: &Path,
    existing: Existing,
    known: Known,
    limit: Option<&RateLimit>,
    progress: &mut (dyn FnMut(u64, Option<u64>) + Send),
) -> Result<u64, FtpError> {
    let named = target.to_path_buf();
    let target = match run_blocking(move || resolve_target(&named)).await? {
        Destination::Special(device) => {
            return download_into_special(session, remote, &device, known, limit, progress).await;
        }
        Destination::File(path) => path,
    };
    let target = target.as_path();
    let size = match known.size {
        Some(n) => Some(n),
        None => session.size(remote).await.ok(),
    };
    let text = session.is_text_transfer(remote).await;
    let existing = text_start(session, text, existing, remote);
    // Without a time from the listing, MDTM rides along with the data
    // command instead of costing a round trip per file.
    if known.modified.is_none() {
        session.mdtm_ahead(remote);
    }
    let part = part_path(target);
    if let (Existing::Overwrite, Some(size)) = (existing, size)
        && size <= SMALL_FILE
        && !text
    {
        return download_small(
            session,
            remote,
            part,
            target,
            size,
            known.modified,
            limit,
            progress,
        )
        .await;
    }
    let check = part.clone();
    let resume = existing == Existing::Resume;
    run_blocking(move || {
        refuse_link(&check)?;
        // A segmented download's .part has holes: keep only its complete
        // beginning (see `segments`).
        super::segments::forget_segments(&check, resume).map_err(local_error(
            "reading the record of a segmented download",
            &check,
        ))
    })
    .await?;
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
        let mut out = Throttled::new(&mut file, limit.cloned());
        let result = session
            .download(remote, offset, &mut out, &mut |n| {
                progress(offset + n, size)
            })
            .await;
        match result {
            Ok(n) => n,
            Err(e) => {
                // What arrived stays in the .part for a resume: let the
                // writes in flight land before anyone looks at its size.
                let _ = file.flush().await;
                let empty = file.metadata().await.is_ok_and(|m| m.len() == 0);
                drop(file);
                if offset == 0 && empty {
                    // Refused before the first byte (550): no empty .part
                    // is left to look like a download to resume.
                    let _ = tokio::fs::remove_file(&part).await;
                }
                return Err(e);
            }
        }
    };
    file.sync_all()
        .await
        .map_err(local_error("writing the download file", &part))?;
    drop(file);
    let got = offset + received;
    if let Some(size) = size
        && got != size
        && !(text && session.last_wire_bytes() == size)
    {
        return Err(FtpError::Incomplete {
            got,
            expected: size,
            path: part.display().to_string(),
        });
    }
    let mtime = match known.modified {
        Some(t) => Some(t),
        None => session.mdtm_answer(remote).await,
    };
    let target_buf = target.to_path_buf();
    run_blocking(move || {
        if let Some(t) = mtime
            && let Ok(f) = std::fs::File::options().write(true).open(&part)
        {
            // The time is a courtesy; the data is already safe.
            let _ = f.set_modified(t.and_utc().into());
        }
        std::fs::rename(&part, &target_buf)
            .map_err(local_error("renaming the finished download", &target_buf))
    })
    .await?;
    Ok(got)
}

/// A text (ASCII) transfer is never resumed: line ends are converted, so
/// the two sides' byte counts differ and a REST offset would mean other
/// bytes on most servers. It starts over (text files are small), and the
/// log says so. Its size check accepts the server's SIZE matching either
/// the local bytes or the bytes on the wire (CRLF line ends): servers
/// count one or the other in `TYPE A`.
fn text_start(session: &Session, text: bool, existing: Existing, remote: &[u8]) -> Existing {
    if text && existing == Existing::Resume {
        session.log().status(format!(
            "{} is a text (ASCII) transfer: starting it over instead of resuming, as line ends change its length",
            String::from_utf8_lossy(remote)
        ));
        return Existing::Overwrite;
    }
    existing
}

/// Files up to this size are received into memory and written to disk in
/// one go: one trip to a blocking thread per file instead of one per file
/// operation, which is what many small files cost.
const SMALL_FILE: u64 = 1 << 20;

/// [`download_file`] for a small file started afresh: receive it whole,
/// then write `NAME.part`, set its time, flush it to disk and rename it, all
/// on one blocking thread. An interrupted small file simply starts over.
#[allow(clippy::too_many_arguments)]
async fn download_small(
    session: &mut Session,
    remote: &[u8],
    part: PathBuf,
    target: &Path,
    size: u64,
    mtime: Option<chrono::NaiveDateTime>,
    limit: Option<&RateLimit>,
    progress: &mut (dyn FnMut(u64, Option<u64>) + Send),
) -> Result<u64, FtpError> {
    progress(0, Some(size));
    // The size comes from the server; a lying one gets a bounded buffer.
    let mut data = Vec::with_capacity(size.min(SMALL_FILE) as usize);
    let got = session
        .download(
            remote,
            0,
            &mut Throttled::new(&mut data, limit.cloned()),
            &mut |n| progress(n, Some(size)),
        )
        .await?;
    if got != size {
        return Err(FtpError::Incomplete {
            got,
            expected: size,
            path: target.display().to_string(),
        });
    }
    let mtime = match mtime {
        Some(t) => Some(t),
        None => session.mdtm_answer(remote).await,
    };
    let target = target.to_path_buf();
    run_blocking(move || {
        use std::io::Write;
        refuse_link(&part)?;
        let mut file = std::fs::File::create(&part)
            .map_err(local_error("creating the download file", &part))?;
        file.write_all(&data)
            .map_err(local_error("writing the download file", &part))?;
        if let Some(t) = mtime {
            // The time is a courtesy; a refusal does not fail the download.
            let _ = file.set_modified(t.and_utc().into());
        }
        file.sync_all()
            .map_err(local_error("writing the download file", &part))?;
        drop(file);
        std::fs::rename(&part, &target)
            .map_err(local_error("renaming the finished download", &target))
    })
    .await?;
    Ok(got)
}

/// Where a download goes, once links are followed.
#[derive(Debug, PartialEq, Eq)]
enum Destination {
    /// A file (there or not yet): it grows in `NAME.part` beside it.
    File(PathBuf),
    /// A device, FIFO or socket: written into as it is.
    Special(PathBuf),
}

/// Links followed at most, as the kernel's limit (ELOOP).
const MAX_LINKS: usize = 40;

/// Follow `target` through symbolic links to what a download writes: the
/// file a link points to (so its `.part` sits beside the real file, on the
/// same file system, and the link survives the rename), or a special file.
/// A link to nothing is refused, as cp does: where it points was not
/// chosen as a place to create a file.
fn resolve_target(target: &Path) -> Result<Destination, FtpError> {
    let mut path = target.to_path_buf();
    for _ in 0..MAX_LINKS {
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && path == target => {
                return Ok(Destination::File(path));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(FtpError::Local {
                    what: "writing the download",
                    source: std::io::Error::other(format!(
                        "the target is a symbolic link to {}, which does not exist; remove the link or make it point to a file",
                        path.display()
                    )),
                    path: target.display().to_string(),
                });
            }
            Err(e) => return Err(local_error("looking at the download target", &path)(e)),
        };
        let kind = meta.file_type();
        if kind.is_symlink() {
            let link = std::fs::read_link(&path)
                .map_err(local_error("reading the symbolic link", &path))?;
            // A relative link is relative to the folder holding it.
            path = match path.parent() {
                Some(dir) => dir.join(link),
                None => link,
            };
        } else if kind.is_file() && path != target {
            kernel_follows(target, &path)?;
            return Ok(Destination::File(path));
        } else if kind.is_file() || kind.is_dir() {
            // A folder: the rename at the end says it is in the way.
            return Ok(Destination::File(path));
        } else {
            return Ok(Destination::Special(path));
        }
    }
    Err(FtpError::Local {
        what: "writing the download",
        source: std::io::Error::other(format!(
            "more than {MAX_LINKS} symbolic links in a row (a loop?); point the target at a file"
        )),
        path: target.display().to_string(),
    })
}

/// Check that the system itself would write through the link `target` to
/// `real`: opening it for writing (without creating or truncating, so
/// nothing changes) must work and reach the same file. So the kernel's
/// rules apply, such as Linux refusing links planted by others in a shared
/// folder like /tmp (protected_symlinks), and write permission on the file.
fn kernel_follows(target: &Path, real: &Path) -> Result<(), FtpError> {
    let opened = std::fs::OpenOptions::new()
        .write(true)
        .open(target)
        .and_then(|f| f.metadata())
        .map_err(local_error("writing through the symbolic link", target))?;
    let resolved = std::fs::metadata(real).map_err(local_error("reading the link's file", real))?;
    if !same_file(&opened, &resolved) {
        return Err(FtpError::Local {
            what: "writing through the symbolic link",
            source: std::io::Error::other(format!(
                "it changed while it was being followed (it now leads somewhere other than {}); try again",
                real.display()
            )),
            path: target.display().to_string(),
        });
    }
    Ok(())
}

#[cfg(unix)]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    (a.dev(), a.ino()) == (b.dev(), b.ino())
}

#[cfg(not(unix))]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    a.len() == b.len() && a.modified().ok() == b.modified().ok()
}

/// [`download_file`] into a device, FIFO or socket: opened for writing as
/// it is (never created, truncated or replaced), the bytes written straight
/// in. A FIFO's open waits for a reader, as with any program writing to it.
async fn download_into_special(
    session: &mut Session,
    remote: &[u8],
    device: &Path,
    known: Known,
    limit: Option<&RateLimit>,
    progress: &mut (dyn FnMut(u64, Option<u64>) + Send),
) -> Result<u64, FtpError> {
    let mut out = tokio::fs::OpenOptions::new()
        .write(true)
        .open(device)
        .await
        .map_err(local_error("opening the download target", device))?;
    let mut written = 0;
    let result = download_into(session, remote, &mut out, known, limit, &mut |n, total| {
        written = n;
        progress(n, total)
    })
    .await;
    match result {
        Err(FtpError::Cancelled) => Err(FtpError::Cancelled),
        // Bytes in a pipe or device cannot be taken back: trying again (the
        // queue retries cut transfers) would send them twice. Final.
        Err(e) if written > 0 => Err(FtpError::Local {
            what: "writing into the device or pipe",
            source: std::io::Error::other(format!(
                "{e}; {written} bytes were written and cannot be taken back, so it is not tried again"
            )),
            path: device.display().to_string(),
        }),
        other => other,
    }
}

/// Download `remote` into `out` (standard output, a pipe, a device) from
/// its start, then flush it. The byte count is checked against the
/// server's size where it has one: what was written cannot be taken back,
/// but a short copy is an error, not a success.
pub async fn download_into<W: tokio::io::AsyncWrite + Unpin + Send>(
    session: &mut Session,
    remote: &[u8],
    out: &mut W,
    known: Known,
    limit: Option<&RateLimit>,
    progress: &mut (dyn FnMut(u64, Option<u64>) + Send),
) -> Result<u64, FtpError> {
    let size = match known.size {
        Some(n) => Some(n),
        None => session.size(remote).await.ok(),
    };
    progress(0, size);
    let got = session
        .download(
            remote,
            0,
            &mut Throttled::new(&mut *out, limit.cloned()),
            &mut |n| progress(n, size),
        )
        .await?;
    out.flush().await.map_err(|source| FtpError::Local {
        what: "writing the downloaded data",
        source,
        path: String::from_utf8_lossy(remote).into_owned(),
    })?;
    if let Some(size) = size
        && got != size
        && !(session.is_text_transfer(remote).await && session.last_wire_bytes() == size)
    {
        return Err(FtpError::Incomplete {
            got,
            expected: size,
            path: String::from_utf8_lossy(remote).into_owned(),
        });
    }
    Ok(got)
}

/// A `NAME.part` that is a symbolic link could send the download anywhere
/// (someone else may have put it there): refuse it.
fn refuse_link(part: &Path) -> Result<(), FtpError> {
    match std::fs::symlink_metadata(part) {
        Ok(m) if m.file_type().is_symlink() => Err(FtpError::Local {
            what: "writing the download",
            source: std::io::Error::other(
                "the partial file is a symbolic link; remove it, Ferry will not write through it",
            ),
            path: part.display().to_string(),
        }),
        _ => Ok(()),
    }
}

/// Run local file work on tokio's blocking threads.
async fn run_blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, FtpError> + Send + 'static,
) -> Result<T, FtpError> {
    tokio::task::spawn_blocking(work).await.unwrap_or_else(|e| {
        Err(FtpError::Local {
            what: "finishing the download",
            source: std::io::Error::other(e.to_string()),
            path: String::new(),
        })
    })
}

/// Upload `local` to `remote`, or continue a partial upload (REST + STOR)
/// with [`Existing::Resume`]. The result is checked with SIZE where the
/// server has it, unless the server confirmed a small new file (see
/// [`upload_confirmed`]), and the local modification time is kept where the
/// server lets it be set (see `ftp::set_time`).
pub async fn upload_file(
    session: &mut Session,
    local: &Path,
    remote: &[u8],
    existing: Existing,
    limit: Option<&RateLimit>,
    progress: &mut (dyn FnMut(u64, Option<u64>) + Send),
) -> Result<u64, FtpError> {
    let mut file = tokio::fs::File::open(local)
        .await
        .map_err(local_error("opening the file to upload", local))?;
    let meta = file
        .metadata()
        .await
        .map_err(local_error("reading the file to upload", local))?;
    if !meta.is_file() {
        // A pipe or device (`<(cmd)`, /dev/zero…) has no length to check or
        // resume from: it is sent as it comes, from the start.
        return upload_from(session, file.into_std().await, remote, limit, progress).await;
    }
    let len = meta.len();
    let mut offset = 0;
    let text = session.is_text_transfer(remote).await;
    let existing = text_start(session, text, existing, remote);
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
    let modified: Option<chrono::DateTime<chrono::Utc>> = meta.modified().ok().map(Into::into);
    // The time goes out with the upload when the session pipelines.
    let time_ahead = modified.is_some_and(|t| {
        crate::ftp::set_time::keep_time_with_upload(session, remote, t.naive_utc())
    });
    let mut confirmed = false;
    if offset < len || len == 0 {
        let mut reader = Throttled::new(ReadAhead::new(file.into_std().await), limit.cloned());
        let sent = session
            .upload(&mut reader, remote, offset, false, &mut |n| {
                progress(offset + n, Some(len))
            })
            .await?;
        confirmed = upload_confirmed(offset, sent, len, session.data_closed_cleanly());
    }
    if !confirmed
        && let Ok(remote_size) = session.size(remote).await
        && remote_size != len
        && !(text && remote_size == session.last_wire_bytes())
    {
        return Err(FtpError::Incomplete {
            got: remote_size,
            expected: len,
            path: String::from_utf8_lossy(remote).into_owned(),
        });
    }
    if let Some(t) = modified
        && !(time_ahead && crate::ftp::set_time::kept_with_upload(session))
    {
        // Keeping the local time is a courtesy (MFMT, SITE UTIME or MDTM,
        // whichever the server takes); a refusal is not a failure.
        let _ = crate::ftp::set_time::keep_time(session, remote, t.naive_utc()).await;
    }
    Ok(len)
}

/// Files from this size on are checked with SIZE after their upload even
/// when the server confirmed it: their transfer takes many round trips, so
/// the check's one costs little, and they are the ones a full disk or a
/// quota cuts short.
const CHECK_UPLOADS_FROM: u64 = 1 << 20;

/// Whether an upload is confirmed without asking the server its size: a
/// whole new file (not resumed: a server may ignore REST and write the
/// rest at the start), every byte of it sent (the file did not change
/// length while it was read), below [`CHECK_UPLOADS_FROM`], and the server
/// read our stream to its end and closed the data connection cleanly
/// before its success reply. Each file's SIZE round trip was a third of a
/// small file's upload time; a cut data connection still shows as a reset
/// (not clean) and gets the check.
fn upload_confirmed(offset: u64, sent: u64, len: u64, closed_cleanly: bool) -> bool {
    offset == 0 && sent == len && len < CHECK_UPLOADS_FROM && closed_cleanly
}

/// Upload what `input` gives (standard input, a pipe) to `remote`, from
/// the start. Its length is known only at the end; then the server's SIZE,
/// where it has one, must match it.
pub async fn upload_from(
    session: &mut Session,
    input: std::fs::File,
    remote: &[u8],
    limit: Option<&RateLimit>,
    progress: &mut (dyn FnMut(u64, Option<u64>) + Send),
) -> Result<u64, FtpError> {
    progress(0, None);
    let mut reader = Throttled::new(ReadAhead::new(input), limit.cloned());
    let sent = session
        .upload(&mut reader, remote, 0, false, &mut |n| progress(n, None))
        .await?;
    if let Ok(remote_size) = session.size(remote).await
        && remote_size != sent
        && !(session.is_text_transfer(remote).await && session.last_wire_bytes() == remote_size)
    {
        return Err(FtpError::Incomplete {
            got: remote_size,
            expected: sent,
            path: String::from_utf8_lossy(remote).into_owned(),
        });
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_whole_small_new_upload_closed_cleanly_skips_the_size_check() {
        assert!(upload_confirmed(0, 10_240, 10_240, true));
        assert!(upload_confirmed(0, 0, 0, true), "an empty file");
        assert!(
            !upload_confirmed(0, 10_240, 10_240, false),
            "reset, not closed"
        );
        assert!(!upload_confirmed(4096, 6144, 10_240, true), "resumed");
        assert!(!upload_confirmed(0, 9000, 10_240, true), "the file shrank");
        assert!(!upload_confirmed(0, 12_000, 10_240, true), "the file grew");
        let big = CHECK_UPLOADS_FROM;
        assert!(
            !upload_confirmed(0, big, big, true),
            "large files are checked"
        );
        assert!(upload_confirmed(0, big - 1, big - 1, true));
    }

    #[test]
    fn hostile_remote_names_are_refused_as_local_names() {
        for bad in [&b""[..], b".", b"..", b"a/b", b"a\\b", b"nul\0", b"/abs"] {
            assert!(safe_local_name(bad, &NameCharset::Auto).is_err(), "{bad:?}");
        }
        assert_eq!(
            safe_local_name(b"report 2024.pdf", &NameCharset::Auto).unwrap(),
            "report 2024.pdf"
        );
        let latin1 = NameCharset::from_label("latin1").unwrap();
        assert_eq!(
            safe_local_name(b"r\xe9sum\xe9.pdf", &latin1).unwrap(),
            "résumé.pdf"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_part_file_that_is_a_link_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside");
        std::fs::write(&outside, b"keep").unwrap();
        let part = dir.path().join("x.bin.part");
        std::os::unix::fs::symlink(&outside, &part).unwrap();
        let e = refuse_link(&part).unwrap_err();
        assert!(e.to_string().contains("symbolic link"), "{e}");
        assert!(refuse_link(&dir.path().join("y.part")).is_ok());
        assert_eq!(std::fs::read(&outside).unwrap(), b"keep");
    }

    #[test]
    fn upload_names_are_encoded_for_the_server_or_refused() {
        let latin1 = NameCharset::from_label("iso-8859-1").unwrap();
        assert_eq!(
            safe_remote_name("café.txt".as_bytes(), &latin1).unwrap(),
            b"caf\xe9.txt"
        );
        assert_eq!(
            safe_remote_name("café.txt".as_bytes(), &NameCharset::Auto).unwrap(),
            "café.txt".as_bytes()
        );
        let e = safe_remote_name("日本.txt".as_bytes(), &latin1).unwrap_err();
        assert!(e.contains("cannot encode"), "{e}");
        // Not text: its bytes, as they are.
        assert_eq!(
            safe_remote_name(b"raw\xff", &NameCharset::Auto).unwrap(),
            b"raw\xff"
        );
        for bad in [&b""[..], b"..", b"a/b", b"cr\rlf", b"nl\n", b"nul\0"] {
            assert!(
                safe_remote_name(bad, &NameCharset::Auto).is_err(),
                "{bad:?}"
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn targets_resolve_through_links_to_files_and_devices() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("sub").join("real.bin");
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(&real, b"old").unwrap();
        let plain = dir.path().join("plain.bin");
        assert_eq!(
            resolve_target(&plain).unwrap(),
            Destination::File(plain.clone())
        );
        // A relative link, through a second link.
        let link = dir.path().join("link");
        symlink("sub/real.bin", &link).unwrap();
        let link2 = dir.path().join("link2");
        symlink(&link, &link2).unwrap();
        assert_eq!(
            resolve_target(&link2).unwrap(),
            Destination::File(dir.path().join("sub/real.bin"))
        );
        let null = dir.path().join("null");
        symlink("/dev/null", &null).unwrap();
        assert_eq!(
            resolve_target(&null).unwrap(),
            Destination::Special(PathBuf::from("/dev/null"))
        );
        let dangling = dir.path().join("dangling");
        symlink("nowhere", &dangling).unwrap();
        let e = resolve_target(&dangling).unwrap_err().to_string();
        assert!(e.contains("does not exist"), "{e}");
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        symlink(&b, &a).unwrap();
        symlink(&a, &b).unwrap();
        let e = resolve_target(&a).unwrap_err().to_string();
        assert!(e.contains("symbolic links in a row"), "{e}");
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
