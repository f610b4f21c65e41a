//! A multi-line text editor for replies to customers: typing, canned replies, soft wrapping
//! at word boundaries by display width (CJK characters are two columns), movement by
//! visual row, and scrolling that keeps the cursor in view. Keyboard only.

use crossterm::event::{KeyCode, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use unicode_width::UnicodeWidthChar;

use super::keymap::Key;

/// Longest reply, counting line breaks; why: a paste (or a stuck key over a slow SSH link)
/// must not grow the text, and with it every re-wrap on each key, without bound. Replies to
/// customers are far shorter than this.
const MAX_CHARS: usize = 20_000;

/// What a tab becomes: the text is drawn cell by cell, where a tab has no width.
const TAB: &str = "    ";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyEditor {
    /// Logical lines, without their line breaks; never empty.
    lines: Vec<String>,
    /// Cursor line (index into `lines`).
    row: usize,
    /// Cursor position in the line, in characters.
    col: usize,
    /// The display column Up/Down/PageUp/PageDown aim for, kept across a run of them so the
    /// cursor comes back to its column after passing a shorter row.
    goal_x: Option<usize>,
    /// First visual row drawn.
    scroll: usize,
    /// Size of the last render; 0 before the first one (then lines are not wrapped).
    width: u16,
    height: u16,
}

/// One visual (wrapped) row: characters `start..end` of logical line `line`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct VisualRow {
    line: usize,
    start: usize,
    end: usize,
    /// The row ends its logical line (the cursor may stand at `end`).
    last: bool,
}

impl Default for ReplyEditor {
    fn default() -> Self {
        Self::new()
    }
}

impl ReplyEditor {
    pub fn new() -> Self {
        ReplyEditor {
            lines: vec![String::new()],
            row: 0,
            col: 0,
            goal_x: None,
            scroll: 0,
            width: 0,
            height: 0,
        }
    }

    /// The lines joined with `'\n'`.
    pub fn text(&self) -> String {
        self.lines.join("\n")
    }

    /// Nothing but whitespace (or nothing at all).
    pub fn is_blank(&self) -> bool {
        self.lines.iter().all(|l| l.trim().is_empty())
    }

    pub fn clear(&mut self) {
        self.lines = vec![String::new()];
        self.row = 0;
        self.col = 0;
        self.goal_x = None;
        self.scroll = 0;
    }

    /// Logical lines (a line broken only by wrapping counts once).
    pub fn line_count(&self) -> usize {
        self.lines.len()
    }

    /// Characters in the text, counting each line break as one.
    fn char_count(&self) -> usize {
        self.lines.iter().map(|l| l.chars().count()).sum::<usize>() + self.lines.len() - 1
    }

    fn line(&self) -> &str {
        &self.lines[self.row]
    }

    fn line_len(&self) -> usize {
        self.line().chars().count()
    }

    /// Byte offset of character `chars` in the cursor's line (its length past the end).
    fn byte_at(&self, chars: usize) -> usize {
        byte_at(self.line(), chars)
    }

    /// Inserts text at the cursor (a canned reply) and leaves the cursor after it: `'\n'`
    /// starts a new line, a tab becomes four spaces, `'\r'` and other control characters
    /// are dropped. What would go past the size cap is dropped.
    pub fn insert(&mut self, text: &str) {
        self.goal_x = None;
        let mut budget = MAX_CHARS.saturating_sub(self.char_count());
        let at = self.byte_at(self.col);
        let tail = self.lines[self.row].split_off(at);
        // Lines after the cursor's are collected apart and spliced in once, so a paste of
        // many lines into the middle of a long reply does not shift the rest for each one.
        let mut added: Vec<String> = Vec::new();
        for c in text.chars() {
            if budget == 0 {
                break;
            }
            if c == '\n' {
                added.push(String::new());
                budget -= 1;
                continue;
            }
            let current = match added.last_mut() {
                Some(line) => line,
                None => &mut self.lines[self.row],
            };
            if c == '\t' {
                let n = TAB.len().min(budget);
                current.push_str(&TAB[..n]);
                budget -= n;
            } else if !c.is_control() {
                current.push(c);
                budget -= 1;
            }
        }
        let last = match added.last_mut() {
            Some(line) => line,
            None => &mut self.lines[self.row],
        };
        let col = last.chars().count();
        last.push_str(&tail);
        let new_row = self.row + added.len();
        let after = self.row + 1;
        self.lines.splice(after..after, added);
        self.row = new_row;
        self.col = col;
    }

