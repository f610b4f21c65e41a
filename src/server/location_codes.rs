//! Location codes (bins and docks: `A-03-09`, `RET-01`) are for callers with
//! `locations.read`. The help desk, analysts and storefronts answer "is it in stock, where is
//! my order" without knowing which bin; a storefront key, the most exposed credential a
//! shop has, learns nothing of the warehouse's layout.
//!
//! Which fields of which answers are location codes is decided here, once: a route says
//! whose answer it builds ([`LocationCodes::for_caller`]) and passes it through
//! [`LocationCodes::applied`]. Routes whose every answer is about places (pick lists,
//! stocktakes) need `locations.read` itself instead.

use serde_json::Value;

use super::auth::Caller;
use super::error::ApiError;
use super::shipping_note::ShippingNote;
use crate::api::{
    CatalogChanges, OrderDetail, Page, Receipt, ReturnBody, StockLevel, StockMovement,
    TicketDetailBody,
};
use crate::domain::role::{Permission, Role};

/// Whether an answer may name locations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocationCodes {
    Shown,
    Hidden,
}

impl LocationCodes {
    pub fn for_caller(caller: &Caller) -> LocationCodes {
        LocationCodes::for_role(caller.user.role)
    }

    pub fn for_role(role: Role) -> LocationCodes {
        if role.allows(Permission::LocationsRead) {
            LocationCodes::Shown
        } else {
            LocationCodes::Hidden
        }
    }

    pub fn shown(self) -> bool {
        self == LocationCodes::Shown
    }

    /// `value` as this caller may see it.
    pub fn applied<T: NamesLocations>(self, mut value: T) -> T {
        if !self.shown() {
            value.hide_location_codes();
        }
        value
    }

    /// A filter by location code asks about a place: whether it exists and what it holds.
    pub fn may_filter_by(self, location: Option<&str>) -> Result<(), ApiError> {
        match location {
            Some(_) if !self.shown() => Err(ApiError::Forbidden(Permission::LocationsRead)),
            _ => Ok(()),
        }
    }

    /// An event's payload as this caller may see it.
    pub fn applied_to_event(self, kind: &str, payload: &mut Value) {
        if self.shown() || CARRIER_PLACES.contains(&kind) {
            return;
        }
        if let Value::Object(fields) = payload {
            fields.retain(|name, _| !EVENT_LOCATION_FIELDS.contains(&name.as_str()));
        }
    }
}

/// Payload fields that name a warehouse location, in whatever event kind they appear
/// (`pick.short` and `return.item_received` carry `location` today): a new kind that names
/// one is hidden without being listed here.
const EVENT_LOCATION_FIELDS: &[&str] = &[
    "location",
    "locations",
    "from_location",
    "to_location",
    "bin",
    "pick_from",
];

/// Kinds whose `location` is not the warehouse's: where the carrier last saw the parcel,
/// which the help desk needs to answer the customer.
const CARRIER_PLACES: &[&str] = &["alert.carrier_exception"];

/// An answer that may name locations.
pub trait NamesLocations {
    /// Removes every location code.
    fn hide_location_codes(&mut self);
}

impl NamesLocations for OrderDetail {
    fn hide_location_codes(&mut self) {
        for line in &mut self.lines {
            line.pick_from = None;
        }
    }
}

impl NamesLocations for StockLevel {
    fn hide_location_codes(&mut self) {
        self.location = None;
    }
}

impl NamesLocations for StockMovement {
    fn hide_location_codes(&mut self) {
        self.from = None;
        self.to = None;
    }
}

impl NamesLocations for Receipt {
    fn hide_location_codes(&mut self) {
        self.location = None;
    }
}

impl NamesLocations for ReturnBody {
    fn hide_location_codes(&mut self) {
        self.received_into = None;
    }
}

impl NamesLocations for CatalogChanges {
    fn hide_location_codes(&mut self) {
        self.locations.clear();
    }
}

impl NamesLocations for ShippingNote {
    fn hide_location_codes(&mut self) {
        self.pick_column = false;
        for line in &mut self.lines {
            line.pick_from.clear();
        }
    }
}

impl NamesLocations for TicketDetailBody {
    fn hide_location_codes(&mut self) {
        self.order.hide_location_codes();
        self.returns.hide_location_codes();
    }
}

impl<T: NamesLocations> NamesLocations for Option<T> {
    fn hide_location_codes(&mut self) {
        if let Some(value) = self {
            value.hide_location_codes();
        }
    }
}

impl<T: NamesLocations> NamesLocations for Vec<T> {
    fn hide_location_codes(&mut self) {
        for value in self {
            value.hide_location_codes();
        }
    }
}

impl<T: NamesLocations> NamesLocations for Page<T> {
    fn hide_location_codes(&mut self) {
        self.items.hide_location_codes();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_roles_without_locations_read_are_the_ones_the_readme_names() {
        let hidden: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| !LocationCodes::for_role(*r).shown())
            .collect();
        assert!(hidden.contains(&Role::Cs));
        assert!(hidden.contains(&Role::Analyst));
        assert!(hidden.contains(&Role::Integration));
        assert!(LocationCodes::for_role(Role::Warehouse).shown());
    }

    #[test]
    fn event_payloads_lose_their_bins_but_keep_the_carriers_word() {
        let mut short =
            json!({ "list": "PL-000001", "sku": "TEA-1001", "location": "A-01-01", "missing": 1 });
        LocationCodes::Hidden.applied_to_event("pick.short", &mut short);
        assert_eq!(
            short,
            json!({ "list": "PL-000001", "sku": "TEA-1001", "missing": 1 })
        );
        let mut kept = json!({ "location": "A-01-01" });
        LocationCodes::Shown.applied_to_event("pick.short", &mut kept);
        assert_eq!(kept["location"], "A-01-01");
        let mut carrier = json!({ "number": "SO-000001", "location": "Taichung hub" });
        LocationCodes::Hidden.applied_to_event("alert.carrier_exception", &mut carrier);
        assert_eq!(carrier["location"], "Taichung hub");
        // A status change's from and to are statuses, not places.
        let mut status = json!({ "from": "picking", "to": "hold" });
        LocationCodes::Hidden.applied_to_event("order.status", &mut status);
        assert_eq!(status, json!({ "from": "picking", "to": "hold" }));
    }

    #[test]
    fn a_filter_by_location_is_a_question_about_places() {
        assert!(
            LocationCodes::Hidden
                .may_filter_by(Some("A-01-01"))
                .is_err()
        );
        assert!(LocationCodes::Hidden.may_filter_by(None).is_ok());
        assert!(LocationCodes::Shown.may_filter_by(Some("A-01-01")).is_ok());
    }
}
