//! The stocktake pane driven by scans and keys, the server's answers given by hand, with
//! renders at 80×24 and 20×16.

mod console_support;

use backroom::api::{
    CountLine, CountLocation, CounterFigures, LedgerLine, Problem, ProblemType, Stocktake,
    StocktakeReport,
};
use backroom::client::{Applied, Change, ClientError, CountChange, Loaded, Lookup};
use backroom::console::app::{App, Effect, Msg, PaneKind, Reply};
use backroom::console::cue::Cue;
use backroom::domain::barcode::complete_ean13;
use backroom::domain::role::Role;
use console_support::{app_with, key, me, render};
use crossterm::event::KeyCode;

fn tea() -> String {
    complete_ean13("471234500000").unwrap()
}
fn pen() -> String {
    complete_ean13("471234500100").unwrap()
}

fn place(code: &str, seq: i64) -> CountLocation {
    CountLocation {
        code: code.into(),
        seq,
        state: "pending".into(),
        counter: None,
        not_counter: None,
        started_at: None,
        closed_at: None,
        empty: false,
        products: Vec::new(),
    }
}

/// A blind count of two bins, as a counter receives it: no expected quantities.
fn count() -> Stocktake {
    Stocktake {
        id: "st-3".into(),
        number: "ST-000003".into(),
        scope: "locations".into(),
        scope_detail: vec!["A-01-01".into(), "A-01-02".into()],
        blind: true,
        state: "counting".into(),
        tolerance_qty: 1,
        tolerance_value: 2000,
        recount_of: None,
        created_by: "supervisor".into(),
        created_at: "2026-11-24T22:00:00Z".into(),
        finished_at: None,
        counters: vec!["warehouse".into()],
        locations: vec![place("A-01-01", 1), place("A-01-02", 2)],
        lines: Vec::new(),
        ledger: None,
    }
}

fn line(location: &str, sku: &str, name: &str, barcode: String, counted: i64) -> CountLine {
    CountLine {
        counted_by: Some("warehouse".into()),
        ..CountLine::counting(
            location.into(),
            sku.into(),
            name.into(),
            Some(barcode),
            counted,
        )
    }
}

/// Signed in as `role`, on the stocktake pane, with the counts loaded.
fn counting(role: Role, tasks: Vec<Stocktake>) -> App {
    let mut app = app_with("default", "default");
    let effects = app.signed_in(me(role));
    let request = effects
        .iter()
        .find_map(|e| match e {
            Effect::Load {
                request,
                lookup: Lookup::Stocktakes { .. },
            } => Some(*request),
            _ => None,
        })
        .expect("the pane asks for its counts");
    app.update(key(KeyCode::F(7)));
    app.update(Msg::Reply(Reply::Loaded {
        request,
        result: Ok(Loaded::Stocktakes(tasks)),
    }));
    app
}

fn count_changes(effects: &[Effect]) -> Vec<CountChange> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Mutate(m) => match &m.change {
                Change::Count(c) => Some(c.clone()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

fn cues(effects: &[Effect]) -> Vec<Cue> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Cue(c) => Some(*c),
            _ => None,
        })
        .collect()
}

fn answer(app: &mut App, change: CountChange, st: Stocktake) -> Vec<Effect> {
    app.update(Msg::Reply(Reply::Mutated {
        change: Change::Count(change),
        result: Ok(Applied::Stocktake(Box::new(st))),
    }))
}

