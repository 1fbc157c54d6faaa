//! The control connection: one command in flight at a time, every wait
//! under a deadline, and a count of replies still owed so that a wait that
//! was cancelled never leaves the session reading the wrong reply.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use super::error::{CONTROL_HINT, Channel, FtpError, ModeNote, Result};
use super::log::Logger;
use super::proxy::{self, Proxy, Target};
use super::reply::{Reply, ReplyDecoder};
use super::stream::Stream;
use super::tls::{TlsContext, certificate_problem, tls_problem};

/// The control connection of one session.
pub struct Control {
    stream: Option<Stream>,
    decoder: ReplyDecoder,
    buf: Vec<u8>,
    /// Final replies the server still owes for commands already sent. A
    /// cancelled wait leaves this above zero; the next command first reads
    /// (and discards) what is owed.
    owed: usize,
    /// Set while a command is being written; still set afterwards means the
    /// write was cancelled half-way and the server's view is unknown.
    writing: bool,
    log: Logger,
    reply_timeout: Duration,
    peer: SocketAddr,
    local: SocketAddr,
    addr_text: String,
}

/// Refuse arguments that would let a file name smuggle in another command.
pub fn check_argument(arg: &[u8]) -> Result<()> {
    if arg.iter().any(|&b| b == b'\r' || b == b'\n' || b == 0) {
        return Err(FtpError::InvalidArgument {
            arg: String::from_utf8_lossy(arg).into_owned(),
        });
    }
    Ok(())
}

impl Control {
    /// Resolve `host` and open a TCP connection to it within `timeout`.
    pub async fn connect(
        host: &str,
        port: u16,
        addr_text: String,
        timeout: Duration,
        reply_timeout: Duration,
        log: Logger,
    ) -> Result<Control> {
        let deadline = tokio::time::Instant::now() + timeout;
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        log.status(format!("Resolving {bare}…"));
        let addrs: Vec<SocketAddr> =
            match tokio::time::timeout_at(deadline, tokio::net::lookup_host((bare, port))).await {
                Ok(Ok(a)) => a.collect(),
                Ok(Err(source)) => {
                    return Err(FtpError::Resolve {
                        host: bare.to_string(),
                        source,
                    });
                }
                Err(_) => {
                    return Err(control_timeout(
                        "resolving the host name",
                        timeout,
                        addr_text,
                    ));
                }
            };
        let mut last_err = None;
        for addr in &addrs {
            log.status(format!("Connecting to {addr}…"));
            match tokio::time::timeout_at(deadline, TcpStream::connect(addr)).await {
                Ok(Ok(tcp)) => {
                    let _ = tcp.set_nodelay(true);
                    let peer = tcp.peer_addr().unwrap_or(*addr);
                    log.status(format!("Connected to {peer}"));
                    return Control::over(tcp, peer, addr_text, reply_timeout, log);
                }
                Ok(Err(e)) => {
                    log.error(format!("Could not connect to {addr}: {e}"));
                    last_err = Some(e);
                }
                Err(_) => {
                    log.error(format!("Connecting to {addr} timed out"));
                    return Err(control_timeout("while connecting", timeout, addr_text));
                }
            }
        }
        let source =
            last_err.unwrap_or_else(|| std::io::Error::other("the name resolved to no address"));
        Err(FtpError::Io {
            channel: Channel::Control,
            mode: ModeNote(None),
            source,
            hint: CONTROL_HINT,
            addr: addr_text,
        })
    }

    /// Open the control connection through `proxy`. Returns the target
    /// the proxy was asked for (the server's address when Ferry resolved
    /// the name, else its name): passive data connections go to that host.
    pub async fn connect_through(
        proxy: &Proxy,
        host: &str,
        port: u16,
        addr_text: String,
        timeout: Duration,
        reply_timeout: Duration,
        log: Logger,
    ) -> Result<(Control, Target)> {
        let target = Target::host(host, port);
        let (tcp, target) = proxy::connect(proxy, &target, Channel::Control, timeout, &log).await?;
        // The TCP peer is the proxy; the server is behind it.
        let peer = tcp.peer_addr().map_err(|source| FtpError::Io {
            channel: Channel::Control,
            mode: ModeNote(None),
            source,
            hint: CONTROL_HINT,
            addr: addr_text.clone(),
        })?;
        let control = Control::over(tcp, peer, addr_text, reply_timeout, log)?;
        Ok((control, target))
    }

