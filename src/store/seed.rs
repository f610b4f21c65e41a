//! Deterministic sample data for the demo and for tests: a small online shop selling tea,
//! kitchenware, stationery and more, with a warehouse of three zones and customers in
//! Europe and Taiwan. The same seed always gives the same shop; dates are relative to `now`.
//!
//! The stock ledger adds up: every balance is the sum of its movements (receipts 91 days
//! ago, picks of shipped orders, returns), and open orders hold their reservations.

use std::collections::HashMap;

use jiff::{SignedDuration, Timestamp};
use rusqlite::params;

use super::Transaction;
use serde_json::json;
use uuid::Uuid;

use super::audit::{AuditWrite, append};
use super::{Result, Store, StoreError, micros};
use crate::domain::barcode::complete_ean13;
use crate::domain::channel;
use crate::domain::intake_policy::ShipByPolicy;
use crate::domain::order::OrderStatus;
use crate::domain::role::Role;
use crate::domain::routing::{OrderFacts, Priority, Queue, RoutingRules};
use crate::domain::user::hash_password;
use jiff::tz::TimeZone;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleSummary {
    pub users: usize,
    pub products: usize,
    pub locations: usize,
    pub customers: usize,
    pub orders: usize,
}

pub struct DemoUser {
    pub role: Role,
    pub display_name: &'static str,
}

/// One user per role; the user name is the role name.
pub const DEMO_USERS: &[DemoUser] = &[
    DemoUser {
        role: Role::Admin,
        display_name: "Morgan Reyes",
    },
    DemoUser {
        role: Role::Ops,
        display_name: "Priya Natarajan",
    },
    DemoUser {
        role: Role::Cs,
        display_name: "林美玲 Mei-ling Lin",
    },
    DemoUser {
        role: Role::Warehouse,
        display_name: "Tomasz Kowalski",
    },
    DemoUser {
        role: Role::Supervisor,
        display_name: "Ana Souza",
    },
    DemoUser {
        role: Role::Purchasing,
        display_name: "陳威廷 Wei-ting Chen",
    },
    DemoUser {
        role: Role::Analyst,
        display_name: "Sofia Lindqvist",
    },
    DemoUser {
        role: Role::Auditor,
        display_name: "Daniel Okafor",
    },
    DemoUser {
        role: Role::Integration,
        display_name: "Web shop (storefront)",
    },
];

/// The documented demo password of each role's user.
pub fn demo_password(role: Role) -> String {
    format!("backroom-{role}")
}

const SEED: u64 = 0x6261_636b_726f_6f6d; // "backroom"

/// SplitMix64. Hand-written because its sequence is fixed forever, so the sample shop
/// stays the same across dependency upgrades (rand's `StdRng` promises no such thing).
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
    fn percent(&mut self) -> u64 {
        self.below(100)
    }
    fn bytes16(&mut self) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&self.next().to_le_bytes());
        out[8..].copy_from_slice(&self.next().to_le_bytes());
        out
    }
    /// A UUIDv7-shaped id at `at`, from the dice rather than the clock.
    fn uuid_at(&mut self, at: Timestamp) -> String {
        let millis = at.as_millisecond().max(0) as u64;
        let mut bytes = self.bytes16();
        bytes[..6].copy_from_slice(&millis.to_be_bytes()[2..]);
        bytes[6] = (bytes[6] & 0x0f) | 0x70;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        Uuid::from_bytes(bytes).to_string()
    }
}

struct Category {
    prefix: &'static str,
    name: &'static str,
    price_cents: (i64, i64),
    items: &'static [&'static str],
    variants: &'static [&'static str],
    /// Variants are sizes (dearer in order) rather than colours (same price).
    sized: bool,
}

