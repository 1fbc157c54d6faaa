//! The preferences file's own thread: it loads the file once, then writes
//! each version it is sent, so the window never waits on the disk. When
//! several saves are waiting, only the newest is written.

use std::sync::{Arc, mpsc};

use super::{Loaded, Preferences, PrefsStore};

/// What the thread reports.
#[derive(Debug)]
pub enum PrefsReply {
    /// The file was read (always the first reply).
    Loaded(Box<Loaded>),
    /// A save finished: `Err` says why nothing was written.
    Saved(Result<(), String>),
}

/// The sending half of the preferences thread, and its replies.
pub struct PrefsWorker {
    jobs: mpsc::Sender<Preferences>,
    replies: mpsc::Receiver<PrefsReply>,
}

impl PrefsWorker {
    /// Start the thread, which owns `store` and loads it first. `waker` is
    /// called after each reply is sent (the window repaints).
    pub fn start(
        mut store: PrefsStore,
        waker: Arc<dyn Fn() + Send + Sync>,
    ) -> std::io::Result<PrefsWorker> {
        let (jobs, job_rx) = mpsc::channel::<Preferences>();
        let (reply_tx, replies) = mpsc::channel();
        std::thread::Builder::new()
            .name("ferry-preferences".into())
            .spawn(move || {
                let loaded = store.load();
                tracing::debug!(path = %store.path().display(), "preferences loaded");
                if reply_tx.send(PrefsReply::Loaded(Box::new(loaded))).is_err() {
                    return;
                }
                waker();
                while let Ok(mut prefs) = job_rx.recv() {
                    // Older versions still waiting are superseded by the
                    // newest, and answered with it: one reply per save asked
                    // for, since the window counts the saves under way.
                    let mut asked = 1;
                    while let Ok(newer) = job_rx.try_recv() {
                        prefs = newer;
                        asked += 1;
                    }
                    let result = store.save(&prefs).map_err(|e| e.to_string());
                    for _ in 0..asked {
                        if reply_tx.send(PrefsReply::Saved(result.clone())).is_err() {
                            return;
                        }
                    }
                    waker();
                }
            })?;
        Ok(PrefsWorker { jobs, replies })
    }

    /// Queue `prefs` to be written. False if the thread is gone.
    pub fn save(&self, prefs: Preferences) -> bool {
        self.jobs.send(prefs).is_ok()
    }

    /// The next reply, if one arrived.
    pub fn try_recv(&self) -> Option<PrefsReply> {
        self.replies.try_recv().ok()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::Theme;
    use super::*;

    #[test]
    fn loads_first_then_writes_what_it_is_sent() {
        let dir = tempfile::tempdir().unwrap();
        let store = PrefsStore::in_dir(dir.path());
        let path = store.path().to_path_buf();
        let (woke_tx, woke) = mpsc::channel();
        let woke_tx = std::sync::Mutex::new(woke_tx);
        let worker = PrefsWorker::start(
            store,
            Arc::new(move || {
                let _ = woke_tx.lock().unwrap().send(());
            }),
        )
        .unwrap();
        woke.recv_timeout(Duration::from_secs(10)).unwrap();
        let Some(PrefsReply::Loaded(loaded)) = worker.try_recv() else {
            panic!("the first reply is the load");
        };
        assert!(!loaded.found);

        let mut p = Preferences::default();
        p.interface.theme = Theme::Light;
        assert!(worker.save(p.clone()));
        woke.recv_timeout(Duration::from_secs(10)).unwrap();
        assert!(matches!(worker.try_recv(), Some(PrefsReply::Saved(Ok(())))));
        assert_eq!(PrefsStore::at(&path).load().prefs, p);

        // Saves asked for faster than they are written: the newest is
        // written, and every one is answered (the window counts them; one
        // reply for three left it "saving" for good).
        let mut versions = Vec::new();
        for parallel in [2, 3, 5] {
            let mut v = p.clone();
            v.transfers.parallel = parallel;
            assert!(worker.save(v.clone()));
            versions.push(v);
        }
        let mut saved = 0;
        while saved < versions.len() {
            woke.recv_timeout(Duration::from_secs(10))
                .expect("a reply for every save asked for");
            while let Some(reply) = worker.try_recv() {
                assert!(matches!(reply, PrefsReply::Saved(Ok(()))));
                saved += 1;
            }
        }
        assert_eq!(saved, 3);
        assert_eq!(PrefsStore::at(&path).load().prefs, versions[2]);
    }
}
