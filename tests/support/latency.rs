//! An FTP-aware latency proxy: a slow link on loopback, for tests and benchmarks (this kernel has
//! no netem).
//!
//! Every byte is held for a fixed one-way delay in each direction and then passed on in order,
//! with no bandwidth cap (chunks queue without limit). A connection reaches the far side three
//! one-way delays after it was opened at the proxy, which is when a server would accept it over
//! a real link (SYN, SYN-ACK, ACK): the kernel completes the handshake with the connecting side
//! at once, so this is where the handshake's round trip is charged instead.
//!
//! The control connection is read line by line. Passive replies (`227`, `229`) and active
//! commands (`PORT`, `EPRT`) are rewritten to name a port of the proxy, which relays that data
//! connection through the same delay to the address the server or client named. Plain FTP only:
//! after `AUTH TLS` the lines cannot be read, so data connections would bypass the proxy.
//!
//! Used by the tests (`mod support;`) and by `examples/latency_proxy.rs` for the benchmarks.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// How long a relayed data port waits for its one connection.
const DATA_ACCEPT_LIMIT: Duration = Duration::from_secs(60);

/// A running proxy; dropping it stops accepting new control connections (those open run on
/// until either side closes).
pub struct LatencyProxy {
    /// Where clients connect instead of the server.
    pub addr: SocketAddr,
    stats: Arc<Stats>,
    task: JoinHandle<()>,
}

/// What passed through the proxy, for tests that count connections.
#[derive(Default)]
struct Stats {
    control: AtomicUsize,
    data: AtomicUsize,
}

impl LatencyProxy {
    /// Starts a proxy on `127.0.0.1:0` in front of the FTP server at `upstream`, delaying each
    /// direction by `one_way` (the round trip is twice that).
    pub async fn start(upstream: SocketAddr, one_way: Duration) -> io::Result<LatencyProxy> {
        LatencyProxy::bind(
            "127.0.0.1:0".parse().expect("a literal address"),
            upstream,
            one_way,
        )
        .await
    }

    /// Like [`LatencyProxy::start`], listening on `listen`.
    pub async fn bind(
        listen: SocketAddr,
        upstream: SocketAddr,
        one_way: Duration,
    ) -> io::Result<LatencyProxy> {
        let listener = TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let stats = Arc::new(Stats::default());
        let counted = stats.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                counted.control.fetch_add(1, Ordering::Relaxed);
                let stats = counted.clone();
                tokio::spawn(async move {
                    let _ = relay(client, upstream, one_way, stats, true).await;
                });
            }
        });
        Ok(LatencyProxy { addr, stats, task })
    }

    /// Control connections accepted so far (one per login a client makes).
    pub fn control_connections(&self) -> usize {
        self.stats.control.load(Ordering::Relaxed)
    }

    /// Data connections relayed so far (passive and active).
    pub fn data_connections(&self) -> usize {
        self.stats.data.load(Ordering::Relaxed)
    }
}

impl Drop for LatencyProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Bytes read at one moment (a whole line, on a control connection), or the end of one
/// direction.
enum Chunk {
    Data(Instant, Vec<u8>),
    End(Instant),
}

/// Which way a chunk travels.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Toward {
    Server,
    Client,
}

/// Rewrites control lines so that data connections go through the proxy too.
struct Rewriter {
    upstream: SocketAddr,
    /// The proxy's address as the client sees it (for passive replies).
    client_side: IpAddr,
    /// The proxy's address as the server sees it (for PORT/EPRT).
    server_side: IpAddr,
    one_way: Duration,
    stats: Arc<Stats>,
}

