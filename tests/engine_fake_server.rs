//! The protocol engine against a scripted fake server, for what no real
//! server does on request: odd replies, blocked data ports, ABOR orderings,
//! endless replies, and hostile arguments.

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ferry::ftp::log::{LogLine, SharedLog, null_log};
use ferry::ftp::{Channel, ConnectOptions, DataMode, FtpError, Session, Timeouts};
use support::fake::{FakeServer, NEXT_CONNECTION, Step, login_script};

fn options(fake: &FakeServer, mode: DataMode) -> ConnectOptions {
    let mut o = ConnectOptions::new("127.0.0.1", fake.addr.port(), "user", "pw");
    o.mode = mode;
    o.timeouts = Timeouts {
        connect: Duration::from_secs(5),
        reply: Duration::from_secs(5),
        data_connect: Duration::from_secs(2),
        data_idle: Duration::from_secs(5),
    };
    o
}

fn capture_log() -> (SharedLog, Arc<Mutex<Vec<String>>>) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    let log: SharedLog = Arc::new(move |l: LogLine| sink.lock().unwrap().push(l.text));
    (log, lines)
}

fn send(s: &str) -> Step {
    Step::Send(s.as_bytes().to_vec())
}

fn expect(s: &str) -> Step {
    Step::Expect(s.to_string())
}

fn script(extra: Vec<Step>) -> Vec<Step> {
    let mut steps = login_script();
    steps.extend(extra);
    steps
}

