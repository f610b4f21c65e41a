//! Roles and what each may do. The server checks these on every route; the console uses
//! them only to hide what a role cannot use.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Admin,
    Ops,
    Cs,
    Warehouse,
    /// Runs the floor: stocktakes, their review, adjustments.
    Supervisor,
    Purchasing,
    Analyst,
    Auditor,
    /// A storefront or marketplace posting orders through the API.
    Integration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Permission {
    /// Products, prices and barcodes.
    CatalogRead,
    /// Bin locations and zones.
    LocationsRead,
    /// Stock balances per product and location.
    StockRead,
    /// Orders with their lines and ship-to address.
    OrdersRead,
    /// The audit log.
    AuditRead,
    /// Create, disable and change users.
    UsersManage,
    /// Place orders (storefronts, marketplaces, imports).
    OrdersCreate,
    /// Approve out of CS review, hold, release, cancel, re-route.
    OrdersManage,
    /// Move orders through picking, packing and shipping.
    OrdersFulfil,
    /// Receive goods, put them away, move them between bins.
    StockMove,
    /// Correct stock by hand with a reason.
    StockAdjust,
    /// Count locations in a stocktake.
    StocktakeCount,
    /// Plan stocktakes, see expected quantities, approve variances or send them to recount.
    StocktakeManage,
    /// Turn replenishment alerts into purchase requests or dismiss them; order and cancel.
    PurchasingManage,
    /// Read the help desk without working it — tickets with their conversations, refunds,
    /// returns, the reply book, satisfaction and its report — and change nothing. Working
    /// tickets reads them too: see [`READ_TICKETS`].
    TicketsRead,
    /// Work help-desk tickets: answer, note, take, escalate, resolve; authorise returns;
    /// ask for refunds and replacements.
    TicketsWork,
    /// The supervisor queue: assign tickets to others, approve refunds above the limit.
    TicketsSupervise,
    /// Edit the reply book (FAQ rules, canned replies).
    RepliesManage,
    /// Hand over customers' messages and satisfaction scores (storefront, mail gateway).
    MessagesPost,
    /// KPI reports (satisfaction per agent and team, …).
    ReportsRead,
}

/// What reading the help desk takes: the read-only grant, or working tickets, which reads
/// them. Agents read tickets without `tickets.read`, so what that grant alone opens (the
/// satisfaction report) stays closed to them.
pub const READ_TICKETS: &[Permission] = &[Permission::TicketsRead, Permission::TicketsWork];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}; expected one of: {list}", list = Role::names().join(", "))]
pub struct UnknownRole(pub String);

