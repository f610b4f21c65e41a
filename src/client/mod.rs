//! What a console needs to talk to a server: a typed REST client and where its sign-in is
//! kept between runs.

mod feed;
mod lookup;
mod mutation;
mod purchasing;
mod rest;
mod service_desk;
mod stock;
mod stocktake;
pub mod token_store;

pub use feed::EventFeed;
pub use lookup::{Loaded, Lookup};
pub use mutation::{
    Applied, Change, CountChange, DeskChange, Mutation, PurchasingChange, StockChange,
};
pub use rest::{Client, ClientError, OrderQuery};
pub use token_store::{StoredSession, TokenStore};
