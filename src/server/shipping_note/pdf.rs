//! The shipping note as an A4 PDF: the order at a glance for the packer, a table the picker
//! ticks off line by line, and signature fields. The font (WenQuanYi Micro Hei) is built in
//! because addresses and item names are often Chinese; each PDF embeds only the glyphs it
//! uses.

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use skrifa::instance::{LocationRef, Size};
use skrifa::{FontRef, MetadataProvider};

use super::ShippingNote;

static FONT_DATA: &[u8] = include_bytes!("../../../fonts/wqy-microhei.ttc");

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 42.0;
const BODY: f32 = 10.0;
const LEADING: f32 = 13.0;
/// Columns of the line table: x of each column's left edge.
const COL_NO: f32 = MARGIN;
const COL_SKU: f32 = MARGIN + 22.0;
const COL_QTY_RIGHT: f32 = MARGIN + 138.0;
const COL_PICK: f32 = MARGIN + 150.0;
const COL_ITEM: f32 = MARGIN + 250.0;
const COL_TICK: f32 = PAGE_W - MARGIN - 12.0;
/// Room kept at the foot of each page for the page number, and on the last for signatures.
const FOOT: f32 = 40.0;
const SIGNATURES: f32 = 60.0;

#[derive(Debug, thiserror::Error)]
pub enum NotePdfError {
    #[error("the built-in font cannot be read")]
    Font,
    #[error("writing the PDF failed: {0}")]
    Write(String),
}

/// Lays the note out on as many A4 pages as its lines need.
pub fn render_pdf(note: &ShippingNote) -> Result<Vec<u8>, NotePdfError> {
    let pen = Pen::new()?;
    let pages = paginate(note, &pen);
    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(format!("Shipping note {}", note.number))
            .creator("backroom".into())
            .language("zh-Hant".into()),
    );
    let count = pages.len();
    for (i, rows) in pages.iter().enumerate() {
        let settings = PageSettings::from_wh(PAGE_W, PAGE_H)
            .ok_or_else(|| NotePdfError::Write("bad page size".into()))?;
        let mut page = document.start_page_with(settings);
        let mut surface = page.surface();
        let mut y = if i == 0 {
            draw_heading(&mut surface, &pen, note)
        } else {
            let y = MARGIN + 16.0;
            pen.text(
                &mut surface,
                MARGIN,
                y,
                BODY,
                Ink::Muted,
                &format!("發貨單 Shipping note {} (continued)", note.number),
            );
            y + 16.0
        };
        y = draw_table_header(&mut surface, &pen, y, note);
        for row in rows {
            y = draw_row(&mut surface, &pen, y, row);
        }
        if i + 1 == count {
            draw_totals_and_signatures(&mut surface, &pen, y, note);
        }
        let foot = format!("{} · page {} of {}", note.number, i + 1, count);
        let w = pen.width(&foot, 8.0);
        pen.text(
            &mut surface,
            (PAGE_W - w) / 2.0,
            PAGE_H - MARGIN / 2.0,
            8.0,
            Ink::Muted,
            &foot,
        );
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|e| NotePdfError::Write(format!("{e:?}")))
}

/// Where the item column starts: where the bins would be on a note without them.
fn item_x(note: &ShippingNote) -> f32 {
    if note.pick_column { COL_ITEM } else { COL_PICK }
}

/// One table line as laid out: its text broken into lines per column.
struct Row {
    no: String,
    sku: Vec<String>,
    qty: String,
    picks: Vec<String>,
    item: Vec<String>,
    item_x: f32,
    backordered: Option<String>,
}

impl Row {
    fn height(&self) -> f32 {
        let lines = self
            .sku
            .len()
            .max(self.picks.len())
            .max(self.item.len() + usize::from(self.backordered.is_some()))
            .max(1);
        lines as f32 * LEADING + 6.0
    }
}

