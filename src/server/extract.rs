//! Body and query extractors whose rejections are problem+json, not axum's plain text.

use std::any::TypeId;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};

use axum::body::Bytes;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use serde::de::{self, DeserializeOwned, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Number, Value};
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ArrayItems, Schema, SchemaFormat, SchemaType, Type};

use super::error::ApiError;
use super::once::Fingerprint;
use crate::domain::text::{self, Layout};

/// The `format` of text fields that may hold line breaks and tabs (message bodies, notes);
/// every other text field is one line of plain text.
pub const MULTI_LINE: &str = "multi-line";

/// A JSON body, read whole and checked as its OpenAPI schema states before it becomes `T`.
pub struct JsonBody<T>(pub T);

/// The body of a change made at most once per `Idempotency-Key`, with the request's
/// fingerprint: its route and its body in canonical JSON.
pub struct ChangeBody<T>(pub T, pub Fingerprint);

/// A route that takes no body refuses one (a body sent there is a client's mistake, not
/// something to ignore); an empty JSON object, which JSON clients send for nothing, is
/// none. The fingerprint is of the route alone.
pub struct NoBody(pub Fingerprint);

impl<T, S> FromRequest<S> for JsonBody<T>
where
    T: DeserializeOwned + ToSchema + 'static,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = json_bytes(req, state).await?;
        read_json::<T>(&bytes).map(|(body, _)| JsonBody(body))
    }
}

impl<T, S> FromRequest<S> for ChangeBody<T>
where
    T: DeserializeOwned + ToSchema + 'static,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let route = route_of(&req);
        let bytes = json_bytes(req, state).await?;
        let (body, canonical) = read_json::<T>(&bytes)?;
        Ok(ChangeBody(body, Fingerprint::of(&route, &canonical)))
    }
}

impl<S: Send + Sync> FromRequest<S> for NoBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let route = route_of(&req);
        let bytes = body_bytes(req, state).await?;
        let said: Vec<u8> = bytes
            .iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        if !(said.is_empty() || said == b"{}") {
            return Err(ApiError::MalformedBody(
                "this route takes no body; send the request without one".into(),
            ));
        }
        Ok(NoBody(Fingerprint::of(&route, "")))
    }
}

/// The method and the path (with its query) as sent: what, besides the body, a retry must repeat.
fn route_of(req: &Request) -> String {
    let uri = req.uri();
    let path = uri.path_and_query().map_or(uri.path(), |p| p.as_str());
    format!("{} {path}", req.method())
}

async fn body_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge(format!(
                "the body may be at most {} bytes",
                super::edge::BODY_LIMIT
            ))
        } else {
            ApiError::MalformedBody(e.body_text())
        }
    })
}

async fn json_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    if !sent_as_json(req.headers()) {
        return Err(ApiError::UnsupportedMediaType(
            "Expected request with `Content-Type: application/json`".into(),
        ));
    }
    body_bytes(req, state).await
}

/// `application/json`, or a `+json` type, with any parameters.
pub fn sent_as_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// A JSON body read into its type as the OpenAPI document describes it, with its canonical
/// form (keys sorted, whole numbers as integers) for fingerprints. Refused whole, naming
/// what is wrong: a key given twice (serde would keep the last: `{"qty":1,"qty":20000}` is
/// 20000), anything but an object (serde alone would also take an array of the fields in
/// order, which no client means), text longer than its `maxLength` or with control or
/// bidi-override characters, and fields the type does not have.
pub fn read_json<T>(bytes: &[u8]) -> Result<(T, String), ApiError>
where
    T: DeserializeOwned + ToSchema + 'static,
{
    let UniqueKeys(mut value) = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::MalformedBody(format!("the body is not valid JSON: {e}")))?;
    if !value.is_object() {
        return Err(ApiError::MalformedBody(
            "the body must be a JSON object".into(),
        ));
    }
    whole_numbers_as_integers(&mut value);
    let schema = body_schema::<T>();
    check_against(&value, &schema.root, &schema, &mut FieldPath::default())
        .map_err(ApiError::InvalidInput)?;
    let canonical = canonical(&value);
    let body = serde_json::from_value(value).map_err(|e| {
        ApiError::MalformedBody(format!(
            "Failed to deserialize the JSON body into the target type: {e}"
        ))
    })?;
    Ok((body, canonical))
}

