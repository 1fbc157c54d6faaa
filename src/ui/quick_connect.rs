//! STUB (being written): the quick-connect bar at the top of the window.

use eframe::egui;

use super::connect_dialog::{ConnectForm, ConnectRequest};

/// The bar's fields (a subset of the connection form).
#[derive(Default)]
pub struct QuickConnect {
    pub form: ConnectForm,
}

impl QuickConnect {
    /// Draw the bar; returns a request on Connect or Enter in any field.
    pub fn ui(&mut self, ui: &mut egui::Ui) -> Option<ConnectRequest> {
        if ui.button("Connect").clicked() {
            return self.form.validate().ok();
        }
        None
    }
}
