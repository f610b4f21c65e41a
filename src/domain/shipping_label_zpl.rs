//! The parcel label as ZPL II for Zebra-compatible thermal printers.
//!
//! A 4×6 inch label at 203 dpi (812 × 1218 dots), UTF-8 (`^CI28`): the sender small at
//! the top, carrier and service, the recipient large, the tracking number as a Code 128
//! bar code, then the order number as a smaller bar code beside package, weight, parcel
//! count and date. Text sits in `^FB` field blocks with a maximum line count, and is
//! shortened beforehand by an estimate of glyph widths, so nothing runs off the label.
//!
//! Addresses are typed by customers, so field data is treated as hostile: a `^` or `~`
//! would start a printer command. Text fields are written with `^FH` hex escapes, bar codes
//! with Code 128 invocation codes, and control characters never reach the printer.

use serde::Deserialize;
use thiserror::Error;
use unicode_width::UnicodeWidthChar;

use super::shipping_label::{ShippingLabel, clean};

/// The font for the text of a ZPL label.
///
/// The default is the printer's built-in scalable font 0, which only has Latin glyphs.
/// Chinese, Japanese or Korean addresses need a TrueType font stored on the printer, such
/// as Zebra's Asian font `E:ANMDJ.TTF`. Without one the label is still valid ZPL, but the
/// printer leaves those characters out; [`ShippingLabel::needs_printer_font`] says when.
/// In configuration a printer font is given by its name, e.g. `"E:ANMDJ.TTF"`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct ZplFont {
    printer_font: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ZplFontError {
    #[error(
        "A printer font is named by drive, colon, file name and extension, such as E:ANMDJ.TTF; \"{0}\" is not such a name."
    )]
    NotAFontName(String),
}

impl ZplFont {
    pub fn printer_resident(name: &str) -> Result<Self, ZplFontError> {
        // The name goes into a command, not into escaped field data, so it must not be
        // able to carry a `^`, `~` or `,` of its own.
        let well_formed = name
            .split_once(':')
            .and_then(|(drive, file)| Some((drive, file.split_once('.')?)))
            .is_some_and(|(drive, (stem, extension))| {
                matches!(drive, "R" | "E" | "B" | "A")
                    && (1..=16).contains(&stem.len())
                    && stem
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                    && ["TTF", "TTE", "FNT"].contains(&extension.to_ascii_uppercase().as_str())
            });
        if well_formed {
            Ok(Self {
                printer_font: Some(name.to_owned()),
            })
        } else {
            Err(ZplFontError::NotAFontName(name.to_owned()))
        }
    }

    fn select(&self, height: u32) -> String {
        match &self.printer_font {
            None => format!("^A0N,{height},{height}"),
            Some(name) => format!("^A@N,{height},{height},{name}"),
        }
    }
}

impl TryFrom<String> for ZplFont {
    type Error = ZplFontError;

    fn try_from(name: String) -> Result<Self, Self::Error> {
        Self::printer_resident(&name)
    }
}

const LABEL_WIDTH: u32 = 812;
const LABEL_LENGTH: u32 = 1218;
const MARGIN: u32 = 30;
const CONTENT_WIDTH: u32 = LABEL_WIDTH - 2 * MARGIN;
const RIGHT_COLUMN: u32 = 420;

impl ShippingLabel {
    pub fn to_zpl(&self, font: &ZplFont) -> String {
        let mut zpl = Zpl {
            out: format!("^XA\n^CI28\n^PW{LABEL_WIDTH}\n^LL{LABEL_LENGTH}\n^LH0,0\n"),
            font,
        };
        let full = |y| Area {
            x: MARGIN,
            y,
            width: CONTENT_WIDTH,
        };
        let left = |y| Area {
            x: MARGIN,
            y,
            width: RIGHT_COLUMN - 2 * MARGIN,
        };
        let mut from = self.ship_from.lines().into_iter();
        let sender = format!("FROM {}", from.next().unwrap_or_default());
        zpl.text(
            full(30),
            24,
            4,
            &[sender, from.collect::<Vec<_>>().join(", ")],
        );
        zpl.rule(150);
        zpl.text(full(170), 40, 1, &[self.carrier_line()]);
        zpl.rule(225);
        zpl.text(full(245), 24, 1, &["SHIP TO".into()]);
        zpl.text(full(280), 48, 7, &self.ship_to.lines());
        zpl.rule(670);
        zpl.barcode(full(695), 170, 3, &self.tracking_no);
        zpl.rule(920);
        zpl.text(left(940), 24, 1, &["ORDER".into()]);
        zpl.barcode(left(975), 70, 2, &self.order_number);
        let facts = Area {
            x: RIGHT_COLUMN,
            y: 940,
            width: LABEL_WIDTH - MARGIN - RIGHT_COLUMN,
        };
        zpl.text(
            facts,
            28,
            4,
            &self
                .parcel_facts(&format!("{}/{}", self.parcel.0, self.parcel.1))
                .map(|(key, value)| format!("{key} {value}")),
        );
        zpl.out.push_str("^XZ\n");
        zpl.out
    }