/// A value that came some other way than a request body (a row of a CSV import), checked
/// against its schema as a body of its type would be.
pub fn check_sent<T: serde::Serialize + ToSchema + 'static>(value: &T) -> Result<(), String> {
    let value = serde_json::to_value(value).map_err(|e| e.to_string())?;
    let schema = body_schema::<T>();
    check_against(&value, &schema.root, &schema, &mut FieldPath::default())
}

/// The body as its fingerprint reads it: keys sorted (serde_json's map is ordered), and a
/// field sent as `null` the same as one left out, which every optional field reads alike.
fn canonical(value: &Value) -> String {
    fn without_nulls(value: &Value) -> Value {
        match value {
            Value::Object(fields) => Value::Object(
                fields
                    .iter()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, v)| (k.clone(), without_nulls(v)))
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.iter().map(without_nulls).collect()),
            other => other.clone(),
        }
    }
    without_nulls(value).to_string()
}

/// A JSON value whose objects never name a key twice.
struct UniqueKeys(Value);

impl<'de> Deserialize<'de> for UniqueKeys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(UniqueKeysVisitor)
            .map(UniqueKeys)
    }
}

struct UniqueKeysVisitor;

impl<'de> Visitor<'de> for UniqueKeysVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("a number that is not finite"))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(UniqueKeys(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut fields = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if fields.contains_key(&key) {
                return Err(de::Error::custom(format!(
                    "the field `{key}` is given twice"
                )));
            }
            let UniqueKeys(value) = map.next_value()?;
            fields.insert(key, value);
        }
        Ok(Value::Object(fields))
    }
}

/// A request body's schema and the schemas it refers to, as the OpenAPI document has them.
struct BodySchema {
    root: RefOr<Schema>,
    named: BTreeMap<String, RefOr<Schema>>,
}

/// Built once per body type: the schema is what the document says, so the limits checked
/// are exactly the ones published.
fn body_schema<T: ToSchema + 'static>() -> Arc<BodySchema> {
    static KNOWN: OnceLock<Mutex<HashMap<TypeId, Arc<BodySchema>>>> = OnceLock::new();
    let known = KNOWN.get_or_init(Mutex::default);
    let mut known = known.lock().unwrap_or_else(|p| p.into_inner());
    known
        .entry(TypeId::of::<T>())
        .or_insert_with(|| {
            let mut named = Vec::new();
            T::schemas(&mut named);
            let mut named: BTreeMap<String, RefOr<Schema>> = named.into_iter().collect();
            named.insert(T::name().into_owned(), T::schema());
            Arc::new(BodySchema {
                root: T::schema(),
                named,
            })
        })
        .clone()
}

/// Where in the body a field is, for messages: `ship_to.line1`, `lines[2].sku`.
#[derive(Default)]
struct FieldPath(String);

impl FieldPath {
    fn within<R>(&mut self, step: &str, f: impl FnOnce(&mut FieldPath) -> R) -> R {
        let len = self.0.len();
        if !self.0.is_empty() && !step.starts_with('[') {
            self.0.push('.');
        }
        self.0.push_str(step);
        let result = f(self);
        self.0.truncate(len);
        result
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() {
            "the body"
        } else {
            &self.0
        })
    }
}

/// Deep enough for any body of this API; deeper is a schema that refers to itself.
const DEEPEST: usize = 16;

