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

use super::protocol::Direction;

/// The largest burst, whatever the rate: a second's worth at 16 MiB/s.
const MAX_BURST: u64 = 16 << 20;

/// How much may pass at once after a pause, as FileZilla calls it: Normal
/// is a quarter second's worth of the rate, High twice that, Very high five
/// times. A larger burst evens out a bursty link; the average still holds.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum BurstTolerance {
    #[default]
    Normal,
    High,
    VeryHigh,
}

impl BurstTolerance {
    pub const ALL: [BurstTolerance; 3] = [
        BurstTolerance::Normal,
        BurstTolerance::High,
        BurstTolerance::VeryHigh,
    ];

    pub fn label(self) -> &'static str {
        match self {
            BurstTolerance::Normal => "Normal",
            BurstTolerance::High => "High",
            BurstTolerance::VeryHigh => "Very high",
        }
    }

    /// The burst, in bytes, at `rate` bytes per second (at least one byte).
    fn burst(self, rate: u64) -> u64 {
        let quarter = (rate / 4).max(1);
        let times = match self {
            BurstTolerance::Normal => 1,
            BurstTolerance::High => 2,
            BurstTolerance::VeryHigh => 5,
        };
        quarter.saturating_mul(times).min(MAX_BURST.max(quarter))
    }
}

/// A shared bytes-per-second limit. Clones share one bucket, so every
/// connection holding a clone keeps to the rate together. A limit made with
/// [`RateLimit::child`] has a bucket of its own and also draws from its
/// parent's: a job's own limit on top of the queue's. The rate can change
/// while transfers run ([`RateLimit::set`]); it takes effect at their next
/// chunk, within a quarter second.
#[derive(Clone)]
pub struct RateLimit {
    bucket: Arc<Mutex<Bucket>>,
    parent: Option<Box<RateLimit>>,
}

struct Bucket {
    /// Bytes per second; None: no limit of its own.
    rate: Option<u64>,
    burst: BurstTolerance,
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn burst_bytes(&self) -> u64 {
        self.rate.map_or(0, |r| self.burst.burst(r))
    }
}

impl std::fmt::Debug for RateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.rate() {
            Some(rate) => write!(f, "RateLimit({rate} B/s, burst {})", self.burst())?,
            None => write!(f, "RateLimit(none)")?,
        }
        if let Some(parent) = &self.parent {
            write!(f, " within {parent:?}")?;
        }
        Ok(())
    }
}

impl RateLimit {
    /// A limit of `bytes_per_sec` (at least 1) with a normal burst: a
    /// quarter of a second's worth (at least one byte), small enough that
    /// the average holds over short transfers, and that no wait is longer
    /// than a quarter second (cancelling stays quick).
    pub fn new(bytes_per_sec: u64) -> RateLimit {
        RateLimit::with(Some(bytes_per_sec), BurstTolerance::Normal)
    }

    /// No limit (yet): [`RateLimit::set`] can give it one later.
    pub fn unlimited() -> RateLimit {
        RateLimit::with(None, BurstTolerance::Normal)
    }

    /// A limit of `rate` bytes per second (None: none) and this burst.
    pub fn with(rate: Option<u64>, burst: BurstTolerance) -> RateLimit {
        let rate = rate.map(|r| r.max(1));
        let mut bucket = Bucket {
            rate,
            burst,
            tokens: 0.0,
            last: Instant::now(),
        };
        bucket.tokens = bucket.burst_bytes() as f64;
        RateLimit {
            bucket: Arc::new(Mutex::new(bucket)),
            parent: None,
        }
    }

    /// A limit of its own (`rate`, None: none) that also keeps within this
    /// one: what passes through it is taken from both buckets.
    pub fn child(&self, rate: Option<u64>) -> RateLimit {
        let burst = self.lock().burst;
        RateLimit {
            parent: Some(Box::new(self.clone())),
            ..RateLimit::with(rate, burst)
        }
    }

    /// Change the rate (None: no limit of its own) and burst, for every
    /// clone, while transfers run. The bucket keeps what it has, up to the
    /// new burst; a newly limited one starts full.
    pub fn set(&self, rate: Option<u64>, burst: BurstTolerance) {
        let mut b = self.lock();
        let was_limited = b.rate.is_some();
        b.refill(Instant::now());
        b.rate = rate.map(|r| r.max(1));
        b.burst = burst;
        let cap = b.burst_bytes() as f64;
        b.tokens = if was_limited { b.tokens.min(cap) } else { cap };
    }

