//! What the route annotations cannot say, added to the OpenAPI document in one place:
//! the answers every route can give through the shared extractors (a route's annotation
//! names what its handler decides, and would otherwise repeat these on every route), and
//! the rules that tie one field of a body to another.

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::schema::{
    AllOfBuilder, AnyOfBuilder, ArrayBuilder, ArrayItems, ObjectBuilder, OneOfBuilder,
    SchemaFormat, Type,
};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder, Schema};

use super::extract::{MULTI_LINE, PARAMETER_MAX, accepts_text};
use crate::api::PROBLEM_CONTENT_TYPE;
use crate::domain::lifecycle::needs_reason;
use crate::domain::order::OrderStatus;
use crate::domain::reply_template::VARIABLES;
use crate::domain::stock::AdjustmentReason;

/// The header that makes a POST safe to retry; see `once::idempotency_key` for the rule.
const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

pub fn complete(doc: &mut OpenApi) {
    document_shared_answers(doc);
    state_reply_book_rules(doc);
    state_rules_across_fields(doc);
    state_text_rule(doc);
    answers_that_may_overlap(doc);
    spell_out_whitespace(doc);
}

fn document_shared_answers(doc: &mut OpenApi) {
    for (path, item) in doc.paths.paths.iter_mut() {
        for operation in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            document(path, operation);
        }
    }
}

fn document(path: &str, operation: &mut Operation) {
    let parameters = operation.parameters.iter_mut().flatten();
    let mut has_query = false;
    let mut has_path = false;
    let mut has_key = false;
    for parameter in parameters {
        let RefOr::T(parameter) = parameter else {
            continue;
        };
        match parameter.parameter_in {
            ParameterIn::Query => has_query = true,
            ParameterIn::Path => {
                has_path = true;
            }
            ParameterIn::Header if parameter.name == IDEMPOTENCY_KEY => {
                has_key = true;
                // `once::sane_key`: what a key may be, so clients and fuzzers send good ones.
                parameter.schema = Some(RefOr::T(Schema::Object(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .min_length(Some(1))
                        .max_length(Some(255))
                        .pattern(Some("^[!-~]{1,255}$"))
                        .build(),
                )));
            }
            _ => {}
        }
    }
    let signed_in = operation.security.is_some();
    let answers = [
        (
            signed_in,
            "401",
            "No bearer token, or one that is unknown, expired or signed out",
        ),
        (
            signed_in && !path.starts_with("/api/v1/auth/"),
            "403",
            "The caller's role lacks the permission (named in `permission`)",
        ),
        (
            operation.request_body.is_some(),
            "400",
            "The body is not valid for this route (`detail` says what is wrong)",
        ),
        (
            operation.request_body.is_some(),
            "415",
            "The body is not sent as the media type this route reads",
        ),
        (
            has_query,
            "400",
            "A query parameter is not valid (`detail` says which)",
        ),
        (has_path, "404", "Nothing with that key"),
        (
            has_path,
            "400",
            "A value in the path is not valid: a number not whole or out of range, text longer than its maxLength or holding control or bidi characters",
        ),
        (
            has_key,
            "400",
            "Idempotency-Key is missing or not 1–255 printable ASCII characters",
        ),
        (
            has_key,
            "422",
            "This Idempotency-Key was used before with another body",
        ),
        (
            operation.request_body.is_some(),
            "413",
            "The body is larger than the server takes",
        ),
        (
            path != "/api/v1/events",
            "408",
            "No answer within the request's time limit (`edge::REQUEST_TIMEOUT`)",
        ),
        (
            true,
            "503",
            "The database cannot be written now, or too many sign-ins wait for a check; `Retry-After` says when to try again",
        ),
    ];
    for (applies, status, description) in answers {
        if applies && !operation.responses.responses.contains_key(status) {
            operation
                .responses
                .responses
                .insert(status.to_string(), problem(description));
        }
    }
}

fn problem(description: &str) -> RefOr<utoipa::openapi::Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                PROBLEM_CONTENT_TYPE,
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build(),
    )
}

