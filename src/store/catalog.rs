//! Products, locations and stock balances.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{Result, Store, StoreError, like_escape};
use crate::domain::money::{Currency, Money};

#[derive(Debug, Clone, PartialEq)]
pub struct ProductRow {
    pub id: String,
    pub sku: String,
    pub name: String,
    pub category: String,
    pub barcode: Option<String>,
    pub price: Money,
    pub safety_stock: i64,
    pub on_hand: i64,
    pub reserved: i64,
}

/// A product as the catalogue feed serves it: what a terminal needs to tell a scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogProductRow {
    pub sku: String,
    pub name: String,
    pub category: String,
    pub barcode: Option<String>,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CatalogChangeRows {
    pub products: Vec<CatalogProductRow>,
    pub locations: Vec<LocationRow>,
    pub cursor: i64,
    pub more: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationRow {
    pub id: String,
    pub code: String,
    pub zone: String,
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockRow {
    pub sku: String,
    pub product_name: String,
    pub barcode: Option<String>,
    pub location: String,
    pub on_hand: i64,
    pub reserved: i64,
}

/// A product's stock summed over every location that holds a balance of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockTotalRow {
    pub sku: String,
    pub product_name: String,
    pub barcode: Option<String>,
    pub on_hand: i64,
    pub reserved: i64,
    /// How many locations hold a balance of it.
    pub locations: i64,
}

/// Product search: `text` matches SKU prefix, name words or an exact barcode.
#[derive(Debug, Clone, Default)]
pub struct ProductSearch<'a> {
    pub text: Option<&'a str>,
    pub category: Option<&'a str>,
    /// SKU of the last product of the previous page.
    pub after_sku: Option<&'a str>,
    pub limit: usize,
}

#[derive(Debug, Clone, Default)]
pub struct StockFilter<'a> {
    pub sku: Option<&'a str>,
    pub location: Option<&'a str>,
    /// (sku, location code) of the last row of the previous page.
    pub after: Option<(&'a str, &'a str)>,
    pub limit: usize,
}

const PRODUCT_SELECT: &str = "SELECT p.id, p.sku, p.name, p.category, p.barcode, p.price_minor,
        p.currency, p.safety_stock,
        COALESCE((SELECT sum(on_hand) FROM stock_balances b WHERE b.product_id = p.id), 0),
        COALESCE((SELECT sum(reserved) FROM stock_balances b WHERE b.product_id = p.id), 0)
    FROM products p";

type RawProduct = (
    String,
    String,
    String,
    String,
    Option<String>,
    i64,
    String,
    i64,
    i64,
    i64,
);

fn raw_product(r: &Row) -> rusqlite::Result<RawProduct> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
    ))
}

fn into_product(raw: RawProduct) -> Result<ProductRow> {
    let (id, sku, name, category, barcode, price_minor, currency, safety_stock, on_hand, reserved) =
        raw;
    let currency = Currency::parse(&currency)
        .map_err(|e| StoreError::Corrupt(format!("product {sku}: {e}")))?;
    Ok(ProductRow {
        id,
        sku,
        name,
        category,
        barcode,
        price: Money::new(price_minor, currency),
        safety_stock,
        on_hand,
        reserved,
    })
}

/// A product key (SKU, id or barcode) and the barcode forms it may be on file as: a scan
/// of AI 01 carries a GTIN-14 where the catalogue holds the EAN-13.
pub(super) fn product_keys(key: &str) -> [String; 5] {
    let key = key.trim();
    let gtin = crate::domain::barcode::Gtin::parse(key).ok();
    let forms = gtin
        .as_ref()
        .map(|g| g.catalogue_forms())
        .unwrap_or_default();
    let form = |i: usize| forms.get(i).copied().unwrap_or(key).to_string();
    [key.to_string(), form(0), form(1), form(2), form(3)]
}

/// Matches `product_keys` bound as ?1 to ?5.
pub(super) const PRODUCT_KEY_MATCH: &str =
    "(p.sku = ?1 OR p.id = ?1 OR p.barcode IN (?2, ?3, ?4, ?5))";

fn product_by_key(c: &Connection, key: &str) -> Result<Option<ProductRow>> {
    let raw = c
        .query_row(
            &format!("{PRODUCT_SELECT} WHERE {PRODUCT_KEY_MATCH}"),
            rusqlite::params_from_iter(product_keys(key)),
            raw_product,
        )
        .optional()?;
    raw.map(into_product).transpose()
}

