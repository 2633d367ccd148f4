//! Filevine's published gateway contract: for each operation a Filevine partner app calls, its
//! exact path, query parameters, headers and answer schema, transcribed from Filevine's own
//! Swagger export into `contract/gateway.json` (see its `_about`).
//!
//! A stand-in written by the same people as the app would otherwise drift into agreeing with
//! the app instead of with Filevine. So the stand-in refuses any request outside this contract
//! ([`Contract::check_request`]), and tests validate every answer it gives against the
//! published schema ([`Contract::validate`]) and feed the app answers built from the schema
//! alone ([`Contract::example`]).
//!
//! Rules read off the export, where Swagger 2.0 leaves room: keys are compared without regard
//! to case (the export is PascalCase, the live gateway camelCase); `null` is allowed where the
//! C# models behind the export allow it (strings, objects, arrays), never for integers,
//! booleans or enums (value types in C#); a key the schema does not list is an error, so the
//! stand-in cannot invent fields.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::{Map, Value};

#[path = "casing.rs"]
mod casing;
pub use casing::Casing;

/// The contract, as transcribed.
#[derive(Debug, Deserialize)]
pub struct Contract {
    pub operations: Vec<Operation>,
    pub definitions: BTreeMap<String, Schema>,
}

/// One published operation.
#[derive(Debug, Deserialize)]
pub struct Operation {
    #[serde(rename = "operationId")]
    pub id: String,
    pub method: String,
    /// Exactly as published, with `{name}` segments.
    pub path: String,
    pub query: Vec<QueryParam>,
    /// Required headers (`x-fv-orgid`, `x-fv-userid` on all but GetUserOrgsWithToken).
    pub headers: Vec<String>,
    #[serde(default)]
    pub body: Option<Schema>,
    pub response: Option<Schema>,
}

/// A published query parameter: its type (`integer`, `string`, `boolean`, `array`) and, for
/// integers, the published bounds (`limit` is `int32`, 0 to 1000).
#[derive(Debug, Deserialize)]
pub struct QueryParam {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub minimum: Option<i64>,
    #[serde(default)]
    pub maximum: Option<i64>,
}

impl QueryParam {
    /// Whether `value` is a value of this parameter as published.
    fn accepts(&self, value: &str) -> bool {
        match self.kind.as_str() {
            // Every integer parameter of the export is an `int32`.
            "integer" => value.trim().parse::<i32>().is_ok_and(|v| {
                self.minimum.is_none_or(|m| i64::from(v) >= m)
                    && self.maximum.is_none_or(|m| i64::from(v) <= m)
            }),
            "boolean" => ["true", "false"]
                .iter()
                .any(|b| value.eq_ignore_ascii_case(b)),
            _ => true,
        }
    }
}

/// The subset of Swagger 2.0 schema the export uses.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Schema {
    #[serde(rename = "$ref")]
    pub reference: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub format: Option<String>,
    pub items: Option<Box<Schema>>,
    pub properties: Option<BTreeMap<String, Schema>>,
    pub required: Option<Vec<String>>,
    #[serde(rename = "enum")]
    pub enumeration: Option<Vec<Value>>,
    /// The schema of every value of a map-like object (`Links` is a map of strings).
    #[serde(rename = "additionalProperties")]
    pub additional: Option<Box<Schema>>,
}