/// Bodies where what one field may hold depends on another, as `oneOf` branches beside
/// the derived schema; each mirrors the check its handler makes.
fn state_rules_across_fields(doc: &mut OpenApi) {
    // `intake::change_status`: some statuses must say why.
    let (explained, plain): (Vec<_>, Vec<_>) =
        OrderStatus::ALL.into_iter().partition(|s| needs_reason(*s));
    let names = |list: Vec<OrderStatus>| list.into_iter().map(|s| s.as_str()).collect::<Vec<_>>();
    narrow(
        doc,
        "StatusChangeIn",
        one_of([
            branch()
                .required("status")
                .required("reason")
                .property("status", text().enum_values(Some(names(explained))))
                .property("reason", text().pattern(Some("\\S"))),
            branch()
                .required("status")
                .property("status", text().enum_values(Some(names(plain)))),
        ]),
    );
    // `stocktake::count`: a set count may be zero, an added one may not.
    narrow(
        doc,
        "CountIn",
        one_of([
            branch()
                .required("set")
                .property("set", boolean(true))
                .property("qty", whole(0, 1_000_000)),
            branch()
                .property("set", boolean(false))
                .property("qty", whole(1, 1_000_000)),
        ]),
    );
    // `returns::request_refund`: a refund names its amount, a replacement is worth its lines.
    narrow(
        doc,
        "RefundIn",
        one_of([
            branch()
                .required("amount_minor")
                .property("kind", text().enum_values(Some(["refund"])))
                .property("amount_minor", whole(1, i64::MAX)),
            branch()
                .property("kind", text().enum_values(Some(["replacement"])))
                .property("amount_minor", ObjectBuilder::new().schema_type(Type::Null)),
        ]),
    );
    // `stocktake::scope`: each scope names what it counts.
    let listed = |what: &str| {
        branch()
            .required(what)
            .property("scope", text().enum_values(Some([what])))
            .property(
                what,
                ArrayBuilder::new()
                    .items(text().pattern(Some("\\S")))
                    .min_items(Some(1))
                    .max_items(Some(1000)),
            )
    };
    narrow(
        doc,
        "StocktakeIn",
        one_of([
            branch()
                .required("zone")
                .property("scope", text().enum_values(Some(["zone"])))
                .property("zone", text().pattern(Some("\\S"))),
            listed("locations"),
            listed("products"),
            branch().property("scope", text().enum_values(Some(["cycle"]))),
        ]),
    );
    // `reply_book::FaqBook::new`: a rule without words to match would answer everything.
    let words = |field: &str| {
        branch()
            .required(field)
            .property(field, ArrayBuilder::new().items(text()).min_items(Some(1)))
    };
    narrow(
        doc,
        "FaqRuleBody",
        Schema::AnyOf(
            AnyOfBuilder::new()
                .item(words("keywords").build())
                .item(words("patterns").build())
                .build(),
        ),
    );
    // `inventory::adjust_stock`: a reason says which way stock moves (`AdjustmentReason::allows`).
    let moving = |sign: i64, range: (i64, i64)| {
        let reasons: Vec<&str> = AdjustmentReason::ALL
            .into_iter()
            .filter(|r| r.allows(sign))
            .map(AdjustmentReason::as_str)
            .collect();
        branch()
            .property("reason", text().enum_values(Some(reasons)))
            .property("delta", whole(range.0, range.1))
    };
    narrow(
        doc,
        "AdjustmentIn",
        one_of([moving(1, (1, 1_000_000)), moving(-1, (-1_000_000, -1))]),
    );
}

