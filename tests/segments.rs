//! Segmented downloads (issue 13): one file in ranges on several connections, against the
//! in-process server (libunftp), a scripted server without REST, a proxy that cuts a range's data
//! connection, and, for a server that caps each connection, a private vsftpd with
//! `anon_max_rate` (the same per-connection cap as `local_max_rate`, for an anonymous login,
//! which vsftpd allows when it runs as the user that starts it).

mod support;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferry::engine::rate_limit::RateLimit;
use ferry::engine::segments::{SegmentPlan, download_segmented, sidecar_path};
use ferry::engine::transfer::{Existing, Known, download_file, part_path};
use ferry::ftp::log::LogLine;
use ferry::ftp::{ConnectOptions, EarlyEnd, FtpError, Session, SharedLog};
use support::cli::ferry;
use support::fake::{FakeServer, Script, Step};
use support::latency::LatencyProxy;
use support::random_bytes;
use support::server::{PASSWORD, ServerOptions, TestServer, USER};
use support::vsftpd::Vsftpd;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// A log sink that keeps every line with its session's number.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<(u64, String)>>>);

impl Captured {
    fn sink(&self) -> SharedLog {
        let lines = self.0.clone();
        Arc::new(move |l: LogLine| lines.lock().unwrap().push((l.session, l.text)))
    }

    fn lines(&self) -> Vec<(u64, String)> {
        self.0.lock().unwrap().clone()
    }

    /// The sessions that sent a line starting with `prefix`.
    fn sessions_sending(&self, prefix: &str) -> BTreeSet<u64> {
        self.lines()
            .into_iter()
            .filter(|(_, t)| t.starts_with(prefix))
            .map(|(s, _)| s)
            .collect()
    }

    /// REST commands sent (not the FEAT line that offers REST STREAM).
    fn rests(&self) -> usize {
        self.lines()
            .iter()
            .filter(|(_, t)| t.starts_with("REST "))
            .count()
    }

    fn count(&self, needle: &str) -> usize {
        self.lines()
            .iter()
            .filter(|(_, t)| t.contains(needle))
            .count()
    }