impl Store {
    pub fn search_products(&self, search: &ProductSearch) -> Result<Vec<ProductRow>> {
        let text = search.text.map(str::trim).filter(|t| !t.is_empty());
        let sku_prefix = text.map(|t| format!("{}%", like_escape(t)));
        let name_part = text.map(|t| format!("%{}%", like_escape(t)));
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "{PRODUCT_SELECT}
                 WHERE p.active = 1
                   AND (?1 IS NULL OR p.sku LIKE ?2 ESCAPE '\\' OR p.name LIKE ?3 ESCAPE '\\' OR p.barcode = ?1)
                   AND (?4 IS NULL OR p.category = ?4)
                   AND p.sku > ?5
                 ORDER BY p.sku LIMIT ?6"
            ))?;
            let raws = stmt
                .query_map(
                    params![
                        text,
                        sku_prefix,
                        name_part,
                        search.category,
                        search.after_sku.unwrap_or(""),
                        search.limit as i64
                    ],
                    raw_product,
                )?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            raws.into_iter().map(into_product).collect()
        })
    }

    /// A product by SKU, id or barcode, with its stock per location, read together.
    pub fn product_with_stock(&self, key: &str) -> Result<Option<(ProductRow, Vec<StockRow>)>> {
        self.read(|c| {
            let Some(product) = product_by_key(c, key)? else {
                return Ok(None);
            };
            let filter = StockFilter {
                sku: Some(&product.sku),
                limit: 1000,
                ..StockFilter::default()
            };
            let stock = stock_rows(c, &filter)?;
            Ok(Some((product, stock)))
        })
    }

    /// Products and locations written after `after` in the catalogue feed, each once in
    /// its latest form, oldest change first; with the sequence number to ask from next.
    pub fn catalog_changes(&self, after: i64, limit: usize) -> Result<CatalogChangeRows> {
        self.read(|c| {
            let changed: Vec<(String, String, i64)> = c
                .prepare_cached(
                    "SELECT kind, key, MAX(seq) AS last FROM catalog_changes WHERE seq > ?1
                     GROUP BY kind, key ORDER BY last LIMIT ?2",
                )?
                .query_map(params![after, limit as i64], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?
                .collect::<rusqlite::Result<_>>()?;
            let mut rows = CatalogChangeRows {
                cursor: changed.last().map_or(after, |(_, _, seq)| *seq),
                more: changed.len() == limit,
                ..CatalogChangeRows::default()
            };
            let mut product = c.prepare_cached(
                "SELECT sku, name, category, barcode, active FROM products WHERE id = ?1",
            )?;
            let mut location =
                c.prepare_cached("SELECT id, code, zone, kind FROM locations WHERE id = ?1")?;
            for (kind, key, _) in &changed {
                if kind == "product" {
                    if let Some(p) = product
                        .query_row([key], |r| {
                            Ok(CatalogProductRow {
                                sku: r.get(0)?,
                                name: r.get(1)?,
                                category: r.get(2)?,
                                barcode: r.get(3)?,
                                active: r.get(4)?,
                            })
                        })
                        .optional()?
                    {
                        rows.products.push(p);
                    }
                } else if let Some(l) = location
                    .query_row([key], |r| {
                        Ok(LocationRow {
                            id: r.get(0)?,
                            code: r.get(1)?,
                            zone: r.get(2)?,
                            kind: r.get(3)?,
                        })
                    })
                    .optional()?
                {
                    rows.locations.push(l);
                }
            }
            Ok(rows)
        })
    }

    pub fn list_locations(
        &self,
        zone: Option<&str>,
        kind: Option<&str>,
        after_code: Option<&str>,
        limit: usize,
    ) -> Result<Vec<LocationRow>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, code, zone, kind FROM locations
                 WHERE (?1 IS NULL OR zone = ?1) AND (?2 IS NULL OR kind = ?2) AND code > ?3
                 ORDER BY code LIMIT ?4",
            )?;
            let rows = stmt
                .query_map(
                    params![zone, kind, after_code.unwrap_or(""), limit as i64],
                    |r| {
                        Ok(LocationRow {
                            id: r.get(0)?,
                            code: r.get(1)?,
                            zone: r.get(2)?,
                            kind: r.get(3)?,
                        })
                    },
                )?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    /// Balances by product and location, ordered by SKU then location code.
    pub fn stock_levels(&self, filter: &StockFilter) -> Result<Vec<StockRow>> {
        self.read(|c| stock_rows(c, filter))
    }

    /// Balances by product, summed over locations, ordered by SKU: the products
    /// [`Store::stock_levels`] lists, once each. `filter.location` is not used and only the
    /// SKU of `filter.after` is.
    pub fn stock_totals(&self, filter: &StockFilter) -> Result<Vec<StockTotalRow>> {
        self.read(|c| {
            let after_sku = filter.after.map_or("", |(sku, _)| sku);
            let mut stmt = c.prepare_cached(
                "SELECT p.sku, p.name, p.barcode, sum(b.on_hand), sum(b.reserved), count(*)
                 FROM stock_balances b
                 JOIN products p ON p.id = b.product_id
                 WHERE (?1 IS NULL OR p.sku = ?1) AND p.sku > ?2
                 GROUP BY p.id
                 ORDER BY p.sku LIMIT ?3",
            )?;
            let rows = stmt
                .query_map(params![filter.sku, after_sku, filter.limit as i64], |r| {
                    Ok(StockTotalRow {
                        sku: r.get(0)?,
                        product_name: r.get(1)?,
                        barcode: r.get(2)?,
                        on_hand: r.get(3)?,
                        reserved: r.get(4)?,
                        locations: r.get(5)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }
}

fn stock_rows(c: &Connection, filter: &StockFilter) -> Result<Vec<StockRow>> {
    let (after_sku, after_loc) = filter.after.unwrap_or(("", ""));
    let mut stmt = c.prepare_cached(
        "SELECT p.sku, p.name, l.code, b.on_hand, b.reserved, p.barcode
         FROM stock_balances b
         JOIN products p ON p.id = b.product_id
         JOIN locations l ON l.id = b.location_id
         WHERE (?1 IS NULL OR p.sku = ?1) AND (?2 IS NULL OR l.code = ?2)
           AND (p.sku > ?3 OR (p.sku = ?3 AND l.code > ?4))
         ORDER BY p.sku, l.code LIMIT ?5",
    )?;
    let rows = stmt
        .query_map(
            params![
                filter.sku,
                filter.location,
                after_sku,
                after_loc,
                filter.limit as i64
            ],
            |r| {
                Ok(StockRow {
                    sku: r.get(0)?,
                    product_name: r.get(1)?,
                    location: r.get(2)?,
                    on_hand: r.get(3)?,
                    reserved: r.get(4)?,
                    barcode: r.get(5)?,
                })
            },
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_feed_pages_by_cursor_and_brings_a_changed_product_once_in_its_latest_form() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("shop.db")).unwrap();
        store.seed_sample_data(jiff::Timestamp::now()).unwrap();
        let (products, locations): (i64, i64) = store
            .read(|c| {
                Ok(c.query_row(
                    "SELECT (SELECT count(*) FROM products), (SELECT count(*) FROM locations)",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?)
            })
            .unwrap();
        let mut cursor = 0;
        let (mut seen_products, mut seen_locations) = (0, 0);
        loop {
            let page = store.catalog_changes(cursor, 7).unwrap();
            assert!(page.products.len() + page.locations.len() <= 7);
            seen_products += page.products.len() as i64;
            seen_locations += page.locations.len() as i64;
            assert!(page.cursor >= cursor);
            cursor = page.cursor;
            if !page.more {
                break;
            }
        }
        assert_eq!((seen_products, seen_locations), (products, locations));
        assert_eq!(store.catalog_changes(cursor, 7).unwrap().products, vec![]);

        // Renamed twice: it comes once, as it is now. Other writes bring nothing.
        store
            .write(|tx| {
                tx.execute(
                    "UPDATE products SET name = 'Sencha' WHERE sku = 'TEA-1001'",
                    [],
                )?;
                tx.execute(
                    "UPDATE products SET name = 'Sencha, 100 g' WHERE sku = 'TEA-1001'",
                    [],
                )?;
                tx.execute(
                    "UPDATE products SET safety_stock = 9 WHERE sku = 'KIT-1001'",
                    [],
                )?;
                Ok(())
            })
            .unwrap();
        let page = store.catalog_changes(cursor, 7).unwrap();
        assert_eq!(page.products.len(), 1, "{page:?}");
        assert_eq!(
            (
                page.products[0].sku.as_str(),
                page.products[0].name.as_str()
            ),
            ("TEA-1001", "Sencha, 100 g")
        );
        assert!(page.cursor > cursor && !page.more);
    }

    #[test]
    fn stock_totals_are_the_levels_summed_per_product_and_page_by_sku() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("shop.db")).unwrap();
        store.seed_sample_data(jiff::Timestamp::now()).unwrap();
        let all = |limit| StockFilter {
            limit,
            ..Default::default()
        };
        let levels = store.stock_levels(&all(100_000)).unwrap();
        let mut expected: std::collections::BTreeMap<String, (i64, i64)> = Default::default();
        for l in &levels {
            let sums = expected.entry(l.sku.clone()).or_default();
            sums.0 += l.on_hand;
            sums.1 += l.reserved;
        }
        let totals = store.stock_totals(&all(100_000)).unwrap();
        let got: std::collections::BTreeMap<String, (i64, i64)> = totals
            .iter()
            .map(|t| (t.sku.clone(), (t.on_hand, t.reserved)))
            .collect();
        assert_eq!(got, expected);
        assert!(levels.len() > totals.len(), "some product is in two places");

        let first = store.stock_totals(&all(3)).unwrap();
        let last = first.last().unwrap().sku.clone();
        let next = store
            .stock_totals(&StockFilter {
                after: Some((&last, "")),
                limit: 3,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(next[0].sku, totals[3].sku);
        let one = store
            .stock_totals(&StockFilter {
                sku: Some(&last),
                limit: 10,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(one.len(), 1);
    }
}