/// Reply templates (`domain::reply_template`): text, `{{`/`}}` for braces, and the known
/// variables in braces, so a client can check a template before sending it.
fn state_reply_book_rules(doc: &mut OpenApi) {
    let variables = VARIABLES
        .iter()
        .map(|(name, _)| name.replace('.', "\\."))
        .collect::<Vec<_>>()
        .join("|");
    let pattern = format!("^([^{{}}]|\\{{\\{{|\\}}\\}}|\\{{\\s*({variables})\\s*\\}})*$");
    for (schema, field) in [("FaqRuleBody", "reply"), ("CannedReplyBody", "body")] {
        let Some(RefOr::T(Schema::Object(object))) = doc
            .components
            .as_mut()
            .and_then(|c| c.schemas.get_mut(schema))
        else {
            continue;
        };
        if let Some(RefOr::T(Schema::Object(text))) = object.properties.get_mut(field) {
            text.pattern = Some(pattern.clone());
        }
    }
    // `FaqBook::new`: a blank keyword would match every message.
    if let Some(RefOr::T(Schema::Object(rule))) = doc
        .components
        .as_mut()
        .and_then(|c| c.schemas.get_mut("FaqRuleBody"))
        && let Some(RefOr::T(Schema::Array(keywords))) = rule.properties.get_mut("keywords")
        && let ArrayItems::RefOrSchema(item) = &mut keywords.items
        && let RefOr::T(Schema::Object(keyword)) = item.as_mut()
    {
        keyword.pattern = Some("\\S".into());
    }
}

fn narrow(doc: &mut OpenApi, name: &str, rule: Schema) {
    let Some(components) = doc.components.as_mut() else {
        return;
    };
    if let Some(derived) = components.schemas.remove(name) {
        components.schemas.insert(
            name.to_string(),
            RefOr::T(Schema::AllOf(
                AllOfBuilder::new().item(derived).item(rule).build(),
            )),
        );
    }
}

fn one_of<const N: usize>(branches: [ObjectBuilder; N]) -> Schema {
    let mut one_of = OneOfBuilder::new();
    for b in branches {
        one_of = one_of.item(b.build());
    }
    Schema::OneOf(one_of.build())
}

fn branch() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::Object)
}

fn text() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

fn whole(min: i64, max: i64) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(min))
        .maximum(Some(max))
}

fn boolean(value: bool) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Boolean)
        .enum_values(Some([value]))
}

/// What `char::is_whitespace` (Unicode White_Space) counts, which `str::trim` and the
/// handlers' checks use; regex dialects each mean something else by `\s`.
const WHITESPACE: &str =
    "\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";

/// The annotations write `\s` and `\S`; the document spells them out as the server means
/// them, so a client's (or a fuzzer's) idea of a blank string is the server's.
/// `domain::text`: what one line of text, and longer text, may not hold, as a character
/// class of patterns (JSON Schema's dialect, which Rust's regex reads too).
const NOT_IN_A_LINE: &str = "\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u034f\\u061c\\u115f\\u1160\\u180e\\u200b\\u200e\\u200f\\u2028\\u2029\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\u3164\\ufeff\\uffa0\\ufff9-\\ufffb";
const NOT_IN_TEXT: &str =
    "\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f\\u202a-\\u202e\\u2066-\\u2069";

/// Every text field a request sends also says in its pattern which characters the server
/// refuses in it, so a client (or a fuzzer) that keeps the document makes text the server
/// takes. What only answers carry (a ticket's messages, a label) is as it was written.
fn state_text_rule(doc: &mut OpenApi) {
    // `extract::PathParams` and `QueryParams`: one line of text, `PARAMETER_MAX` long.
    each_parameter_schema(doc, &mut |place, schema| {
        if !matches!(place, ParameterIn::Path | ParameterIn::Query) {
            return;
        }
        if let RefOr::T(Schema::Object(o)) = schema
            && accepts_text(&o.schema_type)
        {
            o.max_length = Some(PARAMETER_MAX);
        }
        text_rule_in(schema);
    });
    let Some(components) = doc.components.as_mut() else {
        return;
    };
    let mut sent = std::collections::BTreeSet::new();
    let mut to_visit: Vec<String> = Vec::new();
    for item in doc.paths.paths.values_mut() {
        for operation in [&mut item.put, &mut item.post, &mut item.patch]
            .into_iter()
            .flatten()
        {
            let Some(RefOr::T(body)) = operation.request_body.as_mut() else {
                continue;
            };
            for content in body.content.values_mut() {
                if let RefOr::T(content) = content
                    && let Some(schema) = content.schema.as_mut()
                {
                    named_in(schema, &mut to_visit);
                    text_rule_in(schema);
                }
            }
        }
    }
    while let Some(name) = to_visit.pop() {
        if sent.insert(name.clone())
            && let Some(schema) = components.schemas.get(&name)
        {
            named_in(schema, &mut to_visit);
        }
    }
    for name in &sent {
        if let Some(schema) = components.schemas.get_mut(name) {
            text_rule_in(schema);
        }
    }
}