    /// Whether the built-in ZPL font would leave characters of this label blank.
    /// Font 0 is only relied upon for Latin script.
    pub fn needs_printer_font(&self) -> bool {
        let mut texts = vec![
            self.carrier_line(),
            self.tracking_no.clone(),
            self.order_number.clone(),
            self.package.clone(),
        ];
        texts.extend(self.ship_to.lines());
        texts.extend(self.ship_from.lines());
        texts
            .iter()
            .flat_map(|text| text.chars())
            .any(|c| c > '\u{24F}')
    }
}

struct Area {
    x: u32,
    y: u32,
    width: u32,
}

struct Zpl<'a> {
    out: String,
    font: &'a ZplFont,
}

impl Zpl<'_> {
    /// A text block that wraps inside `area` and never grows past `max_lines`.
    fn text(&mut self, area: Area, height: u32, max_lines: u32, paragraphs: &[String]) {
        let data: Vec<String> = fit(paragraphs, area.width, height, max_lines)
            .iter()
            .map(|paragraph| zpl_text(paragraph))
            .collect();
        self.out.push_str(&format!(
            "^FO{},{}{}^FB{},{max_lines},{},L,0^FH_^FD{}^FS\n",
            area.x,
            area.y,
            self.font.select(height),
            area.width,
            height / 8,
            data.join("\\&"),
        ));
    }

    fn rule(&mut self, y: u32) {
        self.out
            .push_str(&format!("^FO{MARGIN},{y}^GB{CONTENT_WIDTH},3,3^FS\n"));
    }

    /// Code 128 with the widest module up to `widest_module` that fits into `area`; data
    /// that fits no bar code at all is printed as text, so the parcel stays identifiable.
    fn barcode(&mut self, area: Area, bar_height: u32, widest_module: u32, data: &str) {
        let (encoded, symbols) = code128_data(&clean(data));
        // Start, data and check symbols are 11 modules wide, the stop symbol 13.
        let modules = 11 * (symbols + 2) + 13;
        let module = (1..=widest_module)
            .rev()
            .find(|&module| modules * module as usize <= area.width as usize);
        match module {
            Some(module) if symbols > 0 => self.out.push_str(&format!(
                "^FO{},{}^BY{module}^BCN,{bar_height},Y,N,N^FD{encoded}^FS\n",
                area.x, area.y
            )),
            _ => self.text(area, 40, 2, &[data.to_owned()]),
        }
    }
}

/// Shortens paragraphs so that, by a rough estimate of glyph widths, together they fill
/// at most `max_lines` lines: the printer would print any overflow on top of the last line.
fn fit(paragraphs: &[String], width: u32, height: u32, max_lines: u32) -> Vec<String> {
    let paragraphs: Vec<String> = paragraphs
        .iter()
        .map(|p| clean(p))
        .filter(|p| !p.is_empty())
        .collect();
    // The printer breaks lines at spaces, so a line holds less than the full width.
    let line_dots = width * 9 / 10;
    let dots = |c: char| match c.width() {
        Some(2) => height,
        Some(0) => 0,
        _ => height * 3 / 5,
    };
    let mut lines_left = max_lines;
    let mut fitted = Vec::new();
    for (index, paragraph) in paragraphs.iter().enumerate() {
        if lines_left == 0 {
            break;
        }
        let still_to_come = u32::try_from(paragraphs.len() - index - 1).unwrap_or(u32::MAX);
        let available = lines_left - still_to_come.min(lines_left - 1);
        let wanted = paragraph.chars().map(dots).sum::<u32>().div_ceil(line_dots);
        let lines = wanted.clamp(1, available);
        lines_left -= lines;
        fitted.push(shorten(paragraph, lines * line_dots, dots));
    }
    fitted
}

fn shorten(text: &str, budget: u32, dots: impl Fn(char) -> u32) -> String {
    if text.chars().map(&dots).sum::<u32>() <= budget {
        return text.to_owned();
    }
    let mut used = 3 * dots('.');
    let kept: String = text
        .chars()
        .take_while(|&c| {
            used += dots(c);
            used <= budget
        })
        .collect();
    format!("{}...", kept.trim_end())
}

