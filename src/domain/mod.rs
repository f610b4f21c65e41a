//! Pure business rules: types, validation, state, arithmetic. No I/O, no async, no SQL.

pub mod barcode;
pub mod location;
pub mod money;
pub mod order;
pub mod role;
pub mod user;
