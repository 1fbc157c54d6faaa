//! Reading a local file ahead of the network: a thread reads the next
//! chunks while the previous ones are being sent, so disk and network
//! overlap instead of taking turns.

use std::io::{self, Read};
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncBufRead, AsyncRead, ReadBuf};
use tokio::sync::mpsc;

/// Chunk size for reads from disk.
const CHUNK: usize = 1024 * 1024;
/// Chunks read ahead at most (memory bound: DEPTH × CHUNK).
const DEPTH: usize = 4;

/// An `AsyncRead` over a file read by a background thread.
pub(crate) struct ReadAhead {
    rx: mpsc::Receiver<io::Result<Vec<u8>>>,
    /// Chunks sent on go back to the thread for its next reads: a fresh
    /// 1 MiB buffer per chunk costs a page fault per 4 KiB and zeroing.
    recycle: std::sync::mpsc::Sender<Vec<u8>>,
    current: Vec<u8>,
    pos: usize,
    done: bool,
}

impl ReadAhead {
    /// Start reading `file` from its current position.
    pub(crate) fn new(mut file: std::fs::File) -> ReadAhead {
        let (tx, rx) = mpsc::channel(DEPTH);
        let (recycle, spare) = std::sync::mpsc::channel::<Vec<u8>>();
        let read = move || {
            // Bytes still to read as far as the file's length says; a small
            // file gets one buffer of its own size instead of a 1 MiB one.
            let mut left = bytes_left(&mut file);
            loop {
                let want = match left {
                    // One byte more than expected: a short read shows the end.
                    Some(n) => usize::try_from(n.saturating_add(1)).map_or(CHUNK, |n| n.min(CHUNK)),
                    None => CHUNK,
                };
                let mut buf = spare.try_recv().unwrap_or_default();
                buf.resize(want, 0);
                let (result, last) = match read_full(&mut file, &mut buf) {
                    Ok(0) => return,
                    Ok(n) => {
                        buf.truncate(n);
                        // `read_full` stops short only at the end of the file.
                        left = left.and_then(|l| l.checked_sub(n as u64));
                        (Ok(buf), n < want)
                    }
                    Err(e) => (Err(e), true),
                };
                // The reader side is gone (transfer ended): stop reading.
                if tx.blocking_send(result).is_err() || last {
                    return;
                }
            }
        };
        // Tokio's blocking threads are reused from file to file; a thread
        // of its own per file is what many small uploads would pay for.
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => drop(runtime.spawn_blocking(read)),
            Err(_) => drop(std::thread::spawn(read)),
        }
        ReadAhead {
            rx,
            recycle,
            current: Vec::new(),
            pos: 0,
            done: false,
        }
    }
}

/// The bytes between the file's position and its end, when known.
fn bytes_left(file: &mut std::fs::File) -> Option<u64> {
    use std::io::Seek;
    let len = file.metadata().ok()?.len();
    let pos = file.stream_position().ok()?;
    len.checked_sub(pos)
}

/// Fill `buf` unless the file ends first; returns the bytes read.
fn read_full(file: &mut std::fs::File, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

impl ReadAhead {
    /// Make sure a chunk with unread bytes is at hand (or the end is reached).
    fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.pos >= self.current.len() {
            if self.done {
                return Poll::Ready(Ok(()));
            }
            match self.rx.poll_recv(cx) {
                Poll::Ready(Some(Ok(chunk))) => {
                    let used = std::mem::replace(&mut self.current, chunk);
                    // The thread may be gone (end of file): then it is dropped.
                    let _ = self.recycle.send(used);
                    self.pos = 0;
                }
                Poll::Ready(Some(Err(e))) => {
                    self.done = true;
                    return Poll::Ready(Err(e));
                }
                Poll::Ready(None) => self.done = true,
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncRead for ReadAhead {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Err(e) = std::task::ready!(this.poll_chunk(cx)) {
            return Poll::Ready(Err(e));
        }
        let n = buf.remaining().min(this.current.len() - this.pos);
        buf.put_slice(&this.current[this.pos..this.pos + n]);
        this.pos += n;
        Poll::Ready(Ok(()))
    }
}

impl AsyncBufRead for ReadAhead {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        if let Err(e) = std::task::ready!(this.poll_chunk(cx)) {
            return Poll::Ready(Err(e));
        }
        Poll::Ready(Ok(&this.current[this.pos.min(this.current.len())..]))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let this = self.get_mut();
        this.pos = (this.pos + amt).min(this.current.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Seek, SeekFrom, Write};
    use tokio::io::AsyncReadExt;

    #[tokio::test]
    async fn reads_the_whole_file_from_its_position() {
        let mut f = tempfile::tempfile().unwrap();
        let data: Vec<u8> = (0..3 * CHUNK + 123).map(|i| (i * 7 % 251) as u8).collect();
        f.write_all(&data).unwrap();
        f.seek(SeekFrom::Start(1000)).unwrap();
        let mut r = ReadAhead::new(f);
        let mut out = Vec::new();
        r.read_to_end(&mut out).await.unwrap();
        assert_eq!(out, data[1000..]);
    }

    #[tokio::test]
    async fn files_around_the_chunk_size_read_whole() {
        for len in [1, 10 * 1024, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK] {
            let mut f = tempfile::tempfile().unwrap();
            let data: Vec<u8> = (0..len).map(|i| (i * 13 % 251) as u8).collect();
            f.write_all(&data).unwrap();
            f.seek(SeekFrom::Start(0)).unwrap();
            let mut out = Vec::new();
            ReadAhead::new(f).read_to_end(&mut out).await.unwrap();
            assert!(out == data, "{len} bytes read as {}", out.len());
        }
    }

    #[test]
    fn reads_without_a_runtime_too() {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(b"no runtime").unwrap();
        f.seek(SeekFrom::Start(3)).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        // Created outside the runtime: its reader is a thread of its own.
        let mut r = ReadAhead::new(f);
        let mut out = Vec::new();
        rt.block_on(r.read_to_end(&mut out)).unwrap();
        assert_eq!(out, b"runtime");
    }

    #[tokio::test]
    async fn an_empty_file_reads_as_empty() {
        let f = tempfile::tempfile().unwrap();
        let mut out = Vec::new();
        ReadAhead::new(f).read_to_end(&mut out).await.unwrap();
        assert!(out.is_empty());
    }
}
