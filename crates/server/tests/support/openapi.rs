//! Checks real responses against `openapi.json`: the path template, method and status must
//! be documented, a documented JSON body must match its schema, and an undocumented body must
//! be empty.
//!
//! The schema checker supports what the document uses: `$ref`, `type`, `properties`,
//! `required`, `items`, `enum`, `nullable`, `additionalProperties`, `minimum`/`maximum`, and
//! `format: byte` (standard base64). It is stricter than JSON Schema in one way: an object
//! schema without `additionalProperties` refuses properties it does not declare, so every
//! field the server sends must be documented.

use std::collections::BTreeSet;
use std::sync::{Mutex, OnceLock};

use base64::Engine;
use serde_json::Value;

use super::Response;

/// The served document.
pub const DOCUMENT: &str = include_str!("../../openapi.json");

/// The parsed document.
pub struct OpenApi {
    doc: Value,
    seen: Mutex<BTreeSet<(String, String, u16)>>,
}

/// The document, parsed once per test binary.
pub fn spec() -> &'static OpenApi {
    static SPEC: OnceLock<OpenApi> = OnceLock::new();
    SPEC.get_or_init(|| OpenApi {
        doc: serde_json::from_str(DOCUMENT).expect("openapi.json is JSON"),
        seen: Mutex::new(BTreeSet::new()),
    })
}

const METHODS: &[&str] = &["get", "put", "post", "delete", "patch", "head", "options"];

fn segments(path: &str) -> Vec<&str> {
    path.trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect()
}

impl OpenApi {
    /// The raw document.
    pub fn doc(&self) -> &Value {
        &self.doc
    }

    /// Every documented (method, path template).
    pub fn operations(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if let Some(paths) = self.doc["paths"].as_object() {
            for (template, item) in paths {
                for method in METHODS {
                    if item.get(*method).is_some() {
                        out.push((method.to_uppercase(), template.clone()));
                    }
                }
            }
        }
        out
    }

    /// Every (method, template, status) checked so far in this process.
    pub fn seen(&self) -> BTreeSet<(String, String, u16)> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The template matching a request path (query string ignored; trailing `/` optional);
    /// literal segments win over parameters.
    pub fn template_for(&self, path: &str) -> Option<String> {
        let path = path.split('?').next().unwrap_or_default();
        let want = segments(path);
        let paths = self.doc["paths"].as_object()?;
        paths
            .keys()
            .filter_map(|template| {
                let have = segments(template);
                if have.len() != want.len() {
                    return None;
                }
                let mut literals = 0;
                for (t, w) in have.iter().zip(&want) {
                    if t.starts_with('{') && t.ends_with('}') {
                        continue;
                    }
                    if t != w {
                        return None;
                    }
                    literals += 1;
                }
                Some((literals, template.clone()))
            })
            .max()
            .map(|(_, t)| t)
    }

    fn resolve<'a>(&'a self, mut value: &'a Value) -> Result<&'a Value, String> {
        for _ in 0..16 {
            let Some(pointer) = value.get("$ref").and_then(Value::as_str) else {
                return Ok(value);
            };
            let pointer = pointer
                .strip_prefix('#')
                .ok_or_else(|| format!("external $ref {pointer}"))?;
            value = self
                .doc
                .pointer(pointer)
                .ok_or_else(|| format!("dangling $ref {pointer}"))?;
        }
        Err("$ref cycle".into())
    }