impl Contract {
    /// The published contract, parsed once.
    pub fn published() -> &'static Contract {
        static CONTRACT: OnceLock<Contract> = OnceLock::new();
        CONTRACT.get_or_init(|| {
            serde_json::from_str(include_str!("../contract/gateway.json"))
                .expect("contract/gateway.json is valid (checked by the crate's tests)")
        })
    }

    /// The operation published for `method` and `path` (exact casing; a `{name}` segment
    /// matches any one non-empty segment).
    pub fn operation(&self, method: &str, path: &str) -> Option<&Operation> {
        self.operations
            .iter()
            .find(|op| op.method.eq_ignore_ascii_case(method) && template_matches(&op.path, path))
    }

    /// Checks a request against its operation: the path is published with this exact casing,
    /// every query parameter is published and of its type, and the required headers are
    /// present as integers. Parameter names are compared without regard to case, as the
    /// gateway's model binding does.
    pub fn check_request<'h>(
        &self,
        method: &str,
        path: &str,
        query: &[(String, String)],
        header: impl Fn(&str) -> Option<&'h str>,
    ) -> Result<&Operation, String> {
        let op = self
            .operation(method, path)
            .ok_or_else(|| format!("{method} {path} is not a published operation"))?;
        for (name, value) in query {
            let Some(param) = op.query.iter().find(|p| p.name.eq_ignore_ascii_case(name)) else {
                return Err(format!(
                    "`{name}` is not a published query parameter of {}",
                    op.id
                ));
            };
            if !param.accepts(value) {
                let bounds = match (param.minimum, param.maximum) {
                    (Some(lo), Some(hi)) => format!(" from {lo} to {hi}"),
                    _ => String::new(),
                };
                return Err(format!(
                    "`{name}` of {} must be {}{bounds}",
                    op.id, param.kind
                ));
            }
        }
        for name in &op.headers {
            if header(name).is_none_or(|v| v.trim().parse::<i64>().is_err()) {
                return Err(format!("{} requires the {name} header (an integer)", op.id));
            }
        }
        Ok(op)
    }

    /// The named definition.
    pub fn definition(&self, name: &str) -> Option<&Schema> {
        self.definitions.get(name)
    }

    /// Every way `value` departs from `schema`, each as `path: problem` (empty: it conforms).
    pub fn validate(&self, schema: &Schema, value: &Value) -> Vec<String> {
        let mut problems = Vec::new();
        self.check(schema, value, "$", &mut problems);
        problems
    }

    fn resolve<'a>(&'a self, schema: &'a Schema) -> &'a Schema {
        match &schema.reference {
            Some(name) => self.definitions.get(name).unwrap_or(schema),
            None => schema,
        }
    }

    fn check(&self, schema: &Schema, value: &Value, at: &str, out: &mut Vec<String>) {
        let schema = self.resolve(schema);
        let kind = schema.kind.as_deref().unwrap_or("object");
        if value.is_null() {
            if matches!(kind, "integer" | "boolean" | "number") || schema.enumeration.is_some() {
                out.push(format!("{at}: null where the schema has a {kind}"));
            }
            return;
        }
        if let Some(allowed) = &schema.enumeration {
            if !allowed.contains(value) {
                out.push(format!("{at}: {value} is not one of the published values"));
                return;
            }
        }
        match (kind, value) {
            ("integer", Value::Number(n)) => {
                let fits = match schema.format.as_deref() {
                    Some("int32") => n.as_i64().is_some_and(|v| i32::try_from(v).is_ok()),
                    _ => n.is_i64() || n.is_u64(),
                };
                if !fits {
                    out.push(format!("{at}: {n} is not an integer of the published size"));
                }
            }
            ("number", Value::Number(_)) | ("boolean", Value::Bool(_)) => {}
            ("string", Value::String(s)) => {
                if let Some(problem) = format_problem(schema.format.as_deref(), s) {
                    out.push(format!("{at}: {problem}"));
                }
            }
            ("array", Value::Array(items)) => {
                let item = schema.items.as_deref().cloned().unwrap_or_default();
                for (i, v) in items.iter().enumerate() {
                    self.check(&item, v, &format!("{at}[{i}]"), out);
                }
            }
            ("object", Value::Object(map)) => self.check_object(schema, map, at, out),
            _ => out.push(format!(
                "{at}: {} where the schema has a {kind}",
                type_name(value)
            )),
        }
    }

    fn check_object(
        &self,
        schema: &Schema,
        map: &Map<String, Value>,
        at: &str,
        out: &mut Vec<String>,
    ) {
        // A map (`Links`: any key, string values) holds values of one schema; an object
        // without listed properties (sample payloads) may hold anything.
        if let Some(value_schema) = &schema.additional {
            for (key, v) in map {
                self.check(value_schema, v, &format!("{at}.{key}"), out);
            }
            return;
        }
        let Some(props) = &schema.properties else {
            return;
        };
        for (key, v) in map {
            match props
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(key))
            {
                Some((name, prop)) => self.check(prop, v, &format!("{at}.{name}"), out),
                None => out.push(format!("{at}.{key}: not a published field")),
            }
        }
        for name in schema.required.iter().flatten() {
            if !map.keys().any(|k| k.eq_ignore_ascii_case(name)) {
                out.push(format!("{at}.{name}: required, missing"));
            }
        }
    }

    /// A value of `schema` built from the schema alone, every property filled (in `casing`):
    /// integers count up from `1001` so each is distinct, strings are `"text N"` (dates and
    /// ids in their formats), enums take their first value. What a test feeds the app to
    /// prove it reads Filevine's published shapes, not the stand-in's.
    pub fn example(&self, schema: &Schema, casing: Casing) -> Value {
        let mut counter = 1000;
        casing.apply(self.build(schema, &mut counter, 0))
    }

    fn build(&self, schema: &Schema, n: &mut i64, depth: usize) -> Value {
        let schema = self.resolve(schema);
        *n += 1;
        if let Some(first) = schema.enumeration.as_ref().and_then(|e| e.first()) {
            return first.clone();
        }
        match schema.kind.as_deref().unwrap_or("object") {
            "integer" | "number" => Value::from(*n),
            "boolean" => Value::Bool(*n % 2 == 0),
            "string" => Value::String(match schema.format.as_deref() {
                Some("date-time") => format!("2026-03-{:02}T09:30:00Z", 1 + *n % 28),
                Some("uuid") | Some("guid") => format!("00000000-0000-4000-8000-{:012}", *n),
                _ => format!("text {n}"),
            }),
            "array" => {
                let item = schema.items.as_deref().cloned().unwrap_or_default();
                Value::Array(vec![self.build(&item, n, depth + 1)])
            }
            _ if depth > 6 => Value::Object(Map::new()),
            _ if schema.additional.is_some() => {
                let value = schema.additional.as_deref().cloned().unwrap_or_default();
                let mut map = Map::new();
                map.insert("self".to_owned(), self.build(&value, n, depth + 1));
                Value::Object(map)
            }
            _ => Value::Object(
                schema
                    .properties
                    .iter()
                    .flatten()
                    .map(|(k, s)| (k.clone(), self.build(s, n, depth + 1)))
                    .collect(),
            ),
        }
    }
}

/// Looks `key` up in an object without regard to case (how a tests reads a published answer
/// in either casing).
pub fn get_ci<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    value
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

fn template_matches(template: &str, path: &str) -> bool {
    let mut t = template.split('/');
    let mut p = path.split('/');
    loop {
        match (t.next(), p.next()) {
            (None, None) => return true,
            (Some(ts), Some(ps)) if ts.starts_with('{') && ts.ends_with('}') => {
                if ps.is_empty() {
                    return false;
                }
            }
            (Some(ts), Some(ps)) if ts == ps => {}
            _ => return false,
        }
    }
}

fn format_problem(format: Option<&str>, s: &str) -> Option<String> {
    match format {
        Some("date-time") => {
            time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                .is_err()
                .then(|| format!("{s:?} is not a date-time"))
        }
        Some("uuid") | Some("guid") => uuid::Uuid::parse_str(s)
            .is_err()
            .then(|| format!("{s:?} is not a uuid")),
        _ => None,
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
#[path = "contract_tests.rs"]
mod tests;