impl Role {
    pub const ALL: [Role; 9] = [
        Role::Admin,
        Role::Ops,
        Role::Cs,
        Role::Warehouse,
        Role::Supervisor,
        Role::Purchasing,
        Role::Analyst,
        Role::Auditor,
        Role::Integration,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Ops => "ops",
            Role::Cs => "cs",
            Role::Warehouse => "warehouse",
            Role::Supervisor => "supervisor",
            Role::Purchasing => "purchasing",
            Role::Analyst => "analyst",
            Role::Auditor => "auditor",
            Role::Integration => "integration",
        }
    }

    pub fn names() -> Vec<&'static str> {
        Role::ALL.iter().map(|r| r.as_str()).collect()
    }

    /// The work the role is for, in a line: the role table in the README says it next to
    /// the permissions, so the two are read together.
    pub fn job(self) -> &'static str {
        match self {
            Role::Admin => "everything, users and the audit log included",
            Role::Ops => {
                "runs orders: places, holds, re-routes and fulfils them; corrects stock; plans \
                 and reviews stocktakes; works tickets and edits the reply book; reads reports"
            }
            Role::Cs => {
                "answers customers: tickets, returns, refund and replacement requests; \
                 approves, holds, releases and cancels orders; sees stock, not bins"
            }
            Role::Warehouse => {
                "works the floor: picks, packs and ships; receives and moves stock; counts in \
                 stocktakes"
            }
            Role::Supervisor => {
                "runs the floor: what warehouse does, plus adjustments and planning and \
                 approving stocktakes; supervises the help desk (assigns tickets, decides \
                 refunds above the limit); reads reports"
            }
            Role::Purchasing => {
                "buys stock: turns replenishment alerts into purchase requests; sees stock and \
                 bins, not customer orders"
            }
            Role::Analyst => "reads catalogue, stock, orders and reports",
            Role::Auditor => {
                "reads everything, the audit log and the help desk too, and changes nothing"
            }
            Role::Integration => {
                "a storefront or marketplace: places orders and hands over customers' messages \
                 through the API, and reads nothing else"
            }
        }
    }

    /// Least privilege: each role gets what its daily work needs and nothing more.
    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Role::Admin => &[
                CatalogRead,
                LocationsRead,
                StockRead,
                OrdersRead,
                AuditRead,
                UsersManage,
                OrdersCreate,
                OrdersManage,
                OrdersFulfil,
                StockMove,
                StockAdjust,
                StocktakeCount,
                StocktakeManage,
                PurchasingManage,
                TicketsRead,
                TicketsWork,
                TicketsSupervise,
                RepliesManage,
                MessagesPost,
                ReportsRead,
            ],
            Role::Ops => &[
                CatalogRead,
                LocationsRead,
                StockRead,
                OrdersRead,
                OrdersCreate,
                OrdersManage,
                OrdersFulfil,
                StockAdjust,
                StocktakeManage,
                TicketsWork,
                RepliesManage,
                ReportsRead,
            ],
            // Agents answer "is it in stock / where is my order", not "which bin".
            Role::Cs => &[
                CatalogRead,
                StockRead,
                OrdersRead,
                OrdersManage,
                TicketsWork,
            ],
            Role::Warehouse => &[
                CatalogRead,
                LocationsRead,
                StockRead,
                OrdersRead,
                OrdersFulfil,
                StockMove,
                StocktakeCount,
            ],
            // Counts too, but approves only what others counted: the store refuses a
            // recount by the first counter, and review is by a person with this role.
            Role::Supervisor => &[
                CatalogRead,
                LocationsRead,
                StockRead,
                OrdersRead,
                OrdersFulfil,
                StockMove,
                StockAdjust,
                StocktakeCount,
                StocktakeManage,
                TicketsWork,
                TicketsSupervise,
                ReportsRead,
            ],
            // Purchasing works from stock levels, not from customer orders.
            Role::Purchasing => &[CatalogRead, LocationsRead, StockRead, PurchasingManage],
            Role::Analyst => &[CatalogRead, StockRead, OrdersRead, ReportsRead],
            // Auditors may look at everything but change nothing.
            Role::Auditor => &[
                CatalogRead,
                LocationsRead,
                StockRead,
                OrdersRead,
                AuditRead,
                TicketsRead,
            ],
            // Posts orders and reads its own answers; sees nothing else.
            Role::Integration => &[OrdersCreate, MessagesPost],
        }
    }

    pub fn allows(self, permission: Permission) -> bool {
        self.permissions().contains(&permission)
    }

    /// Whether the role holds one of `permissions` (what several permissions open).
    pub fn allows_any(self, permissions: &[Permission]) -> bool {
        permissions.iter().any(|p| self.allows(*p))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownRole(s.to_string()))
    }
}