#[test]
fn a_counter_counts_a_location_by_scans_and_closes_it() {
    let mut app = counting(Role::Warehouse, vec![count()]);
    assert_eq!(
        app.workspace().unwrap().active,
        PaneKind::Stocktake,
        "F7 goes to the stocktake pane"
    );
    insta::assert_snapshot!("stocktake_tasks_80x24", render(&app, 80, 24));

    // Scanning the count's label opens it, like Enter.
    let opened = app.update(Msg::Scan("ST-000003".into()));
    assert_eq!(cues(&opened), vec![Cue::Ok]);

    // An item before a location is refused.
    let early = app.update(Msg::Scan(tea()));
    assert_eq!(cues(&early), vec![Cue::Error]);
    assert!(count_changes(&early).is_empty());

    let started = app.update(Msg::Scan("A-01-01".into()));
    let start = CountChange::StartCount {
        stocktake: "ST-000003".into(),
        location: "A-01-01".into(),
    };
    assert_eq!(count_changes(&started), vec![start.clone()]);
    let mut st = count();
    st.locations[0].state = "counting".into();
    st.locations[0].counter = Some("warehouse".into());
    answer(&mut app, start, st.clone());

    // Three scans of the tea: three units, each sent at once.
    let mut sent = Vec::new();
    for _ in 0..3 {
        let effects = app.update(Msg::Scan(tea()));
        assert_eq!(cues(&effects), vec![Cue::Ok]);
        sent.extend(count_changes(&effects));
    }
    assert_eq!(sent.len(), 3);
    assert!(sent.iter().all(|c| matches!(
        c,
        CountChange::Count {
            qty: 1,
            set: false,
            ..
        }
    )));
    // A typed number, then a scan, sets the count of the pen.
    for c in "12".chars() {
        app.update(key(KeyCode::Char(c)));
    }
    let set = count_changes(&app.update(Msg::Scan(pen())));
    assert_eq!(
        set,
        vec![CountChange::Count {
            stocktake: "ST-000003".into(),
            location: "A-01-01".into(),
            product: pen(),
            qty: 12,
            set: true,
        }]
    );
    // The server's answers arrive; the running count stays what was scanned.
    st.lines = vec![
        line("A-01-01", "TEA-1001", "Alishan oolong, 100 g", tea(), 3),
        line("A-01-01", "STA-1001", "Gel pen, black", pen(), 12),
    ];
    for change in sent.into_iter().chain(set) {
        answer(&mut app, change, st.clone());
    }
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("TEA-1001") && screen.contains("STA-1001"),
        "{screen}"
    );
    assert!(
        !screen.contains("Exp"),
        "a blind count shows no expected quantity:\n{screen}"
    );
    insta::assert_snapshot!("stocktake_counting_80x24", screen);
    insta::assert_snapshot!("stocktake_counting_20x16", render(&app, 20, 16));

    // Scanning the location again closes it, here at once: the counter walks on to the
    // next one whether or not the server is there to hear it.
    let closing = app.update(Msg::Scan("A-01-01".into()));
    let close = CountChange::CloseCount {
        stocktake: "ST-000003".into(),
        location: "A-01-01".into(),
        empty: false,
    };
    assert_eq!(count_changes(&closing), vec![close.clone()]);
    assert_eq!(cues(&closing), vec![Cue::Done]);
    assert!(render(&app, 80, 24).contains("Next: A-01-02"));
    let mut closed = st.clone();
    closed.locations[0].state = "closed".into();
    let answered = answer(&mut app, close, closed.clone());
    assert_eq!(
        cues(&answered),
        vec![],
        "the answer is heard once, not twice"
    );
    let screen = render(&app, 80, 24);
    assert!(screen.contains("Next: A-01-02"), "{screen}");
    insta::assert_snapshot!("stocktake_closed_80x24", screen);

    // An empty bin: closing with nothing counted asks first.
    app.update(Msg::Scan("A-01-02".into()));
    let asked = app.update(key(KeyCode::Char('c')));
    assert!(count_changes(&asked).is_empty());
    assert_eq!(cues(&asked), vec![Cue::Warn]);
    insta::assert_snapshot!("stocktake_empty_question_20x16", render(&app, 20, 16));
    let confirmed = count_changes(&app.update(key(KeyCode::Enter)));
    assert_eq!(
        confirmed,
        vec![CountChange::CloseCount {
            stocktake: "ST-000003".into(),
            location: "A-01-02".into(),
            empty: true,
        }]
    );
}

