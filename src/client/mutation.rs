//! Every change the console makes is a `Mutation`: typed, with a UUIDv7 id made where it is
//! created. The client sends the id as the `Idempotency-Key`, so a retry is applied once.
//! Panes never call HTTP themselves; this is the one path (and where an outbox will go).

use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Move an order along its lifecycle: approve, hold, release, cancel, …
    OrderStatus {
        order: String,
        to: String,
        reason: Option<String>,
    },
    /// Route an order again with the rules in force.
    Reroute { order: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mutation {
    pub id: Uuid,
    pub change: Change,
}

impl Mutation {
    pub fn new(change: Change) -> Mutation {
        Mutation {
            id: Uuid::now_v7(),
            change,
        }
    }
}
