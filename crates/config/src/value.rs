//! How a setting's value is read from a flag or environment variable (text), from the
//! config file or the API (JSON), and written back (JSON): one implementation per type.

use std::net::IpAddr;
use std::path::PathBuf;

use serde_json::Value;

/// A type a setting can have.
pub trait SettingValue: Sized + Clone + PartialEq {
    /// The JSON type, as the README table and the OpenAPI document name it.
    const JSON_TYPE: &'static str;
    /// Whether `null` is a value (unset).
    const NULLABLE: bool = false;
    /// Reads the text of a flag or environment variable.
    fn from_text(text: &str) -> Result<Self, String>;
    /// Reads a value of the config file or of the API.
    fn from_json(value: &Value) -> Result<Self, String>;
    /// The value as the API shows it and the config file stores it.
    fn to_json(&self) -> Value;
}

impl SettingValue for bool {
    const JSON_TYPE: &'static str = "boolean";
    fn from_text(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" | "y" => Ok(true),
            "false" | "0" | "no" | "off" | "n" => Ok(false),
            _ => Err(format!("{text:?} is not true or false")),
        }
    }
    fn from_json(value: &Value) -> Result<Self, String> {
        value
            .as_bool()
            .ok_or_else(|| "must be true or false".into())
    }
    fn to_json(&self) -> Value {
        Value::Bool(*self)
    }
}

impl SettingValue for u16 {
    const JSON_TYPE: &'static str = "integer";
    fn from_text(text: &str) -> Result<Self, String> {
        text.trim()
            .parse()
            .map_err(|_| format!("{text:?} is not a whole number from 0 to 65535"))
    }
    fn from_json(value: &Value) -> Result<Self, String> {
        value
            .as_u64()
            .and_then(|n| u16::try_from(n).ok())
            .ok_or_else(|| "must be a whole number from 0 to 65535".into())
    }
    fn to_json(&self) -> Value {
        Value::from(*self)
    }
}

impl SettingValue for u64 {
    const JSON_TYPE: &'static str = "integer";
    fn from_text(text: &str) -> Result<Self, String> {
        text.trim()
            .parse()
            .map_err(|_| format!("{text:?} is not a non-negative whole number"))
    }
    fn from_json(value: &Value) -> Result<Self, String> {
        value
            .as_u64()
            .ok_or_else(|| "must be a non-negative whole number".into())
    }
    fn to_json(&self) -> Value {
        Value::from(*self)
    }
}

impl SettingValue for i64 {
    const JSON_TYPE: &'static str = "integer";
    fn from_text(text: &str) -> Result<Self, String> {
        text.trim()
            .parse()
            .map_err(|_| format!("{text:?} is not a whole number"))
    }
    fn from_json(value: &Value) -> Result<Self, String> {
        value
            .as_i64()
            .ok_or_else(|| "must be a whole number".into())
    }
    fn to_json(&self) -> Value {
        Value::from(*self)
    }
}

impl SettingValue for f64 {
    const JSON_TYPE: &'static str = "number";
    fn from_text(text: &str) -> Result<Self, String> {
        text.trim()
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .ok_or_else(|| format!("{text:?} is not a number"))
    }
    fn from_json(value: &Value) -> Result<Self, String> {
        value
            .as_f64()
            .filter(|n| n.is_finite())
            .ok_or_else(|| "must be a number".into())
    }
    fn to_json(&self) -> Value {
        Value::from(*self)
    }
}

impl SettingValue for String {
    const JSON_TYPE: &'static str = "string";
    fn from_text(text: &str) -> Result<Self, String> {
        Ok(text.to_owned())
    }
    fn from_json(value: &Value) -> Result<Self, String> {
        value
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| "must be a string".into())
    }
    fn to_json(&self) -> Value {
        Value::String(self.clone())
    }
}

impl SettingValue for PathBuf {
    const JSON_TYPE: &'static str = "string";
    fn from_text(text: &str) -> Result<Self, String> {
        Ok(PathBuf::from(text))
    }
    fn from_json(value: &Value) -> Result<Self, String> {
        let text = value.as_str().ok_or("must be a string (a path)")?;
        if text.contains('\0') {
            return Err("must not contain a NUL byte".into());
        }
        Ok(PathBuf::from(text))
    }
    fn to_json(&self) -> Value {
        Value::String(self.display().to_string())
    }
}

impl SettingValue for IpAddr {
    const JSON_TYPE: &'static str = "string";
    fn from_text(text: &str) -> Result<Self, String> {
        text.trim()
            .parse()
            .map_err(|_| format!("{text:?} is not an IP address"))
    }
    fn from_json(value: &Value) -> Result<Self, String> {
        Self::from_text(value.as_str().ok_or("must be a string (an IP address)")?)
    }
    fn to_json(&self) -> Value {
        Value::String(self.to_string())
    }
}

