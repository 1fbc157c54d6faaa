//! A scripted fake FTP server, for behaviour no real server produces on demand: split or odd
//! replies, unreachable data ports, stalled transfers, and so on.
//!
//! [`FakeServer::start`] listens on `127.0.0.1:0`, accepts ONE control connection and runs the
//! [`Step`]s in order; [`FakeServer::start_sessions`] runs one script per connection, in turn,
//! for a client that reconnects. [`FakeServer::finish`] waits for the script to end and returns a
//! [`FakeReport`]; it panics if an [`Step::Expect`] did not match or a step failed.
//!
//! When the client closes the control connection while the script waits in [`Step::Expect`] (or
//! a control write fails because the client is gone), the fake records the command
//! [`CLIENT_CLOSED`] and ends the script without running the remaining steps; that is not a
//! failure, so tests can assert on it with `report.commands`.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::task::JoinHandle;

/// The command recorded when the client closed the control connection instead of sending one.
pub const CLIENT_CLOSED: &str = "client closed";

/// The line recorded in [`FakeReport::commands`] when the next script's connection is accepted.
pub const NEXT_CONNECTION: &str = "(next connection)";

/// How long [`FakeServer::finish`] waits for the script to end.
const FINISH_TIMEOUT: Duration = Duration::from_secs(10);

/// Delay between the writes of [`Step::SendChunks`].
const CHUNK_DELAY: Duration = Duration::from_millis(2);

/// How [`Step::Answer`] answers a command line: the reply, or `None` for a mismatch.
pub type Answerer = Box<dyn Fn(&str) -> Option<Vec<u8>> + Send>;

/// One action of a fake server script.
pub enum Step {
    /// Send these raw bytes on the control connection (e.g. greeting; may be partial lines).
    Send(Vec<u8>),
    /// Send raw bytes in separate writes with ~2 ms between them, to split replies at arbitrary
    /// byte boundaries.
    SendChunks(Vec<Vec<u8>>),
    /// Read one command line (up to LF; the CRLF is stripped) and check that it starts with this
    /// prefix, ignoring ASCII case. A mismatch is recorded, printed, and ends the script (the
    /// connection is closed); [`FakeServer::finish`] then panics. If the client closed the
    /// connection instead, [`CLIENT_CLOSED`] is recorded and the script ends without failure.
    Expect(String),
    /// Open a data listener on `127.0.0.1:0` and reply
    /// `227 Entering Passive Mode (h1,h2,h3,h4,p1,p2).` naming `advertised_host` and the
    /// listener's real port. The next `DataSend`/`DataRecv`/`DataSendAndHold` accepts on it.
    ///
    /// Only advertise loopback addresses unless the client is known to ignore the host: this
    /// machine must not send traffic to any other address.
    PasvReply {
        /// The IPv4 address written into the 227 reply.
        advertised_host: [u8; 4],
    },
    /// Open a data listener on `127.0.0.1:0` and reply
    /// `229 Entering Extended Passive Mode (|||port|)`. The next `DataSend`/`DataRecv`/
    /// `DataSendAndHold` accepts on it.
    EpsvReply,
    /// Reply `229 Entering Extended Passive Mode (|||port|)` for a port where a TCP connect
    /// hangs (SYNs are silently dropped) instead of being refused: a listener with a backlog of 0
    /// whose accept queue the fake has filled with its own connections. The client's connect
    /// hangs for as long as the kernel retries SYNs (about two minutes with default settings).
    EpsvReplyBlackhole,
    /// Like [`Step::EpsvReplyBlackhole`], as a `227` PASV reply naming 127.0.0.1.
    PasvReplyBlackhole,
    /// Accept the data connection on the last listener, send these bytes, and close it.
    DataSend(Vec<u8>),
    /// Accept the data connection on the last listener, read until EOF, and store the bytes in
    /// [`FakeReport::uploaded`].
    DataRecv,
    /// Accept the data connection on the last listener, send these bytes, then keep it open
    /// without sending more (until [`Step::CloseData`] or the end of the script).
    DataSendAndHold(Vec<u8>),
    /// Active mode: connect to the address of the last `PORT`/`EPRT` command the client sent (as
    /// read by a previous [`Step::Expect`]), send these bytes, and close. Only loopback
    /// addresses are connected to.
    ActiveConnectSend(Vec<u8>),
    /// Active mode: like [`Step::ActiveConnectSend`], but read until EOF and store the bytes in
    /// [`FakeReport::uploaded`].
    ActiveConnectRecv,
    /// Active mode: connect to the client's data port from ANOTHER loopback
    /// address (127.0.0.2), send "EVIL", and require the client to close
    /// that connection within 3 s (it must accept only the server's address).
    ActiveIntruder,
    /// Close the held data connection (if any).
    CloseData,
    /// Accept the data connection on the last listener and read it in the background, keeping
    /// what arrives, until the client closes it (an upload the client may cancel). The bytes
    /// are stored in [`FakeReport::uploaded`] when [`Step::WaitDataClosed`] runs.
    DataDrain,
    /// Wait until the client has closed the data connection of [`Step::DataDrain`] or
    /// [`Step::DataSendAndHold`]: a server that answers ABOR only after that.
    WaitDataClosed,
    /// Read one command line and answer it with what the function returns for it (the
    /// command, without CRLF); `None` is a mismatch that ends the script like [`Step::Expect`].
    Answer(Answerer),
    /// Sleep.
    Sleep(Duration),
    /// Read until the client closes the control connection. Complete lines received meanwhile
    /// are recorded in [`FakeReport::commands`] (without checking them).
    Hold,
}

