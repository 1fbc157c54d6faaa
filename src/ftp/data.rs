//! Data connections: parsing the server's passive-mode answers, and the
//! stream a listing or transfer flows through, which fails with a clear
//! error when no byte moves for too long.

use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::{Instant, Sleep};

use super::error::{Channel, DataMode, FtpError, ModeNote};
use super::stream::Stream;

/// Parse a `227` reply's text: the first run of six comma-separated numbers
/// (`h1,h2,h3,h4,p1,p2`), with or without the customary parentheses.
pub fn parse_pasv(text: &str) -> Option<SocketAddrV4> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit()
            && (i == 0 || !bytes[i - 1].is_ascii_digit())
            && let Some(addr) = six_numbers(&text[i..])
        {
            return Some(addr);
        }
        i += 1;
    }
    None
}

fn six_numbers(s: &str) -> Option<SocketAddrV4> {
    let end = s
        .find(|c: char| !(c.is_ascii_digit() || c == ',' || c == ' '))
        .unwrap_or(s.len());
    let nums: Vec<u8> = s[..end]
        .split(',')
        .take(6)
        .map(|p| p.trim().parse::<u8>())
        .collect::<Result<_, _>>()
        .ok()?;
    if nums.len() != 6 {
        return None;
    }
    let ip = Ipv4Addr::new(nums[0], nums[1], nums[2], nums[3]);
    let port = u16::from(nums[4]) << 8 | u16::from(nums[5]);
    (port != 0).then_some(SocketAddrV4::new(ip, port))
}

/// Parse a `229` reply's text, `(|||port|)` with any delimiter character.
pub fn parse_epsv(text: &str) -> Option<u16> {
    let open = text.find('(')?;
    let rest = &text[open + 1..];
    let close = rest.find(')')?;
    let inner = &rest[..close];
    let delim = inner.chars().next()?;
    if delim.is_ascii_digit() || !delim.is_ascii_graphic() {
        return None;
    }
    let fields: Vec<&str> = inner.split(delim).collect();
    // "|||6446|" splits into ["", "", "", "6446", ""].
    if fields.len() != 5 || !fields[1].is_empty() || !fields[2].is_empty() || !fields[4].is_empty()
    {
        return None;
    }
    fields[3].parse::<u16>().ok().filter(|&p| p != 0)
}

/// The argument of `EPRT` for an address: `|1|ip|port|` or `|2|ip|port|`.
pub fn eprt_argument(addr: SocketAddr) -> String {
    match addr {
        SocketAddr::V4(a) => format!("|1|{}|{}|", a.ip(), a.port()),
        SocketAddr::V6(a) => format!("|2|{}|{}|", a.ip(), a.port()),
    }
}

/// The argument of `PORT` for an IPv4 address: `h1,h2,h3,h4,p1,p2`.
pub fn port_argument(addr: SocketAddrV4) -> String {
    let [a, b, c, d] = addr.ip().octets();
    format!(
        "{a},{b},{c},{d},{},{}",
        addr.port() >> 8,
        addr.port() & 0xff
    )
}

/// Open a passive data connection to `addr`, with `SO_REUSEADDR` set on our
/// socket.
///
/// Our end takes an ephemeral port, and as the side that closes first
/// after an upload it keeps that port in TIME_WAIT for a minute. A server
/// on the same host (loopback, or behind the same NAT) whose passive range
/// lies inside the ephemeral range then cannot listen on those ports: a
/// bind conflicts with any socket on the port that lacks `SO_REUSEADDR`,
/// TIME_WAIT ones included. After 100,000 uploads to vsftpd on loopback
/// nearly every even port (the kernel gives `connect` even ports first) of
/// its passive range was held so; vsftpd tries ten random ports per PASV
/// and its session dies ("500 OOPS") when all ten fail, about once per
/// thousand files. With the option set, both sides agree to share the port
/// (the connections' addresses still differ), and the server's bind
/// succeeds. It changes nothing about how the connection sends, closes or
/// acknowledges data: no byte of an upload can be lost by it.
pub(crate) async fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.connect(addr).await
}

/// A marker inside `io::Error` for a data connection that went idle.
#[derive(Debug)]
struct IdleTimeout;

impl std::fmt::Display for IdleTimeout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("no data moved within the inactivity deadline")
    }
}

impl std::error::Error for IdleTimeout {}

