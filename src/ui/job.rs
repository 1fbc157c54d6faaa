//! Work the window must not wait for (native file dialogs, the keyring, the
//! disk), on threads of their own, polled once per frame.
//!
//! A [`Job`] is one piece of work with one answer, like `poll-promise`'s
//! `Promise`, but it clears itself when its thread ends without answering (a
//! cancelled file dialog, a panic) instead of panicking or staying pending,
//! and it wakes the window when it ends. A [`Worker`] runs a queue of
//! requests in order on one thread (the keyring, the sites file) and hands
//! back their answers the same way.

use std::path::PathBuf;
use std::sync::{Arc, mpsc};

use eframe::egui;

/// Wakes the window when dropped: the thread's last act, also when it panics.
struct Waker(egui::Context);

impl Drop for Waker {
    fn drop(&mut self) {
        self.0.request_repaint();
    }
}

/// One piece of background work and its answer, or nothing running.
#[must_use]
pub struct Job<T> {
    rx: Option<mpsc::Receiver<T>>,
}

impl<T> Default for Job<T> {
    fn default() -> Self {
        Job { rx: None }
    }
}

impl<T> std::fmt::Debug for Job<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("running", &self.is_running())
            .finish()
    }
}

impl<T: Send + 'static> Job<T> {
    /// Run `work` on a thread named `name`; the window is repainted when it
    /// ends. `work` returning `None` (the user cancelled) ends the job with
    /// no answer.
    pub fn spawn(
        name: &str,
        ctx: &egui::Context,
        work: impl FnOnce() -> Option<T> + Send + 'static,
    ) -> std::io::Result<Job<T>> {
        let (tx, rx) = mpsc::channel();
        let waker = Waker(ctx.clone());
        std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                let _waker = waker;
                if let Some(answer) = work() {
                    // The window may have dropped the job: nobody to tell then.
                    let _ = tx.send(answer);
                }
                // `tx` is dropped before `_waker`: the repaint sees the job ended.
                drop(tx);
            })?;
        Ok(Job { rx: Some(rx) })
    }
}

impl<T> Job<T> {
    /// Whether the work has not ended yet (or its answer is not taken yet).
    pub fn is_running(&self) -> bool {
        self.rx.is_some()
    }

    /// The answer, once: `Some` when the work finished with one. A job that
    /// ended, with or without an answer, is no longer running afterwards.
    pub fn poll(&mut self) -> Option<T> {
        let rx = self.rx.as_ref()?;
        match rx.try_recv() {
            Ok(answer) => {
                self.rx = None;
                Some(answer)
            }
            Err(mpsc::TryRecvError::Disconnected) => {
                self.rx = None;
                None
            }
            Err(mpsc::TryRecvError::Empty) => None,
        }
    }
}

/// A thread that runs requests one after another, in the order sent, and
/// hands back their answers; the window is repainted after each.
pub struct Worker<J, R> {
    jobs: mpsc::Sender<J>,
    answers: mpsc::Receiver<R>,
}

impl<J: Send + 'static, R: Send + 'static> Worker<J, R> {
    /// Start the thread; `run` answers each request (`None`: no answer).
    pub fn start(
        name: &str,
        ctx: &egui::Context,
        mut run: impl FnMut(J) -> Option<R> + Send + 'static,
    ) -> std::io::Result<Worker<J, R>> {
        let (jobs, job_rx) = mpsc::channel::<J>();
        let (answer_tx, answers) = mpsc::channel();
        let ctx = ctx.clone();
        std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                let _waker = Waker(ctx.clone());
                for job in job_rx {
                    if let Some(answer) = run(job) {
                        if answer_tx.send(answer).is_err() {
                            return;
                        }
                        ctx.request_repaint();
                    }
                }
            })?;
        Ok(Worker { jobs, answers })
    }

    /// Queue a request; false when the thread has ended (then it never runs).
    pub fn send(&self, job: J) -> bool {
        self.jobs.send(job).is_ok()
    }

    /// The answers that arrived since the last call.
    pub fn answers(&self) -> Vec<R> {
        self.answers.try_iter().collect()
    }
}

/// Asks the user for a folder, given the dialog's title and where to start.
/// In the app this is the native dialog, which blocks (run it in a [`Job`]);
/// tests put in their own answer, since no native dialog runs there.
#[derive(Clone)]
pub struct FolderPicker(Arc<Pick>);

/// (title, start folder) → the folder picked.
type Pick = dyn Fn(&str, Option<PathBuf>) -> Option<PathBuf> + Send + Sync;

impl FolderPicker {
    /// A picker that answers with `pick` (`None`: the user cancelled).
    pub fn new(
        pick: impl Fn(&str, Option<PathBuf>) -> Option<PathBuf> + Send + Sync + 'static,
    ) -> FolderPicker {
        FolderPicker(Arc::new(pick))
    }

    /// Ask; blocks until the user answers.
    pub fn pick(&self, title: &str, start: Option<PathBuf>) -> Option<PathBuf> {
        (self.0)(title, start)
    }
}

impl Default for FolderPicker {
    /// The native folder dialog, starting in `start` when it is a folder.
    fn default() -> Self {
        FolderPicker::new(|title, start| {
            let mut dialog = rfd::FileDialog::new().set_title(title);
            if let Some(dir) = start.filter(|d| d.is_dir()) {
                dialog = dialog.set_directory(dir);
            }
            dialog.pick_folder()
        })
    }
}

impl std::fmt::Debug for FolderPicker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FolderPicker")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn wait<T>(job: &mut Job<T>) -> Option<T> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Some(answer) = job.poll() {
                return Some(answer);
            }
            if !job.is_running() {
                return None;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        panic!("the job did not end");
    }

    #[test]
    fn a_job_hands_back_its_answer_once_and_then_is_idle() {
        let ctx = egui::Context::default();
        let mut job = Job::spawn("test-job", &ctx, || Some(42)).unwrap();
        assert_eq!(wait(&mut job), Some(42));
        assert!(!job.is_running());
        assert_eq!(job.poll(), None);
    }

    #[test]
    fn a_cancelled_job_ends_without_an_answer() {
        let ctx = egui::Context::default();
        let mut job: Job<u32> = Job::spawn("test-job", &ctx, || None).unwrap();
        assert_eq!(wait(&mut job), None);
        assert!(!job.is_running());
    }

    #[test]
    fn a_job_whose_thread_panics_ends_instead_of_staying_pending() {
        let ctx = egui::Context::default();
        let mut job: Job<u32> = Job::spawn("test-job", &ctx, || panic!("boom")).unwrap();
        assert_eq!(wait(&mut job), None);
        assert!(!job.is_running());
    }

    #[test]
    fn a_worker_answers_in_order() {
        let ctx = egui::Context::default();
        let worker = Worker::start("test-worker", &ctx, |n: u32| {
            n.is_multiple_of(2).then_some(n * 10)
        })
        .unwrap();
        for n in 0..6 {
            assert!(worker.send(n));
        }
        let mut got = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(10);
        while got.len() < 3 && Instant::now() < deadline {
            got.extend(worker.answers());
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(got, vec![0, 20, 40]);
    }
}
