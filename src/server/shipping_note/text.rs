//! The shipping note as 72-column text.

use std::fmt::Write;

use super::ShippingNote;

pub fn render_text(note: &ShippingNote) -> String {
    let mut out = String::new();
    // "SHIPPING NOTE 發貨單" is 20 columns wide: the three characters take two each.
    let _ = writeln!(out, "SHIPPING NOTE 發貨單{:>52}", note.number);
    let _ = writeln!(out, "{}", "=".repeat(72));
    let _ = writeln!(out, "Placed   {}    Ship by {}", note.placed, note.ship_by);
    let _ = writeln!(
        out,
        "Carrier  {}    Priority {}    Channel {}",
        note.carrier, note.priority, note.channel
    );
    if let Some(tracking) = &note.tracking_no {
        let _ = writeln!(out, "Tracking {tracking}");
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "Ship to");
    for line in &note.ship_to {
        let _ = writeln!(out, "  {line}");
    }
    let _ = writeln!(out);
    if note.pick_column {
        let _ = writeln!(out, " #  SKU        Qty  Pick from           Item");
    } else {
        let _ = writeln!(out, " #  SKU        Qty  Item");
    }
    let _ = writeln!(out, "{}", "-".repeat(72));
    for l in &note.lines {
        if note.pick_column {
            let picks = if l.pick_from.is_empty() {
                "-".to_string()
            } else {
                l.pick_from.join(" ")
            };
            let _ = writeln!(
                out,
                "{:>2}  {:<9} {:>4}  {:<18}  {}",
                l.line_no, l.sku, l.qty, picks, l.name
            );
        } else {
            let _ = writeln!(
                out,
                "{:>2}  {:<9} {:>4}  {}",
                l.line_no, l.sku, l.qty, l.name
            );
        }
        if l.backordered > 0 {
            let _ = writeln!(
                out,
                "{:>18}  {} back-ordered: ships later",
                "", l.backordered
            );
        }
    }
    let _ = writeln!(out, "{}", "-".repeat(72));
    let _ = writeln!(out, "Items {}", note.items);
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "Picked by ____________   Packed by ____________   Checked by ____________"
    );
    out
}