    /// Applies an editing key. Returns `false` when the key is not an edit, so the pane's
    /// bindings can have it (Tab, Esc, function keys, other ctrl/alt keys).
    pub fn edit(&mut self, key: Key) -> bool {
        let ctrl = key.mods.contains(KeyModifiers::CONTROL);
        let alt = key.mods.contains(KeyModifiers::ALT);
        let vertical = matches!(
            key.code,
            KeyCode::Up | KeyCode::Down | KeyCode::PageUp | KeyCode::PageDown
        );
        match key.code {
            KeyCode::Char('u') if ctrl && !alt => {
                self.lines[self.row].clear();
                self.col = 0;
            }
            KeyCode::Char('w') if ctrl && !alt => self.delete_word_before(),
            KeyCode::Char(c) if key.is_text() && !c.is_control() => {
                if self.char_count() < MAX_CHARS {
                    let at = self.byte_at(self.col);
                    self.lines[self.row].insert(at, c);
                    self.col += 1;
                }
            }
            KeyCode::Enter if !ctrl && !alt => self.insert("\n"),
            KeyCode::Backspace => self.backspace(),
            KeyCode::Delete => {
                if self.col < self.line_len() {
                    let at = self.byte_at(self.col);
                    self.lines[self.row].remove(at);
                } else if self.row + 1 < self.lines.len() {
                    let next = self.lines.remove(self.row + 1);
                    self.lines[self.row].push_str(&next);
                }
            }
            KeyCode::Left => {
                if self.col > 0 {
                    self.col -= 1;
                } else if self.row > 0 {
                    self.row -= 1;
                    self.col = self.line_len();
                }
            }
            KeyCode::Right => {
                if self.col < self.line_len() {
                    self.col += 1;
                } else if self.row + 1 < self.lines.len() {
                    self.row += 1;
                    self.col = 0;
                }
            }
            KeyCode::Home if ctrl => {
                self.row = 0;
                self.col = 0;
            }
            KeyCode::End if ctrl => {
                self.row = self.lines.len() - 1;
                self.col = self.line_len();
            }
            KeyCode::Home => {
                let rows = self.layout();
                let here = rows[self.cursor_row(&rows)];
                self.col = here.start;
            }
            KeyCode::End => {
                let rows = self.layout();
                let here = rows[self.cursor_row(&rows)];
                self.col = row_end(here);
            }
            KeyCode::Up => self.move_rows(-1),
            KeyCode::Down => self.move_rows(1),
            KeyCode::PageUp => {
                let page = self.page();
                self.scroll = self.scroll.saturating_sub(page);
                self.move_rows(-(page as isize));
            }
            KeyCode::PageDown => {
                let page = self.page();
                // `render` clamps this to the text.
                self.scroll = self.scroll.saturating_add(page);
                self.move_rows(page as isize);
            }
            _ => return false,
        }
        if !vertical {
            self.goal_x = None;
        }
        true
    }

    fn backspace(&mut self) {
        if self.col > 0 {
            let at = self.byte_at(self.col - 1);
            self.lines[self.row].remove(at);
            self.col -= 1;
        } else if self.row > 0 {
            let line = self.lines.remove(self.row);
            self.row -= 1;
            self.col = self.line_len();
            self.lines[self.row].push_str(&line);
        }
    }

