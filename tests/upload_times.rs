//! An upload keeps the local file's modification time on servers that let
//! it be set: MFMT where offered, else ProFTPD's SITE UTIME
//! (mod_site_misc), else nothing, and a server where nothing works is not
//! asked again in the same run. Against real servers: proftpd (with MFMT,
//! and with MFMT refused) and the in-process libunftp (neither).

mod support;

use std::path::Path;
use std::process::Output;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use support::cli::Ferry;
use support::server::{ServerOptions, TestServer};

fn put(args: &[&str], cwd: &Path, password: &str) -> Output {
    Ferry::new(args).cwd(cwd).password(Some(password)).output()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The commands `> VERB …` the client sent (from the -v log).
fn sent(o: &Output, verb: &str) -> Vec<String> {
    let needle = format!("> {verb} ");
    stderr(o)
        .lines()
        .filter(|l| l.contains(&needle))
        .map(str::to_string)
        .collect()
}

fn seconds(path: &Path) -> u64 {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .expect("a modification time")
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

/// Two files three days old (whole seconds), in `dir/up`.
fn two_old_files(dir: &Path) -> u64 {
    let up = dir.join("up");
    std::fs::create_dir_all(&up).expect("mkdir");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    let when = UNIX_EPOCH + Duration::from_secs(now - 3 * 86_400);
    for name in ["one.txt", "two.txt"] {
        std::fs::write(up.join(name), name.as_bytes()).expect("write");
        std::fs::File::options()
            .write(true)
            .open(up.join(name))
            .and_then(|f| f.set_modified(when))
            .expect("set the time");
    }
    when.duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

/// Where the upload put `name` under the server's `root` (`put -r` may
/// or may not make the folder itself there).
fn uploaded(root: &Path, name: &str) -> std::path::PathBuf {
    for candidate in [root.join("up").join(name), root.join(name)] {
        if candidate.is_file() {
            return candidate;
        }
    }
    panic!("{name} was not uploaded under {}", root.display());
}

fn proftpd_url(server: &support::proftpd::Proftpd) -> String {
    format!("ftp://{}@{}/", support::proftpd::USER, server.addr)
}

#[test]
fn proftpd_with_mfmt_keeps_the_time_with_mfmt_alone() {
    let Some(server) = support::proftpd::Proftpd::start("upload_times_mfmt") else {
        return;
    };
    let work = tempfile::tempdir().expect("temp dir");
    let when = two_old_files(work.path());
    let url = proftpd_url(&server);
    let o = put(
        &["put", "-v", "-r", "-j", "1", "up", &url],
        work.path(),
        support::proftpd::PASSWORD,
    );
    assert!(o.status.success(), "{}\n{}", stderr(&o), server.logs());
    assert_eq!(sent(&o, "MFMT").len(), 2, "{}", stderr(&o));
    assert!(sent(&o, "SITE").is_empty(), "{}", stderr(&o));
    for name in ["one.txt", "two.txt"] {
        assert_eq!(seconds(&uploaded(&server.root, name)), when, "{name}");
    }
}

#[test]
fn proftpd_refusing_mfmt_keeps_the_time_with_site_utime() {
    let refuse_mfmt = "<Limit MFMT>\n  DenyAll\n</Limit>\n";
    let Some(server) =
        support::proftpd::Proftpd::start_with("upload_times_site_utime", refuse_mfmt)
    else {
        return;
    };
    let work = tempfile::tempdir().expect("temp dir");
    let when = two_old_files(work.path());
    let url = proftpd_url(&server);
    let o = put(
        &["put", "-v", "-r", "-j", "1", "up", &url],
        work.path(),
        support::proftpd::PASSWORD,
    );
    assert!(o.status.success(), "{}\n{}", stderr(&o), server.logs());
    // MFMT is tried once (FEAT offers it), refused, and not sent again.
    assert_eq!(sent(&o, "MFMT").len(), 1, "{}", stderr(&o));
    assert!(
        sent(&o, "SITE").iter().any(|l| l.contains("SITE UTIME")),
        "{}",
        stderr(&o)
    );
    for name in ["one.txt", "two.txt"] {
        assert_eq!(
            seconds(&uploaded(&server.root, name)),
            when,
            "{name}: {}",
            stderr(&o)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_keeps_its_own_time_is_asked_once_per_run() {
    let server = TestServer::start(ServerOptions::default()).await;
    let work = tempfile::tempdir().expect("temp dir");
    let when = two_old_files(work.path());
    let url = server.url("/");
    let cwd = work.path().to_path_buf();
    let o = tokio::task::spawn_blocking(move || {
        put(
            &["put", "-v", "-r", "-j", "1", "up", &url],
            &cwd,
            support::server::PASSWORD,
        )
    })
    .await
    .expect("join");
    assert!(o.status.success(), "{}", stderr(&o));
    // No MFMT in its FEAT: not sent. Both SITE UTIME forms and the MDTM
    // form are tried for the first file only.
    assert!(sent(&o, "MFMT").is_empty(), "{}", stderr(&o));
    assert_eq!(sent(&o, "SITE").len(), 2, "{}", stderr(&o));
    let mdtm_writes = sent(&o, "MDTM")
        .iter()
        .filter(|l| l.contains(&format!("MDTM {}", chrono_stamp(when))))
        .count();
    assert_eq!(mdtm_writes, 1, "{}", stderr(&o));
    assert!(seconds(&uploaded(&server.path(""), "one.txt")) > when + 86_400);
}

/// `YYYYMMDDHHMMSS` of a time in seconds since 1970, UTC.
fn chrono_stamp(secs: u64) -> String {
    chrono::DateTime::from_timestamp(secs as i64, 0)
        .expect("a valid time")
        .format("%Y%m%d%H%M%S")
        .to_string()
}
