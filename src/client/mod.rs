//! What a console needs to talk to a server: a typed REST client, where its sign-in is
//! kept between runs, and the outbox its changes wait in until the server has them.

mod batch;
mod catalogue;
mod feed;
pub mod local_cache;
pub mod local_view;
mod lookup;
mod mutation;
mod purchasing;
mod rest;
mod service_desk;
mod stock;
mod stocktake;
mod sync;
pub mod token_store;

pub use catalogue::Catalogue;
pub use feed::EventFeed;
pub use local_cache::{CacheCounts, CacheError, LocalCache, SetAside};
pub use local_view::KnownProduct;
pub use lookup::{Loaded, Lookup};
pub use mutation::{
    Applied, Change, CountChange, DeskChange, Mutation, PurchasingChange, StockChange,
};
pub use rest::{Client, ClientError, OrderQuery};
pub use sync::{Link, SyncEvent, SyncStatus, run_sync};
pub use token_store::{StoredSession, TokenStore};
