//! The app's name-filters side: opening the Filters window, applying what
//! it hands back (saved with the preferences), and giving the panes and the
//! transfer queue the rules in use.

use super::*;
use crate::ui::filters_dialog::FiltersIntent;

impl FerryApp {
    /// View → Filters…, over the filters in use.
    pub(super) fn open_filters(&mut self) {
        let current = self.preferences.filters.clone();
        self.filters.open_with(&current);
    }

    /// OK or Apply in the Filters window: use the filters and save them
    /// with the other preferences.
    pub(super) fn apply_filters_intent(&mut self, intent: FiltersIntent, ctx: &egui::Context) {
        let FiltersIntent::Apply { settings, .. } = intent else {
            return;
        };
        // An open Preferences window must not put the old filters back on OK.
        self.preferences_window.draft.filters = settings.clone();
        let mut prefs = self.preferences.clone();
        prefs.filters = settings;
        self.apply_preferences(prefs, false, ctx);
        self.save_preferences();
    }

    /// Give each pane its enabled rules, and the queue what it leaves out
    /// of folders.
    pub(super) fn use_filters(&mut self) {
        let filters = &self.preferences.filters;
        self.local.set_name_filter(filters.for_side(Side::Local));
        self.remote.set_name_filter(filters.for_side(Side::Remote));
        self.transfer_exclusions.set_filters(filters);
    }
}