#[test]
fn a_refused_count_is_taken_back_and_said() {
    let mut app = counting(Role::Warehouse, vec![count()]);
    app.update(key(KeyCode::Enter));
    app.update(Msg::Scan("A-01-01".into()));
    let sent = count_changes(&app.update(Msg::Scan(tea())));
    let refused = app.update(Msg::Reply(Reply::Mutated {
        change: Change::Count(sent[0].clone()),
        result: Err(backroom::client::ClientError::Unexpected(
            "4712345000008 is not part of this count at A-01-01".into(),
        )),
    }));
    assert_eq!(cues(&refused), vec![Cue::Error]);
    let screen = render(&app, 80, 24);
    assert!(screen.contains("not part of this count"), "{screen}");
    assert!(
        screen.contains("Counted   0"),
        "the refused unit is not counted:\n{screen}"
    );
}

#[test]
fn a_location_outside_the_count_is_refused() {
    let mut app = counting(Role::Warehouse, vec![count()]);
    app.update(key(KeyCode::Enter));
    let effects = app.update(Msg::Scan("B-02-03".into()));
    assert_eq!(cues(&effects), vec![Cue::Error]);
    assert!(count_changes(&effects).is_empty());
    assert!(render(&app, 80, 24).contains("B-02-03 is not part of ST-000003"));
}

#[test]
fn a_supervisor_reviews_and_approves_a_variance() {
    let mut st = count();
    st.state = "review".into();
    for l in &mut st.locations {
        l.state = "closed".into();
    }
    let mut off = line("A-01-01", "TEA-1001", "Alishan oolong, 100 g", tea(), 8);
    off.state = "variance".into();
    off.expected = Some(10);
    off.variance = Some(-2);
    off.value = Some(-900);
    let mut moved = line("A-01-02", "STA-1001", "Gel pen, black", pen(), 5);
    moved.state = "outdated".into();
    moved.expected = Some(4);
    moved.variance = Some(1);
    st.lines = vec![off, moved];
    st.ledger = Some(vec![LedgerLine {
        location: "A-01-01".into(),
        sku: "TEA-1001".into(),
        name: "Alishan oolong, 100 g".into(),
        barcode: Some(tea()),
        on_hand: 10,
    }]);
    let mut app = counting(Role::Supervisor, vec![st]);
    app.update(key(KeyCode::Enter));
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("-9.00") && screen.contains("outdated"),
        "{screen}"
    );
    insta::assert_snapshot!("stocktake_review_80x24", screen);
    let approve = count_changes(&app.update(key(KeyCode::Char('a'))));
    assert_eq!(
        approve,
        vec![CountChange::Review {
            stocktake: "ST-000003".into(),
            lines: vec![("A-01-01".into(), "TEA-1001".into())],
            approve: true,
            reason: None,
        }]
    );
    // An outdated line cannot be approved, only recounted.
    app.update(key(KeyCode::Down));
    let refused = app.update(key(KeyCode::Char('a')));
    assert_eq!(cues(&refused), vec![Cue::Error]);
    let recount = count_changes(&app.update(key(KeyCode::Char('r'))));
    assert_eq!(
        recount,
        vec![CountChange::Review {
            stocktake: "ST-000003".into(),
            lines: vec![("A-01-02".into(), "STA-1001".into())],
            approve: false,
            reason: None,
        }]
    );

    // The report: accuracy and where its CSV is.
    let asked = app.update(key(KeyCode::Char('v')));
    let request = asked
        .iter()
        .find_map(|e| match e {
            Effect::Load {
                request,
                lookup: Lookup::StocktakeReport(number),
            } if number == "ST-000003" => Some(*request),
            _ => None,
        })
        .expect("the report is asked for");
    let report = StocktakeReport {
        stocktake: count(),
        locations_total: 2,
        locations_counted: 2,
        lines_counted: 4,
        lines_without_variance: 3,
        variance_units: -2,
        variance_units_abs: 2,
        variance_value: -900,
        variance_value_abs: 900,
        expected_value: 18000,
        line_accuracy: 0.75,
        value_accuracy: 0.95,
        started_at: Some("2026-11-24T22:05:00Z".into()),
        finished_at: Some("2026-11-24T22:47:00Z".into()),
        minutes_taken: Some(42),
        counters: vec![CounterFigures {
            counter: "warehouse".into(),
            locations: 2,
            lines: 4,
        }],
    };
    app.update(Msg::Reply(Reply::Loaded {
        request,
        result: Ok(Loaded::StocktakeReport(Box::new(report))),
    }));
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("75.0 % of lines") && screen.contains("42 min"),
        "{screen}"
    );
    assert!(
        screen.contains("/api/v1/stocktakes/ST-000003/report?format=csv"),
        "{screen}"
    );
}