fn paginate(note: &ShippingNote, pen: &Pen) -> Vec<Vec<Row>> {
    let rows: Vec<Row> = note
        .lines
        .iter()
        .map(|l| Row {
            no: l.line_no.to_string(),
            sku: pen.wrap(&l.sku, BODY, COL_QTY_RIGHT - COL_SKU - 28.0),
            qty: l.qty.to_string(),
            picks: if !note.pick_column {
                Vec::new()
            } else if l.pick_from.is_empty() {
                vec!["-".into()]
            } else {
                l.pick_from.clone()
            },
            item: pen.wrap(&l.name, BODY, COL_TICK - item_x(note) - 8.0),
            item_x: item_x(note),
            backordered: (l.backordered > 0)
                .then(|| format!("{} back-ordered: ships later", l.backordered)),
        })
        .collect();
    let first_top = heading_height(note, pen) + table_header_height();
    let next_top = MARGIN + 32.0 + table_header_height();
    let mut pages = vec![Vec::new()];
    let mut y = first_top;
    for row in rows {
        let h = row.height();
        let page_full = y + h > PAGE_H - MARGIN - FOOT;
        if page_full && pages.last().is_some_and(|p| !p.is_empty()) {
            pages.push(Vec::new());
            y = next_top;
        }
        y += h;
        if let Some(page) = pages.last_mut() {
            page.push(row);
        }
    }
    // The signatures need room below the last line.
    if y + SIGNATURES > PAGE_H - MARGIN - FOOT {
        pages.push(Vec::new());
    }
    pages
}

/// Where the address column starts, and how wide it is.
const ADDRESS_X: f32 = PAGE_W / 2.0 + 10.0;
const ADDRESS_W: f32 = PAGE_W - MARGIN - ADDRESS_X;

/// The address as printed: the name larger, every line wrapped to the column.
fn address_lines(note: &ShippingNote, pen: &Pen) -> Vec<(f32, String)> {
    note.ship_to
        .iter()
        .enumerate()
        .flat_map(|(i, line)| {
            let size = if i == 0 { 14.0 } else { 11.0 };
            pen.wrap(line, size, ADDRESS_W)
                .into_iter()
                .map(move |part| (size, part))
        })
        .collect()
}

fn heading_height(note: &ShippingNote, pen: &Pen) -> f32 {
    let facts = 6.0 * (LEADING + 2.0);
    let address = 18.0 + address_lines(note, pen).len() as f32 * (LEADING + 1.0);
    MARGIN + 40.0 + facts.max(address) + 12.0
}

fn table_header_height() -> f32 {
    LEADING + 10.0
}

/// Title, order number, the facts on the left and the address on the right. Returns the y
/// below it.
fn draw_heading(surface: &mut Surface, pen: &Pen, note: &ShippingNote) -> f32 {
    let top = MARGIN + 20.0;
    pen.text(
        surface,
        MARGIN,
        top,
        20.0,
        Ink::Text,
        "發貨單  Shipping note",
    );
    let w = pen.width(&note.number, 20.0);
    pen.text(
        surface,
        PAGE_W - MARGIN - w,
        top,
        20.0,
        Ink::Text,
        &note.number,
    );
    rule(surface, MARGIN, top + 10.0, PAGE_W - MARGIN, 1.0);

    let mut y = top + 32.0;
    let facts = [
        ("Placed", note.placed.clone()),
        ("Ship by", note.ship_by.clone()),
        ("Carrier", note.carrier.clone()),
        ("Priority", note.priority.clone()),
        ("Channel", note.channel.clone()),
        (
            "Tracking",
            note.tracking_no.clone().unwrap_or_else(|| "-".into()),
        ),
    ];
    for (label, value) in facts {
        pen.text(surface, MARGIN, y, 9.0, Ink::Muted, label);
        pen.text(surface, MARGIN + 56.0, y, BODY, Ink::Text, &value);
        y += LEADING + 2.0;
    }

    let mut ay = top + 32.0;
    pen.text(surface, ADDRESS_X, ay, 9.0, Ink::Muted, "Ship to 收件人");
    ay += 18.0;
    for (size, part) in address_lines(note, pen) {
        pen.text(surface, ADDRESS_X, ay, size, Ink::Text, &part);
        ay += LEADING + 1.0;
    }
    heading_height(note, pen)
}

