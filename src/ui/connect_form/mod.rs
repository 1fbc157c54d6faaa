//! The connection form: its model (fields as typed, validation, parsing; no
//! egui) and the one widget that draws it, for the connection dialog and the
//! Site Manager alike. A new connection field is added once here and shows
//! in both.

pub mod model;
pub mod widget;

pub use model::*;