    fn over(
        tcp: TcpStream,
        peer: SocketAddr,
        addr_text: String,
        reply_timeout: Duration,
        log: Logger,
    ) -> Result<Control> {
        let local = tcp.local_addr().map_err(|source| FtpError::Io {
            channel: Channel::Control,
            mode: ModeNote(None),
            source,
            hint: CONTROL_HINT,
            addr: addr_text.clone(),
        })?;
        Ok(Control {
            stream: Some(Stream::Plain(tcp)),
            decoder: ReplyDecoder::new(),
            buf: vec![0; 16 * 1024],
            owed: 0,
            writing: false,
            log,
            reply_timeout,
            peer,
            local,
            addr_text,
        })
    }

    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    pub fn local(&self) -> SocketAddr {
        self.local
    }

    pub fn addr_text(&self) -> &str {
        &self.addr_text
    }

    pub fn log(&self) -> &Logger {
        &self.log
    }

    pub fn is_tls(&self) -> bool {
        self.stream.as_ref().is_some_and(Stream::is_tls)
    }

    pub fn set_reply_timeout(&mut self, d: Duration) {
        self.reply_timeout = d;
    }

    /// Wrap the connection in TLS (after `AUTH TLS`, or at once for implicit FTPS).
    pub async fn start_tls(&mut self, tls: &TlsContext, timeout: Duration) -> Result<()> {
        let Some(Stream::Plain(tcp)) = self.stream.take() else {
            return Err(FtpError::Tls {
                channel: Channel::Control,
                detail: "the connection is already encrypted or closed".into(),
                addr: self.addr_text.clone(),
            });
        };
        self.log.status("Starting TLS on the control connection…");
        let connector = TlsConnector::from(tls.config.clone());
        let handshake = connector.connect(tls.server_name.clone(), tcp);
        match tokio::time::timeout(timeout, handshake).await {
            Ok(Ok(s)) => {
                let (_, conn) = s.get_ref();
                let version = conn
                    .protocol_version()
                    .map(|v| format!("{v:?}"))
                    .unwrap_or_default();
                self.log.status(format!("TLS established ({version})"));
                self.stream = Some(Stream::Tls(Box::new(s)));
                Ok(())
            }
            Ok(Err(e)) => Err(tls_error(e, tls, Channel::Control, &self.addr_text)),
            Err(_) => Err(control_timeout(
                "during the TLS handshake",
                timeout,
                self.addr_text.clone(),
            )),
        }
    }

    /// The certificate the server presented on the control connection.
    pub fn peer_certificate(&self) -> Option<Vec<u8>> {
        match self.stream.as_ref()? {
            Stream::Tls(s) => s
                .get_ref()
                .1
                .peer_certificates()?
                .first()
                .map(|c| c.to_vec()),
            Stream::Plain(_) => None,
        }
    }

    /// Read and discard the replies owed for earlier commands whose wait was
    /// cancelled, so the next reply read belongs to the next command.
    pub async fn settle(&mut self) -> Result<()> {
        if self.writing {
            return Err(FtpError::OutOfStep {
                addr: self.addr_text.clone(),
            });
        }
        while self.owed > 0 {
            let r = self.read_reply().await?;
            self.log.status(format!(
                "Discarded reply {} to an interrupted command",
                r.code
            ));
        }
        Ok(())
    }

    /// Send one command line. Refuses CR, LF and NUL in the verb or argument.
    pub async fn send(&mut self, verb: &str, arg: Option<&[u8]>) -> Result<()> {
        check_argument(verb.as_bytes())?;
        if let Some(a) = arg {
            check_argument(a)?;
        }
        self.settle().await?;
        let mut line = Vec::with_capacity(verb.len() + arg.map_or(0, <[u8]>::len) + 3);
        line.extend_from_slice(verb.as_bytes());
        if let Some(a) = arg {
            line.push(b' ');
            line.extend_from_slice(a);
        }
        self.log.sent(&line);
        line.extend_from_slice(b"\r\n");
        self.write_line(&line).await?;
        self.owed += 1;
        Ok(())
    }

