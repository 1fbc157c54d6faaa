//! Speed limits: a token bucket shared by every transfer that holds a clone
//! of one [`RateLimit`], so N connections together keep to the rate, and
//! the [`Throttled`] wrappers the copy loops read and write through.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncBufRead, AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// The largest burst, whatever the rate: a second's worth at 16 MiB/s.
const MAX_BURST: u64 = 16 << 20;

/// A shared bytes-per-second limit. Clones share one bucket.
#[derive(Clone)]
pub struct RateLimit {
    rate: u64,
    burst: u64,
    bucket: Arc<Mutex<Bucket>>,
}

struct Bucket {
    tokens: f64,
    last: Instant,
}

impl std::fmt::Debug for RateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RateLimit({} B/s, burst {})", self.rate, self.burst)
    }
}

impl RateLimit {
    /// A limit of `bytes_per_sec` (at least 1). The burst, what may pass at
    /// once after a pause, is a quarter of a second's worth (at least one
    /// byte): small enough that the average holds over short transfers, and
    /// that no wait is longer than a quarter second (cancelling stays quick).
    pub fn new(bytes_per_sec: u64) -> RateLimit {
        let rate = bytes_per_sec.max(1);
        let burst = (rate / 4).clamp(1, MAX_BURST);
        RateLimit {
            rate,
            burst,
            bucket: Arc::new(Mutex::new(Bucket {
                tokens: burst as f64,
                last: Instant::now(),
            })),
        }
    }

    /// Bytes per second.
    pub fn rate(&self) -> u64 {
        self.rate
    }

    /// Bytes that may pass at once when the bucket is full.
    pub fn burst(&self) -> u64 {
        self.burst
    }

    /// Take up to `want` bytes' worth of tokens now, or say when enough
    /// for a worthwhile chunk will be there.
    fn grant(&self, want: usize) -> Result<usize, Instant> {
        // A poisoned lock only means another transfer panicked mid-update
        // of two plain numbers: the numbers are still usable.
        let mut b = self.bucket.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let elapsed = now.saturating_duration_since(b.last).as_secs_f64();
        b.last = now;
        b.tokens = (b.tokens + elapsed * self.rate as f64).min(self.burst as f64);
        let need = (want as u64).clamp(1, self.burst) as f64;
        if b.tokens >= need {
            let n = (b.tokens.floor() as usize).min(want).max(1);
            b.tokens -= n as f64;
            Ok(n)
        } else {
            let wait = (need - b.tokens) / self.rate as f64;
            Err(now + Duration::from_secs_f64(wait))
        }
    }

    /// Give back tokens taken for bytes that did not move.
    fn refund(&self, n: usize) {
        let mut b = self.bucket.lock().unwrap_or_else(|e| e.into_inner());
        b.tokens = (b.tokens + n as f64).min(self.burst as f64);
    }
}

/// Parse a rate as curl writes it: bytes per second, with an optional
/// suffix K, M or G (powers of 1024, either case; `B` alone is bytes).
pub fn parse_rate(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let bad = || {
        format!(
            "'{text}' is not a speed limit: write bytes per second, e.g. 500K, 2M, 1G or 100000"
        )
    };
    let (digits, unit) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&t[..i], c.to_ascii_uppercase()),
        _ => (t, 'B'),
    };
    let mult: f64 = match unit {
        'B' => 1.0,
        'K' => 1024.0,
        'M' => 1024.0 * 1024.0,
        'G' => 1024.0 * 1024.0 * 1024.0,
        _ => return Err(bad()),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return Err(bad());
    }
    let n: f64 = digits.parse().map_err(|_| bad())?;
    let bytes = (n * mult).round();
    if !bytes.is_finite() || bytes < 1.0 || bytes > u64::MAX as f64 {
        return Err(format!(
            "'{text}' is not a usable speed limit: it must be at least 1 byte per second"
        ));
    }
    Ok(bytes as u64)
}

/// A reader or writer that moves bytes only as fast as its limit allows
/// (none: as fast as the inner one).
pub struct Throttled<T> {
    inner: T,
    limit: Option<RateLimit>,
    sleep: Option<Pin<Box<Sleep>>>,
    /// Tokens taken for bytes a reader handed out but not yet consumed.
    allowance: usize,
}

impl<T> Throttled<T> {
    pub fn new(inner: T, limit: Option<RateLimit>) -> Throttled<T> {
        Throttled {
            inner,
            limit,
            sleep: None,
            allowance: 0,
        }
    }

