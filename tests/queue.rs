//! The transfer queue end to end: recursive copies against the in-process
//! libunftp server, resuming after a cut connection (through a proxy that
//! drops it mid-file), answers to "the target exists", a saved queue that
//! resumes after a restart, and, against the scripted fake server, hostile
//! listings and a cancel that keeps the session usable.

mod support;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant, SystemTime};

use ferry::engine::queue::QueueConfig;
use ferry::engine::{
    AnyPath, Direction, Event, JobState, JobView, OnExisting, PathItem, QueueCommand,
};
use ferry::ftp::ConnectOptions;
use support::fake::{FakeServer, Script, Step};
use support::queue::Queue;
use support::server::{PASSWORD, ServerOptions, TestServer, USER};
use support::{random_bytes, sha256_hex};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

fn config(on_existing: OnExisting) -> QueueConfig {
    QueueConfig {
        concurrency: 4,
        on_existing,
        retries: 3,
        backoff: Duration::from_millis(20),
        save_path: None,
        restore_later: false,
        protocol_log: true,
        rate_limit: None,
        exclude: None,
    }
}

fn login(addr: SocketAddr) -> ConnectOptions {
    ConnectOptions::new("127.0.0.1", addr.port(), USER, PASSWORD)
}

/// Every file under `root`, relative path → SHA-256.
fn hashes(root: &Path) -> HashMap<String, String> {
    support::files_under(root)
        .into_iter()
        .map(|(path, bytes)| (path, sha256_hex(&bytes)))
        .collect()
}