    /// Bytes per second of this limit's own bucket (None: none).
    pub fn rate(&self) -> Option<u64> {
        self.lock().rate
    }

    /// Bytes that may pass at once when this bucket is full (0: no limit).
    pub fn burst(&self) -> u64 {
        self.lock().burst_bytes()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Bucket> {
        // A poisoned lock only means another transfer panicked mid-update
        // of plain numbers: the numbers are still usable.
        self.bucket.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Take up to `want` bytes' worth of tokens now from this bucket and
    /// every parent's, or say when enough for a worthwhile chunk will be there.
    fn grant(&self, want: usize) -> Result<usize, Instant> {
        let n = self.lock().take(want, Instant::now())?;
        let Some(parent) = &self.parent else {
            return Ok(n);
        };
        match parent.grant(n) {
            Ok(m) => {
                self.lock().give_back(n - m.min(n));
                Ok(m)
            }
            Err(at) => {
                self.lock().give_back(n);
                Err(at)
            }
        }
    }

    /// Give back tokens taken for bytes that did not move.
    fn refund(&self, n: usize) {
        self.lock().give_back(n);
        if let Some(parent) = &self.parent {
            parent.refund(n);
        }
    }
}

impl Bucket {
    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        if let Some(rate) = self.rate {
            self.tokens = (self.tokens + elapsed * rate as f64).min(self.burst_bytes() as f64);
        }
    }

    fn take(&mut self, want: usize, now: Instant) -> Result<usize, Instant> {
        self.refill(now);
        let Some(rate) = self.rate else {
            return Ok(want);
        };
        // Ask for no more than a quarter second's worth before going on, so
        // that no wait is longer than that whatever the burst.
        let quarter = (rate / 4).max(1);
        let need = (want as u64).clamp(1, quarter.min(self.burst_bytes())) as f64;
        if self.tokens >= need {
            let n = (self.tokens.floor() as usize).min(want).max(1);
            self.tokens -= n as f64;
            Ok(n)
        } else {
            let wait = (need - self.tokens) / rate as f64;
            Err(now + Duration::from_secs_f64(wait))
        }
    }

    fn give_back(&mut self, n: usize) {
        if self.rate.is_some() {
            self.tokens = (self.tokens + n as f64).min(self.burst_bytes() as f64);
        }
    }
}

/// The queue's limits for each direction (None: none), as the window's
/// Preferences set them; every connection of the queue shares them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GlobalLimits {
    pub download: Option<u64>,
    pub upload: Option<u64>,
    pub burst: BurstTolerance,
}

/// What the window asks of the queue's speed limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpeedLimitCommand {
    /// Use these limits for all transfers from now on, running ones included.
    Global(GlobalLimits),
    /// Give these jobs a limit of their own (bytes per second), on top of
    /// the global one; None takes it away. A folder's files share its limit.
    Jobs { ids: Vec<u64>, limit: Option<u64> },
}

/// The queue's buckets: one per direction, shared by all its connections,
/// and one for each group of jobs given a limit of their own (drawing from
/// its direction's as well): one job, or the files of a folder given one.
/// The command line's `--limit-rate` is the parent of both directions, so
/// its path and the window's are the same code.
pub(crate) struct QueueLimits {
    download: RateLimit,
    upload: RateLimit,
    /// The group of each job with a limit of its own.
    jobs: rustc_hash::FxHashMap<u64, u64>,
    groups: rustc_hash::FxHashMap<u64, Group>,
    next_group: u64,
}

/// Jobs that share one limit of their own (one bucket).
struct Group {
    rate: u64,
    bucket: RateLimit,
    members: rustc_hash::FxHashSet<u64>,
}

/// A job's own limit, as the saved queue keeps it: its bytes per second,
/// and its group (jobs saved with the same `shared` share one bucket, as a
/// folder's files do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct JobLimit {
    pub(crate) rate: u64,
    pub(crate) shared: u64,
}

