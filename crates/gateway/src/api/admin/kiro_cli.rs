//! Import of kiro-cli's token store (issue 21 item 3; amazon-q-protocol.md §2.11 "Q CLI / kiro-cli
//! SQLite"; kiro-2026-endpoints.md "Obtaining an ARN").
//!
//! kiro-cli keeps its sign-in in `data.sqlite3`: table `auth_kv(key, value)` holds JSON texts under
//! `kirocli:social:token` (GitHub / Google), `kirocli:odic:token` + `kirocli:odic:device-registration`
//! (Builder ID / Identity Center) or the older `codewhisperer:odic:*` keys; table `state` holds the
//! profile the CLI chose under `api.codewhisperer.profile` (`{"arn", "profile_name"}`). Accepted:
//! - the database file itself (recognised by the SQLite header; read through a private temporary
//!   copy, read-only);
//! - the same rows as JSON: `{"auth_kv": {key: value}, "state": {key: value}}`, each table also as
//!   a list of `{"key","value"}` rows (what `sqlite3 -json` prints), or the keys at the top level.
//!
//! The account's API region is the region of the chosen profile's ARN; its token region is the
//! token's `region`.

use std::io::Write as _;

use sea_orm::{ConnectionTrait as _, Database, DbBackend, Statement};
use serde_json::{Map, Value};
use store::{AuthMethod, NewAccount, Secret};

use crate::error::Error;

const SOCIAL_TOKEN: &str = "kirocli:social:token";
const OIDC_TOKENS: [&str; 2] = ["kirocli:odic:token", "codewhisperer:odic:token"];
const PROFILE_KEY: &str = "api.codewhisperer.profile";
const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";

/// True for an SQLite database file.
pub fn is_sqlite(bytes: &[u8]) -> bool {
    bytes.starts_with(SQLITE_MAGIC)
}

/// True for a JSON document in the kiro-cli layout handled here.
pub fn looks_like(doc: &Value) -> bool {
    ["auth_kv", SOCIAL_TOKEN, "kirocli:odic:token", PROFILE_KEY]
        .iter()
        .any(|k| doc.get(k).is_some())
}

/// A table given as an object or as `[{"key","value"}]` rows, as one object.
fn table(v: Option<&Value>) -> Map<String, Value> {
    match v {
        Some(Value::Object(m)) => m.clone(),
        Some(Value::Array(rows)) => rows
            .iter()
            .filter_map(|r| Some((r.get("key")?.as_str()?.to_owned(), r.get("value")?.clone())))
            .collect(),
        _ => Map::new(),
    }
}