const LISTING: &[u8] =
    b"-rw-r--r-- 1 u g 5 Jan  1  2024 a.txt\r\ndrwxr-xr-x 2 u g 0 Jan  1  2024 sub\r\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pasv_naming_another_host_connects_to_the_control_peer_and_says_so() {
    let fake = FakeServer::start(script(vec![
        expect("TYPE I"),
        send("200 ok\r\n"),
        expect("EPSV"),
        send("500 EPSV not understood\r\n"),
        expect("PASV"),
        Step::PasvReply {
            advertised_host: [127, 0, 0, 2],
        },
        expect("LIST"),
        send("150 here it comes\r\n"),
        Step::DataSend(LISTING.to_vec()),
        send("226 done\r\n"),
        Step::Hold,
    ]))
    .await;
    let (log, lines) = capture_log();
    let mut s = Session::connect(options(&fake, DataMode::Passive), log)
        .await
        .unwrap();
    let entries = s.list(None).await.unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[1].name, b"sub");
    let lines = lines.lock().unwrap();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("named 127.0.0.2") && l.contains("127.0.0.1 instead")),
        "the log must say the PASV host was replaced: {lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.contains("EPSV refused")),
        "{lines:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passive_data_port_that_never_answers_fails_within_the_deadline_naming_the_data_channel()
{
    let fake = FakeServer::start(script(vec![
        expect("TYPE I"),
        send("200 ok\r\n"),
        expect("EPSV"),
        Step::EpsvReplyBlackhole,
        Step::Hold,
    ]))
    .await;
    let mut s = Session::connect(options(&fake, DataMode::Passive), null_log())
        .await
        .unwrap();
    let started = Instant::now();
    let err = s.list(None).await.unwrap_err();
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(2) && waited < Duration::from_secs(4),
        "waited {waited:?}"
    );
    let FtpError::Timeout { channel, mode, .. } = &err else {
        panic!("expected a timeout, got: {err}");
    };
    assert_eq!(*channel, Channel::Data);
    assert_eq!(mode.0, Some(DataMode::Passive));
    let text = err.to_string();
    assert!(
        text.starts_with("data connection timed out after 2 s"),
        "{text}"
    );
    assert!(
        text.contains("(passive)") && text.contains("try Active mode"),
        "{text}"
    );
    assert_eq!(err.failed_data_mode(), Some(DataMode::Passive));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_active_data_connection_the_server_never_opens_fails_suggesting_passive() {
    let fake = FakeServer::start(script(vec![
        expect("TYPE I"),
        send("200 ok\r\n"),
        expect("PORT 127,0,0,1,"),
        send("200 PORT ok\r\n"),
        expect("LIST"),
        send("150 connecting\r\n"),
        Step::Hold,
    ]))
    .await;
    let mut s = Session::connect(options(&fake, DataMode::Active), null_log())
        .await
        .unwrap();
    let started = Instant::now();
    let err = s.list(None).await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "waited {:?}",
        started.elapsed()
    );
    let text = err.to_string();
    assert!(
        text.starts_with(
            "data connection timed out after 2 s waiting for the server to connect (active)"
        ),
        "{text}"
    );
    assert!(text.contains("try Passive mode"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn active_mode_listing_through_port_works() {
    let fake = FakeServer::start(script(vec![
        expect("TYPE I"),
        send("200 ok\r\n"),
        expect("PORT "),
        send("200 PORT ok\r\n"),
        expect("LIST"),
        send("150 connecting\r\n"),
        Step::ActiveConnectSend(LISTING.to_vec()),
        send("226 done\r\n"),
        Step::Hold,
    ]))
    .await;
    let mut s = Session::connect(options(&fake, DataMode::Active), null_log())
        .await
        .unwrap();
    let entries = s.list(None).await.unwrap();
    assert_eq!(entries.len(), 2);
}

/// The client's probe after ABOR, answered as a server answers it: a NOOP
/// or the PWD marker, whichever the client sends.
fn probe() -> Step {
    Step::Answer(Box::new(|line| match line.to_ascii_uppercase().as_str() {
        "NOOP" => Some(b"200 NOOP ok\r\n".to_vec()),
        "PWD" => Some(b"257 \"/\" is the current directory\r\n".to_vec()),
        _ => None,
    }))
}

/// The size of the test upload, and how far it gets before it is cancelled.
const UPLOAD_LEN: usize = 4 << 20;
const CANCEL_AT: u64 = 1 << 20;

/// Login and an upload of big.bin that the client cancels midway (the fake
/// keeps reading the data connection until the client closes it), up to
/// the client's ABOR.
fn upload_until_abor() -> Vec<Step> {
    script(vec![
        expect("TYPE I"),
        send("200 ok\r\n"),
        expect("EPSV"),
        Step::EpsvReply,
        expect("STOR big.bin"),
        send("150 go ahead\r\n"),
        Step::DataDrain,
        expect("ABOR"),
    ])
}

/// What a session in step gets next: SIZE answered with the size, NOOP with 200.
fn in_step() -> Vec<Step> {
    vec![
        expect("SIZE big.bin"),
        send("213 1234567\r\n"),
        expect("NOOP"),
        send("200 still here\r\n"),
        Step::Hold,
    ]
}

/// Upload big.bin and cancel it once `CANCEL_AT` bytes have gone; the
/// upload's error.
async fn cancel_an_upload(s: &mut Session) -> FtpError {
    let (cancel, watch) = tokio::sync::watch::channel(false);
    s.set_cancel(Some(watch));
    let source = support::random_bytes(UPLOAD_LEN, 11);
    let mut input = tokio::io::BufReader::with_capacity(64 * 1024, &source[..]);
    let err = s
        .upload(&mut input, "big.bin", 0, false, &mut |n| {
            if n >= CANCEL_AT {
                let _ = cancel.send(true);
            }
        })
        .await
        .unwrap_err();
    s.set_cancel(None);
    err
}

/// An upload cancelled midway, the server answering ABOR with `answer`:
/// afterwards SIZE gets its own reply and so does the next command.
async fn cancelled_upload_then_in_step(answer: Vec<Step>) {
    let mut steps = upload_until_abor();
    steps.extend(answer);
    steps.extend(in_step());
    let fake = FakeServer::start(steps).await;
    let mut s = Session::connect(options(&fake, DataMode::Passive), null_log())
        .await
        .unwrap();
    let err = cancel_an_upload(&mut s).await;
    assert!(matches!(err, FtpError::Cancelled), "{err}");
    assert_eq!(s.size("big.bin").await.unwrap(), 1_234_567);
    s.noop().await.unwrap();
    drop(s);
    let report = fake.finish().await;
    let got = report.uploaded[0].len() as u64;
    assert!(
        (CANCEL_AT..UPLOAD_LEN as u64).contains(&got),
        "the upload stopped midway: {got} bytes"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abort_after_226_then_426_then_abors_226_is_in_step() {
    cancelled_upload_then_in_step(vec![
        Step::WaitDataClosed,
        send("226 Transfer complete\r\n426 Connection closed; transfer aborted\r\n226 ABOR successful\r\n"),
        probe(),
    ])
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abort_after_426_then_226_is_in_step() {
    cancelled_upload_then_in_step(vec![
        Step::WaitDataClosed,
        send("426 Connection closed; transfer aborted\r\n226 ABOR successful\r\n"),
        probe(),
    ])
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abort_answered_before_the_transfers_226_is_in_step() {
    cancelled_upload_then_in_step(vec![
        send("226 ABOR successful\r\n"),
        Step::WaitDataClosed,
        Step::Sleep(Duration::from_millis(100)),
        send("226 Transfer complete\r\n"),
        probe(),
    ])
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abort_answered_only_once_the_data_connection_is_closed_is_in_step() {
    // libunftp: ABOR waits for the transfer to end, which needs the client
    // to close the data connection first.
    cancelled_upload_then_in_step(vec![
        Step::WaitDataClosed,
        Step::Sleep(Duration::from_millis(100)),
        send("226 Closed data channel\r\n226 File successfully written\r\n"),
        probe(),
    ])
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transfer_verdict_arriving_after_the_probes_reply_is_not_taken_for_the_next_reply() {
    // libunftp again, its other order: the transfer's 226 comes from a task
    // of its own, after ABOR's reply and after the reply to the next command.
    cancelled_upload_then_in_step(vec![
        Step::WaitDataClosed,
        send("226 Closed data channel\r\n"),
        probe(),
        Step::Sleep(Duration::from_millis(300)),
        send("226 File successfully written\r\n"),
    ])
    .await;
}

/// An upload cancelled midway, the server answering ABOR with `answer` and
/// then nothing more: the client gives up at its reply deadline (1 s) and
/// reconnects, and the new connection is in step.
async fn cancelled_upload_then_reconnect(answer: Vec<Step>) {
    let mut first = upload_until_abor();
    first.extend(answer);
    first.push(Step::Hold);
    let mut second = script(vec![expect("TYPE I"), send("200 ok\r\n")]);
    second.extend(in_step());
    let fake = FakeServer::start_sessions(vec![first, second]).await;
    let mut o = options(&fake, DataMode::Passive);
    o.timeouts.reply = Duration::from_secs(1);
    let mut s = Session::connect(o, null_log()).await.unwrap();
    let started = Instant::now();
    let err = cancel_an_upload(&mut s).await;
    let waited = started.elapsed();
    assert!(matches!(err, FtpError::Cancelled), "{err}");
    assert!(
        waited < Duration::from_secs(4),
        "the reply deadline is 1 s; waited {waited:?}"
    );
    assert_eq!(s.size("big.bin").await.unwrap(), 1_234_567);
    s.noop().await.unwrap();
    drop(s);
    let report = fake.finish().await;
    assert!(
        report.commands.iter().any(|c| c == NEXT_CONNECTION),
        "{:?}",
        report.commands
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_reply_to_abor_at_all_reconnects_within_the_deadline() {
    cancelled_upload_then_reconnect(vec![Step::WaitDataClosed, expect("")]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_reply_where_two_are_owed_reconnects_rather_than_guess() {
    // A lone 226 may be ABOR's with the transfer's still to come, or the
    // only one: waiting out the deadline and reconnecting is safe either way.
    cancelled_upload_then_reconnect(vec![
        Step::WaitDataClosed,
        send("226 ABOR successful\r\n"),
        probe(),
    ])
    .await;
}

/// ABOR during a download, the server answering in `replies` once the
/// client has closed the data connection; the session must then answer
/// the next command correctly.
async fn abort_download_with(replies: &str) {
    let fake = FakeServer::start(script(vec![
        expect("TYPE I"),
        send("200 ok\r\n"),
        expect("EPSV"),
        Step::EpsvReply,
        expect("RETR big.bin"),
        send("150 sending\r\n"),
        Step::DataSendAndHold(vec![7u8; 10_000]),
        expect("ABOR"),
        Step::WaitDataClosed,
        send(replies),
        probe(),
        expect("SIZE big.bin"),
        send("213 10000\r\n"),
        Step::Hold,
    ]))
    .await;
    let mut s = Session::connect(options(&fake, DataMode::Passive), null_log())
        .await
        .unwrap();
    let mut data = s.retrieve("big.bin", 0).await.unwrap();
    let mut buf = [0u8; 1000];
    let n = tokio::io::AsyncReadExt::read(&mut data, &mut buf)
        .await
        .unwrap();
    assert!(n > 0);
    s.abort_transfer(data).await.unwrap();
    assert_eq!(
        s.size("big.bin").await.unwrap(),
        10_000,
        "out of step after {replies:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abort_of_a_download_accepts_426_then_226() {
    abort_download_with("426 Connection closed; transfer aborted\r\n226 ABOR successful\r\n").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abort_of_a_download_accepts_226_then_426() {
    abort_download_with("226 Transfer complete\r\n426 aborted\r\n").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_line_replies_split_at_odd_byte_boundaries_are_understood() {
    let steps = vec![
        Step::SendChunks(vec![
            b"22".to_vec(),
            b"0-Wel".to_vec(),
            b"come\r".to_vec(),
            b"\n220 is not the end without a space? it is\r\n".to_vec(),
        ]),
        // That line ended the greeting ("220 " + text); then USER.
        expect("USER"),
        Step::SendChunks(vec![
            b"3".to_vec(),
            b"31 pass".to_vec(),
            b"word please\r\n".to_vec(),
        ]),
        expect("PASS"),
        send("230 in\r\n"),
        expect("FEAT"),
        Step::SendChunks(vec![
            b"211-Feat".to_vec(),
            b"ures:\r\n MLST type*;size*;\r\n 211 fake end\r".to_vec(),
            b"\n211".to_vec(),
            b" End\r\n".to_vec(),
        ]),
        expect("PWD"),
        Step::SendChunks(vec![b"257 \"/a".to_vec(), b" b\"\r\n".to_vec()]),
        Step::Hold,
    ];
    let fake = FakeServer::start(steps).await;
    let mut s = Session::connect(options(&fake, DataMode::Passive), null_log())
        .await
        .unwrap();
    assert!(s.features().mlsd(), "FEAT body was parsed");
    assert!(!s.features().utf8());
    assert_eq!(s.pwd().await.unwrap(), b"/a b");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_multi_line_reply_is_a_protocol_error_not_a_hang() {
    let mut flood = b"220-Welcome\r\n".to_vec();
    let line = [b"220-".as_slice(), &[b'x'; 1000], b"\r\n"].concat();
    while flood.len() < 1_200_000 {
        flood.extend_from_slice(&line);
    }
    let fake = FakeServer::start(vec![Step::Send(flood), Step::Hold]).await;
    let started = Instant::now();
    let err = Session::connect(options(&fake, DataMode::Passive), null_log())
        .await
        .err()
        .expect("must fail");
    assert!(matches!(err, FtpError::Protocol { .. }), "{err}");
    assert!(err.to_string().contains("longer than"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_with_cr_lf_or_nul_is_refused_before_anything_is_sent() {
    let fake =
        FakeServer::start(script(vec![expect("NOOP"), send("200 ok\r\n"), Step::Hold])).await;
    let mut s = Session::connect(options(&fake, DataMode::Passive), null_log())
        .await
        .unwrap();
    for hostile in [&b"a\r\nDELE b"[..], b"x\nRMD /", b"nul\0byte"] {
        let err = s.delete(hostile).await.unwrap_err();
        assert!(matches!(err, FtpError::InvalidArgument { .. }), "{err}");
        let err = s.rename("ok", hostile).await.unwrap_err();
        assert!(matches!(err, FtpError::InvalidArgument { .. }), "{err}");
        let mut sink = Vec::new();
        let err = s
            .download(hostile, 0, &mut sink, &mut |_| {})
            .await
            .unwrap_err();
        assert!(matches!(err, FtpError::InvalidArgument { .. }), "{err}");
    }
    s.noop().await.unwrap();
    drop(s);
    let report = fake.finish().await;
    let after_login: Vec<&String> = report.commands.iter().skip(4).collect();
    assert_eq!(
        after_login.first().map(|c| c.as_str()),
        Some("NOOP"),
        "sent: {:?}",
        report.commands
    );
    assert!(
        !report
            .commands
            .iter()
            .any(|c| c.starts_with("DELE") || c.starts_with("RNFR") || c.starts_with("RETR"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_wait_does_not_leave_the_session_out_of_step() {
    let fake = FakeServer::start(script(vec![
        expect("NOOP"),
        Step::Sleep(Duration::from_millis(400)),
        send("200 late NOOP reply\r\n"),
        expect("PWD"),
        send("257 \"/right\"\r\n"),
        Step::Hold,
    ]))
    .await;
    let mut s = Session::connect(options(&fake, DataMode::Passive), null_log())
        .await
        .unwrap();
    let cancelled = tokio::time::timeout(Duration::from_millis(50), s.noop()).await;
    assert!(
        cancelled.is_err(),
        "the NOOP wait should have been cut short"
    );
    assert_eq!(s.pwd().await.unwrap(), b"/right");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_stops_answering_times_out_naming_the_control_channel() {
    let fake = FakeServer::start(script(vec![expect("NOOP"), Step::Hold])).await;
    let mut o = options(&fake, DataMode::Passive);
    o.timeouts.reply = Duration::from_secs(1);
    let mut s = Session::connect(o, null_log()).await.unwrap();
    let started = Instant::now();
    let err = s.noop().await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(
        err.to_string()
            .starts_with("control connection timed out after 1 s"),
        "{err}"
    );
}

/// Login where FEAT offers EPRT, for the active-mode command choice.
fn login_with_eprt() -> Vec<Step> {
    vec![
        send("220 fake ready\r\n"),
        expect("USER"),
        send("331 ok\r\n"),
        expect("PASS"),
        send("230 in\r\n"),
        expect("FEAT"),
        send("211-Features:\r\n EPRT\r\n EPSV\r\n211 End\r\n"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eprt_is_used_when_offered_and_port_follows_when_it_is_refused() {
    let mut steps = login_with_eprt();
    steps.extend([
        expect("TYPE I"),
        send("200 ok\r\n"),
        expect("EPRT |1|127.0.0.1|"),
        send("500 EPRT not today\r\n"),
        expect("PORT 127,0,0,1,"),
        send("200 PORT ok\r\n"),
        expect("LIST"),
        send("150 connecting\r\n"),
        Step::ActiveConnectSend(LISTING.to_vec()),
        send("226 done\r\n"),
        // The refusal is remembered: the next listing goes straight to PORT.
        expect("PORT 127,0,0,1,"),
        send("200 PORT ok\r\n"),
        expect("LIST"),
        send("150 connecting\r\n"),
        Step::ActiveConnectSend(LISTING.to_vec()),
        send("226 done\r\n"),
        Step::Hold,
    ]);
    let fake = FakeServer::start(steps).await;
    let mut s = Session::connect(options(&fake, DataMode::Active), null_log())
        .await
        .unwrap();
    assert_eq!(s.list(None).await.unwrap().len(), 2);
    assert_eq!(s.list(None).await.unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_data_connection_fails_after_the_idle_deadline_and_the_session_recovers() {
    let fake = FakeServer::start(script(vec![
        expect("TYPE I"),
        send("200 ok\r\n"),
        expect("EPSV"),
        Step::EpsvReply,
        expect("RETR stuck.bin"),
        send("150 sending\r\n"),
        Step::DataSendAndHold(vec![1u8; 5000]),
        expect("ABOR"),
        Step::CloseData,
        send("426 aborted\r\n226 ok\r\n"),
        expect("PWD"),
        send("257 \"/still-here\"\r\n"),
        expect("PWD"),
        send("257 \"/still-here\"\r\n"),
        Step::Hold,
    ]))
    .await;
    let mut o = options(&fake, DataMode::Passive);
    o.timeouts.data_idle = Duration::from_secs(1);
    let mut s = Session::connect(o, null_log()).await.unwrap();
    let started = Instant::now();
    let mut sink = Vec::new();
    let err = s
        .download("stuck.bin", 0, &mut sink, &mut |_| {})
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(sink.len(), 5000, "what arrived was kept");
    let text = err.to_string();
    assert!(
        text.starts_with("data connection timed out after 1 s with no data moving (passive)"),
        "{text}"
    );
    assert_eq!(s.pwd().await.unwrap(), b"/still-here");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn active_mode_refuses_a_data_connection_from_another_address() {
    let fake = FakeServer::start(script(vec![
        expect("TYPE I"),
        send("200 ok\r\n"),
        expect("PORT "),
        send("200 PORT ok\r\n"),
        expect("LIST"),
        send("150 connecting\r\n"),
        Step::ActiveIntruder,
        Step::ActiveConnectSend(LISTING.to_vec()),
        send("226 done\r\n"),
        Step::Hold,
    ]))
    .await;
    let (log, lines) = capture_log();
    let mut s = Session::connect(options(&fake, DataMode::Active), log)
        .await
        .unwrap();
    let entries = s.list(None).await.unwrap();
    assert_eq!(entries.len(), 2, "only the server's data arrived");
    assert!(
        entries
            .iter()
            .all(|e| !e.name.windows(4).any(|w| w == b"EVIL"))
    );
    drop(s);
    fake.finish().await;
    let lines = lines.lock().unwrap();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("Refused a data connection from 127.0.0.2")),
        "{lines:?}"
    );
}

// ----- auto mode: the other data mode when one is blocked -----

fn auto(fake: &FakeServer, mode: DataMode) -> ConnectOptions {
    let mut o = options(fake, mode);
    o.auto_fallback = true;
    o
}

/// A listing through PORT that the fake serves by connecting back.
fn active_listing() -> Vec<Step> {
    vec![
        expect("PORT 127,0,0,1,"),
        send("200 PORT ok\r\n"),
        expect("LIST"),
        send("150 connecting\r\n"),
        Step::ActiveConnectSend(LISTING.to_vec()),
        send("226 done\r\n"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_mode_lists_through_active_when_the_passive_port_hangs_and_stays_active() {
    let mut steps = vec![
        expect("TYPE I"),
        send("200 ok\r\n"),
        expect("EPSV"),
        Step::EpsvReplyBlackhole,
    ];
    steps.extend(active_listing());
    // The next listing goes straight to active: no second wait.
    steps.extend(active_listing());
    steps.push(Step::Hold);
    let fake = FakeServer::start(script(steps)).await;
    let (log, lines) = capture_log();
    let mut s = Session::connect(auto(&fake, DataMode::Passive), log)
        .await
        .unwrap();
    let started = Instant::now();
    let entries = s.list(None).await.unwrap();
    let waited = started.elapsed();
    assert_eq!(entries.len(), 2);
    // The 2 s data deadline plus a margin, not the kernel's SYN retries.
    assert!(
        waited >= Duration::from_secs(2) && waited < Duration::from_secs(4),
        "waited {waited:?}"
    );
    let switch = s.take_mode_switch().expect("the switch is reported");
    assert_eq!(
        (switch.from, switch.to),
        (DataMode::Passive, DataMode::Active)
    );
    assert!(
        switch
            .notice
            .starts_with("Passive data connection to 127.0.0.1:")
            && switch
                .notice
                .ends_with("timed out after 2 s; switched to active mode"),
        "{}",
        switch.notice
    );
    assert_eq!(s.take_mode_switch(), None, "reported once");
    assert_eq!(s.options().mode, DataMode::Active);
    let again = Instant::now();
    assert_eq!(s.list(None).await.unwrap().len(), 2);
    assert!(
        again.elapsed() < Duration::from_secs(1),
        "{:?}",
        again.elapsed()
    );
    drop(s);
    let report = fake.finish().await;
    assert_eq!(
        report
            .commands
            .iter()
            .filter(|c| c.starts_with("EPSV"))
            .count(),
        1,
        "{:?}",
        report.commands
    );
    let lines = lines.lock().unwrap();
    assert!(
        lines.iter().any(|l| l == &switch.notice),
        "the log says why: {lines:?}"
    );
    assert!(
        lines.iter().any(
            |l| l.starts_with("data connection timed out after 2 s while connecting (passive)")
        ),
        "the log has the full error: {lines:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_mode_lists_through_passive_when_the_server_never_connects_back() {
    let fake = FakeServer::start(script(vec![
        expect("TYPE I"),
        send("200 ok\r\n"),
        expect("PORT 127,0,0,1,"),
        send("200 PORT ok\r\n"),
        expect("LIST"),
        send("150 connecting\r\n"),
        // Nothing connects. The client gives up, aborts, and goes passive.
        expect("ABOR"),
        expect("PWD"),
        send("426 no data connection\r\n226 aborted\r\n257 \"/\"\r\n"),
        expect("EPSV"),
        Step::EpsvReply,
        expect("LIST"),
        send("150 here it comes\r\n"),
        Step::DataSend(LISTING.to_vec()),
        send("226 done\r\n"),
        expect("PWD"),
        send("257 \"/in-step\"\r\n"),
        Step::Hold,
    ]))
    .await;
    let (log, lines) = capture_log();
    let mut s = Session::connect(auto(&fake, DataMode::Active), log)
        .await
        .unwrap();
    let started = Instant::now();
    let entries = s.list(None).await.unwrap();
    let waited = started.elapsed();
    assert_eq!(entries.len(), 2);
    assert!(waited < Duration::from_secs(4), "waited {waited:?}");
    let switch = s.take_mode_switch().unwrap();
    assert_eq!(switch.to, DataMode::Passive);
    assert!(
        switch
            .notice
            .starts_with("The server did not connect back to 127.0.0.1:")
            && switch
                .notice
                .ends_with("(active) within 2 s; switched to passive mode"),
        "{}",
        switch.notice
    );
    assert_eq!(s.pwd().await.unwrap(), b"/in-step");
    drop(s);
    fake.finish().await;
    assert!(lines.lock().unwrap().contains(&switch.notice));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_mode_switches_at_once_on_a_425_reply() {
    let fake = FakeServer::start(script(vec![
        expect("TYPE I"),
        send("200 ok\r\n"),
        expect("PORT 127,0,0,1,"),
        send("200 PORT ok\r\n"),
        expect("RETR f.bin"),
        send("425 Can't open data connection\r\n"),
        expect("EPSV"),
        Step::EpsvReply,
        expect("RETR f.bin"),
        send("150 sending\r\n"),
        Step::DataSend(b"hello".to_vec()),
        send("226 done\r\n"),
        Step::Hold,
    ]))
    .await;
    let mut s = Session::connect(auto(&fake, DataMode::Active), null_log())
        .await
        .unwrap();
    let started = Instant::now();
    let mut got = Vec::new();
    s.download("f.bin", 0, &mut got, &mut |_| {}).await.unwrap();
    assert_eq!(got, b"hello");
    assert!(started.elapsed() < Duration::from_secs(1));
    let switch = s.take_mode_switch().unwrap();
    assert_eq!(
        switch.notice,
        "The server refused RETR (425 Can't open data connection); switched to passive mode"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_mode_blocked_both_ways_fails_naming_both_within_two_deadlines() {
    let fake = FakeServer::start(script(vec![
        expect("TYPE I"),
        send("200 ok\r\n"),
        expect("EPSV"),
        Step::EpsvReplyBlackhole,
        expect("PORT 127,0,0,1,"),
        send("200 PORT ok\r\n"),
        expect("LIST"),
        send("150 connecting\r\n"),
        expect("ABOR"),
        expect("PWD"),
        send("425 no data connection\r\n225 no transfer to abort\r\n257 \"/\"\r\n"),
        expect("PWD"),
        send("257 \"/\"\r\n"),
        Step::Hold,
    ]))
    .await;
    let mut s = Session::connect(auto(&fake, DataMode::Passive), null_log())
        .await
        .unwrap();
    let started = Instant::now();
    let err = s.list(None).await.unwrap_err();
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(4) && waited < Duration::from_secs(6),
        "waited {waited:?}"
    );
    assert!(matches!(err, FtpError::DataBlocked { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.starts_with(
            "data connections fail in both modes — passive: data connection timed out"
        ) && text.contains(
            "; active: data connection timed out after 2 s waiting for the server to connect"
        ),
        "{text}"
    );
    assert_eq!(err.failed_data_mode(), None, "no other mode to offer");
    assert_eq!(s.take_mode_switch(), None);
    assert_eq!(
        s.options().mode,
        DataMode::Passive,
        "nothing worked, nothing kept"
    );
    assert_eq!(s.pwd().await.unwrap(), b"/", "the session is still in step");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passive_mode_without_auto_does_not_try_active() {
    let fake = FakeServer::start(script(vec![
        expect("TYPE I"),
        send("200 ok\r\n"),
        expect("EPSV"),
        Step::EpsvReplyBlackhole,
        Step::Hold,
    ]))
    .await;
    let mut s = Session::connect(options(&fake, DataMode::Passive), null_log())
        .await
        .unwrap();
    let err = s.list(None).await.unwrap_err();
    assert_eq!(err.failed_data_mode(), Some(DataMode::Passive));
    assert!(err.to_string().contains("try Active mode"), "{err}");
    drop(s);
    let report = fake.finish().await;
    assert!(
        !report
            .commands
            .iter()
            .any(|c| c.starts_with("PORT") || c.starts_with("EPRT")),
        "{:?}",
        report.commands
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_without_a_data_connection_does_not_count_as_the_other_mode_working() {
    let fake = FakeServer::start(script(vec![
        expect("TYPE I"),
        send("200 ok\r\n"),
        expect("EPSV"),
        Step::EpsvReplyBlackhole,
        expect("PORT 127,0,0,1,"),
        send("200 PORT ok\r\n"),
        expect("LIST"),
        // Some servers finish an empty listing without connecting at all.
        send("226 nothing to list\r\n"),
        Step::Hold,
    ]))
    .await;
    let mut s = Session::connect(auto(&fake, DataMode::Passive), null_log())
        .await
        .unwrap();
    assert!(s.list(None).await.unwrap().is_empty());
    assert_eq!(
        s.take_mode_switch(),
        None,
        "active was never tried for real"
    );
    assert_eq!(s.options().mode, DataMode::Passive);
}

/// TYPE I and a first passive download of `a.bin` that works: after it, the
/// session connects its passive data connections while the transfer
/// command is on its way.
fn passive_worked_once() -> Vec<Step> {
    vec![
        expect("TYPE I"),
        send("200 ok\r\n"),
        expect("EPSV"),
        Step::EpsvReply,
        expect("RETR a.bin"),
        send("150 here\r\n"),
        Step::DataSend(b"first".to_vec()),
        send("226 done\r\n"),
    ]
}

/// What a server owes after a transfer command whose data connection never
/// came, and the client's ABOR and PWD marker: the transfer's 425, ABOR's
/// 225, PWD's 257.
fn abor_answered() -> Vec<Step> {
    vec![
        expect("ABOR"),
        expect("PWD"),
        send("425 no data connection\r\n225 no transfer to abort\r\n257 \"/\"\r\n"),
    ]
}

async fn first_download(s: &mut Session) {
    let mut got = Vec::new();
    s.download("a.bin", 0, &mut got, &mut |_| {}).await.unwrap();
    assert_eq!(got, b"first");
}

/// The command goes out while the connect is under way: the fake's data
/// port never completes a handshake, yet it gets RETR and refuses it, and
/// that refusal (not the connect's deadline) is the error; the session is
/// in step.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_retr_with_the_data_connect_in_flight_is_the_servers_error_at_once() {
    let mut steps = passive_worked_once();
    steps.extend([
        expect("EPSV"),
        Step::EpsvReplyBlackhole,
        expect("RETR missing.bin"),
        send("550 missing.bin: No such file\r\n"),
        expect("PWD"),
        send("257 \"/\"\r\n"),
        Step::Hold,
    ]);
    let fake = FakeServer::start(script(steps)).await;
    let mut s = Session::connect(options(&fake, DataMode::Passive), null_log())
        .await
        .unwrap();
    first_download(&mut s).await;
    let mut got = Vec::new();
    let err = s
        .download("missing.bin", 0, &mut got, &mut |_| {})
        .await
        .unwrap_err();
    assert_eq!(err.reply_code(), Some(550), "{err}");
    assert!(err.to_string().contains("No such file"), "{err}");
    assert!(got.is_empty());
    assert_eq!(s.pwd().await.unwrap(), b"/", "the session is in step");
    drop(s);
    let report = fake.finish().await;
    assert!(
        !report.commands.iter().any(|c| c == "ABOR"),
        "a refusal needs no ABOR: {:?}",
        report.commands
    );
}

/// The same for an upload: a refused STOR ends it with the server's error
/// and nothing sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_stor_with_the_data_connect_in_flight_is_the_servers_error_at_once() {
    let mut steps = passive_worked_once();
    steps.extend([
        expect("EPSV"),
        Step::EpsvReplyBlackhole,
        expect("STOR locked.bin"),
        send("553 locked.bin: Permission denied\r\n"),
        expect("PWD"),
        send("257 \"/\"\r\n"),
        Step::Hold,
    ]);
    let fake = FakeServer::start(script(steps)).await;
    let mut s = Session::connect(options(&fake, DataMode::Passive), null_log())
        .await
        .unwrap();
    first_download(&mut s).await;
    let mut input = &b"some bytes"[..];
    let err = s
        .upload(&mut input, "locked.bin", 0, false, &mut |_| {})
        .await
        .unwrap_err();
    assert_eq!(err.reply_code(), Some(553), "{err}");
    assert_eq!(s.pwd().await.unwrap(), b"/", "the session is in step");
    drop(s);
    let report = fake.finish().await;
    assert!(report.uploaded.is_empty(), "{:?}", report.uploaded.len());
}

/// A data port that never accepts, with RETR already sent: the connect's
/// deadline is the error (naming the data channel and what to try), ABOR
/// reads the reply the server owes, and the next command works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_data_connect_that_times_out_after_the_command_went_out_leaves_the_session_in_step() {
    let mut steps = passive_worked_once();
    steps.extend([
        expect("EPSV"),
        Step::EpsvReplyBlackhole,
        expect("RETR b.bin"),
    ]);
    steps.extend(abor_answered());
    steps.extend([expect("PWD"), send("257 \"/\"\r\n"), Step::Hold]);
    let fake = FakeServer::start(script(steps)).await;
    let (log, lines) = capture_log();
    let mut s = Session::connect(options(&fake, DataMode::Passive), log)
        .await
        .unwrap();
    first_download(&mut s).await;
    let mut got = Vec::new();
    let err = s
        .download("b.bin", 0, &mut got, &mut |_| {})
        .await
        .unwrap_err();
    assert_eq!(err.failed_data_mode(), Some(DataMode::Passive), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("data connection timed out") && text.contains("try Active mode"),
        "{text}"
    );
    assert_eq!(s.pwd().await.unwrap(), b"/", "the session is in step");
    assert!(
        !lines
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.contains("Reconnecting")),
        "ABOR was enough: {:?}",
        lines.lock().unwrap()
    );
    drop(s);
    let report = fake.finish().await;
    let retr = report.commands.iter().position(|c| c == "RETR b.bin");
    let abor = report.commands.iter().position(|c| c == "ABOR");
    assert!(
        retr.is_some() && abor > retr,
        "RETR went out before the connect failed, then ABOR: {:?}",
        report.commands
    );
}

/// Auto mode after a passive connect that fails with the listing command
/// already sent: ABOR, then the listing again in active mode, kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_mode_falls_back_to_active_when_a_connect_fails_after_the_command_went_out() {
    let mut steps = passive_worked_once();
    steps.extend([expect("EPSV"), Step::EpsvReplyBlackhole, expect("LIST")]);
    steps.extend(abor_answered());
    steps.extend(active_listing());
    steps.push(Step::Hold);
    let fake = FakeServer::start(script(steps)).await;
    let mut s = Session::connect(auto(&fake, DataMode::Passive), null_log())
        .await
        .unwrap();
    first_download(&mut s).await;
    let entries = s.list(None).await.unwrap();
    assert_eq!(entries.len(), 2);
    let switch = s.take_mode_switch().expect("switched to active");
    assert_eq!(
        (switch.from, switch.to),
        (DataMode::Passive, DataMode::Active)
    );
    assert_eq!(s.options().mode, DataMode::Active);
    drop(s);
    fake.finish().await;
}

/// A cancel while the data connection is still being opened, with STOR
/// already sent: Cancelled at once (not at the connect's deadline), ABOR
/// reads what the server owes, and the session is in step.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_while_the_data_connect_is_in_flight_aborts_and_keeps_the_session() {
    let (cancel, watch) = tokio::sync::watch::channel(false);
    let mut steps = passive_worked_once();
    steps.extend([
        expect("EPSV"),
        Step::EpsvReplyBlackhole,
        // The user cancels as soon as the server has the command.
        Step::Answer(Box::new(move |line| {
            (line == "STOR c.bin").then(|| {
                let _ = cancel.send(true);
                Vec::new()
            })
        })),
    ]);
    steps.extend(abor_answered());
    steps.extend([expect("PWD"), send("257 \"/\"\r\n"), Step::Hold]);
    let fake = FakeServer::start(script(steps)).await;
    let mut s = Session::connect(options(&fake, DataMode::Passive), null_log())
        .await
        .unwrap();
    first_download(&mut s).await;
    s.set_cancel(Some(watch));
    let mut input = &b"never sent"[..];
    let err = s
        .upload(&mut input, "c.bin", 0, false, &mut |_| {})
        .await
        .unwrap_err();
    s.set_cancel(None);
    assert!(matches!(err, FtpError::Cancelled), "{err}");
    assert_eq!(s.pwd().await.unwrap(), b"/", "the session is in step");
    drop(s);
    let report = fake.finish().await;
    assert!(report.uploaded.is_empty());
}