const CATEGORIES: &[Category] = &[
    Category {
        prefix: "TEA",
        name: "Tea & Coffee",
        price_cents: (690, 3490),
        items: &[
            "Alishan oolong",
            "Jasmine green tea",
            "Earl Grey",
            "Sencha",
            "Pu-erh",
            "Rooibos",
            "Chamomile",
            "Darjeeling first flush",
            "Dong Ding oolong",
            "Colombian coffee beans",
            "Yirgacheffe coffee beans",
            "Decaf espresso blend",
        ],
        variants: &["100 g", "250 g"],
        sized: true,
    },
    Category {
        prefix: "KIT",
        name: "Kitchen",
        price_cents: (490, 8990),
        items: &[
            "Chef's knife",
            "Bamboo cutting board",
            "Cast-iron skillet",
            "Enamel saucepan",
            "Stainless whisk",
            "Silicone spatula",
            "Ceramic teapot",
            "Glass storage jar",
            "Bamboo steamer",
            "Pour-over kettle",
            "Mortar and pestle",
            "Rice bowl set",
        ],
        variants: &["small", "large"],
        sized: true,
    },
    Category {
        prefix: "STA",
        name: "Stationery",
        price_cents: (250, 4500),
        items: &[
            "Dot-grid notebook A5",
            "Fountain pen",
            "Gel pen set",
            "Washi tape set",
            "Sketchbook A4",
            "Desk planner",
            "Brush pen",
            "Pencil case",
            "Sticky notes",
            "Envelope set",
            "Index cards",
            "Ink bottle 50 ml",
        ],
        variants: &["black", "navy", "red"],
        sized: false,
    },
    Category {
        prefix: "TEX",
        name: "Home Textiles",
        price_cents: (890, 7900),
        items: &[
            "Linen tea towel",
            "Cotton bath towel",
            "Wool throw",
            "Cushion cover",
            "Table runner",
            "Apron",
            "Duvet cover",
            "Pillowcase pair",
        ],
        variants: &["grey", "sage", "ochre"],
        sized: false,
    },
    Category {
        prefix: "OUT",
        name: "Outdoor",
        price_cents: (990, 12900),
        items: &[
            "Insulated bottle 750 ml",
            "Camping mug",
            "Trekking poles",
            "Headlamp",
            "Day pack 20 L",
            "Rain poncho",
            "Picnic blanket",
            "Folding stool",
        ],
        variants: &["green", "black", "orange"],
        sized: false,
    },
    Category {
        prefix: "ELE",
        name: "Electronics Accessories",
        price_cents: (790, 9900),
        items: &[
            "USB-C cable 1 m",
            "USB-C cable 2 m",
            "65 W charger",
            "Power bank 10000 mAh",
            "Wireless earbuds",
            "Phone stand",
            "Laptop sleeve 14\"",
            "Bluetooth speaker",
            "Smart plug",
            "HDMI cable 2 m",
        ],
        variants: &["black", "white"],
        sized: false,
    },
    Category {
        prefix: "CAR",
        name: "Personal Care",
        price_cents: (350, 2900),
        items: &[
            "Hand cream 50 ml",
            "Lip balm",
            "Shampoo bar",
            "Bamboo toothbrush",
            "Sheet face mask",
            "Sunscreen SPF 50",
            "Body lotion 200 ml",
            "Shower gel 250 ml",
        ],
        variants: &["unscented", "lavender", "citrus"],
        sized: false,
    },
    Category {
        prefix: "TOY",
        name: "Toys & Games",
        price_cents: (590, 4990),
        items: &[
            "Wooden puzzle",
            "Card game",
            "Building blocks",
            "Kite",
            "Plush panda",
            "Yo-yo",
            "Jigsaw 1000 pieces",
            "Spinning top",
        ],
        variants: &["classic", "deluxe"],
        sized: true,
    },
    Category {
        prefix: "BOO",
        name: "Books",
        price_cents: (1290, 3990),
        items: &[
            "Taiwanese Home Cooking",
            "Tea: A Field Guide",
            "Hiking Taiwan's Trails",
            "Brush Lettering Basics",
            "The Zero-Waste Kitchen",
            "Mandarin Phrasebook",
            "The Stocktake Handbook",
            "Night Market Stories",
        ],
        variants: &["paperback", "hardcover"],
        sized: true,
    },
];

const FIRST_NAMES: &[&str] = &[
    "Anna", "Lukas", "Sophie", "Jonas", "Emma", "Noah", "Mia", "Elias", "Hannah", "Felix", "Lea",
    "Paul", "Clara", "Finn", "Marie", "Louis", "Chloé", "Hugo", "Camille", "Jules", "Olivia",
    "George", "Amelia", "Oliver", "Isla", "Harry", "Sanne", "Daan", "Fleur", "Bram", "Giulia",
    "Marco", "Elena", "Matteo", "Lena", "Tobias", "Ingrid", "Lars", "Zoë", "Milan",
];
const LAST_NAMES: &[&str] = &[
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Dubois",
    "Martin",
    "Bernard",
    "Moreau",
    "Laurent",
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Wilson",
    "de Vries",
    "Jansen",
    "van Dijk",
    "Bakker",
    "Visser",
    "Rossi",
    "Bianchi",
    "Novak",
    "Horvat",
    "Andersson",
    "Nilsson",
    "Gruber",
    "Huber",
    "O'Brien",
    "Walsh",
];
const ZH_SURNAMES: &[(&str, &str)] = &[
    ("陳", "Chen"),
    ("林", "Lin"),
    ("黃", "Huang"),
    ("張", "Chang"),
    ("李", "Lee"),
    ("王", "Wang"),
    ("吳", "Wu"),
    ("劉", "Liu"),
    ("蔡", "Tsai"),
    ("楊", "Yang"),
    ("許", "Hsu"),
    ("鄭", "Cheng"),
];
const ZH_GIVEN: &[(&str, &str)] = &[
    ("美玲", "Mei-ling"),
    ("志明", "Chih-ming"),
    ("怡君", "Yi-chun"),
    ("家豪", "Chia-hao"),
    ("雅婷", "Ya-ting"),
    ("俊傑", "Chun-chieh"),
    ("淑芬", "Shu-fen"),
    ("冠宇", "Kuan-yu"),
    ("欣怡", "Hsin-yi"),
    ("建宏", "Chien-hung"),
    ("佩珊", "Pei-shan"),
    ("宗翰", "Tsung-han"),
    ("詩涵", "Shih-han"),
    ("柏翰", "Po-han"),
];

/// (city, district, postal code, streets)
const TW_PLACES: &[(&str, &str, &str, &[&str])] = &[
    (
        "台北市",
        "信義區",
        "110",
        &["松仁路", "忠孝東路五段", "基隆路一段"],
    ),
    (
        "台北市",
        "大安區",
        "106",
        &["敦化南路一段", "仁愛路四段", "復興南路一段"],
    ),
    ("台北市", "中山區", "104", &["南京東路二段", "民生東路三段"]),
    ("新北市", "板橋區", "220", &["文化路一段", "中山路二段"]),
    ("台中市", "西屯區", "407", &["台灣大道三段", "文心路二段"]),
    ("台南市", "東區", "701", &["大學路", "東門路二段"]),
    ("高雄市", "前鎮區", "806", &["中山二路", "成功二路"]),
];