#[test]
fn a_supervisor_plans_a_count_from_the_pane() {
    let mut app = counting(Role::Supervisor, Vec::new());
    assert!(render(&app, 80, 24).contains("Press n to plan one"));
    app.update(key(KeyCode::Char('n')));
    // Nothing named yet: refused here, nothing sent.
    let empty = app.update(key(KeyCode::Enter));
    assert_eq!(cues(&empty), vec![Cue::Error]);
    assert!(count_changes(&empty).is_empty());

    // Locations, open (not blind), for one counter.
    app.update(key(KeyCode::Right));
    app.update(key(KeyCode::Down));
    for c in "A-01-01 A-01-02".chars() {
        app.update(key(KeyCode::Char(c)));
    }
    app.update(key(KeyCode::Down));
    app.update(key(KeyCode::Char(' ')));
    app.update(key(KeyCode::Down));
    for c in "warehouse".chars() {
        app.update(key(KeyCode::Char(c)));
    }
    insta::assert_snapshot!("stocktake_plan_80x24", render(&app, 80, 24));
    insta::assert_snapshot!("stocktake_plan_40x16", render(&app, 40, 16));
    let sent = count_changes(&app.update(key(KeyCode::Enter)));
    let [CountChange::Plan(plan)] = sent.as_slice() else {
        panic!("one plan is sent, got {sent:?}");
    };
    assert_eq!(plan.scope, "locations");
    assert_eq!(plan.locations, ["A-01-01", "A-01-02"]);
    assert_eq!(plan.blind, Some(false));
    assert_eq!(plan.counters, ["warehouse"]);

    let mut planned = count();
    planned.blind = false;
    let done = answer(&mut app, sent[0].clone(), planned);
    assert_eq!(cues(&done), vec![Cue::Done]);
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("ST-000003 planned: 2 location(s) to count"),
        "{screen}"
    );
    assert_eq!(app.workspace().unwrap().stocktake.tasks.len(), 1);
}

/// The catalogue this terminal holds: tea and pens, not the kitchen.
fn catalogue() -> Reply {
    let product = |sku: &str, name: &str, barcode: String| backroom::api::CatalogProduct {
        sku: sku.into(),
        name: name.into(),
        category: "test".into(),
        barcode: Some(barcode),
        active: true,
    };
    Reply::Catalogue(std::sync::Arc::new(backroom::client::Catalogue::new(
        vec![
            product("TEA-1001", "Alishan oolong, 100 g", tea()),
            product("STA-1001", "Gel pen, black", pen()),
        ],
        ["A-01-01".to_string(), "A-01-02".to_string()],
    )))
}

fn offline(app: &mut App) {
    app.update(Msg::Reply(Reply::Health(Err(ClientError::Unreachable(
        "connection refused".into(),
    )))));
}