/// Field data for `^FH_`: `^`, `~` and the hex indicator `_` itself become hex escapes.
fn zpl_text(text: &str) -> String {
    let mut data = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '^' => data.push_str("_5E"),
            '~' => data.push_str("_7E"),
            '_' => data.push_str("_5F"),
            // ^FB reads `\&` as a line break and `\\` as one printed backslash.
            '\\' => data.push_str("\\\\"),
            c => data.push(c),
        }
    }
    data
}

/// Code 128 data in ZPL's notation for `^BC` without a mode, and how many symbols it
/// encodes. Runs of digits are packed two to a symbol in subset C, as on carriers' own
/// labels, so that long numeric tracking numbers still fit; the rest is subset B, where `^`,
/// `>` and `~` must be written as the invocation codes `><`, `>0` and `>=`. What subset B
/// cannot encode (anything beyond printable ASCII) is left out.
fn code128_data(text: &str) -> (String, usize) {
    let printable: Vec<char> = text.chars().filter(|c| matches!(c, ' '..='~')).collect();
    let mut code = Code128::default();
    let mut rest = printable.as_slice();
    while let Some(&first) = rest.first() {
        let run = rest.iter().take_while(|c| c.is_ascii_digit()).count();
        let at_an_end = code.symbols == 0 || run == rest.len();
        // Switching to subset C costs a symbol, and switching back another.
        if run >= 6 || (run >= 4 && at_an_end) {
            let (odd, pairs) = rest[..run].split_at(run % 2);
            odd.iter().for_each(|&digit| code.subset_b(digit));
            code.subset_c(pairs);
            rest = &rest[run..];
        } else {
            code.subset_b(first);
            rest = &rest[1..];
        }
    }
    (code.data, code.symbols)
}

#[derive(Default)]
struct Code128 {
    data: String,
    symbols: usize,
    in_subset_c: bool,
}

impl Code128 {
    fn subset_b(&mut self, c: char) {
        if self.in_subset_c {
            self.data.push_str(">6");
            self.symbols += 1;
            self.in_subset_c = false;
        }
        match c {
            '^' => self.data.push_str("><"),
            '>' => self.data.push_str(">0"),
            '~' => self.data.push_str(">="),
            c => self.data.push(c),
        }
        self.symbols += 1;
    }

    fn subset_c(&mut self, digit_pairs: &[char]) {
        // At the very beginning the start code selects subset C and is counted with the
        // check symbol; later a CODE C symbol switches over. Subset B needs no start code
        // because the printer starts in B.
        if self.symbols == 0 {
            self.data.push_str(">;");
        } else {
            self.data.push_str(">5");
            self.symbols += 1;
        }
        self.data.extend(digit_pairs);
        self.symbols += digit_pairs.len() / 2;
        self.in_subset_c = true;
    }
}

#[cfg(test)]
mod tests {
    use super::super::shipping_label::tests::{
        any_label, assert_snapshot, chinese_label, latin_label,
    };
    use super::*;
    use proptest::prelude::*;

    fn asian_font() -> ZplFont {
        ZplFont::printer_resident("E:ANMDJ.TTF").unwrap()
    }

    /// Every `^FD` data, checked to end in `^FS` and to hold no command prefix.
    fn assert_well_formed(zpl: &str) {
        assert!(zpl.starts_with("^XA\n"), "{zpl}");
        assert!(zpl.ends_with("^XZ\n"), "{zpl}");
        assert!(!zpl.contains('~'), "{zpl}");
        let fields: Vec<&str> = zpl.split("^FO").skip(1).collect();
        assert_eq!(fields.len(), zpl.matches("^FS").count(), "{zpl}");
        for field in fields {
            assert_eq!(field.matches("^FS").count(), 1, "{field}");
        }
        for after in zpl.split("^FD").skip(1) {
            let (data, _) = after.split_once("^FS").expect("every ^FD ends with ^FS");
            assert!(!data.contains(['^', '~']), "{data}");
        }
    }

    #[test]
    fn zpl_for_a_latin_address() {
        let zpl = latin_label().to_zpl(&ZplFont::default());
        assert_well_formed(&zpl);
        assert_snapshot("shipping_label_zpl_latin", &zpl);
    }

    #[test]
    fn zpl_for_a_chinese_address_uses_the_printer_font() {
        let zpl = chinese_label().to_zpl(&asian_font());
        assert_well_formed(&zpl);
        assert!(!zpl.contains("^A0N"));
        assert_snapshot("shipping_label_zpl_chinese", &zpl);
    }