/// An open data connection. Reads and writes fail with `TimedOut` when no
/// byte has moved for the idle deadline; [`DataStream::error`] turns such
/// failures into an [`FtpError`] naming the data channel, mode and address.
pub struct DataStream {
    stream: Option<Stream>,
    idle: Duration,
    last_progress: Instant,
    sleep: Pin<Box<Sleep>>,
    mode: DataMode,
    peer: SocketAddr,
    bytes: u64,
    /// Our side already sent its FIN ([`DataStream::close_write_early`]).
    write_closed: bool,
}

impl DataStream {
    pub(crate) fn new(
        stream: Stream,
        idle: Duration,
        mode: DataMode,
        peer: SocketAddr,
    ) -> DataStream {
        let now = Instant::now();
        DataStream {
            stream: Some(stream),
            idle,
            last_progress: now,
            sleep: Box::pin(tokio::time::sleep_until(now + idle)),
            mode,
            peer,
            bytes: 0,
            write_closed: false,
        }
    }

    /// A stream with nothing in it (the server finished without opening one).
    pub(crate) fn empty(mode: DataMode, peer: SocketAddr) -> DataStream {
        let now = Instant::now();
        DataStream {
            stream: None,
            idle: Duration::from_secs(1),
            last_progress: now,
            sleep: Box::pin(tokio::time::sleep_until(now)),
            mode,
            peer,
            bytes: 0,
            write_closed: false,
        }
    }

    /// False for the stream of a command the server finished without
    /// opening a data connection.
    pub fn is_open(&self) -> bool {
        self.stream.is_some()
    }

    /// Bytes moved so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    pub fn mode(&self) -> DataMode {
        self.mode
    }

    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    pub fn is_tls(&self) -> bool {
        self.stream.as_ref().is_some_and(Stream::is_tls)
    }

    /// Describe an I/O failure on this stream as an FTP error.
    pub fn error(&self, e: io::Error) -> FtpError {
        let idle = e.get_ref().is_some_and(|inner| inner.is::<IdleTimeout>());
        if idle {
            FtpError::Timeout {
                channel: Channel::Data,
                what: "with no data moving".into(),
                secs: self.idle.as_secs().max(1),
                mode: ModeNote(Some(self.mode)),
                hint: "the transfer stalled — try again to resume, or raise the timeout",
                addr: self.peer.to_string(),
            }
        } else {
            FtpError::Io {
                channel: Channel::Data,
                mode: ModeNote(Some(self.mode)),
                source: e,
                hint: "the transfer was interrupted — try again to resume",
                addr: self.peer.to_string(),
            }
        }
    }

    /// Our side of this plain connection already sent its FIN (a download,
    /// closed early: see `Session`); [`DataStream::close`] does not again.
    pub(crate) fn mark_write_closed(&mut self) {
        self.write_closed = true;
    }

    /// Whether our side sent its FIN before the data came (a download).
    pub fn write_closed_early(&self) -> bool {
        self.write_closed
    }

    /// End the connection cleanly: TLS close_notify, then TCP FIN, then read
    /// until the server closes too. Dropping a socket with unread bytes (TLS
    /// 1.3 session tickets the server sent on an upload) makes the kernel
    /// send RST, and servers such as vsftpd then fail the upload with 426.
    pub async fn close(&mut self) -> io::Result<()> {
        let Some(mut s) = self.stream.take() else {
            return Ok(());
        };
        let limit = self.idle;
        let write_closed = self.write_closed;
        let graceful = async {
            if !write_closed {
                s.shutdown().await?;
            }
            let mut sink = [0u8; 4096];
            loop {
                match s.read(&mut sink).await {
                    Ok(0) => return Ok(()),
                    Ok(_) => continue,
                    // The server may close without close_notify; the data is all sent.
                    Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(()),
                    Err(e) => return Err(e),
                }
            }
        };
        match tokio::time::timeout(limit, graceful).await {
            Ok(r) => r,
            Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, IdleTimeout)),
        }
    }

    fn progress(&mut self, n: usize) {
        if n > 0 {
            self.bytes += n as u64;
            self.last_progress = Instant::now();
        }
    }

    /// Called when the inner stream is not ready: has the idle deadline passed?
    fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        loop {
            let due = self.last_progress + self.idle;
            if self.sleep.deadline() != due {
                self.sleep.as_mut().reset(due);
            }
            match self.sleep.as_mut().poll(cx) {
                Poll::Ready(()) if Instant::now() >= due => {
                    return Poll::Ready(io::Error::new(io::ErrorKind::TimedOut, IdleTimeout));
                }
                Poll::Ready(()) => continue,
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl AsyncRead for DataStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let Some(stream) = this.stream.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        let before = buf.filled().len();
        match Pin::new(stream).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                this.progress(buf.filled().len() - before);
                Poll::Ready(Ok(()))
            }
            // Many servers close TLS data connections without close_notify;
            // completeness is judged by the server's final reply instead.
            Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::UnexpectedEof && this.is_tls() => {
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => this.poll_idle(cx).map(Err),
        }
    }
}

