//! Checking an incoming order before it is stored: what makes it unacceptable (refused with
//! every reason at once), and what only needs a person's eye (flags for routing).

/// More lines than this is not a shop order but a mistake or an attack.
pub const MAX_LINES: usize = 200;
/// Units per line, likewise.
pub const MAX_QTY: i64 = 10_000;
/// Highest unit price, in minor units (one million in the currency): keeps totals far from overflow.
pub const MAX_UNIT_PRICE: i64 = 100_000_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineIn {
    pub sku: String,
    pub qty: i64,
    pub unit_price_minor: i64,
}

/// One reason an order is refused, with where in the order it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the order has no lines")]
    NoLines,
    #[error("the order has {0} lines; at most {MAX_LINES}")]
    TooManyLines(usize),
    #[error("line {line}: quantity must be between 1 and {MAX_QTY}, not {qty}")]
    Quantity { line: usize, qty: i64 },
    #[error("line {line}: unit price must be between 0 and {MAX_UNIT_PRICE} minor units")]
    Price { line: usize },
    #[error("line {line}: unknown SKU {sku:?}")]
    UnknownSku { line: usize, sku: String },
    #[error("line {line}: SKU {sku:?} is already on line {first}")]
    RepeatedSku {
        line: usize,
        first: usize,
        sku: String,
    },
    #[error("currency {got} differs from the catalogue's {expected}")]
    Currency { expected: String, got: String },
    #[error("{field} is required")]
    Missing { field: &'static str },
    #[error("{0:?} is not an e-mail address")]
    Email(String),
    #[error("country {0:?} is not an ISO 3166 two-letter code")]
    Country(String),
}

/// Checks the shape of the lines: `known(sku)` says whether the catalogue has the SKU.
pub fn check_lines(lines: &[LineIn], known: impl Fn(&str) -> bool) -> Vec<Refusal> {
    let mut refusals = Vec::new();
    if lines.is_empty() {
        refusals.push(Refusal::NoLines);
    }
    if lines.len() > MAX_LINES {
        refusals.push(Refusal::TooManyLines(lines.len()));
        return refusals;
    }
    for (i, l) in lines.iter().enumerate() {
        let line = i + 1;
        if !(1..=MAX_QTY).contains(&l.qty) {
            refusals.push(Refusal::Quantity { line, qty: l.qty });
        }
        if !(0..=MAX_UNIT_PRICE).contains(&l.unit_price_minor) {
            refusals.push(Refusal::Price { line });
        }
        if let Some(first) = lines[..i].iter().position(|o| o.sku == l.sku) {
            refusals.push(Refusal::RepeatedSku {
                line,
                first: first + 1,
                sku: l.sku.clone(),
            });
        } else if !known(&l.sku) {
            refusals.push(Refusal::UnknownSku {
                line,
                sku: l.sku.clone(),
            });
        }
    }
    refusals
}

pub fn check_email(email: &str) -> Option<Refusal> {
    let e = email.trim();
    let ok = e.len() <= 254
        && e.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
        && !e.contains(char::is_whitespace);
    (!ok).then(|| Refusal::Email(email.to_string()))
}