#[test]
fn offline_counting_goes_on_checked_against_the_catalogue_and_closing_moves_on() {
    let mut app = counting(Role::Warehouse, vec![count()]);
    app.update(Msg::Reply(catalogue()));
    offline(&mut app);
    app.update(key(KeyCode::Enter));
    app.update(Msg::Scan("A-01-01".into()));
    // A blind count knows nothing of the pen: the catalogue names it.
    let counted = app.update(Msg::Scan(pen()));
    assert_eq!(count_changes(&counted).len(), 1);
    assert_eq!(cues(&counted), vec![Cue::Ok]);
    assert!(render(&app, 80, 24).contains("Gel pen, black"));
    // What no catalogue knows is turned away here, not by the server later.
    let stranger = complete_ean13("400638133393").unwrap();
    let refused = app.update(Msg::Scan(stranger.clone()));
    assert!(count_changes(&refused).is_empty());
    assert_eq!(cues(&refused), vec![Cue::Error]);
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains(&format!("{stranger} is not a product we know")),
        "{screen}"
    );
    // Closing needs no answer: the next bin is named at once.
    let closed = app.update(Msg::Scan("A-01-01".into()));
    assert_eq!(cues(&closed), vec![Cue::Done]);
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("A-01-01 closed: 1 item(s). Next: A-01-02"),
        "{screen}"
    );
    assert!(
        screen.contains("1/2"),
        "the title counts the bin closed: {screen}"
    );
}

#[test]
fn offline_approving_says_it_needs_the_server_and_changes_nothing() {
    let mut st = count();
    st.state = "review".into();
    for l in &mut st.locations {
        l.state = "closed".into();
    }
    let mut off = line("A-01-01", "TEA-1001", "Alishan oolong, 100 g", tea(), 8);
    off.state = "variance".into();
    st.lines = vec![off];
    let mut app = counting(Role::Supervisor, vec![st]);
    app.update(key(KeyCode::Enter));
    offline(&mut app);
    let refused = app.update(key(KeyCode::Char('a')));
    assert!(
        count_changes(&refused).is_empty(),
        "nothing is kept to send later"
    );
    assert_eq!(cues(&refused), vec![Cue::Error]);
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("Approving counts needs the server"),
        "{screen}"
    );
}

#[test]
fn approving_ones_own_count_is_refused_by_the_server_and_says_why() {
    let mut st = count();
    st.state = "review".into();
    for l in &mut st.locations {
        l.state = "closed".into();
    }
    let mut own = line("A-01-01", "TEA-1001", "Alishan oolong, 100 g", tea(), 8);
    own.state = "variance".into();
    own.counted_by = Some("supervisor".into());
    own.expected = Some(10);
    own.variance = Some(-2);
    st.lines = vec![own];
    let mut app = counting(Role::Supervisor, vec![st]);
    app.update(key(KeyCode::Enter));
    // The pane offers approval (the server decides whose count is whose) and sends it.
    let sent = count_changes(&app.update(key(KeyCode::Char('a'))));
    assert_eq!(sent.len(), 1);
    let problem = Problem::new(
        ProblemType::SecondPersonRequired,
        "TEA-1001 at A-01-01 in ST-000003: you counted it; another person with stocktake.manage must approve it (ask supervisor2)".to_string(),
    );
    let refused = app.update(Msg::Reply(Reply::Mutated {
        change: Change::Count(sent[0].clone()),
        result: Err(ClientError::Problem(Box::new(problem))),
    }));
    assert_eq!(cues(&refused), vec![Cue::Error]);
    let screen = render(&app, 80, 24);
    assert!(screen.contains("you counted it"), "{screen}");
    // Still waiting for review: nothing was approved here.
    assert!(screen.contains("variance"), "{screen}");
    // Someone else must approve it: no reason would do, so none is asked for.
    assert!(!screen.contains("Why"), "{screen}");
    assert!(!app.workspace().unwrap().stocktake.is_asking_why());
}