impl QueueLimits {
    pub(crate) fn new(base: Option<&RateLimit>) -> QueueLimits {
        let direction = || match base {
            Some(base) => base.child(None),
            None => RateLimit::unlimited(),
        };
        QueueLimits {
            download: direction(),
            upload: direction(),
            jobs: Default::default(),
            groups: Default::default(),
            next_group: 1,
        }
    }

    fn direction(&self, direction: Direction) -> &RateLimit {
        match direction {
            Direction::Download => &self.download,
            Direction::Upload => &self.upload,
        }
    }

    pub(crate) fn set_global(&self, limits: GlobalLimits) {
        self.download.set(limits.download, limits.burst);
        self.upload.set(limits.upload, limits.burst);
        for group in self.groups.values() {
            group.bucket.set(Some(group.rate), limits.burst);
        }
    }

    /// Give `job` (going `direction`) its own limit, or take it away. The
    /// jobs sharing its bucket (a folder's files) change with it, and a
    /// running transfer follows at its next chunk: the bucket is changed
    /// in place. Returns the jobs whose limit changed.
    pub(crate) fn set_job(
        &mut self,
        job: u64,
        direction: Direction,
        limit: Option<u64>,
    ) -> Vec<u64> {
        let Some(g) = self
            .jobs
            .get(&job)
            .copied()
            .filter(|g| self.groups.contains_key(g))
        else {
            self.jobs.remove(&job);
            if let Some(rate) = limit {
                self.new_group(job, direction, rate);
            }
            return vec![job];
        };
        match limit {
            Some(rate) => {
                let Some(group) = self.groups.get_mut(&g) else {
                    return Vec::new();
                };
                group.rate = rate;
                let burst = group.bucket.lock().burst;
                group.bucket.set(Some(rate), burst);
                group.members.iter().copied().collect()
            }
            None => {
                let Some(group) = self.groups.remove(&g) else {
                    return Vec::new();
                };
                // A transfer holding it runs on without a limit of its own.
                let burst = self.direction(direction).lock().burst;
                group.bucket.set(None, burst);
                for id in &group.members {
                    self.jobs.remove(id);
                }
                group.members.into_iter().collect()
            }
        }
    }

    fn new_group(&mut self, job: u64, direction: Direction, rate: u64) -> u64 {
        let g = self.next_group;
        self.next_group += 1;
        let bucket = self.direction(direction).child(Some(rate));
        let members = std::iter::once(job).collect();
        self.groups.insert(
            g,
            Group {
                rate,
                bucket,
                members,
            },
        );
        self.jobs.insert(job, g);
        g
    }

    /// `job`'s own limit, if it has one.
    pub(crate) fn of_job(&self, job: u64) -> Option<JobLimit> {
        let g = *self.jobs.get(&job)?;
        let group = self.groups.get(&g)?;
        Some(JobLimit {
            rate: group.rate,
            shared: g,
        })
    }

    /// A job of the saved queue gets back the limit it was saved with;
    /// `groups` maps the file's groups to this run's, so the jobs that
    /// shared a bucket share one again.
    pub(crate) fn restore(
        &mut self,
        job: u64,
        direction: Direction,
        saved: JobLimit,
        groups: &mut rustc_hash::FxHashMap<u64, u64>,
    ) {
        if let Some(&g) = groups.get(&saved.shared)
            && let Some(group) = self.groups.get_mut(&g)
        {
            group.members.insert(job);
            self.jobs.insert(job, g);
            return;
        }
        let g = self.new_group(job, direction, saved.rate);
        groups.insert(saved.shared, g);
    }

    /// What `job`'s transfer reads and writes through.
    pub(crate) fn for_job(&self, job: u64, direction: Direction) -> RateLimit {
        match self.jobs.get(&job).and_then(|g| self.groups.get(g)) {
            Some(group) => group.bucket.clone(),
            None => self.direction(direction).clone(),
        }
    }

    /// A folder became these jobs: they share its limit (one bucket, so
    /// the folder as a whole keeps to it). Returns it, to tell the window.
    pub(crate) fn inherit(&mut self, folder: u64, children: &[u64]) -> Option<JobLimit> {
        let g = self.jobs.remove(&folder)?;
        let group = self.groups.get_mut(&g)?;
        group.members.remove(&folder);
        for &id in children {
            group.members.insert(id);
            self.jobs.insert(id, g);
        }
        let rate = group.rate;
        if group.members.is_empty() {
            self.groups.remove(&g);
            return None;
        }
        Some(JobLimit { rate, shared: g })
    }

