//! Writes the sites file on a thread of its own, in the order asked: an
//! atomic save syncs to disk, which the window must not wait for. Each
//! write first re-reads the file, so sites that another Ferry or
//! `ferry sites import` added meanwhile are kept, never lost.

use eframe::egui;

use super::job::Worker;
use crate::sites::{SiteList, SiteStore};

/// A change to the sites file, and what the caller wants done once it is on
/// disk (`T`, handed back untouched).
pub enum WriteJob<T> {
    /// Write the Site Manager's list. `base` is the list the dialog started
    /// from: sites in the file that it does not know were added elsewhere
    /// and are kept.
    Replace {
        sites: SiteList,
        base: SiteList,
        then: T,
    },
    /// Apply `change` to the list as it is in the file, and write it.
    Update {
        change: Box<dyn FnOnce(&mut SiteList) + Send>,
        then: T,
    },
}

/// A finished write: the list now in the file, or why nothing was written.
pub struct WriteDone<T> {
    pub result: Result<SiteList, String>,
    pub then: T,
}

/// The writer thread, which owns the store: writes in, results out (see [`Worker`]).
pub struct SitesWriter<T>(Worker<WriteJob<T>, WriteDone<T>>);

impl<T: Send + 'static> SitesWriter<T> {
    /// Start the thread, which owns `store`; the window is repainted after each write.
    pub fn start(store: SiteStore, ctx: &egui::Context) -> std::io::Result<SitesWriter<T>> {
        Worker::start("ferry-sites-writer", ctx, move |job| Some(run(&store, job))).map(SitesWriter)
    }

    /// Queue a write; writes happen in the order they were sent. False if
    /// the thread is gone (then nothing is written).
    pub fn send(&self, job: WriteJob<T>) -> bool {
        self.0.send(job)
    }

    /// The writes finished since the last call.
    pub fn finished(&self) -> Vec<WriteDone<T>> {
        self.0.answers()
    }
}

fn run<T>(store: &SiteStore, job: WriteJob<T>) -> WriteDone<T> {
    match job {
        WriteJob::Replace {
            mut sites,
            base,
            then,
        } => {
            // Unreadable now (it was readable at start): the user's list is
            // still what they asked to save.
            if let Ok(on_disk) = store.load() {
                keep_added_elsewhere(&mut sites, &base, on_disk.sites);
            }
            let result = store
                .save(&sites)
                .map(|()| sites)
                .map_err(|e| e.to_string());
            WriteDone { result, then }
        }
        WriteJob::Update { change, then } => {
            let result = store.load().map_err(|e| e.to_string()).and_then(|loaded| {
                let mut sites = loaded.sites;
                change(&mut sites);
                store
                    .save(&sites)
                    .map(|()| sites)
                    .map_err(|e| e.to_string())
            });
            WriteDone { result, then }
        }
    }
}

/// Add to `sites` what is in `on_disk` but neither in `base` nor in `sites`.
fn keep_added_elsewhere(sites: &mut SiteList, base: &SiteList, on_disk: SiteList) {
    for site in on_disk.sites {
        if base.get(&site.id).is_none() && sites.get(&site.id).is_none() {
            sites.sites.push(site);
        }
    }
    for folder in on_disk.folders {
        if !base.folders.contains(&folder) && !sites.folders.contains(&folder) {
            sites.folders.push(folder);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sites::Site;

    fn list(names: &[&Site]) -> SiteList {
        SiteList {
            sites: names.iter().map(|s| (*s).clone()).collect(),
            ..SiteList::default()
        }
    }

    #[test]
    fn sites_added_elsewhere_are_kept_and_deleted_ones_stay_deleted() {
        let a = Site::new("a", "h");
        let deleted = Site::new("deleted here", "h");
        let theirs = Site::new("added elsewhere", "h");
        let mut mine = list(&[&a]);
        let base = list(&[&a, &deleted]);
        let on_disk = list(&[&a, &deleted, &theirs]);
        keep_added_elsewhere(&mut mine, &base, on_disk);
        let names: Vec<_> = mine.sites.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["a", "added elsewhere"]);
    }
}