    /// Checks a response to `method path`.
    pub fn check(&self, method: &str, path: &str, response: &Response) -> Result<(), String> {
        let template = self
            .template_for(path)
            .ok_or_else(|| format!("{path} is not documented"))?;
        let operation = &self.doc["paths"][&template][method.to_lowercase()];
        if operation.is_null() {
            return Err(format!("{method} {template} is not documented"));
        }
        let status = response.status.to_string();
        let documented = operation["responses"]
            .get(&status)
            .ok_or_else(|| format!("{method} {template}: status {status} is not documented"))?;
        let documented = self.resolve(documented)?;
        if let Ok(mut seen) = self.seen.lock() {
            seen.insert((method.to_uppercase(), template.clone(), response.status));
        }
        let at = format!("{method} {template} {status}");
        match documented.pointer("/content/application~1json/schema") {
            Some(schema) => {
                let content_type = response.header("content-type").unwrap_or_default();
                if !content_type.starts_with("application/json") {
                    return Err(format!("{at}: content-type {content_type:?}"));
                }
                let body: Value = serde_json::from_slice(&response.body)
                    .map_err(|e| format!("{at}: body is not JSON: {e}"))?;
                self.validate(schema, &body, &at)
            }
            None => match documented.get("content").and_then(Value::as_object) {
                // Images, raw bytes, HTML: the content type must be one the document names.
                Some(types) if !types.is_empty() => {
                    let content_type = response.header("content-type").unwrap_or_default();
                    if types.keys().any(|t| content_type.starts_with(t.as_str())) {
                        Ok(())
                    } else {
                        Err(format!(
                            "{at}: content-type {content_type:?} is not documented"
                        ))
                    }
                }
                _ if response.body.is_empty() => Ok(()),
                _ => Err(format!("{at}: undocumented body {:?}", response.text())),
            },
        }
    }

    /// Checks `value` against `schema`; `at` names the place in error messages.
    pub fn validate(&self, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
        let schema = self.resolve(schema)?;
        if value.is_null() && schema["nullable"] == Value::Bool(true) {
            return Ok(());
        }
        if let Some(options) = schema.get("enum").and_then(Value::as_array) {
            if !options.contains(value) {
                return Err(format!("{at}: {value} is not one of {options:?}"));
            }
        }
        let Some(kind) = schema.get("type").and_then(Value::as_str) else {
            return Ok(());
        };
        match kind {
            "object" => self.validate_object(schema, value, at),
            "array" => {
                let items = value
                    .as_array()
                    .ok_or_else(|| format!("{at}: expected an array, got {value}"))?;
                let item_schema = schema.get("items").cloned().unwrap_or(Value::Null);
                for (i, item) in items.iter().enumerate() {
                    if !item_schema.is_null() {
                        self.validate(&item_schema, item, &format!("{at}[{i}]"))?;
                    }
                }
                Ok(())
            }
            "string" => {
                let text = value
                    .as_str()
                    .ok_or_else(|| format!("{at}: expected a string, got {value}"))?;
                if schema["format"] == "byte"
                    && base64::engine::general_purpose::STANDARD
                        .decode(text)
                        .is_err()
                {
                    return Err(format!("{at}: {text:?} is not standard base64"));
                }
                Ok(())
            }
            "integer" => {
                let n = value
                    .as_i64()
                    .ok_or_else(|| format!("{at}: expected an integer, got {value}"))?;
                if let Some(min) = schema.get("minimum").and_then(Value::as_i64) {
                    if n < min {
                        return Err(format!("{at}: {n} < minimum {min}"));
                    }
                }
                if let Some(max) = schema.get("maximum").and_then(Value::as_i64) {
                    if n > max {
                        return Err(format!("{at}: {n} > maximum {max}"));
                    }
                }
                Ok(())
            }
            "number" => value
                .is_number()
                .then_some(())
                .ok_or_else(|| format!("{at}: expected a number, got {value}")),
            "boolean" => value
                .is_boolean()
                .then_some(())
                .ok_or_else(|| format!("{at}: expected a boolean, got {value}")),
            other => Err(format!("{at}: unsupported schema type {other}")),
        }
    }

    fn validate_object(&self, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
        let object = value
            .as_object()
            .ok_or_else(|| format!("{at}: expected an object, got {value}"))?;
        let empty = serde_json::Map::new();
        let properties = schema
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        if let Some(required) = schema.get("required").and_then(Value::as_array) {
            for name in required.iter().filter_map(Value::as_str) {
                if !object.contains_key(name) {
                    return Err(format!("{at}: required property {name:?} is missing"));
                }
            }
        }
        for (name, item) in object {
            let here = format!("{at}.{name}");
            match (properties.get(name), schema.get("additionalProperties")) {
                (Some(property), _) => self.validate(property, item, &here)?,
                (None, Some(Value::Bool(false)) | None) => {
                    return Err(format!("{at}: undocumented property {name:?}"))
                }
                (None, Some(Value::Bool(true))) => {}
                (None, Some(extra)) => self.validate(extra, item, &here)?,
            }
        }
        Ok(())
    }
}
