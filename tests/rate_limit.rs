//! Speed limits (issue 13): `--limit-rate` and the engine's token bucket, against the in-process
//! server. Only lower bounds on time are asserted (a limited copy cannot be faster than
//! (size - burst) / rate), so a slow machine cannot fail these tests.

mod support;

use std::process::Output;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use ferry::engine::queue::{self, QueueConfig, QueueHandle};
use ferry::engine::rate_limit::RateLimit;
use ferry::engine::transfer::{Existing, Known, download_file, upload_file};
use ferry::engine::{Event, Outbox};
use ferry::ftp::log::null_log;
use ferry::ftp::{ConnectOptions, Session};
use support::cli::ferry;
use support::random_bytes;
use support::server::{PASSWORD, ServerOptions, TestServer, USER};

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The least time `bytes` can take under `rate` (curl's units) with the bucket's burst.
fn least_secs(bytes: u64, rate: &str) -> f64 {
    let limit = RateLimit::new(ferry::engine::rate_limit::parse_rate(rate).unwrap());
    bytes.saturating_sub(limit.burst()) as f64 / limit.rate().unwrap() as f64
}

/// A queue with `config`, and the receiver of its events.
fn spawn_queue(config: QueueConfig) -> (QueueHandle, Receiver<Event>) {
    let (tx, events) = channel();
    (
        queue::spawn(config, Outbox::new(tx, Arc::new(|| {}))),
        events,
    )
}

/// Wait on an event matching `pick` (`secs` at most), handing back what it picked.
fn next_within<T>(
    events: &Receiver<Event>,
    what: &str,
    secs: u64,
    mut pick: impl FnMut(&Event) -> Option<T>,
) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let event = events
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("no {what} within {secs} s"));
        if let Some(found) = pick(&event) {
            return found;
        }
    }
}