impl fmt::Debug for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        match self {
            Step::Send(b) => write!(f, "Send({:?})", text(b)),
            Step::SendChunks(c) => {
                let chunks: Vec<String> = c.iter().map(|b| text(b)).collect();
                write!(f, "SendChunks({chunks:?})")
            }
            Step::Expect(p) => write!(f, "Expect({p:?})"),
            Step::PasvReply { advertised_host } => {
                write!(f, "PasvReply {{ advertised_host: {advertised_host:?} }}")
            }
            Step::EpsvReply => write!(f, "EpsvReply"),
            Step::EpsvReplyBlackhole => write!(f, "EpsvReplyBlackhole"),
            Step::PasvReplyBlackhole => write!(f, "PasvReplyBlackhole"),
            Step::DataSend(b) => write!(f, "DataSend({} bytes)", b.len()),
            Step::DataRecv => write!(f, "DataRecv"),
            Step::DataSendAndHold(b) => write!(f, "DataSendAndHold({} bytes)", b.len()),
            Step::ActiveConnectSend(b) => write!(f, "ActiveConnectSend({} bytes)", b.len()),
            Step::ActiveConnectRecv => write!(f, "ActiveConnectRecv"),
            Step::ActiveIntruder => write!(f, "ActiveIntruder"),
            Step::CloseData => write!(f, "CloseData"),
            Step::DataDrain => write!(f, "DataDrain"),
            Step::WaitDataClosed => write!(f, "WaitDataClosed"),
            Step::Answer(_) => write!(f, "Answer(..)"),
            Step::Sleep(d) => write!(f, "Sleep({d:?})"),
            Step::Hold => write!(f, "Hold"),
        }
    }
}

/// The standard opening: greeting, `USER` → 331, `PASS` → 230, `FEAT` → 211 (EPSV, PASV, UTF8),
/// `OPTS UTF8 ON` → 200.
pub fn login_script() -> Vec<Step> {
    vec![
        Step::Send(b"220 fake ready\r\n".to_vec()),
        Step::Expect("USER".into()),
        Step::Send(b"331 ok\r\n".to_vec()),
        Step::Expect("PASS".into()),
        Step::Send(b"230 logged in\r\n".to_vec()),
        Step::Expect("FEAT".into()),
        Step::Send(b"211-Features:\r\n EPSV\r\n PASV\r\n UTF8\r\n211 End\r\n".to_vec()),
        Step::Expect("OPTS UTF8 ON".into()),
        Step::Send(b"200 ok\r\n".to_vec()),
    ]
}

/// What the engine's browsing connection sends before its first listing:
/// [`login_script`], then `PWD` → `257 "/"` and `TYPE I` → `200`.
pub fn engine_open_script() -> Vec<Step> {
    let mut steps = login_script();
    steps.extend([
        Step::Expect("PWD".into()),
        Step::Send(b"257 \"/\"\r\n".to_vec()),
        Step::Expect("TYPE I".into()),
        Step::Send(b"200 ok\r\n".to_vec()),
    ]);
    steps
}

