//! The transfer queue on the test's runtime, driven through its handle, with
//! every event it sends kept: the jobs' latest views, conflicts and log lines.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};

use ferry::engine::Outbox;
use ferry::engine::queue::{self, QueueConfig, QueueHandle};
use ferry::engine::{Conflict, Event, JobState, JobView};

/// A queue on the test's runtime, and everything it reported.
pub struct Queue {
    pub handle: QueueHandle,
    pub events: std_mpsc::Receiver<Event>,
    /// The latest view of every job in the queue, by id.
    pub views: HashMap<u64, JobView>,
    /// Every "the target exists" question, in order.
    pub conflicts: Vec<Conflict>,
    /// Every log line's text, in order.
    pub log: Vec<String>,
    /// How long [`Queue::until`] waits for its event (20 s unless a test changes it).
    pub patience: Duration,
}

impl Queue {
    pub fn start(config: QueueConfig) -> Queue {
        let (tx, events) = std_mpsc::channel();
        let handle = queue::spawn(config, Outbox::new(tx, Arc::new(|| {})));
        Queue {
            handle,
            events,
            views: HashMap::new(),
            conflicts: Vec::new(),
            log: Vec::new(),
            patience: Duration::from_secs(20),
        }
    }

    /// Keep what `event` says; the counts if it is `QueueIdle`.
    pub fn take(&mut self, event: Event) -> Option<(usize, usize, usize)> {
        match event {
            Event::JobsChanged(views) => {
                for v in views {
                    self.views.insert(v.id, v);
                }
            }
            Event::JobsRemoved(ids) => {
                for id in ids {
                    self.views.remove(&id);
                }
            }
            Event::JobConflict(c) => self.conflicts.push(*c),
            Event::Log(line) => self.log.push(line.text),
            Event::QueueIdle {
                done,
                skipped,
                failed,
            } => return Some((done, skipped, failed)),
            _ => {}
        }
        None
    }

    /// Handle events until `stop` says so, failing after [`Queue::patience`] with the jobs in
    /// the message. `stop` sees each event before the queue keeps it.
    pub async fn until(&mut self, what: &str, mut stop: impl FnMut(&Queue, &Event) -> bool) {
        let deadline = Instant::now() + self.patience;
        loop {
            match self.events.try_recv() {
                Ok(event) => {
                    let hit = stop(self, &event);
                    self.take(event);
                    if hit {
                        return;
                    }
                }
                Err(_) => {
                    assert!(
                        Instant::now() < deadline,
                        "no {what} within {:?}; jobs: {:#?}",
                        self.patience,
                        self.views.values().collect::<Vec<_>>()
                    );
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
        }
    }

    /// Run until the queue is idle; returns (done, skipped, failed).
    pub async fn idle(&mut self) -> (usize, usize, usize) {
        let mut counts = None;
        self.until("QueueIdle", |_, e| {
            if let Event::QueueIdle {
                done,
                skipped,
                failed,
            } = e
            {
                counts = Some((*done, *skipped, *failed));
                true
            } else {
                false
            }
        })
        .await;
        counts.unwrap_or_default()
    }

    /// Run until the queue is idle, asserting that no job failed; `watch` sees every event
    /// before that one. Returns how many jobs were done.
    pub async fn idle_without_failures(&mut self, mut watch: impl FnMut(&Event)) -> usize {
        let mut done = None;
        self.until("QueueIdle", |_, event| {
            if let Event::QueueIdle {
                done: d, failed, ..
            } = event
            {
                assert_eq!(*failed, 0);
                done = Some(*d);
                true
            } else {
                watch(event);
                false
            }
        })
        .await;
        done.expect("until returns only at QueueIdle")
    }

    /// The jobs now in `state`.
    pub fn in_state(&self, state: JobState) -> Vec<&JobView> {
        self.views.values().filter(|v| v.state == state).collect()
    }
}