impl AsyncWrite for DataStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let Some(stream) = this.stream.as_mut() else {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::NotConnected,
                "data connection closed",
            )));
        };
        match Pin::new(stream).poll_write(cx, buf) {
            Poll::Ready(Ok(n)) => {
                this.progress(n);
                Poll::Ready(Ok(n))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => this.poll_idle(cx).map(Err),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let Some(stream) = this.stream.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        match Pin::new(stream).poll_flush(cx) {
            Poll::Pending => this.poll_idle(cx).map(Err),
            other => other,
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let Some(stream) = this.stream.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        match Pin::new(stream).poll_shutdown(cx) {
            Poll::Pending => this.poll_idle(cx).map(Err),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasv_replies_in_the_shapes_servers_send() {
        let cases: &[(&str, Option<(&str, u16)>)] = &[
            (
                "Entering Passive Mode (192,168,1,2,19,137).",
                Some(("192.168.1.2", 5001)),
            ),
            (
                "Entering Passive Mode 10,0,0,1,200,10",
                Some(("10.0.0.1", 51210)),
            ),
            ("=127,0,0,1,4,1", Some(("127.0.0.1", 1025))),
            (
                "Entering Passive Mode (127, 0, 0, 1, 4, 1)",
                Some(("127.0.0.1", 1025)),
            ),
            ("Entering Passive Mode (256,0,0,1,4,1)", None),
            ("Entering Passive Mode (1,2,3,4,5)", None),
            ("Entering Passive Mode (1,2,3,4,0,0)", None),
            ("no numbers at all", None),
            ("", None),
        ];
        for (text, want) in cases {
            let got = parse_pasv(text);
            let want = want.map(|(ip, port)| SocketAddrV4::new(ip.parse().unwrap(), port));
            assert_eq!(got, want, "{text:?}");
        }
    }

    #[test]
    fn epsv_replies_with_any_delimiter() {
        let cases: &[(&str, Option<u16>)] = &[
            ("Entering Extended Passive Mode (|||6446|)", Some(6446)),
            ("Entering Extended Passive Mode (!!!6446!)", Some(6446)),
            ("ok (|||65535|)", Some(65535)),
            ("ok (|||65536|)", None),
            ("ok (|||0|)", None),
            ("ok (||1.2.3.4|6446|)", None),
            ("ok (|||abc|)", None),
            ("ok |||6446|", None),
            ("ok (|||6446|", None),
            ("(", None),
        ];
        for (text, want) in cases {
            assert_eq!(parse_epsv(text), *want, "{text:?}");
        }
    }

    /// Our passive data connections let a server on the same host listen
    /// on their port (vsftpd binds its passive ports with `SO_REUSEADDR`,
    /// and a bind conflicts with any socket on the port without it, also in
    /// TIME_WAIT). Whether such a bind then succeeds depends on every other
    /// socket on the machine that shares the port, so this checks our part:
    /// the option is on the connection `connect` returns, and stays on it.
    #[tokio::test]
    async fn data_connections_let_a_server_listen_on_their_port() {
        let server = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = connect(server.local_addr().unwrap()).await.unwrap();
        let (mut accepted, _) = server.accept().await.unwrap();
        client.write_all(b"data").await.unwrap();
        client.shutdown().await.unwrap();
        let mut got = Vec::new();
        accepted.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"data");
        let socket = TcpSocket::from_std_stream(client.into_std().unwrap());
        assert!(socket.reuseaddr().unwrap(), "SO_REUSEADDR is off");
        // The plain way has it off: the check above can fail.
        let plain = TcpStream::connect(server.local_addr().unwrap())
            .await
            .unwrap();
        let plain = TcpSocket::from_std_stream(plain.into_std().unwrap());
        assert!(!plain.reuseaddr().unwrap());
    }

    #[test]
    fn port_and_eprt_arguments() {
        let v4: SocketAddr = "127.0.0.1:50001".parse().unwrap();
        assert_eq!(eprt_argument(v4), "|1|127.0.0.1|50001|");
        let v6: SocketAddr = "[::1]:2121".parse().unwrap();
        assert_eq!(eprt_argument(v6), "|2|::1|2121|");
        assert_eq!(
            port_argument("10.1.2.3:1025".parse().unwrap()),
            "10,1,2,3,4,1"
        );
    }
}
