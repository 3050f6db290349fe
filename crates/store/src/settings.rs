//! Operator settings (ORIGINAL_DESIGN.md "Settings stored in the database", ADMIN_API.md
//! `/v2/settings`): the original names and defaults, typed, plus a generic name/value store.
//!
//! Values are stored as text (`true`/`false`, decimal integers, raw strings) so the table reads
//! the same on every backend and a hand edit is obvious.

use std::collections::HashMap;

use sea_orm::{ActiveValue::Set, ColumnTrait as _, EntityTrait as _, QueryFilter as _};
use serde::Serialize;
use serde_json::Value;

use crate::entity::settings::{self, Column, Entity};
use crate::query::{delete_row, upsert};
use crate::time::now_ms;
use crate::{Store, StoreError};

/// The original settings, by their original names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SettingName {
    ApiKey,
    AdminPassword,
    DebugLog,
    EnableRequestLog,
    LogRetentionDays,
    EnableIpRateLimit,
    IpRateLimitWindow,
    IpRateLimitMax,
}

impl SettingName {
    pub const ALL: [Self; 8] = [
        Self::ApiKey,
        Self::AdminPassword,
        Self::DebugLog,
        Self::EnableRequestLog,
        Self::LogRetentionDays,
        Self::EnableIpRateLimit,
        Self::IpRateLimitWindow,
        Self::IpRateLimitMax,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ApiKey => "apiKey",
            Self::AdminPassword => "adminPassword",
            Self::DebugLog => "debugLog",
            Self::EnableRequestLog => "enableRequestLog",
            Self::LogRetentionDays => "logRetentionDays",
            Self::EnableIpRateLimit => "enableIPRateLimit",
            Self::IpRateLimitWindow => "ipRateLimitWindow",
            Self::IpRateLimitMax => "ipRateLimitMax",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|n| n.as_str() == name)
    }
}

/// The typed settings with the original defaults filled in for anything never set.
#[derive(Clone, PartialEq, Eq)]
pub struct Settings {
    /// The original single client key (empty = none). The gateway treats it as one more API key.
    pub api_key: String,
    /// Argon2 PHC string of the admin password; `None` means never changed, i.e. the seed
    /// default `admin` applies and the admin API must report `must_change_password`.
    pub admin_password_hash: Option<String>,
    pub debug_log: bool,
    pub enable_request_log: bool,
    /// Days of request logs to keep; 0 keeps them forever.
    pub log_retention_days: u32,
    pub enable_ip_rate_limit: bool,
    /// Window of the per-IP limit, in minutes.
    pub ip_rate_limit_window: u32,
    pub ip_rate_limit_max: u32,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("api_key", &if self.api_key.is_empty() { "" } else { "***" })
            .field("admin_password_set", &self.admin_password_hash.is_some())
            .field("debug_log", &self.debug_log)
            .field("enable_request_log", &self.enable_request_log)
            .field("log_retention_days", &self.log_retention_days)
            .field("enable_ip_rate_limit", &self.enable_ip_rate_limit)
            .field("ip_rate_limit_window", &self.ip_rate_limit_window)
            .field("ip_rate_limit_max", &self.ip_rate_limit_max)
            .finish()
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            api_key: String::new(),
            admin_password_hash: None,
            debug_log: false,
            enable_request_log: true,
            log_retention_days: 30,
            enable_ip_rate_limit: false,
            ip_rate_limit_window: 1,
            ip_rate_limit_max: 100,
        }
    }
}

/// `GET /v2/settings` (and the fields `PUT /v2/settings` accepts besides the write-only
/// `adminPassword`): the original names and JSON types.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct PublicSettings {
    #[serde(rename = "apiKey")]
    pub api_key: String,
    #[serde(rename = "debugLog")]
    pub debug_log: bool,
    #[serde(rename = "enableRequestLog")]
    pub enable_request_log: bool,
    #[serde(rename = "logRetentionDays")]
    pub log_retention_days: u32,
    #[serde(rename = "enableIPRateLimit")]
    pub enable_ip_rate_limit: bool,
    #[serde(rename = "ipRateLimitWindow")]
    pub ip_rate_limit_window: u32,
    #[serde(rename = "ipRateLimitMax")]
    pub ip_rate_limit_max: u32,
}

/// The seed admin password of the original design, valid until changed.
pub const DEFAULT_ADMIN_PASSWORD: &str = "admin";

