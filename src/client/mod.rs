//! What a console needs to talk to a server: a typed REST client and where its sign-in is
//! kept between runs.

mod feed;
mod mutation;
mod rest;
mod stock;
pub mod token_store;

pub use feed::EventFeed;
pub use mutation::{Applied, Change, Mutation, StockChange};
pub use rest::{Client, ClientError, OrderQuery};
pub use stock::{Loaded, Lookup};
pub use token_store::{StoredSession, TokenStore};