/// A list: comma-separated as text, an array in the file.
impl SettingValue for Vec<String> {
    const JSON_TYPE: &'static str = "array";
    fn from_text(text: &str) -> Result<Self, String> {
        Ok(text
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect())
    }
    fn from_json(value: &Value) -> Result<Self, String> {
        let items = value.as_array().ok_or("must be an array of strings")?;
        items
            .iter()
            .map(|item| {
                item.as_str()
                    .map(|s| s.trim().to_owned())
                    .ok_or_else(|| "must be an array of strings".to_owned())
            })
            .filter(|item| item.as_ref().map_or(true, |s| !s.is_empty()))
            .collect()
    }
    fn to_json(&self) -> Value {
        Value::from(self.clone())
    }
}

/// An entry of a list setting made of objects (watch folders, webhooks...): read
/// and written with serde, checked by [`ListItem::check`].
pub trait ListItem: serde::Serialize + serde::de::DeserializeOwned + Clone + PartialEq {
    /// What one entry looks like, for messages (`{"path", ...}`).
    const SHAPE: &'static str;
    /// Checks one entry; the error names what is wrong.
    fn check(&self) -> Result<(), String>;
}

/// A list of objects: a JSON array (also as the text of a flag or variable).
impl<T: ListItem> SettingValue for Vec<T> {
    const JSON_TYPE: &'static str = "array";
    fn from_text(text: &str) -> Result<Self, String> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| format!("not a JSON array: {e}"))?;
        Self::from_json(&value)
    }
    fn from_json(value: &Value) -> Result<Self, String> {
        let items = value
            .as_array()
            .ok_or_else(|| format!("must be an array of {}", T::SHAPE))?;
        items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let entry: T = serde_json::from_value(item.clone())
                    .map_err(|e| format!("entry {}: {e}; expected {}", i + 1, T::SHAPE))?;
                entry
                    .check()
                    .map_err(|why| format!("entry {}: {why}", i + 1))?;
                Ok(entry)
            })
            .collect()
    }
    fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Array(Vec::new()))
    }
}

impl ListItem for cloud_torrent_hooks::EventProgram {
    const SHAPE: &'static str = "{\"event\", \"argv\": [\"/path/prog\", ...], \"timeoutSeconds\"?}";
    fn check(&self) -> Result<(), String> {
        cloud_torrent_hooks::EventProgram::check(self).map_err(|e| e.to_string())
    }
}

impl ListItem for cloud_torrent_hooks::Webhook {
    const SHAPE: &'static str = "{\"url\", \"events\"?, \"headers\"?, \"format\"?: \"json\" | \"discord\" | \"ntfy\" | \"gotify\"}";
    fn check(&self) -> Result<(), String> {
        cloud_torrent_hooks::Webhook::check(self).map_err(|e| e.to_string())
    }
}

/// An optional setting: empty text (or an empty string in the file) means unset.
impl<T: SettingValue> SettingValue for Option<T> {
    const JSON_TYPE: &'static str = T::JSON_TYPE;
    const NULLABLE: bool = true;
    fn from_text(text: &str) -> Result<Self, String> {
        if text.is_empty() {
            return Ok(None);
        }
        T::from_text(text).map(Some)
    }
    fn from_json(value: &Value) -> Result<Self, String> {
        match value {
            Value::Null => Ok(None),
            Value::String(s) if s.is_empty() => Ok(None),
            other => T::from_json(other).map(Some),
        }
    }
    fn to_json(&self) -> Value {
        self.as_ref().map_or(Value::Null, T::to_json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_and_json_forms() {
        assert_eq!(bool::from_text("ON"), Ok(true));
        assert!(bool::from_text("maybe").is_err());
        assert_eq!(u16::from_text("8080"), Ok(8080));
        assert!(u16::from_text("70000").is_err());
        assert!(u16::from_json(&json!(-1)).is_err());
        assert!(f64::from_text("nan").is_err());
        assert_eq!(
            Vec::<String>::from_text("a, b,,c"),
            Ok(vec!["a".into(), "b".into(), "c".into()])
        );
        assert!(Vec::<String>::from_json(&json!(["a", 1])).is_err());
        assert_eq!(Option::<PathBuf>::from_text(""), Ok(None));
        assert_eq!(Option::<PathBuf>::from_json(&json!("")), Ok(None));
        assert!(PathBuf::from_json(&json!("a\0b")).is_err());
        assert_eq!(
            Option::<IpAddr>::from_json(&json!("::1")).unwrap().unwrap(),
            "::1".parse::<IpAddr>().unwrap()
        );
    }
}