fn want_bool(name: &str, v: &Value) -> Result<bool, StoreError> {
    v.as_bool()
        .ok_or_else(|| StoreError::Invalid(format!("setting {name} must be a boolean")))
}

fn want_u32(name: &str, v: &Value, min: u32, max: u32) -> Result<u32, StoreError> {
    v.as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| {
            StoreError::Invalid(format!(
                "setting {name} must be an integer in {min}..={max}"
            ))
        })
}

impl Settings {
    /// Applies one `PUT /v2/settings` entry, checking the name and the JSON type. `adminPassword`
    /// is refused here: the gateway hashes it and calls [`Store::set_admin_password_hash`].
    pub fn apply_json(&mut self, name: &str, value: &Value) -> Result<(), StoreError> {
        let setting = SettingName::parse(name)
            .ok_or_else(|| StoreError::Invalid(format!("unknown setting {name}")))?;
        match setting {
            SettingName::ApiKey => {
                value
                    .as_str()
                    .ok_or_else(|| StoreError::Invalid("setting apiKey must be a string".into()))?
                    .clone_into(&mut self.api_key);
            }
            SettingName::AdminPassword => {
                return Err(StoreError::Invalid(
                    "adminPassword is changed through the password endpoint (it is stored hashed)"
                        .into(),
                ));
            }
            SettingName::DebugLog => self.debug_log = want_bool(name, value)?,
            SettingName::EnableRequestLog => self.enable_request_log = want_bool(name, value)?,
            SettingName::LogRetentionDays => {
                self.log_retention_days = want_u32(name, value, 0, 3650)?;
            }
            SettingName::EnableIpRateLimit => self.enable_ip_rate_limit = want_bool(name, value)?,
            SettingName::IpRateLimitWindow => {
                self.ip_rate_limit_window = want_u32(name, value, 1, 1440)?;
            }
            SettingName::IpRateLimitMax => {
                self.ip_rate_limit_max = want_u32(name, value, 1, 10_000_000)?;
            }
        }
        Ok(())
    }

    /// The settings as `GET /v2/settings` shows them: original names, `adminPassword` omitted
    /// (write-only).
    pub fn public(&self) -> PublicSettings {
        PublicSettings {
            api_key: self.api_key.clone(),
            debug_log: self.debug_log,
            enable_request_log: self.enable_request_log,
            log_retention_days: self.log_retention_days,
            enable_ip_rate_limit: self.enable_ip_rate_limit,
            ip_rate_limit_window: self.ip_rate_limit_window,
            ip_rate_limit_max: self.ip_rate_limit_max,
        }
    }

    /// [`Self::public`] as a JSON object.
    pub fn to_public_json(&self) -> Value {
        serde_json::to_value(self.public()).unwrap_or_default()
    }

    fn to_rows(&self) -> Vec<(SettingName, String)> {
        vec![
            (SettingName::ApiKey, self.api_key.clone()),
            (SettingName::DebugLog, self.debug_log.to_string()),
            (
                SettingName::EnableRequestLog,
                self.enable_request_log.to_string(),
            ),
            (
                SettingName::LogRetentionDays,
                self.log_retention_days.to_string(),
            ),
            (
                SettingName::EnableIpRateLimit,
                self.enable_ip_rate_limit.to_string(),
            ),
            (
                SettingName::IpRateLimitWindow,
                self.ip_rate_limit_window.to_string(),
            ),
            (
                SettingName::IpRateLimitMax,
                self.ip_rate_limit_max.to_string(),
            ),
        ]
    }