    fn dump(&self) -> String {
        self.lines()
            .iter()
            .map(|(s, t)| format!("[{s}] {t}"))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

async fn connect(addr: SocketAddr, log: &Captured) -> Session {
    let opts = ConnectOptions::new("127.0.0.1", addr.port(), USER, PASSWORD);
    Session::connect(opts, log.sink())
        .await
        .expect("log in to the test server")
}

fn plan(count: usize, end: EarlyEnd) -> SegmentPlan {
    SegmentPlan {
        end,
        ..SegmentPlan::new(count)
    }
}

async fn get(
    s: &mut Session,
    plan: SegmentPlan,
    remote: &str,
    target: &Path,
    existing: Existing,
    limit: Option<&RateLimit>,
) -> Result<u64, FtpError> {
    download_segmented(
        s,
        plan,
        remote.as_bytes(),
        target,
        existing,
        Known::default(),
        limit,
        &mut |_, _| {},
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ranges_on_several_connections_give_the_exact_file_whichever_way_they_end() {
    let server = TestServer::start(ServerOptions::default()).await;
    // 26 MiB + 3 bytes: three ranges of at least 8 MiB, the last one odd.
    let data = random_bytes((26 << 20) + 3, 7);
    std::fs::write(server.path("big.bin"), &data).unwrap();
    let work = tempfile::tempdir().unwrap();
    for (i, end) in [EarlyEnd::Close, EarlyEnd::Abor].into_iter().enumerate() {
        let log = Captured::default();
        let mut s = connect(server.addr, &log).await;
        let target = work.path().join(format!("big-{i}.bin"));
        let got = get(
            &mut s,
            plan(4, end),
            "big.bin",
            &target,
            Existing::Overwrite,
            None,
        )
        .await
        .unwrap_or_else(|e| panic!("{end:?}: {e}\n{}", log.dump()));
        assert_eq!(got, data.len() as u64);
        assert!(
            std::fs::read(&target).unwrap() == data,
            "{end:?}: content differs"
        );
        assert!(!part_path(&target).exists() && !sidecar_path(&part_path(&target)).exists());
        // Three ranges (26 MiB / 8 MiB), each RETR on a session of its own, two with REST.
        let retr = log.sessions_sending("RETR");
        assert_eq!(
            retr.len(),
            3,
            "{end:?}: sessions sending RETR\n{}",
            log.dump()
        );
        assert_eq!(log.rests(), 2, "{end:?}\n{}", log.dump());
        if end == EarlyEnd::Abor {
            assert!(
                log.count("ABOR") >= 2,
                "ranges ended with ABOR\n{}",
                log.dump()
            );
        }
        // The main session is in step after its range ended early.
        assert_eq!(s.size("big.bin").await.unwrap(), data.len() as u64);
        s.quit().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_file_goes_in_one_stream() {
    let server = TestServer::start(ServerOptions::default()).await;
    let data = random_bytes((12 << 20) + 5, 8);
    std::fs::write(server.path("mid.bin"), &data).unwrap();
    let proxy = LatencyProxy::start(server.addr, Duration::ZERO)
        .await
        .unwrap();
    let work = tempfile::tempdir().unwrap();
    let log = Captured::default();
    let mut s = connect(proxy.addr, &log).await;
    let target = work.path().join("mid.bin");
    get(
        &mut s,
        plan(4, EarlyEnd::Close),
        "mid.bin",
        &target,
        Existing::Overwrite,
        None,
    )
    .await
    .unwrap();
    assert!(std::fs::read(&target).unwrap() == data);
    // 12 MiB is less than two ranges of 8 MiB: one login, no REST.
    assert_eq!(proxy.control_connections(), 1);
    assert_eq!(log.rests(), 0);
    assert!(
        log.count("Downloading in one stream: the file") == 1,
        "{}",
        log.dump()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_rest_stream_gets_one_stream() {
    let data = random_bytes(20 << 20, 9);
    let script = Script::binary_session()
        .reply("SIZE big.bin", &format!("213 {}", data.len()))
        .sends("RETR big.bin", data.clone())
        .steps();
    let fake = FakeServer::start(script).await;
    let work = tempfile::tempdir().unwrap();
    let log = Captured::default();
    let mut s = connect(fake.addr, &log).await;
    let target = work.path().join("big.bin");
    let known = Known {
        size: None,
        modified: Some(chrono::DateTime::UNIX_EPOCH.naive_utc()),
    };
    download_segmented(
        &mut s,
        SegmentPlan::new(4),
        b"big.bin",
        &target,
        Existing::Overwrite,
        known,
        None,
        &mut |_, _| {},
    )
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", log.dump()));
    assert!(std::fs::read(&target).unwrap() == data);
    assert!(
        log.count("does not offer REST STREAM") == 1,
        "{}",
        log.dump()
    );
    let report = fake.finish().await;
    assert!(
        !report.commands.iter().any(|c| c.starts_with("REST")),
        "{:?}",
        report.commands
    );
}

/// A TCP proxy in front of the in-process server that rewrites `229` replies so that data
/// connections pass through it, and cuts the first `cuts` data connections after `after` bytes.
struct CuttingProxy {
    addr: SocketAddr,
    cut: Arc<AtomicUsize>,
}

impl CuttingProxy {
    async fn start(upstream: SocketAddr, cuts: usize, after: u64) -> CuttingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let left = Arc::new(AtomicUsize::new(cuts));
        let cut = Arc::new(AtomicUsize::new(0));
        let (l2, c2) = (left.clone(), cut.clone());
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (left, cut) = (l2.clone(), c2.clone());
                tokio::spawn(control(client, upstream, left, cut, after));
            }
        });
        CuttingProxy { addr, cut }
    }
}

async fn control(
    client: TcpStream,
    upstream: SocketAddr,
    left: Arc<AtomicUsize>,
    cut: Arc<AtomicUsize>,
    after: u64,
) {
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let (mut cr, mut cw) = client.into_split();
    let (sr, mut sw) = server.into_split();
    tokio::spawn(async move {
        let _ = tokio::io::copy(&mut cr, &mut sw).await;
    });
    let mut lines = BufReader::new(sr);
    let mut line = String::new();
    while lines.read_line(&mut line).await.unwrap_or(0) > 0 {
        if let Some(port) = line
            .starts_with("229 ")
            .then(|| line.split("|||").nth(1))
            .flatten()
            .and_then(|p| p.split('|').next())
            .and_then(|p| p.parse::<u16>().ok())
        {
            let relay = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let ours = relay.local_addr().unwrap().port();
            let limit = if left
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
            {
                Some(after)
            } else {
                None
            };
            let (upstream, cut) = (SocketAddr::new(upstream.ip(), port), cut.clone());
            tokio::spawn(async move {
                let Ok((mut c, _)) = relay.accept().await else {
                    return;
                };
                let Ok(s) = TcpStream::connect(upstream).await else {
                    return;
                };
                let mut s = s.take(limit.unwrap_or(u64::MAX));
                let _ = tokio::io::copy(&mut s, &mut c).await;
                if limit.is_some() {
                    cut.fetch_add(1, Ordering::SeqCst);
                }
                // Dropping both ends: the client sees the data end early, the server a reset.
            });
            line = format!("229 Entering Extended Passive Mode (|||{ours}|)\r\n");
        }
        if cw.write_all(line.as_bytes()).await.is_err() {
            return;
        }
        line.clear();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_range_cut_off_mid_way_is_resumed_where_it_stopped() {
    let server = TestServer::start(ServerOptions::default()).await;
    let data = random_bytes(24 << 20, 10);
    std::fs::write(server.path("big.bin"), &data).unwrap();
    // The first two data connections end after 3 MiB.
    let proxy = CuttingProxy::start(server.addr, 2, 3 << 20).await;
    let work = tempfile::tempdir().unwrap();
    let log = Captured::default();
    let mut s = connect(proxy.addr, &log).await;
    let target = work.path().join("big.bin");
    get(
        &mut s,
        plan(3, EarlyEnd::Close),
        "big.bin",
        &target,
        Existing::Overwrite,
        None,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", log.dump()));
    assert_eq!(proxy.cut.load(Ordering::SeqCst), 2, "{}", log.dump());
    assert!(std::fs::read(&target).unwrap() == data, "content differs");
    assert_eq!(log.count("trying again"), 2, "{}", log.dump());
    // Each retry continued its range: a REST past the range's start by the 3 MiB it had.
    let rests: Vec<u64> = log
        .lines()
        .iter()
        .filter_map(|(_, t)| t.strip_prefix("REST ")?.trim().parse().ok())
        .collect();
    let starts = [0u64, 8 << 20, 16 << 20];
    let resumed = rests
        .iter()
        .filter(|r| starts.iter().any(|s| **r == s + (3 << 20)))
        .count();
    assert_eq!(resumed, 2, "REST offsets {rests:?}\n{}", log.dump());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_segmented_download_resumes_exactly_segmented_or_not() {
    let server = TestServer::start(ServerOptions::default()).await;
    let data = random_bytes(24 << 20, 11);
    std::fs::write(server.path("big.bin"), &data).unwrap();
    let work = tempfile::tempdir().unwrap();
    for segmented_resume in [true, false] {
        let target = work.path().join(format!("big-{segmented_resume}.bin"));
        let part = part_path(&target);
        let log = Captured::default();
        let mut s = connect(server.addr, &log).await;
        let (tx, rx) = tokio::sync::watch::channel(false);
        s.set_cancel(Some(rx));
        // Slow enough to cancel part way: 24 MiB at 16 MiB/s.
        let limit = RateLimit::new(16 << 20);
        let cancel = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(700)).await;
            let _ = tx.send(true);
            tx
        });
        let r = get(
            &mut s,
            plan(3, EarlyEnd::Close),
            "big.bin",
            &target,
            Existing::Overwrite,
            Some(&limit),
        )
        .await;
        let _tx = cancel.await.unwrap();
        assert!(
            matches!(r, Err(FtpError::Cancelled)),
            "{r:?}\n{}",
            log.dump()
        );
        assert!(!target.exists(), "a partial download never takes the name");
        assert!(
            sidecar_path(&part).exists(),
            "the ranges on disk are recorded"
        );
        let have = std::fs::metadata(&part).unwrap().len();
        assert!(have > 0, "something was written");
        s.set_cancel(None);
        if segmented_resume {
            get(
                &mut s,
                plan(3, EarlyEnd::Close),
                "big.bin",
                &target,
                Existing::Resume,
                None,
            )
            .await
            .unwrap_or_else(|e| panic!("{e}\n{}", log.dump()));
        } else {
            // One stream: the .part is first cut back to its complete beginning.
            download_file(
                &mut s,
                b"big.bin",
                &target,
                Existing::Resume,
                Known::default(),
                None,
                &mut |_, _| {},
            )
            .await
            .unwrap_or_else(|e| panic!("{e}\n{}", log.dump()));
        }
        assert!(
            std::fs::read(&target).unwrap() == data,
            "resumed {}: content differs",
            if segmented_resume {
                "in ranges"
            } else {
                "in one stream"
            }
        );
        assert!(!part.exists() && !sidecar_path(&part).exists());
        s.quit().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_get_segments_is_byte_exact_and_put_refuses_it() {
    let server = TestServer::start(ServerOptions::default()).await;
    let data = random_bytes((17 << 20) + 1, 12);
    std::fs::write(server.path("big.bin"), &data).unwrap();
    let work = tempfile::tempdir().unwrap();
    let o = ferry(
        &[
            "-v",
            "get",
            "--segments",
            "4",
            &server.url("/big.bin"),
            "got.bin",
        ],
        work.path(),
    )
    .await;
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(std::fs::read(work.path().join("got.bin")).unwrap() == data);
    assert!(
        err.contains("Downloading in 2 ranges on 2 connections"),
        "{err}"
    );

    let o = ferry(
        &["put", "--segments", "2", "got.bin", &server.url("/up.bin")],
        work.path(),
    )
    .await;
    assert_eq!(o.status.code(), Some(2), "usage error");
    assert!(String::from_utf8_lossy(&o.stderr).contains("--segments splits downloads only"));
    assert!(!server.path("up.bin").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vsftpd_capping_each_connection_serves_the_ranges_exactly() {
    let root = tempfile::tempdir().unwrap();
    let data = random_bytes(24 << 20, 14);
    std::fs::write(root.path().join("big.bin"), &data).unwrap();
    let Some(vsftpd) = Vsftpd::start(
        "vsftpd_capping_each_connection_serves_the_ranges_exactly",
        root.path(),
        &format!("listen_address=127.0.0.1\nanon_max_rate={}\n", 8 << 20),
    ) else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    for end in [EarlyEnd::Close, EarlyEnd::Abor] {
        let log = Captured::default();
        let opts = ConnectOptions::new("127.0.0.1", vsftpd.port, "anonymous", "");
        let mut s = Session::connect(opts, log.sink()).await.unwrap();
        let target = work.path().join(format!("big-{end:?}.bin"));
        get(
            &mut s,
            plan(3, end),
            "big.bin",
            &target,
            Existing::Overwrite,
            None,
        )
        .await
        .unwrap_or_else(|e| panic!("{end:?}: {e}\n{}", log.dump()));
        assert!(
            std::fs::read(&target).unwrap() == data,
            "{end:?}: content differs"
        );
        assert_eq!(log.sessions_sending("RETR").len(), 3, "{}", log.dump());
        // vsftpd answers a closed data connection with 426; either way the session is in step.
        assert_eq!(
            s.size("big.bin").await.unwrap(),
            data.len() as u64,
            "{}",
            log.dump()
        );
        s.quit().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_r_splits_the_large_files_of_a_folder_through_the_queue() {
    let server = TestServer::start(ServerOptions::default()).await;
    std::fs::create_dir(server.path("dir")).unwrap();
    let big = random_bytes((17 << 20) + 9, 15);
    let small = random_bytes(1000, 16);
    std::fs::write(server.path("dir/big.bin"), &big).unwrap();
    std::fs::write(server.path("dir/small.bin"), &small).unwrap();
    let work = tempfile::tempdir().unwrap();
    let o = ferry(
        &[
            "-v",
            "get",
            "-r",
            "-j",
            "1",
            "--segments",
            "2",
            &server.url("/dir/"),
            "copy",
        ],
        work.path(),
    )
    .await;
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(std::fs::read(work.path().join("copy/big.bin")).unwrap() == big);
    assert!(std::fs::read(work.path().join("copy/small.bin")).unwrap() == small);
    assert_eq!(
        err.matches("Downloading in 2 ranges on 2 connections")
            .count(),
        1,
        "the large file only: {err}"
    );
}

#[test]
fn a_site_keeps_its_segments_and_type_and_the_preferences_fill_in_the_rest() {
    use ferry::engine::queue::TransferSettings;
    use ferry::ftp::ascii::TypeChoice;
    use ferry::sites::Site;
    use ferry::ui::connect_form::ConnectForm;

    let mut site = Site::new("s", "h");
    let mut form = ConnectForm::from_site(&site);
    form.user = "u".into();
    form.segments = Some(8);
    form.transfer_type = Some(TypeChoice::Ascii);
    form.apply_to(&mut site);
    assert_eq!(
        (site.segments, site.transfer_type),
        (Some(8), Some(TypeChoice::Ascii))
    );
    let text = toml::to_string(&site).unwrap();
    let back: Site = toml::from_str(&text).unwrap();
    assert_eq!(
        (back.segments, back.transfer_type),
        (Some(8), Some(TypeChoice::Ascii))
    );

    let prefs = TransferSettings {
        segments: 4,
        transfer_type: TypeChoice::Auto,
        text_endings: vec!["conf".into()],
    };
    // The site's own choices win...
    let mut own = form.validate().unwrap().options;
    prefs.fill(&mut own);
    assert_eq!(
        (own.segments, own.transfer_type),
        (8, Some(TypeChoice::Ascii))
    );
    // ...and "As in Preferences" takes the Preferences'.
    form.segments = None;
    form.transfer_type = None;
    let mut follows = form.validate().unwrap().options;
    assert_eq!((follows.segments, follows.transfer_type), (0, None));
    prefs.fill(&mut follows);
    assert_eq!(
        (follows.segments, follows.transfer_type),
        (4, Some(TypeChoice::Auto))
    );
    assert_eq!(follows.text_endings, ["conf"]);
}

/// A server that says nothing when the client closes the data connection of a RETR (it only
/// notices at ABOR): [`EarlyEnd::Close`] waits a few seconds for the reply, then sends ABOR and
/// reads both replies and the marker's, leaving the session in step.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_silent_after_the_data_closes_gets_abor_and_stays_in_step() {
    let script = Script::binary_session()
        .passive("RETR big.bin")
        .then([
            Step::DataSendAndHold(vec![7u8; 100_000]),
            Step::WaitDataClosed,
            Step::Expect("ABOR".into()),
            Step::Send(b"426 Transfer aborted\r\n226 ABOR successful\r\n".to_vec()),
        ])
        .reply("PWD", "257 \"/\"")
        .reply("NOOP", "200 still here")
        .steps();
    let fake = FakeServer::start(script).await;
    let log = Captured::default();
    let mut s = connect(fake.addr, &log).await;
    let mut data = s.retrieve("big.bin", 0).await.unwrap();
    let mut first = vec![0u8; 1000];
    data.read_exact(&mut first).await.unwrap();
    s.end_transfer_early(data, EarlyEnd::Close)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", log.dump()));
    s.noop()
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", log.dump()));
    assert!(log.count("sending ABOR") == 1, "{}", log.dump());
    let report = fake.finish().await;
    assert!(
        report.commands.iter().any(|c| c == "NOOP"),
        "{:?}",
        report.commands
    );
}