fn check_against(
    value: &Value,
    schema: &RefOr<Schema>,
    all: &BodySchema,
    at: &mut FieldPath,
) -> Result<(), String> {
    if at.0.matches(['.', '[']).count() > DEEPEST {
        return Ok(());
    }
    let schema = match schema {
        RefOr::T(schema) => schema,
        RefOr::Ref(r) => {
            let name = r.ref_location.rsplit('/').next().unwrap_or("");
            match all.named.get(name) {
                Some(found) => return check_against(value, found, all, at),
                None => return Ok(()),
            }
        }
    };
    match schema {
        Schema::Object(object) => {
            if let Value::String(text) = value
                && accepts_text(&object.schema_type)
            {
                check_text(text, object.max_length, object.format.as_ref(), at)?;
            }
            if let Value::Object(fields) = value {
                for (name, field) in fields {
                    if let Some(field_schema) = object.properties.get(name) {
                        at.within(name, |at| check_against(field, field_schema, all, at))?;
                    }
                }
            }
            Ok(())
        }
        Schema::Array(array) => {
            let Value::Array(items) = value else {
                return Ok(());
            };
            if let Some(most) = array.max_items
                && items.len() > most
            {
                return Err(format!("{at} has {} items; at most {most}", items.len()));
            }
            if let ArrayItems::RefOrSchema(item_schema) = &array.items {
                for (i, item) in items.iter().enumerate() {
                    at.within(&format!("[{i}]"), |at| {
                        check_against(item, item_schema, all, at)
                    })?;
                }
            }
            Ok(())
        }
        Schema::OneOf(one) => one
            .items
            .iter()
            .try_for_each(|s| check_against(value, s, all, at)),
        Schema::AllOf(every) => every
            .items
            .iter()
            .try_for_each(|s| check_against(value, s, all, at)),
        Schema::AnyOf(any) => any
            .items
            .iter()
            .try_for_each(|s| check_against(value, s, all, at)),
        _ => Ok(()),
    }
}

pub(super) fn accepts_text(kind: &SchemaType) -> bool {
    match kind {
        SchemaType::Type(t) => *t == Type::String,
        SchemaType::Array(types) => types.contains(&Type::String),
        SchemaType::AnyValue => false,
    }
}

fn check_text(
    text: &str,
    max_length: Option<usize>,
    format: Option<&SchemaFormat>,
    at: &FieldPath,
) -> Result<(), String> {
    if let Some(most) = max_length {
        let length = text.chars().count();
        if length > most {
            return Err(format!("{at} is {length} characters long; at most {most}"));
        }
    }
    let layout = match format {
        Some(SchemaFormat::Custom(f)) if f == MULTI_LINE => Layout::MultiLine,
        _ => Layout::Line,
    };
    text::check(text, layout).map_err(|refusal| format!("{at} {refusal}"))
}

fn whole_numbers_as_integers(value: &mut Value) {
    match value {
        Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|f| n.is_f64() && f.fract() == 0.0) {
                // The bounds are powers of two, exact as floats; beyond them the number
                // stays a float and the field's type refuses it.
                // -2^63 written out is an integer already; as a float it may be a number
                // below it rounded up, so it is left to be refused.
                if f > -9_223_372_036_854_775_808.0 && f < 9_223_372_036_854_775_808.0 {
                    *n = Number::from(f as i64);
                } else if (0.0..18_446_744_073_709_551_616.0).contains(&f) {
                    *n = Number::from(f as u64);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(whole_numbers_as_integers),
        _ => {}
    }
}

/// The longest value of a path or query parameter, as the document states for each: keys,
/// codes and search text are short, and a longer one is a mistake or an attack.
pub const PARAMETER_MAX: usize = 200;

/// A path or query value: at most [`PARAMETER_MAX`] characters of one line of plain text.
fn check_parameter(name: &str, value: &str) -> Result<(), ApiError> {
    let length = value.chars().count();
    if length > PARAMETER_MAX {
        return Err(ApiError::InvalidInput(format!(
            "{name} is {length} characters long; at most {PARAMETER_MAX}"
        )));
    }
    text::check(value, Layout::Line)
        .map_err(|refusal| ApiError::InvalidInput(format!("{name} {refusal}")))
}

/// Path parameters; one of the wrong type (a line number that is not a number) is a
/// problem+json 400 like every other bad input.
pub struct PathParams<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for PathParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let raw = axum::extract::RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::InvalidInput(e.body_text()))?;
        for (name, value) in &raw {
            check_parameter(name, value)?;
        }
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| PathParams(p.0))
            .map_err(|e: PathRejection| ApiError::InvalidInput(e.body_text()))
    }
}

pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let pairs = axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
            .map_err(|e: QueryRejection| ApiError::InvalidInput(e.body_text()))?;
        for (name, value) in &pairs.0 {
            check_parameter(&text::shown_in_a_line(name), value)?;
        }
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| QueryParams(q.0))
            .map_err(|e: QueryRejection| ApiError::InvalidInput(e.body_text()))
    }
}

