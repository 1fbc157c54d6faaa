//! Speed limits (issue 13): `--limit-rate` and the engine's token bucket, against the in-process
//! server. Only lower bounds on time are asserted (a limited copy cannot be faster than
//! (size - burst) / rate), so a slow machine cannot fail these tests.

mod support;

use std::path::Path;
use std::process::Output;
use std::time::Instant;

use ferry::engine::rate_limit::RateLimit;
use ferry::engine::transfer::{Existing, Known, download_file, upload_file};
use ferry::ftp::log::null_log;
use ferry::ftp::{ConnectOptions, Session};
use support::random_bytes;
use support::server::{PASSWORD, ServerOptions, TestServer, USER};

/// Run `ferry ARGS` in `cwd` with its own config folder and the test password.
async fn ferry(args: &[&str], cwd: &Path) -> Output {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let cwd = cwd.to_path_buf();
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_ferry"))
            .args(&args)
            .current_dir(&cwd)
            .env("FERRY_CONFIG_DIR", cwd.join(".config"))
            .env("FERRY_PASSWORD", PASSWORD)
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run ferry")
    })
    .await
    .expect("join")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The least time `bytes` can take under `rate` (curl's units) with the bucket's burst.
fn least_secs(bytes: u64, rate: &str) -> f64 {
    let limit = RateLimit::new(ferry::engine::rate_limit::parse_rate(rate).unwrap());
    bytes.saturating_sub(limit.burst()) as f64 / limit.rate().unwrap() as f64
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
