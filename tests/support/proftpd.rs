//! A real proftpd (Debian's `proftpd-core`) with mod_deflate, for MODE Z
//! against a server that speaks it. Started as the current user on a free
//! loopback port from a config generated in a temporary folder (`-n -c`),
//! never the system service; one virtual user from an `AuthUserFile`.
//!
//! When proftpd is not installed, [`Proftpd::start`] prints a skip line and
//! returns `None`, unless `FERRY_REQUIRE_PROFTPD` is set (as `scripts/test`
//! does), in which case it panics: CI must not pass by skipping.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// The one user the server knows.
pub const USER: &str = "ferry";
/// Its password; [`PASSWORD_HASH`] is `openssl passwd -6 -salt ferrytest ferry-pw`.
pub const PASSWORD: &str = "ferry-pw";
const PASSWORD_HASH: &str = "$6$ferrytest$nLqAPFjXgu1ea2DbUa8IRvEm3FrXN/bxmHcP7jnpVqdu1QN0yo76o8iLVkE2yCkGN7JqLX4Y5B0CJ6Ig00W9L1";

/// A running proftpd; dropping it stops it (by its own process id).
pub struct Proftpd {
    child: Child,
    pub addr: SocketAddr,
    /// The folder served as the user's home (the login folder).
    pub root: PathBuf,
    /// Config, logs, scoreboard, and the root inside.
    dir: TempDir,
    /// `proftpd -v`, for messages.
    pub version: String,
}

/// The proftpd binary: `FERRY_PROFTPD` (where `scripts/test` unpacked
/// it), else one on the PATH or in /usr/sbin.
fn binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("FERRY_PROFTPD").map(PathBuf::from)
        && p.is_file()
    {
        return Some(p);
    }
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    on_path
        .into_iter()
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
        .map(|d| d.join("proftpd"))
        .find(|p| p.is_file())
}

fn output(bin: &Path, args: &[&str]) -> String {
    let out = Command::new(bin)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("run {} {args:?}: {e}", bin.display()));
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    text
}