/// A counted stocktake waiting for review, whose one variance `counter` counted.
fn in_review(counter: &str) -> Stocktake {
    let mut st = count();
    st.state = "review".into();
    for l in &mut st.locations {
        l.state = "closed".into();
    }
    let mut own = line("A-01-01", "TEA-1001", "Alishan oolong, 100 g", tea(), 8);
    own.state = "variance".into();
    own.counted_by = Some(counter.into());
    own.expected = Some(10);
    own.variance = Some(-2);
    own.value = Some(-900);
    st.lines = vec![own];
    st
}

/// The server's answer to an admin approving their own count alone, without a reason.
fn reason_required() -> ClientError {
    ClientError::Problem(Box::new(Problem::new(
        ProblemType::ReasonRequired,
        "TEA-1001 at A-01-01 in ST-000003: you counted it, and nobody else who may approve counts is active: as admin you may approve it yourself, but only with a reason (it is audited as self-approval)".to_string(),
    )))
}

/// Signed in as admin with `keymap`, the stocktake in review open, approval of its one line
/// sent and answered that a reason is needed. Returns the approval as it was sent.
fn asked_why(keymap: &str) -> (App, CountChange) {
    let mut app = app_with(keymap, "default");
    let effects = app.signed_in(me(Role::Admin));
    let request = effects
        .iter()
        .find_map(|e| match e {
            Effect::Load {
                request,
                lookup: Lookup::Stocktakes { .. },
            } => Some(*request),
            _ => None,
        })
        .expect("the pane asks for its counts");
    if keymap == "rf" {
        // No function key of its own on an RF keypad: the palette finds the pane.
        app.update(key(KeyCode::F(9)));
        for c in "stocktake".chars() {
            app.update(key(KeyCode::Char(c)));
        }
        app.update(key(KeyCode::Enter));
    } else {
        app.update(key(KeyCode::F(7)));
    }
    assert_eq!(app.workspace().unwrap().active, PaneKind::Stocktake);
    app.update(Msg::Reply(Reply::Loaded {
        request,
        result: Ok(Loaded::Stocktakes(vec![in_review("admin")])),
    }));
    app.update(key(KeyCode::Enter));
    let approve = if keymap == "rf" {
        KeyCode::F(7)
    } else {
        KeyCode::Char('a')
    };
    let sent = count_changes(&app.update(key(approve)));
    let [first] = sent.as_slice() else {
        panic!("one approval is sent, got {sent:?}");
    };
    assert_eq!(
        first,
        &CountChange::Review {
            stocktake: "ST-000003".into(),
            lines: vec![("A-01-01".into(), "TEA-1001".into())],
            approve: true,
            reason: None,
        }
    );
    let asked = app.update(Msg::Reply(Reply::Mutated {
        change: Change::Count(first.clone()),
        result: Err(reason_required()),
    }));
    assert_eq!(cues(&asked), vec![Cue::Warn]);
    assert!(count_changes(&asked).is_empty(), "nothing is sent yet");
    assert!(
        asked.contains(&Effect::SettleRefused(Change::Count(first.clone()))),
        "asked here, so the refusal is not left among those needing attention: {asked:?}"
    );
    assert!(app.workspace().unwrap().stocktake.is_asking_why());
    (app, first.clone())
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        app.update(key(KeyCode::Char(c)));
    }
}

