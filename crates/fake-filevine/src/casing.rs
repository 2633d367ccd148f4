//! The two key casings Filevine's gateway answers come in, and how to turn one into the other.

use serde_json::Value;

/// Key casing of JSON answers: the live gateway's camelCase (what Filevine's samples read) or
/// the export's PascalCase.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Casing {
    #[default]
    Camel,
    Pascal,
}

impl Casing {
    /// `value` with every object key in this casing (`OrgUserId` <-> `orgUserId`; an
    /// all-capitals key such as `ID` becomes `id` in camelCase).
    pub fn apply(self, value: Value) -> Value {
        match value {
            Value::Object(map) => Value::Object(
                map.into_iter()
                    .map(|(k, v)| (self.key(&k), self.apply(v)))
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.into_iter().map(|v| self.apply(v)).collect()),
            other => other,
        }
    }

    /// One key in this casing.
    pub fn key(self, key: &str) -> String {
        let mut chars = key.chars();
        let Some(first) = chars.next() else {
            return String::new();
        };
        match self {
            Casing::Pascal => first.to_ascii_uppercase().to_string() + chars.as_str(),
            Casing::Camel if key.chars().all(|c| !c.is_ascii_lowercase()) => {
                key.to_ascii_lowercase()
            }
            Casing::Camel => first.to_ascii_lowercase().to_string() + chars.as_str(),
        }
    }
}
