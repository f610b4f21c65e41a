//! The keyboard-driven console (ratatui + crossterm): sign-in, the order queue and products,
//! a help overlay and a command palette, all driven by the keymap and styled by the theme.

pub mod app;
pub mod attention;
pub mod complaints;
pub mod config;
pub mod count_plan;
pub mod cue;
mod floor;
pub mod keymap;
pub mod label_printer;
mod list_cursor;
pub mod order_change;
pub mod orders;
pub mod pack;
pub mod palette;
pub mod pick;
pub mod products;
pub mod remedy_form;
pub mod replenishment;
pub mod reply_editor;
pub mod run;
pub mod scan_input;
pub use crate::domain::settings_file;
pub mod settings_lookup;
pub mod signin;
pub mod stock;
pub mod stocktake;
mod text_input;
pub mod theme;
pub mod ui;
