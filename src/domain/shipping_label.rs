//! The parcel label the packer sticks on the box, and its plain-text rendering.
//!
//! [`ShippingLabel::to_text`] serves screens and printers without ZPL: 40 columns, boxes
//! drawn in ASCII so it prints anywhere, every line the same display width even with
//! Chinese addresses (wide characters count two columns). The ZPL rendering for thermal
//! printers lives in `shipping_label_zpl`.
//!
//! Addresses are typed by customers, so control characters and invisible formatting are
//! dropped from every field before it is drawn.

use unicode_width::UnicodeWidthChar;

use super::parcel_weight::weight_text;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub name: String,
    pub line1: String,
    pub line2: Option<String>,
    pub postal_code: String,
    pub city: String,
    pub region: Option<String>,
    /// ISO 3166-1 alpha-2, e.g. "DE" or "TW".
    pub country: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShippingLabel {
    /// The carrier's display name.
    pub carrier: String,
    pub service: Option<String>,
    pub tracking_no: String,
    /// E.g. "SO-000123".
    pub order_number: String,
    pub ship_to: Address,
    pub ship_from: Address,
    /// Package type, e.g. "box-m".
    pub package: String,
    pub weight_grams: u32,
    /// Formatted by the caller as YYYY-MM-DD.
    pub shipped_on: String,
    /// Parcel 1 of 1.
    pub parcel: (u32, u32),
}

const TEXT_COLUMNS: usize = 40;
const TEXT_KEY_COLUMNS: usize = 9;
/// No label field needs more; longer text is cut before it can slow down wrapping.
const MAX_FIELD_CHARS: usize = 200;

impl ShippingLabel {
    pub fn to_text(&self) -> String {
        let rule = format!("+{}+", "-".repeat(TEXT_COLUMNS - 2));
        let mut rows = vec![rule.clone()];
        boxed(
            &mut rows,
            "",
            &format!("FROM {}", self.ship_from.lines().join(", ")),
        );
        rows.push(rule.clone());
        boxed(&mut rows, "", &self.carrier_line());
        rows.push(rule.clone());
        boxed(&mut rows, "", "SHIP TO");
        for line in self.ship_to.lines() {
            boxed(&mut rows, "", &line);
        }
        rows.push(rule.clone());
        boxed(&mut rows, "", "TRACKING");
        boxed(&mut rows, "", &self.tracking_no);
        rows.push(rule.clone());
        boxed(&mut rows, "ORDER", &self.order_number);
        for (key, value) in self.parcel_facts(&format!("{} of {}", self.parcel.0, self.parcel.1)) {
            boxed(&mut rows, key, &value);
        }
        rows.push(rule);
        rows.join("\n") + "\n"
    }

    pub(super) fn carrier_line(&self) -> String {
        match &self.service {
            Some(service) if !service.trim().is_empty() => format!("{} - {service}", self.carrier),
            _ => self.carrier.clone(),
        }
    }

    pub(super) fn parcel_facts(&self, parcel: &str) -> [(&'static str, String); 4] {
        [
            ("PACKAGE", self.package.clone()),
            ("WEIGHT", weight_text(self.weight_grams)),
            ("PARCEL", parcel.to_owned()),
            ("SHIPPED", self.shipped_on.clone()),
        ]
    }
}

impl Address {
    pub(super) fn lines(&self) -> Vec<String> {
        let place = format!("{} {}", self.postal_code.trim(), self.city.trim());
        [
            Some(&self.name),
            Some(&self.line1),
            self.line2.as_ref(),
            Some(&place),
        ]
        .into_iter()
        .chain([self.region.as_ref(), Some(&self.country)])
        .flatten()
        .map(|line| clean(line))
        .filter(|line| !line.is_empty())
        .collect()
    }
}

/// Customer text without what upsets printers and box drawing: control characters
/// become spaces or vanish, and invisible formatting such as bidi overrides is dropped
/// so that a screen cannot show a different address than the label carries.
pub(super) fn clean(text: &str) -> String {
    let visible: String = text
        .chars()
        .filter(|&c| !is_invisible(c))
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let words: Vec<&str> = visible.split_whitespace().collect();
    words.join(" ").chars().take(MAX_FIELD_CHARS).collect()
}

/// Zero-width characters, bidi controls and variation selectors; the latter also make
/// terminals draw some characters wider than their width says, which breaks the box.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
    )
}

/// Appends `text` as boxed rows, wrapped at word boundaries; with a `key`, the key heads
/// the first row and the text is indented under it.
fn boxed(rows: &mut Vec<String>, key: &str, text: &str) {
    let indent = if key.is_empty() { 0 } else { TEXT_KEY_COLUMNS };
    let inner = TEXT_COLUMNS - 4;
    for (index, line) in wrap(text, inner - indent).into_iter().enumerate() {
        let head = if index == 0 { key } else { "" };
        let pad = inner - indent - line.chars().map(columns).sum::<usize>();
        rows.push(format!("| {head:<indent$}{line}{} |", " ".repeat(pad)));
    }
}