/// (country, city, postal code, street, number first?)
const EU_PLACES: &[(&str, &str, &str, &str, bool)] = &[
    ("DE", "Berlin", "10115", "Invalidenstraße", false),
    ("DE", "Hamburg", "20095", "Mönckebergstraße", false),
    ("DE", "München", "80331", "Sendlinger Straße", false),
    ("NL", "Amsterdam", "1012 AB", "Damrak", false),
    ("NL", "Utrecht", "3511 AA", "Oudegracht", false),
    ("FR", "Paris", "75011", "Rue Oberkampf", true),
    ("FR", "Lyon", "69002", "Rue de la République", true),
    ("GB", "London", "EC1V 9HX", "City Road", true),
    ("GB", "Manchester", "M1 1AE", "Market Street", true),
    ("AT", "Wien", "1070", "Neubaugasse", false),
    ("IT", "Milano", "20121", "Via Manzoni", true),
];

struct SampleProduct {
    id: String,
    sku: String,
    name: String,
    price: i64,
    primary_bin: usize,
}

struct SampleCustomer {
    id: String,
    name: String,
    line1: String,
    line2: Option<String>,
    city: String,
    postal: String,
    region: Option<String>,
    country: &'static str,
    /// `vip`, `blocked` or nothing.
    tags: &'static str,
}

impl Store {
    /// Fills an empty database with the sample shop and the demo users. Refuses a database
    /// that already holds products or users, so real data is never mixed with samples.
    pub fn seed_sample_data(&self, now: Timestamp) -> Result<SampleSummary> {
        let mut dice = Dice(SEED);
        // Hash outside the write transaction: Argon2 is slow on purpose.
        let users: Vec<(&DemoUser, String)> = DEMO_USERS
            .iter()
            .map(|u| {
                let hash = hash_password(&demo_password(u.role), &dice.bytes16())
                    .map_err(|e| StoreError::Conflict(e.to_string()))?;
                Ok((u, hash))
            })
            .collect::<Result<_>>()?;
        self.write(|tx| {
            let existing: i64 = tx.query_row(
                "SELECT (SELECT count(*) FROM products) + (SELECT count(*) FROM users)",
                [],
                |r| r.get(0),
            )?;
            if existing > 0 {
                return Err(StoreError::Conflict(
                    "the database already has products or users; sample data goes only into an empty database".into(),
                ));
            }
            let t0 = now - SignedDuration::from_hours(91 * 24);
            for (u, hash) in &users {
                tx.execute(
                    "INSERT INTO users (id, username, display_name, role, password_hash, created_at, updated_at, channels)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)",
                    params![dice.uuid_at(t0), u.role.as_str(), u.display_name, u.role.as_str(), hash, micros(t0),
                        // The demo storefront posts for the web shop only.
                        (u.role == Role::Integration).then_some(channel::WEB)],
                )?;
            }
            let bins = insert_locations(tx, &mut dice, t0)?;
            let products = insert_products(tx, &mut dice, t0, bins.len())?;
            let customers = insert_customers(tx, &mut dice, t0)?;
            let orders = insert_orders(tx, &mut dice, now, &products, &customers, &bins)?;
            insert_stock(tx, &mut dice, t0, &products, &bins, &orders)?;
            let summary = SampleSummary {
                users: users.len(),
                products: products.len(),
                locations: bins.len() + DOCK.len(),
                customers: customers.len(),
                orders: orders.count,
            };
            append(tx, &AuditWrite {
                at: now,
                actor: "system",
                action: "seed.sample_data",
                entity_kind: "database",
                entity_id: "sample",
                detail: json!({
                    "products": summary.products,
                    "locations": summary.locations,
                    "customers": summary.customers,
                    "orders": summary.orders,
                }),
            })?;
            Ok(summary)
        })
        .and_then(|summary| {
            self.seed_stocktake(now)?;
            self.seed_tickets(now)?;
            Ok(summary)
        })
    }

    /// A blind count of the first bins holding stock, waiting for any counter.
    fn seed_stocktake(&self, now: Timestamp) -> Result<()> {
        let codes: Vec<String> = self.read(|c| {
            Ok(c.prepare(
                "SELECT DISTINCT l.code FROM locations l JOIN stock_balances b ON b.location_id = l.id
                 WHERE l.kind = 'bin' AND b.on_hand > 0 ORDER BY l.code LIMIT 6",
            )?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?)
        })?;
        let scope = crate::domain::stocktake::CountScope::Locations(codes);
        let once = super::IdempotencyKey {
            scope: "seed",
            key: "sample-stocktake",
            request_hash: "",
        };
        let new = super::NewStocktake {
            scope: &scope,
            blind: true,
            counters: &[],
            tolerance: crate::domain::stocktake::Tolerance::default(),
            cycle_limit: 0,
            schedule: crate::domain::stocktake::CycleSchedule::default(),
        };
        self.create_stocktake(&once, &new, "supervisor", now, |_| (201, String::new()))?;
        Ok(())
    }
}