    /// Abort what the server is doing and read every reply that belongs to
    /// it, whatever their order and timing, within `limit`: ABOR goes out at
    /// once, then [`ABORT_MARKER`]; see [`AbortTally`] for when the
    /// connection counts as back in step. An error (the deadline, a closed
    /// connection, a cancelled write) leaves the connection's state unknown:
    /// the caller reconnects.
    pub async fn abort_and_resync(&mut self, limit: Duration) -> Result<()> {
        if self.writing {
            return Err(FtpError::OutOfStep {
                addr: self.addr_text.clone(),
            });
        }
        let deadline = tokio::time::Instant::now() + limit;
        let mut tally = AbortTally::new(self.owed);
        self.send_now("ABOR").await?;
        self.send_now(ABORT_MARKER).await?;
        loop {
            let reply = match tokio::time::timeout_at(deadline, self.read_reply_untimed()).await {
                Ok(r) => r?,
                Err(_) => {
                    return Err(control_timeout(
                        "waiting for the replies to ABOR",
                        limit,
                        self.addr_text.clone(),
                    ));
                }
            };
            if tally.take(reply.code) {
                break;
            }
        }
        // No command is outstanding now, so a reply that has already
        // arrived belongs to the aborted exchange too.
        while let Ok(Some(extra)) = self.decoder.next_reply() {
            for line in &extra.lines {
                self.log.received(line);
            }
            self.log.status(format!(
                "Discarded an extra reply {} to the aborted transfer",
                extra.code
            ));
        }
        self.owed = 0;
        Ok(())
    }

    /// Send a command without first reading owed replies (ABOR and the
    /// marker after it go out while a transfer's reply is still pending).
    pub async fn send_now(&mut self, verb: &str) -> Result<()> {
        check_argument(verb.as_bytes())?;
        self.log.sent(verb.as_bytes());
        let line = format!("{verb}\r\n");
        self.write_line(line.as_bytes()).await?;
        self.owed += 1;
        Ok(())
    }

    async fn write_line(&mut self, line: &[u8]) -> Result<()> {
        let Some(stream) = self.stream.as_mut() else {
            return Err(FtpError::ControlClosed {
                addr: self.addr_text.clone(),
            });
        };
        self.writing = true;
        let write = async {
            stream.write_all(line).await?;
            stream.flush().await
        };
        match tokio::time::timeout(self.reply_timeout, write).await {
            Ok(Ok(())) => {
                self.writing = false;
                Ok(())
            }
            Ok(Err(source)) => Err(FtpError::Io {
                channel: Channel::Control,
                mode: ModeNote(None),
                source,
                hint: "the connection was lost — reconnect",
                addr: self.addr_text.clone(),
            }),
            Err(_) => Err(control_timeout(
                "sending a command",
                self.reply_timeout,
                self.addr_text.clone(),
            )),
        }
    }

    /// The next reply (preliminary 1xx ones included), within the reply deadline.
    pub async fn read_reply(&mut self) -> Result<Reply> {
        let limit = self.reply_timeout;
        match tokio::time::timeout(limit, self.read_reply_untimed()).await {
            Ok(r) => r,
            Err(_) => Err(control_timeout(
                "waiting for the server's reply",
                limit,
                self.addr_text.clone(),
            )),
        }
    }

    /// The next reply, with no deadline of its own. Cancellation-safe: all
    /// partial state lives in the decoder, so dropping this future loses no byte.
    pub async fn read_reply_untimed(&mut self) -> Result<Reply> {
        loop {
            match self.decoder.next_reply() {
                Ok(Some(reply)) => {
                    for line in &reply.lines {
                        self.log.received(line);
                    }
                    if !reply.is_preliminary() {
                        self.owed = self.owed.saturating_sub(1);
                    }
                    return Ok(reply);
                }
                Ok(None) => {}
                Err(e) => {
                    self.log.error(format!("Malformed reply: {e}"));
                    // Nothing after a framing error can be trusted.
                    self.stream = None;
                    return Err(FtpError::Protocol {
                        detail: e.to_string(),
                        addr: self.addr_text.clone(),
                    });
                }
            }
            let Some(stream) = self.stream.as_mut() else {
                return Err(FtpError::ControlClosed {
                    addr: self.addr_text.clone(),
                });
            };
            let n = stream
                .read(&mut self.buf)
                .await
                .map_err(|source| FtpError::Io {
                    channel: Channel::Control,
                    mode: ModeNote(None),
                    source,
                    hint: "the connection was lost — reconnect",
                    addr: self.addr_text.clone(),
                })?;
            if n == 0 {
                self.log.error("The server closed the control connection");
                self.stream = None;
                return Err(FtpError::ControlClosed {
                    addr: self.addr_text.clone(),
                });
            }
            self.decoder.feed(&self.buf[..n]);
        }
    }

    /// The final (non-1xx) reply to the last command.
    pub async fn final_reply(&mut self) -> Result<Reply> {
        loop {
            let r = self.read_reply().await?;
            if !r.is_preliminary() {
                return Ok(r);
            }
        }
    }

    /// Send a command and return its final reply, whatever the code.
    pub async fn command(&mut self, verb: &str, arg: Option<&[u8]>) -> Result<Reply> {
        self.send(verb, arg).await?;
        self.final_reply().await
    }