#[test]
fn an_admin_alone_is_asked_why_and_the_approval_goes_again_with_the_reason() {
    let (mut app, first) = asked_why("default");
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("Why approve it yourself?") && screen.contains("Why "),
        "{screen}"
    );
    insta::assert_snapshot!("stocktake_reason_80x24", screen);

    // Blank is refused here, nothing sent; the question stays.
    type_text(&mut app, "   ");
    let blank = app.update(key(KeyCode::Enter));
    assert!(count_changes(&blank).is_empty());
    assert_eq!(cues(&blank), vec![Cue::Error]);
    assert!(render(&app, 80, 24).contains("A reason is needed"));

    // Over 500 characters is refused here too, saying how long it is; nothing is cut off.
    app.update(Msg::Key(crossterm::event::KeyEvent::new(
        KeyCode::Char('u'),
        crossterm::event::KeyModifiers::CONTROL,
    )));
    type_text(&mut app, &"x".repeat(501));
    let long = app.update(key(KeyCode::Enter));
    assert!(count_changes(&long).is_empty());
    assert_eq!(cues(&long), vec![Cue::Error]);
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("501 characters") && screen.contains("at most 500"),
        "{screen}"
    );

    // Letters are the reason's, not the pane's keys ('a' approves, 'r' recounts).
    app.update(Msg::Key(crossterm::event::KeyEvent::new(
        KeyCode::Char('u'),
        crossterm::event::KeyModifiers::CONTROL,
    )));
    type_text(&mut app, " only manager on the night shift ");
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("Why approve it yourself?") && !screen.contains("at most 500"),
        "the refusal stands until the answer changes, then the question is back:\n{screen}"
    );
    let sent = count_changes(&app.update(key(KeyCode::Enter)));
    let again = CountChange::Review {
        stocktake: "ST-000003".into(),
        lines: vec![("A-01-01".into(), "TEA-1001".into())],
        approve: true,
        reason: Some("only manager on the night shift".into()),
    };
    assert_eq!(sent, vec![again.clone()], "sent again, with the reason");
    assert_ne!(sent[0], first);
    assert!(!app.workspace().unwrap().stocktake.is_asking_why());

    let mut approved = in_review("admin");
    approved.lines[0].state = "approved".into();
    approved.state = "done".into();
    let done = answer(&mut app, again, approved);
    assert_eq!(cues(&done), vec![Cue::Done]);
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("Approved as your own count") && screen.contains("Nothing waits"),
        "{screen}"
    );
}

#[test]
fn esc_puts_the_question_away_and_nothing_is_approved() {
    let (mut app, _) = asked_why("default");
    let cancelled = app.update(key(KeyCode::Esc));
    assert!(count_changes(&cancelled).is_empty());
    assert!(!app.workspace().unwrap().stocktake.is_asking_why());
    let screen = render(&app, 80, 24);
    assert!(screen.contains("Not approved"), "{screen}");
    assert!(screen.contains("variance"), "still waiting: {screen}");
    // The pane's keys are its own again: approving asks the server once more.
    assert_eq!(count_changes(&app.update(key(KeyCode::Char('a')))).len(), 1);
}

#[test]
fn a_reason_given_while_the_server_is_away_stays_typed() {
    let (mut app, _) = asked_why("default");
    offline(&mut app);
    type_text(&mut app, "night shift");
    let refused = app.update(key(KeyCode::Enter));
    assert!(
        count_changes(&refused).is_empty(),
        "nothing is kept to send later, as for any approval"
    );
    assert_eq!(cues(&refused), vec![Cue::Error]);
    assert!(app.workspace().unwrap().stocktake.is_asking_why());
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("Approving counts needs the server") && screen.contains("night shift"),
        "{screen}"
    );
}

#[test]
fn the_question_on_an_rf_terminal() {
    let (mut app, _) = asked_why("rf");
    type_text(&mut app, "only manager tonight");
    let screen = render(&app, 40, 16);
    assert!(screen.contains("Why"), "{screen}");
    insta::assert_snapshot!("stocktake_reason_rf_40x16", screen);
    let screen = render(&app, 20, 8);
    assert!(screen.contains("tonight"), "what is typed shows: {screen}");
    insta::assert_snapshot!("stocktake_reason_rf_20x8", screen);
    // Enter sends on an RF keypad too.
    let sent = count_changes(&app.update(key(KeyCode::Enter)));
    assert!(
        matches!(sent.as_slice(), [CountChange::Review { reason: Some(r), .. }] if r == "only manager tonight"),
        "{sent:?}"
    );
}