fn columns(c: char) -> usize {
    c.width().unwrap_or(0)
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let (mut line, mut used) = (String::new(), 0);
    for word in clean(text).split(' ') {
        let word_columns: usize = word.chars().map(columns).sum();
        let gap = usize::from(!line.is_empty());
        if used + gap + word_columns <= width {
            if gap == 1 {
                line.push(' ');
            }
            line.push_str(word);
            used += gap + word_columns;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
            used = 0;
        }
        // A word wider than the box (a long CJK street, a URL) is broken anywhere.
        for c in word.chars() {
            if used + columns(c) > width {
                lines.push(std::mem::take(&mut line));
                used = 0;
            }
            line.push(c);
            used += columns(c);
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use proptest::prelude::*;
    use unicode_width::UnicodeWidthStr;

    fn warehouse() -> Address {
        Address {
            name: "Backroom GmbH".into(),
            line1: "Lagerweg 1".into(),
            line2: None,
            postal_code: "10115".into(),
            city: "Berlin".into(),
            region: None,
            country: "DE".into(),
        }
    }

    fn label(ship_to: Address, carrier: &str, tracking_no: &str) -> ShippingLabel {
        ShippingLabel {
            carrier: carrier.into(),
            service: Some("Paket".into()),
            tracking_no: tracking_no.into(),
            order_number: "SO-000123".into(),
            ship_to,
            ship_from: warehouse(),
            package: "box-m".into(),
            weight_grams: 1250,
            shipped_on: "2025-03-14".into(),
            parcel: (1, 1),
        }
    }

    pub(crate) fn latin_label() -> ShippingLabel {
        let ship_to = Address {
            name: "Erika Mustermann".into(),
            line1: "Heidestraße 17".into(),
            line2: Some("Hinterhaus, 3. OG".into()),
            postal_code: "51147".into(),
            city: "Köln".into(),
            region: None,
            country: "DE".into(),
        };
        label(ship_to, "DHL Express", "JJD00000000000000426")
    }

    pub(crate) fn chinese_label() -> ShippingLabel {
        let ship_to = Address {
            name: "陳美玲".into(),
            line1: "台北市信義區松仁路100號".into(),
            line2: Some("12樓之3".into()),
            postal_code: "110".into(),
            city: "台北市".into(),
            region: None,
            country: "TW".into(),
        };
        let mut label = label(ship_to, "Chunghwa Post", "RR287043775IN");
        label.service = Some("國際掛號".into());
        label
    }

    pub(crate) fn assert_snapshot(name: &str, rendered: &str) {
        // Without the module path in the file name the snapshots keep their names when the
        // file moves to another module.
        let mut settings = insta::Settings::clone_current();
        settings.set_prepend_module_to_snapshot(false);
        settings.bind(|| insta::assert_snapshot!(name, rendered));
    }

    #[test]
    fn text_for_a_latin_address() {
        let text = latin_label().to_text();
        assert!(
            text.lines().all(|line| line.width() == TEXT_COLUMNS),
            "{text}"
        );
        assert_snapshot("shipping_label_text_latin", &text);
    }

    #[test]
    fn text_for_a_chinese_address() {
        let text = chinese_label().to_text();
        assert!(
            text.lines().all(|line| line.width() == TEXT_COLUMNS),
            "{text}"
        );
        assert_snapshot("shipping_label_text_chinese", &text);
    }

    fn field() -> impl Strategy<Value = String> {
        prop_oneof![any::<String>(), r"[\^~_\\>&,a-z 台\n]{0,30}"]
    }

    pub(crate) fn any_label() -> impl Strategy<Value = ShippingLabel> {
        let address = |f: Vec<String>| Address {
            name: f[0].clone(),
            line1: f[1].clone(),
            line2: Some(f[2].clone()),
            postal_code: f[3].clone(),
            city: f[4].clone(),
            region: Some(f[5].clone()),
            country: f[6].clone(),
        };
        (
            proptest::collection::vec(field(), 20),
            any::<u32>(),
            any::<(u32, u32)>(),
        )
            .prop_map(move |(f, weight_grams, parcel)| ShippingLabel {
                carrier: f[14].clone(),
                service: Some(f[15].clone()),
                tracking_no: f[16].clone(),
                order_number: f[17].clone(),
                ship_to: address(f[..7].to_vec()),
                ship_from: address(f[7..14].to_vec()),
                package: f[18].clone(),
                weight_grams,
                shipped_on: f[19].clone(),
                parcel,
            })
    }

    proptest! {
        #[test]
        fn any_label_text_stays_in_its_box(label in any_label()) {
            let text = label.to_text();
            for line in text.lines() {
                prop_assert!(line.width() <= TEXT_COLUMNS, "{}", line);
            }
        }
    }
}
