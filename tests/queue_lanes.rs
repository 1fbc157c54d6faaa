//! The queue lists folders on a connection of its own beside its N transfer connections: a
//! folder is listed while N files transfer, and never more than N files transfer at once.

mod support;

use std::collections::HashSet;
use std::time::Duration;

use ferry::engine::queue::QueueConfig;
use ferry::engine::{AnyPath, Direction, Event, JobState, OnExisting, PathItem};
use ferry::ftp::ConnectOptions;
use support::latency::LatencyProxy;
use support::queue::Queue;
use support::server::{PASSWORD, ServerOptions, TestServer, USER};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn folders_are_listed_beside_the_transfers_which_keep_to_their_connections() {
    let server = TestServer::start(ServerOptions::default()).await;
    for d in 0..5 {
        std::fs::create_dir_all(server.path(&format!("top/d{d}"))).unwrap();
        for f in 0..8 {
            std::fs::write(
                server.path(&format!("top/d{d}/f{f}.bin")),
                support::random_bytes(2048, d * 100 + f),
            )
            .unwrap();
        }
    }
    // A little latency, so that a listing and the transfers overlap in time.
    let proxy = LatencyProxy::start(server.addr, Duration::from_millis(5))
        .await
        .unwrap();
    let local = tempfile::tempdir().unwrap();
    let mut q = Queue::start(QueueConfig {
        concurrency: 2,
        on_existing: OnExisting::Overwrite,
        protocol_log: false,
        ..QueueConfig::default()
    });
    q.patience = Duration::from_secs(60);
    q.handle.enqueue(
        ConnectOptions::new("127.0.0.1", proxy.addr.port(), USER, PASSWORD),
        Direction::Download,
        vec![PathItem {
            path: AnyPath::Remote(b"/top".to_vec()),
            is_dir: true,
        }],
        AnyPath::Local(local.path().to_path_buf()),
    );
    let mut running = HashSet::new();
    let mut expanding = HashSet::new();
    let (mut most_running, mut listed_beside_two) = (0, false);
    let done = q
        .idle_without_failures(|event| {
            match event {
                Event::JobsChanged(views) => {
                    for v in views {
                        running.remove(&v.id);
                        expanding.remove(&v.id);
                        match v.state {
                            JobState::Running if !v.is_dir => {
                                running.insert(v.id);
                            }
                            JobState::Expanding => {
                                expanding.insert(v.id);
                            }
                            _ => {}
                        }
                    }
                }
                Event::JobsRemoved(ids) => {
                    for id in ids {
                        running.remove(id);
                        expanding.remove(id);
                    }
                }
                _ => {}
            }
            most_running = most_running.max(running.len());
            listed_beside_two |= running.len() == 2 && !expanding.is_empty();
        })
        .await;
    assert_eq!(done, 40);
    for d in 0..5 {
        for f in 0..8 {
            assert_eq!(
                std::fs::read(local.path().join(format!("top/d{d}/f{f}.bin"))).unwrap(),
                support::random_bytes(2048, d * 100 + f)
            );
        }
    }
    assert_eq!(most_running, 2, "never more transfers than connections");
    assert!(
        listed_beside_two,
        "a folder was listed while two files transferred"
    );
    // Two transfer connections, and at most two listing ones.
    assert!(
        proxy.control_connections() <= 4,
        "{} connections",
        proxy.control_connections()
    );
}

/// Connections are opened ahead of their jobs only once the login is known to work: a folder
/// queued with a mistyped password costs one refused login, not one per connection (several
/// refused logins within a second are what gets an address banned, e.g. fail2ban's default of
/// five).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_costs_one_login_not_one_per_connection() {
    let server = TestServer::start(ServerOptions::default()).await;
    std::fs::create_dir_all(server.path("top/d")).unwrap();
    std::fs::write(server.path("top/d/f.bin"), b"data").unwrap();
    let proxy = LatencyProxy::start(server.addr, Duration::from_millis(1))
        .await
        .unwrap();
    let local = tempfile::tempdir().unwrap();
    let mut q = Queue::start(QueueConfig {
        concurrency: 4,
        on_existing: OnExisting::Overwrite,
        protocol_log: false,
        ..QueueConfig::default()
    });
    q.patience = Duration::from_secs(60);
    q.handle.enqueue(
        ConnectOptions::new("127.0.0.1", proxy.addr.port(), USER, "not the password"),
        Direction::Download,
        vec![PathItem {
            path: AnyPath::Remote(b"/top".to_vec()),
            is_dir: true,
        }],
        AnyPath::Local(local.path().to_path_buf()),
    );
    let (_, _, failed) = q.idle().await;
    assert_eq!(failed, 1, "the folder fails on the refused login");
    // Give connections opened ahead (if any) time to reach the proxy.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(proxy.control_connections(), 1, "one login, refused");
    assert!(std::fs::read_dir(local.path()).unwrap().next().is_none());
}
