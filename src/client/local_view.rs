//! What a change does to what the console last read, before the server has it. The same
//! rules move a pane at once and lay the changes still waiting over the answers kept on
//! disk when they are read, so a count or a pick shows offline and after a restart; the
//! server's next answer replaces both.

use super::lookup::Loaded;
use super::mutation::{Change, CountChange};
use crate::api::{CountLine, PickList, Stocktake};
use crate::domain::barcode::Gtin;

/// A product as this terminal knows it, to name a scan the server has not seen yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownProduct {
    pub sku: String,
    pub name: String,
    pub barcode: Option<String>,
}

/// Applies `change` to a read's answer; whether anything changed.
pub fn apply(
    change: &Change,
    loaded: &mut Loaded,
    known: &dyn Fn(&str) -> Option<KnownProduct>,
) -> bool {
    match (change, loaded) {
        // Numbers are unique: the first stocktake the change applies to is the only one.
        (Change::Count(count), Loaded::Stocktakes(list)) => {
            list.iter_mut().any(|st| count_into(count, st, known))
        }
        (Change::Count(count), Loaded::Stocktake(st)) => count_into(count, st, known),
        (_, Loaded::HeldPickList(Some(list))) => pick_into(change, list),
        _ => false,
    }
}

/// How the keys (`Lookup::cache_key`) of the reads a change can touch begin.
const STOCKTAKE_READS: &str = "lookup {\"Stocktake";
const PICK_LIST_READS: &str = "lookup \"HeldPickList\"";

/// Whether a kept read (by its key, `Lookup::cache_key`) can hold what `change` touches: a
/// cheap filter, so a change is only laid over the answers it can move.
pub fn may_touch(change: &Change, key: &str) -> bool {
    let reads = match change {
        Change::Count(
            CountChange::StartCount { .. }
            | CountChange::Count { .. }
            | CountChange::CloseCount { .. },
        ) => STOCKTAKE_READS,
        Change::Pick { .. }
        | Change::PickShort { .. }
        | Change::AssignTote { .. }
        | Change::FinishPickList { .. } => PICK_LIST_READS,
        _ => return false,
    };
    key.starts_with(reads)
}

/// Whether any change can touch a kept read: reading the order queue or a ticket back
/// need not look at the outbox at all.
pub fn may_be_touched(key: &str) -> bool {
    key.starts_with(STOCKTAKE_READS) || key.starts_with(PICK_LIST_READS)
}

/// Whether a line is the product scanned: by SKU, barcode, or the GTIN in another form.
pub fn is_product(sku: &str, barcode: Option<&str>, scanned: &str) -> bool {
    sku == scanned
        || barcode == Some(scanned)
        || Gtin::parse(scanned).is_ok_and(|g| g.is_item(barcode))
}

/// A count change on a stocktake: the location's state and its count lines.
pub fn count_into(
    change: &CountChange,
    st: &mut Stocktake,
    known: &dyn Fn(&str) -> Option<KnownProduct>,
) -> bool {
    match change {
        CountChange::StartCount {
            stocktake,
            location,
        } if *stocktake == st.number => {
            match st.locations.iter_mut().find(|l| l.code == *location) {
                Some(place) if place.state == "pending" => {
                    place.state = "counting".into();
                    true
                }
                _ => false,
            }
        }
        CountChange::Count {
            stocktake,
            location,
            product,
            qty,
            set,
        } if *stocktake == st.number => {
            let line = st.lines.iter_mut().find(|l| {
                l.location == *location && is_product(&l.sku, l.barcode.as_deref(), product)
            });
            match line {
                Some(line) => {
                    line.counted = if *set { *qty } else { line.counted + qty };
                    line.state = "counting".into();
                }
                None => {
                    let named = known(product);
                    st.lines.push(CountLine::counting(
                        location.clone(),
                        named
                            .as_ref()
                            .map_or_else(|| product.clone(), |k| k.sku.clone()),
                        named.as_ref().map(|k| k.name.clone()).unwrap_or_default(),
                        named
                            .and_then(|k| k.barcode)
                            .or_else(|| Gtin::parse(product).is_ok().then(|| product.clone())),
                        *qty,
                    ));
                }
            }
            true
        }
        CountChange::CloseCount {
            stocktake,
            location,
            empty,
        } if *stocktake == st.number => {
            match st.locations.iter_mut().find(|l| l.code == *location) {
                Some(place) if place.state != "closed" => {
                    place.state = "closed".into();
                    place.empty = *empty;
                    true
                }
                _ => false,
            }
        }
        _ => false,
    }
}

