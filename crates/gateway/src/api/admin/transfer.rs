//! Account documents in and out (shared/ADMIN_API.md §Accounts: create, feed, import, export;
//! used by the admin API and by `claude-server accounts import|export`).
//!
//! Import recognises, in this order:
//! 1. this project's export: `{"format":"claude-api-accounts","version":1,"accounts":[…]}`;
//! 2. a plain list of account objects, bare or as `{"accounts":[…]}` (the `POST /v2/accounts` shape);
//! 3. a Kiro IDE token file (`kiro-auth-token.json`: camelCase `refreshToken`, `accessToken`,
//!    `expiresAt`, `authMethod`, `profileArn`, `region`; `clientId`/`clientSecret` may be merged in
//!    from the IdC registration file) — amazon-q-protocol.md §2.11;
//! 4. an Amazon Q CLI token + registration pair: `{"token":{…},"registration":{…}}` or the
//!    `auth_kv` keys `codewhisperer:odic:token` / `codewhisperer:odic:device-registration`
//!    (values as objects or JSON strings);
//! 5. kiro-cli's token store (its SQLite `data.sqlite3`, read into JSON first, or the same rows as
//!    JSON) with the profile the CLI chose — `kiro_cli.rs`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use store::{AuthMethod, ClientRegistration, NewAccount, Secret, Store};

use crate::error::Error;

/// Marker of this project's export document.
pub const EXPORT_FORMAT: &str = "claude-api-accounts";

/// `POST /v2/accounts` body (also one element of feed / plain-list imports).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[derive(ts_rs::TS)]
#[ts(rename = "NewAccount", optional_fields)]
pub struct AccountInput {
    label: Option<String>,
    auth_method: AuthMethod,
    client_id: Option<String>,
    client_secret: Option<String>,
    refresh_token: String,
    access_token: Option<String>,
    expires_at: Option<DateTime<Utc>>,
    region: Option<String>,
    profile_arn: Option<String>,
    start_url: Option<String>,
    enabled: Option<bool>,
}

/// One account of this project's export (secrets included).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportedAccount {
    id: String,
    label: String,
    auth_method: AuthMethod,
    oidc_region: String,
    api_region: String,
    start_url: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    client_expires_at: Option<DateTime<Utc>>,
    refresh_token: String,
    access_token: Option<String>,
    expires_at: Option<DateTime<Utc>>,
    profile_arn: Option<String>,
    weight: u32,
    max_concurrency: u32,
    proxy_url: Option<String>,
    enabled: bool,
}

/// Result of feed / import: `{"created":[id…], "rejected":[{"index","error"}]}`.
#[derive(Debug, Default, Serialize, ts_rs::TS)]
#[ts(rename = "FeedResult")]
pub struct ImportResult {
    /// Ids of the stored accounts.
    pub created: Vec<String>,
    /// Entries that were not stored.
    pub rejected: Vec<Rejected>,
}

/// One rejected entry.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct Rejected {
    /// Position in the submitted list.
    pub index: usize,
    /// Why.
    pub error: String,
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

impl AccountInput {
    /// Validates and converts into a store record.
    pub fn into_new(self) -> Result<NewAccount, Error> {
        let refresh = self.refresh_token.trim().to_string();
        if refresh.is_empty() {
            return Err(Error::field("refresh_token", "must not be empty"));
        }
        let mut new = NewAccount::new(self.auth_method, Secret::new(refresh));
        let client_id = non_empty(self.client_id);
        let client_secret = non_empty(self.client_secret);
        match (client_id, client_secret) {
            (Some(id), Some(secret)) => {
                new.credentials.client = Some(ClientRegistration {
                    client_id: id,
                    client_secret: Secret::new(secret),
                    expires_at: None,
                });
            }
            (None, None) if self.auth_method == AuthMethod::Social => {}
            (None, None) => {
                return Err(Error::field(
                    "client_id",
                    "builder_id and idc accounts need client_id and client_secret to refresh",
                ));
            }
            (Some(_), None) => return Err(Error::field("client_secret", "missing")),
            (None, Some(_)) => return Err(Error::field("client_id", "missing")),
        }
        if let Some(region) = non_empty(self.region) {
            if !region
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
            {
                return Err(Error::field("region", "not an AWS region name"));
            }
            new.settings.oidc_region.clone_from(&region);
            new.settings.api_region = region;
        }
        new.settings.label = non_empty(self.label).unwrap_or_default();
        new.credentials.access_token = non_empty(self.access_token).map(Secret::new);
        new.credentials.expires_at = self.expires_at;
        new.settings.profile_arn = non_empty(self.profile_arn);
        new.settings.start_url = non_empty(self.start_url);
        new.settings.enabled = self.enabled.unwrap_or(true);
        Ok(new)
    }
}

