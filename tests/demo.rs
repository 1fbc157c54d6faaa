//! `ferry --demo`'s embedded server: it starts on its own thread, serves the
//! promised sample tree to the demo login in both data modes, and cleans up
//! after itself.

use std::time::{Duration, Instant};

use ferry::demo::{DEMO_PASSWORD, DEMO_USER, DemoServer, MANY_FILES_COUNT, MANY_FILES_FOLDER};
use ferry::ftp::log::null_log;
use ferry::ftp::{ConnectOptions, DataMode, EntryKind, Session};

fn names(entries: &[ferry::ftp::RemoteEntry]) -> Vec<String> {
    entries
        .iter()
        .map(|e| String::from_utf8_lossy(&e.name).into_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_server_serves_its_sample_tree_to_the_demo_login() {
    let started = Instant::now();
    let demo = tokio::task::spawn_blocking(DemoServer::start_background)
        .await
        .unwrap()
        .expect("start the demo server");
    let returned_after = started.elapsed();
    assert!(
        returned_after < Duration::from_secs(5),
        "start_background must not hold up the window: {returned_after:?}"
    );
    assert!(demo.addr.ip().is_loopback());
    assert_eq!(
        (demo.user.as_str(), demo.password.as_str()),
        (DEMO_USER, DEMO_PASSWORD)
    );

    // The app connects at once, whether or not seeding has finished: the
    // greeting waits until the tree is complete.
    let first = Session::connect(
        ConnectOptions::new("127.0.0.1", demo.addr.port(), DEMO_USER, DEMO_PASSWORD),
        null_log(),
    )
    .await
    .expect("log in right after start_background returns");
    demo.wait_ready(Duration::from_secs(10))
        .expect("a greeting means the tree is seeded");
    eprintln!(
        "start_background returned after {returned_after:?}; greeted after {:?}",
        started.elapsed()
    );
    first.quit().await.expect("QUIT");

    // On disk: what the issue promises.
    let root = demo.root().to_path_buf();
    let many = std::fs::read_dir(root.join(MANY_FILES_FOLDER))
        .unwrap()
        .count();
    assert_eq!(many, 5_000);
    assert_eq!(MANY_FILES_COUNT, 5_000);
    let big = std::fs::metadata(root.join("Photos/family portrait.png")).unwrap();
    assert!(big.len() >= 3 * 1024 * 1024, "{} bytes", big.len());
    assert!(root.join("Read me.txt").is_file());
    assert!(root.join("Ünïcödé – naïve café.txt").is_file());
    assert!(root.join("Documents/Reports/2024").is_dir());

    // Over FTP, in both data modes.
    for mode in [DataMode::Passive, DataMode::Active] {
        let mut options =
            ConnectOptions::new("127.0.0.1", demo.addr.port(), &demo.user, &demo.password);
        options.mode = mode;
        options.list_hidden = true;
        let mut session = Session::connect(options, null_log())
            .await
            .expect("log in with the demo credentials");

        let top = session.list(None).await.expect("list /");
        let top_names = names(&top);
        for expected in [
            "Read me.txt",
            "Ünïcödé – naïve café.txt",
            "Many files",
            "Photos",
            "Documents",
            "Music",
            "Empty folder",
        ] {
            assert!(
                top_names.iter().any(|n| n == expected),
                "{expected:?} missing from {top_names:?} ({mode:?})"
            );
        }
        let photos = top.iter().find(|e| e.name == b"Photos").unwrap();
        assert_eq!(photos.kind, EntryKind::Dir);

        let many = session
            .list(Some(b"/Many files".as_slice()))
            .await
            .expect("list the big folder");
        assert_eq!(many.len(), 5_000, "{mode:?}");

        let size = session
            .size("/Photos/family portrait.png")
            .await
            .expect("SIZE of a photo");
        assert_eq!(size, big.len());
        session.quit().await.expect("QUIT");
    }

    // Wrong password: refused.
    let wrong = ConnectOptions::new("127.0.0.1", demo.addr.port(), DEMO_USER, "nope");
    assert!(Session::connect(wrong, null_log()).await.is_err());

    // Dropping the server stops it and removes its folder.
    let addr = demo.addr;
    tokio::task::spawn_blocking(move || drop(demo))
        .await
        .unwrap();
    assert!(!root.exists(), "the demo folder is removed");
    let refused =
        tokio::time::timeout(Duration::from_secs(5), tokio::net::TcpStream::connect(addr))
            .await
            .expect("connecting to a stopped server fails fast");
    assert!(refused.is_err(), "the demo server no longer listens");
}

#[test]
fn dropping_the_demo_server_while_it_seeds_stops_it_promptly_and_cleans_up() {
    let demo = DemoServer::start_background().expect("start the demo server");
    let root = demo.root().to_path_buf();
    let started = Instant::now();
    drop(demo);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "drop took {:?}",
        started.elapsed()
    );
    assert!(!root.exists(), "the demo folder is removed");
}
