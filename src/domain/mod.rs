//! Pure business rules: types, validation, state, arithmetic. No I/O, no async, no SQL.

pub mod barcode;
pub mod business_hours;
pub mod carrier;
pub mod intake;
pub mod intake_policy;
pub mod lifecycle;
pub mod location;
pub mod money;
pub mod order;
pub mod parcel_weight;
pub mod picking;
pub mod replenishment;
pub mod reply_book;
pub mod reply_template;
pub mod role;
pub mod routing;
pub mod service_policy;
pub mod settings_file;
pub mod shipping_label;
pub mod shipping_label_zpl;
pub mod sign_in;
pub mod stock;
pub mod stocktake;
pub mod ticket;
pub mod tracking;
pub mod user;