/// A unit price within `tolerance_bp` basis points (1/100 %) of the catalogue price.
pub fn price_ok(catalogue_minor: i64, offered_minor: i64, tolerance_bp: u32) -> bool {
    let diff = (i128::from(catalogue_minor) - i128::from(offered_minor)).abs();
    diff * 10_000 <= i128::from(catalogue_minor) * i128::from(tolerance_bp)
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AddressIn {
    pub name: String,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub postal_code: String,
    pub region: Option<String>,
    pub country: String,
}

/// Countries whose addresses have no postal code.
const NO_POSTAL_CODE: &[&str] = &["HK", "MO", "AE", "QA", "IE"];

/// What the address lacks for its country; empty when it is complete.
pub fn address_gaps(a: &AddressIn) -> Vec<String> {
    let mut gaps = Vec::new();
    for (value, field) in [(&a.name, "name"), (&a.line1, "street"), (&a.city, "city")] {
        if value.trim().is_empty() {
            gaps.push(format!("{field} missing"));
        }
    }
    let postal = a.postal_code.trim();
    let country = a.country.as_str();
    if NO_POSTAL_CODE.contains(&country) {
        return gaps;
    }
    let digits =
        |n: &[usize]| postal.bytes().all(|b| b.is_ascii_digit()) && n.contains(&postal.len());
    let valid = match country {
        "DE" | "FR" | "IT" | "ES" | "FI" => digits(&[5]),
        "AT" | "BE" | "CH" | "DK" | "NO" | "LU" => digits(&[4]),
        "US" => digits(&[5]) || (postal.len() == 10 && postal.as_bytes()[5] == b'-'),
        "TW" => digits(&[3, 5, 6]),
        "NL" => {
            // Bytes, not string slices: a non-ASCII character must not split mid-way.
            let p: Vec<u8> = postal
                .bytes()
                .filter(|b| !b.is_ascii_whitespace())
                .collect();
            p.len() == 6
                && p[..4].iter().all(u8::is_ascii_digit)
                && p[4..].iter().all(u8::is_ascii_alphabetic)
        }
        "GB" => (5..=8).contains(&postal.len()) && postal.contains(' '),
        _ => !postal.is_empty(),
    };
    if postal.is_empty() {
        gaps.push("postal code missing".to_string());
    } else if !valid {
        gaps.push(format!("postal code {postal:?} does not fit {country}"));
    }
    gaps
}

pub fn country_ok(country: &str) -> bool {
    country.len() == 2 && country.bytes().all(|b| b.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(sku: &str, qty: i64) -> LineIn {
        LineIn {
            sku: sku.into(),
            qty,
            unit_price_minor: 100,
        }
    }

    #[test]
    fn line_refusals_name_every_bad_line() {
        let known = |s: &str| s.starts_with("TEA-");
        assert_eq!(check_lines(&[line("TEA-1", 2)], known), vec![]);
        assert_eq!(check_lines(&[], known), vec![Refusal::NoLines]);
        let refusals = check_lines(
            &[line("TEA-1", 0), line("NOPE", 1), line("TEA-1", 1)],
            known,
        );
        let text: Vec<String> = refusals.iter().map(|r| r.to_string()).collect();
        assert_eq!(
            text,
            vec![
                "line 1: quantity must be between 1 and 10000, not 0",
                "line 2: unknown SKU \"NOPE\"",
                "line 3: SKU \"TEA-1\" is already on line 1",
            ]
        );
        assert_eq!(
            check_lines(&vec![line("TEA-1", 1); 201], known),
            vec![Refusal::TooManyLines(201)]
        );
        let dear = LineIn {
            sku: "TEA-1".into(),
            qty: 1,
            unit_price_minor: i64::MAX,
        };
        assert_eq!(
            check_lines(&[dear], known),
            vec![Refusal::Price { line: 1 }]
        );
    }

    #[test]
    fn price_tolerance_in_basis_points() {
        assert!(price_ok(1000, 1000, 0));
        assert!(price_ok(1000, 990, 100));
        assert!(!price_ok(1000, 989, 100));
        assert!(!price_ok(1000, 1011, 100));
        assert!(price_ok(0, 0, 0) && !price_ok(0, 1, 500));
        assert!(price_ok(i64::MAX, i64::MAX, 0));
    }

    #[test]
    fn addresses_per_country() {
        let a = |country: &str, postal: &str| AddressIn {
            name: "Mei".into(),
            line1: "信義區松仁路100號".into(),
            city: "台北市".into(),
            postal_code: postal.into(),
            country: country.into(),
            ..AddressIn::default()
        };
        assert!(address_gaps(&a("TW", "110")).is_empty());
        assert!(address_gaps(&a("DE", "10115")).is_empty());
        assert!(address_gaps(&a("NL", "1012 AB")).is_empty());
        assert!(address_gaps(&a("GB", "EC1V 9HX")).is_empty());
        // Not ASCII where digits belong: a gap, not a panic.
        assert_eq!(
            address_gaps(&a("NL", "123é5")),
            vec!["postal code \"123é5\" does not fit NL"]
        );
        assert_eq!(address_gaps(&a("NL", "1234é")).len(), 1);
        assert!(address_gaps(&a("HK", "")).is_empty());
        assert_eq!(
            address_gaps(&a("DE", "1011")),
            vec!["postal code \"1011\" does not fit DE"]
        );
        assert_eq!(address_gaps(&a("FR", "")), vec!["postal code missing"]);
        let mut no_street = a("AT", "1070");
        no_street.line1 = " ".into();
        assert_eq!(address_gaps(&no_street), vec!["street missing"]);
        assert!(country_ok("TW") && !country_ok("tw") && !country_ok("TWN"));
        assert!(check_email("mei@example.tw").is_none());
        for bad in ["mei", "@x.tw", "mei@tw", "mei @x.tw", "mei@x."] {
            assert!(check_email(bad).is_some(), "{bad}");
        }
    }
}
