//! The order import file: CSV, one row per order line, rows of one order sharing `channel`
//! and `channel_order_no`. Parsed into wire orders, each remembering its rows' line numbers.

use serde::Deserialize;

use super::{Address, CustomerIn, OrderIn, OrderLineIn};

/// The columns, in any order; a header row names them.
pub const COLUMNS: &[&str] = &[
    "channel",
    "channel_order_no",
    "customer_name",
    "email",
    "phone",
    "ship_name",
    "line1",
    "line2",
    "city",
    "postal_code",
    "region",
    "country",
    "payment_method",
    "currency",
    "sku",
    "qty",
    "unit_price_minor",
];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Row {
    channel: String,
    channel_order_no: String,
    customer_name: String,
    email: String,
    #[serde(default)]
    phone: Option<String>,
    ship_name: String,
    line1: String,
    #[serde(default)]
    line2: Option<String>,
    city: String,
    postal_code: String,
    #[serde(default)]
    region: Option<String>,
    country: String,
    payment_method: String,
    currency: String,
    sku: String,
    qty: i64,
    unit_price_minor: i64,
}

/// One order from the file and the file lines it came from (the first is the order's).
#[derive(Debug, Clone)]
pub struct CsvOrder {
    pub order: OrderIn,
    pub lines: Vec<u64>,
}

/// What a file holds: the orders whose every row is good, the problems, and every line
/// of an order that has a bad row (the whole order is left out, never part of it).
#[derive(Debug, Default)]
pub struct Parsed {
    pub orders: Vec<CsvOrder>,
    pub errors: Vec<RowError>,
    pub rejected_lines: std::collections::BTreeSet<u64>,
}

/// A problem with one line of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: u64,
    pub message: String,
}

/// Parses the whole file: the orders, and every row that cannot be part of one.
pub fn parse(text: &str) -> Parsed {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut errors = Vec::new();
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            errors.push(RowError {
                line: 1,
                message: format!("cannot read the header: {e}"),
            });
            return Parsed {
                errors,
                ..Parsed::default()
            };
        }
    };
    let optional = ["phone", "line2", "region"];
    let missing: Vec<&str> = COLUMNS
        .iter()
        .filter(|c| !optional.contains(c) && !headers.iter().any(|h| h == **c))
        .copied()
        .collect();
    let unknown: Vec<&str> = headers.iter().filter(|h| !COLUMNS.contains(h)).collect();
    if !missing.is_empty() || !unknown.is_empty() {
        let mut parts = Vec::new();
        if !missing.is_empty() {
            parts.push(format!("missing columns: {}", missing.join(", ")));
        }
        if !unknown.is_empty() {
            parts.push(format!("unknown columns: {}", unknown.join(", ")));
        }
        errors.push(RowError {
            line: 1,
            message: parts.join("; "),
        });
        return Parsed {
            errors,
            ..Parsed::default()
        };
    }
    let mut orders: Vec<CsvOrder> = Vec::new();
    // Orders with a bad row, by (channel, channel_order_no), and the lines seen for each.
    let mut bad: std::collections::HashSet<(String, String)> = Default::default();
    let mut lines_of: std::collections::HashMap<(String, String), Vec<u64>> = Default::default();
    let column = |name: &str| headers.iter().position(|h| h == name);
    let (channel_at, number_at) = (column("channel"), column("channel_order_no"));
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                errors.push(RowError {
                    line,
                    message: describe(&e),
                });
                continue;
            }
        };
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let raw_key = (
            channel_at
                .and_then(|i| record.get(i))
                .unwrap_or("")
                .trim()
                .to_string(),
            number_at
                .and_then(|i| record.get(i))
                .unwrap_or("")
                .trim()
                .to_string(),
        );
        lines_of.entry(raw_key.clone()).or_default().push(line);
        let row: Row = match record.deserialize(Some(&headers)) {
            Ok(row) => row,
            Err(e) => {
                errors.push(RowError {
                    line,
                    message: describe(&e),
                });
                bad.insert(raw_key);
                continue;
            }
        };
        if row.channel_order_no.is_empty() || row.channel.is_empty() {
            errors.push(RowError {
                line,
                message: "channel and channel_order_no are required: they group rows into orders"
                    .into(),
            });
            continue;
        }
        let line_in = OrderLineIn {
            sku: row.sku.clone(),
            qty: row.qty,
            unit_price_minor: row.unit_price_minor,
        };
        let existing = orders.iter_mut().find(|o| {
            o.order.channel == row.channel
                && o.order.channel_order_no.as_deref() == Some(row.channel_order_no.as_str())
        });
        match existing {
            Some(o) => {
                let a = &o.order.ship_to;
                let same_order = o.order.customer.email == row.email
                    && o.order.customer.name == row.customer_name
                    && o.order.payment_method == row.payment_method
                    && o.order.currency == row.currency
                    && (
                        a.name.as_str(),
                        a.line1.as_str(),
                        a.city.as_str(),
                        a.postal_code.as_str(),
                        a.country.as_str(),
                    ) == (
                        row.ship_name.as_str(),
                        row.line1.as_str(),
                        row.city.as_str(),
                        row.postal_code.as_str(),
                        row.country.as_str(),
                    );
                if !same_order {
                    bad.insert(raw_key);
                    errors.push(RowError {
                        line,
                        message: format!(
                            "order {} on line {} has another customer, address, payment or currency",
                            row.channel_order_no, o.lines[0]
                        ),
                    });
                    continue;
                }
                o.order.lines.push(line_in);
                o.lines.push(line);
            }
            None => orders.push(CsvOrder {
                order: OrderIn {
                    channel: row.channel,
                    channel_order_no: Some(row.channel_order_no),
                    customer: CustomerIn {
                        name: row.customer_name,
                        email: row.email,
                        phone: row.phone.filter(|p| !p.is_empty()),
                    },
                    ship_to: Address {
                        name: row.ship_name,
                        line1: row.line1,
                        line2: row.line2.filter(|l| !l.is_empty()),
                        city: row.city,
                        postal_code: row.postal_code,
                        region: row.region.filter(|r| !r.is_empty()),
                        country: row.country,
                    },
                    payment_method: row.payment_method,
                    currency: row.currency,
                    lines: vec![line_in],
                },
                lines: vec![line],
            }),
        }
    }
    let mut rejected_lines = std::collections::BTreeSet::new();
    for key in &bad {
        rejected_lines.extend(lines_of.get(key).into_iter().flatten().copied());
    }
    rejected_lines.extend(errors.iter().map(|e| e.line));
    orders.retain(|o| {
        !bad.contains(&(
            o.order.channel.clone(),
            o.order.channel_order_no.clone().unwrap_or_default(),
        ))
    });
    Parsed {
        orders,
        errors,
        rejected_lines,
    }
}