impl ExportedAccount {
    fn into_new(self) -> Result<NewAccount, Error> {
        if self.refresh_token.trim().is_empty() {
            return Err(Error::field("refresh_token", "must not be empty"));
        }
        let mut new = NewAccount::new(self.auth_method, Secret::new(self.refresh_token));
        new.id = Some(self.id);
        new.settings.label = self.label;
        new.settings.oidc_region = self.oidc_region;
        new.settings.api_region = self.api_region;
        new.settings.start_url = self.start_url;
        new.credentials.client = match (self.client_id, self.client_secret) {
            (Some(id), Some(secret)) => Some(ClientRegistration {
                client_id: id,
                client_secret: Secret::new(secret),
                expires_at: self.client_expires_at,
            }),
            _ => None,
        };
        new.credentials.access_token = self.access_token.map(Secret::new);
        new.credentials.expires_at = self.expires_at;
        new.settings.profile_arn = self.profile_arn;
        new.settings.weight = self.weight;
        new.settings.max_concurrency = self.max_concurrency;
        new.settings.proxy_url = self.proxy_url;
        new.settings.enabled = self.enabled;
        Ok(new)
    }
}

/// Decodes `doc` into the accounts it describes (one result per entry, in order).
pub fn decode(doc: &Value) -> Result<Vec<Result<NewAccount, Error>>, Error> {
    if doc.get("format").and_then(Value::as_str) == Some(EXPORT_FORMAT) {
        let list = doc
            .get("accounts")
            .and_then(Value::as_array)
            .ok_or_else(|| Error::field("accounts", "the export document has no accounts list"))?;
        return Ok(list
            .iter()
            .map(|v| from_value::<ExportedAccount>(v).and_then(ExportedAccount::into_new))
            .collect());
    }
    if let Some(list) = doc
        .as_array()
        .or_else(|| doc.get("accounts").and_then(Value::as_array))
    {
        return Ok(list.iter().map(decode_one).collect());
    }
    if doc.get("refreshToken").is_some() {
        return Ok(vec![kiro(doc)]);
    }
    if super::kiro_cli::looks_like(doc) {
        return Ok(vec![super::kiro_cli::decode(doc)]);
    }
    if doc.get("token").is_some() || doc.get("codewhisperer:odic:token").is_some() {
        return Ok(vec![q_cli(doc)]);
    }
    Err(Error::invalid(
        "unrecognised import document: expected a claude-api export, a list of accounts, a Kiro \
         token file, kiro-cli's token store or an Amazon Q CLI token + registration pair",
    ))
}

fn decode_one(v: &Value) -> Result<NewAccount, Error> {
    if v.get("refreshToken").is_some() {
        kiro(v)
    } else {
        from_value::<AccountInput>(v).and_then(AccountInput::into_new)
    }
}

fn from_value<T: serde::de::DeserializeOwned>(v: &Value) -> Result<T, Error> {
    super::extract::parse(v.to_string().as_bytes())
}

fn str_field(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::to_string)
        .filter(|s| !s.is_empty())
}

fn time_field(v: &Value, key: &str) -> Option<DateTime<Utc>> {
    v.get(key)
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(Into::into)
}

/// Kiro IDE `kiro-auth-token.json`.
fn kiro(v: &Value) -> Result<NewAccount, Error> {
    let refresh =
        str_field(v, "refreshToken").ok_or_else(|| Error::field("refreshToken", "missing"))?;
    // Kiro's UI shows truncated tokens; such a copy can never refresh.
    if refresh.len() < 100 || refresh.contains("...") {
        return Err(Error::field(
            "refreshToken",
            "looks truncated (copied from a UI?)",
        ));
    }
    let method = str_field(v, "authMethod")
        .unwrap_or_else(|| "social".into())
        .to_lowercase();
    let auth_method = match method.as_str() {
        "social" => AuthMethod::Social,
        "idc" => AuthMethod::Idc,
        "builder-id" | "builder_id" | "builderid" => AuthMethod::BuilderId,
        other => {
            return Err(Error::field(
                "authMethod",
                format!("unknown value `{other}`"),
            ));
        }
    };
    let mut new = NewAccount::new(auth_method, Secret::new(refresh));
    if let (Some(id), Some(secret)) = (str_field(v, "clientId"), str_field(v, "clientSecret")) {
        new.credentials.client = Some(ClientRegistration {
            client_id: id,
            client_secret: Secret::new(secret),
            expires_at: time_field(v, "clientSecretExpiresAt"),
        });
    } else if auth_method != AuthMethod::Social {
        return Err(Error::field(
            "clientId",
            "IdC / Builder ID tokens need clientId and clientSecret from the registration file",
        ));
    }
    if let Some(region) = str_field(v, "region") {
        new.settings.oidc_region.clone_from(&region);
        new.settings.api_region = region;
    }
    new.credentials.access_token = str_field(v, "accessToken").map(Secret::new);
    new.credentials.expires_at = time_field(v, "expiresAt");
    new.settings.profile_arn = str_field(v, "profileArn");
    new.settings.start_url = str_field(v, "startUrl");
    new.settings.label = str_field(v, "provider")
        .map(|p| format!("Kiro {p}"))
        .unwrap_or_default();
    Ok(new)
}

