//! Moving one file safely: a download grows in `NAME.part` and takes its
//! name only when complete. The queue (`queue.rs`) and the command line
//! both use it.

use std::path::{Path, PathBuf};

use tokio::io::{AsyncSeekExt, AsyncWriteExt};

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
/// to `target`; the modification time is copied from MDTM. What `known`
/// holds (from a fresh listing) is not asked again. With
/// [`Existing::Resume`] a `.part` (or an existing `target`) is continued.
pub async fn download_file(
    session: &mut Session,
    remote: &[u8],
    target: &Path,
    existing: Existing,
    known: Known,
    progress: &mut (dyn FnMut(u64, Option<u64>) + Send),
) -> Result<u64, FtpError> {
    let size = match known.size {
        Some(n) => Some(n),
        None => session.size(remote).await.ok(),
    };
    let mtime = match known.modified {
        Some(t) => Some(t),
        None => session.mdtm(remote).await.ok(),
    };
    let part = part_path(target);
    if let (Existing::Overwrite, Some(size)) = (existing, size)
        && size <= SMALL_FILE
    {
        return download_small(session, remote, part, target, size, mtime, progress).await;
    }
    let check = part.clone();
    blocking(move || refuse_link(&check)).await?;
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
        let result = session
            .download(remote, offset, &mut file, &mut |n| {
                progress(offset + n, size)
            })
            .await;
        match result {
            Ok(n) => n,
            Err(e) => {
                // What arrived stays in the .part for a resume: let the
                // writes in flight land before anyone looks at its size.
                let _ = file.flush().await;
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
    {
        return Err(FtpError::Incomplete {
            got,
            expected: size,
            path: part.display().to_string(),
        });
    }
    let target_buf = target.to_path_buf();
    blocking(move || {
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

/// Files up to this size are received into memory and written to disk in
/// one go: one trip to a blocking thread per file instead of one per file
/// operation, which is what many small files cost.
const SMALL_FILE: u64 = 1 << 20;

/// [`download_file`] for a small file started afresh: receive it whole,
/// then write `NAME.part`, set its time, flush it to disk and rename it, all
/// on one blocking thread. An interrupted small file simply starts over.
async fn download_small(
    session: &mut Session,
    remote: &[u8],
    part: PathBuf,
    target: &Path,
    size: u64,
    mtime: Option<chrono::NaiveDateTime>,
    progress: &mut (dyn FnMut(u64, Option<u64>) + Send),
) -> Result<u64, FtpError> {
    progress(0, Some(size));
    // The size comes from the server; a lying one gets a bounded buffer.
    let mut data = Vec::with_capacity(size.min(SMALL_FILE) as usize);
    let got = session
        .download(remote, 0, &mut data, &mut |n| progress(n, Some(size)))
        .await?;
    if got != size {
        return Err(FtpError::Incomplete {
            got,
            expected: size,
            path: target.display().to_string(),
        });
    }
    let target = target.to_path_buf();
    blocking(move || {
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
async fn blocking(
    work: impl FnOnce() -> Result<(), FtpError> + Send + 'static,
) -> Result<(), FtpError> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn part_file_sits_beside_the_target() {
        assert_eq!(
            part_path(Path::new("/tmp/x/a.bin")),
            PathBuf::from("/tmp/x/a.bin.part")
        );
        assert_eq!(part_path(Path::new("a")), PathBuf::from("a.part"));
    }
}