/// An EPSV whose port hangs, then PORT and a LIST the fake serves by
/// connecting back with `listing`: what auto mode does when passive data
/// connections are blocked.
pub fn passive_blocked_active_listing(listing: &[u8]) -> Vec<Step> {
    vec![
        Step::Expect("EPSV".into()),
        Step::EpsvReplyBlackhole,
        Step::Expect("PORT 127,0,0,1,".into()),
        Step::Send(b"200 PORT ok\r\n".to_vec()),
        Step::Expect("LIST".into()),
        Step::Send(b"150 here\r\n".to_vec()),
        Step::ActiveConnectSend(listing.to_vec()),
        Step::Send(b"226 done\r\n".to_vec()),
    ]
}

/// A script built from the steps most scripts share: a logged-in binary
/// session, commands with one-line replies, passive transfers.
/// `Script::binary_session().sends("RETR /a", b"hi".to_vec()).hold()`.
#[derive(Debug)]
pub struct Script(Vec<Step>);

impl Script {
    /// [`login_script`], then `TYPE I` → 200: how a transfer session starts.
    pub fn binary_session() -> Script {
        Script(login_script()).reply("TYPE I", "200 ok")
    }

    /// Expect a command starting with `command`; answer the line `reply`.
    pub fn reply(mut self, command: &str, reply: &str) -> Script {
        self.0.push(Step::Expect(command.into()));
        self.0.push(Step::Send(format!("{reply}\r\n").into_bytes()));
        self
    }

    /// `EPSV` answered, then `command` (`RETR …`, `STOR …`, `LIST …`)
    /// answered with 150; the data connection is the caller's next step.
    pub fn passive(mut self, command: &str) -> Script {
        self.0
            .extend([Step::Expect("EPSV".into()), Step::EpsvReply]);
        self.reply(command, "150 here")
    }

    /// A whole passive download or listing: `command`, `data` sent, 226.
    pub fn sends(mut self, command: &str, data: Vec<u8>) -> Script {
        self = self.passive(command);
        self.0.push(Step::DataSend(data));
        self.0.push(Step::Send(b"226 done\r\n".to_vec()));
        self
    }

    /// A whole passive upload: `command` (`STOR …`), every byte read, 226.
    pub fn receives(mut self, command: &str) -> Script {
        self = self.passive(command);
        self.0.push(Step::DataRecv);
        self.0.push(Step::Send(b"226 done\r\n".to_vec()));
        self
    }

    /// Any other steps.
    pub fn then(mut self, steps: impl IntoIterator<Item = Step>) -> Script {
        self.0.extend(steps);
        self
    }

    /// The script as it is.
    pub fn steps(self) -> Vec<Step> {
        self.0
    }

    /// The script, then [`Step::Hold`] until the client hangs up.
    pub fn hold(self) -> Vec<Step> {
        self.then([Step::Hold]).0
    }
}

/// What happened during a fake server's script.
#[derive(Debug, Default, Clone)]
pub struct FakeReport {
    /// Every command line received on the control connection, without CRLF, in order
    /// ([`CLIENT_CLOSED`] if the client hung up while a command was expected).
    pub commands: Vec<String>,
    /// The bytes received on each data connection by `DataRecv`/`ActiveConnectRecv`, in order.
    pub uploaded: Vec<Vec<u8>>,
}

/// A running scripted fake server (see the module docs).
pub struct FakeServer {
    /// The control-connection address (`127.0.0.1:<port>`).
    pub addr: SocketAddr,
    record: Arc<Mutex<Record>>,
    task: Option<JoinHandle<()>>,
}

impl FakeServer {
    /// Binds `127.0.0.1:0` and starts running `script` for the first connection. Must be called
    /// within a tokio runtime.
    pub async fn start(script: Vec<Step>) -> FakeServer {
        FakeServer::start_sessions(vec![script]).await
    }