/// The value of `key` as an object, also when stored as a JSON string (the `auth_kv` table).
fn object_at(v: &Value, keys: &[&str]) -> Option<Value> {
    keys.iter().find_map(|k| match v.get(*k)? {
        Value::String(s) => serde_json::from_str(s).ok(),
        obj @ Value::Object(_) => Some(obj.clone()),
        _ => None,
    })
}

/// Amazon Q CLI token + device registration.
pub(super) fn q_cli(v: &Value) -> Result<NewAccount, Error> {
    let token = object_at(
        v,
        &["token", "codewhisperer:odic:token", "kirocli:odic:token"],
    )
    .ok_or_else(|| Error::field("token", "missing or not an object"))?;
    let reg = object_at(
        v,
        &[
            "registration",
            "codewhisperer:odic:device-registration",
            "kirocli:odic:device-registration",
        ],
    )
    .ok_or_else(|| Error::field("registration", "missing or not an object"))?;
    let refresh = str_field(&token, "refresh_token")
        .ok_or_else(|| Error::field("token.refresh_token", "missing"))?;
    let start_url = str_field(&token, "start_url");
    let is_builder = start_url
        .as_deref()
        .is_none_or(|u| u.contains("view.awsapps.com/start"));
    let method = if is_builder {
        AuthMethod::BuilderId
    } else {
        AuthMethod::Idc
    };
    let mut new = NewAccount::new(method, Secret::new(refresh));
    new.credentials.client = Some(ClientRegistration {
        client_id: str_field(&reg, "client_id")
            .ok_or_else(|| Error::field("registration.client_id", "missing"))?,
        client_secret: Secret::new(
            str_field(&reg, "client_secret")
                .ok_or_else(|| Error::field("registration.client_secret", "missing"))?,
        ),
        expires_at: time_field(&reg, "client_secret_expires_at"),
    });
    if let Some(region) = str_field(&token, "region").or_else(|| str_field(&reg, "region")) {
        new.settings.oidc_region.clone_from(&region);
        new.settings.api_region = region;
    }
    new.credentials.access_token = str_field(&token, "access_token").map(Secret::new);
    new.credentials.expires_at = time_field(&token, "expires_at");
    new.settings.start_url = if is_builder { None } else { start_url };
    new.settings.profile_arn = str_field(&token, "profile_arn");
    new.settings.label = "Amazon Q CLI".into();
    Ok(new)
}

/// Stores every decoded entry; failures are reported per index.
pub async fn store_all(store: &Store, entries: Vec<Result<NewAccount, Error>>) -> ImportResult {
    let mut result = ImportResult::default();
    for (index, entry) in entries.into_iter().enumerate() {
        let stored = match entry {
            Ok(new) => store.create_account(new).await.map_err(Error::from),
            Err(e) => Err(e),
        };
        match stored {
            Ok(account) => result.created.push(account.id),
            Err(e) => result.rejected.push(Rejected {
                index,
                error: e.public_message(),
            }),
        }
    }
    result
}

/// This project's export document (secrets included).
pub async fn export(store: &Store) -> Result<Value, Error> {
    let accounts: Vec<ExportedAccount> = store
        .all_accounts()
        .await?
        .into_iter()
        .map(|a| {
            let (settings, credentials) = (a.settings, a.credentials);
            let client = credentials.client;
            ExportedAccount {
                id: a.id,
                label: settings.label,
                auth_method: a.auth_method,
                oidc_region: settings.oidc_region,
                api_region: settings.api_region,
                start_url: settings.start_url,
                client_id: client.as_ref().map(|c| c.client_id.clone()),
                client_secret: client
                    .as_ref()
                    .map(|c| c.client_secret.expose().to_string()),
                client_expires_at: client.and_then(|c| c.expires_at),
                refresh_token: credentials.refresh_token.expose().to_string(),
                access_token: credentials.access_token.map(|s| s.expose().to_string()),
                expires_at: credentials.expires_at,
                profile_arn: settings.profile_arn,
                weight: settings.weight,
                max_concurrency: settings.max_concurrency,
                proxy_url: settings.proxy_url,
                enabled: settings.enabled,
            }
        })
        .collect();
    Ok(json!({
        "format": EXPORT_FORMAT,
        "version": 1,
        "exported_at": Utc::now(),
        "accounts": accounts,
    }))
}
