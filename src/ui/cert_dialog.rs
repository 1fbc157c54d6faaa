//! STUB (being written): asking the user about an unknown server certificate.

use eframe::egui;

use crate::ftp::{CertificateInfo, ConnectOptions};

/// A certificate waiting for the user's decision, with what to retry.
#[derive(Debug, Clone)]
pub struct CertPrompt {
    pub certificate: Box<CertificateInfo>,
    pub reason: String,
    pub options: Box<ConnectOptions>,
    pub initial_path: Option<Vec<u8>>,
}

/// What the user decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertDecision {
    TrustOnce,
    AlwaysTrust,
    Cancel,
}

/// Draw the prompt; returns the decision once made.
pub fn show(ctx: &egui::Context, prompt: &CertPrompt) -> Option<CertDecision> {
    let mut decision = None;
    egui::Window::new("Unknown certificate").show(ctx, |ui| {
        ui.label(&prompt.certificate.subject);
        if ui.button("Cancel").clicked() {
            decision = Some(CertDecision::Cancel);
        }
    });
    decision
}
