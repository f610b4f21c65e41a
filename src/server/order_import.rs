//! Orders from a CSV file, reconciled with the catalogue before any is placed: all of
//! them, or (with `skip_bad`) the good ones, the bad rows going to a rejects file. Prints
//! nothing; the caller reports the outcome.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use jiff::Timestamp;

use super::{check_sent, order_from_wire};
use crate::api::order_csv::{self, RowError};
use crate::domain::intake::Refusal;
use crate::domain::routing::RoutingRules;
use crate::store::{NewOrder, Placed, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Csv(#[from] csv::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Orders from a CSV file, checked against the catalogue: the good ones with their file
/// lines, and every problem pointing at the line it is on.
#[derive(Debug)]
pub struct CheckedCsv {
    pub good: Vec<(NewOrder, Vec<u64>)>,
    pub errors: Vec<RowError>,
    pub rejected_lines: BTreeSet<u64>,
}

pub fn check_csv_orders(store: &Store, text: &str) -> Result<CheckedCsv, StoreError> {
    let order_csv::Parsed {
        orders: parsed,
        mut errors,
        mut rejected_lines,
    } = order_csv::parse(text);
    let mut candidates = Vec::new();
    for csv_order in parsed {
        // The text rules of POST /api/v1/orders hold for imported orders too.
        match check_sent(&csv_order.order).and_then(|()| order_from_wire(csv_order.order)) {
            Ok(order) => candidates.push((order, csv_order.lines)),
            Err(message) => {
                rejected_lines.extend(csv_order.lines.iter().copied());
                errors.push(RowError {
                    line: csv_order.lines[0],
                    message,
                });
            }
        }
    }
    let orders: Vec<_> = candidates.iter().map(|(o, _)| o.clone()).collect();
    let refusals = store.check_orders(&orders)?;
    let mut good = Vec::new();
    for ((order, lines), refused) in candidates.into_iter().zip(refusals) {
        if refused.is_empty() {
            good.push((order, lines));
            continue;
        }
        rejected_lines.extend(lines.iter().copied());
        for r in refused {
            // Line-level refusals point at their row; the rest at the order's first row.
            let at = match &r {
                Refusal::Quantity { line, .. }
                | Refusal::Price { line }
                | Refusal::UnknownSku { line, .. }
                | Refusal::RepeatedSku { line, .. } => lines
                    .get(line.saturating_sub(1))
                    .copied()
                    .unwrap_or(lines[0]),
                _ => lines[0],
            };
            let text = r.to_string();
            // "line 2: unknown SKU" names the order's line; the report names the file's.
            let message = match text.split_once(": ") {
                Some((head, rest)) if head.starts_with("line ") => rest.to_string(),
                _ => text,
            };
            errors.push(RowError { line: at, message });
        }
    }
    errors.sort_by_key(|e| e.line);
    rejected_lines.extend(errors.iter().map(|e| e.line));
    Ok(CheckedCsv {
        good,
        errors,
        rejected_lines,
    })
}

/// One import: the file's text, and the file itself for the actor's name and the
/// default rejects path.
pub struct ImportOrders<'a> {
    pub file: &'a Path,
    pub text: &'a str,
    /// Import the good orders and write the bad rows to the rejects file.
    pub skip_bad: bool,
    /// Where bad rows go (default: the file with `.rejects.csv`).
    pub rejects: Option<&'a Path>,
}

#[derive(Debug)]
pub enum ImportOutcome {
    /// Some rows are bad and `skip_bad` was not given: nothing was imported.
    Refused {
        errors: Vec<RowError>,
    },
    Imported(Imported),
}

#[derive(Debug)]
pub struct Imported {
    pub created: usize,
    /// Orders the channel had sent before; skipped.
    pub duplicates: usize,
    /// With bad rows skipped: where they went and how many, or why they could not be
    /// written (the good orders are in by then).
    pub rejects: Option<Result<RejectsFile, ImportError>>,
}

#[derive(Debug)]
pub struct RejectsFile {
    pub path: PathBuf,
    pub rows: usize,
}

/// Checks every row, then places the good orders in one transaction (none if any row is
/// bad, unless `skip_bad`).
pub fn import_orders(
    store: &Store,
    rules: &RoutingRules,
    import: &ImportOrders,
    now: Timestamp,
) -> Result<ImportOutcome, ImportError> {
    let CheckedCsv {
        good,
        errors,
        rejected_lines,
    } = check_csv_orders(store, import.text)?;
    let good: Vec<NewOrder> = good.into_iter().map(|(o, _)| o).collect();
    if !errors.is_empty() && !import.skip_bad {
        return Ok(ImportOutcome::Refused { errors });
    }
    let actor = format!(
        "import:{}",
        import
            .file
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default()
    );
    let placed = store.place_orders(&good, rules, &actor, now)?;
    let duplicates = placed
        .iter()
        .filter(|p| matches!(p, Placed::Duplicate(_)))
        .count();
    let rejects = (!errors.is_empty()).then(|| {
        let path = import
            .rejects
            .map(Path::to_path_buf)
            .unwrap_or_else(|| import.file.with_extension("rejects.csv"));
        write_rejects(import.text, &path, &rejected_lines, &errors).map(|()| RejectsFile {
            path,
            rows: rejected_lines.len(),
        })
    });
    Ok(ImportOutcome::Imported(Imported {
        created: placed.len() - duplicates,
        duplicates,
        rejects,
    }))
}

/// Files with customers' data in them are created for their owner alone.
pub fn private_file(options: &mut std::fs::OpenOptions) -> &mut std::fs::OpenOptions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600)
    }
    #[cfg(not(unix))]
    options
}

