//! The keyboard-driven console (ratatui + crossterm).

pub mod keymap;
pub mod settings_file;
pub mod theme;
