//! Fewer round trips per file (issue 13): what Ferry sends, read from the protocol log and
//! counted at the latency proxy, never timed.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferry::engine::transfer::{Existing, Known, download_file};
use ferry::ftp::log::{LogKind, LogLine, SharedLog};
use ferry::ftp::{ConnectOptions, Session};
use support::latency::LatencyProxy;
use support::server::{PASSWORD, ServerOptions, TestServer, USER};

fn capture_log() -> (SharedLog, Arc<Mutex<Vec<LogLine>>>) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    let log: SharedLog = Arc::new(move |l: LogLine| sink.lock().unwrap().push(l));
    (log, lines)
}

/// A file's time from the server (no time in the listing: Known is empty) is asked with MDTM in
/// the same write as the data command, so both replies come back in one round trip. libunftp
/// works on commands concurrently and may answer EPSV first: the replies are told apart by their
/// codes (no fallback to PASV, the right time on the file), and that session sends one command
/// at a time from then on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mdtm_goes_out_with_the_data_command_and_its_time_is_kept() {
    let server = TestServer::start(ServerOptions::default()).await;
    let names = ["a.bin", "b.bin", "c-large.bin"];
    for (i, name) in names.iter().enumerate() {
        let path = server.path(name);
        let len = if i == 2 { 3 << 20 } else { 5_000 };
        std::fs::write(&path, support::random_bytes(len, 7)).unwrap();
        let when = std::time::UNIX_EPOCH + Duration::from_secs(1_600_000_000 + i as u64);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(when)
            .unwrap();
    }
    let (log, lines) = capture_log();
    let opts = ConnectOptions::new("127.0.0.1", server.addr.port(), USER, PASSWORD);
    let mut s = Session::connect(opts, log).await.unwrap();
    let out = tempfile::tempdir().unwrap();
    let mut out_of_order = false;
    for (i, name) in names.iter().enumerate() {
        lines.lock().unwrap().clear();
        let target = out.path().join(name);
        download_file(
            &mut s,
            name.as_bytes(),
            &target,
            Existing::Overwrite,
            Known::default(),
            None,
            &mut |_, _| {},
        )
        .await
        .unwrap();
        assert_eq!(
            std::fs::read(&target).unwrap(),
            std::fs::read(server.path(name)).unwrap()
        );
        let wire: Vec<String> = lines
            .lock()
            .unwrap()
            .iter()
            .filter(|l| matches!(l.kind, LogKind::Sent | LogKind::Received))
            .map(|l| l.text.clone())
            .collect();
        let mdtm = wire
            .iter()
            .position(|l| l == &format!("MDTM {name}"))
            .unwrap_or_else(|| panic!("{name}: no MDTM in {wire:#?}"));
        assert_eq!(
            wire.iter().filter(|l| l.starts_with("MDTM")).count(),
            1,
            "{name}: asked once: {wire:#?}"
        );
        assert!(!wire.iter().any(|l| l == "PASV"), "{wire:#?}");
        if out_of_order {
            // One at a time: MDTM's reply before anything else goes out.
            assert!(wire[mdtm + 1].starts_with("213 "), "{wire:#?}");
        } else {
            assert_eq!(
                wire[mdtm + 1],
                "EPSV",
                "{name}: sent before MDTM's reply: {wire:#?}"
            );
            let replies = [&wire[mdtm + 2], &wire[mdtm + 3]];
            assert!(replies.iter().any(|r| r.starts_with("213 ")), "{wire:#?}");
            assert!(replies.iter().any(|r| r.starts_with("229 ")), "{wire:#?}");
            out_of_order = replies[0].starts_with("229 ");
        }
        let modified = std::fs::metadata(&target).unwrap().modified().unwrap();
        let secs = modified
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert_eq!(
            secs,
            1_600_000_000 + i as u64,
            "{name}: the server's time: {wire:#?}"
        );
    }
}

