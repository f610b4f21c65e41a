//! The selected row of a long list and the window of rows on screen. Only visible rows are
//! ever drawn, so a list of a million rows costs the same per frame as one of fifty.

use std::cell::Cell;

use ratatui::widgets::Row;

use super::keymap::Action;
use super::theme::{Theme, ThemeRole};

#[derive(Debug, Default, Clone)]
pub struct ListCursor {
    pub selected: usize,
    /// First visible row; adjusted while drawing, when the height is known.
    offset: Cell<usize>,
    /// Rows visible in the last frame, for paging.
    page: Cell<usize>,
}

impl ListCursor {
    /// Moves for a cursor action over `len` rows. Returns whether the action was a move.
    pub fn apply(&mut self, action: Action, len: usize) -> bool {
        let last = len.saturating_sub(1);
        let page = self.page.get().max(1);
        self.selected = match action {
            Action::CursorUp => self.selected.saturating_sub(1),
            Action::CursorDown => (self.selected + 1).min(last),
            Action::PageUp => self.selected.saturating_sub(page),
            Action::PageDown => (self.selected + page).min(last),
            Action::First => 0,
            Action::Last => last,
            _ => return false,
        };
        true
    }

    pub fn reset(&mut self) {
        self.selected = 0;
        self.offset.set(0);
    }

    pub fn clamp(&mut self, len: usize) {
        self.selected = self.selected.min(len.saturating_sub(1));
    }

    /// Row `index` of the list, marked when it is the selected one.
    pub fn highlight<'a>(&self, row: Row<'a>, index: usize, theme: &Theme) -> Row<'a> {
        if index == self.selected {
            row.style(theme.style(ThemeRole::Selection))
        } else {
            row
        }
    }

    /// The rows to draw in a viewport of `height` rows, keeping the selection in view.
    pub fn window(&self, len: usize, height: usize) -> std::ops::Range<usize> {
        self.page.set(height);
        if height == 0 || len == 0 {
            return 0..0;
        }
        let mut offset = self.offset.get().min(len.saturating_sub(1));
        if self.selected < offset {
            offset = self.selected;
        } else if self.selected >= offset + height {
            offset = self.selected + 1 - height;
        }
        self.offset.set(offset);
        offset..(offset + height).min(len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_follows_the_selection() {
        let mut c = ListCursor::default();
        assert_eq!(c.window(100, 10), 0..10);
        c.apply(Action::PageDown, 100);
        assert_eq!(c.selected, 10);
        assert_eq!(c.window(100, 10), 1..11);
        c.apply(Action::Last, 100);
        assert_eq!(c.window(100, 10), 90..100);
        c.apply(Action::CursorUp, 100);
        assert_eq!(c.window(100, 10), 90..100);
        c.apply(Action::First, 100);
        assert_eq!(c.window(100, 10), 0..10);
        assert!(!c.apply(Action::Open, 100));
        assert_eq!(c.window(0, 10), 0..0);
    }

    #[test]
    fn moves_stay_in_bounds() {
        let mut c = ListCursor::default();
        c.apply(Action::CursorDown, 0);
        assert_eq!(c.selected, 0);
        c.apply(Action::CursorUp, 5);
        assert_eq!(c.selected, 0);
        c.selected = 9;
        c.clamp(3);
        assert_eq!(c.selected, 2);
    }
}