    /// Unparseable stored values fall back to the default with a warning: a bad hand edit must
    /// not stop the gateway from starting.
    fn from_rows(rows: &HashMap<String, String>) -> Self {
        let mut s = Self::default();
        let bool_of = |name: SettingName, default: bool| -> bool {
            rows.get(name.as_str())
                .map_or(default, |v| match v.as_str() {
                    "true" | "1" => true,
                    "false" | "0" => false,
                    other => {
                        tracing::warn!(
                            setting = name.as_str(),
                            value = other,
                            "bad stored setting, using default"
                        );
                        default
                    }
                })
        };
        let u32_of = |name: SettingName, default: u32| -> u32 {
            rows.get(name.as_str()).map_or(default, |v| {
                v.parse().unwrap_or_else(|_| {
                    tracing::warn!(setting = name.as_str(), value = %v, "bad stored setting, using default");
                    default
                })
            })
        };
        if let Some(v) = rows.get(SettingName::ApiKey.as_str()) {
            s.api_key.clone_from(v);
        }
        s.admin_password_hash = rows
            .get(SettingName::AdminPassword.as_str())
            .filter(|v| !v.is_empty())
            .cloned();
        s.debug_log = bool_of(SettingName::DebugLog, s.debug_log);
        s.enable_request_log = bool_of(SettingName::EnableRequestLog, s.enable_request_log);
        s.log_retention_days = u32_of(SettingName::LogRetentionDays, s.log_retention_days);
        s.enable_ip_rate_limit = bool_of(SettingName::EnableIpRateLimit, s.enable_ip_rate_limit);
        s.ip_rate_limit_window = u32_of(SettingName::IpRateLimitWindow, s.ip_rate_limit_window);
        s.ip_rate_limit_max = u32_of(SettingName::IpRateLimitMax, s.ip_rate_limit_max);
        s
    }
}

impl Store {
    /// The typed settings (defaults for anything never stored).
    pub async fn settings(&self) -> Result<Settings, StoreError> {
        let names: Vec<&str> = SettingName::ALL.iter().map(|n| n.as_str()).collect();
        let rows = Entity::find()
            .filter(Column::Name.is_in(names))
            .all(self.db())
            .await?
            .into_iter()
            .map(|m| (m.name, m.value))
            .collect();
        Ok(Settings::from_rows(&rows))
    }

    /// Stores every typed setting except the admin password (one upsert per name, in one
    /// transaction-free batch: each row is independent).
    pub async fn save_settings(&self, settings: &Settings) -> Result<(), StoreError> {
        for (name, value) in settings.to_rows() {
            self.set_setting_raw(name.as_str(), &value).await?;
        }
        Ok(())
    }

    /// Stores a new admin password hash (argon2 PHC string made by the gateway).
    pub async fn set_admin_password_hash(&self, hash: &str) -> Result<(), StoreError> {
        if hash.is_empty() {
            return Err(StoreError::Invalid("empty password hash".into()));
        }
        self.set_setting_raw(SettingName::AdminPassword.as_str(), hash)
            .await
    }

    /// Generic name/value read (any name, including non-typed ones like console preferences).
    pub async fn get_setting_raw(&self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(Entity::find_by_id(name.to_owned())
            .one(self.db())
            .await?
            .map(|m| m.value))
    }

    /// Generic name/value upsert.
    pub async fn set_setting_raw(&self, name: &str, value: &str) -> Result<(), StoreError> {
        if name.is_empty() || name.len() > 128 {
            return Err(StoreError::Invalid(
                "setting name must be 1..=128 characters".into(),
            ));
        }
        let row = settings::ActiveModel {
            name: Set(name.to_owned()),
            value: Set(value.to_owned()),
            updated_at: Set(now_ms()),
        };
        let overwrite = [Column::Value, Column::UpdatedAt];
        upsert(self.db(), row, Column::Name, overwrite).await
    }

    pub async fn delete_setting_raw(&self, name: &str) -> Result<bool, StoreError> {
        delete_row::<Entity>(self.db(), name).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn apply_checks_names_and_types() {
        let mut s = Settings::default();
        s.apply_json("debugLog", &json!(true)).unwrap();
        s.apply_json("ipRateLimitMax", &json!(5)).unwrap();
        assert!(s.debug_log);
        assert_eq!(s.ip_rate_limit_max, 5);
        assert!(s.apply_json("debugLog", &json!("yes")).is_err());
        assert!(s.apply_json("ipRateLimitWindow", &json!(0)).is_err());
        assert!(s.apply_json("nope", &json!(1)).is_err());
        assert!(s.apply_json("adminPassword", &json!("x")).is_err());
    }

    #[test]
    fn public_json_omits_password_and_round_trips_rows() {
        let s = Settings {
            admin_password_hash: Some("$argon2id$...".into()),
            ..Settings::default()
        };
        let j = s.to_public_json();
        assert!(j.get("adminPassword").is_none());
        assert_eq!(j["logRetentionDays"], json!(30));
        let rows: HashMap<String, String> = s
            .to_rows()
            .into_iter()
            .map(|(n, v)| (n.as_str().to_owned(), v))
            .collect();
        let back = Settings::from_rows(&rows);
        assert_eq!(back.log_retention_days, 30);
        assert!(back.admin_password_hash.is_none());
    }
}