/// [`next_within`] 20 s.
fn next<T>(events: &Receiver<Event>, what: &str, pick: impl FnMut(&Event) -> Option<T>) -> T {
    next_within(events, what, 20, pick)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_get_and_put_keep_to_the_limit_and_are_byte_exact() {
    let server = TestServer::start(ServerOptions::default()).await;
    let data = random_bytes(400 << 10, 13);
    std::fs::write(server.path("file.bin"), &data).unwrap();
    let work = tempfile::tempdir().unwrap();

    let start = Instant::now();
    let o = ferry(
        &[
            "get",
            "--limit-rate",
            "200K",
            &server.url("/file.bin"),
            "got.bin",
        ],
        work.path(),
    )
    .await;
    let took = start.elapsed().as_secs_f64();
    assert!(o.status.success(), "get: {}", stderr(&o));
    assert!(std::fs::read(work.path().join("got.bin")).unwrap() == data);
    let least = least_secs(data.len() as u64, "200K");
    assert!(
        took >= least,
        "a limited get took {took:.2} s, less than {least:.2} s"
    );

    let start = Instant::now();
    let o = ferry(
        &[
            "put",
            "--limit-rate",
            "200k",
            "got.bin",
            &server.url("/up.bin"),
        ],
        work.path(),
    )
    .await;
    let took = start.elapsed().as_secs_f64();
    assert!(o.status.success(), "put: {}", stderr(&o));
    assert!(std::fs::read(server.path("up.bin")).unwrap() == data);
    assert!(
        took >= least,
        "a limited put took {took:.2} s, less than {least:.2} s"
    );

    // Without a limit the same copy works as before, byte for byte.
    let o = ferry(&["get", &server.url("/file.bin"), "free.bin"], work.path()).await;
    assert!(o.status.success(), "unlimited get: {}", stderr(&o));
    assert!(std::fs::read(work.path().join("free.bin")).unwrap() == data);
}

/// With `-r -j 4` the limit is the total of all connections: four files of 100 KiB at 200 KiB/s
/// together take at least (400 KiB - burst) / rate, where a limit per connection would let them
/// finish in a quarter of that.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recursive_copy_shares_one_limit_across_its_connections() {
    let server = TestServer::start(ServerOptions::default()).await;
    std::fs::create_dir(server.path("tree")).unwrap();
    for i in 0..4 {
        std::fs::write(
            server.path(&format!("tree/f{i}.bin")),
            random_bytes(100 << 10, i),
        )
        .unwrap();
    }
    let work = tempfile::tempdir().unwrap();
    let start = Instant::now();
    let o = ferry(
        &[
            "get",
            "-r",
            "-j",
            "4",
            "--limit-rate",
            "200K",
            &server.url("/tree/"),
            "out",
        ],
        work.path(),
    )
    .await;
    let took = start.elapsed().as_secs_f64();
    assert!(o.status.success(), "get -r: {}", stderr(&o));
    assert_eq!(
        support::files_under(&work.path().join("out")),
        support::files_under(&server.path("tree"))
    );
    let least = least_secs(400 << 10, "200K");
    assert!(
        took >= least,
        "4 limited files took {took:.2} s, less than {least:.2} s"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_rate_is_refused_before_anything_happens() {
    let server = TestServer::start(ServerOptions::default()).await;
    std::fs::write(server.path("file.bin"), b"data").unwrap();
    let work = tempfile::tempdir().unwrap();
    for bad in ["fast", "2X", "0", "-1M"] {
        let arg = format!("--limit-rate={bad}");
        let o = ferry(
            &["get", &arg, &server.url("/file.bin"), "got.bin"],
            work.path(),
        )
        .await;
        assert_eq!(o.status.code(), Some(2), "{bad}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(
            err.contains("speed limit") && err.contains("--limit-rate"),
            "{bad}: {err}"
        );
        assert!(!work.path().join("got.bin").exists());
    }
}

/// The engine's own paths: a file larger than the in-memory threshold goes through `.part`, and an
/// upload through the read-ahead reader; both keep to a shared limit and are byte-exact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engine_download_and_upload_through_a_limit() {
    let server = TestServer::start(ServerOptions::default()).await;
    let data = random_bytes(3 << 19, 21); // 1.5 MiB
    std::fs::write(server.path("big.bin"), &data).unwrap();
    let opts = ConnectOptions::new("127.0.0.1", server.addr.port(), USER, PASSWORD);
    let mut s = Session::connect(opts, null_log()).await.unwrap();
    let work = tempfile::tempdir().unwrap();
    let target = work.path().join("big.bin");
    let limit = RateLimit::new(1 << 20);
    let least = (data.len() as u64 - limit.burst()) as f64 / limit.rate().unwrap() as f64;

    let start = Instant::now();
    let got = download_file(
        &mut s,
        b"big.bin",
        &target,
        Existing::Overwrite,
        Known::default(),
        Some(&limit),
        &mut |_, _| {},
    )
    .await
    .unwrap();
    let took = start.elapsed().as_secs_f64();
    assert_eq!(got, data.len() as u64);
    assert!(std::fs::read(&target).unwrap() == data);
    assert!(
        took >= least,
        "download took {took:.2} s, less than {least:.2} s"
    );

    let limit = RateLimit::new(1 << 20);
    let start = Instant::now();
    upload_file(
        &mut s,
        &target,
        b"back.bin",
        Existing::Overwrite,
        Some(&limit),
        &mut |_, _| {},
    )
    .await
    .unwrap();
    let took = start.elapsed().as_secs_f64();
    assert!(std::fs::read(server.path("back.bin")).unwrap() == data);
    assert!(
        took >= least,
        "upload took {took:.2} s, less than {least:.2} s"
    );
}

/// The window's path: the queue with a global limit per direction and a job's own limit, against
/// the in-process server. A folder given a limit while queued passes it to its files (the engine
/// says so), they share it, and every byte arrives intact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_folders_own_limit_passes_to_its_files_and_their_bytes_arrive_intact() {
    use ferry::engine::rate_limit::{BurstTolerance, GlobalLimits, SpeedLimitCommand};
    use ferry::engine::{AnyPath, Direction, PathItem, QueueCommand};

    let server = TestServer::start(ServerOptions::default()).await;
    std::fs::create_dir(server.path("tree")).unwrap();
    for i in 0..2 {
        std::fs::write(
            server.path(&format!("tree/f{i}.bin")),
            random_bytes(200 << 10, 40 + i),
        )
        .unwrap();
    }
    let local = tempfile::tempdir().unwrap();
    let (q, events) = spawn_queue(QueueConfig {
        backoff: Duration::from_millis(20),
        ..QueueConfig::default()
    });
    q.command(QueueCommand::PauseQueue { paused: true });
    q.command(QueueCommand::SpeedLimit(SpeedLimitCommand::Global(
        GlobalLimits {
            download: Some(8 << 20),
            upload: Some(300 << 10),
            burst: BurstTolerance::Normal,
        },
    )));
    q.enqueue(
        ConnectOptions::new("127.0.0.1", server.addr.port(), USER, PASSWORD),
        Direction::Download,
        vec![PathItem {
            path: AnyPath::Remote(b"/tree".to_vec()),
            is_dir: true,
        }],
        AnyPath::Local(local.path().to_path_buf()),
    );
    let folder = next(&events, "queued folder", |e| match e {
        Event::JobsChanged(views) => views.iter().find(|v| v.is_dir).map(|v| vec![v.id]),
        _ => None,
    });
    q.command(QueueCommand::SpeedLimit(SpeedLimitCommand::Jobs {
        ids: folder.clone(),
        limit: Some(200 << 10),
    }));
    let limited = next(&events, "the folder's limit", |e| match e {
        Event::JobLimits { ids, limit } => {
            assert_eq!(*limit, Some(200 << 10));
            Some(ids.clone())
        }
        _ => None,
    });
    assert_eq!(limited, folder, "the queued folder carries its limit");

    let start = Instant::now();
    q.command(QueueCommand::PauseQueue { paused: false });
    let files = next(&events, "the files' limit", |e| match e {
        Event::JobLimits { ids, limit } => {
            assert_eq!(*limit, Some(200 << 10));
            Some(ids.clone())
        }
        _ => None,
    });
    assert_eq!(files.len(), 2, "both files take the folder's limit");
    next(&events, "the queue idle", |e| match e {
        Event::QueueIdle { done, failed, .. } => {
            assert_eq!((*done, *failed), (2, 0));
            Some(())
        }
        _ => None,
    });
    let took = start.elapsed().as_secs_f64();
    assert_eq!(
        support::files_under(&local.path().join("tree")),
        support::files_under(&server.path("tree")),
        "every byte arrives"
    );
    // They share one bucket: 400 KiB at 200 KiB/s, less the burst (a bucket each would take half).
    let least = least_secs(400 << 10, "200K");
    assert!(
        took >= least,
        "the limited folder took {took:.2} s, less than {least:.2} s"
    );

    // The global upload limit holds for an upload.
    std::fs::create_dir(server.path("up")).unwrap();
    let start = Instant::now();
    q.enqueue(
        ConnectOptions::new("127.0.0.1", server.addr.port(), USER, PASSWORD),
        Direction::Upload,
        vec![PathItem {
            path: AnyPath::Local(local.path().join("tree/f0.bin")),
            is_dir: false,
        }],
        AnyPath::Remote(b"/up".to_vec()),
    );
    next(&events, "the upload done", |e| match e {
        Event::QueueIdle { done, failed, .. } => {
            // The two files before it still count as done.
            assert_eq!((*done, *failed), (3, 0));
            Some(())
        }
        _ => None,
    });
    let took = start.elapsed().as_secs_f64();
    assert!(std::fs::read(server.path("up/f0.bin")).unwrap() == random_bytes(200 << 10, 40));
    let least = least_secs(200 << 10, "300K");
    assert!(
        took >= least,
        "the limited upload took {took:.2} s, less than {least:.2} s"
    );
}

