//! MODE B (block) and MODE C (compressed) through a scripted server: no
//! common server speaks them, so the fake replies `200` to `MODE B/C` and
//! sends or receives data framed by the tests' own RFC 959 encoder
//! (`support::rfc959`, independent of Ferry's codecs). Transfers must be
//! byte-exact, restart markers recorded and never written into the file,
//! malformed data a clear error, and a refusal a fallback to stream.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferry::ftp::log::{LogLine, SharedLog};
use ferry::ftp::modes::RestartMarker;
use ferry::ftp::{ConnectOptions, FtpError, Session, Timeouts, TransferMode};
use support::fake::{FakeServer, Step, login_script};
use support::random_bytes;
use support::rfc959::{
    Piece, Record, SUSPECT, block_decode, block_encode, compressed_decode, compressed_encode,
    compressed_from_records,
};

fn options(fake: &FakeServer, mode: TransferMode) -> ConnectOptions {
    let mut o = ConnectOptions::new("127.0.0.1", fake.addr.port(), "user", "pw");
    o.transfer_mode = mode;
    o.timeouts = Timeouts::uniform(Duration::from_secs(5));
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

/// EPSV, the transfer command, and the data sent framed, then 226.
fn retr(path: &str, wire: Vec<u8>) -> Vec<Step> {
    vec![
        expect("EPSV"),
        Step::EpsvReply,
        expect(&format!("RETR {path}")),
        send("150 here it comes\r\n"),
        Step::DataSend(wire),
        send("226 done\r\n"),
    ]
}

/// EPSV, STOR, the upload received, then 226.
fn stor(path: &str) -> Vec<Step> {
    vec![
        expect("EPSV"),
        Step::EpsvReply,
        expect(&format!("STOR {path}")),
        send("150 send it\r\n"),
        Step::DataRecv,
        send("226 stored\r\n"),
    ]
}

fn script(parts: Vec<Vec<Step>>) -> Vec<Step> {
    let mut steps = login_script();
    steps.extend(parts.into_iter().flatten());
    steps.push(Step::Hold);
    steps
}

/// Data with long runs of zeros and of other bytes between random stretches.
fn runny_data(len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    let mut seed = 1;
    while out.len() < len {
        out.extend(random_bytes(700, seed));
        out.extend(std::iter::repeat_n(0u8, 150));
        out.extend(std::iter::repeat_n(b'=', 90));
        seed += 1;
    }
    out.truncate(len);
    out
}

async fn download(s: &mut Session, path: &str) -> Result<Vec<u8>, FtpError> {
    let mut out = Vec::new();
    s.download(path, 0, &mut out, &mut |_| {}).await?;
    Ok(out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_mode_downloads_and_uploads_are_byte_exact_and_markers_are_recorded() {
    let file = random_bytes(300_000, 1);
    // Blocks of uneven sizes (the largest a block can hold among them), a
    // suspect block, and a restart marker in the middle.
    let wire = block_encode(&[
        Piece::Data(0, file[..65535].to_vec()),
        Piece::Data(0, file[65535..100_000].to_vec()),
        Piece::Marker(b"R100000".to_vec()),
        Piece::Data(SUSPECT, file[100_000..100_001].to_vec()),
        Piece::Data(0, file[100_001..150_000].to_vec()),
        Piece::Data(0, file[150_000..215_535].to_vec()),
        Piece::Data(0, file[215_535..281_070].to_vec()),
        Piece::Data(0, file[281_070..].to_vec()),
    ]);
    let second = b"second file, one block".to_vec();
    let fake = FakeServer::start(script(vec![
        vec![expect("TYPE I"), send("200 ok\r\n")],
        vec![expect("MODE B"), send("200 Mode set to B\r\n")],
        retr("one.bin", wire),
        // Already in block mode: MODE is not sent again.
        retr("two.txt", block_encode(&[Piece::Data(0, second.clone())])),
        stor("up.bin"),
    ]))
    .await;
    let (log, lines) = capture_log();
    let mut s = Session::connect(options(&fake, TransferMode::Block), log)
        .await
        .unwrap();

    let got = download(&mut s, "one.bin").await.unwrap();
    assert!(got == file, "one.bin differs ({} bytes)", got.len());
    assert_eq!(
        s.last_restart_marker(),
        Some(&RestartMarker {
            marker: b"R100000".to_vec(),
            offset: 100_000
        })
    );
    assert_eq!(download(&mut s, "two.txt").await.unwrap(), second);

    let upload = runny_data(200_000);
    let mut input = upload.as_slice();
    s.upload(&mut input, "up.bin", 0, false, &mut |_| {})
        .await
        .unwrap();
    drop(s);
    let report = fake.finish().await;
    let (sent, markers) = block_decode(&report.uploaded[0]);
    assert!(sent == upload, "the block-mode upload differs");
    assert!(markers.is_empty());
    assert_eq!(
        report
            .commands
            .iter()
            .filter(|c| c.starts_with("MODE"))
            .count(),
        1,
        "{:?}",
        report.commands
    );
    let lines = lines.lock().unwrap();
    for want in [
        "Download of one.bin in MODE B (block)",
        "Restart marker \"R100000\" at byte 100000",
        "flagged 1 bytes of the file as suspect",
        "Upload of up.bin in MODE B (block)",
    ] {
        assert!(lines.iter().any(|l| l.contains(want)), "{want}: {lines:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compressed_mode_downloads_and_uploads_are_byte_exact() {
    let file = runny_data(250_000);
    let wire = compressed_encode(&file);
    assert!(wire.len() < file.len(), "the runs should compress");
    // Every record kind, worked by hand, with a marker in the middle.
    let small = compressed_from_records(&[
        Record::Bytes(b"head".to_vec()),
        Record::Replicated(5, b'x'),
        Record::Marker(b"M9".to_vec()),
        Record::Filler(3),
        Record::Bytes(b"tail".to_vec()),
    ]);
    let fake = FakeServer::start(script(vec![
        vec![expect("TYPE I"), send("200 ok\r\n")],
        vec![expect("MODE C"), send("200 Mode set to C\r\n")],
        retr("big.bin", wire),
        retr("small.bin", small),
        stor("up.bin"),
    ]))
    .await;
    let (log, lines) = capture_log();
    let mut s = Session::connect(options(&fake, TransferMode::Compressed), log)
        .await
        .unwrap();
    let got = download(&mut s, "big.bin").await.unwrap();
    assert!(got == file, "big.bin differs ({} bytes)", got.len());
    assert_eq!(
        download(&mut s, "small.bin").await.unwrap(),
        b"headxxxxx\0\0\0tail"
    );
    assert_eq!(
        s.last_restart_marker(),
        Some(&RestartMarker {
            marker: b"M9".to_vec(),
            offset: 9
        })
    );
    let upload = runny_data(180_000);
    let mut input = upload.as_slice();
    s.upload(&mut input, "up.bin", 0, false, &mut |_| {})
        .await
        .unwrap();
    drop(s);
    let report = fake.finish().await;
    let (sent, _) = compressed_decode(&report.uploaded[0]);
    assert!(sent == upload, "the compressed-mode upload differs");
    assert!(report.uploaded[0].len() < upload.len());
    let lines = lines.lock().unwrap();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("Upload of up.bin in MODE C (compressed)")),
        "{lines:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_mode_falls_back_to_stream_with_a_notice_and_is_not_asked_again() {
    let file = random_bytes(120_000, 5);
    let fake = FakeServer::start(script(vec![
        vec![expect("TYPE I"), send("200 ok\r\n")],
        vec![
            expect("MODE B"),
            send("504 Command not implemented for that parameter\r\n"),
        ],
        retr("a.bin", file.clone()),
        retr("b.bin", file[..1000].to_vec()),
    ]))
    .await;
    let (log, lines) = capture_log();
    let mut s = Session::connect(options(&fake, TransferMode::Block), log)
        .await
        .unwrap();
    assert!(download(&mut s, "a.bin").await.unwrap() == file);
    assert_eq!(download(&mut s, "b.bin").await.unwrap(), file[..1000]);
    assert_eq!(s.server_transfer_mode(), TransferMode::Stream);
    drop(s);
    let report = fake.finish().await;
    assert_eq!(
        report
            .commands
            .iter()
            .filter(|c| c.starts_with("MODE"))
            .count(),
        1,
        "{:?}",
        report.commands
    );
    let lines = lines.lock().unwrap();
    assert!(
        lines.iter().any(|l| l.contains(
            "The server refused MODE B (block) (504 Command not implemented for that parameter); transferring in stream mode"
        )),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("Download of a.bin in MODE S (stream): the server refused MODE B")),
        "{lines:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_data_without_its_end_of_file_block_is_a_clear_error_not_a_short_file() {
    let file = random_bytes(5000, 9);
    let mut truncated = block_encode(&[Piece::Data(0, file.clone())]);
    truncated.truncate(truncated.len() - 100);
    let fake = FakeServer::start(script(vec![
        vec![expect("TYPE I"), send("200 ok\r\n")],
        vec![expect("MODE B"), send("200 ok\r\n")],
        retr("cut.bin", truncated),
        vec![expect("NOOP"), send("200 still here\r\n")],
    ]))
    .await;
    let mut s = Session::connect(
        options(&fake, TransferMode::Block),
        ferry::ftp::log::null_log(),
    )
    .await
    .unwrap();
    let err = download(&mut s, "cut.bin").await.unwrap_err();
    assert!(matches!(err, FtpError::DataFormat { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.starts_with("the MODE B (block) data from the server is malformed: the data connection closed 100 bytes before the end of a block; the file is incomplete"),
        "{text}"
    );
    assert!(!err.is_fatal_to_session());
    s.noop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resumed_transfers_go_in_stream_mode_and_say_why() {
    let fake = FakeServer::start(script(vec![vec![
        expect("TYPE I"),
        send("200 ok\r\n"),
        expect("REST 10"),
        send("350 restarting\r\n"),
        expect("EPSV"),
        Step::EpsvReply,
        expect("RETR r.bin"),
        send("150 ok\r\n"),
        Step::DataSend(b"0123456789".to_vec()),
        send("226 done\r\n"),
    ]]))
    .await;
    let (log, lines) = capture_log();
    let mut s = Session::connect(options(&fake, TransferMode::Compressed), log)
        .await
        .unwrap();
    let mut out = Vec::new();
    s.download("r.bin", 10, &mut out, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(out, b"0123456789");
    let lines = lines.lock().unwrap();
    assert!(
        lines.iter().any(|l| l.contains(
            "Download of r.bin in MODE S (stream) instead of MODE C (compressed): resuming"
        )),
        "{lines:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_mode_z_falls_back_to_stream_and_mode_z_needs_feat() {
    let file = b"plain text that would have deflated nicely ".repeat(100);
    let login_with_mode_z = vec![
        send("220 fake ready\r\n"),
        expect("USER"),
        send("331 ok\r\n"),
        expect("PASS"),
        send("230 logged in\r\n"),
        expect("FEAT"),
        send("211-Features:\r\n EPSV\r\n MODE Z\r\n211 End\r\n"),
    ];
    let mut steps = login_with_mode_z;
    steps.extend([
        expect("TYPE I"),
        send("200 ok\r\n"),
        expect("MODE Z"),
        send("501 MODE Z disabled by the administrator\r\n"),
    ]);
    steps.extend(retr("notes.txt", file.clone()));
    steps.push(Step::Hold);
    let fake = FakeServer::start(steps).await;
    let (log, lines) = capture_log();
    let mut s = Session::connect(options(&fake, TransferMode::Deflate), log)
        .await
        .unwrap();
    assert_eq!(download(&mut s, "notes.txt").await.unwrap(), file);
    drop(s);
    fake.finish().await;
    let refused = lines.lock().unwrap().iter().any(|l| {
        l.contains(
            "The server refused MODE Z (deflate) (501 MODE Z disabled by the administrator); transferring in stream mode",
        )
    });
    assert!(refused, "{:?}", lines.lock().unwrap());

    // Without MODE Z in FEAT, MODE Z is not even asked for.
    let fake = FakeServer::start(script(vec![
        vec![expect("TYPE I"), send("200 ok\r\n")],
        retr("notes.txt", file.clone()),
    ]))
    .await;
    let (log, lines) = capture_log();
    let mut s = Session::connect(options(&fake, TransferMode::Deflate), log)
        .await
        .unwrap();
    assert_eq!(download(&mut s, "notes.txt").await.unwrap(), file);
    let lines = lines.lock().unwrap();
    assert!(
        lines.iter().any(|l| l.contains(
            "Download of notes.txt in MODE S (stream) instead of MODE Z (deflate): the server does not offer MODE Z (FEAT)"
        )),
        "{lines:?}"
    );
}