/// A pick change on the list in hand: how many units of a line are in the cart, a line
/// reported short, a tote for an order, the list finished.
pub fn pick_into(change: &Change, list: &mut PickList) -> bool {
    match change {
        Change::Pick {
            list: number,
            seq,
            picked,
            lots,
        } if *number == list.number => match list.lines.iter_mut().find(|l| l.seq == *seq) {
            Some(line) => {
                line.picked = *picked;
                line.lots = lots.clone();
                if *picked >= line.qty {
                    line.state = "picked".into();
                }
                true
            }
            None => false,
        },
        Change::PickShort {
            list: number,
            seq,
            picked,
            lots,
            ..
        } if *number == list.number => match list.lines.iter_mut().find(|l| l.seq == *seq) {
            Some(line) => {
                line.state = "short".into();
                line.short = line.qty - picked;
                line.picked = *picked;
                line.lots = lots.clone();
                true
            }
            None => false,
        },
        Change::AssignTote {
            list: number,
            slot,
            tote,
        } if *number == list.number => match list.orders.iter_mut().find(|o| o.slot == *slot) {
            Some(order) => {
                order.tote = Some(tote.clone());
                true
            }
            None => false,
        },
        Change::FinishPickList { list: number } if *number == list.number => {
            list.state = "done".into();
            true
        }
        _ => false,
    }
}

/// A count and a pick list to apply changes to, in tests here and in the local cache.
#[cfg(test)]
pub(crate) mod fixtures {
    use crate::api::{CountLocation, PickLine, PickList, PickListOrder, Stocktake};

    pub fn stocktake() -> Stocktake {
        let place = |code: &str, seq| CountLocation {
            code: code.into(),
            seq,
            state: "pending".into(),
            counter: None,
            not_counter: None,
            started_at: None,
            closed_at: None,
            empty: false,
            products: Vec::new(),
        };
        Stocktake {
            id: "s1".into(),
            number: "ST-000001".into(),
            scope: "zone".into(),
            scope_detail: vec!["A".into()],
            blind: true,
            state: "counting".into(),
            tolerance_qty: 0,
            tolerance_value: 0,
            recount_of: None,
            created_by: "admin".into(),
            created_at: "2026-11-25T08:00:00Z".into(),
            finished_at: None,
            counters: Vec::new(),
            locations: vec![place("A-01-01", 1), place("A-01-02", 2)],
            lines: Vec::new(),
            ledger: None,
        }
    }