/// A value stored as JSON text (the SQLite layout) or given as an object.
fn object(v: Option<&Value>) -> Option<Value> {
    match v? {
        Value::String(s) => serde_json::from_str(s).ok(),
        obj @ Value::Object(_) => Some(obj.clone()),
        _ => None,
    }
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Decodes the kiro-cli rows in `doc` into one account.
pub fn decode(doc: &Value) -> Result<NewAccount, Error> {
    let mut kv = table(doc.get("auth_kv"));
    let mut state = table(doc.get("state"));
    if let Some(top) = doc.as_object() {
        for (k, v) in top.iter().filter(|(k, _)| k.contains(':')) {
            kv.entry(k.clone()).or_insert_with(|| v.clone());
        }
        if let Some(p) = top.get(PROFILE_KEY) {
            state
                .entry(PROFILE_KEY.to_owned())
                .or_insert_with(|| p.clone());
        }
    }
    let chosen_arn = object(state.get(PROFILE_KEY)).and_then(|p| text(&p, "arn"));
    let mut new = if let Some(token) = object(kv.get(SOCIAL_TOKEN)) {
        social(&token)?
    } else if OIDC_TOKENS.iter().any(|k| kv.contains_key(*k)) {
        super::transfer::q_cli(&Value::Object(kv))?
    } else {
        return Err(Error::invalid(format!(
            "kiro-cli's store holds no sign-in (none of {SOCIAL_TOKEN}, {}): sign in with \
             kiro-cli first, then copy its data.sqlite3",
            OIDC_TOKENS.join(", ")
        )));
    };
    // The profile the CLI chose wins over one copied into the token: it is the one it uses.
    if let Some(arn) = chosen_arn.or_else(|| new.settings.profile_arn.take()) {
        if let Some(region) = amazonq::types::arn_region(&arn) {
            region.clone_into(&mut new.settings.api_region);
        }
        new.settings.profile_arn = Some(arn);
    }
    new.settings.label = match new.auth_method {
        AuthMethod::Social => "kiro-cli (social)".to_owned(),
        _ => "kiro-cli".to_owned(),
    };
    Ok(new)
}

/// `kirocli:social:token` (snake_case like the CLI's other tokens).
fn social(token: &Value) -> Result<NewAccount, Error> {
    let refresh = text(token, "refresh_token")
        .ok_or_else(|| Error::field(format!("{SOCIAL_TOKEN}.refresh_token"), "missing"))?;
    let mut new = NewAccount::new(AuthMethod::Social, Secret::new(refresh));
    if let Some(region) = text(token, "region") {
        new.settings.oidc_region.clone_from(&region);
        new.settings.api_region = region;
    }
    new.credentials.access_token = text(token, "access_token").map(Secret::new);
    new.credentials.expires_at = text(token, "expires_at")
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(&s).ok())
        .map(Into::into);
    new.settings.profile_arn = text(token, "profile_arn");
    Ok(new)
}

/// The `auth_kv` and `state` rows of a kiro-cli database file, as the JSON layout above.
pub async fn read_db(bytes: &[u8]) -> Result<Value, Error> {
    let file = PrivateCopy::write(bytes)?;
    let url = format!("sqlite://{}?mode=ro", file.path.display());
    let db = Database::connect(url.as_str())
        .await
        .map_err(|e| Error::invalid(format!("not a readable SQLite database: {e}")))?;
    let read = async {
        let auth_kv = rows(&db, "SELECT key, value FROM auth_kv")
            .await
            .map_err(|e| {
                Error::invalid(format!(
                    "not a kiro-cli database (no readable auth_kv table): {e}"
                ))
            })?;
        // Older CLIs have no chosen profile; that is not an error.
        let state = rows(
            &db,
            "SELECT key, value FROM state WHERE key = 'api.codewhisperer.profile'",
        )
        .await
        .unwrap_or_default();
        Ok::<_, Error>(serde_json::json!({"auth_kv": auth_kv, "state": state}))
    }
    .await;
    let _ = db.close().await;
    read
}

async fn rows(
    db: &sea_orm::DatabaseConnection,
    sql: &str,
) -> Result<Map<String, Value>, sea_orm::DbErr> {
    let mut out = Map::new();
    for r in db
        .query_all_raw(Statement::from_string(DbBackend::Sqlite, sql))
        .await?
    {
        let key: String = r.try_get("", "key")?;
        // `state` values are BLOBs in some CLI versions, TEXT in others.
        let value = r.try_get::<String>("", "value").or_else(|_| {
            r.try_get::<Vec<u8>>("", "value")
                .map(|b| String::from_utf8_lossy(&b).into_owned())
        })?;
        out.insert(key, Value::String(value));
    }
    Ok(out)
}

/// An owner-only temporary copy of an uploaded database, removed when dropped (it holds tokens).
struct PrivateCopy {
    path: std::path::PathBuf,
}

impl PrivateCopy {
    fn write(bytes: &[u8]) -> Result<Self, Error> {
        let path = std::env::temp_dir().join(format!(
            "claude-api-import-{}.sqlite3",
            uuid::Uuid::new_v4()
        ));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let copy = Self { path };
        let mut f = options
            .open(&copy.path)
            .map_err(|e| Error::Internal(format!("temporary copy of the import: {e}")))?;
        f.write_all(bytes)
            .map_err(|e| Error::Internal(format!("temporary copy of the import: {e}")))?;
        Ok(copy)
    }
}

