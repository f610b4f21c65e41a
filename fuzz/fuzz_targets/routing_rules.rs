#![no_main]

use backroom::domain::routing::{OrderFacts, Priority, RoutingRules};
use backroom::domain::settings_file::SettingsSource;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let source = SettingsSource {
        origin: "rules.toml".into(),
        text: text.to_string(),
    };
    let mut rules = match RoutingRules::parse(&source) {
        Ok(rules) => rules,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    // As the server does once the file is read (`load_rules`); UTC stands in for the
    // server's own zone.
    rules.intake.ship_by.tz = match rules.intake.timezone.as_deref() {
        Some(name) => match TimeZone::get(name) {
            Ok(tz) => tz,
            Err(_) => return,
        },
        None => TimeZone::UTC,
    };
    rules.service.set_zone(rules.intake.ship_by.tz.clone());
    let facts = OrderFacts {
        total_minor: 12_900,
        item_count: 3,
        skus: vec!["TEA-1001".into()],
        categories: vec!["tea".into()],
        country: "NL".into(),
        region: None,
        payment: "cod".into(),
        customer_tags: vec!["vip".into()],
        flags: Vec::new(),
    };
    let _ = rules.route(&facts);
    let _ = rules.route(&OrderFacts::default());
    for at in [
        "2026-03-06T16:59:00Z",
        "2026-03-07T09:00:00Z",
        "2026-12-31T23:59:59Z",
    ] {
        let Ok(at) = at.parse::<Timestamp>() else {
            return;
        };
        for priority in Priority::ALL {
            let _ = rules.intake.ship_by.ship_by(at, priority, "web");
            let _ = rules.service.clock(priority, at);
        }
    }
});