/// The component schemas `schema` refers to, directly or in its parts.
fn named_in(schema: &RefOr<Schema>, names: &mut Vec<String>) {
    let schema = match schema {
        RefOr::Ref(r) => {
            if let Some(name) = r.ref_location.rsplit('/').next() {
                names.push(name.to_string());
            }
            return;
        }
        RefOr::T(schema) => schema,
    };
    match schema {
        Schema::Object(o) => o.properties.values().for_each(|p| named_in(p, names)),
        Schema::Array(a) => {
            if let ArrayItems::RefOrSchema(items) = &a.items {
                named_in(items, names);
            }
        }
        Schema::OneOf(o) => o.items.iter().for_each(|s| named_in(s, names)),
        Schema::AllOf(o) => o.items.iter().for_each(|s| named_in(s, names)),
        Schema::AnyOf(o) => o.items.iter().for_each(|s| named_in(s, names)),
        _ => {}
    }
}

fn text_rule_in(schema: &mut RefOr<Schema>) {
    each_object(schema, &mut |o| {
        if !accepts_text(&o.schema_type) {
            return;
        }
        let multi_line = matches!(&o.format, Some(SchemaFormat::Custom(f)) if f == MULTI_LINE);
        let refused = if multi_line {
            NOT_IN_TEXT
        } else {
            NOT_IN_A_LINE
        };
        o.pattern = Some(match o.pattern.take() {
            None => format!("^[^{refused}]*$"),
            Some(pattern) if pattern.starts_with('^') && pattern.ends_with('$') => {
                without(&pattern, refused)
            }
            // A pattern that is searched for (`\S`: not blank) says nothing of the rest
            // of the text: the rule holds around it.
            Some(pattern) => format!(
                "^[^{refused}]*(?:{})[^{refused}]*$",
                without(&pattern, refused)
            ),
        });
    });
}

/// Every schema object written out in `schema` (not those it refers to by name): itself,
/// its fields, its items, the parts of its combinations.
fn each_object(
    schema: &mut RefOr<Schema>,
    f: &mut impl FnMut(&mut utoipa::openapi::schema::Object),
) {
    let RefOr::T(schema) = schema else {
        return;
    };
    match schema {
        Schema::Object(o) => {
            f(o);
            o.properties.values_mut().for_each(|p| each_object(p, f));
        }
        Schema::Array(a) => {
            if let ArrayItems::RefOrSchema(items) = &mut a.items {
                each_object(items, f);
            }
        }
        Schema::AllOf(all) => all.items.iter_mut().for_each(|s| each_object(s, f)),
        Schema::OneOf(one) => one.items.iter_mut().for_each(|s| each_object(s, f)),
        Schema::AnyOf(any) => any.items.iter_mut().for_each(|s| each_object(s, f)),
        _ => {}
    }
}

/// `pattern` with the `refused` characters taken out of what its open-ended parts (`\S`,
/// `.`, negated classes) match; its other parts name what they match already.
fn without(pattern: &str, refused: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 4 * refused.len());
    let mut in_class = false;
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('S') if !in_class => out.push_str(&format!("[^\\s{refused}]")),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            },
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    chars.next();
                    out.push('^');
                    out.push_str(refused);
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '.' if !in_class => out.push_str(&format!("[^\\n\\r{refused}]")),
            _ => out.push(c),
        }
    }
    out
}

/// A new order in full also has every field of the order as accepted: the answer is
/// either, not exactly one of them.
fn answers_that_may_overlap(doc: &mut OpenApi) {
    if let Some(schema) = doc
        .components
        .as_mut()
        .and_then(|c| c.schemas.get_mut("OrderCreated"))
        && let RefOr::T(Schema::OneOf(one)) = schema
    {
        let mut any = AnyOfBuilder::new();
        for item in std::mem::take(&mut one.items) {
            any = any.item(item);
        }
        *schema = RefOr::T(Schema::AnyOf(any.build()));
    }
}