impl Drop for PrivateCopy {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:codewhisperer:eu-central-1:123456789012:profile/CHOSEN";

    fn refresh() -> String {
        format!("aor{}", "x".repeat(120))
    }

    #[tokio::test]
    async fn reads_a_kiro_cli_database_with_its_chosen_profile() {
        let dir = std::env::temp_dir().join(format!("kiro-cli-test-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("data.sqlite3");
        let db = Database::connect(format!("sqlite://{}?mode=rwc", path.display()).as_str())
            .await
            .unwrap();
        let token = serde_json::json!({
            "access_token": "acc", "refresh_token": refresh(), "region": "us-east-1",
            "expires_at": "2026-12-07T12:00:00.123456789Z",
            "profile_arn": "arn:aws:codewhisperer:us-east-1:1:profile/OLD",
        });
        let profile = serde_json::json!({"arn": ARN, "profile_name": "chosen"});
        for sql in [
            "CREATE TABLE auth_kv (key TEXT PRIMARY KEY, value TEXT)".to_owned(),
            "CREATE TABLE state (key TEXT PRIMARY KEY, value BLOB)".to_owned(),
            format!("INSERT INTO auth_kv VALUES ('kirocli:social:token', '{token}')"),
            format!(
                "INSERT INTO state VALUES ('api.codewhisperer.profile', CAST('{profile}' AS BLOB))"
            ),
        ] {
            db.execute_raw(Statement::from_string(DbBackend::Sqlite, sql))
                .await
                .unwrap();
        }
        db.close().await.unwrap();
        let bytes = std::fs::read(&path).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(is_sqlite(&bytes));

        let doc = read_db(&bytes).await.unwrap();
        assert!(looks_like(&doc));
        let new = decode(&doc).unwrap();
        assert_eq!(new.auth_method, AuthMethod::Social);
        assert_eq!(new.credentials.refresh_token.expose(), refresh());
        assert_eq!(new.settings.profile_arn.as_deref(), Some(ARN));
        assert_eq!(new.settings.api_region, "eu-central-1");
        assert_eq!(new.settings.oidc_region, "us-east-1");
        assert!(new.credentials.expires_at.is_some());

        let e = read_db(b"SQLite format 3\0not really").await.unwrap_err();
        assert!(matches!(e, Error::Validation { .. }), "{e}");
    }

    #[test]
    fn reads_the_json_layouts() {
        let token =
            serde_json::json!({"refresh_token": refresh(), "region": "us-east-1"}).to_string();
        let rows = serde_json::json!({
            "auth_kv": [{"key": "kirocli:social:token", "value": token}],
            "state": [{"key": PROFILE_KEY, "value": {"arn": ARN}}],
        });
        let new = decode(&rows).unwrap();
        assert_eq!(new.settings.profile_arn.as_deref(), Some(ARN));
        assert_eq!(new.settings.api_region, "eu-central-1");

        let odic = serde_json::json!({
            "kirocli:odic:token": {"refresh_token": refresh(), "region": "us-east-1",
                "start_url": "https://d-123.awsapps.com/start"},
            "kirocli:odic:device-registration": {"client_id": "cid", "client_secret": "cs"},
            PROFILE_KEY: {"arn": ARN},
        });
        assert!(looks_like(&odic));
        let new = decode(&odic).unwrap();
        assert_eq!(new.auth_method, AuthMethod::Idc);
        assert_eq!(new.settings.profile_arn.as_deref(), Some(ARN));
        assert_eq!(new.settings.api_region, "eu-central-1");

        let e = decode(&serde_json::json!({"auth_kv": {"kirocli:social:token": {"region": "x"}}}))
            .unwrap_err();
        assert!(e.to_string().contains("missing"), "{e}");
    }
}