fn draw_table_header(surface: &mut Surface, pen: &Pen, y: f32, note: &ShippingNote) -> f32 {
    let h = table_header_height();
    fill_rect(
        surface,
        MARGIN,
        y,
        PAGE_W - 2.0 * MARGIN,
        h - 4.0,
        Ink::Shade,
    );
    let base = y + LEADING;
    pen.text(surface, COL_NO, base, 9.0, Ink::Text, "#");
    pen.text(surface, COL_SKU, base, 9.0, Ink::Text, "SKU");
    let w = pen.width("Qty", 9.0);
    pen.text(surface, COL_QTY_RIGHT - w, base, 9.0, Ink::Text, "Qty");
    if note.pick_column {
        pen.text(surface, COL_PICK, base, 9.0, Ink::Text, "Pick from 儲位");
    }
    pen.text(surface, item_x(note), base, 9.0, Ink::Text, "Item 品名");
    pen.text(surface, COL_TICK - 4.0, base, 9.0, Ink::Text, "✓");
    y + h
}

fn draw_row(surface: &mut Surface, pen: &Pen, y: f32, row: &Row) -> f32 {
    let base = y + LEADING;
    pen.text(surface, COL_NO, base, BODY, Ink::Text, &row.no);
    pen.column(surface, COL_SKU, base, &row.sku);
    let w = pen.width(&row.qty, BODY);
    pen.text(surface, COL_QTY_RIGHT - w, base, BODY, Ink::Text, &row.qty);
    pen.column(surface, COL_PICK, base, &row.picks);
    pen.column(surface, row.item_x, base, &row.item);
    if let Some(note) = &row.backordered {
        let at = base + row.item.len() as f32 * LEADING;
        pen.text(surface, row.item_x, at, 9.0, Ink::Warning, note);
    }
    // A box to tick when the line is picked.
    stroke_rect(surface, COL_TICK, y + 4.0, 10.0, 10.0);
    let bottom = y + row.height();
    rule(surface, MARGIN, bottom - 2.0, PAGE_W - MARGIN, 0.3);
    bottom
}

fn draw_totals_and_signatures(surface: &mut Surface, pen: &Pen, y: f32, note: &ShippingNote) {
    let y = y + 18.0;
    pen.text(
        surface,
        MARGIN,
        y,
        BODY,
        Ink::Text,
        &format!("Items 件數: {}", note.items),
    );
    let sign_y = y + 40.0;
    let slot = (PAGE_W - 2.0 * MARGIN) / 3.0;
    for (i, label) in ["Picked by 揀貨", "Packed by 包裝", "Checked by 覆核"]
        .iter()
        .enumerate()
    {
        let x = MARGIN + i as f32 * slot;
        rule(surface, x, sign_y, x + slot - 16.0, 0.5);
        pen.text(surface, x, sign_y + 11.0, 8.0, Ink::Muted, label);
    }
}

#[derive(Clone, Copy)]
enum Ink {
    Text,
    Muted,
    Warning,
    Shade,
}

impl Ink {
    fn color(self) -> rgb::Color {
        match self {
            Ink::Text => rgb::Color::new(0, 0, 0),
            Ink::Muted => rgb::Color::new(90, 90, 90),
            Ink::Warning => rgb::Color::new(170, 40, 0),
            Ink::Shade => rgb::Color::new(232, 232, 232),
        }
    }
}

fn fill_rect(surface: &mut Surface, x: f32, y: f32, w: f32, h: f32, ink: Ink) {
    let Some(rect) = Rect::from_xywh(x, y, w, h) else {
        return;
    };
    let mut path = PathBuilder::new();
    path.push_rect(rect);
    if let Some(path) = path.finish() {
        surface.set_fill(Some(Fill {
            paint: ink.color().into(),
            ..Fill::default()
        }));
        surface.set_stroke(None);
        surface.draw_path(&path);
    }
}

fn stroke_rect(surface: &mut Surface, x: f32, y: f32, w: f32, h: f32) {
    let Some(rect) = Rect::from_xywh(x, y, w, h) else {
        return;
    };
    let mut path = PathBuilder::new();
    path.push_rect(rect);
    if let Some(path) = path.finish() {
        surface.set_fill(None);
        surface.set_stroke(Some(Stroke {
            width: 0.8,
            ..Stroke::default()
        }));
        surface.draw_path(&path);
        surface.set_stroke(None);
    }
}