/// Relays one connection from `near` to `target` through the delay; `control` reads and rewrites
/// it as an FTP control connection.
async fn relay(
    near: TcpStream,
    target: SocketAddr,
    one_way: Duration,
    stats: Arc<Stats>,
    control: bool,
) -> io::Result<()> {
    let _ = near.set_nodelay(true);
    let near_side = near.local_addr()?.ip();
    let (n_read, n_write) = near.into_split();
    // The near side's bytes are timed from now; the far side is reached when a server would
    // accept the connection over a real link.
    let (out_tx, out_rx) = mpsc::unbounded_channel();
    let read_out = tokio::spawn(read_timed(n_read, out_tx, control));
    tokio::time::sleep(one_way * 3).await;
    let far = match TcpStream::connect(target).await {
        Ok(s) => s,
        Err(e) => {
            read_out.abort();
            return Err(e);
        }
    };
    let _ = far.set_nodelay(true);
    let rewriter = control.then(|| {
        Arc::new(Rewriter {
            upstream: target,
            client_side: near_side,
            server_side: far.local_addr().map_or(near_side, |a| a.ip()),
            one_way,
            stats,
        })
    });
    let (f_read, f_write) = far.into_split();
    let (back_tx, back_rx) = mpsc::unbounded_channel();
    let read_back = tokio::spawn(read_timed(f_read, back_tx, control));
    let out = tokio::spawn(write_delayed(
        f_write,
        out_rx,
        one_way,
        rewriter.clone(),
        Toward::Server,
    ));
    write_delayed(n_write, back_rx, one_way, rewriter, Toward::Client).await;
    let _ = out.await;
    read_out.abort();
    read_back.abort();
    Ok(())
}

/// [`relay`] for a data connection, boxed: a control relay starts data relays, and the compiler
/// needs the type of that recursion written down.
fn relay_data(
    near: TcpStream,
    target: SocketAddr,
    one_way: Duration,
    stats: Arc<Stats>,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = io::Result<()>> + Send>> {
    Box::pin(relay(near, target, one_way, stats, false))
}

/// Reads `r` into timed chunks (whole lines when `lines`) until it ends or nobody listens.
async fn read_timed(mut r: OwnedReadHalf, tx: mpsc::UnboundedSender<Chunk>, lines: bool) {
    let mut buf = vec![0u8; 64 * 1024];
    let mut pending: Vec<u8> = Vec::new();
    loop {
        let n = match r.read(&mut buf).await {
            Ok(0) | Err(_) => 0,
            Ok(n) => n,
        };
        let now = Instant::now();
        if n == 0 {
            if !pending.is_empty() {
                let _ = tx.send(Chunk::Data(now, std::mem::take(&mut pending)));
            }
            let _ = tx.send(Chunk::End(now));
            return;
        }
        if !lines {
            if tx.send(Chunk::Data(now, buf[..n].to_vec())).is_err() {
                return;
            }
            continue;
        }
        pending.extend_from_slice(&buf[..n]);
        while let Some(end) = pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            if tx.send(Chunk::Data(now, line)).is_err() {
                return;
            }
        }
    }
}

/// Writes each chunk one-way delay after it was read, rewriting control lines when asked.
async fn write_delayed(
    mut w: OwnedWriteHalf,
    mut rx: mpsc::UnboundedReceiver<Chunk>,
    one_way: Duration,
    rewriter: Option<Arc<Rewriter>>,
    toward: Toward,
) {
    while let Some(chunk) = rx.recv().await {
        match chunk {
            Chunk::Data(at, bytes) => {
                tokio::time::sleep_until(at + one_way).await;
                let bytes = match &rewriter {
                    Some(rw) => rw.rewrite(bytes, toward).await,
                    None => bytes,
                };
                if w.write_all(&bytes).await.is_err() {
                    return;
                }
            }
            Chunk::End(at) => {
                tokio::time::sleep_until(at + one_way).await;
                let _ = w.shutdown().await;
                return;
            }
        }
    }
}