    /// The jobs left the queue.
    pub(crate) fn forget(&mut self, ids: &[u64]) {
        for id in ids {
            let Some(g) = self.jobs.remove(id) else {
                continue;
            };
            if let Some(group) = self.groups.get_mut(&g) {
                group.members.remove(id);
                if group.members.is_empty() {
                    self.groups.remove(&g);
                }
            }
        }
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

/// Read a limit typed into the window, as FileZilla users write it: a plain
/// number is KiB/s (`500`); with a unit it is read as curl writes rates
/// (`500K`, `2M`, `100000B`). Empty or 0: no limit (returns 0).
pub fn parse_limit_field(text: &str) -> Result<u64, String> {
    let t = text.trim();
    if t.is_empty() || t.chars().all(|c| c == '0') {
        return Ok(0);
    }
    let plain = t.chars().all(|c| c.is_ascii_digit() || c == '.');
    let parsed = if plain {
        parse_rate(&format!("{t}K"))
    } else {
        parse_rate(t)
    };
    parsed.map_err(|_| {
        format!(
            "'{t}' is not a speed: write KiB/s as a number (500), or a rate with its unit (500K, 2M, 1G)"
        )
    })
}

/// A limit as the window's field shows it: `2M`, `500K`, or bytes (`100B`).
pub fn limit_field_text(bytes_per_sec: u64) -> String {
    match bytes_per_sec {
        0 => String::new(),
        b if b % (1 << 20) == 0 => format!("{}M", b >> 20),
        b if b % (1 << 10) == 0 => format!("{}K", b >> 10),
        b => format!("{b}B"),
    }
}

/// A limit for people to read: `2 MiB/s`, `1.5 MiB/s`, `500 KiB/s`.
pub fn describe_rate(bytes_per_sec: u64) -> String {
    let b = bytes_per_sec as f64;
    let (value, unit) = if b >= 1024.0 * 1024.0 {
        (b / (1024.0 * 1024.0), "MiB/s")
    } else if b >= 1024.0 {
        (b / 1024.0, "KiB/s")
    } else {
        return format!("{bytes_per_sec} B/s");
    };
    let text = format!("{value:.1}");
    let text = text.strip_suffix(".0").unwrap_or(&text);
    format!("{text} {unit}")
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

    use tokio::io::AsyncWriteExt;

    /// Write `bytes` through `limit` and say how long it took (tokio's
    /// clock: paused in these tests, so the figures are exact, not timed).
    async fn write_through(limit: &RateLimit, bytes: usize, fill: u8) -> (Vec<u8>, f64) {
        let start = Instant::now();
        let mut w = Throttled::new(Vec::new(), Some(limit.clone()));
        w.write_all(&vec![fill; bytes]).await.unwrap();
        (w.inner, start.elapsed().as_secs_f64())
    }

    fn near(took: f64, expected: f64) -> bool {
        (took - expected).abs() < 0.02
    }

    /// Two connections on clones of one limit get the limit together, not
    /// twice it: 200,000 bytes at 100,000 B/s take 1.75 s (the first
    /// 25,000 are the burst), where a bucket each would take 0.75 s.
    #[tokio::test(start_paused = true)]
    async fn two_connections_together_get_the_limit_not_twice_it() {
        let limit = RateLimit::new(100_000);
        assert_eq!(limit.burst(), 25_000);
        let start = Instant::now();
        let ((a, _), (b, _)) = tokio::join!(
            write_through(&limit, 100_000, 1),
            write_through(&limit, 100_000, 2)
        );
        let took = start.elapsed().as_secs_f64();
        assert!(a == vec![1; 100_000] && b == vec![2; 100_000]);
        assert!(near(took, 1.75), "{took} s");
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_bucket_lets_its_burst_through_at_once() {
        let limit = RateLimit::with(Some(100_000), BurstTolerance::VeryHigh);
        assert_eq!(limit.burst(), 125_000);
        let (_, took) = write_through(&limit, 125_000, 0).await;
        assert!(took < 0.002, "the burst waits for nothing: {took} s");
        let (_, took) = write_through(&limit, 100_000, 0).await;
        assert!(near(took, 1.0), "then the rate holds: {took} s");
        // A normal burst is a quarter second's worth.
        let limit = RateLimit::with(Some(100_000), BurstTolerance::Normal);
        let (_, took) = write_through(&limit, 125_000, 0).await;
        assert!(near(took, 1.0), "{took} s");
        assert_eq!(
            RateLimit::with(Some(100_000), BurstTolerance::High).burst(),
            50_000
        );
    }

    /// A change of limit reaches a transfer that is running: 125,000 bytes
    /// go in the first second at 100,000 B/s, the other 875,000 at
    /// 400,000 B/s.
    #[tokio::test(start_paused = true)]
    async fn a_change_of_limit_mid_run_takes_effect_at_once() {
        let limit = RateLimit::new(100_000);
        let changer = limit.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            changer.set(Some(400_000), BurstTolerance::Normal);
        });
        let (data, took) = write_through(&limit, 1_000_000, 7).await;
        assert_eq!(data.len(), 1_000_000);
        assert!(near(took, 1.0 + 875_000.0 / 400_000.0), "{took} s");

        // Switched off mid-run: the rest goes at once, within the quarter
        // second a wait can last.
        let limit = RateLimit::new(100_000);
        let changer = limit.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            changer.set(None, BurstTolerance::Normal);
        });
        let (_, took) = write_through(&limit, 10_000_000, 7).await;
        assert!((1.0..1.26).contains(&took), "{took} s");
    }

    /// A job's own limit below the global one holds for that job; above
    /// it, the global one does; and the job's bytes count against the
    /// global limit for everyone else.
    #[tokio::test(start_paused = true)]
    async fn a_jobs_own_limit_is_on_top_of_the_global_one() {
        let global = RateLimit::new(100_000);
        let slow = global.child(Some(20_000));
        assert_eq!(slow.burst(), 5_000);
        let (_, took) = write_through(&slow, 45_000, 0).await;
        assert!(near(took, 2.0), "the job's 20,000 B/s holds: {took} s");

        let global = RateLimit::new(100_000);
        let fast = global.child(Some(400_000));
        let (_, took) = write_through(&fast, 125_000, 0).await;
        assert!(near(took, 1.0), "the global 100,000 B/s holds: {took} s");

        // The limited job and another one together: the other gets what the
        // job leaves of the global limit, the total keeps to it.
        let global = RateLimit::new(100_000);
        let job = global.child(Some(20_000));
        let start = Instant::now();
        let ((_, job_took), (_, other_took)) = tokio::join!(
            write_through(&job, 45_000, 1),
            write_through(&global, 235_000, 2)
        );
        let total = start.elapsed().as_secs_f64();
        // At least its own limit's time; a little more where the other
        // transfer had the global tokens first.
        assert!((1.99..2.3).contains(&job_took), "{job_took} s");
        // 280,000 bytes at 100,000 B/s after a burst of 25,000.
        assert!(
            (total - 2.55).abs() < 0.05 && near(other_took, total),
            "together they keep to the global limit: {total} s (other {other_took} s)"
        );
    }

    #[test]
    fn the_queue_keeps_a_bucket_per_direction_and_per_limited_job() {
        let mut q = QueueLimits::new(None);
        q.set_global(GlobalLimits {
            download: Some(2 << 20),
            upload: None,
            burst: BurstTolerance::High,
        });
        assert_eq!(q.for_job(1, Direction::Download).rate(), Some(2 << 20));
        assert_eq!(q.for_job(1, Direction::Upload).rate(), None);
        q.set_job(1, Direction::Download, Some(100 << 10));
        let running = q.for_job(1, Direction::Download);
        assert_eq!(running.rate(), Some(100 << 10));
        assert_eq!(running.burst(), BurstTolerance::High.burst(100 << 10));
        // A change reaches the bucket the running transfer holds.
        q.set_job(1, Direction::Download, Some(50 << 10));
        assert_eq!(running.rate(), Some(50 << 10));
        // A folder's files share its bucket.
        let inherited = q.inherit(1, &[2, 3]).unwrap();
        assert_eq!(inherited.rate, 50 << 10);
        assert_eq!(q.of_job(3), Some(inherited));
        assert_eq!(q.for_job(2, Direction::Download).rate(), Some(50 << 10));
        assert_eq!(q.for_job(1, Direction::Download).rate(), Some(2 << 20));
        // A change to one of them is a change to the folder's limit.
        let mut changed = q.set_job(3, Direction::Download, Some(60 << 10));
        changed.sort_unstable();
        assert_eq!(changed, [2, 3]);
        assert_eq!(q.of_job(2).map(|l| l.rate), Some(60 << 10));
        // "No limit" leaves the global one, for the folder's files together.
        let mut changed = q.set_job(2, Direction::Download, None);
        changed.sort_unstable();
        assert_eq!(changed, [2, 3]);
        assert_eq!(q.for_job(2, Direction::Download).rate(), Some(2 << 20));
        assert_eq!(q.for_job(3, Direction::Download).rate(), Some(2 << 20));
        assert_eq!(q.of_job(3), None);
        q.set_job(4, Direction::Download, Some(1 << 10));
        q.forget(&[4]);
        assert_eq!(q.for_job(4, Direction::Download).rate(), Some(2 << 20));
        assert!(q.groups.is_empty(), "a group goes with its last job");
        // The command line's --limit-rate is the parent of both directions.
        let cli = RateLimit::new(1 << 20);
        let q = QueueLimits::new(Some(&cli));
        let up = q.for_job(9, Direction::Upload);
        assert_eq!(up.rate(), None);
        assert!(format!("{up:?}").contains("within RateLimit(1048576 B/s"));
    }

    #[test]
    fn restored_jobs_that_shared_a_bucket_share_one_again() {
        let mut q = QueueLimits::new(None);
        let mut groups = Default::default();
        let saved = |rate, shared| JobLimit { rate, shared };
        // As saved: a folder's two files (group 7) and a file of its own (group 9).
        q.restore(10, Direction::Download, saved(100, 7), &mut groups);
        q.restore(11, Direction::Download, saved(100, 7), &mut groups);
        q.restore(12, Direction::Upload, saved(300, 9), &mut groups);
        let a = q.for_job(10, Direction::Download);
        let b = q.for_job(11, Direction::Download);
        assert!(
            Arc::ptr_eq(&a.bucket, &b.bucket),
            "one bucket for the folder"
        );
        assert_eq!(a.rate(), Some(100));
        let c = q.for_job(12, Direction::Upload);
        assert!(!Arc::ptr_eq(&a.bucket, &c.bucket));
        assert_eq!(c.rate(), Some(300));
        assert_eq!(
            q.of_job(10).map(|l| l.shared),
            q.of_job(11).map(|l| l.shared)
        );
        assert_ne!(
            q.of_job(10).map(|l| l.shared),
            q.of_job(12).map(|l| l.shared)
        );
    }

    #[test]
    fn limits_typed_in_the_window_read_as_filezilla_and_curl_write_them() {
        assert_eq!(
            parse_limit_field("500"),
            Ok(500 << 10),
            "a plain number is KiB/s"
        );
        assert_eq!(parse_limit_field("2M"), Ok(2 << 20));
        assert_eq!(parse_limit_field("500k"), Ok(500 << 10));
        assert_eq!(parse_limit_field("1000B"), Ok(1000));
        assert_eq!(parse_limit_field(""), Ok(0));
        assert_eq!(parse_limit_field(" 0 "), Ok(0));
        for bad in ["2X", "fast", "-1", "2 M B"] {
            let e = parse_limit_field(bad).expect_err(bad);
            assert!(e.contains("is not a speed") && e.contains("2M"), "{e}");
        }
        for rate in [2 << 20, 500 << 10, 1000] {
            assert_eq!(parse_limit_field(&limit_field_text(rate)), Ok(rate));
        }
        assert_eq!(describe_rate(2 << 20), "2 MiB/s");
        assert_eq!(describe_rate(3 << 19), "1.5 MiB/s");
        assert_eq!(describe_rate(500 << 10), "500 KiB/s");
        assert_eq!(describe_rate(100), "100 B/s");
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