/// A change of the global limit reaches a download that is already running: 4 MiB at 64 KiB/s
/// would take 64 s; lifted once bytes flow, it ends well inside the 30 s wait, byte-exact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifting_the_global_limit_reaches_a_running_download() {
    use ferry::engine::rate_limit::{BurstTolerance, GlobalLimits, SpeedLimitCommand};
    use ferry::engine::{AnyPath, Direction, PathItem, QueueCommand};

    let server = TestServer::start(ServerOptions::default()).await;
    let data = random_bytes(4 << 20, 77);
    std::fs::write(server.path("big.bin"), &data).unwrap();
    let local = tempfile::tempdir().unwrap();
    let (q, events) = spawn_queue(QueueConfig::default());
    let limit = |download| {
        QueueCommand::SpeedLimit(SpeedLimitCommand::Global(GlobalLimits {
            download,
            upload: None,
            burst: BurstTolerance::Normal,
        }))
    };
    q.command(limit(Some(64 << 10)));
    q.enqueue(
        ConnectOptions::new("127.0.0.1", server.addr.port(), USER, PASSWORD),
        Direction::Download,
        vec![PathItem {
            path: AnyPath::Remote(b"/big.bin".to_vec()),
            is_dir: false,
        }],
        AnyPath::Local(local.path().to_path_buf()),
    );
    next_within(&events, "bytes moving", 20, |e| {
        matches!(e, Event::JobsProgress(p) if p.iter().any(|(_, bytes)| *bytes > 0)).then_some(())
    });
    q.command(limit(None));
    next_within(&events, "the download done", 30, |e| {
        if let Event::QueueIdle { done, failed, .. } = e {
            assert_eq!((*done, *failed), (1, 0));
            Some(())
        } else {
            None
        }
    });
    assert!(std::fs::read(local.path().join("big.bin")).unwrap() == data);
}