/// Page size: `limit` defaults to 50 and is capped at 500.
pub fn page_size(limit: Option<u32>) -> Result<usize, ApiError> {
    match limit {
        None => Ok(50),
        Some(0) => Err(ApiError::InvalidInput("limit must be at least 1".into())),
        Some(n) => Ok(n.min(500) as usize),
    }
}

/// A query value that must be one of a few words, when given.
pub fn one_of(name: &str, value: Option<&str>, allowed: &[&str]) -> Result<(), ApiError> {
    match value {
        Some(v) if !allowed.contains(&v) => Err(ApiError::InvalidInput(format!(
            "{name} {v:?} is not one of {}",
            allowed.join(", ")
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{OrderIn, StatusChangeIn};
    use utoipa::openapi::schema::AdditionalProperties;

    /// Every request body's text has a length limit and every object refuses fields it does
    /// not have, as the published document says; gaps are listed by path.
    #[test]
    fn every_request_body_states_its_limits() {
        let doc = super::super::openapi();
        let named = doc
            .components
            .as_ref()
            .map(|c| c.schemas.clone())
            .unwrap_or_default();
        let mut gaps = Vec::new();
        for (path, item) in &doc.paths.paths {
            for (method, op) in [("put", &item.put), ("post", &item.post)] {
                let Some(RefOr::T(body)) = op.as_ref().and_then(|o| o.request_body.as_ref()) else {
                    continue;
                };
                for (media, content) in &body.content {
                    if media != "application/json" {
                        continue;
                    }
                    if let RefOr::T(content) = content
                        && let Some(schema) = &content.schema
                    {
                        let at = format!("{method} {path}");
                        gaps_in(schema, &named, &at, &mut gaps, 0);
                    }
                }
            }
        }
        gaps.sort();
        gaps.dedup();
        assert!(gaps.is_empty(), "{}", gaps.join("\n"));
    }

    /// A named type must refuse fields it does not have; inline parts (the rules across
    /// fields that `contract` adds) only narrow it.
    fn gaps_in_named(
        schema: &RefOr<Schema>,
        named: &BTreeMap<String, RefOr<Schema>>,
        at: &str,
        gaps: &mut Vec<String>,
        depth: usize,
    ) {
        if let RefOr::T(Schema::Object(o)) = schema
            && !o.properties.is_empty()
            && !matches!(
                o.additional_properties.as_deref(),
                Some(AdditionalProperties::FreeForm(false))
            )
        {
            gaps.push(format!("{at}: takes fields it does not have"));
        }
        gaps_in(schema, named, at, gaps, depth)
    }

    fn gaps_in(
        schema: &RefOr<Schema>,
        named: &BTreeMap<String, RefOr<Schema>>,
        at: &str,
        gaps: &mut Vec<String>,
        depth: usize,
    ) {
        gaps_within(schema, named, at, gaps, depth, false)
    }

    /// `narrowing`: inside the rules across fields that `contract` adds beside a named
    /// type, whose text fields the named type limits.
    fn gaps_within(
        schema: &RefOr<Schema>,
        named: &BTreeMap<String, RefOr<Schema>>,
        at: &str,
        gaps: &mut Vec<String>,
        depth: usize,
        narrowing: bool,
    ) {
        if depth > DEEPEST {
            return;
        }
        let schema = match schema {
            RefOr::T(s) => s,
            RefOr::Ref(r) => {
                let name = r.ref_location.rsplit('/').next().unwrap_or("");
                match named.get(name) {
                    Some(s) => {
                        return gaps_in_named(s, named, &format!("{at} ({name})"), gaps, depth + 1);
                    }
                    None => return gaps.push(format!("{at}: no schema {name}")),
                }
            }
        };
        let each = |items: &[RefOr<Schema>], gaps: &mut Vec<String>| {
            for s in items {
                gaps_within(s, named, at, gaps, depth + 1, true);
            }
        };
        match schema {
            Schema::Object(o) => {
                if accepts_text(&o.schema_type) && o.max_length.is_none() && !narrowing {
                    gaps.push(format!("{at}: text without maxLength"));
                }
                for (name, field) in &o.properties {
                    let at = format!("{at}.{name}");
                    gaps_within(field, named, &at, gaps, depth + 1, narrowing);
                }
            }
            Schema::Array(a) => {
                if a.max_items.is_none() && !narrowing {
                    gaps.push(format!("{at}: a list without maxItems"));
                }
                if let ArrayItems::RefOrSchema(items) = &a.items {
                    gaps_within(items, named, &format!("{at}[]"), gaps, depth + 1, narrowing);
                }
            }
            Schema::OneOf(o) => each(&o.items, gaps),
            Schema::AllOf(o) => each(&o.items, gaps),
            Schema::AnyOf(o) => each(&o.items, gaps),
            _ => {}
        }
    }

    /// Where a rule names a limit of its own, the document states that one.
    #[test]
    fn the_documented_list_limits_are_the_rules() {
        let doc = serde_json::to_value(super::super::openapi()).expect("json");
        let most = |schema: &str, field: &str| {
            doc["components"]["schemas"][schema]["properties"][field]["maxItems"]
                .as_u64()
                .map(|n| n as usize)
        };
        assert_eq!(
            most("OrderIn", "lines"),
            Some(crate::domain::intake::MAX_LINES)
        );
        assert_eq!(
            most("ChangeBatch", "changes"),
            Some(crate::api::MOST_CHANGES_IN_BATCH)
        );
    }

    fn read<T: DeserializeOwned + ToSchema + 'static>(body: &str) -> Result<(T, String), String> {
        read_json::<T>(body.as_bytes()).map_err(|e| e.to_string())
    }

    #[test]
    fn a_key_given_twice_is_refused_by_name() {
        let err = read::<StatusChangeIn>(r#"{"status":"hold","status":"cancelled"}"#)
            .expect_err("refused");
        assert!(err.contains("`status` is given twice"), "{err}");
    }

    #[test]
    fn the_canonical_form_sorts_keys_and_reads_numbers() {
        let (_, a) = read::<StatusChangeIn>(r#"{"reason":"x","status":"hold"}"#).expect("ok");
        let (_, b) =
            read::<StatusChangeIn>(r#"{ "status" : "hold", "reason" : "x" }"#).expect("ok");
        assert_eq!(a, b);
        assert_eq!(a, r#"{"reason":"x","status":"hold"}"#);
        let (_, with_null) =
            read::<StatusChangeIn>(r#"{"status":"hold","reason":null}"#).expect("ok");
        let (_, left_out) = read::<StatusChangeIn>(r#"{"status":"hold"}"#).expect("ok");
        assert_eq!(with_null, left_out, "null and absent are the same request");
    }

    #[test]
    fn a_number_below_the_smallest_integer_is_not_rounded_into_it() {
        let too_small = r#"{"product":"P","qty":-9223372036854775809,"set":false}"#;
        assert!(read::<crate::api::CountIn>(too_small).is_err());
        let smallest = r#"{"product":"P","qty":-9223372036854775808,"set":false}"#;
        assert!(read::<crate::api::CountIn>(smallest).is_ok());
    }

    #[test]
    fn text_is_checked_where_it_is_in_the_body() {
        let order = |name: &str| {
            serde_json::json!({
                "channel": "web", "channel_order_no": null,
                "customer": { "name": name, "email": "a@example.com", "phone": null },
                "ship_to": { "name": "A", "line1": "B", "line2": null, "city": "C",
                             "postal_code": "1", "region": null, "country": "FR" },
                "payment_method": "card", "currency": "EUR",
                "lines": [{ "sku": "TEA-1001", "qty": 1, "unit_price_minor": 1 }]
            })
            .to_string()
        };
        assert!(read::<OrderIn>(&order("Erika Mustermann")).is_ok());
        let err = read::<OrderIn>(&order("Erika\u{202E}nnamretsuM")).expect_err("bidi");
        assert!(err.contains("customer.name holds U+202E"), "{err}");
        let err = read::<OrderIn>(&order(&"x".repeat(5000))).expect_err("long");
        assert!(
            err.contains("customer.name is 5000 characters long"),
            "{err}"
        );
    }
}