/// Dock locations outside the bin grid: (code, kind).
const DOCK: &[(&str, &str)] = &[
    ("RCV-01", "receiving"),
    ("RCV-02", "receiving"),
    ("SHP-01", "shipping"),
    ("RET-01", "returns"),
    ("DMG-01", "damaged"),
];

/// Returns the bin location ids in label order.
fn insert_locations(tx: &Transaction, dice: &mut Dice, t0: Timestamp) -> Result<Vec<String>> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO locations (id, code, zone, kind, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    let mut bins = Vec::new();
    // Zone A: fast movers near the dock; B: general; C: bulky goods, fewer aisles.
    for (zone, aisles) in [("A", 10u8), ("B", 10), ("C", 8)] {
        for aisle in 1..=aisles {
            for bin in 1..=12u8 {
                let id = dice.uuid_at(t0);
                let code = format!("{zone}-{aisle:02}-{bin:02}");
                stmt.execute(params![id, code, zone, "bin", micros(t0)])?;
                bins.push(id);
            }
        }
    }
    for (code, kind) in DOCK {
        stmt.execute(params![dice.uuid_at(t0), code, "DOCK", kind, micros(t0)])?;
    }
    Ok(bins)
}

fn insert_products(
    tx: &Transaction,
    dice: &mut Dice,
    t0: Timestamp,
    bin_count: usize,
) -> Result<Vec<SampleProduct>> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO products (id, sku, name, category, barcode, price_minor, currency,
                               safety_stock, reorder_qty, lot_tracked, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'EUR', ?7, ?8, ?9, ?10, ?10)",
    )?;
    let mut products = Vec::new();
    for category in CATEGORIES {
        let mut n = 1000;
        for item in category.items {
            let (lo, hi) = category.price_cents;
            // Shop prices end in 0 or 5 cents.
            let base = dice.range(lo / 5, hi / 5) * 5;
            for (v, variant) in category.variants.iter().enumerate() {
                n += 1;
                let index = products.len();
                let sku = format!("{}-{n}", category.prefix);
                let name = format!("{item}, {variant}");
                // Books carry ISBNs (978-986: Taiwan); the rest the shop's GS1 company prefix.
                let body = if category.prefix == "BOO" {
                    format!("978986{:06}", 100_000 + index)
                } else {
                    format!("4712345{:05}", index)
                };
                let barcode = complete_ean13(&body)
                    .ok_or_else(|| StoreError::Corrupt(format!("bad sample barcode {body}")))?;
                let price = if category.sized {
                    base * (10 + 7 * v as i64) / 50 * 5
                } else {
                    base
                };
                let safety = dice.range(1, 6) * 5;
                let reorder = safety * dice.range(2, 4);
                let id = dice.uuid_at(t0);
                stmt.execute(params![
                    id,
                    sku,
                    name,
                    category.name,
                    barcode,
                    price,
                    safety,
                    reorder,
                    // Food is traced by batch, so a recall can find every parcel.
                    category.prefix == "TEA",
                    micros(t0)
                ])?;
                // Spread products over the bins so neighbouring SKUs are not in neighbouring bins.
                let primary_bin = (index * 7919) % bin_count;
                products.push(SampleProduct {
                    id,
                    sku,
                    name,
                    price,
                    primary_bin,
                });
            }
        }
    }
    Ok(products)
}

fn insert_customers(
    tx: &Transaction,
    dice: &mut Dice,
    t0: Timestamp,
) -> Result<Vec<SampleCustomer>> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO customers (id, name, email, phone, address_line1, address_line2, city,
                                postal_code, region, country, tags, blocked, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?;
    let mut customers = Vec::new();
    for i in 0..520 {
        let taiwanese = i % 3 == 0;
        let customer = if taiwanese {
            let (surname, sur_latin) = *dice.pick(ZH_SURNAMES);
            let (given, given_latin) = *dice.pick(ZH_GIVEN);
            let (city, district, postal, streets) = *dice.pick(TW_PLACES);
            let street = dice.pick(streets);
            let email = format!(
                "{}.{}{i}@example.tw",
                given_latin.to_lowercase().replace('-', ""),
                sur_latin.to_lowercase()
            );
            let phone = format!(
                "+886 9{:02} {:03} {:03}",
                dice.below(100),
                dice.below(1000),
                dice.below(1000)
            );
            let line1 = format!("{district}{street}{}號", dice.range(1, 300));
            let line2 = (dice.percent() < 60).then(|| format!("{}樓", dice.range(2, 18)));
            (
                SampleCustomer {
                    id: dice.uuid_at(t0),
                    name: format!("{surname}{given}"),
                    line1,
                    line2,
                    city: city.to_string(),
                    postal: postal.to_string(),
                    region: None,
                    country: "TW",
                    tags: "",
                },
                email,
                phone,
            )
        } else {
            let first = *dice.pick(FIRST_NAMES);
            let last = *dice.pick(LAST_NAMES);
            let (country, city, postal, street, number_first) = *dice.pick(EU_PLACES);
            let house = dice.range(1, 180);
            let line1 = if number_first {
                format!("{house} {street}")
            } else {
                format!("{street} {house}")
            };
            let ascii = |s: &str| {
                s.to_lowercase()
                    .replace(['ü'], "ue")
                    .replace(['é', 'ë'], "e")
                    .replace(['\'', ' '], "")
            };
            let email = format!("{}.{}{i}@example.com", ascii(first), ascii(last));
            let phone = match country {
                "DE" => format!("+49 15{} {:07}", dice.below(10), dice.below(10_000_000)),
                "NL" => format!("+31 6 {:08}", dice.below(100_000_000)),
                "FR" => format!(
                    "+33 6 {:02} {:02} {:02} {:02}",
                    dice.below(100),
                    dice.below(100),
                    dice.below(100),
                    dice.below(100)
                ),
                "GB" => format!("+44 7{:03} {:06}", dice.below(1000), dice.below(1_000_000)),
                "AT" => format!("+43 664 {:07}", dice.below(10_000_000)),
                _ => format!("+39 3{:02} {:07}", dice.below(100), dice.below(10_000_000)),
            };
            (
                SampleCustomer {
                    id: dice.uuid_at(t0),
                    name: format!("{first} {last}"),
                    line1,
                    line2: (dice.percent() < 15).then(|| format!("Apt {}", dice.range(1, 40))),
                    city: city.to_string(),
                    postal: postal.to_string(),
                    region: None,
                    country,
                    tags: "",
                },
                email,
                phone,
            )
        };
        let (mut c, email, phone) = customer;
        let roll = dice.percent();
        let (tags, blocked) = match roll {
            0..=5 => ("vip", false),
            6 => ("blocked", true),
            _ => ("", false),
        };
        c.tags = tags;
        let phone = (dice.percent() < 90).then_some(phone);
        stmt.execute(params![
            c.id,
            c.name,
            email,
            phone,
            c.line1,
            c.line2,
            c.city,
            c.postal,
            c.region,
            c.country,
            tags,
            blocked,
            micros(t0)
        ])?;
        customers.push(c);
    }
    Ok(customers)
}

