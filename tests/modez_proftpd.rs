//! MODE Z (deflate) against a real server that speaks it: Debian's proftpd
//! with mod_deflate, started privately by the test (see `support::proftpd`).
//! Skipped with a message when proftpd is missing, unless
//! FERRY_REQUIRE_PROFTPD is set (`scripts/test` sets it and installs it).

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferry::ftp::log::{LogLine, SharedLog};
use ferry::ftp::{ConnectOptions, FtpError, Session, Timeouts, TransferMode};
use support::proftpd::{PASSWORD, Proftpd, USER};
use support::random_bytes;

fn options(server: &Proftpd, mode: TransferMode) -> ConnectOptions {
    let mut o = ConnectOptions::new("127.0.0.1", server.addr.port(), USER, PASSWORD);
    o.transfer_mode = mode;
    o.timeouts = Timeouts::uniform(Duration::from_secs(10));
    o
}

fn capture_log() -> (SharedLog, Arc<Mutex<Vec<String>>>) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    let log: SharedLog = Arc::new(move |l: LogLine| sink.lock().unwrap().push(l.text));
    (log, lines)
}

/// Log lines containing `needle` since `from`.
fn lines_with(lines: &Arc<Mutex<Vec<String>>>, from: usize, needle: &str) -> Vec<String> {
    lines.lock().unwrap()[from..]
        .iter()
        .filter(|l| l.contains(needle))
        .cloned()
        .collect()
}

/// About `len` bytes of text that compresses well but not trivially.
fn text(len: usize) -> Vec<u8> {
    let words = [
        "ferry", "carries", "files", "across", "the", "river", "of", "bytes", "deflate", "mode",
        "block", "stream", "proftpd", "server", "client",
    ];
    let mut out = Vec::with_capacity(len + 16);
    let mut x = 7u32;
    let mut line = 0;
    while out.len() < len {
        line += 1;
        out.extend_from_slice(format!("{line:08} ").as_bytes());
        for _ in 0..12 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            out.extend_from_slice(words[(x >> 16) as usize % words.len()].as_bytes());
            out.push(b' ');
        }
        out.push(b'\n');
    }
    out.truncate(len);
    out
}

/// The bytes on the data connection against the file's, from the log line
/// a framed transfer ends with.
fn wire_and_file(line: &str) -> (u64, u64) {
    let nums: Vec<u64> = line
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    (nums[0], nums[1])
}

async fn download(s: &mut Session, path: &str) -> Result<Vec<u8>, FtpError> {
    let mut out = Vec::new();
    s.download(path, 0, &mut out, &mut |_| {}).await?;
    Ok(out)
}