    /// Ctrl-W: the whitespace before the cursor and the word before that; at the start of
    /// a line, the line break (like Backspace).
    fn delete_word_before(&mut self) {
        if self.col == 0 {
            self.backspace();
            return;
        }
        let chars: Vec<char> = self.line().chars().collect();
        let mut from = self.col.min(chars.len());
        while from > 0 && chars[from - 1].is_whitespace() {
            from -= 1;
        }
        while from > 0 && !chars[from - 1].is_whitespace() {
            from -= 1;
        }
        let (a, b) = (self.byte_at(from), self.byte_at(self.col));
        self.lines[self.row].replace_range(a..b, "");
        self.col = from;
    }

    /// Rows PageUp/PageDown move by: the last rendered height.
    fn page(&self) -> usize {
        usize::from(self.height).max(1)
    }

    /// Moves the cursor `by` visual rows (negative: up), aiming for the goal column; stops
    /// at the first and last rows.
    fn move_rows(&mut self, by: isize) {
        let rows = self.layout();
        let here = self.cursor_row(&rows);
        let goal = match self.goal_x {
            Some(x) => x,
            None => {
                let cur = rows[here];
                width_of(self.line(), cur.start, self.col)
            }
        };
        self.goal_x = Some(goal);
        let target = here.saturating_add_signed(by).min(rows.len() - 1);
        if target == here {
            return;
        }
        let to = rows[target];
        let chars: Vec<char> = self.lines[to.line].chars().collect();
        let limit = row_end(to);
        let mut col = to.start;
        let mut x = 0;
        while col < limit {
            let next = x + char_width(chars[col]);
            if next > goal {
                break;
            }
            x = next;
            col += 1;
        }
        self.row = to.line;
        self.col = col;
    }

    /// All visual rows at the last rendered width (unwrapped before the first render).
    fn layout(&self) -> Vec<VisualRow> {
        let width = match self.width {
            0 => usize::MAX,
            w => usize::from(w),
        };
        let mut rows = Vec::with_capacity(self.lines.len());
        for (line, text) in self.lines.iter().enumerate() {
            let chars: Vec<char> = text.chars().collect();
            let wrapped = wrap(&chars, width);
            let n = wrapped.len();
            rows.extend(
                wrapped
                    .into_iter()
                    .enumerate()
                    .map(|(i, (start, end))| VisualRow {
                        line,
                        start,
                        end,
                        last: i + 1 == n,
                    }),
            );
        }
        rows
    }

    /// Index of the visual row holding the cursor: the last row of its line starting at or
    /// before it (at a wrap point the cursor is at the start of the next row).
    fn cursor_row(&self, rows: &[VisualRow]) -> usize {
        let mut found = 0;
        for (i, r) in rows.iter().enumerate() {
            if r.line == self.row && r.start <= self.col {
                found = i;
            } else if r.line > self.row {
                break;
            }
        }
        found
    }

    /// Draws the text soft-wrapped to `area.width` (at spaces, and between CJK characters;
    /// a word wider than the area is broken), scrolled so the cursor's row is visible, and
    /// returns the cursor's screen position for `Frame::set_cursor_position` (`None` when
    /// the area is empty).
    pub fn render(&mut self, area: Rect, buf: &mut Buffer, style: Style) -> Option<(u16, u16)> {
        let area = area.intersection(buf.area);
        if area.width == 0 || area.height == 0 {
            return None;
        }
        self.width = area.width;
        self.height = area.height;
        let rows = self.layout();
        let here = self.cursor_row(&rows);
        let height = usize::from(area.height);
        self.scroll = self.scroll.min(rows.len().saturating_sub(height));
        if here < self.scroll {
            self.scroll = here;
        } else if here >= self.scroll + height {
            self.scroll = here + 1 - height;
        }

        for y in area.top()..area.bottom() {
            for x in area.left()..area.right() {
                if let Some(cell) = buf.cell_mut((x, y)) {
                    cell.set_symbol(" ").set_style(style);
                }
            }
        }
        for (y, r) in (area.top()..area.bottom()).zip(rows.iter().skip(self.scroll)) {
            let text = &self.lines[r.line];
            let part = &text[byte_at(text, r.start)..byte_at(text, r.end)];
            buf.set_stringn(area.x, y, part, usize::from(area.width), style);
        }

        let cur = rows[here];
        let x = width_of(self.line(), cur.start, self.col);
        // Spaces at a wrap point hang past the edge; the cursor on them stays at the edge.
        let x = x.min(usize::from(area.width) - 1);
        let x = u16::try_from(x).unwrap_or(0);
        let y = u16::try_from(here - self.scroll).unwrap_or(0);
        Some((area.x + x, area.y + y))
    }
}