impl Rewriter {
    /// The line to pass on for `line`: passive replies and active commands name a port of the
    /// proxy instead, which relays the data connection to the address they named.
    async fn rewrite(&self, line: Vec<u8>, toward: Toward) -> Vec<u8> {
        let Ok(text) = std::str::from_utf8(&line) else {
            return line;
        };
        let upper = text.to_ascii_uppercase();
        let rewritten = match toward {
            Toward::Client if text.starts_with("227") => match six_numbers(text) {
                Some(mut named) => {
                    if named.ip().is_unspecified() {
                        named.set_ip(self.upstream.ip());
                    }
                    self.listen(self.client_side, named).await.and_then(|port| {
                        let IpAddr::V4(ip) = self.client_side else {
                            return None;
                        };
                        let [a, b, c, d] = ip.octets();
                        Some(format!(
                            "227 Entering Passive Mode ({a},{b},{c},{d},{},{}).\r\n",
                            port >> 8,
                            port & 0xff
                        ))
                    })
                }
                None => None,
            },
            Toward::Client if text.starts_with("229") => match epsv_port(text) {
                Some(port) => {
                    let named = SocketAddr::new(self.upstream.ip(), port);
                    self.listen(self.client_side, named)
                        .await
                        .map(|port| format!("229 Entering Extended Passive Mode (|||{port}|)\r\n"))
                }
                None => None,
            },
            Toward::Server if upper.starts_with("PORT ") => match six_numbers(&text[5..]) {
                Some(named) => match self.server_side {
                    IpAddr::V4(ip) => self.listen(self.server_side, named).await.map(|port| {
                        let [a, b, c, d] = ip.octets();
                        format!("PORT {a},{b},{c},{d},{},{}\r\n", port >> 8, port & 0xff)
                    }),
                    IpAddr::V6(_) => None,
                },
                None => None,
            },
            Toward::Server if upper.starts_with("EPRT ") => match eprt_address(&text[5..]) {
                Some(named) => self.listen(self.server_side, named).await.map(|port| {
                    let family = if self.server_side.is_ipv6() { 2 } else { 1 };
                    format!("EPRT |{family}|{}|{port}|\r\n", self.server_side)
                }),
                None => None,
            },
            _ => None,
        };
        rewritten.map_or(line, String::into_bytes)
    }

    /// Opens a port on `ip` whose first connection is relayed to `target`; returns the port.
    async fn listen(&self, ip: IpAddr, target: SocketAddr) -> Option<u16> {
        let listener = TcpListener::bind((ip, 0)).await.ok()?;
        let port = listener.local_addr().ok()?.port();
        let (one_way, stats) = (self.one_way, self.stats.clone());
        tokio::spawn(async move {
            let Ok(Ok((near, _))) =
                tokio::time::timeout(DATA_ACCEPT_LIMIT, listener.accept()).await
            else {
                return;
            };
            drop(listener);
            stats.data.fetch_add(1, Ordering::Relaxed);
            let _ = relay_data(near, target, one_way, stats).await;
        });
        Some(port)
    }
}

/// The first `h1,h2,h3,h4,p1,p2` in `text`.
fn six_numbers(text: &str) -> Option<SocketAddr> {
    let start = text.find(|c: char| c.is_ascii_digit())?;
    let rest = &text[start..];
    // Past the reply code of a 227 line.
    let rest = if text.starts_with("227") {
        let open = text.find('(').map_or_else(
            || text[3..].find(|c: char| c.is_ascii_digit()).map(|i| i + 3),
            |i| Some(i + 1),
        )?;
        &text[open..]
    } else {
        rest
    };
    let nums: Vec<u8> = rest
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .take(6)
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    let [a, b, c, d, p1, p2] = nums[..] else {
        return None;
    };
    let ip = std::net::Ipv4Addr::new(a, b, c, d);
    Some(SocketAddr::new(
        ip.into(),
        u16::from(p1) << 8 | u16::from(p2),
    ))
}

/// The port of a `229 (|||port|)` reply.
fn epsv_port(text: &str) -> Option<u16> {
    let inner = &text[text.find('(')? + 1..];
    let inner = &inner[..inner.find(')')?];
    let delim = inner.chars().next()?;
    inner.split(delim).nth(3)?.parse().ok()
}

/// The address of an `EPRT |1|ip|port|` argument.
fn eprt_address(arg: &str) -> Option<SocketAddr> {
    let arg = arg.trim();
    let delim = arg.chars().next()?;
    let fields: Vec<&str> = arg.split(delim).collect();
    let ip: IpAddr = fields.get(2)?.parse().ok()?;
    let port: u16 = fields.get(3)?.parse().ok()?;
    Some(SocketAddr::new(ip, port))
}