    pub fn pick_list() -> PickList {
        PickList {
            id: "p1".into(),
            number: "PL-000001".into(),
            mode: "single".into(),
            state: "claimed".into(),
            picker: Some("picker".into()),
            created_at: "2026-11-25T08:00:00Z".into(),
            claimed_at: None,
            finished_at: None,
            orders: vec![PickListOrder {
                id: "o1".into(),
                number: "SO-1".into(),
                slot: 1,
                status: "picking".into(),
                tote: None,
            }],
            lines: vec![PickLine {
                seq: 1,
                order: "SO-1".into(),
                slot: 1,
                line_no: 1,
                sku: "TEA-1001".into(),
                name: "Sencha".into(),
                barcode: Some("4712345000008".into()),
                lot_tracked: false,
                location: "A-01-01".into(),
                qty: 3,
                picked: 0,
                short: 0,
                state: "open".into(),
                lots: Vec::new(),
            }],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{pick_list, stocktake};
    use super::*;
    use crate::client::{Lookup, OrderQuery};

    fn tea(code: &str) -> Option<KnownProduct> {
        (code == "4712345000008").then(|| KnownProduct {
            sku: "TEA-1001".into(),
            name: "Sencha".into(),
            barcode: Some("4712345000008".into()),
        })
    }

    fn count(product: &str, qty: i64, set: bool) -> CountChange {
        CountChange::Count {
            stocktake: "ST-000001".into(),
            location: "A-01-01".into(),
            product: product.into(),
            qty,
            set,
        }
    }

    #[test]
    fn scans_add_up_on_one_line_named_from_the_catalogue_and_a_typed_total_replaces_them() {
        let mut st = stocktake();
        assert!(count_into(&count("4712345000008", 1, false), &mut st, &tea));
        assert!(count_into(&count("TEA-1001", 2, false), &mut st, &tea));
        assert_eq!(st.lines.len(), 1);
        assert_eq!(
            (st.lines[0].sku.as_str(), st.lines[0].name.as_str()),
            ("TEA-1001", "Sencha")
        );
        assert_eq!(st.lines[0].counted, 3);
        count_into(&count("04712345000008", 7, true), &mut st, &tea);
        assert_eq!(st.lines[0].counted, 7, "the GTIN-14 form is the same item");
    }

    #[test]
    fn a_location_is_started_and_closed_once_and_other_stocktakes_are_untouched() {
        let mut st = stocktake();
        let start = CountChange::StartCount {
            stocktake: "ST-000001".into(),
            location: "A-01-01".into(),
        };
        assert!(count_into(&start, &mut st, &tea));
        assert_eq!(st.locations[0].state, "counting");
        let close = CountChange::CloseCount {
            stocktake: "ST-000001".into(),
            location: "A-01-01".into(),
            empty: true,
        };
        assert!(count_into(&close, &mut st, &tea));
        assert!(!count_into(&close, &mut st, &tea));
        assert!(!count_into(&start, &mut st, &tea), "closed stays closed");
        assert!((st.locations[0].state == "closed") && st.locations[0].empty);
        let elsewhere = CountChange::CloseCount {
            stocktake: "ST-000002".into(),
            location: "A-01-02".into(),
            empty: false,
        };
        assert!(!count_into(&elsewhere, &mut st, &tea));
        assert_eq!(st.locations[1].state, "pending");
    }

    #[test]
    fn an_unknown_code_is_counted_under_what_was_scanned() {
        let mut st = stocktake();
        count_into(&count("ABC-9", 2, false), &mut st, &tea);
        assert_eq!(
            (st.lines[0].sku.as_str(), st.lines[0].barcode.as_ref()),
            ("ABC-9", None)
        );
    }

    #[test]
    fn picks_fill_a_line_shorts_close_it_and_a_tote_goes_to_its_slot() {
        let mut list = pick_list();
        let pick = |picked| Change::Pick {
            list: "PL-000001".into(),
            seq: 1,
            picked,
            lots: Vec::new(),
        };
        assert!(pick_into(&pick(2), &mut list));
        assert_eq!(
            (list.lines[0].picked, list.lines[0].state.as_str()),
            (2, "open")
        );
        pick_into(&pick(3), &mut list);
        assert_eq!(list.lines[0].state, "picked");
        let mut shorted = pick_list();
        let short = Change::PickShort {
            list: "PL-000001".into(),
            seq: 1,
            picked: 1,
            reason: "short".into(),
            lots: Vec::new(),
        };
        assert!(pick_into(&short, &mut shorted));
        assert_eq!(
            (shorted.lines[0].state.as_str(), shorted.lines[0].short),
            ("short", 2)
        );
        let tote = Change::AssignTote {
            list: "PL-000001".into(),
            slot: 1,
            tote: "T-7".into(),
        };
        assert!(pick_into(&tote, &mut list));
        assert_eq!(list.orders[0].tote.as_deref(), Some("T-7"));
        let other = Change::Pick {
            list: "PL-000009".into(),
            seq: 1,
            picked: 3,
            lots: Vec::new(),
        };
        assert!(!pick_into(&other, &mut shorted));
    }

    #[test]
    fn only_reads_that_can_hold_the_change_are_opened() {
        let mine = Lookup::Stocktakes { mine: true }.cache_key();
        let one = Lookup::Stocktake("ST-000001".into()).cache_key();
        let orders = OrderQuery::default().cache_key();
        let scan = Change::Count(count("4712345000008", 1, false));
        assert!(may_touch(&scan, &mine));
        assert!(may_touch(&scan, &one));
        assert!(!may_touch(&scan, &orders));
        let plan_review = Change::Count(CountChange::Review {
            stocktake: "ST-000001".into(),
            lines: Vec::new(),
            approve: true,
            reason: None,
        });
        assert!(!may_touch(&plan_review, &mine));
        assert!(may_be_touched(&Lookup::HeldPickList.cache_key()));
        assert!(may_be_touched(&one));
        assert!(!may_be_touched(&orders));
        assert!(!may_be_touched(&Lookup::Alerts.cache_key()));
    }

    /// What was kept stays found after an upgrade: the keys are JSON, not `Debug` text.
    #[test]
    fn cache_keys_are_json() {
        assert_eq!(
            Lookup::Stocktake("ST-000001".into()).cache_key(),
            r#"lookup {"Stocktake":"ST-000001"}"#
        );
        assert_eq!(
            Lookup::Stocktakes { mine: true }.cache_key(),
            r#"lookup {"Stocktakes":{"mine":true}}"#
        );
        assert_eq!(Lookup::HeldPickList.cache_key(), r#"lookup "HeldPickList""#);
        assert!(
            OrderQuery::default()
                .cache_key()
                .starts_with(r#"orders {"statuses":[],"text":"""#)
        );
    }
}