/// Where End puts the cursor in a row: the end of its line, or else on the row's last
/// character (its end is the start of the next row).
fn row_end(r: VisualRow) -> usize {
    if r.last || r.end == r.start {
        r.end
    } else {
        r.end - 1
    }
}

fn byte_at(text: &str, chars: usize) -> usize {
    text.char_indices()
        .nth(chars)
        .map(|(i, _)| i)
        .unwrap_or(text.len())
}

fn char_width(c: char) -> usize {
    c.width().unwrap_or(0)
}

/// Display width of characters `from..to` of `text`.
fn width_of(text: &str, from: usize, to: usize) -> usize {
    text.chars()
        .skip(from)
        .take(to.saturating_sub(from))
        .map(char_width)
        .sum()
}

/// Splits a line into rows of at most `width` columns, as character ranges; always at
/// least one row. A row breaks before a word that does not fit (spaces stay at the end of
/// the row before, past the edge if need be), or between two characters when one of them
/// is wide (CJK has no spaces); a word wider than a row is broken where the row is full.
fn wrap(chars: &[char], width: usize) -> Vec<(usize, usize)> {
    let mut rows = Vec::new();
    let mut start = 0;
    // Width of `start..i`.
    let mut x = 0;
    // The last place a row may break, if after `start`.
    let mut brk: Option<usize> = None;
    for (i, &c) in chars.iter().enumerate() {
        let w = char_width(c);
        if c == ' ' {
            x += w;
            continue;
        }
        if i > start && w > 0 {
            let prev = chars[i - 1];
            if prev == ' ' || w > 1 || char_width(prev) > 1 {
                brk = Some(i);
            }
        }
        if x + w > width && i > start {
            let b = match brk {
                Some(b) if b > start => b,
                _ => i,
            };
            rows.push((start, b));
            x = chars[b..i].iter().copied().map(char_width).sum();
            start = b;
            brk = None;
            if x + w > width && i > start {
                rows.push((start, i));
                start = i;
                x = 0;
            }
        }
        x += w;
    }
    rows.push((start, chars.len()));
    rows
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn key(s: &str) -> Key {
        Key::parse(s).unwrap()
    }

    fn typed(text: &str) -> ReplyEditor {
        let mut e = ReplyEditor::new();
        for c in text.chars() {
            let k = match c {
                '\n' => key("enter"),
                ' ' => key("space"),
                c => key(&c.to_string()),
            };
            assert!(e.edit(k));
        }
        e
    }

    /// Renders into a fresh buffer of `width`×`height` and returns its rows (the cell after
    /// a wide character skipped, trailing spaces trimmed) and the cursor position.
    fn draw(e: &mut ReplyEditor, width: u16, height: u16) -> (Vec<String>, Option<(u16, u16)>) {
        let area = Rect::new(0, 0, width, height);
        let mut buf = Buffer::empty(area);
        let cursor = e.render(area, &mut buf, Style::default());
        let mut rows = Vec::new();
        for y in 0..height {
            let mut row = String::new();
            let mut x = 0;
            while x < width {
                let sym = buf[(x, y)].symbol();
                row.push_str(sym);
                x += sym.chars().map(char_width).sum::<usize>().max(1) as u16;
            }
            rows.push(row.trim_end().to_string());
        }
        (rows, cursor)
    }

    #[test]
    fn typing_and_enter_make_lines() {
        let mut e = typed("Hi Ana,\nthanks!");
        assert_eq!(e.text(), "Hi Ana,\nthanks!");
        assert_eq!(e.line_count(), 2);
        e.edit(key("left"));
        e.edit(key("enter"));
        assert_eq!(e.text(), "Hi Ana,\nthanks\n!");
        assert_eq!((e.row, e.col), (2, 0));
        assert!(!e.is_blank());
        assert!(!e.edit(key("tab")));
        assert!(!e.edit(key("ctrl-x")));
        assert!(!e.edit(key("esc")));
    }

    #[test]
    fn backspace_at_line_start_joins_and_delete_at_end_joins() {
        let mut e = typed("abc\ndef");
        e.edit(key("home"));
        e.edit(key("backspace"));
        assert_eq!(e.text(), "abcdef");
        assert_eq!((e.row, e.col), (0, 3));
        e.edit(key("enter"));
        e.edit(key("left"));
        e.edit(key("delete"));
        assert_eq!(e.text(), "abcdef");
        assert_eq!(e.line_count(), 1);
    }

    #[test]
    fn left_and_right_wrap_across_lines() {
        let mut e = typed("ab\ncd");
        e.edit(key("ctrl-home"));
        e.edit(key("end"));
        e.edit(key("right"));
        assert_eq!((e.row, e.col), (1, 0));
        e.edit(key("left"));
        assert_eq!((e.row, e.col), (0, 2));
    }

    #[test]
    fn insert_of_a_canned_reply_leaves_the_cursor_after_it() {
        let mut e = typed("Dear X");
        e.edit(key("left"));
        e.insert("Ms Lin,\r\n\tsorry\u{7}\nBest, ");
        assert_eq!(e.text(), "Dear Ms Lin,\n    sorry\nBest, X");
        assert_eq!((e.row, e.col), (2, 6));
        e.edit(key("!"));
        assert_eq!(e.text(), "Dear Ms Lin,\n    sorry\nBest, !X");
    }

    #[test]
    fn ctrl_u_clears_the_line_and_ctrl_w_deletes_a_word() {
        let mut e = typed("one\ntwo three  ");
        e.edit(key("ctrl-w"));
        assert_eq!(e.text(), "one\ntwo ");
        e.edit(key("ctrl-w"));
        e.edit(key("ctrl-w"));
        assert_eq!(e.text(), "one");
        e.edit(key("ctrl-u"));
        assert_eq!(e.text(), "");
        assert!(e.is_blank());
    }

    #[test]
    fn wraps_an_english_sentence_at_word_boundaries() {
        let mut e = ReplyEditor::new();
        e.insert("Thank you for your patience, the replacement is on its way.");
        let (rows, cursor) = draw(&mut e, 20, 5);
        assert_eq!(
            rows,
            [
                "Thank you for your",
                "patience, the",
                "replacement is on",
                "its way.",
                "",
            ]
        );
        assert_eq!(cursor, Some((8, 3)));
    }

    #[test]
    fn breaks_a_word_longer_than_the_row() {
        let mut e = ReplyEditor::new();
        e.insert("see https://example.com/track/123 ok");
        let (rows, _) = draw(&mut e, 10, 5);
        assert_eq!(rows, ["see", "https://ex", "ample.com/", "track/123", "ok"]);
    }

    #[test]
    fn wraps_chinese_text_at_two_columns_a_character() {
        let mut e = ReplyEditor::new();
        e.insert("您的包裹已经发货了预计周四送达");
        let (rows, cursor) = draw(&mut e, 10, 4);
        assert_eq!(rows, ["您的包裹已", "经发货了预", "计周四送达", ""]);
        // The last row is full: the cursor stays at its edge.
        assert_eq!(cursor, Some((9, 2)));
        // An odd width leaves a column free rather than splitting a character.
        let (rows, _) = draw(&mut e, 7, 5);
        assert_eq!(rows, ["您的包", "裹已经", "发货了", "预计周", "四送达"]);
        // After a Latin word the row fills up with CJK rather than breaking at the space.
        let mut e = ReplyEditor::new();
        e.insert("Hi 您的包裹已发货");
        let (rows, _) = draw(&mut e, 10, 3);
        assert_eq!(rows, ["Hi 您的包", "裹已发货", ""]);
    }

    #[test]
    fn up_and_down_move_by_visual_row_keeping_the_column() {
        let mut e = ReplyEditor::new();
        e.insert("Your parcel left our warehouse on Monday\nok\nand should arrive by Thursday.");
        draw(&mut e, 20, 10);
        // Rows: "Your parcel left our " / "warehouse on Monday" / "ok" /
        //       "and should arrive by " / "Thursday."
        e.edit(key("ctrl-home"));
        e.edit(key("right"));
        e.edit(key("right"));
        e.edit(key("right"));
        e.edit(key("right"));
        e.edit(key("right"));
        e.edit(key("right"));
        assert_eq!((e.row, e.col), (0, 6)); // "Your p|arcel"
        e.edit(key("down"));
        assert_eq!((e.row, e.col), (0, 21 + 6)); // "wareho|use", same logical line
        e.edit(key("down"));
        assert_eq!((e.row, e.col), (1, 2)); // end of "ok"
        e.edit(key("down"));
        assert_eq!((e.row, e.col), (2, 6)); // the column comes back: "and sh|ould"
        e.edit(key("down"));
        assert_eq!((e.row, e.col), (2, 21 + 6)); // "Thursd|ay."
        e.edit(key("down"));
        assert_eq!((e.row, e.col), (2, 27), "no row below");
        e.edit(key("up"));
        e.edit(key("up"));
        assert_eq!((e.row, e.col), (1, 2));
        e.edit(key("up"));
        assert_eq!((e.row, e.col), (0, 27));
        // Home and End work on the visual row.
        e.edit(key("end"));
        assert_eq!(e.col, 40);
        e.edit(key("up"));
        e.edit(key("end"));
        assert_eq!(e.col, 20, "on the space ending the first row");
        e.edit(key("home"));
        assert_eq!(e.col, 0);
        e.edit(key("ctrl-end"));
        assert_eq!((e.row, e.col), (2, 30));
    }

    #[test]
    fn scrolls_to_keep_the_cursor_visible() {
        let mut e = ReplyEditor::new();
        e.insert("l0\nl1\nl2\nl3\nl4\nl5\nl6\nl7\nl8\nl9");
        let (rows, cursor) = draw(&mut e, 10, 3);
        assert_eq!(rows, ["l7", "l8", "l9"]);
        assert_eq!(cursor, Some((2, 2)));
        e.edit(key("ctrl-home"));
        let (rows, cursor) = draw(&mut e, 10, 3);
        assert_eq!(rows, ["l0", "l1", "l2"]);
        assert_eq!(cursor, Some((0, 0)));
        e.edit(key("pagedown"));
        let (rows, cursor) = draw(&mut e, 10, 3);
        assert_eq!(rows, ["l3", "l4", "l5"]);
        assert_eq!(cursor, Some((0, 0)));
        assert_eq!(e.row, 3);
        e.edit(key("pageup"));
        let (rows, _) = draw(&mut e, 10, 3);
        assert_eq!(rows, ["l0", "l1", "l2"]);
        assert_eq!(e.row, 0);
        // Scrolling counts wrapped rows, not lines.
        e.clear();
        e.insert("aaa bbb ccc ddd eee");
        let (rows, cursor) = draw(&mut e, 4, 2);
        assert_eq!(rows, ["ddd", "eee"]);
        assert_eq!(cursor, Some((3, 1)));
    }

    #[test]
    fn size_is_capped() {
        let mut e = ReplyEditor::new();
        e.insert(&"x".repeat(MAX_CHARS + 500));
        assert_eq!(e.text().chars().count(), MAX_CHARS);
        assert!(e.edit(key("y")));
        assert!(e.edit(key("enter")));
        assert_eq!(e.text().chars().count(), MAX_CHARS);
        assert_eq!(e.line_count(), 1);
        e.clear();
        e.insert(&"\n".repeat(MAX_CHARS * 2));
        assert_eq!(e.text().chars().count(), MAX_CHARS);
        assert_eq!(e.line_count(), MAX_CHARS + 1);
        e.clear();
        e.insert(&"\t".repeat(MAX_CHARS));
        assert_eq!(e.text().chars().count(), MAX_CHARS);
    }

    const KEYS: [&str; 18] = [
        "a",
        "space",
        "林",
        "enter",
        "backspace",
        "delete",
        "left",
        "right",
        "up",
        "down",
        "home",
        "end",
        "ctrl-home",
        "ctrl-end",
        "pageup",
        "pagedown",
        "ctrl-u",
        "ctrl-w",
    ];

    proptest! {
        #[test]
        fn any_edits_keep_the_cursor_in_the_text_and_the_area(
            ops in proptest::collection::vec((0usize..KEYS.len() + 1, "[ a-c\n\t\r林é]{0,12}"), 0..60),
            width in 0u16..12,
            height in 0u16..5,
        ) {
            let mut e = ReplyEditor::new();
            for (k, paste) in ops {
                match KEYS.get(k) {
                    Some(spec) => { e.edit(key(spec)); }
                    None => e.insert(&paste),
                }
                prop_assert!(e.row < e.lines.len() && e.col <= e.line_len());
                prop_assert!(!e.text().contains(['\r', '\t']));
                let area = Rect::new(1, 1, width, height);
                let mut buf = Buffer::empty(Rect::new(0, 0, 14, 7));
                match e.render(area, &mut buf, Style::default()) {
                    Some((x, y)) => prop_assert!(area.contains((x, y).into())),
                    None => prop_assert!(width == 0 || height == 0),
                }
                for text in &e.lines {
                    let chars: Vec<char> = text.chars().collect();
                    let rows = wrap(&chars, usize::from(width));
                    prop_assert_eq!(rows[0].0, 0);
                    prop_assert_eq!(rows[rows.len() - 1].1, chars.len());
                    prop_assert!(rows.windows(2).all(|w| w[0].1 == w[1].0 && w[0].0 < w[0].1));
                }
            }
        }
    }

    #[test]
    fn zero_size_and_narrow_areas_do_not_panic() {
        let mut e = ReplyEditor::new();
        e.insert("您好 hello\n世界");
        let mut buf = Buffer::empty(Rect::new(0, 0, 10, 4));
        for area in [
            Rect::new(0, 0, 0, 0),
            Rect::new(0, 0, 0, 3),
            Rect::new(0, 0, 5, 0),
            Rect::new(20, 20, 5, 5),
        ] {
            assert_eq!(e.render(area, &mut buf, Style::default()), None);
        }
        // One column: a wide character cannot be drawn but the cursor stays in the area.
        let (_, cursor) = draw(&mut e, 1, 1);
        assert_eq!(cursor, Some((0, 0)));
        for k in ["up", "home", "end", "pageup", "down", "pagedown"] {
            e.edit(key(k));
            draw(&mut e, 1, 1);
        }
        // Part of the area outside the buffer is clipped.
        let cursor = e.render(Rect::new(8, 2, 10, 10), &mut buf, Style::default());
        assert!(cursor.is_some_and(|(x, y)| x < 10 && y < 4));
    }
}