fn rule(surface: &mut Surface, x1: f32, y: f32, x2: f32, width: f32) {
    let mut path = PathBuilder::new();
    path.move_to(x1, y);
    path.line_to(x2, y);
    if let Some(path) = path.finish() {
        surface.set_fill(None);
        surface.set_stroke(Some(Stroke {
            width,
            ..Stroke::default()
        }));
        surface.draw_path(&path);
        surface.set_stroke(None);
    }
}

/// Writes and measures text in the built-in font.
struct Pen {
    font: Font,
    metrics: FontRef<'static>,
}

impl Pen {
    fn new() -> Result<Pen, NotePdfError> {
        let font = Font::new(FONT_DATA.into(), 0).ok_or(NotePdfError::Font)?;
        let metrics = FontRef::from_index(FONT_DATA, 0).map_err(|_| NotePdfError::Font)?;
        Ok(Pen { font, metrics })
    }

    fn text(&self, surface: &mut Surface, x: f32, y: f32, size: f32, ink: Ink, text: &str) {
        surface.set_fill(Some(Fill {
            paint: ink.color().into(),
            ..Fill::default()
        }));
        surface.draw_text(
            Point::from_xy(x, y),
            self.font.clone(),
            size,
            text,
            false,
            TextDirection::Auto,
        );
    }

    /// Lines of body text one under the other, the first on `base`.
    fn column(&self, surface: &mut Surface, x: f32, base: f32, lines: &[String]) {
        for (i, line) in lines.iter().enumerate() {
            let y = base + i as f32 * LEADING;
            self.text(surface, x, y, BODY, Ink::Text, line);
        }
    }