async fn upload(s: &mut Session, data: &[u8], path: &str) -> Result<u64, FtpError> {
    let mut input = data;
    s.upload(&mut input, path, 0, false, &mut |_| {}).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mode_z_downloads_round_trip_compressible_and_incompressible_data() {
    let Some(server) = Proftpd::start("mode_z_downloads_round_trip") else {
        return;
    };
    let words = text(3 << 20);
    let noise = random_bytes(2 << 20, 11);
    std::fs::write(server.path("words.txt"), &words).unwrap();
    std::fs::write(server.path("noise.bin"), &noise).unwrap();
    std::fs::write(server.path("packed.gz"), &words[..100_000]).unwrap();
    std::fs::write(server.path("empty.txt"), b"").unwrap();
    let (log, lines) = capture_log();
    let mut s = Session::connect(options(&server, TransferMode::Deflate), log)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", server.logs()));

    let got = download(&mut s, "words.txt").await.unwrap();
    assert!(got == words, "words.txt differs after a MODE Z download");
    assert_eq!(s.server_transfer_mode(), TransferMode::Deflate);
    let totals = lines_with(&lines, 0, "bytes on the data connection");
    let (wire, file) = wire_and_file(&totals[0]);
    assert_eq!(file, words.len() as u64);
    assert!(
        wire < file / 3,
        "text should deflate to under a third: {totals:?}"
    );

    let mark = lines.lock().unwrap().len();
    let got = download(&mut s, "noise.bin").await.unwrap();
    assert!(got == noise, "noise.bin differs after a MODE Z download");
    // Downloads cannot be probed before they start: random data goes in
    // MODE Z (the server's deflate stores it) and costs a little overhead,
    // once: later .bin files of the session go in stream mode.
    assert_eq!(
        lines_with(&lines, mark, "Download of noise.bin in MODE Z").len(),
        1
    );
    assert_eq!(
        lines_with(
            &lines,
            mark,
            "files ending .bin go in stream mode from now on"
        )
        .len(),
        1,
        "{:?}",
        lines.lock().unwrap()
    );
    let mark = lines.lock().unwrap().len();
    assert!(download(&mut s, "noise.bin").await.unwrap() == noise);
    assert_eq!(
        lines_with(&lines, mark, "Download of noise.bin in MODE S (stream) instead of MODE Z (deflate): files with its ending did not deflate earlier").len(),
        1,
        "{:?}",
        lines.lock().unwrap()
    );

    let mark = lines.lock().unwrap().len();
    let got = download(&mut s, "packed.gz").await.unwrap();
    assert!(got == words[..100_000], "packed.gz differs");
    assert_eq!(
        lines_with(
            &lines,
            mark,
            "in MODE S (stream) instead of MODE Z (deflate): the file is compressed already"
        )
        .len(),
        1,
        "{:?}",
        lines.lock().unwrap()
    );
    assert_eq!(s.server_transfer_mode(), TransferMode::Stream);

    assert_eq!(download(&mut s, "empty.txt").await.unwrap(), b"");
    // A listing after MODE Z transfers goes in stream mode and parses.
    let names: Vec<Vec<u8>> = s
        .list(None)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert!(names.contains(&b"words.txt".to_vec()), "{names:?}");
    s.quit().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mode_z_uploads_round_trip_and_incompressible_ones_go_in_stream() {
    let Some(server) = Proftpd::start("mode_z_uploads_round_trip") else {
        return;
    };
    // proftpd 1.3.8 takes MODE Z uploads in at about 50 KB/s of compressed
    // data (its upstream bug; downloads are fast), so the file is small
    // enough to finish within the 10 s deadlines.
    let words = text(256 << 10);
    let noise = random_bytes(2 << 20, 12);
    let (log, lines) = capture_log();
    let mut s = Session::connect(options(&server, TransferMode::Deflate), log)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", server.logs()));

    let sent = upload(&mut s, &words, "up.txt")
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", server.logs()));
    assert_eq!(sent, words.len() as u64);
    assert!(
        std::fs::read(server.path("up.txt")).unwrap() == words,
        "up.txt differs"
    );
    assert_eq!(
        lines_with(&lines, 0, "Upload of up.txt in MODE Z (deflate)").len(),
        1
    );
    let totals = lines_with(&lines, 0, "bytes on the data connection");
    let (wire, file) = wire_and_file(&totals[0]);
    assert_eq!(file, words.len() as u64);
    assert!(wire < file / 3, "{totals:?}");

    let mark = lines.lock().unwrap().len();
    upload(&mut s, &noise, "up.bin").await.unwrap();
    assert!(
        std::fs::read(server.path("up.bin")).unwrap() == noise,
        "up.bin differs"
    );
    assert_eq!(
        lines_with(&lines, mark, "in MODE S (stream) instead of MODE Z (deflate): deflating its first 64 KiB saves less than 10 %").len(),
        1,
        "{:?}",
        lines.lock().unwrap()
    );

    // An empty file saves nothing either; it still arrives.
    upload(&mut s, b"", "empty.txt").await.unwrap();
    assert_eq!(std::fs::read(server.path("empty.txt")).unwrap(), b"");
    s.quit().await.unwrap();
}

/// proftpd 1.3.8 can stall on a MODE Z upload of data that does not
/// compress (an upstream bug, fixed later). Data that starts as text and
/// turns random passes the 64 KiB probe and goes in MODE Z; whatever the
/// server does, Ferry must end within its deadline, say what happened, and
/// get the file across afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mode_z_upload_that_turns_incompressible_completes_or_fails_clearly() {
    let Some(server) = Proftpd::start("mode_z_upload_turns_incompressible") else {
        return;
    };
    let data = [text(256 << 10), random_bytes(6 << 20, 13)].concat();
    let (log, lines) = capture_log();
    let mut o = options(&server, TransferMode::Deflate);
    o.timeouts.data_idle = Duration::from_secs(3);
    o.timeouts.reply = Duration::from_secs(5);
    let mut s = Session::connect(o, log)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", server.logs()));
    let started = std::time::Instant::now();
    let first = upload(&mut s, &data, "mixed.bin").await;
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(
        lines_with(&lines, 0, "Upload of mixed.bin in MODE Z (deflate)").len(),
        1
    );
    match first {
        Ok(n) => {
            assert_eq!(n, data.len() as u64);
            assert!(
                std::fs::read(server.path("mixed.bin")).unwrap() == data,
                "mixed.bin differs"
            );
            eprintln!("{}: the MODE Z upload completed", server.version);
        }
        Err(e) => {
            let text = e.to_string();
            eprintln!("{}: the MODE Z upload failed: {text}", server.version);
            assert!(
                text.contains("MODE Z") && text.contains("stream mode"),
                "a stalled MODE Z upload must say so: {text}"
            );
            if !s.is_connected() || e.is_fatal_to_session() {
                s.reconnect().await.unwrap();
            }
            let mark = lines.lock().unwrap().len();
            upload(&mut s, &data, "mixed.bin").await.unwrap();
            assert!(
                std::fs::read(server.path("mixed.bin")).unwrap() == data,
                "mixed.bin differs"
            );
            assert_eq!(
                lines_with(
                    &lines,
                    mark,
                    "a MODE Z upload to this server stalled earlier"
                )
                .len(),
                1
            );
        }
    }
}

/// `ferry get/put --mode z` end to end: the binary, against proftpd.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_transfers_in_mode_z_with_dash_dash_mode_z() {
    let Some(server) = Proftpd::start("cli_mode_z") else {
        return;
    };
    let words = text(1 << 20);
    std::fs::write(server.path("words.txt"), &words).unwrap();
    let local = tempfile::tempdir().unwrap();
    std::fs::write(local.path().join("up.txt"), &words[..200_000]).unwrap();
    let url = |p: &str| format!("ftp://{USER}@{}/{p}", server.addr);
    let run = |args: Vec<String>| {
        let ferry = support::cli::Ferry::new(args)
            .cwd(local.path())
            .password(Some(PASSWORD));
        tokio::task::spawn_blocking(move || ferry.output())
    };
    let get = run(vec![
        "get".into(),
        "-v".into(),
        "--mode".into(),
        "z".into(),
        url("words.txt"),
    ])
    .await
    .unwrap();
    let err = String::from_utf8_lossy(&get.stderr);
    assert!(get.status.success(), "{err}");
    assert!(err.contains("MODE Z"), "{err}");
    assert!(
        err.contains("Download of words.txt in MODE Z (deflate)"),
        "{err}"
    );
    assert!(std::fs::read(local.path().join("words.txt")).unwrap() == words);

    let put = run(vec![
        "put".into(),
        "-v".into(),
        "--mode".into(),
        "z".into(),
        "up.txt".into(),
        url("up.txt"),
    ])
    .await
    .unwrap();
    let err = String::from_utf8_lossy(&put.stderr);
    assert!(put.status.success(), "{err}");
    assert!(
        err.contains("Upload of up.txt in MODE Z (deflate)"),
        "{err}"
    );
    assert!(std::fs::read(server.path("up.txt")).unwrap() == words[..200_000]);
}
