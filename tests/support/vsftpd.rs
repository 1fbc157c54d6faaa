//! A private vsftpd for tests that need what libunftp lacks: a per-connection rate cap
//! (`anon_max_rate`, the same as `local_max_rate` for anonymous logins) and EPRT. It runs as the
//! user running the tests (`run_as_launching_user`), serving a folder read-only to anonymous
//! logins on a free loopback port, never as the system service.
//!
//! When vsftpd is not installed, [`Vsftpd::start`] prints a skip line and returns `None`, unless
//! `FERRY_REQUIRE_VSFTPD` is set (as `scripts/test` does after installing it), in which case it
//! panics: CI must not pass by skipping.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

use tempfile::TempDir;

pub struct Vsftpd {
    child: Child,
    /// The control port, on the address the extra configuration named.
    pub port: u16,
    dir: TempDir,
}

impl Drop for Vsftpd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("FERRY_VSFTPD") {
        return Some(PathBuf::from(p));
    }
    ["/usr/sbin/vsftpd", "/usr/local/sbin/vsftpd"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

fn free_port(host: &str) -> u16 {
    TcpListener::bind((host, 0))
        .expect("bind a free port")
        .local_addr()
        .expect("its address")
        .port()
}

impl Vsftpd {
    /// Start vsftpd serving `root` with `extra` configuration lines, which must say where it
    /// listens (`listen_address=127.0.0.1`, or `listen_ipv6=YES` with `listen_address6=::1`).
    pub fn start(test: &str, root: &Path, extra: &str) -> Option<Vsftpd> {
        let Some(bin) = binary() else {
            if std::env::var_os("FERRY_REQUIRE_VSFTPD").is_some() {
                panic!(
                    "{test}: vsftpd is not installed and FERRY_REQUIRE_VSFTPD is set; run scripts/test (it installs Debian's vsftpd)"
                );
            }
            eprintln!(
                "SKIPPED {test}: vsftpd is not installed (run scripts/test, which installs it, or set FERRY_VSFTPD)"
            );
            return None;
        };
        let v6 = extra.contains("listen_ipv6=YES");
        let host = if v6 { "::1" } else { "127.0.0.1" };
        let dir = tempfile::tempdir().expect("a temp dir");
        let empty = dir.path().join("empty");
        std::fs::create_dir(&empty).expect("an empty dir");
        let port = free_port(host);
        let pasv = free_port(host);
        let listen = if v6 {
            "listen=NO\n"
        } else {
            "listen=YES\nlisten_ipv6=NO\n"
        };
        let conf = dir.path().join("vsftpd.conf");
        std::fs::write(
            &conf,
            format!(
                "{listen}listen_port={port}\nbackground=NO\nrun_as_launching_user=YES\n\
                 anonymous_enable=YES\nno_anon_password=YES\nanon_root={}\nlocal_enable=NO\n\
                 write_enable=NO\nsecure_chroot_dir={}\nseccomp_sandbox=NO\nisolate=NO\n\
                 isolate_network=NO\npasv_enable=YES\npasv_min_port={pasv}\npasv_max_port={}\n\
                 xferlog_enable=NO\nvsftpd_log_file={}\nssl_enable=NO\ncheck_shell=NO\n{extra}",
                root.display(),
                empty.display(),
                pasv.saturating_add(50),
                dir.path().join("vsftpd.log").display(),
            ),
        )
        .expect("write vsftpd.conf");
        let out_path = dir.path().join("vsftpd.out");
        let out = std::fs::File::options()
            .create(true)
            .read(true)
            .write(true)
            .truncate(true)
            .open(&out_path)
            .expect("vsftpd.out");
        // vsftpd writes start-up errors to its standard input (the client socket in inetd mode).
        let mut child = Command::new(&bin)
            .arg(&conf)
            .stdin(out.try_clone().expect("dup"))
            .stdout(out.try_clone().expect("dup"))
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| panic!("{test}: start {}: {e}", bin.display()));
        for _ in 0..100 {
            if std::net::TcpStream::connect((host, port)).is_ok() {
                return Some(Vsftpd { child, port, dir });
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "{test}: vsftpd exited ({status}): {}",
                    std::fs::read_to_string(&out_path).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("{test}: vsftpd did not listen on {host} port {port} within 5 s");
    }

    /// Wait until vsftpd serves no session, the start-up probe's included (a test of
    /// `max_per_ip` counts from zero): its session processes have all exited and been reaped.
    pub fn wait_no_sessions(&self) {
        // The start-up probe may not have been accepted yet: once a greeting comes on a later
        // connection, it has been (connections are accepted in turn).
        let mut probe = std::net::TcpStream::connect(("127.0.0.1", self.port))
            .or_else(|_| std::net::TcpStream::connect(("::1", self.port)))
            .expect("connect to vsftpd");
        probe
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("a read timeout");
        let mut greeting = [0u8; 3];
        std::io::Read::read_exact(&mut probe, &mut greeting).expect("vsftpd's greeting");
        drop(probe);
        let pid = self.child.id();
        let children = format!("/proc/{pid}/task/{pid}/children");
        for _ in 0..200 {
            match std::fs::read_to_string(&children) {
                Ok(list) if !list.trim().is_empty() => {
                    std::thread::sleep(Duration::from_millis(25))
                }
                // None left (or no way to tell on this system).
                _ => return,
            }
        }
        panic!("vsftpd still serves a session 5 s after the last one closed");
    }

    /// vsftpd's own log, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("vsftpd.log")).unwrap_or_default()
    }
}