    /// The advance of each character at `size` points, as the font's own metrics give it;
    /// the font's tables are looked up once per call, not once per character.
    fn advances(&self, size: f32) -> impl Fn(char) -> f32 + '_ {
        let charmap = self.metrics.charmap();
        let metrics = self
            .metrics
            .glyph_metrics(Size::new(size), LocationRef::default());
        move |c| {
            charmap
                .map(c)
                .and_then(|g| metrics.advance_width(g))
                .unwrap_or(size)
        }
    }

    fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(self.advances(size)).sum()
    }

    /// `text` broken into lines no wider than `width`: at spaces where it can, anywhere in
    /// runs without spaces (Chinese has none). Each character is measured once.
    fn wrap(&self, text: &str, size: f32, width: f32) -> Vec<String> {
        let advance = self.advances(size);
        let mut lines = Vec::new();
        let mut line = String::new();
        // The width of `line` without its trailing spaces, and of those spaces.
        let (mut line_w, mut spaces_w) = (0.0, 0.0);
        for word in text.split_inclusive(' ') {
            let body = word.trim_end();
            let body_w: f32 = body.chars().map(&advance).sum();
            let trailing_w: f32 = word[body.len()..].chars().map(&advance).sum();
            if line_w + spaces_w + body_w <= width || line.trim().is_empty() && body.is_empty() {
                line.push_str(word);
                line_w += spaces_w + body_w;
                spaces_w = trailing_w;
                continue;
            }
            if !line.trim().is_empty() {
                lines.push(line.trim_end().to_string());
            }
            line = String::new();
            line_w = 0.0;
            for c in body.chars() {
                let c_w = advance(c);
                if line_w + c_w > width && !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                    line_w = 0.0;
                }
                line.push(c);
                line_w += c_w;
            }
            line.push_str(&word[body.len()..]);
            spaces_w = trailing_w;
        }
        if !line.trim().is_empty() || lines.is_empty() {
            lines.push(line.trim_end().to_string());
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::super::NoteLine;
    use super::*;

    fn note(lines: usize) -> ShippingNote {
        ShippingNote {
            number: "SO-000123".into(),
            placed: "2026-11-24 09:12".into(),
            ship_by: "2026-11-24 17:30".into(),
            carrier: "black-cat".into(),
            priority: "normal".into(),
            channel: "web".into(),
            tracking_no: None,
            ship_to: vec![
                "林美玲".into(),
                "台北市大安區忠孝東路四段100號5樓".into(),
                "106 台北市".into(),
                "TW".into(),
            ],
            lines: (1..=lines)
                .map(|i| NoteLine {
                    line_no: i as i64,
                    sku: format!("TEA-{}", 1000 + i),
                    qty: 2,
                    name:
                        "Alishan high-mountain oolong, spring harvest, 250 g tin 阿里山高山烏龍茶"
                            .into(),
                    pick_from: vec!["A-03-09×1".into(), "B-07-02×1".into()],
                    backordered: i64::from(i == 2),
                })
                .collect(),
            items: 2 * lines as i64,
            pick_column: true,
        }
    }

    #[test]
    fn a_note_is_a_pdf_with_a_page_per_screenful_of_lines() {
        let pen = Pen::new().unwrap();
        assert_eq!(paginate(&note(3), &pen).len(), 1);
        let pages = paginate(&note(60), &pen);
        assert!(pages.len() > 2, "{} pages", pages.len());
        assert_eq!(
            pages.iter().map(Vec::len).sum::<usize>(),
            60,
            "every line once"
        );
        let pdf = render_pdf(&note(3)).unwrap();
        assert!(pdf.starts_with(b"%PDF-") && pdf.trim_ascii_end().ends_with(b"%%EOF"));
        // Only the glyphs used are embedded: far smaller than the 5 MB font.
        assert!(pdf.len() < 200_000, "{} bytes", pdf.len());
    }

    #[test]
    fn a_long_address_pushes_the_table_down() {
        let pen = Pen::new().unwrap();
        let short = note(1);
        let mut long = note(1);
        long.ship_to[1] =
            "No. 100, Sec. 4, Zhongxiao E. Rd., Da'an Dist., 5F-2, behind the night market".into();
        assert!(address_lines(&long, &pen).len() > address_lines(&short, &pen).len());
        long.ship_to
            .extend(["c/o front desk".into(), "+886 2 1234 5678".into()]);
        // The table starts below the baseline of the last address line drawn.
        let lines = address_lines(&long, &pen).len() as f32;
        let address_bottom = MARGIN + 20.0 + 32.0 + 18.0 + (lines - 1.0) * (LEADING + 1.0);
        assert!(heading_height(&long, &pen) > address_bottom);
        assert!(heading_height(&long, &pen) > heading_height(&short, &pen));
    }

    #[test]
    fn a_note_without_the_bin_column_names_no_bin() {
        use crate::server::location_codes::LocationCodes;
        let hidden = LocationCodes::Hidden.applied(note(3));
        let text = super::super::text::render_text(&hidden);
        assert!(
            !text.contains("A-03-09") && !text.contains("B-07-02"),
            "{text}"
        );
        assert!(!text.contains("Pick from"), "{text}");
        assert!(
            text.contains("TEA-1001") && text.contains("Alishan"),
            "{text}"
        );
        let pen = Pen::new().unwrap();
        let rows = paginate(&hidden, &pen);
        assert!(rows.iter().flatten().all(|r| r.picks.is_empty()));
        assert!(rows.iter().flatten().all(|r| r.item_x == COL_PICK));
        assert!(render_pdf(&hidden).unwrap().starts_with(b"%PDF-"));
        let shown = LocationCodes::Shown.applied(note(1));
        assert!(super::super::text::render_text(&shown).contains("A-03-09×1"));
    }

    #[test]
    fn long_text_wraps_within_its_column() {
        let pen = Pen::new().unwrap();
        let lines = pen.wrap(
            "阿里山高山烏龍茶阿里山高山烏龍茶阿里山高山烏龍茶",
            10.0,
            60.0,
        );
        assert!(lines.len() >= 4, "{lines:?}");
        assert!(lines.iter().all(|l| pen.width(l, 10.0) <= 60.0));
        let words = pen.wrap("Alishan high-mountain oolong", 10.0, 80.0);
        assert_eq!(
            words.concat().replace(' ', ""),
            "Alishanhigh-mountainoolong"
        );
        assert!(words.iter().all(|l| !l.starts_with(' ')));
        assert_eq!(pen.wrap("", 10.0, 50.0), vec![String::new()]);
    }
}