/// What the orders did to stock, per product index.
#[derive(Default)]
struct StockEffects {
    count: usize,
    reserved: HashMap<usize, i64>,
    shipped: Vec<(usize, i64, Timestamp, String)>,
    returned: Vec<(usize, i64, Timestamp, String)>,
}

/// The status an order of this age has reached, weighted like a real shop's history.
fn status_for_age(dice: &mut Dice, age_hours: i64) -> OrderStatus {
    use OrderStatus::*;
    let roll = dice.percent();
    let table: &[(u64, OrderStatus)] = if age_hours > 14 * 24 {
        &[
            (86, Delivered),
            (92, Cancelled),
            (97, Returned),
            (100, Shipped),
        ]
    } else if age_hours > 4 * 24 {
        &[
            (55, Delivered),
            (85, Shipped),
            (92, Cancelled),
            (96, Returned),
            (100, Hold),
        ]
    } else if age_hours > 24 {
        &[
            (40, Shipped),
            (50, Packed),
            (55, Picking),
            (70, ReadyToPick),
            (80, Reserved),
            (88, CsReview),
            (95, Hold),
            (100, Cancelled),
        ]
    } else {
        &[
            (15, Received),
            (40, Reserved),
            (65, ReadyToPick),
            (75, Picking),
            (85, CsReview),
            (95, Hold),
            (100, Packed),
        ]
    };
    table
        .iter()
        .find(|(upto, _)| roll < *upto)
        .map(|(_, s)| *s)
        .unwrap_or(Delivered)
}

/// The steps an order took to reach `status`: (to, actor, reason).
fn path_to(
    status: OrderStatus,
    dice: &mut Dice,
) -> Vec<(OrderStatus, &'static str, Option<&'static str>)> {
    use OrderStatus::*;
    let flow = [Reserved, ReadyToPick, Picking, Packed, Shipped, Delivered];
    let actor = |s: OrderStatus| match s {
        Picking | Packed => "warehouse",
        Shipped | Delivered => "carrier",
        _ => "system",
    };
    let mut steps = vec![(Received, "system", None)];
    match status {
        Received => {}
        CsReview => steps.push((
            CsReview,
            "system",
            Some(*dice.pick(&[
                "unit price differs from catalogue price",
                "first order paid cash on delivery",
                "address could not be verified",
            ])),
        )),
        Hold => steps.push((
            Hold,
            "system",
            Some(*dice.pick(&["not enough stock to reserve", "payment not yet confirmed"])),
        )),
        Cancelled => {
            steps.push((Reserved, "system", None));
            steps.push((
                Cancelled,
                "ops",
                Some(*dice.pick(&["customer asked to cancel", "payment failed"])),
            ));
        }
        Returned => {
            steps.extend(flow.iter().map(|s| (*s, actor(*s), None)));
            steps.push((
                Returned,
                "cs",
                Some(*dice.pick(&["damaged in transit", "wrong size", "changed mind"])),
            ));
        }
        target => {
            for s in flow {
                steps.push((s, actor(s), None));
                if s == target {
                    break;
                }
            }
        }
    }
    steps
}

