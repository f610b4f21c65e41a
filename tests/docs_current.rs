//! Documentation generated from the code stays current: the README's role table is written
//! from `src/domain/role.rs`. This test fails when the two differ; run it with
//! `UPDATE_DOCS=1 cargo test --test docs_current` to rewrite the table from the code.

use std::path::Path;

use backroom::domain::role::{Permission, Role};
use backroom::store::seed::demo_password;

/// Where the role table is kept: one table, here only.
const DOC: &str = "README.md";
const BEGIN: &str = "<!-- roles:begin -->";
const END: &str = "<!-- roles:end -->";
const NOTE: &str = "<!-- generated from src/domain/role.rs: edit the code, then run \
                    `UPDATE_DOCS=1 cargo test --test docs_current` -->";

/// The demo users, one per role, with what each role is for and may do.
fn role_table() -> String {
    let mut table =
        String::from("| user | password | the role's work | permissions |\n|---|---|---|---|\n");
    for role in Role::ALL {
        let held: Vec<Permission> = Permission::ALL
            .into_iter()
            .filter(|p| role.allows(*p))
            .collect();
        let permissions = if held.len() == Permission::ALL.len() {
            "all".to_string()
        } else {
            held.iter()
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        table.push_str(&format!(
            "| `{role}` | `{}` | {} | {permissions} |\n",
            demo_password(role),
            role.job(),
        ));
    }
    table
}

/// `doc` with the text between the markers replaced by `generated`; `None` without markers.
fn with_section(doc: &str, generated: &str) -> Option<String> {
    let start = doc.find(BEGIN)? + BEGIN.len();
    let end = start + doc[start..].find(END)?;
    Some(format!(
        "{}\n{NOTE}\n{generated}{}",
        &doc[..start],
        &doc[end..]
    ))
}

#[test]
fn the_role_table_is_generated_from_the_code() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(DOC);
    let doc = std::fs::read_to_string(&path).expect("the README");
    let Some(current) = with_section(&doc, &role_table()) else {
        panic!("{DOC} has no {BEGIN} … {END} section for the role table");
    };
    assert_eq!(
        doc.matches(BEGIN).count(),
        1,
        "one role table, not more: {DOC}"
    );
    if current == doc {
        return;
    }
    if std::env::var_os("UPDATE_DOCS").is_some_and(|v| v == "1") {
        std::fs::write(&path, current).expect("write the README");
        return;
    }
    panic!(
        "the role table in {DOC} differs from src/domain/role.rs; run \
         `UPDATE_DOCS=1 cargo test --test docs_current` to write it"
    );
}

#[test]
fn the_section_is_replaced_between_its_markers_only() {
    let doc = format!("before\n{BEGIN}\nold table\n{END}\nafter\n");
    assert_eq!(
        with_section(&doc, "| new |\n").as_deref(),
        Some(format!("before\n{BEGIN}\n{NOTE}\n| new |\n{END}\nafter\n").as_str())
    );
    assert_eq!(with_section("no markers", "x"), None);
    let table = role_table();
    for role in Role::names() {
        assert!(
            table.contains(&format!("| `{role}` | `backroom-{role}` |")),
            "{role}"
        );
    }
    assert!(table.contains("`tickets.read`"));
}