    /// Send two commands in one write and read both final replies, in
    /// order: one round trip instead of two. Only for commands that start
    /// no transfer, which every server answers one after the other.
    pub async fn command_pair(
        &mut self,
        first: (&str, Option<&[u8]>),
        then: (&str, Option<&[u8]>),
    ) -> Result<(Reply, Reply)> {
        self.settle().await?;
        let mut lines = Vec::new();
        for (verb, arg) in [first, then] {
            check_argument(verb.as_bytes())?;
            let start = lines.len();
            lines.extend_from_slice(verb.as_bytes());
            if let Some(a) = arg {
                check_argument(a)?;
                lines.push(b' ');
                lines.extend_from_slice(a);
            }
            self.log.sent(&lines[start..]);
            lines.extend_from_slice(b"\r\n");
        }
        self.write_line(&lines).await?;
        self.owed += 2;
        let a = self.final_reply().await?;
        let b = self.final_reply().await?;
        Ok((a, b))
    }

    /// Send several commands in one write without reading any reply: the
    /// first is usually a transfer command, the rest go ahead of their turn
    /// to a server that takes one command at a time (see
    /// `Session`'s pipelining), so their replies follow the transfer's.
    /// Each line is checked as [`Control::send`] checks one.
    pub async fn send_batch(&mut self, commands: &[(&str, Option<&[u8]>)]) -> Result<()> {
        for (verb, arg) in commands {
            check_argument(verb.as_bytes())?;
            if let Some(a) = arg {
                check_argument(a)?;
            }
        }
        self.settle().await?;
        let mut lines = Vec::new();
        for (verb, arg) in commands {
            let start = lines.len();
            lines.extend_from_slice(verb.as_bytes());
            if let Some(a) = arg {
                lines.push(b' ');
                lines.extend_from_slice(a);
            }
            self.log.sent(&lines[start..]);
            lines.extend_from_slice(b"\r\n");
        }
        self.write_line(&lines).await?;
        self.owed += commands.len();
        Ok(())
    }

    /// Send a command and require a 2xx reply.
    pub async fn expect_ok(&mut self, verb: &str, arg: Option<&[u8]>) -> Result<Reply> {
        let r = self.command(verb, arg).await?;
        if r.is_success() {
            Ok(r)
        } else {
            Err(refused(verb, arg, &r))
        }
    }

    /// Number of final replies still owed.
    pub fn owed(&self) -> usize {
        self.owed
    }

    /// Forget owed replies (after a NOOP round trip proved we are in step).
    pub fn mark_in_step(&mut self) {
        self.owed = 0;
    }

    /// Close the connection without QUIT.
    pub async fn close(&mut self) {
        if let Some(mut s) = self.stream.take() {
            let _ = tokio::time::timeout(Duration::from_secs(2), s.shutdown()).await;
        }
    }

    pub fn is_open(&self) -> bool {
        self.stream.is_some()
    }
}

/// The command sent right after ABOR. Its reply, `257`, is one no transfer
/// command and no ABOR ever gets, so it marks a point in the reply stream.
pub const ABORT_MARKER: &str = "PWD";
const MARKER_CODE: u16 = 257;

/// Counts the replies that arrive after ABOR, to tell when every reply
/// owed for the aborted exchange has been read.
///
/// Each command gets one final reply, except that servers differ around
/// ABOR: a transfer interrupted by ABOR gets 426 and ABOR 226 (RFC 959),
/// some send an extra 426 or 226, and servers that finish transfers on a
/// task of their own (libunftp) answer ABOR only once the data connection
/// is closed and may send the transfer's verdict after the marker's reply.
/// So the connection is back in step when both hold:
/// - the marker's 257 has arrived, so every reply sent in order before it
///   has been read (extras included);
/// - at least as many other final replies have arrived as were owed before
///   ABOR, plus one for ABOR itself, so a late transfer verdict is waited
///   for instead of being read later as the answer to the next command.
///
/// A server that never sends a reply owed here keeps the tally open until
/// the caller's deadline, and the caller reconnects rather than guess.
#[derive(Debug, Clone)]
pub struct AbortTally {
    owed: usize,
    finals: usize,
    marker: bool,
}

impl AbortTally {
    /// A tally for an ABOR sent while `owed_before` final replies were owed.
    pub fn new(owed_before: usize) -> AbortTally {
        AbortTally {
            owed: owed_before + 1,
            finals: 0,
            marker: false,
        }
    }