    /// Like [`FakeServer::start`], for a client that reconnects: the first script runs for the
    /// first connection, and once it has ended the next is accepted and runs the next script.
    /// [`FakeReport::commands`] holds the commands of all of them, each connection after the
    /// first opened by the line [`NEXT_CONNECTION`].
    pub async fn start_sessions(scripts: Vec<Vec<Step>>) -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake server's control listener on 127.0.0.1:0");
        let addr = listener
            .local_addr()
            .expect("fake control listener address");
        let record = Arc::new(Mutex::new(Record::default()));
        let task = tokio::spawn(run_all(listener, scripts, Arc::clone(&record)));
        FakeServer {
            addr,
            record,
            task: Some(task),
        }
    }

    /// Waits (at most 10 s) for the script to finish and returns what happened.
    ///
    /// Drop the client (or let it close the connection) first if the script ends with
    /// [`Step::Hold`].
    ///
    /// # Panics
    /// If an `Expect` mismatched, a step failed (e.g. a data connection error), or the script did
    /// not finish in time; the message names the step and lists the commands received.
    pub async fn finish(mut self) -> FakeReport {
        let mut task = self.task.take().expect("finish is only called once");
        let finished = tokio::time::timeout(FINISH_TIMEOUT, &mut task).await;
        if finished.is_err() {
            task.abort();
        }
        let record = lock(&self.record).clone();
        match finished {
            Err(_) => panic!(
                "fake FTP server: script did not finish within {FINISH_TIMEOUT:?}; stuck at step {}; \
                 failures: {:?}; commands received: {:?}",
                record.current_step, record.failures, record.commands
            ),
            Ok(Err(e)) => panic!(
                "fake FTP server task failed: {e}; commands: {:?}",
                record.commands
            ),
            Ok(Ok(())) => {}
        }
        if !record.failures.is_empty() {
            panic!(
                "fake FTP server script failed:\n  {}\ncommands received: {:?}",
                record.failures.join("\n  "),
                record.commands
            );
        }
        FakeReport {
            commands: record.commands,
            uploaded: record.uploaded,
        }
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// State shared between the script task and [`FakeServer::finish`].
#[derive(Debug, Default, Clone)]
struct Record {
    commands: Vec<String>,
    uploaded: Vec<Vec<u8>>,
    failures: Vec<String>,
    /// "N (Step)" for the step being run, for timeout messages.
    current_step: String,
}

fn lock(record: &Mutex<Record>) -> MutexGuard<'_, Record> {
    record
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Why a step ended the script early.
enum Stop {
    /// The client closed the control connection (not a failure).
    ClientClosed,
    /// A mismatch or error, already described in the message.
    Failed(String),
}

/// The script interpreter's state for one control connection.
struct Session {
    control: TcpStream,
    /// Bytes read from the control connection but not yet consumed as a line.
    inbuf: Vec<u8>,
    /// The listener announced by the last PASV/EPSV reply, awaiting its data connection.
    data_listener: Option<TcpListener>,
    /// The connection kept open by `DataSendAndHold`.
    held_data: Option<TcpStream>,
    /// The background reader of `DataDrain`, which returns what it read.
    draining: Option<JoinHandle<std::io::Result<Vec<u8>>>>,
    /// Listeners and filler connections of `EpsvReplyBlackhole`, kept alive until the end.
    blackholes: Vec<(TcpListener, Vec<TcpStream>)>,
    /// The last `PORT`/`EPRT` command line read by `Expect`.
    last_port_command: Option<String>,
    record: Arc<Mutex<Record>>,
}

async fn run_all(listener: TcpListener, scripts: Vec<Vec<Step>>, record: Arc<Mutex<Record>>) {
    for (i, script) in scripts.into_iter().enumerate() {
        if i > 0 {
            if !lock(&record).failures.is_empty() {
                return;
            }
            lock(&record).commands.push(NEXT_CONNECTION.to_string());
        }
        run(&listener, script, Arc::clone(&record)).await;
    }
}

async fn run(listener: &TcpListener, script: Vec<Step>, record: Arc<Mutex<Record>>) {
    lock(&record).current_step = "accept (waiting for the client to connect)".into();
    let control = match listener.accept().await {
        Ok((stream, _)) => stream,
        Err(e) => {
            lock(&record)
                .failures
                .push(format!("accepting the control connection: {e}"));
            return;
        }
    };
    // Small writes (SendChunks) must leave as separate segments.
    let _ = control.set_nodelay(true);
    let mut session = Session {
        control,
        inbuf: Vec::new(),
        data_listener: None,
        held_data: None,
        draining: None,
        blackholes: Vec::new(),
        last_port_command: None,
        record: Arc::clone(&record),
    };
    for (index, step) in script.into_iter().enumerate() {
        lock(&record).current_step = format!("{index} ({step:?})");
        match session.step(step).await {
            Ok(()) => {}
            Err(Stop::ClientClosed) => {
                lock(&record).commands.push(CLIENT_CLOSED.to_string());
                break;
            }
            Err(Stop::Failed(msg)) => {
                let msg = format!("step {index}: {msg}");
                eprintln!("fake FTP server: {msg}");
                lock(&record).failures.push(msg);
                break;
            }
        }
    }
    lock(&record).current_step = "finished".into();
}

impl Session {
    async fn step(&mut self, step: Step) -> Result<(), Stop> {
        match step {
            Step::Send(bytes) => self.send(&bytes).await,
            Step::SendChunks(chunks) => {
                for (i, chunk) in chunks.iter().enumerate() {
                    if i > 0 {
                        tokio::time::sleep(CHUNK_DELAY).await;
                    }
                    self.send(chunk).await?;
                }
                Ok(())
            }
            Step::Expect(prefix) => {
                let line = self.read_line().await?.ok_or(Stop::ClientClosed)?;
                lock(&self.record).commands.push(line.clone());
                let matches = line
                    .get(..prefix.len())
                    .is_some_and(|head| head.eq_ignore_ascii_case(&prefix));
                if parse_port_or_eprt(&line).is_some() {
                    self.last_port_command = Some(line.clone());
                }
                if matches {
                    Ok(())
                } else {
                    Err(Stop::Failed(format!(
                        "expected a command starting with {prefix:?}, got {line:?}"
                    )))
                }
            }
            Step::PasvReply { advertised_host } => {
                let port = self.open_data_listener().await?;
                let [h1, h2, h3, h4] = advertised_host;
                let reply = format!(
                    "227 Entering Passive Mode ({h1},{h2},{h3},{h4},{},{}).\r\n",
                    port >> 8,
                    port & 0xff
                );
                self.send(reply.as_bytes()).await
            }
            Step::EpsvReply => {
                let port = self.open_data_listener().await?;
                self.send(format!("229 Entering Extended Passive Mode (|||{port}|)\r\n").as_bytes())
                    .await
            }
            Step::EpsvReplyBlackhole => {
                let port = self.open_blackhole().await?;
                self.send(format!("229 Entering Extended Passive Mode (|||{port}|)\r\n").as_bytes())
                    .await
            }
            Step::PasvReplyBlackhole => {
                let port = self.open_blackhole().await?;
                let reply = format!(
                    "227 Entering Passive Mode (127,0,0,1,{},{}).\r\n",
                    port >> 8,
                    port & 0xff
                );
                self.send(reply.as_bytes()).await
            }
            Step::DataSend(bytes) => {
                let mut data = self.accept_data().await?;
                data.write_all(&bytes)
                    .await
                    .map_err(fail("DataSend: writing"))?;
                data.shutdown().await.map_err(fail("DataSend: closing"))
            }
            Step::DataRecv => {
                let mut data = self.accept_data().await?;
                let mut received = Vec::new();
                data.read_to_end(&mut received)
                    .await
                    .map_err(fail("DataRecv: reading"))?;
                lock(&self.record).uploaded.push(received);
                Ok(())
            }
            Step::DataSendAndHold(bytes) => {
                let mut data = self.accept_data().await?;
                data.write_all(&bytes)
                    .await
                    .map_err(fail("DataSendAndHold: writing"))?;
                self.held_data = Some(data);
                Ok(())
            }
            Step::ActiveConnectSend(bytes) => {
                let mut data = self.connect_active().await?;
                data.write_all(&bytes)
                    .await
                    .map_err(fail("ActiveConnectSend: writing"))?;
                data.shutdown()
                    .await
                    .map_err(fail("ActiveConnectSend: closing"))
            }
            Step::ActiveConnectRecv => {
                let mut data = self.connect_active().await?;
                let mut received = Vec::new();
                data.read_to_end(&mut received)
                    .await
                    .map_err(fail("ActiveConnectRecv: reading"))?;
                lock(&self.record).uploaded.push(received);
                Ok(())
            }
            Step::ActiveIntruder => {
                let addr = self
                    .last_port_command
                    .as_deref()
                    .and_then(parse_port_or_eprt)
                    .ok_or_else(|| {
                        Stop::Failed("no valid PORT/EPRT command was received".into())
                    })?;
                let socket =
                    tokio::net::TcpSocket::new_v4().map_err(fail("ActiveIntruder: socket"))?;
                socket
                    .bind("127.0.0.2:0".parse().expect("a literal address"))
                    .map_err(fail("ActiveIntruder: binding 127.0.0.2"))?;
                let mut data = socket
                    .connect(addr)
                    .await
                    .map_err(fail("ActiveIntruder: connecting"))?;
                let _ = data.write_all(b"EVIL").await;
                let mut buf = [0u8; 16];
                match tokio::time::timeout(Duration::from_secs(3), data.read(&mut buf)).await {
                    Ok(_) => Ok(()),
                    Err(_) => Err(Stop::Failed(
                        "the client kept a data connection from 127.0.0.2 open".into(),
                    )),
                }
            }
            Step::CloseData => {
                if let Some(mut data) = self.held_data.take() {
                    // The peer may already have closed it; either way it is gone afterwards.
                    let _ = data.shutdown().await;
                }
                Ok(())
            }
            Step::DataDrain => {
                let mut data = self.accept_data().await?;
                self.draining = Some(tokio::spawn(async move {
                    let mut received = Vec::new();
                    match data.read_to_end(&mut received).await {
                        Ok(_) => Ok(received),
                        // A client that resets the connection has closed it too.
                        Err(e) if is_disconnect(&e) => Ok(received),
                        Err(e) => Err(e),
                    }
                }));
                Ok(())
            }
            Step::WaitDataClosed => {
                if let Some(reader) = self.draining.take() {
                    let received = reader
                        .await
                        .map_err(|e| Stop::Failed(format!("WaitDataClosed: reader task: {e}")))?
                        .map_err(fail("WaitDataClosed: reading"))?;
                    lock(&self.record).uploaded.push(received);
                    return Ok(());
                }
                let Some(mut data) = self.held_data.take() else {
                    return Err(Stop::Failed(
                        "WaitDataClosed: no data connection (use DataDrain or DataSendAndHold)"
                            .into(),
                    ));
                };
                let mut buf = [0u8; 4096];
                loop {
                    match data.read(&mut buf).await {
                        Ok(0) => return Ok(()),
                        Ok(_) => {}
                        Err(e) if is_disconnect(&e) => return Ok(()),
                        Err(e) => return Err(fail("WaitDataClosed: reading")(e)),
                    }
                }
            }
            Step::Answer(answer) => {
                let line = self.read_line().await?.ok_or(Stop::ClientClosed)?;
                lock(&self.record).commands.push(line.clone());
                match answer(&line) {
                    Some(reply) => self.send(&reply).await,
                    None => Err(Stop::Failed(format!("Answer: unexpected command {line:?}"))),
                }
            }
            Step::Sleep(duration) => {
                tokio::time::sleep(duration).await;
                Ok(())
            }
            Step::Hold => {
                while let Some(line) = self.read_line().await? {
                    lock(&self.record).commands.push(line);
                }
                Ok(())
            }
        }
    }

    /// Writes to the control connection; a peer that has gone away counts as "client closed".
    async fn send(&mut self, bytes: &[u8]) -> Result<(), Stop> {
        match self.control.write_all(bytes).await {
            Ok(()) => Ok(()),
            Err(e) if is_disconnect(&e) => Err(Stop::ClientClosed),
            Err(e) => Err(Stop::Failed(format!(
                "writing to the control connection: {e}"
            ))),
        }
    }

    /// Reads one line (through LF; CR/LF stripped). `None` when the client closed the
    /// connection (a trailing partial line is recorded as a command first).
    async fn read_line(&mut self) -> Result<Option<String>, Stop> {
        loop {
            if let Some(pos) = self.inbuf.iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = self.inbuf.drain(..=pos).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(Some(String::from_utf8_lossy(&line).into_owned()));
            }
            let mut buf = [0u8; 4096];
            match self.control.read(&mut buf).await {
                Ok(0) => {
                    if !self.inbuf.is_empty() {
                        let partial = String::from_utf8_lossy(&self.inbuf).into_owned();
                        self.inbuf.clear();
                        lock(&self.record)
                            .commands
                            .push(format!("{partial} (unterminated)"));
                    }
                    return Ok(None);
                }
                Ok(n) => self.inbuf.extend_from_slice(&buf[..n]),
                Err(e) if is_disconnect(&e) => return Ok(None),
                Err(e) => return Err(Stop::Failed(format!("reading the control connection: {e}"))),
            }
        }
    }

    /// A port where connects hang (see [`Step::EpsvReplyBlackhole`]), kept
    /// open until the script ends.
    async fn open_blackhole(&mut self) -> Result<u16, Stop> {
        let (listener, fillers) = blackhole_listener().await.map_err(Stop::Failed)?;
        let port = listener
            .local_addr()
            .map_err(fail("blackhole address"))?
            .port();
        self.blackholes.push((listener, fillers));
        Ok(port)
    }

    async fn open_data_listener(&mut self) -> Result<u16, Stop> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(fail("binding a data listener"))?;
        let port = listener
            .local_addr()
            .map_err(fail("data listener address"))?
            .port();
        self.data_listener = Some(listener);
        Ok(port)
    }

    async fn accept_data(&mut self) -> Result<TcpStream, Stop> {
        let listener = self.data_listener.take().ok_or_else(|| {
            Stop::Failed("no data listener: use PasvReply/EpsvReply before a Data* step".into())
        })?;
        let (stream, _) = listener
            .accept()
            .await
            .map_err(fail("accepting the data connection"))?;
        Ok(stream)
    }

    async fn connect_active(&mut self) -> Result<TcpStream, Stop> {
        let addr = self
            .last_port_command
            .as_deref()
            .and_then(parse_port_or_eprt)
            .ok_or_else(|| Stop::Failed("no valid PORT/EPRT command was received".into()))?;
        if !addr.ip().is_loopback() {
            return Err(Stop::Failed(format!(
                "refusing to connect to non-loopback active-mode address {addr}"
            )));
        }
        TcpStream::connect(addr).await.map_err(fail(&format!(
            "connecting to the client's data port {addr}"
        )))
    }
}

