//! Running the `ferry` binary from a test: [`Ferry`] builds the command the
//! command-line tests share (the test password in `FERRY_PASSWORD`, nothing
//! on standard input) with the few variants they need, and [`ferry`] is the
//! run most of them make. Each run has a config folder of its own (a new
//! temporary one unless the test names one), so no test reads or writes
//! the developer's own settings.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use super::server::PASSWORD;

/// `ferry ARGS`, as a test runs it.
pub struct Ferry(Command, Option<tempfile::TempDir>);

impl Ferry {
    /// `ferry ARGS` with the test password in `FERRY_PASSWORD` and nothing
    /// on standard input, in the test's own folder and environment.
    pub fn new<S: AsRef<OsStr>>(args: impl IntoIterator<Item = S>) -> Ferry {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ferry"));
        let config = tempfile::tempdir().expect("a temporary config folder");
        cmd.args(args)
            .env("FERRY_PASSWORD", PASSWORD)
            .env("FERRY_CONFIG_DIR", config.path())
            .stdin(Stdio::null());
        Ferry(cmd, Some(config))
    }

    /// One more argument.
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Ferry {
        self.0.arg(arg);
        self
    }

    /// Run in `dir`.
    pub fn cwd(mut self, dir: impl AsRef<Path>) -> Ferry {
        self.0.current_dir(dir);
        self
    }

    /// Use `dir` as the config folder (`FERRY_CONFIG_DIR`).
    pub fn config(mut self, dir: impl AsRef<Path>) -> Ferry {
        self.0.env("FERRY_CONFIG_DIR", dir.as_ref());
        self.1 = None;
        self
    }

    /// This password in `FERRY_PASSWORD` instead of the test's; `None`:
    /// no `FERRY_PASSWORD` at all.
    pub fn password(mut self, password: Option<&str>) -> Ferry {
        match password {
            Some(p) => self.0.env("FERRY_PASSWORD", p),
            None => self.0.env_remove("FERRY_PASSWORD"),
        };
        self
    }

    /// Set an environment variable.
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Ferry {
        self.0.env(key, value);
        self
    }

    /// Set these environment variables.
    pub fn envs<K: AsRef<OsStr>, V: AsRef<OsStr>>(
        mut self,
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Ferry {
        self.0.envs(vars);
        self
    }

    /// Leave an environment variable out.
    pub fn env_remove(mut self, key: impl AsRef<OsStr>) -> Ferry {
        self.0.env_remove(key);
        self
    }

    /// The command, for a test that runs it its own way (piped streams, a
    /// server it stops).
    pub fn command(self) -> Command {
        // The command outlives this value: its temporary config folder
        // stays (in the system's temporary folder).
        if let Some(config) = self.1 {
            let _ = config.keep();
        }
        self.0
    }

    /// Run it to the end (blocking), with its output.
    pub fn output(mut self) -> Output {
        self.0.output().expect("run ferry")
    }

    /// [`Ferry::output`] on a blocking thread, off the async runtime's.
    pub async fn run(self) -> Output {
        tokio::task::spawn_blocking(move || self.output())
            .await
            .expect("join")
    }
}

/// Run `ferry ARGS` in `cwd` with a config folder of its own there
/// (`.config`) and the test password.
pub async fn ferry(args: &[&str], cwd: &Path) -> Output {
    Ferry::new(args)
        .cwd(cwd)
        .config(cwd.join(".config"))
        .run()
        .await
}