/// `ferry get -r -j 1` logs in once: the session that looked at the URL lists the folder and
/// then downloads the files, instead of a second login for the listing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recursive_get_with_one_connection_logs_in_once() {
    let server = TestServer::start(ServerOptions::default()).await;
    std::fs::create_dir_all(server.path("tree/sub")).unwrap();
    for i in 0..5 {
        std::fs::write(server.path(&format!("tree/f{i}.txt")), format!("file {i}")).unwrap();
        std::fs::write(
            server.path(&format!("tree/sub/g{i}.txt")),
            format!("sub {i}"),
        )
        .unwrap();
    }
    let proxy = LatencyProxy::start(server.addr, Duration::ZERO)
        .await
        .unwrap();
    let out = tempfile::tempdir().unwrap();
    let url = format!("ftp://{USER}@127.0.0.1:{}/tree/", proxy.addr.port());
    let target = out.path().join("copy");
    let output = support::cli::Ferry::new(["get", "-r", "-j", "1", &url])
        .arg(&target)
        .password(Some(PASSWORD))
        .run()
        .await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let copied = support::files_under(&out.path().join("copy"));
    assert_eq!(copied.len(), 10, "{:?}", copied.keys());
    assert_eq!(copied["sub/g3.txt"], b"sub 3");
    assert_eq!(proxy.control_connections(), 1);
}

/// How many times the client waited for the server within `lines`: each run of commands sent
/// together, then the replies read before the next command, is one exchange (one round trip).
fn exchanges(lines: &[LogLine]) -> usize {
    let mut count = 0;
    let mut sending = false;
    for l in lines {
        match l.kind {
            LogKind::Sent if !sending => {
                sending = true;
                count += 1;
            }
            LogKind::Received => sending = false,
            _ => {}
        }
    }
    count
}

/// To vsftpd (a server that takes one command at a time), through the latency proxy: after the
/// first file, each download is one exchange on the control connection (RETR, the file's MDTM
/// and the next file's EPSV in one write, answered 150, 226, 213, 229) and one data connection,
/// where it was four exchanges before (MDTM+EPSV, RETR, 150, 226).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn to_vsftpd_each_download_is_one_exchange_and_one_data_connection() {
    let root = tempfile::tempdir().unwrap();
    let names: Vec<String> = (0..5).map(|i| format!("f{i}.bin")).collect();
    for (i, name) in names.iter().enumerate() {
        std::fs::write(
            root.path().join(name),
            support::random_bytes(10_240, i as u64),
        )
        .unwrap();
    }
    let Some(vsftpd) = support::vsftpd::Vsftpd::start(
        "to_vsftpd_each_download_is_one_exchange_and_one_data_connection",
        root.path(),
        "listen_address=127.0.0.1\n",
    ) else {
        return;
    };
    let upstream = std::net::SocketAddr::from(([127, 0, 0, 1], vsftpd.port));
    let proxy = LatencyProxy::start(upstream, Duration::ZERO).await.unwrap();
    let (log, lines) = capture_log();
    let opts = ConnectOptions::new("127.0.0.1", proxy.addr.port(), "anonymous", "");
    let mut s = Session::connect(opts, log).await.unwrap();
    let out = tempfile::tempdir().unwrap();
    for (i, name) in names.iter().enumerate() {
        lines.lock().unwrap().clear();
        let data_before = proxy.data_connections();
        download_file(
            &mut s,
            name.as_bytes(),
            &out.path().join(name),
            Existing::Overwrite,
            Known {
                size: Some(10_240),
                modified: None,
            },
            None,
            &mut |_, _| {},
        )
        .await
        .unwrap();
        assert_eq!(
            std::fs::read(out.path().join(name)).unwrap(),
            support::random_bytes(10_240, i as u64)
        );
        assert_eq!(proxy.data_connections() - data_before, 1, "{name}");
        let lines = lines.lock().unwrap();
        let sent = lines.iter().filter(|l| l.kind == LogKind::Sent).count();
        // The first file also asks for its port (and sets TYPE I).
        if i > 0 {
            assert_eq!(exchanges(&lines), 1, "{name}: {lines:#?}");
            assert_eq!(sent, 3, "RETR, MDTM, EPSV: {lines:#?}");
        }
    }
    assert_eq!(proxy.control_connections(), 1);
}