fn describe(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Deserialize { err, .. } => match err.field() {
            Some(i) => format!("column {} ({}): {}", i + 1, COLUMN_HINT, err.kind()),
            None => err.to_string(),
        },
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!("{len} fields where the header has {expected_len}")
        }
        _ => e.to_string(),
    }
}

const COLUMN_HINT: &str = "numbers are whole units and cents";

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "channel,channel_order_no,customer_name,email,phone,ship_name,line1,line2,city,postal_code,region,country,payment_method,currency,sku,qty,unit_price_minor\n";

    #[test]
    fn rows_group_into_orders_with_their_line_numbers() {
        let text = format!(
            "{HEADER}web,W-1,Anna,anna@example.com,,Anna,\"Damrak 1, 2nd floor\",,Amsterdam,1012 AB,,NL,card,EUR,TEA-1001,2,1290\n\
             web,W-2,陳志明,chen@example.tw,,陳志明,松仁路100號,,台北市,110,,TW,cod,EUR,KIT-1001,1,3490\n\
             web,W-1,Anna,anna@example.com,,Anna,\"Damrak 1, 2nd floor\",,Amsterdam,1012 AB,,NL,card,EUR,STA-1001,1,250\n"
        );
        let Parsed { orders, errors, .. } = parse(&text);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(orders.len(), 2);
        assert_eq!(orders[0].lines, vec![2, 4]);
        assert_eq!(orders[0].order.lines.len(), 2);
        assert_eq!(orders[0].order.ship_to.line1, "Damrak 1, 2nd floor");
        assert_eq!(orders[1].order.customer.name, "陳志明");
    }

    #[test]
    fn bad_rows_are_reported_with_their_line() {
        let text = format!(
            "{HEADER}web,W-1,Anna,anna@example.com,,Anna,Damrak 1,,Amsterdam,1012 AB,,NL,card,EUR,TEA-1001,two,1290\n\
             web,W-2,Bo,bo@example.com,,Bo,Damrak 2,,Amsterdam,1012 AB,,NL,card,EUR\n\
             web,,Cy,cy@example.com,,Cy,Damrak 3,,Amsterdam,1012 AB,,NL,card,EUR,TEA-1001,1,1290\n"
        );
        let Parsed { orders, errors, .. } = parse(&text);
        assert!(orders.is_empty());
        let lines: Vec<u64> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![2, 3, 4], "{errors:?}");
        assert!(errors[0].message.contains("column 16"), "{errors:?}");
        assert!(
            errors[1]
                .message
                .contains("14 fields where the header has 17"),
            "{errors:?}"
        );
    }

    #[test]
    fn a_wrong_header_is_one_clear_error() {
        let errors = parse("channel,order,sku\nweb,1,TEA\n").errors;
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0]
                .message
                .contains("missing columns: channel_order_no"),
            "{errors:?}"
        );
        assert!(
            errors[0].message.contains("unknown columns: order"),
            "{errors:?}"
        );
    }

    #[test]
    fn an_order_with_one_bad_row_is_left_out_whole() {
        let text = format!(
            "{HEADER}web,W-1,Anna,anna@example.com,,Anna,Damrak 1,,Amsterdam,1012 AB,,NL,card,EUR,TEA-1001,2,1290\n\
             web,W-1,Anna,anna@example.com,,Anna,Damrak 1,,Amsterdam,1012 AB,,NL,card,EUR,TEA-1002,two,1290\n\
             web,W-2,Bo,bo@example.com,,Bo,Damrak 2,,Amsterdam,1012 AB,,NL,card,EUR,TEA-1001,1,1290\n\
             web,W-2,Bo,bo@example.com,,Bo,Damrak 2,,Utrecht,3511 AA,,NL,card,EUR,TEA-1003,1,1290\n\
             web,W-3,Cy,cy@example.com,,Cy,Damrak 3,,Amsterdam,1012 AB,,NL,card,EUR,TEA-1001,1,1290\n"
        );
        let parsed = parse(&text);
        let kept: Vec<_> = parsed
            .orders
            .iter()
            .map(|o| o.order.channel_order_no.clone().unwrap_or_default())
            .collect();
        assert_eq!(kept, vec!["W-3"]);
        assert_eq!(
            parsed.rejected_lines.into_iter().collect::<Vec<_>>(),
            vec![2, 3, 4, 5]
        );
        assert_eq!(
            parsed.errors.iter().map(|e| e.line).collect::<Vec<_>>(),
            vec![3, 5]
        );
    }
}