/// Makes a `map_err` closure that turns an I/O error into a failure described by `what`.
fn fail(what: &str) -> impl FnOnce(std::io::Error) -> Stop + '_ {
    move |e| Stop::Failed(format!("{what}: {e}"))
}

fn is_disconnect(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(e.kind(), BrokenPipe | ConnectionReset | ConnectionAborted)
}

/// Parses `PORT h1,h2,h3,h4,p1,p2` or `EPRT <d>1<d>addr<d>port<d>`.
fn parse_port_or_eprt(command: &str) -> Option<SocketAddr> {
    let (verb, args) = command.split_once(' ')?;
    let args = args.trim();
    if verb.eq_ignore_ascii_case("PORT") {
        let n: Vec<u8> = args
            .split(',')
            .map(|x| x.trim().parse::<u8>())
            .collect::<Result<_, _>>()
            .ok()?;
        let [h1, h2, h3, h4, p1, p2] = n[..] else {
            return None;
        };
        let port = u16::from(p1) << 8 | u16::from(p2);
        Some(SocketAddr::from((Ipv4Addr::new(h1, h2, h3, h4), port)))
    } else if verb.eq_ignore_ascii_case("EPRT") {
        let delim = args.chars().next()?;
        let mut fields = args.split(delim).skip(1);
        let (_proto, host, port) = (fields.next()?, fields.next()?, fields.next()?);
        Some(SocketAddr::new(host.parse().ok()?, port.parse().ok()?))
    } else {
        None
    }
}