    #[test]
    fn chinese_needs_a_printer_font_and_german_does_not() {
        assert!(chinese_label().needs_printer_font());
        assert!(!latin_label().needs_printer_font());
        let zpl = chinese_label().to_zpl(&ZplFont::default());
        assert_well_formed(&zpl);
        assert!(zpl.contains("台北市信義區松仁路100號"));
    }

    #[test]
    fn command_characters_in_data_are_escaped() {
        let mut label = latin_label();
        label.ship_to.name = "A^XZ~JR_5E\\&B".into();
        label.order_number = "SO^1>2~3_".into();
        let zpl = label.to_zpl(&ZplFont::default());
        assert_well_formed(&zpl);
        assert!(zpl.contains("^FDA_5EXZ_7EJR_5F5E\\\\&B\\&"), "{zpl}");
        assert!(zpl.contains("^FDSO><1>02>=3_^FS"), "{zpl}");
    }

    #[test]
    fn digit_runs_are_packed_in_subset_c() {
        assert_eq!(
            code128_data("JJD00000000000000426"),
            ("JJD0>50000000000000426".into(), 13)
        );
        assert_eq!(code128_data("SO-000123"), ("SO->5000123".into(), 7));
        assert_eq!(code128_data("4006381333931"), ("4>5006381333931".into(), 8));
        assert_eq!(code128_data("123456AB"), (">;123456>6AB".into(), 6));
        assert_eq!(
            code128_data("RR287043775IN"),
            ("RR2>587043775>6IN".into(), 11)
        );
        assert_eq!(code128_data("A12B"), ("A12B".into(), 4));
        assert_eq!(code128_data("台北"), (String::new(), 0));
    }

    #[test]
    fn long_lines_are_shortened_to_fit_the_block() {
        let mut label = latin_label();
        label.ship_to.line1 = "Sehr lange Straße ".repeat(20);
        label.ship_to.name = "\u{202E}Erika\u{7}\nMustermann".into();
        let zpl = label.to_zpl(&ZplFont::default());
        assert_well_formed(&zpl);
        let ship_to = zpl.lines().find(|line| line.contains("Erika")).unwrap();
        assert!(
            ship_to.contains("^FDErika Mustermann\\&Sehr lange Straße"),
            "{ship_to}"
        );
        assert!(ship_to.contains("...\\&Hinterhaus"), "{ship_to}");
        assert!(ship_to.len() < 400, "{ship_to}");
    }

    #[test]
    fn tracking_numbers_too_long_for_a_bar_code_are_printed_as_text() {
        let mut label = latin_label();
        label.tracking_no = "1Z".repeat(40);
        let zpl = label.to_zpl(&ZplFont::default());
        assert_well_formed(&zpl);
        assert_eq!(
            zpl.matches("^BC").count(),
            1,
            "only the order keeps its bar code"
        );
        assert!(
            zpl.contains("^FO30,695^A0N,40,40^FB752,2,5,L,0^FH_^FD1Z1Z"),
            "{zpl}"
        );
    }

    #[test]
    fn printer_font_names_are_checked() {
        assert!(ZplFont::printer_resident("E:ANMDJ.TTF").is_ok());
        assert!(ZplFont::printer_resident("E:TT0003M_.TTF").is_ok());
        for name in [
            "ANMDJ.TTF",
            "E:",
            "Z:ANMDJ.TTF",
            "E:ANMDJ.TTF^XZ",
            "E:AN,MDJ.TTF",
            "E:A.PNG",
        ] {
            assert!(ZplFont::printer_resident(name).is_err(), "{name}");
        }
        assert_eq!(
            ZplFont::printer_resident("arial").unwrap_err().to_string(),
            "A printer font is named by drive, colon, file name and extension, such as E:ANMDJ.TTF; \"arial\" is not such a name."
        );
    }

    #[test]
    fn printer_font_is_configured_by_name() {
        use serde::de::IntoDeserializer;
        use serde::de::value::Error as ValueError;
        let read = |name: &str| ZplFont::deserialize(name.into_deserializer());
        let configured: Result<ZplFont, ValueError> = read("E:ANMDJ.TTF");
        assert_eq!(configured, Ok(asian_font()));
        let misnamed: Result<ZplFont, ValueError> = read("ANMDJ");
        assert!(misnamed.is_err());
    }

    proptest! {
        #[test]
        fn any_label_gives_well_formed_zpl(label in any_label(), printer_font in any::<bool>()) {
            let font = if printer_font { asian_font() } else { ZplFont::default() };
            assert_well_formed(&label.to_zpl(&font));
        }
    }
}