fn insert_orders(
    tx: &Transaction,
    dice: &mut Dice,
    now: Timestamp,
    products: &[SampleProduct],
    customers: &[SampleCustomer],
    bins: &[String],
) -> Result<StockEffects> {
    let rules = RoutingRules::default_rules();
    let ship_by = ShipByPolicy::standard(TimeZone::UTC);
    const ORDERS: usize = 1200;
    let mut ages: Vec<i64> = (0..ORDERS)
        .map(|i| {
            // A third of the orders in the last two weeks: the shop is growing.
            if i % 3 == 0 {
                dice.range(1, 14 * 24 * 60)
            } else {
                dice.range(1, 90 * 24 * 60)
            }
        })
        .collect();
    ages.sort_unstable_by(|a, b| b.cmp(a));
    let mut order_stmt = tx.prepare_cached(
        "INSERT INTO orders (id, number, channel, channel_order_no, customer_id, status, currency,
            total_minor, item_count, payment_method, ship_name, ship_line1, ship_line2, ship_city,
            ship_postal_code, ship_region, ship_country, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'EUR', ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
    )?;
    let mut line_stmt = tx.prepare_cached(
        "INSERT INTO order_lines (order_id, line_no, product_id, sku, name, qty, unit_price_minor)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    let mut event_stmt = tx.prepare_cached(
        "INSERT INTO order_events (order_id, at, from_status, to_status, actor, reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let mut effects = StockEffects::default();
    for (i, age_minutes) in ages.into_iter().enumerate() {
        let number = i as i64 + 1;
        let created = now - SignedDuration::from_mins(age_minutes);
        let status = status_for_age(dice, age_minutes / 60);
        let customer = &customers[(dice.below(customers.len() as u64)) as usize];
        let id = dice.uuid_at(created);
        let (channel, channel_no) = match dice.percent() {
            0..=69 => ("web", Some(format!("W-{}", 50_000 + number))),
            70..=89 => (
                "marketplace",
                Some(format!("MP-{:08}", dice.below(100_000_000))),
            ),
            _ => ("phone", None),
        };
        let payment = *dice.pick(&[
            "card",
            "card",
            "card",
            "paypal",
            "paypal",
            "cod",
            "bank_transfer",
        ]);
        let line_count = *dice.pick(&[1usize, 1, 1, 2, 2, 3, 4]);
        let mut chosen: Vec<usize> = Vec::new();
        while chosen.len() < line_count {
            let p = dice.below(products.len() as u64) as usize;
            if !chosen.contains(&p) {
                chosen.push(p);
            }
        }
        let lines: Vec<(usize, i64)> = chosen
            .into_iter()
            .map(|p| (p, *dice.pick(&[1i64, 1, 1, 1, 2, 2, 3])))
            .collect();
        let total: i64 = lines.iter().map(|(p, q)| products[*p].price * q).sum();
        let items: i64 = lines.iter().map(|(_, q)| q).sum();

        let steps = path_to(status, dice);
        let mut at = created;
        let mut times = Vec::new();
        for (n, _) in steps.iter().enumerate() {
            if n > 0 {
                at = (at + SignedDuration::from_mins(dice.range(5, 36 * 60))).min(now);
            }
            times.push(at);
        }
        let updated = *times.last().unwrap_or(&created);
        order_stmt.execute(params![
            id,
            number,
            channel,
            channel_no,
            customer.id,
            status.as_str(),
            total,
            items,
            payment,
            customer.name,
            customer.line1,
            customer.line2,
            customer.city,
            customer.postal,
            customer.region,
            customer.country,
            micros(created),
            micros(updated)
        ])?;
        for (n, (p, qty)) in lines.iter().enumerate() {
            let product = &products[*p];
            line_stmt.execute(params![
                id,
                n as i64 + 1,
                product.id,
                product.sku,
                product.name,
                qty,
                product.price
            ])?;
        }
        let mut from: Option<&str> = None;
        for ((to, actor, reason), at) in steps.iter().zip(&times) {
            event_stmt.execute(params![id, micros(*at), from, to.as_str(), actor, reason])?;
            from = Some(to.as_str());
        }
        let shipped_at = steps
            .iter()
            .zip(&times)
            .find(|((s, _, _), _)| *s == OrderStatus::Shipped)
            .map(|(_, t)| *t);
        let reference = format!("SO-{number:06}");
        // What routing decided, as the automation would have: the rule for orders that went
        // to the warehouse, the flag's rule for those a person had to look at.
        let flagged = steps
            .iter()
            .find(|(s, _, _)| matches!(s, OrderStatus::CsReview | OrderStatus::Hold))
            .and_then(|(_, _, r)| *r);
        let decision = rules.route(&OrderFacts {
            total_minor: total,
            item_count: items,
            country: customer.country.to_string(),
            payment: payment.to_string(),
            customer_tags: customer
                .tags
                .split(',')
                .filter(|t| !t.is_empty())
                .map(String::from)
                .collect(),
            ..OrderFacts::default()
        });
        let (rule, why) = match flagged {
            Some("not enough stock to reserve") => (
                "not enough stock".to_string(),
                "waiting for stock: flag stock_short".to_string(),
            ),
            Some("unit price differs from catalogue price") => (
                "price differs from catalogue".to_string(),
                "check the price with the customer: flag price_mismatch".to_string(),
            ),
            Some("address could not be verified") => (
                "incomplete address".to_string(),
                "complete the address before shipping: flag address_incomplete".to_string(),
            ),
            Some("first order paid cash on delivery") => (
                "cash on delivery, first order".to_string(),
                "confirm a first order paid on delivery: payment cod, customer tag first_order"
                    .to_string(),
            ),
            _ => (decision.rule.clone(), decision.why.clone()),
        };
        // Finished orders went through the warehouse.
        let queue = Queue::of_status(status)
            .unwrap_or(Queue::Warehouse)
            .as_str();
        let priority = match dice.percent() {
            0..=1 => Priority::Urgent,
            2..=11 => Priority::High,
            _ => decision.priority,
        };
        tx.execute(
            "UPDATE orders SET queue = ?2, priority = ?3, carrier = ?4, tags = ?5, rule = ?6, rule_why = ?7, ship_by = ?8,
                 stock_policy = 'hold' WHERE id = ?1",
            params![
                id,
                queue,
                priority.as_str(),
                decision.carrier,
                decision.tags.join(","),
                rule,
                why,
                micros(ship_by.ship_by(created, priority, channel))
            ],
        )?;
        if status.holds_reservation() {
            for (n, (p, qty)) in lines.iter().enumerate() {
                *effects.reserved.entry(*p).or_default() += qty;
                tx.execute(
                    "INSERT INTO order_reservations (order_id, line_no, location_id, qty) VALUES (?1, ?2, ?3, ?4)",
                    params![id, n as i64 + 1, bins[products[*p].primary_bin], qty],
                )?;
            }
        } else if let Some(shipped_at) = shipped_at {
            insert_shipment(
                tx,
                dice,
                &id,
                number,
                decision.carrier.as_deref(),
                &steps,
                &times,
                now,
            )?;
            for (p, qty) in &lines {
                effects
                    .shipped
                    .push((*p, *qty, shipped_at, reference.clone()));
                if status == OrderStatus::Returned {
                    effects
                        .returned
                        .push((*p, *qty, updated, reference.clone()));
                }
            }
        }
        effects.count += 1;
    }
    Ok(effects)
}

/// The parcel of a shipped order and what its carrier reported.
#[allow(clippy::too_many_arguments)]
fn insert_shipment(
    tx: &Transaction,
    dice: &mut Dice,
    order_id: &str,
    number: i64,
    carrier: Option<&str>,
    steps: &[(OrderStatus, &str, Option<&str>)],
    times: &[Timestamp],
    now: Timestamp,
) -> Result<()> {
    let at = |status: OrderStatus| {
        steps
            .iter()
            .zip(times)
            .find(|((s, _, _), _)| *s == status)
            .map(|(_, t)| *t)
    };
    let Some(shipped) = at(OrderStatus::Shipped) else {
        return Ok(());
    };
    let shipment_id = dice.uuid_at(shipped);
    let mut events = vec![(shipped, "picked_up", "Warehouse dock")];
    let transit = shipped + SignedDuration::from_hours(dice.range(4, 20));
    if transit < now {
        events.push((transit, "in_transit", "Sorting hub"));
    }
    match at(OrderStatus::Delivered) {
        Some(delivered) => events.push((delivered.max(transit), "delivered", "Front door")),
        // One in twenty parcels still on the way has a problem someone must look at.
        None if dice.below(20) == 0 && transit < now => {
            events.push((transit, "exception", "address not found"))
        }
        None => {}
    }
    let state = events.last().map(|(_, k, _)| *k).unwrap_or("created");
    tx.execute(
        "INSERT INTO shipments (id, order_id, carrier, tracking_no, state, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        params![shipment_id, order_id, carrier.unwrap_or("dhl"), format!("BR{number:09}"), state, micros(shipped)],
    )?;
    for (i, (when, kind, place)) in events.iter().enumerate() {
        tx.execute(
            "INSERT INTO tracking_events (shipment_id, external_id, at, kind, location, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?3)",
            params![shipment_id, format!("sample-{number}-{i}"), micros(*when), kind, place],
        )?;
    }
    Ok(())
}

fn insert_stock(
    tx: &Transaction,
    dice: &mut Dice,
    t0: Timestamp,
    products: &[SampleProduct],
    bins: &[String],
    effects: &StockEffects,
) -> Result<()> {
    let returns_id: String =
        tx.query_row("SELECT id FROM locations WHERE code = 'RET-01'", [], |r| {
            r.get(0)
        })?;
    let mut balance = tx.prepare_cached(
        "INSERT INTO stock_balances (product_id, location_id, on_hand, reserved) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (product_id, location_id) DO UPDATE SET on_hand = on_hand + excluded.on_hand",
    )?;
    let mut movement = tx.prepare_cached(
        "INSERT INTO stock_movements (at, product_id, from_location_id, to_location_id, qty, kind, reference, actor)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    let mut shipped_per_product: HashMap<usize, i64> = HashMap::new();
    for (p, qty, _, _) in &effects.shipped {
        *shipped_per_product.entry(*p).or_default() += qty;
    }
    for (index, product) in products.iter().enumerate() {
        let bin = &bins[product.primary_bin];
        let reserved = effects.reserved.get(&index).copied().unwrap_or(0);
        // One in eight products runs low, so replenishment has something to do.
        let target = if dice.below(8) == 0 {
            dice.range(0, 4)
        } else {
            dice.range(8, 120)
        };
        let on_hand = target.max(reserved);
        let received = on_hand + shipped_per_product.get(&index).copied().unwrap_or(0);
        if received > 0 {
            movement.execute(params![
                micros(t0),
                product.id,
                None::<String>,
                bin,
                received,
                "receipt",
                "PO-SAMPLE",
                "purchasing"
            ])?;
        }
        balance.execute(params![product.id, bin, on_hand, reserved])?;
        // Some products also have an overflow bin.
        if dice.below(10) < 3 {
            let overflow = &bins[(product.primary_bin + bins.len() / 2) % bins.len()];
            if overflow != bin {
                let qty = dice.range(20, 200);
                movement.execute(params![
                    micros(t0),
                    product.id,
                    None::<String>,
                    overflow,
                    qty,
                    "receipt",
                    "PO-SAMPLE",
                    "purchasing"
                ])?;
                balance.execute(params![product.id, overflow, qty, 0])?;
            }
        }
    }
    for (p, qty, at, reference) in &effects.shipped {
        let product = &products[*p];
        movement.execute(params![
            micros(*at),
            product.id,
            bins[product.primary_bin],
            None::<String>,
            qty,
            "pick",
            reference,
            "warehouse"
        ])?;
    }
    for (p, qty, at, reference) in &effects.returned {
        movement.execute(params![
            micros(*at),
            products[*p].id,
            None::<String>,
            returns_id,
            qty,
            "return",
            reference,
            "warehouse"
        ])?;
        balance.execute(params![products[*p].id, returns_id, qty, 0])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::barcode::validate_ean13;

    fn seeded() -> (tempfile::TempDir, Store, SampleSummary) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.db")).unwrap();
        let summary = store.seed_sample_data(Timestamp::now()).unwrap();
        (dir, store, summary)
    }

    fn scalar(store: &Store, sql: &str) -> i64 {
        store
            .read(|c| Ok(c.query_row(sql, [], |r| r.get(0))?))
            .unwrap()
    }

    #[test]
    fn sample_shop_is_big_enough_and_valid() {
        let (_d, store, s) = seeded();
        assert!(
            s.products >= 200 && s.locations >= 300 && s.customers >= 500 && s.orders >= 1000,
            "{s:?}"
        );
        assert_eq!(s.users, Role::ALL.len());
        let barcodes: Vec<String> = store
            .read(|c| {
                let mut st = c.prepare("SELECT barcode FROM products")?;
                Ok(st
                    .query_map([], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?)
            })
            .unwrap();
        for b in &barcodes {
            validate_ean13(b).unwrap_or_else(|e| panic!("{b}: {e}"));
        }
        for status in OrderStatus::ALL {
            let n = scalar(
                &store,
                &format!("SELECT count(*) FROM orders WHERE status = '{status}'"),
            );
            assert!(n > 0, "no order is {status}");
        }
        assert!(
            scalar(
                &store,
                "SELECT count(*) FROM customers WHERE country = 'TW'"
            ) > 100
        );
        let oldest = scalar(&store, "SELECT min(created_at) FROM orders");
        let ninety_days_ago =
            (Timestamp::now() - SignedDuration::from_hours(90 * 24)).as_microsecond();
        assert!(oldest >= ninety_days_ago);
    }

    #[test]
    fn ledger_adds_up_to_every_balance_and_reservations_match_open_orders() {
        let (_d, store, _) = seeded();
        let mismatches = scalar(
            &store,
            "SELECT count(*) FROM stock_balances b WHERE b.on_hand !=
               COALESCE((SELECT sum(qty) FROM stock_movements m WHERE m.product_id = b.product_id AND m.to_location_id = b.location_id), 0)
             - COALESCE((SELECT sum(qty) FROM stock_movements m WHERE m.product_id = b.product_id AND m.from_location_id = b.location_id), 0)",
        );
        assert_eq!(mismatches, 0);
        let reserved = scalar(&store, "SELECT sum(reserved) FROM stock_balances");
        let open_qty = scalar(
            &store,
            "SELECT sum(l.qty) FROM order_lines l JOIN orders o ON o.id = l.order_id
             WHERE o.status IN ('reserved', 'ready_to_pick', 'picking', 'packed')",
        );
        assert_eq!(reserved, open_qty);
        let reservation_rows = scalar(&store, "SELECT sum(qty) FROM order_reservations");
        assert_eq!(
            reservation_rows, reserved,
            "every reserved unit is on an order line"
        );
        let unrouted = scalar(
            &store,
            "SELECT count(*) FROM orders WHERE queue IS NULL OR ship_by IS NULL OR rule IS NULL",
        );
        assert_eq!(unrouted, 0);
        let unshipped = scalar(
            &store,
            "SELECT count(*) FROM orders o WHERE o.status IN ('shipped', 'delivered', 'returned')
             AND NOT EXISTS (SELECT 1 FROM shipments s WHERE s.order_id = o.id)",
        );
        assert_eq!(unshipped, 0);
        assert!(
            scalar(
                &store,
                "SELECT count(*) FROM tracking_events WHERE kind = 'exception'"
            ) > 0
        );
    }

    #[test]
    fn same_seed_same_shop_and_refuses_a_second_seed() {
        let (_d1, a, _) = seeded();
        let (_d2, b, _) = seeded();
        let fingerprint = |s: &Store| {
            s.read(|c| {
                Ok(c.query_row(
                    "SELECT group_concat(sku || name || barcode || price_minor, '|') FROM products",
                    [],
                    |r| r.get::<_, String>(0),
                )?)
            })
            .unwrap()
        };
        assert_eq!(fingerprint(&a), fingerprint(&b));
        let statuses = |s: &Store| scalar(s, "SELECT sum(length(status) * number) FROM orders");
        assert_eq!(statuses(&a), statuses(&b));
        let err = a.seed_sample_data(Timestamp::now()).unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)));
    }
}
