//! The stock ledger: every change of stock is one movement row, written in the same
//! transaction as the balances it changes, through `post` and nowhere else. The schema
//! keeps balances from going negative and the ledger from being edited.

use jiff::Timestamp;
use rusqlite::{OptionalExtension, params};

use super::Transaction;

use super::{Result, StoreError, micros};
use crate::domain::stock::MovementKind;

/// Whether the units moved are free stock or units reserved for an order; reserved units
/// take their reservation with them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Units {
    Free,
    Reserved,
}

pub(super) struct Movement<'a> {
    pub product_id: &'a str,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub qty: i64,
    pub units: Units,
    pub kind: MovementKind,
    pub reference: Option<&'a str>,
    pub lot: Option<&'a str>,
    pub expiry: Option<&'a str>,
    pub actor: &'a str,
    pub at: Timestamp,
}

/// Writes the movement and changes the balances at both ends; refuses, changing nothing,
/// when the source does not hold the units.
pub(super) fn post(tx: &Transaction, m: &Movement) -> Result<i64> {
    if m.qty <= 0 {
        return Err(StoreError::Invalid(format!(
            "a movement moves at least one unit, not {}",
            m.qty
        )));
    }
    if m.from.is_none() && m.to.is_none() {
        return Err(StoreError::Invalid(
            "a movement needs a location to come from or go to".into(),
        ));
    }
    if m.from.is_some() && m.from == m.to {
        return Err(StoreError::Invalid(
            "the units are already there: from and to are the same location".into(),
        ));
    }
    if let Some(from) = m.from {
        let taken = match m.units {
            Units::Free => tx.execute(
                "UPDATE stock_balances SET on_hand = on_hand - ?3, version = version + 1
                 WHERE product_id = ?1 AND location_id = ?2 AND on_hand - reserved >= ?3",
                params![m.product_id, from, m.qty],
            )?,
            Units::Reserved => tx.execute(
                "UPDATE stock_balances SET on_hand = on_hand - ?3, reserved = reserved - ?3, version = version + 1
                 WHERE product_id = ?1 AND location_id = ?2 AND reserved >= ?3",
                params![m.product_id, from, m.qty],
            )?,
        };
        if taken != 1 {
            return Err(not_there(tx, m, from)?);
        }
    }
    if let Some(to) = m.to {
        let reserved = if m.units == Units::Reserved { m.qty } else { 0 };
        tx.execute(
            "INSERT INTO stock_balances (product_id, location_id, on_hand, reserved, version) VALUES (?1, ?2, ?3, ?4, 1)
             ON CONFLICT (product_id, location_id) DO UPDATE SET
                on_hand = on_hand + excluded.on_hand, reserved = reserved + excluded.reserved, version = version + 1",
            params![m.product_id, to, m.qty, reserved],
        )?;
    }
    tx.execute(
        "INSERT INTO stock_movements (at, product_id, from_location_id, to_location_id, qty, kind, reference, actor, lot, expiry)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            micros(m.at),
            m.product_id,
            m.from,
            m.to,
            m.qty,
            m.kind.as_str(),
            m.reference,
            m.actor,
            m.lot,
            m.expiry
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

/// Says how many units the location does have, in the words of the floor.
fn not_there(tx: &Transaction, m: &Movement, from: &str) -> Result<StoreError> {
    let (code, sku): (String, String) = tx.query_row(
        "SELECT (SELECT code FROM locations WHERE id = ?2), (SELECT sku FROM products WHERE id = ?1)",
        params![m.product_id, from],
        |r| Ok((r.get::<_, Option<String>>(0)?.unwrap_or_default(), r.get::<_, Option<String>>(1)?.unwrap_or_default())),
    )?;
    let held: Option<(i64, i64)> = tx
        .query_row(
            "SELECT on_hand, reserved FROM stock_balances WHERE product_id = ?1 AND location_id = ?2",
            params![m.product_id, from],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (on_hand, reserved) = held.unwrap_or((0, 0));
    Ok(StoreError::Conflict(match m.units {
        Units::Free if reserved > 0 => format!(
            "{code} has {on_hand} of {sku}, {reserved} of them reserved for orders: {} can move, not {}",
            on_hand - reserved,
            m.qty
        ),
        Units::Free => format!("{code} has {on_hand} of {sku}, not {}", m.qty),
        Units::Reserved => format!("{code} holds {reserved} of {sku} for orders, not {}", m.qty),
    }))
}

/// The newest movement's id: the ledger's position, for telling whether stock moved since.
pub(super) fn mark(tx: &Transaction) -> Result<i64> {
    Ok(tx.query_row(
        "SELECT COALESCE(max(id), 0) FROM stock_movements",
        [],
        |r| r.get(0),
    )?)
}

/// Whether any movement after `mark` touched the product at the location.
pub(super) fn moved_since(
    tx: &Transaction,
    product_id: &str,
    location_id: &str,
    mark: i64,
) -> Result<bool> {
    Ok(tx
        .prepare_cached(
            "SELECT 1 FROM stock_movements WHERE id > ?3 AND product_id = ?1
               AND (from_location_id = ?2 OR to_location_id = ?2) LIMIT 1",
        )?
        .exists(params![product_id, location_id, mark])?)
}