fn spell_out_whitespace(doc: &mut OpenApi) {
    if let Some(components) = doc.components.as_mut() {
        components.schemas.values_mut().for_each(spell_out_in);
    }
    each_parameter_schema(doc, &mut |_, schema| spell_out_in(schema));
}

/// The schema of every parameter of every operation, with where it goes.
fn each_parameter_schema(doc: &mut OpenApi, f: &mut impl FnMut(&ParameterIn, &mut RefOr<Schema>)) {
    for item in doc.paths.paths.values_mut() {
        for operation in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            for parameter in operation.parameters.iter_mut().flatten() {
                if let RefOr::T(p) = parameter
                    && let Some(schema) = p.schema.as_mut()
                {
                    f(&p.parameter_in, schema);
                }
            }
        }
    }
}

fn spell_out_in(schema: &mut RefOr<Schema>) {
    each_object(schema, &mut |o| {
        if let Some(p) = o.pattern.as_mut() {
            *p = with_whitespace_spelled_out(p);
        }
    });
}

/// `\s` and `\S` as classes of `WHITESPACE`; inside a class, `\s` adds its members (the
/// annotations never put `\S` inside one).
fn with_whitespace_spelled_out(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut in_class = false;
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('s') if in_class => out.push_str(WHITESPACE),
                Some('s') => out.push_str(&format!("[{WHITESPACE}]")),
                Some('S') => out.push_str(&format!("[^{WHITESPACE}]")),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            },
            '[' => {
                in_class = true;
                out.push(c);
            }
            ']' => {
                in_class = false;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::text::{Layout, check};

    #[test]
    fn the_text_rule_in_patterns_is_the_servers() {
        let line = regex::Regex::new(&format!("^[^{NOT_IN_A_LINE}]*$")).expect("line");
        let text = regex::Regex::new(&format!("^[^{NOT_IN_TEXT}]*$")).expect("text");
        for c in (0u32..0x1_0000).filter_map(char::from_u32) {
            let s = format!("a{c}b");
            assert_eq!(line.is_match(&s), check(&s, Layout::Line).is_ok(), "{c:?}");
            assert_eq!(
                text.is_match(&s),
                check(&s, Layout::MultiLine).is_ok(),
                "{c:?}"
            );
        }
    }

    #[test]
    fn a_pattern_keeps_its_meaning_without_the_refused_characters() {
        let refused = NOT_IN_A_LINE;
        let not_blank = regex::Regex::new(&format!(
            "^[^{refused}]*(?:{})[^{refused}]*$",
            without("\\S", refused)
        ))
        .expect("not blank");
        assert!(not_blank.is_match(" Hello "));
        assert!(!not_blank.is_match("   "));
        assert!(!not_blank.is_match("Hello\u{202E}"));
        let email =
            regex::Regex::new(&without("^[^@\\s]+@[^.\\s]\\S*\\.\\S*$", refused)).expect("email");
        assert!(email.is_match("ann@example.com"));
        assert!(!email.is_match("a\u{1}nn@example.com"));
        assert!(!email.is_match("ann@exam\u{7f}ple.com"));
    }

    #[test]
    fn whitespace_classes_are_the_servers() {
        assert_eq!(
            with_whitespace_spelled_out("^[^@\\s]+@\\S*\\.x\\s*$"),
            format!("^[^@{WHITESPACE}]+@[^{WHITESPACE}]*\\.x[{WHITESPACE}]*$")
        );
        // Every character Rust trims is in the class, and no other of the first 0x3100.
        let class = regex::Regex::new(&format!("^[{WHITESPACE}]$")).expect("a valid class");
        for c in (0..0x3100).filter_map(char::from_u32) {
            assert_eq!(class.is_match(&c.to_string()), c.is_whitespace(), "{c:?}");
        }
    }
}