    /// Count one reply by its code; true once the connection is in step.
    pub fn take(&mut self, code: u16) -> bool {
        if (100..200).contains(&code) {
            // A preliminary reply ends nothing.
        } else if code == MARKER_CODE && !self.marker {
            self.marker = true;
        } else {
            self.finals += 1;
        }
        self.is_done()
    }

    pub fn is_done(&self) -> bool {
        self.marker && self.finals >= self.owed
    }
}

/// The error for a command the server refused.
pub fn refused(verb: &str, arg: Option<&[u8]>, r: &Reply) -> FtpError {
    let command = match arg {
        Some(a) if !verb.eq_ignore_ascii_case("PASS") && !verb.eq_ignore_ascii_case("ACCT") => {
            format!("{verb} {}", String::from_utf8_lossy(a))
        }
        _ => verb.to_string(),
    };
    FtpError::Reply {
        command,
        code: r.code,
        text: r.text(),
    }
}

fn control_timeout(what: &str, limit: Duration, addr: String) -> FtpError {
    FtpError::Timeout {
        channel: Channel::Control,
        what: what.to_string(),
        secs: limit.as_secs().max(1),
        mode: ModeNote(None),
        hint: "the server did not answer — check the host and port, or raise the timeout",
        addr,
    }
}

/// Turn a failed TLS handshake into an error in words, carrying the
/// server's certificate when the failure was about trusting it (so the user
/// can be asked).
pub(crate) fn tls_error(
    e: std::io::Error,
    tls: &TlsContext,
    channel: Channel,
    addr: &str,
) -> FtpError {
    let rustls_err = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .cloned();
    match (rustls_err, tls.verifier.seen()) {
        (Some(rustls::Error::InvalidCertificate(reason)), Some(cert)) => {
            FtpError::UntrustedCertificate {
                reason: certificate_problem(&reason, Some(&cert)),
                cert: Box::new(cert),
                addr: addr.to_string(),
            }
        }
        // The verifier's own refusal (a pinned fingerprint that differs).
        (Some(rustls::Error::General(reason)), Some(cert)) => FtpError::UntrustedCertificate {
            cert: Box::new(cert),
            reason,
            addr: addr.to_string(),
        },
        (Some(other), _) => FtpError::Tls {
            channel,
            detail: tls_problem(&other),
            addr: addr.to_string(),
        },
        (None, _) => FtpError::Tls {
            channel,
            detail: match e.kind() {
                std::io::ErrorKind::UnexpectedEof
                | std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::ConnectionAborted => {
                    "the server closed the connection during the handshake; check whether it wants explicit TLS (usually port 21) or implicit TLS (usually port 990)".to_string()
                }
                _ => e.to_string(),
            },
            addr: addr.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feed `codes` one by one; the index of the reply after which the
    /// tally is done, if it is.
    fn done_after(owed_before: usize, codes: &[u16]) -> Option<usize> {
        let mut tally = AbortTally::new(owed_before);
        codes.iter().position(|&c| tally.take(c))
    }

    #[test]
    fn the_tally_ends_on_the_marker_after_every_owed_reply_in_any_order() {
        // RFC 959: 426 for the transfer, 226 for ABOR, then the marker.
        assert_eq!(done_after(1, &[426, 226, 257]), Some(2));
        // The transfer had finished: its 226, then ABOR's 225.
        assert_eq!(done_after(1, &[226, 225, 257]), Some(2));
        // ABOR's reply before the transfer's.
        assert_eq!(done_after(1, &[226, 426, 257]), Some(2));
        // An extra reply before the marker: 226, 426, ABOR's 226.
        assert_eq!(done_after(1, &[226, 426, 226, 257]), Some(3));
        // A preliminary reply counts for nothing.
        assert_eq!(done_after(1, &[150, 426, 226, 257]), Some(3));
    }

    #[test]
    fn a_transfer_verdict_after_the_marker_is_waited_for() {
        // libunftp: ABOR's 226, the marker, then the transfer's late 226.
        assert_eq!(done_after(1, &[226, 257, 226]), Some(2));
        assert_eq!(done_after(1, &[257, 226, 226]), Some(2));
        // Only one of the two owed replies ever comes: never done, so the
        // caller's deadline ends it and it reconnects.
        assert_eq!(done_after(1, &[226, 257]), None);
        assert_eq!(done_after(1, &[]), None);
    }

    #[test]
    fn without_the_marker_the_tally_is_never_done() {
        assert_eq!(done_after(1, &[426, 226, 226, 226]), None);
        // A second 257 is an ordinary reply, not a second marker.
        assert_eq!(done_after(0, &[257, 257]), Some(1));
    }
}
