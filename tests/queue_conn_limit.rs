//! A server that caps connections per client (vsftpd's `max_per_ip`) refuses the queue's extra
//! connections with "421 There are too many connections from your internet address.": the queue
//! learns the limit, keeps to it, and its jobs finish without using a try on the refusal.

mod support;

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};

use ferry::engine::Outbox;
use ferry::engine::queue::{self, QueueConfig};
use ferry::engine::{AnyPath, Direction, Event, JobState, OnExisting, PathItem};
use ferry::ftp::ConnectOptions;
use support::vsftpd::Vsftpd;

/// vsftpd serving `root` to anonymous logins, at most `per_ip` connections from one address,
/// none of them taken yet.
fn capped_vsftpd(test: &str, root: &Path, per_ip: usize) -> Option<Vsftpd> {
    let vsftpd = Vsftpd::start(
        test,
        root,
        &format!("listen_address=127.0.0.1\nmax_per_ip={per_ip}\n"),
    )?;
    vsftpd.wait_no_sessions();
    Some(vsftpd)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_r_with_four_connections_learns_that_vsftpd_allows_two() {
    let test = "get_r_with_four_connections_learns_that_vsftpd_allows_two";
    let root = tempfile::tempdir().unwrap();
    let mut expected = Vec::new();
    for d in 0..3u64 {
        std::fs::create_dir_all(root.path().join(format!("tree/d{d}/deep"))).unwrap();
        for f in 0..8u64 {
            let name = if f < 6 {
                format!("d{d}/f{f}.bin")
            } else {
                format!("d{d}/deep/f{f}.bin")
            };
            let data = support::random_bytes(1000 + (d * 8 + f) as usize * 3001, d * 100 + f);
            std::fs::write(root.path().join("tree").join(&name), &data).unwrap();
            expected.push((name, data));
        }
    }
    for f in 0..6u64 {
        let name = format!("top{f}.txt");
        let data = support::random_bytes(500 + f as usize, 1000 + f);
        std::fs::write(root.path().join("tree").join(&name), &data).unwrap();
        expected.push((name, data));
    }
    let Some(vsftpd) = capped_vsftpd(test, root.path(), 2) else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let url = format!("ftp://anonymous@127.0.0.1:{}/tree/", vsftpd.port);
    let o = support::cli::Ferry::new(["-v", "get", "-r", "-j", "4", &url])
        .arg(out.path().join("copy"))
        .password(Some(""))
        .config(out.path().join(".config"))
        .run()
        .await;
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        o.status.success(),
        "{:?}\n{err}\n{}\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        vsftpd.log()
    );
    assert!(!err.contains("failed:"), "{err}");
    let copied = support::files_under(&out.path().join("copy"));
    assert_eq!(copied.len(), expected.len(), "{:?}", copied.keys());
    for (name, data) in &expected {
        assert!(copied[name] == *data, "{name} differs");
    }
    let learned: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("allows") && l.contains("at once"))
        .collect();
    assert_eq!(learned.len(), 1, "said once: {err}");
    assert!(
        learned[0].ends_with(&format!(
            "127.0.0.1:{} allows 2 connections at once; using 2",
            vsftpd.port
        )),
        "{}",
        learned[0]
    );
    // Only the first round of connections opened ahead met the limit.
    let refused = err
        .lines()
        .filter(|l| l.contains("421 There are too many connections"))
        .count();
    assert!((1..=3).contains(&refused), "{refused} refusals: {err}");
}

/// Files queued straight away each open their own connection: the two refused go back to the
/// queue without using a try (no job is ever "retrying"), and no more than two run after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_refused_for_too_many_connections_wait_for_a_free_one() {
    let test = "jobs_refused_for_too_many_connections_wait_for_a_free_one";
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir(root.path().join("files")).unwrap();
    for f in 0..12u64 {
        std::fs::write(
            root.path().join(format!("files/f{f}.bin")),
            support::random_bytes(200_000 + f as usize, f),
        )
        .unwrap();
    }
    let Some(vsftpd) = capped_vsftpd(test, root.path(), 2) else {
        return;
    };
    let local = tempfile::tempdir().unwrap();
    let (tx, events) = std_mpsc::channel();
    let handle = queue::spawn(
        QueueConfig {
            concurrency: 4,
            on_existing: OnExisting::Overwrite,
            protocol_log: false,
            // A refusal that used a try would wait out this pause.
            backoff: Duration::from_millis(10),
            ..QueueConfig::default()
        },
        Outbox::new(tx, Arc::new(|| {})),
    );
    handle.enqueue(
        ConnectOptions::new("127.0.0.1", vsftpd.port, "anonymous", ""),
        Direction::Download,
        (0..12)
            .map(|f| PathItem {
                // Relative to the login folder: vsftpd run as a user cannot chroot.
                path: AnyPath::Remote(format!("files/f{f}.bin").into_bytes()),
                is_dir: false,
            })
            .collect(),
        AnyPath::Local(local.path().to_path_buf()),
    );
    let mut running = HashSet::new();
    let mut learned = Vec::new();
    let mut most_after = 0;
    let deadline = Instant::now() + Duration::from_secs(60);
    let done = loop {
        let event = match events.try_recv() {
            Ok(e) => e,
            Err(_) => {
                assert!(
                    Instant::now() < deadline,
                    "the queue did not finish in 60 s"
                );
                tokio::time::sleep(Duration::from_millis(2)).await;
                continue;
            }
        };
        match event {
            Event::Log(line) if line.text.contains("at once") => learned.push(line.text),
            Event::JobsChanged(views) => {
                for v in views {
                    assert!(
                        !matches!(v.state, JobState::Retrying { .. } | JobState::Failed),
                        "{:?}: {:?}",
                        v.state,
                        v.error
                    );
                    if v.state == JobState::Running {
                        running.insert(v.id);
                    } else {
                        running.remove(&v.id);
                    }
                }
            }
            Event::QueueIdle { done, failed, .. } => {
                assert_eq!(failed, 0);
                break done;
            }
            _ => {}
        }
        if !learned.is_empty() {
            most_after = most_after.max(running.len());
        }
    };
    assert_eq!(done, 12);
    for f in 0..12u64 {
        assert!(
            std::fs::read(local.path().join(format!("f{f}.bin"))).unwrap()
                == support::random_bytes(200_000 + f as usize, f),
            "f{f}.bin differs"
        );
    }
    assert_eq!(
        learned,
        [format!(
            "127.0.0.1:{} allows 2 connections at once; using 2",
            vsftpd.port
        )]
    );
    assert!(
        most_after <= 2,
        "{most_after} ran at once after the limit was learned"
    );
}
