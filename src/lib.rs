//! backroom: the back room of an online shop. See DESIGN.md for the map.

pub mod api;
pub mod client;
pub mod console;
pub mod domain;
pub mod server;
pub mod store;
pub mod storefront;