fn id(flag: &str) -> String {
    let out = Command::new("id").arg(flag).output().expect("run id");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

impl Proftpd {
    /// Start proftpd with `DeflateEngine on`, or skip (see the module docs).
    ///
    /// # Panics
    /// If proftpd is installed but has no mod_deflate, does not start, or
    /// does not greet within 10 s; or if it is missing and required.
    pub fn start(test: &str) -> Option<Proftpd> {
        Self::start_with(test, "")
    }

    /// [`Proftpd::start`] with `extra` lines at the end of proftpd.conf.
    pub fn start_with(test: &str, extra: &str) -> Option<Proftpd> {
        let Some(bin) = binary() else {
            if std::env::var_os("FERRY_REQUIRE_PROFTPD").is_some() {
                panic!(
                    "{test}: proftpd is not installed and FERRY_REQUIRE_PROFTPD is set; run scripts/test (it unpacks Debian's proftpd-core and sets FERRY_PROFTPD)"
                );
            }
            eprintln!(
                "SKIPPED {test}: proftpd is not installed (run scripts/test, which unpacks Debian's proftpd-core, or set FERRY_PROFTPD)"
            );
            return None;
        };
        let version = output(&bin, &["-v"]).trim().to_string();
        // Debian builds mod_deflate as a shared module, in ../lib/proftpd
        // beside sbin (also when unpacked elsewhere), else where `-V` says
        // shared modules live; unless it is compiled in (`-l`).
        let modules = output(&bin, &["-l"]);
        let built_in = modules.contains("mod_deflate.c");
        let beside = bin
            .parent()
            .and_then(Path::parent)
            .map(|usr| usr.join("lib/proftpd"))
            .filter(|d| d.join("mod_deflate.so").is_file());
        let module_dir = beside.unwrap_or_else(|| {
            output(&bin, &["-V"])
                .lines()
                .skip_while(|l| !l.contains("Shared Module Directory"))
                .nth(1)
                .map(|l| PathBuf::from(l.trim()))
                .unwrap_or_else(|| PathBuf::from("/usr/lib/proftpd"))
        });
        let load_deflate = if built_in {
            String::new()
        } else {
            assert!(
                module_dir.join("mod_deflate.so").is_file() && modules.contains("mod_dso.c"),
                "{version} has no mod_deflate (neither in `proftpd -l` nor as {}); MODE Z needs it",
                module_dir.join("mod_deflate.so").display()
            );
            format!(
                "<IfModule mod_dso.c>\n  ModulePath {}\n  LoadModule mod_deflate.c\n</IfModule>\n",
                module_dir.display()
            )
        };

        // mod_digest (HASH, XSHA256, …) for the sync tests' checksums, where Debian ships it.
        let load_digest = if module_dir.join("mod_digest.so").is_file() && !built_in {
            format!(
                "<IfModule mod_dso.c>\n  ModulePath {}\n  LoadModule mod_digest.c\n</IfModule>\n<IfModule mod_digest.c>\n  DigestEngine on\n</IfModule>\n",
                module_dir.display()
            )
        } else {
            String::new()
        };
        // mod_site_misc (SITE UTIME, …) for keeping upload times, where Debian ships it.
        let load_site_misc = if module_dir.join("mod_site_misc.so").is_file() && !built_in {
            format!(
                "<IfModule mod_dso.c>\n  ModulePath {}\n  LoadModule mod_site_misc.c\n</IfModule>\n",
                module_dir.display()
            )
        } else {
            String::new()
        };
        let dir = tempfile::Builder::new()
            .prefix("ferry-proftpd-")
            .tempdir()
            .expect("temp dir for proftpd");
        let d = dir.path();
        let root = d.join("root");
        std::fs::create_dir(&root).expect("create the FTP root");
        let meta = std::fs::metadata(d).expect("stat the temp dir");
        let (uid, gid) = (meta.uid(), meta.gid());
        let (user, group) = (id("-un"), id("-gn"));
        std::fs::write(
            d.join("passwd"),
            format!(
                "{USER}:{PASSWORD_HASH}:{uid}:{gid}::{}:/bin/sh\n",
                root.display()
            ),
        )
        .expect("write AuthUserFile");
        std::fs::write(d.join("group"), format!("{group}:x:{gid}:\n")).expect("write group file");
        // proftpd refuses world-readable user and group files.
        for f in ["passwd", "group"] {
            std::fs::set_permissions(d.join(f), std::fs::Permissions::from_mode(0o600))
                .expect("make the AuthUserFile private");
        }

        // A free port: bind :0 and let it go (the kernel does not hand it
        // out again at once).
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("find a free port")
            .port();
        let conf = format!(
            r#"# Generated by Ferry's tests: a private proftpd, foreground, loopback only.
ServerType standalone
ServerName "ferry test"
DefaultServer on
Port {port}
DefaultAddress 127.0.0.1
SocketBindTight on
UseIPv6 off
User {user}
Group {group}
PidFile {d}/proftpd.pid
ScoreboardFile {d}/proftpd.scoreboard
DelayTable none
WtmpLog off
SystemLog {d}/system.log
TransferLog {d}/xferlog
UseReverseDNS off
RootLogin on
RequireValidShell off
AuthOrder mod_auth_file.c
AuthUserFile {d}/passwd
AuthGroupFile {d}/group
AllowOverwrite on
TimeoutIdle 120
# A session left with a stalled transfer ends by itself.
TimeoutStalled 30
{load_deflate}{load_digest}{load_site_misc}<IfModule mod_deflate.c>
  DeflateEngine on
  DeflateLog {d}/deflate.log
</IfModule>
{extra}
"#,
            d = d.display()
        );
        let conf_path = d.join("proftpd.conf");
        std::fs::write(&conf_path, conf).expect("write proftpd.conf");
        let log = std::fs::File::create(d.join("proftpd.out")).expect("create proftpd.out");
        let child = Command::new(&bin)
            .arg("-n")
            .arg("-c")
            .arg(&conf_path)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone log handle"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", bin.display()));
        let mut server = Proftpd {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            root,
            dir,
            version,
        };
        server.wait_for_greeting();
        Some(server)
    }

    fn wait_for_greeting(&mut self) {
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "proftpd exited ({status}) before greeting:\n{}",
                    self.logs()
                );
            }
            if let Ok(s) = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200)) {
                let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
                let mut line = String::new();
                if BufReader::new(s).read_line(&mut line).is_ok() && line.starts_with("220") {
                    return;
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "proftpd did not greet on {} within 10 s:\n{}",
                self.addr,
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// proftpd's output and logs, for failure messages.
    pub fn logs(&self) -> String {
        ["proftpd.out", "system.log", "deflate.log"]
            .iter()
            .map(|f| {
                let text = std::fs::read_to_string(self.dir.path().join(f)).unwrap_or_default();
                format!("--- {f}\n{text}")
            })
            .collect()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel.trim_start_matches('/'))
    }
}

impl Drop for Proftpd {
    fn drop(&mut self) {
        // Our own child, by its id: SIGTERM lets the master end its session
        // processes too; SIGKILL if it lingers.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