impl Permission {
    pub const ALL: [Permission; 20] = [
        Permission::CatalogRead,
        Permission::LocationsRead,
        Permission::StockRead,
        Permission::OrdersRead,
        Permission::AuditRead,
        Permission::UsersManage,
        Permission::OrdersCreate,
        Permission::OrdersManage,
        Permission::OrdersFulfil,
        Permission::StockMove,
        Permission::StockAdjust,
        Permission::StocktakeCount,
        Permission::StocktakeManage,
        Permission::PurchasingManage,
        Permission::TicketsRead,
        Permission::TicketsWork,
        Permission::TicketsSupervise,
        Permission::RepliesManage,
        Permission::MessagesPost,
        Permission::ReportsRead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::CatalogRead => "catalog.read",
            Permission::LocationsRead => "locations.read",
            Permission::StockRead => "stock.read",
            Permission::OrdersRead => "orders.read",
            Permission::AuditRead => "audit.read",
            Permission::UsersManage => "users.manage",
            Permission::OrdersCreate => "orders.create",
            Permission::OrdersManage => "orders.manage",
            Permission::OrdersFulfil => "orders.fulfil",
            Permission::StockMove => "stock.move",
            Permission::StockAdjust => "stock.adjust",
            Permission::StocktakeCount => "stocktake.count",
            Permission::StocktakeManage => "stocktake.manage",
            Permission::PurchasingManage => "purchasing.manage",
            Permission::TicketsRead => "tickets.read",
            Permission::TicketsWork => "tickets.work",
            Permission::TicketsSupervise => "tickets.supervise",
            Permission::RepliesManage => "replies.manage",
            Permission::MessagesPost => "messages.post",
            Permission::ReportsRead => "reports.read",
        }
    }

    pub fn parse(s: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// Whether holding it lets one look and never change anything.
    pub fn only_reads(self) -> bool {
        matches!(
            self,
            Permission::CatalogRead
                | Permission::LocationsRead
                | Permission::StockRead
                | Permission::OrdersRead
                | Permission::AuditRead
                | Permission::TicketsRead
                | Permission::ReportsRead
        )
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert_eq!("ADMIN".parse::<Role>(), Ok(Role::Admin));
        let err = "boss".parse::<Role>().unwrap_err();
        assert!(err.to_string().contains("admin, ops, cs"), "{err}");
    }

    #[test]
    fn only_admin_manages_users_and_every_permission_has_a_holder() {
        for role in Role::ALL {
            assert_eq!(role.allows(Permission::UsersManage), role == Role::Admin);
        }
        for p in Permission::ALL {
            assert!(Role::ALL.iter().any(|r| r.allows(p)), "{p} has no role");
            assert_eq!(Permission::parse(p.as_str()), Some(p));
        }
    }

    #[test]
    fn a_counter_cannot_approve_counts() {
        assert!(Role::Warehouse.allows(Permission::StocktakeCount));
        assert!(!Role::Warehouse.allows(Permission::StocktakeManage));
        assert!(!Role::Warehouse.allows(Permission::StockAdjust));
        assert!(Role::Supervisor.allows(Permission::StocktakeManage));
    }

    #[test]
    fn an_agent_cannot_approve_refunds_and_a_storefront_only_hands_over_messages() {
        assert!(Role::Cs.allows(Permission::TicketsWork));
        assert!(!Role::Cs.allows(Permission::TicketsSupervise));
        assert!(Role::Supervisor.allows(Permission::TicketsSupervise));
        assert_eq!(
            Role::Integration.permissions(),
            &[Permission::OrdersCreate, Permission::MessagesPost]
        );
    }

    #[test]
    fn the_auditor_reads_the_help_desk_and_changes_nothing() {
        assert!(Role::Auditor.allows(Permission::TicketsRead));
        assert!(!Role::Auditor.allows(Permission::TicketsWork));
        let changes: Vec<_> = Role::Auditor
            .permissions()
            .iter()
            .filter(|p| !p.only_reads())
            .collect();
        assert!(changes.is_empty(), "the auditor may change: {changes:?}");
        assert_eq!(Permission::TicketsRead.as_str(), "tickets.read");
    }

    #[test]
    fn who_works_tickets_reads_them_and_agents_read_no_satisfaction_report() {
        let readers: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| r.allows_any(READ_TICKETS))
            .collect();
        assert_eq!(
            readers,
            [
                Role::Admin,
                Role::Ops,
                Role::Cs,
                Role::Supervisor,
                Role::Auditor
            ]
        );
        let report = [Permission::ReportsRead, Permission::TicketsRead];
        assert!(!Role::Cs.allows_any(&report));
        assert!(Role::Auditor.allows_any(&report));
        assert!(Role::Analyst.allows_any(&report));
    }

    #[test]
    fn ops_and_supervisors_keep_their_desk_work_and_reports() {
        for p in [
            Permission::TicketsWork,
            Permission::RepliesManage,
            Permission::ReportsRead,
        ] {
            assert!(Role::Ops.allows(p), "ops {p}");
        }
        for p in [Permission::TicketsSupervise, Permission::ReportsRead] {
            assert!(Role::Supervisor.allows(p), "supervisor {p}");
        }
    }

    #[test]
    fn every_role_says_what_it_is_for() {
        for role in Role::ALL {
            assert!(!role.job().is_empty(), "{role}");
            assert!(!role.job().contains('|'), "{role}: breaks the README table");
        }
    }

    #[test]
    fn purchasing_does_not_see_customer_orders() {
        assert!(!Role::Purchasing.allows(Permission::OrdersRead));
        assert!(!Role::Cs.allows(Permission::LocationsRead));
    }
}