/// A listener on `127.0.0.1:0` to which new connections hang in SYN-SENT.
///
/// Linux drops (rather than refuses) incoming SYNs while a listener's accept queue is full
/// (`net.ipv4.tcp_abort_on_overflow` = 0, the default). With a backlog of 0 the queue holds one
/// connection, so the fake connects to it itself until a connect stops completing, and keeps
/// those filler connections unaccepted. Further connects get no SYN-ACK and the kernel keeps
/// retransmitting the SYN (about two minutes by default) until the client gives up.
async fn blackhole_listener() -> Result<(TcpListener, Vec<TcpStream>), String> {
    let socket = TcpSocket::new_v4().map_err(|e| format!("blackhole socket: {e}"))?;
    socket
        .bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .map_err(|e| format!("blackhole bind: {e}"))?;
    let listener = socket
        .listen(0)
        .map_err(|e| format!("blackhole listen: {e}"))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("blackhole address: {e}"))?;
    let mut fillers = Vec::new();
    for _ in 0..16 {
        match tokio::time::timeout(Duration::from_millis(200), TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => fillers.push(stream),
            Ok(Err(e)) => return Err(format!("blackhole filler connect failed: {e}")),
            // This connect got no answer: the accept queue is full.
            Err(_) => return Ok((listener, fillers)),
        }
    }
    Err("could not fill the blackhole listener's accept queue".into())
}