    /// Tokens for up to `want` bytes, waiting (Pending) when there are none.
    fn poll_grant(&mut self, cx: &mut Context<'_>, want: usize) -> Poll<usize> {
        let Some(limit) = &self.limit else {
            return Poll::Ready(want);
        };
        loop {
            if let Some(sleep) = self.sleep.as_mut() {
                if sleep.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                self.sleep = None;
            }
            match limit.grant(want) {
                Ok(n) => return Poll::Ready(n),
                Err(at) => self.sleep = Some(Box::pin(tokio::time::sleep_until(at))),
            }
        }
    }

    fn refund(&self, n: usize) {
        if let (Some(limit), true) = (&self.limit, n > 0) {
            limit.refund(n);
        }
    }
}

impl<W: AsyncWrite + Unpin> AsyncWrite for Throttled<W> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if buf.is_empty() {
            return Pin::new(&mut this.inner).poll_write(cx, buf);
        }
        let n = std::task::ready!(this.poll_grant(cx, buf.len()));
        match Pin::new(&mut this.inner).poll_write(cx, &buf[..n]) {
            Poll::Ready(Ok(m)) => {
                this.refund(n - m.min(n));
                Poll::Ready(Ok(m))
            }
            other => {
                this.refund(n);
                other
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

impl<R: AsyncBufRead + Unpin> AsyncRead for Throttled<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let chunk = std::task::ready!(self.as_mut().poll_fill_buf(cx))?;
        let n = chunk.len().min(buf.remaining());
        buf.put_slice(&chunk[..n]);
        self.consume(n);
        Poll::Ready(Ok(()))
    }
}

impl<R: AsyncBufRead + Unpin> AsyncBufRead for Throttled<R> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        if this.allowance == 0 {
            let len = match Pin::new(&mut this.inner).poll_fill_buf(cx) {
                Poll::Ready(Ok(chunk)) => chunk.len(),
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            };
            if len == 0 {
                return Poll::Ready(Ok(&[]));
            }
            this.allowance = std::task::ready!(this.poll_grant(cx, len));
        }
        let allowance = this.allowance;
        Pin::new(&mut this.inner)
            .poll_fill_buf(cx)
            .map_ok(|chunk| &chunk[..chunk.len().min(allowance)])
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let this = self.get_mut();
        this.allowance = this.allowance.saturating_sub(amt);
        Pin::new(&mut this.inner).consume(amt);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_as_curl_writes_them() {
        assert_eq!(parse_rate("100000"), Ok(100_000));
        assert_eq!(parse_rate("100K"), Ok(100 * 1024));
        assert_eq!(parse_rate("100k"), Ok(100 * 1024));
        assert_eq!(parse_rate("2M"), Ok(2 << 20));
        assert_eq!(parse_rate("1G"), Ok(1 << 30));
        assert_eq!(parse_rate("1.5M"), Ok(3 << 19));
        assert_eq!(parse_rate("512B"), Ok(512));
        assert_eq!(parse_rate(" 500K "), Ok(500 * 1024));
    }

    #[test]
    fn bad_rates_are_refused_with_an_example() {
        for bad in [
            "", "K", "fast", "2X", "-5K", "1e9", "2MB", "0", "0K", "1.2.3M",
        ] {
            let err = parse_rate(bad).expect_err(bad);
            assert!(err.contains("speed limit"), "{bad}: {err}");
        }
    }

    /// Two writers on clones of one limit share it: together they take at
    /// least (bytes - burst) / rate. Only the lower bound is checked, so a
    /// slow machine cannot fail it.
    #[tokio::test]
    async fn clones_share_one_bucket() {
        use tokio::io::AsyncWriteExt;
        let limit = RateLimit::new(100_000);
        let start = Instant::now();
        let mut a = Throttled::new(Vec::new(), Some(limit.clone()));
        let mut b = Throttled::new(Vec::new(), Some(limit.clone()));
        let (ra, rb) = tokio::join!(a.write_all(&[1; 50_000]), b.write_all(&[2; 50_000]));
        ra.unwrap();
        rb.unwrap();
        assert_eq!(a.inner, vec![1; 50_000]);
        assert_eq!(b.inner, vec![2; 50_000]);
        let took = start.elapsed().as_secs_f64();
        let least = (100_000 - limit.burst()) as f64 / 100_000.0;
        assert!(took >= least, "{took} s < {least} s");
    }

    #[tokio::test]
    async fn a_reader_hands_out_every_byte_in_order() {
        use tokio::io::AsyncReadExt;
        let data: Vec<u8> = (0..30_000u32).map(|i| (i % 251) as u8).collect();
        let mut r = Throttled::new(&data[..], Some(RateLimit::new(1 << 20)));
        let mut got = Vec::new();
        r.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, data);
    }
}