/// 500 files of 0–20 KB in nested folders (5 × 4 folders of 25 files).
fn make_tree(root: &Path) {
    let mut n = 0u64;
    for a in 0..5 {
        for b in 0..4 {
            let dir = root.join(format!("dir {a}")).join(format!("sub{b}"));
            std::fs::create_dir_all(&dir).unwrap();
            for f in 0..25 {
                n += 1;
                let len = (n * 7919 % 20_000) as usize;
                std::fs::write(dir.join(format!("file{f}.bin")), random_bytes(len, n)).unwrap();
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tree_of_500_files_downloads_and_uploads_byte_exact_on_four_connections() {
    let server = TestServer::start(ServerOptions::default()).await;
    make_tree(&server.path("tree"));
    let local = tempfile::tempdir().unwrap();

    let mut q = Queue::start(config(OnExisting::Ask));
    q.handle.enqueue(
        login(server.addr),
        Direction::Download,
        vec![PathItem {
            path: AnyPath::Remote(b"/tree".to_vec()),
            is_dir: true,
        }],
        AnyPath::Local(local.path().to_path_buf()),
    );
    assert_eq!(q.idle().await, (500, 0, 0), "done, skipped, failed");
    let original = hashes(&server.path("tree"));
    assert_eq!(original.len(), 500);
    assert_eq!(hashes(&local.path().join("tree")), original);
    let parts: Vec<_> = hashes(local.path())
        .into_keys()
        .filter(|p| p.ends_with(".part"))
        .collect();
    assert!(parts.is_empty(), "no .part left: {parts:?}");

    std::fs::create_dir(server.path("copy")).unwrap();
    q.handle.enqueue(
        login(server.addr),
        Direction::Upload,
        vec![PathItem {
            path: AnyPath::Local(local.path().join("tree")),
            is_dir: true,
        }],
        AnyPath::Remote(b"/copy".to_vec()),
    );
    let (done, _, failed) = q.idle().await;
    assert_eq!((done, failed), (1000, 0), "500 more done");
    assert_eq!(hashes(&server.path("copy/tree")), original);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_start_by_priority_then_order_and_a_folders_files_take_its_place() {
    let server = TestServer::start(ServerOptions::default()).await;
    std::fs::create_dir(server.path("a")).unwrap();
    for name in ["a/1.txt", "a/2.txt", "b.txt", "c.txt", "d.txt"] {
        std::fs::write(server.path(name), name).unwrap();
    }
    let local = tempfile::tempdir().unwrap();
    let mut q = Queue::start(QueueConfig {
        concurrency: 1,
        ..config(OnExisting::Overwrite)
    });
    q.handle.command(QueueCommand::PauseQueue { paused: true });
    let sources = [
        ("/a", true),
        ("/b.txt", false),
        ("/c.txt", false),
        ("/d.txt", false),
    ];
    q.handle.enqueue(
        login(server.addr),
        Direction::Download,
        sources
            .iter()
            .map(|&(p, is_dir)| PathItem {
                path: AnyPath::Remote(p.as_bytes().to_vec()),
                is_dir,
            })
            .collect(),
        AnyPath::Local(local.path().to_path_buf()),
    );
    q.until(
        "four queued jobs",
        |_, e| matches!(e, Event::JobsChanged(v) if v.len() == 4),
    )
    .await;
    let id_of = |q: &Queue, name: &str| {
        q.views
            .values()
            .find(|v| v.source == AnyPath::Remote(name.as_bytes().to_vec()))
            .map(|v| v.id)
            .unwrap()
    };
    let (c, d) = (id_of(&q, "/c.txt"), id_of(&q, "/d.txt"));
    q.handle.command(QueueCommand::SetPriority {
        ids: vec![d],
        priority: ferry::engine::Priority::High,
    });
    q.handle.command(QueueCommand::MoveJobs {
        ids: vec![c],
        to: ferry::engine::MoveTo::Top,
    });
    q.handle.command(QueueCommand::PauseQueue { paused: false });
    // The order in which jobs started (one at a time, on one connection), as
    // the protocol log shows it: a folder is listed, a file retrieved. (Job
    // states are coalesced into snapshots, so a short job's Running may never
    // be seen as an event.)
    q.until("QueueIdle", |_, e| matches!(e, Event::QueueIdle { .. }))
        .await;
    let started: Vec<String> = q
        .log
        .iter()
        .filter_map(|l| {
            ["RETR ", "MLSD ", "LIST "]
                .iter()
                .find_map(|c| l.strip_prefix(c))
                .map(str::to_string)
        })
        .collect();
    assert_eq!(
        started,
        ["/d.txt", "/c.txt", "/a", "/a/1.txt", "/a/2.txt", "/b.txt"],
        "high priority first, then the queue order, the folder's files where it stood"
    );
    assert_eq!(
        std::fs::read(local.path().join("a/2.txt")).unwrap(),
        b"a/2.txt"
    );
}

/// A TCP proxy in front of an FTP server that rewrites EPSV replies so data
/// connections pass through it too, and cuts the first download after
/// `cut_after` bytes: data and control connections are dropped, as when a
/// network link fails mid-file. Later connections pass untouched.
struct CuttingProxy {
    addr: SocketAddr,
    cut: Arc<AtomicBool>,
}

impl CuttingProxy {
    async fn start(server: SocketAddr, cut_after: usize) -> CuttingProxy {
        CuttingProxy::start_cutting(server, cut_after, false).await
    }

    /// Cuts the first upload instead, after `cut_after` bytes, and only its
    /// data connection: the server gets an end of stream (FIN), the client
    /// a reset; the control connection lives on.
    async fn start_upload(server: SocketAddr, cut_after: usize) -> CuttingProxy {
        CuttingProxy::start_cutting(server, cut_after, true).await
    }

    async fn start_cutting(server: SocketAddr, cut_after: usize, upload: bool) -> CuttingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let cut = Arc::new(AtomicBool::new(false));
        let done = cut.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(control_relay(
                    client,
                    server,
                    cut_after,
                    done.clone(),
                    upload,
                ));
            }
        });
        CuttingProxy { addr, cut }
    }
}

async fn control_relay(
    client: TcpStream,
    server: SocketAddr,
    cut_after: usize,
    cut: Arc<AtomicBool>,
    upload: bool,
) {
    let Ok(upstream) = TcpStream::connect(server).await else {
        return;
    };
    let (client_read, mut client_write) = client.into_split();
    let (up_read, mut up_write) = upstream.into_split();
    // The control connection ends when a data relay cuts the link.
    let (kill_tx, mut kill_rx) = tokio::sync::watch::channel(false);
    let to_server = async move {
        let mut r = client_read;
        let _ = tokio::io::copy(&mut r, &mut up_write).await;
    };
    let to_client = async move {
        let mut lines = BufReader::new(up_read);
        let mut line = Vec::new();
        loop {
            line.clear();
            match lines.read_until(b'\n', &mut line).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let text = String::from_utf8_lossy(&line).into_owned();
            let out = match text.strip_prefix("229 ").and_then(epsv_port) {
                Some(port) => {
                    let relay = TcpListener::bind("127.0.0.1:0").await.unwrap();
                    let mine = relay.local_addr().unwrap().port();
                    let target = SocketAddr::new(server.ip(), port);
                    if upload {
                        tokio::spawn(upload_relay(relay, target, cut_after, cut.clone()));
                    } else {
                        tokio::spawn(data_relay(
                            relay,
                            target,
                            cut_after,
                            cut.clone(),
                            kill_tx.clone(),
                        ));
                    }
                    format!("229 Entering Extended Passive Mode (|||{mine}|)\r\n").into_bytes()
                }
                None => line.clone(),
            };
            if client_write.write_all(&out).await.is_err() {
                return;
            }
        }
    };
    tokio::select! {
        () = to_server => {}
        () = to_client => {}
        _ = kill_rx.wait_for(|k| *k) => {}
    }
}

fn epsv_port(text: &str) -> Option<u16> {
    let inner = text.split("(|||").nth(1)?;
    inner.split('|').next()?.parse().ok()
}

async fn data_relay(
    relay: TcpListener,
    target: SocketAddr,
    cut_after: usize,
    cut: Arc<AtomicBool>,
    kill: tokio::sync::watch::Sender<bool>,
) {
    let Ok((mut client, _)) = relay.accept().await else {
        return;
    };
    let Ok(mut server) = TcpStream::connect(target).await else {
        return;
    };
    let mut buf = vec![0u8; 16 * 1024];
    let mut up = vec![0u8; 16 * 1024];
    let mut moved = 0usize;
    let first = !cut.load(Ordering::SeqCst);
    loop {
        tokio::select! {
            n = server.read(&mut buf) => {
                let Ok(n) = n else { return };
                if n == 0 {
                    let _ = client.shutdown().await;
                    // Uploads: nothing to cut; finish the copy the other way.
                    let _ = tokio::io::copy(&mut client, &mut server).await;
                    return;
                }
                let mut n = n;
                if first && moved + n >= cut_after && !cut.swap(true, Ordering::SeqCst) {
                    n = cut_after - moved;
                    let _ = client.write_all(&buf[..n]).await;
                    // The link fails: the data and control connections die together.
                    let _ = kill.send(true);
                    return;
                }
                moved += n;
                if client.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
            n = client.read(&mut up) => {
                match n {
                    Ok(0) | Err(_) => {
                        let _ = server.shutdown().await;
                        let _ = tokio::io::copy(&mut server, &mut client).await;
                        return;
                    }
                    Ok(n) => {
                        if server.write_all(&up[..n]).await.is_err() {
                            return;
                        }
                    }
                }
            }
        }
    }
}

/// A data connection of an upload: the first one passes `cut_after` bytes
/// to the server and ends there, the server's side with a FIN (an
/// ordinary end of file to it), the client's with a reset (SO_LINGER 0).
/// Later ones pass everything.
async fn upload_relay(
    relay: TcpListener,
    target: SocketAddr,
    cut_after: usize,
    cut: Arc<AtomicBool>,
) {
    let Ok((mut client, _)) = relay.accept().await else {
        return;
    };
    let Ok(mut server) = TcpStream::connect(target).await else {
        return;
    };
    if cut.load(Ordering::SeqCst) {
        let (mut cr, mut cw) = client.into_split();
        let (mut sr, mut sw) = server.into_split();
        let up = async move {
            let _ = tokio::io::copy(&mut cr, &mut sw).await;
            let _ = sw.shutdown().await;
        };
        let down = async move {
            let _ = tokio::io::copy(&mut sr, &mut cw).await;
            let _ = cw.shutdown().await;
        };
        tokio::join!(up, down);
        return;
    }
    let mut buf = vec![0u8; 16 * 1024];
    let mut moved = 0usize;
    while moved < cut_after {
        let want = buf.len().min(cut_after - moved);
        match client.read(&mut buf[..want]).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if server.write_all(&buf[..n]).await.is_err() {
                    return;
                }
                moved += n;
            }
        }
    }
    cut.store(true, Ordering::SeqCst);
    let _ = server.shutdown().await;
    // Deprecated because a lingering close blocks the thread; a linger of
    // zero does not wait: it resets the connection at once.
    #[allow(deprecated)]
    let _ = client.set_linger(Some(Duration::ZERO));
    drop(client);
    // The server closes its side once it has stored what it got.
    let _ = server.read(&mut buf).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_cut_mid_file_resumes_with_rest_and_arrives_byte_exact() {
    let server = TestServer::start(ServerOptions::default()).await;
    let data = random_bytes(3_000_000, 77);
    std::fs::write(server.path("big.bin"), &data).unwrap();
    let proxy = CuttingProxy::start(server.addr, 700_000).await;
    let local = tempfile::tempdir().unwrap();

    let mut q = Queue::start(config(OnExisting::Overwrite));
    q.handle.enqueue(
        login(proxy.addr),
        Direction::Download,
        vec![PathItem {
            path: AnyPath::Remote(b"/big.bin".to_vec()),
            is_dir: false,
        }],
        AnyPath::Local(local.path().to_path_buf()),
    );
    // A cut connection is retried at once, so the "Retrying" state may last less than one
    // snapshot of the queue: the second try shows in the protocol log (its REST) instead.
    q.until("QueueIdle", |_, e| matches!(e, Event::QueueIdle { .. }))
        .await;
    assert!(proxy.cut.load(Ordering::SeqCst), "the proxy cut the link");
    let got = std::fs::read(local.path().join("big.bin")).unwrap();
    assert_eq!(got.len(), data.len());
    assert_eq!(sha256_hex(&got), sha256_hex(&data));
    let rest: Vec<&String> = q.log.iter().filter(|l| l.starts_with("REST ")).collect();
    assert_eq!(rest.len(), 1, "one resume: {rest:?}");
    let offset: u64 = rest[0][5..].trim().parse().unwrap();
    assert!(offset > 0 && offset <= 700_000, "resumed from {offset}");
    assert!(!local.path().join("big.bin.part").exists());
}

/// Put `content` at `path` with a modification time `age` before now
/// (negative: in the future).
fn write_with_age(path: &Path, content: &[u8], age_secs: i64) {
    std::fs::write(path, content).unwrap();
    let now = SystemTime::now();
    let t = if age_secs >= 0 {
        now - Duration::from_secs(age_secs as u64)
    } else {
        now + Duration::from_secs((-age_secs) as u64)
    };
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(t)
        .unwrap();
}

/// Download `/f.txt` over an existing local `f.txt` with `choice`.
async fn download_over(
    server: &TestServer,
    choice: OnExisting,
    existing: &[u8],
    age_secs: i64,
) -> (tempfile::TempDir, Queue) {
    let local = tempfile::tempdir().unwrap();
    write_with_age(&local.path().join("f.txt"), existing, age_secs);
    let mut q = Queue::start(config(choice));
    q.handle.enqueue(
        login(server.addr),
        Direction::Download,
        vec![PathItem {
            path: AnyPath::Remote(b"/f.txt".to_vec()),
            is_dir: false,
        }],
        AnyPath::Local(local.path().to_path_buf()),
    );
    q.idle().await;
    (local, q)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_answer_to_an_existing_target_does_what_it_says() {
    let server = TestServer::start(ServerOptions::default()).await;
    std::fs::write(server.path("f.txt"), b"NEW CONTENT").unwrap();
    let read = |dir: &Path, name: &str| std::fs::read(dir.join(name)).unwrap();

    let (dir, q) = download_over(&server, OnExisting::Overwrite, b"old", 3600).await;
    assert_eq!(read(dir.path(), "f.txt"), b"NEW CONTENT");
    assert_eq!(q.in_state(JobState::Done).len(), 1);

    let (dir, q) = download_over(&server, OnExisting::Skip, b"old", 3600).await;
    assert_eq!(read(dir.path(), "f.txt"), b"old");
    assert_eq!(q.in_state(JobState::Skipped).len(), 1);

    let (dir, _) = download_over(&server, OnExisting::Rename, b"old", 3600).await;
    assert_eq!(read(dir.path(), "f.txt"), b"old");
    assert_eq!(read(dir.path(), "f (1).txt"), b"NEW CONTENT");

    let (dir, q) = download_over(&server, OnExisting::Resume, b"NEW ", 3600).await;
    assert_eq!(read(dir.path(), "f.txt"), b"NEW CONTENT");
    assert!(q.log.iter().any(|l| l == "REST 4"), "resumed at 4");

    // The server's copy is a few seconds old: older than a local file from
    // the future, newer than one from an hour ago.
    let (dir, _) = download_over(&server, OnExisting::OverwriteIfNewer, b"old", 3600).await;
    assert_eq!(read(dir.path(), "f.txt"), b"NEW CONTENT");
    let (dir, q) = download_over(&server, OnExisting::OverwriteIfNewer, b"mine", -3600).await;
    assert_eq!(read(dir.path(), "f.txt"), b"mine");
    assert_eq!(q.in_state(JobState::Skipped).len(), 1);

    // Ask: the job waits; "skip, apply to all" settles it and later conflicts.
    let local = tempfile::tempdir().unwrap();
    write_with_age(&local.path().join("f.txt"), b"old", 3600);
    std::fs::write(server.path("g.txt"), b"G").unwrap();
    write_with_age(&local.path().join("g.txt"), b"old g", 3600);
    let mut q = Queue::start(QueueConfig {
        concurrency: 1,
        ..config(OnExisting::Ask)
    });
    q.handle.enqueue(
        login(server.addr),
        Direction::Download,
        vec![
            PathItem {
                path: AnyPath::Remote(b"/f.txt".to_vec()),
                is_dir: false,
            },
            PathItem {
                path: AnyPath::Remote(b"/g.txt".to_vec()),
                is_dir: false,
            },
        ],
        AnyPath::Local(local.path().to_path_buf()),
    );
    q.until("JobConflict", |_, e| matches!(e, Event::JobConflict(_)))
        .await;
    let c = q.conflicts[0].clone();
    assert_eq!(c.target, AnyPath::Local(local.path().join("f.txt")));
    assert_eq!((c.source_size, c.target_size), (Some(11), Some(3)));
    assert_eq!(q.views[&c.id].state, JobState::Asking);
    q.handle.command(QueueCommand::AnswerConflict {
        id: c.id,
        choice: OnExisting::Skip,
        apply_to_all: true,
    });
    // While a question is open the queue is not idle.
    assert_eq!(q.idle().await, (0, 2, 0), "both skipped");
    assert_eq!(read(local.path(), "g.txt"), b"old g");

    // Uploads: rename keeps the server's file and writes a numbered copy.
    let up = tempfile::tempdir().unwrap();
    std::fs::write(up.path().join("f.txt"), b"from here").unwrap();
    let mut q = Queue::start(config(OnExisting::Rename));
    q.handle.enqueue(
        login(server.addr),
        Direction::Upload,
        vec![PathItem {
            path: AnyPath::Local(up.path().join("f.txt")),
            is_dir: false,
        }],
        AnyPath::Remote(b"/".to_vec()),
    );
    assert_eq!(q.idle().await, (1, 0, 0));
    assert_eq!(std::fs::read(server.path("f.txt")).unwrap(), b"NEW CONTENT");
    assert_eq!(
        std::fs::read(server.path("f (1).txt")).unwrap(),
        b"from here"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_queue_is_restored_after_a_restart_and_resumes_the_partial_file() {
    let server = TestServer::start(ServerOptions::default()).await;
    let data = random_bytes(500_000, 5);
    std::fs::write(server.path("big.bin"), &data).unwrap();
    let local = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let save = state.path().join("queue.json");
    let saving = QueueConfig {
        save_path: Some(save.clone()),
        ..config(OnExisting::Ask)
    };

    // First run: the queue is paused, so the job is only queued when the app quits.
    let mut q = Queue::start(saving.clone());
    q.handle.command(QueueCommand::PauseQueue { paused: true });
    q.handle.enqueue(
        login(server.addr),
        Direction::Download,
        vec![PathItem {
            path: AnyPath::Remote(b"/big.bin".to_vec()),
            is_dir: false,
        }],
        AnyPath::Local(local.path().to_path_buf()),
    );
    q.until("the queued job", |_, e| matches!(e, Event::JobsChanged(_)))
        .await;
    drop(q);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !save.exists() {
        assert!(Instant::now() < deadline, "the queue was saved on quit");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let saved = std::fs::read_to_string(&save).unwrap();
    assert!(saved.contains("big.bin"), "{saved}");
    assert!(!saved.contains(PASSWORD), "no password in the saved queue");
    // What the first run had already received.
    std::fs::write(local.path().join("big.bin.part"), &data[..200_000]).unwrap();

    // Second run: the job is back, waits for a login to its server, then resumes.
    let mut q = Queue::start(saving);
    q.until("the restored job", |_, e| {
        matches!(e, Event::JobsChanged(_))
    })
    .await;
    let restored: Vec<&JobView> = q.views.values().collect();
    assert_eq!(restored.len(), 1);
    assert_eq!(restored[0].state, JobState::Queued);
    let note = restored[0].error.clone().unwrap_or_default();
    assert!(note.contains("waiting for you to connect"), "{note}");
    assert_eq!(
        restored[0].site,
        format!("{USER}@127.0.0.1:{}", server.addr.port())
    );
    q.handle.login(login(server.addr));
    assert_eq!(q.idle().await, (1, 0, 0));
    assert!(
        q.log.iter().any(|l| l == "REST 200000"),
        "resumed from the .part"
    );
    let got = std::fs::read(local.path().join("big.bin")).unwrap();
    assert_eq!(sha256_hex(&got), sha256_hex(&data));
}

/// The window's queue reads its saved file only when asked (after the first
/// frame): before that nothing is read, and nothing saved over the file;
/// jobs added meanwhile are kept beside the restored ones.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queue_told_to_restore_later_reads_the_file_only_when_asked_and_keeps_both() {
    let server = TestServer::start(ServerOptions::default()).await;
    std::fs::write(server.path("old.bin"), b"old").unwrap();
    std::fs::write(server.path("new.bin"), b"new").unwrap();
    let local = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let save = state.path().join("queue.json");
    let saving = QueueConfig {
        save_path: Some(save.clone()),
        ..config(OnExisting::Ask)
    };
    let remote = |name: &str| PathItem {
        path: AnyPath::Remote(format!("/{name}").into_bytes()),
        is_dir: false,
    };

    // A first run leaves one paused job in the file.
    let mut q = Queue::start(saving.clone());
    q.handle.command(QueueCommand::PauseQueue { paused: true });
    q.handle.enqueue(
        login(server.addr),
        Direction::Download,
        vec![remote("old.bin")],
        AnyPath::Local(local.path().to_path_buf()),
    );
    q.until("the queued job", |_, e| matches!(e, Event::JobsChanged(_)))
        .await;
    drop(q);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !save.exists() {
        assert!(Instant::now() < deadline, "the queue was saved on quit");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let first = std::fs::read_to_string(&save).unwrap();

    // Second run, restoring later: a job added first is not saved over the file.
    let mut q = Queue::start(QueueConfig {
        restore_later: true,
        ..saving
    });
    q.handle.command(QueueCommand::PauseQueue { paused: true });
    q.handle.enqueue(
        login(server.addr),
        Direction::Download,
        vec![remote("new.bin")],
        AnyPath::Local(local.path().to_path_buf()),
    );
    q.until("the new job", |_, e| matches!(e, Event::JobsChanged(_)))
        .await;
    // Past the queue's save interval (0.5 s): still the first run's file.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(q.views.len(), 1, "nothing restored before it is asked");
    assert_eq!(std::fs::read_to_string(&save).unwrap(), first);

    q.handle.command(QueueCommand::RestoreSaved);
    q.until("the restored job", |_, e| {
        matches!(e, Event::JobsChanged(v) if v.iter().any(|j| j.source.file_name() == b"old.bin"))
    })
    .await;
    let mut names: Vec<String> = q
        .views
        .values()
        .map(|v| String::from_utf8_lossy(&v.source.file_name()).into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["new.bin", "old.bin"]);
    q.handle.command(QueueCommand::PauseQueue { paused: false });
    assert_eq!(q.idle().await, (2, 0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_listing_writes_nothing_outside_the_target_folder() {
    let listing = b"-rw-r--r-- 1 u g 5 Jan 01 2024 ../escape\r\n\
-rw-r--r-- 1 u g 5 Jan 01 2024 /abs\r\n\
-rw-r--r-- 1 u g 5 Jan 01 2024 a/b\r\n\
-rw-r--r-- 1 u g 5 Jan 01 2024 nul\0x\r\n\
drwxr-xr-x 2 u g 0 Jan 01 2024 ..\r\n\
-rw-r--r-- 1 u g 2 Jan 01 2024 ok.txt\r\n"
        .to_vec();
    let script = Script::binary_session()
        .sends("LIST /dir", listing)
        // The listing gave the size; its LIST time is not exact: MDTM.
        .reply("MDTM /dir/ok.txt", "213 20240101000000")
        .sends("RETR /dir/ok.txt", b"ok".to_vec())
        .hold();
    let fake = FakeServer::start(script).await;
    let outer = tempfile::tempdir().unwrap();
    let target = outer.path().join("target");
    std::fs::create_dir(&target).unwrap();

    let mut q = Queue::start(QueueConfig {
        concurrency: 1,
        ..config(OnExisting::Ask)
    });
    q.handle.enqueue(
        ConnectOptions::new("127.0.0.1", fake.addr.port(), "u", "p"),
        Direction::Download,
        vec![PathItem {
            path: AnyPath::Remote(b"/dir".to_vec()),
            is_dir: true,
        }],
        AnyPath::Local(target.clone()),
    );
    assert_eq!(q.idle().await, (1, 0, 4), "ok.txt done, four names refused");
    let refused: Vec<String> = q
        .in_state(JobState::Failed)
        .iter()
        .map(|v| v.error.clone().unwrap_or_default())
        .collect();
    for name in ["../escape", "/abs", "a/b", "nul\\0x"] {
        assert!(
            refused
                .iter()
                .any(|e| e.contains(name) && e.contains("refusing")),
            "{name} refused: {refused:?}"
        );
    }
    assert_eq!(std::fs::read(target.join("dir/ok.txt")).unwrap(), b"ok");
    let outside: Vec<_> = std::fs::read_dir(outer.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(outside, ["target"], "nothing beside the target folder");
    assert_eq!(hashes(&target).len(), 1, "only ok.txt inside it");
    drop(q);
    fake.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_sends_abor_and_the_same_session_lists_afterwards() {
    let script = Script::binary_session()
        // Larger than what the queue receives in memory: it streams to .part.
        .reply("SIZE /big.bin", "213 5000000")
        .reply("MDTM /big.bin", "213 20240101000000")
        .passive("RETR /big.bin")
        .then([
            Step::DataSendAndHold(vec![7u8; 1000]),
            Step::Expect("ABOR".into()),
            Step::Expect("PWD".into()),
            Step::CloseData,
            Step::Send(b"426 aborted\r\n226 abort done\r\n257 \"/\"\r\n".to_vec()),
        ])
        // The next job runs on the same (only) connection the fake accepts.
        .sends("LIST /empty", Vec::new())
        .hold();
    let fake = FakeServer::start(script).await;
    let local = tempfile::tempdir().unwrap();
    let options = ConnectOptions::new("127.0.0.1", fake.addr.port(), "u", "p");
    let mut q = Queue::start(QueueConfig {
        concurrency: 1,
        ..config(OnExisting::Ask)
    });
    q.handle.enqueue(
        options.clone(),
        Direction::Download,
        vec![PathItem {
            path: AnyPath::Remote(b"/big.bin".to_vec()),
            is_dir: false,
        }],
        AnyPath::Local(local.path().to_path_buf()),
    );
    let mut id = 0;
    q.until("bytes arriving", |_, e| match e {
        Event::JobsProgress(p) if p.iter().any(|&(_, b)| b >= 1000) => {
            id = p[0].0;
            true
        }
        _ => false,
    })
    .await;
    q.handle.command(QueueCommand::CancelJobs { ids: vec![id] });
    q.until("the cancel", |q, _| {
        q.views
            .get(&id)
            .is_some_and(|v| v.state == JobState::Cancelled)
    })
    .await;
    q.handle.enqueue(
        options,
        Direction::Download,
        vec![PathItem {
            path: AnyPath::Remote(b"/empty".to_vec()),
            is_dir: true,
        }],
        AnyPath::Local(local.path().to_path_buf()),
    );
    let (_, _, failed) = q.idle().await;
    assert_eq!(failed, 1, "only the cancelled job counts as failed");
    assert!(local.path().join("empty").is_dir(), "the folder was listed");
    assert_eq!(
        std::fs::read(local.path().join("big.bin.part"))
            .unwrap()
            .len(),
        1000,
        "what arrived is kept for a retry"
    );
    assert!(!local.path().join("big.bin").exists());
    drop(q);
    let report = fake.finish().await;
    let abor = report.commands.iter().position(|c| c == "ABOR").unwrap();
    let list = report
        .commands
        .iter()
        .position(|c| c == "LIST /empty")
        .unwrap();
    assert!(abor < list, "{:?}", report.commands);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_the_server_confirms_but_keeps_short_fails_as_incomplete() {
    // A server that says 226 but holds fewer bytes than were sent: only
    // the size check after the upload can tell. Files from 1 MiB on are
    // checked however cleanly the server confirmed them.
    let script = Script::binary_session()
        .receives("STOR /up/short.bin")
        .reply("SIZE /up/short.bin", "213 1000")
        .hold();
    let fake = FakeServer::start(script).await;
    let local = tempfile::tempdir().unwrap();
    let data = random_bytes(1_500_000, 9);
    std::fs::write(local.path().join("short.bin"), &data).unwrap();
    let mut q = Queue::start(QueueConfig {
        concurrency: 1,
        retries: 0,
        ..config(OnExisting::Overwrite)
    });
    q.handle.enqueue(
        ConnectOptions::new("127.0.0.1", fake.addr.port(), "u", "p"),
        Direction::Upload,
        vec![PathItem {
            path: AnyPath::Local(local.path().join("short.bin")),
            is_dir: false,
        }],
        AnyPath::Remote(b"/up".to_vec()),
    );
    assert_eq!(q.idle().await, (0, 0, 1), "the short upload failed");
    let why = q.in_state(JobState::Failed)[0]
        .error
        .clone()
        .unwrap_or_default();
    assert!(why.contains("1000 of 1500000"), "{why}");
    drop(q);
    let report = fake.finish().await;
    assert_eq!(report.uploaded, [data], "all bytes were sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_upload_the_server_read_whole_and_confirmed_costs_no_size_check() {
    // The server read to the end of the stream, closed the data connection
    // in turn and said 226: that confirms every byte, and the queue goes
    // on without a SIZE round trip per file.
    let script = Script::binary_session()
        .receives("STOR /up/small.bin")
        // Keeping the file's time: no MFMT in FEAT, so the first upload to
        // this server tries both SITE UTIME forms and MDTM with a time.
        .reply("SITE UTIME", "500 unknown command")
        .reply("SITE UTIME", "500 unknown command")
        .reply("MDTM", "550 no such file")
        .hold();
    let fake = FakeServer::start(script).await;
    let local = tempfile::tempdir().unwrap();
    let data = random_bytes(10_240, 5);
    std::fs::write(local.path().join("small.bin"), &data).unwrap();
    let mut q = Queue::start(QueueConfig {
        concurrency: 1,
        retries: 0,
        ..config(OnExisting::Overwrite)
    });
    q.handle.enqueue(
        ConnectOptions::new("127.0.0.1", fake.addr.port(), "u", "p"),
        Direction::Upload,
        vec![PathItem {
            path: AnyPath::Local(local.path().join("small.bin")),
            is_dir: false,
        }],
        AnyPath::Remote(b"/up".to_vec()),
    );
    assert_eq!(q.idle().await, (1, 0, 0), "the upload is done");
    drop(q);
    let report = fake.finish().await;
    assert_eq!(report.uploaded, [data], "all bytes were sent");
    assert!(
        !report.commands.iter().any(|c| c.starts_with("SIZE")),
        "no size check: {:?}",
        report.commands
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_whose_data_connection_is_reset_midway_is_caught_and_resumed() {
    // The link drops the data connection after part of a small file: the
    // server sees an ordinary end of stream and says 226 for what it got,
    // the client sees a reset. That is no confirmation: the size check
    // finds the file short, and the retry resumes it with REST.
    let server = TestServer::start(ServerOptions::default()).await;
    let proxy = CuttingProxy::start_upload(server.addr, 100_000).await;
    let local = tempfile::tempdir().unwrap();
    let data = random_bytes(300_000, 31);
    std::fs::write(local.path().join("cut.bin"), &data).unwrap();
    let mut q = Queue::start(config(OnExisting::Overwrite));
    q.handle.enqueue(
        login(proxy.addr),
        Direction::Upload,
        vec![PathItem {
            path: AnyPath::Local(local.path().join("cut.bin")),
            is_dir: false,
        }],
        AnyPath::Remote(b"/".to_vec()),
    );
    assert_eq!(q.idle().await, (1, 0, 0), "{:?}", q.log);
    assert!(proxy.cut.load(Ordering::SeqCst), "the proxy cut the upload");
    let stors = q.log.iter().filter(|l| l.starts_with("STOR ")).count();
    assert_eq!(stors, 2, "sent again after the cut: {:?}", q.log);
    let got = std::fs::read(server.path("cut.bin")).unwrap();
    assert_eq!(got.len(), data.len());
    assert_eq!(sha256_hex(&got), sha256_hex(&data));
    let rest: Vec<&String> = q.log.iter().filter(|l| l.starts_with("REST ")).collect();
    assert_eq!(rest.len(), 1, "one resume: {rest:?}");
    let offset: u64 = rest[0][5..].trim().parse().unwrap();
    assert!(offset > 0 && offset <= 100_000, "resumed from {offset}");
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_planted_part_link_is_not_written_through() {
    let server = TestServer::start(ServerOptions::default()).await;
    std::fs::write(server.path("f.txt"), b"from the server").unwrap();
    let outer = tempfile::tempdir().unwrap();
    let target = outer.path().join("target");
    std::fs::create_dir(&target).unwrap();
    let outside = outer.path().join("precious");
    std::fs::write(&outside, b"keep me").unwrap();
    std::os::unix::fs::symlink(&outside, target.join("f.txt.part")).unwrap();

    let mut q = Queue::start(config(OnExisting::Overwrite));
    q.handle.enqueue(
        login(server.addr),
        Direction::Download,
        vec![PathItem {
            path: AnyPath::Remote(b"/f.txt".to_vec()),
            is_dir: false,
        }],
        AnyPath::Local(target.clone()),
    );
    assert_eq!(q.idle().await, (0, 0, 1));
    let failed = q.in_state(JobState::Failed);
    let why = failed[0].error.clone().unwrap_or_default();
    assert!(why.contains("symbolic link"), "{why}");
    assert_eq!(std::fs::read(&outside).unwrap(), b"keep me");
    assert!(!target.join("f.txt").exists());
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_writes_into_a_fifo_and_through_a_link_and_leaves_no_empty_part() {
    use std::os::unix::fs::{FileTypeExt, symlink};
    let server = TestServer::start(ServerOptions::default()).await;
    let data = random_bytes(400_000, 31);
    std::fs::write(server.path("f.bin"), &data).unwrap();
    std::fs::write(server.path("g.txt"), b"new g").unwrap();
    let outer = tempfile::tempdir().unwrap();
    let local = outer.path().join("local");
    std::fs::create_dir(&local).unwrap();
    let fifo = local.join("f.bin");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    let (tx, rx) = std_mpsc::channel();
    let reader_path = fifo.clone();
    std::thread::spawn(move || {
        let _ = tx.send(std::fs::read(reader_path));
    });

    // "Skip" does not skip a FIFO (it is a destination, not a copy), and a
    // file the server refuses leaves no empty .part.
    let mut q = Queue::start(config(OnExisting::Skip));
    q.handle.enqueue(
        login(server.addr),
        Direction::Download,
        vec![
            PathItem {
                path: AnyPath::Remote(b"/f.bin".to_vec()),
                is_dir: false,
            },
            PathItem {
                path: AnyPath::Remote(b"/missing.bin".to_vec()),
                is_dir: false,
            },
        ],
        AnyPath::Local(local.clone()),
    );
    assert_eq!(q.idle().await, (1, 0, 1));
    let read = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the FIFO's reader got to the end")
        .unwrap();
    assert_eq!(sha256_hex(&read), sha256_hex(&data));
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
    let failed = q.in_state(JobState::Failed);
    assert!(
        failed[0].error.as_deref().unwrap_or("").contains("550"),
        "{:?}",
        failed[0].error
    );
    let left: Vec<_> = std::fs::read_dir(&local)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["f.bin"], "no .part of either file");

    // A link in the target folder: the file it points to gets the copy.
    let elsewhere = outer.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    std::fs::write(elsewhere.join("g.txt"), b"old").unwrap();
    symlink("../elsewhere/g.txt", local.join("g.txt")).unwrap();
    let mut q = Queue::start(config(OnExisting::Overwrite));
    q.handle.enqueue(
        login(server.addr),
        Direction::Download,
        vec![PathItem {
            path: AnyPath::Remote(b"/g.txt".to_vec()),
            is_dir: false,
        }],
        AnyPath::Local(local.clone()),
    );
    assert_eq!(q.idle().await, (1, 0, 0));
    assert!(
        std::fs::symlink_metadata(local.join("g.txt"))
            .unwrap()
            .is_symlink()
    );
    assert_eq!(std::fs::read(elsewhere.join("g.txt")).unwrap(), b"new g");
    assert!(!elsewhere.join("g.txt.part").exists());
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_into_a_fifo_cut_mid_file_is_not_sent_twice() {
    use std::os::unix::fs::FileTypeExt;
    let server = TestServer::start(ServerOptions::default()).await;
    let data = random_bytes(3_000_000, 78);
    std::fs::write(server.path("big.bin"), &data).unwrap();
    let proxy = CuttingProxy::start(server.addr, 700_000).await;
    let local = tempfile::tempdir().unwrap();
    let fifo = local.path().join("big.bin");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    let (tx, rx) = std_mpsc::channel();
    let reader_path = fifo.clone();
    std::thread::spawn(move || {
        let _ = tx.send(std::fs::read(reader_path));
    });

    let mut q = Queue::start(config(OnExisting::Overwrite));
    q.handle.enqueue(
        login(proxy.addr),
        Direction::Download,
        vec![PathItem {
            path: AnyPath::Remote(b"/big.bin".to_vec()),
            is_dir: false,
        }],
        AnyPath::Local(local.path().to_path_buf()),
    );
    let mut retried = false;
    q.until("QueueIdle", |_, e| {
        if let Event::JobsChanged(v) = e {
            retried |= v
                .iter()
                .any(|j| matches!(j.state, JobState::Retrying { .. }));
        }
        matches!(e, Event::QueueIdle { .. })
    })
    .await;
    assert!(proxy.cut.load(Ordering::SeqCst), "the proxy cut the link");
    assert!(!retried, "what a pipe got cannot be taken back: no retry");
    // (A retry may last less than one snapshot: the protocol log shows none either.)
    let retrs = q.log.iter().filter(|l| l.starts_with("RETR ")).count();
    assert_eq!(retrs, 1, "{:?}", q.log);
    let failed = q.in_state(JobState::Failed);
    assert_eq!(failed.len(), 1);
    let why = failed[0].error.clone().unwrap_or_default();
    assert!(why.contains("cannot be taken back"), "{why}");
    let read = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the FIFO's reader got to the end")
        .unwrap();
    assert!(!read.is_empty() && read.len() <= 700_000, "{}", read.len());
    assert_eq!(read[..], data[..read.len()], "each byte once, in order");
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
    assert!(!local.path().join("big.bin.part").exists());
}

/// The child of the kill -9 test: a paused queue saving to the folder in
/// `FERRY_QUEUE_CHILD`, fed one job after another until it is killed. It
/// prints how many jobs it has queued.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run as a child process by a_queue_killed_mid_write_restores_all_but_the_last_moments"]
async fn queue_child_process_fed_until_killed() {
    use std::io::Write as _;
    let dir = std::path::PathBuf::from(std::env::var_os("FERRY_QUEUE_CHILD").expect("the folder"));
    let mut q = Queue::start(QueueConfig {
        save_path: Some(dir.join("queue.json")),
        ..config(OnExisting::Ask)
    });
    q.handle.command(QueueCommand::PauseQueue { paused: true });
    // Nothing listens there: the queue is paused and never connects.
    let nowhere = ConnectOptions::new("127.0.0.1", 9, USER, PASSWORD);
    for i in 0u64.. {
        q.handle.enqueue(
            nowhere.clone(),
            Direction::Download,
            vec![PathItem {
                path: AnyPath::Remote(format!("/f{i}").into_bytes()),
                is_dir: false,
            }],
            AnyPath::Local(dir.join("down")),
        );
        // Priorities change too, so that records of every kind are written.
        if i % 7 == 0 {
            q.until("the job", |_, e| matches!(e, Event::JobsChanged(_)))
                .await;
            let ids: Vec<u64> = q.views.keys().copied().take(3).collect();
            q.handle.command(QueueCommand::SetPriority {
                ids,
                priority: ferry::engine::Priority::High,
            });
        }
        println!("queued {}", i + 1);
        std::io::stdout().flush().unwrap();
        if i >= 300 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
}

/// Kill -9 a process whose queue is saving as fast as it can: the next
/// start restores every job queued more than a second before the kill, in
/// order, and none that was never queued: the queue is never corrupted and
/// loses at most its last second of changes.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queue_killed_mid_write_restores_all_but_the_last_moments() {
    use std::io::BufRead as _;
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "queue_child_process_fed_until_killed",
            "--nocapture",
        ])
        .env("FERRY_QUEUE_CHILD", dir.path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std_mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(n) = line.strip_prefix("queued ") {
                // When the line arrived: no earlier than the job was queued.
                let _ = tx.send((n.parse::<u64>().unwrap_or(0), Instant::now()));
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut queued = 0;
    let mut lines = Vec::new();
    while queued < 300 {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the child queues jobs");
        queued = line.0;
        lines.push(line);
        assert!(Instant::now() < deadline);
    }
    // Three times the save interval after the 300th job, while it keeps queueing.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let killed_at = Instant::now();
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    // Every line the child printed is read once the pipe reaches its end.
    reader.join().unwrap();
    lines.extend(rx.try_iter());
    let last = lines.last().map_or(queued, |l| l.0);
    // Queued more than a second before the kill: must all be restored.
    let a_second_before = killed_at - Duration::from_secs(1);
    let must = lines
        .iter()
        .filter(|(_, at)| *at <= a_second_before)
        .map(|(n, _)| *n)
        .max()
        .unwrap_or(0);
    assert!(
        last > 300,
        "the child was still queueing when killed ({last})"
    );

    let save = dir.path().join("queue.json");
    let mut q = Queue::start(QueueConfig {
        save_path: Some(save),
        ..config(OnExisting::Ask)
    });
    let mut restored = Vec::new();
    q.until("the restored jobs", |_, e| {
        if let Event::JobsChanged(views) = e {
            restored = views
                .iter()
                .map(|v| String::from_utf8_lossy(&v.source.file_name()).into_owned())
                .collect();
            true
        } else {
            false
        }
    })
    .await;
    let expected: Vec<String> = (0..restored.len()).map(|i| format!("f{i}")).collect();
    assert_eq!(restored, expected, "the first jobs, in order, none missing");
    // The kill can fall between enqueueing a job and printing its line, so
    // the job after the last one printed may have been saved too; no other.
    assert!(
        restored.len() as u64 >= must.max(300) && restored.len() as u64 <= last + 1,
        "restored {} of {last} queued ({must} of them more than a second before the kill)",
        restored.len()
    );
    eprintln!(
        "restored {} of {last} jobs queued before the kill ({must} more than a second before)",
        restored.len()
    );
    let priorities = q
        .views
        .values()
        .filter(|v| v.priority == ferry::engine::Priority::High);
    assert!(
        priorities.count() >= 3,
        "the priority changes were kept too"
    );
}

/// Remove takes queued jobs out at once and stops a running one first;
/// an empty Remove (Clear all) empties the queue; none of them comes back
/// after a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remove_takes_jobs_out_stopping_a_running_one_and_clear_all_empties_the_queue() {
    let server = TestServer::start(ServerOptions::default()).await;
    std::fs::write(server.path("big.bin"), random_bytes(40_000_000, 3)).unwrap();
    for name in ["a.bin", "b.bin", "c.bin"] {
        std::fs::write(server.path(name), b"x").unwrap();
    }
    let local = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let saving = QueueConfig {
        concurrency: 1,
        save_path: Some(state.path().join("queue.json")),
        // Slow enough that big.bin is still moving when it is removed (on an
        // idle machine 40 MB over loopback took less time than the remove).
        rate_limit: Some(ferry::engine::rate_limit::RateLimit::new(4 << 20)),
        ..config(OnExisting::Overwrite)
    };
    let mut q = Queue::start(saving.clone());
    let items = ["big.bin", "a.bin", "b.bin", "c.bin"].map(|n| PathItem {
        path: AnyPath::Remote(format!("/{n}").into_bytes()),
        is_dir: false,
    });
    q.handle.enqueue(
        login(server.addr),
        Direction::Download,
        items.to_vec(),
        AnyPath::Local(local.path().to_path_buf()),
    );
    q.until("the big file moving", |q, _| {
        q.in_state(JobState::Running)
            .iter()
            .any(|v| v.source.file_name() == b"big.bin")
    })
    .await;
    let id_of = |q: &Queue, name: &[u8]| {
        q.views
            .values()
            .find(|v| v.source.file_name() == name)
            .map(|v| v.id)
            .unwrap()
    };
    let (big, a) = (id_of(&q, b"big.bin"), id_of(&q, b"a.bin"));
    q.handle
        .command(QueueCommand::RemoveJobs { ids: vec![a, big] });
    let mut gone = Vec::new();
    q.until("both gone", |_, e| {
        if let Event::JobsRemoved(ids) = e {
            gone.extend(ids.iter().copied());
        }
        gone.contains(&a) && gone.contains(&big)
    })
    .await;
    assert!(
        q.log.iter().any(|l| l.starts_with("ABOR")),
        "the running transfer was stopped: {:?}",
        q.log
    );
    assert!(!local.path().join("big.bin").exists(), "no file completed");
    q.handle.command(QueueCommand::PauseQueue { paused: true });
    q.handle
        .command(QueueCommand::RemoveJobs { ids: Vec::new() });
    q.until(
        "an empty queue",
        |q, e| matches!(e, Event::JobsRemoved(ids) if ids.len() == q.views.len()),
    )
    .await;
    drop(q);
    // The queue writes its last records as it ends.
    let save = state.path().join("queue.json");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = std::fs::read_to_string(&save).unwrap_or_default();
        if text
            .lines()
            .last()
            .is_some_and(|l| l.starts_with(r#"{"op":"del""#))
        {
            break;
        }
        assert!(Instant::now() < deadline, "the removal was saved: {text}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    // Nothing comes back.
    let mut q = Queue::start(saving);
    q.handle.command(QueueCommand::PauseQueue { paused: true });
    tokio::time::sleep(Duration::from_millis(300)).await;
    while let Ok(e) = q.events.try_recv() {
        q.take(e);
    }
    assert!(q.views.is_empty(), "{:?}", q.views);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_two_connections_a_later_folder_is_listed_while_files_transfer() {
    // A tree's files are known long before the transfers reach its last
    // folder: one connection lists folders ahead of the queue order while
    // the other transfers. A folder's subfolders come after its files.
    let server = TestServer::start(ServerOptions::default()).await;
    std::fs::create_dir_all(server.path("top/zz")).unwrap();
    for i in 0..40 {
        std::fs::write(server.path(&format!("top/f{i:02}.txt")), b"top").unwrap();
    }
    std::fs::write(server.path("top/zz/last.txt"), b"last").unwrap();
    let local = tempfile::tempdir().unwrap();
    let mut q = Queue::start(QueueConfig {
        concurrency: 2,
        ..config(OnExisting::Overwrite)
    });
    q.handle.enqueue(
        login(server.addr),
        Direction::Download,
        vec![PathItem {
            path: AnyPath::Remote(b"/top".to_vec()),
            is_dir: true,
        }],
        AnyPath::Local(local.path().to_path_buf()),
    );
    assert_eq!(q.idle().await, (41, 0, 0));
    let commands: Vec<&String> = q
        .log
        .iter()
        .filter(|l| ["RETR ", "MLSD ", "LIST "].iter().any(|c| l.starts_with(c)))
        .collect();
    let at = |what: &str| {
        commands
            .iter()
            .position(|c| c.ends_with(what))
            .unwrap_or_else(|| panic!("no {what}: {commands:?}"))
    };
    assert!(
        at(" /top/zz") < at(" /top/f10.txt"),
        "the subfolder was listed while the first files transferred: {commands:?}"
    );
    assert_eq!(
        std::fs::read(local.path().join("top/zz/last.txt")).unwrap(),
        b"last"
    );
}

/// vsftpd's session process can die under load ("500 OOPS: …", then it closes the connection):
/// a new connection works at once, so the retry does not wait out the back-off (here far longer
/// than the whole test may take), and the file arrives. (Whether the client then sees the 500 or
/// the closed connection first, it is the same remedy.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_session_that_died_is_retried_at_once_on_a_new_connection() {
    let dies = Script::binary_session()
        .reply("SIZE /f.bin", "213 2")
        .reply("MDTM /f.bin", "213 20240101000000")
        .reply("EPSV", "500 OOPS: priv_sock_get_int")
        .steps();
    let works = Script::binary_session()
        .reply("SIZE /f.bin", "213 2")
        .reply("MDTM /f.bin", "213 20240101000000")
        .sends("RETR /f.bin", b"ok".to_vec())
        .hold();
    let fake = FakeServer::start_sessions(vec![dies, works]).await;
    let local = tempfile::tempdir().unwrap();
    let mut q = Queue::start(QueueConfig {
        concurrency: 1,
        backoff: Duration::from_secs(600),
        ..config(OnExisting::Overwrite)
    });
    q.handle.enqueue(
        ConnectOptions::new("127.0.0.1", fake.addr.port(), "u", "p"),
        Direction::Download,
        vec![PathItem {
            path: AnyPath::Remote(b"/f.bin".to_vec()),
            is_dir: false,
        }],
        AnyPath::Local(local.path().to_path_buf()),
    );
    // idle() gives up after 20 s: a retry that waited out the 600 s back-off fails here.
    assert_eq!(q.idle().await, (1, 0, 0));
    assert_eq!(std::fs::read(local.path().join("f.bin")).unwrap(), b"ok");
    drop(q);
    fake.finish().await;
}
