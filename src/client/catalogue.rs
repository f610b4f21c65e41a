//! The catalogue as this terminal holds it: products and locations, fetched from the
//! server's catalogue feed by cursor and kept in the local cache, so scans are named and
//! checked while the server is away.

use std::collections::{HashMap, HashSet};

use super::local_view::KnownProduct;
use super::rest::{Client, ClientError};
use crate::api::{CatalogChanges, CatalogProduct};
use crate::domain::barcode::Gtin;

/// How much of the feed one request asks for.
const PAGE: u32 = 2_000;

impl Client {
    /// What changed in the catalogue after `after` (0: everything).
    pub async fn catalog_changes(&self, after: i64) -> Result<CatalogChanges, ClientError> {
        self.get(
            "api/v1/catalog/changes",
            &[("after", after.to_string()), ("limit", PAGE.to_string())],
        )
        .await
    }
}

/// Products by SKU and by GTIN, and location codes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Catalogue {
    products: Vec<CatalogProduct>,
    by_sku: HashMap<String, usize>,
    by_gtin: HashMap<String, usize>,
    locations: HashSet<String>,
}

impl Catalogue {
    pub fn new(products: Vec<CatalogProduct>, locations: impl IntoIterator<Item = String>) -> Self {
        let mut by_sku = HashMap::with_capacity(products.len());
        let mut by_gtin = HashMap::with_capacity(products.len());
        for (i, p) in products.iter().enumerate() {
            by_sku.insert(p.sku.clone(), i);
            if let Some(gtin) = p.barcode.as_deref().and_then(|b| Gtin::parse(b).ok()) {
                by_gtin.insert(gtin.gtin14().to_string(), i);
            }
        }
        Catalogue {
            products,
            by_sku,
            by_gtin,
            locations: locations.into_iter().collect(),
        }
    }

    /// Nothing fetched yet: nothing can be checked against it.
    pub fn is_empty(&self) -> bool {
        self.products.is_empty()
    }

    pub fn len(&self) -> usize {
        self.products.len()
    }

    /// The product a scan or a typed SKU stands for: by SKU, or by its GTIN in any form.
    pub fn product(&self, scanned: &str) -> Option<KnownProduct> {
        let index = self.by_sku.get(scanned).or_else(|| {
            Gtin::parse(scanned)
                .ok()
                .and_then(|g| self.by_gtin.get(g.gtin14()))
        })?;
        let p = &self.products[*index];
        Some(KnownProduct {
            sku: p.sku.clone(),
            name: p.name.clone(),
            barcode: p.barcode.clone(),
        })
    }

    pub fn has_location(&self, code: &str) -> bool {
        self.locations.contains(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalogue() -> Catalogue {
        Catalogue::new(
            vec![CatalogProduct {
                sku: "TEA-1001".into(),
                name: "Sencha".into(),
                category: "tea".into(),
                barcode: Some("4712345000008".into()),
                active: true,
            }],
            ["A-01-01".to_string()],
        )
    }

    #[test]
    fn a_product_is_found_by_sku_by_its_barcode_and_by_the_same_gtin_in_a_longer_form() {
        let c = catalogue();
        for code in ["TEA-1001", "4712345000008", "04712345000008"] {
            assert_eq!(
                c.product(code).map(|p| p.sku),
                Some("TEA-1001".into()),
                "{code}"
            );
        }
        assert_eq!(c.product("4006381333931"), None);
        assert!(c.has_location("A-01-01") && !c.has_location("Z-99"));
        assert!(!c.is_empty() && Catalogue::default().is_empty());
    }
}