/// A job's own limit (the queue's "Speed limit…") is saved with the queue: after a restart
/// the restored job shows it and keeps to it (400 KiB at 200 KiB/s), byte-exact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jobs_own_limit_survives_a_restart_of_the_saved_queue() {
    use ferry::engine::rate_limit::SpeedLimitCommand;
    use ferry::engine::{AnyPath, Direction, PathItem, QueueCommand};

    let server = TestServer::start(ServerOptions::default()).await;
    let data = random_bytes(400 << 10, 77);
    std::fs::write(server.path("slow.bin"), &data).unwrap();
    let local = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let save = state.path().join("queue.json");
    let start = || {
        spawn_queue(QueueConfig {
            backoff: Duration::from_millis(20),
            save_path: Some(save.clone()),
            ..QueueConfig::default()
        })
    };

    // First run: the job is queued (paused), given a limit, and the app quits.
    let (q, events) = start();
    q.command(QueueCommand::PauseQueue { paused: true });
    q.enqueue(
        ConnectOptions::new("127.0.0.1", server.addr.port(), USER, PASSWORD),
        Direction::Download,
        vec![PathItem {
            path: AnyPath::Remote(b"/slow.bin".to_vec()),
            is_dir: false,
        }],
        AnyPath::Local(local.path().to_path_buf()),
    );
    let id = next(&events, "the queued job", |e| match e {
        Event::JobsChanged(views) => views.first().map(|v| v.id),
        _ => None,
    });
    q.command(QueueCommand::SpeedLimit(SpeedLimitCommand::Jobs {
        ids: vec![id],
        limit: Some(200 << 10),
    }));
    let took_limit = next(&events, "the job's limit", |e| match e {
        Event::JobLimits { ids, limit } => Some((ids.clone(), *limit)),
        _ => None,
    });
    assert_eq!(took_limit, (vec![id], Some(200 << 10)));
    drop(q);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !std::fs::read_to_string(&save).is_ok_and(|s| s.contains("limit")) {
        assert!(Instant::now() < deadline, "the limit was saved on quit");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    drop(events);

    // Second run: the restored job has its limit, and keeps to it once logged in.
    let (q, events) = start();
    let restored = next(&events, "the restored job", |e| match e {
        Event::JobsChanged(views) => views.first().map(|v| v.id),
        _ => None,
    });
    let (ids, limit) = next(&events, "the restored job's limit", |e| match e {
        Event::JobLimits { ids, limit } => Some((ids.clone(), *limit)),
        _ => None,
    });
    assert_eq!((ids, limit), (vec![restored], Some(200 << 10)));
    let started = Instant::now();
    q.login(ConnectOptions::new(
        "127.0.0.1",
        server.addr.port(),
        USER,
        PASSWORD,
    ));
    let outcome = next(&events, "the queue idle", |e| match e {
        Event::QueueIdle { done, failed, .. } => Some((*done, *failed)),
        _ => None,
    });
    assert_eq!(outcome, (1, 0));
    let took = started.elapsed().as_secs_f64();
    assert!(std::fs::read(local.path().join("slow.bin")).unwrap() == data);
    let least = least_secs(400 << 10, "200K");
    assert!(
        took >= least,
        "the restored job took {took:.2} s, less than {least:.2} s: it ran without its limit"
    );
}