/// Rejected rows as they were, with an `error` column, so they can be fixed and imported again.
pub fn write_rejects(
    text: &str,
    path: &Path,
    rejected: &BTreeSet<u64>,
    errors: &[RowError],
) -> Result<(), ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    // Rejected rows are customers' names, e-mails and addresses.
    let file = private_file(
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true),
    )
    .open(path)
    .map_err(|source| ImportError::Write {
        path: path.to_path_buf(),
        source,
    })?;
    let mut writer = csv::Writer::from_writer(file);
    let mut header = reader.headers()?.clone();
    header.push_field("error");
    writer.write_record(&header)?;
    for record in reader.records() {
        let Ok(mut record) = record else { continue };
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        if !rejected.contains(&line) {
            continue;
        }
        let reasons: Vec<&str> = errors
            .iter()
            .filter(|e| e.line == line)
            .map(|e| e.message.as_str())
            .collect();
        let reason = if reasons.is_empty() {
            "another row of this order is bad".to_string()
        } else {
            reasons.join("; ")
        };
        record.push_field(&reason);
        writer.write_record(&record)?;
    }
    writer.flush()?;
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::server::built_in_rules;

    pub(crate) const HEADER: &str = "channel,channel_order_no,customer_name,email,phone,ship_name,line1,line2,city,postal_code,region,country,payment_method,currency,sku,qty,unit_price_minor\n";

    pub(crate) fn row(no: &str, sku: &str, qty: &str) -> String {
        format!(
            "web,{no},Camille Dubois,camille.{no}@example.com,,Camille Dubois,\"12 Rue Oberkampf, bât. B\",,Paris,75011,,FR,card,EUR,{sku},{qty},1290\n"
        )
    }

    /// The sample shop on a real database file in a temp dir.
    pub(crate) fn seeded() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("shop.db")).unwrap();
        store.seed_sample_data(Timestamp::now()).unwrap();
        (dir, store)
    }

    /// Line 2 good, line 3 a bad quantity, lines 4–5 one order with an unknown SKU.
    fn mixed() -> String {
        format!(
            "{HEADER}{}{}{}{}",
            row("C-1", "TEA-1001", "2"),
            row("C-2", "TEA-1002", "0"),
            row("C-3", "KIT-1001", "1"),
            row("C-3", "NOPE-9", "1"),
        )
    }

    #[test]
    fn checking_points_every_problem_at_its_file_line() {
        let (_dir, store) = seeded();
        let checked = check_csv_orders(&store, &mixed()).unwrap();
        let good: Vec<_> = checked
            .good
            .iter()
            .map(|(o, l)| (o.channel_order_no.clone(), l.clone()))
            .collect();
        assert_eq!(good, [(Some("C-1".to_string()), vec![2])]);
        assert_eq!(
            checked.errors,
            [
                RowError {
                    line: 3,
                    message: "quantity must be between 1 and 10000, not 0".into()
                },
                RowError {
                    line: 5,
                    message: "unknown SKU \"NOPE-9\"".into()
                },
            ]
        );
        assert_eq!(checked.rejected_lines, BTreeSet::from([3, 4, 5]));
    }

    #[test]
    fn a_bad_row_without_skip_bad_imports_nothing() {
        let (dir, store) = seeded();
        let before = store.order_count().unwrap();
        let file = dir.path().join("orders.csv");
        let text = mixed();
        let import = ImportOrders {
            file: &file,
            text: &text,
            skip_bad: false,
            rejects: None,
        };
        let outcome = import_orders(&store, &built_in_rules(), &import, Timestamp::now()).unwrap();
        let ImportOutcome::Refused { errors } = outcome else {
            panic!("imported: {outcome:?}");
        };
        assert_eq!(errors.iter().map(|e| e.line).collect::<Vec<_>>(), [3, 5]);
        assert_eq!(store.order_count().unwrap(), before);
        assert!(!file.with_extension("rejects.csv").exists());
    }

    #[test]
    fn skip_bad_imports_the_good_and_writes_the_bad_rows_privately() {
        let (dir, store) = seeded();
        let before = store.order_count().unwrap();
        let file = dir.path().join("orders.csv");
        let text = mixed();
        let import = ImportOrders {
            file: &file,
            text: &text,
            skip_bad: true,
            rejects: None,
        };
        let outcome = import_orders(&store, &built_in_rules(), &import, Timestamp::now()).unwrap();
        let ImportOutcome::Imported(imported) = outcome else {
            panic!("refused: {outcome:?}");
        };
        assert_eq!((imported.created, imported.duplicates), (1, 0));
        assert_eq!(store.order_count().unwrap(), before + 1);
        let rejects = imported.rejects.expect("bad rows").unwrap();
        assert_eq!(rejects.path, dir.path().join("orders.rejects.csv"));
        assert_eq!(rejects.rows, 3);
        let written = std::fs::read_to_string(&rejects.path).unwrap();
        let expected = [
            format!("{}error", HEADER.replace('\n', ",")),
            format!(
                "{},\"quantity must be between 1 and 10000, not 0\"",
                row("C-2", "TEA-1002", "0").trim_end()
            ),
            format!(
                "{},another row of this order is bad",
                row("C-3", "KIT-1001", "1").trim_end()
            ),
            format!(
                "{},\"unknown SKU \"\"NOPE-9\"\"\"",
                row("C-3", "NOPE-9", "1").trim_end()
            ),
        ];
        assert_eq!(written.lines().collect::<Vec<_>>(), expected);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&rejects.path)
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn an_order_imported_again_is_skipped_as_a_duplicate() {
        let (dir, store) = seeded();
        let file = dir.path().join("orders.csv");
        let text = format!("{HEADER}{}", row("D-1", "TEA-1001", "1"));
        let rejects = dir.path().join("elsewhere.csv");
        let import = ImportOrders {
            file: &file,
            text: &text,
            skip_bad: true,
            rejects: Some(&rejects),
        };
        let rules = built_in_rules();
        for (created, duplicates) in [(1, 0), (0, 1)] {
            let outcome = import_orders(&store, &rules, &import, Timestamp::now()).unwrap();
            let ImportOutcome::Imported(imported) = outcome else {
                panic!("refused: {outcome:?}");
            };
            assert_eq!(
                (imported.created, imported.duplicates),
                (created, duplicates)
            );
            assert!(imported.rejects.is_none());
        }
        assert!(!rejects.exists());
    }
}
