//! A server that caps connections per client (vsftpd's `max_per_ip`) refuses the queue's extra
//! connections with "421 There are too many connections from your internet address.": the queue
//! learns the limit, keeps to it, and its jobs finish without using a try on the refusal.

mod support;

use std::path::Path;
use std::time::Duration;

use ferry::engine::queue::QueueConfig;
use ferry::engine::{AnyPath, Direction, Event, JobState, OnExisting, PathItem};
use ferry::ftp::ConnectOptions;
use support::proftpd::Proftpd;
use support::queue::Queue;
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
    write_files(&root.path().join("files"));
    let Some(vsftpd) = capped_vsftpd(test, root.path(), 2) else {
        return;
    };
    // Relative to the login folder: vsftpd run as a user cannot chroot.
    let (learned, connects) = download_files(
        ConnectOptions::new("127.0.0.1", vsftpd.port, "anonymous", ""),
        "files/",
    )
    .await;
    assert_eq!(
        learned,
        [format!(
            "127.0.0.1:{} allows 2 connections at once; using 2",
            vsftpd.port
        )]
    );
    assert_eq!(connects, 4, "the first four only: then it kept to two");
}

/// proftpd refuses the login instead: "530 Sorry, the maximum number of clients (2) for this
/// user are already connected."
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_refused_for_the_users_client_limit_is_learned_too() {
    let Some(proftpd) = Proftpd::start_with(
        "a_login_refused_for_the_users_client_limit_is_learned_too",
        "MaxClientsPerUser 2\n",
    ) else {
        return;
    };
    write_files(&proftpd.root);
    let (learned, connects) = download_files(
        ConnectOptions::new(
            "127.0.0.1",
            proftpd.addr.port(),
            support::proftpd::USER,
            support::proftpd::PASSWORD,
        ),
        "",
    )
    .await;
    // proftpd counts logins still under way against each other, so logins made together can
    // all but one be refused: the limit is what was open at the refusal, 1 or 2.
    let port = proftpd.addr.port();
    let ok = [
        format!("127.0.0.1:{port} allows 2 connections at once; using 2"),
        format!("127.0.0.1:{port} allows 1 connection at once; using 1"),
    ];
    assert!(
        learned.len() == 1 && ok.contains(&learned[0]),
        "{learned:?}\n{}",
        proftpd.logs()
    );
    assert_eq!(
        connects, 4,
        "the first four only: then it kept to the limit"
    );
}

const FILES: u64 = 12;

fn file_data(f: u64) -> Vec<u8> {
    support::random_bytes(200_000 + f as usize, f)
}

fn write_files(dir: &Path) {
    for f in 0..FILES {
        std::fs::write(dir.join(format!("f{f}.bin")), file_data(f)).unwrap();
    }
}

/// Download the files under `folder` with four connections; every one arrives whole, none
/// fails or is retried. Returns the limits said in the log, and how many connections were
/// opened.
async fn download_files(login: ConnectOptions, folder: &str) -> (Vec<String>, usize) {
    let local = tempfile::tempdir().unwrap();
    let mut q = Queue::start(QueueConfig {
        concurrency: 4,
        on_existing: OnExisting::Overwrite,
        protocol_log: true,
        // A refusal that used a try would wait out this pause.
        backoff: Duration::from_millis(10),
        ..QueueConfig::default()
    });
    q.patience = Duration::from_secs(60);
    q.handle.enqueue(
        login,
        Direction::Download,
        (0..FILES)
            .map(|f| PathItem {
                path: AnyPath::Remote(format!("{folder}f{f}.bin").into_bytes()),
                is_dir: false,
            })
            .collect(),
        AnyPath::Local(local.path().to_path_buf()),
    );
    let mut learned = Vec::new();
    let mut connects = 0;
    let done = q
        .idle_without_failures(|event| match event {
            Event::Log(line) if line.text.contains("at once") => learned.push(line.text.clone()),
            Event::Log(line) if line.text.starts_with("Connecting to ") => connects += 1,
            Event::JobsChanged(views) => {
                for v in views {
                    assert!(
                        !matches!(v.state, JobState::Retrying { .. } | JobState::Failed),
                        "{:?}: {:?}",
                        v.state,
                        v.error
                    );
                }
            }
            _ => {}
        })
        .await;
    assert_eq!(done, FILES as usize);
    for f in 0..FILES {
        assert!(
            std::fs::read(local.path().join(format!("f{f}.bin"))).unwrap() == file_data(f),
            "f{f}.bin differs"
        );
    }
    (learned, connects)
}
